"""The habits the tools enforce (issue 20): ruff (pycodestyle, pyflakes, import sorting) and mypy are
clean over the paths ``pyproject.toml`` configures for them.

Each test runs the tool as ``python -m <tool>`` in the repository root, so the tool reads its own
section of ``pyproject.toml`` (``[tool.ruff]``, ``[tool.mypy]``); a missing section fails the test
instead of silently checking with the tool's defaults. A test is skipped when its tool is not
installed, and fails with the tool's own report. Both are marked ``static``: ``-m "not static"``
leaves them out (mypy takes a minute on a cold cache).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10: the same parser as the package tomli
    tomllib = pytest.importorskip("tomli", reason="reading pyproject.toml on Python 3.10 needs tomli")

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.static


def configured(tool: str) -> dict[str, Any]:
    """The ``[tool.<tool>]`` section of pyproject.toml; fails the test when there is none."""
    section = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8")).get("tool", {}).get(tool)
    if section is None:
        pytest.fail(f"pyproject.toml has no [tool.{tool}] section, so {tool} would run with its defaults")
    return section


def assert_clean(tool: str, arguments: list[str]) -> None:
    """Run ``python -m <tool> <arguments>`` in the repository root; fail with its output unless it exits 0."""
    pytest.importorskip(tool, reason=f"{tool} is not installed (pip install {tool})")
    command = [sys.executable, "-m", tool, *arguments]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, f"{tool} {' '.join(arguments)} exited {done.returncode}:\n{done.stdout}{done.stderr}"


def test_ruff_is_clean() -> None:
    """ruff check over the repository, with [tool.ruff]'s rules, line length and exclusions."""
    configured("ruff")
    assert_clean("ruff", ["check", "."])


def test_mypy_is_clean() -> None:
    """mypy over [tool.mypy]'s ``files``, with its other settings (ignore_missing_imports, ...)."""
    files = configured("mypy").get("files")
    if not files:
        pytest.fail("[tool.mypy] in pyproject.toml names no files to check")
    assert_clean("mypy", list(files))
