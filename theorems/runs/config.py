"""A run's settings, validated before any work starts: profile, seed, device, dtype, α, memory.

Everything a user can get wrong raises :class:`UsageError`; the command line turns that into a
message and exit status 2. Also here: the device's name, the torch thread policy of a checking
process, and the project's git revision, which a run records.
"""

from __future__ import annotations

import contextlib
import math
import platform
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from theorems.core.profiles import PROFILES

if TYPE_CHECKING:  # torch loads on first use: `theorycheck --help` stays fast
    import torch

    from theorems.core.measurement import RunConfig

PROJECT_ROOT = Path(__file__).resolve().parents[2]


class UsageError(ValueError):
    """Bad input from the user: reported in one line, exit status 2, nothing written."""



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
                max_memory_mib: float = 256, budget: float | None = None) -> RunConfig:
    """Validate the run's parameters and build its configuration."""
    import torch

    from theorems.core.measurement import RunConfig

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
    if budget is not None and not (math.isfinite(budget) and budget > 0):
        raise UsageError(f"--budget must be a positive number of seconds per claim, got {budget}")
    return RunConfig(profile=PROFILES[profile], seed=seed, device=resolve_device(device),
                     dtype=dtypes[dtype], alpha=alpha, max_bytes=int(max_memory_mib * 2**20), requested_device=device,
                     budget=budget)


def config_settings(config: RunConfig) -> dict[str, Any]:
    """The make_config arguments that rebuild ``config`` (in a worker process)."""
    return {"profile": config.profile.name, "seed": config.seed,
            "device": config.requested_device or str(config.device),
            "dtype": str(config.dtype).removeprefix("torch."), "alpha": config.alpha,
            "max_memory_mib": config.max_bytes / 2**20, "budget": config.budget}


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
