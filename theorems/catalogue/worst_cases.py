"""Exact worst cases beside the documents' bounds on gradient descent, one entry per bound row.

Each entry of :data:`WORST_CASES` (keyed by inventory ID) holds the document's bound as a function of
(L, scale, T, step) and the PEP of :mod:`theorems.core.worst_case` that computes the exact worst
case of the same quantity over the row's function class, with the scale fixed to 1. ``scale`` is
the norm the bound is homogeneous (of degree 2) in: ‖w_0 − w*‖ for the rates, ‖∇f(w_t)‖ for the
per-step decrease. ``step`` is ηL, so the lectures' η ≤ 1/L is step ≤ 1.

The iteration-count claims (gd-iterations-to-epsilon, linreg-gd-iterations: "ε error needs at most
⌈‖w_0 − w*‖²/(2ηε)⌉ iterations") share their row's rate entry: f(w_t) decreases monotonically for
η ≤ 1/L, so the worst first T with f(w_T) − f(w*) ≤ ε is the least T whose worst final gap is ≤ ε,
and the count bound holds for every ε exactly when the rate bound holds for every T.

:data:`LEFT_OUT` lists the rows with a bound claim that no PEP over a function class expresses,
each with its reason; an entry's ``left_out`` does the same for the other claims of a row it
covers.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable

from theorems.catalogue.kit import DOCUMENTS
from theorems.core.exact import Derivation, Exact
from theorems.core.worst_case import (
    WorstCase,
    gd_worst_final_gap,
    gd_worst_step_decrease,
    gd_worst_step_gap,
    tightness,
    worst_case_table,
)

LECTURE_001 = DOCUMENTS["001"]
RATE_TS = tuple(range(1, 21))  # T = 1 … 20: each solve takes well under a second
ONE_STEP_STEPS = (0.25, 0.5, 0.75, 1.0)  # ηL over the lecture's range η ≤ 1/L
CLAIM_TS = (1, 2, 3, 5, 8, 12, 20)  # the T a claim's check solves for (its tightness figure), a few seconds a row


@dataclasses.dataclass(frozen=True)
class BoundRow:
    """A bound row's document bound and the PEP that computes its exact worst case."""

    row: str  # inventory ID
    claims: tuple[str, ...]  # catalogue claims whose bound this is
    document: str  # source document in shared/seeds/
    section: str  # the document's section
    quantity: str  # what the PEP bounds, in words
    scale: str  # the norm fixed to 1
    sense: str  # "upper": quantity ≤ bound; "lower": quantity ≥ bound
    bound: Callable[[float, float, int, float], float]  # (L, scale, T, step) -> the document's bound
    worst_case: Callable[[float, int, float], float]  # (L, T, step) -> exact worst case at scale 1
    Ts: tuple[int, ...]  # the T the table covers
    steps: tuple[float, ...]  # the ηL the table covers
    left_out: dict[str, str] = dataclasses.field(default_factory=dict)  # the row's other claims: why no PEP

    def table(self, L: float = 1.0, *, Ts: tuple[int, ...] | None = None,
              steps: tuple[float, ...] | None = None) -> tuple[WorstCase, ...]:
        """The worst case, the document's bound (scale 1) and their slack over Ts × steps (defaults: the entry's)."""
        return worst_case_table(
            self.row,
            lambda T, step: self.worst_case(L, T, step),
            lambda T, step: self.bound(L, 1.0, T, step),
            Ts=self.Ts if Ts is None else Ts, steps=self.steps if steps is None else steps, sense=self.sense)


def sufficient_decrease_bound(L: float, gradient_norm: float, T: int, step: float) -> float:
    """(η/2)‖∇f(w_t)‖² with η = step/L: the decrease f(w_t) − f(w_{t+1}) that 001-01 guarantees.

    Row 001-01, lecture 001 ("Lecture 7: Optimization III"), section "Step I: The Descend":
    f convex and L-smooth, η ≤ 1/L: f(w_{t+1}) ≤ f(w_t) − (η/2)‖∇f(w_t)‖². One step (T = 1).
    """
    return step / L / 2 * gradient_norm ** 2


def distance_decrease_bound(L: float, distance_decrease: float, T: int, step: float) -> float:
    """(1/2η)·D² with η = step/L and D² = ‖w_t − w*‖² − ‖w_{t+1} − w*‖²: 001-02's bound on f(w_{t+1}) − f(w*).

    Row 001-02, lecture 001, section "Step II: Convergence Rate":
    f(w_{t+1}) − f(w*) ≤ (1/2η)(‖w_t − w*‖² − ‖w_{t+1} − w*‖²). One step (T = 1).
    """
    return L / (2 * step) * distance_decrease ** 2


def rate_bound(L: float, distance: float, T: int, step: float) -> float:
    """‖w_0 − w*‖²/(2ηT) with η = step/L: the bound on f(w_T) − f(w*) of 001-03 (and of 001-04 with η = 1/λ_max).

    Row 001-03, lecture 001, section "Step II: Convergence Rate": f(w_T) − f(w*) ≤ ‖w_0 − w*‖²/(2ηT).
    Row 001-04, section "GD for Linear regression": η = 1/λ_max(XᵀX) for O(λ_max/ε) iterations, whose
    constant the claim linreg-gd-iterations takes from this bound.
    """
    return L * distance ** 2 / (2 * step * T)


def quadratic_worst_final_gap(L: float, T: int, step: float) -> float:
    """The exact worst f(w_T) − f(w*) over convex quadratics with Hessian ≼ L·I (least squares, L = λ_max(XᵀX))."""
    return gd_worst_final_gap(L, T, step, function_class="convex quadratic")


WORST_CASES: dict[str, BoundRow] = {
    "001-01": BoundRow(
        row="001-01", claims=("gd-sufficient-decrease",), document=LECTURE_001, section="Step I: The Descend",
        quantity="f(w_t) − f(w_{t+1}), smallest over smooth convex f", scale="‖∇f(w_t)‖", sense="lower",
        bound=sufficient_decrease_bound, worst_case=lambda L, T, step: gd_worst_step_decrease(L, step),
        Ts=(1,), steps=ONE_STEP_STEPS,
        left_out={"gd-strict-decrease": "a behaviour label, not a bound; the worst decrease η(1 − ηL/2)‖∇f‖² > 0 "
                                        "for ‖∇f(w_t)‖ > 0 is its exact counterpart"}),
    "001-02": BoundRow(
        row="001-02", claims=("gd-distance-bound",), document=LECTURE_001, section="Step II: Convergence Rate",
        quantity="f(w_{t+1}) − f(w*), largest over smooth convex f",
        scale="√(‖w_t − w*‖² − ‖w_{t+1} − w*‖²)", sense="upper",
        bound=distance_decrease_bound, worst_case=lambda L, T, step: gd_worst_step_gap(L, step),
        Ts=(1,), steps=ONE_STEP_STEPS),
    "001-03": BoundRow(
        row="001-03", claims=("gd-rate", "gd-iterations-to-epsilon"), document=LECTURE_001, section="Step II: Convergence Rate",
        quantity="f(w_T) − f(w*), largest over smooth convex f", scale="‖w_0 − w*‖", sense="upper",
        bound=rate_bound, worst_case=gd_worst_final_gap, Ts=RATE_TS, steps=(1.0, 0.5)),
    "001-04": BoundRow(
        row="001-04", claims=("linreg-gd-iterations",), document=LECTURE_001, section="GD for Linear regression",
        quantity="f(w_T) − f(w*) for f(w) = ½‖y − Xw‖², largest over X (convex quadratics, L = λ_max(XᵀX))",
        scale="‖w_0 − w*‖", sense="upper", bound=rate_bound, worst_case=quadratic_worst_final_gap,
        Ts=RATE_TS, steps=(1.0,),
        left_out={
            "linreg-gradient-lipschitz": "a matrix-norm inequality ‖XᵀX(w_1 − w_2)‖ ≤ λ_max(XᵀX)‖w_1 − w_2‖, not "
                                         "an algorithm's performance; it is attained exactly along the top "
                                         "eigenvector (slack 1) without a solver",
        }),
}

LEFT_OUT: dict[str, str] = {
    "000-07": ("convexity of the linear and logistic regression losses is a property of two function families, "
               "not a worst case over a class; 'gradient descent will always get to the right answer' as a rate "
               "is 001-03's worst case, and a PEP presumes a minimizer w*, which logistic regression on "
               "separable data does not have"),
    "000-05": ("claim dropout-shrinks-linear-output: E[DO_r(x)ᵀw] = (1 − r)Σ x_i w_i < Σ x_i w_i compares two "
               "closed forms (a symbolic derivation), not an optimizer's worst case over a class"),
    "001-17": ("claims ridge-positive-definite and ridge-norm-decreasing: properties of one closed form "
               "(XᵀX + λI ≻ 0, ‖ŵ(λ)‖ decreasing), proved by the eigendecomposition, not an optimizer's worst case"),
}


@functools.cache
def row_tightness(row: str) -> Derivation:
    """The bound row's worst case against its bound over CLAIM_TS (or its one step) as exact evidence,
    computed once per process for the claims that share the row."""
    entry = WORST_CASES[row]
    Ts = tuple(T for T in CLAIM_TS if T in entry.Ts) or entry.Ts
    return tightness(entry.table(Ts=Ts), note=f"Worst {entry.quantity} with {entry.scale} = 1.")


def exact_entries() -> dict[str, list[Exact]]:
    """Each bound claim's worst-case evidence, by claim id."""
    return {claim_id: [Exact(row, functools.partial(row_tightness, row))]
            for row, entry in WORST_CASES.items() for claim_id in entry.claims}
