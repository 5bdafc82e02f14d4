"""The report of a run: ``report.md``, ``report.html``, ``errata.md`` and one figure per claim.

The run folder is self-contained, not report.html alone: both reports show ``figures/<claim-id>.png``
by relative path, so each figure's bytes are written once, in ``figures/``, and report.html stays small
(the catalogue's, at ``standard``, under 2 MB). report.html fetches nothing else: no scripts, no
stylesheets, fonts or images from elsewhere; opened from the run folder it shows every figure.

Public API::

    write_report(results, out_dir) -> list[Path]   # the files written into out_dir (report.md, errata.md, ...)
    update_index(reports_root, run_dir) -> Path    # reports_root/index.md, plus reports_root/latest

``results`` is a :class:`theorems.core.results.Results` (docs/results-schema.md shows its JSON). Apart
from the timings (``run.seconds`` and each claim's ``seconds``), every byte written is a pure
function of ``results``.
"""

from __future__ import annotations

import concurrent.futures
import multiprocessing
import re
import warnings
from collections.abc import Sequence
from pathlib import Path

from theorems.core.results import ClaimResult, Results
from theorems.report.content import errata_blocks, exact_figure_key, report_blocks
from theorems.report.document import Heading, Link, Paragraph, to_html, to_markdown
from theorems.report.figures import render_exact_figure, render_figure
from theorems.report.index import update_index

__all__ = ["update_index", "write_report"]


def figure_name(claim_id: str) -> str:
    """The figure's file name: the claim id with anything unsafe in a file name replaced."""
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", claim_id).strip("._") or "claim"
    return f"{stem}.png"


def write_report(results: Results, out_dir: Path, *, processes: int = 1) -> list[Path]:
    """Write ``report.md``, ``report.html``, ``errata.md`` and ``figures/<claim-id>.png`` into ``out_dir``.

    ``out_dir`` must exist; the caller makes the whole folder appear atomically. Returns the paths
    written: the markdown report, the HTML report, the errata sheet, then the figures in claim order.
    ``processes``: see :func:`render_figures`.
    """
    out_dir = Path(out_dir)
    if not out_dir.is_dir():
        raise ValueError(f"report folder must exist, got {out_dir}")
    paths: dict[str, str] = {}
    for claim in results.claims:
        path = f"figures/{figure_name(claim.id)}"
        if claim.id in paths or path in paths.values():
            raise ValueError(f"two claims share the figure file {path} (claim id {claim.id!r})")
        paths[claim.id] = path
    pngs = render_figures(results.claims, processes=processes)
    figures = {claim.id: (paths[claim.id], png) for claim, png in zip(results.claims, pngs)}
    figures.update({exact_figure_key(claim.id): (paths[claim.id].removesuffix(".png") + "-exact.png", png)
                    for claim in results.claims if (png := render_exact_figure(claim)) is not None})

    blocks = report_blocks(results, figures)
    markdown, html = out_dir / "report.md", out_dir / "report.html"
    markdown.write_text(to_markdown(blocks), encoding="utf-8")
    html.write_text(to_html(blocks, title=_title(results)), encoding="utf-8")
    errata = out_dir / "errata.md"
    errata.write_text(to_markdown(errata_sheet(results)), encoding="utf-8")
    written = [markdown, html, errata]
    if figures:
        (out_dir / "figures").mkdir(exist_ok=True)
    for path, png in figures.values():
        (out_dir / path).write_bytes(png)
        written.append(out_dir / path)
    return written


def errata_sheet(results: Results):
    """``errata.md``: the report's errata section on its own, for an instructor, linking into report.md."""
    return [
        Heading(1, ["theorycheck errata"]),
        Paragraph([f"Run of {results.run.started}, profile {results.run.profile}, seed {results.run.seed}. "
                   "Each finding links to its evidence in ", Link("report.md", "errata", "report.md"), "."]),
        *errata_blocks(results.rows, page="report.md", level=2),
    ]


def render_figures(claims: Sequence[ClaimResult], *, processes: int = 1) -> list[bytes]:
    """Every claim's figure, in order; with ``processes`` > 1, in that many spawned worker processes
    (each figure is a pure function of its claim, so the bytes are the same). Spawned workers import
    the caller's main module again, so only a caller whose main module is guarded (the command line)
    asks for them."""
    processes = min(processes, len(claims) // 8)  # a worker costs a second to start: 8 figures at least each
    if processes < 2:
        return [render_figure(claim) for claim in claims]
    try:  # spawn, not fork: the caller holds threads (torch's) that fork would copy half-done
        with concurrent.futures.ProcessPoolExecutor(processes, mp_context=multiprocessing.get_context("spawn")) as pool:
            return list(pool.map(render_figure, claims, chunksize=4))
    except (OSError, concurrent.futures.process.BrokenProcessPool) as error:  # no processes here
        warnings.warn(f"figures drawn in this process: worker processes failed ({error})", RuntimeWarning, stacklevel=2)
        return [render_figure(claim) for claim in claims]


def _title(results: Results) -> str:
    return f"theorycheck report — {results.run.started} — {results.run.profile}".strip(" —")
