"""Text for language models: tokenizers, the corpus that ships, and next-token datasets.

| file | holds |
| --- | --- |
| ``tokenizer.py`` | ``ByteTokenizer`` (one id per UTF-8 byte), ``BPETokenizer`` (byte-pair encoding), ``load`` |
| ``corpus.py`` | ``load_corpus("en" / "zh" / "all")``, ``read_text(path)`` for ``--text FILE``, ``split_text`` |
| ``dataset.py`` | ``TextDataset``: (input, next-token) windows of a token stream |
| ``build_corpus.py`` | the dev tool that regenerates ``corpus/*.txt`` from the docs and glossary |
"""

from .corpus import load_corpus, read_text, split_text
from .dataset import TextDataset
from .tokenizer import DEFAULT_SPECIAL_TOKENS, BPETokenizer, ByteTokenizer, Tokenizer, TokenizerError

__all__ = [
    "DEFAULT_SPECIAL_TOKENS", "BPETokenizer", "ByteTokenizer", "TextDataset", "Tokenizer", "TokenizerError",
    "load_corpus", "read_text", "split_text",
]
