"""Throughput of the Monte Carlo sampler against a bare ``torch.randn``, and the catalogue's time per claim.

The sampler table (``benchmark_minibatch_variance``): for the minibatch-variance check (least
squares, N = 64, d = 5, i.i.d. indices) it times the replicate statistic ‖g_B − g‖² at each batch
size B, in the engine's chunk sizes, against two baselines on the same device and dtype:

- randn at its plateau: ``torch.randn(P, out=buffer)`` with P = 2^24 numbers (fewer if
  ``max_bytes`` allows fewer), into a buffer reused across calls, so neither the per-call overhead
  nor fresh pages count: the generator's sustained rate, the baseline the ratios divide by;
- randn at the sampler's chunk size: ``torch.randn(chunk)`` as a claim calls it, which shows what
  the chunking alone costs.

Two ratios per B, each the median over interleaved repeats of the ratio within one repeat, where
the plateau is timed just before the sampler (so a slow moment of a shared machine tends to slow
both sides of the ratio it lands in, and the median drops the repeats it does not):

- replicates/s ÷ randn plateau numbers/s: one replicate (B indices, a gather, the statistic)
  against one random number;
- sampled examples/s ÷ randn plateau numbers/s, with sampled examples/s = B · replicates/s: each
  example is one index drawn from Uniform(1, N) and one row of gradients read.

The catalogue table (``benchmark_catalogue``): the seconds each claim takes at a profile, with
the points and Monte Carlo replicates behind them, so a regression shows which claim got slower; of
the catalogue or of a claims file's claims.

The budget table (``benchmark_budget``): the same, for each claim without and with a time budget per
claim (:mod:`theorems.core.budget`) side by side, with the time of one replicate: what the budget saves
and what it leaves out.

Both tables measure speed only; tests check their shape, never the figures.
"""

from __future__ import annotations

import dataclasses
import statistics
import time
from collections.abc import Callable, Sequence
from typing import Any

import pandas as pd
import torch

from theorems.catalogue.kit import minibatch_bytes, minibatch_deviation_sampler
from theorems.core.budget import time_spent
from theorems.core.claim import Claim
from theorems.core.measurement import Context, RunConfig
from theorems.core.stats import MonteCarlo
from theorems.runs.loading import load_catalogue, load_claims_file, select_claims
from theorems.runs.runner import run_claims

BATCH_SIZES = (1, 4, 16, 64)
PLATEAU_NUMBERS = 2**24  # randn numbers per call at the plateau (capped by max_bytes)
PLATEAU_CALLS = 4  # calls per plateau timing


def minibatch_point(batch: int) -> dict:
    """The benchmarked point of the minibatch-variance check at batch size ``batch``."""
    return {"problem": "least_squares", "statistic": "trace", "N": 64, "d": 5, "B": batch, "data_seed": 0,
            "sampling": "iid"}


def _rate(work: Callable[[int], torch.Tensor], *, total: int, chunk: int) -> float:
    """Items per second of ``work(n)`` over ``total`` items in chunks of at most ``chunk``.

    Each chunk is reduced to a number on the host, as the engine's accumulation does: that forces
    the work, and on CUDA waits for it.
    """
    start = time.perf_counter()
    done = 0
    while done < total:
        n = min(chunk, total - done)
        work(n).sum().item()
        done += n
    return total / (time.perf_counter() - start)


def benchmark_minibatch_variance(config: RunConfig, *, examples: int = 2**24, repeats: int = 7,
                                 batch_sizes: Sequence[int] = BATCH_SIZES) -> pd.DataFrame:
    """One row per batch size: the sampler's rates, both randn baselines, and the ratios.

    Each sampler timing draws ``examples`` sampled examples (``examples // B`` replicates, at
    least one), each randn timing at the sampler's chunk size ``examples`` numbers, each plateau
    timing ``PLATEAU_CALLS`` buffers of P numbers. Every timing is warmed up once; then, ``repeats``
    times, each batch size in turn times the plateau, randn at its chunk size and the sampler back
    to back, and its ratios for that repeat divide by the plateau timed just before.
    """
    if examples < 1:
        raise ValueError(f"examples per timing must be >= 1, got {examples}")
    if repeats < 1:
        raise ValueError(f"repeats must be >= 1, got {repeats}")
    device, dtype = config.device, config.dtype
    generator = torch.Generator(device=device).manual_seed(0)
    mc = MonteCarlo(pilot=2, cap=2, max_bytes=config.max_bytes)
    ctx = Context(device, dtype, generator, mc)

    plateau_numbers = max(1, min(PLATEAU_NUMBERS, config.max_bytes // dtype.itemsize))
    buffer = torch.empty(plateau_numbers, device=device, dtype=dtype)

    def plateau(n: int) -> torch.Tensor:
        return torch.randn(n, generator=generator, out=buffer[:n])

    def randn(n: int) -> torch.Tensor:
        return torch.randn(n, generator=generator, device=device, dtype=dtype)

    timings = {}  # batch size -> [(work, total, chunk) for the plateau, randn at the chunk size, the sampler]
    for batch in batch_sizes:
        p = minibatch_point(batch)
        draw, _ = minibatch_deviation_sampler(p, ctx)
        chunk = mc.chunk_size(minibatch_bytes(p))
        timings[batch] = [(plateau, PLATEAU_CALLS * plateau_numbers, plateau_numbers), (randn, examples, chunk),
                          (draw, max(1, examples // batch), chunk)]
    for work, _, chunk in (timing for triple in timings.values() for timing in triple):
        work(chunk).sum().item()  # warm-up: first calls, the allocator, caches
    rates: dict[int, list[list[float]]] = {batch: [] for batch in batch_sizes}  # batch size -> per repeat (plateau, randn, sampler) rates
    for _ in range(repeats):
        for batch, triple in timings.items():
            rates[batch].append([_rate(work, total=total, chunk=chunk) for work, total, chunk in triple])

    rows = []
    for batch in batch_sizes:
        plateau_rates, randn_rates, sampler_rates = zip(*rates[batch])
        example_ratios = [batch * s / r for s, r in zip(sampler_rates, plateau_rates)]
        rows.append({
            "device": str(device), "dtype": str(dtype).removeprefix("torch."), "threads": torch.get_num_threads(),
            "B": batch,
            "chunk": timings[batch][2][2],
            "replicates/s": round(statistics.median(sampler_rates)),
            "sampled examples/s": round(batch * statistics.median(sampler_rates)),
            "randn/s (chunk)": round(statistics.median(randn_rates)),
            "randn/s (plateau)": round(statistics.median(plateau_rates)),
            "ratio (replicates)": round(statistics.median(s / r for s, r in zip(sampler_rates, plateau_rates)), 3),
            "ratio (sampled examples)": round(statistics.median(example_ratios), 3),
            "ratio min": round(min(example_ratios), 3),  # the range of the sampled-examples ratio over repeats
            "ratio max": round(max(example_ratios), 3),
            "repeats": repeats,
        })
    return pd.DataFrame(rows)


def benchmarked_claims(patterns: Sequence[str] | None = None, claims_file: str | None = None) -> list[Claim]:
    """The claims matching ``patterns`` (all when None): of ``claims_file``, else of the catalogue."""
    if claims_file is not None:
        return select_claims(patterns, load_claims_file(claims_file), claims_file=claims_file)
    load_catalogue()
    return select_claims(patterns)


def benchmark_catalogue(config: RunConfig, patterns: Sequence[str] | None = None, *, claims_file: str | None = None,
                        progress: Callable[[Claim], object] | None = None) -> pd.DataFrame:
    """One row per claim of the catalogue, or of ``claims_file`` (those matching ``patterns``), run at
    ``config``'s profile: its seconds, share of the total, evidence points, Monte Carlo replicates and
    verdict; then a ``total`` row with the run's seconds."""
    claims = benchmarked_claims(patterns, claims_file)
    results = run_claims(claims, config, claims_file=claims_file, progress=progress)
    total = results.run.seconds
    rows: list[dict[str, Any]] = [
        {"claim": claim.id, "seconds": claim.seconds, "share": claim.seconds / total,
         "points": len(claim.evidence), "samples": claim.samples, "verdict": claim.verdict}
        for claim in results.claims]
    rows.append({"claim": "total", "seconds": total, "share": 1.0, "points": sum(r["points"] for r in rows),
                 "samples": sum(r["samples"] for r in rows), "verdict": ""})
    table = pd.DataFrame(rows)
    table["share"] = table["share"].round(3)
    return table.assign(profile=config.profile.name, device=str(config.device))


def benchmark_budget(config: RunConfig, claims: Sequence[Claim], budget: float, *, claims_file: str | None = None,
                     progress: Callable[[Claim], object] | None = None) -> pd.DataFrame:
    """One row per claim, run at ``config`` without a budget and again with ``budget`` seconds per claim:
    for each, its seconds, points, mean replicates per point, time of one replicate and verdict, and
    the budget's note (what it left out); then a ``total`` row with the runs' seconds."""
    def table(run_config: RunConfig) -> pd.DataFrame:
        results = run_claims(claims, run_config, claims_file=claims_file, progress=progress)
        rows: list[dict[str, Any]] = []
        for claim in results.claims:
            spent = time_spent(claim)
            rows.append({"claim": claim.id, "seconds": claim.seconds, "points": spent.points,
                         "replicates/point": round(spent.per_point), "s/replicate": spent.per_replicate,
                         "verdict": claim.verdict, "left out": claim.coverage.budget if claim.coverage else ""})
        rows.append({"claim": "total", "seconds": results.run.seconds, "points": sum(r["points"] for r in rows),
                     "replicates/point": None, "s/replicate": None, "verdict": "", "left out": ""})
        return pd.DataFrame(rows)

    without = table(dataclasses.replace(config, budget=None)).drop(columns="left out")
    within = table(dataclasses.replace(config, budget=budget))
    merged = without.merge(within, on="claim", suffixes=("", f" ({budget:g} s)"), sort=False)
    return merged.assign(profile=config.profile.name, device=str(config.device))
