"""The formula concordance (docs/formulas.md) and the glossary (docs/glossary.md) cannot rot.

Every entry of the concordance names, as markdown links with the name in backticks, the code that computes the formula
(``module.qualname``), the test that checks it (``tests/path.py::test_name``) and the notebook that teaches it
(``NN_name``). The checker below imports every symbol, finds every test function in its file (by parsing it, without
running it) and every notebook, and checks that each link points at the file that holds the thing it names. A test
with a deliberately broken entry shows that the checker fails when something is missing.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import re
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
FORMULAS = DOCS / "formulas.md"
GLOSSARY = DOCS / "glossary.md"
NOTEBOOKS = ROOT / "notebooks"

LINKED_NAME = re.compile(r"\[`([^`]+)`\]\(([^)\s]+)\)")
FIELD_LINE = re.compile(r"^- (Code|Test|Notebook):(.*)$")
API_NAME = re.compile(r"`(tinygrad_edu(?:\.\w+)+)`")
FIELDS = ("Code", "Test", "Notebook")


@dataclass
class Entry:
    title: str
    text: str
    links: dict[str, list[tuple[str, str]]] = field(default_factory=dict)


def parse_entries(markdown: str) -> list[Entry]:
    """One entry per ``### `` heading, with the (name, target) links of its Code, Test and Notebook lines."""
    entries: list[Entry] = []
    for line in markdown.splitlines():
        if line.startswith("### "):
            entries.append(Entry(line[4:].strip(), ""))
        elif line.startswith("## ") or line.startswith("# "):
            continue
        elif entries:
            entries[-1].text += line + "\n"
            match = FIELD_LINE.match(line)
            if match:
                entries[-1].links.setdefault(match.group(1), []).extend(LINKED_NAME.findall(match.group(2)))
    return entries


def resolve_symbol(dotted: str) -> object:
    """Import the longest importable module prefix of ``dotted`` and get the rest as attributes."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for attribute in parts[cut:]:
            if not hasattr(obj, attribute):
                raise LookupError(f"{'.'.join(parts[:cut])} has no attribute path {'.'.join(parts[cut:])!r}")
            obj = getattr(obj, attribute)
        return obj
    raise LookupError(f"no module of {dotted!r} can be imported")


def defined_test_names(path: Path) -> set[str]:
    """``test_x`` for module-level test functions and ``Class::test_x`` for test methods, found by parsing."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith("test"):
            names.add(node.name)
        elif isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef) and item.name.startswith("test"):
                    names.add(f"{node.name}::{item.name}")
    return names


def _linked_file(target: str, docs_dir: Path) -> Path:
    return (docs_dir / target.split("#")[0]).resolve()


def _source_file(obj: object) -> Path | None:
    try:
        source = inspect.getsourcefile(inspect.unwrap(obj))
    except TypeError:  # a constant or an instance: no file to compare the link with
        return None
    return Path(source).resolve() if source else None


def check_concordance(markdown: str, docs_dir: Path = DOCS, root: Path = ROOT) -> list[str]:
    """Every problem of the concordance, one line each (an empty list when all is well)."""
    entries = parse_entries(markdown)
    if not entries:
        return ["no entries (### headings) found"]
    problems = []
    for entry in entries:
        where = f"entry {entry.title!r}"
        for name in FIELDS:
            if not entry.links.get(name):
                problems.append(f"{where}: no '- {name}:' line with a [`name`](link)")
        if "**As the articles write it.**" not in entry.text and "**Formula.**" not in entry.text:
            problems.append(f"{where}: neither '**As the articles write it.**' nor '**Formula.**'")
        if "**Correct form.**" in entry.text:
            for needed in ("**Why.**", "**Reference.**"):
                if needed not in entry.text:
                    problems.append(f"{where}: has a correct form but no {needed}")
        for symbol, target in entry.links.get("Code", []):
            try:
                obj = resolve_symbol(symbol)
            except LookupError as error:
                problems.append(f"{where}: code {symbol!r} does not exist ({error})")
                continue
            linked, source = _linked_file(target, docs_dir), _source_file(obj)
            if not linked.is_file():
                problems.append(f"{where}: the link of {symbol!r} goes to {target}, which does not exist")
            elif source is not None and source != linked:
                problems.append(f"{where}: {symbol!r} is defined in {source.relative_to(root)}, but links to {target}")
        for test, target in entry.links.get("Test", []):
            path, _, name = test.partition("::")
            test_file = root / path
            if not name or not test_file.is_file():
                problems.append(f"{where}: test {test!r}: the file {path} does not exist (or no '::test_name')")
                continue
            if name not in defined_test_names(test_file):
                problems.append(f"{where}: test {test!r}: {path} defines no test {name!r}")
            if _linked_file(target, docs_dir) != test_file.resolve():
                problems.append(f"{where}: the link of test {test!r} goes to {target}, not to {path}")
        for notebook, target in entry.links.get("Notebook", []):
            notebook_file = root / "notebooks" / f"{notebook}.ipynb"
            if not notebook_file.is_file():
                problems.append(f"{where}: notebook {notebook!r} does not exist (notebooks/{notebook}.ipynb)")
            elif _linked_file(target, docs_dir) != notebook_file.resolve():
                problems.append(f"{where}: the link of notebook {notebook!r} goes to {target}")
    return problems


def check_api_names(markdown: str) -> list[str]:
    """Every `tinygrad_edu.…` name in backticks must import."""
    problems = []
    for name in sorted(set(API_NAME.findall(markdown))):
        try:
            resolve_symbol(name)
        except LookupError as error:
            problems.append(f"{name}: {error}")
    return problems


# ------------------------------------------------------------------------------------------------------ tests


def test_every_entry_names_existing_code_tests_and_notebooks():
    problems = check_concordance(FORMULAS.read_text(encoding="utf-8"))
    assert not problems, "docs/formulas.md:\n" + "\n".join(problems)


def test_the_concordance_covers_the_articles_formulas_and_their_errata():
    entries = {entry.title: entry for entry in parse_entries(FORMULAS.read_text(encoding="utf-8"))}
    titles = " | ".join(entries)
    required = ["Neuron", "Activation", "Mean squared error", "Cross-entropy", "Softmax", "Output-layer delta",
                "Hidden-layer delta", "Weight gradient", "Gradient descent update", "stochastic gradient descent",
                "Momentum", "AdaGrad", "RMSprop", "Adam", "AdamW", "Learning-rate decay", "L1", "L2", "Dropout",
                "DropConnect", "Early stopping", "Data augmentation", "Convolution", "Pooling", "CNN listing",
                "Recurrent neural network", "Backpropagation through time", "LSTM", "Scaled dot-product attention",
                "Multi-head attention", "Positional encoding", "Transformer encoder layer"]
    missing = [name for name in required if name.lower() not in titles.lower()]
    assert not missing, f"no entry for: {missing}"
    errata = ["Adam", "Output-layer delta", "Mean squared error", "Convolution", "Positional encoding",
              "Transformer encoder layer", "Weight gradient", "Pooling", "DropConnect", "AdamW"]
    for name in errata:
        entry = next(e for title, e in entries.items() if name.lower() in title.lower())
        assert "**Correct form.**" in entry.text, f"the entry {entry.title!r} gives no correct form"


def test_every_notebook_teaches_some_entry():
    named = {name for entry in parse_entries(FORMULAS.read_text(encoding="utf-8"))
             for name, _ in entry.links.get("Notebook", [])}
    notebooks = {path.stem for path in NOTEBOOKS.glob("*.ipynb")}
    assert len(notebooks) >= 10, sorted(notebooks)
    assert notebooks <= named, f"notebooks no entry points to: {sorted(notebooks - named)}"


BROKEN_ENTRIES = "\n".join([
    "### G01 A good entry",
    "**As the articles write it.** θ ← θ − α∇J.",
    "- Code: [`tinygrad_edu.optim.sgd.SGD`](../tinygrad_edu/optim/sgd.py)",
    "- Test: [`tests/optim/test_update_rules.py::test_sgd_momentum_by_hand`](../tests/optim/test_update_rules.py)",
    "- Notebook: [`04_optimizers`](../notebooks/04_optimizers.ipynb)",
    "### G02 A broken entry",
    "**As the articles write it.** Something.",
    "**Correct form.** Something else.",
    "- Code: [`tinygrad_edu.optim.NoSuchOptimizer`](../tinygrad_edu/optim/adam.py), "
    "[`tinygrad_edu.optim.adam.Adam`](../tinygrad_edu/optim/sgd.py)",
    "- Test: [`tests/optim/test_update_rules.py::test_that_was_never_written`](../tests/optim/test_update_rules.py), "
    "[`tests/no_such_file.py::test_x`](../tests/no_such_file.py)",
    "- Notebook: [`99_missing_notebook`](../notebooks/99_missing_notebook.ipynb)",
    "### G03 An entry without links",
    "**Formula.** x.",
])


def test_a_deliberately_broken_entry_is_caught():
    problems = check_concordance(BROKEN_ENTRIES)
    text = "\n".join(problems)
    assert not [p for p in problems if "G01" in p], text  # the good entry passes
    expected = [
        "code 'tinygrad_edu.optim.NoSuchOptimizer' does not exist",
        "'tinygrad_edu.optim.adam.Adam' is defined in tinygrad_edu/optim/adam.py, but links to "
        "../tinygrad_edu/optim/sgd.py",
        "defines no test 'test_that_was_never_written'",
        "the file tests/no_such_file.py does not exist",
        "notebook '99_missing_notebook' does not exist",
        "has a correct form but no **Why.**",
        "has a correct form but no **Reference.**",
        "entry 'G03 An entry without links': no '- Code:' line",
        "entry 'G03 An entry without links': no '- Test:' line",
        "entry 'G03 An entry without links': no '- Notebook:' line",
    ]
    for message in expected:
        assert any(message in p for p in problems), f"missing problem {message!r} in:\n{text}"
    assert len(problems) == len(expected), text


def test_glossary_api_names_exist_and_the_articles_terms_are_there():
    markdown = GLOSSARY.read_text(encoding="utf-8")
    problems = check_api_names(markdown)
    assert not problems, "docs/glossary.md:\n" + "\n".join(problems)
    assert len(set(API_NAME.findall(markdown))) > 80
    terms = ["神经网络", "深度学习", "前向传播", "反向传播", "损失函数", "均方误差", "交叉熵", "梯度下降",
             "随机梯度下降", "动量", "学习率衰减", "正则化", "过拟合", "泛化能力", "卷积", "池化", "全连接层",
             "递归神经网络", "长短期记忆", "自注意力", "多头注意力", "位置编码"]
    assert not [term for term in terms if term not in markdown], "terms missing from the glossary"


def test_a_broken_api_name_in_the_glossary_is_caught():
    problems = check_api_names("| 层 | layer | `tinygrad_edu.nn.NoSuchLayer`, `tinygrad_edu.nn.Linear` | |")
    assert len(problems) == 1 and problems[0].startswith("tinygrad_edu.nn.NoSuchLayer"), problems
