"""Model families built from the library's layers, one file per family.

| file | contents |
| --- | --- |
| ``bert.py`` | ``BertModel``, ``BertForMaskedLM``, ``BertForSequenceClassification``, ``mask_tokens``, |
|  | ``masked_lm_loss`` |
| ``bert_pretraining.py`` | ``pretrain_mlm``, ``fine_tune``, ``pretraining_experiment`` (pre-trained vs from scratch) |
"""

from .bert import BertForMaskedLM, BertForSequenceClassification, BertModel, mask_tokens, masked_lm_loss

__all__ = ["BertForMaskedLM", "BertForSequenceClassification", "BertModel", "mask_tokens", "masked_lm_loss"]
