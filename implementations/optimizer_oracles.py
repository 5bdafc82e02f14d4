"""Oracle pairings: each optimizer as a document writes it, beside the torch.optim optimizer it names.

One :class:`OraclePairing` per (optimizer, document form), as data that both the catalogue
(``theorems/claims``) and the tests read, in torch's OptimizerInfo style:

- ``update`` / ``init`` / ``form``: the document's form (``implementations.optimizers``) and the
  keyword arguments that select it (``lagged=True``, ``bias_correction=False``);
- ``named``: the torch.optim optimizer that the document's *name* means, built from the same
  hyperparameters (what a reader who types the name into torch gets);
- ``equivalent``: the torch.optim configuration that computes exactly the document's trajectory,
  or ``None`` where torch has none;
- ``difference``: in words, how the form and ``named`` differ (empty where they agree).

Hyperparameters are one dict per pairing, with the keyword names of ``update``
(``lr``, ``beta``, ``beta1``, ``beta2``, ``eps``).

Two trajectory runners, ``form_path`` and ``torch_trajectory``, drive a form and a torch.optim
optimizer on the same objective, each evaluating the gradient at its own iterates (the catalogue's
kit re-exports both). Parameters may carry leading replicate dimensions: every optimizer here is
elementwise, torch's included.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import Tensor

from implementations import optimizers as opt

GradFn = Callable[[Tensor], Tensor]
TorchFactory = Callable[[list[torch.nn.Parameter], Mapping[str, Any]], torch.optim.Optimizer]


@dataclass(frozen=True)
class OraclePairing:
    name: str  # optimizer and document form, e.g. "adagrad-001-12"
    inventory: tuple[str, ...]  # claims-inventory IDs whose formula the form is
    init: Callable  # xxx_init(params) -> state
    update: Callable  # xxx_update(grad, state, params, **form, **hyperparameters) -> (updates, state)
    named: TorchFactory  # the torch.optim optimizer the document's name means, same hyperparameters
    equivalent: TorchFactory | None  # the torch.optim configuration with exactly the same trajectory
    form: Mapping[str, Any] = field(default_factory=dict)  # keyword arguments selecting the form
    difference: str = ""  # how the form differs from ``named``; empty if it does not


PAIRINGS: tuple[OraclePairing, ...] = (
    OraclePairing(
        "momentum-001-10", ("001-10",), opt.momentum_init, opt.momentum_update,
        named=lambda ps, hp: torch.optim.SGD(ps, lr=hp["lr"], momentum=hp["beta"]),
        equivalent=lambda ps, hp: torch.optim.SGD(ps, lr=hp["lr"], momentum=hp["beta"]),
    ),
    OraclePairing(
        "adagrad-001-12", ("001-12",), opt.adagrad_init, opt.adagrad_update,
        named=lambda ps, hp: torch.optim.Adagrad(ps, lr=hp["lr"], eps=hp["eps"]),
        # ε inside the root = torch's accumulator started at ε, with torch's outer ε = 0
        equivalent=lambda ps, hp: torch.optim.Adagrad(ps, lr=hp["lr"], eps=0.0, initial_accumulator_value=hp["eps"]),
        difference="ε inside the square root, g/√(s + ε); torch divides by √s + ε",
    ),
    OraclePairing(
        "rmsprop-001-13-lagged", ("001-13",), opt.rmsprop_init, opt.rmsprop_update, form={"lagged": True},
        named=lambda ps, hp: torch.optim.RMSprop(ps, lr=hp["lr"], alpha=hp["beta"], eps=hp["eps"]),
        equivalent=None,
        difference=("s_t holds the squares up to g_{t−1}, so step t divides g_t by the average torch had after "
                    "step t − 1 (the first step by √ε); and ε inside the square root"),
    ),
    OraclePairing(
        "adam-001-14-uncorrected", ("001-14",), opt.adam_init, opt.adam_update, form={"bias_correction": False},
        named=lambda ps, hp: torch.optim.Adam(ps, lr=hp["lr"], betas=(hp["beta1"], hp["beta2"]), eps=hp["eps"]),
        equivalent=None,
        difference=("no bias correction: with ε = 0, step t is torch's times (1 − β₁ᵗ)/√(1 − β₂ᵗ), "
                    "(1 − β₁)/√(1 − β₂) at t = 1"),
    ),
)
PAIRING = {pairing.name: pairing for pairing in PAIRINGS}


def form_path(init: Callable, update: Callable, grad_fn: GradFn, w0: Tensor, *, steps: int,
              **hyperparameters: Any) -> Tensor:
    """θ_0 … θ_steps of a document's form (``init``/``update`` of implementations.optimizers) on the
    objective with gradient ``grad_fn``: θ_{k+1} = θ_k + update(∇(θ_k), state_k, θ_k, **hyperparameters).

    Shape (steps + 1, *w0.shape); each step's gradient is taken at the form's own iterate.
    """
    if steps < 0:
        raise ValueError(f"steps must be >= 0, got {steps}")
    w, state, path = w0, init(w0), [w0]
    for _ in range(steps):
        updates, state = update(grad_fn(w), state, w, **hyperparameters)
        w = w + updates
        path.append(w)
    return torch.stack(path)


def form_trajectory(pairing: OraclePairing, grad_fn: GradFn, w0: Tensor, *, steps: int,
                    hyperparameters: Mapping[str, Any]) -> Tensor:
    """θ_0 … θ_steps of the pairing's document form (its ``form`` keywords selecting it): ``form_path``."""
    return form_path(pairing.init, pairing.update, grad_fn, w0, steps=steps, **pairing.form, **hyperparameters)


def torch_trajectory(factory: TorchFactory, grad_fn: GradFn, w0: Tensor, *, steps: int,
                     hyperparameters: Mapping[str, Any]) -> Tensor:
    """θ_0 … θ_steps of the torch.optim optimizer ``factory(params, hyperparameters)``.

    Shape (steps + 1, *w0.shape); each step sets ``p.grad = grad_fn(p)`` by hand, so the gradient
    is taken at torch's own iterate.
    """
    if steps < 0:
        raise ValueError(f"steps must be >= 0, got {steps}")
    p = torch.nn.Parameter(w0.detach().clone())
    optimizer = factory([p], hyperparameters)
    path = [w0]
    for _ in range(steps):
        p.grad = grad_fn(p.detach())
        optimizer.step()
        path.append(p.detach().clone())
    return torch.stack(path)


__all__ = ["PAIRING", "PAIRINGS", "OraclePairing", "form_path", "form_trajectory", "torch_trajectory"]
