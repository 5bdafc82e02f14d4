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
import re
import shutil
import subprocess
import sys
import tempfile
import time
import types
from collections.abc import Callable, Iterator, Sequence
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
    _, claims = import_claims_file(path)
    if not claims:
        raise UsageError(f"claims file {path} declares no claims (use @theorems.claim(...))")
    return claims


def import_claims_file(path: str | os.PathLike) -> tuple[types.ModuleType, list[Claim]]:
    """Import a user's claims file: the module and the claims it registered (maybe none: the pytest
    plugin collects such a file as an ordinary test module)."""
    path = Path(path)
    if not path.is_file():
        raise UsageError(f"claims file not found: {path}")
    for claim_id in _LOADED_FROM.pop(path.resolve(), ()):  # loading a file again replaces its claims
        REGISTRY.remove(claim_id)
    before = {claim.id for claim in REGISTRY}
    digest = hashlib.blake2b(str(path.resolve()).encode(), digest_size=6).hexdigest()
    name = f"theorycheck_user_claims_{path.stem}_{digest}"  # unique per file; seeds never depend on it
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise UsageError(f"claims file is not a Python file: {path}")
    module = importlib.util.module_from_spec(spec)
    try:
        sys.modules[name] = module
        spec.loader.exec_module(module)
    except (Exception, SystemExit) as error:  # any failure of the user's code (sys.exit too) is bad input;
        # KeyboardInterrupt still interrupts. The claims it registered before failing go too.
        sys.modules.pop(name, None)
        for claim_id in [claim.id for claim in REGISTRY if claim.id not in before]:
            REGISTRY.remove(claim_id)
        raise UsageError(f"claims file {path} failed to import: {type(error).__name__}: {error}") from error
    added = [claim for claim in REGISTRY if claim.id not in before]
    _LOADED_FROM[path.resolve()] = [claim.id for claim in added]
    return module, added


def select_claims(patterns: Sequence[str] | None, pool: Sequence[Claim] | None = None, *,
                  claims_file: str | None = None) -> list[Claim]:
    """Claims matching any pattern (glob on id or row ID) in ``pool`` (default: all registered);
    ``claims_file`` names the file the pool came from, for the messages. Every pattern must match
    a claim: a mistyped one among good ones is bad input, not silently a smaller run."""
    pool = list(REGISTRY) if pool is None else list(pool)
    if not patterns:
        return pool
    import fnmatch

    if any(not pattern.strip() for pattern in patterns):
        raise UsageError("--claims got an empty pattern: give a claim id or row ID, or a glob such as 'gd-*'")

    def matches(claim: Claim, pattern: str) -> bool:
        return any(fnmatch.fnmatch(name, pattern) for name in (claim.id, *claim.inventory_ids))

    unmatched = [p for p in patterns if not any(matches(c, p) for c in pool)]
    if unmatched:
        where = (f"the claims of {claims_file} (with --claims-file only that file's claims run; drop "
                 f"--claims-file to select from the catalogue)" if claims_file else "the catalogue")
        listing = f"theorycheck list{f' --claims-file {claims_file}' if claims_file else ''}"
        raise UsageError(f"no claim matches {', '.join(repr(p) for p in unmatched)} in {where}; `{listing}` "
                         "shows the claims")
    return [c for c in pool if any(matches(c, p) for p in patterns)]


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
    return f"{model} ({CHECK_THREADS} thread per checking process)"


# torch's intra-op threads in a process that checks claims. torch splits a reduction (a sum, a mean,
# batch norm's statistics) between its threads, so the last bits of a result depend on how many there
# are, and those bits choose the element a deterministic check reports and steer the targeted search.
# With one thread per process every run sums in the same order; parallelism comes from processes
# (--workers, a Dask cluster, pytest -n), which was also the faster choice at smoke (README).
CHECK_THREADS = 1


@contextlib.contextmanager
def check_threads() -> Iterator[None]:
    """torch's intra-op threads set to :data:`CHECK_THREADS` while claims are checked in this
    process, then restored, so that code around the run keeps its own setting."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(CHECK_THREADS)
    try:
        yield
    finally:
        torch.set_num_threads(before)


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
        names: set[str] = set()  # the devices the workers checked on

        def checked(index: int, result: ClaimResult, name: str) -> None:
            names.add(name)
            if finished is not None:
                finished(claims[index], result)

        results = check_claims(dask_client, [(claim, settings) for claim in claims], claims_file=claims_file,
                               threads=threads, finished=checked)
        run_device_names = "; ".join(sorted(names))
    else:
        run_device_names = None
        results = []
        cache = MeasurementCache()  # claims registering the same measurement under one seed_key share its points
        with check_threads():
            for claim in claims:
                if progress is not None:
                    progress(claim)
                results.append(check_claim(claim, config, cache=cache, on_point=on_point))
                if finished is not None:
                    finished(claim, results[-1])
    return assemble_results(results, config, started=started, seconds=time.perf_counter() - start,
                            claims_file=claims_file, device_names=run_device_names)


def assemble_results(claims: list[ClaimResult], config: RunConfig, *, started: dt.datetime, seconds: float,
                     claims_file: str | None, device_names: str | None = None) -> Results:
    """The results of a run from its checked claims: the run's settings and versions, the row
    table, the claims. Used by :func:`run_claims` and the pytest plugin. ``device_names`` names the
    devices the claims were checked on when not this process's ``config.device`` (Dask workers')."""
    import numpy as np
    import torch

    from theorems.results import Results, RunInfo
    from theorems.verdicts import row_table

    looks = ", 0.9 of a point’s share for its first look and 0.1 for a second" if config.profile.second_look else ""
    run = RunInfo(
        seed=config.seed, profile=config.profile.name, device=str(config.device),
        device_name=device_names or device_name(config.device),
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
    """One row per evidence point, for results.csv (:meth:`Results.to_dataframe`)."""
    return results.to_dataframe()


def params_table(results: Results) -> pd.DataFrame:
    """One row per evidence point and parameter, for results-params.csv."""
    from theorems.report.tables import params_frame

    return params_frame(results)


MANIFEST = ".theorycheck-files"  # in a run's folder: the files the run wrote, one a line
PARTIAL = re.compile(r"^\..*\.partial-(\d+)-")  # a run's folder while it is written, named with its pid


class OutputError(RuntimeError):
    """Files that could not be written after the work was done (a full disk, a folder made read-only
    meanwhile): reported in one line, exit status 1; nothing half-written is left."""


def check_writable(out_dir: Path, option: str = "--out", *, fresh: bool = False) -> None:
    """Raise UsageError, before any work, if the run cannot be written to ``out_dir``: a name the
    filesystem refuses, a link, a file, a folder holding anything a run did not write (unless
    ``fresh``: then a taken name gets ``-2``), or a place where the run's temporary folder (beside
    ``out_dir``) cannot be made."""
    out_dir = Path(out_dir)
    check_name(out_dir, option)
    if not fresh:
        _check_replaceable(out_dir, option)
    _check_can_write_under(out_dir.parent, option, out_dir)  # the temporary folder, and the move


def _check_replaceable(out_dir: Path, option: str) -> None:
    """Raise UsageError unless ``out_dir`` is new, empty, or a previous run's folder that can be swapped out."""
    if out_dir.is_symlink():
        raise UsageError(f"{option} {out_dir} is a link (to {os.readlink(out_dir)}); a run is written into a "
                         f"folder, never through a link: name the folder itself")
    if out_dir.exists() and not out_dir.is_dir():
        raise UsageError(f"{option} {out_dir} exists and is not a folder")
    if not out_dir.is_dir():
        return
    foreign = files_not_of_a_run(out_dir)
    if foreign:
        shown = ", ".join(foreign[:3]) + (f" and {len(foreign) - 3} more" if len(foreign) > 3 else "")
        older = (" (a run written before runs listed their files in .theorycheck-files is one: remove it "
                 "yourself)") if not (out_dir / MANIFEST).exists() and (out_dir / "results.json").exists() else ""
        raise UsageError(f"{option} {out_dir} holds files that no theorycheck run wrote ({shown}); a run "
                         f"replaces only a run: choose an empty or new folder{older}")
    _check_can_write_under(out_dir, option, out_dir)  # moving a folder updates its ".." entry


def check_output_file(path: Path, option: str) -> None:
    """Raise UsageError, before any work, if a file (a CSV table) cannot be written at ``path``."""
    path = Path(path)
    check_name(path, option)
    if path.is_dir():
        raise UsageError(f"{option} {path} is a folder; give a file name")
    if not path.parent.is_dir():
        raise UsageError(f"{option} {path}: folder {path.parent} does not exist")
    _check_can_write_under(path.parent, option, path)


def check_name(path: Path, option: str) -> None:
    """Raise UsageError if ``path``, or a part of it, is longer than its filesystem allows."""
    path = Path(path)
    ancestor = next((p for p in path.absolute().parents if _exists(p)), Path("/"))
    name_max, path_max = (_path_limit(ancestor, key, default) for key, default in
                          (("PC_NAME_MAX", 255), ("PC_PATH_MAX", 4096)))
    long_part = next((part for part in path.parts if len(os.fsencode(part)) > name_max), None)
    if long_part is not None:
        raise UsageError(f"{option} {path}: the name {long_part[:24]}… is {len(os.fsencode(long_part))} bytes "
                         f"long; this filesystem allows {name_max}")
    if len(os.fsencode(path.absolute())) >= path_max:
        raise UsageError(f"{option} {path}: the path is {len(os.fsencode(path.absolute()))} bytes long; this "
                         f"system allows {path_max - 1}")


def _exists(path: Path) -> bool:
    try:
        return path.exists()
    except OSError:  # a name too long to look up
        return False


def _path_limit(folder: Path, key: str, default: int) -> int:
    try:
        return os.pathconf(folder, key)
    except (OSError, ValueError):
        return default


def _check_can_write_under(path: Path, option: str, out: Path) -> None:
    """Raise UsageError unless a file can be made in ``path``, or in its nearest existing ancestor."""
    ancestor = path
    while not ancestor.exists():
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise UsageError(f"{option} {out} lies beneath {ancestor}, which is a file, not a folder")
    try:
        with tempfile.TemporaryFile(dir=ancestor):
            pass
    except OSError as error:
        raise UsageError(f"cannot write under {ancestor} ({error.strerror or error}); choose another {option}") from None


def files_not_of_a_run(folder: Path) -> list[str]:
    """What in ``folder`` no theorycheck run wrote: all of it unless it is a run's folder (its
    :data:`MANIFEST` lists the run's files), else what the list leaves out (a user's notes, a
    figure of their own)."""
    try:
        ours = set((folder / MANIFEST).read_text(encoding="utf-8").splitlines())
    except (OSError, UnicodeDecodeError):
        return sorted(os.listdir(folder))  # not a run: only its top level is looked at (--out ~)
    ours |= {MANIFEST, *(str(parent) for name in ours for parent in Path(name).parents if parent != Path("."))}
    return [name for name in sorted(str(p.relative_to(folder)) for p in folder.rglob("*")) if name not in ours]


def write_outputs(results: Results, out_dir: Path, *, fresh: bool = False, processes: int = 1,
                  committing: Callable[[], contextlib.AbstractContextManager] = contextlib.nullcontext,
                  on_commit: Callable[[Path], Any] | None = None) -> list[Path]:
    """Write results.json, results.csv and the report into ``out_dir`` atomically.

    The files are written into a temporary folder beside ``out_dir`` (``.<name>.partial-<pid>-…``;
    those of dead processes are removed first), listed in its :data:`MANIFEST`, and moved into place
    whole: a new run's folder appears, or a previous run in ``out_dir`` is swapped for it, never
    mixed with it. A folder holding anything a run did not write is never replaced. With ``fresh``,
    ``out_dir`` names a new folder: if another run took that name meanwhile, this one gets
    ``<name>-2`` (``-3`` …), claimed atomically, so no run ever replaces another. The move and then
    ``on_commit(folder)`` run inside ``committing()`` (the command line defers signals there, so the
    run's folder and the index that lists it agree). ``processes`` draws the figures in that many
    worker processes (:func:`theorems.report.render_figures`). Raises :class:`OutputError` when a
    file cannot be written (nothing is left then).
    """
    from theorems.report import write_report

    out_dir = Path(out_dir)
    with _or_nothing_written(out_dir):
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        remove_stale_partials(out_dir.parent)
        staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name[:100]}.partial-{os.getpid()}-", dir=out_dir.parent))
    retired = staging.with_name(f"{staging.name}-replaced")
    umask = os.umask(0)
    os.umask(umask)
    try:
        with _or_nothing_written(out_dir):
            staging.chmod(0o777 & ~umask)  # mkdtemp's folder is private; the report folder is not
            results.dump(staging / "results.json")
            results_table(results).to_csv(staging / "results.csv", index=False)
            params_table(results).to_csv(staging / "results-params.csv", index=False)
            write_report(results, staging, processes=processes)
            written = sorted(p.relative_to(staging) for p in staging.rglob("*") if p.is_file())
            (staging / MANIFEST).write_text("".join(f"{p.as_posix()}\n" for p in written), encoding="utf-8")
        with committing():
            with _or_nothing_written(out_dir):
                out_dir = _move_into_place(staging, out_dir, retired, fresh=fresh)
            if on_commit is not None:
                on_commit(out_dir)
        return [out_dir / p for p in written]
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        shutil.rmtree(retired, ignore_errors=True)


@contextlib.contextmanager
def _or_nothing_written(out_dir: Path) -> Iterator[None]:
    """An OSError inside (a full disk, a folder made read-only meanwhile) as an :class:`OutputError`."""
    try:
        yield
    except OSError as error:
        raise OutputError(f"cannot write the run to {out_dir}: {error.strerror or error}; "
                          "nothing was written") from None


def _move_into_place(staging: Path, out_dir: Path, retired: Path, *, fresh: bool) -> Path:
    """Move the finished ``staging`` folder to ``out_dir`` (a new ``<name>-N`` with ``fresh``), swapping a
    previous run there out to ``retired``; return the folder the run now is in."""
    if fresh:
        out_dir = _claim_new_folder(out_dir)
    if not out_dir.exists() or not any(out_dir.iterdir()):
        os.replace(staging, out_dir)  # a new name, or onto an empty folder (the one just claimed)
    else:
        foreign = files_not_of_a_run(out_dir)  # checked before the work; a user may have added files since
        if foreign:
            raise OutputError(f"{out_dir} now holds files that no theorycheck run wrote "
                              f"({', '.join(foreign[:3])}); it was left as it was, and nothing was written")
        out_dir.rename(retired)
        try:
            staging.rename(out_dir)
        except OSError:
            retired.rename(out_dir)  # the previous run, back as it was
            raise
    return out_dir


def remove_stale_partials(folder: Path) -> None:
    """Remove the temporary folders (``.<name>.partial-<pid>-…``) that runs killed before they could
    clean up (SIGKILL, a power cut) left in ``folder``: those whose process no longer exists."""
    with contextlib.suppress(OSError):  # a folder that cannot be listed has none to remove
        for entry in folder.iterdir():
            match = PARTIAL.match(entry.name)
            if match and int(match.group(1)) != os.getpid() and not _alive(int(match.group(1))):
                shutil.rmtree(entry, ignore_errors=True)


def _alive(pid: int) -> bool:
    """Whether process ``pid`` exists on this machine."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        pass
    return True


def write_table(table: pd.DataFrame, path: Path, option: str = "--csv") -> None:
    """Write ``table`` as CSV to ``path`` whole, or raise :class:`OutputError` and leave no part of it."""
    write_file(path, lambda temporary: table.to_csv(temporary, index=False), option)


def write_file(path: Path, write: Callable[[Path], Any], option: str) -> None:
    """``write`` a file at a temporary name beside ``path``, then move it into place: the file is
    whole or absent; a failure raises :class:`OutputError` and leaves no part of it."""
    path = Path(path)
    temporary = path.with_name(f".{path.name[:100]}.partial-{os.getpid()}")
    try:
        write(temporary)
        os.replace(temporary, path)
    except BaseException as error:
        temporary.unlink(missing_ok=True)
        if isinstance(error, OSError):
            raise OutputError(f"cannot write {option} {path}: {error.strerror or error}") from None
        raise


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
