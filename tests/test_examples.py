"""README's pytest example, run as written."""

from pathlib import Path

from theorems.frontends.verify import verify
from theorems.runs.loading import load_claims_file

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def test_weighted_sum_variance():
    (claim,) = load_claims_file(EXAMPLES / "my_claims.py")
    verify(claim, profile="standard", expect="confirmed")
