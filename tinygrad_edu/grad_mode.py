"""Switching graph building off and on: ``no_grad()`` and ``enable_grad()``.

Inside ``no_grad()`` operations compute their result but record no graph, so nothing is kept for a backward
pass: the mode for evaluation, for optimizer updates and for anything that must not be differentiated.
Both work as context managers and as decorators.

The mode belongs to the thread, as in PyTorch: a ``no_grad`` block in one thread (say, an evaluation loop)
does not switch recording off for another thread that is training, and blocks that exit out of order in two
threads cannot leave recording off for the whole process.
"""

from __future__ import annotations

import contextlib
import threading


class _ThreadState(threading.local):
    enabled = True  # a class attribute: every new thread starts with recording on


state = _ThreadState()


def is_grad_enabled() -> bool:
    """True when new operations (in this thread) record the graph for a backward pass."""
    return state.enabled


class _GradMode(contextlib.ContextDecorator):
    _mode: bool

    def _recreate_cm(self) -> _GradMode:
        # a fresh instance per decorated call, so recursive or threaded calls keep their own saved mode
        return type(self)()

    def __enter__(self) -> None:
        self._previous = state.enabled
        state.enabled = self._mode

    def __exit__(self, *exc_info: object) -> None:
        state.enabled = self._previous


class no_grad(_GradMode):  # noqa: N801 (named like PyTorch's, which learners know)
    """Operations inside build no graph: ``with no_grad(): ...`` or ``@no_grad()``."""

    _mode = False


class enable_grad(_GradMode):  # noqa: N801
    """Turn graph building back on inside a ``no_grad`` block."""

    _mode = True


class set_grad_enabled(_GradMode):  # noqa: N801
    """``with set_grad_enabled(training): ...``: recording on or off as the argument says (PyTorch's name)."""

    def __init__(self, mode: bool) -> None:
        self._mode = bool(mode)

    def _recreate_cm(self) -> set_grad_enabled:
        return type(self)(self._mode)
