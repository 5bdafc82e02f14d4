"""``reports/index.md``: every run under a reports folder, newest first, and ``reports/latest``.

Each run is a subfolder holding a ``results.json``; folders whose name starts with a dot (the
runner's temporary folders), symlinks (``latest`` itself) and folders without a results.json that
:meth:`Results.load <theorems.core.results.Results.load>` reads are skipped: none (not a run), or one
of another schema version, damaged or edited by hand (with a :class:`SkippedRunWarning`). Files
are replaced atomically (write a temporary file, then ``os.replace``), so a reader never sees
half an index.
"""

from __future__ import annotations

import math
import os
import warnings
from datetime import datetime, timezone
from pathlib import Path

from theorems.core.results import Results, ResultsError
from theorems.core.text import format_counts, format_value, verdict_counts


class SkippedRunWarning(UserWarning):
    """A folder under the reports folder holds a results.json this version cannot read."""


def update_index(reports_root: Path, run_dir: Path) -> Path:
    """Rewrite ``reports_root/index.md`` and point ``reports_root/latest`` at the newest run.

    ``run_dir`` is the run just written; it must be a folder directly inside ``reports_root``
    with a ``results.json``. "Newest" is by ``run.started`` (then by folder name), not by the
    order of calls. Where symlinks are not supported, ``latest.txt`` holds the folder name instead.
    Returns the path of ``index.md``; raises :class:`~theorems.core.results.ResultsError` (a ValueError)
    when ``run_dir``'s own results.json cannot be read (other runs' unreadable ones are skipped).
    """
    reports_root, run_dir = Path(reports_root), Path(run_dir)
    if run_dir.resolve().parent != reports_root.resolve():
        raise ValueError(f"run folder must be directly inside {reports_root}, got {run_dir}")
    if not (run_dir / "results.json").is_file():
        raise ValueError(f"run folder has no results.json: {run_dir}")

    runs = sorted(_runs(reports_root, run_dir.name), key=lambda run: (_started(run[1].run.started), run[0]),
                  reverse=True)
    lines = ["# theorycheck runs", ""]
    if runs:
        lines += [f"Newest first; `latest` is `{runs[0][0]}`.", ""]
    lines += ["| Run | Date | Profile | Seed | Device | Verdicts |", "| --- | --- | --- | --- | --- | --- |"]
    for name, results in runs:
        run = results.run
        target = f"{name}/report.md" if (reports_root / name / "report.md").is_file() else f"{name}/"
        cells = [f"[{name}]({target})", *map(format_value, (run.started, run.profile, run.seed, run.device)),
                 format_counts(verdict_counts(c.verdict for c in results.claims))]
        lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    index = reports_root / "index.md"
    _write_atomically(index, "\n".join(lines) + "\n")
    _point_latest(reports_root, runs[0][0])
    return index


def _runs(reports_root: Path, run_name: str) -> list[tuple[str, Results]]:
    """(folder name, results) of every run folder; ``run_name``, the run just written, must be readable."""
    runs = []
    for child in sorted(reports_root.iterdir()):
        if child.name.startswith(".") or child.is_symlink() or not child.is_dir():
            continue
        if not (child / "results.json").exists() and child.name != run_name:
            continue  # not a run folder
        try:
            results = Results.load(child / "results.json")
        except ResultsError as error:
            if child.name == run_name:
                raise
            warnings.warn(f"not listed in {reports_root / 'index.md'}: {error}", SkippedRunWarning, stacklevel=3)
            continue  # another schema version, or a results.json damaged or edited by hand
        runs.append((child.name, results))
    return runs


def _started(started: str) -> float:
    """``run.started`` as a POSIX timestamp (naive times read as UTC); unreadable dates sort last."""
    try:
        moment = datetime.fromisoformat(started)
    except (TypeError, ValueError):
        return -math.inf
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.timestamp()


def _write_atomically(path: Path, text: str) -> None:
    """Replace ``path`` by ``text`` whole; on failure (a full disk) leave the old file and no temporary one."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        temporary.write_text(text, encoding="utf-8")
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _point_latest(reports_root: Path, name: str) -> None:
    link, fallback = reports_root / "latest", reports_root / "latest.txt"
    temporary = reports_root / f".latest.{os.getpid()}.tmp"
    try:
        if temporary.is_symlink() or temporary.exists():
            temporary.unlink()
        os.symlink(name, temporary, target_is_directory=True)
        os.replace(temporary, link)
    except (OSError, NotImplementedError):
        if temporary.is_symlink():
            temporary.unlink()
        _write_atomically(fallback, name + "\n")
        return
    if fallback.exists():
        fallback.unlink()  # a stale fallback from a filesystem without symlinks would contradict the link
