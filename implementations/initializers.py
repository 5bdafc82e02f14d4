"""Weight initializers with the variances of lecture 001-24 (and 000, "scaled initialization").

Fan convention: a weight has shape (fan_out, fan_in), as ``torch.nn.Linear.weight``; any leading
dimensions index independent replicates, so shape (R, fan_out, fan_in) draws R weights at once.

    LeCun   w ~ N(0, 1/n_in)
    Xavier  w ~ N(0, 2/(n_in + n_out))
    He      w ~ N(0, 2/n_in)

The uniform variants draw from U[−a, a] with a = √(3·variance), which has the same variance.

Mapping to ``torch.nn.init`` (for 2-D tensors; for more dimensions torch folds the trailing
dimensions into a receptive field instead of treating the leading ones as replicates):

    lecun_normal    kaiming_normal_(w, mode="fan_in", nonlinearity="linear")
    lecun_uniform   kaiming_uniform_(w, mode="fan_in", nonlinearity="linear")
    xavier_normal   xavier_normal_(w, gain=1.0)
    xavier_uniform  xavier_uniform_(w, gain=1.0)
    he_normal       kaiming_normal_(w, mode="fan_in", nonlinearity="relu")
    he_uniform      kaiming_uniform_(w, mode="fan_in", nonlinearity="relu")
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import torch
from torch import Tensor

Shape = Sequence[int]


def _device(generator: torch.Generator, device: torch.device | str | None) -> torch.device | str:
    return generator.device if device is None else device


def zeros(
    shape: Shape, *, dtype: torch.dtype = torch.float32, device: torch.device | str | None = None
) -> Tensor:
    """All-zero weights (the symmetric initialization that lecture 000 shows fails to learn)."""
    return torch.zeros(tuple(shape), dtype=dtype, device=device)


def standard_normal(
    shape: Shape,
    *,
    generator: torch.Generator,
    dtype: torch.dtype = torch.float32,
    device: torch.device | str | None = None,
) -> Tensor:
    """w ~ N(0, 1), independent of the fans."""
    return torch.randn(
        tuple(shape), generator=generator, dtype=dtype, device=_device(generator, device)
    )


def uniform01(
    shape: Shape,
    *,
    generator: torch.Generator,
    dtype: torch.dtype = torch.float32,
    device: torch.device | str | None = None,
) -> Tensor:
    """w ~ U[0, 1), independent of the fans."""
    return torch.rand(
        tuple(shape), generator=generator, dtype=dtype, device=_device(generator, device)
    )


def init_variance(name: str, fan_in: int, fan_out: int) -> float:
    """The variance lecture 001-24 prescribes: "lecun" 1/n_in, "xavier" 2/(n_in + n_out),
    "he" 2/n_in."""
    if fan_in < 1 or fan_out < 1:
        raise ValueError(f"fans must be >= 1, got fan_in={fan_in}, fan_out={fan_out}")
    if name == "lecun":
        return 1.0 / fan_in
    if name == "xavier":
        return 2.0 / (fan_in + fan_out)
    if name == "he":
        return 2.0 / fan_in
    raise ValueError(f"initializer name must be 'lecun', 'xavier' or 'he', got {name!r}")


def _fans(shape: Shape) -> tuple[int, int]:
    if len(shape) < 2:
        got = tuple(shape)
        raise ValueError(f"a weight shape needs at least 2 dims (fan_out, fan_in), got {got}")
    fan_out, fan_in = shape[-2], shape[-1]
    return fan_in, fan_out


def _scaled_normal(name: str) -> Callable[..., Tensor]:
    def initializer(
        shape: Shape,
        *,
        generator: torch.Generator,
        dtype: torch.dtype = torch.float32,
        device: torch.device | str | None = None,
    ) -> Tensor:
        std = math.sqrt(init_variance(name, *_fans(shape)))
        return std * standard_normal(shape, generator=generator, dtype=dtype, device=device)

    initializer.__name__ = initializer.__qualname__ = f"{name}_normal"
    initializer.__doc__ = f"w ~ N(0, σ²) with σ² = init_variance({name!r}, fan_in, fan_out)."
    return initializer


def _scaled_uniform(name: str) -> Callable[..., Tensor]:
    def initializer(
        shape: Shape,
        *,
        generator: torch.Generator,
        dtype: torch.dtype = torch.float32,
        device: torch.device | str | None = None,
    ) -> Tensor:
        # U[−a, a] has variance a²/3, so a = √(3σ²)
        bound = math.sqrt(3.0 * init_variance(name, *_fans(shape)))
        u = uniform01(shape, generator=generator, dtype=dtype, device=device)
        return bound * (2.0 * u - 1.0)

    initializer.__name__ = initializer.__qualname__ = f"{name}_uniform"
    initializer.__doc__ = (
        f"w ~ U[−a, a] with a = √(3σ²), σ² = init_variance({name!r}, fan_in, fan_out)."
    )
    return initializer


lecun_normal = _scaled_normal("lecun")
lecun_uniform = _scaled_uniform("lecun")
xavier_normal = _scaled_normal("xavier")
xavier_uniform = _scaled_uniform("xavier")
he_normal = _scaled_normal("he")
he_uniform = _scaled_uniform("he")

INITIALIZERS: dict[str, Callable[..., Tensor]] = {
    f.__name__: f
    for f in (
        standard_normal,
        uniform01,
        lecun_normal,
        lecun_uniform,
        xavier_normal,
        xavier_uniform,
        he_normal,
        he_uniform,
    )
}
"""Every initializer with the signature ``(shape, *, generator, dtype, device)``, by name."""
