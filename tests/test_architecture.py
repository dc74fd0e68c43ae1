"""Dependencies point one way: every import in ``tinygrad_edu`` and ``kernels`` goes to the same layer or a lower one.

    backend < kernels < engine < nn, optim, data < train, models, distributed, text, explain, viz < demo, bench

The engine is autograd, tensor, ops, grad_mode, creation, gradcheck, hooks, anomaly, serialization and amp. The
package root ``tinygrad_edu/__init__.py`` re-exports the public API (it imports train, viz, ...), so it counts as
the train layer: ``import tinygrad_edu as tg`` is for train, models and above. Module-level and function-level
imports are both read (with ``ast``, nothing is imported): an import inside a function is still a dependency.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = "tinygrad_edu"
LAYERS: list[tuple[str, ...]] = [
    ("backend",),
    ("kernels",),
    ("autograd", "tensor", "ops", "grad_mode", "creation", "gradcheck", "hooks", "anomaly", "serialization", "amp"),
    ("nn", "optim", "data"),
    ("train", "models", "distributed", "text", "quantization", "explain", "viz", ""),  # "": the package root
    ("demo", "bench"),
]
LAYER_NAMES = ["backend", "kernels", "engine", "nn/optim/data", "train/models/...", "demo/bench"]
LAYER_OF = {part: index for index, parts in enumerate(LAYERS) for part in parts}


def source_files() -> dict[str, Path]:
    """Dotted module name → file, for the package and for the top-level ``kernels/`` (installed as
    ``tinygrad_edu.kernels``; in a checkout ``tinygrad_edu/kernels`` may be a link to it, skipped here)."""
    modules: dict[str, Path] = {}
    for base, prefix in ((ROOT / PACKAGE, PACKAGE), (ROOT / "kernels", f"{PACKAGE}.kernels")):
        for path in sorted(base.rglob("*.py")):
            relative = path.relative_to(base)
            if prefix == PACKAGE and relative.parts[0] == "kernels":
                continue
            parts = [*relative.with_suffix("").parts]
            if parts[-1] == "__init__":
                parts.pop()
            modules[".".join([prefix, *parts])] = path
    return modules


def layer(module: str) -> int:
    """The layer of a dotted name inside the package: decided by its first component below ``tinygrad_edu``."""
    parts = module.split(".")
    return LAYER_OF[parts[1] if len(parts) > 1 and parts[1] in LAYER_OF else ""]


def imported_modules(module: str, path: Path, known: set[str]) -> list[tuple[int, str]]:
    """(line, dotted name) of every import of the package in ``path``, relative imports resolved; ``from X import
    y`` counts as X.y when that is a module (``from .. import nn``), else as X."""
    is_package = path.name == "__init__.py"
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")[: len(module.split(".")) - node.level + (1 if is_package else 0)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            names = [f"{target}.{alias.name}" for alias in node.names]
            found += [(node.lineno, name if name in known else target) for name in names]
    return [(line, name) for line, name in found if name == PACKAGE or name.startswith(PACKAGE + ".")]


def upward_imports() -> list[str]:
    modules = source_files()
    known = set(modules)
    problems = []
    for module, path in modules.items():
        own = layer(module)
        for line, target in imported_modules(module, path, known):
            if layer(target) > own:
                problems.append(f"{path.relative_to(ROOT)}:{line} ({LAYER_NAMES[own]}) imports {target} "
                                f"({LAYER_NAMES[layer(target)]})")
    return sorted(set(problems))


def test_the_walk_sees_every_layer_and_resolves_relative_imports():
    modules = source_files()
    assert {layer(name) for name in modules} == set(range(len(LAYERS)))
    assert f"{PACKAGE}.kernels.dispatch" in modules and f"{PACKAGE}.nn.linear" in modules
    nn_linear = imported_modules(f"{PACKAGE}.nn.linear", modules[f"{PACKAGE}.nn.linear"], set(modules))
    assert f"{PACKAGE}.ops" in {name for _, name in nn_linear}  # ``from .. import ops``


def test_an_upward_import_is_caught(tmp_path, monkeypatch):
    """The checker itself fails on an upward import hidden inside a function."""
    package = tmp_path / PACKAGE
    (package / "ops").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "ops" / "__init__.py").write_text("")
    (package / "ops" / "bad.py").write_text("def f():\n    from ..nn import linear\n")
    (tmp_path / "kernels").mkdir()
    monkeypatch.setattr(__import__(__name__, fromlist=["ROOT"]), "ROOT", tmp_path)
    assert upward_imports() == [f"{Path(PACKAGE, 'ops', 'bad.py')}:2 (engine) imports {PACKAGE}.nn (nn/optim/data)"]


def test_no_module_imports_from_a_layer_above_it():
    problems = upward_imports()
    if problems:
        pytest.fail("imports against the layering (docs/architecture.md):\n" + "\n".join(problems))
