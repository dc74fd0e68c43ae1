"""Tokenizers: round trips on arbitrary UTF-8, the BPE merge loop on a worked example, special tokens, JSON."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tinygrad_edu.text import BPETokenizer, ByteTokenizer, Tokenizer, TokenizerError

# letters, CJK, emoji, accents, white space and the special tokens' own text, so every path is exercised
TEXT = st.text(alphabet=st.one_of(st.characters(), st.sampled_from(list("猫的学习率 \n\t[MASK]<eos>é🙂_1"))))

SMALL_CORPUS = ("the cat sat on the mat. the cat ate the rat. 猫坐在垫子上。猫吃了老鼠。 " * 30
                + "numbers 123 456 123 and_under_scores\n\n")
BPE = BPETokenizer.train(SMALL_CORPUS, vocab_size=256 + 5 + 60)


@given(TEXT)
def test_byte_tokenizer_round_trips_any_text(text):
    tok = ByteTokenizer()
    assert tok.decode(tok.encode(text)) == text
    assert tok.decode(tok.encode(text, allow_special=False)) == text


@given(TEXT)
def test_bpe_round_trips_any_text(text):
    ids = BPE.encode(text)
    assert BPE.decode(ids) == text
    assert all(0 <= i < BPE.vocab_size for i in ids)
    assert BPE.decode(BPE.encode(text, allow_special=False)) == text


def test_bpe_merge_loop_matches_the_worked_example():
    """Wikipedia's example: aaabdaaabac → Z=aa → ZabdZabac; Y=ab → ZYdZYac; X=ZY → XdXac."""
    bpe = BPETokenizer.train("aaabdaaabac", vocab_size=256 + 3, special_tokens=[])
    a, b, c, d = (ord(ch) for ch in "abcd")
    assert bpe.merges == [(a, a), (a, b), (256, 257)]
    assert bpe.encode("aaabdaaabac") == [258, d, 258, a, c]
    assert bpe.id_to_bytes(258) == b"aaab"


def test_bpe_stops_when_no_pair_repeats():
    bpe = BPETokenizer.train("abcdef", vocab_size=400, special_tokens=[])
    assert bpe.merges == [] and bpe.vocab_size == 256


def test_bpe_learns_frequent_words_and_compresses():
    ids = BPE.encode("the cat sat on the mat.")
    assert len(ids) < len("the cat sat on the mat.") / 2
    assert " cat" in [BPE.decode([i]) for i in ids]
    # Chinese characters are merged from their three UTF-8 bytes
    assert len(BPE.encode("猫坐在垫子上")) < len("猫坐在垫子上".encode())


def test_special_tokens_have_ids_after_the_bytes_and_are_recognised_in_text():
    tok = ByteTokenizer()
    assert tok.vocab_size == 261
    assert tok.special_tokens == {"[PAD]": 256, "[MASK]": 257, "[CLS]": 258, "[SEP]": 259, "<eos>": 260}
    assert tok.encode("a[MASK]b") == [97, 257, 98]
    assert tok.encode("a[MASK]b", allow_special=False) == list(b"a[MASK]b")
    assert BPE.token_to_id("<eos>") == 260 and BPE.encode("<eos>") == [260]
    with pytest.raises(TokenizerError, match="not a special token"):
        tok.token_to_id("[UNK]")


def test_errors_are_clear():
    with pytest.raises(TokenizerError, match="smaller than the 256 bytes"):
        BPETokenizer.train("abc", vocab_size=100)
    with pytest.raises(TokenizerError, match="outside the vocabulary"):
        ByteTokenizer().decode([5000])
    with pytest.raises(TypeError, match="expects a str"):
        ByteTokenizer().encode(b"bytes")
    with pytest.raises(TokenizerError, match="distinct"):
        ByteTokenizer(special_tokens=["[PAD]", "[PAD]"])


def test_decode_of_a_cut_character_shows_replacement():
    tok = ByteTokenizer()
    assert tok.decode(tok.encode("猫")[:2]) == "\ufffd"


def test_save_and_load_round_trip(tmp_path):
    BPE.save(tmp_path / "bpe.json")
    ByteTokenizer(special_tokens=["<eos>"]).save(tmp_path / "byte.json")
    bpe, byte = Tokenizer.load(tmp_path / "bpe.json"), Tokenizer.load(tmp_path / "byte.json")
    assert isinstance(bpe, BPETokenizer) and bpe.merges == BPE.merges and bpe.special_tokens == BPE.special_tokens
    assert bpe.encode(SMALL_CORPUS[:200]) == BPE.encode(SMALL_CORPUS[:200])
    assert isinstance(byte, ByteTokenizer) and byte.special_tokens == {"<eos>": 256}
    (tmp_path / "bad.json").write_text("{}")
    with pytest.raises(TokenizerError, match="not a tokenizer file"):
        Tokenizer.load(tmp_path / "bad.json")
