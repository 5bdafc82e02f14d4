"""theorycheck: the claims of deep-learning teaching material, as executable, statistically sound checks.

The public API for declaring claims::

    from theorems import claim, Formula, Reading, Source, Figure, Measurement
"""

from theorems.claim import REGISTRY, Claim, Figure, Formula, Measurement, Reading, Registry, Source, claim
from theorems.engine import PROFILES, Context, Profile, RunConfig, check_claim

__version__ = "0.1.0"

__all__ = [
    "REGISTRY", "Claim", "Context", "Figure", "Formula", "Measurement", "PROFILES", "Profile",
    "Reading", "Registry", "RunConfig", "Source", "check_claim", "claim", "__version__",
]
