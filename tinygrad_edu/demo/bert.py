"""Walkthrough ``bert``: BERT's masking rule on a real sentence, masked-language-model pre-training on unlabelled
text with its loss curve, the model filling in a blank, then the lesson of pre-training in numbers — the same
[CLS] classifier fine-tuned from the pre-trained encoder and trained from scratch on the same few labels."""

from __future__ import annotations

import numpy as np

from .. import backend
from ..grad_mode import no_grad
from ..models.bert import IGNORE_INDEX, mask_tokens
from ..models.bert_pretraining import ExperimentConfig, ExperimentResult, pretraining_experiment
from ..text import BPETokenizer
from ..text.topics import TOPICS, topic_sentences, unlabelled_corpus
from . import strings
from .narrate import Narrator

TEXT = {
    "summary.bert": ("BERT: masked-language-model pre-training, then fine-tuning a [CLS] classifier vs from scratch",
                     "BERT：掩码语言模型预训练，再微调 [CLS] 分类器，与从零训练对比"),
    "bert.title": ("BERT — pre-training on unlabelled text, fine-tuning on a few labels",
                   "BERT —— 在无标注文本上预训练，在少量标注上微调"),
    "bert.intro": ("A GPT reads left to right and predicts the next token. BERT reads the whole sentence at once,\n"
                   "so it is trained differently: hide some tokens, predict them from both sides. That needs no\n"
                   "labels, so it can use any text (pre-training); the model is then adapted to a task with few\n"
                   "labels (fine-tuning).",
                   "GPT 从左到右读，预测下一个词元。BERT 一次读完整个句子，所以训练方式不同：遮住一些词元，从左右两边\n"
                   "预测它们。这不需要标注，任何文本都能用（预训练）；之后再用少量标注把模型调整到具体任务（微调）。"),
    "bert.section_masking": ("The masking rule: 15 %, then 80 / 10 / 10", "掩码规则：15%，然后 80 / 10 / 10"),
    "bert.masking": ("Each ordinary token is chosen with p = 0.15; a chosen one becomes [MASK] (80 %), a random token "
                     "(10 %) or stays (10 %)",
                     "每个普通词元以 p = 0.15 被选中；被选中的词元 80% 变成 [MASK]，10% 换成随机词元，10% 保持不变"),
    "bert.masking_counts": ("Over {n} sentences: the shares the rule promises", "在 {n} 个句子上统计：规则承诺的比例"),
    "bert.section_pretrain": ("Pre-training: fill in the blanks of unlabelled text",
                              "预训练：在无标注文本上做完形填空"),
    "bert.task": ("The task: which of four topics a sentence is about; the unlabelled corpus is more of such sentences",
                  "任务：判断句子属于四个主题中的哪一个；无标注语料是更多同类句子"),
    "bert.running": ("Running the experiment (pre-training, then both classifiers, for every seed) …",
                     "正在运行实验（每个随机种子：预训练，然后训练两个分类器）……"),
    "bert.section_result": ("Fine-tuned vs from scratch, on the same few labels", "微调与从零训练，使用同样少量的标注"),
    "bert.result": ("Test accuracy on held-out sentences (mean ± standard deviation over seeds)",
                    "在留出句子上的测试准确率（多个随机种子的均值 ± 标准差）"),
    "bert.lesson": ("The labelled sentences name only some of the 64 topic words. The classifier trained from scratch\n"
                    "has never seen the others; the pre-trained encoder has, in the unlabelled text, next to words\n"
                    "that give their topic away. That is what pre-training is worth — measured here.",
                    "标注句子只覆盖 64 个主题词中的一部分。从零训练的分类器从没见过其余的词；预训练过的编码器在无标注\n"
                    "文本里见过它们，而且见过它们身边透露主题的词。这就是预训练的价值——这里用数字量出来。"),
    "bert.fill": ("Fill in the blank with the pre-trained model (its five most likely tokens)",
                  "用预训练模型做完形填空（概率最高的五个词元）"),
    "bert.plot_step": ("step", "步数"),
    "bert.plot_mlm_loss": ("masked-LM loss", "掩码语言模型损失"),
    "bert.plot_loss_title": ("Pre-training: masked-LM loss", "预训练：掩码语言模型损失"),
    "bert.plot_accuracy": ("test accuracy", "测试准确率"),
    "bert.plot_fine_tuned": ("pre-trained + fine-tuned", "预训练 + 微调"),
    "bert.plot_scratch": ("from scratch", "从零训练"),
    "bert.plot_result_title": ("Same classifier, same labels", "同一个分类器，同样的标注"),
}
strings.register(TEXT)


def run(n: Narrator) -> None:
    n.title("bert.title")
    n.say("bert.intro")
    config = ExperimentConfig.quick(seeds=(n.args.seed,)) if n.quick else ExperimentConfig(
        seeds=(n.args.seed, n.args.seed + 1, n.args.seed + 2))
    _masking(n, config)
    n.section("bert.section_pretrain")
    sentences, labels = topic_sentences(4, seed=n.args.seed, lang=config.lang)
    n.step("bert.task", "y ∈ {" + ", ".join(TOPICS[config.lang]) + "}",
           "sentences, labels = topic_sentences(4, seed=n.args.seed, lang=config.lang)",
           {s: TOPICS[config.lang][label] for s, label in zip(sentences, labels, strict=True)})
    n.say("bert.running")
    with n.timed() as clock:
        result = pretraining_experiment(config, progress=n.print)
    n.print(f"    ({clock['seconds']:.0f} s)")
    _fill_in(n, result)
    n.section("bert.section_result")
    n.step("bert.result", "p = softmax(W_c tanh(W_p h_[CLS] + b_p) + b_c)",
           "result = pretraining_experiment(config, progress=n.print)", str(result))
    n.say("bert.lesson")
    _plot(n, result)


def _masking(n: Narrator, config: ExperimentConfig) -> None:
    n.section("bert.section_masking")
    corpus = unlabelled_corpus(300, seed=n.args.seed, lang=config.lang)
    tokenizer = BPETokenizer.train(corpus, 1000)
    mask_id, specials = tokenizer.token_to_id("[MASK]"), sorted(tokenizer.special_tokens.values())
    ids = np.array(tokenizer.encode(corpus.split("\n")[0], allow_special=False))[None]
    inputs, labels = mask_tokens(ids, mask_id, tokenizer.vocab_size, specials, rng=n.args.seed, mask_prob=0.3)
    shown = [tokenizer.decode([t]) for t in inputs[0]]
    n.step("bert.masking", "P(chosen) = 0.15;  chosen → [MASK] 0.8 · random 0.1 · kept 0.1",
           "inputs, labels = mask_tokens(ids, mask_id, tokenizer.vocab_size, specials, rng=n.args.seed, "
           "mask_prob=0.3)",
           {"text": tokenizer.decode(ids[0]), "inputs": "|".join(shown),
            "labels": [tokenizer.decode([t]) if t != IGNORE_INDEX else "·" for t in labels[0]]})
    lines = [tokenizer.encode(line, allow_special=False)[:12] for line in corpus.split("\n")]
    many = np.array([line + [specials[0]] * (12 - len(line)) for line in lines])
    inputs, labels = mask_tokens(many, mask_id, tokenizer.vocab_size, specials, rng=n.args.seed)
    chosen = labels != IGNORE_INDEX
    eligible = ~np.isin(many, specials)
    n.step("bert.masking_counts", "0.15 · 0.8 · 0.1 · 0.1", "chosen = labels != IGNORE_INDEX",
           {"chosen / eligible": chosen.sum() / eligible.sum(),
            "[MASK]": (inputs[chosen] == mask_id).mean(),
            "random": ((inputs[chosen] != mask_id) & (inputs[chosen] != many[chosen])).mean(),
            "kept": (inputs[chosen] == many[chosen]).mean()}, n=len(lines))


def _fill_in(n: Narrator, result: ExperimentResult) -> None:
    model, tokenizer = result.last_pretrained, result.tokenizer
    if model is None:
        return
    probe = "The [MASK] barked at the postman." if result.config.lang == "en" else "[MASK]对着邮递员叫。"
    ids = [tokenizer.token_to_id("[CLS]"), *tokenizer.encode(probe), tokenizer.token_to_id("[SEP]")]
    position = ids.index(tokenizer.token_to_id("[MASK]"))
    model.eval()
    with no_grad():
        logits = backend.to_numpy(model(np.array([ids])).data)[0, position]
    top = [tokenizer.decode([t]).strip() for t in np.argsort(-logits)[:5]]
    n.step("bert.fill", "argmax_v softmax(z_[MASK])_v", "logits = model(np.array([ids]))", {probe: top})


def _plot(n: Narrator, result: ExperimentResult) -> None:
    figure = n.figure(11, 4)
    left, right = figure.subplots(1, 2)
    for seed, losses in zip(result.config.seeds, result.pretrain_losses, strict=True):
        smooth = np.convolve(losses, np.ones(10) / 10, mode="valid") if len(losses) >= 10 else losses
        left.plot(smooth, label=f"seed {seed}")
    left.set_xlabel(n.label("bert.plot_step"))
    left.set_ylabel(n.label("bert.plot_mlm_loss"))
    left.set_title(n.label("bert.plot_loss_title"))
    left.legend()
    arms = [(n.label("bert.plot_fine_tuned"), result.fine_tuned), (n.label("bert.plot_scratch"), result.from_scratch)]
    for k, (label, scores) in enumerate(arms):
        right.bar(k, np.mean(scores), yerr=np.std(scores) if len(scores) > 1 else None, capsize=6, label=label)
        right.scatter([k] * len(scores), scores, color="black", zorder=3, s=12)
    right.axhline(1 / len(TOPICS[result.config.lang]), color="grey", linestyle=":")
    right.set_xticks([0, 1], [label for label, _ in arms])
    right.set_ylabel(n.label("bert.plot_accuracy"))
    right.set_ylim(0, 1)
    right.set_title(n.label("bert.plot_result_title"))
    n.save(figure, "pretraining")
