"""What the report says, in order: run header, findings, summary table, one section per claim.

Everything is a pure function of the :class:`~theorems.core.results.Results` (docs/results-schema.md)
and the figures' PNG bytes; the only run-dependent text is the timings, which are :class:`Seconds` parts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from theorems.core.budget import time_spent
from theorems.core.results import (
    Alternative,
    ClaimResult,
    Counterexample,
    ExactEvidence,
    Finding,
    Point,
    Results,
    RowResult,
    RunInfo,
)
from theorems.core.text import (
    document_title,
    format_comparison,
    format_count,
    format_counterexample,
    format_counts,
    format_effect,
    format_interval,
    format_measured,
    format_pair,
    format_params,
    format_tolerance,
    format_value,
    telling_point,
    verdict_counts,
)
from theorems.core.verdict import FINDING_VERDICTS, Verdict
from theorems.report.document import (
    Anchor,
    Block,
    Bullets,
    Card,
    Code,
    Heading,
    Image,
    Link,
    Paragraph,
    Seconds,
    Strong,
    Table,
    Text,
    VerdictBadge,
    github_slug,
)

MAX_EVIDENCE_ROWS = 30
TIME_ROWS = 10  # the claims that took longest, listed where the time went
TIME_HEADING = "Where the time went"
SUMMARY_STATEMENT_CHARS = 160  # the summary shortens statements; findings and claim sections give them whole


def report_blocks(results: Results, figures: Mapping[str, tuple[str, bytes]]) -> list[Block]:
    """The whole report. ``figures`` maps claim id -> (relative path, PNG bytes)."""
    claims = results.claims
    return [
        *_header(results.run, claims),
        *_contents(results),
        *_findings(claims),
        *errata_blocks(results.rows),
        *_rows(results.rows, claims),
        *_summary(claims),
        *_time_spent(claims),
        Heading(2, ["Claims"], "claims"),
        *[block for claim in claims
          for block in _claim_section(claim, figures.get(claim.id), figures.get(exact_figure_key(claim.id)))],
    ]


def _anchor(claim: ClaimResult) -> str:
    """The per-claim heading's text is the id alone, so this anchor is also GitHub's."""
    return github_slug(claim.id)


def _source(claim: ClaimResult) -> str:
    document = document_title(claim.source.document) if claim.source.document else ""
    return " § ".join(part for part in (document, claim.source.section) if part) or "—"


def _by_document(rows: Sequence[RowResult]) -> dict[str, list[RowResult]]:
    """The rows grouped by document, documents and rows in the order given."""
    documents: dict[str, list[RowResult]] = {}
    for row in rows:
        documents.setdefault(row.document, []).append(row)
    return documents


def _document_heading(document: str) -> str:
    """The rows section's heading of a document (its anchor is GitHub's slug of it)."""
    return f"Rows of {document_title(document)}"


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _inventory(claim: ClaimResult) -> str:
    return ", ".join(claim.inventory_ids) or "—"


# ---- 1. header ----------------------------------------------------------------------------------
def _header(run: RunInfo, claims: Sequence[ClaimResult]) -> list[Block]:
    def field(name: str, *value: Any) -> Text:
        return [Strong(f"{name}:"), " ", *value]

    device = format_value(run.device)
    if run.device_name:
        device += f" ({run.device_name})"
    versions = ", ".join(f"{name} {format_value(version)}" for name, version in (
        ("python", run.python), ("torch", run.torch), ("numpy", run.numpy), ("theorycheck", run.theorycheck)))
    items = [
        field("Date", format_value(run.started)),
        field("Seed", format_value(run.seed)),
        field("Profile", format_value(run.profile)),
        field("Device", device),
        field("Sampling dtype", format_value(run.dtype)),
        field("Versions", versions),
        field("Git revision", format_value(run.git_revision) if run.git_revision else "— (not a git checkout)"),
        field("Total time", Seconds(run.seconds)),
        field("False-alarm budget", f"α = {format_value(run.alpha)}; {format_value(run.alpha_split)}"),
    ]
    if run.claims_file:
        items.append(field("Claims file", Code(run.claims_file)))
    counts = verdict_counts(c.verdict for c in claims)
    return [
        Heading(1, ["theorycheck report"]),
        Bullets(items),
        Paragraph([Strong(f"{len(claims)} claim{'s' * (len(claims) != 1)}:"), " ", format_counts(counts), "."]),
    ]


# ---- contents -----------------------------------------------------------------------------------
def _contents(results: Results) -> list[Block]:
    """Links to each part of the report, then one entry per document: its rows (each row id links to its
    line of the rows table) and the claims taken from it."""
    sections = ["Findings", "Errata", *(["Rows"] if results.rows else []), "Summary", TIME_HEADING, "Claims"]
    items: list[Text] = [_joined([Link(name, github_slug(name)) for name in sections], " · ")]
    claims_of: dict[str, list[str]] = {}
    for claim in results.claims:
        claims_of.setdefault(claim.source.document, []).append(claim.id)
    rows_of = _by_document(results.rows)
    for document in dict.fromkeys([*rows_of, *claims_of]):
        rows, claims, title = rows_of.get(document, []), claims_of.get(document, []), document_title(document)
        item: Text = [Link(title, github_slug(_document_heading(document))) if rows else Strong(title)]
        if rows:
            item += [": rows ", *_joined([Link(row.id, row.id) for row in rows])]
        if claims:
            item += ["; claims " if rows else ": claims ", *_joined([Link(c, github_slug(c)) for c in claims])]
        items.append(item)
    return [Heading(2, ["Contents"], "contents"), Bullets(items)]


def _joined(parts: Sequence[Link], separator: str = ", ") -> Text:
    """The links with ``separator`` between them."""
    return [piece for i, part in enumerate(parts) for piece in ([separator] if i else []) + [part]]


# ---- 2. findings --------------------------------------------------------------------------------
def _findings(claims: Sequence[ClaimResult]) -> list[Block]:
    findings = [c for verdict in FINDING_VERDICTS for c in claims if c.verdict == verdict]
    unknown = [c for c in claims if c.verdict not in (*FINDING_VERDICTS, Verdict.CONFIRMED)]
    findings += unknown
    blocks: list[Block] = [Heading(2, ["Findings"], "findings")]
    if not findings:
        return blocks + [Paragraph(["No findings: every claim was confirmed."])]
    blocks.append(Paragraph([
        f"{len(findings)} claim{'s' * (len(findings) != 1)} need{'s' * (len(findings) == 1)} attention, "
        "refuted first. Each entry gives the document's statement, where it is, and what was measured.",
    ]))
    return blocks + [_finding(claim) for claim in findings]


def _several_readings(claim: ClaimResult) -> bool:
    """Whether naming the reading says anything (a single reading is the statement itself)."""
    return len(claim.readings) > 1


def _point_text(point: Point | Counterexample, with_reading: bool, relation: str | None = None) -> Text:
    """``B=16, N=64 (reading “permuted”): measured 0.0477 [0.0466, 0.0488], stated 0.0625 (−23.7%)``"""
    reading = f" (reading “{point.reading}”)" if with_reading and point.reading else ""
    deviation = format_comparison(point.estimate, point.stated, relation)
    measured, stated = format_pair(point.estimate, point.stated)
    interval = format_interval(point.ci_low, point.ci_high)
    element = f" element {point.index}" if point.index is not None else ""
    return [
        Code(format_params(point.params)), f"{element}{reading}: measured {measured}",
        f" {interval}, " if interval != "—" else ", ", f"stated {stated}", f" ({deviation})" if deviation else "",
    ]


def _finding(claim: ClaimResult) -> Card:
    items: list[Text] = [
        [Strong("Statement:"), " ", Code(claim.statement)],
        [Strong("Source:"), f" {_source(claim)}; inventory IDs {_inventory(claim)}"],
        [Strong("Assumptions:"), " ", "; ".join(claim.assumptions) or "none stated"],
        [Strong("Why:"), " ", claim.verdict_reason or "—"],
    ]
    finding = claim.finding
    if finding is not None:
        items += _finding_items(finding, claim)
    else:
        point, is_counterexample = telling_point(claim)
        if point is not None:
            name = "Counterexample" if is_counterexample else "Most telling point"
            items.append([Strong(f"{name}:"), " ", *_point_text(point, _several_readings(claim), claim.relation)])
    for alternative in claim.alternatives:
        if alternative.verdict == Verdict.CONFIRMED:
            items.append(_alternative_text("Agrees instead with:", alternative, _several_readings(claim)))
    for alternative in claim.alternatives:
        if alternative.verdict != Verdict.CONFIRMED:
            items.append(_alternative_text("Also compared with:", alternative, _several_readings(claim), show_verdict=True))
    items.append([Strong("Details:"), " ", Link(claim.id, _anchor(claim))])
    blocks: list[Block] = [
        Heading(3, [claim.id, " ", VerdictBadge(claim.verdict)]),
        Paragraph([claim.title]),
        Bullets(items),
    ]
    if len(claim.readings) > 1:
        blocks.append(Table(
            ["Reading", "Verdict", "What it assumes"],
            [[[r.name], [VerdictBadge(r.verdict)], [r.description or "—"]] for r in claim.readings],
        ))
    return Card(claim.verdict, blocks)


def _finding_items(finding: Finding, claim: ClaimResult) -> list[Text]:
    """A finding's class, its effects and its two counterexamples, the most telling first."""
    items: list[Text] = [
        [Strong("Finding:"), f" {finding.class_}: {finding.reason}"],
        [Strong("Effect at the document's settings:"), " ", _representative_effect(finding)],
        [Strong("Largest effect over the domain:"), " ", format_effect(finding.effect.largest)],
    ]
    for label, point in (("Most telling counterexample:", finding.telling), ("Minimal counterexample:", finding.minimal)):
        if point is not None:
            items.append([Strong(label), " ", *_point_text(point, _several_readings(claim), claim.relation)])
    return items


def _representative_effect(finding: Finding) -> str:
    if finding.effect.representative is None:
        return "— (the claim declares no representative settings)"
    return format_effect(finding.effect.representative)


def _alternative_text(label: str, alternative: Alternative, with_reading: bool, show_verdict: bool = False) -> Text:
    text: Text = [Strong(label), " ", Code(alternative.statement)]
    if with_reading and alternative.reading:
        text.append(f" (reading “{alternative.reading}”)")
    if show_verdict:
        text += [" ", VerdictBadge(alternative.verdict)]
    return text


# ---- errata: every finding, by document and row ---------------------------------------------------
def errata_blocks(rows: Sequence[RowResult], *, page: str = "", level: int = 2) -> list[Block]:
    """The errata sheet: for each document (in order), its rows' findings in inventory order, with the
    suggested correction, the class, the effect at the document's settings and a link to the evidence
    (the claim's section of ``page``: this report when empty, else the file named)."""
    documents = _by_document(sorted((r for r in rows if r.findings), key=lambda r: (r.document, r.id)))
    blocks: list[Block] = [Heading(level, ["Errata"], "errata")]
    if not documents:
        return blocks + [Paragraph(["No findings: no statement differs from what was measured."])]
    blocks.append(Paragraph([
        "Every finding, by document and row: an erratum is wrong where a reader uses the result (the document's "
        "settings, or the defaults of the library it names); a slip is a wrong line of a derivation whose result "
        "holds; a convention agrees with a named reference up to a stated convention (the effect at the "
        "document's settings says how much it matters there); a caveat holds only under a condition the text "
        "leaves implicit. Only errata refute a row. Effects are relative to the scale the claim is judged on.",
    ]))
    for document, members in documents.items():
        blocks.append(Heading(level + 1, [document_title(document)]))
        blocks.append(Table(
            ["Row", "Where", "As written", "Suggested correction", "Class", "Effect at the document's settings",
             "Largest effect", "Evidence"],
            [[[row.id], [finding.where or "—"], [Code(finding.as_written)],
              [Code(finding.correction)] if finding.correction else ["—"], [Strong(finding.class_)],
              [_representative_effect(finding)], [format_effect(finding.effect.largest)],
              [Link(finding.claim, github_slug(finding.claim), page), *_counterexamples(finding)]]
             for row in members for finding in row.findings], css_class="errata"))
    return blocks


def _counterexamples(finding: Finding) -> Text:
    """``; most telling …; minimal …``: the two counterexamples, with the digits that tell them apart."""
    parts: Text = []
    for label, point in (("most telling", finding.telling), ("minimal", finding.minimal)):
        if point is not None:
            parts.append(f"; {label} {format_counterexample(point)}")
    return parts


# ---- 3. one verdict per inventory row, a table per document ------------------------------------
def _rows(rows: Sequence[RowResult], claims: Sequence[ClaimResult] = ()) -> list[Block]:
    if not rows:
        return []
    counts = verdict_counts(row.verdict for row in rows)
    blocks: list[Block] = [
        Heading(2, ["Rows"], "rows"),
        Paragraph([f"Every inventory row checked in this run ({len(rows)}), by document. A row's verdict is the "
                   f"conjunction of the claims that cite it; {format_counts(counts)}."]),
    ]
    for document, members in _by_document(rows).items():
        heading = _document_heading(document)
        blocks.append(Heading(3, [heading], github_slug(heading)))
        blocks.append(Table(["Row", "Section", "Verdict", "Exact", "Claims", "Evidence"], [
            [[Anchor(row.id)], [row.section or "—"], [VerdictBadge(row.verdict)], [_row_exact(row, claims)],
             _joined([Link(claim_id, github_slug(claim_id)) for claim_id in row.claims]),
             [row.evidence or "—"]]
            for row in members], css_class="rows"))
    return blocks


def exact_figure_key(claim_id: str) -> str:
    """The key of a claim's exact-evidence figure in ``report_blocks``' figures (beside its own figure)."""
    return f"{claim_id} exact"


def _row_exact(row: RowResult, claims: Sequence[ClaimResult]) -> str:
    """The row's exact evidence in a few words: proved, disproved, worst case (with its slack), or —;
    a disagreement with the measurement is always said."""
    entries = [entry for claim in claims if claim.id in row.claims for entry in claim.exact
               if entry.key.split()[0] == row.id]
    return "; ".join(dict.fromkeys(_exact_word(entry) for entry in entries)) or "—"


def _exact_word(entry: ExactEvidence) -> str:
    if entry.method == "pep":
        word = (f"worst case: bound slack {format_value(entry.ratio)}" if entry.ratio is not None
                else "worst case not computed")
    else:
        word = entry.status.replace("_", " ")
    if entry.agreement == "disagrees":
        return f"{word} (DISAGREES with the measurement)"
    return f"{word} (within resolution)" if entry.agreement == "within resolution" else word


# ---- 4. summary ---------------------------------------------------------------------------------
def _summary(claims: Sequence[ClaimResult]) -> list[Block]:
    rows: list[list[Text]] = []
    for claim in claims:
        point, is_counterexample = telling_point(claim)
        if point is None:
            telling: Text = ["—"]
        else:
            telling = [
                f"{format_measured(point)} vs {format_value(point.stated)} at ",
                Code(format_params(point.params)),
                " (counterexample)" if is_counterexample else "",
            ]
        band, tolerance = format_tolerance(claim)
        rows.append([
            [Link(claim.id, _anchor(claim))],
            [_inventory(claim)],
            [_source(claim)],
            [Code(_shorten(claim.statement, SUMMARY_STATEMENT_CHARS))],
            [VerdictBadge(claim.verdict)],
            telling,
            [format_count(claim.coverage.points) if claim.coverage is not None else "—"],
            [format_count(claim.samples) if claim.kind == "stochastic" else "—"],
            [band],
            [tolerance],
            [Seconds(claim.seconds)],
        ])
    header = ["Claim", "Rows", "Source", "Statement", "Verdict", "Measured vs stated (most telling point)",
              "Points", "MC replicates", "Band", "Tolerance", "Time"]
    return [Heading(2, ["Summary"], "summary"), Table(header, rows, css_class="summary")]


def _time_spent(claims: Sequence[ClaimResult]) -> list[Block]:
    """The claims that took longest, each as points × replicates per point × seconds per replicate
    (:func:`theorems.core.budget.time_spent`), and what a time budget left out."""
    ranked = sorted(claims, key=lambda claim: -claim.seconds)  # stable: ties keep the run's order
    shown = [(claim, time_spent(claim)) for claim in ranked[:TIME_ROWS]]
    columns: list[tuple[str, Any]] = [
        ("Claim", lambda claim, spent: Link(claim.id, _anchor(claim))),
        ("Time", lambda claim, spent: Seconds(spent.seconds)),
        ("Points", lambda claim, spent: format_count(spent.points)),
        ("× replicates per point", lambda claim, spent: format_count(round(spent.per_point))),
        ("× time per replicate", lambda claim, spent: Seconds(spent.per_replicate)),
        ("Looked twice", lambda claim, spent: format_count(spent.looked_twice) if spent.looked_twice else ""),
        ("Left out by the time budget", lambda claim, spent: claim.coverage.budget if claim.coverage else ""),
    ]
    columns = [(name, get) for name, get in columns if any(get(*row) != "" for row in shown)]  # drop empty ones
    blocks: list[Block] = [
        Heading(2, [TIME_HEADING], github_slug(TIME_HEADING)),
        Paragraph(["A claim's time is its points × their mean Monte Carlo replicates (one for a deterministic "
                   "point) × the time of one replicate (its time over its replicates). Longest first."]),
        Table([name for name, _ in columns], [[[get(*row)] for _, get in columns] for row in shown],
              css_class="time-spent")]
    rest = ranked[TIME_ROWS:]
    if rest:
        blocks.append(Paragraph([f"{len(rest)} more claims took ", Seconds(sum(c.seconds for c in rest)), "."]))
    return blocks


# ---- 5. per claim -------------------------------------------------------------------------------
def _claim_section(claim: ClaimResult, figure: tuple[str, bytes] | None,
                   exact_figure: tuple[str, bytes] | None = None) -> list[Block]:
    formula: list[Text] = [[Strong("Formula:"), " ", Code(claim.stated_latex)]] if claim.stated_latex else []
    blocks: list[Block] = [
        Heading(3, [claim.id], _anchor(claim)),
        Paragraph([VerdictBadge(claim.verdict), " ", Strong(claim.title)]),
        Bullets([
            [Strong("Statement:"), " ", Code(claim.statement)],
            *formula,
            [Strong("Source:"), f" {_source(claim)}; inventory IDs {_inventory(claim)}"],
            [Strong("Kind:"), f" {format_value(claim.kind)}; ", *_precision(claim), "; ",
             f"α = {format_value(claim.alpha)} (per point {format_value(claim.point_alpha)}); ",
             *_coverage_text(claim), " in ", Seconds(claim.seconds)],
            [Strong("Why:"), " ", claim.verdict_reason or "—"],
        ]),
    ]
    if figure is not None:
        path, png = figure
        blocks.append(Image(path, png, f"figure for {claim.id}"))
    if claim.alternatives:
        blocks += [Heading(4, ["Alternatives"]), Table(
            ["Statement", "Reading", "Verdict"],
            [[[Code(a.statement)], [format_value(a.reading)], [VerdictBadge(a.verdict)]] for a in claim.alternatives],
        )]
    blocks.append(Heading(4, ["Mutants"]))
    if claim.mutants:
        blocks.append(Table(
            ["Statement", "Verdict", "Counterexample"],
            [[[Code(m.statement)], [VerdictBadge(m.verdict)],
              _point_text(m.counterexample, _several_readings(claim), claim.relation)
              if m.counterexample is not None else ["—"]]
             for m in claim.mutants],
        ))
    else:
        blocks.append(Paragraph(["No mutants."]))
    return blocks + _exact(claim, exact_figure) + _evidence(claim)


def _exact(claim: ClaimResult, figure: tuple[str, bytes] | None) -> list[Block]:
    """The claim's exact evidence: each derivation or worst case, its agreement with the measurement, a
    disproof's exact difference, then the typeset stated formula, derivations and tightness figure (the
    typeset formula alone for a claim that writes it as an expression and has no exact evidence)."""
    if not claim.exact:
        return [Image(figure[0], figure[1], f"stated formula of {claim.id}")] if figure is not None else []
    rows: list[list[Text]] = []
    for entry in claim.exact:
        if entry.difference:
            detail: Text = ["stated − derived = ", Code(entry.difference)]
        elif entry.method == "pep" and entry.ratio is not None:
            detail = [f"worst case {format_value(entry.worst_case)}, bound {format_value(entry.bound)}, "
                      f"slack {format_value(entry.ratio)}"]
        else:
            detail = ["—"]
        rows.append([[entry.key], [format_value(entry.reading)], [f"{entry.status.replace('_', ' ')} ({entry.method})"],
                     [entry.agreement, ": " if entry.agreement_note else "", entry.agreement_note], detail,
                     [entry.note or "—"]])
    blocks: list[Block] = [Heading(4, ["Exact evidence"]), Table(
        ["Key", "Reading", "Status", "Agreement with the measurement", "Difference or worst case", "Note"], rows)]
    if figure is not None:
        path, png = figure
        blocks.append(Image(path, png, f"exact evidence for {claim.id}"))
    return blocks


def _precision(claim: ClaimResult) -> Text:
    band, tolerance = format_tolerance(claim)
    return [f"band {band} around the stated value" if band != "—" else f"tolerance {tolerance}"]


def _coverage_text(claim: ClaimResult) -> Text:
    """``212 points (12 design, 160 space-filling, 16 targeted, 24 shrinking), 3 400 000 replicates``"""
    coverage = claim.coverage
    if coverage is None:
        return [f"{len(claim.evidence)} points"]
    parts = [f"{count} {name}" for count, name in (
        (coverage.design, "design"), (coverage.explore, "space-filling"), (coverage.targeted, "targeted"),
        (coverage.shrink, "shrinking")) if count]
    text = f"{coverage.points} points ({', '.join(parts)})"
    if claim.kind == "stochastic":
        text += f", {format_count(claim.samples)} Monte Carlo replicates"
    return [text]


def _shown_evidence(evidence: Sequence[Point]) -> list[Point]:
    """At most MAX_EVIDENCE_ROWS points, refuted then inconclusive ones kept first, in their original order."""
    priority: dict[str, int] = {Verdict.REFUTED: 0, Verdict.INCONCLUSIVE: 1}
    ranked = sorted(range(len(evidence)), key=lambda i: (priority.get(evidence[i].verdict, 2), i))
    return [evidence[i] for i in sorted(ranked[:MAX_EVIDENCE_ROWS])]


def _evidence(claim: ClaimResult) -> list[Block]:
    evidence = claim.evidence
    blocks: list[Block] = [Heading(4, ["Evidence"])]
    if not evidence:
        return blocks + [Paragraph(["No evidence points."])]
    shown = _shown_evidence(evidence)
    keys = list(dict.fromkeys(k for p in evidence for k in p.params))
    columns: list[tuple[str, Any]] = []
    if len({p.reading for p in evidence}) > 1:
        columns.append(("Reading", lambda p: format_value(p.reading)))
    columns += [(key, lambda p, key=key: format_value(p.params.get(key))) for key in keys]
    columns += [
        ("Measured", lambda p: format_value(p.estimate)),
        ("Interval", lambda p: format_interval(p.ci_low, p.ci_high)),
        ("Stated", lambda p: format_value(p.stated)),
        ("Slack" if claim.relation in ("le", "ge") else "Deviation",
         lambda p: format_comparison(p.estimate, p.stated, claim.relation) or "—"),
        ("SE", lambda p: format_value(p.se)),
        ("Detectable", lambda p: format_value(p.detectable)),
        ("MC replicates", lambda p: format_count(p.samples) if p.se is not None else "—"),
    ]
    # Drop columns with nothing to say (e.g. SE of deterministic points, intervals of labels).
    columns = [(name, get) for name, get in columns if any(get(p) != "—" for p in shown)]
    rows = [[[get(p)] for _, get in columns] + [[VerdictBadge(p.verdict)]] for p in shown]
    blocks.append(Table([name for name, _ in columns] + ["Verdict"], rows))
    if len(shown) < len(evidence):
        omitted = len(evidence) - len(shown)
        blocks.append(Paragraph([
            f"{omitted} of {len(evidence)} points omitted (confirmed points are left out first); "
            "results.csv has all of them.",
        ]))
    return blocks
