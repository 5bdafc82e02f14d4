"""The command line in a shell and in scripts: --version, python -m theorems, list --json, a closed
pipe, the exit codes in --help, and the git revision recorded only from the project's own checkout."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import theorems
from theorems import runner
from theorems.cli import main

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
    script = f"import sys; from theorems.cli import main; sys.exit(main({command!r}))"
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
    monkeypatch.setattr(runner, "PROJECT_ROOT", tmp_path / "site-packages-like")
    (tmp_path / "site-packages-like").mkdir()
    assert runner.git_revision() is None
