"""The results contract: what a run found, as typed records with one encoder and one decoder.

The engine builds a :class:`ClaimResult` per claim, :mod:`theorems.core.rules` a :class:`RowResult`
per inventory row, and the runner a :class:`Results` for the run. ``results.json`` is
:func:`encode` of it and :meth:`Results.load` reads it back (:func:`decode`); the report, the
pytest plugin, ``calibrate``, ``bench`` and the Dask workers all pass these objects, never a dict
of their own. ``docs/results-schema.md`` shows the JSON, field by field.

Values are plain JSON: a measured or stated value is a number, one of the strings ``"inf"``,
``"-inf"``, ``"nan"`` (non-finite measurements), a behaviour label such as ``"converges"``, a list
(array measurements) or ``None``; :func:`plain` makes them so.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import math
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from theorems.core.claim import Figure, Source

if TYPE_CHECKING:
    import pandas as pd

SCHEMA_VERSION = 2


class ResultsError(ValueError):
    """A results.json that this version cannot read (another schema, a missing field or one of the
    wrong type, JSON nested too deeply); the message names the field."""


# ---- the records --------------------------------------------------------------------------------
@dataclass
class ReadingVerdict:
    """The stated formula's verdict under one reading of the statement."""

    name: str
    description: str
    verdict: str


@dataclass
class Point:
    """One evaluated point of the domain, the stated formula judged there."""

    reading: str
    params: dict[str, Any]
    estimate: Any  # a number, "inf"/"-inf"/"nan", a behaviour label, or a list (array measurements)
    stated: Any
    ci_low: Any  # the (1 − point_alpha) interval; equal to the estimate for deterministic points
    ci_high: Any
    se: float | None  # standard error; None for deterministic points
    detectable: float | None  # smallest relative deviation the point could detect (80% power)
    margin: float | None  # room left inside the tolerance, relative to the scale (< 0: outside)
    samples: int  # Monte Carlo replicates (1 for deterministic points)
    verdict: str  # confirmed | refuted | inconclusive
    design: bool  # a design point of the claim (drawn in figures) or one the search found
    origin: str  # design | explore | targeted | shrink
    trace: dict[str, Any] | None = None  # {"x": [...], "measured": [...], "stated": [...]} for trajectory figures
    looks: int = 1  # 2: the first interval straddled the band, and this is the second, larger measurement;
    # 0: refuted at the pilot look, without drawing the planned replicates
    index: int | None = None  # the element of an array measurement that estimate and stated are taken at
    band: float | None = None  # half-width of the band around stated that decides the point (the tolerance of a
    # deterministic one, at that element); None for behaviour labels


@dataclass
class Counterexample:
    """The shrunk point that refutes a formula."""

    reading: str
    params: dict[str, Any]
    estimate: Any
    stated: Any
    ci_low: Any
    ci_high: Any
    index: int | None = None  # the element of an array measurement (a step, an epoch) the values are taken at

    @classmethod
    def of(cls, point: Point) -> Counterexample:
        return cls(**{f.name: getattr(point, f.name) for f in dataclasses.fields(cls)})


@dataclass
class Effect:
    """How far the measurement lies from the statement at one point, relative to the scale the claim is
    judged on: |measured − stated| / scale for an equality, the excess over the bound for an inequality;
    for an array measurement, at its element with the largest effect."""

    relative: Any  # a number, "inf" (a non-finite measurement) or None (behaviour labels have no size)
    reading: str
    params: dict[str, Any]
    index: int | None = None  # the element of an array measurement (a step, an epoch), None for a scalar


@dataclass
class Effects:
    """A finding's size where a reader uses the result, and its largest over the domain."""

    representative: Effect | None  # the largest at the claim's representative points; None when it declares none
    largest: Effect | None  # the largest at any evaluated point


@dataclass
class Finding:
    """What an instructor can act on: one claim's difference from the document, classed and weighed
    (docs/findings.md). The field ``class_`` is the JSON key ``class``."""

    class_: str  # erratum | slip | convention | caveat
    claim: str  # the claim whose evidence shows it: its section of the report
    where: str  # the claim's source section
    as_written: str  # the statement as the document gives it
    correction: str  # a confirmed alternative's statement, else the claim's declared correction, else ""
    reason: str  # why this class: the condition of a caveat, the materiality of a convention, ...
    materiality: float  # relative effect below which a difference is never an erratum
    effect: Effects
    telling: Counterexample | None = None  # the most telling counterexample: largest effect where a reader looks
    minimal: Counterexample | None = None  # the shrunk one


@dataclass
class Coverage:
    """How the evaluated points covered the domain."""

    points: int
    design: int
    explore: int
    targeted: int
    shrink: int
    representative: int = 0  # the claim's representative points (the document's settings), judged first
    # per parameter: {"min", "max", "domain": [low, high]} for ranges, {"values", "of"} for choices
    parameters: dict[str, dict[str, Any]] = field(default_factory=dict)
    budget: str = ""  # what the claim's time budget (--budget) left out, when it left something out


@dataclass
class Mutant:
    statement: str
    verdict: str
    counterexample: Counterexample | None = None


@dataclass
class Alternative:
    """A formula the measurement was also compared with (under one reading, or all)."""

    statement: str
    verdict: str
    reading: str | None = None


@dataclass
class TightnessPoint:
    """A bound's exact worst case beside the document's bound, at T steps of size ηL (the bound's scale 1)."""

    T: int
    step: float  # ηL
    worst_case: float | None  # None: not computed (PEPit not installed)
    bound: float
    ratio: float | None  # slack, >= 1 when the bound holds (bound/worst case, or worst case/bound for a lower bound)


@dataclass
class ExactEvidence:
    """Exact evidence for a claim: a sympy derivation proving or disproving its formula, or a bound's worst
    case by performance estimation (PEP); ``agreement`` compares it with the Monte Carlo verdict."""

    key: str  # inventory row and qualifier, e.g. "000-16 without replacement"
    reading: str | None  # the reading derived; None: the statement under every reading
    status: str  # proved | disproved | not_applicable
    method: str  # sympy | pep
    latex: str  # the derivation, one LaTeX equation per line
    difference: str | None = None  # LaTeX of stated − derived, for a sympy disproof
    note: str = ""
    worst_case: float | None = None  # pep: the tightest point of ``curve``
    bound: float | None = None
    ratio: float | None = None
    curve: list[TightnessPoint] = field(default_factory=list)  # pep: the worst case against T (or ηL)
    agreement: str = "undecided"  # agrees | within resolution | disagrees | undecided
    agreement_note: str = ""


@dataclass
class ClaimResult:
    """One claim checked: its verdict, the evidence and how it was searched."""

    id: str
    title: str
    inventory_ids: list[str]
    source: Source
    statement: str
    assumptions: list[str]
    kind: str  # stochastic | bound | behaviour | identity | scaling
    relation: str  # eq | le | ge | label
    verdict: str  # confirmed | refuted | conditional | inconclusive
    verdict_reason: str
    alpha: float  # this claim's false-alarm budget
    point_alpha: float  # per evidence point's first look: alpha / (readings × planned points), × 0.9 with second looks
    resolution: float
    atol: float
    readings: list[ReadingVerdict]
    figure: Figure
    device: str
    evidence: list[Point] = field(default_factory=list)
    coverage: Coverage | None = None
    counterexample: Counterexample | None = None
    alternatives: list[Alternative] = field(default_factory=list)
    mutants: list[Mutant] = field(default_factory=list)
    error: str | None = None  # the traceback of a check that raised (verdict inconclusive)
    samples: int = 0
    replicates_saved: int = 0  # net replicates the pilot looks saved (engine.ClaimChecker.replicates_saved)
    seconds: float = 0.0
    finding: Finding | None = None  # what the verdict means for the document, when it is not simply confirmed
    exact: list[ExactEvidence] = field(default_factory=list)  # derivations and worst cases (issue 22)
    stated_latex: str | None = None  # the stated formula's LaTeX, when the claim writes it as an expression


@dataclass
class DecidedBy:
    claim: str
    reading: str | None = None  # the failing reading, when the claim has several


@dataclass
class RowResult:
    """One inventory row's verdict: the conjunction of the claims that cite it."""

    id: str
    document: str
    section: str
    verdict: str
    claims: list[str]
    decided_by: DecidedBy
    evidence: str  # one line
    findings: list[Finding] = field(default_factory=list)  # the citing claims' findings, in claim order


@dataclass
class RunInfo:
    """A run's settings and versions: everything its numbers depend on."""

    seed: int
    profile: str
    device: str
    device_name: str
    dtype: str
    python: str
    torch: str
    numpy: str
    theorycheck: str
    git_revision: str | None
    started: str
    seconds: float
    max_memory_mib: float
    alpha: float  # per claim, not divided by the claims run
    family_wise_alpha: float
    alpha_split: str
    claims_file: str | None = None


@dataclass(kw_only=True)
class Results:
    """A run: its settings, one verdict per row, one result per claim."""

    schema_version: int = SCHEMA_VERSION
    run: RunInfo
    rows: list[RowResult]
    claims: list[ClaimResult]

    def to_json(self) -> str:
        return json.dumps(encode(self), indent=2, ensure_ascii=False, allow_nan=False) + "\n"

    @classmethod
    def from_json(cls, text: str) -> Results:
        """The run in ``text``; :class:`ResultsError` for text that is not one (nested too deeply included)."""
        try:
            return decode(cls, json.loads(text))
        except json.JSONDecodeError as error:
            raise ResultsError(f"not a readable results.json ({error})") from None
        except RecursionError:
            raise ResultsError("not a readable results.json (nested too deeply)") from None

    def dump(self, path: str | Path) -> None:
        Path(path).write_text(self.to_json(), encoding="utf-8")

    @classmethod
    def load(cls, path: str | Path) -> Results:
        """Read a results.json; :class:`ResultsError` says what is wrong with one this version cannot read."""
        try:
            return cls.from_json(Path(path).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as error:
            raise ResultsError(f"{path}: not a readable results.json ({error})") from None
        except ResultsError as error:
            raise ResultsError(f"{path}: {error}") from None

    def to_dataframe(self) -> pd.DataFrame:
        """The table of results.csv: one row per evidence point, numeric columns numeric (docs/results-schema.md)."""
        from theorems.core.tables import points_frame  # the report imports this module

        return points_frame(self)

    def _repr_html_(self) -> str:
        """A notebook's display: the run line and each row (or claim) with its verdict."""
        from theorems.core.tables import results_html

        return results_html(self)


# ---- values -------------------------------------------------------------------------------------
def plain(value: Any) -> Any:
    """A value as plain JSON: non-finite floats as the strings "inf", "-inf", "nan"; tensors and
    arrays as lists."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, str):
        return str(value)  # a plain str, also for a Verdict (pickled to pytest-xdist's controller as JSON data)
    if isinstance(value, float):
        return value if math.isfinite(value) else repr(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if hasattr(value, "detach"):  # a torch tensor (imported only where one exists)
        return plain(value.detach().cpu().tolist())
    if hasattr(value, "tolist"):  # a numpy array or scalar
        return plain(value.tolist())
    return repr(value)


def canonical(params: Mapping[str, Any]) -> dict[str, Any]:
    """Parameters as plain JSON values, sorted by name."""
    return {key: plain(params[key]) for key in sorted(params)}


# ---- the encoder and the decoder ----------------------------------------------------------------
def encode(record: Any) -> Any:
    """A record (and everything in it) as plain JSON, fields in declaration order."""
    if dataclasses.is_dataclass(record) and not isinstance(record, type):
        return {_key(f.name): encode(getattr(record, f.name)) for f in dataclasses.fields(record)}
    if isinstance(record, Mapping):
        return {str(k): encode(v) for k, v in record.items()}
    if isinstance(record, (list, tuple)):
        return [encode(v) for v in record]
    return plain(record)


def decode(kind: Any, data: Any, where: str = "results") -> Any:
    """``data`` (plain JSON) as a ``kind``: a record class, ``list[...]``, ``X | None`` or a plain type."""
    origin = typing.get_origin(kind)
    if origin in (typing.Union, types.UnionType):
        return _decode_union(typing.get_args(kind), data, where)
    if origin in (list, tuple):  # tuples are lists in JSON, and stay lists
        _expect(isinstance(data, list), "a list", data, where)
        item = typing.get_args(kind)[0]
        return [decode(item, value, f"{where}[{i}]") for i, value in enumerate(data)]
    if origin in (dict, Mapping):
        _expect(isinstance(data, Mapping), "an object", data, where)
        value_kind = typing.get_args(kind)[1]
        return {key: decode(value_kind, value, f"{where}.{key}") for key, value in data.items()}
    if origin is typing.Literal:
        _expect(data in typing.get_args(kind), f"one of {', '.join(map(repr, typing.get_args(kind)))}", data, where)
        return data
    if kind in _PLAIN_TYPES:
        accepted, description = _PLAIN_TYPES[kind]
        _expect(isinstance(data, accepted) and (kind is bool or not isinstance(data, bool))
                or (kind is float and data in NON_FINITE), description, data, where)
        return data
    if isinstance(kind, type) and dataclasses.is_dataclass(kind):
        _expect(isinstance(data, Mapping), "an object", data, where)
        if kind is Results and data.get("schema_version") != SCHEMA_VERSION:
            raise ResultsError(f"schema_version {data.get('schema_version')!r}; this theorycheck reads "
                               f"schema_version {SCHEMA_VERSION} (run it again to rewrite it)")
        values = {}
        for name, hint, required in _fields(kind):
            key = _key(name)
            if key in data:
                values[name] = decode(hint, data[key], f"{where}.{key}")
            elif required:
                raise ResultsError(f"{where} has no {key!r}")
        return kind(**values)
    return data  # Any: whatever plain JSON holds


NON_FINITE = ("inf", "-inf", "nan")  # how :func:`plain` writes non-finite floats
_PLAIN_TYPES: dict[type, tuple[type | tuple[type, ...], str]] = {
    str: (str, "a string"), int: (int, "an integer"), bool: (bool, "true or false"),
    float: ((int, float), "a number (or one of the strings 'inf', '-inf', 'nan')")}


def _decode_union(options: tuple[Any, ...], data: Any, where: str) -> Any:
    """``data`` as the first of ``options`` it fits; with one option besides None, that option's own error."""
    if data is None and type(None) in options:
        return None
    options = tuple(option for option in options if option is not type(None))
    if len(options) == 1:
        return decode(options[0], data, where)
    for option in options:
        try:
            return decode(option, data, where)
        except ResultsError:
            continue
    _expect(False, " or ".join(getattr(option, "__name__", str(option)) for option in options), data, where)


def _expect(fits: bool, expected: str, data: Any, where: str) -> None:
    """Raise :class:`ResultsError` naming the field, what it should hold and what it holds, unless ``fits``."""
    if not fits:
        shown = repr(data) if len(repr(data)) <= 40 else f"{repr(data)[:37]}..."
        raise ResultsError(f"{where} should be {expected}, found {type(data).__name__} {shown}")


def _key(name: str) -> str:
    """A field's JSON key: its name, less the trailing underscore that avoids a Python keyword (``class_``)."""
    return name.removesuffix("_")


@functools.cache
def _fields(kind: type) -> list[tuple[str, Any, bool]]:
    """A record class's fields: (name, type, required)."""
    hints = typing.get_type_hints(kind)
    return [(f.name, hints[f.name], f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING)
            for f in dataclasses.fields(kind)]
