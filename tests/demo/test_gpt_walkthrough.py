"""The gpt walkthrough on a user's own text (``--text FILE``) and its clear error for a file that is not UTF-8."""

from __future__ import annotations

import pytest

from tinygrad_edu.demo import main


@pytest.mark.slow
def test_gpt_walkthrough_trains_on_a_text_file(tmp_path, capsys):
    path = tmp_path / "poem.txt"
    path.write_text("Roses are red, violets are blue.\n\n" * 200, encoding="utf-8")
    assert main(["gpt", "--quick", "--epochs", "1", "--text", str(path), "--out", str(tmp_path)]) == 0
    output = capsys.readouterr().out
    assert str(path) in output and "Roses are red" in output  # the prompt comes from the file
    assert "GPT-3 175B (2020)" in output and "identical tokens = True" in output


def test_gpt_walkthrough_refuses_a_file_that_is_not_utf8(tmp_path):
    path = tmp_path / "gbk.txt"
    path.write_bytes("你好，世界".encode("gbk"))
    with pytest.raises(ValueError, match="not UTF-8"):
        main(["gpt", "--quick", "--text", str(path), "--out", str(tmp_path)])
