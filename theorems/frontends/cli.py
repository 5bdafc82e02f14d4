"""The command line: ``theorycheck list | show ID | run | lint FILE | calibrate | bench``.

``run`` exits 0 when the run completed, whatever the verdicts (they are findings), 1 when a
claim's check raised an error (the report is written, that claim inconclusive, the traceback on
stderr) or when its files cannot be written (one line; nothing half-written is left), 2 on bad
input (found before any work; nothing is written then), and 128 + the signal's number when
interrupted: 130 for SIGINT, 143 for SIGTERM (nothing half-written is left).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
import textwrap
import threading
from pathlib import Path

from theorems.core import __version__
from theorems.core.claim import REGISTRY, Claim
from theorems.core.profiles import PROFILES
from theorems.core.verdict import Verdict
from theorems.runs.config import UsageError, make_config
from theorems.runs.executors import ClusterFailed
from theorems.runs.loading import load_catalogue, load_claims_file, select_claims
from theorems.runs.outputs import (
    OutputError,
    check_name,
    check_output_file,
    check_writable,
    default_out_dir,
    write_file,
    write_outputs,
    write_table,
)
from theorems.runs.runner import run_claims

REPORTS_ROOT = Path("reports")

EXIT_CODES = """exit status:
  0    the run completed (whatever the verdicts: they are findings)
  1    a claim's check raised an error (the report is still written), or the run failed
  2    bad input: nothing was checked and nothing written
  3    run --fail-on VERDICTS: the run completed and some claim has one of those verdicts
  130  interrupted (Ctrl-C): nothing half-written is left
  143  terminated (SIGTERM, as `timeout` and CI cancellation send): nothing half-written is left"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="theorycheck",
        description="Check the claims of deep-learning teaching material by measurement.",
        epilog=EXIT_CODES, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"theorycheck {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    listing = commands.add_parser("list", help="list the claims")
    listing.add_argument("--claims-file", help="also list the claims declared in this Python file")
    listing.add_argument("--json", action="store_true", help="one JSON array of the claims, for scripts")

    show = commands.add_parser("show", help="show a claim in full, or every claim of an inventory row")
    show.add_argument("claim_id", metavar="ID", help="a claim id (step-size-regimes) or a row ID (003-05)")
    show.add_argument("--claims-file", help="look in the claims declared in this Python file too")

    run = commands.add_parser("run", help="check claims and write results and a report")
    run.add_argument("--profile", default="standard", choices=list(PROFILES),
                     help="how much work per claim (default: standard)")
    run.add_argument("--device", default="auto", help="auto (default), cpu, cuda or cuda:N")
    run.add_argument("--seed", type=int, default=0, help="run seed (default 0)")
    run.add_argument("--claims", action="append", metavar="PATTERN",
                     help="glob on claim id or inventory ID, e.g. 'gd-*' or '004-0?'; repeatable")
    run.add_argument("--claims-file", help="run the claims declared in this Python file instead of the catalogue")
    run.add_argument("--out", type=Path, help="output folder (default: a new folder under reports/)")
    run.add_argument("--alpha", type=float, default=0.01, help="false-alarm budget of each claim (default 0.01)")
    run.add_argument("--dtype", default="float32", choices=["float32", "float64"],
                     help="Monte Carlo sampling dtype; moments always accumulate in float64")
    run.add_argument("--max-memory", type=float, default=256, metavar="MIB",
                     help="memory cap of one Monte Carlo chunk in MiB (default 256)")
    run.add_argument("--quiet", action="store_true", help="no progress bar")
    run.add_argument("--budget", type=float, metavar="SECONDS",
                     help="time budget per claim: where points cost more, fewer space-filling and targeted points "
                          "(never fewer than the claim's own); the result says what it left out")
    run.add_argument("--fail-on", type=_verdict_list, default=(), metavar="VERDICTS",
                     help="exit 3 when a claim has one of these verdicts, e.g. refuted,inconclusive (for CI)")
    run.add_argument("--junit", type=Path, metavar="FILE",
                     help="also write the run as a JUnit XML file (one testcase per claim), for CI without pytest")
    _distribution_arguments(run)

    calibrate = commands.add_parser("calibrate", help="run claims over many seeds: which verdicts depend on the seed")
    calibrate.add_argument("--seeds", type=int, default=10, help="how many seeds, 0 … N−1 (default 10)")
    calibrate.add_argument("--profile", default="standard", choices=list(PROFILES))
    calibrate.add_argument("--device", default="auto", help="auto (default), cpu, cuda or cuda:N")
    calibrate.add_argument("--claims", action="append", metavar="PATTERN", help="as for run; repeatable")
    calibrate.add_argument("--claims-file", help="calibrate the claims declared in this Python file")
    calibrate.add_argument("--alpha", type=float, default=0.01, help="false-alarm budget of each claim (default 0.01)")
    calibrate.add_argument("--csv", type=Path, help="also write the table to this CSV file")
    _distribution_arguments(calibrate)

    bench = commands.add_parser("bench", help="sampler throughput against a bare torch.randn, or the catalogue's "
                                "seconds per claim (--catalogue)")
    bench.add_argument("--device", default="auto", help="auto (default), cpu, cuda or cuda:N")
    bench.add_argument("--dtype", default="float32", choices=["float32", "float64"])
    bench.add_argument("--max-memory", type=float, default=256, metavar="MIB",
                       help="memory cap of one Monte Carlo chunk (and of the randn plateau buffer) in MiB (default 256)")
    bench.add_argument("--examples", type=int, default=2**24,
                       help="sampled examples (and randn numbers) per timing (default 2^24)")
    bench.add_argument("--repeats", type=int, default=7,
                       help="interleaved repeats; each ratio is the median of the per-repeat ratios (default 7)")
    bench.add_argument("--catalogue", action="store_true", help="time the catalogue per claim instead of the sampler")
    bench.add_argument("--profile", choices=list(PROFILES), help="with --catalogue: the profile (default standard)")
    bench.add_argument("--claims", action="append", metavar="PATTERN",
                       help="with --catalogue: glob on claim id or inventory ID, as for run; repeatable")
    bench.add_argument("--claims-file", help="time the claims of this Python file per claim (as --catalogue does)")
    bench.add_argument("--budget", type=float, metavar="SECONDS",
                       help="with --catalogue or --claims-file: time each claim without and with this time budget "
                            "per claim, side by side")
    bench.add_argument("--csv", type=Path, help="also write the table to this CSV file")

    lint = commands.add_parser("lint", help="find a claims file's mistakes in seconds, before a long run "
                               "(exit 0 clean, 1 problems found)")
    lint.add_argument("file", metavar="FILE", help="a Python file declaring claims")
    lint.add_argument("--claims", action="append", metavar="PATTERN", help="as for run; repeatable")
    return parser


VERDICTS = tuple(Verdict)
FAILED_ON = 3  # the exit status of `run --fail-on` when a listed verdict occurs


def _verdict_list(text: str) -> tuple[str, ...]:
    """``refuted,inconclusive`` as a tuple of verdicts (argparse reports a bad one in one line, exit 2)."""
    verdicts = tuple(v.strip() for v in text.split(",") if v.strip())
    unknown = [v for v in verdicts if v not in VERDICTS]
    if unknown or not verdicts:
        raise argparse.ArgumentTypeError(f"{text!r}: give verdicts from {', '.join(VERDICTS)}, separated by commas")
    return verdicts


class Interrupts:
    """Ctrl-C (SIGINT) and SIGTERM (what ``timeout``, a CI cancellation and ``kill`` send),
    remembered: a KeyboardInterrupt that a library swallows (hypothesis's gc callback, matplotlib)
    still ends the run, with exit status 128 + the signal's number (130, 143), before anything is
    written. Inside :meth:`deferred` a signal is only remembered, so that the short section that
    moves a finished run into place and lists it in the index completes; ``written`` then says
    where the run is, and the message says so."""

    SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.signum: int | None = None  # the first signal received; None for a KeyboardInterrupt raised by code
        self.deferring = False
        self.written: Path | None = None

    @property
    def seen(self) -> bool:
        return self.signum is not None

    def __call__(self, signum, frame) -> None:
        self.signum = self.signum or signum
        if not self.deferring:
            raise KeyboardInterrupt

    def check(self) -> None:
        if self.seen:
            raise KeyboardInterrupt

    @contextlib.contextmanager
    def deferred(self):
        """Signals inside are acted on by the next :meth:`check` after it, not where they arrive."""
        self.deferring = True
        try:
            yield
        finally:
            self.deferring = False

    @contextlib.contextmanager
    def installed(self):
        """This handler for SIGINT and SIGTERM while a command runs (signals reach the main thread
        only), then the previous handlers again."""
        self.reset()
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        previous = {signum: signal.signal(signum, self) for signum in self.SIGNALS}
        try:
            yield
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)

    def report(self) -> int:
        """Say what an interrupt left written, on stderr; return the exit status."""
        by = f" by {signal.Signals(self.signum).name}" if self.signum else ""
        left = f"the run was written in full to {self.written}" if self.written else "nothing was written"
        print(f"theorycheck: interrupted{by}; {left}", file=sys.stderr)
        return 128 + (self.signum or signal.SIGINT)


INTERRUPTS = Interrupts()


def _distribution_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--workers", type=int, metavar="N",
                       help="spread the claims over N local worker processes, at most one per core this process may "
                       "use (Dask; pip install 'theorycheck[distributed]')")
    group.add_argument("--scheduler", metavar="ADDRESS", help="spread the claims over a running Dask cluster")
    parser.add_argument("--dashboard", action="store_true",
                        help="with --workers or --scheduler: print the address of the Dask dashboard (bokeh)")


@contextlib.contextmanager
def _executor(args: argparse.Namespace):
    """The run's executor: a Dask cluster when --workers or --scheduler asks for one, else this process."""
    from theorems.runs.executors import OnDask, Serial

    if args.workers is None and args.scheduler is None:
        if args.dashboard:
            raise UsageError("--dashboard shows a Dask cluster's work: add --workers N or --scheduler ADDRESS")
        yield Serial()
        return
    if args.workers is not None and not 1 <= args.workers <= _cores():
        raise UsageError(f"--workers must be from 1 to {_cores()} (the cores this process may use), got {args.workers}")
    from theorems.runs.executors import client

    with client(workers=args.workers, scheduler=args.scheduler, dashboard=args.dashboard) as dask_client:
        if args.dashboard:
            print(f"Dask dashboard: {dask_client.dashboard_link}", file=sys.stderr, flush=True)
        yield OnDask(dask_client)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    with INTERRUPTS.installed():
        try:
            load_catalogue()
            return COMMANDS[args.command](args)
        except UsageError as error:
            print(f"theorycheck: error: {error}", file=sys.stderr)
            return 2
        except OutputError as error:  # found only after the work: a full disk, a folder made read-only
            print(f"theorycheck: error: {error}", file=sys.stderr)
            return 1
        except ClusterFailed as error:  # the Dask cluster failed mid-run
            print(f"theorycheck: error: {error}; nothing was written", file=sys.stderr)
            return 1
        except KeyboardInterrupt:
            return INTERRUPTS.report()
        except Exception:
            if INTERRUPTS.seen:  # the interrupt surfaced as another library's error
                return INTERRUPTS.report()
            raise


def _pool(args: argparse.Namespace) -> list[Claim]:
    if not args.claims_file:
        return list(REGISTRY)
    check_name(Path(args.claims_file), "--claims-file")
    return load_claims_file(args.claims_file)


@contextlib.contextmanager
def _into_pipe():
    """Printing into a pipe that a reader closed early (``theorycheck list | head``) ends quietly."""
    try:
        yield
        sys.stdout.flush()
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)  # the interpreter's final flush must not fail again
        os.dup2(devnull, sys.stdout.fileno())


def cmd_list(args: argparse.Namespace) -> int:
    if args.claims_file:
        load_claims_file(args.claims_file)
    with _into_pipe():
        if args.json:
            import json

            print(json.dumps([{"id": c.id, "kind": c.kind, "inventory_ids": list(c.inventory_ids), "title": c.title,
                               "document": c.source.document, "section": c.source.section} for c in REGISTRY],
                             indent=1, ensure_ascii=False))
            return 0
        rows = [(claim.id, claim.kind, ", ".join(claim.inventory_ids), claim.title) for claim in REGISTRY]
        widths = [max(len(row[i]) for row in rows) for i in range(3)]
        for row in rows:
            print("  ".join(f"{cell:<{width}}" for cell, width in zip(row, widths)) + f"  {row[3]}")
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    with _into_pipe():
        return _cmd_show(args)


def _cmd_show(args: argparse.Namespace) -> int:
    if args.claims_file:
        load_claims_file(args.claims_file)
    if args.claim_id in REGISTRY:
        claims = [REGISTRY.get(args.claim_id)]
    else:
        claims = [claim for claim in REGISTRY if args.claim_id in claim.inventory_ids]
        if not claims:
            raise UsageError(f"unknown claim or row {args.claim_id!r}; `theorycheck list` shows the claims "
                             "and the rows they check")
        print(f"row {args.claim_id} is checked by {len(claims)} claim(s); its verdict is their conjunction\n")
    for index, claim in enumerate(claims):
        if index:
            print()
        _show(claim)
    return 0


def _show(claim: Claim) -> None:
    wrap = lambda text: textwrap.fill(text, 100, initial_indent="  ", subsequent_indent="  ")  # noqa: E731
    print(f"{claim.id}: {claim.title}")
    print(f"inventory: {', '.join(claim.inventory_ids)}")
    print(f"source:    {claim.source.document}, section '{claim.source.section}'")
    print(f"kind:      {claim.kind} (relation {claim.relation}, resolution {claim.resolution:g}"
          + (f", atol {claim.atol:g})" if claim.atol else ")"))
    print("statement:")
    print(wrap(claim.statement))
    if claim.assumptions:
        print("assumptions:")
        for assumption in claim.assumptions:
            print(wrap(f"- {assumption}"))
    print("readings:")
    for reading in claim.readings:
        print(wrap(f"- {reading.name}: {reading.description}" if reading.description else f"- {reading.name}"))
    print("domain:")
    for name, strategy in claim.domain.items():
        print(wrap(f"- {name}: {strategy!r}"))
    print("mutants (each must be refuted):")
    for mutant in claim.mutants:
        print(wrap(f"- {mutant.statement}"))
    if claim.alternatives:
        print("alternatives compared:")
        for alternative in claim.alternatives:
            print(wrap(f"- {alternative.statement}"))


def cmd_run(args: argparse.Namespace) -> int:
    config = make_config(profile=args.profile, seed=args.seed, device=args.device, dtype=args.dtype,
                         alpha=args.alpha, max_memory_mib=args.max_memory, budget=args.budget)
    claims = select_claims(args.claims, _pool(args), claims_file=args.claims_file)
    out_dir = args.out or default_out_dir(REPORTS_ROOT, config)
    check_writable(out_dir, fresh=args.out is None)
    if args.junit is not None:
        check_output_file(args.junit, "--junit")
    progress, on_point, finished, close = _progress(claims, quiet=args.quiet)
    try:
        with _executor(args) as executor:
            results = run_claims(claims, config, claims_file=args.claims_file, progress=progress,
                                 on_point=on_point, finished=finished, executor=executor)
    finally:
        close()
    INTERRUPTS.check()
    _print_verdicts(results)  # before the files are written: a full disk does not lose them
    written = write_outputs(results, out_dir, fresh=args.out is None, processes=_cores(),
                            committing=INTERRUPTS.deferred, on_commit=_commit)
    INTERRUPTS.check()  # a signal deferred while the run was moved into place
    out_dir = next(p for p in written if p.name == "results.json").parent  # fresh: maybe "<name>-2"
    report = next((p for p in written if p.name == "report.html"), out_dir)
    print(f"report: {report}")
    if args.junit is not None:
        from theorems.report.junit import junit_xml

        write_file(args.junit, lambda path: path.write_text(junit_xml(results), encoding="utf-8"), "--junit")
        print(f"junit: {args.junit}")
    failed = [claim for claim in results.claims if claim.error]
    for claim in failed:
        print(f"\ntheorycheck: the check of {claim.id} raised an error:\n{claim.error}", file=sys.stderr)
    if failed:
        return 1
    listed = [claim.id for claim in results.claims if claim.verdict in args.fail_on]
    if listed:
        print(f"theorycheck: --fail-on {','.join(args.fail_on)}: {len(listed)} claim(s): {', '.join(listed)}",
              file=sys.stderr)
        return FAILED_ON
    return 0


def _commit(run_dir: Path) -> None:
    """With the run's folder just moved into place (signals deferred): list it in the index when it
    lies in the reports folder, so that the index and the folders agree whatever interrupts."""
    from theorems.report import update_index

    INTERRUPTS.written = run_dir
    if run_dir.resolve().parent != REPORTS_ROOT.resolve():
        return
    try:
        update_index(REPORTS_ROOT, run_dir)
    except OSError as error:
        raise OutputError(f"the run was written to {run_dir}, but {REPORTS_ROOT / 'index.md'} could not be "
                          f"updated ({error.strerror or error}); the next run updates it") from None


def _print_verdicts(results) -> None:
    """One line per claim, then the counts of claims and rows, on stdout."""
    from theorems.core.text import format_counts, verdict_counts

    width = max(len(c.id) for c in results.claims)
    for claim in results.claims:
        print(f"{claim.verdict:<12} {claim.id:<{width}}  {claim.verdict_reason}")
    rows = results.rows
    print(f"\n{len(results.claims)} claims: {format_counts(verdict_counts(c.verdict for c in results.claims))}; "
          f"{len(rows)} rows: {format_counts(verdict_counts(r.verdict for r in rows))}; "
          f"in {results.run.seconds:.1f} s on {results.run.device}")


def _cores() -> int:
    """The cores this process may use (the figures are drawn on all of them)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def _terminal_columns() -> int:
    import shutil

    return shutil.get_terminal_size(fallback=(0, 0)).columns


def finished_line(result) -> str:
    """A finished claim in one short line: verdict, id, seconds and sample size, e.g.
    ``confirmed    d2l-var-mean  12.34 s  40 points × 8 000 replicates (3 looked twice; budget)``, where
    replicates is the mean per point; a deterministic claim's points have no replicates to show."""
    from theorems.core.budget import time_spent
    from theorems.core.text import duration, format_count

    spent = time_spent(result)
    size = f"{spent.points} points" + (f" × {format_count(round(spent.per_point))} replicates"
                                       if spent.per_point > 1 else "")
    notes = [f"{spent.looked_twice} looked twice"] if spent.looked_twice else []
    if result.coverage is not None and result.coverage.budget:
        notes.append("budget")
    return (f"{result.verdict:<12} {result.id}  {duration(spent.seconds)}  {size}"
            + (f" ({'; '.join(notes)})" if notes else ""))


def _progress(claims: list[Claim], *, quiet: bool):
    """Progress callbacks: a bar on a terminal; one line per finished claim otherwise (CI logs, pipes)."""
    nothing = lambda *args: None  # noqa: E731
    if quiet:
        return nothing, None, lambda claim, result: INTERRUPTS.check(), nothing
    if not sys.stderr.isatty():
        def log_finished(claim: Claim, result) -> None:
            INTERRUPTS.check()
            print(finished_line(result), file=sys.stderr, flush=True)

        return nothing, None, log_finished, nothing
    from tqdm import tqdm

    sized = _terminal_columns() > 0  # a terminal that reports zero width (some CI consoles) gets 80 columns
    bar = tqdm(total=len(claims), unit="claim", file=sys.stderr, dynamic_ncols=sized, ncols=None if sized else 80,
               nrows=None if sized else 20)  # tqdm hides a bar below a height it reads as -1 on such terminals
    points = 0

    def progress(claim: Claim) -> None:  # as each claim starts
        bar.set_description(claim.id)

    def on_point() -> None:  # as each new point is measured
        nonlocal points
        points += 1
        bar.set_postfix(points=points, refresh=False)
        bar.refresh() if points % 10 == 0 else None

    def finished(claim: Claim, result) -> None:
        INTERRUPTS.check()
        bar.write(finished_line(result), file=sys.stderr)
        bar.update(1)

    return progress, on_point, finished, bar.close


def cmd_calibrate(args: argparse.Namespace) -> int:
    from theorems.runs.calibrate import calibrate, false_alarm_summary

    if args.seeds < 1:
        raise UsageError(f"--seeds must be >= 1, got {args.seeds}")
    config = make_config(profile=args.profile, seed=0, device=args.device, alpha=args.alpha)
    claims = select_claims(args.claims, _pool(args), claims_file=args.claims_file)
    if args.csv is not None:
        check_output_file(args.csv, "--csv")
    with _executor(args) as executor:
        table = calibrate(claims, config, range(args.seeds), claims_file=args.claims_file,
                          progress=lambda seed: print(f"seed {seed} …", file=sys.stderr, flush=True),
                          executor=executor)
    print(table.to_string(index=False))
    print()
    print(false_alarm_summary(table, seeds=args.seeds, alpha=args.alpha))
    if args.csv is not None:
        write_table(table, args.csv)
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    from theorems.runs.bench import benchmark_budget, benchmark_catalogue, benchmark_minibatch_variance, benchmarked_claims

    per_claim = args.catalogue or args.claims_file is not None
    if not per_claim and (args.profile or args.claims or args.budget is not None):
        raise UsageError("--profile, --claims and --budget choose what --catalogue or --claims-file times; "
                         "add --catalogue (or --claims-file FILE)")
    if args.examples < 1:
        raise UsageError(f"--examples must be >= 1, got {args.examples}")
    if args.repeats < 1:
        raise UsageError(f"--repeats must be >= 1, got {args.repeats}")
    if args.csv is not None:
        check_output_file(args.csv, "--csv")
    config = make_config(profile=args.profile or "standard", seed=0, device=args.device, dtype=args.dtype,
                         max_memory_mib=args.max_memory, budget=args.budget)
    progress = lambda claim: print(f"{claim.id} …", file=sys.stderr, flush=True)  # noqa: E731
    if args.claims_file is not None:
        check_name(Path(args.claims_file), "--claims-file")
    if per_claim and args.budget is not None:
        table = benchmark_budget(config, benchmarked_claims(args.claims, args.claims_file), args.budget,
                                 claims_file=args.claims_file, progress=progress)
    elif per_claim:
        table = benchmark_catalogue(config, args.claims, claims_file=args.claims_file, progress=progress)
    else:
        table = benchmark_minibatch_variance(config, examples=args.examples, repeats=args.repeats)
    print(table.to_string(index=False))
    if args.csv is not None:
        write_table(table, args.csv)
    return 0


def cmd_lint(args: argparse.Namespace) -> int:
    """Each claim of FILE measured at a few points: one line per problem, then a summary; exit 1 if any."""
    from theorems.frontends.lint import lint, summary
    from theorems.runs.config import check_threads

    check_name(Path(args.file), "FILE")
    claims = select_claims(args.claims, load_claims_file(args.file), claims_file=args.file)
    with check_threads():
        problems = lint(claims, make_config(profile="smoke", seed=0, device="cpu"))
    with _into_pipe():
        for problem in problems:
            print(problem)
        print(summary(claims, problems))
    return 1 if problems else 0


COMMANDS = {"list": cmd_list, "show": cmd_show, "run": cmd_run, "calibrate": cmd_calibrate, "bench": cmd_bench,
            "lint": cmd_lint}

if __name__ == "__main__":
    sys.exit(main())
