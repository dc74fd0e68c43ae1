"""Train a ≈1 M-parameter GPT on the shipped corpus (or ``--text FILE``) and report perplexity and samples.

    python -m tinygrad_edu.train.gpt [--seconds 300] [--lang en|zh|all] [--text FILE] [--tokenizer byte|bpe]
                                           [--layers 5] [--width 128] [--heads 4] [--block 128] [--out DIR]

Prints the unigram baseline and the model's perplexity on the held-out tail (10 %) of the text, the training
throughput, and samples at temperature 0.8; ``--out`` saves the weights (``gpt.npz``) and the tokenizer.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from .. import manual_seed, save
from ..models.gpt import GPT, GPTConfig
from ..models.lm_training import perplexity, train_lm, unigram_perplexity
from ..text import BPETokenizer, ByteTokenizer, load_corpus, read_text, split_text


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(prog="python -m tinygrad_edu.train.gpt", description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=300.0, help="training time budget (default 300)")
    parser.add_argument("--clock", choices=["wall", "cpu"], default="wall",
                        help="what --seconds counts: wall time, or this process's CPU time (fair on a busy machine)")
    parser.add_argument("--lang", default="en", choices=["en", "zh", "all"], help="which shipped corpus")
    parser.add_argument("--text", help="train on this UTF-8 file instead of the shipped corpus")
    parser.add_argument("--tokenizer", default="byte", choices=["byte", "bpe"])
    parser.add_argument("--bpe-vocab", type=int, default=512)
    parser.add_argument("--layers", type=int, default=5)
    parser.add_argument("--width", type=int, default=128)
    parser.add_argument("--heads", type=int, default=4)
    parser.add_argument("--block", type=int, default=128)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--warmup", type=int, default=30, help="warm-up steps (then cosine decay)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", help="directory for gpt.npz, tokenizer.json and report.json")
    args = parser.parse_args(argv)

    manual_seed(args.seed)
    text = read_text(args.text) if args.text else load_corpus(args.lang)
    train_text, val_text = split_text(text, 0.1)
    tokenizer = BPETokenizer.train(train_text, args.bpe_vocab) if args.tokenizer == "bpe" else ByteTokenizer()
    train_ids = np.array(tokenizer.encode(train_text))
    val_ids = np.array(tokenizer.encode(val_text))
    config = GPTConfig(vocab_size=tokenizer.vocab_size, block_size=args.block, n_layer=args.layers,
                       n_head=args.heads, n_embd=args.width)
    model = GPT(config)
    print(f"GPT {config}: {model.num_parameters():,} parameters; {len(train_ids):,} training / {len(val_ids):,} "
          f"held-out tokens")
    baseline = unigram_perplexity(train_ids, val_ids, tokenizer.vocab_size)
    print(f"unigram baseline perplexity (held-out): {baseline:.2f}")
    started = time.perf_counter()

    def live(step: int, loss: float) -> None:
        if step % 25 == 0:
            print(f"step {step}: loss {loss:.3f}", flush=True)

    history = train_lm(model, train_ids, steps=10**9, seconds=args.seconds, batch_size=args.batch, lr=args.lr,
                       warmup_steps=args.warmup, callback=live,
                       clock=time.process_time if args.clock == "cpu" else time.perf_counter)
    wall = time.perf_counter() - started
    ppl = perplexity(model, val_ids)
    print(f"trained {len(history.steps)} steps, {history.tokens:,} tokens in {history.seconds:.0f} s {args.clock} time "
          f"({wall:.0f} s wall) "
          f"({history.tokens_per_second:,.0f} tokens/s); held-out perplexity {ppl:.2f} vs unigram {baseline:.2f}")
    prompt = tokenizer.encode(val_text[:40])
    samples = []
    for i in range(3):
        manual_seed(args.seed + 1 + i)
        ids = model.generate(np.array(prompt)[None], 200, temperature=0.8).numpy()[0]
        samples.append(tokenizer.decode(ids.tolist()))
        print(f"--- sample {i + 1} (temperature 0.8, prompt {val_text[:40]!r}):\n{samples[-1]}\n")
    report = {"config": config.__dict__, "parameters": model.num_parameters(), "steps": len(history.steps),
              "tokens": history.tokens, "train_seconds": history.seconds, "clock": args.clock, "wall_seconds": wall,
              "tokens_per_second": history.tokens_per_second, "val_perplexity": ppl, "unigram_perplexity": baseline,
              "final_train_loss": float(np.mean(history.losses[-20:])), "samples": samples}
    if args.out:
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        save(model.state_dict(), out / "gpt.npz")
        tokenizer.save(out / "tokenizer.json")
        (out / "report.json").write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
    return report


if __name__ == "__main__":
    main()
