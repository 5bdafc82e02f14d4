"""A run's files, written all at once or not at all.

Files are written into a temporary folder beside the destination and moved into place only when the
run is complete, so an interrupted run leaves nothing half-written; a folder holding files that no run
wrote is never replaced. A bad destination is :class:`~theorems.runs.config.UsageError` (exit 2,
before any work); a failure after the work is :class:`OutputError` (exit 1).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from theorems.runs.config import UsageError

if TYPE_CHECKING:
    import pandas as pd

    from theorems.core.measurement import RunConfig
    from theorems.core.results import Results


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
    from theorems.core.tables import params_frame
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
            results.to_dataframe().to_csv(staging / "results.csv", index=False)
            params_frame(results).to_csv(staging / "results-params.csv", index=False)
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
