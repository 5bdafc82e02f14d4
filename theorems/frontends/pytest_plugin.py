"""Claims as pytest tests: one test item per claim, its verdict as the test's outcome.

    pytest my_claims.py                           # the claims of your own file
    pytest my_claims.py -k handout-1              # one claim, by claim id or row ID
    pytest --theorycheck                          # and every claims file in the folders searched
    pytest --theorycheck-baseline baseline.json   # in CI: known findings expected, any change fails
    pytest --theorycheck-catalogue -m theorycheck # the built-in catalogue's claims (and nothing else)
    pytest --theorycheck -n 2                     # with pytest-xdist: the same verdicts

An item is named after its claim alone (``my_claims.py::step-size-regimes``; a catalogue claim's is
``theorycheck::step-size-regimes``), so a node id copied from a FAILED line selects it again and
``--lf``, ``--ff`` and ``--sw`` find it; ``-k`` matches its row IDs too (``-k 003-05``), and every
item carries the marker ``theorycheck``. Each item checks its
claim on its own (:func:`theorems.core.engine.check_claim`, no measurements shared between items), with
one torch thread (:func:`theorems.runs.config.check_threads`), and every point's random numbers come from
(seed, claim key, point) alone, so a serial session, a pytest-xdist session and ``theorycheck run``
with the same seed give the same results. The claims a session loads from claims files leave the
registry when the session ends.

Outcomes:

    confirmed      passes
    refuted        fails; the message names the source (document, section), the statement, and
                   the counterexample with its measured and stated values
    conditional    passes with a ``TheorycheckConditional`` warning naming the reading that fails;
                   fails under ``--theorycheck-strict``
    inconclusive   skipped with the reason (more samples are needed); fails under ``--theorycheck-strict``
    mutant alive   fails, whatever the verdict: a check that cannot fail is a defect
    check raised   fails with the traceback: a broken check (``result["error"]``), not a finding

Each item records its claim's verdict as JUnit properties (``--junitxml``): ``theorycheck_verdict``,
``theorycheck_rows``, ``theorycheck_reason`` (unless confirmed: a conditional verdict's names the
reading that fails), ``theorycheck_finding`` (the finding's class, where there is one) and
``theorycheck_expected`` (the baseline's verdict, where it has one).

The baseline (``--theorycheck-baseline FILE``, or the ini option ``theorycheck_baseline``, relative
to the ini file's folder) is a JSON object of claim id (or row ID, for the claims citing the row
that have no entry of their own) to expected verdict, such as ``{"step-size-regimes": "refuted"}``;
``--theorycheck-baseline-write FILE`` writes one from the claims that ran. Against it, a claim whose
verdict is the finding expected xfails with the finding; any other verdict fails: a finding where
the baseline expects another, or confirmed where it expects a finding (an XPASS(strict)). A check
that raised or a mutant not refuted fails, baseline or not. Claims it does not name are judged as
above. It holds for one profile and seed: write it with the settings CI runs.

What is collected. A *claims file* is a Python file whose name matches the ini option
``theorycheck_files`` (default ``claims_*.py *_claims.py``). It is collected when it is named on the
command line, and found in the folders searched only under ``--theorycheck``: a plain ``pytest``
never imports a file because of its name, so the plugin stays inert in every project that does not
ask for it. It is imported once, as ``theorycheck run --claims-file`` imports it: its claims become
items, followed by its ordinary tests, if any (a claims file that declares no claims is an ordinary
test module). A file named on the command line that gives nothing says why, in a
``TheorycheckNotCollected`` warning: it declares claims but its name matches no pattern, or it
matches but declares neither claims nor tests. The built-in catalogue (``theorems/claims/``) is
collected only under ``--theorycheck-catalogue``, or claim by claim from node ids
``theorycheck::<claim id>`` on the command line, under a collector named ``theorycheck``; the
session's other tests still run, so add ``-m theorycheck`` to run the claims only.

Options: ``--theorycheck-profile`` (default: the ini option ``theorycheck_profile``, else smoke),
``--theorycheck-seed`` (0), ``--theorycheck-device`` (cpu), ``--theorycheck-alpha`` (0.01, each
claim's false-alarm budget), ``--theorycheck-strict`` (default: the ini option ``theorycheck_strict``;
``-o theorycheck_strict=false`` turns the ini's off), the baseline options above, and
``--theorycheck-report DIR``, which writes at the end of the session
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

from theorems.core.claim import REGISTRY, Claim
from theorems.core.profiles import PROFILES
from theorems.core.results import ClaimResult, Counterexample, decode, encode
from theorems.core.verdict import Verdict

if TYPE_CHECKING:
    from theorems.core.measurement import RunConfig

# The engine, the runner and the report import torch, pandas and matplotlib: they are imported
# only once a session asks for claims, so that the plugin costs a plain pytest run nothing.

MARKER = "theorycheck"


class TheorycheckConditional(UserWarning):
    """A claim holds under one reading of its statement and is refuted under another."""


class ClaimFailed(Exception):
    """A claim's item failed: refuted, a mutant not refuted, a check that raised, or (strict) not confirmed."""


class KnownFinding(Exception):
    """A claim's verdict is the finding its baseline expects: the item xfails with the finding."""


class VerdictChanged(ClaimFailed):
    """A claim's verdict is not the one its baseline expects: the item fails."""


class TheorycheckNotCollected(UserWarning):
    """A file named on the command line holds claims that were not collected, or nothing at all."""


@dataclass
class SessionState:
    """What the plugin keeps for one pytest session (``config.stash[STATE]``)."""

    run_config: RunConfig
    strict: bool  # conditional and inconclusive fail
    report_dir: Path | None  # --theorycheck-report, resolved against the invocation folder
    catalogue: bool = False  # the built-in catalogue is collected
    catalogue_ids: list[str] = field(default_factory=list)  # only these of it (node ids named), if any
    baseline: dict[str, str] = field(default_factory=dict)  # claim id or row ID -> expected verdict
    baseline_write: Path | None = None  # --theorycheck-baseline-write, resolved against the invocation folder
    started: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.timezone.utc).replace(microsecond=0))
    start: float = field(default_factory=time.perf_counter)  # for the session's wall time
    registered: list[str] = field(default_factory=list)  # ids this session's claims files registered
    results: list[tuple[int, str | None, ClaimResult]] = field(default_factory=list)
    # (position in the collection, claims file or None for the catalogue, the claim's results.json entry)
    written: Path | None = None  # the report written at the end of the session
    baseline_written: Path | None = None  # the baseline written at the end of the session


STATE = pytest.StashKey[SessionState]()


# --- options -----------------------------------------------------------------------------------------

def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("theorycheck", "claims of teaching material as tests (theorycheck)")
    group.addoption("--theorycheck", action="store_true", default=False,
                    help="collect the claims files (ini theorycheck_files) in the folders searched")
    group.addoption("--theorycheck-catalogue", action="store_true", default=False,
                    help="collect every claim of theorycheck's built-in catalogue too")
    group.addoption("--theorycheck-profile", default=None, choices=list(PROFILES),
                    help="how much work per claim (default: ini theorycheck_profile, else smoke)")
    group.addoption("--theorycheck-seed", type=int, default=0, help="run seed (default 0)")
    group.addoption("--theorycheck-device", default="cpu", help="cpu (default), auto, cuda or cuda:N")
    group.addoption("--theorycheck-alpha", type=float, default=0.01,
                    help="false-alarm budget of each claim (default 0.01)")
    group.addoption("--theorycheck-strict", action="store_true", default=None,
                    help="conditional and inconclusive claims fail instead of warning and skipping "
                         "(default: ini theorycheck_strict)")
    group.addoption("--theorycheck-report", metavar="DIR", type=Path, default=None,
                    help="write results.json, results.csv and the report of the claims that ran into DIR")
    group.addoption("--theorycheck-baseline", metavar="FILE", type=Path, default=None,
                    help="expected verdicts (JSON: claim id or row ID -> verdict): a known finding xfails, a "
                         "changed verdict fails (default: ini theorycheck_baseline)")
    group.addoption("--theorycheck-baseline-write", metavar="FILE", type=Path, default=None,
                    help="write the verdicts of the claims that ran to FILE, as a baseline")
    parser.addini("theorycheck_files", type="args", default=list(CLAIMS_FILES),
                  help=f"glob(s) on the file name of claims files (default: {' '.join(CLAIMS_FILES)})")
    parser.addini("theorycheck_profile", default="smoke", help="profile; --theorycheck-profile wins (default: smoke)")
    parser.addini("theorycheck_strict", type="bool", default=False,
                  help="conditional and inconclusive claims fail; --theorycheck-strict wins (default: false)")
    parser.addini("theorycheck_baseline", default="",
                  help="baseline file, relative to the ini file's folder; --theorycheck-baseline wins")


CLAIMS_FILES = ("claims_*.py", "*_claims.py")  # the default of the ini option theorycheck_files
CATALOGUE = "theorycheck"  # the catalogue's collector: its items' node ids are theorycheck::<claim id>


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", f"{MARKER}: a claim checked by theorycheck (one item per claim)")
    catalogue_ids = _take_catalogue_node_ids(config)
    catalogue = bool(catalogue_ids) or config.getoption("theorycheck_catalogue")
    named_files = any(_names_claims_file(config, arg) for arg in config.args)
    if not (catalogue or named_files or config.getoption("theorycheck")):
        return  # inert: this session asks for no claims
    from theorems.runs.config import UsageError, make_config
    from theorems.runs.outputs import check_output_file, check_writable

    report_dir, baseline_write = (_from_invocation(config, config.getoption(name))
                                  for name in ("theorycheck_report", "theorycheck_baseline_write"))
    try:
        run_config = make_config(profile=_setting(config, "theorycheck_profile"),
                                 seed=config.getoption("theorycheck_seed"),
                                 device=config.getoption("theorycheck_device"),
                                 alpha=config.getoption("theorycheck_alpha"))
        if report_dir is not None:
            check_writable(report_dir, "--theorycheck-report")
        if baseline_write is not None:
            check_output_file(baseline_write, "--theorycheck-baseline-write")
        baseline_file = _baseline_file(config)
        baseline = read_baseline(baseline_file) if baseline_file is not None else {}
    except UsageError as error:
        raise pytest.UsageError(f"theorycheck: {error}") from None
    config.stash[STATE] = state = SessionState(
        run_config, strict=_setting(config, "theorycheck_strict"), report_dir=report_dir, catalogue=catalogue,
        catalogue_ids=catalogue_ids, baseline=baseline, baseline_write=baseline_write)
    if not hasattr(config, "workerinput"):  # an xdist worker sends its reports to the controller
        config.pluginmanager.register(Recorder(state), "theorycheck-recorder")


def _setting(config: pytest.Config, name: str) -> Any:
    """An option set on the command line, else in the ini file (both named ``name``)."""
    value = config.getoption(name)
    return config.getini(name) if value is None else value


def _from_invocation(config: pytest.Config, path: Path | None) -> Path | None:
    """A path given on the command line, resolved against the folder pytest was started in."""
    return None if path is None else config.invocation_params.dir / path


def _baseline_file(config: pytest.Config) -> Path | None:
    """--theorycheck-baseline, else the ini option theorycheck_baseline (relative to the ini file's folder)."""
    named = _from_invocation(config, config.getoption("theorycheck_baseline"))
    ini = config.getini("theorycheck_baseline")
    if named is not None or not ini:
        return named
    return (config.inipath.parent if config.inipath else config.rootpath) / ini


def _take_catalogue_node_ids(config: pytest.Config) -> list[str]:
    """The claim ids of catalogue node ids on the command line (``theorycheck::<claim id>``, as a FAILED
    line shows them), taken out of ``config.args``: no file holds them, so pytest would not find them.
    (An xdist worker parses the same command line, so it takes the same ones.)"""
    named = [arg for arg in config.args if _is_catalogue_node_id(config, arg)]
    config.args[:] = [arg for arg in config.args if arg not in named]
    return [arg.split("::", 1)[1] for arg in named]


def _is_catalogue_node_id(config: pytest.Config, arg: str) -> bool:
    path, separator, _ = arg.partition("::")
    return bool(separator) and path == CATALOGUE and not (config.invocation_params.dir / path).exists()


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
            f"α = {run.alpha:g} per claim" + (", strict" if state.strict else "")
            + (f", baseline of {len(state.baseline)} verdict(s)" if state.baseline else ""))


def _names_claims_file(config: pytest.Config, arg: str) -> bool:
    """Whether a command-line argument (``path[::name]``) names a claims file."""
    return _is_claims_file_name(config, Path(arg.split("::", 1)[0]).name)


def _is_claims_file_name(config: pytest.Config, name: str) -> bool:
    return name.endswith(".py") and any(fnmatch.fnmatch(name, pattern)
                                        for pattern in config.getini("theorycheck_files"))


# --- the baseline ------------------------------------------------------------------------------------

VERDICTS = tuple(Verdict)


def read_baseline(path: Path) -> dict[str, str]:
    """A baseline file: a JSON object of claim id (or row ID) -> the verdict expected of it."""
    from theorems.runs.config import UsageError

    try:
        entries = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(f"baseline {path} not found (write one with --theorycheck-baseline-write)") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise UsageError(f"baseline {path} is not readable JSON ({error})") from None
    if not isinstance(entries, dict):
        raise UsageError(f"baseline {path} should be a JSON object of claim id or row ID -> verdict, "
                         f"found a {type(entries).__name__}")
    for key, verdict in entries.items():
        if verdict not in VERDICTS:
            raise UsageError(f"baseline {path}: {key!r} expects {verdict!r}; a verdict is one of {', '.join(VERDICTS)}")
    return entries


def expected_verdict(baseline: dict[str, str], claim: Claim) -> str | None:
    """The verdict the baseline expects of ``claim``: its id's entry, else its rows' (which must agree),
    else None (not in the baseline)."""
    if claim.id in baseline:
        return baseline[claim.id]
    by_row = {row: baseline[row] for row in claim.inventory_ids if row in baseline}
    if len(set(by_row.values())) > 1:
        listed = ", ".join(f"{row} {verdict}" for row, verdict in by_row.items())
        raise pytest.Collector.CollectError(f"theorycheck: the baseline gives the rows of claim {claim.id} different "
                                            f"verdicts ({listed}); give the claim its own entry")
    return next(iter(by_row.values()), None)


def write_baseline(path: Path, results: list[ClaimResult]) -> None:
    """The claims' verdicts as a baseline file (claim id -> verdict), in the order they were collected."""
    verdicts = {result.id: result.verdict for result in results}
    path.write_text(json.dumps(verdicts, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


# --- collection --------------------------------------------------------------------------------------

@pytest.hookimpl(hookwrapper=True)
def pytest_collect_file(file_path: Path, parent: pytest.Collector):
    """A claims file becomes a ClaimsFile, which replaces (and is) its test module."""
    outcome = yield
    session = parent.session
    if STATE not in session.config.stash or not _is_claims_file_name(session.config, file_path.name):
        return
    if not (session.isinitpath(file_path) or session.config.getoption("theorycheck")):
        return
    others = [collector for collector in outcome.get_result() if not isinstance(collector, pytest.Module)]
    outcome.force_result([*others, ClaimsFile.from_parent(parent, path=file_path)])


class ClaimsFile(pytest.Module):
    """A claims file: one item per claim it declares, then its ordinary tests, if any; a file that
    declares no claims is an ordinary test module. It is imported once, as ``theorycheck run
    --claims-file`` imports it."""

    claims: list[Claim]  # those the file declares, once imported

    def _getobj(self):
        from theorems.runs.config import UsageError
        from theorems.runs.loading import import_claims_file

        try:
            module, self.claims = import_claims_file(self.path)
        except UsageError as error:
            raise self.CollectError(f"theorycheck: {error}") from None
        self.config.stash[STATE].registered.extend(claim.id for claim in self.claims)
        return module

    def collect(self):
        tests = list(super().collect())  # imports the file (_getobj), which declares its claims
        claims = [ClaimItem.from_parent(self, name=claim.id, claim=claim) for claim in self.claims]
        if not (claims or tests):
            self.warn(TheorycheckNotCollected(
                f"{self.path.name} matches theorycheck_files but declares no claims (@theorems.core.claim(...)) "
                "and no tests: nothing to collect"))
        return [*claims, *tests]


class Catalogue(pytest.Collector):
    """The built-in catalogue (``--theorycheck-catalogue``): one item per claim of theorems/claims/, or
    only those named by their node ids (``theorycheck::<claim id>``)."""

    def collect(self):
        from theorems.runs.loading import catalogue_claims

        claims = catalogue_claims()
        named = self.config.stash[STATE].catalogue_ids
        unknown = sorted(set(named) - {claim.id for claim in claims})
        if unknown:
            raise self.CollectError(f"theorycheck: no claim {unknown[0]!r} in the catalogue (from the argument "
                                    f"{CATALOGUE}::{unknown[0]}); `theorycheck list` shows the claims")
        for claim in claims:
            if not named or claim.id in named:
                yield ClaimItem.from_parent(self, name=claim.id, claim=claim)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    """Add the catalogue's items before ``-k``, ``-m``, ``--deselect`` and ``--lf`` choose among them."""
    if STATE not in config.stash or not config.stash[STATE].catalogue:
        return
    catalogue = Catalogue.from_parent(session, name=CATALOGUE, nodeid=CATALOGUE)  # not "::theorycheck"
    report = catalogue.ihook.pytest_make_collect_report(collector=catalogue)
    session.ihook.pytest_collectreport(report=report)  # counted and shown like any collector's
    if report.passed:
        items.extend(report.result)


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(collector: pytest.Collector):
    """Say why a file named on the command line gave nothing: it declares claims, but its name does
    not make it a claims file (pytest collected it as a test module, and found no tests)."""
    report = yield
    if (report.passed and not report.result and isinstance(collector, pytest.Module)
            and not isinstance(collector, ClaimsFile) and collector.session.isinitpath(collector.path)
            and any(claim.measure.__module__ == collector.obj.__name__ for claim in REGISTRY)):
        patterns = ", ".join(collector.config.getini("theorycheck_files"))
        collector.warn(TheorycheckNotCollected(
            f"{collector.path.name} declares claims, but its name matches none of theorycheck_files ({patterns}), "
            f"so they were not collected: rename it (e.g. {collector.path.stem}_claims.py) or add a pattern "
            "to theorycheck_files in the ini file"))
    return report


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
        self.extra_keyword_matches.update(claim.inventory_ids)  # -k by row ID; the name is the claim id alone
        self.expected = expected_verdict(self.config.stash[STATE].baseline, claim)  # None: not in the baseline
        if self.expected not in (None, Verdict.CONFIRMED):  # a known finding; confirmed is a change: XPASS(strict)
            self.add_marker(pytest.mark.xfail(raises=KnownFinding, strict=True, reason=(
                f"{claim.id}: the baseline expects {self.expected}; a confirmed verdict is a change "
                "(update the baseline)")))

    def runtest(self) -> None:
        from theorems.core.engine import check_claim
        from theorems.runs.config import check_threads

        state = self.config.stash[STATE]
        with check_threads():  # as `theorycheck run` checks: the same numbers, serial or under -n
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
    survivors = [m for m in result.mutants if m.verdict != Verdict.REFUTED]
    problems = []
    if verdict == Verdict.REFUTED or (strict and verdict in (Verdict.CONDITIONAL, Verdict.INCONCLUSIVE)):
        problems.append(describe(result))
    if survivors:
        problems.append(f"{head}: a check that cannot fail: {len(survivors)} mutant(s) not refuted at profile "
                        f"{profile!r}\n" + "\n".join(f"  {m.statement}  ({m.verdict})" for m in survivors))
    if problems:
        return "failed", "\n\n".join(problems)
    if verdict == Verdict.CONDITIONAL:
        return "warned", describe(result)
    if verdict == Verdict.INCONCLUSIVE:
        return "skipped", f"{head} inconclusive: {result.verdict_reason}"
    return "passed", ""


def describe(result: ClaimResult) -> str:
    """A claim's verdict in a few lines: source, statement, reason, its finding (class and effects),
    the most telling and the minimal counterexample, and any alternative the data agree with instead."""
    from theorems.core.text import format_effect

    reason = result.verdict_reason.removeprefix(result.verdict)  # "refuted at 3 of 40 …" reads on from the verdict
    reason = reason if not reason or reason.startswith(" ") else f": {reason}"
    lines = [f"{result.id} [{', '.join(result.inventory_ids)}] is {result.verdict}{reason}",
             f"  source:    {result.source.document}, {result.source.section}",
             f"  statement: {result.statement}"]
    finding = result.finding
    examples = [("counterexample", result.counterexample)]
    if finding is not None:
        lines += [f"  finding:   {finding.class_}: {_short(finding.reason)}",
                  f"  effect:    {format_effect(finding.effect.representative)} at the document's settings; "
                  f"largest {format_effect(finding.effect.largest)}"]
        examples = [("most telling counterexample", finding.telling), ("minimal counterexample", finding.minimal)]
    for label, point in examples:
        if point is not None:
            lines += _counterexample_lines(label, point, result.relation)
    lines += [f"  agrees instead with {a.statement}" + (f" (reading “{a.reading}”)" if a.reading else "")
              for a in result.alternatives if a.verdict == Verdict.CONFIRMED]
    return "\n".join(lines)


def _counterexample_lines(label: str, point: Counterexample, relation: str) -> list[str]:
    """``measured 3.7830 [3.7829, 3.7831] vs stated 3.7831 (−0.00264%)``: the digits that tell the two apart."""
    from theorems.core.text import format_comparison, format_interval, format_pair, format_params

    measured, stated = format_pair(point.estimate, point.stated)
    interval = format_interval(point.ci_low, point.ci_high)
    comparison = format_comparison(point.estimate, point.stated, relation)
    element = f", element {point.index}" if point.index is not None else ""
    return [f"  {label} (reading “{point.reading}”): {format_params(point.params)}{element}",
            f"    measured {_short(measured)}" + (f" {_short(interval)}" if interval != "—" else "")
            + f" vs stated {_short(stated)}" + (f" ({comparison})" if comparison else "")]


def _short(text: str, width: int = 160) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item):
    """After a claim's check: its verdict as JUnit properties, and its outcome against the baseline."""
    if not isinstance(item, ClaimItem):
        return (yield)
    try:
        yield
    except (ClaimFailed, pytest.skip.Exception) as outcome:
        return against_baseline(item, outcome)
    else:
        return against_baseline(item, None)
    finally:
        if item.result is not None:
            item.user_properties.extend(junit_properties(item.result, item.expected))


def against_baseline(item: ClaimItem, outcome: BaseException | None) -> None:
    """Re-judge an item whose claim the baseline lists (``outcome``: what its verdict alone raised, a
    :class:`ClaimFailed` or pytest's skip exception, whose text is the finding).

    The finding the baseline expects raises :class:`KnownFinding` (an xfail, with the finding); any other
    verdict raises :class:`VerdictChanged`, except confirmed, which passes: an XPASS(strict) under the
    item's xfail marker. A check that raised or a mutant not refuted fails as always.
    """
    result, expected = item.result, item.expected
    if (result is None or expected is None or result.verdict == Verdict.CONFIRMED
            or result.error or any(mutant.verdict != Verdict.REFUTED for mutant in result.mutants)):
        if outcome is not None:
            raise outcome
        return
    finding = describe(result) if outcome is None else str(outcome)  # None: a conditional verdict passes, with a warning
    if result.verdict != expected:
        raise VerdictChanged(f"{result.id} [{', '.join(result.inventory_ids)}]: the baseline expects {expected}, "
                             f"this run found it {result.verdict}\n\n{finding}")
    raise KnownFinding(finding)


def junit_properties(result: ClaimResult, expected: str | None) -> list[tuple[str, str]]:
    """A claim's verdict for CI: the JUnit properties of its test case (``item.user_properties``)."""
    properties = [("theorycheck_verdict", result.verdict), ("theorycheck_rows", ",".join(result.inventory_ids))]
    if result.verdict != Verdict.CONFIRMED:  # a conditional verdict's reason names the reading that fails
        properties.append(("theorycheck_reason", result.verdict_reason))
    if result.finding is not None:
        properties.append(("theorycheck_finding", result.finding.class_))
    if expected is not None:
        properties.append(("theorycheck_expected", expected))
    return [(name, str(value)) for name, value in properties]  # plain strings: pytest-xdist sends them as data


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """The claim's result travels with its call report (to the xdist controller too), a skip
    points at the claim rather than at this module, and a known finding's xfail gives the finding."""
    outcome = yield
    if not isinstance(item, ClaimItem) or call.when != "call":
        return
    report = outcome.get_result()
    if hasattr(report, "wasxfail") and call.excinfo is not None and call.excinfo.errisinstance(KnownFinding):
        report.wasxfail = str(call.excinfo.value)
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
        ordered = sorted(state.results, key=lambda entry: entry[0])
        if state.baseline_write is not None and ordered:
            write_baseline(state.baseline_write, [result for _, _, result in ordered])
            state.baseline_written = state.baseline_write
        if state.report_dir is None or not ordered:
            return
        from theorems.runs.outputs import write_outputs
        from theorems.runs.runner import assemble_results

        files = list(dict.fromkeys(file for _, file, _ in ordered if file is not None))
        results = assemble_results([result for _, _, result in ordered], state.run_config, started=state.started,
                                   seconds=time.perf_counter() - state.start, claims_file=", ".join(files) or None)
        write_outputs(results, state.report_dir)
        state.written = state.report_dir

    def pytest_terminal_summary(self, terminalreporter) -> None:
        if not self.state.results:
            return
        from theorems.core.text import format_counts, verdict_counts

        counts = format_counts(verdict_counts(result.verdict for _, _, result in self.state.results))
        terminalreporter.write_sep("-", "theorycheck")
        terminalreporter.write_line(f"{len(self.state.results)} claim(s): {counts}")
        if self.state.written is not None:
            terminalreporter.write_line(f"report: {self.state.written / 'report.html'}")
        if self.state.baseline_written is not None:
            terminalreporter.write_line(f"baseline: {self.state.baseline_written}")


@pytest.fixture
def theorycheck_registry():
    """The claim registry, scoped to one test: the claims the test declares (or loads from a file) are
    forgotten when it ends, so tests need no distinct claim ids."""
    from theorems.core.claim import REGISTRY

    with REGISTRY.scoped() as registry:
        yield registry
