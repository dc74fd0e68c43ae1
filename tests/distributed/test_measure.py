"""The scaling measurement behind the bench row, the walkthrough and docs/distributed.md: three rank
configurations, α and B, and the cost model's curve (a tiny run: the figures themselves are measured elsewhere)."""

from __future__ import annotations

import pytest

from tests.distributed.launching import require_mpi


@pytest.mark.slow
def test_measure_scaling_reports_three_configurations_alpha_b_and_draws_the_curve(tmp_path):
    require_mpi()
    from tinygrad_edu.distributed.measure import cost_model_table, format_scaling, measure_scaling, plot_cost_model

    result = measure_scaling(steps=1, global_batch=8, ranks=2, timeout=300)
    assert set(result["runs"]) == {"1 rank x 1 thread", "2 ranks x 1 thread", "1 rank x 2 threads"}
    for run in result["runs"].values():
        assert run["step_s"] > 0 and run["images_per_s"] > 0 and run["gradient_bytes"] == 4 * 93_322
    assert result["runs"]["1 rank x 1 thread"]["comm_s"] == 0
    assert result["alpha_s"] >= 0 and result["bandwidth_Bps"] > 0
    assert "2 ranks vs 1 rank x 1 thread" in format_scaling(result)
    table = cost_model_table(result)
    assert list(table["ranks"]) == [2**k for k in range(11)] and table["comm_share"][0] == 0
    plot_cost_model(result, str(tmp_path / "curve.png"))
    assert (tmp_path / "curve.png").stat().st_size > 5000
