"""``theorycheck lint FILE``: each mistake of a claims file reported at its claim's line, in seconds.

Each test writes a one-claim file with one mistake (claim ids are global to the process, so each
names its own) and expects exit 1 and a line ``FILE:LINE id: ...`` naming the mistake; a clean
file exits 0. Every lint is timed (printed, not asserted: this machine is shared)."""

import re
import textwrap
import time
from pathlib import Path

import pytest

from theorems.frontends.cli import main

MEAN_OF_A = ('return ctx.mean(lambda n: p["a"] + torch.randn(n, generator=ctx.generator, dtype=ctx.dtype), '
             'bytes_per_replicate=8)')
CLEAN = dict(statement="E x = a", domain='{"a": floats(1, 2)}', stated='lambda p: p["a"]',
             mutant='Formula("E x = 2a", lambda p: 2 * p["a"])', extra="", body=MEAN_OF_A)


def claims_file(folder: Path, claim_id: str, **changes: str) -> Path:
    """A file declaring one claim, CLEAN but for ``changes`` (Python source of its fields)."""
    fields = {**CLEAN, **changes}
    path = folder / f"{claim_id.replace('-', '_')}.py"
    path.write_text(textwrap.dedent(f'''\
        import torch

        from theorems import Formula, Source, claim, floats


        @claim(id="{claim_id}", inventory_ids=("lint-1",), source=Source("x.txt", "s"),
               statement="{fields["statement"]}", kind="stochastic", domain={fields["domain"]},
               stated={fields["stated"]}, mutants=[{fields["mutant"]}],{fields["extra"]})
        def measure(p, ctx):
            {fields["body"]}
        '''))
    return path


def lint(path: Path, capsys, *args: str) -> tuple[int, str]:
    """The exit status and stdout of ``theorycheck lint PATH ARGS``, timed."""
    started = time.perf_counter()
    try:
        status = main(["lint", str(path), *args])
    except SystemExit as exit_:
        status = exit_.code
    seconds, out = time.perf_counter() - started, capsys.readouterr().out
    with capsys.disabled():  # shown with pytest -s
        print(f"lint {path.name}: {seconds:.2f} s")
    return status, out


PROBLEMS = {
    "lint-zero-band": (dict(mutant='Formula("E x = 0", lambda p: 0.0)'),
                       r'the band around the mutant formula\'s value 0 is 0 .*\(formula "E x = 0", point \{\'a\': '),
    "lint-no-point": (dict(extra=' constraint=lambda p: p["a"] > 5,'), r"no point satisfies the constraint"),
    "lint-wrong-type": (dict(domain='{"a": floats(1, 10)}', body='return float(sum(range(p["a"])))',
                             stated='lambda p: p["a"] * (p["a"] - 1) / 2'),
                        r"parameter 'a' is the float [\d.]+ here but the measurement needs an int .*point \{'a': "),
    "lint-same-mutant": (dict(mutant='Formula("E x = a·1", lambda p: p["a"] * 1.0)'),
                         r'the mutant equals the stated formula at every point tried \(\d+ points\)'
                         r'.*\(formula "E x = a·1"\)'),
    "lint-missing-scale": (dict(statement="E x = 0", domain='{"a": floats(-1, 1)}', stated="lambda p: 0.0",
                                mutant='Formula("E x = a", lambda p: p["a"])',
                                body=MEAN_OF_A.replace('p["a"] + ', 'p["a"] * ')),
                           r'missing scale: the stated value is 0 here.*\(formula "E x = 0", point \{\'a\': '),
    "lint-raises": (dict(body='raise ValueError("a bug in the claim")'),
                    r"the measurement raised ValueError: a bug in the claim \(point \{'a': "),
}


@pytest.mark.parametrize("claim_id", PROBLEMS)
def test_each_problem_is_reported_at_its_claims_line(tmp_path, capsys, claim_id):
    changes, expected = PROBLEMS[claim_id]
    path = claims_file(tmp_path, claim_id, **changes)
    line = next(number for number, text in enumerate(path.read_text().splitlines(), 1) if text.startswith("@claim"))
    status, out = lint(path, capsys)
    assert status == 1, out
    assert re.search(rf"^{re.escape(f'{path}:{line} {claim_id}: ')}{expected}", out, flags=re.M), out
    assert out.splitlines()[-1] == "lint: 1 problem(s) in 1 of 1 claim(s)", out


def test_a_clean_file_exits_0(tmp_path, capsys):
    status, out = lint(claims_file(tmp_path, "lint-clean"), capsys)
    assert (status, out) == (0, "lint: 1 claim(s), no problems found\n")


def test_a_mutant_that_differs_only_where_no_point_was_measured_is_no_problem(tmp_path, capsys):
    corner = 'Formula("E x = a, 2a near 2", lambda p: p["a"] if p["a"] < 1.97 else 2 * p["a"])'
    assert lint(claims_file(tmp_path, "lint-corner", mutant=corner), capsys)[0] == 0


def test_claims_selects_and_an_unmatched_pattern_or_a_missing_file_is_bad_input(tmp_path, capsys):
    path = claims_file(tmp_path, "lint-narrowed", body='raise ValueError("never measured")')
    assert lint(path, capsys, "--claims", "lint-narrowed")[0] == 1
    assert lint(path, capsys, "--claims", "no-such-claim")[0] == 2
    assert lint(tmp_path / "missing.py", capsys)[0] == 2
