"""Throughput of the Monte Carlo sampler against a bare ``torch.randn`` on the same device.

For the minibatch-variance check (least squares, N = 64, d = 5, i.i.d. indices) this times the
replicate statistic ‖g_B − g‖² at several batch sizes and a bare ``torch.randn`` of the same dtype
on the same device, in the same chunk sizes, in one run. Two ratios are reported:

- replicates/s ÷ randn numbers/s: one replicate (a whole minibatch and its statistic) against one
  random number;
- sampled examples/s ÷ randn numbers/s: each replicate draws B example indices, each one sample
  from Uniform(1, N), and reads the B gradients they pick.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import pandas as pd
import torch

from theorems.kit import minibatch_bytes, minibatch_deviation_sampler
from theorems.engine import Context, RunConfig
from theorems.stats import MonteCarlo

BATCH_SIZES = (1, 4, 16, 64)


def _rate(work: Callable[[int], torch.Tensor], *, total: int, chunk: int, device: torch.device,
          repeats: int = 3) -> float:
    """Items per second of ``work`` over ``total`` items in chunks: the best of ``repeats`` timings,
    after one warm-up chunk."""
    work(min(chunk, total))
    best = 0.0
    for _ in range(repeats):
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        start = time.perf_counter()
        done = 0
        while done < total:
            n = min(chunk, total - done)
            work(n).sum().item()  # forces the work, as the engine's accumulation does
            done += n
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        best = max(best, total / (time.perf_counter() - start))
    return best


def benchmark_minibatch_variance(config: RunConfig, *, samples: int = 1_000_000) -> pd.DataFrame:
    generator = torch.Generator(device=config.device).manual_seed(0)
    mc = MonteCarlo(samples=samples, max_bytes=config.max_bytes)
    ctx = Context(config.device, config.dtype, generator, mc)
    randn_rate = _rate(lambda n: torch.randn(n, generator=generator, device=config.device, dtype=config.dtype),
                       total=samples, chunk=mc.chunk_size(config.dtype.itemsize), device=config.device)
    rows = []
    for batch in BATCH_SIZES:
        p = {"problem": "least_squares", "statistic": "trace", "N": 64, "d": 5, "B": batch, "data_seed": 0,
             "sampling": "iid"}
        draw, _ = minibatch_deviation_sampler(p, ctx)
        rate = _rate(draw, total=samples, chunk=mc.chunk_size(minibatch_bytes(p)), device=config.device)
        rows.append({"device": str(config.device), "dtype": str(config.dtype).removeprefix("torch."), "B": batch,
                     "replicates/s": round(rate), "randn numbers/s": round(randn_rate),
                     "ratio (replicates)": round(rate / randn_rate, 3),
                     "ratio (sampled examples)": round(rate * batch / randn_rate, 3)})
    return pd.DataFrame(rows)
