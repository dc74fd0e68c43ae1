"""Switching graph building off and on: ``no_grad()`` and ``enable_grad()``.

Inside ``no_grad()`` operations compute their result but record no graph, so nothing is kept for a backward
pass: the mode for evaluation, for optimizer updates and for anything that must not be differentiated.
Both work as context managers and as decorators.
"""

from __future__ import annotations

import contextlib

_enabled = True


def is_grad_enabled() -> bool:
    """True when new operations record the graph for a backward pass."""
    return _enabled


class _GradMode(contextlib.ContextDecorator):
    _mode: bool

    def _recreate_cm(self) -> _GradMode:
        # a fresh instance per decorated call, so recursive or threaded calls keep their own saved mode
        return type(self)()

    def __enter__(self) -> None:
        global _enabled
        self._previous = _enabled
        _enabled = self._mode

    def __exit__(self, *exc_info: object) -> None:
        global _enabled
        _enabled = self._previous


class no_grad(_GradMode):  # noqa: N801 (named like PyTorch's, which learners know)
    """Operations inside build no graph: ``with no_grad(): ...`` or ``@no_grad()``."""

    _mode = False


class enable_grad(_GradMode):  # noqa: N801
    """Turn graph building back on inside a ``no_grad`` block."""

    _mode = True
