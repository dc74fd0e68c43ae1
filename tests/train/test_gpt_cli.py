"""The acceptance script runs end to end on a user's text file (tiny settings), with both clocks and tokenizers."""

from __future__ import annotations

import json

import pytest

from tinygrad_edu.models import GPT, GPTConfig
from tinygrad_edu.train.gpt import main

TEXT = "The cat sat on the mat. 猫坐在垫子上。\n\n" * 80


@pytest.mark.slow
@pytest.mark.parametrize("tokenizer, clock", [("byte", "wall"), ("bpe", "cpu")])
def test_train_gpt_on_a_text_file_writes_weights_tokenizer_and_report(tmp_path, capsys, tokenizer, clock):
    path = tmp_path / "mine.txt"
    path.write_text(TEXT, encoding="utf-8")
    out = tmp_path / "run"
    report = main(["--text", str(path), "--seconds", "1", "--clock", clock, "--tokenizer", tokenizer,
                   "--bpe-vocab", "300", "--layers", "1", "--width", "16", "--heads", "2", "--block", "16",
                   "--batch", "4", "--warmup", "3", "--out", str(out)])
    printed = capsys.readouterr().out
    assert "unigram baseline perplexity" in printed and "temperature 0.8" in printed
    assert report["val_perplexity"] > 1 and report["unigram_perplexity"] > 1 and len(report["samples"]) == 3
    assert report["steps"] >= 3 and report["clock"] == clock
    assert {p.name for p in out.iterdir()} == {"gpt.npz", "tokenizer.json", "report.json"}
    assert json.loads((out / "report.json").read_text(encoding="utf-8"))["parameters"] == report["parameters"]
    vocab = report["config"]["vocab_size"]  # BPE stops merging early when no pair repeats in this small text
    assert vocab == 261 if tokenizer == "byte" else 261 < vocab <= 300
    assert report["parameters"] == GPT(GPTConfig(vocab_size=vocab, block_size=16, n_layer=1, n_head=2,
                                                 n_embd=16)).num_parameters()
