"""The pytest plugin (theorems/frontends/pytest_plugin.py) end to end, through pytester: what it collects, how
verdicts become outcomes, -k by row ID, the report option, pytest-xdist, the second example, and the
plugin as a CI gate: the baseline, rerun options (--lf, --ff, --sw, node ids), JUnit properties, ini settings.

The claims of MAPPING are deterministic (identities of an integer k), so their verdicts do not
depend on sampling; only the examples' claims are Monte Carlo, at the smoke profile and seed 0.
"""

import importlib.util
import json
import shutil
from pathlib import Path

import pytest

import theorems.report  # noqa: F401
from theorems.core.claim import REGISTRY
from theorems.frontends.cli import main
from theorems.runs.loading import load_catalogue

pytest_plugins = ["pytester"]

# pytester forgets the modules imported while a test uses it. The catalogue registers its claims
# once per process and matplotlib (under theorems.report) should be imported once, so both are
# imported here, before any test.
load_catalogue()

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
OTHER_MATERIAL = EXAMPLES / "claims_other_material.py"

# One claim per outcome. Claim ids are global to the process (tests/test_cli.py leaves a "raises"
# registered), so these begin with hx-; row IDs are hx-01 … hx-06, so `-k hx-02` picks one claim.
MAPPING = '''
from theorems import Formula, Measurement, Reading, Source, claim, integers

K = {"k": integers(0, 3)}
IDENTITY = dict(kind="identity", domain=K, atol=1e-9, source=Source("handout-x.pdf", "§9 Tests"))


@claim(id="hx-holds", inventory_ids=("hx-01",), statement="f = k", stated=lambda p: p["k"],
       mutants=[Formula("f = k + 1", lambda p: p["k"] + 1)], **IDENTITY)
def holds(p, ctx):
    return Measurement(float(p["k"]))


@claim(id="hx-fails", inventory_ids=("hx-02",), statement="f = k + 1", stated=lambda p: p["k"] + 1,
       mutants=[Formula("f = k + 2", lambda p: p["k"] + 2)], **IDENTITY)
def fails(p, ctx):
    return Measurement(float(p["k"]))


@claim(id="hx-cannot-fail", inventory_ids=("hx-03",), statement="f = k", stated=lambda p: p["k"],
       mutants=[Formula("f = |k|", lambda p: abs(p["k"]))], **IDENTITY)
def cannot_fail(p, ctx):
    return Measurement(float(p["k"]))


@claim(id="hx-raises", inventory_ids=("hx-04",), statement="f = k", stated=lambda p: p["k"],
       mutants=[Formula("f = k + 1", lambda p: p["k"] + 1)], **IDENTITY)
def raises(p, ctx):
    raise RuntimeError("boom in the measurement")


@claim(id="hx-depends-on-reading", inventory_ids=("hx-05",), statement="f = k + offset",
       stated=lambda p: p["k"] + p["offset"], mutants=[Formula("f = k + 5", lambda p: p["k"] + 5)],
       readings=[Reading("offset 0", params={"offset": 0}), Reading("offset 1", params={"offset": 1})],
       **IDENTITY)
def depends_on_reading(p, ctx):
    return Measurement(float(p["k"]))


@claim(id="hx-unresolved", inventory_ids=("hx-06",), statement="E f = 1", stated=lambda p: 1.0,
       mutants=[Formula("E f = 2", lambda p: 2.0)], kind="stochastic", domain=K,
       source=Source("handout-x.pdf", "§9 Tests"))
def unresolved(p, ctx):  # resolved at k = 0 (mutant refuted), unresolved elsewhere: inconclusive
    return Measurement(1.0, se=0.001 if p["k"] == 0 else 10.0, samples=100)
'''

OUTCOMES = {"hx-holds": "passed", "hx-fails": "failed", "hx-cannot-fail": "failed", "hx-raises": "failed",
            "hx-depends-on-reading": "passed", "hx-unresolved": "skipped"}


@pytest.fixture(autouse=True)
def registry_as_found():
    """Claim ids are global to the process, and `theorycheck run` (main) leaves its claims registered:
    each test leaves the registry as it found it."""
    before = {claim.id for claim in REGISTRY}
    yield
    for claim in list(REGISTRY):
        if claim.id not in before:
            REGISTRY.remove(claim.id)


@pytest.fixture
def mapping(pytester):
    return pytester.makepyfile(claims_mapping=MAPPING)


def outcomes_by_name(result) -> dict[str, str]:
    reports = result.reprec.getreports("pytest_runtest_logreport")
    return {r.nodeid.split("::")[-1]: r.outcome for r in reports
            if r.when == "call" or (r.when == "setup" and r.outcome != "passed")}


def without_timings(results: dict) -> list[dict]:
    """The claims of a results.json, without their timings."""
    return [{key: value for key, value in claim.items() if key != "seconds"} for claim in results["claims"]]


def test_verdicts_become_outcomes(pytester, mapping):
    result = pytester.runpytest(mapping, "-rs")
    assert outcomes_by_name(result) == OUTCOMES
    out = result.stdout.str()
    # refuted: the source, the statement, the counterexample with its measured and stated values
    assert "hx-fails [hx-02] is refuted" in out and "handout-x.pdf, §9 Tests" in out and "f = k + 1" in out
    result.stdout.re_match_lines([r".*counterexample \(reading “as stated”\): k=0", r".*measured 0 vs stated 1.*"])
    # a mutant that survives is always a failure; so is a check that raised, with its error
    assert "hx-cannot-fail [hx-03]: a check that cannot fail: 1 mutant(s) not refuted" in out and "f = |k|" in out
    assert "hx-raises [hx-04]: the check raised an error" in out and "RuntimeError: boom in the measurement" in out
    # conditional passes with a warning that names the failing reading; inconclusive is a skip with its reason
    result.stdout.re_match_lines([r".*TheorycheckConditional: hx-depends-on-reading \[hx-05\] is conditional: "
                                  r"holds under “offset 0”; refuted under “offset 1”"])
    result.stdout.re_match_lines([r"SKIPPED \[1\] claims_mapping.py:\d+: hx-unresolved \[hx-06\] inconclusive: .*"])


def test_strict_fails_conditional_and_inconclusive(pytester, mapping):
    result = pytester.runpytest(mapping, "--theorycheck-strict", "-k", "hx-05 or hx-06")
    assert outcomes_by_name(result) == {"hx-depends-on-reading": "failed", "hx-unresolved": "failed"}


def test_k_selects_by_row_id(pytester, mapping):
    result = pytester.runpytest(mapping, "-k", "hx-02")
    assert outcomes_by_name(result) == {"hx-fails": "failed"}
    result.assert_outcomes(failed=1, deselected=5)


def test_the_catalogue_only_when_asked_and_by_row_id(pytester):
    result = pytester.runpytest("--theorycheck-catalogue", "--collect-only", "-q", "-k", "003-05")
    collected = {line for line in result.stdout.lines if line.startswith("theorycheck::")}
    assert collected == {f"theorycheck::{claim.id}" for claim in REGISTRY if "003-05" in claim.inventory_ids}
    assert "theorycheck::step-size-regimes" in collected


def test_inert_without_the_option_or_a_named_file(pytester):
    """A plain run neither collects nor imports a file because its name matches claims_*.py."""
    pytester.makepyfile(claims_not_asked_for="raise RuntimeError('imported by a plain pytest run')",
                        test_plain="def test_plain():\n    pass\n")
    result = pytester.runpytest()
    result.assert_outcomes(passed=1)
    assert "theorycheck:" not in result.stdout.str()  # no header line, no summary


def test_the_option_finds_claims_files_in_the_folders_searched_and_not_the_catalogue(pytester, mapping):
    pytester.makepyfile(d2l_claims=MAPPING.replace('"hx-', '"hy-'))  # the pattern *_claims.py too
    result = pytester.runpytest("--theorycheck", "--collect-only", "-q")
    result.stdout.fnmatch_lines(["claims_mapping.py::hx-holds", "d2l_claims.py::hy-holds", "12 tests collected*"])
    assert "theorycheck::" not in result.stdout.str()


def test_the_report_option_writes_what_theorycheck_run_writes(pytester, mapping, tmp_path):
    pytester.runpytest(mapping, "-k", "not hx-04", "--theorycheck-report", "report")
    report = pytester.path / "report"
    assert {"results.json", "results.csv", "report.md", "report.html"} <= {p.name for p in report.iterdir()}
    from_plugin = json.loads((report / "results.json").read_text())
    assert [c["id"] for c in from_plugin["claims"]] == ["hx-holds", "hx-fails", "hx-cannot-fail",
                                                          "hx-depends-on-reading", "hx-unresolved"]
    assert main(["run", "--profile", "smoke", "--device", "cpu", "--quiet", "--claims-file", str(mapping),
                 "--claims", "hx-0[12356]", "--out", str(tmp_path / "cli")]) == 0
    from_cli = json.loads((tmp_path / "cli" / "results.json").read_text())
    assert set(from_plugin["run"]) == set(from_cli["run"]) and from_plugin["rows"] == from_cli["rows"]
    assert without_timings(from_plugin) == without_timings(from_cli)


@pytest.mark.skipif(importlib.util.find_spec("xdist") is None, reason="pytest-xdist is not installed")
def test_xdist_gives_the_verdicts_of_a_serial_session(pytester, mapping):
    shutil.copy(OTHER_MATERIAL, pytester.path / OTHER_MATERIAL.name)
    args = [mapping, OTHER_MATERIAL.name, "--theorycheck-seed", "3"]
    serial = pytester.runpytest(*args, "-n", "0", "--theorycheck-report", "serial")
    parallel = pytester.runpytest(*args, "-n", "2", "--theorycheck-report", "parallel")
    assert serial.parseoutcomes() == parallel.parseoutcomes()
    first, second = (json.loads((pytester.path / name / "results.json").read_text()) for name in ("serial", "parallel"))
    assert without_timings(first) == without_timings(second) and len(first["claims"]) == 8
    assert first["run"]["claims_file"] == second["run"]["claims_file"] == "claims_mapping.py, claims_other_material.py"


def test_the_second_example_runs_from_the_cli_and_from_pytest(pytester, tmp_path):
    assert main(["run", "--profile", "smoke", "--device", "cpu", "--quiet", "--claims-file", str(OTHER_MATERIAL),
                 "--out", str(tmp_path / "cli")]) == 0
    from_cli = json.loads((tmp_path / "cli" / "results.json").read_text())
    assert [(c["id"], c["inventory_ids"], c["source"]["document"]) for c in from_cli["claims"]] == [
        ("sample-variance-unbiased", ["handout-1"], "probability-handout.pdf"),
        ("sample-mean-unbiased", ["handout-2"], "probability-handout.pdf")]
    assert all(m["verdict"] == "refuted" for c in from_cli["claims"] for m in c["mutants"])
    # smoke resolves a point only when its pilot happens to suffice: confirmed or inconclusive. Seeded
    # (seed 0); a true claim is falsely refuted with probability at most α = 0.01.
    assert {c["verdict"] for c in from_cli["claims"]} <= {"confirmed", "inconclusive"}

    result = pytester.runpytest(OTHER_MATERIAL, "--theorycheck-report", str(tmp_path / "plugin"))
    expected = {"confirmed": "passed", "inconclusive": "skipped"}
    assert outcomes_by_name(result) == {c["id"]: expected[c["verdict"]] for c in from_cli["claims"]}
    from_plugin = json.loads((tmp_path / "plugin" / "results.json").read_text())
    assert without_timings(from_plugin) == without_timings(from_cli)  # the same file, module and seeds


# --- the plugin as a CI gate ------------------------------------------------------------------------

@pytest.fixture
def without_user_claims():
    """Claim ids are global to the process, and earlier tests leave the examples' claims registered:
    set them aside while a test loads copies of those files, then put them back."""
    saved = [c for c in REGISTRY if not c.measure.__module__.startswith("theorems.catalogue.")]
    for claim in saved:
        REGISTRY.remove(claim.id)
    yield
    for claim in saved:
        if claim.id not in REGISTRY:
            REGISTRY.add(claim)


@pytest.mark.usefixtures("without_user_claims")
def test_the_default_pattern_collects_the_readme_example(pytester):
    shutil.copy(EXAMPLES / "my_claims.py", pytester.path / "my_claims.py")
    result = pytester.runpytest("my_claims.py", "--collect-only", "-q")
    result.stdout.fnmatch_lines(["my_claims.py::variance-of-weighted-sum", "1 test collected*"])


@pytest.mark.usefixtures("without_user_claims")
def test_a_named_file_that_gives_nothing_says_why(pytester):
    """Claims in a file whose name matches no pattern, and a claims file with neither claims nor tests."""
    shutil.copy(EXAMPLES / "my_claims.py", pytester.path / "d2l.py")
    result = pytester.runpytest("d2l.py")
    result.stdout.fnmatch_lines(["*TheorycheckNotCollected: d2l.py declares claims, but its name matches none of "
                                 "theorycheck_files (claims_*.py, *_claims.py)*rename it (e.g. d2l_claims.py)*"])
    pytester.makepyfile(claims_empty="X = 1\n")
    result = pytester.runpytest("claims_empty.py")
    result.stdout.fnmatch_lines(["*claims_empty.py matches theorycheck_files but declares no claims*and no tests*"])


def test_ordinary_test_files_stay_ordinary(pytester, mapping):
    """A file matching the pattern without claims is a test module; a claims file's own tests run too."""
    pytester.makepyfile(claims_api_test="def test_api():\n    pass\n")
    pytester.runpytest("claims_api_test.py").assert_outcomes(passed=1)
    mapping.write_text(mapping.read_text() + "\n\ndef test_beside_the_claims():\n    pass\n")
    result = pytester.runpytest(mapping, "-k", "hx-01 or beside")
    assert outcomes_by_name(result) == {"hx-holds": "passed", "test_beside_the_claims": "passed"}


def test_the_baseline_written_by_a_run_makes_its_findings_expected(pytester, mapping):
    pytester.runpytest(mapping, "--theorycheck-baseline-write", "baseline.json")
    written = json.loads((pytester.path / "baseline.json").read_text())
    assert written == {"hx-holds": "confirmed", "hx-fails": "refuted", "hx-cannot-fail": "confirmed",
                       "hx-raises": "inconclusive", "hx-depends-on-reading": "conditional",
                       "hx-unresolved": "inconclusive"}
    result = pytester.runpytest(mapping, "--theorycheck-baseline", "baseline.json", "-rx")
    # known findings xfail, with the finding; a broken check and a mutant not refuted still fail
    assert outcomes_by_name(result) == {**OUTCOMES, "hx-fails": "skipped", "hx-depends-on-reading": "skipped",
                                        "hx-unresolved": "skipped"}
    result.assert_outcomes(passed=1, failed=2, xfailed=3, warnings=1)
    result.stdout.fnmatch_lines(["XFAIL claims_mapping.py::hx-fails - hx-fails [[]hx-02[]] is refuted*",
                                 "*counterexample (reading “as stated”): k=0"])


def test_a_changed_verdict_fails(pytester, mapping):
    """Against the baseline (by claim id or row ID) every change fails: a confirmed claim the baseline
    says is refuted is an XPASS(strict); so does a finding where the baseline expects another."""
    (pytester.path / "baseline.json").write_text(json.dumps(
        {"hx-01": "refuted", "hx-fails": "confirmed", "hx-unresolved": "refuted", "hx-depends-on-reading": "refuted"}))
    result = pytester.runpytest(mapping, "--theorycheck-baseline", "baseline.json", "-k", "not hx-03 and not hx-04")
    result.assert_outcomes(failed=4)
    (xpass,) = [r for r in result.reprec.getreports("pytest_runtest_logreport") if r.nodeid.endswith("::hx-holds")
                and r.when == "call"]
    assert str(xpass.longrepr).startswith("[XPASS(strict)] hx-holds: the baseline expects refuted")
    result.stdout.fnmatch_lines(["hx-unresolved [[]hx-06[]]: the baseline expects refuted, this run found it "
                                 "inconclusive"])


def test_the_baseline_from_the_ini_file_and_its_errors(pytester, mapping):
    (pytester.path / "ci").mkdir()
    (pytester.path / "ci" / "baseline.json").write_text('{"hx-fails": "refuted"}')
    pytester.makeini("[pytest]\ntheorycheck_baseline = ci/baseline.json\n")
    pytester.runpytest(mapping, "-k", "hx-02").assert_outcomes(xfailed=1)
    (pytester.path / "bad.json").write_text('{"hx-fails": "wrong"}')
    result = pytester.runpytest(mapping, "--theorycheck-baseline", "bad.json")
    result.stderr.fnmatch_lines(["*bad.json: 'hx-fails' expects 'wrong'; a verdict is one of confirmed, refuted*"])
    assert result.ret == pytest.ExitCode.USAGE_ERROR


def test_rerun_options_and_copied_node_ids(pytester, mapping):
    """--lf, --ff, --sw and a node id copied from a FAILED line, on pytest's cache (which this project's
    own ini turns off for its test suite)."""
    cache = ("-p", "cacheprovider")
    first = pytester.runpytest(mapping, *cache)
    failed = [line.split()[1] for line in first.stdout.lines if line.startswith("FAILED ")]
    assert failed == [f"claims_mapping.py::{name}" for name in ("hx-fails", "hx-cannot-fail", "hx-raises")]
    pytester.runpytest(mapping, *cache, "--lf").assert_outcomes(failed=3, deselected=3)
    ordered = pytester.runpytest(mapping, *cache, "--ff", "-v").stdout.str()
    assert ordered.index("::hx-raises FAILED") < ordered.index("::hx-holds PASSED")
    pytester.runpytest(failed[0], *cache).assert_outcomes(failed=1)
    pytester.runpytest(mapping, *cache, "--sw").assert_outcomes(passed=1, failed=1)  # stops at hx-fails
    pytester.runpytest(mapping, *cache, "--sw").assert_outcomes(failed=1, deselected=1)  # and starts there
    pytester.runpytest(mapping, *cache, "--sw-skip").assert_outcomes(failed=2, deselected=1)


def test_catalogue_node_ids_and_last_failed(pytester):
    """A catalogue item's node id (theorycheck::<claim id>) is no file, yet selects it; --lf finds it."""
    pytester.runpytest("theorycheck::step-size-regimes", "--collect-only", "-q").stdout.fnmatch_lines(
        ["theorycheck::step-size-regimes", "1 test collected*"])
    missing = pytester.runpytest("theorycheck::no-such-claim")
    missing.stdout.fnmatch_lines(["*no claim 'no-such-claim' in the catalogue*"])
    cache = pytester.path / ".pytest_cache" / "v" / "cache"
    cache.mkdir(parents=True, exist_ok=True)
    (cache / "lastfailed").write_text(json.dumps({"theorycheck::step-size-regimes": True}))
    result = pytester.runpytest("--theorycheck-catalogue", "-p", "cacheprovider", "--lf", "--collect-only", "-q")
    result.stdout.fnmatch_lines(["theorycheck::step-size-regimes", "1/* tests collected (* deselected)*"])


def test_junit_properties_carry_verdict_rows_and_finding(pytester, mapping):
    pytester.runpytest(mapping, "-k", "hx-02 or hx-05", "--junitxml", "junit.xml")
    import xml.etree.ElementTree as ElementTree

    cases = {case.get("name"): {p.get("name"): p.get("value") for p in case.iter("property")}
             for case in ElementTree.parse(pytester.path / "junit.xml").iter("testcase")}
    assert cases["hx-fails"] == {"theorycheck_verdict": "refuted", "theorycheck_rows": "hx-02",
                                 "theorycheck_reason": "refuted at 4 of 4 evaluated points",
                                 "theorycheck_finding": "erratum"}
    conditional = cases["hx-depends-on-reading"]
    assert conditional["theorycheck_verdict"] == "conditional"
    assert "refuted under “offset 1”" in conditional["theorycheck_reason"]


def test_profile_and_strict_from_the_ini_file(pytester, mapping):
    pytester.makeini("[pytest]\ntheorycheck_profile = standard\ntheorycheck_strict = true\n")
    pytester.runpytest(mapping, "--collect-only").stdout.fnmatch_lines(["theorycheck: profile standard, *, strict"])
    header = pytester.runpytest(mapping, "--collect-only", "--theorycheck-profile", "smoke").stdout.str()
    assert "theorycheck: profile smoke" in header  # the command line wins
    pytester.runpytest(mapping, "-k", "hx-05", "--theorycheck-profile", "smoke").assert_outcomes(failed=1)
