"""One figure per claim: the measurements with their intervals drawn beside the stated formula.

Figures use matplotlib's object-oriented API with the Agg canvas (no pyplot, no global state), the
default style plus :data:`STYLE`, and PNGs saved without the ``Software`` tag, so the same claim
gives byte-identical files on every run.

``figure.kind == "points"``: estimate ± interval against ``params[figure.x]``, one colour per
series, the stated value dashed in the same colour; refuted points get a red ×, inconclusive
points a grey ring, non-finite estimates a triangle on the top edge. Behaviour labels
(``"converges"``, ...) are drawn on a categorical y axis.
``figure.kind == "traces"``: one colour per evidence point, measured trajectory solid and stated
trajectory dashed; one panel per reading when the points span several.
Each stated value is shaded with the band that decides its point (``Point.band``: stated ± band for
an equality, one side for a bound; a trace's tolerance at each element), so a reader sees why a point
was refuted. Claims with more than ``FEW_DESIGN_POINTS`` design points are drawn from those alone
(the search's points are in the tables); with fewer, every evaluated point is drawn.
"""

from __future__ import annotations

import io
import math
import re
import textwrap
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import matplotlib
import matplotlib.style
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from theorems.core.claim import Figure as FigureSpec
from theorems.core.results import ClaimResult, Point
from theorems.core.text import as_number, format_params, format_value, is_label
from theorems.core.verdict import Verdict

if TYPE_CHECKING:  # matplotlib's names of its settings, for the type checker only
    from matplotlib.typing import RcKeyType

WIDTH_IN, HEIGHT_IN, DPI = 6.4, 4.0, 100
STYLE: dict[RcKeyType, Any] = {
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.labelsize": 10,
    "xtick.labelsize": 9,
    "ytick.labelsize": 9,
    "legend.fontsize": 9,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.prop_cycle": matplotlib.rcParamsDefault["axes.prop_cycle"],
}
COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22", "#7f7f7f")
MAX_TRACES = 9
FEW_DESIGN_POINTS = 3  # with this many design points or fewer, a figure draws every evaluated point
BAND_ALPHA = 0.15
BAND_LABEL = "band that decides a point"
LOG_FLOOR = 1e-300  # a band reaching 0 or below is drawn down to the bottom of a log axis
LEGEND_HEIGHT_IN = 0.55  # a two-row legend fits in HEIGHT_IN; a taller one makes the figure taller
LOG_DECADES = 12  # the most decades a log-y trace figure shows
# Behaviour labels in the order they are drawn from bottom to top; other labels follow in order of appearance.
LABEL_ORDER = ("converges", "oscillates", "diverges")


def render_figure(claim: ClaimResult) -> bytes:
    """The claim's figure as PNG bytes (``WIDTH_IN`` × ``HEIGHT_IN`` inches per panel at ``DPI``).

    The points drawn are :func:`drawn_points`'s, each with the band that decides it; trajectories
    under several readings get one panel per reading. Text that
    mathtext cannot parse (a reading or label such as ``rate $\\frac{1}{$``) would fail the drawing:
    the figure is then drawn again with all its text plain.
    """
    try:
        return _render(claim, maths=True)
    except ValueError:  # how mathtext reports maths it cannot parse, at drawing time
        return _render(claim, maths=False)


def _render(claim: ClaimResult, *, maths: bool) -> bytes:
    """:func:`render_figure`, with ``$…$`` typeset as maths or, without ``maths``, shown as written."""
    spec = claim.figure
    shown = drawn_points(claim)
    readings = list(dict.fromkeys(p.reading for p in shown))
    traces = spec.kind == "traces"
    panels = [[p for p in shown if p.reading == r] for r in readings] if traces and len(readings) > 1 else [shown]
    with matplotlib.style.context("default"), matplotlib.rc_context({**STYLE, "text.parse_math": maths}):
        figure = Figure(figsize=(WIDTH_IN, HEIGHT_IN * len(panels)), dpi=DPI, layout="constrained")
        FigureCanvasAgg(figure)
        legends: list[tuple[Any, Any]] = []  # (handles, labels) per panel
        for index, points in enumerate(panels):
            axes = figure.add_subplot(len(panels), 1, index + 1)
            if traces:
                entries = _draw_traces(axes, points, spec, claim, with_verdicts=len(panels) == 1)
            else:
                entries = _draw_points(axes, points, spec, claim.relation)
            legends.append(entries)
            title = claim.id
            if len(panels) > 1:
                refuted = sum(p.verdict == Verdict.REFUTED for p in points)
                title += f": reading “{readings[index]}”, {refuted} of {len(points)} points refuted"
            axes.set_title(title)
        _legend(figure, *legends[0], height=HEIGHT_IN * len(panels))  # the first panel's entries
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    return buffer.getvalue()


def drawn_points(claim: ClaimResult) -> list[Point]:
    """The points a figure draws: the claim's declared (representative and design) points, or every
    evaluated point where those are ``FEW_DESIGN_POINTS`` or fewer (a thin picture); trajectories
    are kept for the declared points only, so a traces figure draws those whenever there are some."""
    declared = [p for p in claim.evidence if p.design]
    if len(declared) > FEW_DESIGN_POINTS or (declared and claim.figure.kind == "traces"):
        return declared
    return list(claim.evidence)


def _float(value: Any) -> float:
    number = as_number(value)
    return math.nan if number is None else number


def _finite(value: Any) -> bool:
    number = as_number(value)
    return number is not None and math.isfinite(number)


def _legend(figure, handles: Sequence[Any], labels: Sequence[str], *, height: float = HEIGHT_IN) -> None:
    """Legend below the axes, so it never hides a point: two rows where the labels fit across the
    figure, fewer columns (and a taller figure) where they do not. Long labels wrap onto two lines."""
    if not handles:
        return
    labels = [_wrap(label) for label in labels]
    renderer = figure.canvas.get_renderer()
    for ncols in range(min(4, math.ceil(len(handles) / 2)), 0, -1):
        legend = figure.legend(handles, labels, loc="outside lower center", ncols=ncols, frameon=False)
        if ncols == 1 or legend.get_window_extent(renderer).width <= 0.98 * figure.bbox.width:
            break
        legend.remove()
    extra_rows = max(legend.get_window_extent(renderer).height / figure.dpi - LEGEND_HEIGHT_IN, 0.0)
    figure.set_size_inches(WIDTH_IN, height + round(extra_rows, 1))


def _wrap(label: str, width: int = 44) -> str:
    """At most two lines of ``width`` characters, broken after a comma where possible."""
    if len(label) <= width:
        return label
    cut = label.rfind(", ", 0, width)
    cut = cut + 1 if cut > 0 else width
    rest = label[cut:].strip()
    return label[:cut] + "\n" + (rest if len(rest) <= width else rest[: width - 1] + "…")


# ---- points -------------------------------------------------------------------------------------
def _series_name(point: Point, series: str | None) -> Any:
    if not series:
        return None
    if series == "reading":
        return point.reading
    return point.params.get(series)


def _series_label(series: str | None, name: Any) -> str:
    if name is None:
        return ""
    return str(name) if series == "reading" else f"{series}={format_value(name)}"


def _group(points: Sequence[Point], series: str | None) -> list[tuple[Any, list[int]]]:
    """Indices of the points by series value: numeric values ascending, else in order of appearance."""
    groups: dict[Any, list[int]] = {}
    for index, point in enumerate(points):
        groups.setdefault(_series_name(point, series), []).append(index)
    names = list(groups)
    if all(_finite(name) for name in names):
        names.sort(key=_float)
    return [(name, groups[name]) for name in names]


def _categories(values: Sequence[Any], preferred: Sequence[str] = ()) -> list[str]:
    seen = [str(v) for v in values if v is not None]
    return [c for c in preferred if c in seen] + [c for c in dict.fromkeys(seen) if c not in preferred]


def _band_limits(stated: Any, band: Any, relation: str) -> tuple[float, float]:
    """Where a measurement agrees with ``stated`` (the band that decides a point): stated ± band for an
    equality, up to stated + band for an upper bound, down to stated − band for a lower one; NaN
    where the point has no band (labels)."""
    s, b = _float(stated), _float(band)
    low = s if relation == "le" else s - b
    high = s if relation == "ge" else s + b
    return low, high


def _draw_band(axes, xs: Sequence[float], limits: Sequence[tuple[float, float]], colour: str, *, curve: bool,
               floor: float = 0.0) -> bool:
    """Shade each point's deciding band in the series colour (a ribbon along a curve, else a bar per
    point); lower limits are raised to ``floor`` on a log axis. Returns whether anything was drawn."""
    kept = [(x, max(low, floor), high) for x, (low, high) in zip(xs, limits)
            if math.isfinite(x) and math.isfinite(low) and math.isfinite(high)]
    if not kept:
        return False
    x, low, high = zip(*kept)
    if curve and len(kept) > 1:
        axes.fill_between(x, low, high, color=colour, alpha=BAND_ALPHA, linewidth=0, zorder=1)
    else:
        axes.vlines(x, low, high, colors=colour, alpha=2 * BAND_ALPHA, linewidth=9, zorder=1)
    return True


def _draw_points(axes, evidence: Sequence[Point], spec: FigureSpec, relation: str = "eq"):
    if not evidence:
        axes.text(0.5, 0.5, "no evidence points", ha="center", va="center", transform=axes.transAxes)
        return [], []
    x_key = spec.x
    raw_x = [p.params.get(x_key) if x_key else i for i, p in enumerate(evidence)]
    numeric_x = all(_finite(x) for x in raw_x)
    x_categories = [] if numeric_x else _categories(raw_x)
    x_of = [_float(x) if numeric_x else float(x_categories.index(str(x))) for x in raw_x]
    log_x = numeric_x and spec.logx and all(x > 0 for x in x_of)

    labelled = any(is_label(p.estimate) or is_label(p.stated) for p in evidence)
    y_categories = _categories([v for p in evidence for v in (p.estimate, p.stated)], LABEL_ORDER)

    def y_of(value: Any) -> float:
        if labelled:
            return math.nan if value is None else float(y_categories.index(str(value)))
        return _float(value)

    estimates = [y_of(p.estimate) for p in evidence]
    log_y = not labelled and spec.logy and any(
        _finite(v) and _float(v) > 0 for p in evidence for v in (p.estimate, p.stated))
    # Estimates <= 0, or 1000 times below every stated value, would squash a log axis: they are
    # marked on its bottom edge, with their value, instead.
    stated_positive = [_float(p.stated) for p in evidence if _finite(p.stated) and _float(p.stated) > 0]
    floor = 1e-3 * min(stated_positive) if stated_positive else 0.0
    below_axis = [i for i, y in enumerate(estimates) if log_y and math.isfinite(y) and y <= floor]
    for i in below_axis:
        estimates[i] = math.nan
    dodged = list(x_of)  # where each measured point is drawn
    banded = False
    handles, labels = [], []
    series = spec.series
    groups = _group(evidence, series)
    for colour_index, (name, indices) in enumerate(groups):
        colour = COLOURS[colour_index % len(COLOURS)]
        indices = sorted(indices, key=lambda i: x_of[i])
        # Measured points of different series side by side, not on top of each other.
        shift = _dodge(x_of, log_x, numeric_x, colour_index - (len(groups) - 1) / 2)
        for i in indices:
            dodged[i] = shift(x_of[i])
        xs = [x_of[i] for i in indices]
        # A dashed line through the stated values where it reads as a curve (one point per x),
        # otherwise (several points share an x) a short bar per point.
        as_curve = numeric_x and len(set(xs)) == len(xs)
        stated_line = axes.plot(
            xs, [y_of(evidence[i].stated) for i in indices], linestyle="--" if as_curve else "none",
            color=colour, marker="s" if labelled else (None if as_curve else "_"), markersize=11 if labelled else 16,
            markerfacecolor="none", markeredgewidth=1.5, zorder=2,
        )[0]
        if labelled:
            measured = axes.plot([dodged[i] for i in indices], [estimates[i] for i in indices], linestyle="none",
                                 marker="o", markersize=6, color=colour, zorder=3)[0]
        else:
            measured = axes.errorbar(
                [dodged[i] for i in indices], [estimates[i] for i in indices],
                yerr=[[_error_bar(evidence[i].ci_low, estimates[i]) for i in indices],
                      [_error_bar(evidence[i].ci_high, estimates[i]) for i in indices]],
                linestyle="none", marker="o", markersize=5, capsize=3, color=colour, zorder=3,
            )
        banded |= not labelled and _draw_band(
            axes, xs, [_band_limits(evidence[i].stated, evidence[i].band, relation) for i in indices], colour,
            curve=as_curve, floor=max(floor, LOG_FLOOR) if log_y else -math.inf)
        suffix = _series_label(series, name)
        if len(groups) == 1:
            handles += [measured, stated_line]
            labels += [f"measured {suffix}".strip(), f"stated {suffix}".strip()]
        else:  # one entry per series colour; what solid points and dashes mean is said once below
            handles.append(Line2D([], [], color=colour, linestyle="--", marker="o", markersize=5))
            labels.append(suffix)
    if len(groups) > 1:
        handles += [
            Line2D([], [], color="black", linestyle="none", marker="o", markersize=5),
            Line2D([], [], color="black", linestyle="--", marker="s" if labelled else None, markerfacecolor="none"),
        ]
        labels += ["measured" if labelled else "measured ± interval", "stated"]
    if banded:
        handles.append(Patch(color="black", alpha=BAND_ALPHA))
        labels.append(BAND_LABEL)

    _mark_point_verdicts(axes, evidence, dodged, estimates, handles, labels, below_axis=below_axis)

    if labelled:
        axes.set_yticks(range(len(y_categories)), y_categories)
        axes.set_ylim(-0.6, len(y_categories) - 0.4)
        axes.grid(False, axis="y")
    elif log_y:
        axes.set_yscale("log", nonpositive="mask")
    if not numeric_x:
        axes.set_xticks(range(len(x_categories)), x_categories)
        axes.set_xlim(-0.5, len(x_categories) - 0.5)
    elif log_x:
        axes.set_xscale("log")
        _label_ticks_at_points(axes, sorted(set(x_of)))
    axes.set_xlabel(axis_label(spec.xlabel or x_key or "point"))
    axes.set_ylabel(axis_label(spec.ylabel or "value"))
    return handles, labels


def _error_bar(bound: Any, estimate: float) -> float:
    """Length of one error bar: |bound − estimate|, 0 where either is missing or not finite."""
    if not (_finite(bound) and math.isfinite(estimate)):
        return 0.0
    return abs(_float(bound) - estimate)


def _dodge(xs: list[float], log: bool, numeric: bool, slot: float):
    """Shift by ``slot`` steps of 1.5% of the x range (in decades on a log axis)."""
    if not numeric:
        return lambda x: x + 0.08 * slot
    if log:
        span = max(math.log10(max(xs) / min(xs)), 0.5)
        return lambda x: x * 10 ** (0.015 * span * slot)
    span = max(max(xs) - min(xs), 1e-12) if len(set(xs)) > 1 else max(abs(xs[0]), 1.0)
    return lambda x: x + 0.015 * span * slot


def _label_ticks_at_points(axes, xs: list[float]) -> None:
    """On a log axis with few distinct x values, label the measured x values themselves, skipping
    those closer than 8% of the axis to the previous label so that labels never overlap."""
    if len(xs) > 12:
        return
    span = max(math.log10(xs[-1] / xs[0]), 0.5)
    ticks = [xs[0]]
    for x in xs[1:]:
        if math.log10(x / ticks[-1]) >= 0.08 * span:
            ticks.append(x)
    axes.set_xticks(ticks, [format_value(x) for x in ticks])
    axes.minorticks_off()


def _mark_point_verdicts(axes, evidence: Sequence[Point], xs: list[float], ys: list[float], handles, labels, *,
                         below_axis: Sequence[int] = ()) -> None:
    """Red × on refuted points, grey ring on inconclusive ones, red triangle on the top edge for
    estimates that are not finite numbers (``"inf"``, ``"nan"``), and a triangle on the bottom edge
    for estimates <= 0 on a log axis (``below_axis``)."""
    def where(verdict: str) -> list[int]:
        return [i for i, p in enumerate(evidence) if p.verdict == verdict and math.isfinite(ys[i])]

    refuted, inconclusive = where(Verdict.REFUTED), where(Verdict.INCONCLUSIVE)
    non_finite = [i for i in range(len(evidence)) if not math.isfinite(ys[i]) and i not in below_axis]
    if below_axis:
        transform = axes.get_xaxis_transform()
        handles.append(axes.scatter([xs[i] for i in below_axis], [0.03] * len(below_axis), transform=transform,
                                    marker="v", s=80, color="#d62728", clip_on=False, zorder=5))
        labels.append("estimate near 0 (off the log axis)")
        for i in below_axis:
            axes.annotate(format_value(evidence[i].estimate), (xs[i], 0.03), xycoords=transform,
                          xytext=(0, 8), textcoords="offset points", ha=_edge_alignment(xs, i), va="bottom",
                          fontsize=9, color="#d62728")
    if refuted:
        handles.append(axes.scatter([xs[i] for i in refuted], [ys[i] for i in refuted],
                                    marker="x", s=110, linewidths=1.8, color="#d62728", zorder=2.5))
        labels.append("refuted point")
    if inconclusive:
        handles.append(axes.scatter([xs[i] for i in inconclusive], [ys[i] for i in inconclusive], marker="o", s=150,
                                    facecolors="none", edgecolors="#555555", linewidths=1.2, zorder=4))
        labels.append("inconclusive point")
    if non_finite:
        transform = axes.get_xaxis_transform()  # x in data, y in axes coordinates
        handles.append(axes.scatter([xs[i] for i in non_finite], [0.97] * len(non_finite), transform=transform,
                                    marker="^", s=80, color="#d62728", clip_on=False, zorder=5))
        labels.append("non-finite estimate")
        for i in non_finite:
            axes.annotate(format_value(evidence[i].estimate), (xs[i], 0.97), xycoords=transform,
                          xytext=(0, -14), textcoords="offset points", ha=_edge_alignment(xs, i), va="top",
                          fontsize=9, color="#d62728")


def _edge_alignment(xs: Sequence[float], i: int) -> str:
    """Align a point's label inward at the ends of the x axis, so that it is never clipped."""
    finite = [x for x in xs if math.isfinite(x)]
    if len(set(finite)) < 2:
        return "center"
    return "right" if xs[i] >= max(finite) else "left" if xs[i] <= min(finite) else "center"


# ---- traces -------------------------------------------------------------------------------------
def _varying_params(evidence: Sequence[Point]) -> list[str]:
    """Parameter keys whose value differs between points (all keys if none does)."""
    keys = list(dict.fromkeys(k for p in evidence for k in p.params))
    varying = [k for k in keys if len({repr(p.params.get(k)) for p in evidence}) > 1]
    return varying or keys


def _trace(point: Point) -> Mapping[str, Any]:
    """The point's trajectory (x, measured, stated, ...), empty where it recorded none."""
    return point.trace or {}


def _draw_traces(axes, evidence: Sequence[Point], spec: FigureSpec, claim: ClaimResult, *,
                 with_verdicts: bool = True):
    traced = [p for p in evidence if p.trace is not None and p.trace.get("measured")]
    # At most MAX_TRACES lines, refuted then inconclusive points first, drawn in their original order.
    priority: dict[str, int] = {Verdict.REFUTED: 0, Verdict.INCONCLUSIVE: 1}
    chosen = sorted(sorted(range(len(traced)), key=lambda i: (priority.get(traced[i].verdict, 2), i))[:MAX_TRACES])
    drawn = [traced[i] for i in chosen]
    keys = _varying_params(drawn)
    handles, labels = [], []
    banded = False
    for index, point in enumerate(drawn):
        colour = COLOURS[index % len(COLOURS)]
        trace = _trace(point)
        for name, style in (("measured", {"linewidth": 1.8}), ("stated", {"linewidth": 1.4, "linestyle": "--"})):
            ys = [_float(v) for v in trace.get(name) or []]
            xs = [_float(v) for v in trace.get("x") or range(len(ys))]
            if ys and len(xs) == len(ys):
                line = axes.plot(xs, ys, color=colour, **style)[0]
                if name == "stated":  # a deterministic trace's band is its tolerance at each element
                    banded |= _draw_band(axes, xs, [_band_limits(y, claim.atol + claim.resolution * abs(y), claim.relation)
                                                    for y in ys], colour, curve=True,
                                         floor=LOG_FLOOR if spec.logy else -math.inf)
                if name == "measured":
                    handles.append(line)
        label = format_params({k: point.params.get(k) for k in keys}) if keys else f"point {index + 1}"
        if with_verdicts and point.verdict != Verdict.CONFIRMED:
            label += f" ({point.verdict})"
        labels.append(label)
    labels = labels[: len(handles)]
    if not drawn:
        axes.text(0.5, 0.5, "no trajectory recorded", ha="center", va="center", transform=axes.transAxes)
    elif any(_trace(point).get("stated") for point in drawn):  # say what dashes mean only where some are drawn
        handles += [Line2D([], [], color="black"), Line2D([], [], color="black", linestyle="--")]
        labels += ["measured (solid)", "stated (dashed)"]
    if banded:
        handles.append(Patch(color="black", alpha=BAND_ALPHA))
        labels.append(BAND_LABEL)
    untraced, over_cap = len(evidence) - len(traced), len(traced) - len(drawn)
    for count, what in ((untraced, "without a trajectory (see the evidence table)"),
                        (over_cap, f"more in the evidence table (at most {MAX_TRACES} drawn)")):
        if count:
            handles.append(Line2D([], [], linestyle="none"))
            labels.append(f"{count} point{'s' * (count != 1)} {what}")
    values = [y for p in drawn for name in ("measured", "stated") for y in map(_float, _trace(p).get(name) or [])
              if math.isfinite(y)]
    positive = [abs(y) for y in values if y != 0]
    if spec.logy and positive:
        # No more than LOG_DECADES decades are shown, so round-off at 1e-16 does not squash the
        # trajectories. Where a run reaches 0 exactly, or changes sign (an oscillation), the axis is
        # symmetric-logarithmic, linear within the smallest magnitude shown, so the run stays visible.
        top = max(positive)
        smallest = max(min(positive), top * 10.0 ** -LOG_DECADES)
        if all(y > 0 for y in values):
            axes.set_yscale("log", nonpositive="mask")
            axes.set_ylim(smallest / 2, top * 2)
        else:
            axes.set_yscale("symlog", linthresh=smallest)
    if spec.logx and drawn and all(_float(x) > 0 for p in drawn for x in _trace(p).get("x") or [1]):
        axes.set_xscale("log")
    axes.set_xlabel(axis_label(spec.xlabel or spec.x or "step"))
    axes.set_ylabel(axis_label(spec.ylabel or "value"))
    return handles, labels


def axis_label(text: Any) -> str:
    """A label as the claim writes it, with TeX-style sub- and superscripts (``w_{t+1}``, ``σ^{2}``)
    typeset by matplotlib's mathtext rather than shown raw; dollar signs elsewhere are literal.
    Where maths is off (:func:`render_figure`'s fallback) the label is shown as written."""
    text = "\n".join(textwrap.wrap(str(text), 48))  # long labels on two lines
    if not matplotlib.rcParams["text.parse_math"]:
        return text
    text = text.replace("$", r"\$")
    return re.sub(r"([_^])\{([^{}$]*)\}", lambda m: "$" + m.group(1) + "{" + _mathtext(m.group(2)) + "}$", text)


def _mathtext(text: str) -> str:
    """Characters mathtext reads differently from text: the minus sign and spaces."""
    return text.replace("−", "-").replace(" ", r"\ ")


# ---- exact evidence (issue 22): typeset derivations and the tightness of bounds ----------------------
EQUATION_HEIGHT_IN = 0.42  # one typeset derivation line


def render_exact_figure(claim: ClaimResult) -> bytes | None:
    """The claim's exact evidence as one PNG, or None when it has none to draw: the stated formula where the
    claim writes it as an expression, each sympy derivation's lines typeset by mathtext (a line mathtext cannot
    parse is shown as its LaTeX source), then, for each computed worst case, the tightness figure: the document's
    bound and the exact worst case against T (or ηL for a one-step bound), with their ratio on a second axis."""
    lines = [(entry, line) for entry in claim.exact if entry.method == "sympy" for line in entry.latex.splitlines()]
    curves = [entry for entry in claim.exact if any(p.worst_case is not None for p in entry.curve)]
    formula = [claim.stated_latex] if claim.stated_latex else []
    if not formula and not lines and not curves:
        return None
    text_height = EQUATION_HEIGHT_IN * (2 * len(formula) + len(lines) + len({entry.key for entry, _ in lines}))
    height = text_height + HEIGHT_IN * len(curves)
    with matplotlib.style.context("default"), matplotlib.rc_context(STYLE):
        figure = Figure(figsize=(WIDTH_IN * 1.5, height), dpi=DPI)
        FigureCanvasAgg(figure)
        y = 1.0
        step = EQUATION_HEIGHT_IN / height
        for latex in formula:
            y -= step
            figure.text(0.01, y + step / 3, "stated formula", fontsize=10, weight="bold")
            y -= step
            figure.text(0.03, y + step / 3, _typeset(latex), fontsize=11)
        for key in dict.fromkeys(entry.key for entry, _ in lines):
            entry = next(e for e, _ in lines if e.key == key)
            y -= step
            figure.text(0.01, y + step / 3, f"{key}{f' ({entry.reading})' if entry.reading else ''}: {entry.status}",
                        fontsize=10, weight="bold")
            for line in (line for e, line in lines if e.key == key):
                y -= step
                figure.text(0.03, y + step / 3, _typeset(line), fontsize=11)
        for index, entry in enumerate(curves):
            bottom = (HEIGHT_IN * (len(curves) - 1 - index) + 0.5) / height
            axes = figure.add_axes((0.08, bottom, 0.8, (HEIGHT_IN - 0.9) / height))
            _draw_tightness(axes, entry)
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    return buffer.getvalue()


def _typeset(latex: str) -> str:
    """``$latex$`` where mathtext parses it, else the source with its dollar signs escaped (shown as written)."""
    from matplotlib.mathtext import MathTextParser

    maths = _for_mathtext(latex)
    try:
        MathTextParser("agg").parse(f"${maths}$")
    except ValueError:
        return latex.replace("$", r"\$")
    return f"${maths}$"


def _for_mathtext(latex: str) -> str:
    """LaTeX with the commands mathtext lacks written with those it has: sized delimiters as plain ones,
    \\operatorname and \\text as \\mathrm, \\tfrac as \\frac."""
    latex = re.sub(r"\\[Bb]ig[gl]?[lr]?(?=[\[\]()|.]|\\[{}])", "", latex)
    latex = re.sub(r"\\(?:operatorname|text)\{", r"\\mathrm{", latex)
    return latex.replace(r"\tfrac", r"\frac").replace(r"\quad", r"\ \ ")


def _draw_tightness(axes, entry) -> None:
    """The bound and the worst case (log scale) against T, one line pair per ηL, and bound/worst case."""
    points = [p for p in entry.curve if p.worst_case is not None]
    by_T = len({p.T for p in points}) > 1
    x_of = (lambda p: p.T) if by_T else (lambda p: p.step)
    groups = _group_by(points, (lambda p: p.step) if by_T else (lambda p: p.T))
    ratio_axes = axes.twinx()
    for colour, (name, members) in zip(COLOURS, groups.items()):
        xs = [x_of(p) for p in members]
        label = f"ηL = {name:g}" if by_T else f"T = {name}"
        axes.plot(xs, [p.bound for p in members], "--", color=colour, label=f"document's bound, {label}")
        axes.plot(xs, [p.worst_case for p in members], "-o", color=colour, ms=3, label=f"exact worst case, {label}")
        ratio_axes.plot(xs, [p.ratio for p in members], ":", color=colour, label=f"slack ratio, {label}")
    axes.set_yscale("log")
    axes.set_xlabel("T (gradient steps)" if by_T else "ηL")
    axes.set_ylabel("value at scale 1")
    ratio_axes.set_ylabel("slack (≥ 1: the bound holds)")
    axes.set_title(f"{entry.key}: the document's bound against the exact worst case (PEP)")
    handles, labels = axes.get_legend_handles_labels()
    more_handles, more_labels = ratio_axes.get_legend_handles_labels()
    axes.legend(handles + more_handles, labels + more_labels, fontsize=8, loc="best")


def _group_by(points, key) -> dict[Any, list]:
    """Points grouped by ``key``, in order of first appearance."""
    groups: dict[Any, list] = {}
    for point in points:
        groups.setdefault(key(point), []).append(point)
    return groups
