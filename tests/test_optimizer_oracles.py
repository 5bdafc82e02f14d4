"""The oracle pairings: each document form against the torch.optim optimizer its name means.

Where a pairing names an exact torch equivalent, the two trajectories agree on objectives whose
gradient depends on the iterate; where it does not, the first step differs exactly as the pairing's
``difference`` says. Objectives are random quadratics ½θᵀAθ − bᵀθ (A positive semidefinite).
"""

from __future__ import annotations

import math

import numpy as np
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from implementations import optimizers as opt
from implementations.optimizer_oracles import PAIRING, PAIRINGS, form_trajectory, torch_trajectory

SETTINGS = settings(deadline=None, max_examples=25, database=None, derandomize=True)
HYPERPARAMETERS = {  # keyword names of each form's update
    "momentum-001-10": st.fixed_dictionaries({"lr": st.floats(0.0, 0.5), "beta": st.floats(0.0, 0.99)}),
    "adagrad-001-12": st.fixed_dictionaries({"lr": st.floats(0.0, 1.0), "eps": st.floats(1e-10, 1.0)}),
    "rmsprop-001-13-lagged": st.fixed_dictionaries(
        {"lr": st.floats(0.0, 0.1), "beta": st.floats(0.0, 0.99), "eps": st.floats(1e-8, 1.0)}),
    "adam-001-14-uncorrected": st.fixed_dictionaries(
        {"lr": st.floats(0.0, 0.1), "beta1": st.floats(0.0, 0.99), "beta2": st.floats(0.0, 0.999),
         "eps": st.floats(1e-8, 1e-2)}),
}


@st.composite
def objectives(draw):
    """(gradient function, θ_0) of ½θᵀAθ − bᵀθ, A = MᵀM/d, d ≤ 4, float64."""
    d = draw(st.integers(1, 4))
    entries = st.floats(-2.0, 2.0)
    M = torch.from_numpy(draw(arrays(np.float64, (d, d), elements=entries)))
    b = torch.from_numpy(draw(arrays(np.float64, (d,), elements=entries)))
    theta0 = torch.from_numpy(draw(arrays(np.float64, (d,), elements=entries)))
    A = M.T @ M / d
    return (lambda theta: theta @ A - b), theta0


def test_every_pairing_is_documented_and_has_hyperparameters():
    assert len({p.name for p in PAIRINGS}) == len(PAIRINGS) == len(PAIRING)
    for pairing in PAIRINGS:
        assert pairing.update in vars(opt).values() and pairing.init in vars(opt).values(), pairing.name
        assert (pairing.equivalent is None) <= bool(pairing.difference), pairing.name
        assert pairing.name in HYPERPARAMETERS


@SETTINGS
@given(data=st.data(), objective=objectives(), steps=st.integers(1, 12))
def test_a_form_with_an_equivalent_has_its_trajectory(data, objective, steps):
    grad, theta0 = objective
    for pairing in (p for p in PAIRINGS if p.equivalent is not None):
        hp = data.draw(HYPERPARAMETERS[pairing.name], label=pairing.name)
        ours = form_trajectory(pairing, grad, theta0, steps=steps, hyperparameters=hp)
        theirs = torch_trajectory(pairing.equivalent, grad, theta0, steps=steps, hyperparameters=hp)
        torch.testing.assert_close(ours, theirs, rtol=1e-10, atol=1e-12)


@SETTINGS
@given(objective=objectives(), lr=st.floats(0.001, 0.5), eps=st.floats(1e-10, 1.0))
def test_adagrad_first_step_puts_eps_under_the_root_torch_outside(objective, lr, eps):
    grad, theta0 = objective
    hp = {"lr": lr, "eps": eps}
    pairing = PAIRING["adagrad-001-12"]
    g = grad(theta0)
    ours = form_trajectory(pairing, grad, theta0, steps=1, hyperparameters=hp)[1]
    theirs = torch_trajectory(pairing.named, grad, theta0, steps=1, hyperparameters=hp)[1]
    torch.testing.assert_close(ours, theta0 - lr * g / torch.sqrt(g * g + eps), rtol=1e-12, atol=1e-14)
    torch.testing.assert_close(theirs, theta0 - lr * g / (g.abs() + eps), rtol=1e-12, atol=1e-14)


@SETTINGS
@given(objective=objectives(), hp=HYPERPARAMETERS["rmsprop-001-13-lagged"])
def test_lagged_rmsprop_first_step_divides_by_root_eps(objective, hp):
    grad, theta0 = objective
    ours = form_trajectory(PAIRING["rmsprop-001-13-lagged"], grad, theta0, steps=1, hyperparameters=hp)[1]
    torch.testing.assert_close(ours, theta0 - hp["lr"] * grad(theta0) / math.sqrt(hp["eps"]), rtol=1e-12,
                               atol=1e-14)


@SETTINGS
@given(objective=objectives(), hp=HYPERPARAMETERS["adam-001-14-uncorrected"])
def test_uncorrected_adam_first_step_is_torch_times_the_correction_factor(objective, hp):
    """With ε = 0 the first step of 001-14's form is torch Adam's times (1 − β₁)/√(1 − β₂)."""
    grad, theta0 = objective
    hp = {**hp, "eps": 0.0}
    g = grad(theta0)
    if not bool((g.abs() > 1e-6).all()):
        return  # g² may underflow, and 0/0 is NaN in both
    pairing = PAIRING["adam-001-14-uncorrected"]
    ours = form_trajectory(pairing, grad, theta0, steps=1, hyperparameters=hp)[1] - theta0
    theirs = torch_trajectory(pairing.named, grad, theta0, steps=1, hyperparameters=hp)[1] - theta0
    factor = (1 - hp["beta1"]) / math.sqrt(1 - hp["beta2"])
    torch.testing.assert_close(ours, theirs * factor, rtol=1e-9, atol=1e-14)


def test_runners_take_the_gradient_at_their_own_iterates():
    """On f(θ) = ½θ², θ_{t+1} = (1 − η)θ_t: plain momentum with β = 0 and torch SGD agree."""
    theta0 = torch.tensor([1.0], dtype=torch.float64)
    hp = {"lr": 0.5, "beta": 0.0}
    path = form_trajectory(PAIRING["momentum-001-10"], lambda t: t, theta0, steps=3, hyperparameters=hp)
    torch.testing.assert_close(path.flatten(), torch.tensor([1.0, 0.5, 0.25, 0.125], dtype=torch.float64))
    torch.testing.assert_close(
        torch_trajectory(PAIRING["momentum-001-10"].named, lambda t: t, theta0, steps=3, hyperparameters=hp),
        path)
