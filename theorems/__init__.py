"""theorycheck: the claims of deep-learning teaching material, as executable, statistically sound checks.

The public API, for declaring claims and checking them::

    from theorems import claim, Formula, Reading, Source, Figure, Measurement, BEHAVIOUR, verify

``__all__`` is what a claim author needs: the claim model and :func:`claim` with its presets, the
:class:`Verdict` names, the teaching phrases and shared measurements of the kit (:mod:`theorems.catalogue.kit`),
:func:`verify`, :class:`Results` and :func:`load_claims_file`. The kit, ``verify`` and the loaders
import torch, so they are loaded on first use and ``theorycheck --help`` stays fast. The engine's
internals (``check_claim``, ``RunConfig``, ``Context``, ``REGISTRY``, ``PROFILES``) live in their
modules under :mod:`theorems.core`.
"""

from theorems.core import __version__ as __version__
from theorems.core.claim import BEHAVIOUR, EXACT_TO_ROUNDING, Figure, Formula, Measurement, Preset, Reading, Source, claim
from theorems.core.domain import DATA_SEED, choices, floats, integers, log_floats
from theorems.core.verdict import Verdict

#: The kit's teaching phrases, for short claims of one's own material (docs/writing-claims.md).
_PHRASES = ("APPROX", "CONVERGES", "DIVERGES", "OSCILLATES", "STALLS", "approx", "behaviour", "does_not_depend_on",
           "for_any", "in_the_limit", "same_schedule_as", "same_trajectory_as", "seeded_quadratic", "std_of",
           "variance_of")
#: The kit's shared measurements a claim of one's own often needs (docs/writing-claims.md lists them).
_KIT = ("DISTRIBUTIONS", "standardized", "fitted_exponent", "log_spaced_integers", "OperationCounter", "classify")
_LAZY = {"verify": "theorems.frontends.verify", "Results": "theorems.core.results",
         "load_claims_file": "theorems.runs.loading", **dict.fromkeys(_PHRASES, "theorems.catalogue.kit.phrases"),
         **dict.fromkeys(_KIT, "theorems.catalogue.kit")}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'theorems' has no attribute {name!r}")


__all__ = [
    "claim", "Formula", "Reading", "Source", "Figure", "Measurement", "Verdict",
    "Preset", "BEHAVIOUR", "EXACT_TO_ROUNDING",
    "integers", "floats", "log_floats", "choices", "DATA_SEED",
    *_PHRASES, *_KIT,
    "verify", "Results", "load_claims_file",
]
