"""Notes 003, "11-685 Intro to Deep Learning - Training" (003_8575ef13f3bfe434.txt).

Top to bottom as the notes run:

- 1.4.1  critical points: a positive definite Hessian means a minimum, a negative definite one a
         maximum, mixed signs a saddle (003-03);
- 2.2    the chain rule for Jacobians, J_y(x) = J_y(z)·J_z(x) and ∇_z D = ∇_y D·J_y(z) (003-01);
- 3.3–3.5 the backpropagation equations, in the notes' layout: column vectors, derivatives as rows
         (1.2–1.3), so ∇_W Div = Y_{N−1}∇_Z Div and ∇_{Y_{N−1}} Div = ∇_Z Div·W_N (003-02);
- 4.4    the one-step optimal step η_opt = [E'']⁻¹, and its value "a⁻¹ = 1/a" for ax² + bx + c (003-04);
- 4.5    convergence below 2η_opt, oscillation between η_opt and 2η_opt, divergence above (003-05);
- 4.6.1  in many dimensions, the optimal step along each Hessian eigenvector is the inverse of its
         eigenvalue (003-06);
- 4.8    diagonal A: the expansion of E, η_{i,opt} = a_ii⁻¹, and one rate converging along one axis
         while diverging along another (003-07);
- 5.1    RProp as the notes describe it, against torch.optim.Rprop: its step sizes and its revert (003-08);
- 5.3    momentum ΔW^(k) = βΔW^(k−1) − η∇Loss(W^(k−1)), its longer steps where the derivative keeps
         its sign and shorter ones where it oscillates (003-09), and Nesterov's look-ahead (003-10);
- 6.1    SGD's step sizes: Σ η_t = ∞ and Σ η_t² < ∞ (003-11);
- 6.2    SGD against batch gradient descent (003-14); the empirical risk's mean and its variance
         Var(Div)/N (003-12);
- 6.3    the minibatch loss's mean and its variance Var(Div)/b (003-13);
- 6.4.2  RMSProp (003-15);  6.4.3  Adam, the burn-in of its moments and their bias correction (003-16).

Every claim cites one row. Gradient-descent and optimizer claims run in float64 on generated
problems (``implementations.problems``, ``theorems.catalogue.kit``); algorithms named after a known method are
compared with torch.optim trajectories.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from types import SimpleNamespace

import numpy as np
import torch
import torch.nn.functional as F
from torch.func import jacrev

from implementations import optimizers as opt
from implementations.optimizer_oracles import form_path, torch_trajectory
from implementations.problems import LogisticRegression, gradient_descent_trajectory, make_quadratic
from implementations.schedules import PowerDecay, exponential, robbins_monro
from implementations.sgd_moments import error_moments, least_squares_coefficients, noisy_quadratic_coefficients
from theorems.catalogue.kit import (
    COSTLY,
    DISTRIBUTIONS,
    DOCUMENTS,
    PROBLEMS,
    evaluation_point,
    finite_sum_problem,
    full_value,
    log_spaced_integers,
    minibatch_bytes,
    sample_indices,
    sampled_estimate_sampler,
    seeded_generator,
    standardized,
)
from theorems.catalogue.kit.convergence import CONVERGING, DIVERGES, MONOTONE, ONE_STEP, OSCILLATING, PERSISTENT, classify
from theorems.core.claim import BEHAVIOUR, EXACT_TO_ROUNDING, Figure, Formula, Measurement, Reading, Source, claim
from theorems.core.domain import DATA_SEED, choices, floats, integers

NOTES_003 = DOCUMENTS["003"]
F64 = torch.float64


def _randn(*shape: int, generator: torch.Generator) -> torch.Tensor:
    """Seeded float64 normal draws on the CPU (problem data: the same on every device)."""
    return torch.randn(*shape, generator=generator, dtype=F64)


# =================================================================================================
# 1.4.1 Critical points (003-03)
# =================================================================================================

MINIMUM, MAXIMUM, SADDLE, UNDECIDED = "minimum", "maximum", "saddle point", "undecided"
SIGNATURES = ("positive definite", "negative definite", "indefinite")
PROBE_RADII = (1e-4, 1e-5)  # radii at which f(x* + r u) − f(x*) is read
RANDOM_PROBES = 256


def hessian_eigenvalues(signature: str, dim: int, generator: torch.Generator) -> torch.Tensor:
    """Eigenvalues with magnitudes log-uniform in [0.1, 10] and the signs of ``signature``."""
    magnitudes = 10 ** (2 * torch.rand(dim, generator=generator, dtype=F64) - 1)
    if signature == "positive definite":
        return magnitudes
    if signature == "negative definite":
        return -magnitudes
    signs = torch.where(torch.rand(dim, generator=generator, dtype=F64) < 0.5, -1.0, 1.0)
    signs[0], signs[-1] = 1.0, -1.0  # at least one of each sign
    return signs * magnitudes


def classify_critical_point(values_around: torch.Tensor, value: float) -> str:
    """The critical point's kind from f at probe points around it.

    minimum: f(x* + r u) > f(x*) at every probe; maximum: < at every probe; saddle point: both
    signs occur; undecided otherwise (some probe ties with f(x*)).
    """
    difference = values_around - value
    if bool((difference > 0).all()):
        return MINIMUM
    if bool((difference < 0).all()):
        return MAXIMUM
    if bool((difference > 0).any()) and bool((difference < 0).any()):
        return SADDLE
    return UNDECIDED


def hessian_test(p) -> str:
    """1.4.1's rule: positive definite → minimum, negative definite → maximum, mixed signs → saddle."""
    return {"positive definite": MINIMUM, "negative definite": MAXIMUM, "indefinite": SADDLE}[p["signature"]]


@claim(
    id="second-order-test",
    title="At a critical point a positive definite Hessian means a minimum, a negative definite one a maximum",
    inventory_ids=("003-03",),
    source=Source(NOTES_003, "1.4.1 Analytical approach"),
    statement=("Solve ∇_x f(x) = 0, then compute the Hessian ∇²_x f(x), which would give positive eigenvalues if "
               "it is positive definite (and therefore a minimum) or negative eigenvalues if it is negative "
               "definite (and therefore a maximum); at a saddle point a critical point could be a minimum in one "
               "direction and a maximum in another (mixed signs: a saddle)."),
    assumptions=(
        "f(x) = c + ½uᵀHu + t₃·C(u, u, u) + t₄·‖u‖⁴ with u = x − x*, C a seeded Gaussian 3-tensor: ∇f(x*) = 0 "
        "and ∇²f(x*) = H, whose eigenvalues have magnitudes in [0.1, 10] and the signs of the signature",
        f"the kind of x* is read from f at x* + r·u for r in {PROBE_RADII} and u in {RANDOM_PROBES} seeded random "
        "unit directions, the ± coordinate axes and the ± eigenvectors of the autograd Hessian at x*",
        "the notes do not cover semidefinite Hessians (a zero eigenvalue, as x⁴, −x⁴ or x³ at 0): they are outside "
        "this check's domain, and the test decides nothing there",
    ),
    preset=BEHAVIOUR,
    domain={
        "signature": choices(SIGNATURES),
        "dim": integers(1, 5),
        "cubic": floats(-1.0, 1.0),
        "quartic": floats(-1.0, 1.0),
        "data_seed": DATA_SEED,
    },
    constraint=lambda p: p["signature"] != "indefinite" or p["dim"] >= 2,
    stated=hessian_test,
    mutants=(
        Formula("the trace's sign decides: positive trace → minimum, negative → maximum",
                lambda p: MINIMUM if p["trace"] > 0 else MAXIMUM),
        Formula("a positive definite Hessian means a maximum (signs swapped)",
                lambda p: {"positive definite": MAXIMUM, "negative definite": MINIMUM,
                           "indefinite": SADDLE}[p["signature"]]),
    ),
    design=tuple({"signature": s, "dim": d, "cubic": 0.5, "quartic": -0.5, "data_seed": 0}
                 for s, d in (("indefinite", 2), ("positive definite", 2), ("negative definite", 3),
                              ("indefinite", 5), ("positive definite", 1), ("negative definite", 1))),
    figure=Figure(kind="points", x="dim", xlabel="dimension", ylabel="kind of the critical point",
                  series="signature"),
)
def second_order_test(p, ctx):
    """Build f with a critical point of the given Hessian signature and read its kind from f around it."""
    generator = seeded_generator(p["data_seed"])
    dim = p["dim"]
    eigenvalues = hessian_eigenvalues(p["signature"], dim, generator)
    q = torch.linalg.qr(_randn(dim, dim, generator=generator)).Q
    hessian = (q * eigenvalues) @ q.T
    cubic_tensor = _randn(dim, dim, dim, generator=generator)
    x_star, offset = _randn(dim, generator=generator), float(_randn(1, generator=generator))

    def f(x):  # c + ½uᵀHu + t₃ C(u,u,u) + t₄‖u‖⁴, over the last axis
        u = x - x_star
        quadratic = 0.5 * ((u @ hessian) * u).sum(-1)
        cubic = torch.einsum("ijk,...i,...j,...k->...", cubic_tensor, u, u, u)
        return offset + quadratic + p["cubic"] * cubic + p["quartic"] * u.square().sum(-1).square()

    measured_hessian = torch.autograd.functional.hessian(f, x_star)
    eigenvectors = torch.linalg.eigh(measured_hessian).eigenvectors.T
    random_directions = _randn(RANDOM_PROBES, dim, generator=generator)
    directions = torch.cat([random_directions / random_directions.norm(dim=1, keepdim=True),
                            torch.eye(dim, dtype=F64), eigenvectors])
    directions = torch.cat([directions, -directions])
    around = torch.cat([f(x_star + r * directions) for r in PROBE_RADII])
    return Measurement(classify_critical_point(around, float(f(x_star))),
                       quantities={"trace": float(eigenvalues.sum())})


# =================================================================================================
# 2.2.3–2.2.4 The chain rule for Jacobians (003-01)
# =================================================================================================

CHAIN_FORMS = ("J_y(x) = J_y(z)·J_z(x)", "∇_z D = ∇_y D·J_y(z)")
LAYER_ACTIVATIONS: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "tanh": torch.tanh, "sigmoid": torch.sigmoid, "softplus": F.softplus,
    "softmax": lambda z: torch.softmax(z, dim=-1)}
DIVERGENCES = ("squared error", "cross entropy")


def random_layer(n_in: int, n_out: int, activation: str, generator: torch.Generator):
    """v ↦ act(W v + b) with seeded W ~ N(0, 1/n_in) and b ~ N(0, ¼): a vector function of a vector."""
    weight = _randn(n_out, n_in, generator=generator) / math.sqrt(n_in)
    bias = 0.5 * _randn(n_out, generator=generator)
    act = LAYER_ACTIVATIONS[activation]
    return lambda v: act(weight @ v + bias)


def divergence_function(kind: str, target: torch.Tensor):
    """D(y): ½‖y − d‖², or the cross entropy of softmax(y) with a probability vector d."""
    if kind == "squared error":
        return lambda y: 0.5 * (y - target).square().sum()
    return lambda y: torch.logsumexp(y, dim=0) - target @ y


@claim(
    id="jacobian-chain-rule",
    title="Jacobians chain: J_y(x) = J_y(z)·J_z(x), and ∇_z D = ∇_y D·J_y(z) for a scalar D",
    inventory_ids=("003-01",),
    source=Source(NOTES_003, "2.2.3 Chaining vector functions of vector inputs / 2.2.4 Chaining scalar functions"),
    statement=("x → z → y: ∇_x y = ∇_z y ∇_x z, restated as the Jacobians J_y(x) = J_y(z)·J_z(x) (2.2.3); for a "
               "scalar function D(y(z)) of a vector z: ∇_z D = ∇_y(D) J_y(z) Δz (2.2.4)."),
    assumptions=(
        "the notes' conventions (1.2–1.3): vectors are columns, a Jacobian has one row per output and one column "
        "per input, the derivative of a scalar is a row vector",
        "z = g(x) and y = f(z) are seeded layers act(Wv + b); D is a squared error or a softmax cross entropy; "
        "the measured side is autograd (torch.func.jacrev) of the composition, in float64",
        "2.2.4's line as printed ends in Δz (a scalar right side for a vector left side): the row's ∇_z D = "
        "∇_y D·J_y(z) is checked here, the printed line by jacobian-scalar-chain-line",
    ),
    kind="identity",
    preset=EXACT_TO_ROUNDING,
    domain={
        "form": choices(CHAIN_FORMS),
        "n_x": integers(1, 6),
        "n_z": integers(1, 6),
        "n_y": integers(1, 6),
        "inner": choices(sorted(LAYER_ACTIVATIONS)),
        "outer": choices(sorted(LAYER_ACTIVATIONS)),
        "divergence": choices(DIVERGENCES),
        "data_seed": DATA_SEED,
    },
    stated=lambda p: (p["outer"] @ p["inner"]).flatten(),
    mutants=(
        Formula("only the path through the first intermediate variable (no sum over z_k or y_k)",
                lambda p: (p["outer"][:, :1] @ p["inner"][:1]).flatten()),
        Formula("the intermediate variables' paths averaged instead of summed",
                lambda p: (p["outer"] @ p["inner"] / p["outer"].shape[1]).flatten()),
    ),
    design=tuple({"form": form, "n_x": 3, "n_z": 4, "n_y": 5, "inner": inner, "outer": outer,
                  "divergence": "cross entropy", "data_seed": 0}
                 for form, inner, outer in ((CHAIN_FORMS[0], "tanh", "softmax"), (CHAIN_FORMS[1], "sigmoid", "softmax"),
                                            (CHAIN_FORMS[1], "softplus", "tanh"), (CHAIN_FORMS[0], "softmax", "sigmoid"))),
    figure=Figure(kind="points", x="n_z", xlabel="width of the intermediate variable z", ylabel="worst entry",
                  series="form"),
)
def jacobian_chain_rule(p, ctx):
    """Autograd's Jacobian of the composition, with the pieces' Jacobians (``outer``, ``inner``) for the formulas."""
    chain = chain_pieces(p)
    if p["form"] == CHAIN_FORMS[0]:
        measured = jacrev(lambda v: chain.f(chain.g(v)))(chain.x)
        outer, inner = jacrev(chain.f)(chain.z), jacrev(chain.g)(chain.x)  # J_y(z) (n_y × n_z), J_z(x) (n_z × n_x)
    else:
        measured = jacrev(lambda v: chain.divergence(chain.f(v)))(chain.z).unsqueeze(0)  # ∇_z D, 1 × n_z
        outer, inner = chain.grad_y, jacrev(chain.f)(chain.z)  # ∇_y D (1 × n_y), J_y(z)
    return Measurement(measured.flatten(), quantities={"outer": outer, "inner": inner})


def chain_pieces(p) -> SimpleNamespace:
    """The seeded chain x → z = g(x) → y = f(z) → D(y), at x: the layers, z, D and ∇_y D (a 1 × n_y row)."""
    generator = seeded_generator(p["data_seed"])
    g = random_layer(p.get("n_x", 1), p["n_z"], p["inner"], generator)
    f = random_layer(p["n_z"], p["n_y"], p["outer"], generator)
    x = _randn(p.get("n_x", 1), generator=generator)
    target = torch.softmax(_randn(p["n_y"], generator=generator), dim=0)
    divergence = divergence_function(p["divergence"], target)
    z = g(x)
    return SimpleNamespace(g=g, f=f, x=x, z=z, divergence=divergence, generator=generator,
                           grad_y=jacrev(divergence)(f(z)).unsqueeze(0))


@claim(
    id="jacobian-scalar-chain-line",
    title="2.2.4's line as printed: ∇_z D = ∇_y(D) J_y(z) Δz",
    inventory_ids=("003-01",),
    source=Source(NOTES_003, "2.2.4 Chaining scalar functions of vector inputs"),
    statement="For a scalar function D(y(z)) of a vector z: ∇_z D = ∇_y(D) J_y(z) Δz",
    assumptions=(
        "the notes' conventions (1.2–1.3): ∇_z D is a row vector of n_z entries; ∇_y(D) J_y(z) Δz, a row times a "
        "matrix times a column, is one number; every entry of ∇_z D is compared with it",
        "z = g(x), y = f(z) seeded layers act(Wv + b), D a squared error or softmax cross entropy; Δz a seeded "
        "N(0, I) perturbation; the left side is autograd's (torch.func.jacrev), in float64",
    ),
    kind="identity",
    preset=EXACT_TO_ROUNDING,
    domain={
        "n_z": integers(1, 6),
        "n_y": integers(1, 6),
        "inner": choices(sorted(LAYER_ACTIVATIONS)),
        "outer": choices(sorted(LAYER_ACTIVATIONS)),
        "divergence": choices(DIVERGENCES),
        "data_seed": DATA_SEED,
    },
    stated=lambda p: (p["grad_y"] @ p["jacobian"] @ p["dz"]).flatten(),
    mutants=(Formula("∇_z D = ∇_y(D) J_y(z) Δz / n_z (the change spread evenly over the entries of z)",
                     lambda p: (p["grad_y"] @ p["jacobian"] @ p["dz"]).flatten() / p["dz"].numel()),),
    alternatives=(Formula("∇_z D = ∇_y(D) J_y(z) (no Δz; with it the right side is ΔD, the change of D along Δz)",
                          lambda p: (p["grad_y"] @ p["jacobian"]).flatten()),),
    role="derivation",
    design=tuple({"n_z": n_z, "n_y": 4, "inner": "tanh", "outer": "softmax", "divergence": "cross entropy",
                  "data_seed": 0} for n_z in (3, 1)),
    figure=Figure(kind="points", x="n_z", xlabel="width of z", ylabel="worst entry", series=None),
)
def jacobian_scalar_chain_line(p, ctx):
    """Autograd's ∇_z D (row), with ∇_y D, J_y(z) and a seeded Δz for the formulas."""
    chain = chain_pieces(p)
    measured = jacrev(lambda v: chain.divergence(chain.f(v)))(chain.z)
    return Measurement(measured.flatten(), quantities={
        "grad_y": chain.grad_y, "jacobian": jacrev(chain.f)(chain.z), "dz": _randn(p["n_z"], 1, generator=chain.generator)})


# =================================================================================================
# 3.3–3.5 Backpropagation (003-02)
# =================================================================================================

BACKPROP_EQUATIONS = ("∂Div/∂W_ij = Y_i ∂Div/∂Z_j", "∂Div/∂Y_i = Σ_j w_ij ∂Div/∂z_j", "∇_B Div = ∇_Z Div",
                      "∇_Z Div = ∇_Y Div·J_Y(Z)")
HIDDEN_ACTIVATIONS = ("tanh", "sigmoid", "softplus")
OUTPUT_ACTIVATIONS = ("identity", "sigmoid", "softmax")


def stored_grad(t: torch.Tensor) -> torch.Tensor:
    """``t.grad``, the ∂Div/∂t that backward() stored (a leaf, or a tensor that called retain_grad())."""
    if t.grad is None:
        raise ValueError(f"no gradient stored for the tensor of shape {tuple(t.shape)}: backward() did not reach it")
    return t.grad


def backprop_terms(p) -> tuple[torch.Tensor, list[SimpleNamespace]]:
    """Autograd's left side of ``p["equation"]`` at every layer, and every layer's quantities for the right sides:
    Y_{N−1} (``y_prev``), the previous Z (``z_prev``, the input at the first layer), W_N (``weight``), autograd's
    ∇_{Z_N} Div and ∇_{Y_N} Div (``grad_z``, ``grad_y``) and J_Y(Z_N) (``jacobian``).

    The network, in the notes' layout: Z_k = W_k Y_{k−1} + B_k, Y_k = f_k(Z_k), with W_k of shape
    n_k × n_{k−1}, so W_k = J_{Z_k}(Y_{k−1}) and the notes' scalar weight w_ij (input i to output j)
    is W_k[j, i]. ∂Div/∂W in the notes' derivative layout (rows = inputs i, columns = outputs j) is
    the transpose of the gradient torch stores for W_k.
    """
    generator = seeded_generator(p["data_seed"])
    widths = torch.randint(1, p["max_width"] + 1, (p["depth"] + 1,), generator=generator).tolist()
    weights = [(_randn(n_out, n_in, generator=generator) / math.sqrt(n_in)).requires_grad_()
               for n_in, n_out in zip(widths[:-1], widths[1:])]
    biases = [(0.5 * _randn(n, generator=generator)).requires_grad_() for n in widths[1:]]
    activations = [LAYER_ACTIVATIONS[p["hidden"]]] * (p["depth"] - 1) + [
        (lambda z: z) if p["output"] == "identity" else LAYER_ACTIVATIONS[p["output"]]]
    target = torch.softmax(_randn(widths[-1], generator=generator), dim=0)
    ys, zs = [_randn(widths[0], generator=generator).requires_grad_()], []
    for weight, bias, act in zip(weights, biases, activations):
        z = weight @ ys[-1] + bias
        z.retain_grad()
        y = act(z)
        y.retain_grad()
        zs.append(z)
        ys.append(y)
    output = ys[-1]
    if p["output"] == "softmax":  # cross entropy of the predicted distribution
        divergence = -(target * torch.log(output)).sum()
    else:
        divergence = 0.5 * (output - target).square().sum()
    divergence.backward()

    left_sides = {BACKPROP_EQUATIONS[0]: lambda k: stored_grad(weights[k]).T,
                  BACKPROP_EQUATIONS[1]: lambda k: stored_grad(ys[k]),
                  BACKPROP_EQUATIONS[2]: lambda k: stored_grad(biases[k]), BACKPROP_EQUATIONS[3]: lambda k: stored_grad(zs[k])}
    measured, layers = [], []
    for k in range(p["depth"]):
        measured.append(left_sides[p["equation"]](k).detach().flatten())
        layers.append(SimpleNamespace(
            y_prev=ys[k].detach(), z_prev=zs[k - 1].detach() if k > 0 else ys[k].detach(), weight=weights[k].detach(),
            grad_z=stored_grad(zs[k]).detach(), grad_y=stored_grad(ys[k + 1]).detach(), jacobian=jacrev(activations[k])(zs[k].detach())))
    return torch.cat(measured), layers


def backprop_right_side(p, *, upstream=None, previous: str = "y_prev") -> torch.Tensor:
    """The notes' right side of ``p["equation"]`` at every layer, from the layer's quantities.

    ``upstream(layer)`` replaces ∂Div/∂Z in the equations written with it, and the whole right side of
    ∇_Z Div = ∇_Y Div·J_Y(Z); ``previous="z_prev"`` puts the previous Z for Y_{N−1} (the mutants).
    """
    sides = []
    for layer in p["layers"]:
        grad_z = layer.grad_z if upstream is None else upstream(layer)
        if p["equation"] == BACKPROP_EQUATIONS[0]:
            side = torch.outer(getattr(layer, previous), grad_z)  # ∇_{W_N} Div = Y_{N−1}∇_{Z_N} Div: [i, j] = Y_i ∂Div/∂Z_j
        elif p["equation"] == BACKPROP_EQUATIONS[1]:
            side = grad_z @ layer.weight  # ∇_{Y_{N−1}} Div = ∇_{Z_N} Div·W_N: Σ_j w_ij ∂Div/∂z_j
        elif p["equation"] == BACKPROP_EQUATIONS[2]:
            side = grad_z  # ∇_{B_N} Div = ∇_{Z_N} Div
        else:
            side = layer.grad_y @ layer.jacobian if upstream is None else grad_z  # ∇_{Z_N} Div = ∇_Y Div·J_Y(Z_N)
        sides.append(side.flatten())
    return torch.cat(sides)


@claim(
    id="backpropagation-equations",
    title="Backpropagation: ∇_W Div = Y_{N−1}∇_Z Div, ∇_{Y_{N−1}} Div = ∇_Z Div·W_N, ∇_B Div = ∇_Z Div",
    inventory_ids=("003-02",),
    source=Source(NOTES_003, "3.3 – 3.5 Computation of derivatives for backpropagation"),
    statement=("∂Div/∂W_ij^(N) = Y_i^(N−1) ∂Div/∂Z_j^(N) (3.3); ∂Div/∂y_i^(N−1) = Σ_j w_ij^(N) ∂Div/∂z_j^(N) (3.4); "
               "∇_{z_N} Div = ∇_y Div·J_Y(Z_N) (3.5.2); ∇_{W_N} Div = Y_{N−1}∇_{Z_N} Div, ∇_{B_N} Div = ∇_{Z_N} Div "
               "(3.5.3); ∇_{Y_{N−1}} Div = ∇_{Z_N} Div·W_N (3.5.4)."),
    assumptions=(
        "the notes' layout (1.2–1.3, 3.5.4): Z_N = W_N Y_{N−1} + B_N with column vectors, W_N = J_{Z_N}(Y_{N−1}) "
        "(n_N × n_{N−1}, entry [j, i] = w_ij), derivatives as row vectors; ∇_{W_N} Div in the same derivative "
        "layout is n_{N−1} × n_N with entry [i, j] = ∂Div/∂w_ij (torch stores its transpose). With the other "
        "layout (W_N[i, j] = w_ij, as implementations.layers keeps it) 3.5.4 reads ∇_Z Div·W_Nᵀ",
        "every equation is checked at every layer k = 1 … N of seeded MLPs (the notes' N is any layer), the "
        "left side by autograd (torch's .grad of W, B, Y and Z), the right side from autograd's ∇_Z Div and ∇_Y Div; "
        "Div is ½‖Y − d‖², or the cross entropy for a softmax output",
    ),
    kind="identity",
    preset=EXACT_TO_ROUNDING,
    domain={
        "equation": choices(BACKPROP_EQUATIONS),
        "depth": integers(1, 4),
        "max_width": integers(1, 6),
        "hidden": choices(HIDDEN_ACTIVATIONS),
        "output": choices(OUTPUT_ACTIVATIONS),
        "data_seed": DATA_SEED,
    },
    stated=backprop_right_side,
    mutants=(
        Formula("the activation's derivative left out (∂Div/∂Y used for ∂Div/∂Z)",
                lambda p: backprop_right_side(p, upstream=lambda layer: layer.grad_y)),
        Formula("∂Div/∂Z_i = ∂Div/∂Y_i·f'(Z_i) also for a softmax (the Jacobian's diagonal only)",
                lambda p: backprop_right_side(p, upstream=lambda layer: layer.grad_y * torch.diagonal(layer.jacobian))),
        Formula("∂Div/∂W_ij = Z_i^(N−1) ∂Div/∂Z_j (the previous layer's pre-activation)",
                lambda p: backprop_right_side(p, previous="z_prev")),
    ),
    design=tuple({"equation": eq, "depth": 3, "max_width": 5, "hidden": "tanh", "output": "softmax", "data_seed": 0}
                 for eq in BACKPROP_EQUATIONS),
    figure=Figure(kind="points", x="depth", xlabel="layers N", ylabel="worst entry", series="equation"),
)
def backpropagation_equations(p, ctx):
    """Autograd's left side of one equation of 3.3–3.5 at every layer, with the layers' quantities for its right side."""
    measured, layers = backprop_terms(p)
    return Measurement(measured, quantities={"layers": layers})


def scalar_layer(p) -> tuple[torch.Tensor, torch.Tensor]:
    """One seeded layer in the notes' scalar indices: Y = (Y_0 = 1 for the bias, Y_1 … Y_{n_in}) and W[i, j], the
    weight from input i to output j (row 0 the biases)."""
    generator = seeded_generator(p["data_seed"])
    y = torch.cat([torch.ones(1, dtype=F64), _randn(p["n_in"], generator=generator)])
    return y, _randn(p["n_in"] + 1, p["n_out"], generator=generator)


def layer_output(y: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """Z = torch.nn.functional.linear(Y_1…, Wᵀ, biases): the layer's pre-activations Z_1 … Z_{n_out}."""
    return F.linear(y[1:], weight[1:].T, weight[0])


def printed_pre_activation(p, *, sum_index: str = "j") -> np.ndarray:
    """3.3–3.4's line Z_j = Y_i W_ij + Σ_{k≠i} Y_j W_kj for every pair (i, j), outputs j = 1 … n_out read against
    inputs Y_1 … (``sum_index="k"``: Y_k in the sum, the corrected line)."""
    y, weight = p["y"], p["weight"]
    pairs = []
    for i in range(weight.shape[0]):
        for j in range(weight.shape[1]):
            others = [k for k in range(weight.shape[0]) if k != i]
            partner = y[j + 1] if sum_index == "j" else y[others]  # output j's index as an input: Y_j
            pairs.append(y[i] * weight[i, j] + (partner * weight[others, j]).sum())
    return torch.stack(pairs).numpy()


@claim(
    id="backprop-pre-activation-line",
    title="3.3–3.4's expansion Z_j = Y_i W_ij + Σ_{k≠i} Y_j W_kj, as printed",
    inventory_ids=("003-02",),
    source=Source(NOTES_003, "3.3 (Weights) and 3.4 (Previous Output)"),
    statement="Z_j^(N) = Y_i^(N−1)·W_ij^(N) + Σ_{k≠i} Y_j^(N−1)·W_kj^(N)",
    assumptions=(
        "a seeded layer in the notes' scalar indices: W_ij from input i to output j, the bias as W_0j with "
        "Y_0 = 1 (3.3's note); measured: the layer's Z_j by torch.nn.functional.linear, compared with the line for "
        "every pair (i, j); Y_j in the sum is the input with the output's index, so n_out ≤ n_in; float64",),
    kind="identity",
    preset=EXACT_TO_ROUNDING,
    domain={"n_in": integers(1, 6), "n_out": integers(1, 6), "data_seed": DATA_SEED},
    constraint=lambda p: p["n_out"] <= p["n_in"],
    stated=printed_pre_activation,
    mutants=(Formula("Z_j = Y_i W_ij (the other inputs' terms dropped)",
                     lambda p: (p["y"][:, None] * p["weight"]).flatten().numpy()),),
    alternatives=(Formula("Z_j = Y_i W_ij + Σ_{k≠i} Y_k W_kj (Y_k in the sum)",
                          lambda p: printed_pre_activation(p, sum_index="k")),),
    role="derivation",
    design=({"n_in": 3, "n_out": 2, "data_seed": 0}, {"n_in": 1, "n_out": 1, "data_seed": 0}),
    figure=Figure(kind="points", x="n_in", xlabel="inputs n_in", ylabel="worst pair", series=None),
)
def backprop_pre_activation_line(p, ctx):
    """The layer's Z_j, for every pair (i, j), with Y and W for the line."""
    y, weight = scalar_layer(p)
    z = layer_output(y, weight)
    return Measurement(z.expand(weight.shape[0], -1).flatten().numpy(), quantities={"y": y, "weight": weight})


SCALAR_DERIVATIVES = ("∂Z_j/∂W_ij = Y_i", "∂Z_ij/∂Y_i = w_ij")


def scalar_derivative(p, *, exchanged: bool = False) -> np.ndarray:
    """3.3's Y_i or 3.4's w_ij at every pair (i, j), i ≥ 1 for 3.4 (Y_0 = 1 is a constant); ``exchanged``: the
    other factor (the mutant)."""
    by_weight = p["derivative"] == SCALAR_DERIVATIVES[0]
    value = p["y"][:, None].expand_as(p["weight"]) if by_weight != exchanged else p["weight"]
    return (value if by_weight else value[1:]).flatten().numpy()


@claim(
    id="backprop-scalar-derivatives",
    title="3.3's ∂Z_j/∂W_ij = Y_i and 3.4's ∂Z_ij/∂Y_i = w_ij",
    inventory_ids=("003-02",),
    source=Source(NOTES_003, "3.3 (Weights) and 3.4 (Previous Output)"),
    statement="∂Z_j^(N)/∂W_ij^(N) = Y_i^(N−1) (3.3); ∂Z_ij^(N)/∂Y_i^(N−1) = w_ij^(N) (3.4)",
    assumptions=(
        "3.4's Z_ij has no meaning as printed (Z^(N) has one index): it is read as Z_j, the only output the line "
        "can mean",
        "a seeded layer in the notes' scalar indices (W_ij from input i to output j, the bias as W_0j with "
        "Y_0 = 1); measured: autograd's Jacobian of the layer's Z (torch.func.jacrev of "
        "torch.nn.functional.linear) at every pair (i, j); float64",),
    kind="identity",
    preset=EXACT_TO_ROUNDING,
    domain={"derivative": choices(SCALAR_DERIVATIVES), "n_in": integers(1, 6),
            "n_out": integers(1, 6), "data_seed": DATA_SEED},
    stated=scalar_derivative,
    mutants=(Formula("the factors exchanged: ∂Z_j/∂W_ij = W_ij, ∂Z_j/∂Y_i = Y_i",
                     lambda p: scalar_derivative(p, exchanged=True)),),
    role="derivation",
    design=tuple({"derivative": d, "n_in": 3, "n_out": 2, "data_seed": 0} for d in SCALAR_DERIVATIVES),
    figure=Figure(kind="points", x="n_in", xlabel="inputs n_in", ylabel="worst pair", series="derivative"),
)
def backprop_scalar_derivatives(p, ctx):
    """Autograd's ∂Z_j/∂W_ij or ∂Z_j/∂Y_i for every pair (i, j), with Y and W for the lines."""
    y, weight = scalar_layer(p)
    if p["derivative"] == SCALAR_DERIVATIVES[0]:
        jacobian = jacrev(lambda w: layer_output(y, w))(weight)  # [j', i, j] = ∂Z_j'/∂W_ij
        measured = torch.diagonal(jacobian, dim1=0, dim2=2)  # j' = j: (i, j)
    else:  # with respect to the inputs Y_1 … (Y_0 = 1 is a constant)
        measured = jacrev(lambda v: layer_output(torch.cat([y[:1], v]), weight))(y[1:]).T  # [i, j] = ∂Z_j/∂Y_i
    return Measurement(measured.flatten().numpy(), quantities={"y": y, "weight": weight})


# =================================================================================================
# 4.4 Optimal step size (003-04)
# =================================================================================================


def one_step_optimal_step(grad, w: torch.Tensor) -> float:
    """argmin_η E(w − η∇E(w)), from the slope φ'(η) = −∇E(w)·∇E(w − η∇E(w)) of E along the step.

    φ' is affine in η for a quadratic, so two slopes give its zero exactly: η* = hφ'(0)/(φ'(0) − φ'(h)),
    with h grown until φ'(h) − φ'(0) is at least half of |φ'(0)| (for precision).
    """
    g = grad(w)
    slope_0 = -float(g @ g)
    h = 1e-3
    while True:
        slope_h = -float(g @ grad(w - h * g))
        if abs(slope_h - slope_0) >= 0.5 * abs(slope_0) or h > 1e12:
            return h * slope_0 / (slope_0 - slope_h)
        h *= 4


def quadratic_1d(p):
    """E(w) = aw² + bw + c (c = 1: it moves no step), its derivative by autograd, and w^(k)."""
    a, b, c = p["a"], p["b"], 1.0

    def loss(w):
        return a * w.square() + b * w + c

    def grad(w):
        w = w.detach().requires_grad_()
        return torch.autograd.grad(loss(w).sum(), w)[0]

    return loss, grad, torch.tensor([p["w"]], dtype=F64)


ONE_STEP_DOMAIN = {
    "a": floats(0.1, 10.0),
    "b": floats(-5.0, 5.0),
    "w": floats(-10.0, 10.0),
}
ONE_STEP_DESIGN = tuple({"a": a, "b": b, "w": w} for a, b, w in ((1.0, 0.0, 1.0), (2.0, 1.0, -3.0),
                                                                          (0.5, -2.0, 4.0), (5.0, 3.0, 2.0)))


def one_step_constraint(p) -> bool:
    """|E'(w^(k))| ≥ 0.1: away from the minimum, where the one-step optimum is defined."""
    return abs(2 * p["a"] * p["w"] + p["b"]) >= 0.1


def one_step_optimum(p, ctx):
    """The step size that reaches the minimum of E in one gradient step from w^(k)."""
    loss, grad, w = quadratic_1d(p)
    w_grad = w.detach().requires_grad_()
    (first,) = torch.autograd.grad(loss(w_grad).sum(), w_grad, create_graph=True)
    (second,) = torch.autograd.grad(first.sum(), w_grad)  # E''(w^(k)) by autograd
    return Measurement(one_step_optimal_step(grad, w), quantities={"second_derivative": float(second)})


claim(
    id="optimal-step-size",
    seed_key="one-step-optimum",
    title="The one-step optimal step size is η_opt = [E''(w^(k))]⁻¹",
    inventory_ids=("003-04",),
    source=Source(NOTES_003, "4.4 Optimal step size with Taylor expansion"),
    statement=("E(w) = E(w^(k)) + E'(w^(k))(w − w^(k)) + ½E''(w^(k))(w − w^(k))²; differentiating and equating to 0: "
               "W_min = w^(k) − [E''(w^(k))]⁻¹E'(w^(k)); the optimal step size is thus η_opt = [E''(w^(k))]⁻¹."),
    assumptions=("E(w) = aw² + bw + c with a > 0 (a quadratic, where the expansion is exact); the measured step is "
                 "argmin_η E(w^(k) − ηE'(w^(k))), the zero of E's slope along the step; E'' is autograd's",
                 "w^(k) is away from the minimum (|E'(w^(k))| ≥ 0.1), where a step size is defined"),
    kind="identity",
    resolution=1e-9,
    domain=ONE_STEP_DOMAIN,
    constraint=one_step_constraint,
    stated=lambda p: 1 / p["second_derivative"],
    mutants=(Formula("η_opt = 2[E'']⁻¹ (the divergence boundary)", lambda p: 2 / p["second_derivative"]),
             Formula("η_opt = E'' (no inverse)", lambda p: p["second_derivative"])),
    design=ONE_STEP_DESIGN,
    figure=Figure(kind="points", x="a", xlabel="a in E = ax² + bx + c", ylabel="one-step optimal η", logx=True,
                  logy=True, series=None),
)(one_step_optimum)

claim(
    id="optimal-step-size-value",
    seed_key="one-step-optimum",
    title="For ax² + bx + c the notes give η_opt = a⁻¹ = 1/a",
    inventory_ids=("003-04",),
    source=Source(NOTES_003, "4.4 Optimal step size with Taylor expansion"),
    statement="The optimal step size for the function ax² + bx + c is thus: η_opt = [E''(w^(k))]⁻¹ = a⁻¹ = 1/a.",
    assumptions=("the function as written, E(w) = aw² + bw + c with a > 0 (E'' = 2a); the measured step is "
                 "argmin_η E(w^(k) − ηE'(w^(k))), the zero of E's slope along the step",
                 "1/a is the optimal step of E = ½aw² + bw + c, the form 4.8 uses, not of ax² + bx + c"),
    kind="identity",
    resolution=1e-9,
    domain=ONE_STEP_DOMAIN,
    constraint=one_step_constraint,
    stated=lambda p: 1 / p["a"],
    mutants=(Formula("η_opt = 2/a", lambda p: 2 / p["a"]), Formula("η_opt = a", lambda p: p["a"])),
    alternatives=(Formula("η_opt = [E'']⁻¹ = 1/(2a)", lambda p: 1 / (2 * p["a"])),),
    design=ONE_STEP_DESIGN,
    figure=Figure(kind="points", x="a", xlabel="a in E = ax² + bx + c", ylabel="one-step optimal η", logx=True,
                  logy=True, series=None),
)(one_step_optimum)


# =================================================================================================
# 4.5 Other step sizes (003-05)
# =================================================================================================

REGIME_STEPS = 60
BOUNDARY_GAP = 0.02  # ratios this close to a regime boundary of either reading (0.5, 1, 2) are not drawn, but 1 itself


def regime(ratio: float) -> str:
    """The regimes of 4.4–4.5 by r = η/η_opt: one step at η_opt (4.4), convergence below 2η_opt,
    oscillating between η_opt and 2η_opt, divergence above; exactly 2η_opt oscillates forever."""
    if ratio == 1.0:
        return ONE_STEP
    if ratio == 2.0:
        return PERSISTENT
    return MONOTONE if ratio < 1 else OSCILLATING if ratio < 2 else DIVERGES


@claim(
    id="step-size-regimes",
    title="Gradient descent converges below 2η_opt, oscillates between η_opt and 2η_opt, diverges above",
    inventory_ids=("003-05",),
    source=Source(NOTES_003, "4.5 Other step sizes"),
    statement=("We get convergence when η < 2·η_opt. We get oscillation when η_opt < η < 2·η_opt. We get divergence "
               "when η > 2·η_opt."),
    assumptions=("E(w) = ax² + bx + c with a > 0 (E'' = 2a), the function of 4.4, and w_k = w_(k−1) − ηE'(w_(k−1)) "
                 f"for {REGIME_STEPS} steps from a seeded w_0",
                 "below η_opt the notes imply monotone convergence (they place oscillation between η_opt and 2η_opt); "
                 "at η_opt exactly one step reaches the minimum (4.4)",
                 "η_opt is read two ways: the value 4.4 gives for ax² + bx + c (1/a) and its general formula [E'']⁻¹"),
    preset=BEHAVIOUR,
    domain={
        "a": floats(0.1, 10.0),
        "ratio": floats(0.05, 3.5),  # η / η_opt
        "data_seed": DATA_SEED,
    },
    constraint=lambda p: p["ratio"] == 1.0 or min(abs(p["ratio"] - r) for r in (0.5, 1, 2)) > BOUNDARY_GAP,
    readings=(
        Reading("η_opt = 1/a", "section 4.4's value for ax² + bx + c: η_opt = a⁻¹", {"eta_opt": "1/a"}),
        Reading("η_opt = 1/E''", "section 4.4's general formula η_opt = [E'']⁻¹, which is 1/(2a) for ax² + bx + c",
                {"eta_opt": "1/E''"}),
    ),
    stated=lambda p: regime(p["ratio"]),
    mutants=(
        Formula("divergence when η > η_opt (the boundary at η_opt, not 2η_opt)",
                lambda p: ONE_STEP if p["ratio"] == 1.0 else MONOTONE if p["ratio"] < 1 else DIVERGES),
        Formula("convergence for every η < 3η_opt, oscillating above η_opt",
                lambda p: ONE_STEP if p["ratio"] == 1.0 else MONOTONE if p["ratio"] < 1
                else OSCILLATING if p["ratio"] < 3 else DIVERGES),
    ),
    alternatives=(Formula("the regimes at η_opt = [E'']⁻¹ = 1/(2a) (η = r/a is 2r times 1/(2a))",
                          lambda p: regime(2 * p["ratio"]), reading="η_opt = 1/a"),),
    design=tuple({"a": 1.0, "ratio": r, "data_seed": 0} for r in (1.5, 1.0, 2.5, 0.4, 0.9, 1.1, 1.9, 2.1, 0.7)),
    figure=Figure(kind="traces", xlabel="step k", ylabel="signed error (w_k − w*) / (w_0 − w*)",
                  logy=True),
)
def step_size_regimes(p, ctx):
    """Run gradient descent at η = ratio·η_opt on ax² + bx + c and classify what the iterates do."""
    a = p["a"]
    quadratic = make_quadratic([2 * a], seed=p["data_seed"], rotate=False, device=ctx.device)  # E'' = 2a
    eta_opt = 1 / a if p["eta_opt"] == "1/a" else 1 / (2 * a)
    w0 = quadratic.minimizer + _randn(1, generator=seeded_generator(p["data_seed"])).to(ctx.device)
    ws = gradient_descent_trajectory(quadratic.grad, w0, lr=p["ratio"] * eta_opt, steps=REGIME_STEPS)
    errors = (ws - quadratic.minimizer)[:, 0].cpu().numpy()
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        relative = errors[:13] / errors[0]  # signed, so that an oscillation is seen as one
    return Measurement(classify(errors), quantities={"eta": p["ratio"] * eta_opt, "eta_opt_value": eta_opt},
                       trace={"x": np.arange(13), "measured": relative})


# =================================================================================================
# 4.6.1 Many dimensions (003-06)
# =================================================================================================


def directional_optimal_steps(problem, directions: torch.Tensor) -> np.ndarray:
    """The one-step optimal step size from w* + u, for each row u of ``directions``."""
    return np.array([one_step_optimal_step(problem.grad, problem.minimizer + u) for u in directions])


@claim(
    id="optimal-step-eigendirections",
    title="Along each Hessian eigenvector the optimal step is the eigenvalue's inverse; 1/λ_max along the steepest",
    inventory_ids=("003-06",),
    source=Source(NOTES_003, "4.6.1 Taylor series approximation"),
    statement=("Here [in the multivariate scenario] the optimal step size is inversely proportional to the "
               "eigenvalues of the Hessian. The inverse of the largest eigenvalue is going to be the optimal step "
               "size for the steepest direction."),
    assumptions=("E(w) = ½wᵀAw + bᵀw + c with A = Q diag(λ) Qᵀ, Q a seeded rotation, eigenvalues geometric from "
                 "λ_max/condition to λ_max",
                 "the optimal step along eigenvector q_i is argmin_η E(w − η∇E(w)) from w = w* + q_i, read from E "
                 "the zero of E's slope along the step; the eigenvectors are those of the Hessian A"),
    kind="identity",
    resolution=1e-9,
    domain={
        "dim": integers(2, 6),
        "lambda_max": floats(0.1, 100.0),
        "condition": floats(1.0, 1000.0),
        "data_seed": DATA_SEED,
    },
    stated=lambda p: 1 / p["eigenvalues"],
    mutants=(
        Formula("η_i = 1/λ_max along every eigenvector", lambda p: np.full_like(p["eigenvalues"], 1 / p["eigenvalues"][-1])),
        Formula("η_i proportional to λ_i (λ_i/λ_max², right only at the steepest)",
                lambda p: p["eigenvalues"] / p["eigenvalues"][-1] ** 2),
        Formula("η_i = 2/λ_i", lambda p: 2 / p["eigenvalues"]),
    ),
    design=tuple({"dim": d, "lambda_max": 10.0, "condition": c, "data_seed": 0}
                 for d, c in ((5, 100.0), (2, 10.0), (6, 1000.0), (3, 1.0))),
    figure=Figure(kind="traces", xlabel="Hessian eigenvalue λ_i", ylabel="optimal step along q_i", logx=True,
                  logy=True),
)
def optimal_step_eigendirections(p, ctx):
    """The one-step optimal step size along each eigenvector of the Hessian, smallest eigenvalue first."""
    eigenvalues = p["lambda_max"] * torch.logspace(-math.log10(p["condition"]), 0, p["dim"], dtype=F64)
    quadratic = make_quadratic(eigenvalues, seed=p["data_seed"])
    lam, q = torch.linalg.eigh(quadratic.hessian)
    steps = directional_optimal_steps(quadratic, q.T)
    lam = lam.numpy()
    return Measurement(steps, quantities={"eigenvalues": lam},
                       trace={"x": lam, "measured": steps, "stated": 1 / lam})


# =================================================================================================
# 4.8 The problem of decoupled descents (003-07)
# =================================================================================================

DIAGONAL_DOMAIN = {
    "a11": floats(0.1, 10.0),
    "a22": floats(0.1, 10.0),
    "data_seed": DATA_SEED,
}


def diagonal_quadratic(p):
    """E = ½wᵀAw + wᵀb + c with A = diag(a11, a22) and seeded b, c, as 4.8 writes it."""
    return make_quadratic([p["a11"], p["a22"]], seed=p["data_seed"], rotate=False)


@claim(
    id="decoupled-quadratic-expansion",
    title="For diagonal A the notes expand ½wᵀAw + wᵀb + c as ½Σ_i(a_ii w_i² + b_i w_i) + c",
    inventory_ids=("003-07",),
    source=Source(NOTES_003, "4.8 The problem of decoupled descents"),
    statement="For a two-dimensional input, when A is diagonal: E = ½wᵀAw + wᵀb + c = ½Σ_i(a_ii w_i² + b_i w_i) + c.",
    assumptions=("E is evaluated as ½wᵀAw + wᵀb + c at 8 seeded points w ~ N(0, 4I), for A = diag(a11, a22) "
                 "and seeded b ~ N(0, I), c ~ N(0, 1)",
                 "the per-axis lines that follow (E = ½a_11w_1² + b_1w_1 + c + C(−w_1)) carry b_1w_1 without the ½"),
    kind="identity",
    preset=EXACT_TO_ROUNDING,
    domain=DIAGONAL_DOMAIN,
    stated=lambda p: (0.5 * (p["a"] * p["w"].square() + p["b"] * p["w"]).sum(1) + p["c"]).numpy(),
    mutants=(Formula("E = Σ_i(a_ii w_i² + b_i w_i) + c (no ½)",
                     lambda p: ((p["a"] * p["w"].square() + p["b"] * p["w"]).sum(1) + p["c"]).numpy()),
             Formula("E = ½Σ_i a_ii w_i² + c (the linear term dropped)",
                     lambda p: (0.5 * (p["a"] * p["w"].square()).sum(1) + p["c"]).numpy())),
    alternatives=(Formula("E = ½Σ_i a_ii w_i² + Σ_i b_i w_i + c",
                          lambda p: (0.5 * (p["a"] * p["w"].square()).sum(1) + (p["b"] * p["w"]).sum(1) + p["c"]).numpy()),),
    role="derivation",
    design=tuple({"a11": a11, "a22": a22, "data_seed": 0} for a11, a22 in ((1.0, 1.0), (10.0, 0.5), (0.2, 3.0))),
    figure=Figure(kind="points", x="a11", xlabel="a_11", ylabel="E at the worst point", logx=True, series=None),
)
def decoupled_quadratic_expansion(p, ctx):
    """½wᵀAw + wᵀb + c as a matrix expression at seeded points, with a_ii, b, c and the points for the expansion."""
    quadratic = diagonal_quadratic(p)
    w = 2 * _randn(8, 2, generator=seeded_generator(p["data_seed"]))
    energy = 0.5 * ((w @ quadratic.hessian) * w).sum(1) + w @ quadratic.b + quadratic.c  # ½wᵀAw + wᵀb + c
    return Measurement(energy.numpy(), quantities={"a": torch.diagonal(quadratic.hessian), "b": quadratic.b,
                                                   "c": quadratic.c, "w": w})


@claim(
    id="per-axis-optimal-step",
    title="For diagonal A the optimal step along axis i is η_{i,opt} = a_ii⁻¹",
    inventory_ids=("003-07",),
    source=Source(NOTES_003, "4.8 The problem of decoupled descents"),
    statement=("Along dimension 1: E = ½a_11w_1² + b_1w_1 + c + C(−w_1) ⟹ η_{1,opt} = a_11⁻¹. Along dimension 2: "
               "E = ½a_22w_2² + b_2w_2 + c + C(−w_2) ⟹ η_{2,opt} = a_22⁻¹."),
    assumptions=("E = ½wᵀAw + wᵀb + c with A = diag(a11, a22); the optimal step along axis i is "
                 "argmin_η E(w − η∇E(w)) from w = w* + e_i, the zero of E's slope along the step",),
    kind="identity",
    resolution=1e-9,
    domain=DIAGONAL_DOMAIN,
    stated=lambda p: np.array([1 / p["a11"], 1 / p["a22"]]),
    mutants=(Formula("η_{i,opt} = 1/(2a_ii)", lambda p: np.array([0.5 / p["a11"], 0.5 / p["a22"]])),
             Formula("one step size for both axes, 1/max(a_ii)",
                     lambda p: np.full(2, 1 / max(p["a11"], p["a22"])))),
    design=tuple({"a11": a11, "a22": a22, "data_seed": 0} for a11, a22 in ((10.0, 0.5), (1.0, 1.0), (0.2, 3.0))),
    figure=Figure(kind="points", x="a11", xlabel="a_11", ylabel="optimal step (worst axis)", logx=True, logy=True,
                  series=None),
)
def per_axis_optimal_step(p, ctx):
    """The one-step optimal step size along each coordinate axis."""
    return Measurement(directional_optimal_steps(diagonal_quadratic(p), torch.eye(2, dtype=F64)))


AXIS_CONVERGES, AXIS_DIVERGES = "converges", "diverges"
AXIS_STEPS = 60


def axis_labels(ratios) -> str:
    """'axis 1 …, axis 2 …' from η·a_ii/(the divergence boundary's value): below 1 converges."""
    return ", ".join(f"axis {i + 1} {AXIS_CONVERGES if r < 1 else AXIS_DIVERGES}" for i, r in enumerate(ratios))


@claim(
    id="one-rate-two-axes",
    title="One learning rate can converge along one axis and diverge along another (η_{i,opt} = a_ii⁻¹ per axis)",
    inventory_ids=("003-07",),
    source=Source(NOTES_003, "4.8 The problem of decoupled descents"),
    statement=("Using the same learning rate could result in convergence along one axis and divergence along "
               "another, or extremely slow convergence along one direction."),
    assumptions=("E = ½wᵀAw + wᵀb + c with A = diag(a11, a22); gradient descent with one η for "
                 f"{AXIS_STEPS} steps from a seeded start; each axis is classified by the rule of step-size-regimes",
                 "predicted per axis by 4.8's η_{i,opt} = a_ii⁻¹ and 4.5's boundary 2η_{i,opt}: axis i converges "
                 "when η < 2/a_ii and diverges when η > 2/a_ii"),
    preset=BEHAVIOUR,
    domain={
        "a11": floats(0.1, 10.0),
        "a22": floats(0.1, 10.0),
        "eta_a11": floats(0.05, 4.0),  # η·a_11
        "data_seed": DATA_SEED,
    },
    constraint=lambda p: min(abs(p["eta_a11"] - 2), abs(p["eta_a11"] * p["a22"] / p["a11"] - 2)) > 2 * BOUNDARY_GAP,
    stated=lambda p: axis_labels([p["eta_a11"] / 2, p["eta_a11"] * p["a22"] / p["a11"] / 2]),
    mutants=(Formula("η_{i,opt} = 1/(2a_ii): axis i diverges above η = 1/a_ii",
                     lambda p: axis_labels([p["eta_a11"], p["eta_a11"] * p["a22"] / p["a11"]])),
             Formula("one rate behaves alike on every axis (the stiffer axis decides)",
                     lambda p: axis_labels([max(p["eta_a11"], p["eta_a11"] * p["a22"] / p["a11"]) / 2] * 2))),
    design=tuple({"a11": a11, "a22": a22, "eta_a11": r, "data_seed": 0}
                 for a11, a22, r in ((4.0, 1.0, 3.0), (4.0, 1.0, 1.5), (1.0, 4.0, 0.8), (2.0, 2.0, 3.0))),
    figure=Figure(kind="traces", xlabel="step k", ylabel="|w_1 − w_1*| / |w_1 − w_1*|_0 (axis 1)", logy=True),
)
def one_rate_two_axes(p, ctx):
    """Gradient descent with one η on a diagonal quadratic, each axis classified."""
    quadratic = diagonal_quadratic(p)
    w0 = quadratic.minimizer + _randn(2, generator=seeded_generator(p["data_seed"]))
    ws = gradient_descent_trajectory(quadratic.grad, w0, lr=p["eta_a11"] / p["a11"], steps=AXIS_STEPS)
    errors = (ws - quadratic.minimizer).numpy()
    kinds = [classify(errors[:, i]) for i in range(2)]
    labels = [AXIS_CONVERGES if kind in CONVERGING else AXIS_DIVERGES if kind == DIVERGES
              else kind for kind in kinds]
    return Measurement(", ".join(f"axis {i + 1} {label}" for i, label in enumerate(labels)),
                       trace={"x": np.arange(20), "measured": np.abs(errors[:20, 0] / errors[0, 0])})


# =================================================================================================
# Optimizer runs shared by 5.1–6.4 (003-08, 003-09, 003-10, 003-15, 003-16)
# =================================================================================================

OPTIMIZER_PROBLEMS = ("quadratic", "least_squares", "logistic")
OPTIMIZER_STEPS = 30
OPTIMIZER_DOMAIN = {
    "problem": choices(OPTIMIZER_PROBLEMS),
    "d": integers(1, 5),
    "condition": floats(1.0, 1000.0),  # the quadratic's Hessian condition number
    "data_seed": DATA_SEED,
}
OPTIMIZER_ASSUMPTIONS = (
    "objectives: a rotated quadratic ½wᵀAw + bᵀw + c with eigenvalues geometric from 1 to the condition number, "
    "and the full-batch least squares (condition 10) and ℓ2-regularized logistic regression of theorems.catalogue.kit with "
    "32 examples; each run starts at w* + N(0, I) (seeded) and takes "
    f"{OPTIMIZER_STEPS} steps with the gradient at its own iterate, in float64",
)


def optimizer_problem(p):
    """The point's objective and start: (problem, w0)."""
    if p["problem"] == "quadratic":
        eigenvalues = torch.logspace(0, math.log10(p["condition"]), p["d"], dtype=F64)
        problem = make_quadratic(eigenvalues, seed=p["data_seed"])
    else:
        problem = finite_sum_problem({"problem": p["problem"], "N": 32, "d": p["d"], "data_seed": p["data_seed"]},
                                     torch.device("cpu"))
    return problem, evaluation_point(problem, p["data_seed"])


def forced_steps(update, init, path: torch.Tensor, grad_fn, **hyperparameters) -> torch.Tensor:
    """One step of a document's form from each iterate of ``path``, with the gradient there:
    W_{k+1} = W_k + update(∇(W_k), state_k), the form's state carried along the same gradients.

    Compared with path[1:], this checks the update rule step by step on a real trajectory without
    letting rounding differences compound (normalized methods amplify them near a minimum)."""
    state, predicted = init(path[0]), []
    for w in path[:-1]:
        updates, state = update(grad_fn(w), state, w, **hyperparameters)
        predicted.append(w + updates)
    return torch.stack(predicted)


def path_trace(path: torch.Tensor, w_star: torch.Tensor, stated_path: torch.Tensor | None = None) -> dict:
    """The figure of a trajectory claim: ‖W_k − w*‖ per step, measured (and stated) runs."""
    trace = {"x": np.arange(len(path)), "measured": (path - w_star).norm(dim=-1).numpy()}
    if stated_path is not None:
        trace["stated"] = (stated_path - w_star).norm(dim=-1).numpy()
    return trace


# =================================================================================================
# 5.1 RProp (003-08)
# =================================================================================================


def torch_rprop_run(p) -> dict[str, torch.Tensor]:
    """torch.optim.Rprop(lr=Δ_0, etas=(η⁻, η⁺), step_sizes=(floor, ceiling)) on the point's objective.

    Returns its iterates W_0 … W_T (``path``), the gradient it was fed at each W_k (``grads``, k < T)
    and its per-coordinate step sizes after each step (``sizes``, its state["step_size"]).
    """
    problem, w0 = optimizer_problem(p)
    w = torch.nn.Parameter(w0.clone())
    optimizer = torch.optim.Rprop([w], lr=rprop_initial_step(p), etas=(p["eta_minus"], p["eta_plus"]),
                                  step_sizes=(p["floor"], p["ceiling"]))
    path, grads, sizes = [w0], [], []
    for _ in range(OPTIMIZER_STEPS):
        grads.append(problem.grad(w.detach()))
        w.grad = grads[-1].clone()
        optimizer.step()
        path.append(w.detach().clone())
        sizes.append(optimizer.state[w]["step_size"].clone())
    return {"path": torch.stack(path), "grads": torch.stack(grads), "sizes": torch.stack(sizes),
            "minimizer": problem.minimizer}


def rprop_initial_step(p) -> float:
    """Δ_0, inside the floor and the ceiling."""
    return min(max(p["initial_step"], p["floor"]), p["ceiling"])


def rprop_notes_rule(p, *, on_flip: str = "revert", grow: str = "eta_plus", shrink: str = "eta_minus",
                     ceiling: bool = True) -> tuple[torch.Tensor, torch.Tensor]:
    """5.1's rules, per coordinate, fed the gradients g_k that torch.optim.Rprop saw at its iterates W_k.

    Returns (Δ_k after each step, W_k + ΔW_k the notes' next point from each W_k). The notes' words:
    the sign kept → a larger step, Δ_k = min(η⁺Δ_{k−1}, ceiling), ΔW_k = −sign(g_k)Δ_k; the sign changed →
    Δ_k = max(η⁻Δ_{k−1}, floor) and "revert to the previous step", ΔW_k = −ΔW_{k−1} (on_flip="hold":
    ΔW_k = 0, torch's iRprop⁻; "step": ΔW_k = −sign(g_k)Δ_k). Where the notes are silent, Riedmiller &
    Braun (1993): Δ_0 = lr, and the derivative is forgotten after a change of sign. ``grow``/``shrink``
    name the factor each rule applies and ``ceiling=False`` drops the ceiling (the mutants).
    """
    factor = {"eta_plus": p["eta_plus"], "eta_minus": p["eta_minus"]}
    top = p["ceiling"] if ceiling else math.inf
    size = torch.full_like(p["grads"][0], rprop_initial_step(p))
    previous_grad, previous_move = torch.zeros_like(size), torch.zeros_like(size)
    sizes, points = [], []
    for w, g in zip(p["path"][:-1], p["grads"]):
        kept, changed = g * previous_grad > 0, g * previous_grad < 0
        # Δ_k = min(η⁺Δ_{k−1}, ceiling) where the sign was kept, max(η⁻Δ_{k−1}, floor) where it changed
        size = torch.where(kept, (factor[grow] * size).clamp(max=top),
                           torch.where(changed, (factor[shrink] * size).clamp(min=p["floor"]), size))
        # ΔW_k = −sign(g_k)Δ_k, or on a change of sign −ΔW_{k−1} (revert to the previous point)
        step = -torch.sign(g) * size
        undo = {"revert": -previous_move, "hold": torch.zeros_like(size), "step": step}[on_flip]
        move = torch.where(changed, undo, step)
        previous_grad, previous_move = torch.where(changed, torch.zeros_like(g), g), move
        sizes.append(size)
        points.append(w + move)
    return torch.stack(sizes), torch.stack(points)


def rprop_notes_sizes(p, **variant) -> np.ndarray:
    """The notes' step sizes Δ_k, every step and coordinate."""
    return rprop_notes_rule(p, **variant)[0].numpy().reshape(-1)


def rprop_notes_points(p, **variant) -> np.ndarray:
    """The notes' next point W_k + ΔW_k from each of torch's iterates W_k."""
    return rprop_notes_rule(p, **variant)[1].numpy().reshape(-1)


RPROP_DOMAIN = {
    **OPTIMIZER_DOMAIN,
    "initial_step": floats(1e-3, 1.0),
    "eta_minus": floats(0.3, 0.7),
    "eta_plus": floats(1.1, 1.5),
    "ceiling": floats(0.05, 50.0),
    "floor": floats(1e-6, 1e-3),
}
RPROP_STATEMENT = ("RProp operates independently for each feature: 1. If the sign of the derivative has not changed "
                   "between steps, we increase the step size; we heuristically place a ceiling on the step size. 2. If "
                   "the sign has changed between steps, we revert to the previous step and proceed with a smaller step "
                   "size; we heuristically place a floor on the step size.")
RPROP_ASSUMPTIONS = OPTIMIZER_ASSUMPTIONS + (
    "measured: torch.optim.Rprop(lr=Δ_0, etas=(η⁻, η⁺), step_sizes=(floor, ceiling)) on the objective; stated: the "
    "notes' rules applied per coordinate to the gradients torch saw at its iterates, with Riedmiller & Braun's "
    "(1993) conventions where the notes are silent (Δ_0 = lr; the derivative is forgotten after a change of sign)",
)
RPROP_DESIGN = tuple({"problem": problem, "d": 3, "condition": 100.0, "data_seed": 0, "initial_step": 0.1,
                      "eta_minus": 0.5, "eta_plus": 1.2, "ceiling": 0.5, "floor": 1e-6}
                     for problem in OPTIMIZER_PROBLEMS)
RPROP_DEFAULTS = tuple({"problem": problem, "d": 3, "condition": 100.0, "data_seed": 0, "initial_step": 0.01,
                        "eta_minus": 0.5, "eta_plus": 1.2, "ceiling": 50.0, "floor": 1e-6}
                       for problem in OPTIMIZER_PROBLEMS)  # torch.optim.Rprop's defaults


@claim(
    id="rprop-step-sizes",
    title="RProp's step size grows while the derivative keeps its sign (up to a ceiling) and shrinks when it "
          "changes (down to a floor)",
    inventory_ids=("003-08",),
    source=Source(NOTES_003, "5.1 RProp"),
    statement=RPROP_STATEMENT,
    assumptions=RPROP_ASSUMPTIONS + (
        "compared: torch's per-coordinate step size state['step_size'] after each step with the notes' Δ_k, both "
        "fed the same gradients; float64",),
    kind="identity",
    resolution=1e-9,
    atol=1e-15,
    domain=RPROP_DOMAIN,
    stated=rprop_notes_sizes,
    mutants=(
        Formula("a change of sign keeps growing the step size (no smaller step)",
                lambda p: rprop_notes_sizes(p, shrink="eta_plus")),
        Formula("shrink while the sign is kept, grow when it changes (the rules swapped)",
                lambda p: rprop_notes_sizes(p, grow="eta_minus", shrink="eta_plus")),
        Formula("no ceiling on the step size", lambda p: rprop_notes_sizes(p, ceiling=False)),
    ),
    design=RPROP_DESIGN,
    representative=RPROP_DEFAULTS,
    figure=Figure(kind="points", x="eta_plus", xlabel="η⁺", ylabel="worst step size", series="problem"),
)
def rprop_step_sizes(p, ctx):
    """torch.optim.Rprop's step sizes after each step, with the gradients it saw for the notes' rule."""
    run = torch_rprop_run(p)
    return Measurement(run["sizes"].numpy().reshape(-1), quantities={"path": run["path"], "grads": run["grads"]})


@claim(
    id="rprop-revert-on-flip",
    title="RProp reverts to the previous point when the derivative changes sign",
    inventory_ids=("003-08",),
    source=Source(NOTES_003, "5.1 RProp"),
    statement=RPROP_STATEMENT,
    assumptions=RPROP_ASSUMPTIONS + (
        "compared: torch's iterates W_{k+1} with the notes' next point from each of torch's W_k (their own moves "
        "carried along, so one difference does not compound); 'revert to the previous step' read as undoing the "
        "previous move, ΔW_k = −ΔW_{k−1}, as the original RProp (Riedmiller & Braun 1993) backtracks",
        "torch.optim.Rprop is iRprop⁻ (Igel & Hüsken 2000): on a change of sign it shrinks the step and holds the "
        "weight (the alternative)",),
    kind="identity",
    preset=EXACT_TO_ROUNDING,
    domain=RPROP_DOMAIN,
    stated=rprop_notes_points,
    mutants=(Formula("on a change of sign, step against the new derivative with the smaller step",
                     lambda p: rprop_notes_points(p, on_flip="step")),),
    alternatives=(Formula("on a change of sign the weight stays where it is (iRprop⁻, torch.optim.Rprop)",
                          lambda p: rprop_notes_points(p, on_flip="hold"),
                          convention="the notes' revert is the original RProp's weight-backtracking (Riedmiller & "
                                     "Braun 1993); torch.optim.Rprop is the later iRprop⁻ variant, which holds the "
                                     "weight instead"),),
    design=RPROP_DESIGN,
    representative=RPROP_DEFAULTS,
    figure=Figure(kind="traces", xlabel="step k", ylabel="‖W_k − w*‖", logy=True),
)
def rprop_revert_on_flip(p, ctx):
    """torch.optim.Rprop's iterates, with the gradients it saw for the notes' rule."""
    run = torch_rprop_run(p)
    return Measurement(run["path"][1:].numpy().reshape(-1), quantities={"path": run["path"], "grads": run["grads"]},
                       trace=path_trace(run["path"][1:], run["minimizer"]))


# =================================================================================================
# 5.3 Momentum (003-09) and Nesterov's accelerated gradient (003-10)
# =================================================================================================

MOMENTUM_DOMAIN = {
    **OPTIMIZER_DOMAIN,
    "lr_fraction": floats(0.01, 1.0),  # η = lr_fraction / L
    "beta": floats(0.0, 0.99),
}


def momentum_paths(p):
    """The problem, its start, η = lr_fraction/L, and β."""
    problem, w0 = optimizer_problem(p)
    return problem, w0, p["lr_fraction"] / problem.smoothness, p["beta"]


def dampened_delta_momentum(grad, state, params=None, *, lr, beta):
    """ΔW^(k) = βΔW^(k−1) − (1 − β)η∇Loss: the running *average* form (a mutant of 003-09)."""
    return opt.delta_momentum_update((1.0 - beta) * grad, state, lr=lr, beta=beta)


def momentum_notes_path(p, *, update=opt.delta_momentum_update, lr_factor: float = 1.0) -> np.ndarray:
    """W^(0) … W^(K) of 5.3's ΔW^(k) = βΔW^(k−1) − η∇Loss(W^(k−1)), W^(k) = W^(k−1) + ΔW^(k), ΔW^(0) = 0, run
    from the measurement's start ``w0`` on its objective ``grad_fn`` (``update``/``lr_factor``: the mutants)."""
    return form_path(opt.delta_momentum_init, update, p["grad_fn"], p["w0"], steps=OPTIMIZER_STEPS,
                     lr=lr_factor * p["lr"], beta=p["beta"]).numpy().reshape(-1)


def nesterov_notes_run(p, extension: float) -> tuple[torch.Tensor, torch.Tensor]:
    """5.3's Nesterov form with the gradient at W^(k−1) + extension·ΔW^(k−1), from the measurement's ``w0`` on its
    ``grad_fn``: (W^(k), and the look-ahead points W^(k) + βΔW^(k)) per step."""
    w, state = p["w0"], opt.delta_momentum_init(p["w0"])
    weights, points = [w], [w]
    for _ in range(OPTIMIZER_STEPS):
        delta, state = opt.delta_momentum_update(p["grad_fn"](w + extension * state.delta), state, lr=p["lr"], beta=p["beta"])
        w = w + delta
        weights.append(w)
        points.append(opt.nesterov_lookahead(w, state, beta=p["beta"]))
    return torch.stack(weights), torch.stack(points)


def nesterov_notes_points(p, extension: float | None = None, *, weights: bool = False) -> np.ndarray:
    """The look-ahead points (or, ``weights=True``, the W^(k)) of the notes' form; by default it extends by β."""
    run = nesterov_notes_run(p, p["beta"] if extension is None else extension)
    return run[0 if weights else 1].numpy().reshape(-1)


def momentum_representative(beta: float = 0.9) -> tuple[dict, ...]:
    """The notes' "β, often 0.9" with torch.optim.SGD(momentum=β), η = 0.1/L, on each objective."""
    return tuple({"problem": problem, "d": 3, "condition": 100.0, "data_seed": 0, "lr_fraction": 0.1, "beta": beta}
                 for problem in OPTIMIZER_PROBLEMS)


@claim(
    id="momentum-as-written",
    title="Momentum ΔW^(k) = βΔW^(k−1) − η∇Loss(W^(k−1)) is torch.optim.SGD with momentum β",
    inventory_ids=("003-09",),
    source=Source(NOTES_003, "5.3 Momentum methods"),
    statement=("ΔW^(k) = βΔW^(k−1) − η∇_W Loss(W^(k−1))ᵀ, W^(k) = W^(k−1) + ΔW^(k); the momentum factor β, often "
               "0.9."),
    assumptions=OPTIMIZER_ASSUMPTIONS + (
        "η = lr_fraction/L with L the objective's smoothness; ΔW^(0) = 0; measured: torch.optim.SGD(lr=η, "
        "momentum=β) (torch's buffer b_k = βb_{k−1} + g_k is −ΔW^(k)/η)",),
    kind="identity",
    preset=EXACT_TO_ROUNDING,
    domain=MOMENTUM_DOMAIN,
    stated=momentum_notes_path,
    mutants=(Formula("ΔW^(k) = βΔW^(k−1) − (1 − β)η∇Loss (a running average)",
                     lambda p: momentum_notes_path(p, update=dampened_delta_momentum)),
             Formula("ΔW^(k) = β(ΔW^(k−1) − η∇Loss)", lambda p: momentum_notes_path(p, lr_factor=p["beta"]))),
    design=tuple({"problem": problem, "d": 3, "condition": 100.0, "data_seed": 0, "lr_fraction": 0.5, "beta": 0.9}
                 for problem in OPTIMIZER_PROBLEMS),
    representative=momentum_representative(),
    figure=Figure(kind="traces", xlabel="step k", ylabel="‖W^(k) − w*‖", logy=True),
)
def momentum_as_written(p, ctx):
    """torch.optim.SGD(lr=η, momentum=β)'s iterates, with its objective, start and η for the notes' form."""
    problem, w0, lr, beta = momentum_paths(p)
    measured = torch_trajectory(lambda ps, hp: torch.optim.SGD(ps, lr=hp["lr"], momentum=hp["beta"]), problem.grad,
                                w0, steps=OPTIMIZER_STEPS, hyperparameters={"lr": lr, "beta": beta})
    return Measurement(measured.numpy().reshape(-1), quantities={"grad_fn": problem.grad, "w0": w0, "lr": lr},
                       trace=path_trace(measured, problem.minimizer))


MOMENTUM_FAMILIES = ("quadratic", "log-cosh")
LONGER, SHORTER = "longer steps", "shorter steps"
GAIN_STEPS = 100


def step_gains(p) -> tuple[np.ndarray, np.ndarray]:
    """Momentum on a separable 2-d objective, E = Σ_i λ_i φ(w_i) with φ = ½w² or log cosh w, η = 1.

    Axis 1 has ηλ_1 = ``steady`` (small: its derivative keeps its sign), axis 2 has ηλ_2 in
    [1.5, 1.9(1 + β)] (its derivative flips sign on about half the steps or more, yet the run stays
    stable). Returns, per axis, the gain Σ_k |ΔW_i^(k)| / Σ_k η|∂_i Loss(W^(k−1))| (the momentum
    steps' length against plain gradient steps taken from the same points) and the fraction of
    steps on which ∂_i Loss flipped sign; steps after |∂_i Loss| falls below 1e-9 of its start are
    not counted.
    """
    beta = p["beta"]
    oscillating = 1.5 + p["oscillating"] * (1.9 * (1 + beta) - 1.5)
    lam = torch.tensor([p["steady"], oscillating], dtype=F64)
    generator = seeded_generator(p["data_seed"])
    w0 = (2 * torch.rand(2, generator=generator, dtype=F64) - 1) * torch.tensor([3.0, 0.5], dtype=F64)
    if p["family"] == "quadratic":
        def grad_fn(w):
            return lam * w
    else:
        def grad_fn(w):
            return lam * torch.tanh(w)  # d/dw log cosh w = tanh w
    w, state, grad_history, step_history = w0, opt.delta_momentum_init(w0), [], []
    for _ in range(GAIN_STEPS):
        g = grad_fn(w)
        delta, state = opt.delta_momentum_update(g, state, lr=1.0, beta=beta)
        grad_history.append(g)
        step_history.append(delta)
        w = w + delta
    grads, steps = torch.stack(grad_history).numpy(), torch.stack(step_history).numpy()
    resolved = np.abs(grads) > 1e-9 * np.abs(grads[:1])
    counted = np.cumprod(resolved, axis=0).astype(bool)  # until the derivative reaches rounding level
    gains = (np.abs(steps) * counted).sum(0) / (np.abs(grads) * counted).sum(0)
    flips = np.sign(grads[1:]) != np.sign(grads[:-1])
    flip_fraction = (flips * counted[1:]).sum(0) / np.maximum(counted[1:].sum(0), 1)
    return gains, flip_fraction


def gain_labels(longer_1: bool, longer_2: bool) -> str:
    return f"steady axis: {LONGER if longer_1 else SHORTER}; oscillating axis: {LONGER if longer_2 else SHORTER}"


@claim(
    id="momentum-steady-vs-oscillating",
    title="Momentum lengthens steps where the derivative keeps its sign and shortens them where it oscillates",
    inventory_ids=("003-09",),
    source=Source(NOTES_003, "5.3 Momentum methods / 6.4.1 Momentum methods"),
    statement=("In directions where there is smooth convergence, the running average is a large value. In "
               "directions where there are oscillations, the frequent sign changes would cancel themselves out in the "
               "running average, thus reducing ΔW, the step size (5.3); step sizes get longer in dimensions where the "
               "gradient retains the same sign, and shorter in dimensions where the gradient oscillates (6.4.1)."),
    assumptions=(
        "precise form: momentum ΔW^(k) = βΔW^(k−1) − η∇Loss(W^(k−1)) (η = 1) on a separable 2-d objective "
        "Σ_i λ_i φ(w_i), φ = ½w² (quadratic) or log cosh w (a non-quadratic valley), from a seeded start with "
        "|w_1| ≤ 3, |w_2| ≤ 0.5",
        "the steady axis has ηλ_1 ∈ [1e-4, 0.05], where the derivative keeps its sign for tens of steps; the "
        "oscillating axis has ηλ_2 ∈ [1.5, 1.9(1 + β)], where it flips sign on ≥ 40 % of the steps (the flip "
        "fractions are reported)",
        f"an axis' steps are longer when Σ_k |ΔW_i^(k)| > Σ_k η|∂_i Loss(W^(k−1))| over {GAIN_STEPS} steps (the plain "
        "gradient steps from the same points), shorter when <; steps after the derivative reaches 1e-9 of its "
        "start are not counted",
    ),
    preset=BEHAVIOUR,
    domain={
        "family": choices(MOMENTUM_FAMILIES),
        "beta": floats(0.3, 0.99),
        "steady": floats(1e-4, 0.05),  # ηλ_1
        "oscillating": floats(0.0, 1.0),  # ηλ_2 = 1.5 + oscillating·(1.9(1 + β) − 1.5)
        "data_seed": DATA_SEED,
    },
    stated=lambda p: gain_labels(True, False),
    mutants=(Formula("momentum shortens the steps on every axis (it only damps)", lambda p: gain_labels(False, False)),
             Formula("momentum lengthens the steps on every axis, by up to 1/(1 − β)", lambda p: gain_labels(True, True))),
    design=tuple({"family": family, "beta": 0.9, "steady": 0.01, "oscillating": 0.5, "data_seed": 0}
                 for family in MOMENTUM_FAMILIES),
    figure=Figure(kind="points", x="beta", xlabel="β", ylabel="steps' length against plain gradient steps",
                  series="family"),
)
def momentum_steady_vs_oscillating(p, ctx):
    """Momentum's step gain on a steady and on an oscillating axis."""
    gains, flips = step_gains(p)
    return Measurement(gain_labels(gains[0] > 1, gains[1] > 1),
                       quantities={"gain_steady": float(gains[0]), "gain_oscillating": float(gains[1]),
                                   "flip_fraction_steady": float(flips[0]), "flip_fraction_oscillating": float(flips[1])})


@claim(
    id="nesterov-lookahead",
    title="Nesterov's accelerated gradient extends the previous step, then takes the gradient step there",
    inventory_ids=("003-10",),
    source=Source(NOTES_003, "5.3 Momentum methods"),
    statement=("Nesterov's Accelerated Gradient operates by first extending the previous step, then adds the "
               "gradient step at the resultant position, in that order."),
    assumptions=OPTIMIZER_ASSUMPTIONS + (
        "the notes' form: ΔW^(k) = βΔW^(k−1) − η∇Loss(W^(k−1) + βΔW^(k−1)), W^(k) = W^(k−1) + ΔW^(k) "
        "(Sutskever et al. 2013), η = lr_fraction/L",
        "measured: torch.optim.SGD(lr=η, momentum=β, nesterov=True), which keeps the look-ahead point "
        "θ_k = W^(k) + βΔW^(k) as its parameters and takes the gradient there: the notes' look-ahead points are "
        "compared with torch's parameters",
    ),
    kind="identity",
    preset=EXACT_TO_ROUNDING,
    domain={**MOMENTUM_DOMAIN, "beta": floats(0.01, 0.99)},
    stated=nesterov_notes_points,
    mutants=(Formula("the gradient taken at W^(k−1), before extending (classical momentum)",
                     lambda p: nesterov_notes_points(p, extension=0.0)),
             Formula("the previous step extended in full, ∇Loss(W^(k−1) + ΔW^(k−1))",
                     lambda p: nesterov_notes_points(p, extension=1.0))),
    alternatives=(Formula("torch's parameters are the notes' W^(k) themselves",
                          lambda p: nesterov_notes_points(p, weights=True)),),
    design=tuple({"problem": problem, "d": 3, "condition": 100.0, "data_seed": 0, "lr_fraction": 0.5, "beta": 0.9}
                 for problem in OPTIMIZER_PROBLEMS),
    representative=momentum_representative(),
    figure=Figure(kind="traces", xlabel="step k", ylabel="‖θ_k − w*‖ (look-ahead points)", logy=True),
)
def nesterov_lookahead_check(p, ctx):
    """torch.optim.SGD(nesterov=True)'s parameters, with its objective, start and η for the notes' look-ahead points."""
    problem, w0, lr, beta = momentum_paths(p)
    measured = torch_trajectory(lambda ps, hp: torch.optim.SGD(ps, nesterov=True, **hp), problem.grad, w0,
                                steps=OPTIMIZER_STEPS, hyperparameters={"lr": lr, "momentum": beta})
    return Measurement(measured.numpy().reshape(-1), quantities={"grad_fn": problem.grad, "w0": w0, "lr": lr},
                       trace=path_trace(measured, problem.minimizer))


# =================================================================================================
# 6.1 SGD's step sizes (003-11)
# =================================================================================================

SCHEDULES = {  # name -> (kind, power or γ)
    "constant": ("power", 0.0), "η₀/(1+t)^¼": ("power", 0.25), "η₀/√(1+t)": ("power", 0.5),
    "η₀/(1+t)^¾": ("power", 0.75), "η₀/(1+t)": ("power", 1.0), "η₀/(1+t)^1.5": ("power", 1.5),
    "η₀/(1+t)²": ("power", 2.0), "η₀·0.9ᵗ": ("geometric", 0.9), "η₀·0.99ᵗ": ("geometric", 0.99),
}
SGD_FAMILIES = ("noisy quadratic", "least squares")
SGD_STEPS = 10_000
CONVERGES, STALLS = "converges", "does not converge"
SLOPE_THRESHOLD = -0.1  # log10 decrease of E(w_t − w*)² over the last decade of steps that counts as converging


def make_schedule(name: str, eta0: float):
    kind, value = SCHEDULES[name]
    return PowerDecay(eta0, tau=1.0, power=value) if kind == "power" else exponential(eta0, gamma=value)


def sgd_mean_square_error(p) -> np.ndarray:
    """E(w_t − w*)² for t = 0 … SGD_STEPS, exactly (implementations.sgd_moments).

    noisy quadratic: ½(w − w*)² (λ = 1) with gradient noise of variance σ² = ``noise``;
    least squares: 1-d least squares over 16 seeded examples, |x_i| ∈ [0.9, 1.1], y_i = x_i + noise·ε_i,
    one example drawn uniformly per step. η₀ = eta0_curvature / λ (λ = mean x_i² for least squares).
    """
    generator = seeded_generator(p["data_seed"])
    e0 = 1.0 + 2.0 * float(torch.rand(1, generator=generator, dtype=F64))
    t = np.arange(SGD_STEPS)
    if p["family"] == "noisy quadratic":
        etas = make_schedule(p["schedule"], p["eta0_curvature"])(t)
        coefficients = noisy_quadratic_coefficients(etas, lam=1.0, sigma2=p["noise"] ** 2)
    else:
        sign = torch.where(torch.rand(16, generator=generator, dtype=F64) < 0.5, -1.0, 1.0)
        x = sign * (0.9 + 0.2 * torch.rand(16, generator=generator, dtype=F64))
        y = x + p["noise"] * _randn(16, generator=generator)
        etas = make_schedule(p["schedule"], p["eta0_curvature"] / float(x.square().mean()))(t)
        coefficients = least_squares_coefficients(etas, x=x.numpy(), y=y.numpy())
    return error_moments(coefficients, e0=e0).second


def convergence_label(mean_square: np.ndarray) -> str:
    """converges: E(w_t − w*)² still falls by a factor 10^0.1 (26 %) or more over the last decade of steps
    (t from T/10 to T) and ends below its start; otherwise it has levelled off above 0."""
    slope = math.log10(mean_square[-1] / mean_square[len(mean_square) // 10])
    return CONVERGES if slope <= SLOPE_THRESHOLD and mean_square[-1] < mean_square[0] else STALLS


def schedule_verdict(p, *, sum_infinite: bool, squares_finite: bool) -> str:
    """'converges' when the schedule meets the conditions asked for (from its closed-form sums)."""
    conditions = robbins_monro(make_schedule(p["schedule"], 1.0))
    holds = (conditions.steps_sum_diverges or not sum_infinite) and (conditions.squares_sum_converges or not squares_finite)
    return CONVERGES if holds else STALLS


@claim(
    id="sgd-step-size-conditions",
    title="SGD needs step sizes whose sum is infinite and whose sum of squares is finite",
    inventory_ids=("003-11",),
    source=Source(NOTES_003, "6.1 Update the function with each training point (SGD)"),
    statement=("Specifically, the sum of the step sizes must be infinite in the limit to allow the entire parameter "
               "space to be searched. To account for the constraint that the steps must shrink, we indicate that the "
               "sum of squared step sizes must be finite in the limit. This gives us Stochastic Gradient Descent."),
    assumptions=(
        "read as written: each condition is needed ('must'), and together they give a converging SGD; so SGD "
        "converges exactly for schedules with Σ_t η_t = ∞ and Σ_t η_t² < ∞ (decided from the closed-form sums of "
        "implementations.schedules)",
        "two problem families with gradient noise that does not vanish at the optimum: ½(w − w*)² with additive "
        "gradient noise, and 1-d least squares with one sampled example per step; E(w_t − w*)² is computed exactly "
        f"for t ≤ {SGD_STEPS} (implementations.sgd_moments), not by Monte Carlo",
        f"'converges' means E(w_t − w*)² still falls by 26 % or more over the last decade of steps, t = {SGD_STEPS // 10} "
        f"to {SGD_STEPS} (a log-log slope ≤ −0.1): the converging schedules here fall at slopes ≤ −0.2 (η₀λ ≥ 0.1), "
        "the others have levelled off by then (slopes ≥ −0.04); schedules whose limit shows only later (γ close to 1, "
        "powers just above 1) are left out of the domain",
    ),
    preset=BEHAVIOUR,
    domain={
        "family": choices(SGD_FAMILIES),
        "schedule": choices(list(SCHEDULES)),
        "eta0_curvature": floats(0.1, 1.0),  # η₀λ
        "noise": floats(0.1, 2.0),
        "data_seed": DATA_SEED,
    },
    stated=lambda p: schedule_verdict(p, sum_infinite=True, squares_finite=True),
    mutants=(Formula("SGD converges whenever Σ η_t = ∞ (the steps need not shrink)",
                     lambda p: schedule_verdict(p, sum_infinite=True, squares_finite=False)),
             Formula("SGD converges whenever Σ η_t² < ∞ (the steps may sum to a finite distance)",
                     lambda p: schedule_verdict(p, sum_infinite=False, squares_finite=True))),
    alternatives=(Formula("SGD converges when Σ η_t = ∞ and η_t → 0",
                          lambda p: CONVERGES if SCHEDULES[p["schedule"]][0] == "power"
                          and 0 < SCHEDULES[p["schedule"]][1] <= 1 else STALLS),),
    design=tuple({"family": "noisy quadratic", "schedule": name, "eta0_curvature": 0.5, "noise": 1.0, "data_seed": 0}
                 for name in ("η₀/(1+t)", "constant", "η₀/(1+t)²", "η₀/√(1+t)", "η₀·0.99ᵗ", "η₀/(1+t)^¼")),
    figure=Figure(kind="traces", xlabel="step t", ylabel="E(w_t − w*)²", logx=True, logy=True),
)
def sgd_step_size_conditions(p, ctx):
    """SGD's exact mean-square error under the schedule, classified as converging or not."""
    mean_square = sgd_mean_square_error(p)
    keep = log_spaced_integers(1, len(mean_square) - 1, 60)  # steps t ≥ 1
    return Measurement(convergence_label(mean_square), quantities={"final": float(mean_square[-1])},
                       trace={"x": keep, "measured": mean_square[keep]})


# =================================================================================================
# 6.2 SGD against batch gradient descent (003-14)
# =================================================================================================

RUNS = 8  # runs per method: seeded starts (and, for SGD, seeded permutations)
START = 3.0  # runs start at w* + START·N(0, I), far from the optimum as training from scratch does
CHECKPOINTS = 8  # loss evaluations per SGD epoch
# "converges faster" leaves open to what loss: the readings take a coarse and a fine one (the mean loss gap at
# this fraction of its start), and the verdict says which holds
CONVERGENCE_LEVELS = (
    Reading("to a coarse loss", "faster to a mean loss gap 1/10 of the start's: early progress per unit of work",
            {"progress": 1e-1}),
    Reading("to a fine loss", "faster to a mean loss gap 1/1000 of the start's: convergence to high precision",
            {"progress": 1e-3}),
)
GD_STEPS = 5000  # batch GD runs until its loss stops changing, at most this many steps
SGD_STEP_GRID = (1.0, 0.5, 0.25)  # SGD's η₀ = s/max_i L_i for each s: the fastest is compared, as GD gets η = 1/L


def sgd_and_gd_runs(p) -> dict[str, np.ndarray | float]:
    """Batch GD (η = 1/L) until it has converged, and the notes' SGD for ``p["epochs"]`` epochs (N example
    gradients each, one GD step's work),
    RUNS runs each from the same seeded starts w* + START·N(0, I); loss gaps F(w) − F(w*) per run.

    SGD (6.1): one example per update, a fresh random permutation per epoch, and a shrinking step whose sum
    is infinite and whose sum of squares is finite, η_t = η₀/(1 + t/N) (t counts updates: the step halves
    after the first epoch) with η₀ = c/max_i L_i."""
    problem = finite_sum_problem(p, torch.device("cpu"))
    generator = seeded_generator(p["data_seed"] + 1)
    w0 = problem.minimizer + START * _randn(RUNS, problem.d, generator=generator)
    optimum = problem.loss(problem.minimizer)
    norms = problem.X.square().sum(1)
    example_smoothness = norms / 4 + problem.l2 if isinstance(problem, LogisticRegression) else norms

    w, gd = w0, [problem.loss(w0) - optimum]
    for _ in range(GD_STEPS):  # to where GD ends: its minimum, however many epochs SGD gets
        w = w - problem.grad(w) / problem.smoothness
        gd.append(problem.loss(w) - optimum)
        if len(gd) > p["epochs"] and torch.equal(gd[-1], gd[-2]):
            break

    gd_gaps = torch.stack(gd).numpy()
    level = p["progress"] * float(gd_gaps[0].mean())
    tuned = []  # SGD tuned as GD is (η = 1/L is GD's best constant step): the fastest of the grid of η₀
    for scale in SGD_STEP_GRID:
        sgd, times = _notes_sgd(problem, w0, optimum, scale / float(example_smoothness.max()), p["epochs"],
                                seeded_generator(p["data_seed"] + 2))  # the same permutations for every η₀
        tuned.append((epochs_to_reach(sgd, times, level), float(sgd[-1].mean()), scale, sgd, times))
    _, _, scale, sgd, times = min(tuned, key=lambda run: run[:3])
    return {"gd": gd_gaps, "sgd": sgd, "sgd_epochs": times, "sgd_step_scale": scale}


def _notes_sgd(problem, w0: torch.Tensor, optimum, eta0: float, epochs: int, generator) -> tuple[np.ndarray, np.ndarray]:
    """The notes' SGD (6.1) from w0 for ``epochs`` epochs: loss gaps per run at CHECKPOINTS per epoch."""
    n = problem.n
    schedule = PowerDecay(eta0, tau=n, power=1.0)  # η_t = η₀/(1 + t/N)
    w, sgd, times = w0, [problem.loss(w0) - optimum], [0.0]
    for epoch in range(epochs):
        order = torch.rand(RUNS, n, generator=generator, dtype=F64).argsort(dim=1)  # one permutation per run
        for k in range(n):
            w = w - float(schedule(epoch * n + k)) * single_example_grad(problem, w, order[:, k])
            if (k + 1) % max(n // CHECKPOINTS, 1) == 0 or k == n - 1:
                sgd.append(problem.loss(w) - optimum)
                times.append(epoch + (k + 1) / n)
    return torch.stack(sgd).numpy(), np.array(times)


def single_example_grad(problem, w: torch.Tensor, i: torch.Tensor) -> torch.Tensor:
    """∇f_{i_r}(w_r) for each run r (w: (R, d), i: (R,))."""
    x, y = problem.X[i], problem.y[i]
    if hasattr(problem, "l2"):  # logistic: −y σ(−y xᵀw) x + λw
        return (-y * torch.sigmoid(-y * (x * w).sum(1))).unsqueeze(1) * x + problem.l2 * w
    return ((x * w).sum(1) - y).unsqueeze(1) * x  # least squares: (xᵀw − y) x


def epochs_to_reach(gaps: np.ndarray, epochs: np.ndarray, level: float) -> float:
    """The first time (in epochs) the mean loss gap over runs is at or below ``level``."""
    reached = np.flatnonzero(gaps.mean(axis=1) <= level)
    return float(epochs[reached[0]]) if reached.size else math.inf


def sgd_vs_gd_label(runs) -> tuple[str, dict[str, float]]:
    """faster: within the same epochs (equal work), SGD's mean loss gap over runs falls to p["progress"] of
    the start's in fewer epochs than GD's (if neither gets there, SGD's gap at the end is smaller);
    poorer minimum: SGD's final mean gap exceeds the gap GD converges to; more variable: the
    final loss's standard deviation over runs is larger for SGD. Both runs start from the same points."""
    gd, sgd, sgd_epochs = runs["gd"], runs["sgd"], runs["sgd_epochs"]
    level = runs["progress"] * float(gd[0].mean())
    horizon = int(round(sgd_epochs[-1]))  # speed is compared at equal work: GD's first `horizon` steps
    gd_time = epochs_to_reach(gd[: horizon + 1], np.arange(horizon + 1, dtype=float), level)
    sgd_time = epochs_to_reach(sgd, sgd_epochs, level)
    if math.isinf(gd_time) and math.isinf(sgd_time):  # neither got there: the one further along is faster
        faster = float(sgd[-1].mean()) < float(gd[horizon].mean())
    else:
        faster = sgd_time < gd_time
    numbers = {"level": level, "gd_epochs_to_level": gd_time, "sgd_epochs_to_level": sgd_time,
               "sgd_step_scale": runs.get("sgd_step_scale", 1.0),
               "speedup": gd_time / sgd_time if sgd_time > 0 else math.nan,
               "gd_final_gap": float(gd[-1].mean()), "sgd_final_gap": float(sgd[-1].mean()),
               "gd_final_spread": float(gd[-1].std()), "sgd_final_spread": float(sgd[-1].std())}
    return comparison_label(faster, numbers["sgd_final_gap"] > numbers["gd_final_gap"],
                            numbers["sgd_final_spread"] > numbers["gd_final_spread"]), numbers


def comparison_label(faster: bool, poorer: bool, more_variable: bool) -> str:
    return (f"SGD {'faster' if faster else 'not faster'}, {'to a poorer minimum' if poorer else 'to as good a minimum'}, "
            f"{'more' if more_variable else 'no more'} variable between runs")


@claim(
    id="sgd-vs-batch-gd",
    search_factor=COSTLY,
    title="SGD converges faster than batch gradient descent, to a poorer minimum, with more variation between runs",
    inventory_ids=("003-14",),
    source=Source(NOTES_003, "6.2 Variance problems with SGD"),
    statement=("While SGD is seen to converge one or two orders of magnitude quicker than batch gradient descent, it "
               "does so to a poorer minimum and more importantly, with a significantly larger variation between runs."),
    assumptions=(
        "precise form, on the least squares (condition 10) and ℓ2-regularized logistic regression of theorems.catalogue.kit "
        f"with N examples: {RUNS} runs of each method from the same seeded starts w* + 3·N(0, I); SGD for a number "
        "of epochs (an epoch is N example gradients, one batch GD step's work), batch GD with η = 1/L until it has "
        f"converged (its loss stops changing, at most {GD_STEPS} steps); SGD as the notes "
        "define it in 6.1: one example per update, a fresh random permutation each epoch, and a shrinking step with "
        "Σ η_t = ∞ and Σ η_t² < ∞, η_t = η₀/(1 + t/N) with η₀ = s/max_i L_i (L_i the smoothness of example "
        "i), tuned as GD's η = 1/L is: the fastest of s ∈ {1, 1/2, 1/4} is compared",
        "faster: within the same epochs (equal work), SGD's mean loss gap over runs falls to the reading's "
        "fraction of the start's in fewer epochs than GD's (if neither gets there, SGD's gap at the end is the "
        "smaller); poorer "
        "minimum: SGD's mean gap at the end of its epochs is larger than the gap GD converges to (a minimum is "
        "where a method ends, so GD is not cut off before it gets there); more variation: the final loss's "
        "standard deviation over runs is larger than GD's at its end",
        "'one or two orders of magnitude' is not judged: the speed-up (GD's epochs over SGD's) is reported with each "
        "point",
    ),
    preset=BEHAVIOUR,
    domain={
        "problem": choices(PROBLEMS),
        "N": integers(100, 200),
        "d": integers(2, 8),
        "epochs": integers(5, 60),
        "data_seed": DATA_SEED,
    },
    readings=CONVERGENCE_LEVELS,
    stated=lambda p: comparison_label(True, True, True),
    mutants=(Formula("SGD is faster and reaches as good a minimum", lambda p: comparison_label(True, False, True)),
             Formula("SGD is slower than batch gradient descent", lambda p: comparison_label(False, True, True))),
    design=tuple({"problem": problem, "N": 100, "d": 5, "epochs": epochs, "data_seed": 0}
                 for epochs in (60, 10) for problem in PROBLEMS) + (
        # where the targeted search (seed 1) found SGD slower than GD to a fine loss (26.7 epochs against 23):
        # a rare region, kept as a design point so that every run measures it
        {"problem": "logistic", "N": 101, "d": 8, "epochs": 52, "data_seed": 1},),
    figure=Figure(kind="points", x="epochs", xlabel="epochs of each method", ylabel="comparison", series="problem"),
)
def sgd_vs_batch_gd(p, ctx):
    """Batch GD and SGD runs on the same problem, compared in speed, final loss and spread."""
    label, numbers = sgd_vs_gd_label({**sgd_and_gd_runs(p), "progress": p["progress"]})
    return Measurement(label, quantities=numbers)


# =================================================================================================
# 6.2 The empirical risk (003-12) and 6.3 the minibatch loss (003-13)
# =================================================================================================

POOL = 512  # the data distribution: uniform over this many examples of a theorems.catalogue.kit problem
RISK_ASSUMPTIONS = (
    f"the data distribution is uniform over {POOL} examples of a theorems.catalogue.kit problem (least squares or logistic "
    "regression); W is fixed away from the minimizer (kit.evaluation_point); div is the example's loss",
    "E[div] and Var(Div) are the distribution's exact mean and variance; the Monte Carlo runs over training sets "
    "drawn i.i.d. from it",
)


def pool_point(p, size: int, sampling: str = "iid") -> dict:
    """The point as theorems.catalogue.kit's sampler reads it: ``size`` examples drawn from the pool."""
    return {"estimate": "loss", "sampling": sampling, "problem": p["problem"], "N": POOL, "d": p["d"], "B": size,
            "data_seed": p["data_seed"]}


def squared_deviation(draw, centre: float):
    return lambda n: (draw(n).double() - centre).square()


def empirical_risk_unbiased(p, ctx):
    """Mean over i.i.d. training sets of Loss(W) = (1/N) Σ_i div_i."""
    point = pool_point(p, p["N"])
    draw, quantities = sampled_estimate_sampler(point, ctx)
    return ctx.mean(draw, bytes_per_replicate=minibatch_bytes(point), quantities=quantities)


def empirical_risk_variance(p, ctx):
    """Mean over i.i.d. training sets of (Loss(W) − E[div])²."""
    point = pool_point(p, p["N"])
    draw, quantities = sampled_estimate_sampler(point, ctx)
    return ctx.mean(squared_deviation(draw, quantities["full"]), bytes_per_replicate=minibatch_bytes(point),
                    quantities=quantities)


RISK_DOMAIN = {
    "problem": choices(PROBLEMS),
    "d": integers(1, 8),
    "N": integers(1, 64),
    "data_seed": DATA_SEED,
}
RISK_DESIGN = tuple({"problem": "logistic", "d": 5, "N": n, "data_seed": 0} for n in (1, 16, 64, 4))

claim(
    id="empirical-risk-unbiased",
    title="The empirical risk is an unbiased estimate of the expected divergence",
    inventory_ids=("003-12",),
    source=Source(NOTES_003, "6.2 Variance problems with SGD"),
    statement=("Loss(W) = (1/N) Σ_{i=1}^N div(f(x_i; W), d_i), where the loss (empirical risk) is an unbiased "
               "estimator of the expected divergence: E[Loss(W)] = E[div(f(X; W), g(X))]; under SGD the sample error "
               "(N = 1) remains an unbiased estimate."),
    assumptions=RISK_ASSUMPTIONS,
    kind="stochastic",
    domain=RISK_DOMAIN,
    stated=lambda p: full_value(pool_point(p, p["N"])),  # E[div] = (1/POOL) Σ_x div(x), the pool being D
    mutants=(Formula("E[Loss] = the divergence at the mean example (x̄, ȳ)", lambda p: p["at_mean_example"]),
             Formula("E[Loss] = N·E[div] (a sum, not a mean)", lambda p: p["N"] * full_value(pool_point(p, p["N"])))),
    resolution=0.05,
    scale=lambda p: p["spread"],
    design=RISK_DESIGN,
    figure=Figure(kind="points", x="N", xlabel="training set size N", ylabel="E[Loss(W)]", logx=True, series="problem"),
)(empirical_risk_unbiased)

claim(
    id="empirical-risk-variance",
    search_factor=COSTLY,
    title="The empirical risk over N i.i.d. examples has variance Var(Div)/N",
    inventory_ids=("003-12",),
    source=Source(NOTES_003, "6.2 Variance problems with SGD"),
    statement=("Var(Loss) = (1/N) Var(Div); the variance of the divergence under SGD updates over N i.i.d. training "
               "points is N times that of the empirical average minimized under batch update."),
    assumptions=RISK_ASSUMPTIONS,
    kind="stochastic",
    domain=RISK_DOMAIN,
    stated=lambda p: p["spread"] ** 2 / p["N"],
    mutants=(Formula("Var(Loss) = Var(Div)/N²", lambda p: p["spread"] ** 2 / p["N"] ** 2),
             Formula("Var(Loss) = Var(Div)/√N", lambda p: p["spread"] ** 2 / math.sqrt(p["N"]))),
    resolution=0.05,
    design=RISK_DESIGN,
    figure=Figure(kind="points", x="N", xlabel="training set size N", ylabel="Var(Loss)", logx=True, logy=True,
                  series="problem"),
)(empirical_risk_variance)


MINIBATCH_READINGS = (
    Reading("over the data distribution", "Var(Div) and E[div] are the data distribution's; the training set is "
            "itself an i.i.d. sample of N examples (as in 6.2), and Var(Loss) runs over training sets and minibatches",
            {"population": "distribution"}),
    Reading("within the training set", "the training set is fixed: Var(Div) and E[div] are its own (the population "
            "variance of its N examples), and Var(Loss) runs over the minibatches of its random permutations",
            {"population": "training set"}),
)


def population_point(p) -> dict:
    """The point as theorems.catalogue.kit's sampler reads the reading's population: the seeded training set of
    N examples, b of them per minibatch ("training set"), or the pool that training sets are drawn from
    ("distribution")."""
    if p["population"] == "training set":
        return pool_point(p, p["b"], sampling="subset") | {"N": p["N"]}
    return pool_point(p, p["N"])


def minibatch_sampler(p, ctx):
    """The loss of a minibatch of b examples from a randomly permuted training set of N.

    "distribution": the training set is drawn i.i.d. from the pool afresh for every replicate, then b
    of its positions are taken (a random b-subset: a minibatch of a random permutation); quantities
    are the pool's. "training set": one seeded training set of N examples (theorems.catalogue.kit's problem of
    size N), a random b-subset of it per replicate; quantities are the training set's.
    """
    point = population_point(p)
    if p["population"] == "training set":
        draw, quantities = sampled_estimate_sampler(point, ctx)
        return draw, quantities, minibatch_bytes(point)
    _, quantities = sampled_estimate_sampler(point, ctx)
    problem = finite_sum_problem(point, ctx.device)
    values = problem.example_losses(evaluation_point(problem, p["data_seed"])).to(ctx.dtype)

    def draw(n):
        training_sets = sample_indices(n, N=POOL, B=p["N"], sampling="iid", ctx=ctx)  # (n, N) pool indices
        positions = sample_indices(n, N=p["N"], B=p["b"], sampling="subset", ctx=ctx)  # (n, b) positions
        return values[training_sets.gather(1, positions.long())].mean(dim=1)

    return draw, quantities, 8 * (3 * p["N"] + 2 * p["b"])


def minibatch_loss_unbiased(p, ctx):
    """Mean of the minibatch loss over replicates."""
    draw, quantities, size = minibatch_sampler(p, ctx)
    return ctx.mean(draw, bytes_per_replicate=size, quantities=quantities)


def minibatch_loss_variance(p, ctx):
    """Mean of (MinibatchLoss − E[div])² over replicates."""
    draw, quantities, size = minibatch_sampler(p, ctx)
    return ctx.mean(squared_deviation(draw, quantities["full"]), bytes_per_replicate=size, quantities=quantities)


MINIBATCH_DOMAIN = {
    "problem": choices(PROBLEMS),
    "d": integers(1, 8),
    "N": integers(2, 16),
    "b": integers(1, 16),
    "data_seed": DATA_SEED,
}
MINIBATCH_DESIGN = tuple({"problem": "least_squares", "d": 5, "N": 16, "b": b, "data_seed": 0}
                         for b in (8, 2, 16, 1, 4))
MINIBATCH_ASSUMPTIONS = RISK_ASSUMPTIONS[:1] + ("a minibatch is b consecutive examples of a random permutation of "
                                                "the N training examples: a uniformly random b-subset of them",)


def minibatch_fits(p) -> bool:
    """d ≤ N and the minibatch within the training set."""
    return p["d"] <= p["N"] and p["b"] <= p["N"]

claim(
    id="minibatch-loss-unbiased",
    title="The loss of a minibatch of a randomly permuted training set is an unbiased estimate",
    inventory_ids=("003-13",),
    source=Source(NOTES_003, "6.3 Optimizing batch sizes with mini-batch updates"),
    statement=("As before, we conduct random permutations in the training set. The minibatch loss is also an "
               "unbiased estimate of the expected divergence: E[MinibatchLoss(W)] = E[div(f(X; W), g(X))]."),
    assumptions=MINIBATCH_ASSUMPTIONS,
    kind="stochastic",
    domain=MINIBATCH_DOMAIN,
    constraint=minibatch_fits,
    readings=MINIBATCH_READINGS,
    stated=lambda p: full_value(population_point(p)),  # E[div] of the reading's population
    mutants=(Formula("E[MinibatchLoss] = the divergence at the mean example", lambda p: p["at_mean_example"]),
             Formula("E[MinibatchLoss] = b·E[div] (a sum, not a mean)", lambda p: p["b"] * full_value(population_point(p)))),
    resolution=0.05,
    scale=lambda p: p["spread"],
    design=MINIBATCH_DESIGN,
    figure=Figure(kind="points", x="b", xlabel="minibatch size b", ylabel="E[MinibatchLoss]", logx=True),
)(minibatch_loss_unbiased)

claim(
    id="minibatch-loss-variance",
    search_factor=COSTLY,
    title="The loss of a minibatch of b examples has variance Var(Div)/b",
    inventory_ids=("003-13",),
    source=Source(NOTES_003, "6.3 Optimizing batch sizes with mini-batch updates"),
    statement=("The variance of the minibatch loss is smaller: Var(Loss) = (1/b) Var(Div), where b is the batch size, "
               "making it b times more stable than the variance of the divergence under SGD (where sample size is 1)."),
    assumptions=MINIBATCH_ASSUMPTIONS,
    kind="stochastic",
    domain=MINIBATCH_DOMAIN,
    constraint=minibatch_fits,
    readings=MINIBATCH_READINGS,
    stated=lambda p: p["spread"] ** 2 / p["b"],
    mutants=(Formula("Var(Loss) = Var(Div)/b²", lambda p: p["spread"] ** 2 / p["b"] ** 2),
             Formula("Var(Loss) = Var(Div)/√b", lambda p: p["spread"] ** 2 / math.sqrt(p["b"]))),
    alternatives=(Formula("Var(Loss) = (Var(Div)/b)·(N − b)/(N − 1) (sampling without replacement)",
                          lambda p: p["spread"] ** 2 / p["b"] * (p["N"] - p["b"]) / (p["N"] - 1),
                          reading="within the training set"),),
    resolution=0.05,
    scale=lambda p: p["spread"] ** 2 / p["b"],
    samples_factor=2.0,  # squared deviations of losses are heavy-tailed: a larger pilot plans them reliably
    design=MINIBATCH_DESIGN,
    figure=Figure(kind="points", x="b", xlabel="minibatch size b", ylabel="Var(MinibatchLoss)", logx=True, logy=True),
)(minibatch_loss_variance)


# =================================================================================================
# 6.4.2 RMSProp (003-15) and 6.4.3 Adam (003-16)
# =================================================================================================

ADAPTIVE_DOMAIN = {
    **OPTIMIZER_DOMAIN,
    "lr": floats(1e-4, 0.1),
    "gradient_scale": floats(1e-3, 1e3),  # the objective multiplied by this (gradients of every size)
}


def scaled_problem(p):
    problem, w0 = optimizer_problem(p)
    scale = p["gradient_scale"]
    return problem, w0, (lambda w: scale * problem.grad(w))


EPS_MATERIALITY = 1e-3
EPS_MATERIALITY_REASON = (
    "ε only guards the division: where it sits (under the square root, η/√(E + ε), or outside it, η/(√E + ε), "
    "as torch.optim puts it) changes a step by about ε/(2E) relative for E ≪ 1, a convention, not an erratum, "
    "below 1e-3 of the step; at the representative settings (torch's ε = 1e-8) it is at most about 1e-4 (near the "
    "optimum, where E is small)")


def rmsprop_notes_steps(p, *, gamma=None, update=None) -> np.ndarray:
    """The notes' RMSProp, one step from each of torch's iterates ``p["path"]`` with the gradient there and its
    running mean carried along: W_{k+1} = W_k − η ∂D/√(E[∂²D]_k + ε)."""
    return forced_steps(update or opt.rmsprop_update, opt.rmsprop_init, p["path"], p["grad_fn"], lr=p["lr"],
                        beta=p["gamma"] if gamma is None else gamma, eps=p["eps"]).numpy().reshape(-1)


def adam_notes_steps(p, *, betas=None, bias_correction=True) -> np.ndarray:
    """The notes' Adam, one step from each of torch's iterates ``p["path"]`` with the gradient there and its
    moments carried along: W_{k+1} = W_k − η m̂_k/(√v̂_k + ε)."""
    beta1, beta2 = betas or (p["delta"], p["gamma"])
    return forced_steps(opt.adam_update, opt.adam_init, p["path"], p["grad_fn"], lr=p["lr"], eps=p["eps"],
                        beta1=beta1, beta2=beta2, bias_correction=bias_correction).numpy().reshape(-1)


def rmsprop_without_root(grad, state, params=None, *, lr, beta, eps, lagged=False):
    """W_{k+1} = W_k − η ∂D/(E[∂²D]_k + ε): RMSProp with the square root left out (a mutant)."""
    s = beta * state.s + (1.0 - beta) * grad * grad
    return -lr * grad / (s + eps), opt.RmspropState(s)


def rmsprop_eps_outside(grad, state, params=None, *, lr, beta, eps, lagged=False):
    """W_{k+1} = W_k − η ∂D/(√E[∂²D]_k + ε): RMSProp with ε outside the square root, as torch.optim has it."""
    s = beta * state.s + (1.0 - beta) * grad * grad
    return -lr * grad / (s.sqrt() + eps), opt.RmspropState(s)


@claim(
    id="rmsprop-as-written",
    title="RMSProp as the notes write it is torch.optim.RMSprop",
    inventory_ids=("003-15",),
    source=Source(NOTES_003, "6.4.2 Learning rate methods"),
    statement=("E[∂²_w D]_k = γE[∂²_w D]_{k−1} + (1 − γ)(∂²_w D)_k; W_{k+1} = W_k − η/√(E[∂²_w D]_k + ε) ∂_w D. "
               "Typical parameters include η = 0.001, δ = 0.9."),
    assumptions=OPTIMIZER_ASSUMPTIONS + (
        "measured: torch.optim.RMSprop(lr=η, alpha=γ, eps=ε)'s iterates; stated: one step of the notes' form "
        "(implementations.optimizers.rmsprop_update, ε under the square root; with ε = 0 it is also Tieleman & "
        "Hinton's original, which has no ε) from each of torch's iterates with the gradient there, its running "
        "mean carried along: rounding differences do not compound",
        "the notes put ε inside the square root (as TensorFlow 1's RMSPropOptimizer does), torch adds it outside, "
        "η∂D/(√E + ε): checked at torch's default ε = 1e-8 and at 0, 1e-6 and 1e-3; the difference is "
        "judged against the materiality below",
        "'δ = 0.9' among the typical parameters names the running mean's γ",
    ),
    kind="identity",
    preset=EXACT_TO_ROUNDING,
    domain={**ADAPTIVE_DOMAIN, "gamma": floats(0.01, 0.999), "eps": choices([0.0, 1e-8, 1e-6, 1e-3])},
    stated=rmsprop_notes_steps,
    mutants=(Formula("the running mean's weights swapped: E_k = (1 − γ)E_{k−1} + γ(∂²D)_k",
                     lambda p: rmsprop_notes_steps(p, gamma=1.0 - p["gamma"])),
             Formula("no square root: W_{k+1} = W_k − η∂D/(E[∂²D]_k + ε)",
                     lambda p: rmsprop_notes_steps(p, update=rmsprop_without_root))),
    alternatives=(Formula("torch's ε outside the square root: W_{k+1} = W_k − η∂D/(√E[∂²D]_k + ε)",
                          lambda p: rmsprop_notes_steps(p, update=rmsprop_eps_outside)),),
    materiality=EPS_MATERIALITY,
    materiality_reason=EPS_MATERIALITY_REASON,
    design=tuple({"problem": problem, "d": 3, "condition": 100.0, "data_seed": 0, "lr": 0.01, "gradient_scale": 1.0,
                  "gamma": 0.9, "eps": 1e-8} for problem in OPTIMIZER_PROBLEMS),
    representative=tuple({"problem": problem, "d": 3, "condition": 100.0, "data_seed": 0, "lr": lr, "gradient_scale": 1.0,
                          "gamma": gamma, "eps": 1e-8} for problem in OPTIMIZER_PROBLEMS
                         for lr, gamma in ((1e-3, 0.9), (1e-2, 0.99))),  # the notes' η, δ; torch's defaults
    figure=Figure(kind="traces", xlabel="step k", ylabel="‖W_k − w*‖", logy=True),
)
def rmsprop_as_written(p, ctx):
    """torch.optim.RMSprop(lr=η, alpha=γ, eps=ε)'s iterates; its path and gradient for the notes' steps."""
    problem, w0, grad_fn = scaled_problem(p)
    hp = {"lr": float(p["lr"]), "alpha": float(p["gamma"]), "eps": float(p["eps"])}
    measured = torch_trajectory(lambda ps, h: torch.optim.RMSprop(ps, **h), grad_fn, w0, steps=OPTIMIZER_STEPS,
                                hyperparameters=hp)
    return Measurement(measured[1:].numpy().reshape(-1), quantities={"path": measured, "grad_fn": grad_fn},
                       trace=path_trace(measured[1:], problem.minimizer))


@claim(
    id="adam-as-written",
    search_factor=COSTLY,
    title="Adam with the notes' bias correction is torch.optim.Adam",
    inventory_ids=("003-16",),
    source=Source(NOTES_003, "6.4.3 Methods combining learning rate and derivative adjustments"),
    statement=("m_k = δm_{k−1} + (1 − δ)(∂_w D)_k; v_k = γv_{k−1} + (1 − γ)(∂²_w D)_k; m̂_k = m_k/(1 − δ^k), "
               "v̂_k = v_k/(1 − γ^k); W_{k+1} = W_k − η/(√v̂_k + ε) m̂_k. Typical parameters include η = 0.001, "
               "δ = 0.9, γ = 0.999."),
    assumptions=OPTIMIZER_ASSUMPTIONS + (
        "measured: torch.optim.Adam(lr=η, betas=(δ, γ), eps=ε)'s iterates; stated: one step of the notes' form "
        "(implementations.optimizers.adam_update, m_0 = v_0 = 0, k counted from 1) from each of torch's iterates with "
        "the gradient there, its moments carried along: rounding differences do not compound",
        "ε sits outside the square root in the notes and in torch alike; the materiality is the one every optimizer "
        "row declares for where ε sits",),
    kind="identity",
    preset=EXACT_TO_ROUNDING,
    domain={**ADAPTIVE_DOMAIN, "delta": floats(0.0, 0.99), "gamma": floats(0.0, 0.9999),
            "eps": choices([0.0, 1e-8, 1e-6, 1e-3])},
    stated=adam_notes_steps,
    mutants=(Formula("no bias correction, W_{k+1} = W_k − ηm_k/(√v_k + ε)",
                     lambda p: adam_notes_steps(p, bias_correction=False)),
             Formula("δ and γ exchanged", lambda p: adam_notes_steps(p, betas=(p["gamma"], p["delta"])))),
    materiality=EPS_MATERIALITY,
    materiality_reason=EPS_MATERIALITY_REASON,
    design=tuple({"problem": problem, "d": 3, "condition": 100.0, "data_seed": 0, "lr": 0.01, "gradient_scale": 1.0,
                  "delta": 0.9, "gamma": 0.999, "eps": 1e-8} for problem in OPTIMIZER_PROBLEMS),
    representative=tuple({"problem": problem, "d": 3, "condition": 100.0, "data_seed": 0, "lr": 1e-3,
                          "gradient_scale": 1.0, "delta": 0.9, "gamma": 0.999, "eps": 1e-8}
                         for problem in OPTIMIZER_PROBLEMS),  # the notes' typical η, δ, γ = torch's defaults
    figure=Figure(kind="traces", xlabel="step k", ylabel="‖W_k − w*‖", logy=True),
)
def adam_as_written(p, ctx):
    """torch.optim.Adam's steps against the notes' Adam steps from the same iterates."""
    problem, w0, grad_fn = scaled_problem(p)
    hp = {"lr": float(p["lr"]), "eps": float(p["eps"]), "betas": (float(p["delta"]), float(p["gamma"]))}
    measured = torch_trajectory(lambda ps, h: torch.optim.Adam(ps, **h), grad_fn, w0, steps=OPTIMIZER_STEPS,
                                hyperparameters=hp)
    return Measurement(measured[1:].numpy().reshape(-1), quantities={"path": measured, "grad_fn": grad_fn},
                       trace=path_trace(measured[1:], problem.minimizer))


MOMENTS = ("m_k", "v_k")
BURN_IN_DOMAIN = {
    "moment": choices(MOMENTS),
    "k": integers(1, 50),
    "delta": floats(0.5, 0.99),
    "gamma": floats(0.9, 0.9999),
    "mean": floats(0.2, 2.0),
    "sd": floats(0.0, 2.0),
    "distribution": choices(DISTRIBUTIONS),
}
BURN_IN_ASSUMPTIONS = (
    "stationary derivatives: (∂_w D)_1 … (∂_w D)_k i.i.d. with mean μ and standard deviation σ (normal, uniform or "
    "exponential), so E[∂D] = μ and E[∂²D] = μ² + σ²; m_0 = v_0 = 0",
    "the resolution is relative to (1 − δ^k)·√E[∂²D] for m_k and to (1 − γ^k)·E[∂²D] for v_k (the size of the "
    "moment after k steps)",
)
BURN_IN_DESIGN = tuple({"moment": moment, "k": k, "delta": 0.9, "gamma": 0.999, "mean": 1.0, "sd": 1.0,
                        "distribution": "normal"} for moment, k in (("m_k", 1), ("v_k", 10), ("m_k", 10), ("v_k", 1),
                                                                    ("m_k", 50), ("v_k", 50)))


def moment_decay(p) -> float:
    """δ for m_k, γ for v_k."""
    return p["delta"] if p["moment"] == "m_k" else p["gamma"]


def start_weight(p) -> float:
    """δ^k (γ^k): the weight the running mean still gives its start 0 after k steps."""
    return moment_decay(p) ** p["k"]


def moment_draws(p, ctx, *, corrected: bool):
    """n replicates of m_k (or v_k), with k i.i.d. derivatives per replicate, corrected by 1/(1 − δ^k) if asked."""
    k = p["k"]
    decay = moment_decay(p)
    # m_k = (1 − δ) Σ_{j=1}^k δ^{k−j} (∂D)_j, the recursion unrolled from m_0 = 0
    weights = (1 - decay) * decay ** torch.arange(k - 1, -1, -1, dtype=F64, device=ctx.device)
    if corrected:
        weights = weights / (1 - decay**k)
    weights = weights.to(ctx.dtype)

    def draw(n):
        derivatives = p["mean"] + p["sd"] * standardized(p["distribution"], (n, k), ctx)
        if p["moment"] == "v_k":
            derivatives = derivatives.square()
        return derivatives @ weights

    return draw


def moment_of_derivative(p) -> float:
    """E[∂D] = μ for m_k, E[∂²D] = μ² + σ² for v_k, from the point's law of the derivative."""
    return p["mean"] if p["moment"] == "m_k" else p["mean"] ** 2 + p["sd"] ** 2


def moment_scale(p) -> float:
    second = p["mean"] ** 2 + p["sd"] ** 2
    size = math.sqrt(second) if p["moment"] == "m_k" else second
    return size * (1 - start_weight(p))


@claim(
    id="adam-moments-burn-in",
    title="Without correction Adam's m_k and v_k stay near 0 for a burn-in period: E[m_k] = (1 − δ^k)E[∂D]",
    inventory_ids=("003-16",),
    source=Source(NOTES_003, "6.4.3 Methods combining learning rate and derivative adjustments"),
    statement=("At the outset the running means δm_{k−1} and γv_{k−1} are 0 as initialized; with δ and γ close to 1, "
               "the smoothed terms m_k and v_k stay close to the initial running mean 0 for a significant burn-in "
               "period."),
    assumptions=BURN_IN_ASSUMPTIONS + (
        "precise form: E[m_k] = (1 − δ^k)E[∂D] and E[v_k] = (1 − γ^k)E[∂²D], which stay near 0 while δ^k (γ^k) is "
        "near 1, i.e. for k ≪ 1/(1 − δ) (1/(1 − γ)) steps",),
    kind="stochastic",
    domain=BURN_IN_DOMAIN,
    stated=lambda p: (1 - start_weight(p)) * moment_of_derivative(p),
    mutants=(Formula("no burn-in: E[m_k] = E[∂D], E[v_k] = E[∂²D]", moment_of_derivative),
             Formula("E[m_k] = δ^k E[∂D] (the weight of the start)", lambda p: start_weight(p) * moment_of_derivative(p))),
    resolution=0.05,
    scale=moment_scale,
    design=BURN_IN_DESIGN,
    figure=Figure(kind="points", x="k", xlabel="step k", ylabel="E[m_k] or E[v_k]", logx=True, series="moment"),
)
def adam_moments_burn_in(p, ctx):
    """Monte Carlo mean of the uncorrected moment after k stationary derivatives."""
    return ctx.mean(moment_draws(p, ctx, corrected=False), bytes_per_replicate=16 * p["k"])


@claim(
    id="adam-bias-correction",
    title="Adam's bias correction m̂_k = m_k/(1 − δ^k), v̂_k = v_k/(1 − γ^k) removes the burn-in",
    inventory_ids=("003-16",),
    source=Source(NOTES_003, "6.4.3 Methods combining learning rate and derivative adjustments"),
    statement=("To overcome this issue, we adjust the running means: m̂_k = m_k/(1 − δ^k), v̂_k = v_k/(1 − γ^k), where "
               "raising δ and γ to the power of k ensures that the denominator is small at the outset and close to 1 "
               "as k becomes large."),
    assumptions=BURN_IN_ASSUMPTIONS + ("precise form: E[m̂_k] = E[∂D] and E[v̂_k] = E[∂²D] at every k",),
    kind="stochastic",
    domain=BURN_IN_DOMAIN,
    stated=moment_of_derivative,
    mutants=(Formula("m̂_k = m_k/(1 − δ) (the first step's correction at every k)",
                     lambda p: (1 - start_weight(p)) / (1 - moment_decay(p)) * moment_of_derivative(p)),
             Formula("m̂_k = m_k/(1 − δ^k)² (corrected twice)", lambda p: moment_of_derivative(p) / (1 - start_weight(p)))),
    resolution=0.05,
    scale=lambda p: moment_scale(p) / (1 - start_weight(p)),
    design=BURN_IN_DESIGN,
    figure=Figure(kind="points", x="k", xlabel="step k", ylabel="E[m̂_k] or E[v̂_k]", logx=True, series="moment"),
)
def adam_bias_correction(p, ctx):
    """Monte Carlo mean of the bias-corrected moment after k stationary derivatives."""
    return ctx.mean(moment_draws(p, ctx, corrected=True), bytes_per_replicate=16 * p["k"])
