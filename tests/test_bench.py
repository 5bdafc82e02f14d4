"""The bench's tables have the promised shape, and its CSV holds them. No figure is asserted on:
they are wall-clock rates."""

import pandas as pd
import pytest
import torch

from theorems.core.measurement import RunConfig
from theorems.core.profiles import PROFILES
from theorems.frontends.cli import main
from theorems.runs.bench import benchmark_minibatch_variance

SAMPLER_COLUMNS = [
    "device", "dtype", "threads", "B", "chunk", "replicates/s", "sampled examples/s", "randn/s (chunk)", "randn/s (plateau)",
    "ratio (replicates)", "ratio (sampled examples)", "ratio min", "ratio max", "repeats",
]
CATALOGUE_COLUMNS = ["claim", "seconds", "share", "points", "samples", "verdict", "profile", "device"]
TINY = ["--device", "cpu", "--examples", "256", "--repeats", "2", "--max-memory", "0.01"]  # 0.01 MiB: tiny chunks


def run_cli(*args) -> int:
    try:
        return main([str(a) for a in args])
    except SystemExit as exit_:
        return exit_.code


def test_sampler_table_has_one_row_per_batch_size():
    config = RunConfig(profile=PROFILES["smoke"], dtype=torch.float64, max_bytes=2**14)
    table = benchmark_minibatch_variance(config, examples=300, repeats=3, batch_sizes=(1, 8))
    assert list(table.columns) == SAMPLER_COLUMNS
    assert table["B"].tolist() == [1, 8]
    assert (table["dtype"] == "float64").all() and (table["repeats"] == 3).all()
    assert table["chunk"].tolist() == [2**14 // (8 * (b * 5 + 3 * 64)) for b in (1, 8)]  # the engine's chunks
    assert (table[["replicates/s", "randn/s (chunk)", "randn/s (plateau)"]] > 0).all().all()
    assert (table["ratio min"] <= table["ratio (sampled examples)"]).all()
    assert (table["ratio (sampled examples)"] <= table["ratio max"]).all()


def test_bench_prints_the_table_and_writes_the_csv(tmp_path, capsys):
    assert run_cli("bench", *TINY, "--csv", tmp_path / "bench.csv") == 0
    printed = capsys.readouterr().out
    table = pd.read_csv(tmp_path / "bench.csv")
    assert list(table.columns) == SAMPLER_COLUMNS
    assert table["B"].tolist() == [1, 4, 16, 64]
    assert all(column in printed for column in ("sampled examples/s", "randn/s (plateau)"))


def test_bench_times_the_catalogue_per_claim(tmp_path, capsys):
    assert run_cli("bench", "--catalogue", "--profile", "smoke", "--device", "cpu", "--claims", "step-size-regimes",
                   "--csv", tmp_path / "claims.csv") == 0
    table = pd.read_csv(tmp_path / "claims.csv", keep_default_na=False)
    assert list(table.columns) == CATALOGUE_COLUMNS
    assert table["claim"].tolist() == ["step-size-regimes", "total"]
    assert (table["profile"] == "smoke").all() and (table["seconds"] >= 0).all()
    assert table.loc[1, "points"] == table.loc[0, "points"] > 0
    assert "step-size-regimes" in capsys.readouterr().out


@pytest.mark.parametrize(
    "args, message",
    [
        (["--profile", "smoke"], "add --catalogue"),
        (["--claims", "gd-*"], "add --catalogue"),
        (["--examples", "0"], "--examples must be >= 1, got 0"),
        (["--repeats", "0"], "--repeats must be >= 1, got 0"),
        (["--csv", "no-such-folder/bench.csv"], "does not exist"),
        (["--catalogue", "--claims", "no-such-claim"], "no claim matches"),
    ],
)
def test_bench_bad_input_exits_2(args, message, capsys):
    assert run_cli("bench", "--device", "cpu", *args) == 2
    assert message in capsys.readouterr().err
