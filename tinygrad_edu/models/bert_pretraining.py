"""Pre-training then fine-tuning, and the experiment that shows what pre-training is worth.

    pre-train:  minimise L_MLM on unlabelled text (``pretrain_mlm``)
    fine-tune:  start from the pre-trained encoder, add a [CLS] head, minimise cross-entropy on a few labels
                (``fine_tune``), all weights trained, with a small learning rate
    baseline:   the same classifier, the same labels, the same recipe, from a randomly initialised encoder

``pretraining_experiment`` runs both arms for several seeds on the generated topic task
(``text.topics``) and returns the test accuracies, mean ± standard deviation.
"""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .. import backend, optim
from ..grad_mode import no_grad
from ..nn import functional as F
from ..nn.utils import clip_grad_norm_
from ..text import BPETokenizer, Tokenizer
from ..text.topics import TOPICS, topic_sentences, unlabelled_corpus
from .bert import IGNORE_INDEX, BertForMaskedLM, BertForSequenceClassification, BertModel, mask_tokens, masked_lm_loss


def encode_for_bert(tokenizer: Tokenizer, sentences: Sequence[str], max_len: int) -> np.ndarray:
    """Sentences → ids (len(sentences), max_len): ``[CLS] tokens… [SEP] [PAD]…``, cut to ``max_len``."""
    cls, sep, pad = (tokenizer.token_to_id(name) for name in ("[CLS]", "[SEP]", "[PAD]"))
    ids = np.full((len(sentences), max_len), pad, dtype=np.int64)
    for row, sentence in enumerate(sentences):
        tokens = [cls, *tokenizer.encode(sentence, allow_special=False)[: max_len - 2], sep]
        ids[row, : len(tokens)] = tokens
    return ids


def special_ids(tokenizer: Tokenizer) -> list[int]:
    """The ids ``mask_tokens`` must never choose: every special token of the tokenizer."""
    return sorted(tokenizer.special_tokens.values())


def warmup_linear_decay(total_steps: int, warmup: float = 0.1) -> Callable[[int], float]:
    """BERT's schedule as a factor of the peak learning rate: linear warm-up over the first ``warmup`` share of
    the steps, then linear decay to 0:  f(t) = t/t_w for t < t_w, else (T − t)/(T − t_w)."""
    warm = max(1, int(total_steps * warmup))

    def factor(step: int) -> float:
        if step < warm:
            return (step + 1) / warm
        return max(0.0, (total_steps - step) / max(1, total_steps - warm))

    return factor


def pretrain_mlm(model: BertForMaskedLM, ids: np.ndarray, tokenizer: Tokenizer, steps: int, batch_size: int = 32,
                 lr: float = 1e-3, weight_decay: float = 0.01, seed: int = 0,
                 callback: Callable[[int, float], None] | None = None) -> list[float]:
    """Masked-language-model pre-training on the rows of ``ids`` (from ``encode_for_bert``): each step draws a
    batch, masks it afresh (``mask_tokens``: a new 15 % every time, so the model sees many masks of each
    sentence), and takes an AdamW step on ``masked_lm_loss``. Returns the loss of every step."""
    rng = np.random.default_rng(seed)
    mask_id, specials = tokenizer.token_to_id("[MASK]"), special_ids(tokenizer)
    optimizer = optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    schedule = optim.lr_scheduler.LambdaLR(optimizer, warmup_linear_decay(steps))
    model.train()
    losses = []
    for step in range(steps):
        batch = ids[rng.integers(len(ids), size=batch_size)]
        inputs, labels = mask_tokens(batch, mask_id, tokenizer.vocab_size, specials, rng=rng)
        loss = masked_lm_loss(model(inputs, predict_at=labels != IGNORE_INDEX), labels)
        optimizer.zero_grad()
        loss.backward()
        clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        schedule.step()
        losses.append(loss.item())
        if callback is not None:
            callback(step, losses[-1])
    return losses


def fine_tune(model: BertForSequenceClassification, ids: np.ndarray, labels: np.ndarray, epochs: int = 40,
              batch_size: int = 16, lr: float = 5e-4, weight_decay: float = 0.01, seed: int = 0) -> list[float]:
    """Train the whole classifier (encoder and [CLS] head) on the labelled set with cross-entropy and AdamW;
    returns the mean loss of every epoch. The same function trains the from-scratch baseline. Parameters with
    ``requires_grad=False`` (e.g. ``model.bert.requires_grad_(False)``: a frozen encoder) are left alone."""
    rng = np.random.default_rng(seed)
    trainable = [p for p in model.parameters() if p.requires_grad]  # a frozen encoder trains the head only
    optimizer = optim.AdamW(trainable, lr=lr, weight_decay=weight_decay)
    steps = epochs * math.ceil(len(ids) / batch_size)
    schedule = optim.lr_scheduler.LambdaLR(optimizer, warmup_linear_decay(steps))
    model.train()
    history = []
    for _ in range(epochs):
        order, total = rng.permutation(len(ids)), 0.0
        for start in range(0, len(ids), batch_size):
            rows = order[start : start + batch_size]
            loss = F.cross_entropy(model(ids[rows]), labels[rows])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            schedule.step()
            total += loss.item() * len(rows)
        history.append(total / len(ids))
    return history


def accuracy(model: BertForSequenceClassification, ids: np.ndarray, labels: np.ndarray,
             batch_size: int = 256) -> float:
    """The share of sequences whose argmax class is the label (evaluation mode, no graph)."""
    model.eval()
    correct = 0
    with no_grad():
        for start in range(0, len(ids), batch_size):
            logits = model(ids[start : start + batch_size]).numpy()
            correct += int((logits.argmax(-1) == labels[start : start + batch_size]).sum())
    return correct / len(ids)


@dataclass
class ExperimentConfig:
    """Sizes of the experiment; ``quick()`` shrinks them to seconds (for tests and ``--quick``).

    The encoder is pre-norm (``norm_first``): the post-norm layers of the original BERT need a small learning rate
    and tens of thousands of steps; a pre-training of a few hundred steps needs the larger rate pre-norm tolerates.
    """

    lang: str = "en"
    seeds: tuple[int, ...] = (0, 1, 2)
    labels_per_class: int = 8
    test_sentences: int = 400
    corpus_sentences: int = 6000
    vocab_size: int = 1000
    max_len: int = 16
    d_model: int = 64
    nhead: int = 4
    num_layers: int = 2
    norm_first: bool = True
    pretrain_steps: int = 1600
    pretrain_batch: int = 64
    pretrain_lr: float = 5e-3
    finetune_epochs: int = 40
    finetune_lr: float = 3e-3

    @classmethod
    def quick(cls, **changes: Any) -> ExperimentConfig:
        sizes = dict(seeds=(0,), test_sentences=100, corpus_sentences=800, vocab_size=450, d_model=32,
                     num_layers=1, pretrain_steps=40, pretrain_batch=32, finetune_epochs=8)
        return cls(**{**sizes, **changes})


@dataclass
class ExperimentResult:
    """Test accuracies of both arms for every seed, and where the time went."""

    config: ExperimentConfig
    fine_tuned: list[float] = field(default_factory=list)
    from_scratch: list[float] = field(default_factory=list)
    pretrain_losses: list[list[float]] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)
    tokenizer: Tokenizer | None = field(default=None, repr=False)
    last_pretrained: BertForMaskedLM | None = field(default=None, repr=False)  # the last seed's, for probing

    @staticmethod
    def _mean_std(values: list[float]) -> tuple[float, float]:
        return float(np.mean(values)), float(np.std(values, ddof=1)) if len(values) > 1 else 0.0

    @property
    def margin(self) -> float:
        """Mean accuracy of fine-tuning minus that of training from scratch (percentage points / 100)."""
        return self._mean_std(self.fine_tuned)[0] - self._mean_std(self.from_scratch)[0]

    def __str__(self) -> str:
        c = self.config
        lines = [f"topic task ({c.lang}, {len(TOPICS[c.lang])} classes): {c.labels_per_class} labelled sentences per "
                 f"class, {c.test_sentences} test sentences; pre-training on {c.corpus_sentences} unlabelled "
                 f"sentences, {c.pretrain_steps} steps",
                 f"{'seed':<6}{'pre-trained + fine-tuned':>26}{'from scratch':>16}"]
        for seed, tuned, scratch in zip(c.seeds, self.fine_tuned, self.from_scratch, strict=True):
            lines.append(f"{seed:<6}{tuned:>26.1%}{scratch:>16.1%}")
        (mt, st), (ms, ss) = self._mean_std(self.fine_tuned), self._mean_std(self.from_scratch)
        lines.append(f"{'mean':<6}{f'{mt:.1%} ± {st:.1%}':>26}{f'{ms:.1%} ± {ss:.1%}':>16}")
        lines.append(f"margin: {self.margin * 100:+.1f} percentage points (± is the standard deviation over seeds)")
        lines.append("wall time: " + ", ".join(f"{k} {v:.0f} s" for k, v in self.seconds.items()))
        return "\n".join(lines)


def pretraining_experiment(config: ExperimentConfig | None = None,
                           progress: Callable[[str], None] | None = print) -> ExperimentResult:
    """Fine-tuning a pre-trained encoder against training the same classifier from scratch, per seed:

    1. a BPE tokenizer is trained on the unlabelled corpus (``text.topics.unlabelled_corpus``);
    2. a BERT is pre-trained on that corpus with the masked-LM loss;
    3. ``labels_per_class`` labelled sentences per topic are drawn (the seed decides which);
    4. a copy of the pre-trained encoder with a fresh [CLS] head is fine-tuned on them, and the same classifier
       with a freshly initialised encoder is trained on them with the same recipe;
    5. both are scored on the same held-out test sentences.

    The corpus, the labelled sets and the test set come from different seeds of the generator.
    """
    c = config or ExperimentConfig()
    say = progress or (lambda _: None)
    result = ExperimentResult(c)
    start = time.perf_counter()
    corpus = unlabelled_corpus(c.corpus_sentences, seed=1000, lang=c.lang)
    tokenizer = result.tokenizer = BPETokenizer.train(corpus, c.vocab_size)
    corpus_ids = encode_for_bert(tokenizer, corpus.split("\n"), c.max_len)
    test_text, test_labels = topic_sentences(c.test_sentences, seed=2000, lang=c.lang)
    test_ids = encode_for_bert(tokenizer, test_text, c.max_len)
    result.seconds["tokenizer"] = time.perf_counter() - start
    timers = {"pre-training": 0.0, "fine-tuning": 0.0, "from scratch": 0.0}
    classes = len(TOPICS[c.lang])
    for seed in c.seeds:
        backend.manual_seed(seed)
        tick = time.perf_counter()
        mlm = BertForMaskedLM(new_encoder(c, tokenizer))
        losses = pretrain_mlm(mlm, corpus_ids, tokenizer, c.pretrain_steps, c.pretrain_batch, c.pretrain_lr,
                              seed=seed)
        result.pretrain_losses.append(losses)
        result.last_pretrained = mlm
        timers["pre-training"] += time.perf_counter() - tick
        train_text, train_labels = topic_sentences(classes * c.labels_per_class, seed=3000 + seed, lang=c.lang)
        train_ids = encode_for_bert(tokenizer, train_text, c.max_len)
        cls_id = tokenizer.token_to_id("[CLS]")
        for arm, encoder, scores in (("fine-tuning", copy.deepcopy(mlm.bert), result.fine_tuned),
                                     ("from scratch", new_encoder(c, tokenizer), result.from_scratch)):
            tick = time.perf_counter()
            backend.manual_seed(seed)  # the same [CLS] head initialisation in both arms
            classifier = BertForSequenceClassification(encoder, classes, cls_id=cls_id)
            fine_tune(classifier, train_ids, train_labels, c.finetune_epochs, lr=c.finetune_lr, seed=seed)
            scores.append(accuracy(classifier, test_ids, test_labels))
            timers[arm] += time.perf_counter() - tick
        say(f"seed {seed}: masked-LM loss {np.mean(losses[:10]):.2f} → {np.mean(losses[-20:]):.2f}; test accuracy "
            f"pre-trained + fine-tuned {result.fine_tuned[-1]:.1%}, from scratch {result.from_scratch[-1]:.1%}")
    result.seconds.update(timers)
    result.seconds["total"] = time.perf_counter() - start
    return result


def new_encoder(config: ExperimentConfig, tokenizer: Tokenizer) -> BertModel:
    """A freshly initialised encoder of the experiment's size for ``tokenizer``'s vocabulary."""
    return BertModel(tokenizer.vocab_size, config.d_model, config.nhead, config.num_layers, max_len=config.max_len,
                     pad_id=tokenizer.token_to_id("[PAD]"), norm_first=config.norm_first)
