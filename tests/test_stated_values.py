"""The stated value is the document's formula, evaluated in the declaration from the point's inputs: never a
quantity that the measurement computes (issue 19). Each claim below once read its right-hand side (or a
sub-expression of it) from the measurement's quantities, so that stated and measured shared a code path.

Each test measures the claim's quantities without drawing (a context whose ``mean`` draws nothing), replaces
every quantity that held a stated value with NaN, and checks that the stated formula still gives the oracle's
value, computed here on another path (per-example values averaged, or the closed form of the inputs)."""

import math
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from theorems import catalogue
from theorems.catalogue import doc000_initialization as doc000
from theorems.catalogue import doc001_generalization as gen
from theorems.catalogue import doc003_training as doc003
from theorems.catalogue import doc004_sgd_problems as doc004
from theorems.catalogue import kit
from theorems.catalogue.kit import seeded_generator
from theorems.core.claim import REGISTRY, Measurement

# the quantities that carried a stated value (or a sub-expression of one) before issue 19
STATED_QUANTITIES = ("full", "sum_of_means", "x_sq_sum", "mean_squared", "second_moment", "alpha_sum",
                     "alpha_sq_sum", "full_output", "norms", "first_moment", "decay_k", "decay")
CPU = torch.device("cpu")


def quantities_of(claim, point) -> dict:
    """The measurement's quantities at ``point``, from a context whose Monte Carlo mean draws nothing."""
    ctx = SimpleNamespace(device=CPU, dtype=torch.float64, generator=torch.Generator().manual_seed(0),
                          mean=lambda draw, bytes_per_replicate, quantities=None: Measurement(math.nan,
                                                                                              quantities=quantities))
    return dict(claim.measure(point, ctx).quantities or {})


def per_example(p) -> torch.Tensor:
    """f_i(w) (estimate "loss") or u·∇f_i(w) ("gradient") of the point's problem, for every example i."""
    problem = kit.finite_sum_problem(p, CPU)
    w = kit.evaluation_point(problem, p["data_seed"])
    if p["estimate"] == "loss":
        return problem.example_losses(w)
    return problem.per_example_grads(w) @ kit.unit_direction(p["d"], p["data_seed"], CPU)


def gradient_column(p) -> torch.Tensor:
    """∇f_b(w)[i] for every example b, i = p["coordinate"]."""
    problem = kit.finite_sum_problem(p, CPU)
    return problem.per_example_grads(kit.evaluation_point(problem, p["data_seed"]))[:, p["coordinate"]]


def fixed_input(p) -> torch.Tensor:
    """The neuron's seeded input x, entries U[−1, 2]."""
    return 3 * torch.rand(p["fan_in"], generator=seeded_generator(p["data_seed"]), dtype=torch.float64) - 1


def gradient_covariance(p) -> float:
    """Σ_g's trace (or entry [0, 1]) from the per-example gradients, by numpy."""
    problem = kit.finite_sum_problem(p, CPU)
    grads = problem.per_example_grads(kit.evaluation_point(problem, p["data_seed"])).numpy()
    covariance = np.cov(grads.T, bias=True)
    return float(np.trace(covariance)) if p["statistic"] == "trace" else float(covariance[0, 1])


SAMPLED = {"problem": "logistic", "N": 64, "d": 5, "data_seed": 3, "B": 4}
POOLED = {"problem": "logistic", "d": 5, "N": 16, "data_seed": 0}
CASES = {  # claim id -> (point, the stated value by an oracle)
    "expectation-of-sum": (
        {"distribution": "exponential", "dependence": "dependent", "terms": 5, "data_seed": 2},
        lambda p: sum(loc + spread * (doc000.LAWS[p["distribution"]].mean if power == 1
                                      else doc000.LAWS[p["distribution"]].raw2)
                      for loc, spread, power in doc000.sum_terms(p))),
    "sampled-example-loss-unbiased": (SAMPLED | {"estimate": "loss", "B": 1}, lambda p: float(per_example(p).mean())),
    "sampled-example-gradient-unbiased": (SAMPLED | {"estimate": "gradient", "B": 1},
                                          lambda p: float(per_example(p).mean())),
    "minibatch-mean-gradient-unbiased": (SAMPLED | {"estimate": "gradient", "sampling": "subset"},
                                         lambda p: float(per_example(p).mean())),
    "sgd-randomized-rule-unbiased": (SAMPLED | {"estimate": "gradient", "sampling": "iid", "B": 1},
                                     lambda p: float(per_example(p).mean())),
    "minibatch-gradient-unbiased": (SAMPLED | {"estimate": "gradient", "sampling": "iid"},
                                    lambda p: float(per_example(p).mean())),
    "empirical-risk-unbiased": (POOLED,
                                lambda p: float(per_example(p | {"N": doc003.POOL, "estimate": "loss"}).mean())),
    "minibatch-loss-unbiased": (POOLED | {"b": 4, "population": "training set"},
                                lambda p: float(per_example(p | {"estimate": "loss"}).mean())),
    "scaled-init-output-variance": ({"fan_in": 16, "data_seed": 1},
                                    lambda p: float(fixed_input(p).square().sum()) / p["fan_in"]),
    "scaled-init-variance-middle-line": ({"fan_in": 16, "data_seed": 1},
                                         lambda p: float(fixed_input(p).square().sum()) / p["fan_in"]),
    "dropout-test-time-scaling": ({"p": 0.3, "units": 8, "activation": "tanh", "data_seed": 0, "p_means": "keep"},
                                  lambda p: p["p"] * float(gen.hidden_layer(p)[1] @ gen.hidden_layer(p)[0])),
    "second-moment-shrinks-with-batch": (
        {"problem": "least_squares", "N": 64, "d": 4, "coordinate": 1, "B": 8, "data_seed": 0, "sampling": "iid"},
        lambda p: float(gradient_column(p).mean()) ** 2 + float(gradient_column(p).var(correction=0)) / p["B"]),
    "second-moment-large-batch": (
        {"problem": "logistic", "N": 64, "d": 4, "coordinate": 0, "B": 1024, "data_seed": 0, "sampling": "iid"},
        lambda p: float(gradient_column(p).mean()) ** 2),
    "weighted-gradient-sum-covariance": (
        {"weights": "momentum", "K": 6, "eta": 0.5, "mu": 0.9, "statistic": "trace", "problem": "least_squares",
         "N": 32, "d": 4, "data_seed": 0},
        lambda p: float(doc004.weights(p).sum()) * gradient_covariance(p)),
    "adam-moments-burn-in": (  # E[v_k] = (1 − γ^k) E[∂²D], E[∂²D] = μ² + σ²
        {"moment": "v_k", "k": 10, "delta": 0.9, "gamma": 0.999, "mean": 1.5, "sd": 0.5, "distribution": "normal"},
        lambda p: (1 - 0.999**10) * (1.5**2 + 0.5**2)),
    "adam-bias-correction": (  # E[m̂_k] = E[∂D] = μ
        {"moment": "m_k", "k": 10, "delta": 0.9, "gamma": 0.999, "mean": 1.5, "sd": 0.5, "distribution": "normal"},
        lambda p: 1.5),
}


@pytest.mark.parametrize("claim_id", sorted(CASES))
def test_the_stated_value_is_the_documents_formula_of_the_inputs_and_not_a_measured_quantity(claim_id):
    catalogue.load()
    claim = REGISTRY.get(claim_id)
    point, oracle = CASES[claim_id]
    quantities = quantities_of(claim, point)
    poisoned = {key: math.nan for key in STATED_QUANTITIES if key in quantities}
    stated = claim.stated({**point, **quantities, **poisoned})
    assert stated == pytest.approx(oracle(point), rel=1e-10, abs=1e-14)


def test_ridge_norm_decreasing_measures_the_changes_of_the_norm_against_zero():
    """'As λ grows, ‖ŵ‖₂ decreases': the measurement is the change of ‖ŵ‖₂ from one λ to the next, the
    stated bound 0; before, the stated value was the measurement itself shifted by one λ."""
    claim = REGISTRY.get("ridge-norm-decreasing")
    point = dict(claim.design[0])
    measurement = claim.measure(point, None)
    norms = measurement.quantities["norms"]
    np.testing.assert_array_equal(measurement.value, np.diff(norms))
    stated = claim.stated({**point, "norms": np.full_like(norms, np.nan)})
    np.testing.assert_array_equal(stated, np.zeros(len(gen.LAMBDA_GRID) - 1))
