"""The pytest plugin (theorems/pytest_plugin.py) end to end, through pytester: what it collects, how
verdicts become outcomes, -k by row ID, the report option, pytest-xdist, and the second example.

The claims of MAPPING are deterministic (identities of an integer k), so their verdicts do not
depend on sampling; only the examples' claims are Monte Carlo, at the smoke profile and seed 0.
"""

import importlib.util
import json
import shutil
from pathlib import Path

import pytest

import theorems.report  # noqa: F401
from theorems import REGISTRY
from theorems.cli import main
from theorems.runner import load_catalogue

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
import hypothesis.strategies as st
from theorems import Formula, Measurement, Reading, Source, claim

K = {"k": st.integers(0, 3)}
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

OUTCOMES = {"hx-holds[hx-01]": "passed", "hx-fails[hx-02]": "failed", "hx-cannot-fail[hx-03]": "failed",
            "hx-raises[hx-04]": "failed", "hx-depends-on-reading[hx-05]": "passed",
            "hx-unresolved[hx-06]": "skipped"}


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
    result.stdout.re_match_lines([r".*counterexample \(reading “as stated”\): k=0", r".*measured 0, stated 1.*"])
    # a mutant that survives is always a failure; so is a check that raised, with its error
    assert "hx-cannot-fail [hx-03]: a check that cannot fail: 1 mutant(s) not refuted" in out and "f = |k|" in out
    assert "hx-raises [hx-04]: the check raised an error" in out and "RuntimeError: boom in the measurement" in out
    # conditional passes with a warning that names the failing reading; inconclusive is a skip with its reason
    result.stdout.re_match_lines([r".*TheorycheckConditional: hx-depends-on-reading \[hx-05\] is conditional: "
                                  r"holds under “offset 0”; refuted under “offset 1”"])
    result.stdout.re_match_lines([r"SKIPPED \[1\] claims_mapping.py:\d+: hx-unresolved \[hx-06\] inconclusive: .*"])


def test_strict_fails_conditional_and_inconclusive(pytester, mapping):
    result = pytester.runpytest(mapping, "--theorycheck-strict", "-k", "hx-05 or hx-06")
    assert outcomes_by_name(result) == {"hx-depends-on-reading[hx-05]": "failed", "hx-unresolved[hx-06]": "failed"}


def test_k_selects_by_row_id(pytester, mapping):
    result = pytester.runpytest(mapping, "-k", "hx-02")
    assert outcomes_by_name(result) == {"hx-fails[hx-02]": "failed"}
    result.assert_outcomes(failed=1, deselected=5)


def test_the_catalogue_by_row_id(pytester):
    result = pytester.runpytest("--theorycheck", "--collect-only", "-q", "-k", "003-05")
    collected = [line for line in result.stdout.lines if line.startswith("theorycheck::")]
    assert collected and all("003-05" in line.split("[")[1] for line in collected)
    assert "theorycheck::step-size-regimes[" in "\n".join(collected)


def test_inert_without_the_option_or_a_named_file(pytester):
    """A plain run neither collects nor imports a file because its name matches claims_*.py."""
    pytester.makepyfile(claims_not_asked_for="raise RuntimeError('imported by a plain pytest run')",
                        test_plain="def test_plain():\n    pass\n")
    result = pytester.runpytest()
    result.assert_outcomes(passed=1)
    assert "theorycheck:" not in result.stdout.str()  # no header line, no summary


def test_the_option_finds_claims_files_in_the_folders_searched(pytester, mapping):
    result = pytester.runpytest("--theorycheck", "--collect-only", "-q", "-m", "theorycheck", "-k", "hx-")
    result.stdout.fnmatch_lines(["claims_mapping.py::hx-holds[[]hx-01[]]", "*6/* tests collected*"])


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
    assert outcomes_by_name(result) == {f"{c['id']}[{c['inventory_ids'][0]}]": expected[c["verdict"]]
                                        for c in from_cli["claims"]}
    from_plugin = json.loads((tmp_path / "plugin" / "results.json").read_text())
    assert without_timings(from_plugin) == without_timings(from_cli)  # the same file, module and seeds
