"""Shared test set-up: hypothesis profiles, the optional-dependency markers, the data folder, the skip summary.

``HYPOTHESIS_PROFILE=thorough python -m pytest`` draws many more examples than the default ``ci`` profile.
``python -m pytest -m "not slow"`` is the quick check (about a minute); CI runs everything.
``python -m pytest --data-dir DIR`` (default: ``$TINYGRAD_EDU_DATA``) names the folder holding the real MNIST files
for the optional checks that use them; the package looks them up the same way (``tinygrad_edu.data.mnist``).
Skips are summed up at the end, one line per reason (``-rs`` still lists every skipped test).
"""

from __future__ import annotations

import os
from collections import defaultdict

# One BLAS thread for the tests: their matrices are small, and when the two cores are shared (parallel test
# runs, a busy laptop) OpenBLAS's spinning threads made some tests 10-35x slower. Set before NumPy loads.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci", max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)
settings.register_profile("thorough", max_examples=300, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture(autouse=True)
def _seeded_and_numpy_backend():
    """Every test starts on the NumPy backend with the project's generator seeded."""
    import tinygrad_edu as tg

    tg.backend.use("numpy")
    tg.manual_seed(0)
    np.random.seed(0)
    yield
    tg.backend.use("numpy")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--data-dir", default=None,
                     help="folder holding the real MNIST / Fashion-MNIST IDX files for the optional checks "
                          "(default: $TINYGRAD_EDU_DATA, then ~/.cache/tinygrad_edu)")


@pytest.fixture(scope="session")
def real_data_dirs(pytestconfig: pytest.Config) -> list:
    """The folders the package looks in for the real datasets (``--data-dir``, ``$TINYGRAD_EDU_DATA``, the cache),
    read once, before any test hides the environment: the same lookup as ``python -m tinygrad_edu.train``."""
    from tinygrad_edu.data.mnist import search_dirs

    return search_dirs(pytestconfig.getoption("--data-dir"))


def _skip_reason(report: pytest.TestReport) -> str:
    longrepr = report.longrepr
    reason = longrepr[2] if isinstance(longrepr, tuple) and len(longrepr) == 3 else str(longrepr)
    return reason.removeprefix("Skipped: ")


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    """One line per skip reason, with how many tests and files it covers (instead of one line per test site)."""
    by_reason: dict[str, list] = defaultdict(list)
    for report in terminalreporter.stats.get("skipped", []):
        by_reason[_skip_reason(report)].append(report)
    if not by_reason:
        return
    terminalreporter.section("skips, one line per reason (pytest -rs lists each test)", sep="-")
    for reason, reports in sorted(by_reason.items(), key=lambda item: -len(item[1])):
        files = {report.nodeid.split("::")[0] for report in reports}
        where = next(iter(files)) if len(files) == 1 else f"{len(files)} files"
        terminalreporter.write_line(f"{len(reports):4d} skipped ({where}): {reason}")
