"""The end-of-run skip summary (tests/conftest.py): one line per reason, however many tests and files share it."""

from __future__ import annotations

from types import SimpleNamespace

from tests.conftest import pytest_terminal_summary


class Reporter:
    def __init__(self, skipped: list) -> None:
        self.stats = {"skipped": skipped}
        self.lines: list[str] = []

    def section(self, title: str, sep: str = "=") -> None:
        self.lines.append(f"[{title}]")

    def write_line(self, line: str) -> None:
        self.lines.append(line)


def _skip(nodeid: str, line: int, reason: str) -> SimpleNamespace:
    return SimpleNamespace(nodeid=nodeid, longrepr=(nodeid.split("::")[0], line, f"Skipped: {reason}"))


def test_skips_are_summed_up_per_reason_most_frequent_first():
    gpu = "no GPU: CuPy is not installed"
    skipped = [_skip(f"tests/gpu/test_parity.py::test_{k}", 59 + k % 3, gpu) for k in range(40)]
    skipped += [_skip(f"tests/nn/test_{name}.py::test_x", 10, "PyTorch is not installed") for name in ("a", "b")]
    skipped.append(_skip("tests/data/test_mnist.py::test_real", 5, "the real MNIST files were not found"))
    reporter = Reporter(skipped)
    pytest_terminal_summary(reporter, 0, None)
    assert reporter.lines[1:] == [
        f"  40 skipped (tests/gpu/test_parity.py): {gpu}",
        "   2 skipped (2 files): PyTorch is not installed",
        "   1 skipped (tests/data/test_mnist.py): the real MNIST files were not found",
    ]


def test_nothing_is_written_when_nothing_was_skipped():
    reporter = Reporter([])
    pytest_terminal_summary(reporter, 0, None)
    assert reporter.lines == []
