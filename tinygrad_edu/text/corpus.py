"""The corpus that ships with the package, and any text file the user owns.

``load_corpus("en")`` is the prose of the project's own documentation and walkthroughs (~150 K characters);
``load_corpus("zh")`` is the walkthroughs' Chinese, the glossary and sentences generated from its terms
(~170 K characters); ``"all"`` is both. How they are made: ``text/build_corpus.py``.
"""

from __future__ import annotations

from pathlib import Path

CORPUS_DIR = Path(__file__).parent / "corpus"
LANGUAGES = ("en", "zh")


def load_corpus(lang: str = "en") -> str:
    """The shipped corpus as one string: ``lang`` is ``"en"``, ``"zh"`` or ``"all"`` (English, then Chinese)."""
    if lang == "all":
        return "\n\n".join(load_corpus(code) for code in LANGUAGES)
    if lang not in LANGUAGES:
        raise ValueError(f"load_corpus: lang={lang!r} is not one of {LANGUAGES + ('all',)}")
    path = CORPUS_DIR / f"{lang}.txt"
    if not path.exists():
        raise FileNotFoundError(f"load_corpus: {path} is missing — reinstall the package, or rebuild it with "
                                "`python -m tinygrad_edu.text.build_corpus` from the repository root")
    return path.read_text(encoding="utf-8")


def read_text(path: str | Path) -> str:
    """A user's own text file (``--text FILE``), read as UTF-8 with a clear error when it is not."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as error:
        raise FileNotFoundError(f"--text {path}: no such file") from error
    except UnicodeDecodeError as error:
        raise ValueError(f"--text {path}: not UTF-8 text ({error.reason} at byte {error.start}); "
                         "convert it first, e.g. `iconv -f GBK -t UTF-8`") from error
    if not text.strip():
        raise ValueError(f"--text {path}: the file is empty")
    return text


def split_text(text: str, val_fraction: float = 0.1) -> tuple[str, str]:
    """Train / held-out split at a paragraph boundary near ``1 - val_fraction`` of the text (the tail is held out).

    A contiguous tail, not random lines: held-out text must not share sentences with the training text.
    """
    if not 0.0 < val_fraction < 1.0:
        raise ValueError(f"split_text: val_fraction={val_fraction} must be in (0, 1)")
    cut = int(len(text) * (1.0 - val_fraction))
    boundary = text.rfind("\n\n", 0, cut)
    cut = boundary + 2 if boundary > len(text) // 2 else cut
    return text[:cut], text[cut:]
