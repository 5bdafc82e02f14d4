"""The runner: picks claims, checks them, and writes the run's files all at once or not at all.

Everything a user can get wrong (claim pattern, profile, device, claims file, parameters) is
checked before any work starts, and raises :class:`UsageError`; the command line turns that into
a message and exit status 2. Files are written into a temporary folder beside the destination and
moved into place only when the run is complete, so an interrupted run leaves nothing half-written.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import importlib.util
import json
import math
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from typing import TYPE_CHECKING

import theorems
from theorems.claim import REGISTRY, Claim
from theorems.profiles import PROFILES

if TYPE_CHECKING:  # torch, numpy and pandas load on first use: `theorycheck --help` stays fast
    import pandas as pd
    import torch

    from theorems.measurement import RunConfig
    from theorems.results import ClaimResult, Results
PROJECT_ROOT = Path(__file__).resolve().parent.parent


class UsageError(ValueError):
    """Bad input from the user: reported in one line, exit status 2, nothing written."""


def load_catalogue() -> None:
    """Register the built-in claims (importing the modules registers them once)."""
    import theorems.claims  # noqa: F401


_LOADED_FROM: dict[Path, list[str]] = {}  # claims file -> ids it registered


def load_claims_file(path: str | os.PathLike) -> list[Claim]:
    """Import a user's claims file and return the claims it registered."""
    path = Path(path)
    if not path.is_file():
        raise UsageError(f"claims file not found: {path}")
    for claim_id in _LOADED_FROM.pop(path.resolve(), ()):  # loading a file again replaces its claims
        REGISTRY.remove(claim_id)
    before = {claim.id for claim in REGISTRY}
    digest = hashlib.blake2b(str(path.resolve()).encode(), digest_size=6).hexdigest()
    name = f"theorycheck_user_claims_{path.stem}_{digest}"  # stable: measurements are seeded by module name
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise UsageError(f"claims file is not a Python file: {path}")
    module = importlib.util.module_from_spec(spec)
    try:
        sys.modules[name] = module
        spec.loader.exec_module(module)
    except Exception as error:  # any failure of the user's code is bad input, reported in one line
        sys.modules.pop(name, None)
        raise UsageError(f"claims file {path} failed to import: {type(error).__name__}: {error}") from error
    added = [claim for claim in REGISTRY if claim.id not in before]
    _LOADED_FROM[path.resolve()] = [claim.id for claim in added]
    if not added:
        raise UsageError(f"claims file {path} declares no claims (use @theorems.claim(...))")
    return added


def select_claims(patterns: Sequence[str] | None, pool: Sequence[Claim] | None = None, *,
                  claims_file: str | None = None) -> list[Claim]:
    """Claims matching any pattern (glob on id or row ID) in ``pool`` (default: all registered);
    ``claims_file`` names the file the pool came from, for the messages."""
    pool = list(REGISTRY) if pool is None else list(pool)
    if not patterns:
        return pool
    import fnmatch

    if any(not pattern.strip() for pattern in patterns):
        raise UsageError("--claims got an empty pattern: give a claim id or row ID, or a glob such as 'gd-*'")
    chosen = [c for c in pool if any(fnmatch.fnmatch(name, pattern) for pattern in patterns
                                     for name in (c.id, *c.inventory_ids))]
    if not chosen:
        where = (f"the claims of {claims_file} (with --claims-file only that file's claims run; drop "
                 f"--claims-file to select from the catalogue)" if claims_file else "the catalogue")
        listing = f"theorycheck list{f' --claims-file {claims_file}' if claims_file else ''}"
        raise UsageError(f"no claim matches {', '.join(repr(p) for p in patterns)} in {where}; `{listing}` "
                         "shows the claims")
    return chosen


def resolve_device(name: str) -> torch.device:
    """'auto' (CUDA when available, else CPU), 'cpu', 'cuda' or 'cuda:N'."""
    import torch

    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(name)
    except RuntimeError:
        raise UsageError(f"unknown device {name!r}: use auto, cpu, cuda or cuda:N") from None
    if device.type == "cpu":
        return device
    if device.type != "cuda":
        raise UsageError(f"unsupported device {name!r}: use auto, cpu, cuda or cuda:N")
    if not torch.cuda.is_available():
        raise UsageError(f"device {name!r} asked for, but CUDA is not available "
                         f"(torch {torch.__version__}); use --device cpu or auto")
    if device.index is not None and device.index >= torch.cuda.device_count():
        raise UsageError(f"device {name!r} asked for, but only {torch.cuda.device_count()} CUDA device(s) exist")
    return device


def device_name(device: torch.device) -> str:
    import torch

    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    model = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return f"{model} ({torch.get_num_threads()} threads)"


def make_config(*, profile: str, seed: int, device: str, dtype: str = "float32", alpha: float = 0.01,
                max_memory_mib: float = 256) -> RunConfig:
    """Validate the run's parameters and build its configuration."""
    import torch

    from theorems.measurement import RunConfig

    if profile not in PROFILES:
        raise UsageError(f"unknown profile {profile!r}: choose one of {', '.join(PROFILES)}")
    if seed < 0:
        raise UsageError(f"seed must be >= 0, got {seed}")
    if not 0 < alpha < 1:
        raise UsageError(f"alpha must be in (0, 1), got {alpha}")
    if not (math.isfinite(max_memory_mib) and max_memory_mib >= 1 / 1024):
        raise UsageError(f"--max-memory must be a number of MiB, at least 1/1024 (1 KiB), got {max_memory_mib}")
    dtypes = {"float32": torch.float32, "float64": torch.float64}
    if dtype not in dtypes:
        raise UsageError(f"dtype must be float32 or float64, got {dtype!r}")
    return RunConfig(profile=PROFILES[profile], seed=seed, device=resolve_device(device),
                     dtype=dtypes[dtype], alpha=alpha, max_bytes=int(max_memory_mib * 2**20), requested_device=device)


def config_settings(config: RunConfig) -> dict[str, Any]:
    """The make_config arguments that rebuild ``config`` (in a worker process)."""
    return {"profile": config.profile.name, "seed": config.seed,
            "device": config.requested_device or str(config.device),
            "dtype": str(config.dtype).removeprefix("torch."), "alpha": config.alpha,
            "max_memory_mib": config.max_bytes / 2**20}


def git_revision() -> str | None:
    """The project's own revision: only when theorycheck runs from its own git checkout (installed inside
    a user's repository, that repository's HEAD is not ours to record)."""
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        out = subprocess.run(["git", "rev-parse", "--show-toplevel", "--short", "HEAD"], cwd=PROJECT_ROOT,
                             capture_output=True, text=True, timeout=5, check=True)
        top, revision = (out.stdout.splitlines() + ["", ""])[:2]
        if Path(top).resolve() != PROJECT_ROOT or not (PROJECT_ROOT / "theorems" / "__init__.py").is_file():
            return None
        return revision.strip() or None
    return None


def run_claims(claims: Sequence[Claim], config: RunConfig, *, claims_file: str | None = None,
               progress: Callable[[Claim], Any] | None = None,
               on_point: Callable[[], None] | None = None,
               finished: Callable[[Claim, ClaimResult], Any] | None = None,
               dask_client: Any = None, threads: int | None = None) -> Results:
    """Check the claims and return the run's results: in this process, or
    on a Dask cluster (``dask_client``, see :mod:`theorems.distributed`) with the same results."""
    from theorems.engine import check_claim
    from theorems.measurement import MeasurementCache

    started = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    start = time.perf_counter()
    if dask_client is not None:
        from theorems.distributed import check_claims

        settings = config_settings(config)
        results = check_claims(dask_client, [(claim, settings) for claim in claims], claims_file=claims_file,
                               threads=threads, finished=lambda i, result: finished and finished(claims[i], result))
    else:
        results = []
        cache = MeasurementCache()  # claims registering the same measurement share its points
        for claim in claims:
            if progress is not None:
                progress(claim)
            results.append(check_claim(claim, config, cache=cache, on_point=on_point))
            if finished is not None:
                finished(claim, results[-1])
    return assemble_results(results, config, started=started, seconds=time.perf_counter() - start,
                            claims_file=claims_file)


def assemble_results(claims: list[ClaimResult], config: RunConfig, *, started: dt.datetime, seconds: float,
                     claims_file: str | None) -> Results:
    """The results of a run from its checked claims: the run's settings and versions, the row
    table, the claims. Used by :func:`run_claims` and the pytest plugin."""
    import numpy as np
    import torch

    from theorems.results import Results, RunInfo
    from theorems.verdicts import row_table

    looks = ", 0.9 of a point’s share for its first look and 0.1 for a second" if config.profile.second_look else ""
    run = RunInfo(
        seed=config.seed, profile=config.profile.name, device=str(config.device), device_name=device_name(config.device),
        dtype=str(config.dtype).removeprefix("torch."), python=platform.python_version(), torch=torch.__version__,
        numpy=np.__version__, theorycheck=theorems.__version__, git_revision=git_revision(),
        started=started.isoformat(), seconds=round(seconds, 3),
        max_memory_mib=config.max_bytes / 2**20,  # chunk size, which fixes how the random streams are cut
        alpha=config.alpha, family_wise_alpha=min(1.0, config.alpha * len(claims)),
        alpha_split=(f"α = {config.alpha:g} per claim, split by Bonferroni over its readings and planned points "
                     f"(point_alpha{looks}); over the {len(claims)} claim(s) of this run, the expected number of "
                     f"false alarms is at most {config.alpha * len(claims):.3g}"),
        claims_file=claims_file)
    return Results(run=run, rows=row_table(claims), claims=claims)


def catalogue_claims() -> list[Claim]:
    """The built-in catalogue's claims (not those of claims files loaded beside it)."""
    load_catalogue()
    return [claim for claim in REGISTRY if claim.measure.__module__.startswith("theorems.claims.")]


def results_table(results: Results) -> pd.DataFrame:
    """One row per evidence point, for results.csv."""
    import pandas as pd

    measured = ["estimate", "stated", "ci_low", "ci_high", "se", "detectable", "samples", "verdict"]
    rows = [{"claim": claim.id, "claim_verdict": claim.verdict, "inventory_ids": " ".join(claim.inventory_ids),
             "reading": point.reading, "params": json.dumps(point.params, sort_keys=True, ensure_ascii=False),
             **{key: getattr(point, key) for key in measured}}
            for claim in results.claims for point in claim.evidence]
    return pd.DataFrame(rows, columns=["claim", "claim_verdict", "inventory_ids", "reading", "params", *measured])


def check_writable(out_dir: Path, option: str = "--out") -> None:
    """Raise UsageError, before any work, if ``out_dir`` cannot be created or written into."""
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise UsageError(f"{option} {out_dir} exists and is not a folder")
    ancestor = out_dir
    while not ancestor.exists():
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise UsageError(f"{option} {out_dir} lies beneath {ancestor}, which is a file, not a folder")
    try:
        with tempfile.TemporaryFile(dir=ancestor):
            pass
    except OSError as error:
        raise UsageError(f"cannot write under {ancestor} ({error.strerror or error}); choose another {option}") from None


def write_outputs(results: Results, out_dir: Path, *, fresh: bool = False, processes: int = 1) -> list[Path]:
    """Write results.json, results.csv and the report into ``out_dir`` atomically.

    With ``fresh``, ``out_dir`` names a new folder: if another run took that name meanwhile, this
    one gets ``<name>-2`` (``-3`` …), claimed atomically, so no run ever replaces another.
    ``processes`` draws the figures in that many worker processes (:func:`theorems.report.render_figures`).
    """
    from theorems.report import write_report

    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.partial-", dir=out_dir.parent))
    umask = os.umask(0)
    os.umask(umask)
    staging.chmod(0o777 & ~umask)  # mkdtemp's folder is private; the report folder is not
    try:
        results.dump(staging / "results.json")
        results_table(results).to_csv(staging / "results.csv", index=False)
        write_report(results, staging, processes=processes)
        written = sorted(p.relative_to(staging) for p in staging.rglob("*") if p.is_file())
        if fresh:
            out_dir = _claim_new_folder(out_dir)
            os.replace(staging, out_dir)  # onto the empty folder just claimed
        elif not out_dir.exists():
            staging.rename(out_dir)
        else:
            for entry in sorted(staging.iterdir()):
                target = out_dir / entry.name
                if target.is_dir() and not target.is_symlink():
                    shutil.rmtree(target)
                os.replace(entry, target)
        return [out_dir / p for p in written]
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _claim_new_folder(base: Path) -> Path:
    """Create ``base`` (or ``base-2``, ``base-3`` … if taken) exclusively and return it."""
    candidate, n = base, 1
    while True:
        try:
            candidate.mkdir()
            return candidate
        except FileExistsError:
            n += 1
            candidate = base.with_name(f"{base.name}-{n}")


def default_out_dir(reports_root: Path, config: RunConfig) -> Path:
    """The name of a run's folder under ``reports_root`` (made unique when written: ``write_outputs(fresh=True)``)."""
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    return reports_root / f"{stamp}-{config.profile.name}-seed{config.seed}"
