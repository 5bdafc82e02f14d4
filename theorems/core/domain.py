"""A claim's parameter domain: its dimensions, covering them with space-filling points, and shrinking a point.

A claim declares one *dimension* per parameter, written with this module's constructors::

    domain={"B": integers(1, 64), "eta": floats(0.0, 1.0), "lr": log_floats(1e-4, 1.0),
            "optimizer": choices(["sgd", "adam"]), "data_seed": DATA_SEED,
            "k": integers(1, lambda p: p["B"])}  # a range set by the earlier parameters

A dimension is a map from a position u ∈ [0, 1) onto the parameter's values (:meth:`Dimension.at`)
and an order of simplicity for shrinking (:meth:`Dimension.simpler`). A bound may be a function of
the earlier parameters (``floats(0.0, lambda p: 3 / p["a"])``): at each point the dimension is
*resolved* to the range the earlier parameters give it, and the position is mapped onto that range.

Space-filling points are a scrambled Sobol sequence (``scipy.stats.qmc``): every single
parameter is stratified, so a region covering 1 % of one parameter's range is hit by about one
point in a hundred, wherever it lies. A *wide* positive range (integers spanning two decades or
more, floats with hi/lo ≥ 100) gets a second, log-scaled Sobol set as well, so its bottom decades
are covered as densely as its top; a ``log_floats`` range is covered on a log scale in every set.

The targeted search explores the same positions with hypothesis (:func:`strategy_of`, public API
only). It draws each position as :data:`POSITION_BITS` coin flips: hypothesis also draws integers
and floats from the constants in the source of the loaded modules, which differ between a
command-line run, pytest and a Dask worker, but never a coin flip, so the search visits the same
points in every process for the same seed.
"""

from __future__ import annotations

import dataclasses
import math
import numbers
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, Union

if TYPE_CHECKING:
    from hypothesis.strategies import SearchStrategy

WIDE = 100.0  # hi/lo (or the integer count) from which a range is also covered on a log scale
POSITION_BITS = 16  # a position in a range, as the targeted search draws it: a multiple of 2**-16

Bound = Union[float, Callable[[Mapping[str, Any]], float]]  # a number, or a function of the earlier parameters
IntBound = Union[int, Callable[[Mapping[str, Any]], int]]


@dataclass(frozen=True)
class Dimension:
    """One parameter of a claim's domain (built by :func:`integers`, :func:`floats`,
    :func:`log_floats` or :func:`choices`; its name is set by :func:`dimensions`)."""

    kind: Literal["int", "float", "choice"]
    low: Any = 0.0  # a number; a function of the earlier parameters until resolved (see Bound)
    high: Any = 0.0
    choices: tuple[Any, ...] = ()
    log: bool = False  # covered and searched on a log scale (log_floats)
    name: str = ""

    def __repr__(self) -> str:  # as the claim declares it
        if self.kind == "choice":
            return f"choices({list(self.choices)!r})"
        constructor = "integers" if self.kind == "int" else "log_floats" if self.log else "floats"
        return f"{constructor}({self.low!r}, {self.high!r})"

    @property
    def dependent(self) -> bool:
        """Whether a bound is set by the earlier parameters."""
        return callable(self.low) or callable(self.high)

    def resolve(self, point: Mapping[str, Any]) -> Dimension:
        """This dimension at a point whose earlier parameters are set: its bounds evaluated there.
        A ValueError names the parameter if they give an empty or invalid range."""
        if not self.dependent:
            return self
        low, high = (bound(point) if callable(bound) else bound for bound in (self.low, self.high))
        try:
            return dataclasses.replace(self, low=_checked_bound(self.kind, low),
                                       high=_checked_bound(self.kind, high))._checked()
        except ValueError as error:
            raise ValueError(f"parameter {self.name!r} at {dict(point)}: {error}") from None

    def contains(self, value: Any) -> bool:
        if self.kind == "choice":
            return value in self.choices
        return self.low <= value <= self.high

    @property
    def wide(self) -> bool:
        """A positive range of two decades or more (covered by a log-scaled set as well)."""
        if self.kind == "int":
            return self.low >= 0 and self.high - self.low + 1 >= WIDE
        return self.kind == "float" and not self.log and self.low > 0 and self.high / self.low >= WIDE

    def at(self, u: float, *, log: bool = False) -> Any:
        """The value at position u ∈ [0, 1) of the range (on a log scale if asked and wide, or if log_floats)."""
        if self.kind == "choice":
            return self.choices[min(int(u * len(self.choices)), len(self.choices) - 1)]
        if self.kind == "int":
            if log and self.wide:  # log scale on the offset x − low + 1 ∈ [1, high − low + 1]
                span = self.high - self.low + 1
                return int(min(self.low + math.floor(math.exp(u * math.log(span + 1))) - 1, self.high))
            return int(min(self.low + math.floor(u * (self.high - self.low + 1)), self.high))
        if self.log or (log and self.wide):
            return float(min(self.low * (self.high / self.low) ** u, self.high))
        return float(self.low + u * (self.high - self.low))

    def simpler(self, value: Any) -> Iterator[Any]:
        """Candidates simpler than ``value``, simplest first (hypothesis's order: toward zero,
        toward the first choice, toward short decimals). Each has the dimension's type: a float
        range is offered 0.0, never the int 0 (``torch.optim.Adam`` rejects ``betas=(0, 0.999)``)."""
        if self.kind == "choice":
            index = self.choices.index(value) if value in self.choices else 0
            yield from self.choices[:index]
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

    def _checked(self) -> Dimension:
        """Itself, if its range is valid; else a ValueError naming the bounds."""
        if self.dependent:
            return self
        if self.low > self.high:
            raise ValueError(f"the range [{self.low}, {self.high}] is empty (low > high)")
        if self.log and not self.low > 0:
            raise ValueError(f"a log-scaled range needs 0 < low, got [{self.low}, {self.high}]")
        return self


def _checked_bound(kind: str, bound: Any) -> Bound:
    """``bound`` if it fits a range of ``kind`` (an int for integers, a finite real for floats, or a
    function of the earlier parameters); else a ValueError naming it."""
    if callable(bound):
        return bound
    if kind == "int" and isinstance(bound, numbers.Integral) and not isinstance(bound, bool):
        return int(bound)
    if kind == "float" and isinstance(bound, numbers.Real) and not isinstance(bound, bool) and math.isfinite(bound):
        return float(bound)
    wanted = "an int" if kind == "int" else "a finite number"
    raise ValueError(f"a bound must be {wanted} or a function of the earlier parameters, got {bound!r}")


def integers(low: IntBound, high: IntBound) -> Dimension:
    """The integers low, …, high (both included); shrinks toward 0 (or the bound nearest it)."""
    return _range("integers", low, high)


def floats(low: Bound, high: Bound) -> Dimension:
    """The reals in [low, high]; shrinks toward 0 (or the bound nearest it), round numbers first."""
    return _range("floats", low, high)


def log_floats(low: Bound, high: Bound) -> Dimension:
    """The reals in [low, high], 0 < low, covered and searched on a log scale: each decade gets
    as many points as any other ("for any learning rate from 1e-4 to 1"); shrinks toward low."""
    return _range("log_floats", low, high)


def _range(constructor: str, low: Any, high: Any) -> Dimension:
    """The range [low, high] of ``constructor``; a ValueError naming the call if it is invalid."""
    kind: Literal["int", "float"] = "int" if constructor == "integers" else "float"
    try:
        return Dimension(kind, _checked_bound(kind, low), _checked_bound(kind, high),
                         log=constructor == "log_floats")._checked()
    except ValueError as error:
        raise ValueError(f"{constructor}({low!r}, {high!r}): {error}") from None


def choices(values: Iterable[Any]) -> Dimension:
    """One of ``values``, in order of simplicity: shrinking moves toward the first."""
    if isinstance(values, Dimension) or callable(values):
        raise ValueError(f"choices takes the values themselves (a list), got {values!r}")
    values = tuple(values)
    if not values:
        raise ValueError("choices needs at least one value")
    return Dimension("choice", choices=values)


DATA_SEED = integers(0, 1000)  # which data set a point draws: seeds its data independently of its noise


def dimensions(domain: Mapping[str, Dimension]) -> list[Dimension]:
    """The domain's dimensions, in order, each named after its parameter."""
    return [dataclasses.replace(spec, name=name) for name, spec in domain.items()]


def space_filling(dims: Sequence[Dimension], n: int, *, seed: int,
                  accept: Callable[[dict[str, Any]], bool] | None = None,
                  fixed: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
    """About ``n`` points covering the domain (plus ``n // 4`` log-scaled ones when a range is
    wide or dependent), distinct, in Sobol order, each satisfying ``accept``. Deterministic for
    ``seed``. ``fixed`` holds parameters set elsewhere (a reading's), which dependent ranges may read."""
    import numpy as np  # the cover's dependencies: declaring a domain (and `import theorems`) needs none
    from scipy.stats import qmc

    if n <= 0 or not dims:
        return [{}] if not dims and n > 0 else []
    fixed = dict(fixed or {})
    rng = np.random.default_rng(seed)
    wide = any(d.wide or d.dependent for d in dims)
    sets = [(n, False)] + ([(max(1, n // 4), True)] if wide else [])
    points: list[dict[str, Any]] = []
    seen: set[str] = set()
    for count, log in sets:
        sobol = qmc.Sobol(len(dims), scramble=True, seed=rng)
        units = sobol.random_base2(max(0, math.ceil(math.log2(4 * count))))  # room for rejections
        kept = 0
        for u in units:
            point = _point_at(dims, u, fixed, log=log)
            key = repr(sorted(point.items(), key=lambda item: item[0]))
            if key in seen or (accept is not None and not accept(point)):
                continue
            seen.add(key)
            points.append(point)
            kept += 1
            if kept == count:
                break
    return points


def _point_at(dims: Sequence[Dimension], u: Sequence[float], fixed: Mapping[str, Any], *,
              log: bool = False) -> dict[str, Any]:
    """The point at positions ``u`` (one per dimension), each range resolved by the parameters before it."""
    point: dict[str, Any] = {}
    for d, position in zip(dims, u):
        point[d.name] = d.resolve({**fixed, **point}).at(float(position), log=log)
    return point


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
        return all(d.resolve({**fixed, **trial}).contains(trial[d.name]) for d in dims if d.dependent) and (
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
                fixed: Mapping[str, Any] | None = None) -> SearchStrategy[dict[str, Any]]:
    """The domain as one hypothesis strategy of parameter dicts, for the targeted search: a position
    per dimension, each :data:`POSITION_BITS` coin flips, mapped onto the ranges as the cover maps them."""
    import hypothesis.strategies as st  # the search's dependency, like numpy and scipy the cover's

    fixed = dict(fixed or {})
    bits = st.tuples(*[st.booleans()] * POSITION_BITS)
    position = bits.map(lambda flips: sum(2.0 ** -(i + 1) for i, flip in enumerate(flips) if flip))
    points = st.tuples(*[position] * len(dims)).map(lambda u: _point_at(dims, u, fixed))
    return points.filter(accept) if accept is not None else points
