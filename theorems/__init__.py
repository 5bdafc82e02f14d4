"""theorycheck: the claims of deep-learning teaching material, as executable, statistically sound checks.

The public API for declaring claims::

    from theorems import claim, Formula, Reading, Source, Figure, Measurement

The engine's names (``check_claim``, ``RunConfig``, ``Context``) import torch, so they are loaded
on first use, like the results contract (``Results``, ``ClaimResult``, :mod:`theorems.core.results`): ``theorycheck --help`` stays fast.
"""

from theorems.core.claim import REGISTRY, Claim, ClaimError, Figure, Formula, Measurement, Reading, Registry, Source, claim
from theorems.core.profiles import PROFILES, Profile

from theorems.core import __version__

_LAZY = {"Context": "theorems.core.measurement", "RunConfig": "theorems.core.measurement", "check_claim": "theorems.core.engine",
         "Results": "theorems.core.results", "ClaimResult": "theorems.core.results",
         **dict.fromkeys(("approx", "for_any", "does_not_depend_on", "in_the_limit", "variance_of", "std_of",
                          "same_trajectory_as", "same_schedule_as", "behaviour"), "theorems.catalogue.kit.phrases")}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'theorems' has no attribute {name!r}")


__all__ = [
    "REGISTRY", "Claim", "ClaimError", "ClaimResult", "Context", "Figure", "Formula", "Measurement", "PROFILES", "Profile",
    "Reading", "Registry", "Results", "RunConfig", "Source", "check_claim", "claim", "__version__",
    "approx", "behaviour", "does_not_depend_on", "for_any", "in_the_limit", "same_schedule_as", "same_trajectory_as",
    "std_of", "variance_of",
]
