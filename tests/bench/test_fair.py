"""The fair runner (bench/fair.py): separate processes, alternating rounds, every round kept; and the renderer.

The workloads are fakes (tests/bench/fake_workloads.py) that sleep or allocate: torch-free and fast. No test
asserts on a measured time beyond its sign and the order of the rounds.
"""

from __future__ import annotations

import io
import json
import statistics

import numpy as np
import pytest

from tests.helpers import require_torch
from tinygrad_edu.bench import cli, fair, registry, render

FAKES = "tests.bench.fake_workloads"


def test_child_answers_the_line_protocol() -> None:
    stdin = io.StringIO("warmup\nblock\nblock\nrss\nquit\nblock\n")
    stdout = io.StringIO()
    fair.child(FAKES, "fast", "ours", seed=0, threads=1, warmup=1, min_block_s=0.003, stdin=stdin, stdout=stdout)
    answers = [json.loads(line) for line in stdout.getvalue().splitlines()]
    assert list(answers[0]) == ["calls"] and answers[0]["calls"] >= 1
    assert [list(a) for a in answers[1:]] == [["seconds", "cpu_seconds"]] * 2 + [["peak_rss_mib"]]  # none after quit
    assert all(a["seconds"] >= 0.001 for a in answers[1:3])  # a sleep of 1 ms per call
    assert answers[3]["peak_rss_mib"] > 0


@pytest.mark.slow  # over 0.5 s: outside the quick check (CI runs it)
def test_measure_runs_each_side_in_its_own_process_and_keeps_every_round() -> None:
    row = fair.measure("fast", rounds=4, threads=1, warmup=1, min_block_s=0.003, pause_s=0.0, registry=FAKES)
    assert set(row.rounds) == {"ours", "torch"} and all(len(v) == 4 for v in row.rounds.values())
    ratios = row.ratios()
    assert ratios == [a / b for a, b in zip(row.rounds["ours"], row.rounds["torch"], strict=True)]
    summary = row.summary()
    assert summary["ratio_min"] == min(ratios) and summary["ratio_max"] == max(ratios)
    assert summary["ours"] == statistics.median(row.rounds["ours"]) and summary["torch"] >= 0.002
    assert set(row.peak_rss_mib) == {"ours", "torch"}
    assert all(len(v) == 4 and min(v) >= 0 for v in row.cpu_rounds.values())  # a sleep uses almost no CPU
    as_json = row.to_json()
    assert as_json["rounds"] == row.rounds and as_json["kind"] == "time"


@pytest.mark.slow
def test_memory_rows_report_each_fresh_process_peak() -> None:
    row = fair.measure("memory", registry=FAKES, threads=1)
    assert row.rounds == {}
    # ours touched 64 MiB, the other side 1 MiB, each in a process of its own
    assert row.peak_rss_mib["ours"] - row.peak_rss_mib["torch"] > 40
    assert row.summary()["ratio"] == row.peak_rss_mib["ours"] / row.peak_rss_mib["torch"]


@pytest.mark.slow
def test_a_failing_workload_is_reported_and_the_others_still_run() -> None:
    rows = fair.run(["broken", "fast"], rounds=2, threads=1, registry=FAKES, quick=True, log=lambda line: None)
    assert rows[0].error is not None and "fails to build" in rows[0].error
    assert rows[1].error is None and len(rows[1].rounds["ours"]) == 2
    table = fair.format_rows(rows)
    assert "broken" in table and "failed" in table and "fast" in table


def test_children_get_the_same_thread_count() -> None:
    env = fair.child_environment(3)
    assert all(env[variable] == "3" for variable in fair.THREAD_VARIABLES)


def test_render_writes_every_row_with_its_machine_between_the_markers(tmp_path) -> None:
    rows = [fair.Row("fast", "time", rounds={"ours": [0.002, 0.004], "torch": [0.004, 0.004]}),
            fair.Row("cnn_memory", "memory", peak_rss_mib={"ours": 100.0, "torch": 200.0}),
            fair.Row("lstm", "time", error="the torch process stopped")]
    machine = {"cpu": "Fake CPU", "cores": 2, "load average (1, 5, 15 min)": "3.00 1.00 1.00", "torch": "9.9"}
    report = fair.report(rows, machine, {"rounds": 2, "threads": 1, "command": "bench --against torch"})
    section = render.render(json.loads(json.dumps(report)))
    assert "Fake CPU, 2 cores" in section and "loaded" in section and "PyTorch 9.9" in section
    assert "| fast | 3.000 | 4.000 | 0.75× | 0.50–1.00× | – |" in section
    assert f"| {registry.TITLES['cnn_memory']} | 100.0 | 200.0 | 0.50× |" in section
    assert f"| {registry.TITLES['lstm']} | failed |" in section
    doc = tmp_path / "benchmarks.md"
    other_begin, other_end = render.markers("other")
    doc.write_text(f"# B\nbefore\n{render.BEGIN}\nold figures\n{render.END}\nafter\n{other_begin}\n{other_end}\n")
    path = tmp_path / "r.json"
    path.write_text(json.dumps(report))
    assert render.main([str(path), "--doc", str(doc)]) == 0
    text = doc.read_text()
    assert "old figures" not in text and "Fake CPU" in text and text.startswith("# B\nbefore\n")
    assert text.endswith(f"{render.END}\nafter\n{other_begin}\n{other_end}\n")
    assert render.main([str(path), "--doc", str(doc), "--section", "other"]) == 0
    assert doc.read_text().count("Fake CPU") == 2


def test_registry_rows_have_titles_and_both_sides() -> None:
    assert set(registry.TITLES) == set(registry.WORKLOADS)
    for workload in registry.WORKLOADS.values():
        assert workload.kind in ("time", "memory") and callable(workload.ours) and callable(workload.theirs)


def test_against_torch_rejects_a_workload_it_does_not_compare(capsys) -> None:
    with pytest.raises(SystemExit):
        cli.main(["--against", "torch", "--only", "wide_mlp"])
    assert "--against torch compares these workloads" in capsys.readouterr().err


def _write_idx(path, array) -> None:
    header = bytes([0, 0, 8, array.ndim]) + b"".join(int(n).to_bytes(4, "big") for n in array.shape)
    path.write_bytes(header + array.astype(np.uint8).tobytes())


def test_mnist_torch_script_trains_the_recipe_on_tiny_idx_files(tmp_path, capsys) -> None:
    require_torch()
    from tinygrad_edu.bench import mnist_torch

    rng = np.random.default_rng(0)
    for images, labels in mnist_torch.FILES.values():
        _write_idx(tmp_path / images, rng.integers(0, 256, (96, 28, 28)))
        _write_idx(tmp_path / labels, rng.integers(0, 10, 96))
    x, y = mnist_torch.load_mnist(str(tmp_path), "test")
    assert x.shape == (96, 1, 28, 28) and x.dtype == np.float32 and 0 <= x.min() and x.max() <= 1
    assert y.shape == (96,)
    assert mnist_torch.main(["--data-dir", str(tmp_path), "--epochs", "2", "--limit", "64", "--threads", "1"]) == 0
    out = capsys.readouterr().out
    assert "epoch 1:" in out and "epoch 2:" in out and "test accuracy" in out
    factor = mnist_torch.one_cycle(100)
    assert factor(0) == pytest.approx(0.1) and factor(10) == pytest.approx(1.0) and factor(100) == pytest.approx(1e-3)
