"""Where a run's time goes (issue 21, "Time per claim"): each claim's time and sample size as it
finishes, the report's account of points × replicates × time of one replicate, and a time budget per
claim that spends fewer points where replicates are costly, without touching the interval rule.

No test asserts on a duration: the costly claim sleeps in every draw, so its budget binds on any machine."""

import dataclasses
import io
import time

import pandas as pd
import pytest
import torch

from theorems import Formula, Source
from theorems.core import budget as budget_module
from theorems.core.budget import TimeBudget, duration, time_spent
from theorems.core.claim import Claim
from theorems.core.domain import floats
from theorems.core.engine import check_claim
from theorems.core.measurement import RunConfig
from theorems.core.profiles import Profile
from theorems.frontends import cli
from theorems.report.content import TIME_HEADING, TIME_ROWS, report_blocks
from theorems.report.document import to_markdown
from theorems.runs.config import UsageError, config_settings, make_config
from theorems.runs.runner import assemble_results

SLEEP = 0.05  # seconds one draw of the costly claim takes: one point (200 replicates) is one draw


def costly_claim() -> Claim:
    """E[X] = 1 for X ~ N(1, 0.1²) over a ∈ [0.5, 3] (which changes nothing), every draw slowed down."""

    def measure(p, ctx):
        def draw(n):
            time.sleep(SLEEP)
            return 1 + 0.1 * torch.randn(n, generator=ctx.generator, dtype=torch.float64)

        return ctx.mean(draw, bytes_per_replicate=8)

    return Claim(
        id="costly", title="E[X] = 1", inventory_ids=("toy-1",), source=Source("toy.txt", "Toy"),
        statement="E[X] = 1", kind="stochastic", domain={"a": floats(0.5, 3.0)}, measure=measure,
        stated=lambda p: 1.0, mutants=(Formula("E[X] = 2", lambda p: 2.0),),
        design=({"a": 1.0}, {"a": 2.0}), resolution=0.1)


def config(budget=None) -> RunConfig:
    profile = Profile("test", explore=24, examples=4, design=None, pilot=200, cap=200, z_margin=1.0, shrink=0)
    return RunConfig(profile=profile, budget=budget)


@pytest.fixture(scope="module")
def unbudgeted():
    return check_claim(costly_claim(), config())


# ---- the budget -----------------------------------------------------------------------------------
def test_a_budget_spends_fewer_points_where_replicates_are_costly_and_says_so(unbudgeted):
    # 2 design points take 0.1 s; 24 space-filling and 4 targeted more would take 1.4 s: 0.5 s is left
    budgeted = check_claim(costly_claim(), config(budget=0.6))
    assert unbudgeted.coverage.explore == 24 and not unbudgeted.coverage.budget
    assert budgeted.coverage.design == unbudgeted.coverage.design == 2  # the claim's own points are all kept
    assert 0 < budgeted.coverage.explore < 24
    assert budgeted.coverage.budget.startswith("time budget 0.6 s per claim: space-filling design of ")
    assert budgeted.coverage.budget in budgeted.verdict_reason
    assert budgeted.verdict == unbudgeted.verdict == "confirmed"


def test_a_budget_leaves_the_interval_rule_as_it_was(unbudgeted):
    """Same α per point, and every point both runs measured has the same numbers and verdict: the
    budget only chooses how many points, each a prefix of the same space-filling design."""
    budgeted = check_claim(costly_claim(), config(budget=0.6))
    assert budgeted.point_alpha == unbudgeted.point_alpha
    full = {(p.reading, str(p.params)): p for p in unbudgeted.evidence}
    kept = [p for p in budgeted.evidence if p.origin in ("design", "explore")]
    assert kept and all(dataclasses.replace(p, trace=None) == dataclasses.replace(full[p.reading, str(p.params)],
                                                                                  trace=None) for p in kept)


def test_a_budget_too_small_for_any_further_point_keeps_the_claims_own_points():
    result = check_claim(costly_claim(), config(budget=0.01))
    assert result.coverage.points == result.coverage.design == 2
    assert "space-filling design of 0 points instead of 24, 0 targeted examples instead of 4" in result.verdict_reason


def test_the_budget_scales_further_points_to_the_time_left_of_the_readings_share(monkeypatch):
    clock = iter([0.0, 0.0, 1.0, 5.0, 5.0])
    monkeypatch.setattr(budget_module.time, "perf_counter", lambda: next(clock))
    spent = TimeBudget(10.0, readings=2)  # started at 0
    spent.start_reading()  # at 0: a share of 10 / 2 readings = 5 s
    # at 1 s, after 2 points (400 replicates): 0.5 s a point; 30 + 10 further points plan 20 s, 4 s are left
    assert spent.further(24, 10, planned=30, replicates=[200, 200]) == (4, 2)
    assert spent.per_replicate == 1 / 400
    spent.start_reading()  # at 5 s: the last reading gets all that is left, 5 s
    assert spent._share == 5.0
    assert spent.note() == ("time budget 10 s per claim: space-filling design of 4 points instead of 24, "
                            "2 targeted examples instead of 10, as a replicate cost 2.50 ms")


def test_without_a_budget_nothing_is_timed_or_left_out():
    spent = TimeBudget(None)
    spent.start_reading()
    assert spent.further(24, 4, planned=30, replicates=[200]) == (24, 4)
    assert spent.note() == ""


def test_the_budget_is_a_positive_number_of_seconds_and_reaches_distributed_workers():
    with pytest.raises(UsageError, match="--budget must be a positive number of seconds per claim, got 0"):
        make_config(profile="smoke", seed=0, device="cpu", budget=0)
    with pytest.raises(ValueError, match="got -1"):
        RunConfig(profile=config().profile, budget=-1)
    settings = config_settings(make_config(profile="smoke", seed=0, device="cpu", budget=30))
    assert make_config(**settings).budget == 30


def test_the_command_line_takes_the_budget():
    args = cli.build_parser().parse_args(["run", "--budget", "45", "--claims", "x"])
    assert args.budget == 45.0


# ---- where the time went -----------------------------------------------------------------------------
def test_a_claims_time_is_points_times_replicates_times_the_time_of_one(unbudgeted):
    spent = time_spent(unbudgeted)
    assert spent.points == unbudgeted.coverage.points and spent.replicates == unbudgeted.samples
    assert spent.points * spent.per_point * spent.per_replicate == pytest.approx(unbudgeted.seconds)


@pytest.mark.parametrize("seconds, shown", [(12.345, "12.35 s"), (0.5, "0.50 s"), (0.004, "4.00 ms"),
                                            (5.464e-5, "54.64 µs"), (3.1e-7, "0.31 µs")])
def test_durations_show_in_a_unit_where_one_replicate_is_visible(seconds, shown):
    assert duration(seconds) == shown


def test_each_finished_claim_prints_its_time_and_sample_size(unbudgeted, monkeypatch):
    line = cli.finished_line(dataclasses.replace(unbudgeted, seconds=2.25))
    spent = time_spent(unbudgeted)
    assert line.startswith(f"confirmed    costly  2.25 s  {spent.points} points × {round(spent.per_point)} replicates")
    assert len(line) < 80
    stderr = io.StringIO()
    monkeypatch.setattr(cli.sys, "stderr", stderr)  # piped: one line per claim
    _, _, finished, _ = cli._progress([costly_claim()], quiet=False)
    finished(costly_claim(), unbudgeted)
    assert stderr.getvalue() == cli.finished_line(unbudgeted) + "\n"


def test_a_deterministic_claims_line_has_no_replicates(unbudgeted):
    points = [dataclasses.replace(p, samples=1, looks=1) for p in unbudgeted.evidence]
    exact = dataclasses.replace(unbudgeted, evidence=points, samples=len(points), seconds=0.5, verdict="refuted")
    assert cli.finished_line(exact) == f"refuted      costly  0.50 s  {unbudgeted.coverage.points} points"


def test_the_report_says_where_the_time_went_longest_first(unbudgeted):
    claims = [dataclasses.replace(unbudgeted, id=f"c{i:02d}", seconds=float(i % 7)) for i in range(TIME_ROWS + 3)]
    results = assemble_results(claims, config(), started=__import__("datetime").datetime(2026, 1, 1), seconds=60.0,
                               claims_file=None)
    markdown = to_markdown(report_blocks(results, {}))
    section = markdown[markdown.index(f"## {TIME_HEADING}"):markdown.index("## Claims")]
    listed = [line.split("](")[0].removeprefix("| [") for line in section.splitlines() if line.startswith("| [")]
    assert listed == [c.id for c in sorted(claims, key=lambda c: -c.seconds)][:TIME_ROWS]
    spent = time_spent(claims[6])
    assert f"| 6.00 s | {spent.points} | {round(spent.per_point)} | {duration(6.0 / spent.replicates)} |" in section
    assert "3 more claims took" in section
    assert f"[{TIME_HEADING}](#where-the-time-went)" in markdown


# ---- the benchmark ------------------------------------------------------------------------------------
CLAIMS_FILE = '''
from theorems import Formula, Measurement, Source, claim
from theorems.core.domain import integers


@claim(id="tx-holds", inventory_ids=("tx-01",), statement="f = k", stated=lambda p: p["k"],
       mutants=[Formula("f = k + 1", lambda p: p["k"] + 1)], kind="identity", domain={"k": integers(0, 3)},
       atol=1e-9, source=Source("handout.pdf", "§1"))
def holds(p, ctx):
    return Measurement(float(p["k"]))
'''


def test_bench_times_a_claims_file_without_and_with_a_budget(tmp_path, capsys):
    claims_file = tmp_path / "tx_claims.py"
    claims_file.write_text(CLAIMS_FILE)
    assert cli.main(["bench", "--claims-file", str(claims_file), "--profile", "smoke", "--device", "cpu",
                     "--budget", "30", "--csv", str(tmp_path / "budget.csv")]) == 0
    table = pd.read_csv(tmp_path / "budget.csv", keep_default_na=False)
    assert list(table.columns) == [
        "claim", "seconds", "points", "replicates/point", "s/replicate", "verdict", "seconds (30 s)", "points (30 s)",
        "replicates/point (30 s)", "s/replicate (30 s)", "verdict (30 s)", "left out", "profile", "device"]
    assert table["claim"].tolist() == ["tx-holds", "total"]
    assert table.loc[0, "verdict"] == table.loc[0, "verdict (30 s)"] == "confirmed"
    assert "tx-holds" in capsys.readouterr().out
