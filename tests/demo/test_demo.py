"""The walkthroughs run end to end (``--quick``) in English and Chinese, write the plots they announce, show only
code that exists in their source, and fail in the documented way when data or hardware is missing."""

from __future__ import annotations

import importlib
import re
import string
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

from tinygrad_edu import backend
from tinygrad_edu.demo import DEFAULT_TOUR, WALKTHROUGHS, main
from tinygrad_edu.demo.strings import EN, TABLES, ZH

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# gpu needs CuPy and a CUDA device; distributed starts mpiexec children (tens of seconds): its own slow test below
TRAINING = [name for name in WALKTHROUGHS if name not in ("gpu", "distributed")]


def placeholders(text: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(text) if field}


def written_plots(output: str) -> list[Path]:
    """The plot paths a run announced (the closing screen repeats them; each is counted once)."""
    return list(dict.fromkeys(Path(p) for p in re.findall(r"🖼  [^:]+: (\S+\.png)", output)))


def check_plots(output: str, out: Path, name: str) -> None:
    announced = written_plots(output)
    assert announced, f"{name} announced no plot"
    on_disk = sorted(out.glob(f"{name}_*.png"))
    assert sorted(announced) == on_disk
    for path in on_disk:
        with open(path, "rb") as file:
            assert file.read(8) == PNG_SIGNATURE, f"{path} is not a PNG file"
        assert path.stat().st_size > 5000, f"{path} looks empty"


def test_tables_have_the_same_keys_in_the_same_order():
    assert list(EN) == list(ZH)


def test_translations_keep_the_placeholders():
    different = {key: (placeholders(EN[key]), placeholders(ZH[key])) for key in EN
                 if placeholders(EN[key]) != placeholders(ZH[key])}
    assert not different


def test_each_walkthrough_keeps_its_own_sentences_beside_its_code():
    """Every key outside strings.py's shared ones is registered by the walkthrough it names, in its module's TEXT."""
    registered: list[str] = []
    for name in WALKTHROUGHS:
        text = importlib.import_module(f"tinygrad_edu.demo.{name}").TEXT
        assert f"summary.{name}" in text
        assert all(key == f"summary.{name}" or key.startswith(f"{name}.") for key in text), name
        assert all(EN[key] == en and ZH[key] == zh for key, (en, zh) in text.items())
        registered += text
    shared = [key for key in EN if key not in registered]
    assert shared and all("." not in key for key in shared)  # strings.py keeps only the common keys


def test_every_walkthrough_has_a_summary_in_every_language():
    for table in TABLES.values():
        for name in WALKTHROUGHS:
            assert table[f"summary.{name}"].strip()


@pytest.mark.slow
@pytest.mark.parametrize("name", TRAINING)
def test_walkthrough_runs_quick_and_writes_its_plots(name, tmp_path, capsys):
    assert main([name, "--quick", "--out", str(tmp_path)]) == 0
    output = capsys.readouterr().out
    check_plots(output, tmp_path, name)
    # every line of code shown under "code" is a line of the walkthrough's own source (no invented code)
    source = " ".join(Path(importlib.import_module(f"tinygrad_edu.demo.{name}").__file__).read_text().split())
    shown = re.findall(r"^    code\s{2,}(.+)$", output, flags=re.MULTILINE)
    assert shown
    for line in shown:
        assert " ".join(line.split()) in source, f"{name} shows code that is not in its source: {line}"


@pytest.mark.slow
@pytest.mark.parametrize("name", TRAINING)
def test_walkthrough_narrates_in_chinese(name, tmp_path, capsys):
    # one epoch is enough to check the narration (the English test above runs the --quick training)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert main([name, "--quick", "--epochs", "1", "--lang", "zh", "--out", str(tmp_path)]) == 0
    glyphs = [str(w.message) for w in caught if "Glyph" in str(w.message)]
    assert not glyphs, f"{name}: characters the plot font cannot draw: {glyphs[:3]}"
    output = capsys.readouterr().out
    assert ZH[f"{name}.title"] in output
    assert "公式" in output and "代码" in output and "数值" in output
    assert EN[f"{name}.title"] not in output
    check_plots(output, tmp_path, name)


def test_list_names_every_walkthrough(capsys):
    assert main(["--list"]) == 0
    output = capsys.readouterr().out
    for name in WALKTHROUGHS:
        assert name in output


def test_unknown_name_is_a_usage_error(capsys):
    assert main(["nope", "--quick"]) == 2
    assert "nope" in capsys.readouterr().err


def test_epochs_must_be_positive(capsys):
    assert main(["backprop", "--epochs", "0"]) == 2


@pytest.mark.slow
def test_seed_makes_a_run_repeatable(tmp_path, capsys):
    main(["backprop", "--quick", "--seed", "3", "--out", str(tmp_path)])
    first = capsys.readouterr().out
    main(["backprop", "--quick", "--seed", "3", "--out", str(tmp_path)])
    second = capsys.readouterr().out
    numbers = re.compile(r"\d+\.\d+ s$", flags=re.MULTILINE)  # the closing screen's timings differ
    assert numbers.sub("", first) == numbers.sub("", second)


@pytest.mark.skipif(backend.gpu_available(), reason="a GPU is present: the missing-GPU messages cannot be checked")
def test_cuda_device_without_gpu_says_what_is_missing(tmp_path, capsys):
    assert main(["backprop", "--quick", "--device", "cuda", "--out", str(tmp_path)]) == 1
    assert "CuPy" in capsys.readouterr().out
    assert backend.current() == "numpy"


@pytest.mark.skipif(backend.gpu_available(), reason="a GPU is present: the missing-GPU message cannot be checked")
def test_gpu_without_gpu_fails_only_when_asked_for(tmp_path, capsys):
    assert main(["gpu", "--quick", "--out", str(tmp_path)]) == 1
    output = capsys.readouterr().out
    assert "CuPy" in output and "pip install" in output
    reason = output.split(EN["gpu.missing"].split("{reason}")[0])[1]
    assert reason[:1].isupper(), f"the reason is a sentence of its own: {reason[:40]!r}"


@pytest.mark.slow  # over 0.5 s: outside the quick check (CI runs it)
def test_gpu_comparison_code_runs_with_two_cpu_models(tmp_path, capsys):
    """The GPU walkthrough's checks and timing, exercised on machines without a GPU: CPU against CPU."""
    from tinygrad_edu.demo import gpu
    from tinygrad_edu.demo.narrate import Narrator
    from tinygrad_edu.demo.registry import parse_args

    narrator = Narrator(parse_args(["gpu", "--quick", "--out", str(tmp_path)]), "gpu")
    gpu.run(narrator, devices=("cpu", "cpu"))
    output = capsys.readouterr().out
    assert re.search(r"max \|W₁ \(cpu\) − W₁ \(gpu\)\| = 0$", output, flags=re.MULTILINE)
    check_plots(output, tmp_path, "gpu")


@pytest.mark.slow
def test_default_tour_ends_with_the_closing_screen(tmp_path, capsys):
    assert main(["--quick", "--epochs", "1", "--out", str(tmp_path)]) == 0
    output = capsys.readouterr().out
    for name in DEFAULT_TOUR:
        assert EN[f"{name}.title"] in output
    closing = output[output.index(EN["closing_done"]):]
    for name in set(WALKTHROUGHS) - set(DEFAULT_TOUR):
        assert name in closing
    assert set(written_plots(output)) == set(tmp_path.glob("*.png"))


def test_cnn_with_an_empty_data_dir_says_how_to_get_mnist(tmp_path, capsys, monkeypatch):
    mnist_module = sys.modules["tinygrad_edu.data.mnist"]  # the module (the package exports a function of that name)

    def offline(url, destination, progress=True):
        raise OSError("no network in this test")

    monkeypatch.setattr(mnist_module, "fetch", offline)
    monkeypatch.setattr(mnist_module, "cache_dir", lambda: tmp_path / "cache")
    monkeypatch.delenv("TINYGRAD_EDU_DATA", raising=False)
    assert main(["cnn", "--quick", "--data-dir", str(tmp_path / "empty"), "--out", str(tmp_path)]) == 1
    output = capsys.readouterr().out
    assert "MNIST" in output and "SHA-256" in output
    assert not list(tmp_path.glob("*.png"))


@pytest.mark.slow
def test_cnn_trains_on_mnist_files_found_in_data_dir(tmp_path, capsys):
    """The MNIST branch, on small IDX files written here (digit-like images drawn from the shapes generator)."""
    from tinygrad_edu.data import shapes, write_idx

    folder = tmp_path / "data" / "mnist"
    folder.mkdir(parents=True)
    for prefix, count in (("train", 200), ("t10k", 60)):
        images, labels = shapes(count, seed=len(prefix))
        write_idx(folder / f"{prefix}-images-idx3-ubyte.gz", (images[:, 0] * 255).astype(np.uint8))
        write_idx(folder / f"{prefix}-labels-idx1-ubyte.gz", labels.astype(np.uint8))
    args = ["cnn", "--quick", "--epochs", "1", "--data-dir", str(tmp_path / "data"), "--out", str(tmp_path)]
    assert main(args) == 0
    output = capsys.readouterr().out
    assert EN["cnn.data_mnist"] in output and "(200, 1, 28, 28)" in output
    check_plots(output, tmp_path, "cnn")


def test_default_tour_is_backprop_optimizers_cnn():
    assert DEFAULT_TOUR == tuple(name for name in ("backprop", "optimizers", "cnn") if name in WALKTHROUGHS)


def test_register_adds_both_languages_and_refuses_a_key_twice():
    from tinygrad_edu.demo import strings

    strings.register({"test_only.hello": ("hello {name}", "你好 {name}")})
    try:
        assert strings.EN["test_only.hello"] == "hello {name}" and strings.ZH["test_only.hello"] == "你好 {name}"
        with pytest.raises(KeyError, match="registered twice"):
            strings.register({"test_only.hello": ("again", "再")})
        with pytest.raises(TypeError, match="English, Chinese"):
            strings.register({"test_only.bad": "english only"})
    finally:
        for table in (strings.EN, strings.ZH):
            table.pop("test_only.hello", None)


@pytest.mark.slow
def test_distributed_walkthrough_runs_in_english_and_chinese(tmp_path, capsys):
    """The walkthrough starts its own 1-process and 2-rank mpiexec measurements (or, without MPI, says how to get
    it and uses labelled typical values); the same checks as every walkthrough."""
    test_walkthrough_runs_quick_and_writes_its_plots("distributed", tmp_path / "en", capsys)
    test_walkthrough_narrates_in_chinese("distributed", tmp_path / "zh", capsys)
