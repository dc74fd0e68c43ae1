"""The benchmark's machinery: the timing harness (with a fake clock), the command line, the table, and the GPU
mode's wiring. No test here asserts on a measured time.

Without a GPU, the GPU mode is checked two ways: for real, it must refuse with exit code 2 and say what is
missing; and with NumPy standing in for CuPy (a fake ``cupy`` module whose arrays are NumPy's), its workloads
must build, run each contender, wait for the "device" after every GPU call and fill the table and the JSON.
"""

from __future__ import annotations

import json
import sys
import types
from collections.abc import Callable

import numpy as np
import pytest

from tests.helpers import require_torch
from tinygrad_edu import backend
from tinygrad_edu.bench import cli, gpu, workloads
from tinygrad_edu.bench.timing import samples_in_turns, time_in_turns
from tinygrad_edu.bench.workloads import Result

# ------------------------------------------------------------------------------------------ timing harness


class FakeClock:
    """A clock that only moves when a fake contender 'spends' time."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _contender(name: str, costs: list[float], clock: FakeClock, calls: list[str]) -> Callable[[], None]:
    remaining = iter(costs)

    def call() -> None:
        calls.append(name)
        clock.now += next(remaining)

    return call


FAST, SLOW = 2.0**-10, 2.0**-8  # powers of two: every sum and quotient below is exact


def _fast_and_slow(clock: FakeClock, calls: list[str]) -> dict[str, Callable[[], None]]:
    """'fast': two costly warm-up calls (compilation), then FAST per call, except one slow round (a busy
    moment); block of 4 calls (min_block_s = SLOW). 'slow': block of 1 call, round costs 1, 2, 1, ½, 1 × SLOW
    (mean 1.1 × SLOW, median SLOW)."""
    fast = [1.0, 1.0, FAST] + [FAST] * 8 + [16 * FAST] * 4 + [FAST] * 8
    slow = [1.0, 1.0, SLOW] + [SLOW, 2 * SLOW, SLOW, SLOW / 2, SLOW]
    return {"fast": _contender("fast", fast, clock, calls), "slow": _contender("slow", slow, clock, calls)}


def test_time_in_turns_gives_the_median_per_call_with_the_contenders_taking_turns() -> None:
    clock, calls = FakeClock(), []
    medians = time_in_turns(_fast_and_slow(clock, calls), repeats=5, warmup=2, min_block_s=SLOW, pause_s=0.0,
                            clock=clock)
    assert medians == {"fast": FAST, "slow": SLOW}  # warm-up excluded, the slow round and the mean shrugged off
    # warm-up and block calibration per contender, then five rounds of one block each, in turns
    assert calls == ["fast"] * 3 + ["slow"] * 3 + (["fast"] * 4 + ["slow"]) * 5


def test_samples_in_turns_keeps_one_sample_per_round() -> None:
    clock, calls = FakeClock(), []
    samples = samples_in_turns(_fast_and_slow(clock, calls), repeats=5, warmup=2, min_block_s=SLOW,
                               pause_s=0.0, clock=clock)
    assert samples == {"fast": [FAST, FAST, 16 * FAST, FAST, FAST],
                       "slow": [SLOW, 2 * SLOW, SLOW, SLOW / 2, SLOW]}


# ------------------------------------------------------------------------------------------------- table


def test_format_table_has_one_row_per_result_with_its_extras() -> None:
    results = [Result("alpha", 0.012, 0.006, 0.024), Result("beta", 0.003, None, None, extra={"GFLOP/s": 7.5}),
               Result("gamma " + "x" * 70, 0.001, 0.004)]
    lines = cli.format_table(results).splitlines()
    assert lines[0].split()[:4] == ["workload", "ours", "ms", "numpy"]
    rows = lines[2:]
    assert len(rows) == 4  # three results and one extra figure
    assert rows[0].split() == ["alpha", "12.000", "6.000", "24.000", "2.00x", "0.50x"]
    assert rows[1].split() == ["beta", "3.000", "-", "-", "-", "-"]
    assert rows[2].strip() == "GFLOP/s: 7.5"
    assert rows[3].split() == ["gamma", "x" * 70, "1.000", "4.000", "-", "0.25x", "-"]
    assert len({len(lines[0]), len(rows[0]), len(rows[3])}) == 1  # a long name widens the table, columns line up


def test_format_table_names_the_gpu_columns() -> None:
    header = cli.format_table([Result("cnn", 0.002, 0.02)], device="cuda").splitlines()[0]
    assert "ours GPU ms" in header and "baseline ms" in header and "torch GPU ms" in header
    assert "ours/base" in header


# ---------------------------------------------------------------------------------------- command line


def test_quick_overhead_run_writes_json_with_machine_facts_and_positive_times(tmp_path, capsys) -> None:
    path = tmp_path / "r.json"
    assert cli.main(["--quick", "--only", "overhead", "--json", str(path)]) == 0
    report = json.loads(path.read_text())
    assert report["device"] == "cpu"
    assert {"cpu", "cores", "numpy", "blas"} <= set(report["machine"])
    assert len(report["results"]) >= 1
    for result in report["results"]:
        assert result["ours_s"] > 0 and result["numpy_s"] > 0
    assert "op overhead" in capsys.readouterr().out


def test_cuda_without_a_gpu_exits_with_2_and_says_what_is_missing(capsys) -> None:
    if backend.gpu_available():
        pytest.skip("a GPU is available here: the no-GPU message cannot be observed "
                    "(test_cuda_without_cupy_... still checks it with CuPy hidden)")
    assert cli.main(["--device", "cuda"]) == 2
    err = capsys.readouterr().err
    assert "--device cuda" in err and '.[gpu]"' in err and "Traceback" not in err


def test_cuda_without_cupy_exits_with_2_and_names_the_gpu_extra(monkeypatch, capsys) -> None:
    monkeypatch.setitem(sys.modules, "cupy", None)  # `import cupy` now fails, GPU or not
    assert cli.main(["--device", "cuda", "--quick"]) == 2
    err = capsys.readouterr().err
    assert "CuPy, which is not installed" in err and 'pip install -e ".[gpu]"' in err
    assert backend.current() == "numpy"


def test_only_rejects_a_workload_the_device_does_not_have(capsys) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["--device", "cuda", "--only", "overhead"])
    assert exit_info.value.code == 2
    assert "choose from cnn, mlp, attention" in capsys.readouterr().err


# --------------------------------------------------------------------------- GPU mode, NumPy as CuPy


@pytest.fixture
def numpy_as_cupy(monkeypatch) -> list[str]:
    """A fake ``cupy`` module: NumPy's functions, one 'CUDA device', and a record of each synchronize."""
    waits: list[str] = []
    fake = types.ModuleType("cupy")
    fake.__getattr__ = lambda name: getattr(np, name)  # module-level fallback (PEP 562): cupy.zeros is np.zeros
    fake.__version__ = "0.0-numpy-standing-in"

    class Device:
        id = 0

        def synchronize(self) -> None:
            waits.append("wait")

    fake.cuda = types.SimpleNamespace(Device=Device, runtime=types.SimpleNamespace(
        getDeviceCount=lambda: 1, getDeviceProperties=lambda index: {"name": b"NumPy standing in"},
        runtimeGetVersion=lambda: 12040))
    fake.get_default_memory_pool = lambda: types.SimpleNamespace(total_bytes=lambda: 3 * 2**20)
    monkeypatch.setitem(sys.modules, "cupy", fake)
    return waits


@pytest.fixture
def each_contender_once(numpy_as_cupy, monkeypatch) -> list[tuple[str, int]]:
    """Replace the timing by one call of every contender, recording how often each call waited for the device;
    the times reported are made up (1, 2, 3 ms for ours, baseline, torch): the wiring is under test, not speed."""
    waits, calls = numpy_as_cupy, []

    def each_once(contenders: dict[str, Callable[[], object]], **_: object) -> dict[str, float]:
        for name, fn in contenders.items():
            before = len(waits)
            fn()
            calls.append((name, len(waits) - before))
        return {name: 1e-3 * (i + 1) for i, name in enumerate(contenders)}

    monkeypatch.setattr(workloads, "time_in_turns", each_once)
    return calls


@pytest.mark.slow
def test_gpu_mode_runs_every_gpu_workload_and_waits_after_each_gpu_call(each_contender_once, tmp_path,
                                                                         capsys) -> None:
    calls = each_contender_once
    path = tmp_path / "gpu.json"
    assert cli.main(["--device", "cuda", "--quick", "--json", str(path)]) == 0
    report = json.loads(path.read_text())
    assert report["device"] == "cuda" and "baseline" in report["columns"]["numpy_s"]
    assert report["machine"]["gpu"] == "NumPy standing in" and report["machine"]["cupy"] == "0.0-numpy-standing-in"
    assert report["machine"]["CUDA runtime (CuPy)"] == "12.4"
    names = [r["name"] for r in report["results"]]
    assert len(names) == 5 and "ours on CPU" in names[0] and "CuPy by hand" in names[1]
    assert all("attention" in name for name in names[3:])
    assert report["results"][0]["extra"]["speed-up of our GPU step over our CPU step (goal: at least 5x)"] == "2.0x"
    # each GPU call waits once for the device; the one CPU contender (the CNN's baseline) does not
    assert calls[:2] == [("ours", 1), ("numpy", 0)]
    assert all(waited == 1 for _, waited in calls[2:]) and len(calls) == 10
    assert "ours GPU ms" in capsys.readouterr().out
    assert backend.current() == "numpy"  # the CLI hands the backend back as it found it


@pytest.mark.slow
def test_gpu_mode_times_torch_on_its_device_and_waits_for_it(each_contender_once, numpy_as_cupy, monkeypatch,
                                                             tmp_path) -> None:
    torch = require_torch()
    calls, waits = each_contender_once, numpy_as_cupy
    monkeypatch.setattr(gpu, "TORCH_DEVICE", "cpu")  # PyTorch's CPU build stands in for its CUDA one
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "synchronize", lambda: waits.append("torch wait"))
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda: "CPU standing in")
    path = tmp_path / "gpu.json"
    assert cli.main(["--device", "cuda", "--quick", "--against", "torch", "--json", str(path)]) == 0
    report = json.loads(path.read_text())
    assert "CPU standing in" in report["machine"]["torch on GPU"]
    assert all(r["torch_s"] == 3e-3 for r in report["results"])
    torch_calls = [waited for name, waited in calls if name == "torch"]
    assert torch_calls == [1] * 5 and waits.count("torch wait") == 5


def test_gpu_mode_leaves_the_torch_column_empty_when_torch_has_no_cuda(numpy_as_cupy, monkeypatch,
                                                                       capsys) -> None:
    fake_torch = types.SimpleNamespace(__version__="0.0", version=types.SimpleNamespace(cuda=None),
                                       cuda=types.SimpleNamespace(is_available=lambda: False))
    assert gpu.torch_on_gpu(fake_torch) is None
    assert "no CUDA support" in capsys.readouterr().out
    fake_torch.version.cuda = "12.4"
    assert gpu.torch_on_gpu(fake_torch) is None
    assert "sees no usable CUDA device" in capsys.readouterr().out
