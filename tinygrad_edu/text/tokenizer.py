"""Tokenizers: text → a list of integer ids → text, for any UTF-8 string (Chinese included).

Both tokenizers work on the UTF-8 **bytes** of the text, so nothing is ever "unknown": ids 0‥255 are the 256 byte
values, the special tokens come next (256, 257, ...), and a BPE tokenizer's merged tokens after them.

- ``ByteTokenizer``: one id per byte. "猫" is three bytes, so three ids. Vocabulary 256 + specials.
- ``BPETokenizer``: byte-pair encoding (Sennrich et al. 2016; GPT-2's byte-level variant). Training starts from
  bytes and repeatedly **merges the most frequent adjacent pair** into a new token; encoding replays the merges in
  the order they were learned. Frequent words become one token, rare ones stay spelled out in pieces.

Round trip: ``decode(encode(s)) == s`` for every ``str`` without lone surrogates (hypothesis checks it). Decoding
ids a model *generated* may cut a character in half; those bytes show as "�" (``errors="replace"``).

    >>> from tinygrad_edu.text import ByteTokenizer, BPETokenizer
    >>> tok = ByteTokenizer()
    >>> tok.encode("hi 猫")
    [104, 105, 32, 231, 140, 171]
    >>> tok.decode(tok.encode("hi 猫 [MASK]"))
    'hi 猫 [MASK]'
    >>> bpe = BPETokenizer.train("aaabdaaabac", vocab_size=256 + 3, special_tokens=[])  # Wikipedia's example
    >>> bpe.merges                      # "aa" → 256, "ab" → 257, then (256, 257) = "aaab" → 258
    [(97, 97), (97, 98), (256, 257)]
    >>> bpe.encode("aaabdaaabac")       # "aaab" d "aaab" a c
    [258, 100, 258, 97, 99]
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

#: The special tokens the models use: padding, BERT's mask / classification / separator, GPT's end of text.
DEFAULT_SPECIAL_TOKENS: tuple[str, ...] = ("[PAD]", "[MASK]", "[CLS]", "[SEP]", "<eos>")

# Pre-tokenisation (GPT-2's idea, written with Python's re): merges never cross these pieces, so " the" and
# "the." share the token for "the". A piece is: an optional space + letters, or + digits, or + other symbols,
# or a run of white space. CJK characters are letters to ``[^\W\d_]``, so a Chinese clause is one piece.
_PIECE = re.compile(r" ?[^\W\d_]+| ?\d+| ?[^\s\w]+|\s+(?!\S)|\s+|_+")


class TokenizerError(ValueError):
    """A tokenizer was asked for something it cannot do (unknown special token, bad vocabulary size, bad file)."""


class Tokenizer:
    """What both tokenizers share: special tokens after the 256 bytes, decoding, save / load as JSON."""

    kind = "base"

    def __init__(self, special_tokens: Iterable[str] = DEFAULT_SPECIAL_TOKENS):
        names = list(special_tokens)
        if len(set(names)) != len(names) or any(not isinstance(n, str) or not n for n in names):
            raise TokenizerError(f"{type(self).__name__}: special tokens must be distinct non-empty strings, "
                                 f"got {names!r}")
        self.special_tokens: dict[str, int] = {name: 256 + i for i, name in enumerate(names)}
        # bytes of every id; specials decode to their own text so "[MASK]" round-trips
        self._bytes: list[bytes] = [bytes([b]) for b in range(256)] + [n.encode("utf-8") for n in names]
        # longest first, so "[SEP]" wins over a hypothetical "[S"
        alternatives = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
        self._special_split = re.compile(f"({alternatives})") if names else None

    @property
    def vocab_size(self) -> int:
        """Number of ids: 256 bytes + special tokens (+ merges for BPE); the size of the model's embedding."""
        return len(self._bytes)

    def token_to_id(self, token: str) -> int:
        """The id of a special token, e.g. ``tok.token_to_id("[MASK]")``."""
        if token not in self.special_tokens:
            raise TokenizerError(f"{type(self).__name__}.token_to_id: {token!r} is not a special token; "
                                 f"the special tokens are {list(self.special_tokens)}")
        return self.special_tokens[token]

    def id_to_bytes(self, token_id: int) -> bytes:
        """The bytes one id stands for (a merged BPE token may be part of a character)."""
        if not 0 <= int(token_id) < self.vocab_size:
            raise TokenizerError(f"{type(self).__name__}: id {token_id} is outside the vocabulary "
                                 f"[0, {self.vocab_size})")
        return self._bytes[int(token_id)]

    def encode(self, text: str, allow_special: bool = True) -> list[int]:
        """Text → ids. With ``allow_special`` the text "[MASK]" becomes the special id, else it is spelled out."""
        if not isinstance(text, str):
            raise TypeError(f"{type(self).__name__}.encode expects a str, got {type(text).__name__}")
        if not allow_special or self._special_split is None:
            return self._encode_ordinary(text)
        ids: list[int] = []
        for i, part in enumerate(self._special_split.split(text)):
            if i % 2 == 1:  # re.split with a group puts the separators at odd positions
                ids.append(self.special_tokens[part])
            elif part:
                ids.extend(self._encode_ordinary(part))
        return ids

    def decode(self, ids: Sequence[int]) -> str:
        """Ids → text. Bytes that do not form whole UTF-8 characters decode to "�"."""
        return b"".join(self.id_to_bytes(int(i)) for i in ids).decode("utf-8", errors="replace")

    def _encode_ordinary(self, text: str) -> list[int]:
        raise NotImplementedError

    # ------------------------------------------------------------------ save / load
    def to_dict(self) -> dict:
        return {"type": self.kind, "special_tokens": list(self.special_tokens)}

    def save(self, path: str | Path) -> None:
        """Write the tokenizer as JSON (``Tokenizer.load(path)`` reads it back)."""
        Path(path).write_text(json.dumps(self.to_dict(), ensure_ascii=False), encoding="utf-8")

    @staticmethod
    def load(path: str | Path) -> Tokenizer:
        """Read a tokenizer written by ``save``: a ``ByteTokenizer`` or a ``BPETokenizer``."""
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as error:
            raise TokenizerError(f"Tokenizer.load: cannot read {path}: {error}") from error
        kinds = {"byte": ByteTokenizer, "bpe": BPETokenizer}
        if not isinstance(data, dict) or data.get("type") not in kinds:
            raise TokenizerError(f"Tokenizer.load: {path} is not a tokenizer file (needs 'type' in {list(kinds)})")
        return kinds[data["type"]].from_dict(data)


class ByteTokenizer(Tokenizer):
    """One id per UTF-8 byte (0‥255), then the special tokens. Nothing to train; never an unknown token."""

    kind = "byte"

    def _encode_ordinary(self, text: str) -> list[int]:
        return list(text.encode("utf-8"))

    @classmethod
    def from_dict(cls, data: dict) -> ByteTokenizer:
        return cls(special_tokens=data.get("special_tokens", ()))

    def __repr__(self) -> str:
        return f"ByteTokenizer(vocab_size={self.vocab_size}, special_tokens={list(self.special_tokens)})"


def _merge(word: list[int], pair: tuple[int, int], new_id: int) -> list[int]:
    """Replace every non-overlapping occurrence of ``pair`` in ``word``, left to right, by ``new_id``."""
    out: list[int] = []
    i = 0
    while i < len(word):
        if i + 1 < len(word) and word[i] == pair[0] and word[i + 1] == pair[1]:
            out.append(new_id)
            i += 2
        else:
            out.append(word[i])
            i += 1
    return out


def _pairs(word: Sequence[int]) -> Counter:
    return Counter(zip(word, word[1:], strict=False))


class BPETokenizer(Tokenizer):
    """Byte-level byte-pair encoding: bytes, the special tokens, then one new token per learned merge.

    ``merges[k] = (a, b)`` means: token ``256 + len(special_tokens) + k`` is ``a`` followed by ``b``.
    """

    kind = "bpe"

    def __init__(self, merges: Sequence[tuple[int, int]] = (),
                 special_tokens: Iterable[str] = DEFAULT_SPECIAL_TOKENS):
        super().__init__(special_tokens)
        self.merges: list[tuple[int, int]] = []
        self.ranks: dict[tuple[int, int], int] = {}
        for a, b in merges:
            self._add_merge((int(a), int(b)))
        self._cache: dict[str, list[int]] = {}

    def _add_merge(self, pair: tuple[int, int]) -> int:
        a, b = pair
        if not (0 <= a < self.vocab_size and 0 <= b < self.vocab_size):
            raise TokenizerError(f"BPETokenizer: merge {pair} refers to an id outside [0, {self.vocab_size})")
        self.ranks[pair] = len(self.merges)
        self.merges.append(pair)
        self._bytes.append(self._bytes[a] + self._bytes[b])
        return len(self._bytes) - 1

    @classmethod
    def train(cls, text: str, vocab_size: int, special_tokens: Iterable[str] = DEFAULT_SPECIAL_TOKENS,
              verbose: bool = False) -> BPETokenizer:
        """Learn merges on ``text`` until the vocabulary has ``vocab_size`` ids (or no pair occurs twice).

        The merge loop, plainly:

        1. split the text into pieces (words with their leading space), count each distinct piece once;
        2. write every piece as its list of byte ids;
        3. count every adjacent pair of ids over all pieces (weighted by how often the piece occurs);
        4. the most frequent pair ``(a, b)`` becomes a new token (ties: the smallest pair of ids, so training
           is deterministic); replace it in every piece; go back to 3.

        Step 3 is done incrementally: only the pieces that contain the merged pair are recounted.
        """
        tokenizer = cls(special_tokens=special_tokens)
        if vocab_size < tokenizer.vocab_size:
            raise TokenizerError(f"BPETokenizer.train: vocab_size={vocab_size} is smaller than the 256 bytes + "
                                 f"{len(tokenizer.special_tokens)} special tokens = {tokenizer.vocab_size}")
        piece_counts = Counter(_PIECE.findall(text))
        words = [list(piece.encode("utf-8")) for piece in piece_counts]
        freqs = list(piece_counts.values())
        pair_counts: Counter = Counter()
        where: dict[tuple[int, int], set[int]] = {}  # pair → pieces that contain it
        for w, word in enumerate(words):
            for pair, n in _pairs(word).items():
                pair_counts[pair] += n * freqs[w]
                where.setdefault(pair, set()).add(w)
        while tokenizer.vocab_size < vocab_size and pair_counts:
            best = min(pair_counts, key=lambda p: (-pair_counts[p], p))
            if pair_counts[best] < 2:
                break  # nothing repeats: a new token would not shorten anything
            new_id = tokenizer._add_merge(best)
            if verbose:
                print(f"merge {len(tokenizer.merges)}: {tokenizer._bytes[new_id]!r} ({pair_counts[best]}x)")
            for w in list(where.get(best, ())):
                old, new = _pairs(words[w]), None
                words[w] = _merge(words[w], best, new_id)
                new = _pairs(words[w])
                for pair, n in old.items():
                    pair_counts[pair] -= n * freqs[w]
                    if pair_counts[pair] <= 0:
                        del pair_counts[pair]
                    if pair not in new:
                        where[pair].discard(w)
                for pair, n in new.items():
                    pair_counts[pair] += n * freqs[w]
                    where.setdefault(pair, set()).add(w)
        return tokenizer

    def _encode_piece(self, piece: str) -> list[int]:
        """Replay the merges on one piece: repeatedly merge the adjacent pair that was learned earliest."""
        cached = self._cache.get(piece)
        if cached is not None:
            return cached
        word = list(piece.encode("utf-8"))
        first_merge_id = 256 + len(self.special_tokens)
        while len(word) > 1:
            pair = min(zip(word, word[1:], strict=False), key=lambda p: self.ranks.get(p, len(self.merges)))
            if pair not in self.ranks:
                break
            word = _merge(word, pair, first_merge_id + self.ranks[pair])
        if len(self._cache) < 100_000:
            self._cache[piece] = word
        return word

    def _encode_ordinary(self, text: str) -> list[int]:
        ids: list[int] = []
        for piece in _PIECE.findall(text):
            ids.extend(self._encode_piece(piece))
        return ids

    def to_dict(self) -> dict:
        return {**super().to_dict(), "merges": [list(m) for m in self.merges]}

    @classmethod
    def from_dict(cls, data: dict) -> BPETokenizer:
        return cls(merges=[tuple(m) for m in data.get("merges", [])],
                   special_tokens=data.get("special_tokens", ()))

    def __repr__(self) -> str:
        return (f"BPETokenizer(vocab_size={self.vocab_size}, merges={len(self.merges)}, "
                f"special_tokens={list(self.special_tokens)})")
