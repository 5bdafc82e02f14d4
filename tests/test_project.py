"""The project as a newcomer meets it: README's commands are the ones CI runs."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def ci_test_command() -> str:
    lines = [line for line in (ROOT / ".ci" / "run").read_text().splitlines() if line.startswith("python3 -m venv")]
    assert len(lines) == 1, "expected one set-up-and-test line in .ci/run"
    return lines[0]


def test_ci_runs_readme_test_command_verbatim():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert ci_test_command() in readme


def test_readme_quick_start_runs_the_main_job_with_a_cpu_torch():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    run_line = next(line for line in readme.splitlines() if line.startswith("python3 -m venv") and "theorycheck run" in line)
    assert "torch==2.13.0" in run_line


def test_every_document_module_is_loaded_by_the_catalogue():
    from theorems.catalogue import DOCUMENTS

    modules = {p.stem for p in (ROOT / "theorems" / "catalogue").glob("doc*.py")}
    assert modules == set(DOCUMENTS), "theorems/catalogue/DOCUMENTS must name every doc*.py module"
