"""docs/ops-reference.md is generated from the docstrings (tools/build_ops_reference.py): the checked-in page must be
what the generator writes now, and it must hold every op's formula."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _generator():
    spec = importlib.util.spec_from_file_location("build_ops_reference", ROOT / "tools" / "build_ops_reference.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_checked_in_page_is_up_to_date(tmp_path):
    generator = _generator()
    page = tmp_path / "ops-reference.md"
    assert generator.main(["--output", str(page)]) == 0
    checked_in = (ROOT / "docs" / "ops-reference.md").read_text(encoding="utf-8")
    assert page.read_text(encoding="utf-8") == checked_in, (
        "docs/ops-reference.md is out of date with the docstrings: run python tools/build_ops_reference.py")
    assert generator.main(["--output", str(page), "--check"]) == 0
    page.write_text(checked_in + "stale\n", encoding="utf-8")
    assert generator.main(["--output", str(page), "--check"]) == 1


def test_page_holds_formulas_gradients_and_signatures():
    text = (ROOT / "docs" / "ops-reference.md").read_text(encoding="utf-8")
    for fragment in ("#### Erfinv", "√π/2 · e^{z²}", "#### Remainder", "−∂L/∂z · ⌊x / y⌋", "#### MatMul",
                     "- `tg.lerp(input: 'Tensor', end: 'Tensor', weight: 'Tensor | float') -> 'Tensor'`",
                     "- `Tensor.masked_fill(mask: 'Tensor', value: 'Tensor | float')", "- `F.cross_entropy(",
                     "- `nn.Linear(in_features: 'int', out_features: 'int'"):
        assert fragment in text, fragment
