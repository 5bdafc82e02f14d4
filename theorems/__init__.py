"""theorycheck: the claims of deep-learning teaching material, as executable, statistically sound checks.

The public API for declaring claims::

    from theorems import claim, Formula, Reading, Source, Figure, Measurement

The engine's names (``check_claim``, ``RunConfig``, ``Context``) import torch, so they are loaded
on first use: ``theorycheck --help`` stays fast.
"""

from theorems.claim import REGISTRY, Claim, ClaimError, Figure, Formula, Measurement, Reading, Registry, Source, claim
from theorems.profiles import PROFILES, Profile

__version__ = "0.1.0"

_ENGINE = ("Context", "RunConfig", "check_claim")


def __getattr__(name: str):
    if name in _ENGINE:
        import theorems.engine

        return getattr(theorems.engine, name)
    raise AttributeError(f"module 'theorems' has no attribute {name!r}")


__all__ = [
    "REGISTRY", "Claim", "ClaimError", "Context", "Figure", "Formula", "Measurement", "PROFILES", "Profile",
    "Reading", "Registry", "RunConfig", "Source", "check_claim", "claim", "__version__",
]
