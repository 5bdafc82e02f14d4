"""Formulas written as expressions (issue 22): parsed, evaluated, typeset, and mutated automatically."""

from __future__ import annotations

import pickle
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import sympy as sp

from theorems.core.claim import REGISTRY, Formula, Measurement, Source, claim, standard_mutants
from theorems.core.domain import floats
from theorems.core.expressions import Expression, expression
from theorems.core.results import Results
from theorems.core.verdict import Verdict
from theorems.frontends.verify import verify
from theorems.report import write_report
from theorems.runs.loading import load_claims_file


# ---- parsing and evaluation ---------------------------------------------------------------------
def test_a_string_and_a_sympy_expression_are_the_same_expression():
    sigma2, B = sp.symbols("sigma2 B")
    assert expression("sigma2 / B") == expression(sigma2 / B)
    assert expression("sigma2 / B").names == ("B", "sigma2")


def test_every_bare_name_is_a_symbol_even_sympys_own():
    """N, E, S and beta are sympy objects by default; in a formula of p they are parameters."""
    formula = expression("sigma2 / N * (E + S) * beta + sqrt(pi)")
    assert formula.names == ("E", "N", "S", "beta", "sigma2")
    assert formula({"sigma2": 2.0, "N": 4, "E": 1.0, "S": 1.0, "beta": 0.5}) == pytest.approx(0.5 + np.sqrt(np.pi))


def test_evaluates_on_floats_and_arrays():
    formula = expression("a**2 * variance")
    assert formula({"a": -3.0, "variance": 2.0, "unused": "x"}) == pytest.approx(18.0)
    np.testing.assert_allclose(formula({"a": np.array([1.0, 2.0]), "variance": 0.5}), [0.5, 2.0])


def test_a_missing_name_and_an_unreadable_string_are_clear_errors():
    with pytest.raises(KeyError, match=r"needs \['B'\]"):
        expression("sigma2 / B")({"sigma2": 1.0})
    with pytest.raises(ValueError, match="cannot read the formula 'sigma2 /'"):
        expression("sigma2 /")


def test_typesets_and_pickles():
    formula = expression("sigma2 / B")
    assert formula.latex == r"\frac{\sigma_{2}}{B}"
    assert expression("a**2 * variance").latex == r"a^{2} \mathrm{variance}"  # a word, upright
    again = pickle.loads(pickle.dumps(formula))
    assert again == formula and again({"sigma2": 1.0, "B": 4}) == 0.25


# ---- the standard mutants -----------------------------------------------------------------------
def test_standard_mutants_are_named_in_words():
    statements = [m.statement for m in standard_mutants("a**2 * variance")]
    assert statements == ["variance dropped: a**2", "variance squared: a**2*variance**2", "a**2 dropped: variance",
                          "a**2 squared: a**4*variance", "exponent of a 2 → 3: a**3*variance",
                          "exponent of a 2 → 1: a*variance"]
    assert "constant 1/2 → 1: L*eta" in [m.statement for m in standard_mutants("eta * L / 2")]
    assert "exponent of beta t → t + 1: beta**(t + 1)*(1 - beta)" in [
        m.statement for m in standard_mutants("(1 - beta) * beta**t")]


@pytest.mark.parametrize("text", ["sigma2 / B", "a**2 * variance", "(1 - beta) * beta**t",
                                  "sigma2 / B * (N - B) / (N - 1)", "sqrt(v / n)", "2 * x"])
def test_standard_mutants_differ_from_the_formula_and_from_each_other(text):
    stated = expression(text).expr
    mutants = [m.value.expr for m in standard_mutants(text)]
    assert mutants
    assert all(sp.simplify(m - stated) != 0 for m in mutants)
    assert all(sp.simplify(a - b) != 0 for i, a in enumerate(mutants) for b in mutants[i + 1:])


# ---- in a claim ---------------------------------------------------------------------------------
DECLARATION = dict(id="expression-declared", inventory_ids=("X-01",), source=Source("doc.txt", "§1"),
                   statement="y = 2a", kind="identity", domain={"a": floats(0.0, 1.0)})


def declared(**overrides):
    try:
        return claim(**{**DECLARATION, **overrides})(lambda p, ctx: Measurement(2 * p["a"]))
    finally:
        REGISTRY.remove(DECLARATION["id"])


def test_claim_accepts_an_expression_and_auto_mutants_beside_explicit_ones():
    made = declared(stated="2 * a", mutants=[Formula("y = a", "a"), "auto"])
    assert isinstance(made.stated, Expression) and made.stated({"a": 0.25}) == 0.5
    assert isinstance(made.mutants[0].value, Expression)
    assert [m.statement for m in made.mutants] == ["y = a", "a squared: 2*a**2", "constant 2 → 4: 4*a"]


def test_auto_mutants_need_a_stated_expression():
    with pytest.raises(ValueError, match="expression-declared: mutants='auto' derives the mutants"):
        declared(stated=lambda p: 2 * p["a"], mutants="auto")
    with pytest.raises(ValueError, match="a mutant is a Formula or 'auto', got 'atuo'"):
        declared(stated="2 * a", mutants=["atuo"])


def test_import_theorems_does_not_import_sympy():
    code = "import sys, theorems; assert 'sympy' not in sys.modules, 'sympy imported'"
    subprocess.run([sys.executable, "-c", code], check=True)


CLAIMS_FILE = '''
import torch
from theorems import Source, claim, floats, integers

@claim(id="expression-minibatch-variance", inventory_ids=("X-02",), source=Source("doc.txt", "§2"),
       statement="Var[mean of B draws] = σ²/B", kind="stochastic",
       domain={"B": integers(1, 64), "sigma": floats(0.2, 3.0)},
       stated="sigma2 / B", mutants="auto")
def minibatch_variance(p, ctx):
    """The squared mean of B independent N(0, σ²) draws."""
    def draw(n):
        x = p["sigma"] * torch.randn(n, p["B"], generator=ctx.generator, device=ctx.device, dtype=ctx.dtype)
        return x.mean(dim=1).square()
    return ctx.mean(draw, bytes_per_replicate=16 * p["B"], quantities={"sigma2": p["sigma"] ** 2})
'''


def test_a_file_claim_with_a_stated_expression_and_auto_mutants(tmp_path):
    path = tmp_path / "expression_claims.py"
    path.write_text(textwrap.dedent(CLAIMS_FILE))
    (made,) = load_claims_file(path)
    try:
        assert [m.statement.split(":")[0] for m in made.mutants] == [
            "sigma2 dropped", "sigma2 squared", "1/B dropped", "1/B squared"]
        result = verify(made)  # asserts that every mutant is refuted
        assert result.verdict in (Verdict.CONFIRMED, Verdict.INCONCLUSIVE)
        assert result.stated_latex == r"\frac{\sigma_{2}}{B}"
    finally:
        REGISTRY.remove(made.id)


def test_the_report_typesets_a_stated_expression(tmp_path):
    """A claim without exact evidence still gets its formula: as LaTeX in its bullets, typeset in a figure."""
    results = Results.load(Path(__file__).parent / "fixtures" / "results_example.json")
    results.claims = [results.claims[0]]
    results.claims[0].exact, results.claims[0].stated_latex = [], r"\frac{\sigma_{2}}{B}"
    write_report(results, tmp_path)
    markdown = (tmp_path / "report.md").read_text(encoding="utf-8")
    assert r"**Formula:** `\frac{\sigma_{2}}{B}`" in markdown
    (image,) = re.findall(r"!\[stated formula of [^]]*\]\((figures/[^)]*-exact\.png)\)", markdown)
    assert (tmp_path / image).read_bytes().startswith(b"\x89PNG")
