"""Exact worst cases by performance estimation: theorems/core/worst_case.py and theorems/catalogue/worst_cases.py.

The PEPs are checked against the closed forms the literature proves (Drori & Teboulle's
L/(4T + 2), the descent lemma's η(1 − ηL/2), the spectral maximum over quadratics), every catalogue
entry's bound against its worst case, and mutant bounds that the worst case must refute. These
tests need the optional extra ``[exact]`` (PEPit) and are skipped without it; the tests of the
"not computed" path, the validation and the registry's completeness run everywhere.
"""

from __future__ import annotations

import sys

import pytest

from theorems import catalogue
from theorems.catalogue.worst_cases import LEFT_OUT, WORST_CASES, rate_bound, sufficient_decrease_bound
from theorems.core import worst_case as wc
from theorems.core.claim import REGISTRY

catalogue.load()  # the registry checks below read the catalogue's claims

RTOL = 1e-6  # the solves' precision (worst_case.PEP_RTOL)


@pytest.fixture
def pepit():
    return pytest.importorskip("PEPit")


# --- the PEPs against closed forms -------------------------------------------------------------------

@pytest.mark.parametrize("T", [1, 2, 3, 4, 5])
def test_gd_final_gap_is_drori_teboulles_closed_form(pepit, T):
    L = 2.0  # not 1, so that a missing factor L shows
    assert wc.gd_worst_final_gap(L, T, 1.0) == pytest.approx(L / (4 * T + 2), rel=RTOL)


def test_gd_final_gap_with_a_shorter_step(pepit):
    assert wc.gd_worst_final_gap(1.0, 3, 0.5) == pytest.approx(wc.gd_tight_final_gap(1.0, 3, 0.5), rel=RTOL)


@pytest.mark.parametrize("step", [0.25, 1.0, 1.5])
def test_gd_step_decrease_is_the_descent_lemma(pepit, step):
    assert wc.gd_worst_step_decrease(3.0, step) == pytest.approx(wc.gd_tight_step_decrease(3.0, step), rel=RTOL)


@pytest.mark.parametrize("step", [0.5, 1.0])
def test_gd_step_gap_reaches_one_over_two_eta(pepit, step):
    L = 2.0
    assert wc.gd_worst_step_gap(L, step) == pytest.approx(L / (2 * step), rel=1e-5)


@pytest.mark.parametrize(("T", "step"), [(1, 1.0), (3, 1.0), (2, 0.1)])  # (2, 0.1): the maximum at u = step
def test_quadratic_final_gap_is_the_spectral_maximum(pepit, T, step):
    worst = wc.gd_worst_final_gap(1.0, T, step, function_class="convex quadratic")
    assert worst == pytest.approx(wc.gd_quadratic_final_gap(1.0, T, step), rel=RTOL)


# --- the catalogue's bounds against their worst cases ------------------------------------------------

@pytest.mark.parametrize("row", sorted(WORST_CASES))
def test_every_document_bound_holds_against_its_worst_case(pepit, row):
    entry = WORST_CASES[row]
    table = entry.table(L=1.5, Ts=entry.Ts[:3])
    assert table and all(record.holds and record.ratio >= 1 - RTOL for record in table)


@pytest.mark.parametrize("T", [1, 2, 3])
def test_rate_slack_is_two_plus_one_over_T(pepit, T):
    """At η = 1/L: (1/(2T)) / (1/(4T + 2)) = 2 + 1/T, the lecture's bound over the tight one."""
    (record,) = WORST_CASES["001-03"].table(Ts=(T,), steps=(1.0,))
    assert record.ratio == pytest.approx(2 + 1 / T, rel=RTOL)


def test_sufficient_decrease_is_tight_at_eta_one_over_L(pepit):
    (record,) = WORST_CASES["001-01"].table(steps=(1.0,))
    assert record.ratio == pytest.approx(1.0, abs=RTOL)


MUTANTS = {  # a bound the worst case refutes: (row, mutant bound (L, scale, T, step), sense, T refuted at)
    "rate L‖w_0 − w*‖²/(8T)": ("001-03", lambda L, r, T, step: L * r ** 2 / (8 * T), "upper", (1, 2)),
    # 1/(2T²) < 1/(4T + 2) only from T = 3 on: at T = 1, 2 this mutant still holds
    "rate ‖w_0 − w*‖²/(2ηT²)": ("001-03", lambda L, r, T, step: rate_bound(L, r, T, step) / T, "upper", (3, 4)),
    "decrease η‖∇f‖² (the claim's mutant)": (
        "001-01", lambda L, g, T, step: 2 * sufficient_decrease_bound(L, g, T, step), "lower", (1,)),
}


@pytest.mark.parametrize("name", sorted(MUTANTS))
def test_a_mutant_bound_is_refuted_by_the_worst_case(pepit, name):
    row, mutant, sense, Ts = MUTANTS[name]
    entry = WORST_CASES[row]
    table = wc.worst_case_table(row, lambda T, step: entry.worst_case(1.0, T, step),
                                lambda T, step: mutant(1.0, 1.0, T, step), Ts=Ts, steps=(1.0,), sense=sense)
    assert all(record.holds is False and record.ratio < 1 - 100 * RTOL for record in table)


# --- without PEPit ------------------------------------------------------------------------------------

def test_without_pepit_the_table_says_not_computed(monkeypatch):
    monkeypatch.setitem(sys.modules, "PEPit", None)  # `import PEPit` now raises ImportError
    assert not wc.pep_available()
    table = WORST_CASES["001-03"].table(Ts=(1, 2))
    assert [record.bound for record in table[:2]] == [0.5, 0.25]
    assert all(record.worst_case is None and record.ratio is None and record.holds is None
               and record.note == wc.NOT_COMPUTED for record in table)
    with pytest.raises(wc.PepUnavailable, match="not computed"):
        wc.gd_worst_final_gap(1.0, 1)


# --- validation ----------------------------------------------------------------------------------------

@pytest.mark.parametrize(("arguments", "message"), [
    ((0.0, 1, 1.0), "L must be a positive finite number, got 0.0"),
    ((1.0, 0, 1.0), "T must be an integer >= 1, got 0"),
    ((1.0, 1, 2.0), r"step = ηL must lie in \(0, 2\), got 2.0"),
])
def test_bad_problem_parameters_are_named(arguments, message):
    with pytest.raises(ValueError, match=message):
        wc.gd_tight_final_gap(*arguments)


def test_bad_function_class_and_sense_are_named():
    with pytest.raises(ValueError, match="function_class must be one of .* got 'strongly convex'"):
        wc.gd_worst_final_gap(1.0, 1, function_class="strongly convex")
    with pytest.raises(ValueError, match="sense must be one of .* got 'both'"):
        wc.slack_ratio(1.0, 1.0, "both")
    with pytest.raises(ValueError, match="positive denominator, got 0.0"):
        wc.slack_ratio(0.0, 1.0, "upper")
    with pytest.raises(ValueError, match="proved for step <= 1, got 1.5"):
        wc.gd_tight_final_gap(1.0, 1, 1.5)


def test_slack_is_oriented_so_that_one_or_more_means_the_bound_holds():
    assert wc.slack_ratio(worst_case=1.0, bound=2.0, sense="upper") == 2.0
    assert wc.slack_ratio(worst_case=2.0, bound=1.0, sense="lower") == 2.0


def test_closed_forms_at_known_points():
    assert wc.gd_tight_final_gap(1.0, 1) == pytest.approx(1 / 6)
    assert wc.gd_tight_step_decrease(2.0, 1.0) == pytest.approx(0.25)  # η(1 − ηL/2) = ½·½
    assert wc.gd_quadratic_final_gap(1.0, 1) == pytest.approx(0.5 * (1 / 3) * (2 / 3) ** 2)
    assert wc.gd_quadratic_final_gap(1.0, 1, 0.2) == pytest.approx(0.5 / 0.2 * 0.2 * 0.8 ** 2)


# --- the registry is complete -------------------------------------------------------------------------

def test_every_bound_claim_is_covered_or_left_out_with_a_reason():
    covered = {claim_id for entry in WORST_CASES.values() for claim_id in (*entry.claims, *entry.left_out)}
    for claim in REGISTRY:
        if claim.kind == "bound" and claim.measure.__module__.startswith("theorems.catalogue."):
            assert claim.id in covered or set(claim.inventory_ids) & set(LEFT_OUT), claim.id
    assert all(reason for reason in LEFT_OUT.values())


@pytest.mark.parametrize("row", sorted(WORST_CASES))
def test_each_entry_names_claims_of_its_row(row):
    entry = WORST_CASES[row]
    for claim_id in (*entry.claims, *entry.left_out):
        assert row in REGISTRY.get(claim_id).inventory_ids, claim_id
