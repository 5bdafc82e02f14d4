"""The command line end to end: outputs, reproducibility, bad input, interruption."""

import json
import os
import re
import textwrap
from pathlib import Path

import pandas as pd
import pytest
import torch

from theorems.frontends.cli import main

EXAMPLE_CLAIMS = Path(__file__).resolve().parent.parent / "examples" / "my_claims.py"
QUICK = ["run", "--profile", "smoke", "--device", "cpu", "--quiet", "--claims", "ema-limiting-variance"]


def run_cli(*args) -> int:
    """The exit status of ``theorycheck ARGS`` (argparse's own errors included)."""
    try:
        return main([str(a) for a in args])
    except SystemExit as exit_:
        return exit_.code


def leftovers(folder: Path) -> list[Path]:
    return sorted(folder.iterdir()) if folder.exists() else []


def test_run_writes_results_and_is_reproducible(tmp_path, capsys):
    assert run_cli(*QUICK, "--out", tmp_path / "a") == 0
    assert run_cli(*QUICK, "--out", tmp_path / "b") == 0
    first = json.loads((tmp_path / "a" / "results.json").read_text())
    second = json.loads((tmp_path / "b" / "results.json").read_text())
    assert first["schema_version"] == 2
    assert [row["id"] for row in first["rows"]] == sorted({i for c in first["claims"] for i in c["inventory_ids"]})
    assert {"seed", "profile", "device", "device_name", "python", "torch", "numpy", "started", "seconds"} <= set(
        first["run"])
    claim = first["claims"][0]
    assert {"id", "inventory_ids", "source", "statement", "kind", "verdict", "alpha", "resolution", "evidence",
            "counterexample", "mutants", "samples", "seconds"} <= set(claim)
    assert {"params", "estimate", "stated", "ci_low", "ci_high", "verdict"} <= set(claim["evidence"][0])

    def without_timings(results):
        results = json.loads(json.dumps(results))
        for key in ("seconds", "started"):
            results["run"].pop(key)
        for c in results["claims"]:
            c.pop("seconds")
        return results

    assert without_timings(first) == without_timings(second)
    table = pd.read_csv(tmp_path / "a" / "results.csv")
    assert len(table) == len(claim["evidence"])
    assert "ema-limiting-variance" in capsys.readouterr().out


@pytest.mark.parametrize("args, message", [
    (["--claims", "no-such-claim"], "no claim matches"),
    (["--profile", "enormous"], "invalid choice"),
    (["--seed", "-1"], "seed must be >= 0"),
    (["--alpha", "2"], "alpha must be in (0, 1)"),
    (["--max-memory", "0"], "--max-memory must be a number of MiB"),
    (["--max-memory", "1e-9"], "at least 1/1024"),
    (["--max-memory", "nan"], "--max-memory must be a number of MiB"),
    (["--max-memory", "inf"], "--max-memory must be a number of MiB"),
    (["--claims", ""], "empty pattern"),
    (["--claims", "gd-rate", "--claims-file", EXAMPLE_CLAIMS], "with --claims-file only that file's claims run"),
    (["--device", "tpu"], "device"),
    (["--claims-file", "does/not/exist.py"], "claims file not found"),
])
def test_bad_input_exits_2_and_writes_nothing(tmp_path, capsys, args, message):
    assert run_cli("run", "--quiet", "--out", tmp_path / "out", *args) == 2
    assert message in capsys.readouterr().err
    assert leftovers(tmp_path) == []


@pytest.mark.skipif(torch.cuda.is_available(), reason="CUDA is available here, so asking for it is not an error")
def test_cuda_asked_for_but_absent(tmp_path, capsys):
    assert run_cli("run", "--quiet", "--device", "cuda", "--out", tmp_path / "out") == 2
    assert "CUDA is not available" in capsys.readouterr().err
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("make_out, message", [
    (lambda tmp: tmp / "a-file" / "out", "which is a file, not a folder"),
    (lambda tmp: tmp / "read-only" / "out", "cannot write under"),
], ids=["beneath-a-file", "read-only"])
def test_unwritable_out_is_refused_before_any_work(tmp_path, capsys, make_out, message):
    (tmp_path / "a-file").write_text("not a folder")
    (tmp_path / "read-only").mkdir()
    out = make_out(tmp_path)
    if "read-only" in str(out):
        if os.geteuid() == 0:
            pytest.skip("root writes through permission bits; a read-only mount needs privileges")
        (tmp_path / "read-only").chmod(0o500)
    before = leftovers(tmp_path)
    assert run_cli(*QUICK, "--out", out) == 2
    assert message in capsys.readouterr().err
    assert leftovers(tmp_path) == before and not out.exists()


def test_two_runs_into_the_same_default_name_get_two_folders(tmp_path, monkeypatch):
    import theorems.frontends.cli as cli

    monkeypatch.setattr(cli, "REPORTS_ROOT", tmp_path / "reports")
    monkeypatch.setattr(cli, "default_out_dir", lambda root, config: root / "same-second")
    assert run_cli(*QUICK) == 0 and run_cli(*QUICK) == 0
    assert sorted(p.name for p in (tmp_path / "reports").iterdir() if p.is_dir() and not p.is_symlink()) == [
        "same-second", "same-second-2"]


def test_a_claims_file_reusing_a_catalogue_id_is_bad_input(tmp_path, capsys):
    clash = tmp_path / "clash.py"
    clash.write_text(EXAMPLE_CLAIMS.read_text().replace('id="variance-of-weighted-sum"', 'id="gd-rate"'))
    assert run_cli("run", "--quiet", "--claims-file", clash, "--out", tmp_path / "out") == 2
    assert "already taken by a claim of the catalogue" in capsys.readouterr().err


def test_a_domain_that_is_not_a_strategy_is_bad_input(tmp_path, capsys):
    bad = tmp_path / "bad_domain.py"
    bad.write_text(EXAMPLE_CLAIMS.read_text().replace('"a": floats(-3, 3)', '"a": [1, 2, 3]'))
    assert run_cli("run", "--quiet", "--claims-file", bad, "--out", tmp_path / "out") == 2
    assert "which the engine cannot read" in capsys.readouterr().err


def test_without_a_terminal_each_finished_claim_prints_a_line(tmp_path, capsys):
    assert run_cli("run", "--profile", "smoke", "--device", "cpu", "--claims", "gd-rate", "--out", tmp_path / "o") == 0
    assert re.search(r"^\w+ +gd-rate  \d+\.\d\d (s|ms|µs)  \d+ points( × [\d\s]+ replicates)?( \(.*\))?$",
                     capsys.readouterr().err, flags=re.M)  # its time and sample size (tests/test_timing.py)


def test_claims_file_that_fails_to_import(tmp_path, capsys):
    broken = tmp_path / "broken.py"
    broken.write_text("import no_such_module_anywhere\n")
    assert run_cli("run", "--quiet", "--claims-file", broken, "--out", tmp_path / "out") == 2
    assert "failed to import" in capsys.readouterr().err
    assert leftovers(tmp_path) == [broken]


def test_users_claims_file_runs(tmp_path):
    out = tmp_path / "mine"
    assert run_cli("run", "--profile", "smoke", "--device", "cpu", "--quiet", "--claims-file", EXAMPLE_CLAIMS,
                   "--out", out) == 0
    results = json.loads((out / "results.json").read_text())
    assert [c["id"] for c in results["claims"]] == ["variance-of-weighted-sum"]
    assert results["claims"][0]["mutants"][0]["verdict"] == "refuted"
    assert results["run"]["claims_file"] == str(EXAMPLE_CLAIMS)


def raising_claims_file(folder: Path, claim_id: str, exception: str) -> Path:
    """A claims file with one claim whose measurement raises ``exception`` (Python source).
    Claim ids are global to the process, so each test names its own."""
    path = folder / f"{claim_id}.py"
    path.write_text(textwrap.dedent(f'''
        from theorems import Formula, Source, claim, integers

        @claim(id="{claim_id}", inventory_ids=("000-01",), source=Source("x.txt", "s"), statement="f = 0",
               kind="identity", domain={{"k": integers(0, 1)}}, stated=lambda p: 0.0,
               mutants=[Formula("f = 1", lambda p: 1.0)])
        def raises(p, ctx):
            raise {exception}
    '''))
    return path


def test_interrupted_run_leaves_nothing_behind(tmp_path, capsys):
    interrupting = raising_claims_file(tmp_path, "interrupts", "KeyboardInterrupt")
    assert run_cli("run", "--quiet", "--claims-file", interrupting, "--out", tmp_path / "out") == 130
    assert "interrupted" in capsys.readouterr().err
    assert leftovers(tmp_path) == [interrupting]


def test_an_interrupt_that_a_library_swallows_still_exits_130(tmp_path, capsys):
    swallowed = tmp_path / "swallowed.py"
    swallowed.write_text(textwrap.dedent('''
        import os, signal
        from theorems import Formula, Measurement, Source, claim, integers

        @claim(id="swallows-ctrl-c", inventory_ids=("x-1",), source=Source("x.txt", "s"), statement="f = 0",
               kind="identity", domain={"k": integers(0, 1)}, stated=lambda p: 0.0,
               mutants=[Formula("f = 1", lambda p: 1.0)])
        def swallows(p, ctx):
            try:  # as hypothesis's gc callback does: "Exception ignored ... KeyboardInterrupt"
                os.kill(os.getpid(), signal.SIGINT)
            except KeyboardInterrupt:
                pass
            return Measurement(0.0)
    '''))
    assert run_cli("run", "--quiet", "--claims-file", swallowed, "--out", tmp_path / "out") == 130
    assert "interrupted" in capsys.readouterr().err
    assert leftovers(tmp_path) == [swallowed]


def test_list_and_show(capsys):
    assert run_cli("list") == 0
    listing = capsys.readouterr().out
    assert "gd-rate" in listing and "001-03" in listing
    assert run_cli("show", "step-size-regimes") == 0
    shown = capsys.readouterr().out
    assert "003-05" in shown and "mutants" in shown and "η_opt = 1/a" in shown
    assert run_cli("show", "001-03") == 0  # a row shows every claim that checks it
    shown = capsys.readouterr().out
    assert "row 001-03 is checked by" in shown and "gd-rate" in shown
    assert run_cli("show", "no-such-claim") == 2
    assert "unknown claim" in capsys.readouterr().err


def test_calibrate_tallies_each_row_over_seeds(tmp_path, capsys):
    assert run_cli("calibrate", "--seeds", "2", "--profile", "smoke", "--device", "cpu", "--claims", "gd-sufficient*",
                   "--csv", tmp_path / "calibration.csv") == 0
    out = capsys.readouterr().out
    assert "001-01" in out and "observed false-alarm rate" in out
    table = pd.read_csv(tmp_path / "calibration.csv")
    assert table.loc[0, "row"] == "001-01"
    assert table.loc[0, ["confirmed", "refuted", "conditional", "inconclusive"]].sum() == 2
    assert run_cli("calibrate", "--seeds", "0") == 2


def test_report_folder_has_ordinary_permissions(tmp_path):
    import os
    import stat

    assert run_cli(*QUICK, "--claims", "gd-rate", "--out", tmp_path / "out") == 0
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE((tmp_path / "out").stat().st_mode) == 0o777 & ~umask


def test_a_check_that_raises_is_reported_not_fatal(tmp_path, capsys):
    broken = raising_claims_file(tmp_path, "raises", 'ValueError("a bug in the claim")')
    assert run_cli("run", "--quiet", "--claims-file", broken, "--out", tmp_path / "out") == 1
    assert "a bug in the claim" in capsys.readouterr().err
    result = json.loads((tmp_path / "out" / "results.json").read_text())["claims"][0]
    assert result["verdict"] == "inconclusive"
    assert "ValueError: a bug in the claim" in result["verdict_reason"]
    assert "Traceback" in result["error"]
    assert (tmp_path / "out" / "report.html").exists()
