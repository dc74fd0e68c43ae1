"""GPT benchmarks: training throughput against PyTorch (each library in its own process) and the KV cache.

    python -m tinygrad_edu.bench.gpt [--quick] [--steps N] [--kv-cache] [--json FILE]

- **Training tokens/s**: the ≈1 M-parameter GPT of the acceptance run (5 blocks, width 128, 4 heads, context
  128, byte vocabulary 261), batch 8, one AdamW step with clipping; median seconds per step after a warm-up.
  Ours runs in a child process (``--side ours``), PyTorch's copy of the model in another
  (``tinygrad_edu.bench.gpt_torch``), one after the other, never side by side.
- **KV cache**: 256 new tokens from a 16-token prompt (context 512, so nothing is cropped), greedy, with and
  without the cache: tokens/s of each and their ratio; the two token sequences are checked to be identical.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time

import numpy as np

#: the model of the acceptance run
CONFIG = {"vocab": 261, "block": 128, "layers": 5, "heads": 4, "width": 128}


def _config_args(config: dict, batch: int, steps: int, warmup: int) -> list[str]:
    args = [f"--{k}={v}" for k, v in config.items()]
    return args + [f"--batch={batch}", f"--steps={steps}", f"--warmup={warmup}"]


def ours_train_speed(vocab: int, block: int, layers: int, heads: int, width: int, batch: int, steps: int,
                     warmup: int) -> dict:
    """Median seconds per training step of our GPT (same recipe as ``models.train_lm``) and tokens/s."""
    import numba

    import tinygrad_edu as tg
    from tinygrad_edu import nn, optim
    from tinygrad_edu.models import GPT, GPTConfig, decay_groups, next_token_loss

    tg.manual_seed(0)
    model = GPT(GPTConfig(vocab_size=vocab, block_size=block, n_layer=layers, n_head=heads, n_embd=width))
    optimizer = optim.AdamW(decay_groups(model, 0.1), lr=1e-3, betas=(0.9, 0.95))
    rng = np.random.default_rng(0)
    times, cpu_times = [], []
    for step in range(warmup + steps):
        x = rng.integers(0, vocab, size=(batch, block))
        y = rng.integers(0, vocab, size=(batch, block))
        start, cpu_start = time.perf_counter(), time.process_time()
        optimizer.zero_grad()
        loss = next_token_loss(model(x), y)
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        if step >= warmup:
            times.append(time.perf_counter() - start)
            cpu_times.append(time.process_time() - cpu_start)
    seconds = statistics.median(times)
    return {"library": f"tinygrad_edu {tg.__version__} (NumPy {np.__version__})",
            "threads": numba.get_num_threads(), "parameters": model.num_parameters(),
            "seconds_per_step": seconds,
            "cpu_seconds_per_step": statistics.median(cpu_times), "tokens_per_second": batch * block / seconds,
            "steps": steps}


def kv_cache_speed(prompt_len: int = 16, new_tokens: int = 256, repeats: int = 1) -> dict:
    """Tokens/s generating ``new_tokens`` from a ``prompt_len`` prompt, with and without the KV cache."""
    import tinygrad_edu as tg
    from tinygrad_edu.models import GPT, GPTConfig

    tg.manual_seed(0)
    model = GPT(GPTConfig(vocab_size=CONFIG["vocab"], block_size=512, n_layer=CONFIG["layers"],
                          n_head=CONFIG["heads"], n_embd=CONFIG["width"]))
    prompt = np.random.default_rng(0).integers(0, CONFIG["vocab"], size=(1, prompt_len))
    model.generate(prompt, 4)  # warm-up (kernel compilation, first allocations)
    seconds, outputs = {}, {}
    for use_cache in (True, False):
        runs = []
        for _ in range(repeats):
            start = time.perf_counter()
            outputs[use_cache] = model.generate(prompt, new_tokens, temperature=0, use_cache=use_cache).numpy()
            runs.append(time.perf_counter() - start)
        seconds[use_cache] = min(runs)
    return {"prompt": prompt_len, "new_tokens": new_tokens,
            "cached_tokens_per_second": new_tokens / seconds[True],
            "uncached_tokens_per_second": new_tokens / seconds[False],
            "speedup": seconds[False] / seconds[True],
            "identical_tokens": bool(np.array_equal(outputs[True], outputs[False]))}


def run_side(side: str, config: dict, batch: int, steps: int, warmup: int, torch_threads: int | None = None) -> dict:
    """One side in a fresh Python process; its JSON line back."""
    module = "tinygrad_edu.bench.gpt_torch" if side == "torch" else "tinygrad_edu.bench.gpt"
    extra = ([f"--threads={torch_threads}"] if torch_threads else []) if side == "torch" else ["--side", "ours"]
    command = [sys.executable, "-m", module, *extra, *_config_args(config, batch, steps, warmup)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tinygrad_edu.bench.gpt", description=__doc__.split("\n")[0])
    parser.add_argument("--side", choices=["ours", "torch", "both"], default="both")
    parser.add_argument("--quick", action="store_true", help="3 timed steps instead of 10, no KV-cache run")
    parser.add_argument("--steps", type=int, default=None)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--kv-cache", action="store_true", help="also time generation with and without the cache")
    parser.add_argument("--json", metavar="FILE")
    parser.add_argument("--torch-threads", type=int, default=None, help="PyTorch's thread count (default: its own)")
    for name, default in CONFIG.items():
        parser.add_argument(f"--{name}", type=int, default=default)
    args = parser.parse_args(argv)
    steps = args.steps or (3 if args.quick else 10)
    if args.side == "ours":  # the child process: print one JSON line
        print(json.dumps(ours_train_speed(args.vocab, args.block, args.layers, args.heads, args.width, args.batch,
                                          steps, args.warmup)))
        return 0
    config = {name: getattr(args, name) for name in CONFIG}
    results = {"ours": run_side("ours", config, args.batch, steps, args.warmup)}
    try:
        import torch  # noqa: F401
    except ImportError:
        print("PyTorch is not installed: the PyTorch side is skipped (pip install torch)")
    else:
        results["torch"] = run_side("torch", config, args.batch, steps, args.warmup, args.torch_threads)
    tokens = args.batch * config["block"]
    print(f"GPT training step, {results['ours']['parameters']:,} parameters, batch {args.batch} × {config['block']}"
          f" = {tokens} tokens, median of {steps} steps, each library in its own process:")
    for name, r in results.items():
        print(f"  {name:>6}: {r['seconds_per_step'] * 1e3:8.1f} ms/step  {r['tokens_per_second']:8.0f} tokens/s  "
              f"(CPU time {r['cpu_seconds_per_step'] * 1e3:.1f} ms/step; {r['library']}, {r['threads']} threads)")
    if "torch" in results:
        ratio = results["ours"]["tokens_per_second"] / results["torch"]["tokens_per_second"]
        cpu_ratio = results["torch"]["cpu_seconds_per_step"] / results["ours"]["cpu_seconds_per_step"]
        print(f"  ours / PyTorch throughput: {ratio:.2f}× wall time, {cpu_ratio:.2f}× CPU time")
    if args.kv_cache:
        kv = kv_cache_speed()
        results["kv_cache"] = kv
        print(f"generation, {kv['new_tokens']} tokens from a {kv['prompt']}-token prompt: "
              f"{kv['cached_tokens_per_second']:.0f} tokens/s with the KV cache, "
              f"{kv['uncached_tokens_per_second']:.0f} without: {kv['speedup']:.1f}× "
              f"(identical tokens: {kv['identical_tokens']})")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
