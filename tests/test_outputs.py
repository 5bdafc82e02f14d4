"""Nothing the user owns is lost and nothing is half-written: ``--out`` into existing folders,
signals (SIGINT, SIGTERM) at chosen moments, full disks and unwritable places, too-long names.

Faults are injected without root: a patched function sends the process a signal, or raises
``OSError(ENOSPC)`` / ``PermissionError`` where a write would fail.
"""

import errno
import json
import os
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import pandas as pd
import pytest

import theorems.frontends.cli as cli
import theorems.report
import theorems.runs.calibrate
import theorems.runs.outputs as outputs
from theorems.core.results import Results
from theorems.frontends.cli import main
from theorems.runs.outputs import MANIFEST

QUICK = ["run", "--profile", "smoke", "--device", "cpu", "--quiet", "--claims", "ema-limiting-variance"]
OTHER = ["run", "--profile", "smoke", "--device", "cpu", "--quiet", "--claims", "gd-rate"]
ROOT = Path(__file__).resolve().parent.parent


def run_cli(*args) -> int:
    try:
        return main([str(a) for a in args])
    except SystemExit as exit_:
        return exit_.code


def tree(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (hidden ones too) with its bytes."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def no_work(monkeypatch) -> None:
    """Fail the test if any claim is checked: the error must be found before the work."""
    def refuse(*args, **kwargs):
        pytest.fail("the work started before the error was found")

    monkeypatch.setattr(cli, "run_claims", refuse)
    monkeypatch.setattr(theorems.runs.calibrate, "calibrate", refuse)


def signal_during(monkeypatch, owner, name: str, signum: int) -> None:
    """Patch ``owner.name`` to send this process ``signum`` and then do its work."""
    original = getattr(owner, name)

    def interrupted(*args, **kwargs):
        os.kill(os.getpid(), signum)
        return original(*args, **kwargs)

    monkeypatch.setattr(owner, name, interrupted)


def fail_with(monkeypatch, owner, name: str, code: int) -> None:
    """Patch ``owner.name`` to raise ``OSError(code)``, as a full disk or a read-only folder would."""
    def fails(*args, **kwargs):
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(owner, name, fails)


def one_line_error(err: str, text: str) -> None:
    assert text in err and "Traceback" not in err and len(err.strip().splitlines()) == 1, err


def partials(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if ".partial-" in p.name or p.name.endswith(".tmp"))


# ---- every --claims pattern must match ------------------------------------------------------------
def test_a_pattern_that_matches_nothing_is_bad_input_beside_good_ones(tmp_path, capsys, monkeypatch):
    no_work(monkeypatch)
    assert run_cli(*QUICK, "--claims", "000-01", "--claims", "nosuch", "--out", tmp_path / "out") == 2
    err = capsys.readouterr().err
    assert "no claim matches 'nosuch'" in err and "000-01" not in err
    assert not (tmp_path / "out").exists()


# ---- --out into an existing folder ----------------------------------------------------------------
def test_out_into_a_folder_of_the_users_is_refused_before_any_work(tmp_path, capsys, monkeypatch):
    out = tmp_path / "mine"
    (out / "figures").mkdir(parents=True)
    (out / "figures" / "plot.png").write_bytes(b"the user's figure")
    (out / "notes.txt").write_text("the user's notes")
    before = tree(out)
    no_work(monkeypatch)
    assert run_cli(*QUICK, "--out", out) == 2
    one_line_error(capsys.readouterr().err, "holds files that no theorycheck run wrote (figures, notes.txt)")
    assert tree(out) == before


def test_a_previous_run_is_replaced_whole_and_a_file_added_to_it_is_kept(tmp_path, capsys, monkeypatch):
    out = tmp_path / "out"
    assert run_cli(*QUICK, "--out", out) == 0
    assert (out / MANIFEST).is_file() and "figures/ema-limiting-variance.png" in (out / MANIFEST).read_text()
    assert run_cli(*OTHER, "--out", out) == 0  # a run replaces a run: nothing of the first is left
    assert sorted(p.name for p in (out / "figures").iterdir()) == ["gd-rate-exact.png", "gd-rate.png"]
    assert [c["id"] for c in json.loads((out / "results.json").read_text())["claims"]] == ["gd-rate"]
    assert partials(tmp_path) == []

    (out / "figures" / "mine.png").write_bytes(b"the user's figure")
    before = tree(out)
    no_work(monkeypatch)
    capsys.readouterr()
    assert run_cli(*QUICK, "--out", out) == 2
    one_line_error(capsys.readouterr().err, "(figures/mine.png)")
    assert tree(out) == before


def test_a_file_added_while_the_run_works_is_kept(tmp_path, capsys, monkeypatch):
    out = tmp_path / "out"
    assert run_cli(*QUICK, "--out", out) == 0
    original = theorems.report.write_report

    def draw_while_the_user_saves_a_note(*args, **kwargs):
        (out / "note.txt").write_text("saved meanwhile")
        return original(*args, **kwargs)

    monkeypatch.setattr(theorems.report, "write_report", draw_while_the_user_saves_a_note)
    before = tree(out) | {"note.txt": b"saved meanwhile"}
    assert run_cli(*OTHER, "--out", out) == 1
    one_line_error(capsys.readouterr().err, "now holds files that no theorycheck run wrote (note.txt)")
    assert tree(out) == before and partials(tmp_path) == []


def test_out_through_the_latest_link_is_refused(tmp_path, capsys, monkeypatch):
    reports = tmp_path / "reports"
    monkeypatch.setattr(cli, "REPORTS_ROOT", reports)
    assert run_cli(*QUICK) == 0
    before = tree(reports)
    no_work(monkeypatch)
    assert run_cli(*QUICK, "--out", reports / "latest") == 2
    assert "is a link" in capsys.readouterr().err
    assert tree(reports) == before


def test_out_into_the_reports_folder_is_listed_in_its_index(tmp_path, monkeypatch):
    reports = tmp_path / "reports"
    monkeypatch.setattr(cli, "REPORTS_ROOT", reports)
    assert run_cli(*QUICK) == 0
    assert run_cli(*OTHER, "--out", reports / "named") == 0
    assert "[named](named/report.md)" in (reports / "index.md").read_text()


# ---- signals --------------------------------------------------------------------------------------
@pytest.mark.parametrize("signum, status", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_while_drawing_leaves_the_previous_run_as_it_was(tmp_path, capsys, monkeypatch, signum, status):
    out = tmp_path / "out"
    assert run_cli(*QUICK, "--out", out) == 0
    before = tree(out)
    seen = []

    def draw(results, staging, **kwargs):  # the temporary folder carries the pid, for a later cleanup
        seen.append(staging.name)
        os.kill(os.getpid(), signum)

    monkeypatch.setattr(theorems.report, "write_report", draw)
    assert run_cli(*OTHER, "--out", out) == status
    assert f"partial-{os.getpid()}-" in seen[0]
    assert "nothing was written" in capsys.readouterr().err
    assert tree(out) == before and partials(tmp_path) == []


def test_sigterm_while_checking_exits_143_and_writes_nothing(tmp_path, capsys):
    terminating = tmp_path / "terminating.py"
    terminating.write_text(textwrap.dedent('''
        import os, signal
        from theorems import Formula, Measurement, Source, claim, integers

        @claim(id="sends-sigterm", inventory_ids=("x-1",), source=Source("x.txt", "s"), statement="f = 0",
               kind="identity", domain={"k": integers(0, 1)}, stated=lambda p: 0.0,
               mutants=[Formula("f = 1", lambda p: 1.0)])
        def terminates(p, ctx):
            os.kill(os.getpid(), signal.SIGTERM)
            return Measurement(0.0)
    '''))
    assert run_cli("run", "--quiet", "--claims-file", terminating, "--out", tmp_path / "out") == 143
    assert "interrupted by SIGTERM; nothing was written" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["terminating.py"]


@pytest.mark.parametrize("signum, status", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_while_the_run_is_moved_into_place_is_deferred(tmp_path, capsys, monkeypatch, signum, status):
    """Between the move of the run's folder and the index update the index would not list the
    folder: a signal there waits until both are done, and the message says the run was written."""
    reports = tmp_path / "reports"
    monkeypatch.setattr(cli, "REPORTS_ROOT", reports)
    signal_during(monkeypatch, theorems.report, "update_index", signum)
    assert run_cli(*QUICK) == status
    runs = [p for p in reports.iterdir() if p.is_dir() and not p.is_symlink()]
    assert len(runs) == 1
    assert f"the run was written in full to {runs[0]}" in capsys.readouterr().err
    assert f"[{runs[0].name}]" in (reports / "index.md").read_text()
    assert os.readlink(reports / "latest") == runs[0].name


def test_a_signal_while_replacing_a_run_never_mixes_the_two(tmp_path, capsys, monkeypatch):
    out = tmp_path / "out"
    assert run_cli(*QUICK, "--out", out) == 0
    signal_during(monkeypatch, outputs, "_move_into_place", signal.SIGTERM)
    assert run_cli(*OTHER, "--out", out) == 143
    assert "written in full" in capsys.readouterr().err
    assert sorted(p.name for p in (out / "figures").iterdir()) == ["gd-rate-exact.png", "gd-rate.png"]
    assert set(tree(out)) == {MANIFEST, *(out / MANIFEST).read_text().split()}
    assert partials(tmp_path) == []


def test_a_later_run_removes_the_partials_of_dead_processes(tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True, check=True).stdout.strip()
    stale = tmp_path / f".20260101-000000-smoke-seed0.partial-{dead}-abcd1234"
    (stale / "figures").mkdir(parents=True)
    (stale / "figures" / "x.png").write_bytes(b"half")
    live = tmp_path / f".other.partial-{os.getppid()}-abcd1234"  # a run still being written
    live.mkdir()
    assert run_cli(*QUICK, "--out", tmp_path / "out") == 0
    assert not stale.exists() and live.exists()


def test_sigterm_from_outside_exits_143_and_leaves_nothing(tmp_path):
    """What ``timeout`` and CI cancellation do: SIGTERM to the process, while it checks a claim."""
    started = tmp_path / "started"
    slow = tmp_path / "slow.py"
    slow.write_text(textwrap.dedent(f'''
        import time
        from pathlib import Path
        from theorems import Formula, Measurement, Source, claim, integers

        @claim(id="slow", inventory_ids=("x-1",), source=Source("x.txt", "s"), statement="f = 0",
               kind="identity", domain={{"k": integers(0, 1)}}, stated=lambda p: 0.0,
               mutants=[Formula("f = 1", lambda p: 1.0)])
        def slow(p, ctx):
            Path({str(started)!r}).touch()
            time.sleep(60)
            return Measurement(0.0)
    '''))
    process = subprocess.Popen([sys.executable, "-m", "theorems.frontends.cli", "run", "--quiet", "--device", "cpu",
                                "--claims-file", slow, "--out", tmp_path / "out"], cwd=ROOT,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not started.exists() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.1)
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 143, err
    assert "interrupted by SIGTERM; nothing was written" in err and "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["slow.py", "started"]


# ---- errors that could be found before the work, and those that cannot ------------------------------
def refuse_writes_under(monkeypatch, folder: Path) -> None:
    """Make ``folder`` read-only for the check that probes it (root writes through permission bits)."""
    original = tempfile.TemporaryFile

    def probe(*args, dir=None, **kwargs):
        if dir is not None and Path(dir) == folder:
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES))
        return original(*args, dir=dir, **kwargs)

    monkeypatch.setattr(tempfile, "TemporaryFile", probe)


def test_out_whose_parent_is_not_writable_is_refused_before_any_work(tmp_path, capsys, monkeypatch):
    out = tmp_path / "parent" / "out"
    out.mkdir(parents=True)  # the folder exists and is empty; the temporary folder goes beside it
    refuse_writes_under(monkeypatch, tmp_path / "parent")
    no_work(monkeypatch)
    assert run_cli(*QUICK, "--out", out) == 2
    one_line_error(capsys.readouterr().err, f"cannot write under {tmp_path / 'parent'}")


@pytest.mark.parametrize("where", ["results.json", "figures", "moving into place"])
def test_a_full_disk_gives_one_line_and_leaves_nothing(tmp_path, capsys, monkeypatch, where):
    out = tmp_path / "out"
    assert run_cli(*QUICK, "--out", out) == 0
    before = tree(out)
    owner, name = {"results.json": (Results, "dump"), "figures": (theorems.report, "write_report"),
                   "moving into place": (outputs, "_move_into_place")}[where]
    fail_with(monkeypatch, owner, name, errno.ENOSPC)
    capsys.readouterr()
    assert run_cli(*OTHER, "--out", out) == 1
    captured = capsys.readouterr()
    one_line_error(captured.err, f"cannot write the run to {out}: No space left on device; nothing was written")
    assert "gd-rate" in captured.out  # the verdicts were printed before the files failed
    assert tree(out) == before and partials(tmp_path) == []


def test_a_full_disk_while_updating_the_index_says_what_was_written(tmp_path, capsys, monkeypatch):
    reports = tmp_path / "reports"
    monkeypatch.setattr(cli, "REPORTS_ROOT", reports)
    fail_with(monkeypatch, theorems.report, "update_index", errno.ENOSPC)
    assert run_cli(*QUICK) == 1
    run_dir = next(p for p in reports.iterdir() if p.is_dir())
    one_line_error(capsys.readouterr().err, f"the run was written to {run_dir}, but {reports / 'index.md'} "
                                            "could not be updated (No space left on device)")


CALIBRATE = ["calibrate", "--seeds", "1", "--profile", "smoke", "--device", "cpu", "--claims", "gd-rate"]


def test_calibrate_csv_onto_a_folder_or_a_read_only_place_is_refused_before_any_work(tmp_path, capsys,
                                                                                    monkeypatch):
    no_work(monkeypatch)
    assert run_cli(*CALIBRATE, "--csv", tmp_path) == 2
    one_line_error(capsys.readouterr().err, "is a folder")
    refuse_writes_under(monkeypatch, tmp_path)
    assert run_cli(*CALIBRATE, "--csv", tmp_path / "table.csv") == 2
    one_line_error(capsys.readouterr().err, f"cannot write under {tmp_path}")
    assert list(tmp_path.iterdir()) == []


def test_calibrate_csv_on_a_full_disk_gives_one_line_and_leaves_nothing(tmp_path, capsys, monkeypatch):
    fail_with(monkeypatch, pd.DataFrame, "to_csv", errno.ENOSPC)
    assert run_cli(*CALIBRATE, "--csv", tmp_path / "table.csv") == 1
    captured = capsys.readouterr()
    assert "observed false-alarm rate" in captured.out  # the table itself was printed
    one_line_error(captured.err.split("\n", 1)[1], "cannot write --csv")  # after the "seed 0 …" line
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("option", ["--out", "--claims-file"])
def test_names_longer_than_the_filesystem_allows_are_refused_before_any_work(tmp_path, capsys, monkeypatch,
                                                                            option):
    no_work(monkeypatch)
    long_name = tmp_path / ("a" * 300 + ".py")
    args = ["--out", long_name] if option == "--out" else ["--claims-file", long_name, "--out", tmp_path / "o"]
    assert run_cli("run", "--quiet", *args) == 2
    one_line_error(capsys.readouterr().err, "bytes long; this filesystem allows")
    assert list(tmp_path.iterdir()) == []
