"""Checking claims from pytest.

    from theorems.frontends.verify import verify

    def test_my_claim():
        verify(my_claim, expect="confirmed")   # also asserts every mutant is refuted

``verify`` runs one claim at a profile (``smoke`` by default, seconds), asserts that each of its
mutants is refuted (a check that cannot fail is a defect) and, when ``expect`` is given, that the
verdict is the expected one. It returns the claim's :class:`theorems.core.results.ClaimResult` for
further asserts.
"""

from __future__ import annotations

from theorems.core.claim import REGISTRY, Claim
from theorems.core.engine import check_claim
from theorems.core.results import ClaimResult
from theorems.core.verdict import Verdict
from theorems.runs.config import make_config
from theorems.runs.loading import load_catalogue


def verify(claim: Claim | str, *, profile: str = "smoke", seed: int = 0, device: str = "cpu",
           expect: str | None = None) -> ClaimResult:
    """Check ``claim`` (a Claim or a registered id) and assert its mutants are refuted."""
    if isinstance(claim, str):
        load_catalogue()
        claim = REGISTRY.get(claim)
    result = check_claim(claim, make_config(profile=profile, seed=seed, device=device))
    if result.error:
        raise AssertionError(f"the check of {claim.id} raised:\n{result.error}")
    survivors = [m.statement for m in result.mutants if m.verdict != Verdict.REFUTED]
    assert not survivors, f"{claim.id}: mutants not refuted at profile {profile!r}: {survivors}"
    if expect is not None:
        assert result.verdict == expect, (
            f"{claim.id}: verdict '{result.verdict}', expected {expect!r} ({result.verdict_reason})")
    return result
