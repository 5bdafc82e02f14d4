"""Exact evidence: a document's closed form proved or disproved by computer algebra (sympy).

A Monte Carlo verdict says a formula agrees with a measurement to within a resolution; a derivation
says whether it is an identity. This module holds the record (``Derivation``), the comparison that makes
one (``compare``: stated − derived simplified to 0, or a disproof with the exact difference and a point
where it is nonzero), and the algebra that recurs in the lecture documents, written once:

- moments of polynomials in finitely many independent random variables (``expectation``, ``variance``),
  from each variable's moments and E[Π X_i^{k_i}] = Π E[X_i^{k_i}] (independence);
- the variance of a weighted sum Σ_{i=1}^n c_i X_i of n independent terms for a symbolic n
  (``weighted_sum_variance``), and of the mean of B examples drawn without replacement
  (``subset_mean_variance``);
- geometric series, fixed points and stationary covariances of linear recursions (EMA, bias correction,
  momentum, SGD on a quadratic), and the unrolling of x_t = a x_{t−1} + u_t;
- minimizers of quadratics and the exact line-search step.

Only sympy is imported: the catalogue's derivations (theorems.catalogue.derivations) build on this.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

import sympy as sp

from theorems.core.results import ClaimResult, ExactEvidence, TightnessPoint
from theorems.core.verdict import Verdict

STATUSES = ("proved", "disproved", "not_applicable")
METHODS = ("sympy", "pep")
PROBE_VALUES = (Fraction(1, 2), Fraction(1, 3), 2, 3, Fraction(-1, 2), -3)  # tried in turn for a nonzero difference


@dataclass(frozen=True)
class Derivation:
    """Exact evidence for one claim.

    status: "proved" (stated − derived is identically 0 under the assumptions), "disproved" (it is not),
    or "not_applicable". method: "sympy" (a derivation) or "pep" (a performance-estimation worst case).
    steps: the derivation, one typeset LaTeX equation each. difference: LaTeX of stated − derived when
    disproved. note: the assumptions used and, for a disproof, a point where the difference is nonzero.
    worst_case, bound, ratio: a bound row's exact worst case, the document's bound, and bound/worst case
    (the PEP part fills these).
    """

    status: str
    method: str = "sympy"
    steps: tuple[str, ...] = ()
    difference: str | None = None
    note: str = ""
    worst_case: float | None = None
    bound: float | None = None
    ratio: float | None = None
    curve: tuple[dict, ...] = ()  # pep: {"T", "step", "worst_case", "bound", "ratio"} over the table computed

    def __post_init__(self):
        if self.status not in STATUSES:
            raise ValueError(f"status must be one of {STATUSES}, got {self.status!r}")
        if self.method not in METHODS:
            raise ValueError(f"method must be one of {METHODS}, got {self.method!r}")
        if self.status == "disproved" and self.method == "sympy" and not self.difference:
            raise ValueError("a sympy disproof must carry the difference stated − derived")

    @property
    def latex(self) -> str:
        """The steps, one equation per line."""
        return "\n".join(self.steps)

    def to_json(self) -> dict:
        """The results.json record: status, method, latex, difference, note, worst_case, bound, ratio, curve."""
        return {"status": self.status, "method": self.method, "latex": self.latex, "difference": self.difference,
                "note": self.note, "worst_case": self.worst_case, "bound": self.bound, "ratio": self.ratio,
                "curve": [dict(point) for point in self.curve]}


# --- a claim's exact evidence, computed when it is checked, and its agreement with the measurement ----

AGREEMENTS = ("agrees", "within resolution", "disagrees", "undecided")  # ExactEvidence.agreement


@dataclass(frozen=True)
class Exact:
    """One piece of a claim's exact evidence (``Claim.exact``): ``derive()`` returns a Derivation.

    key: its name, an inventory row and qualifier ("000-16 without replacement"). reading: the claim's
    reading it derives (None: every reading). value: the derived formula as a function of a point, when
    the claim has one (e.g. an alternative); it measures the size of a disproof where the measurement
    confirmed the stated formula, which is then "within resolution" rather than a disagreement.
    """

    key: str
    derive: Callable[[], Derivation]
    reading: str | None = None
    value: Callable[[Mapping], float] | None = None

    def evidence(self, claim, result: ClaimResult) -> ExactEvidence:
        """The derivation as a results record, with its agreement with the claim's Monte Carlo verdicts."""
        record = _derivation(self.derive).to_json()
        record["curve"] = [TightnessPoint(**point) for point in record["curve"]]
        agreement, why = agreement_with(record["status"], self, claim, result)
        return ExactEvidence(key=self.key, reading=self.reading, **record, agreement=agreement, agreement_note=why)


@functools.cache
def _derivation(derive: Callable[[], Derivation]) -> Derivation:
    """A derivation, computed once per process: it depends on the formula alone, never on the run's seed
    or a point, so a claim checked again (another seed, a mutant's test, calibration) reuses it."""
    return derive()


def agreement_with(status: str, entry: Exact, claim, result: ClaimResult) -> tuple[str, str]:
    """Whether the exact status and the measured verdicts say the same, reading by reading.

    proved agrees with confirmed, disproved with refuted. A disproof that the measurement confirmed is
    "within resolution" when the exact relative gap |derived − stated|/scale at every point evaluated
    under that reading is at most the claim's resolution (it needs ``entry.value``), else a disagreement:
    a defect in the derivation or in the check, which the report shows. Inconclusive readings and
    not_applicable evidence decide nothing ("undecided")."""
    verdicts = {r.name: r.verdict for r in result.readings if entry.reading in (None, r.name)}
    if entry.reading is not None and not verdicts:
        return "disagrees", f"the claim has no reading {entry.reading!r}"
    decided = {name: v for name, v in verdicts.items() if v in (Verdict.CONFIRMED, Verdict.REFUTED)}
    if status == "not_applicable" or not decided:
        return "undecided", "no exact status or no decided Monte Carlo verdict to compare"
    expected = Verdict.CONFIRMED if status == "proved" else Verdict.REFUTED
    against = {name: v for name, v in decided.items() if v != expected}
    if not against:
        return "agrees", f"{status}; measured {expected} under {', '.join(decided)}"
    if status == "proved":
        return "disagrees", f"proved, but measured refuted under {', '.join(against)}"
    gaps = {name: _largest_gap(entry, claim, result, name) for name in against}
    wide = {name: gap for name, gap in gaps.items() if gap is None or gap > result.resolution}
    shown = ", ".join(f"{name}: {'not measurable' if gap is None else f'{gap:.3g}'}" for name, gap in gaps.items())
    if wide:
        return "disagrees", f"disproved, but measured confirmed with exact relative gap {shown}"
    return "within resolution", (f"disproved; measured confirmed where the exact relative gap is at most "
                                 f"{shown} against the resolution {result.resolution:g}")


def _largest_gap(entry: Exact, claim, result: ClaimResult, reading: str) -> float | None:
    """max |value − stated|/scale over the points evaluated under ``reading`` (None without ``entry.value``
    or where the value needs a measured quantity)."""
    points = [point for point in result.evidence if point.reading == reading]
    if entry.value is None or not points:
        return None
    params = {r.name: r.params for r in claim.readings}[reading]
    gaps = []
    for point in points:
        p = {**point.params, **params}
        try:
            scale = abs(claim.scale(p)) if claim.scale is not None else abs(point.stated)
            gaps.append(abs(entry.value(p) - point.stated) / scale)
        except (KeyError, TypeError, ZeroDivisionError):
            return None
    return max(gaps)


# --- comparing a stated expression with a derived one -----------------------------------------------

def equation(left, right) -> str:
    """One typeset step: LaTeX of left = right (either may be a LaTeX string already)."""
    def tex(side):
        return side if isinstance(side, str) else sp.latex(side)
    return f"{tex(left)} = {tex(right)}"


def with_assumptions(expr, assumptions: Mapping[str, Mapping[str, bool]]):
    """expr with each free symbol named in ``assumptions`` replaced by one carrying those sympy assumptions
    (e.g. {"N": {"integer": True, "positive": True}}), so that simplification may use them."""
    unknown = set(assumptions) - {s.name for s in expr.free_symbols}
    if unknown:
        raise ValueError(f"assumptions name symbols that the expressions do not contain: {sorted(unknown)}")
    return expr.xreplace({s: sp.Symbol(s.name, **assumptions[s.name]) for s in expr.free_symbols
                          if s.name in assumptions})


def _difference(stated, derived):
    """stated − derived simplified (elementwise for matrices), factored where that is shorter."""
    def simplest(expr):
        expr = sp.simplify(sp.factor_terms(sp.expand(expr)))
        if expr.has(sp.Sum):
            return expr
        factored = sp.factor(expr)
        return factored if sp.count_ops(factored) < sp.count_ops(expr) else expr
    if isinstance(stated, sp.MatrixBase) or isinstance(derived, sp.MatrixBase):
        return sp.Matrix(stated - derived).applyfunc(simplest)
    return simplest(stated - derived)


def _is_zero(diff) -> bool:
    """Whether a simplified difference is identically 0. What simplify leaves goes to sympy's ``equals`` (a
    numerical and symbolic test), then to a search for a nonzero point (which settles sums over a symbolic
    range); a case none of them decides is an error, never a verdict."""
    entries = list(diff) if isinstance(diff, sp.MatrixBase) else [diff]
    for entry in entries:
        if entry == 0 or entry.equals(0):
            continue
        try:
            counterexample(entry)
        except ValueError:
            raise ValueError(f"sympy cannot decide whether {entry} is 0") from None
        return False
    return True


def counterexample(diff) -> dict:
    """A point of small values at which the difference is nonzero: the concrete case a disproof names.
    The k-th plain symbol (in name order) gets probe + k (|probe| + k if it is nonnegative), or
    ⌊|probe|⌋ + 2 + k if it is an integer (so sum limits are ≥ 2); sums are then expanded and their terms x_1, x_2, …
    get probe + k as well. Distinct values keep a difference such as x − μ from vanishing by coincidence."""
    labels = {atom.base.label for atom in diff.atoms(sp.Indexed)}
    symbols = sorted((s for s in diff.free_symbols if isinstance(s, sp.Symbol) and s not in labels), key=str)
    for probe in PROBE_VALUES:
        start = sp.nsimplify(probe)
        point = {s: sp.Integer(abs(int(probe)) + 2 + k) if s.is_integer else
                 (abs(start) if s.is_nonnegative else start) + k for k, s in enumerate(symbols)}
        value = diff.subs(point).doit()
        terms = sorted(value.atoms(sp.Indexed), key=str)
        point.update({term: start + k for k, term in enumerate(terms, start=len(symbols))})
        value = value.subs(point)
        entries = list(value) if isinstance(value, sp.MatrixBase) else [value]
        nonzero = [v for v in map(sp.simplify, entries) if v != 0]
        if nonzero and nonzero[0].is_number:
            return {"point": {str(k): v for k, v in point.items()}, "value": nonzero[0]}
    raise ValueError(f"no probe point makes {diff} nonzero")


def compare(stated, derived, *, steps: Sequence[str] = (), assumptions: Mapping[str, Mapping[str, bool]] = {},
            note: str = "") -> Derivation:
    """Proved when stated − derived simplifies to 0 under ``assumptions``, else disproved with the LaTeX of
    the difference and a point where it is nonzero.

    Args:
      stated: the document's expression (sympy expression or Matrix).
      derived: the value the derivation reaches.
      steps: the derivation's LaTeX lines; the comparison is appended.
      assumptions: sympy assumptions per symbol name, e.g. {"a": {"positive": True}}.
      note: what the derivation assumes, kept in the record.
    """
    stated, derived = sp.sympify(stated), sp.sympify(derived)
    if assumptions:
        stated, derived = with_assumptions(stated, assumptions), with_assumptions(derived, assumptions)
    diff = _difference(stated, derived)
    lines = (*steps, equation(r"\text{stated} - \text{derived}", diff))
    if _is_zero(diff):
        return Derivation("proved", steps=lines, note=note)
    where = counterexample(diff)
    at = ", ".join(f"{k} = {sp.sstr(v)}" for k, v in where["point"].items())
    return Derivation("disproved", steps=lines, difference=sp.latex(diff),
                      note=f"{note} Nonzero at {at}: stated − derived = {sp.sstr(where['value'])}.".strip())


def all_of(parts: Sequence[Derivation], note: str = "") -> Derivation:
    """A claim made of several equalities: proved when every part is, else disproved with the differences
    of the parts that fail (their steps concatenated)."""
    steps = tuple(line for part in parts for line in part.steps)
    failed = [part for part in parts if part.status == "disproved"]
    if not failed:
        return Derivation("proved", steps=steps, note=note)
    return Derivation("disproved", steps=steps, difference=r",\quad ".join(p.difference for p in failed if p.difference),
                      note=" ".join([note, *(p.note for p in failed)]).strip())


# --- moments of independent random variables ---------------------------------------------------------

@dataclass(frozen=True)
class RandomVariable:
    """A random variable as a sympy symbol with its raw moments E[X^k]."""

    symbol: sp.Symbol
    moment: Callable[[int], sp.Expr]


def generic(name: str, mean=None, variance=None) -> RandomVariable:
    """A variable with mean μ_X and variance σ_X² (symbols unless given), higher moments symbolic."""
    mu = sp.Symbol(rf"\mu_{{{name}}}", real=True) if mean is None else sp.sympify(mean)
    var = sp.Symbol(rf"\sigma_{{{name}}}^2", nonnegative=True) if variance is None else sp.sympify(variance)
    higher = {1: mu, 2: var + mu ** 2}
    return RandomVariable(sp.Symbol(name, real=True),
                          lambda k: sp.Integer(1) if k == 0 else higher.get(k, sp.Symbol(f"m_{{{name},{k}}}")))


def normal(name: str, mean, variance) -> RandomVariable:
    """X ~ N(μ, σ²): E[X^k] = Σ_j C(k, 2j) μ^{k−2j} σ^{2j} (2j − 1)!!."""
    mu, var = sp.sympify(mean), sp.sympify(variance)
    return RandomVariable(sp.Symbol(name, real=True), lambda k: sp.expand(sum(
        sp.binomial(k, 2 * j) * mu ** (k - 2 * j) * var ** j * sp.factorial2(2 * j - 1) for j in range(k // 2 + 1))))


def bernoulli(name: str, p) -> RandomVariable:
    """X ~ Bernoulli(p): X^k = X for k ≥ 1, so E[X^k] = p."""
    p = sp.sympify(p)
    return RandomVariable(sp.Symbol(name, nonnegative=True), lambda k: sp.Integer(1) if k == 0 else p)


def expectation(expr, variables: Sequence[RandomVariable]):
    """E[expr] for a polynomial in independent random variables: expanded into monomials, each
    E[Π X_i^{k_i}] = Π E[X_i^{k_i}]; every other symbol is a constant."""
    if not variables:
        return sp.expand(expr)
    symbols = [v.symbol for v in variables]
    poly = sp.Poly(sp.expand(expr), *symbols)
    return sp.expand(sum(coefficient * sp.Mul(*(v.moment(k) for v, k in zip(variables, powers)))
                         for powers, coefficient in poly.terms()))


def variance(expr, variables: Sequence[RandomVariable]):
    """Var[Z] = E[(Z − E[Z])²], by definition (not by the shortcut E[Z²] − E[Z]² that 000-02 states)."""
    return sp.factor_terms(expectation((expr - expectation(expr, variables)) ** 2, variables))


def weighted_sum_variance(coefficient, term_variance, index: sp.Symbol, n) -> tuple[sp.Expr, tuple[str, ...]]:
    """Var[Σ_{i=1}^n c_i X_i] for independent X_i with Var X_i = v_i and a symbolic n, with its steps:
    E[(Σ c_i(X_i − μ_i))²] = Σ_i c_i² E[(X_i − μ_i)²] + Σ_{i≠j} c_i c_j E[X_i − μ_i] E[X_j − μ_j]; the cross
    terms vanish by independence (each factor has mean 0), leaving Σ_i c_i² v_i."""
    result = sp.Sum(coefficient ** 2 * term_variance, (index, 1, n))
    lhs = rf"\operatorname{{Var}}\Big[{sp.latex(sp.Sum(coefficient * sp.Symbol('X_i'), (index, 1, n)))}\Big]"
    steps = (equation(lhs, r"\sum_{i} c_i^2 \mathbb{E}[(X_i-\mu_i)^2] + \sum_{i \ne j} c_i c_j "
                      r"\mathbb{E}[X_i-\mu_i]\,\mathbb{E}[X_j-\mu_j]"),
             equation(lhs, result))
    return result, steps


def subset_mean_variance(sigma2, B, N) -> tuple[sp.Expr, tuple[str, ...]]:
    """Var of the mean of B of N values a_k drawn without replacement, population variance σ²: with inclusion
    indicators I_k, E I_k = B/N and E I_k I_l = B(B − 1)/(N(N − 1)) (k ≠ l); for centred a_k, Σ_k a_k² = Nσ² and
    Σ_{k≠l} a_k a_l = (Σ a_k)² − Σ a_k² = −Nσ². Returns (σ²/B)(N − B)/(N − 1) and the steps."""
    diagonal = (B / N) * (N * sigma2)
    cross = B * (B - 1) / (N * (N - 1)) * (-N * sigma2)
    result = sp.factor((diagonal + cross) / B ** 2)
    lhs = r"\operatorname{Var}\Big[\tfrac{1}{B}\sum_k I_k a_k\Big]"
    steps = (equation(lhs, r"\tfrac{1}{B^2}\Big[\sum_k \mathbb{E}[I_k] a_k^2 + \sum_{k \ne l} \mathbb{E}[I_k I_l] "
                      r"a_k a_l\Big]"),
             equation(lhs, sp.UnevaluatedExpr(diagonal + cross) / B ** 2),
             equation(lhs, result))
    return result, steps


# --- linear recursions: geometric series, fixed points, stationary covariances, unrolling -------------

def geometric_sum(ratio, terms) -> sp.Expr:
    """Σ_{k=0}^{n−1} r^k = (1 − r^n)/(1 − r) for r ≠ 1, by sympy's summation (its r ≠ 1 branch)."""
    k = sp.Dummy("k", integer=True, nonnegative=True)
    total = sp.summation(ratio ** k, (k, 0, terms - 1))
    if isinstance(total, sp.Piecewise):
        total = next(value for value, condition in total.args if not isinstance(condition, sp.Eq))
    return sp.simplify(total)


def fixed_point(a, b) -> sp.Expr:
    """The limit of x_t = a x_{t−1} + b when |a| < 1: the unique x with x = a x + b, x = b/(1 − a)."""
    x = sp.Dummy("x")
    (solution,) = sp.solve(sp.Eq(x, a * x + b), x)
    return sp.simplify(solution)


def stationary_covariance(A: sp.Matrix, noise: sp.Matrix, noise_variance) -> sp.Matrix:
    """The stationary covariance P of z_t = A z_{t−1} + noise·ξ_t, ξ_t independent with variance s²,
    when A's spectral radius is below 1: the solution of P = A P Aᵀ + s² noise noiseᵀ (discrete Lyapunov)."""
    n = A.shape[0]
    P = sp.Matrix(n, n, lambda i, j: sp.Symbol(f"p_{min(i, j)}{max(i, j)}"))
    equations = list(P - A * P * A.T - noise_variance * noise * noise.T)
    solution = sp.solve(equations, list(P.free_symbols), dict=True)
    if len(solution) != 1:
        raise ValueError(f"the Lyapunov equation has {len(solution)} solutions for A = {A}")
    return P.subs(solution[0]).applyfunc(sp.factor)


def unroll(a, inputs: Sequence, start) -> sp.Expr:
    """x_T from x_t = a x_{t−1} + u_t run over ``inputs`` u_1 … u_T from x_0 = ``start``, by substitution."""
    x = start
    for u in inputs:
        x = a * x + u
    return sp.expand(x)


# --- quadratics ----------------------------------------------------------------------------------------

def quadratic_minimizer(expr, variable) -> sp.Expr:
    """The minimizer of a quadratic in ``variable``: the zero of its derivative; an error unless the second
    derivative is positive under the symbols' assumptions."""
    curvature = sp.diff(expr, variable, 2)
    if curvature.is_positive is not True:
        raise ValueError(f"{expr} is not a convex quadratic in {variable}: second derivative {curvature}")
    (solution,) = sp.solve(sp.diff(expr, variable), variable)
    return sp.simplify(solution)


def line_search_step(expr, variable) -> sp.Expr:
    """The exact line-search step η* = argmin_η E(w − η E'(w)) for E quadratic in w (away from the minimum)."""
    eta = sp.Symbol("eta", positive=True)
    along = expr.subs(variable, variable - eta * sp.diff(expr, variable))
    (solution,) = sp.solve(sp.diff(along, eta), eta)
    return sp.simplify(solution)
