"""Does an iteration converge, oscillate or diverge? One rule, read from the error e_k = w_k − w* of a run.

003-05 and 003-07 label gradient descent's runs with it, and the teaching phrase
``theorems.catalogue.kit.phrases.behaviour`` gives it to claim authors.
"""

from __future__ import annotations

import numpy as np

ONE_STEP = "reaches the minimum in one step"
MONOTONE = "converges monotonically"
OSCILLATING = "converges, oscillating"
PERSISTENT = "oscillates without converging"
DIVERGES = "diverges"
STALLS = "stalls"
CONVERGING = (ONE_STEP, MONOTONE, OSCILLATING)


def classify(errors: np.ndarray) -> str:
    """The behaviour of the error e_k = w_k − w* (along one direction) over a run.

    one step: |e_1| ≤ 1e-12|e_0|. Only the steps before |e_k| falls to rounding level (1e-9|e_0|) are
    read, since below that the signs are float64 noise. Over those steps, with the rate
    ρ = (|e_K|/|e_0|)^(1/K): converges (monotonically if e_k keeps its sign, oscillating if it alternates)
    when the run reached rounding level or ρ < 1 − 1e-6; diverges when ρ > 1 + 1e-6 (or e_k is not
    finite); otherwise oscillates without converging (alternating signs) or stalls.
    """
    if not np.all(np.isfinite(errors)):
        return DIVERGES
    e0 = abs(errors[0])
    if abs(errors[1]) <= 1e-12 * e0:
        return ONE_STEP
    resolved = np.abs(errors) > 1e-9 * e0
    head = errors[: int(np.argmin(resolved))] if not resolved.all() else errors
    alternating = bool(np.all(np.sign(head[1:]) != np.sign(head[:-1])))
    rate = (abs(head[-1]) / e0) ** (1 / (len(head) - 1)) if len(head) > 1 else 0.0
    if head is not errors or rate < 1 - 1e-6:
        return OSCILLATING if alternating else MONOTONE
    if rate > 1 + 1e-6:
        return DIVERGES
    return PERSISTENT if alternating else STALLS


__all__ = ["CONVERGING", "DIVERGES", "MONOTONE", "ONE_STEP", "OSCILLATING", "PERSISTENT", "STALLS",
           "classify"]
