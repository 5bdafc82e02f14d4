"""Dropout (000, 001-20), batch normalization (001-26) and a small MLP with the hand-written
backward pass of lecture 003 section 3.

As in equinox, randomness and mode are explicit arguments: a ``generator`` and ``inference``;
training mode without a generator is an error. State goes in and comes out; nothing mutates
its inputs.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import torch
from torch import Tensor

from implementations.initializers import lecun_normal

# --- dropout ------------------------------------------------------------------------------------


def _check_rate(r: float) -> None:
    if not 0 <= r <= 1:
        raise ValueError(f"dropout rate r must be in [0, 1], got {r}")


def _keep_mask(x: Tensor, r: float, generator: torch.Generator | None) -> Tensor:
    """D with d_ij ~ Bernoulli(1 − r), i.i.d., shaped like x."""
    if generator is None:
        raise ValueError("dropout in training mode needs a generator, got None")
    return torch.bernoulli(torch.full_like(x, 1 - r), generator=generator)


def dropout(
    x: Tensor, *, r: float, generator: torch.Generator | None, inference: bool
) -> Tensor:
    """Dropout in the documents' convention, with dropout rate r (keep probability 1 − r):

        training    DO(X, r) = D ⊙ X,  d_ij ~ Bernoulli(1 − r)
        evaluation  Dropout_eval(X, r) = (1 − r) X

    so that E[DO_r(x)ᵀw] = (1 − r) Σ_i x_i w_i equals the evaluation output (000-05, 001-20:
    "multiply the weights by p" with p = 1 − r the keep probability).
    """
    _check_rate(r)
    if inference:
        return (1 - r) * x
    return x * _keep_mask(x, r, generator)


def inverted_dropout(
    x: Tensor, *, r: float, generator: torch.Generator | None, inference: bool
) -> Tensor:
    """Dropout as ``torch.nn.Dropout(p=r)`` computes it: the rescaling moves to training time.

        training    D ⊙ X / (1 − r),  d_ij ~ Bernoulli(1 − r)   (all zeros when r = 1, as torch)
        evaluation  X
    """
    _check_rate(r)
    if inference:
        return x
    mask = _keep_mask(x, r, generator)
    return torch.zeros_like(x) if r == 1 else x * mask / (1 - r)


# --- batch normalization ------------------------------------------------------------------------


class BatchNormState(NamedTuple):
    """Running statistics, updated in training mode as ``torch.nn.BatchNorm1d`` does."""

    running_mean: Tensor  # (..., C) moving average of the batch means
    running_var: Tensor  # (..., C) moving average of the unbiased batch variances
    num_batches_tracked: int  # number of training batches seen, as torch names it


def batch_norm_init(
    num_features: int,
    *,
    dtype: torch.dtype = torch.float32,
    device: torch.device | str | None = None,
) -> BatchNormState:
    """running_mean = 0, running_var = 1, num_batches_tracked = 0, as torch initializes them."""
    if num_features < 1:
        raise ValueError(f"num_features must be >= 1, got {num_features}")
    return BatchNormState(
        running_mean=torch.zeros(num_features, dtype=dtype, device=device),
        running_var=torch.ones(num_features, dtype=dtype, device=device),
        num_batches_tracked=0,
    )


def batch_norm(
    x: Tensor,
    state: BatchNormState,
    *,
    gamma: Tensor,
    beta: Tensor,
    eps: float = 1e-5,
    momentum: float = 0.1,
    inference: bool,
) -> tuple[Tensor, BatchNormState]:
    """Batch normalization (001-26) of x with shape (..., B, C), per feature over the batch axis −2:

        x̂ = (x − μ_B) / √(σ_B² + ε),   y = γ x̂ + β

    Training uses the batch mean μ_B and the biased batch variance σ_B², and updates
        running_mean ← (1 − momentum) running_mean + momentum μ_B
        running_var  ← (1 − momentum) running_var  + momentum σ_B² B/(B − 1)
    Inference uses running_mean and running_var in place of μ_B and σ_B², and leaves the state.
    Leading dimensions of x are replicates (not folded into the batch, unlike BatchNorm1d's
    (N, C, L) inputs).
    """
    if eps <= 0:
        raise ValueError(f"eps must be > 0, got {eps}")
    if not 0 <= momentum <= 1:
        raise ValueError(f"momentum must be in [0, 1], got {momentum}")
    if x.ndim < 2:
        raise ValueError(f"x must have shape (..., B, C), got {tuple(x.shape)}")
    if inference:
        mean, var = state.running_mean.unsqueeze(-2), state.running_var.unsqueeze(-2)
        return gamma * (x - mean) / torch.sqrt(var + eps) + beta, state
    B = x.shape[-2]
    if B < 2:
        raise ValueError(f"batch size must be >= 2 in training mode, got {B}")
    mean = x.mean(dim=-2, keepdim=True)
    var = x.var(dim=-2, keepdim=True, correction=0)
    y = gamma * (x - mean) / torch.sqrt(var + eps) + beta
    new_state = BatchNormState(
        running_mean=(1 - momentum) * state.running_mean + momentum * mean.squeeze(-2),
        running_var=(1 - momentum) * state.running_var + momentum * var.squeeze(-2) * B / (B - 1),
        num_batches_tracked=state.num_batches_tracked + 1,
    )
    return y, new_state


# --- MLP with a hand-written backward pass (lecture 003, section 3) -----------------------------


class Dense(NamedTuple):
    """One layer Z = Y W + B in the documents' indexing: W_ij connects input i to output j."""

    weight: Tensor  # (n_in, n_out); note: the transpose of torch.nn.Linear.weight
    bias: Tensor  # (n_out,)


class MLPCache(NamedTuple):
    """What the forward pass keeps for the backward pass."""

    outputs: tuple[Tensor, ...]  # Y^(0) = x, Y^(1), …, Y^(N) = output
    activation: str  # hidden activation: "tanh" or "sigmoid"


ACTIVATIONS = {"tanh": torch.tanh, "sigmoid": torch.sigmoid}


def _activation_derivative(activation: str, y: Tensor) -> Tensor:
    """f'(z) written through y = f(z): tanh' = 1 − y², σ' = y(1 − y)."""
    return 1 - y.square() if activation == "tanh" else y * (1 - y)


def mlp_init(
    sizes: Sequence[int],
    *,
    generator: torch.Generator,
    dtype: torch.dtype = torch.float32,
    device: torch.device | str | None = None,
) -> tuple[Dense, ...]:
    """Layers sizes[0] → sizes[1] → … → sizes[-1]; LeCun-normal weights, zero biases."""
    if len(sizes) < 2 or min(sizes) < 1:
        raise ValueError(f"sizes must list >= 2 layer widths, each >= 1, got {list(sizes)}")
    layers = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        weight = lecun_normal((n_out, n_in), generator=generator, dtype=dtype, device=device)
        bias = torch.zeros(n_out, dtype=dtype, device=weight.device)
        layers.append(Dense(weight=weight.mT.contiguous(), bias=bias))
    return tuple(layers)


def mlp_forward(
    params: Sequence[Dense], x: Tensor, *, activation: str = "tanh"
) -> tuple[Tensor, MLPCache]:
    """Y^(k) = f(Z^(k)), Z^(k) = Y^(k−1) W^(k) + B^(k), with f = ``activation`` on hidden layers and
    the identity on the last. x has shape (..., n_in); all leading dimensions are batch."""
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, got {activation!r}")
    f = ACTIVATIONS[activation]
    outputs = [x]
    for k, layer in enumerate(params, start=1):
        z = outputs[-1] @ layer.weight + layer.bias
        outputs.append(z if k == len(params) else f(z))
    return outputs[-1], MLPCache(outputs=tuple(outputs), activation=activation)


def mlp_backward(
    params: Sequence[Dense], cache: MLPCache, grad_output: Tensor
) -> tuple[Dense, ...]:
    """Gradients of Div with respect to every weight and bias, given ∇_Y Div = ``grad_output``.

    Layer by layer from the last (003-02), with batch terms summed:
        ∂Div/∂Z_j^(k)       = ∂Div/∂Y_j^(k) · f'(Z_j^(k))        (f' = 1 on the last layer)
        ∂Div/∂W_ij^(k)      = Y_i^(k−1) ∂Div/∂Z_j^(k)             ∇_W = Y_{k−1}ᵀ ∇_Z
        ∇_B^(k) Div         = ∇_Z^(k) Div
        ∂Div/∂Y_i^(k−1)     = Σ_j W_ij^(k) ∂Div/∂Z_j^(k)          ∇_{Y_{k−1}} = ∇_Z Wᵀ
    """
    outputs = cache.outputs
    grads = []
    grad_z = grad_output  # the last layer is linear: ∇_Z = ∇_Y
    for k in range(len(params), 0, -1):
        y_prev = outputs[k - 1]
        batch_y = y_prev.reshape(-1, y_prev.shape[-1])
        batch_grad_z = grad_z.reshape(-1, grad_z.shape[-1])
        grads.append(Dense(weight=batch_y.mT @ batch_grad_z, bias=batch_grad_z.sum(dim=0)))
        if k > 1:
            grad_y = grad_z @ params[k - 1].weight.mT
            grad_z = grad_y * _activation_derivative(cache.activation, y_prev)
    return tuple(reversed(grads))
