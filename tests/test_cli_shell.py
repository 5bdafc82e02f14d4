"""The command line in a shell and in scripts: --version, python -m theorems, list --json, a closed
pipe, the exit codes in --help, and the git revision recorded only from the project's own checkout."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import theorems
from theorems.frontends.cli import main
from theorems.runs import config

ROOT = Path(__file__).resolve().parent.parent


def test_version(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out.strip() == f"theorycheck {theorems.__version__}"


def test_python_dash_m_runs_the_command_line():
    out = subprocess.run([sys.executable, "-m", "theorems", "--version"], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0 and out.stdout.startswith("theorycheck ")


def test_help_states_the_exit_codes(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    text = capsys.readouterr().out
    for code in ("0 ", "1 ", "2 ", "130", "143"):
        assert f"\n  {code}" in text


def test_list_json_is_one_array_of_claims(capsys):
    assert main(["list", "--json"]) == 0
    claims = json.loads(capsys.readouterr().out)
    assert {"id", "kind", "inventory_ids", "title", "document", "section"} <= set(claims[0])
    assert any("003-05" in c["inventory_ids"] for c in claims)


@pytest.mark.parametrize("command", [["list"], ["show", "003-05"]])
def test_a_closed_pipe_ends_quietly(command):
    """`theorycheck list | head -1`: the reader closes the pipe early; no BrokenPipeError traceback."""
    script = f"import sys; from theorems.frontends.cli import main; sys.exit(main({command!r}))"
    writer = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              cwd=ROOT)
    writer.stdout.readline()
    writer.stdout.close()  # like `head -1` exiting
    stderr = writer.stderr.read().decode()
    assert writer.wait(timeout=60) == 0, stderr
    assert "Traceback" not in stderr and "BrokenPipe" not in stderr


def test_git_revision_only_from_the_projects_own_checkout(tmp_path, monkeypatch):
    """Installed inside a user's repository, the user's HEAD is not recorded as ours."""
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    subprocess.run(["git", "-C", str(tmp_path), "-c", "user.name=u", "-c", "user.email=u@x", "commit", "-q",
                    "--allow-empty", "-m", "user"], check=True)
    monkeypatch.setattr(config, "PROJECT_ROOT", tmp_path / "site-packages-like")
    (tmp_path / "site-packages-like").mkdir()
    assert config.git_revision() is None


def test_the_progress_bar_shows_on_a_terminal_of_zero_width(monkeypatch, capsys):
    """Some CI consoles are terminals that report 0 columns: the bar falls back to 80, not to nothing."""
    import tqdm.std

    from theorems.frontends import cli

    monkeypatch.setattr(cli, "_terminal_columns", lambda: 0)
    monkeypatch.setattr(tqdm.std, "_screen_shape_wrapper", lambda: (lambda fp: (0, 0)))
    monkeypatch.setattr(cli.sys.stderr, "isatty", lambda: True)
    progress, on_point, finished, close = cli._progress([object()], quiet=False)
    close()
    assert "|" in capsys.readouterr().err  # the bar itself, not only the counts


CLAIMS = '''
from theorems import Formula, Measurement, Source, claim, integers

K = dict(kind="identity", domain={"k": integers(0, 3)}, atol=1e-9, source=Source("handout-j.pdf", "§1"))


@claim(id="jx-holds", inventory_ids=("jx-01",), statement="f = k", stated=lambda p: p["k"],
       mutants=[Formula("f = k + 1", lambda p: p["k"] + 1)], **K)
def holds(p, ctx):
    return Measurement(float(p["k"]))


@claim(id="jx-fails", inventory_ids=("jx-02",), statement="f = k + 1", stated=lambda p: p["k"] + 1,
       mutants=[Formula("f = k + 2", lambda p: p["k"] + 2)], **K)
def fails(p, ctx):
    return Measurement(float(p["k"]))
'''


def test_fail_on_and_junit_for_ci_without_pytest(tmp_path, capsys):
    import xml.etree.ElementTree as ET

    claims_file = tmp_path / "jx_claims.py"
    claims_file.write_text(CLAIMS)
    junit = tmp_path / "junit.xml"
    common = ["run", "--claims-file", str(claims_file), "--profile", "smoke", "--quiet", "--junit", str(junit)]
    assert main([*common, "--out", str(tmp_path / "a")]) == 0  # findings alone never fail a run
    assert main([*common, "--out", str(tmp_path / "b"), "--fail-on", "refuted,inconclusive"]) == 3
    assert "jx-fails" in capsys.readouterr().err
    cases = {case.get("name"): case for case in ET.parse(junit).getroot().iter("testcase")}
    assert cases["jx-fails"].find("failure") is not None and cases["jx-holds"].find("failure") is None
    properties = {p.get("name"): p.get("value") for p in cases["jx-fails"].iter("property")}
    assert properties["theorycheck_verdict"] == "refuted" and properties["theorycheck_rows"] == "jx-02"
    assert properties["theorycheck_finding"] == "erratum"


def test_fail_on_names_only_verdicts(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["run", "--fail-on", "refuted,wrong"])
    assert exit_.value.code == 2 and "confirmed, refuted, conditional, inconclusive" in capsys.readouterr().err
