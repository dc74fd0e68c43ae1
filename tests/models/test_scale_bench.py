"""Scale on paper against the real model; the GPT benchmark's pieces on a tiny configuration."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tinygrad_edu.bench import gpt as bench_gpt
from tinygrad_edu.models import GPT, MODELS, GPTConfig, Shape, approx_parameters, exact_parameters, scale, scale_table


@pytest.mark.parametrize("layers, width, heads, vocab, block, bias, positions", [
    (5, 128, 4, 261, 128, True, "learned"), (2, 16, 2, 50, 8, False, "learned"), (3, 24, 3, 7, 5, True,
                                                                                   "sinusoidal")])
def test_exact_count_is_the_models_real_parameter_count(layers, width, heads, vocab, block, bias, positions):
    model = GPT(GPTConfig(vocab_size=vocab, block_size=block, n_layer=layers, n_head=heads, n_embd=width,
                          bias=bias, positions=positions))
    assert exact_parameters(layers, width, vocab, block, bias, positions == "learned") == model.num_parameters()


def test_approximation_and_known_sizes():
    assert approx_parameters(96, 12288, 50257) == pytest.approx(175e9, rel=0.01)  # GPT-3 175B
    assert exact_parameters(12, 768, 50257, 1024) == 124_439_808  # GPT-2 small as Hugging Face counts it
    gpt3 = scale(MODELS[-1])
    assert gpt3.train_flops == pytest.approx(3.14e23, rel=0.01)  # the GPT-3 paper's 3.14e23 FLOPs
    assert gpt3.training_state_fp32 == 16 * gpt3.exact_parameters
    tiny = Shape("t", 1, 8, 2, 10, 4, tokens=100)
    row = scale(tiny, flops_per_second=6 * exact_parameters(1, 8, 10, 4) * 100 / 86_400)
    assert row.days_at_our_speed == pytest.approx(1.0)  # 100 tokens at 100 tokens a day
    assert row.activations_fp32 == 2 * row.activations_mixed == 4 * 1 * 8 * (34 + 5 * 2 * 4 / 8) * 2


def test_scale_table_has_a_row_per_model():
    table = scale_table(tokens_per_second=500.0)
    assert len(table.splitlines()) == 2 + len(MODELS)
    assert "GPT-3 175B (2020)" in table and "years" in table


def test_kv_cache_benchmark_reports_identical_tokens(monkeypatch):
    monkeypatch.setitem(bench_gpt.CONFIG, "layers", 1)
    monkeypatch.setitem(bench_gpt.CONFIG, "width", 16)
    kv = bench_gpt.kv_cache_speed(prompt_len=4, new_tokens=24)
    assert kv["identical_tokens"] and kv["speedup"] > 0


@pytest.mark.slow  # over 0.5 s: outside the quick check (CI runs it)
def test_our_side_prints_one_json_line():
    args = ["--side", "ours", "--vocab=11", "--block=8", "--layers=1", "--heads=2", "--width=8", "--batch=2",
            "--steps=2", "--warmup=1"]
    out = subprocess.run([sys.executable, "-m", "tinygrad_edu.bench.gpt", *args], capture_output=True, text=True,
                         check=True, timeout=120)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["tokens_per_second"] > 0 and result["parameters"] == GPT(GPTConfig(
        vocab_size=11, block_size=8, n_layer=1, n_head=2, n_embd=8)).num_parameters()


@pytest.mark.torch
def test_torch_side_has_the_same_parameter_count():
    pytest.importorskip("torch", reason="PyTorch is not installed: the PyTorch side of the GPT benchmark is skipped")
    from tinygrad_edu.bench.gpt_torch import TorchGPT

    theirs = sum(p.numel() for p in TorchGPT(261, 128, 5, 4, 128).parameters())
    assert theirs == GPT(GPTConfig(n_layer=5)).num_parameters() == 1_041_408
