"""Write ``docs/ops-reference.md``, the ops reference page, from the docstrings — a dev tool.

Run from the repository root: ``python tools/build_ops_reference.py`` (``--check`` exits 1 when the page is out
of date instead of writing it; ``--output PATH`` writes elsewhere). The page has two parts:

1. **Operations**: every ``Function`` of ``tinygrad_edu/ops/``, grouped by the module that defines it (one family
   per module: elementwise math, reductions, shape, …), with its docstring — the formula, the shapes and the
   gradient, as the code states them.
2. **Public API**: every ``tg.`` function, ``Tensor`` method, ``nn.functional`` function and ``nn`` module, with
   its signature and the first line of its docstring, grouped by the module that defines it.

The page is generated and committed; ``tests/test_ops_reference.py`` checks it is up to date.
"""

from __future__ import annotations

import argparse
import inspect
import re
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "ops-reference.md"

HEADER = """# Ops reference

Every operation of the engine with its formula, shapes and gradient, and every public function, method and layer
with its signature. Generated from the docstrings by `tools/build_ops_reference.py` — edit the docstrings, then
run `python tools/build_ops_reference.py`; a test fails when this page is out of date.

- [Operations](#operations): the `Function` classes, one per operation (forward and backward).
- [Public API](#public-api): `tg.` functions, `Tensor` methods, `nn.functional`, `nn` layers.
"""


def _first_paragraph(doc: str | None) -> str:
    if not doc:
        return ""
    paragraph = inspect.cleandoc(doc).split("\n\n")[0]
    return " ".join(line.strip() for line in paragraph.splitlines())


def _escape(text: str) -> str:
    """Markdown-safe prose: ``*``, ``_``, ``<`` and ``|`` escaped outside code spans."""
    parts = re.split(r"(``?[^`]+``?)", text)
    return "".join(part if part.startswith("`") else re.sub(r"([*_<|\[\]])", r"\\\1", part) for part in parts)


def _signature(obj: Any, method: bool = False) -> str:
    """``(a, b=1) -> T`` as the user calls it: a method without its first parameter (self), a class without
    ``-> None``."""
    try:
        signature = inspect.signature(obj)
    except (TypeError, ValueError):
        return "(...)"
    if method and signature.parameters:
        signature = signature.replace(parameters=list(signature.parameters.values())[1:])
    if inspect.isclass(obj):
        signature = signature.replace(return_annotation=inspect.Signature.empty)
    text = str(signature)
    text = re.sub(r" at 0x[0-9a-f]+", "", text)
    text = re.sub(r"<class '([\w.]+)'>", r"\1", text)
    return text


def _module_title(name: str) -> str:
    doc = sys.modules[name].__doc__ or ""
    return _first_paragraph(doc).split(". ")[0].rstrip(".")


def operations() -> list[str]:
    import tinygrad_edu  # noqa: F401 (loads every op module, tensor_methods included)
    from tinygrad_edu.autograd import Function

    by_module: dict[str, list[type]] = {}
    for name, module in sorted(sys.modules.items()):
        if not name.startswith("tinygrad_edu.ops.") or module is None:
            continue
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, Function) and cls.__module__ == name and not cls.__name__.startswith("_"):
                by_module.setdefault(name, []).append(cls)
    lines = ["## Operations", ""]
    for name, classes in by_module.items():
        lines += [f"### {name.removeprefix('tinygrad_edu.')}", "", _escape(_module_title(name)) + ".", ""]
        for cls in sorted(classes, key=lambda c: c.__name__):
            doc = inspect.cleandoc(cls.__doc__ or "(no docstring)")
            second_order = " · second derivatives (create\\_graph)" if getattr(cls, "differentiable_backward",
                                                                                False) else ""
            lines += [f"#### {cls.__name__}", "", f"*`{name}.{cls.__name__}`{second_order}*", "", "```text", doc,
                      "```", ""]
    return lines


def _entries(owner: Any, prefix: str, predicate: Any) -> dict[str, list[tuple[str, Any]]]:
    """Public members of ``owner`` passing ``predicate``, grouped by the module that defines them."""
    grouped: dict[str, list[tuple[str, Any]]] = {}
    for name in sorted(dir(owner)):
        if name.startswith("_"):
            continue
        obj = inspect.getattr_static(owner, name) if isinstance(owner, type) else getattr(owner, name)
        obj = obj.fget if isinstance(obj, property) else obj
        obj = obj.__func__ if isinstance(obj, classmethod | staticmethod) else obj
        if not predicate(obj):
            continue
        module = getattr(obj, "__module__", None) or "?"
        grouped.setdefault(module, []).append((f"{prefix}{name}", obj))
    return grouped


def public_api() -> list[str]:
    import tinygrad_edu as tg
    from tinygrad_edu import nn
    from tinygrad_edu.nn import functional

    sections = [
        ("`tg.` functions", _entries(tg, "tg.", lambda o: inspect.isfunction(o) and o.__module__.startswith(
            "tinygrad_edu"))),
        ("`Tensor` methods", _entries(tg.Tensor, "Tensor.", inspect.isfunction)),
        ("`nn.functional` functions", _entries(functional, "F.", lambda o: inspect.isfunction(o)
                                               and o.__module__.startswith("tinygrad_edu"))),
        ("`nn` layers", _entries(nn, "nn.", lambda o: inspect.isclass(o) and issubclass(o, nn.Module))),
    ]
    lines = ["## Public API", ""]
    for title, grouped in sections:
        lines += [f"### {title}", ""]
        for module in sorted(grouped):
            lines += [f"**{module}**", ""]
            for name, obj in grouped[module]:
                summary = _escape(_first_paragraph(obj.__doc__)) or "—"
                lines.append(f"- `{name}{_signature(obj, method=name.startswith('Tensor.'))}` — {summary}")
            lines.append("")
    return lines


def build() -> str:
    return "\n".join([HEADER, *operations(), *public_api()]).rstrip() + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=PAGE, help="where to write the page (default: %(default)s)")
    parser.add_argument("--check", action="store_true", help="exit 1 if the page differs from the docstrings")
    args = parser.parse_args(argv)
    text = build()
    if args.check:
        current = args.output.read_text(encoding="utf-8") if args.output.exists() else ""
        if current != text:
            print(f"{args.output} is out of date: run python tools/build_ops_reference.py", file=sys.stderr)
            return 1
        return 0
    args.output.write_text(text, encoding="utf-8")
    print(f"wrote {args.output} ({text.count(chr(10))} lines)")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    raise SystemExit(main())
