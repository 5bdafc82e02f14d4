"""Exact worst cases of gradient descent by performance estimation (PEP).

A bound row states that, for every function of a class (convex and L-smooth; convex quadratics
whose Hessian is at most L), a quantity of gradient descent

    w_{t+1} = w_t − η∇f(w_t),   step = ηL (dimensionless; the lectures' η ≤ 1/L is step ≤ 1),

stays on one side of a formula. Its *worst case* is the supremum (or infimum) of that quantity over
the class, with the norm the bound is homogeneous in fixed to 1. Drori & Teboulle (2014, "Performance
of first-order methods for smooth convex minimization: a novel approach") and Taylor, Hendrickx &
Glineur (2017, "Smooth strongly convex interpolation and exact worst-case performance of first-order
methods") showed that this supremum is the value of a small semidefinite program over the Gram
matrix of the iterates and gradients; PEPit writes that program from the algorithm's code. The
solver's dual value is returned: an upper bound on the worst case, tight up to solver precision
(PEP_RTOL), attained by some function of the class.

PEPit is the optional extra ``[exact]``, imported only inside the functions that solve. Without it
:func:`pep_available` is False, the ``gd_worst_*`` functions raise :class:`PepUnavailable`, and
:func:`worst_case_table` returns records whose ``worst_case`` and ``ratio`` are None and whose
``note`` says the worst case was not computed.
"""

from __future__ import annotations

import dataclasses
import importlib
import math
import numbers
import typing
import warnings
from collections.abc import Callable, Iterable, Sequence

from theorems.core.exact import Derivation

NOT_COMPUTED = "not computed: PEPit is not installed (pip install 'theorycheck[exact]')"
PEP_RTOL = 1e-6  # relative precision of a solve: Clarabel's dual value is within ~1e-8 on these SDPs
FUNCTION_CLASSES = ("smooth convex", "convex quadratic")
SENSES = ("upper", "lower")
# Clarabel first (interior point, ~1e-8); SCS with tight tolerances where Clarabel fails or reports an
# inaccurate solution (the convex-quadratic class from about T = 15 on).
SOLVER_ATTEMPTS: tuple[tuple[str, dict[str, float]], ...] = (
    ("CLARABEL", {}),
    ("SCS", {"eps_abs": 1e-9, "eps_rel": 1e-9, "max_iters": 200_000}),
)


class PepUnavailable(RuntimeError):
    """PEPit (or its cvxpy stack) cannot be imported: the worst case cannot be computed."""


def pep_available() -> bool:
    """Whether PEPit and cvxpy import, i.e. whether worst cases can be computed here."""
    try:
        importlib.import_module("PEPit")
        importlib.import_module("cvxpy")
    except ImportError:
        return False
    return True


@dataclasses.dataclass(frozen=True)
class WorstCase:
    """One bound row's exact worst case beside the document's bound, at T steps of size step = ηL.

    ``ratio`` is the bound's slack, oriented so that ≥ 1 means the bound holds over the whole class
    and 1 means it is tight: bound / worst_case for an upper bound, worst_case / bound for a lower
    bound. ``worst_case`` and ``ratio`` are None when the worst case was not computed (``note`` says
    why).
    """

    row: str  # inventory ID of the bound row
    T: int  # number of gradient steps
    step: float  # ηL
    worst_case: float | None  # exact worst case, the bound's scale fixed to 1
    bound: float  # the document's bound at the same scale
    ratio: float | None  # slack (see above)
    note: str = ""

    @property
    def holds(self) -> bool | None:
        """Whether the document's bound holds over the class, to solver precision; None if not computed."""
        return None if self.ratio is None else self.ratio >= 1 - PEP_RTOL


def slack_ratio(worst_case: float, bound: float, sense: str) -> float:
    """bound / worst_case for an upper bound, worst_case / bound for a lower bound (≥ 1: holds)."""
    if sense not in SENSES:
        raise ValueError(f"sense must be one of {SENSES}, got {sense!r}")
    numerator, denominator = (bound, worst_case) if sense == "upper" else (worst_case, bound)
    if not denominator > 0:
        raise ValueError(f"the slack of a {sense} bound needs a positive denominator, got {denominator!r}")
    return numerator / denominator


def worst_case_table(row: str, worst_case: Callable[[int, float], float], bound: Callable[[int, float], float], *,
                     Ts: Iterable[int], steps: Iterable[float], sense: str = "upper") -> tuple[WorstCase, ...]:
    """The row's worst case, the document's bound and their slack for every T in ``Ts`` and step in ``steps``.

    ``worst_case(T, step)`` solves a PEP; ``bound(T, step)`` is the document's formula at the same
    scale. Without PEPit every record says the worst case was not computed (no solve is attempted).
    """
    grid = [(T, step) for step in steps for T in Ts]
    if not pep_available():
        return tuple(WorstCase(row, T, step, None, bound(T, step), None, NOT_COMPUTED) for T, step in grid)
    records = []
    for T, step in grid:
        worst, stated = worst_case(T, step), bound(T, step)
        records.append(WorstCase(row, T, step, worst, stated, slack_ratio(worst, stated, sense)))
    return tuple(records)


def tightness(records: Sequence[WorstCase], note: str = "") -> Derivation:
    """A bound row's table as exact evidence (method "pep"): proved when the bound holds at every (T, ηL)
    computed, disproved when it fails at one, not_applicable when the worst case was not computed. Its
    worst_case, bound and ratio are the tightest record's (smallest ratio: how close the bound comes to
    the truth, or how far it fails); the curve is the whole table."""
    curve = tuple({"T": r.T, "step": r.step, "worst_case": r.worst_case, "bound": r.bound, "ratio": r.ratio}
                  for r in records)
    computed = [r for r in records if r.ratio is not None]
    if not computed:
        return Derivation("not_applicable", "pep", note=" ".join([note, NOT_COMPUTED]).strip(), curve=curve)
    tightest = min(computed, key=lambda r: typing.cast(float, r.ratio))  # computed: every ratio is set
    status = "proved" if all(r.holds for r in computed) else "disproved"
    at = f"tightest at T = {tightest.T}, ηL = {tightest.step:g}: bound/worst-case slack {tightest.ratio:.4g}"
    return Derivation(status, "pep", note=f"{note} {at}.".strip(), worst_case=tightest.worst_case,
                      bound=tightest.bound, ratio=tightest.ratio, curve=curve)


# --- the PEPs ----------------------------------------------------------------------------------------

def _pepit():
    """PEPit's PEP class and function module, or PepUnavailable."""
    try:
        pepit = importlib.import_module("PEPit")
        functions = importlib.import_module("PEPit.functions")
    except ImportError as error:
        raise PepUnavailable(NOT_COMPUTED) from error
    return pepit.PEP, functions


def _validate(L: float, T: int, step: float, function_class: str) -> None:
    if not (isinstance(L, numbers.Real) and math.isfinite(L) and L > 0):
        raise ValueError(f"L must be a positive finite number, got {L!r}")
    if not (isinstance(T, numbers.Integral) and T >= 1):
        raise ValueError(f"T must be an integer >= 1, got {T!r}")
    if not 0 < step < 2:  # ηL ≥ 2 diverges on a quadratic: the worst case is unbounded
        raise ValueError(f"step = ηL must lie in (0, 2), got {step!r}")
    if function_class not in FUNCTION_CLASSES:
        raise ValueError(f"function_class must be one of {FUNCTION_CLASSES}, got {function_class!r}")


def _gradient_descent(L: float, T: int, step: float, function_class: str):
    """A PEP with one function of the class, its minimizer w*, and T steps of gradient descent from a free w_0.

    Returns (problem, f, w*, [w_0, …, w_T]); the caller adds the initial condition and the metric.
    """
    _validate(L, T, step, function_class)
    PEP, functions = _pepit()
    problem = PEP()
    if function_class == "smooth convex":
        f = problem.declare_function(functions.SmoothConvexFunction, L=L)
    else:
        f = problem.declare_function(functions.SmoothStronglyConvexQuadraticFunction, mu=0.0, L=L)
    w_star = f.stationary_point()
    iterates = [problem.set_initial_point()]
    for _ in range(T):
        iterates.append(iterates[-1] - (step / L) * f.gradient(iterates[-1]))  # w_{t+1} = w_t − η∇f(w_t)
    return problem, f, w_star, iterates


def _solve(problem) -> float:
    """The PEP's worst-case value (the solver's dual value), solver output off.

    Tries SOLVER_ATTEMPTS in order; an attempt that fails or that cvxpy flags as inaccurate is
    replaced by the next one.
    """
    import cvxpy  # an optional extra, present whenever _pepit() succeeded

    failures = []
    for solver, options in SOLVER_ATTEMPTS:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                value = problem.solve(wrapper="cvxpy", solver=solver, verbose=0, **options)
            except cvxpy.error.SolverError as error:
                failures.append(f"{solver}: {error}")
                continue
        inaccurate = [str(w.message) for w in caught if "inaccurate" in str(w.message).lower()]
        if not inaccurate:
            return float(value)
        failures.append(f"{solver}: {inaccurate[0]}")
    raise RuntimeError("no solver reached the PEP's optimum: " + "; ".join(failures))


def gd_worst_final_gap(L: float, T: int, step: float = 1.0, *, function_class: str = "smooth convex") -> float:
    """max f(w_T) − f(w*) over f in the class, for T steps of size η = step/L from ‖w_0 − w*‖ ≤ 1.

    For smooth convex f and step ≤ 1 this is L/(4T·step + 2) (Drori & Teboulle 2014, Theorem 3.1;
    :func:`gd_tight_final_gap`); for convex quadratics see :func:`gd_quadratic_final_gap`.
    """
    problem, f, w_star, w = _gradient_descent(L, T, step, function_class)
    problem.set_initial_condition((w[0] - w_star) ** 2 <= 1)
    problem.set_performance_metric(f(w[-1]) - f(w_star))
    return _solve(problem)


def gd_worst_step_decrease(L: float, step: float = 1.0) -> float:
    """min f(w_t) − f(w_{t+1}) over smooth convex f and points w_t with ‖∇f(w_t)‖ = 1: the smallest decrease
    one step of size η = step/L can make.

    The descent lemma gives η(1 − step/2)‖∇f(w_t)‖², attained by the quadratic (L/2)‖w‖²
    (:func:`gd_tight_step_decrease`). Any w_t may serve as w_0, so the PEP starts at w_0.
    """
    problem, f, _, w = _gradient_descent(L, 1, step, "smooth convex")
    problem.set_initial_condition(f.gradient(w[0]) ** 2 == 1)
    problem.set_performance_metric(f(w[1]) - f(w[0]))
    return -_solve(problem)


def gd_worst_step_gap(L: float, step: float = 1.0) -> float:
    """max f(w_{t+1}) − f(w*) over smooth convex f and points w_t with ‖w_t − w*‖² − ‖w_{t+1} − w*‖² ≤ 1.

    The quantity of the one-step inequality f(w_{t+1}) − f(w*) ≤ (1/2η)(‖w_t − w*‖² − ‖w_{t+1} − w*‖²),
    normalized by its right-hand side's distance decrease.
    """
    problem, f, w_star, w = _gradient_descent(L, 1, step, "smooth convex")
    problem.set_initial_condition((w[0] - w_star) ** 2 - (w[1] - w_star) ** 2 <= 1)
    problem.set_performance_metric(f(w[1]) - f(w_star))
    return _solve(problem)


# --- closed forms the PEPs are checked against --------------------------------------------------------

def gd_tight_final_gap(L: float, T: int, step: float = 1.0) -> float:
    """L/(4T·step + 2): the exact worst f(w_T) − f(w*) over smooth convex f with ‖w_0 − w*‖ ≤ 1, step ≤ 1.

    Drori & Teboulle (2014), Theorem 3.1, attained by a Huber function.
    """
    _validate(L, T, step, "smooth convex")
    if step > 1:
        raise ValueError(f"the closed form L/(4T·step + 2) is proved for step <= 1, got {step!r}")
    return L / (4 * T * step + 2)


def gd_tight_step_decrease(L: float, step: float = 1.0) -> float:
    """η(1 − ηL/2) with η = step/L: the smallest decrease f(w_t) − f(w_{t+1}) when ‖∇f(w_t)‖ = 1."""
    _validate(L, 1, step, "smooth convex")
    return step / L * (1 - step / 2)


def gd_quadratic_final_gap(L: float, T: int, step: float = 1.0) -> float:
    """max over eigenvalues λ ∈ [0, L] of (λ/2)(1 − ηλ)^{2T}: the worst f(w_T) − f(w*) over convex quadratics
    with Hessian ≼ L·I and ‖w_0 − w*‖ ≤ 1, for step ≤ 1.

    The error along an eigenvector shrinks by (1 − ηλ) per step; with u = ηλ ∈ [0, step] the gap
    (L/(2·step))·u(1 − u)^{2T} peaks at u = 1/(2T + 1), or at u = step if that comes first.
    """
    _validate(L, T, step, "convex quadratic")
    if step > 1:
        raise ValueError(f"the closed form is written for step <= 1, got {step!r}")
    u = min(1 / (2 * T + 1), step)
    return L / (2 * step) * u * (1 - u) ** (2 * T)
