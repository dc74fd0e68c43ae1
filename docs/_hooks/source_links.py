"""mkdocs hook: make the docs' links to the project's own files work on the built site.

The pages link to source files the way a code host shows them, relative to the page: ``../tinygrad_edu/tensor.py``,
``../tests/nn/test_conv.py``, ``../notebooks/03_losses.ipynb``. Those files lie outside ``docs/``, so mkdocs would
report every such link as broken. This hook adds each linked file to the site — a Python file as a page showing its
source, a notebook as a page rendered with its saved outputs (by the mkdocs-jupyter plugin, at notebooks/NN_name/),
anything else as a copy to download — and rewrites the links to point there. A link to a folder
goes to its ``__init__.py``. A link to a file that does not exist is left alone, so ``mkdocs build --strict`` still
fails on it.
"""

from __future__ import annotations

import posixpath
import re
from pathlib import Path

from mkdocs.plugins import event_priority
from mkdocs.structure.files import File, Files, InclusionLevel

SOURCE_PREFIX = "source"
LINK = re.compile(r"\]\((\.\./[^)\s#]*)(#[^)\s]*)?\)")

_targets: dict[str, str] = {}  # repository path → uri of the file on the site


def _repository_path(page_uri: str, link: str, docs_dir: Path, root: Path) -> str | None:
    """The linked file as a path relative to the repository root, or None when it is not a file outside docs/."""
    target = (docs_dir / posixpath.dirname(page_uri) / link).resolve()
    if target.is_dir() and (target / "__init__.py").is_file():
        target = target / "__init__.py"
    if not target.is_file():
        return None
    try:
        target.relative_to(docs_dir)
        return None  # inside docs/: mkdocs handles it
    except ValueError:
        pass
    try:
        return target.relative_to(root).as_posix()
    except ValueError:
        return None


def _source_page(path: Path, repository_path: str) -> str:
    text = path.read_text(encoding="utf-8")
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    language = "python" if path.suffix == ".py" else ""
    return f"# `{repository_path}`\n\n{fence}{language}\n{text}\n{fence}\n"


@event_priority(100)  # before mkdocs-jupyter's on_files, which turns the added notebooks into pages
def on_files(files: Files, config) -> Files:
    docs_dir = Path(config["docs_dir"]).resolve()
    root = Path(config["config_file_path"]).resolve().parent
    _targets.clear()
    for page in list(files.documentation_pages()):
        markdown = Path(page.abs_src_path).read_text(encoding="utf-8")
        for link, _anchor in LINK.findall(markdown):
            repository_path = _repository_path(page.src_uri, link, docs_dir, root)
            if repository_path is None or repository_path in _targets:
                continue
            absolute = root / repository_path
            if absolute.suffix == ".py":
                uri = f"{SOURCE_PREFIX}/{repository_path}.md"
                files.append(File.generated(config, uri, content=_source_page(absolute, repository_path),
                                            inclusion=InclusionLevel.NOT_IN_NAV))
            elif absolute.suffix == ".ipynb":
                uri = _add_notebook(files, config, root, repository_path)
            else:
                uri = f"{SOURCE_PREFIX}/{repository_path}"
                files.append(File.generated(config, uri, abs_src_path=str(absolute)))
            _targets[repository_path] = uri
    for notebook in sorted((root / "notebooks").glob("*.ipynb")):  # every notebook is a page (mkdocs.yml's nav)
        repository_path = notebook.relative_to(root).as_posix()
        if repository_path not in _targets:
            _targets[repository_path] = _add_notebook(files, config, root, repository_path)
    return files


def _add_notebook(files: Files, config, root: Path, repository_path: str) -> str:
    """Add the notebook as the file of the repository it is, at its own path: mkdocs-jupyter renders it."""
    files.append(File(repository_path, src_dir=str(root), dest_dir=config["site_dir"],
                      use_directory_urls=config["use_directory_urls"]))
    return repository_path


def on_page_markdown(markdown: str, page, config, files) -> str:
    docs_dir = Path(config["docs_dir"]).resolve()
    root = Path(config["config_file_path"]).resolve().parent
    page_dir = posixpath.dirname(page.file.src_uri)

    def rewrite(match: re.Match) -> str:
        link, anchor = match.group(1), match.group(2) or ""
        repository_path = _repository_path(page.file.src_uri, link, docs_dir, root)
        if repository_path not in _targets:
            return match.group(0)
        return f"]({posixpath.relpath(_targets[repository_path], page_dir or '.')}{anchor})"

    return LINK.sub(rewrite, markdown)
