"""A run's results as a JUnit XML file (``theorycheck run --junit FILE``), for CI without pytest.

One ``<testcase>`` per claim, in a ``<testsuite>`` per document. A refuted claim is a
``<failure>`` (its finding's class and most telling counterexample in the message), a check that
raised is an ``<error>``, an inconclusive claim is ``<skipped>``; a conditional claim passes, and
like every claim it carries its verdict, rows and finding as ``<properties>``, so a CI dashboard
shows it.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from theorems.core.results import ClaimResult, Results
from theorems.core.verdict import Verdict


def junit_xml(results: Results) -> str:
    """The JUnit XML text of a run."""
    suites = ET.Element("testsuites", name="theorycheck", tests=str(len(results.claims)))
    by_document: dict[str, list[ClaimResult]] = {}
    for claim in results.claims:
        by_document.setdefault(claim.source.document, []).append(claim)
    for document, claims in by_document.items():
        suite = ET.SubElement(suites, "testsuite", name=document, tests=str(len(claims)),
                              failures=str(sum(c.verdict == Verdict.REFUTED and not c.error for c in claims)),
                              errors=str(sum(bool(c.error) for c in claims)),
                              skipped=str(sum(c.verdict == Verdict.INCONCLUSIVE and not c.error for c in claims)),
                              time=f"{sum(c.seconds for c in claims):.3f}")
        for claim in claims:
            _testcase(suite, claim)
    ET.indent(suites)
    return ET.tostring(suites, encoding="unicode", xml_declaration=True) + "\n"


def _testcase(suite: ET.Element, claim: ClaimResult) -> None:
    case = ET.SubElement(suite, "testcase", classname=f"theorycheck.{claim.source.document}", name=claim.id,
                         time=f"{claim.seconds:.3f}")
    properties = ET.SubElement(case, "properties")
    finding = claim.finding
    for name, value in (("theorycheck_verdict", claim.verdict), ("theorycheck_rows", ",".join(claim.inventory_ids)),
                        ("theorycheck_section", claim.source.section),
                        ("theorycheck_finding", finding.class_ if finding is not None else None),
                        ("theorycheck_reason", claim.verdict_reason if claim.verdict != Verdict.CONFIRMED else None)):
        if value:
            ET.SubElement(properties, "property", name=name, value=value)
    message = f"{claim.verdict}: {claim.verdict_reason}"
    if claim.error:
        ET.SubElement(case, "error", message=message).text = claim.error
    elif claim.verdict == Verdict.REFUTED:
        ET.SubElement(case, "failure", message=message, type=finding.class_ if finding else Verdict.REFUTED).text = (
            f"{claim.statement}\n{finding.reason}" if finding is not None else claim.statement)
    elif claim.verdict == Verdict.INCONCLUSIVE:
        ET.SubElement(case, "skipped", message=message)
