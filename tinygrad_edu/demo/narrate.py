"""The narrator: how a walkthrough speaks (in the chosen language) and where its pictures go.

A walkthrough teaches in steps of three lines: the formula, the line of code that computes it, and the numbers
that line produced. ``Narrator.step`` prints exactly that; every sentence comes from the table of the chosen
language in ``strings.py``, and every picture is written as a PNG by ``Narrator.save`` into ``--out``.

Pictures are drawn on a bare ``matplotlib.figure.Figure`` (the Agg canvas): no pyplot, no window, no global
backend switch, so the demo behaves the same in a terminal, over SSH and inside a notebook.
"""

from __future__ import annotations

import argparse
import contextlib
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from .. import backend
from ..tensor import Tensor
from .strings import TABLES


class Unavailable(Exception):
    """A walkthrough cannot run here: data or hardware is missing. The message says what and how to get it."""


CJK_FONT_PACKAGE = "fonts-noto-cjk"  # Debian/Ubuntu; the same Noto Sans CJK fonts exist for every system
_CJK_HINTS = ("CJK", "WenQuanYi", "Hei", "Song", "Ming", "Noto Sans SC", "Source Han", "PingFang", "YaHei", "Kai")
_CJK_FILE_GLOBS = ("/usr/share/fonts/**/*CJK*", "/usr/share/fonts/**/wqy*", "/usr/local/share/fonts/**/*CJK*",
                   "~/.local/share/fonts/**/*CJK*", "~/.fonts/**/*CJK*", "/System/Library/Fonts/PingFang.ttc",
                   "/Library/Fonts/*Hei*", "C:/Windows/Fonts/msyh.tt*", "C:/Windows/Fonts/simhei.ttf")


def _find_cjk_in(font_manager: Any) -> str | None:
    """A CJK font of matplotlib's list, one made for simplified Chinese (SC, CN) first."""
    names = sorted({font.name for font in font_manager.fontManager.ttflist
                    if any(hint.lower() in font.name.lower() for hint in _CJK_HINTS)})
    simplified = [name for name in names if any(tag in name for tag in (" SC", " CN", "Hans", "YaHei", "WenQuanYi"))]
    return (simplified or names or [None])[0]


def _cjk_font_files() -> list[str]:
    """Font files with Chinese glyphs on this machine: what fontconfig lists for ``:lang=zh``, else known paths."""
    import glob
    import os
    import shutil
    import subprocess

    files: list[str] = []
    if shutil.which("fc-list"):
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            listed = subprocess.run(["fc-list", ":lang=zh", "file"], capture_output=True, text=True, timeout=10)
            files = [line.split(":")[0].strip() for line in listed.stdout.splitlines() if line.strip()]
    for pattern in _CJK_FILE_GLOBS:
        files += glob.glob(os.path.expanduser(pattern), recursive=True)
    return sorted({f for f in files if f.lower().endswith((".ttf", ".otf", ".ttc"))})


def _cjk_font() -> str | None:
    """The name of an installed font that has Chinese glyphs, or None (then plot labels stay in English).

    Matplotlib lists the system's fonts once and caches the list; a font installed after that is not in it. So
    when the cached list has no CJK font, the font files fontconfig (or a known path) names are added to it.
    """
    from matplotlib import font_manager

    found = _find_cjk_in(font_manager)
    if found is None:
        for path in _cjk_font_files():
            with contextlib.suppress(Exception):  # an unreadable file is skipped, as matplotlib's own scan does
                font_manager.fontManager.addfont(path)
        found = _find_cjk_in(font_manager)
    return found


_told_about_fonts = False


def _tell_once_no_cjk_font(printer: Any) -> None:
    """One line per run (not per walkthrough) saying how to get Chinese plot labels."""
    global _told_about_fonts
    if not _told_about_fonts:
        _told_about_fonts = True
        printer(f"(No font with Chinese glyphs was found, so plot labels stay in English; to draw them in Chinese "
                f"install one, e.g. `apt install {CJK_FONT_PACKAGE}` / 未找到中文字体，图中标签使用英文；"
                f"安装 {CJK_FONT_PACKAGE} 后即可显示中文)")


_NUMBER = re.compile(r"^[-+]?[\d.,]+(e[-+]?\d+)?\s*[%s]?$|^[-+]?nan$|^[-+]?inf$")


def _display_width(text: str) -> int:
    """Columns a string takes in a terminal: Chinese characters are two columns wide."""
    return sum(2 if "\u2e80" <= ch <= "\uffef" else 1 for ch in text)


def fmt(value: Any, precision: int = 4) -> str:
    """Numbers as a learner reads them: short floats, arrays on one or a few lines."""
    if hasattr(value, "numpy") and not isinstance(value, np.ndarray):
        value = value.numpy()  # a Tensor
    elif backend.is_gpu(value):
        value = backend.to_numpy(value)  # a CuPy array: copied to the host to be printed
    if isinstance(value, float | np.floating):
        return f"{float(value):.{precision + 2}g}"
    if isinstance(value, np.ndarray):
        if value.size == 1:
            return f"{value.item():.{precision + 2}g}"
        return np.array2string(value, precision=precision, suppress_small=True, max_line_width=110,
                               threshold=24, edgeitems=4, separator=" ")
    return str(value)


class Narrator:
    """Prints a walkthrough's steps in one language and saves its figures; remembers every file written."""

    def __init__(self, args: argparse.Namespace, name: str, printer: Any = print, explicit: bool = False) -> None:
        self.args = args
        self.name = name
        self.explicit = explicit  # named on the command line (not reached through the default tour)
        self.quick: bool = bool(args.quick)
        self.lang: str = args.lang
        self.table = TABLES[args.lang]
        self.english = TABLES["en"]
        self.out = Path(args.out)
        self.print = printer
        self.plots: list[Path] = []
        self.code_shown: list[str] = []  # every code line printed, so a test can find it in the source
        font = _cjk_font() if self.lang != "en" else None
        if self.lang != "en" and font is None:
            _tell_once_no_cjk_font(printer)
        # plot labels in Chinese only where a font can draw them; matplotlib would draw empty boxes otherwise
        self.plot_table = self.table if (self.lang == "en" or font) else self.english
        self.font = font

    # ------------------------------------------------------------------------------------------------ text

    def t(self, key: str, **values: Any) -> str:
        """The sentence ``key`` in the narration language, with ``{placeholders}`` filled in."""
        return self.table[key].format(**values)

    def label(self, key: str, **values: Any) -> str:
        """A plot label: the narration language when a font can draw it, else English."""
        return self.plot_table[key].format(**values)

    def title(self, key: str, **values: Any) -> None:
        text = self.t(key, **values)
        self.print("\n" + "═" * 100 + f"\n  {text}\n" + "═" * 100)

    def section(self, key: str, **values: Any) -> None:
        text = self.t(key, **values)
        self.print(f"\n── {text} " + "─" * max(4, 96 - _display_width(text)))

    def say(self, key: str, **values: Any) -> None:
        self.print(self.t(key, **values))

    def step(self, key: str, formula: str, code: str, numbers: Any = None, **values: Any) -> None:
        """One step of the lesson: what it is (``key``), its formula, the code line, and what it produced.

        ``numbers`` is a dict {name: value} (each printed as ``name = value``), a string, or None.
        """
        self.code_shown.append(code)
        self.print(f"\n▸ {self.t(key, **values)}")
        labels = {k: self.t(k) for k in ("formula", "code", "numbers")}
        width = max(_display_width(label) for label in labels.values())

        def label(key: str, first: bool = True) -> str:  # padded to the same number of terminal columns
            text = labels[key] if first else ""
            return text + " " * (width - _display_width(text))

        self.print(f"    {label('formula')}  {formula}")
        for i, line in enumerate(code.splitlines()):
            self.print(f"    {label('code', i == 0)}  {line}")
        if numbers is None:
            return
        if isinstance(numbers, str):
            indent = " " * (4 + width + 2)
            self.print(f"    {label('numbers')}  " + numbers.replace("\n", "\n" + indent))
            return
        for i, (name, value) in enumerate(numbers.items()):
            indent = " " * (4 + width + 2 + _display_width(name) + 3)
            text = fmt(value).replace("\n", "\n" + indent)
            self.print(f"    {label('numbers', i == 0)}  {name} = {text}")

    def table_rows(self, header: list[str], rows: list[list[Any]]) -> None:
        """A small aligned table (numbers formatted with ``fmt``)."""
        cells = [[str(h) for h in header]] + [[c if isinstance(c, str) else fmt(c) for c in r] for r in rows]
        widths = [max(_display_width(row[i]) for row in cells) for i in range(len(header))]
        numeric = [all(_NUMBER.match(row[i]) for row in cells[1:]) for i in range(len(header))]
        for j, row in enumerate(cells):
            padded = []
            for c, w, right in zip(row, widths, numeric, strict=True):
                space = " " * (w - _display_width(c))
                padded.append(space + c if right else c + space)
            self.print("    " + "  ".join(padded).rstrip())
            if j == 0:
                self.print("    " + "  ".join("─" * w for w in widths))

    # ----------------------------------------------------------------------------------------------- plots

    def figure(self, width: float = 8.0, height: float = 5.0) -> Any:
        """A new figure on the Agg canvas (nothing is shown on screen)."""
        from matplotlib.figure import Figure

        return Figure(figsize=(width, height), layout="constrained")

    def plot_epochs(self, axis: Any, history: Any, curves: list[tuple[str, str]], title_key: str,
                    percent: bool = False) -> None:
        """Per-epoch curves of a ``fit`` History on one axis: each (history key, legend label key), then the
        epoch axis label (whole epochs only), the title and the legend; ``percent``: fractions drawn as %, as the
        terminal prints them."""
        from matplotlib.ticker import MaxNLocator

        epochs = np.arange(1, len(history[curves[0][0]]) + 1)
        for key, label_key in curves:
            values = 100 * np.asarray(history[key]) if percent else history[key]
            axis.plot(epochs, values, marker="o", label=self.label(label_key))
        if percent:
            axis.set_ylabel("%")
        if len(epochs) <= 12:
            axis.set_xticks(epochs)  # epoch 1, 2, 3 ...: never 0.975 or 2.5
        else:
            axis.xaxis.set_major_locator(MaxNLocator(integer=True))
        axis.set_xlabel(self.label("plot_epoch"))
        axis.set_title(self.label(title_key))
        axis.legend()

    def save(self, figure: Any, filename: str) -> Path:
        """Write ``figure`` as ``<out>/<walkthrough>_<filename>.png``, print the path and remember it."""
        self.out.mkdir(parents=True, exist_ok=True)
        path = self.out / f"{self.name}_{filename}.png"
        with self.fonts():
            figure.savefig(path, dpi=110)  # --quick too: its plots are read as closely as the full run's
        self.plots.append(path)
        self.print(f"    🖼  {self.t('plot_written')}: {path}")
        return path

    @contextlib.contextmanager
    def fonts(self) -> Iterator[None]:
        """Use the CJK font (when there is one) while drawing, without touching matplotlib's global settings.

        The font family is a list: a glyph the CJK font lacks (the minus sign U+2212, superscripts such as ⁻)
        is drawn from DejaVu Sans, matplotlib's own font, instead of an empty box and a warning.
        """
        if self.font is None:
            yield
            return
        import matplotlib

        with matplotlib.rc_context({"font.family": [self.font, "DejaVu Sans"]}):
            yield

    # ------------------------------------------------------------------------------------------------ misc

    def tensor(self, array: Any, requires_grad: bool = False) -> Tensor:
        """A Tensor of the NumPy ``array`` on the chosen device (``--device``); its dtype is kept."""
        return Tensor(backend.to_device(np.asarray(array), backend.current_device()), requires_grad=requires_grad)

    def epochs(self, full: int, quick: int) -> int:
        """The number of epochs (or steps) to run: ``--epochs`` when given, else ``quick`` or ``full``."""
        if self.args.epochs is not None:
            return max(1, int(self.args.epochs))
        return quick if self.quick else full

    @contextlib.contextmanager
    def timed(self) -> Iterator[dict[str, float]]:
        """``with n.timed() as clock: ...`` then ``clock["seconds"]``."""
        clock = {"seconds": 0.0}
        start = time.perf_counter()
        try:
            yield clock
        finally:
            clock["seconds"] = time.perf_counter() - start
