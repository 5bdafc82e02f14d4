"""The runner: checks a run's claims, in this process or with an executor, and assembles its results.

The claims are chosen by :mod:`theorems.runs.loading`, the settings validated by
:mod:`theorems.runs.config`, and the files written by :mod:`theorems.runs.outputs`.
"""

from __future__ import annotations

import datetime as dt
import platform
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from theorems.core import __version__
from theorems.core.claim import Claim
from theorems.runs.config import device_name, git_revision

if TYPE_CHECKING:
    from theorems.core.measurement import RunConfig
    from theorems.core.results import ClaimResult, Results
    from theorems.runs.executors import Executor


def run_claims(claims: Sequence[Claim], config: RunConfig, *, claims_file: str | None = None,
               progress: Callable[[Claim], Any] | None = None,
               on_point: Callable[[], None] | None = None,
               finished: Callable[[Claim, ClaimResult], Any] | None = None,
               executor: Executor | None = None) -> Results:
    """Check the claims and return the run's results. ``executor`` checks them: in this process
    (:class:`~theorems.runs.executors.Serial`, the default) or on a Dask cluster
    (:class:`~theorems.runs.executors.OnDask`), with the same results."""
    from theorems.runs.executors import Serial

    started = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    start = time.perf_counter()
    results, device_names = (executor or Serial()).check(claims, config, claims_file=claims_file, progress=progress,
                                                         on_point=on_point, finished=finished)
    return assemble_results(results, config, started=started, seconds=time.perf_counter() - start,
                            claims_file=claims_file, device_names=device_names)


def assemble_results(claims: list[ClaimResult], config: RunConfig, *, started: dt.datetime, seconds: float,
                     claims_file: str | None, device_names: str | None = None) -> Results:
    """The results of a run from its checked claims: the run's settings and versions, the row
    table, the claims. Used by :func:`run_claims` and the pytest plugin. ``device_names`` names the
    devices the claims were checked on when not this process's ``config.device`` (Dask workers')."""
    import numpy as np
    import torch

    from theorems.core.engine import look_shares
    from theorems.core.results import Results, RunInfo
    from theorems.core.rows import row_table

    looks = look_shares(config)
    run = RunInfo(
        seed=config.seed, profile=config.profile.name, device=str(config.device),
        device_name=device_names or device_name(config.device),
        dtype=str(config.dtype).removeprefix("torch."), python=platform.python_version(), torch=torch.__version__,
        numpy=np.__version__, theorycheck=__version__, git_revision=git_revision(),
        started=started.isoformat(), seconds=round(seconds, 3),
        max_memory_mib=config.max_bytes / 2**20,  # chunk size, which fixes how the random streams are cut
        alpha=config.alpha, family_wise_alpha=min(1.0, config.alpha * len(claims)),
        alpha_split=(f"α = {config.alpha:g} per claim, split by Bonferroni over its readings and planned points "
                     f"(point_alpha{looks}); over the {len(claims)} claim(s) of this run, the expected number of "
                     f"false alarms is at most {config.alpha * len(claims):.3g}"),
        claims_file=claims_file)
    return Results(run=run, rows=row_table(claims), claims=claims)
