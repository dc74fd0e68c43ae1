"""Whole networks (models, not layers), one file per family; layers live in ``nn``.

| file | holds |
| --- | --- |
| ``documents.py`` | the documents' networks: ``DocumentsCNN``, ``MLP``, ``LSTMClassifier``, ``CausalLM`` |
| ``gpt.py`` | ``GPT``, ``GPTConfig``, ``KVCache``, ``next_token_loss`` |
| ``lm_training.py`` | ``train_lm`` (AdamW, warm-up + cosine, clipping), ``perplexity``, ``unigram_perplexity`` |
| ``scale.py`` | ``scale``, ``scale_table``: parameters, 6ND compute, memory, from our GPT to GPT-3 |
| ``sampling.py`` | ``sample_next``, ``filter_probabilities``: temperature, top-k, top-p |
| ``bert.py`` | ``BertModel``, ``BertForMaskedLM``, ``BertForSequenceClassification``, ``mask_tokens``, |
|  | ``masked_lm_loss`` |
| ``bert_pretraining.py`` | ``pretrain_mlm``, ``fine_tune``, ``pretraining_experiment`` (pre-trained vs from scratch) |
| ``mobilenet.py`` | ``MobileNetV2``, ``InvertedResidual``, ``mobilenet_v2_small``: document 001's transfer learning |

May import: the engine, ``nn``, ``optim``, ``data``; never ``train``, ``demo``, ``bench`` (they use models).
"""

from .bert import BertForMaskedLM, BertForSequenceClassification, BertModel, mask_tokens, masked_lm_loss
from .documents import MLP, CausalLM, DocumentsCNN, LSTMClassifier
from .gpt import GPT, GPTConfig, GPTError, KVCache, next_token_loss
from .lm_training import LMHistory, decay_groups, perplexity, train_lm, unigram_perplexity, warmup_cosine
from .mobilenet import InvertedResidual, MobileNetV2, make_divisible, mobilenet_v2_small
from .sampling import filter_probabilities, sample_next
from .scale import MODELS, Shape, approx_parameters, exact_parameters, scale, scale_table, training_flops

__all__ = [
    "CausalLM", "DocumentsCNN", "LSTMClassifier", "MLP",
    "BertForMaskedLM", "BertForSequenceClassification", "BertModel", "mask_tokens", "masked_lm_loss",
    "GPT", "GPTConfig", "GPTError", "KVCache", "LMHistory", "decay_groups", "filter_probabilities", "next_token_loss",
    "perplexity", "sample_next", "train_lm", "unigram_perplexity", "warmup_cosine",
    "InvertedResidual", "MobileNetV2", "make_divisible", "mobilenet_v2_small",
    "MODELS", "Shape", "approx_parameters", "exact_parameters", "scale", "scale_table", "training_flops",
]
