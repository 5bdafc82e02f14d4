"""Broken checks end as errors of their own claim, never as findings, and never sink the run.

Each test drives the command line on a tiny claims file. A check that is broken (a measurement
of the wrong kind, ``sys.exit`` inside it) leaves its claim inconclusive
with the error, the other claims' results written, and exit 1; a claims file that cannot be
loaded (an empty domain included) is bad input (exit 2, nothing written); an engine step that fails after a refutation keeps
the refutation.
"""

import json
import textwrap
from pathlib import Path

import pytest

from theorems.frontends.cli import main

HEADER = '''
import sys
import numpy as np
import torch
from theorems import Formula, Measurement, Source, choices, claim, floats, integers

SOURCE = Source("x.txt", "s")
'''


def claims_file(folder: Path, name: str, body: str) -> Path:
    """A claims file ``name``.py holding ``body`` after the usual imports. Claim ids are global
    to the process, so each test names its own."""
    path = folder / f"{name}.py"
    path.write_text(HEADER + textwrap.dedent(body))
    return path


def run(path: Path, out: Path) -> int:
    """The exit status of ``theorycheck run --profile smoke`` on the claims file."""
    try:
        return main(["run", "--profile", "smoke", "--device", "cpu", "--quiet", "--claims-file", str(path),
                     "--out", str(out)])
    except SystemExit as exit_:  # what a user's sys.exit would make of the command line
        return exit_.code


def claims_of(out: Path) -> dict[str, dict]:
    return {c["id"]: c for c in json.loads((out / "results.json").read_text())["claims"]}


def test_shrinking_offers_a_float_parameter_floats_only(tmp_path):
    """torch.optim.Adam refuses betas=(0, 0.999) (an int and a float): a shrink toward the int 0
    made a refuted claim inconclusive."""
    path = claims_file(tmp_path, "adam_betas", '''
        @claim(id="adam-first-step", inventory_ids=("x-1",), source=SOURCE, kind="identity",
               statement="Adam's first step is -lr (1 - beta1)", domain={"beta1": floats(0.0, 0.99)},
               stated=lambda p: -0.1 * (1 - p["beta1"]), mutants=[Formula("0", lambda p: 0.0)], atol=1e-6)
        def adam_first_step(p, ctx):
            w = torch.nn.Parameter(torch.zeros(1, dtype=torch.float64))
            optimizer = torch.optim.Adam([w], lr=0.1, betas=(p["beta1"], 0.999))
            w.grad = torch.ones_like(w)
            optimizer.step()
            return Measurement(float(w.detach()))
    ''')
    out = tmp_path / "out"
    assert run(path, out) == 0
    result = claims_of(out)["adam-first-step"]
    assert result["verdict"] == "refuted" and result["error"] is None, result["verdict_reason"]
    assert isinstance(result["counterexample"]["params"]["beta1"], float)


def test_a_mutant_with_a_zero_band_is_the_clear_zero_band_error(tmp_path, capsys):
    """The mutant a - 1 is 0 at a = 1, where only the targeted search goes: the error must be the
    zero band's, not an IndexError from hypothesis replaying a point half recorded."""
    path = claims_file(tmp_path, "zero_band_mutant", '''
        @claim(id="zero-band-mutant", inventory_ids=("x-1",), source=SOURCE, kind="stochastic",
               statement="E[aZ²] = a", domain={"a": floats(1.0, 2.0)}, stated=lambda p: p["a"],
               mutants=[Formula("a - 1", lambda p: p["a"] - 1)])
        def scaled_square(p, ctx):
            draw = lambda n: p["a"] * torch.randn(n, generator=ctx.generator, dtype=torch.float64) ** 2
            return ctx.mean(draw, bytes_per_replicate=8)
    ''')
    out = tmp_path / "out"
    assert run(path, out) == 1
    result = claims_of(out)["zero-band-mutant"]
    assert result["verdict"] == "inconclusive"
    assert "ClaimError: the band around the stated value" in result["verdict_reason"], result["verdict_reason"]
    assert "IndexError" not in result["error"]


@pytest.mark.parametrize("name, measured, message", [
    ("empty-array", "Measurement(np.zeros(0))", "empty"),
    ("label-from-numeric-claim", "Measurement('converges')", "label"),
    ("negative-se", "Measurement(1.0, se=-0.1, samples=100)", "standard error"),
])
def test_a_measurement_of_the_wrong_kind_is_an_error(tmp_path, name, measured, message):
    kind = "stochastic" if "se=" in measured else "identity"
    path = claims_file(tmp_path, name.replace("-", "_"), f'''
        @claim(id="{name}", inventory_ids=("x-1",), source=SOURCE, kind="{kind}", statement="f = 1",
               domain={{"k": integers(0, 1)}}, stated=lambda p: 1.0, mutants=[Formula("f = 2", lambda p: 2.0)])
        def measure(p, ctx):
            return {measured}
    ''')
    out = tmp_path / "out"
    assert run(path, out) == 1
    result = claims_of(out)[name]
    assert result["verdict"] == "inconclusive" and result["error"]
    assert message in result["verdict_reason"], result["verdict_reason"]


def test_sys_exit_at_import_is_bad_input(tmp_path, capsys):
    path = claims_file(tmp_path, "exits_at_import", '''
        @claim(id="before-exit", inventory_ids=("x-1",), source=SOURCE, kind="identity", statement="f = 1",
               domain={"k": integers(0, 1)}, stated=lambda p: 1.0, mutants=[Formula("f = 2", lambda p: 2.0)])
        def measure(p, ctx):
            return Measurement(1.0)

        sys.exit(0)
    ''')
    for _ in range(2):  # the claim registered before the exit is dropped with the file: no "id taken"
        assert run(path, tmp_path / "out") == 2
        assert "failed to import: SystemExit: 0" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_sys_exit_inside_a_measurement_is_that_claims_error(tmp_path, capsys):
    path = claims_file(tmp_path, "exits_in_measure", '''
        @claim(id="exits-in-measure", inventory_ids=("x-1",), source=SOURCE, kind="identity", statement="f = 1",
               domain={"k": integers(0, 1)}, stated=lambda p: 1.0, mutants=[Formula("f = 2", lambda p: 2.0)])
        def measure(p, ctx):
            sys.exit(0)
    ''')
    out = tmp_path / "out"
    assert run(path, out) == 1
    result = claims_of(out)["exits-in-measure"]
    assert result["verdict"] == "inconclusive" and "SystemExit" in result["verdict_reason"]
    assert (out / "report.md").exists()


@pytest.mark.parametrize("domain, named", [('floats(2, 1)', "floats(2, 1): the range [2.0, 1.0] is empty"),
                                           ('choices([])', "choices needs at least one value")])
def test_an_empty_domain_is_bad_input_at_declaration(tmp_path, capsys, domain, named):
    path = claims_file(tmp_path, "empty_domain", f'''
        @claim(id="empty-domain", inventory_ids=("x-1",), source=SOURCE, kind="identity", statement="f = 1",
               domain={{"x": {domain}}}, stated=lambda p: 1.0, mutants=[Formula("f = 2", lambda p: 2.0)])
        def one(p, ctx):
            return Measurement(1.0)
    ''')
    assert run(path, tmp_path / "out") == 2
    assert named in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("field, value", [("id", '"newline-id\\n"'), ("inventory_ids", '("x-1\\n",)')])
def test_a_trailing_newline_in_an_id_is_bad_input(tmp_path, capsys, field, value):
    fields = {"id": '"newline-ok"', "inventory_ids": '("x-1",)', field: value}
    path = claims_file(tmp_path, f"newline_{field}", f'''
        @claim(id={fields["id"]}, inventory_ids={fields["inventory_ids"]}, source=SOURCE, kind="identity",
               statement="f = 1", domain={{"k": integers(0, 1)}}, stated=lambda p: 1.0,
               mutants=[Formula("f = 2", lambda p: 2.0)])
        def measure(p, ctx):
            return Measurement(1.0)
    ''')
    assert run(path, tmp_path / "out") == 2
    assert "\\n'" in capsys.readouterr().err  # the message shows the bad value with its newline
    assert not (tmp_path / "out").exists()
