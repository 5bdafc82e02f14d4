"""Step-size schedules match torch's lr_scheduler, and their closed-form sums decide 003-11."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch.optim.lr_scheduler import ExponentialLR, LambdaLR

from implementations import optimizers as opt
from implementations.schedules import (
    ExponentialDecay,
    PowerDecay,
    constant,
    exponential,
    inverse_square,
    inverse_time,
    robbins_monro,
)

SETTINGS = settings(deadline=None, max_examples=25, database=None)
eta0s = st.floats(1e-3, 10.0)
taus = st.floats(0.1, 10.0)
gammas = st.floats(0.0, 0.99)
N = 100_000  # terms in a partial sum; the tail beyond N is bracketed by integrals


def schedules():
    return st.one_of(
        st.builds(constant, eta0s),
        st.builds(inverse_time, eta0s, tau=taus),
        st.builds(inverse_square, eta0s, tau=taus),
        st.builds(exponential, eta0s, gamma=gammas),
    )


def torch_scheduler(schedule, optimizer):
    """The torch lr_scheduler with the same η_t, t = number of scheduler.step() calls."""
    if isinstance(schedule, ExponentialDecay):
        return ExponentialLR(optimizer, gamma=schedule.gamma)
    return LambdaLR(optimizer, lambda t: (1.0 + t / schedule.tau) ** -schedule.power)


@SETTINGS
@given(schedule=schedules(), grads=st.lists(st.floats(-10.0, 10.0), min_size=1, max_size=15))
def test_sgd_driven_by_a_schedule_matches_torch_lr_scheduler(schedule, grads):
    """η_0 is the first step's size: torch's lr before any scheduler.step()."""
    p = torch.nn.Parameter(torch.zeros(1, dtype=torch.float64))
    sgd = torch.optim.SGD([p], lr=schedule.eta0)
    scheduler = torch_scheduler(schedule, sgd)
    w, state = torch.zeros(1, dtype=torch.float64), opt.sgd_init(p.detach())
    for t, g in enumerate(grads):
        g = torch.tensor([g], dtype=torch.float64)
        assert sgd.param_groups[0]["lr"] == pytest.approx(schedule(t), rel=1e-12)
        p.grad = g
        sgd.step()
        scheduler.step()
        updates, state = opt.sgd_update(g, state, lr=schedule(t))
        w = w + updates
        torch.testing.assert_close(w, p.detach(), rtol=1e-12, atol=1e-12)


@SETTINGS
@given(eta0=eta0s)
def test_inverse_time_is_the_documents_eta0_over_t_counted_from_1(eta0):
    t = np.arange(1, 1000)
    np.testing.assert_allclose(inverse_time(eta0)(t - 1), eta0 / t, rtol=1e-15)


def test_a_scalar_step_gives_a_float_and_an_array_an_array():
    assert isinstance(inverse_time(1.0)(3), float)
    assert inverse_time(1.0)(np.arange(4)).shape == (4,)


def tail_bounds(schedule: PowerDecay, r: int) -> tuple[float, float]:
    """Σ_{t≥N} η_t^r lies in [I, η_N^r + I], I = ∫_N^∞ η₀^r (1 + t/τ)^{−rp} dt, for rp > 1."""
    q = r * schedule.power
    integral = schedule.eta0**r * schedule.tau * (1.0 + N / schedule.tau) ** (1.0 - q) / (q - 1.0)
    return integral, schedule(N) ** r + integral


@SETTINGS
@given(eta0=eta0s, tau=taus, power=st.floats(0.55, 4.0))
def test_power_decay_closed_form_sums_bracket_the_partial_sums(eta0, tau, power):
    schedule = PowerDecay(eta0, tau, power)
    steps = schedule(np.arange(N))
    for r, closed_form in ((1, schedule.sum()), (2, schedule.sum_of_squares())):
        if r * power <= 1.0:
            assert closed_form == math.inf
            continue
        partial = float(np.sum(steps**r))
        low, high = tail_bounds(schedule, r)
        slack = 1e-9 * closed_form
        assert partial + low - slack <= closed_form <= partial + high + slack


@SETTINGS
@given(eta0=eta0s, tau=taus)
def test_inverse_time_partial_sums_grow_without_bound(eta0, tau):
    """Σ_{t<n} η₀/(1 + t/τ) ≥ ∫_0^n = η₀ τ log(1 + n/τ) → ∞, as robbins_monro states."""
    schedule = inverse_time(eta0, tau=tau)
    partial = np.cumsum(schedule(np.arange(N)))
    for n in (10, 1_000, N):
        assert partial[n - 1] >= eta0 * tau * math.log1p(n / tau) * (1 - 1e-12)
    assert robbins_monro(schedule).sum_of_steps == math.inf


@SETTINGS
@given(eta0=eta0s, gamma=gammas, n=st.integers(0, 200))
def test_exponential_closed_form_sums_are_partial_sums_plus_geometric_tails(eta0, gamma, n):
    schedule = exponential(eta0, gamma=gamma)
    steps = schedule(np.arange(n))
    tail = eta0 * gamma**n / (1 - gamma)
    tail_of_squares = eta0**2 * gamma ** (2 * n) / (1 - gamma**2)
    assert schedule.sum() == pytest.approx(np.sum(steps) + tail, rel=1e-12)
    assert schedule.sum_of_squares() == pytest.approx(np.sum(steps**2) + tail_of_squares, rel=1e-12)


@pytest.mark.parametrize(
    "schedule, diverges, converges",
    [
        (constant(0.1), True, False),
        (inverse_time(0.1, tau=5.0), True, True),
        (inverse_square(0.1, tau=5.0), False, True),
        (exponential(0.1, gamma=0.9), False, True),
        (constant(0.0), False, True),
    ],
    ids=["constant", "1/t", "1/t^2", "exponential", "zero"],
)
def test_robbins_monro_verdicts(schedule, diverges, converges):
    """003-11: only the 1/t schedule has Σ η_t = ∞ and Σ η_t² < ∞."""
    verdict = robbins_monro(schedule)
    assert verdict.steps_sum_diverges is diverges
    assert verdict.squares_sum_converges is converges
    assert verdict.satisfied is (diverges and converges)


def test_robbins_monro_closed_forms_at_tau_1():
    assert robbins_monro(inverse_time(2.0)).sum_of_squares == pytest.approx(4 * math.pi**2 / 6)
    assert robbins_monro(inverse_square(2.0)).sum_of_steps == pytest.approx(2 * math.pi**2 / 6)
    assert robbins_monro(inverse_square(2.0)).sum_of_squares == pytest.approx(4 * math.pi**4 / 90)


@SETTINGS
@given(eta0=eta0s, tau=taus, power=st.floats(0.0, 3.0))
def test_power_decay_satisfies_robbins_monro_exactly_for_half_lt_p_le_1(eta0, tau, power):
    assert robbins_monro(PowerDecay(eta0, tau, power)).satisfied is (0.5 < power <= 1.0)


INVALID = [
    (lambda: constant(-0.1), "Invalid learning rate: -0.1"),
    (lambda: inverse_time(1.0, tau=0.0), "Invalid tau value: 0.0"),
    (lambda: PowerDecay(1.0, 1.0, -1.0), "Invalid power value: -1.0"),
    (lambda: exponential(1.0, gamma=1.0), "Invalid gamma value: 1.0"),
    (lambda: exponential(1.0, gamma=-0.5), "Invalid gamma value: -0.5"),
    (lambda: inverse_time(1.0)(-1), "step counts must be >= 0, got -1.0"),
]


@pytest.mark.parametrize("call, message", INVALID, ids=[m for _, m in INVALID])
def test_invalid_hyperparameters_raise_naming_the_value(call, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        call()
