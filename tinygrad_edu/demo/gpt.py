"""Walkthrough ``gpt``: a GPT from text to samples — tokenise (bytes, then byte-pair encoding), train a small
decoder-only Transformer for about a minute with a live loss curve, measure perplexity against the unigram
baseline, sample at three temperatures, look at one attention head on a generated sentence, time the KV cache,
and scale the arithmetic up to GPT-3 on paper."""

from __future__ import annotations

import time

import numpy as np

import tinygrad_edu as tg

from ..models import GPT, GPTConfig, Shape, perplexity, scale_table, train_lm, unigram_perplexity
from ..text import BPETokenizer, ByteTokenizer, load_corpus, read_text, split_text
from . import strings
from .narrate import Narrator

TEXT = {
    "summary.gpt": ("a GPT from the ground up: byte and BPE tokenizers, a small decoder-only Transformer trained "
                    "for a minute, perplexity, sampling at three temperatures, attention, KV cache, scale to GPT-3",
                    "从零实现 GPT：字节与 BPE 分词、训练一分钟的小型仅解码器 Transformer、困惑度、三种温度的采样、"
                    "注意力机制、KV 缓存，以及放大到 GPT-3 的规模估算"),
    "gpt.title": ("A GPT from the ground up: next-token prediction on our own text",
                  "从零实现 GPT：在我们自己的文本上预测下一个词元"),
    "gpt.intro": ("A language model gives every possible next token a probability. Trained on text, it learns "
                  "spelling, words and grammar from one task only: predict the next token.\n"
                  "Text: {source} ({chars:,} characters).",
                  "语言模型为每个可能的下一个词元给出概率。它只靠一个任务——预测下一个词元——就从文本中学会拼写、"
                  "词语和语法。\n文本：{source}（{chars:,} 个字符）。"),
    "gpt.source_corpus": ("the corpus shipped with tinygrad_edu, language '{lang}'",
                          "tinygrad_edu 自带的语料，语言 '{lang}'"),
    "gpt.section_tokens": ("1. Tokenisation: text → integers", "1. 分词：文本 → 整数"),
    "gpt.bytes": ("Byte-level: every UTF-8 byte is a token (a Chinese character is 3 bytes)",
                  "字节级：每个 UTF-8 字节是一个词元（一个汉字占 3 个字节）"),
    "gpt.bytes_formula": ("ids = UTF-8 bytes (0‥255), then the special tokens",
                          "ids = UTF-8 字节 (0‥255)，然后是特殊词元"),
    "gpt.bpe": ("Byte-pair encoding: merge the most frequent adjacent pair, {merges} times",
                "字节对编码 (BPE)：把最常见的相邻词元对合并，共 {merges} 次"),
    "gpt.bpe_formula": ("repeat: (a, b) = most frequent pair; new token = a·b; replace everywhere",
                        "重复：(a, b) = 最常见的相邻对；新词元 = a·b；处处替换"),
    "gpt.section_train": ("2. Training: AdamW, warm-up + cosine, gradient clipping",
                          "2. 训练：AdamW、预热 + 余弦、梯度裁剪"),
    "gpt.model": ("A GPT: embedding + positions → {layers} pre-norm blocks (causal attention, GELU MLP) → tied "
                  "head",
                  "GPT：词嵌入 + 位置 → {layers} 个前置归一化块（因果注意力、GELU 前馈网络）→ 共享权重的输出层"),
    "gpt.model_formula": ("logits = LayerNorm(h_L) · Eᵀ  (the embedding E is also the output head)",
                          "logits = LayerNorm(h_L) · Eᵀ（词嵌入矩阵 E 同时是输出层）"),
    "gpt.training": ("Training for {seconds:.0f} s on random windows of {block} tokens (the loss every few steps):",
                     "在 {block} 个词元的随机窗口上训练 {seconds:.0f} 秒（每隔几步的损失）："),
    "gpt.loss_line": ("    step {step:4d}  loss {loss:.3f}", "    第 {step:4d} 步  损失 {loss:.3f}"),
    "gpt.trained": ("Trained: {steps} steps, {tokens:,} tokens, {speed:,.0f} tokens/s",
                    "训练完成：{steps} 步，{tokens:,} 个词元，每秒 {speed:,.0f} 个词元"),
    "gpt.trained_formula": ("L = −(1/BT) Σ log p(next token);  perplexity = e^L on held-out text",
                            "L = −(1/BT) Σ log p(下一个词元)；困惑度 = e^L（在留出文本上）"),
    "gpt.perplexity_model": ("perplexity of the GPT", "GPT 的困惑度"),
    "gpt.perplexity_unigram": ("unigram baseline (no context)", "一元模型基线（不看上下文）"),
    "gpt.section_sample": ("3. Sampling: temperature, top-k, top-p", "3. 采样：温度、top-k、top-p"),
    "gpt.sample": ("Temperature {temperature}: p ∝ exp(logit / {temperature})",
                   "温度 {temperature}：p ∝ exp(logit / {temperature})"),
    "gpt.sample_formula": ("τ < 1 sharpens the distribution, τ > 1 flattens it; top-k / top-p cut its tail",
                           "τ < 1 让分布更尖锐，τ > 1 让分布更平坦；top-k / top-p 截掉长尾"),
    "gpt.section_attention": ("4. Attention: where one head looks", "4. 注意力机制：一个注意力头在看哪里"),
    "gpt.attention": ("Layer {layer}, head {head} on a generated sentence: each row sums to 1, nothing above the "
                      "diagonal (causal)",
                      "第 {layer} 层第 {head} 个头在一句生成的文本上：每行之和为 1，对角线以上为 0（因果）"),
    "gpt.attention_formula": ("P = softmax(Q Kᵀ/√d_h + M),  M = −∞ above the diagonal",
                              "P = softmax(Q Kᵀ/√d_h + M)，对角线以上 M = −∞"),
    "gpt.section_cache": ("5. The KV cache: one position per new token", "5. KV 缓存：每个新词元只算一个位置"),
    "gpt.cache": ("{tokens} tokens with and without the cache", "生成 {tokens} 个词元：有缓存与无缓存"),
    "gpt.cache_formula": ("keys and values of past positions never change: keep them, run only the new position",
                          "过去位置的键和值不会改变：把它们存起来，只计算新位置"),
    "gpt.with_cache": ("with cache (tokens/s)", "有缓存（词元/秒）"),
    "gpt.without_cache": ("without (tokens/s)", "无缓存（词元/秒）"),
    "gpt.same_tokens": ("identical tokens", "生成的词元相同"),
    "gpt.section_scale": ("6. Scale on paper: from our model to GPT-3", "6. 规模估算：从我们的模型到 GPT-3"),
    "gpt.scale": ("N ≈ 12·L·d² + V·d parameters, C ≈ 6·N·D training FLOPs, 16 bytes per parameter with Adam. "
                  "At our measured {speed:,.0f} tokens/s:", "参数量 N ≈ 12·L·d² + V·d，训练计算量 C ≈ 6·N·D，"
                  "使用 Adam 时每个参数 16 字节。按我们实测的每秒 {speed:,.0f} 个词元计算："),
    "gpt.ours": ("this walkthrough's GPT", "本演示的 GPT"),
    "gpt.erratum": ("Erratum to the documents: GPT-3 is from 2020 and BERT from 2018, not the other way round.",
                    "对原文的勘误：GPT-3 发表于 2020 年，BERT 发表于 2018 年，而不是相反。"),
    "gpt.plot_loss": ("next-token loss while training", "训练中的下一个词元损失"),
    "gpt.plot_step": ("step", "步"),
    "gpt.plot_attention": ("attention of layer {layer}, head {head}", "第 {layer} 层第 {head} 个头的注意力"),
}
strings.register(TEXT)

PROMPTS = {"en": "The gradient of the loss", "zh": "在训练神经网络时，"}


def run(n: Narrator) -> None:
    text_file = getattr(n.args, "text", None)
    lang = "zh" if n.lang == "zh" else "en"
    text = read_text(text_file) if text_file else load_corpus(lang)
    source = text_file or n.t("gpt.source_corpus", lang=lang)
    n.title("gpt.title")
    n.say("gpt.intro", source=source, chars=len(text))
    tokenizer = _tokenise(n, text)
    model, history, train_ids, val_ids = _train(n, text, tokenizer)
    prompt = text_file and text[:20] or PROMPTS[lang]
    sentence = _sample(n, model, tokenizer, prompt)
    _attention(n, model, tokenizer, sentence)
    _kv_cache(n, model, tokenizer, prompt)
    n.section("gpt.section_scale")
    n.say("gpt.scale", speed=history.tokens_per_second)
    c = model.config
    ours = Shape(n.t("gpt.ours"), c.n_layer, c.n_embd, c.n_head, c.vocab_size, c.block_size, history.tokens)
    n.print(scale_table(tokens_per_second=history.tokens_per_second, measured=ours))
    n.say("gpt.erratum")


def _tokenise(n: Narrator, text: str) -> ByteTokenizer:
    n.section("gpt.section_tokens")
    tokenizer = ByteTokenizer()
    example = "学习率 = learning rate"
    ids = tokenizer.encode(example)
    n.step("gpt.bytes", n.t("gpt.bytes_formula"), "tokenizer = ByteTokenizer()",
           {"text": repr(example), "ids": ids, "vocab_size": tokenizer.vocab_size})
    sample = text[:20_000] if n.quick else text[:80_000]
    merges = 40 if n.quick else 200
    bpe = BPETokenizer.train(sample, vocab_size=tokenizer.vocab_size + merges)
    pieces = [bpe.decode([i]) for i in bpe.encode(example)]
    first = [bpe.id_to_bytes(256 + len(bpe.special_tokens) + k) for k in range(8)]  # bytes: may be part of a 字
    n.step("gpt.bpe", n.t("gpt.bpe_formula"),
           "bpe = BPETokenizer.train(sample, vocab_size=tokenizer.vocab_size + merges)",
           {"first merges": first, "pieces": pieces, "ids": bpe.encode(example)}, merges=merges)
    return tokenizer


def _train(n: Narrator, text: str, tokenizer: ByteTokenizer):
    n.section("gpt.section_train")
    train_text, val_text = split_text(text, 0.1)
    train_ids, val_ids = np.array(tokenizer.encode(train_text)), np.array(tokenizer.encode(val_text))
    if n.quick:
        config = GPTConfig(vocab_size=tokenizer.vocab_size, block_size=32, n_layer=1, n_head=2, n_embd=32)
    else:
        config = GPTConfig(vocab_size=tokenizer.vocab_size, block_size=64, n_layer=4, n_head=4, n_embd=96)
    model = GPT(config)
    n.step("gpt.model", n.t("gpt.model_formula"), "self.lm_head.weight = self.wte.weight",
           {"parameters": model.num_parameters(), "config": str(config)}, layers=config.n_layer)
    seconds = 4.0 if n.quick else 60.0
    if n.args.epochs is not None:
        seconds = float(n.args.epochs) * (4.0 if n.quick else 60.0)
    n.say("gpt.training", seconds=seconds, block=config.block_size)
    every = 10 if n.quick else 25

    def live(step: int, loss: float) -> None:
        if step % every == 0:
            n.say("gpt.loss_line", step=step, loss=loss)

    recipe = dict(batch_size=16, lr=3e-3, warmup_steps=10)  # AdamW (decay on matrices), warm-up + cosine, clip 1
    history = train_lm(model, train_ids, seconds=seconds, callback=live, **recipe)
    held_out = val_ids[:2_000] if n.quick else val_ids[:20_000]
    ppl = perplexity(model, held_out)
    baseline = unigram_perplexity(train_ids, held_out, tokenizer.vocab_size)
    n.step("gpt.trained", n.t("gpt.trained_formula"),
           "history = train_lm(model, train_ids, seconds=seconds, callback=live, **recipe)",
           {n.t("gpt.perplexity_model"): ppl, n.t("gpt.perplexity_unigram"): baseline},
           steps=len(history.steps), tokens=history.tokens, speed=history.tokens_per_second)
    figure = n.figure(8, 4)
    axis = figure.subplots()
    axis.plot(history.steps, history.losses)
    axis.set_xlabel(n.label("gpt.plot_step"))
    axis.set_title(n.label("gpt.plot_loss"))
    n.save(figure, "loss")
    return model, history, train_ids, val_ids


def _sample(n: Narrator, model: GPT, tokenizer: ByteTokenizer, prompt: str) -> str:
    n.section("gpt.section_sample")
    length = 60 if n.quick else 200
    texts, prompt_ids = {}, np.array([tokenizer.encode(prompt)])
    for temperature in (0.5, 0.8, 1.2):
        tg.manual_seed(n.args.seed)
        ids = model.generate(prompt_ids, length, temperature=temperature, top_p=0.95).numpy()[0]
        texts[temperature] = tokenizer.decode(ids.tolist())
        n.step("gpt.sample", n.t("gpt.sample_formula"),
               "ids = model.generate(prompt_ids, length, temperature=temperature, top_p=0.95).numpy()[0]",
               texts[temperature], temperature=temperature)
    return texts[0.8]


def _attention(n: Narrator, model: GPT, tokenizer: ByteTokenizer, sentence: str) -> None:
    n.section("gpt.section_attention")
    ids = tokenizer.encode(sentence)[: min(40, model.config.block_size)]
    layer = len(model.h) - 1
    attention = model.h[layer].attn
    attention.record_weights = True
    with tg.no_grad():
        model.eval()
        model(np.array([ids]))
    attention.record_weights = False
    weights = attention.last_weights[0, 0]  # batch 0, head 0
    n.step("gpt.attention", n.t("gpt.attention_formula"),
           "weights = attention.last_weights[0, 0]  # batch 0, head 0",
           {"P[:6, :6]": np.round(weights[:6, :6], 2), "Σ_j P_ij": weights.sum(axis=1)[:6]}, layer=layer + 1, head=1)
    labels = [_visible(tokenizer.decode([i])) if i < 128 else "·" for i in ids]  # part of a character: "·"
    figure = n.figure(8, 7)
    axis = figure.subplots()
    axis.imshow(weights, cmap="viridis", vmin=0, vmax=1)
    axis.set_xticks(range(len(ids)), labels, fontsize=7)
    axis.set_yticks(range(len(ids)), labels, fontsize=7)
    axis.set_title(n.label("gpt.plot_attention", layer=layer + 1, head=1))
    n.save(figure, "attention")


def _visible(text: str) -> str:
    """A token as a tick label: space and newline drawn as ␣ and ↵, other control characters as ·."""
    return {" ": "␣", "\n": "↵"}.get(text, text if text.isprintable() else "·")


def _kv_cache(n: Narrator, model: GPT, tokenizer: ByteTokenizer, prompt: str) -> None:
    n.section("gpt.section_cache")
    new = min(24 if n.quick else 48, model.config.block_size - len(tokenizer.encode(prompt)) - 1)
    start_ids = np.array([tokenizer.encode(prompt)])
    speed, outputs = {}, {}
    for use_cache in (True, False):
        started = time.perf_counter()
        outputs[use_cache] = model.generate(start_ids, new, temperature=0, use_cache=use_cache).numpy()
        speed[use_cache] = new / (time.perf_counter() - started)
    n.step("gpt.cache", n.t("gpt.cache_formula"),
           "outputs[use_cache] = model.generate(start_ids, new, temperature=0, use_cache=use_cache).numpy()",
           {n.t("gpt.with_cache"): speed[True], n.t("gpt.without_cache"): speed[False],
            n.t("gpt.same_tokens"): bool(np.array_equal(outputs[True], outputs[False]))}, tokens=new)
