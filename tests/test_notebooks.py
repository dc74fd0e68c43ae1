"""The teaching notebooks: each runs top to bottom without an error and draws at least one figure.

The slow tests execute every notebook with nbclient in a fresh ``python3`` kernel, on a temporary copy of
``notebooks/`` (so nothing in the working tree changes), and run each exercise-solution script. The fast tests check
what is committed: outputs saved (so the notebooks read well on a code host), figures among them, no error output, an
exercise section with its solution file and a modest size for the ten of the course (``NAMES``). Notebooks added
beside them are executed and checked too.

To refresh the committed outputs after changing a notebook or the library:

    python tests/test_notebooks.py                    # all of them, in place
    python tests/test_notebooks.py 03_losses          # some of them
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
NAMES = [
    "01_autodiff_from_scratch", "02_mlp_and_backprop", "03_losses", "04_optimizers", "05_regularization",
    "06_cnn_im2col", "07_rnn_lstm", "08_attention_transformer", "09_gradient_checking", "10_gpu_backend",
]
ALL = sorted(path.stem for path in NOTEBOOKS.glob("*.ipynb"))
KERNEL = "python3"
# Cells run before a notebook in the test only, to shorten one long experiment: the test checks that every cell
# runs and draws; the numbers of the full run are the committed outputs (checked by the fast tests above).
SHORTER_IN_TESTS = {
    "13_pretraining_finetuning_bert": (  # section 5 pre-trains for 1,600 steps (about 90 of the notebook's 100 s)
        "import dataclasses\n"
        "import tinygrad_edu.models.bert_pretraining as _experiment\n"
        "_full_run = _experiment.pretraining_experiment\n"
        "_experiment.pretraining_experiment = lambda config=None, *args, **kwargs: _full_run(\n"
        "    dataclasses.replace(config or _experiment.ExperimentConfig(), pretrain_steps=100), *args, **kwargs)"
    ),
    "12_gpt_from_the_ground_up": (  # section 4 trains the GPT for 25 s of wall time
        "import tinygrad_edu.models as _models\n"
        "_full_run = _models.train_lm\n"
        "_models.train_lm = lambda *args, seconds=None, **kwargs: _full_run(*args, seconds=3, **kwargs)"
    ),
    "15_making_models_small": (  # the teacher trains 4 epochs, the students 15: one each in the test
        "from tinygrad_edu.train import compress_mnist as _lab\n"
        "_full_run = _lab.train\n"
        "_lab.train = lambda model, x, y, epochs=1, **kwargs: _full_run(model, x, y, epochs=1, **kwargs)"
    ),
}
CELL_TIMEOUT_S = 600
MAX_KILOBYTES = 400


def _outputs(notebook: dict) -> list[dict]:
    return [output for cell in notebook["cells"] if cell["cell_type"] == "code" for output in cell.get("outputs", [])]


def _figures(notebook: dict) -> int:
    return sum("image/png" in output.get("data", {}) for output in _outputs(notebook))


def execute(path: Path, workdir: Path, first_cell: str | None = None) -> tuple[object, float]:
    """Run the notebook at ``path`` in a fresh kernel with ``workdir`` as its working directory (after
    ``first_cell``, when given); return the executed notebook and the seconds it took. Raises nbclient's
    CellExecutionError at the first failing cell."""
    import nbclient
    import nbformat

    notebook = nbformat.read(path, as_version=4)
    if first_cell is not None:
        notebook.cells.insert(0, nbformat.v4.new_code_cell(first_cell))
    client = nbclient.NotebookClient(notebook, timeout=CELL_TIMEOUT_S, kernel_name=KERNEL, record_timing=False,
                                     resources={"metadata": {"path": str(workdir)}})
    start = time.perf_counter()
    client.execute()
    return notebook, time.perf_counter() - start


def _require_jupyter() -> None:
    pytest.importorskip("nbclient", reason="nbclient is not installed: notebooks not executed "
                                           "(python -m pip install -e '.[dev]')")
    pytest.importorskip("nbformat", reason="nbformat is not installed: notebooks not executed")
    pytest.importorskip("ipykernel", reason="ipykernel is not installed: notebooks not executed")
    from jupyter_client.kernelspec import find_kernel_specs

    if KERNEL not in find_kernel_specs():
        pytest.skip(f"no '{KERNEL}' Jupyter kernelspec: notebooks not executed "
                    "(python -m ipykernel install --user)")


@pytest.fixture(scope="module")
def notebook_copy(tmp_path_factory) -> Path:
    """A copy of notebooks/ (with solutions/) that the executions may write into."""
    copy = tmp_path_factory.mktemp("notebooks") / "notebooks"
    shutil.copytree(NOTEBOOKS, copy, ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    return copy


# ------------------------------------------------------------------------------------------ fast: what is committed


def test_the_ten_notebooks_are_there():
    assert set(NAMES) <= set(ALL), f"missing: {sorted(set(NAMES) - set(ALL))}"


@pytest.mark.parametrize("name", ALL)
def test_committed_notebook_was_run_and_has_a_figure(name):
    notebook = json.loads((NOTEBOOKS / f"{name}.ipynb").read_text(encoding="utf-8"))
    code_cells = [cell for cell in notebook["cells"] if cell["cell_type"] == "code"]
    assert all(cell.get("execution_count") for cell in code_cells), f"{name}: committed without running every cell"
    errors = [output for output in _outputs(notebook) if output["output_type"] == "error"]
    assert not errors, f"{name}: committed with an error output: {errors[0].get('ename')}"
    assert _figures(notebook) >= 1, f"{name}: no figure among the committed outputs"
    assert notebook["metadata"]["kernelspec"]["name"] == KERNEL


@pytest.mark.parametrize("name", NAMES)
def test_course_notebook_has_exercises_solutions_and_a_modest_size(name):
    path = NOTEBOOKS / f"{name}.ipynb"
    notebook = json.loads(path.read_text(encoding="utf-8"))
    markdown = "\n".join("".join(cell["source"]) for cell in notebook["cells"] if cell["cell_type"] == "markdown")
    assert "## Exercises" in markdown, f"{name}: no '## Exercises' section"
    assert f"solutions/{name}.py" in markdown and (NOTEBOOKS / "solutions" / f"{name}.py").is_file()
    kilobytes = path.stat().st_size / 1024
    assert kilobytes < MAX_KILOBYTES, f"{name}: {kilobytes:.0f} KB; keep figures small (dpi 72)"


# ---------------------------------------------------------------------------------------- slow: run them all again


@pytest.mark.slow
@pytest.mark.parametrize("name", ALL)
def test_notebook_runs_top_to_bottom_and_draws_a_figure(name, notebook_copy):
    _require_jupyter()
    executed, seconds = execute(notebook_copy / f"{name}.ipynb", notebook_copy, SHORTER_IN_TESTS.get(name))
    print(f"{name}: executed in {seconds:.1f} s")
    assert _figures(executed) >= 1, f"{name} drew no figure"
    assert not [o for o in _outputs(executed) if o["output_type"] == "error"]


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_exercise_solutions_run(name, notebook_copy):
    script = notebook_copy / "solutions" / f"{name}.py"
    environment = dict(os.environ, MPLBACKEND="Agg")
    result = subprocess.run([sys.executable, str(script)], cwd=notebook_copy, env=environment, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, f"{script.name} failed:\n{result.stdout[-2000:]}\n{result.stderr[-3000:]}"


# ------------------------------------------------------------------------------------- refresh the committed outputs


def main(names: list[str]) -> None:
    import nbformat

    for name in names or ALL:
        path = NOTEBOOKS / f"{name.removesuffix('.ipynb')}.ipynb"
        executed, seconds = execute(path, NOTEBOOKS)
        nbformat.write(executed, path)
        print(f"{path.name}: {seconds:.1f} s, {_figures(executed)} figures, {path.stat().st_size / 1024:.0f} KB")


if __name__ == "__main__":
    main(sys.argv[1:])
