"""``theorycheck lint FILE``: a claims file's mistakes, found in seconds, before a long run.

Each claim is measured once at a few points of each reading (its representative points, the
smoke profile's share of its design points, and :data:`POINTS` space-filling ones from
:func:`theorems.core.domain.space_filling`), with one small Monte Carlo sample and no planning, and its
stated formula, each mutant and each alternative are evaluated there. Nothing is judged (verdicts
need a run's sample sizes); what a run would stop on, or could never decide, is reported:

- a measurement that raises, or returns what a run rejects (:func:`theorems.core.measurement.validate`);
  a TypeError names the float parameter that the measurement needs as an int, when rounding it helps;
- a formula (or ``scale=``) that raises;
- a Monte Carlo point whose band is zero (:func:`theorems.core.stats.band_of`): for the stated formula a
  missing ``scale=``/``atol=``, for a mutant or an alternative its value 0 there;
- a constraint that no point satisfies;
- a mutant equal to the stated formula at every point tried (no check could refute it).

A problem is reported once per claim, at the first point that shows it, as
``FILE:LINE claim-id: problem (formula "...", point {...})``; LINE is the first line of the
claim's measure function (its ``@claim`` decorator).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from theorems.core.claim import Claim, ClaimError, Formula, Measurement, Params, Reading
from theorems.core.domain import Dimension, dimensions, space_filling
from theorems.core.measurement import Context, RunConfig, point_seed, validate
from theorems.core.stats import MonteCarlo, band_of

POINTS = 4  # space-filling points per reading
COVER = 1024  # space-filling points tried before a constraint is called unsatisfiable (cheap: no measuring)
SPARE = 256  # unmeasured points where a mutant equal to the stated formula so far is evaluated again


@dataclass(frozen=True)
class Problem:
    """One mistake of a claim: what it is, and the formula and point that show it."""

    claim: Claim
    what: str  # one sentence, e.g. "the band around the mutant's value 0.0 is 0"
    formula: str | None = None  # the formula's statement, when one formula shows it
    point: Params | None = None  # where it shows

    def __str__(self) -> str:
        shown = ([f'formula "{self.formula}"'] if self.formula is not None else []) + (
            [f"point {_point_text(self.point)}"] if self.point is not None else [])
        return f"{location(self.claim)} {self.claim.id}: {self.what}" + (f" ({', '.join(shown)})" if shown else "")


def location(claim: Claim) -> str:
    """FILE:LINE of the claim's measure function: where a user finds the claim."""
    code = getattr(inspect.unwrap(claim.measure), "__code__", None)
    return f"{code.co_filename}:{code.co_firstlineno}" if code is not None else f"{claim.measure!r}:0"


def _point_text(point: Params) -> str:
    return "{" + ", ".join(f"{name!r}: {value:.6g}" if isinstance(value, float) else f"{name!r}: {value!r}"
                           for name, value in point.items()) + "}"


def lint(claims: Sequence[Claim], config: RunConfig) -> list[Problem]:
    """Every problem of every claim, claim by claim."""
    return [problem for claim in claims for problem in ClaimLinter(claim, config).problems()]


def summary(claims: Sequence[Claim], problems: Sequence[Problem]) -> str:
    """The last line of ``theorycheck lint``."""
    if not problems:
        return f"lint: {len(claims)} claim(s), no problems found"
    flagged = len({problem.claim.id for problem in problems})
    return f"lint: {len(problems)} problem(s) in {flagged} of {len(claims)} claim(s)"


class ClaimLinter:
    """Measures one claim at a few points and collects its problems, each once."""

    def __init__(self, claim: Claim, config: RunConfig) -> None:
        self.claim = claim
        self.config = config
        samples = max(2, int(config.profile.pilot * claim.samples_factor))
        self.monte_carlo = MonteCarlo(pilot=samples, cap=samples, max_bytes=config.max_bytes)
        self.found: dict[tuple[Any, ...], Problem] = {}  # (kind, subject) -> its first problem
        self.stated = Formula(claim.statement, claim.stated)
        self.differs = [False] * len(claim.mutants)  # mutant i differs from the stated formula somewhere
        self.compared = [0] * len(claim.mutants)  # points where both were evaluated

    def report(self, key: tuple[Any, ...], what: str, formula: Formula | None = None,
               point: Params | None = None) -> None:
        self.found.setdefault(key, Problem(self.claim, what, formula.statement if formula else None, point))

    def problems(self) -> list[Problem]:
        dims = dimensions(self.claim.domain)
        for reading in self.claim.readings:
            self.lint_reading(reading, dims)
        for index, mutant in enumerate(self.claim.mutants):
            if self.compared[index] and not self.differs[index] and not self.differs_unmeasured(mutant, dims):
                self.report(("same", index), f"the mutant equals the stated formula at every point tried "
                            f"({self.compared[index]} points): no check can refute it", mutant)
        return list(self.found.values())

    def lint_reading(self, reading: Reading, dims: list[Dimension]) -> None:
        try:
            points = self.points(reading, dims)
        except Exception as error:  # a constraint or a dependent range that raises
            self.report(("points", type(error)), f"choosing points under reading {reading.name!r} raised "
                        f"{type(error).__name__}: {error}")
            return
        if not points:
            self.report(("constraint", reading.name), f"no point satisfies the constraint under reading "
                        f"{reading.name!r} (none of {COVER} space-filling points did): check `constraint=`")
        for params in points:
            point = {**params, **reading.params}
            measurement = self.measure(point)
            if measurement is not None:
                self.evaluate(reading, point, measurement)

    def points(self, reading: Reading, dims: list[Dimension]) -> list[dict[str, Any]]:
        """The claim's own points, then space-filling ones, satisfying its constraint under ``reading``."""
        claim = self.claim
        accept = self.accept(reading)
        own = [dict(p) for p in (*claim.representative, *claim.design[: self.config.profile.design])
               if accept is None or accept(dict(p))]
        return own + (self.cover(reading, dims, POINTS) or self.cover(reading, dims, COVER)[:POINTS])

    def accept(self, reading: Reading) -> Callable[[dict[str, Any]], bool] | None:
        """The claim's constraint on a point's parameters under ``reading`` (None: every point)."""
        constraint = self.claim.constraint
        return None if constraint is None else lambda params: bool(constraint({**params, **reading.params}))

    def cover(self, reading: Reading, dims: list[Dimension], n: int) -> list[dict[str, Any]]:
        """About ``n`` space-filling points of the parameters ``reading`` leaves free."""
        free = [d for d in dims if d.name not in reading.params]
        seed = point_seed(self.config.seed, self.claim.key, "lint", dict(reading.params))
        return space_filling(free, n, seed=seed, accept=self.accept(reading), fixed=reading.params)

    def differs_unmeasured(self, mutant: Formula, dims: list[Dimension]) -> bool:
        """Whether ``mutant`` differs from the stated formula at one of ``SPARE`` more points per
        reading, evaluated on the parameters alone (where both formulas need no measured quantity):
        a mutant that differs only where the measured points did not reach is no problem."""
        for reading in self.claim.readings:
            try:
                points = self.cover(reading, dims, SPARE)
            except Exception:  # a constraint that raises: reported with the measured points
                continue
            for params in points:
                p = {**params, **reading.params}
                try:
                    if not _same(mutant.function(p), self.claim.stated_function(p)):
                        return True
                except Exception:  # a formula reading a measured quantity (KeyError) cannot be evaluated here
                    continue
        return False

    def measure(self, point: Params) -> Measurement | None:
        """The point's measurement, or None when it raised (reported)."""
        try:
            return self._measure(point)
        except ClaimError as error:
            self.report(("measurement", str(error)), f"the measurement is unusable: {error}", point=point)
        except TypeError as error:
            self.report_type_error(point, error)
        except Exception as error:
            self.report(("measurement", type(error)), f"the measurement raised {type(error).__name__}: {error}",
                        point=point)
        return None

    def _measure(self, point: Params) -> Measurement:
        generator = torch.Generator(device=self.config.device)
        generator.manual_seed(point_seed(self.config.seed, self.claim.key, "", point))
        ctx = Context(self.config.device, self.config.dtype, generator, self.monte_carlo)
        return validate(self.claim, self.claim.measure(point, ctx))

    def report_type_error(self, point: Params, error: TypeError) -> None:
        """A TypeError names a parameter of the wrong type: the float parameter that, rounded to an
        int, lets the measurement through; else every parameter with its type."""
        for name, value in point.items():
            if isinstance(value, float) and np.isfinite(value) and self._passes({**point, name: round(value)}):
                self.report(("type", name), f"parameter {name!r} is the float {value:.6g} here but the measurement "
                            f"needs an int (it raised TypeError: {error}): declare it with integers(...)",
                            point=point)
                return
        types = ", ".join(f"{name}: {type(value).__name__}" for name, value in point.items())
        self.report(("measurement", TypeError), f"the measurement raised TypeError: {error} (a parameter of the "
                    f"wrong type? {types})", point=point)

    def _passes(self, point: Params) -> bool:
        try:
            self._measure(point)
        except Exception:
            return False
        return True

    def evaluate(self, reading: Reading, point: Params, measurement: Measurement) -> None:
        """Every formula at a measured point: whether it raises, its band, and each mutant against the stated one."""
        p = {**point, **measurement.quantities}
        formulas = [("stated", self.stated), *(("mutant", m) for m in self.claim.mutants),
                    *(("alternative", a) for a in self.claim.alternatives if a.reading in (None, reading.name))]
        values: dict[int, Any] = {}
        for role, formula in formulas:
            try:
                value = formula.function(p)
            except Exception as error:
                self.report(("formula", id(formula)), f"the {role} formula raised {type(error).__name__}: {error}",
                            formula, point)
                continue
            values[id(formula)] = value
            if measurement.se is not None:
                self.check_band(role, formula, value, p, point)
        if id(self.stated) not in values:
            return
        for index, mutant in enumerate(self.claim.mutants):
            if id(mutant) in values:
                self.compared[index] += 1
                self.differs[index] |= not _same(values[id(mutant)], values[id(self.stated)])

    def check_band(self, role: str, formula: Formula, value: Any, p: Params, point: Params) -> None:
        """Report a zero band around a Monte Carlo point's formula value (a run stops there)."""
        claim = self.claim
        try:
            scale = claim.scale(p) if claim.scale is not None else None
        except Exception as error:
            self.report(("scale",), f"scale= raised {type(error).__name__}: {error}", point=point)
            return
        try:
            band_of(float(value), resolution=claim.resolution, scale=scale, atol=claim.atol)
        except (TypeError, ValueError):
            self.report(("number", id(formula)), f"the {role} formula's value {value!r} is not one number, but the "
                        "measurement is a Monte Carlo mean", formula, point)
        except ClaimError:
            if role == "stated" and claim.scale is None and not claim.atol:
                what = ("missing scale: the stated value is 0 here, and the claim declares no scale= (what the "
                        "resolution is relative to) or atol=, so its band is 0")
            else:
                what = (f"the band around the {role} formula's value {float(value):g} is 0 (resolution × "
                        f"{'scale=' if claim.scale is not None else '|value|'} + atol): a run stops here")
            self.report(("band", id(formula)), what, formula, point)


def _same(a: Any, b: Any) -> bool:
    """Whether two formula values are equal (labels exactly, numbers and arrays to rounding)."""
    if isinstance(a, str) or isinstance(b, str):
        return a == b
    try:
        x, y = _floats(a), _floats(b)
    except (TypeError, ValueError):
        return False
    return x.shape == y.shape and bool(np.allclose(x, y, rtol=1e-12, atol=0.0, equal_nan=True))


def _floats(value: Any) -> np.ndarray:
    return np.asarray(value.detach().cpu() if isinstance(value, torch.Tensor) else value, dtype=np.float64)
