"""Pre-training and fine-tuning: the generated topic task, the encoding for BERT, the schedule, and the experiment
(a quick run here; the measured full run is in docs/pretraining.md)."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu.models.bert import BertForMaskedLM, BertForSequenceClassification
from tinygrad_edu.models.bert_pretraining import (
    ExperimentConfig,
    accuracy,
    encode_for_bert,
    fine_tune,
    new_encoder,
    pretrain_mlm,
    pretraining_experiment,
    warmup_linear_decay,
)
from tinygrad_edu.text import BPETokenizer, ByteTokenizer
from tinygrad_edu.text.topics import _NOUNS, TOPICS, topic_sentences, unlabelled_corpus


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_topic_sentences_are_balanced_seeded_and_name_their_topic(lang):
    sentences, labels = topic_sentences(40, seed=3, lang=lang)
    assert len(sentences) == 40 and np.bincount(labels).tolist() == [10] * len(TOPICS[lang])
    assert topic_sentences(40, seed=3, lang=lang)[0] == sentences
    assert topic_sentences(40, seed=4, lang=lang)[0] != sentences
    for sentence, label in zip(sentences, labels, strict=True):
        assert any(noun in sentence for noun in _NOUNS[lang][label])
    assert unlabelled_corpus(5, seed=1, lang=lang).count("\n") == 4
    with pytest.raises(ValueError, match="lang='fr' is not one of"):
        topic_sentences(3, lang="fr")


def test_encode_for_bert_puts_cls_first_sep_last_and_pads():
    tokenizer = ByteTokenizer()
    cls, sep, pad = (tokenizer.token_to_id(t) for t in ("[CLS]", "[SEP]", "[PAD]"))
    ids = encode_for_bert(tokenizer, ["hi", "a long sentence"], max_len=6)
    assert ids.tolist() == [[cls, ord("h"), ord("i"), sep, pad, pad], [cls, *b"a lo", sep]]


def test_warmup_then_linear_decay():
    schedule = warmup_linear_decay(100, warmup=0.1)
    assert [schedule(t) for t in (0, 4, 9)] == pytest.approx([0.1, 0.5, 1.0])
    assert schedule(10) == pytest.approx(1.0) and schedule(55) == pytest.approx(0.5) and schedule(100) == 0.0


@pytest.mark.slow  # over 0.5 s: outside the quick check (CI runs it)
def test_pretraining_lowers_the_masked_lm_loss_and_fine_tuning_learns_the_labels():
    tg.manual_seed(0)
    config = ExperimentConfig.quick()
    corpus = unlabelled_corpus(600, seed=1)
    tokenizer = BPETokenizer.train(corpus, 400)
    ids = encode_for_bert(tokenizer, corpus.split("\n"), config.max_len)
    model = BertForMaskedLM(new_encoder(config, tokenizer))
    losses = pretrain_mlm(model, ids, tokenizer, steps=60, batch_size=32, lr=3e-3)
    assert np.mean(losses[-10:]) < np.mean(losses[:5]) - 1.0, (losses[:5], losses[-10:])
    sentences, labels = topic_sentences(32, seed=5)
    train_ids = encode_for_bert(tokenizer, sentences, config.max_len)
    classifier = BertForSequenceClassification(model.bert, 4, cls_id=tokenizer.token_to_id("[CLS]"))
    history = fine_tune(classifier, train_ids, labels, epochs=30, lr=3e-3, batch_size=8)
    # from log 4 ≈ 1.39 at the start; BERT's N(0, 0.02²) start and 120 steps do not memorise 32 sentences yet
    assert history[0] > 1.3 and history[-1] < 0.8 * history[0], history
    assert accuracy(classifier, train_ids, labels) >= 0.45  # chance: 0.25


@pytest.mark.slow  # over 0.5 s: outside the quick check (CI runs it)
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_quick_experiment_reports_both_arms_for_every_seed(lang):
    config = ExperimentConfig.quick(seeds=(0, 1), pretrain_steps=10, finetune_epochs=2, lang=lang)
    result = pretraining_experiment(config, progress=None)
    assert len(result.fine_tuned) == len(result.from_scratch) == len(result.pretrain_losses) == 2
    assert all(0.0 <= a <= 1.0 for a in result.fine_tuned + result.from_scratch)
    text = str(result)
    assert "± " in text and "margin:" in text and "pre-training" in text
    assert result.margin == pytest.approx(np.mean(result.fine_tuned) - np.mean(result.from_scratch))


def test_fine_tuning_a_frozen_encoder_trains_the_head_only():
    tokenizer = ByteTokenizer()
    config = ExperimentConfig.quick()
    classifier = BertForSequenceClassification(new_encoder(config, tokenizer), 2, cls_id=tokenizer.token_to_id("[CLS]"))
    classifier.bert.requires_grad_(False)
    before = {name: p.numpy().copy() for name, p in classifier.named_parameters()}
    ids = encode_for_bert(tokenizer, ["ab", "ba", "aa", "bb"], 6)
    fine_tune(classifier, ids, np.array([0, 1, 0, 1]), epochs=2, batch_size=2)
    for name, p in classifier.named_parameters():
        assert np.array_equal(p.numpy(), before[name]) == name.startswith("bert."), name
