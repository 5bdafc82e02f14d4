"""The domain constructors: what each covers, how it shrinks, what the targeted search draws from it,
ranges set by earlier parameters, and the error for a domain the engine cannot read."""

import importlib
import math
import random
import subprocess
import sys

import hypothesis
import hypothesis.strategies as st
import pytest

from theorems import Formula, Measurement, Source
from theorems.core.claim import Claim, ClaimError
from theorems.core.domain import (
    DATA_SEED,
    choices,
    dimensions,
    floats,
    integers,
    log_floats,
    shrink,
    space_filling,
    strategy_of,
)


def drawn(domain, n=200, seed=0, accept=None):
    """The points hypothesis draws from the domain's search strategy (its generate phase, seeded)."""
    points = []
    settings = hypothesis.settings(max_examples=n, database=None, deadline=None, phases=[hypothesis.Phase.generate],
                                   suppress_health_check=list(hypothesis.HealthCheck))
    with pytest.raises(hypothesis.errors.NoSuchExample):
        hypothesis.find(strategy_of(dimensions(domain), accept), lambda p: points.append(p) and False,
                        settings=settings, random=random.Random(seed))
    return points


def test_integers_cover_each_stratum_shrink_by_halves_and_search_inside_the_range():
    (n,) = dimensions({"n": integers(1, 4096)})
    cover = space_filling([n], 64, seed=0)
    assert sorted((p["n"] - 1) * 64 // 4096 for p in cover[:64]) == list(range(64))
    assert sum(p["n"] <= 40 for p in cover[64:]) >= 4  # wide: a log-scaled set covers the bottom decades
    assert list(n.simpler(812)) == [1, 407, 610, 711, 762, 787, 800, 806, 809, 811]
    values = [p["n"] for p in drawn({"n": integers(1, 4096)})]
    assert all(type(v) is int and 1 <= v <= 4096 for v in values) and max(values) - min(values) > 2048


def test_floats_cover_linearly_and_shrink_to_round_numbers():
    (x,) = dimensions({"x": floats(0.5, 10.0)})
    cover = space_filling([x], 32, seed=1)
    assert len(cover) == 32 and sorted(int((p["x"] - 0.5) * 32 / 9.5) for p in cover) == list(range(32))
    assert list(x.simpler(7.77))[:3] == [0.5, 7.0, 7.7]  # toward the bound nearest 0, short decimals first
    values = [p["x"] for p in drawn({"x": floats(0.5, 10.0)})]
    assert all(type(v) is float and 0.5 <= v <= 10.0 for v in values) and max(values) - min(values) > 5


def test_log_floats_give_each_decade_its_share_of_the_cover_and_of_the_search():
    (lr,) = dimensions({"lr": log_floats(1e-4, 1.0)})
    cover = space_filling([lr], 64, seed=2)
    assert len(cover) == 64  # no second set: every set is log-scaled already
    decades = [sum(10.0 ** -(k + 1) <= p["lr"] < 10.0 ** -k for p in cover) for k in range(4)]
    assert decades == [16, 16, 16, 16]
    assert next(iter(lr.simpler(0.0123))) == 1e-4  # toward the low end
    searched = [p["lr"] for p in drawn({"lr": log_floats(1e-4, 1.0)})]
    assert all(1e-4 <= v <= 1.0 for v in searched) and sum(v < 1e-2 for v in searched) > len(searched) / 4


def test_choices_cover_every_value_and_shrink_toward_the_first():
    (opt,) = dimensions({"opt": choices(["sgd", "momentum", "adam"])})
    assert {p["opt"] for p in space_filling([opt], 6, seed=0)} == {"sgd", "momentum", "adam"}
    assert list(opt.simpler("adam")) == ["sgd", "momentum"]
    assert {p["opt"] for p in drawn({"opt": choices(["sgd", "momentum", "adam"])})} == {"sgd", "momentum", "adam"}


def test_data_seed_is_the_catalogue_s_range_of_seeds():
    assert DATA_SEED == integers(0, 1000) and repr(DATA_SEED) == "integers(0, 1000)"


def test_a_range_set_by_earlier_parameters_is_covered_shrunk_and_searched_inside_it():
    domain = {"N": integers(1, 100), "B": integers(1, lambda p: p["N"]), "eta": floats(0.0, lambda p: 3 / p["B"])}
    dims = dimensions(domain)
    inside = lambda p: 1 <= p["B"] <= p["N"] and 0 <= p["eta"] <= 3 / p["B"]  # noqa: E731
    cover = space_filling(dims, 64, seed=3)
    assert all(inside(p) for p in cover) and max(p["B"] / p["N"] for p in cover) > 0.9
    assert all(inside(p) for p in drawn(domain))
    shrunk = shrink({"N": 80, "B": 60, "eta": 0.04}, dims, lambda p: p["B"] >= 30, budget=100)
    assert shrunk == {"N": 30, "B": 30, "eta": 0.0}  # N could not go below B without leaving B's range


def test_a_bound_that_empties_the_range_names_the_parameter_and_the_point():
    (_, b) = dimensions({"N": integers(1, 10), "B": integers(5, lambda p: p["N"])})
    with pytest.raises(ValueError, match=r"parameter 'B' at \{'N': 2\}: the range \[5, 2\] is empty"):
        b.resolve({"N": 2})


@pytest.mark.parametrize("call, message", [
    (lambda: floats(2, 1), r"floats\(2, 1\): the range \[2.0, 1.0\] is empty"),
    (lambda: integers(0.5, 3), r"integers\(0.5, 3\): a bound must be an int"),
    (lambda: floats(0.0, math.inf), r"a bound must be a finite number"),
    (lambda: log_floats(0.0, 1.0), r"a log-scaled range needs 0 < low"),
    (lambda: choices([]), r"choices needs at least one value"),
])
def test_an_invalid_range_is_an_error_naming_the_call(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def declare(domain):
    return Claim(id="domain-test", title="t", inventory_ids=("T-1",), source=Source("toy.txt", "toy"),
                 statement="f = x", kind="identity", domain=domain, measure=lambda p, ctx: Measurement(1.0),
                 stated=lambda p: 1.0, mutants=(Formula("f = 2", lambda p: 2.0),))


@pytest.mark.parametrize("entry", [st.floats(0, 1), st.floats(0, 1).map(abs), st.one_of(st.just(1), st.just(2)),
                                   lambda p: floats(0.0, 1.0), [1, 2, 3]])
def test_a_domain_entry_the_engine_cannot_read_is_an_error_at_declaration(entry):
    """A hypothesis strategy, a function returning one, a list: never silently "opaque"."""
    with pytest.raises(ClaimError, match=r"domain\['x'\] is .* which the engine cannot read: write it with the "
                                         r"constructors .* integers\(1, 10\), floats\(0.0, 1.0\)"):
        declare({"k": integers(0, 3), "x": entry})


def test_the_search_draws_the_same_points_whatever_modules_are_loaded(tmp_path, monkeypatch):
    """hypothesis also draws numbers from the constants of the loaded local modules; the search's
    coin flips are not numbers, so loading a module full of constants changes nothing."""
    domain = {"n": integers(0, 10**6), "x": floats(-1e3, 1e3), "c": choices(range(50))}
    before = drawn(domain, n=300, seed=7)
    constants = ", ".join(f"{k}, {k + 0.5}, {-k * 1.25}" for k in range(3, 400, 7))
    (tmp_path / "many_constants.py").write_text(f"VALUES = ({constants})\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    importlib.import_module("many_constants")
    assert drawn(domain, n=300, seed=7) == before


def test_reading_results_imports_no_hypothesis():
    code = "import sys, theorems, theorems.core.results; sys.exit('hypothesis' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0
