"""How values of ``results.json`` are read and written as text: in evidence lines, findings and the report.

A measured or stated value is a JSON number, one of the strings ``"inf"``, ``"-inf"``, ``"nan"``
(non-finite measurements, see ``docs/results-schema.md``), a behaviour label such as
``"converges"``, or ``null``. Everything here is a pure function of those values.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from theorems.core.verdict import Verdict

if TYPE_CHECKING:
    from theorems.core.results import ClaimResult, Counterexample, Effect, Point

_NON_FINITE = {"inf": math.inf, "+inf": math.inf, "-inf": -math.inf, "nan": math.nan}
# The catalogue's five documents (../shared/seeds/README.md), shown by title instead of file name.
DOCUMENT_TITLES = {
    "000_7c5c639b47bbde7b.txt": "Initialization (lecture slides)",
    "001_5672ff10bad5e403.txt": "Intro to Deep Learning, Lecture 7: Optimization III (lecture slides)",
    "002_1f3d2f34a8594b59.txt": "Lecture 12 (handwritten lecture notes)",
    "003_8575ef13f3bfe434.txt": "11-685 Intro to Deep Learning - Training (course notes)",
    "004_e701d70adf034ba3.txt": "TTIC 31230 SGD Problems (problem set with solutions)",
}


def document_title(document: str) -> str:
    """A document's title: the catalogue's own by title, a user's document by its file name."""
    return DOCUMENT_TITLES.get(document, document)


def as_number(value: Any) -> float | None:
    """The value as a float (``"inf"`` and friends included), or None for labels and null."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        return _NON_FINITE.get(value.strip().lower())
    return None


def is_label(value: Any) -> bool:
    """True for a behaviour label: a string that is not a non-finite number."""
    return isinstance(value, str) and as_number(value) is None


def format_value(value: Any) -> str:
    """A value as the report prints it: 4 significant digits, labels verbatim, null as a dash."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    number = as_number(value)
    if number is not None:
        if math.isnan(number):
            return "nan"
        if math.isinf(number):
            return "inf" if number > 0 else "-inf"
        return f"{number:.4g}"
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def format_pair(estimate: Any, stated: Any) -> tuple[str, str]:
    """Measured and stated values with enough digits (up to 12) to tell them apart."""
    e, s = as_number(estimate), as_number(stated)
    if e is None or s is None or e == s or not (math.isfinite(e) and math.isfinite(s)):
        return format_value(estimate), format_value(stated)
    for digits in range(4, 13):
        pair = f"{e:.{digits}g}", f"{s:.{digits}g}"
        if pair[0] != pair[1]:
            return pair
    return pair


def format_counterexample(point: Point | Counterexample) -> str:
    """``N=2, b=2: measured 0.4999, stated 0.5``, with the digits that tell the two apart, and the
    element of an array measurement (``element 57``) where the values are taken at one."""
    measured, stated = format_pair(point.estimate, point.stated)
    element = f", element {point.index}" if point.index is not None else ""
    return f"{format_params(point.params)}{element}: measured {measured}, stated {stated}"


def format_effect(effect: Effect | None) -> str:
    """``12.3% at lr=0.1, element 57``; a dash when there is no effect to state."""
    if effect is None:
        return "—"
    relative = as_number(effect.relative)
    size = "a different label" if relative is None else "inf" if math.isinf(relative) else f"{100 * relative:.3g}%"
    element = f", element {effect.index}" if effect.index is not None else ""
    return f"{size} at {format_params(effect.params)}{element}"


def format_params(params: Mapping[str, Any] | None) -> str:
    """``B=4, N=64`` in the order the runner wrote the parameters."""
    if not params:
        return "—"
    return ", ".join(f"{key}={format_value(value)}" for key, value in params.items())


def format_interval(low: Any, high: Any) -> str:
    """``[low, high]``, or a dash when the point has no interval."""
    if low is None and high is None:
        return "—"
    if low == high:  # a deterministic point or a behaviour label: nothing to add to the value
        return "—"
    return f"[{format_value(low)}, {format_value(high)}]"


def format_measured(point: Point | Counterexample) -> str:
    """The estimate with its interval: ``0.04771 [0.04661, 0.04881]``."""
    estimate = format_value(point.estimate)
    interval = format_interval(point.ci_low, point.ci_high)
    return estimate if interval == "—" else f"{estimate} {interval}"


def relative_deviation(estimate: Any, stated: Any) -> float:
    """|estimate − stated| / |stated|; labels deviate by 0 (equal) or inf (different).

    A non-finite or missing estimate counts as infinitely far, so it is always the most telling
    point. With ``stated == 0`` the absolute deviation is used.
    """
    if is_label(estimate) or is_label(stated):
        return 0.0 if estimate == stated else math.inf
    e, s = as_number(estimate), as_number(stated)
    if e is None or s is None or not math.isfinite(e) or not math.isfinite(s):
        return math.inf
    return abs(e - s) / abs(s) if s != 0 else abs(e - s)


def format_deviation(estimate: Any, stated: Any) -> str:
    """The signed relative deviation ``−23.7%``, or an empty string where it has no meaning."""
    e, s = as_number(estimate), as_number(stated)
    if e is None or s is None or not (math.isfinite(e) and math.isfinite(s)) or s == 0:
        return ""
    percent = 100.0 * (e - s) / abs(s)
    return "0%" if percent == 0 else f"{percent:+.3g}%".replace("-", "−")


def format_comparison(estimate: Any, stated: Any, relation: str | None) -> str:
    """How a measurement compares with the statement: the deviation of an equality (``−23.7%``),
    or for a bound its slack (``slack 31%``) or its excess (``exceeds the bound by 4.2%``)."""
    if relation not in ("le", "ge"):
        return format_deviation(estimate, stated)
    e, s = as_number(estimate), as_number(stated)
    if e is None or s is None or not (math.isfinite(e) and math.isfinite(s)):
        return ""
    room = (s - e) if relation == "le" else (e - s)  # ≥ 0: the bound holds
    if s == 0:
        return f"slack {format_value(room)}" if room >= 0 else f"exceeds the bound by {format_value(-room)}"
    percent = 100.0 * room / abs(s)
    return f"slack {percent:.3g}%" if room >= 0 else f"exceeds the bound by {-percent:.3g}%"


def format_count(value: Any) -> str:
    """An integer count with thousands separators: ``7 950 000``."""
    number = as_number(value)
    if number is None or not math.isfinite(number):
        return "—"
    return f"{int(number):,}".replace(",", " ")


def format_tolerance(claim: ClaimResult) -> tuple[str, str]:
    """(band, tolerance): a stochastic claim's relative band, a deterministic claim's tolerance."""
    resolution, atol = float(claim.resolution), float(claim.atol)
    if claim.kind == "stochastic":
        band = f"±{100 * resolution:.3g}%" + (f" + {format_value(atol)}" if atol else "")
        return band, "—"
    if claim.kind == "behaviour" or (resolution == 0 and atol == 0):
        return "—", "exact"
    parts = ([f"rel {format_value(resolution)}"] if resolution else []) + ([f"abs {format_value(atol)}"] if atol else [])
    return "—", ", ".join(parts)


def telling_point(claim: ClaimResult) -> tuple[Point | Counterexample | None, bool]:
    """The point that best shows the claim: its counterexample, else the evidence point closest to
    failing (least ``margin``), else, for points without a margin, the one farthest (relatively)
    from the stated value; the first such point on ties. Returns (point, is_counterexample).
    """
    if claim.counterexample is not None:
        return claim.counterexample, True
    best, best_key = None, None
    for point in claim.evidence:
        margin = as_number(point.margin)
        # points with a margin rank by it; the others by deviation, after them
        key = (0, margin) if margin is not None and not math.isnan(margin) else (
            1, -relative_deviation(point.estimate, point.stated))
        if best_key is None or key < best_key:
            best, best_key = point, key
    return best, False


def verdict_counts(verdicts: Iterable[str]) -> dict[str, int]:
    """How many of each verdict, in the canonical order, unknown verdicts after, zero counts dropped."""
    tally = Counter(verdicts)
    return {verdict: tally[verdict] for verdict in [*Verdict, *sorted(set(tally) - set(Verdict))] if tally[verdict]}


def format_counts(counts: Mapping[str, int]) -> str:
    """``3 confirmed, 1 refuted``; ``no claims`` when empty."""
    return ", ".join(f"{n} {verdict}" for verdict, n in counts.items()) or "no claims"


def duration(seconds: float) -> str:
    """``12.34 s``; below 0.01 s ``4.20 ms`` or ``54.64 µs``: two decimals, in a unit that shows the
    time of one replicate (reports mark and mask these as timings)."""
    unit, factor = next(((u, f) for u, f, least in (("s", 1.0, 0.01), ("ms", 1e-3, 1e-3)) if seconds >= least),
                        ("µs", 1e-6))
    return f"{seconds / factor:.2f} {unit}"
