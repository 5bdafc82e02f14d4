"""Runs spread over many processes or machines, with Dask distributed.

``theorycheck run --workers N`` starts a local cluster of N worker processes (on the loopback
interface); ``--scheduler ADDRESS`` uses a running Dask scheduler instead. Work is split per claim
(and, for ``calibrate``, per claim and seed). A task carries only names, never code: the claim id,
the claims file's path (which must be readable at the same path on every worker) and the run's
settings, and each worker loads the catalogue and the claims file itself. Every point is seeded
from (run seed, measurement, point) exactly as in a serial run, so the results are identical to a
serial run with the same settings on the same kind of device; each claim records the device it
ran on (a worker with a GPU uses its own under ``--device auto``).

Dask is optional: ``pip install theorycheck[distributed]``.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from theorems.claim import Claim

if TYPE_CHECKING:
    from theorems.results import ClaimResult

_WORKER_FILES: set[str] = set()  # claims files a worker process has loaded


@contextlib.contextmanager
def client(*, workers: int | None = None, scheduler: str | None = None) -> Iterator[Any]:
    """A Dask client: a local cluster of ``workers`` processes, or the scheduler at ``scheduler``."""
    try:
        from distributed import Client, LocalCluster
    except ImportError as error:
        from theorems.runner import UsageError

        raise UsageError("--workers and --scheduler need Dask: pip install 'theorycheck[distributed]' "
                         f"({error})") from None
    if scheduler is not None:
        with Client(scheduler, timeout="20s") as dask_client:
            yield dask_client
        return
    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None) as cluster, Client(cluster) as dask_client:
        yield dask_client


def check_on_worker(claim_id: str, claims_file: str | None, settings: Mapping[str, Any], *,
                    threads: int | None = None) -> ClaimResult:
    """Check one claim in a worker process: load the claims, build the configuration there."""
    import torch

    from theorems.claim import REGISTRY
    from theorems.engine import check_claim
    from theorems.runner import load_catalogue, load_claims_file, make_config

    if threads is not None:
        torch.set_num_threads(threads)
    # hypothesis warns when the global `random` state moves while it draws; in a worker, Dask's own
    # threads move it (heartbeat jitter). The search draws from its own seeded Random, so it is noise.
    warnings.filterwarnings("ignore", message="Do not use the `random` module inside strategies")
    load_catalogue()
    if claims_file is not None and claims_file not in _WORKER_FILES:
        load_claims_file(claims_file)
        _WORKER_FILES.add(claims_file)
    return check_claim(REGISTRY.get(claim_id), make_config(**settings))


def check_claims(dask_client: Any, tasks: Sequence[tuple[Claim, Mapping[str, Any]]], *, claims_file: str | None,
                 threads: int | None = None,
                 finished: Callable[[int, ClaimResult], Any] | None = None) -> list[ClaimResult]:
    """Check (claim, settings) pairs on the cluster; results in the order of ``tasks``."""
    from distributed import as_completed

    futures = [dask_client.submit(check_on_worker, claim.id, claims_file, dict(settings), threads=threads,
                                  pure=False, key=f"check-{claim.id}-seed{settings['seed']}-{index}")
               for index, (claim, settings) in enumerate(tasks)]
    index_of = {future.key: index for index, future in enumerate(futures)}
    results: list[ClaimResult | None] = [None] * len(futures)
    for future in as_completed(futures):
        index = index_of[future.key]
        results[index] = future.result()
        if finished is not None:
            finished(index, results[index])
    return results  # type: ignore[return-value]
