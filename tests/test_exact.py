"""Tests of the exact evidence: compare(), the algebra helpers of theorems.core.exact, and every
derivation of theorems.catalogue.derivations (it runs, it is typeset, a mutant of a formula is disproved)."""

from __future__ import annotations

import itertools

import pytest
import sympy as sp

from theorems.catalogue.derivations import CLAIMS, DERIVATIONS, LEFT_OUT
from theorems.core.exact import (
    Derivation,
    bernoulli,
    compare,
    expectation,
    fixed_point,
    generic,
    geometric_sum,
    line_search_step,
    normal,
    quadratic_minimizer,
    stationary_covariance,
    subset_mean_variance,
    unroll,
    variance,
    weighted_sum_variance,
)

a, b, x = sp.symbols("a b x", real=True)
i = sp.Symbol("i", integer=True, positive=True)
n, N, B = sp.symbols("n N B", integer=True, positive=True)
s2 = sp.Symbol("s2", positive=True)
alpha = sp.IndexedBase("alpha")


# --- the record ---------------------------------------------------------------------------------------

def test_to_json_has_exactly_the_results_keys():
    record = Derivation("proved", steps=("a = a", "b = b")).to_json()
    assert set(record) == {"status", "method", "latex", "difference", "note", "worst_case", "bound", "ratio", "curve"}
    assert record["latex"] == "a = a\nb = b"


@pytest.mark.parametrize("kwargs, match", [({"status": "maybe"}, "status"),
                                           ({"status": "proved", "method": "guess"}, "method"),
                                           ({"status": "disproved"}, "difference")])
def test_invalid_derivations_are_rejected(kwargs, match):
    with pytest.raises(ValueError, match=match):
        Derivation(**kwargs)


# --- compare --------------------------------------------------------------------------------------------

def test_compare_proves_an_identity():
    result = compare((a + b) ** 2, a ** 2 + 2 * a * b + b ** 2, steps=("(a+b)^2 = a^2 + 2ab + b^2",))
    assert result.status == "proved" and result.difference is None
    assert result.steps[0] == "(a+b)^2 = a^2 + 2ab + b^2" and len(result.steps) == 2


def test_compare_disproves_with_the_exact_difference_and_a_point():
    result = compare(1 / a, 1 / (2 * a))
    assert result.status == "disproved"
    assert result.difference == sp.latex(1 / (2 * a))
    assert "Nonzero at a = " in result.note


def test_compare_honours_assumptions():
    assert compare(sp.sqrt(a ** 2), a, assumptions={"a": {"positive": True}}).status == "proved"
    unrestricted = compare(sp.sqrt(x ** 2), x)
    assert unrestricted.status == "disproved" and "x = -" in unrestricted.note  # |x| ≠ x needs x < 0


def test_compare_rejects_assumptions_on_absent_symbols():
    with pytest.raises(ValueError, match="do not contain"):
        compare(a, a, assumptions={"z": {"positive": True}})


def test_compare_matrices_elementwise():
    assert compare(sp.Matrix([a, b]), sp.Matrix([a, b])).status == "proved"
    assert compare(sp.Matrix([a, b + 1]), sp.Matrix([a, b])).difference == sp.latex(sp.Matrix([0, 1]))


# --- moments --------------------------------------------------------------------------------------------

def test_normal_and_bernoulli_moments():
    Z, D = normal("Z", 0, s2), bernoulli("D", sp.Rational(1, 3))
    assert expectation(Z.symbol ** 4, [Z]) == 3 * s2 ** 2
    assert expectation(D.symbol ** 5 + 1, [D]) == sp.Rational(4, 3)
    assert expectation(normal("Y", a, 1).symbol ** 2, [normal("Y", a, 1)]) == a ** 2 + 1


def test_variance_is_the_definition_and_independence_factorizes():
    X, Y = generic("X"), generic("Y")
    assert variance(X.symbol * Y.symbol, [X, Y]).equals(
        X.moment(2) * Y.moment(2) - X.moment(1) ** 2 * Y.moment(1) ** 2)
    assert variance(a, []) == 0


def test_weighted_sum_variance_matches_the_finite_expansion():
    symbolic, steps = weighted_sum_variance(alpha[i], s2, i, n)
    terms = [generic(f"X{k}", variance=s2) for k in (1, 2, 3)]
    finite = variance(sum(alpha[k] * t.symbol for k, t in enumerate(terms, start=1)), terms)
    assert sp.simplify(symbolic.subs(n, 3).doit() - finite) == 0 and len(steps) == 2


def test_subset_mean_variance_matches_enumerating_every_subset():
    values = [sp.Integer(v) for v in (1, 4, 6, 9)]
    centre = sum(values) / 4
    population = sum((v - centre) ** 2 for v in values) / 4
    subsets = list(itertools.combinations(values, 2))
    brute = sum((sum(s) / 2 - centre) ** 2 for s in subsets) / len(subsets)
    formula, _ = subset_mean_variance(s2, B, N)
    assert formula.subs({s2: population, B: 2, N: 4}) == brute


# --- recursions -------------------------------------------------------------------------------------------

def test_geometric_sum_and_fixed_point():
    r = sp.Symbol("r")
    assert sp.simplify(geometric_sum(r, 5) - sum(r ** k for k in range(5))) == 0
    assert fixed_point(sp.Rational(1, 2), 3) == 6


def test_unroll_is_repeated_substitution():
    u = sp.symbols("u1:4")
    assert unroll(a, u, x) == sp.expand(a * (a * (a * x + u[0]) + u[1]) + u[2])


def test_stationary_covariance_matches_iterating_the_recursion():
    A, noise = sp.Matrix([[sp.Rational(1, 2), sp.Rational(-1, 5)], [1, sp.Rational(1, 5)]]), sp.Matrix([-1, 1])
    P = sp.zeros(2, 2)
    for _ in range(200):
        P = A * P * A.T + noise * noise.T
    exact = stationary_covariance(A, noise, 1)
    assert all(abs(float(e)) < 1e-12 for e in exact - P)


def test_momentum_stationary_variance_is_the_known_closed_form():
    eta, lam, mu = sp.symbols("eta lambda mu", positive=True)
    A = sp.Matrix([[1 - eta * lam, -eta * mu], [lam, mu]])
    known = (1 + mu) * eta * s2 / ((1 - mu) * lam * (2 * (1 + mu) - eta * lam))
    assert sp.simplify(stationary_covariance(A, sp.Matrix([-eta, 1]), s2)[0, 0] - known) == 0


# --- quadratics -------------------------------------------------------------------------------------------

def test_quadratic_minimizer_and_line_search():
    w, c = sp.Symbol("w", real=True), sp.Symbol("c", positive=True)
    assert quadratic_minimizer(c * w ** 2 - 4 * w, w) == 2 / c
    assert line_search_step(c * w ** 2 + b * w, w) == 1 / (2 * c)
    with pytest.raises(ValueError, match="not a convex quadratic"):
        quadratic_minimizer(-w ** 2, w)


# --- the catalogue's derivations ----------------------------------------------------------------------

@pytest.mark.parametrize("key", sorted(DERIVATIONS))
def test_every_derivation_runs_and_is_typeset(key):
    result = DERIVATIONS[key]()
    assert isinstance(result, Derivation) and result.method == "sympy"
    assert result.steps and all(step.strip() for step in result.steps)
    assert result.to_json()["latex"]
    assert result.status in ("proved", "disproved")
    assert (result.difference is not None) == (result.status == "disproved")
    assert DERIVATIONS[key].__doc__ and key.split()[0] in DERIVATIONS[key].__doc__


# The document formulas that the derivations disprove (the rest are proved): a change here is a finding.
DISPROVED = {"000-05 first line", "000-11 first build", "000-12 Kaiming", "000-14 index line", "000-16 without replacement",
             "001-26 with eps", "002-02 without replacement", "002-05 derivation step", "002-05 second form, same eta",
             "003-04 value", "003-05 eta_opt = 1/a", "003-07 expansion", "003-13 within the training set",
             "004-08 without replacement", "004-09", "004-10", "004-11"}


def test_which_formulas_are_disproved():
    assert {key for key, derive in DERIVATIONS.items() if derive().status == "disproved"} == DISPROVED


def test_registry_is_complete():
    assert set(CLAIMS) == set(DERIVATIONS)
    assert all(CLAIMS[key] for key in CLAIMS)
    assert all(reason for reason in LEFT_OUT.values()) and not set(LEFT_OUT) & set(DERIVATIONS)


def test_a_mutant_of_the_weighted_sum_covariance_is_disproved():
    """Σα_i² (the derived covariance) replaced by Σα_i (the problem set's): the comparison must fail, with
    the difference σ²(Σα_i − Σα_i²)."""
    derived, _ = weighted_sum_variance(alpha[i], s2, i, n)
    assert compare(sp.Sum(alpha[i] ** 2, (i, 1, n)) * s2, derived).status == "proved"
    mutant = compare(sp.Sum(alpha[i], (i, 1, n)) * s2, derived)
    assert mutant.status == "disproved"
    expected = s2 * sp.Sum(alpha[i] - alpha[i] ** 2, (i, 1, n))
    assert (expected - sp.Sum(alpha[i], (i, 1, n)) * s2 + derived).subs(n, 3).doit().expand() == 0
    assert "Nonzero at" in mutant.note


def test_the_row_004_11_difference_is_sum_alpha_minus_sum_alpha_squared():
    result = DERIVATIONS["004-11"]()
    assert result.status == "disproved" and r"\sum" in result.difference and r"\alpha" in result.difference
