"""The run's evidence as tidy tables: ``results.csv``, ``results-params.csv`` and a notebook view.

``results.csv`` (:func:`points_frame`) has one row per evidence point, keyed by (``claim``, ``point``),
every column of one type: ``estimate``, ``stated``, ``ci_low`` and ``ci_high`` are numbers (NaN where the
value is a behaviour label or an array) and ``estimate_label`` / ``stated_label`` hold the text of such
values. ``results-params.csv`` (:func:`params_frame`) has one row per point and parameter, keyed by
(``claim``, ``point``, ``parameter``), with ``value`` numeric and ``value_label`` the text of
non-numeric values. docs/results-schema.md documents both.
"""

from __future__ import annotations

import html
import json
import math
from typing import TYPE_CHECKING, Any

from theorems.core.text import as_number, document_title, format_value

if TYPE_CHECKING:
    import pandas as pd

    from theorems.core.results import Point, Results

POINT_COLUMNS = [
    "claim", "point", "claim_verdict", "inventory_ids", "reading", "origin", "design", "index",
    "estimate", "estimate_label", "stated", "stated_label", "ci_low", "ci_high", "band", "margin",
    "se", "detectable", "samples", "looks", "verdict",
]
PARAM_COLUMNS = ["claim", "point", "parameter", "value", "value_label"]
_NUMBERS = ("estimate", "stated", "ci_low", "ci_high", "band", "margin", "se", "detectable")


def number(value: Any) -> float:
    """The value as a float for a numeric column: NaN for labels, arrays, booleans and null."""
    parsed = as_number(value)
    return math.nan if parsed is None else parsed


def label(value: Any) -> str | None:
    """The text of a value that is not a number (a behaviour label, an array as JSON), else None."""
    if value is None or as_number(value) is not None:
        return None
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True, ensure_ascii=False)


def _point_row(claim_id: str, index: int, point: Point) -> dict[str, Any]:
    row = {"claim": claim_id, "point": index, "reading": point.reading, "origin": point.origin,
           "design": point.design, "index": point.index, "samples": point.samples, "looks": point.looks,
           "verdict": point.verdict, "estimate_label": label(point.estimate), "stated_label": label(point.stated)}
    return row | {key: number(getattr(point, key)) for key in _NUMBERS}


def points_frame(results: Results) -> pd.DataFrame:
    """``results.csv``: one row per evidence point (see the module docstring)."""
    import pandas as pd

    rows = [_point_row(claim.id, i, point) | {"claim_verdict": claim.verdict,
                                               "inventory_ids": " ".join(claim.inventory_ids)}
            for claim in results.claims for i, point in enumerate(claim.evidence)]
    frame = pd.DataFrame(rows, columns=POINT_COLUMNS)
    return frame.astype({"point": "int64", "samples": "int64", "looks": "int64", "index": "Int64",
                         "design": "bool", **{key: "float64" for key in _NUMBERS}})


def params_frame(results: Results) -> pd.DataFrame:
    """``results-params.csv``: one row per evidence point and parameter (see the module docstring)."""
    import pandas as pd

    rows = [{"claim": claim.id, "point": i, "parameter": name, "value": number(value), "value_label": label(value)}
            for claim in results.claims for i, point in enumerate(claim.evidence)
            for name, value in point.params.items()]
    return pd.DataFrame(rows, columns=PARAM_COLUMNS).astype({"point": "int64", "value": "float64"})


def results_html(results: Results) -> str:
    """A notebook's view of a run: the run line, then each inventory row (or, without rows, each claim)
    with its verdict."""
    run = results.run
    line = (f"theorycheck run of {run.started}: profile {run.profile}, seed {run.seed}, device {run.device}, "
            f"{len(results.claims)} claims, {format_value(run.seconds)} s")
    if results.rows:
        header = ["Row", "Document", "Section", "Verdict", "Claims"]
        rows = [[row.id, document_title(row.document), row.section, row.verdict, ", ".join(row.claims)] for row in results.rows]
    else:
        header = ["Claim", "Verdict", "Why"]
        rows = [[claim.id, claim.verdict, claim.verdict_reason] for claim in results.claims]
    head = "".join(f"<th>{html.escape(name)}</th>" for name in header)
    cells = ("".join(f"<td>{html.escape(str(cell))}</td>" for cell in row) for row in rows)
    body = "".join(f"<tr>{row}</tr>" for row in cells)
    return f"<p>{html.escape(line)}</p><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
