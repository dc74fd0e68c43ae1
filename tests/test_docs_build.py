"""The documentation site builds with ``mkdocs build --strict``: no broken link, no missing page, no warning.

Skipped, with the reason, when mkdocs or its material theme is not installed (both are in the ``dev`` extra).
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NAV_PAGE = re.compile(r"^\s+- [^:]+:\s+(\S+\.md)\s*$")


def test_nav_lists_every_page_of_docs():
    """mkdocs.yml's nav names exactly the pages in docs/ (a new page must be added to it)."""
    nav = [m.group(1) for line in (ROOT / "mkdocs.yml").read_text(encoding="utf-8").splitlines()
           if (m := NAV_PAGE.match(line))]
    pages = sorted(path.name for path in (ROOT / "docs").glob("*.md"))
    assert sorted(nav) == pages, f"nav: {sorted(nav)}\ndocs/: {pages}"
    assert nav[0] == "index.md"


@pytest.mark.slow
def test_docs_build_strict(tmp_path):
    needed = (("mkdocs", "mkdocs"), ("material", "mkdocs-material"), ("mkdocs_jupyter", "mkdocs-jupyter"))
    for module, package in needed:
        if importlib.util.find_spec(module) is None:
            pytest.skip(f"{package} is not installed: docs build not checked (python -m pip install -e '.[dev]')")
    site = tmp_path / "site"
    environment = dict(os.environ, NO_MKDOCS_2_WARNING="1")
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--config-file", str(ROOT / "mkdocs.yml"),
         "--site-dir", str(site)],
        cwd=ROOT, capture_output=True, text=True, timeout=300, env=environment,
    )
    assert result.returncode == 0, f"mkdocs build --strict failed:\n{result.stdout}\n{result.stderr}"
    for page in ("index.html", "formulas/index.html", "glossary/index.html", "architecture/index.html",
                 "errata/index.html", "source/tinygrad_edu/tensor.py/index.html",
                 "notebooks/03_losses/index.html"):
        assert (site / page).is_file(), f"{page} missing from the built site"
    # a notebook is a rendered page (not raw JSON), with its saved outputs: text and figures
    notebook = (site / "notebooks/03_losses/index.html").read_text(encoding="utf-8")
    assert '"cell_type"' not in notebook and "jp-OutputArea" in notebook and "data:image/png;base64" in notebook
    assert (site / "stylesheets/extra.css").is_file()
