"""A run's inventory rows, assembled from its checked claims, each with one line of evidence.

The verdict rule (:mod:`theorems.core.rules`) decides a row's verdict from its claims'; here the row
records are built and their evidence is written, where the results are assembled.
"""

from __future__ import annotations

from collections.abc import Sequence

from theorems.core.results import ClaimResult, DecidedBy, RowResult
from theorems.core.rules import PRECEDENCE, row_part, row_verdict
from theorems.core.stats import CONDITIONAL, CONFIRMED, REFUTED
from theorems.core.text import format_counterexample


def row_table(claims: Sequence[ClaimResult]) -> list[RowResult]:
    """The rows cited by ``claims``, sorted by row ID."""
    citing: dict[str, list[ClaimResult]] = {}
    for claim in claims:
        for row in claim.inventory_ids:
            citing.setdefault(row, []).append(claim)
    rows = []
    for row_id in sorted(citing):
        members = citing[row_id]
        verdict = row_verdict([row_part(c) for c in members])
        decider = next((c for v in PRECEDENCE for c in members if row_part(c) == v and v == verdict), members[0])
        rows.append(RowResult(
            id=row_id, document=decider.source.document, section=decider.source.section, verdict=verdict,
            claims=[c.id for c in members], decided_by=DecidedBy(decider.id, _deciding_reading(decider)),
            evidence=evidence_line(decider), findings=[c.finding for c in members if c.finding is not None]))
    return rows


def _deciding_reading(claim: ClaimResult) -> str | None:
    """The reading that fails (refuted or conditional claims), when the claim has several."""
    if len(claim.readings) < 2:
        return None
    return next((r.name for r in claim.readings if r.verdict == REFUTED), None)


def evidence_line(claim: ClaimResult) -> str:
    """One line of evidence for a claim's verdict."""
    if claim.error:
        return f"the check raised an error: {claim.verdict_reason}"
    points = claim.coverage.points if claim.coverage is not None else len(claim.evidence)
    finding = claim.finding
    counterexample = (finding.telling or finding.minimal) if finding is not None else claim.counterexample
    if claim.verdict in (REFUTED, CONDITIONAL) and counterexample is not None:
        named = f"{finding.class_}, " if finding is not None else ""
        return f"{claim.verdict_reason}; {named}counterexample {format_counterexample(counterexample)}"
    if claim.verdict == CONFIRMED:
        return f"{points} points across the domain agree within the resolution"
    return claim.verdict_reason
