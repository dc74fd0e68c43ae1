"""Chinese plot labels: drawn with a CJK font when one is installed (found even when matplotlib's cached font list
predates it), with the minus signs and superscripts the CJK font lacks taken from DejaVu Sans and no glyph warning;
without such a font, one line says which package to install and the labels stay in English."""

from __future__ import annotations

import argparse
import copy
import warnings

import numpy as np
import pytest

from tinygrad_edu.demo import narrate
from tinygrad_edu.demo.strings import EN, ZH


def _args(tmp_path, lang: str = "zh") -> argparse.Namespace:
    return argparse.Namespace(quick=True, lang=lang, out=str(tmp_path), epochs=None, seed=0, device="cpu",
                              data_dir=None)


@pytest.fixture
def cjk_font() -> str:
    font = narrate._cjk_font()
    if font is None:
        pytest.skip(f"no font with Chinese glyphs on this machine (install {narrate.CJK_FONT_PACKAGE}): "
                    "the Chinese plot labels cannot be checked")
    return font


def test_a_chinese_plot_with_minus_signs_renders_without_glyph_warnings(tmp_path, cjk_font):
    n = narrate.Narrator(_args(tmp_path), "fonts", printer=lambda *a: None)
    assert n.font == cjk_font and n.label("plot_epoch") == ZH["plot_epoch"]
    with warnings.catch_warnings(), n.fonts():  # as the registry runs a walkthrough: inside the font settings
        warnings.simplefilter("error")  # "Glyph 8722 missing from font(s) ..." would fail the test
        figure = n.figure(4, 3)
        axes = figure.add_subplot()
        steps = np.arange(-3, 4)
        axes.semilogy(steps, 10.0 ** steps)  # tick labels −3 … 3 and 10⁻³ … 10³, drawn with U+2212
        axes.set_title("λ = 10⁻³，从 (−7, 2) 出发")
        axes.set_xlabel(n.label("plot_epoch"))
        path = n.save(figure, "minus")
    assert path.stat().st_size > 5000


def test_a_cjk_font_installed_after_matplotlib_cached_its_font_list_is_found(monkeypatch, cjk_font):
    from matplotlib import font_manager

    stale = copy.copy(font_manager.fontManager)  # the list as a cache written before the font was installed
    stale.ttflist = [f for f in font_manager.fontManager.ttflist if cjk_font not in f.name and "CJK" not in f.name]
    monkeypatch.setattr(font_manager, "fontManager", stale)
    assert narrate._find_cjk_in(font_manager) is None
    assert narrate._cjk_font() is not None


def test_without_a_cjk_font_one_line_names_the_package_and_labels_stay_english(tmp_path, monkeypatch):
    monkeypatch.setattr(narrate, "_cjk_font", lambda: None)
    monkeypatch.setattr(narrate, "_told_about_fonts", False)
    lines: list[str] = []
    first = narrate.Narrator(_args(tmp_path), "first", printer=lines.append)
    narrate.Narrator(_args(tmp_path), "second", printer=lines.append)  # a second walkthrough of the same run
    assert len(lines) == 1 and narrate.CJK_FONT_PACKAGE in lines[0]
    assert first.label("plot_epoch") == EN["plot_epoch"] and first.t("plot_epoch") == ZH["plot_epoch"]
    narrate.Narrator(_args(tmp_path, "en"), "english", printer=lines.append)
    assert len(lines) == 1  # English needs no font: nothing said
