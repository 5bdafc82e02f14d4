"""Claims as pytest tests: one test item per claim, its verdict as the test's outcome.

    pytest --theorycheck -m theorycheck           # every claim of the catalogue (and nothing else)
    pytest path/to/claims_handout.py              # the claims of your own files
    pytest path/to/claims_handout.py -k handout-1 # one claim, by claim id or row ID
    pytest --theorycheck -m theorycheck -n 2      # with pytest-xdist: the same verdicts

An item is named after its claim and the rows it decides, ``step-size-regimes[003-04,003-05,003-06]``,
so ``-k 003-05`` selects it; every item carries the marker ``theorycheck``. Each item checks its
claim on its own (:func:`theorems.engine.check_claim`, no measurements shared between items), and
every point's random numbers come from (seed, claim, reading, point) alone, so a serial session
and a pytest-xdist session with the same seed give the same verdicts. (``theorycheck run`` shares a
measured point between claims that register the same measurement; where their planned sample sizes
differ, a claim's result there can differ from its item's here.) The claims a session loads from
claims files leave the registry when the session ends.

Outcomes:

    confirmed      passes
    refuted        fails; the message names the source (document, section), the statement, and
                   the counterexample with its measured and stated values
    conditional    passes with a ``TheorycheckConditional`` warning naming the reading that fails;
                   fails under ``--theorycheck-strict``
    inconclusive   skipped with the reason (more samples are needed); fails under ``--theorycheck-strict``
    mutant alive   fails, whatever the verdict: a check that cannot fail is a defect
    check raised   fails with the traceback: a broken check (``result["error"]``), not a finding

What is collected. ``--theorycheck`` adds every claim of the built-in catalogue (``theorems/claims/``)
to the session, under a collector named ``theorycheck``; the session's other tests still run, so
add ``-m theorycheck`` to run the claims only. A *claims file* is a Python file that declares claims
with ``@theorems.claim`` and whose name matches the ini option ``theorycheck_files`` (default
``claims_*.py``). It is collected when it is named on the command line, and found in the folders
searched only under ``--theorycheck``: a plain ``pytest`` never imports a file because of its name,
so the plugin stays inert in every project that does not ask for it. A claims file is collected by
this plugin only, never also as a test module.

Options: ``--theorycheck-profile`` (default smoke), ``--theorycheck-seed`` (0),
``--theorycheck-device`` (cpu), ``--theorycheck-alpha`` (0.01, each claim's false-alarm budget),
``--theorycheck-strict``, and ``--theorycheck-report DIR``, which writes at the end of the session
the files of ``theorycheck run --out DIR`` (results.json, results.csv, report.md, report.html,
figures/) for the claims that ran. Under pytest-xdist the controller writes them, in collection order.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import inspect
import json
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from theorems.claim import REGISTRY, Claim
from theorems.profiles import PROFILES
from theorems.results import ClaimResult, decode, encode

if TYPE_CHECKING:
    from theorems.measurement import RunConfig

# The engine, the runner and the report import torch, pandas and matplotlib: they are imported
# only once a session asks for claims, so that the plugin costs a plain pytest run nothing.

MARKER = "theorycheck"


class TheorycheckConditional(UserWarning):
    """A claim holds under one reading of its statement and is refuted under another."""


class ClaimFailed(Exception):
    """A claim's item failed: refuted, a mutant not refuted, a check that raised, or (strict) not confirmed."""


@dataclass
class SessionState:
    """What the plugin keeps for one pytest session (``config.stash[STATE]``)."""

    run_config: RunConfig
    strict: bool  # conditional and inconclusive fail
    report_dir: Path | None  # --theorycheck-report, resolved against the invocation folder
    started: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.timezone.utc).replace(microsecond=0))
    start: float = field(default_factory=time.perf_counter)  # for the session's wall time
    registered: list[str] = field(default_factory=list)  # ids this session's claims files registered
    results: list[tuple[int, str | None, ClaimResult]] = field(default_factory=list)
    # (position in the collection, claims file or None for the catalogue, the claim's results.json entry)
    written: Path | None = None  # the report written at the end of the session


STATE = pytest.StashKey[SessionState]()


# --- options -----------------------------------------------------------------------------------------

def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("theorycheck", "claims of teaching material as tests (theorycheck)")
    group.addoption("--theorycheck", action="store_true", default=False,
                    help="collect every claim of the theorycheck catalogue, and claims files in the folders searched")
    group.addoption("--theorycheck-profile", default="smoke", choices=list(PROFILES),
                    help="how much work per claim (default: smoke)")
    group.addoption("--theorycheck-seed", type=int, default=0, help="run seed (default 0)")
    group.addoption("--theorycheck-device", default="cpu", help="cpu (default), auto, cuda or cuda:N")
    group.addoption("--theorycheck-alpha", type=float, default=0.01,
                    help="false-alarm budget of each claim (default 0.01)")
    group.addoption("--theorycheck-strict", action="store_true", default=False,
                    help="conditional and inconclusive claims fail instead of warning and skipping")
    group.addoption("--theorycheck-report", metavar="DIR", type=Path, default=None,
                    help="write results.json, results.csv and the report of the claims that ran into DIR")
    parser.addini("theorycheck_files", type="args", default=["claims_*.py"],
                  help="glob(s) on the file name of claims files (default: claims_*.py)")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", f"{MARKER}: a claim checked by theorycheck (one item per claim)")
    if not (config.getoption("theorycheck") or any(_names_claims_file(config, arg) for arg in config.args)):
        return  # inert: this session asks for no claims
    from theorems.runner import UsageError, check_writable, make_config

    report_dir = config.getoption("theorycheck_report")
    if report_dir is not None:
        report_dir = config.invocation_params.dir / report_dir
    try:
        run_config = make_config(profile=config.getoption("theorycheck_profile"),
                                 seed=config.getoption("theorycheck_seed"),
                                 device=config.getoption("theorycheck_device"),
                                 alpha=config.getoption("theorycheck_alpha"))
        if report_dir is not None:
            check_writable(report_dir, "--theorycheck-report")
    except UsageError as error:
        raise pytest.UsageError(f"theorycheck: {error}") from None
    config.stash[STATE] = state = SessionState(run_config, strict=config.getoption("theorycheck_strict"),
                                               report_dir=report_dir)
    if not hasattr(config, "workerinput"):  # an xdist worker sends its reports to the controller
        config.pluginmanager.register(Recorder(state), "theorycheck-recorder")


def pytest_unconfigure(config: pytest.Config) -> None:
    """Leave the registry as the session found it: claim ids are global to the process."""
    state = config.stash.get(STATE, None)
    if state is not None:
        for claim_id in state.registered:
            REGISTRY.remove(claim_id)


def pytest_report_header(config: pytest.Config) -> str | None:
    state = config.stash.get(STATE, None)
    if state is None:
        return None
    run = state.run_config
    return (f"theorycheck: profile {run.profile.name}, seed {run.seed}, device {run.device}, "
            f"α = {run.alpha:g} per claim" + (", strict" if state.strict else ""))


def _names_claims_file(config: pytest.Config, arg: str) -> bool:
    """Whether a command-line argument (``path[::name]``) names a claims file."""
    return _is_claims_file_name(config, Path(arg.split("::", 1)[0]).name)


def _is_claims_file_name(config: pytest.Config, name: str) -> bool:
    return name.endswith(".py") and any(fnmatch.fnmatch(name, pattern)
                                        for pattern in config.getini("theorycheck_files"))


# --- collection --------------------------------------------------------------------------------------

@pytest.hookimpl(hookwrapper=True)
def pytest_collect_file(file_path: Path, parent: pytest.Collector):
    """A claims file becomes a ClaimsFile, and is not also imported as a test module."""
    outcome = yield
    session = parent.session
    if STATE not in session.config.stash or not _is_claims_file_name(session.config, file_path.name):
        return
    if not (session.isinitpath(file_path) or session.config.getoption("theorycheck")):
        return
    others = [collector for collector in outcome.get_result() if not isinstance(collector, pytest.Module)]
    outcome.force_result([*others, ClaimsFile.from_parent(parent, path=file_path)])


class ClaimsFile(pytest.File):
    """A user's claims file: one item per claim it declares."""

    def collect(self):
        from theorems.runner import UsageError, load_claims_file

        state = self.config.stash[STATE]
        try:
            claims = load_claims_file(self.path)
        except UsageError as error:
            raise self.CollectError(f"theorycheck: {error}") from None
        state.registered.extend(claim.id for claim in claims)
        for claim in claims:
            yield ClaimItem.from_parent(self, name=item_name(claim), claim=claim)


class Catalogue(pytest.Collector):
    """The built-in catalogue (``--theorycheck``): one item per claim of theorems/claims/."""

    def collect(self):
        from theorems.runner import catalogue_claims

        for claim in catalogue_claims():
            yield ClaimItem.from_parent(self, name=item_name(claim), claim=claim)


def item_name(claim: Claim) -> str:
    """``step-size-regimes[003-04,003-05,003-06]``: the claim id and its row IDs, for ``-k``."""
    return f"{claim.id}[{','.join(claim.inventory_ids)}]"


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    """Add the catalogue's items before ``-k``, ``-m`` and ``--deselect`` choose among them."""
    if not config.getoption("theorycheck") or STATE not in config.stash:
        return
    catalogue = Catalogue.from_parent(session, name="theorycheck", nodeid="theorycheck")  # not "::theorycheck"
    report = catalogue.ihook.pytest_make_collect_report(collector=catalogue)
    session.ihook.pytest_collectreport(report=report)  # counted and shown like any collector's
    if report.passed:
        items.extend(report.result)


@pytest.hookimpl(trylast=True)
def pytest_collection_finish(session: pytest.Session) -> None:
    """Number the claim items in collection order: the report lists claims in that order, also
    when pytest-xdist runs them out of order (every worker collects the same items)."""
    for position, item in enumerate(session.items):
        if isinstance(item, ClaimItem):
            item.position = position


# --- running -----------------------------------------------------------------------------------------

class ClaimItem(pytest.Item):
    """One claim, checked when the item runs; the outcome follows its verdict (module docstring)."""

    def __init__(self, *, claim: Claim, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.claim = claim
        self.position = 0
        self.result: ClaimResult | None = None  # once checked
        self.add_marker(MARKER)

    def runtest(self) -> None:
        from theorems.engine import check_claim

        state = self.config.stash[STATE]
        self.result = check_claim(self.claim, state.run_config)
        outcome, message = judge_outcome(self.result, strict=state.strict, profile=state.run_config.profile.name)
        if outcome == "failed":
            raise ClaimFailed(message)
        if outcome == "skipped":
            pytest.skip(message)
        if outcome == "warned":
            path, line, _ = self.reportinfo()
            warnings.warn_explicit(TheorycheckConditional(message), TheorycheckConditional, str(path), line + 1)

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, ClaimFailed):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self):
        """Where the claim is declared: its ``@claim`` line (the measurement's first line)."""
        measure = self.claim.measure
        try:
            path, line = Path(inspect.getsourcefile(measure)), measure.__code__.co_firstlineno - 1
        except (TypeError, AttributeError):
            path, line = self.path, 0
        return path, line, f"claim {self.claim.id} [{', '.join(self.claim.inventory_ids)}]"


def judge_outcome(result: ClaimResult, *, strict: bool, profile: str) -> tuple[str, str]:
    """The item's outcome for a claim's result: ("passed" | "warned" | "skipped" | "failed", message)."""
    head = f"{result.id} [{', '.join(result.inventory_ids)}]"
    if result.error:
        return "failed", (f"{head}: the check raised an error (a broken check, not a finding)\n\n"
                          f"{result.error.rstrip()}")
    verdict = result.verdict
    survivors = [m for m in result.mutants if m.verdict != "refuted"]
    problems = []
    if verdict == "refuted" or (strict and verdict in ("conditional", "inconclusive")):
        problems.append(describe(result))
    if survivors:
        problems.append(f"{head}: a check that cannot fail: {len(survivors)} mutant(s) not refuted at profile "
                        f"{profile!r}\n" + "\n".join(f"  {m.statement}  ({m.verdict})" for m in survivors))
    if problems:
        return "failed", "\n\n".join(problems)
    if verdict == "conditional":
        return "warned", describe(result)
    if verdict == "inconclusive":
        return "skipped", f"{head} inconclusive: {result.verdict_reason}"
    return "passed", ""


def describe(result: ClaimResult) -> str:
    """A claim's verdict in a few lines: source, statement, reason and counterexample."""
    from theorems.report.values import format_comparison, format_measured, format_params, format_value

    reason = result.verdict_reason.removeprefix(result.verdict)  # "refuted at 3 of 40 …" reads on from the verdict
    reason = reason if not reason or reason.startswith(" ") else f": {reason}"
    lines = [f"{result.id} [{', '.join(result.inventory_ids)}] is {result.verdict}{reason}",
             f"  source:    {result.source.document}, {result.source.section}",
             f"  statement: {result.statement}"]
    point = result.counterexample
    if point is not None:
        comparison = format_comparison(point.estimate, point.stated, result.relation)
        lines += [f"  counterexample (reading “{point.reading}”): {format_params(point.params)}",
                  f"    measured {_short(format_measured(point))}, stated {_short(format_value(point.stated))}"
                  + (f" ({comparison})" if comparison else "")]
    return "\n".join(lines)


def _short(text: str, width: int = 160) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """The claim's result travels with its call report (to the xdist controller too), and a skip
    points at the claim rather than at this module."""
    outcome = yield
    if not isinstance(item, ClaimItem) or call.when != "call":
        return
    report = outcome.get_result()
    if item.result is not None:
        report.theorycheck_result = json.dumps(encode(item.result), allow_nan=False)  # xdist sends plain data
        report.theorycheck_position = item.position
        report.theorycheck_file = item.parent.nodeid if isinstance(item.parent, ClaimsFile) else None
    if report.skipped and isinstance(report.longrepr, tuple):
        path, line, _ = item.location
        report.longrepr = (path, (line or 0) + 1, report.longrepr[2])


# --- the session's report ----------------------------------------------------------------------------

class Recorder:
    """Collects the claims' results from their reports and writes the session's report: registered
    on the process that sees every report (the only one, or the xdist controller)."""

    def __init__(self, state: SessionState) -> None:
        self.state = state

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        result = getattr(report, "theorycheck_result", None)
        if result is not None and report.when == "call":
            self.state.results.append((report.theorycheck_position, report.theorycheck_file,
                                       decode(ClaimResult, json.loads(result))))

    def pytest_sessionfinish(self) -> None:
        state = self.state
        if state.report_dir is None or not state.results:
            return
        from theorems.runner import assemble_results, write_outputs

        ordered = sorted(state.results, key=lambda entry: entry[0])
        files = list(dict.fromkeys(file for _, file, _ in ordered if file is not None))
        results = assemble_results([result for _, _, result in ordered], state.run_config, started=state.started,
                                   seconds=time.perf_counter() - state.start, claims_file=", ".join(files) or None)
        write_outputs(results, state.report_dir)
        state.written = state.report_dir

    def pytest_terminal_summary(self, terminalreporter) -> None:
        if not self.state.results:
            return
        from theorems.report.values import format_counts, verdict_counts

        counts = format_counts(verdict_counts(result.verdict for _, _, result in self.state.results))
        terminalreporter.write_sep("-", "theorycheck")
        terminalreporter.write_line(f"{len(self.state.results)} claim(s): {counts}")
        if self.state.written is not None:
            terminalreporter.write_line(f"report: {self.state.written / 'report.html'}")
