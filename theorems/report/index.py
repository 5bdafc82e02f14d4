"""``reports/index.md``: every run under a reports folder, newest first, and ``reports/latest``.

Each run is a subfolder holding a ``results.json``; folders whose name starts with a dot (the
runner's temporary folders) and symlinks (``latest`` itself) are skipped. Files are replaced
atomically (write a temporary file, then ``os.replace``), so a reader never sees half an index.
"""

from __future__ import annotations

import json
import math
import os
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from theorems.report.values import format_counts, format_value, verdict_counts


def update_index(reports_root: Path, run_dir: Path) -> Path:
    """Rewrite ``reports_root/index.md`` and point ``reports_root/latest`` at the newest run.

    ``run_dir`` is the run just written; it must be a folder directly inside ``reports_root``
    with a ``results.json``. "Newest" is by ``run.started`` (then by folder name), not by the
    order of calls. Where symlinks are not supported, ``latest.txt`` holds the folder name instead.
    Returns the path of ``index.md``.
    """
    reports_root, run_dir = Path(reports_root), Path(run_dir)
    if run_dir.resolve().parent != reports_root.resolve():
        raise ValueError(f"run folder must be directly inside {reports_root}, got {run_dir}")
    if not (run_dir / "results.json").is_file():
        raise ValueError(f"run folder has no results.json: {run_dir}")

    runs = sorted(_runs(reports_root), key=lambda run: (_started(run[1]), run[0]), reverse=True)
    lines = ["# theorycheck runs", ""]
    if runs:
        lines += [f"Newest first; `latest` is `{runs[0][0]}`.", ""]
    lines += ["| Run | Date | Profile | Seed | Device | Verdicts |", "| --- | --- | --- | --- | --- | --- |"]
    for name, run, claims in runs:
        target = f"{name}/report.md" if (reports_root / name / "report.md").is_file() else f"{name}/"
        cells = [f"[{name}]({target})", *(format_value(run.get(k)) for k in ("started", "profile", "seed", "device")),
                 format_counts(verdict_counts(claims))]
        lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    index = reports_root / "index.md"
    _write_atomically(index, "\n".join(lines) + "\n")
    _point_latest(reports_root, runs[0][0])
    return index


def _runs(reports_root: Path) -> list[tuple[str, dict[str, Any], list[dict[str, Any]]]]:
    runs = []
    for child in sorted(reports_root.iterdir()):
        if child.name.startswith(".") or child.is_symlink() or not child.is_dir():
            continue
        try:
            results = json.loads((child / "results.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue  # not a run folder, or one still being written
        runs.append((child.name, results.get("run") or {}, list(results.get("claims") or [])))
    return runs


def _started(run: dict[str, Any]) -> float:
    """``run.started`` as a POSIX timestamp (naive times read as UTC); unreadable dates sort last."""
    try:
        started = datetime.fromisoformat(str(run.get("started")))
    except ValueError:
        return -math.inf
    if started.tzinfo is None:
        started = started.replace(tzinfo=timezone.utc)
    return started.timestamp()


def _write_atomically(path: Path, text: str) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)


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
