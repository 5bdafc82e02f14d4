"""The results contract: one encoder, one decoder, and a clear message for a file it cannot read."""

import json
import math

import pytest

from theorems.claim import Figure, Source
from theorems.results import (
    SCHEMA_VERSION, ClaimResult, Counterexample, Coverage, DecidedBy, Mutant, Point, ReadingVerdict, Results,
    ResultsError, RowResult, RunInfo, decode, encode, plain,
)


def a_point(**changes) -> Point:
    fields = dict(reading="only", params={"B": 4, "N": 64}, estimate=0.251, stated=0.25, ci_low=0.247,
                  ci_high=0.255, se=0.0011, detectable=0.031, margin=0.012, samples=20000, verdict="refuted",
                  design=True, origin="design", trace={"x": [1, 2], "measured": [0.5, math.inf]})
    return Point(**{**fields, **changes})


def a_run() -> Results:
    point = a_point()
    claim = ClaimResult(
        id="c", title="t", inventory_ids=["000-01"], source=Source("000.txt", "1"), statement="s", assumptions=[],
        kind="stochastic", relation="eq", verdict="refuted", verdict_reason="refuted", alpha=0.01,
        point_alpha=0.001, resolution=0.05, atol=0.0, readings=[ReadingVerdict("only", "", "refuted")],
        figure=Figure(x="B", logx=True), device="cpu", evidence=[point, a_point(estimate="nan", se=None)],
        coverage=Coverage(points=2, design=1, explore=1, targeted=0, shrink=0, parameters={"B": {"min": 1}}),
        counterexample=Counterexample.of(point), mutants=[Mutant("m", "refuted", Counterexample.of(point))])
    run = RunInfo(seed=0, profile="smoke", device="cpu", device_name="x", dtype="float32", python="3", torch="2",
                  numpy="2", theorycheck="0", git_revision=None, started="2026-11-23T00:00:00+00:00", seconds=1.0,
                  max_memory_mib=256.0, alpha=0.01, family_wise_alpha=0.01, alpha_split="…")
    row = RowResult("000-01", "000.txt", "1", "refuted", ["c"], DecidedBy("c"), "one line")
    return Results(run=run, rows=[row], claims=[claim])


def test_a_run_survives_encoding_and_decoding():
    results = a_run()
    text = results.to_json()
    assert Results.from_json(text) == decode(Results, json.loads(text))
    assert encode(Results.from_json(text)) == json.loads(text)
    assert Results.from_json(text).claims[0].figure == Figure(x="B", logx=True)  # the claim API's own types


def test_non_finite_values_are_strings_and_json_has_no_nan():
    data = json.loads(a_run().to_json())  # allow_nan=False: it would raise on a float nan or inf
    assert data["claims"][0]["evidence"][0]["trace"]["measured"] == [0.5, "inf"]
    assert plain(float("-inf")) == "-inf" and plain(float("nan")) == "nan"


def test_another_schema_or_a_missing_field_is_a_clear_error(tmp_path):
    data = encode(a_run())
    path = tmp_path / "results.json"
    path.write_text(json.dumps({**data, "schema_version": SCHEMA_VERSION - 1}))
    with pytest.raises(ResultsError, match="schema_version 1.*reads schema_version 2"):
        Results.load(path)
    del data["claims"][0]["evidence"][1]["verdict"]
    path.write_text(json.dumps(data))
    with pytest.raises(ResultsError, match=r"results\.claims\[0\]\.evidence\[1\] has no 'verdict'"):
        Results.load(path)
    path.write_text("{not json")
    with pytest.raises(ResultsError, match="not a readable results.json"):
        Results.load(path)
