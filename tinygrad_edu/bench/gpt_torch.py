"""The PyTorch side of the GPT benchmark: the same model, loss and training recipe, written with torch only.

Run by ``tinygrad_edu.bench.gpt`` in a process of its own (``python -m tinygrad_edu.bench.gpt_torch --json``), so
the two libraries never share a process, a thread pool or a heap. Prints one JSON object.

The model is layer for layer ``tinygrad_edu.models.GPT``: pre-norm blocks, causal ``scaled_dot_product_attention``,
GELU (tanh), tied embedding / head, learned positions, GPT-2 initialisation; AdamW (weight decay on matrices
only), gradient clipping at norm 1.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import time

import numpy as np
import torch
from torch import nn


class Block(nn.Module):
    def __init__(self, d: int, heads: int):
        super().__init__()
        self.heads = heads
        self.ln_1, self.ln_2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.c_attn, self.attn_proj = nn.Linear(d, 3 * d), nn.Linear(d, d)
        self.c_fc, self.mlp_proj = nn.Linear(d, 4 * d), nn.Linear(4 * d, d)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, t, d = x.shape
        q, k, v = self.c_attn(self.ln_1(x)).split(d, dim=-1)
        q, k, v = (z.reshape(b, t, self.heads, d // self.heads).transpose(1, 2) for z in (q, k, v))
        y = nn.functional.scaled_dot_product_attention(q, k, v, is_causal=True)
        x = x + self.attn_proj(y.transpose(1, 2).reshape(b, t, d))
        return x + self.mlp_proj(nn.functional.gelu(self.c_fc(self.ln_2(x)), approximate="tanh"))


class TorchGPT(nn.Module):
    def __init__(self, vocab: int, block: int, layers: int, heads: int, d: int):
        super().__init__()
        self.wte, self.wpe = nn.Embedding(vocab, d), nn.Embedding(block, d)
        self.h = nn.ModuleList([Block(d, heads) for _ in range(layers)])
        self.ln_f = nn.LayerNorm(d)
        for name, p in self.named_parameters():
            if p.ndim == 2:
                std = 0.02 / math.sqrt(2 * layers) if name.endswith("proj.weight") else 0.02
                nn.init.normal_(p, 0.0, std)
            elif name.endswith("bias") and "ln" not in name:
                nn.init.zeros_(p)

    def forward(self, idx: torch.Tensor) -> torch.Tensor:
        x = self.wte(idx) + self.wpe(torch.arange(idx.shape[1]))
        for block in self.h:
            x = block(x)
        return self.ln_f(x) @ self.wte.weight.T  # the tied head


def train_speed(vocab: int, block: int, layers: int, heads: int, d: int, batch: int, steps: int,
                warmup: int) -> dict:
    torch.manual_seed(0)
    model = TorchGPT(vocab, block, layers, heads, d)
    params = list(model.parameters())
    optimizer = torch.optim.AdamW([{"params": [p for p in params if p.ndim >= 2], "weight_decay": 0.1},
                                   {"params": [p for p in params if p.ndim < 2], "weight_decay": 0.0}],
                                  lr=1e-3, betas=(0.9, 0.95))
    rng = np.random.default_rng(0)
    times, cpu_times = [], []
    for step in range(warmup + steps):
        x = torch.from_numpy(rng.integers(0, vocab, size=(batch, block)))
        y = torch.from_numpy(rng.integers(0, vocab, size=(batch, block)))
        start, cpu_start = time.perf_counter(), time.process_time()
        optimizer.zero_grad()
        loss = nn.functional.cross_entropy(model(x).reshape(-1, vocab), y.reshape(-1))
        loss.backward()
        nn.utils.clip_grad_norm_(params, 1.0)
        optimizer.step()
        if step >= warmup:
            times.append(time.perf_counter() - start)
            cpu_times.append(time.process_time() - cpu_start)
    seconds = statistics.median(times)
    return {"library": f"torch {torch.__version__}", "threads": torch.get_num_threads(),
            "parameters": sum(p.numel() for p in params), "seconds_per_step": seconds,
            "cpu_seconds_per_step": statistics.median(cpu_times),
            "tokens_per_second": batch * block / seconds, "steps": steps}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tinygrad_edu.bench.gpt_torch")
    for name, default in (("vocab", 261), ("block", 128), ("layers", 5), ("heads", 4), ("width", 128),
                          ("batch", 8), ("steps", 10), ("warmup", 2)):
        parser.add_argument(f"--{name}", type=int, default=default)
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    print(json.dumps(train_speed(args.vocab, args.block, args.layers, args.heads, args.width, args.batch,
                                 args.steps, args.warmup)))


if __name__ == "__main__":
    main()
