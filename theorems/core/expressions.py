"""Formulas written as expressions: ``stated="sigma2 / B"`` instead of ``lambda p: p["sigma2"] / p["B"]``.

A claim's formula (``stated``, a Formula's ``value``) may be a sympy expression or a string sympy parses.
Its free symbols are names in the point ``p`` (the parameters and the measurement's quantities), so the
engine evaluates it like a lambda; the report typesets its LaTeX; and, because its structure is known,
the plausible slips of such a formula can be written down mechanically (:func:`mutations`): a
constant doubled, an exponent off by one, a factor dropped or squared. Each is a wrong formula that
the claim's measurement must refute, or the check could not tell it from the document's
(theorems.core.claim.standard_mutants makes them a claim's mutants).

sympy is imported only when an expression is built: ``import theorems`` stays light.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
CONSTANTS = ("pi",)  # names a string may use for sympy's constants; every other bare name is a symbol


@dataclass(frozen=True)
class Expression:
    """A formula as a sympy expression, evaluated at a point ``p`` by substituting ``p[name]`` for each
    free symbol. ``names`` are those symbols' names, sorted; ``latex`` its LaTeX. Works on floats and on
    numpy arrays (sympy's lambdify with numpy), and pickles by its expression."""

    expr: Any  # sympy.Expr
    names: tuple[str, ...] = field(init=False)
    _function: Callable[..., Any] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        import sympy as sp

        symbols = sorted(self.expr.free_symbols, key=lambda s: s.name)
        object.__setattr__(self, "names", tuple(s.name for s in symbols))
        object.__setattr__(self, "_function", sp.lambdify(symbols, self.expr, modules="numpy", dummify=True))

    def __call__(self, p: Mapping[str, Any]) -> Any:
        missing = [name for name in self.names if name not in p]
        if missing:
            raise KeyError(f"expression {self} needs {missing}, which the point does not have (its parameters "
                           f"and the measurement's quantities: {sorted(p)})")
        return self._function(*(p[name] for name in self.names))

    def __str__(self) -> str:
        import sympy as sp

        return sp.sstr(self.expr)

    def __reduce__(self):
        return (Expression, (self.expr,))

    @property
    def latex(self) -> str:
        """sympy's LaTeX, a name of several letters that sympy leaves as it is (``variance``) set upright."""
        import sympy as sp

        words = {s: rf"\mathrm{{{s.name}}}" for s in self.expr.free_symbols
                 if len(s.name) > 1 and s.name.isalpha() and sp.latex(s) == s.name}
        return sp.latex(self.expr, symbol_names=words)


def parse(text: str) -> Any:
    """``text`` as a sympy expression, every bare name a symbol (even ``N``, ``E``, ``beta``, which sympy
    would read as its own objects) except :data:`CONSTANTS`, and a name followed by ``(`` a function
    (``sqrt(v)``, ``log(n)``). A string sympy cannot parse is a ValueError naming it."""
    import sympy as sp
    from sympy.parsing.sympy_parser import parse_expr

    names = {m.group() for m in _IDENTIFIER.finditer(text) if not text[m.end():].lstrip().startswith("(")}
    symbols = {name: sp.Symbol(name) for name in names if name not in CONSTANTS}
    try:
        return parse_expr(text, local_dict=symbols)
    except (SyntaxError, TypeError, ValueError) as error:
        raise ValueError(f"cannot read the formula {text!r} as an expression: {error}") from None


def expression(formula: Any) -> Expression:
    """An Expression from a string sympy parses (:func:`parse`), a sympy expression or a number."""
    import sympy as sp

    if isinstance(formula, Expression):
        return formula
    expr = parse(formula) if isinstance(formula, str) else sp.sympify(formula, strict=True)
    if not isinstance(expr, sp.Expr):
        raise ValueError(f"a formula must be a scalar sympy expression, got {formula!r} ({type(expr).__name__})")
    return Expression(expr)


# --- the standard mutants --------------------------------------------------------------------------

def mutations(formula: Any) -> tuple[tuple[str, Expression], ...]:
    """The plausible slips of a formula, each named in words, as (name, mutant) pairs; e.g. for a² v:

    - each numeric constant doubled ("constant 1/2 → 1"; exponents are handled below);
    - each exponent one more and one less ("exponent of a 2 → 3", "exponent of B -1 → -2"; a symbolic
      exponent too: "exponent of beta t → t + 1");
    - each factor of the top-level product dropped or squared ("a**2 dropped", "v squared").

    Mutants equal to the formula (sympy.simplify(mutant − formula) == 0) or to an earlier mutant are left
    out, so every one is a different function.
    """
    stated = expression(formula).expr
    kept: list[tuple[str, Any]] = []
    for name, mutant in _candidates(stated):
        if not any(_equal(mutant, other) for other in (stated, *(m for _, m in kept))):
            kept.append((name, mutant))
    return tuple((name, Expression(mutant)) for name, mutant in kept)


def _candidates(stated: Any) -> Iterator[tuple[str, Any]]:
    """(name, mutant) for every factor, constant and exponent of ``stated``, in that order."""
    import sympy as sp

    factors = [f for f in sp.Mul.make_args(stated) if not f.is_Number]
    for factor in factors:
        if len(factors) > 1:
            yield f"{_term(factor)} dropped", stated / factor
        yield f"{_term(factor)} squared", stated * factor
    nodes = list(_nodes(stated))
    for path, node, parent in nodes:
        if node.is_Number and not (parent is not None and parent.is_Pow and path[-1] == 1):
            where = f" in {_text(parent)}" if parent is not None and parent is not stated else ""
            yield f"constant {_text(node)} → {_text(2 * node)}{where}", _replace(stated, path, 2 * node)
    for path, node, _ in nodes:
        if node.is_Pow:
            base, exponent = node.args
            for changed in (exponent + 1, exponent - 1):
                yield (f"exponent of {_base(base)} {_text(exponent)} → {_text(changed)}",
                       _replace(stated, path, sp.Pow(base, changed)))


def _nodes(expr: Any, path: tuple[int, ...] = (), parent: Any = None) -> Iterator[tuple[tuple[int, ...], Any, Any]]:
    """Every subexpression with its path of argument positions and its parent (None for ``expr``)."""
    yield path, expr, parent
    for index, arg in enumerate(expr.args):
        yield from _nodes(arg, (*path, index), expr)


def _replace(expr: Any, path: tuple[int, ...], new: Any) -> Any:
    """``expr`` with the subexpression at ``path`` (one occurrence, not every equal one) replaced by ``new``."""
    if not path:
        return new
    args = list(expr.args)
    args[path[0]] = _replace(args[path[0]], path[1:], new)
    return expr.func(*args)


def _equal(a: Any, b: Any) -> bool:
    """Whether a − b is identically 0: first a cheap exact disproof (a − b at a point of distinct rationals is
    a nonzero number), else sympy.simplify(a − b) == 0."""
    import sympy as sp

    difference = a - b
    symbols = sorted(difference.free_symbols, key=lambda s: s.name)
    at = difference.subs({s: sp.Rational(k + 2, k + 3) for k, s in enumerate(symbols)})
    if at.is_number and at.is_finite and at != 0:
        return False
    return sp.simplify(difference) == 0


def _text(expr: Any) -> str:
    import sympy as sp

    return sp.sstr(expr)


def _term(expr: Any) -> str:
    """The text of ``expr``, in parentheses when it is a sum (to read as one factor)."""
    return f"({_text(expr)})" if expr.is_Add else _text(expr)


def _base(expr: Any) -> str:
    """The text of a power's base, in parentheses unless it is a symbol, a number or a function call."""
    return _text(expr) if expr.is_Atom or expr.is_Function else f"({_text(expr)})"
