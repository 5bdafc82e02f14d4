"""What the report says, in order: run header, findings, summary table, one section per claim.

Everything is a pure function of the results dict (docs/results-schema.md) and the figures'
PNG bytes; the only run-dependent text is the timings, which are :class:`Seconds` parts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from theorems.report.document import (
    Block, Bullets, Card, Code, Heading, Image, Link, Paragraph, Seconds, Strong, Table, Text, Verdict, github_slug,
)
from theorems.report.values import (
    FINDING_VERDICTS, format_comparison, format_count, format_counts, format_interval, format_measured, format_pair,
    format_params, format_tolerance, format_value, telling_point, verdict_counts,
)

MAX_EVIDENCE_ROWS = 30
SUMMARY_STATEMENT_CHARS = 160  # the summary shortens statements; findings and claim sections give them whole


def report_blocks(results: Mapping[str, Any], figures: Mapping[str, tuple[str, bytes]]) -> list[Block]:
    """The whole report. ``figures`` maps claim id -> (relative path, PNG bytes)."""
    claims = list(results.get("claims") or [])
    return [
        *_header(results.get("run") or {}, claims),
        *_findings(claims),
        *_rows(results.get("rows") or []),
        *_summary(claims),
        Heading(2, ["Claims"], "claims"),
        *[block for claim in claims for block in _claim_section(claim, figures.get(str(claim.get("id"))))],
    ]


def _claim_id(claim: Mapping[str, Any]) -> str:
    return str(claim.get("id", ""))


def _anchor(claim: Mapping[str, Any]) -> str:
    """The per-claim heading's text is the id alone, so this anchor is also GitHub's."""
    return github_slug(_claim_id(claim))


def _source(claim: Mapping[str, Any]) -> str:
    source = claim.get("source") or {}
    return " § ".join(str(part) for part in (source.get("document"), source.get("section")) if part) or "—"


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _inventory(claim: Mapping[str, Any]) -> str:
    return ", ".join(str(i) for i in claim.get("inventory_ids") or []) or "—"


# ---- 1. header ----------------------------------------------------------------------------------
def _header(run: Mapping[str, Any], claims: Sequence[Mapping[str, Any]]) -> list[Block]:
    def field(name: str, *value: Any) -> Text:
        return [Strong(f"{name}:"), " ", *value]

    device = format_value(run.get("device"))
    if run.get("device_name"):
        device += f" ({run['device_name']})"
    versions = ", ".join(f"{name} {format_value(run.get(name))}" for name in ("python", "torch", "numpy", "theorycheck"))
    items = [
        field("Date", format_value(run.get("started"))),
        field("Seed", format_value(run.get("seed"))),
        field("Profile", format_value(run.get("profile"))),
        field("Device", device),
        field("Sampling dtype", format_value(run.get("dtype"))),
        field("Versions", versions),
        field("Git revision", format_value(run.get("git_revision")) if run.get("git_revision") else "— (not a git checkout)"),
        field("Total time", Seconds(run.get("seconds"))),
        field("False-alarm budget", f"α = {format_value(run.get('alpha'))}; {format_value(run.get('alpha_split'))}"),
    ]
    if run.get("claims_file"):
        items.append(field("Claims file", Code(str(run["claims_file"]))))
    counts = verdict_counts(list(claims))
    return [
        Heading(1, ["theorycheck report"]),
        Bullets(items),
        Paragraph([Strong(f"{len(claims)} claim{'s' * (len(claims) != 1)}:"), " ", format_counts(counts), "."]),
    ]


# ---- 2. findings --------------------------------------------------------------------------------
def _findings(claims: Sequence[Mapping[str, Any]]) -> list[Block]:
    findings = [c for verdict in FINDING_VERDICTS for c in claims if c.get("verdict") == verdict]
    unknown = [c for c in claims if c.get("verdict") not in (*FINDING_VERDICTS, "confirmed")]
    findings += unknown
    blocks: list[Block] = [Heading(2, ["Findings"], "findings")]
    if not findings:
        return blocks + [Paragraph(["No findings: every claim was confirmed."])]
    blocks.append(Paragraph([
        f"{len(findings)} claim{'s' * (len(findings) != 1)} need{'s' * (len(findings) == 1)} attention, "
        "refuted first. Each entry gives the document's statement, where it is, and what was measured.",
    ]))
    return blocks + [_finding(claim) for claim in findings]


def _several_readings(claim: Mapping[str, Any]) -> bool:
    """Whether naming the reading says anything (a single reading is the statement itself)."""
    return len(claim.get("readings") or []) > 1


def _point_text(point: Mapping[str, Any], with_reading: bool, relation: str | None = None) -> Text:
    """``B=16, N=64 (reading “permuted”): measured 0.0477 [0.0466, 0.0488], stated 0.0625 (−23.7%)``"""
    reading = f" (reading “{point['reading']}”)" if with_reading and point.get("reading") else ""
    deviation = format_comparison(point.get("estimate"), point.get("stated"), relation)
    measured, stated = format_pair(point.get("estimate"), point.get("stated"))
    interval = format_interval(point.get("ci_low"), point.get("ci_high"))
    return [
        Code(format_params(point.get("params"))), f"{reading}: measured {measured}",
        f" {interval}, " if interval != "—" else ", ", f"stated {stated}", f" ({deviation})" if deviation else "",
    ]


def _finding(claim: Mapping[str, Any]) -> Card:
    verdict = str(claim.get("verdict"))
    items: list[Text] = [
        [Strong("Statement:"), " ", Code(str(claim.get("statement", "")))],
        [Strong("Source:"), f" {_source(claim)}; inventory IDs {_inventory(claim)}"],
        [Strong("Assumptions:"), " ", "; ".join(str(a) for a in claim.get("assumptions") or []) or "none stated"],
        [Strong("Why:"), " ", str(claim.get("verdict_reason") or "—")],
    ]
    point, is_counterexample = telling_point(claim)
    if point is not None:
        name = "Counterexample" if is_counterexample else "Most telling point"
        items.append([Strong(f"{name}:"), " ", *_point_text(point, _several_readings(claim), claim.get("relation"))])
    for alternative in claim.get("alternatives") or []:
        if alternative.get("verdict") == "confirmed":
            items.append(_alternative_text("Agrees instead with:", alternative, _several_readings(claim)))
    for alternative in claim.get("alternatives") or []:
        if alternative.get("verdict") != "confirmed":
            items.append(_alternative_text("Also compared with:", alternative, _several_readings(claim), show_verdict=True))
    items.append([Strong("Details:"), " ", Link(_claim_id(claim), _anchor(claim))])
    blocks: list[Block] = [
        Heading(3, [_claim_id(claim), " ", Verdict(verdict)]),
        Paragraph([str(claim.get("title") or "")]),
        Bullets(items),
    ]
    readings = list(claim.get("readings") or [])
    if len(readings) > 1:
        blocks.append(Table(
            ["Reading", "Verdict", "What it assumes"],
            [[[str(r.get("name"))], [Verdict(str(r.get("verdict")))], [str(r.get("description") or "—")]] for r in readings],
        ))
    return Card(verdict, blocks)


def _alternative_text(label: str, alternative: Mapping[str, Any], with_reading: bool, show_verdict: bool = False) -> Text:
    text: Text = [Strong(label), " ", Code(str(alternative.get("statement", "")))]
    if with_reading and alternative.get("reading"):
        text.append(f" (reading “{alternative['reading']}”)")
    if show_verdict:
        text += [" ", Verdict(str(alternative.get("verdict")))]
    return text


# ---- 3. one verdict per inventory row, a table per document ------------------------------------
def _rows(rows: Sequence[Mapping[str, Any]]) -> list[Block]:
    if not rows:
        return []
    blocks: list[Block] = [
        Heading(2, ["Rows"], "rows"),
        Paragraph([f"Every inventory row checked in this run ({len(rows)}), by document. A row's verdict is the "
                   f"conjunction of the claims that cite it; {format_counts(verdict_counts(list(rows)))}."]),
    ]
    documents: dict[str, list[Mapping[str, Any]]] = {}
    for row in rows:
        documents.setdefault(str(row.get("document")), []).append(row)
    for document, members in documents.items():
        blocks.append(Heading(3, [document]))
        blocks.append(Table(["Row", "Section", "Verdict", "Claims", "Evidence"], [
            [[str(row.get("id"))], [str(row.get("section") or "—")], [Verdict(str(row.get("verdict")))],
             [part for i, claim_id in enumerate(row.get("claims") or [])
              for part in ([", "] if i else []) + [Link(str(claim_id), github_slug(str(claim_id)))]],
             [str(row.get("evidence") or "—")]]
            for row in members], css_class="rows"))
    return blocks


# ---- 4. summary ---------------------------------------------------------------------------------
def _summary(claims: Sequence[Mapping[str, Any]]) -> list[Block]:
    rows = []
    for claim in claims:
        point, is_counterexample = telling_point(claim)
        if point is None:
            telling: Text = ["—"]
        else:
            telling = [
                f"{format_measured(point)} vs {format_value(point.get('stated'))} at ",
                Code(format_params(point.get("params"))),
                " (counterexample)" if is_counterexample else "",
            ]
        band, tolerance = format_tolerance(claim)
        rows.append([
            [Link(_claim_id(claim), _anchor(claim))],
            [_inventory(claim)],
            [_source(claim)],
            [Code(_shorten(str(claim.get("statement", "")), SUMMARY_STATEMENT_CHARS))],
            [Verdict(str(claim.get("verdict")))],
            telling,
            [format_count((claim.get("coverage") or {}).get("points"))],
            [format_count(claim.get("samples")) if claim.get("kind") == "stochastic" else "—"],
            [band],
            [tolerance],
            [Seconds(claim.get("seconds"))],
        ])
    header = ["Claim", "Rows", "Source", "Statement", "Verdict", "Measured vs stated (most telling point)",
              "Points", "MC replicates", "Band", "Tolerance", "Time"]
    return [Heading(2, ["Summary"], "summary"), Table(header, rows, css_class="summary")]


# ---- 5. per claim -------------------------------------------------------------------------------
def _claim_section(claim: Mapping[str, Any], figure: tuple[str, bytes] | None) -> list[Block]:
    blocks: list[Block] = [
        Heading(3, [_claim_id(claim)], _anchor(claim)),
        Paragraph([Verdict(str(claim.get("verdict"))), " ", Strong(str(claim.get("title") or ""))]),
        Bullets([
            [Strong("Statement:"), " ", Code(str(claim.get("statement", "")))],
            [Strong("Source:"), f" {_source(claim)}; inventory IDs {_inventory(claim)}"],
            [Strong("Kind:"), f" {format_value(claim.get('kind'))}; ", *_precision(claim), "; ",
             f"α = {format_value(claim.get('alpha'))} (per point {format_value(claim.get('point_alpha'))}); ",
             *_coverage_text(claim), " in ", Seconds(claim.get("seconds"))],
            [Strong("Why:"), " ", str(claim.get("verdict_reason") or "—")],
        ]),
    ]
    if figure is not None:
        path, png = figure
        blocks.append(Image(path, png, f"figure for {_claim_id(claim)}"))
    alternatives = list(claim.get("alternatives") or [])
    if alternatives:
        blocks += [Heading(4, ["Alternatives"]), Table(
            ["Statement", "Reading", "Verdict"],
            [[[Code(str(a.get("statement", "")))], [format_value(a.get("reading"))], [Verdict(str(a.get("verdict")))]]
             for a in alternatives],
        )]
    mutants = list(claim.get("mutants") or [])
    blocks.append(Heading(4, ["Mutants"]))
    if mutants:
        blocks.append(Table(
            ["Statement", "Verdict", "Counterexample"],
            [[[Code(str(m.get("statement", "")))], [Verdict(str(m.get("verdict")))],
              _point_text(m["counterexample"], _several_readings(claim), claim.get("relation"))
              if m.get("counterexample") else ["—"]]
             for m in mutants],
        ))
    else:
        blocks.append(Paragraph(["No mutants."]))
    return blocks + _evidence(claim)


def _precision(claim: Mapping[str, Any]) -> Text:
    band, tolerance = format_tolerance(claim)
    return [f"band {band} around the stated value" if band != "—" else f"tolerance {tolerance}"]


def _coverage_text(claim: Mapping[str, Any]) -> Text:
    """``212 points (12 design, 160 space-filling, 16 targeted, 24 shrinking), 3 400 000 replicates``"""
    coverage = claim.get("coverage") or {}
    if not coverage:
        return [f"{len(claim.get('evidence') or [])} points"]
    parts = [f"{coverage.get(origin, 0)} {name}" for origin, name in (
        ("design", "design"), ("explore", "space-filling"), ("targeted", "targeted"), ("shrink", "shrinking"))
        if coverage.get(origin)]
    text = f"{coverage.get('points', 0)} points ({', '.join(parts)})"
    if claim.get("kind") == "stochastic":
        text += f", {format_count(claim.get('samples'))} Monte Carlo replicates"
    return [text]


def _shown_evidence(evidence: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """At most MAX_EVIDENCE_ROWS points, refuted then inconclusive ones kept first, in their original order."""
    priority = {"refuted": 0, "inconclusive": 1}
    ranked = sorted(range(len(evidence)), key=lambda i: (priority.get(str(evidence[i].get("verdict")), 2), i))
    return [evidence[i] for i in sorted(ranked[:MAX_EVIDENCE_ROWS])]


def _evidence(claim: Mapping[str, Any]) -> list[Block]:
    evidence = list(claim.get("evidence") or [])
    blocks: list[Block] = [Heading(4, ["Evidence"])]
    if not evidence:
        return blocks + [Paragraph(["No evidence points."])]
    shown = _shown_evidence(evidence)
    keys = list(dict.fromkeys(k for p in evidence for k in (p.get("params") or {})))
    columns: list[tuple[str, Any]] = []
    if len({p.get("reading") for p in evidence}) > 1:
        columns.append(("Reading", lambda p: format_value(p.get("reading"))))
    columns += [(key, lambda p, key=key: format_value((p.get("params") or {}).get(key))) for key in keys]
    columns += [
        ("Measured", lambda p: format_value(p.get("estimate"))),
        ("Interval", lambda p: format_interval(p.get("ci_low"), p.get("ci_high"))),
        ("Stated", lambda p: format_value(p.get("stated"))),
        ("Slack" if claim.get("relation") in ("le", "ge") else "Deviation",
         lambda p: format_comparison(p.get("estimate"), p.get("stated"), claim.get("relation")) or "—"),
        ("SE", lambda p: format_value(p.get("se"))),
        ("Detectable", lambda p: format_value(p.get("detectable"))),
        ("MC replicates", lambda p: format_count(p.get("samples")) if p.get("se") is not None else "—"),
    ]
    # Drop columns with nothing to say (e.g. SE of deterministic points, intervals of labels).
    columns = [(name, get) for name, get in columns if any(get(p) != "—" for p in shown)]
    rows = [[[get(p)] for _, get in columns] + [[Verdict(str(p.get("verdict")))]] for p in shown]
    blocks.append(Table([name for name, _ in columns] + ["Verdict"], rows))
    if len(shown) < len(evidence):
        omitted = len(evidence) - len(shown)
        blocks.append(Paragraph([
            f"{omitted} of {len(evidence)} points omitted (confirmed points are left out first); "
            "results.csv has all of them.",
        ]))
    return blocks
