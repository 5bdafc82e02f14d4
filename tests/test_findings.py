"""Findings an instructor can act on: each refutation classed (erratum, slip, convention, caveat) and
weighed at the document's settings, rows judged by their statements, and the errata sheet."""

from __future__ import annotations

import pytest
import torch

from theorems import Formula, Measurement, Source
from theorems.core.claim import Claim
from theorems.core.domain import integers
from theorems.core.engine import check_claim
from theorems.core.measurement import RunConfig
from theorems.core.profiles import PROFILES
from theorems.core.results import Results, RunInfo
from theorems.core.rows import row_table
from theorems.frontends.pytest_plugin import describe
from theorems.report import write_report

SMOKE = RunConfig(profile=PROFILES["smoke"], seed=0)


def exact_claim(claim_id: str, truth, stated, *, rows=("000-01",), section="1", **fields) -> Claim:
    """A deterministic claim over x in 1..10 whose measurement is ``truth(x)`` and whose formula is ``stated``."""
    return Claim(
        id=claim_id, title=claim_id, inventory_ids=rows, source=Source("000_toy.txt", section),
        statement=f"{claim_id} as written", kind="identity", domain={"x": integers(1, 10)},
        measure=lambda p, ctx: Measurement(float(truth(p["x"]))), stated=lambda p: stated(p["x"]),
        mutants=(Formula("off by 10", lambda p: stated(p["x"]) + 10.0),), resolution=1e-6, **fields)


def square(x):
    return float(x * x)


@pytest.fixture(scope="module")
def checked() -> dict[str, object]:
    """One small claim per class, and a confirmed statement citing the slip's row."""
    claims = [
        exact_claim("sq-statement", square, square, rows=("000-01",), section="1"),
        exact_claim("sq-derivation", square, lambda x: 1.2 * x * x, rows=("000-01",), section="1",
                    role="derivation", correction="x² (not 1.2 x²)"),
        exact_claim("sq-convention", lambda x: x * x * (1 + 1e-3), square, rows=("000-02",), section="2",
                    materiality=0.01, materiality_reason="a 0.1% constant is the reference's rounding convention"),
        exact_claim("sq-erratum", square, lambda x: 1.2 * x * x, rows=("000-03",), section="3",
                    representative=({"x": 3},), correction="x²"),
        exact_claim("sq-caveat", lambda x: x * x + (x if x > 5 else 0), square, rows=("000-04",), section="4",
                    representative=({"x": 2},)),
    ]
    return {claim.id: check_claim(claim, SMOKE) for claim in claims}


def test_a_wrong_derivation_line_is_a_slip_and_its_row_stays_confirmed(checked):
    slip = checked["sq-derivation"]
    assert slip.finding is not None and slip.finding.class_ == "slip"
    assert slip.finding.correction == "x² (not 1.2 x²)"
    (row,) = [r for r in row_table(list(checked.values())) if r.id == "000-01"]
    assert row.verdict == "confirmed"
    assert [f.class_ for f in row.findings] == ["slip"]


def test_a_difference_below_materiality_is_a_convention_not_a_refutation(checked):
    result = checked["sq-convention"]
    assert result.verdict == "confirmed", result.verdict_reason
    assert result.finding.class_ == "convention"
    assert result.finding.effect.largest.relative == pytest.approx(1e-3)  # relative to the stated x²
    assert "rounding convention" in result.finding.reason
    assert result.counterexample is None


def test_refuted_at_a_representative_point_is_an_erratum_with_its_effect_there(checked):
    result = checked["sq-erratum"]
    assert result.verdict == "refuted"
    finding = result.finding
    assert finding.class_ == "erratum" and finding.where == "3" and finding.as_written == "sq-erratum as written"
    assert finding.effect.representative.params == {"x": 3}
    assert finding.effect.representative.relative == pytest.approx(0.2 / 1.2)
    assert finding.telling.params == {"x": 3}  # the most telling: where a reader uses it, before the minimal one
    assert finding.minimal is not None and finding.minimal.params == {"x": 1}
    assert [r.verdict for r in row_table([result])] == ["refuted"]


def test_refuted_only_away_from_the_representative_points_is_a_caveat(checked):
    result = checked["sq-caveat"]
    assert result.verdict == "conditional", result.verdict_reason
    finding = result.finding
    assert finding.class_ == "caveat" and "representative settings" in result.verdict_reason
    assert finding.effect.representative.relative == 0.0
    assert finding.telling.params["x"] > 5  # shows where it stops holding
    assert row_table([result])[0].verdict == "conditional"


def test_a_named_convention_that_agrees_at_the_defaults_is_a_convention_shown_where_it_differs():
    """ε under or outside the root: the same at the library's defaults, different far from them. The
    claim names the convention (its materiality reason), so this is no caveat and no erratum."""
    result = check_claim(exact_claim(
        "sq-eps-convention", lambda x: x * x + (x if x > 5 else 0), square, representative=({"x": 2},),
        materiality=1e-3, materiality_reason="where ε sits: under the square root or outside it"), SMOKE)
    assert result.verdict == "confirmed", result.verdict_reason
    assert result.finding.class_ == "convention" and "where ε sits" in result.finding.reason
    assert "agrees at the representative settings" in result.finding.reason
    assert result.finding.effect.representative.relative == 0.0
    assert result.finding.telling.params["x"] > 5  # shows where the convention makes a difference
    assert row_table([result])[0].verdict == "confirmed"


def test_an_array_effect_names_its_element():
    def measure(p, ctx):
        value = torch.ones(10, dtype=torch.float64)
        value[7] = 1.5  # the largest difference, at step 7
        value[2] = 1.1
        return Measurement(value)

    claim = Claim(id="array-steps", title="t", inventory_ids=("000-05",), source=Source("000_toy.txt", "5"),
                  statement="ones", kind="identity", domain={"x": integers(1, 3)}, measure=measure,
                  stated=lambda p: torch.ones(10, dtype=torch.float64),
                  mutants=(Formula("twos", lambda p: torch.full((10,), 2.0, dtype=torch.float64)),),
                  representative=({"x": 2},))
    finding = check_claim(claim, SMOKE).finding
    assert finding.class_ == "erratum"
    assert finding.effect.representative.index == 7 and finding.effect.representative.relative == pytest.approx(0.5)
    assert (finding.telling.index, finding.telling.estimate, finding.telling.stated) == (7, 1.5, 1.0)


def test_the_failure_message_prints_telling_digits_and_the_alternative():
    claim = exact_claim("near-miss", lambda x: 3.7830 * x, lambda x: 3.7831 * x, rows=("000-06",),
                        representative=({"x": 1},), alternatives=(Formula("3.7830 x", lambda p: 3.7830 * p["x"]),))
    text = describe(check_claim(claim, SMOKE))
    assert "measured 3.783 vs stated 3.7831" in text  # 4 significant digits would print 3.783 twice
    assert "finding:   erratum" in text and "agrees instead with 3.7830 x" in text
    assert text.index("most telling counterexample") < text.index("minimal counterexample")


def a_run(checked) -> Results:
    claims = list(checked.values())
    run = RunInfo(seed=0, profile="smoke", device="cpu", device_name="x", dtype="float32", python="3", torch="2",
                  numpy="2", theorycheck="0", git_revision=None, started="2026-12-05T00:00:00+00:00", seconds=1.0,
                  max_memory_mib=256.0, alpha=0.01, family_wise_alpha=0.05, alpha_split="…")
    return Results(run=run, rows=row_table(claims), claims=claims)


def test_findings_round_trip_through_results_json(checked):
    results = a_run(checked)
    text = results.to_json()
    assert '"class": "erratum"' in text and '"class_"' not in text
    again = Results.from_json(text)
    assert again == results
    assert [f.class_ for row in again.rows for f in row.findings] == ["slip", "convention", "erratum", "caveat"]


def test_the_errata_sheet_lists_every_finding_in_row_order(checked, tmp_path):
    results = a_run(checked)
    results.claims = [c for c in results.claims if c.id in ("sq-statement", "sq-derivation", "sq-caveat")]
    results.rows = row_table(results.claims)
    written = write_report(results, tmp_path)
    errata = (tmp_path / "errata.md").read_text(encoding="utf-8")
    assert tmp_path / "errata.md" in written
    assert errata.index("| 000-01 |") < errata.index("| 000-04 |")
    assert "**slip**" in errata and "**caveat**" in errata and "x² (not 1.2 x²)" in errata
    assert "[sq-derivation](report.md#sq-derivation)" in errata
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert '<h2 id="errata">Errata</h2>' in html and '<a href="#sq-caveat">sq-caveat</a>' in html


def test_figures_draw_the_deciding_band_and_the_evaluated_points_of_a_thin_design(checked):
    from theorems.report.figures import _band_limits, drawn_points, render_figure

    assert _band_limits(1.0, 0.1, "eq") == (0.9, 1.1)
    assert _band_limits(1.0, 0.1, "le") == (1.0, 1.1) and _band_limits(1.0, 0.1, "ge") == (0.9, 1.0)
    result = checked["sq-erratum"]  # one representative point: the search's points tell more
    assert all(p.band == pytest.approx(1e-6 * abs(p.stated)) for p in result.evidence)
    assert len(drawn_points(result)) == len(result.evidence) > 1
    assert render_figure(result)[:4] == b"\x89PNG"


def test_a_confirmed_alternative_naming_a_convention_makes_the_refutation_a_convention():
    """The document follows the original paper, the library a later variant: no erratum, a convention."""
    result = check_claim(exact_claim(
        "sq-variant", lambda x: 2.0 * x * x, square, representative=({"x": 2},),
        alternatives=(Formula("2x² (the library's variant)", lambda p: 2.0 * p["x"] ** 2,
                              convention="the paper's form; the library implements a later variant"),)), SMOKE)
    assert result.verdict == "confirmed", result.verdict_reason
    assert result.finding.class_ == "convention" and "later variant" in result.finding.reason
    assert result.finding.effect.representative.relative == pytest.approx(1.0)  # the size at the defaults, told plainly
    assert result.finding.correction == "2x² (the library's variant)"
