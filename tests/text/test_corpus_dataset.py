"""The shipped corpus, --text files, the held-out split and TextDataset's next-token windows."""

from __future__ import annotations

import re

import numpy as np
import pytest

from tinygrad_edu.data import DataLoader
from tinygrad_edu.text import TextDataset, load_corpus, read_text, split_text


def test_corpus_ships_in_both_languages():
    en, zh = load_corpus("en"), load_corpus("zh")
    assert len(en) > 100_000 and len(zh) > 100_000
    assert "gradient" in en and "```python" not in en  # code blocks of the docs are left out
    assert len(re.findall(r"[\u4e00-\u9fff]", zh)) > 0.5 * len(zh)
    assert "学习率" in zh and "反向传播" in zh
    assert load_corpus("all") == en + "\n\n" + zh
    with pytest.raises(ValueError, match="not one of"):
        load_corpus("fr")


def test_read_text_errors_name_the_file_and_the_fix(tmp_path):
    (tmp_path / "ok.txt").write_text("你好 world", encoding="utf-8")
    assert read_text(tmp_path / "ok.txt") == "你好 world"
    (tmp_path / "gbk.txt").write_bytes("你好".encode("gbk"))
    with pytest.raises(ValueError, match="not UTF-8.*iconv"):
        read_text(tmp_path / "gbk.txt")
    with pytest.raises(FileNotFoundError, match="no such file"):
        read_text(tmp_path / "missing.txt")


def test_split_text_is_contiguous_and_cuts_at_a_paragraph():
    text = "".join(f"paragraph {i} text.\n\n" for i in range(100))
    train, held_out = split_text(text, 0.1)
    assert train + held_out == text
    assert held_out.startswith("paragraph") and 0.05 < len(held_out) / len(text) < 0.15


def test_windows_are_inputs_and_next_token_targets():
    ds = TextDataset(np.arange(20), block_size=5, stride=3)
    assert len(ds) == 5  # starts 0, 3, 6, 9, 12 (15 would need token 20)
    x, y = ds[2]
    np.testing.assert_array_equal(x, [6, 7, 8, 9, 10])
    np.testing.assert_array_equal(y, [7, 8, 9, 10, 11])
    xb, yb = ds.get_batch(np.array([4, 0]))
    np.testing.assert_array_equal(xb, [[12, 13, 14, 15, 16], [0, 1, 2, 3, 4]])
    np.testing.assert_array_equal(yb, xb + 1)


def test_dataset_works_with_the_dataloader():
    ds = TextDataset(np.arange(100) % 7, block_size=8)
    xb, yb = next(iter(DataLoader(ds, batch_size=4, shuffle=True)))
    assert xb.shape == (4, 8) and yb.shape == (4, 8)
    np.testing.assert_array_equal((xb.numpy() + 1) % 7, yb.numpy())


def test_dataset_errors():
    with pytest.raises(ValueError, match="cannot fill one window"):
        TextDataset([1, 2, 3], block_size=3)
    with pytest.raises(ValueError, match="1-D"):
        TextDataset(np.zeros((2, 5)), block_size=2)
