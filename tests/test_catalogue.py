"""Every registered claim: cites real inventory rows, runs at the smoke profile, kills its mutants.

A check that cannot fail is a defect: each claim carries at least one mutant (a plausible wrong
version of its formula), and the same check must refute every one of them.
"""

import dataclasses
import re
from pathlib import Path

import pytest

from theorems import Formula
from theorems.core.claim import REGISTRY
from theorems.core.stats import VERDICTS
from theorems.frontends.verify import verify
from theorems.runs.loading import load_catalogue

load_catalogue()
CLAIMS = list(REGISTRY)
SHARED = Path(__file__).resolve().parents[2] / "shared"
INVENTORY = SHARED / "claims-inventory.md"
needs_shared = pytest.mark.skipif(not INVENTORY.exists(), reason=f"the shared inventory is not at {INVENTORY}")


@needs_shared
def test_every_inventory_row_is_encoded():
    rows = set(re.findall(r"^\| (\d{3}-\d{2}) \|", INVENTORY.read_text(encoding="utf-8"), flags=re.M))
    cited = {inventory_id for claim in CLAIMS for inventory_id in claim.inventory_ids}
    assert sorted(rows - cited) == []


@needs_shared
def test_every_claim_cites_real_inventory_rows_and_documents():
    inventory = INVENTORY.read_text(encoding="utf-8")
    rows = dict(re.findall(r"^\| (\d{3}-\d{2}) \| [^|]*\| (.*?) \|", inventory, flags=re.M))
    for claim in CLAIMS:
        for inventory_id in claim.inventory_ids:
            assert inventory_id in rows, f"{claim.id} cites {inventory_id}, which the inventory lacks"
        assert (SHARED / "seeds" / claim.source.document).exists(), claim.source.document
        document_ids = {i[:3] for i in claim.inventory_ids}
        assert claim.source.document[:3] in document_ids


@pytest.mark.parametrize("claim", CLAIMS, ids=[claim.id for claim in CLAIMS])
def test_claim_runs_at_smoke_and_refutes_every_mutant(claim):
    result = verify(claim)
    assert result.verdict in VERDICTS
    assert result.evidence, "a claim must report evidence"
    assert all(mutant.counterexample is not None for mutant in result.mutants)


def test_verify_names_a_surviving_mutant():
    gd_rate = REGISTRY.get("gd-rate")
    claim = dataclasses.replace(gd_rate, mutants=(Formula("the stated bound itself", gd_rate.stated),))
    with pytest.raises(AssertionError, match="the stated bound itself"):
        verify(claim)
