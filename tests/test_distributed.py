"""Runs spread over a local Dask cluster give exactly the results of a serial run."""

import pytest

from theorems.cli import main
from theorems.results import Results

distributed = pytest.importorskip("distributed", reason="Dask distributed is not installed (theorycheck[distributed])")

EXAMPLE = "examples/my_claims.py"


def without_timings(path):
    results = Results.load(path)
    results.run.seconds, results.run.started = 0.0, ""
    for claim in results.claims:
        claim.seconds = 0.0
    return results


def test_a_local_cluster_gives_the_serial_results(tmp_path):
    common = ["run", "--profile", "smoke", "--device", "cpu", "--quiet", "--claims", "gd-rate",
              "--claims", "step-size-regimes"]
    assert main([*common, "--out", str(tmp_path / "serial")]) == 0
    assert main([*common, "--workers", "2", "--out", str(tmp_path / "cluster")]) == 0
    serial, cluster = without_timings(tmp_path / "serial" / "results.json"), without_timings(
        tmp_path / "cluster" / "results.json")
    assert serial == cluster
    assert all(claim.device == "cpu" for claim in cluster.claims)


def test_calibrate_on_a_cluster_tallies_like_a_serial_calibration(tmp_path, capsys):
    common = ["calibrate", "--seeds", "2", "--profile", "smoke", "--device", "cpu", "--claims-file", EXAMPLE]
    assert main([*common, "--csv", str(tmp_path / "serial.csv")]) == 0
    assert main([*common, "--workers", "2", "--csv", str(tmp_path / "cluster.csv")]) == 0
    assert (tmp_path / "serial.csv").read_text() == (tmp_path / "cluster.csv").read_text()
