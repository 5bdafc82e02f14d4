"""The claim model: what a claim of the lecture documents is, as data.

A claim is one frozen dataclass. It records where the statement comes from, the statement as the
document gives it, the formula that statement predicts (``stated``), how to measure the same
quantity (``measure``), the parameter domain to search, and at least one *mutant*: a plausible
wrong version of the formula that the same check must refute. The engine (:mod:`theorems.core.engine`)
decides the verdict; nothing here does.

Formulas and measurements meet through one dictionary ``p``: the point's parameters merged with
the ``quantities`` the measurement reports (``sigma2``, ``L``, ...), so a formula reads like the
slide: ``stated=lambda p: p["sigma2"] / p["B"]``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Union, cast

from theorems.core.domain import Dimension
from theorems.core.expressions import Expression, expression, mutations

if TYPE_CHECKING:
    import sympy

Kind = Literal["stochastic", "bound", "behaviour", "identity", "scaling"]
Relation = Literal["eq", "le", "ge", "label"]
Role = Literal["statement", "derivation"]
Params = Mapping[str, Any]
#: A formula: a function of the point p, or a sympy expression or a string sympy parses, whose symbols name
#: entries of p (``"sigma2 / B"``; theorems.core.expressions evaluates, typesets and mutates it)
Written = Union[Callable[[Params], Any], str, "sympy.Expr"]
AUTO = "auto"  # among a claim's mutants: the standard mutants of its stated expression

class ClaimError(Exception):
    """A claim's check is broken (a measurement of the wrong type, an unexpected NaN, a band of 0):
    reported as an error of that claim, never as a finding."""


KINDS: tuple[str, ...] = ("stochastic", "bound", "behaviour", "identity", "scaling")
RELATIONS: tuple[str, ...] = ("eq", "le", "ge", "label")
# matched with fullmatch: "$" would let a trailing newline through into results.csv and report.md
_ID_PATTERN = re.compile(r"[a-z0-9][a-z0-9-]*")
_ROW_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,39}")  # the catalogue's rows look like 003-04


@dataclass(frozen=True)
class Source:
    """Where a statement is written: the document's file name and its section."""

    document: str  # file name in shared/seeds/, e.g. "000_7c5c639b47bbde7b.txt"
    section: str  # the section heading as the document gives it


@dataclass(frozen=True)
class Formula:
    """A formula for the measured quantity: the claim's own, a mutant or an alternative."""

    statement: str  # the formula as text, e.g. "Var = σ²/B²"
    value: Written  # p -> predicted value (number, array or behaviour label); an expression becomes an Expression
    reading: str | None = None  # judged under this reading only (a mutant or an alternative of one reading)
    convention: str = ""  # an alternative that is a named reference differing only by a convention: what it is.
    # Where it is confirmed and the stated formula refuted, the finding is a convention, not an erratum

    def __post_init__(self) -> None:
        object.__setattr__(self, "value", formula_value(self.value))

    @property
    def function(self) -> Callable[[Params], Any]:
        """The formula as the engine calls it (an expression was made callable at construction)."""
        return cast("Callable[[Params], Any]", self.value)


def formula_value(value: Written) -> Callable[[Params], Any]:
    """A formula as the engine calls it: a function of p as given; a sympy expression or a string sympy
    parses as a theorems.core.expressions.Expression (sympy is imported only then)."""
    return value if callable(value) else expression(value)


def standard_mutants(stated: Written) -> tuple[Formula, ...]:
    """The standard mutants of a formula written as an expression (theorems.core.expressions.mutations: factors
    dropped or squared, constants doubled, exponents ±1), each stated as "<name in words>: <mutant>"."""
    return tuple(Formula(f"{name}: {mutant}", mutant) for name, mutant in mutations(stated))


def with_standard_mutants(claim_id: str, stated: Written, mutants: Sequence[Formula | str] | str) -> tuple[Formula, ...]:
    """The mutants with each ``"auto"`` among them (or ``mutants="auto"``) replaced by the standard mutants
    of the stated expression (:func:`standard_mutants`)."""
    def expanded(item: Formula | str) -> tuple[Formula, ...]:
        if isinstance(item, Formula):
            return (item,)
        if item != AUTO:
            raise ValueError(f"claim {claim_id}: a mutant is a Formula or {AUTO!r}, got {item!r}")
        if not isinstance(stated, Expression):
            raise ValueError(f"claim {claim_id}: mutants={AUTO!r} derives the mutants from the stated expression; "
                             f"write stated as a sympy expression or a string such as 'sigma2 / B', got {stated!r}")
        return standard_mutants(stated)
    return tuple(mutant for item in ((mutants,) if isinstance(mutants, str) else mutants) for mutant in expanded(item))


@dataclass(frozen=True)
class Reading:
    """One way to read a statement the document leaves open.

    Its ``params`` are merged into every point evaluated under it. A claim that holds under one
    reading and fails under another is *conditional*, and the result names which.
    """

    name: str  # short label, e.g. "with replacement"
    description: str = ""  # what this reading assumes, in a sentence
    params: Mapping[str, Any] = field(default_factory=dict)  # fixed parameters of this reading


@dataclass(frozen=True)
class Figure:
    """How the report draws a claim (see docs/results-schema.md)."""

    kind: Literal["points", "traces"] = "points"  # estimate vs a parameter, or trajectories
    x: str | None = None  # parameter on the x axis (kind "points")
    xlabel: str = ""
    ylabel: str = ""
    logx: bool = False
    logy: bool = False
    series: str | None = "reading"  # group points into lines by "reading" or a parameter


@dataclass(frozen=True)
class Measurement:
    """What one evaluation of a claim at one parameter point measured.

    ``value`` is a number (a Monte Carlo mean when ``se`` is set), an array (deterministic
    claims checked elementwise, e.g. a bound at every iteration) or a behaviour label.
    """

    value: Any  # float, 1-d tensor/array, or str label
    se: float | None = None  # standard error of a Monte Carlo mean; None when deterministic
    samples: int = 1  # Monte Carlo replicates behind the value
    quantities: Mapping[str, Any] = field(default_factory=dict)  # exact inputs of the formulas
    trace: Mapping[str, Any] | None = None  # {"x", "measured", "stated"?, "index"?} for trajectory figures;
    # "index" names the elements of an array value that "measured" keeps, and the engine adds the
    # formula's values there as "stated"


@dataclass(frozen=True)
class Claim:
    """One checkable claim of a lecture document, with its check and its mutants."""

    id: str  # stable, lowercase-with-dashes
    title: str  # one line, what the claim says in words
    inventory_ids: tuple[str, ...]  # the rows it decides: IDs in shared/claims-inventory.md (or your own)
    source: Source
    statement: str  # exactly as the document gives it
    kind: Kind
    domain: Mapping[str, Dimension]  # one dimension per parameter (theorems.core.domain: integers, floats, ...)
    measure: Callable[[Params, Any], Measurement]  # (point, Context) -> Measurement
    stated: Written  # the document's formula at a point (an expression becomes an Expression)
    mutants: tuple[Formula, ...]  # plausible wrong formulas the check must refute; "auto" among them (or alone)
    # adds the standard mutants of a stated expression
    relation: Relation = "eq"  # measured == / <= / >= stated, or behaviour labels equal
    resolution: float = 0.05  # stochastic: relative band; deterministic: relative tolerance
    atol: float = 0.0  # deterministic: absolute tolerance added to the relative one
    scale: Callable[[Params], float | None] | None = None  # what `resolution` is relative to (default, or None: |stated|)
    assumptions: tuple[str, ...] = ()
    readings: tuple[Reading, ...] = (Reading("as stated"),)
    alternatives: tuple[Formula, ...] = ()  # formulas the measurement may agree with instead
    design: tuple[Params, ...] = ()  # points always evaluated (figures, corners), in priority order
    constraint: Callable[[Params], bool] | None = None  # joint condition on the parameters (B <= N)
    figure: Figure = Figure()
    samples_factor: float = 1.0  # multiplies the profile's Monte Carlo samples per point
    may_diverge: bool = False  # inf/NaN measurements are data (a diverging run), not a broken check
    search_factor: float = 1.0  # multiplies the profile's space-filling and targeted points: below 1 for a
    # costly measurement, which then covers each parameter more coarsely (its coverage says how many points)
    seed_key: str | None = None  # keys the points' random streams (default: the claim id); claims declaring
    # the same measurement function and seed_key share their points' measurements
    role: Role = "statement"  # "derivation": an intermediate line of a derivation; wrong, it is a slip of the
    # row (a finding attached to it), not an erratum of the row's statement
    representative: tuple[Params, ...] = ()  # where a reader uses the result: the document's own settings or
    # the named library's defaults; judged first, and every finding states its effect there
    materiality: float = 0.0  # relative effect below which a difference is a convention or negligible, never
    # an erratum (0: any significant difference counts)
    materiality_reason: str = ""  # why that threshold (required when materiality > 0)
    correction: str = ""  # the suggested correction, for the errata sheet, when no alternative states it
    exact: tuple[Any, ...] = ()  # theorems.core.exact.Exact: derivations and worst cases, computed when checked

    def __post_init__(self) -> None:
        object.__setattr__(self, "stated", formula_value(self.stated))
        object.__setattr__(self, "mutants", with_standard_mutants(self.id, self.stated, self.mutants))
        if not _ID_PATTERN.fullmatch(self.id):
            raise ValueError(f"claim id must be lowercase letters, digits and dashes, got {self.id!r}")
        if self.kind not in KINDS:
            raise ValueError(f"claim {self.id}: kind must be one of {KINDS}, got {self.kind!r}")
        if self.relation not in RELATIONS:
            raise ValueError(f"claim {self.id}: relation must be one of {RELATIONS}, got {self.relation!r}")
        if not self.inventory_ids:
            raise ValueError(f"claim {self.id}: cite at least one inventory ID")
        for inventory_id in self.inventory_ids:
            if not isinstance(inventory_id, str) or not _ROW_PATTERN.fullmatch(inventory_id):
                raise ValueError(f"claim {self.id}: a row ID is a short identifier such as '003-04' (letters, "
                                 f"digits, '.', '_', ':', '-'), got {inventory_id!r}")
        if not self.mutants:
            raise ValueError(f"claim {self.id}: a claim needs at least one mutant, or its check cannot fail")
        if not self.readings:
            raise ValueError(f"claim {self.id}: a claim needs at least one reading")
        names = [reading.name for reading in self.readings]
        for formula in (*self.mutants, *self.alternatives):
            if formula.reading is not None and formula.reading not in names:
                raise ValueError(f"claim {self.id}: formula {formula.statement!r} is restricted to reading "
                                 f"{formula.reading!r}, which is not one of the claim's readings {names}")
        for name, spec in self.domain.items():
            if not isinstance(spec, Dimension):
                raise ClaimError(f"claim {self.id}: domain[{name!r}] is {spec!r}, which the engine cannot read: "
                                 f"write it with the constructors of theorems.core.domain: integers(1, 10), "
                                 f"floats(0.0, 1.0), log_floats(1e-4, 1.0), choices(['sgd', 'adam']) (in place of "
                                 f"st.integers, st.floats, st.sampled_from), and for a range set by the earlier "
                                 f"parameters, a bound that is a function of them: floats(0.0, lambda p: 3 / p['a'])")
        if not 0 < self.search_factor <= 1:
            raise ValueError(f"claim {self.id}: search_factor must be in (0, 1], got {self.search_factor}")
        if self.seed_key is not None and not _ID_PATTERN.fullmatch(self.seed_key):
            raise ValueError(f"claim {self.id}: seed_key must be lowercase letters, digits and dashes, "
                             f"got {self.seed_key!r}")
        if self.role not in ("statement", "derivation"):
            raise ValueError(f"claim {self.id}: role must be 'statement' or 'derivation', got {self.role!r}")
        if not (self.materiality >= 0 and self.materiality < float("inf")):
            raise ValueError(f"claim {self.id}: materiality must be a relative effect >= 0, got {self.materiality}")
        if self.materiality > 0 and not self.materiality_reason.strip():
            raise ValueError(f"claim {self.id}: materiality={self.materiality} needs a materiality_reason")
        if self.resolution < 0 or self.atol < 0:
            raise ValueError(f"claim {self.id}: tolerances must be >= 0, got {self.resolution}, {self.atol}")
        for point in self.design:
            if set(point) != set(self.domain):
                raise ValueError(f"claim {self.id}: a design point must set exactly the domain's parameters "
                                 f"{sorted(self.domain)}, got {sorted(point)}")
            if self.constraint is not None and not any(self.constraint({**point, **r.params}) for r in self.readings):
                raise ValueError(f"claim {self.id}: design point {point} violates the claim's constraint under "
                                 "every reading")
        object.__setattr__(self, "inventory_ids", tuple(self.inventory_ids))
        object.__setattr__(self, "mutants", tuple(self.mutants))
        object.__setattr__(self, "readings", tuple(self.readings))
        object.__setattr__(self, "alternatives", tuple(self.alternatives))
        object.__setattr__(self, "assumptions", tuple(self.assumptions))
        object.__setattr__(self, "exact", tuple(self.exact))
        object.__setattr__(self, "design", tuple(dict(point) for point in self.design))
        object.__setattr__(self, "representative", tuple(dict(point) for point in self.representative))
        for point in self.representative:
            if set(point) != set(self.domain):
                raise ValueError(f"claim {self.id}: a representative point must set exactly the domain's parameters "
                                 f"{sorted(self.domain)}, got {sorted(point)}")

    @property
    def stated_function(self) -> Callable[[Params], Any]:
        """The stated formula as the engine calls it (an expression was made callable at construction)."""
        return cast("Callable[[Params], Any]", self.stated)

    @property
    def key(self) -> str:
        """What the points' random streams are keyed by, beside the run seed and the point."""
        return self.seed_key or self.id


def _redeclared(old: Claim, new: Claim) -> bool:
    """Whether ``new`` is ``old`` declared again in ``__main__`` (a notebook cell run twice)."""
    return old.measure.__module__ == new.measure.__module__ == "__main__"


class Registry:
    """An ordered collection of claims with unique ids.

    A claim declared in ``__main__`` (a script, a notebook cell) replaces an earlier claim of
    ``__main__`` with its id, so that running the cell again re-declares it; any other duplicate id
    is an error naming the module that took it.
    """

    def __init__(self) -> None:
        self._claims: dict[str, Claim] = {}

    def add(self, claim: Claim) -> Claim:
        if claim.id in self._claims and not _redeclared(self._claims[claim.id], claim):
            owner = self._claims[claim.id].measure.__module__
            where = "the catalogue" if owner.startswith("theorems.catalogue") else f"module {owner}"
            raise ValueError(f"claim id {claim.id!r} is already taken by a claim of {where}; choose another id")
        self._claims[claim.id] = claim
        return claim

    def replace(self, claim: Claim) -> Claim:
        """Put ``claim`` in place of the registered claim of the same id (its position kept)."""
        self.get(claim.id)
        self._claims[claim.id] = claim
        return claim

    def remove(self, claim_id: str) -> None:
        self._claims.pop(claim_id, None)

    @contextlib.contextmanager
    def scoped(self) -> Iterator[Registry]:
        """Claims registered inside are forgotten on leaving, and those removed come back: a test's own
        claims never meet another test's, so two tests may declare the same id (the pytest fixture
        ``theorycheck_registry``). Load the catalogue outside: its modules register once per process."""
        before = dict(self._claims)
        try:
            yield self
        finally:
            self._claims = before

    def __iter__(self):
        return iter(self._claims.values())

    def __len__(self) -> int:
        return len(self._claims)

    def __contains__(self, claim_id: str) -> bool:
        return claim_id in self._claims

    def get(self, claim_id: str) -> Claim:
        try:
            return self._claims[claim_id]
        except KeyError:
            raise KeyError(f"unknown claim {claim_id!r}; `theorycheck list` shows the known ones") from None


#: Claims added through :func:`claim`; the built-in catalogue and any ``--claims-file`` land here.
REGISTRY = Registry()


Measure = Callable[[Params, Any], Measurement]


@dataclass(frozen=True)
class Preset:
    """Settings that many claims share, written once: ``@claim(..., preset=BEHAVIOUR)``.

    A field left ``None`` is not set by the preset; a field the claim writes itself wins over the
    preset's, and a field neither sets keeps :class:`Claim`'s default.
    """

    kind: Kind | None = None
    relation: Relation | None = None
    resolution: float | None = None
    atol: float | None = None


#: A behaviour claim: the measurement is a label ("converges", "oscillates", ...) that must equal the
#: stated one exactly, so there is no tolerance.
BEHAVIOUR = Preset(kind="behaviour", relation="label", resolution=0.0)
#: Equal up to float64 rounding: 1e-9 relative to the scale, plus 1e-12 absolute where the stated value is 0
#: (an identity, a bound checked on exact arithmetic, a rule equal to a library's).
EXACT_TO_ROUNDING = Preset(resolution=1e-9, atol=1e-12)
_PRESET_FIELDS = tuple(f.name for f in dataclasses.fields(Preset))


def claim(*, id: str, title: str | None = None, inventory_ids: Sequence[str], source: Source, statement: str,
          kind: Kind | None = None, domain: Mapping[str, Dimension], stated: Written,
          mutants: Sequence[Formula | Literal["auto"]] | Literal["auto"], preset: Preset = Preset(), relation: Relation | None = None,
          resolution: float | None = None, atol: float | None = None,
          scale: Callable[[Params], float | None] | None = None, assumptions: Sequence[str] = (),
          readings: Sequence[Reading] = (Reading("as stated"),), alternatives: Sequence[Formula] = (),
          design: Sequence[Params] = (), constraint: Callable[[Params], bool] | None = None, figure: Figure = Figure(),
          samples_factor: float = 1.0, may_diverge: bool = False, search_factor: float = 1.0, seed_key: str | None = None,
          role: Role = "statement", representative: Sequence[Params] = (), materiality: float = 0.0,
          materiality_reason: str = "", correction: str = "", exact: Sequence[Any] = ()) -> Callable[[Measure], Claim]:
    """Declare a claim whose measurement is the decorated function, and register it.

    ``@claim(id=..., inventory_ids=..., source=..., statement=..., kind=..., domain=..., stated=...,
    mutants=...)`` over ``def measure(p, ctx) -> Measurement``. Returns the registered Claim. The
    keywords are :class:`Claim`'s fields, with their defaults (any sequence where Claim keeps a tuple);
    ``title`` defaults to the first line of the measurement's docstring (else of the statement), and
    ``kind``, ``relation``, ``resolution`` and ``atol``, when not given, come from ``preset`` (else
    Claim's defaults). A misspelt keyword is a TypeError where the claim is declared.
    """
    fields = {name: value for name, value in locals().items() if name not in ("title", "preset")}  # the arguments
    for name in _PRESET_FIELDS:  # not given: the preset's, else (left out) Claim's default
        fields[name] = getattr(preset, name) if fields[name] is None else fields[name]
        if fields[name] is None:
            del fields[name]
    if "kind" not in fields:
        raise TypeError(f"claim {id}: give kind= (one of {KINDS}) or a preset that sets it")

    def register(measure: Measure) -> Claim:
        heading = title if title is not None else (measure.__doc__ or statement).strip().splitlines()[0]
        return REGISTRY.add(Claim(measure=measure, title=heading, **fields))

    return register
