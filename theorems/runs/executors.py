"""How a run's claims are checked: one after another in this process, or spread over many processes or
machines with Dask distributed.

``theorycheck run --workers N`` starts a local cluster of N worker processes (on the loopback
interface); ``--scheduler ADDRESS`` uses a running Dask scheduler instead. Work is split per claim
(and, for ``calibrate``, per claim and seed). A task carries only names, never code: the claim id,
the claims file's path (which must be readable at the same path on every worker) and the run's
settings, and each worker loads the catalogue and the claims file itself. Every point is seeded
from (run seed, claim key, point) and checked with one torch thread, as in a serial run, so the
results are identical to a serial run with the same settings on the same kind of device; each claim
records the device it ran on (a worker with a GPU uses its own under ``--device auto``), and the
run's ``device_name`` names what the workers reported.

Every run's task keys are its own (a random token), so runs sharing a scheduler never receive each
other's results. A cluster that fails ends the run with :class:`ClusterFailed`, which the command
line reports in one line (exit 1): no worker for :func:`worker_wait` seconds (60; all killed, or none
ever started), the scheduler lost, or a check that killed every worker it ran on. A ``--scheduler``
that does not answer within :data:`CONNECT_S` seconds is bad input.

Dask is optional: ``pip install theorycheck[distributed]`` (with bokeh, for ``--dashboard``).
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import importlib.util
import logging
import math
import os
import signal
import threading
import time
import uuid
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from theorems.core.claim import Claim

if TYPE_CHECKING:
    from theorems.core.measurement import RunConfig
    from theorems.core.results import ClaimResult

WAIT_VARIABLE = "THEORYCHECK_DASK_WAIT"
DEFAULT_WAIT_S = 60.0  # see worker_wait
CONNECT_S = 2  # seconds a --scheduler has to answer: a live one answers in milliseconds
_POLL_S = 1.0  # how often a run that is waiting for its checks looks at the cluster's workers
_WORKER_FILES: set[str] = set()  # claims files a worker process has loaded
# One check at a time in a worker process, however many threads the worker has (a scheduler's workers
# may have several): torch's thread setting, the registry and the targeted search's patch of hypothesis
# are global to the process, and two checks at once would change each other's numbers.
_CHECKING = threading.Lock()


class Executor(Protocol):
    """How a run's claims are checked: :class:`Serial` (this process) or :class:`OnDask` (a cluster).
    ``check`` returns the results in the order of ``claims`` and, when they were checked elsewhere,
    the names of the devices they ran on (else None)."""

    def check(self, claims: Sequence[Claim], config: RunConfig, *, claims_file: str | None,
              progress: Callable[[Claim], Any] | None, on_point: Callable[[], None] | None,
              finished: Callable[[Claim, ClaimResult], Any] | None) -> tuple[list[ClaimResult], str | None]: ...


class Serial:
    """Check the claims one after another in this process, with one torch thread
    (:func:`~theorems.runs.config.check_threads`)."""

    def check(self, claims: Sequence[Claim], config: RunConfig, *, claims_file: str | None = None,
              progress: Callable[[Claim], Any] | None = None, on_point: Callable[[], None] | None = None,
              finished: Callable[[Claim, ClaimResult], Any] | None = None) -> tuple[list[ClaimResult], str | None]:
        from theorems.core.engine import check_claim
        from theorems.core.measurement import MeasurementCache
        from theorems.runs.config import check_threads

        results = []
        cache = MeasurementCache()  # claims registering the same measurement under one seed_key share its points
        with check_threads():
            for claim in claims:
                if progress is not None:
                    progress(claim)
                results.append(check_claim(claim, config, cache=cache, on_point=on_point))
                if finished is not None:
                    finished(claim, results[-1])
        return results, None


@dataclass(frozen=True)
class OnDask:
    """Check each claim as a task on a Dask cluster (``client``, from :func:`client`): the same results
    as :class:`Serial` with the same settings on the same kind of device."""

    client: Any

    def check(self, claims: Sequence[Claim], config: RunConfig, *, claims_file: str | None = None,
              progress: Callable[[Claim], Any] | None = None, on_point: Callable[[], None] | None = None,
              finished: Callable[[Claim, ClaimResult], Any] | None = None) -> tuple[list[ClaimResult], str | None]:
        from theorems.runs.config import config_settings

        settings = config_settings(config)
        names: set[str] = set()  # the devices the workers checked on

        def checked(index: int, result: ClaimResult, name: str) -> None:
            names.add(name)
            if finished is not None:
                finished(claims[index], result)

        results = check_claims(self.client, [(claim, settings) for claim in claims], claims_file=claims_file,
                               finished=checked)
        return results, "; ".join(sorted(names))


class ClusterFailed(RuntimeError):
    """The Dask cluster failed mid-run: no worker for :func:`worker_wait` seconds, the scheduler
    lost, or a check that kept killing its workers. The command line reports it in one line (exit 1)."""


def worker_wait() -> float:
    """Seconds a run waits while the cluster has no worker before it gives up: the environment
    variable ``THEORYCHECK_DASK_WAIT``, else 60 (time for a scheduler's workers to start or restart)."""
    from theorems.runs.config import UsageError

    value = os.environ.get(WAIT_VARIABLE, str(DEFAULT_WAIT_S))
    try:
        seconds = float(value)
    except ValueError:
        seconds = math.nan
    if not (math.isfinite(seconds) and seconds > 0):
        raise UsageError(f"{WAIT_VARIABLE} must be a number of seconds > 0, got {value!r}")
    return seconds


@contextlib.contextmanager
def client(*, workers: int | None = None, scheduler: str | None = None, dashboard: bool = False) -> Iterator[Any]:
    """A Dask client: a local cluster of ``workers`` processes (serving the dashboard on a free
    loopback port when ``dashboard``), or the scheduler at ``scheduler``, which must answer within
    :data:`CONNECT_S` seconds (else UsageError). Dask's own log records are off meanwhile: its
    failures reach the caller as exceptions, and :func:`check_claims` words them in one line."""
    from theorems.runs.config import UsageError

    try:
        from distributed import Client, LocalCluster
    except ImportError as error:
        raise UsageError("--workers and --scheduler need Dask: pip install 'theorycheck[distributed]' "
                         f"({error})") from None
    worker_wait()  # a bad THEORYCHECK_DASK_WAIT is bad input, found before any work
    if dashboard and scheduler is None and importlib.util.find_spec("bokeh") is None:
        raise UsageError("--dashboard needs bokeh: pip install 'theorycheck[distributed]'")
    with _dask_logs_off(), contextlib.ExitStack() as stack:
        if scheduler is not None:
            try:
                dask_client = Client(scheduler, timeout=f"{CONNECT_S}s")
            except (OSError, ValueError, TypeError) as error:  # unreachable, or not an address
                raise UsageError(f"--scheduler {scheduler!r}: no Dask scheduler reached "
                                 f"({str(error).splitlines()[0] if str(error) else type(error).__name__})") from None
        else:  # the scheduler's HTTP server (metrics; the dashboard when asked for) on a free loopback
            # port, not :8787 on every interface; each worker runs this module's dask_setup as it starts
            cluster = stack.enter_context(LocalCluster(
                n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                dashboard_address="127.0.0.1:0", scheduler_kwargs={"dashboard": dashboard}, preload=[__name__]))
            dask_client = Client(cluster)
        yield stack.enter_context(dask_client)


@contextlib.contextmanager
def _dask_logs_off() -> Iterator[None]:
    """Dask's log records (its "Failed to reconnect to scheduler" tracebacks, say) off inside."""
    levels = _silence_dask_logs()
    try:
        yield
    finally:
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)


def _silence_dask_logs() -> dict[str, int]:
    """Turn Dask's log records off in this process: on its loggers that Dask's configuration gave a
    level of their own, and on those that inherit. Returns the levels they had."""
    names = ["distributed", *(name for name in logging.root.manager.loggerDict if name.startswith("distributed."))]
    levels = {name: logging.getLogger(name).level for name in names}
    for name, level in levels.items():
        if name == "distributed" or level != logging.NOTSET:
            logging.getLogger(name).setLevel(logging.CRITICAL + 1)
    return levels


def dask_setup(worker: Any) -> None:
    """Dask's preload hook, run in each worker process of a local cluster (:func:`client`) as it
    starts, and restarts. Ctrl-C on a terminal reaches the whole process group; this process ends
    the run and closes the workers, so a worker ignores SIGINT rather than print a KeyboardInterrupt
    traceback (one still starting may yet). Its Dask log records go too (the tasks it cancels as it
    closes): the run reports what fails in one line."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    _silence_dask_logs()


def check_on_worker(claim_id: str, claims_file: str | None, settings: Mapping[str, Any]) -> ClaimResult:
    """Check one claim in a worker process: load the claims, build the configuration there."""
    import torch

    from theorems.core.claim import REGISTRY
    from theorems.core.engine import check_claim
    from theorems.runs.config import CHECK_THREADS, make_config
    from theorems.runs.loading import load_catalogue, load_claims_file

    # hypothesis warns when the global `random` state moves while it draws; in a worker, Dask's own
    # threads move it (heartbeat jitter). The search draws from its own seeded Random, so it is noise.
    warnings.filterwarnings("ignore", message="Do not use the `random` module inside strategies")
    with _CHECKING:
        torch.set_num_threads(CHECK_THREADS)  # as a serial run checks, on a remote scheduler's workers too
        load_catalogue()
        if claims_file is not None and claims_file not in _WORKER_FILES:
            load_claims_file(claims_file)
            _WORKER_FILES.add(claims_file)
        return check_claim(REGISTRY.get(claim_id), make_config(**settings))


def _named_check_on_worker(claim_id: str, claims_file: str | None,
                           settings: Mapping[str, Any]) -> tuple[ClaimResult, str]:
    """:func:`check_on_worker`'s result and the name of the device it ran on, for the run's
    ``device_name`` (the workers' devices, not this process's)."""
    import torch

    from theorems.runs.config import device_name

    result = check_on_worker(claim_id, claims_file, settings)
    return result, device_name(torch.device(result.device))


def check_claims(dask_client: Any, tasks: Sequence[tuple[Claim, Mapping[str, Any]]], *, claims_file: str | None,
                 finished: Callable[[int, ClaimResult, str], Any] | None = None) -> list[ClaimResult]:
    """Check (claim, settings) pairs on the cluster; results in the order of ``tasks``. ``finished``
    gets each task's index, result and device name as it completes. The task keys are unique to this
    call, so that runs sharing a scheduler never receive each other's results. Raises
    :class:`ClusterFailed` when the cluster fails mid-run (see :func:`_completed`)."""
    run = uuid.uuid4().hex[:12]
    futures = [dask_client.submit(_named_check_on_worker, claim.id, claims_file, dict(settings),
                                  pure=False, key=f"check-{claim.id}-seed{settings['seed']}-{run}-{index}")
               for index, (claim, settings) in enumerate(tasks)]
    index_of = {future.key: index for index, future in enumerate(futures)}
    results: list[ClaimResult | None] = [None] * len(futures)
    for future in _completed(dask_client, futures, wait=worker_wait()):
        index = index_of[future.key]
        result, name = _result(dask_client, future, tasks[index][0])
        results[index] = result
        if finished is not None:
            finished(index, result, name)
    return results  # type: ignore[return-value]


def _completed(dask_client: Any, futures: Sequence[Any], *, wait: float) -> Iterator[Any]:
    """The futures as they complete. Raises :class:`ClusterFailed` when the cluster has had no
    worker for ``wait`` seconds (all killed, or none ever came), or the scheduler is lost."""
    from distributed import wait as dask_wait

    pending = set(futures)
    alone_since: float | None = None
    while pending:
        try:
            done, pending = dask_wait(pending, timeout=_POLL_S, return_when="FIRST_COMPLETED")
        except TimeoutError:
            done = set()
        except concurrent.futures.CancelledError as error:  # all of them, as the connection was lost
            raise _lost(dask_client, error) from None
        yield from done
        if done or _workers(dask_client):
            alone_since = None
            continue
        alone_since = alone_since or time.monotonic()
        if time.monotonic() - alone_since >= wait:
            raise ClusterFailed(f"no Dask worker for {wait:g} s (scheduler {dask_client.scheduler.address}); "
                                f"{len(pending)} of {len(futures)} checks unfinished; {WAIT_VARIABLE} sets the wait")


def _workers(dask_client: Any) -> int:
    """How many workers the scheduler has; ClusterFailed when it no longer answers."""
    try:
        return len(dask_client.nthreads())
    except (OSError, concurrent.futures.CancelledError) as error:
        raise _lost(dask_client, error) from None


def _result(dask_client: Any, future: Any, claim: Claim) -> tuple[ClaimResult, str]:
    """A completed future's value; ClusterFailed when the scheduler was lost or the check kept
    killing its workers (the claim's own errors are in its result, not raised)."""
    from distributed import KilledWorker

    try:
        return future.result()
    except concurrent.futures.CancelledError as error:
        raise _lost(dask_client, error) from None
    except KilledWorker:
        raise ClusterFailed(f"the check of {claim.id} killed every Dask worker that ran it (out of memory?)") from None


def _lost(dask_client: Any, error: BaseException) -> ClusterFailed:
    return ClusterFailed(f"lost the connection to the Dask scheduler {dask_client.scheduler.address} mid-run "
                         f"({type(error).__name__})")
