"""A claim's parameter domain: covering it with space-filling points, and shrinking a point.

A claim declares one hypothesis strategy per parameter. The strategies the catalogue uses
(``st.integers(lo, hi)``, ``st.floats(lo, hi)``, ``st.sampled_from(...)``, ``st.booleans()``,
``st.just(x)``) are read as *dimensions*: a map from the unit interval onto the parameter's
values, and an order of simplicity for shrinking. Any other strategy is an *opaque* dimension:
its values for the space-filling points are drawn by hypothesis itself (seeded), and it is not
shrunk. A parameter whose range depends on the parameters before it is declared as a function of
the point so far (``"eta": lambda p: st.floats(0.0, 3 / p["a"])``): its coordinate in the unit
cube is mapped onto the range that the earlier parameters give it.

Space-filling points are a scrambled Sobol sequence (``scipy.stats.qmc``): every single
parameter is stratified, so a region covering 1 % of one parameter's range is hit by about one
point in a hundred, wherever it lies. A *wide* positive range (integers spanning two decades or
more, floats with hi/lo ≥ 100) gets a second, log-scaled Sobol set as well, so its bottom decades
are covered as densely as its top.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import hypothesis
import hypothesis.errors
import hypothesis.strategies as st
import numpy as np
from hypothesis.strategies import SearchStrategy
from scipy.stats import qmc

from theorems.core.claim import ClaimError

WIDE = 100.0  # hi/lo (or the integer count) from which a range is also covered on a log scale


@dataclass(frozen=True)
class Dimension:
    """One parameter of a claim's domain."""

    name: str
    kind: str  # "int", "float", "choice" or "opaque"
    low: float = 0.0
    high: float = 0.0
    choices: tuple[Any, ...] = ()
    strategy: SearchStrategy | None = None
    depends: Callable[[Mapping[str, Any]], SearchStrategy] | None = None  # range set by earlier parameters

    def resolve(self, point: Mapping[str, Any]) -> Dimension:
        """This dimension at a point whose earlier parameters are set (itself, unless it depends on them)."""
        return self if self.depends is None else dimension(self.name, self.depends(point))

    def contains(self, value: Any) -> bool:
        if self.kind in ("int", "float"):
            return self.low <= value <= self.high
        return value in self.choices if self.kind == "choice" else True

    @property
    def wide(self) -> bool:
        if self.kind == "int":
            return self.low >= 0 and self.high - self.low + 1 >= WIDE
        return self.kind == "float" and self.low > 0 and self.high / self.low >= WIDE

    def at(self, u: float, *, log: bool = False) -> Any:
        """The value at position u ∈ [0, 1) of the range (on a log scale if asked and wide)."""
        if self.kind == "choice":
            return self.choices[min(int(u * len(self.choices)), len(self.choices) - 1)]
        if self.kind == "int":
            if log and self.wide:  # log scale on the offset x − low + 1 ∈ [1, high − low + 1]
                span = self.high - self.low + 1
                return int(min(self.low + math.floor(math.exp(u * math.log(span + 1))) - 1, self.high))
            return int(min(self.low + math.floor(u * (self.high - self.low + 1)), self.high))
        if self.kind == "float":
            if log and self.wide:
                return float(self.low * (self.high / self.low) ** u)
            return float(self.low + u * (self.high - self.low))
        raise ValueError(f"parameter {self.name!r}: an opaque strategy has no position")

    def simpler(self, value: Any) -> Iterator[Any]:
        """Candidates simpler than ``value``, simplest first (hypothesis's order: toward zero,
        toward the first choice, toward short decimals). Each has the dimension's type: a float
        range is offered 0.0, never the int 0 (``torch.optim.Adam`` rejects ``betas=(0, 0.999)``)."""
        if self.kind == "choice":
            index = self.choices.index(value) if value in self.choices else 0
            yield from self.choices[:index]
            return
        if self.kind not in ("int", "float"):
            return
        target = (int if self.kind == "int" else float)(min(max(0, self.low), self.high))
        if value == target:
            return
        yield target
        if self.kind == "int":
            sign, distance = (1 if value > target else -1), abs(value - target) // 2
            while distance > 0:  # halfway to the target, then a quarter of the way, ...
                yield value - sign * distance
                distance //= 2
            return
        toward = 1.0 if target > value else -1.0
        for digits in range(1, 7):  # round numbers first: d significant digits, cut toward the target
            rounded = float(f"{value:.{digits}g}")
            if abs(rounded - target) > abs(value - target) and rounded != 0:
                rounded += toward * 10 ** (math.floor(math.log10(abs(rounded))) - digits + 1)
            if rounded != value and self.low <= rounded <= self.high:
                yield rounded
        for fraction in (0.5, 0.25, 0.125, 0.0625, 0.03125):
            yield value - fraction * (value - target)


def dimension(name: str, strategy: SearchStrategy) -> Dimension:
    """Read a hypothesis strategy as a Dimension (opaque if it is not a plain range or choice).
    An invalid strategy (``st.floats(2, 1)``, ``st.sampled_from([])``) is a ClaimError naming the parameter."""
    try:
        inner = getattr(strategy, "wrapped_strategy", strategy)
    except hypothesis.errors.InvalidArgument as error:
        raise ClaimError(f"parameter {name!r}: {strategy!r} is not a valid domain: {error}") from None
    kind = type(inner).__name__
    if kind == "IntegersStrategy" and inner.start is not None and inner.end is not None:
        return Dimension(name, "int", low=inner.start, high=inner.end, strategy=strategy)
    if kind == "FloatStrategy" and math.isfinite(inner.min_value) and math.isfinite(inner.max_value):
        return Dimension(name, "float", low=float(inner.min_value), high=float(inner.max_value), strategy=strategy)
    if kind in ("SampledFromStrategy", "JustStrategy") and not getattr(inner, "_transformations", ()):
        return Dimension(name, "choice", choices=tuple(inner.elements), strategy=strategy)
    if kind == "BooleansStrategy":
        return Dimension(name, "choice", choices=(False, True), strategy=strategy)
    return Dimension(name, "opaque", strategy=strategy)


def dimensions(domain: Mapping[str, Any]) -> list[Dimension]:
    """The domain's dimensions, in order. A parameter whose range depends on earlier ones is given
    as a function of the point so far: ``"eta": lambda p: st.floats(0.0, 3 / p["a"])``."""
    return [dimension(name, spec) if isinstance(spec, SearchStrategy) else Dimension(name, "dependent", depends=spec)
            for name, spec in domain.items()]


def space_filling(dims: Sequence[Dimension], n: int, *, seed: int,
                  accept: Callable[[dict[str, Any]], bool] | None = None,
                  fixed: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
    """About ``n`` points covering the domain (plus ``n // 4`` log-scaled ones when a range is
    wide), distinct, in Sobol order, each satisfying ``accept``. Deterministic for ``seed``.
    ``fixed`` holds parameters set elsewhere (a reading's), which dependent ranges may read."""
    if n <= 0 or not dims:
        return [{}] if not dims and n > 0 else []
    fixed = dict(fixed or {})
    rng = np.random.default_rng(seed)
    drawn = {d.name: _hypothesis_draws(d.name, d.strategy, 8 * n, seed) for d in dims if d.kind == "opaque"}
    wide = any(d.wide or d.depends is not None for d in dims)
    sets = [(n, False)] + ([(max(1, n // 4), True)] if wide else [])
    points: list[dict[str, Any]] = []
    seen: set[str] = set()
    for count, log in sets:
        sobol = qmc.Sobol(len(dims), scramble=True, seed=rng)
        units = sobol.random_base2(max(0, math.ceil(math.log2(4 * count))))  # room for rejections
        kept = 0
        for row, u in enumerate(units):
            point: dict[str, Any] = {}
            for i, d in enumerate(dims):
                concrete = d.resolve({**fixed, **point})
                if concrete.kind == "opaque":
                    values = drawn.get(d.name) or _hypothesis_draws(d.name, concrete.strategy, 1, seed + row)
                    point[d.name] = values[row % len(values)]
                else:
                    point[d.name] = concrete.at(u[i], log=log)
            key = repr(sorted(point.items(), key=lambda item: item[0]))
            if key in seen or (accept is not None and not accept(point)):
                continue
            seen.add(key)
            points.append(point)
            kept += 1
            if kept == count:
                break
    return points


def _hypothesis_draws(name: str, strategy: SearchStrategy, n: int, seed: int) -> list[Any]:
    """n values of parameter ``name``'s opaque strategy, drawn by hypothesis deterministically for
    ``seed``; a ClaimError if it has none (an empty or invalid domain)."""
    values: list[Any] = []

    def collect(value: Any) -> bool:
        values.append(value)
        return False

    settings = hypothesis.settings(max_examples=n, database=None, deadline=None,
                                   suppress_health_check=list(hypothesis.HealthCheck),
                                   phases=[hypothesis.Phase.generate])
    try:
        hypothesis.find(strategy, collect, settings=settings, random=random.Random(seed))
    except (hypothesis.errors.NoSuchExample, hypothesis.errors.Unsatisfiable):
        pass
    except hypothesis.errors.InvalidArgument as error:
        raise ClaimError(f"parameter {name!r}: {strategy!r} is not a valid domain: {error}") from None
    if not values:
        raise ClaimError(f"parameter {name!r}: hypothesis could not draw any value from {strategy!r}")
    return values


def shrink(point: dict[str, Any], dims: Sequence[Dimension], still_fails: Callable[[dict[str, Any]], bool],
           *, budget: int, accept: Callable[[dict[str, Any]], bool] | None = None,
           fixed: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Greedily simplify a failing point, one parameter at a time, while it still fails.

    ``still_fails`` is called at most ``budget`` times (each call is a measurement). The result
    fails, and no single simpler candidate of any parameter tried within the budget does.
    """
    fixed = dict(fixed or {})
    current = dict(point)

    def valid(trial: dict[str, Any]) -> bool:  # every parameter inside its (possibly dependent) range
        return all(d.resolve({**fixed, **trial}).contains(trial[d.name]) for d in dims if d.depends is not None) and (
            accept is None or accept(trial))

    improved = True
    while improved and budget > 0:
        improved = False
        for d in dims:
            for candidate in d.resolve({**fixed, **current}).simpler(current[d.name]):
                trial = {**current, d.name: candidate}
                if not valid(trial):
                    continue
                if budget <= 0:
                    return current
                budget -= 1
                if still_fails(trial):
                    current, improved = trial, True
                    break
    return current


def strategy_of(dims: Sequence[Dimension], accept: Callable[[dict[str, Any]], bool] | None,
                fixed: Mapping[str, Any] | None = None) -> SearchStrategy:
    """The domain as one hypothesis strategy of parameter dicts (for the targeted search)."""
    fixed = dict(fixed or {})
    if any(d.depends is not None for d in dims):
        @st.composite
        def points(draw):
            point: dict[str, Any] = {}
            for d in dims:
                point[d.name] = draw(d.depends({**fixed, **point}) if d.depends is not None else d.strategy)
            return point

        strategy = points()
    else:
        strategy = st.fixed_dictionaries({d.name: d.strategy for d in dims})
    return strategy.filter(accept) if accept is not None else strategy
