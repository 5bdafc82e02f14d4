"""One verdict per inventory row, from the verdicts of the claims that cite it.

A row of the inventory is one sentence of one document. Each claim cites the rows it checks, and
a row checked by several claims (its mean part and its variance part, say) states all of them, so
its verdict is their conjunction:

    refuted       some citing claim is refuted (the row's sentence is false as written);
    conditional   otherwise, some citing claim is conditional (it holds under one reading only);
    confirmed     every citing claim is confirmed;
    inconclusive  otherwise (some part is unresolved, or its check failed with an error).

A row's verdict rests only on the claims that cite it, so rows that two documents state alike
each get their own, even when their claims share measurements.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from theorems.stats import CONDITIONAL, CONFIRMED, INCONCLUSIVE, REFUTED

_PRECEDENCE = (REFUTED, CONDITIONAL, INCONCLUSIVE)  # what decides a row, first match wins


def row_verdict(verdicts: Sequence[str]) -> str:
    if REFUTED in verdicts:
        return REFUTED
    if CONDITIONAL in verdicts:
        return CONDITIONAL
    return CONFIRMED if verdicts and all(v == CONFIRMED for v in verdicts) else INCONCLUSIVE


def row_table(claims: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The rows cited by ``claims`` (results.json entries), sorted by row ID."""
    citing: dict[str, list[Mapping[str, Any]]] = {}
    for claim in claims:
        for row in claim["inventory_ids"]:
            citing.setdefault(row, []).append(claim)
    rows = []
    for row_id in sorted(citing):
        members = citing[row_id]
        verdict = row_verdict([c["verdict"] for c in members])
        decider = next((c for v in _PRECEDENCE for c in members if c["verdict"] == v and v == verdict), members[0])
        rows.append({
            "id": row_id,
            "document": decider["source"]["document"],
            "section": decider["source"]["section"],
            "verdict": verdict,
            "claims": [c["id"] for c in members],
            "decided_by": {"claim": decider["id"], "reading": _deciding_reading(decider)},
            "evidence": evidence_line(decider),
        })
    return rows


def _deciding_reading(claim: Mapping[str, Any]) -> str | None:
    """The reading that fails (refuted or conditional claims), when the claim has several."""
    readings = claim.get("readings") or []
    if len(readings) < 2:
        return None
    failing = [r["name"] for r in readings if r["verdict"] == REFUTED]
    return failing[0] if failing else None


def evidence_line(claim: Mapping[str, Any]) -> str:
    """One line of evidence for a claim's verdict."""
    from theorems.report.values import format_pair, format_params

    if claim.get("error"):
        return f"the check raised an error: {claim['verdict_reason']}"
    coverage = claim.get("coverage") or {}
    points = coverage.get("points", len(claim.get("evidence") or []))
    counterexample = claim.get("counterexample")
    if claim["verdict"] in (REFUTED, CONDITIONAL) and counterexample:
        measured, stated = format_pair(counterexample["estimate"], counterexample["stated"])
        return (f"{claim['verdict_reason']}; counterexample {format_params(counterexample['params'])}: "
                f"measured {measured}, stated {stated}")
    if claim["verdict"] == CONFIRMED:
        return f"{points} points across the domain agree within the resolution"
    return claim["verdict_reason"]
