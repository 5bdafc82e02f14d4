"""Calibration: the same claims over many seeds, to see which verdicts depend on the seed.

A verdict that changes with the seed is a defect of its check (too few samples, a band too
tight for the noise, a domain edge where the statement is borderline), and the false-alarm rate
each claim states (α) can be compared with what the runs show: among rows confirmed on most seeds,
the fraction of runs that came out refuted is an observed false-alarm rate.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any

import pandas as pd

from theorems.core.claim import Claim
from theorems.core.measurement import RunConfig
from theorems.core.rows import row_table
from theorems.core.stats import CONFIRMED, REFUTED, VERDICTS
from theorems.runs.config import config_settings
from theorems.runs.executors import Executor, OnDask, check_claims
from theorems.runs.runner import run_claims


def calibrate(claims: Sequence[Claim], config: RunConfig, seeds: Sequence[int],
              progress: Callable[[int], Any] | None = None, *, claims_file: str | None = None,
              executor: Executor | None = None) -> pd.DataFrame:
    """One row per inventory row: how often each verdict came out over ``seeds``. On a Dask cluster
    (``executor`` an :class:`~theorems.runs.executors.OnDask`) every (claim, seed) is a task of its own."""
    if isinstance(executor, OnDask):
        tasks = [(claim, config_settings(dataclasses.replace(config, seed=seed))) for seed in seeds for claim in claims]
        checked = check_claims(executor.client, tasks, claims_file=claims_file)
        per_seed = [row_table(checked[i * len(claims):(i + 1) * len(claims)]) for i in range(len(seeds))]
    else:
        per_seed = []
        for seed in seeds:
            if progress is not None:
                progress(seed)
            per_seed.append(run_claims(claims, dataclasses.replace(config, seed=seed), claims_file=claims_file,
                                       executor=executor).rows)
    tallies: dict[str, dict[str, Any]] = {}
    for rows in per_seed:
        for row in rows:
            tally = tallies.setdefault(row.id, {"row": row.id, "claims": " ".join(row.claims),
                                                **{verdict: 0 for verdict in VERDICTS}})
            tally[row.verdict] += 1
    table = pd.DataFrame(list(tallies.values()), columns=["row", *VERDICTS, "claims"])
    counts = table[list(VERDICTS)]
    table.insert(len(VERDICTS) + 1, "majority", counts.idxmax(axis=1))
    table.insert(len(VERDICTS) + 2, "stable", (counts.max(axis=1) == len(seeds)))
    return table.sort_values("row").reset_index(drop=True)


def false_alarm_summary(table: pd.DataFrame, *, seeds: int, alpha: float) -> str:
    """Lines comparing the refutations of mostly-confirmed rows with α."""
    unstable = table[~table["stable"]]
    confirmed = table[table["majority"] == CONFIRMED]
    runs = len(confirmed) * seeds
    alarms = int(confirmed[REFUTED].sum())
    lines = [f"{len(table)} rows over {seeds} seed(s): {len(table) - len(unstable)} stable, {len(unstable)} "
             "change with the seed" + (f" ({', '.join(unstable['row'])})" if len(unstable) else "")]
    if runs:
        lines.append(f"rows confirmed on most seeds: {alarms} refutation(s) in {runs} row-runs = {alarms / runs:.3g} "
                     f"observed false-alarm rate (each claim's α = {alpha:g})")
    return "\n".join(lines)
