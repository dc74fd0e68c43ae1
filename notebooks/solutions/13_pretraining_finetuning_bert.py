"""Solutions to the exercises of notebook 13_pretraining_finetuning_bert."""

import copy

import numpy as np

import tinygrad_edu as tg
from tinygrad_edu.models import BertForMaskedLM, BertForSequenceClassification, BertModel, mask_tokens
from tinygrad_edu.models.bert import IGNORE_INDEX
from tinygrad_edu.models.bert_pretraining import (
    ExperimentConfig,
    accuracy,
    encode_for_bert,
    fine_tune,
    new_encoder,
    pretrain_mlm,
    special_ids,
)
from tinygrad_edu.nn import functional as F
from tinygrad_edu.text import BPETokenizer
from tinygrad_edu.text.topics import topic_sentences, unlabelled_corpus

tg.manual_seed(0)
MAX_LEN = 16
corpus = unlabelled_corpus(6000, seed=1000)
tokenizer = BPETokenizer.train(corpus, 1000)
corpus_ids = encode_for_bert(tokenizer, corpus.split("\n"), MAX_LEN)
MASK, SPECIALS, CLS = tokenizer.token_to_id("[MASK]"), special_ids(tokenizer), tokenizer.token_to_id("[CLS]")
config = ExperimentConfig()  # the experiment's encoder and pre-training (about 1.5 minutes of CPU time)
mlm = BertForMaskedLM(new_encoder(config, tokenizer))
pretrain_mlm(mlm, corpus_ids, tokenizer, config.pretrain_steps, config.pretrain_batch, config.pretrain_lr, seed=0)
test_text, test_labels = topic_sentences(400, seed=2000)
test_ids = encode_for_bert(tokenizer, test_text, MAX_LEN)

# 1. Always [MASK]; and what the kept 10 % are for
inputs, labels = mask_tokens(corpus_ids, MASK, tokenizer.vocab_size, SPECIALS, rng=0, replace_probs=(1.0, 0.0))
chosen = labels != IGNORE_INDEX
print("1. share of chosen tokens that became [MASK]:", (inputs[chosen] == MASK).mean())
assert (inputs[chosen] == MASK).all()
inputs, labels = mask_tokens(corpus_ids[:1000], MASK, tokenizer.vocab_size, SPECIALS, rng=1)
mlm.eval()
with tg.no_grad():
    log_p = F.log_softmax(mlm(inputs), dim=-1).numpy()
chosen = labels != IGNORE_INDEX
nll = -np.take_along_axis(log_p, np.where(chosen, labels, 0)[..., None], axis=-1)[..., 0]
kept, masked = chosen & (inputs == corpus_ids[:1000]), chosen & (inputs == MASK)
print(f"   loss where the word was kept {nll[kept].mean():.3f}, where it was [MASK] {nll[masked].mean():.3f}: the kept "
      "tokens taught the model to trust (mostly) what it sees, so a visible word has a vector of its own")


# 2. and 3. Frozen encoder vs full fine-tuning; more labels
def score(encoder, ids, labels, freeze):
    tg.manual_seed(0)
    classifier = BertForSequenceClassification(encoder, 4, cls_id=CLS)
    if freeze:
        classifier.bert.requires_grad_(False)
    fine_tune(classifier, ids, labels, epochs=config.finetune_epochs, lr=config.finetune_lr)
    return accuracy(classifier, test_ids, test_labels)


text, labels = topic_sentences(4 * 8, seed=3000)
ids = encode_for_bert(tokenizer, text, MAX_LEN)
scores = {f"{start}, {'frozen' if freeze else 'full'}": score(copy.deepcopy(mlm.bert) if start == "pre-trained"
                                                            else new_encoder(config, tokenizer), ids, labels, freeze)
          for start in ("pre-trained", "random") for freeze in (True, False)}
print("2. 8 labels per topic:", {k: f"{v:.1%}" for k, v in scores.items()})
print("   A frozen random encoder gives the head nothing to read (chance); a frozen pre-trained one carries some topic")
print("   information into the [CLS] vector, but far less than full fine-tuning, which adapts the encoder to the task.")

text, labels = topic_sentences(4 * 32, seed=3000)
ids = encode_for_bert(tokenizer, text, MAX_LEN)
more = {start: score(copy.deepcopy(mlm.bert) if start == "pre-trained" else new_encoder(config, tokenizer), ids, labels,
                     False) for start in ("pre-trained", "random")}
print("3. 32 labels per topic:", {k: f"{v:.1%}" for k, v in more.items()},
      f"margin {100 * (more['pre-trained'] - more['random']):+.1f} points (8 labels: "
      f"{100 * (scores['pre-trained, full'] - scores['random, full']):+.1f})")
print("   With more labels the labelled set itself names most nouns, so training from scratch catches up.")


# 4. BERT-base on paper
def bert_parameters(vocab, d, layers, max_len, types=2, ff=None):
    ff = ff or 4 * d
    embeddings = (vocab + max_len + types) * d + 2 * d  # three tables and their LayerNorm
    layer = 4 * (d * d + d) + (d * ff + ff) + (ff * d + d) + 2 * 2 * d  # Q, K, V, O; the MLP; two LayerNorms
    return embeddings + layers * layer


small = BertModel(100, 32, 4, 2, max_len=16)
assert bert_parameters(100, 32, 2, 16) == sum(p.size for p in small.parameters())
base = bert_parameters(30522, 768, 12, 512) + 768 * 768 + 768
print(f"4. BERT-base: {base:,} parameters ≈ {base / 1e6:.1f} M (the paper: 110 M)")
