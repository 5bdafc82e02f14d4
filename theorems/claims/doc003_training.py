"""Notes 003, "11-685 Intro to Deep Learning - Training" (003_8575ef13f3bfe434.txt).

Sections 4.4 to 4.6 classify step sizes by η_opt = [E'']⁻¹: convergence below 2η_opt, oscillation
between η_opt and 2η_opt, divergence above 2η_opt; for ax² + bx + c they write η_opt = 1/a.
Both readings of η_opt are checked, on one-dimensional and multivariate quadratics.
"""

from __future__ import annotations

import hypothesis.strategies as st
import numpy as np
import torch

from implementations.problems import gradient_descent_trajectory, make_quadratic
from theorems.claim import Figure, Formula, Measurement, Reading, Source, claim
from theorems.kit import DOCUMENTS

NOTES_003 = DOCUMENTS["003"]

# --- step-size regimes (003-04, 003-05, 003-06) -------------------------------------------------

ONE_STEP = "reaches the minimum in one step"
MONOTONE = "converges monotonically"
OSCILLATING = "converges, oscillating"
PERSISTENT = "oscillates without converging"
DIVERGES = "diverges"
REGIME_STEPS = 60
BOUNDARY_GAP = 0.02  # ratios this close to a regime boundary (other than exactly η_opt) are not drawn


def regime_stated(p):
    """The document's regimes, by r = η/η_opt (η_opt itself: one step, section 4.4)."""
    r = p["ratio"]
    if r == 1.0:
        return ONE_STEP
    return MONOTONE if r < 1 else OSCILLATING if r < 2 else DIVERGES


def classify(errors: np.ndarray) -> str:
    """The behaviour of the steepest-direction error e_k = q_maxᵀ(w_k − w*) along a run.

    Only the steps before |e_k| falls to rounding level (1e-9·|e_0|) are read: below that the
    signs are float64 noise.
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
    return PERSISTENT if alternating else "stalls"


@claim(
    id="step-size-regimes",
    title="Gradient descent converges below 2η_opt, oscillates between η_opt and 2η_opt, diverges above",
    inventory_ids=("003-04", "003-05", "003-06"),
    source=Source(NOTES_003, "4.4 Optimal step size with Taylor expansion / 4.5 Other step sizes / 4.6.1"),
    statement=("η_opt = [E''(w^(k))]⁻¹ = a⁻¹ = 1/a for ax² + bx + c (4.4); convergence when η < 2η_opt, "
               "oscillation when η_opt < η < 2η_opt, divergence when η > 2η_opt (4.5); in many dimensions the "
               "inverse of the Hessian's largest eigenvalue is the optimal step size for the steepest "
               "direction (4.6.1)."),
    assumptions=("one dimension: E(w) = ax² + bx + c; several: E(w) = ½wᵀAw + bᵀw + c with λ_max(A) = 2a "
                 "and the given condition number, behaviour read along the steepest eigenvector",
                 "below η_opt the document implies monotone convergence (it places oscillation between η_opt "
                 "and 2η_opt); at η_opt exactly, one step reaches the minimum (4.4)",
                 f"behaviour classified from {REGIME_STEPS} steps of w_k = w_(k−1) − η E'(w_(k−1))"),
    kind="behaviour",
    relation="label",
    resolution=0.0,  # behaviour labels match exactly
    domain={
        "dim": st.sampled_from([1, 2, 3, 5]),
        "a": st.floats(0.1, 10.0),
        "ratio": st.floats(0.05, 3.5),  # η / η_opt
        "condition": st.sampled_from([1.0, 10.0, 100.0]),
        "data_seed": st.integers(0, 1000),
    },
    constraint=lambda p: p["ratio"] == 1.0 or min(abs(p["ratio"] - 1), abs(p["ratio"] - 2)) > BOUNDARY_GAP,
    readings=(
        Reading("η_opt = 1/a", "section 4.4's value for ax² + bx + c: η_opt = a⁻¹ (in several dimensions, "
                "1/λ_max as 4.6.1 says)", {"eta_opt": "1/a"}),
        Reading("η_opt = 1/E''", "section 4.4's general formula η_opt = [E'']⁻¹, which is 1/(2a) for "
                "ax² + bx + c (in several dimensions, 1/λ_max)", {"eta_opt": "1/E''"}),
    ),
    stated=regime_stated,
    mutants=(
        Formula("divergence when η > η_opt (the boundary at η_opt, not 2η_opt)",
                lambda p: ONE_STEP if p["ratio"] == 1.0 else MONOTONE if p["ratio"] < 1 else DIVERGES),
        Formula("convergence for every η < 3η_opt, oscillating above η_opt",
                lambda p: ONE_STEP if p["ratio"] == 1.0 else MONOTONE if p["ratio"] < 1
                else OSCILLATING if p["ratio"] < 3 else DIVERGES),
    ),
    design=tuple({"dim": dim, "a": 1.0, "ratio": r, "condition": 10.0, "data_seed": 0}
                 for dim, r in ((1, 1.5), (1, 1.0), (1, 2.5), (1, 0.5), (1, 0.9), (1, 1.1), (1, 1.9), (1, 2.1),
                                (3, 1.5), (3, 0.5), (3, 2.5), (3, 1.0))),
    figure=Figure(kind="traces", xlabel="step k", ylabel="|w_k − w*| / |w_0 − w*| (steepest direction)",
                  logy=True),
)
def step_size_regimes(p, ctx):
    """Run gradient descent at η = ratio·η_opt and classify what the iterates do."""
    a, dim = p["a"], p["dim"]
    if dim == 1:
        # E(w) = a w² + b w + c: E'' = 2a
        quadratic = make_quadratic([2 * a], seed=p["data_seed"], rotate=False, device=ctx.device)
        eta_opt = 1 / a if p["eta_opt"] == "1/a" else 1 / (2 * a)
    else:
        eigenvalues = 2 * a * torch.logspace(-np.log10(p["condition"]), 0, dim, dtype=torch.float64)
        quadratic = make_quadratic(eigenvalues, seed=p["data_seed"], device=ctx.device)
        eta_opt = 1 / quadratic.smoothness  # the inverse of the largest eigenvalue (4.6.1), both readings
    eigenvalues, eigenvectors = torch.linalg.eigh(quadratic.hessian)
    steepest = eigenvectors[:, -1]
    generator = torch.Generator(device=ctx.device).manual_seed(p["data_seed"])
    w0 = quadratic.minimizer + torch.randn(dim, generator=generator, device=ctx.device, dtype=torch.float64)
    ws = gradient_descent_trajectory(quadratic.grad, w0, lr=p["ratio"] * eta_opt, steps=REGIME_STEPS)
    errors = ((ws - quadratic.minimizer) @ steepest).cpu().numpy()
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        relative = np.abs(errors[:13] / errors[0])
    return Measurement(classify(errors), quantities={"eta": p["ratio"] * eta_opt, "eta_opt_value": eta_opt},
                       trace={"x": np.arange(13), "measured": relative})
