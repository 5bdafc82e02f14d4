"""The results contract: one encoder, one decoder, and a clear message for a file it cannot read."""

import json
import math

import pandas as pd
import pytest

from theorems.core.claim import Figure, Source
from theorems.core.results import (
    SCHEMA_VERSION,
    ClaimResult,
    Counterexample,
    Coverage,
    DecidedBy,
    Mutant,
    Point,
    ReadingVerdict,
    Results,
    ResultsError,
    RowResult,
    RunInfo,
    decode,
    encode,
    plain,
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


@pytest.mark.parametrize("change, message", [
    (lambda d: d["claims"][0].update(verdict=5), r"claims\[0\]\.verdict should be a string, found int 5"),
    (lambda d: d["run"].update(seed="zero"), r"run\.seed should be an integer, found str 'zero'"),
    (lambda d: d["run"].update(seed=True), r"run\.seed should be an integer, found bool"),
    (lambda d: d["claims"][0]["evidence"][0].update(se=[1]), r"evidence\[0\]\.se should be a number"),
    (lambda d: d["claims"][0]["evidence"][0].update(params=[]), r"evidence\[0\]\.params should be an object"),
    (lambda d: d["claims"][0]["figure"].update(kind="pie"), r"figure\.kind should be one of 'points', 'traces'"),
    (lambda d: d["claims"][0].update(inventory_ids=[1]), r"inventory_ids\[0\] should be a string"),
    (lambda d: d["rows"][0]["decided_by"].update(reading={}), r"decided_by\.reading should be a string"),
], ids=["verdict", "seed", "bool-seed", "se", "params", "figure-kind", "inventory-id", "optional"])
def test_a_field_of_the_wrong_type_is_a_clear_error(tmp_path, change, message):
    data = encode(a_run())
    change(data)
    path = tmp_path / "results.json"
    path.write_text(json.dumps(data))
    with pytest.raises(ResultsError, match=message):
        Results.load(path)


def test_non_finite_strings_are_numbers_for_float_fields():
    data = encode(a_run())
    assert data["claims"][0]["evidence"][1]["estimate"] == "nan"
    data["claims"][0]["evidence"][1]["se"] = "inf"
    assert decode(Results, data).claims[0].evidence[1].se == "inf"


@pytest.mark.parametrize("text", ["[" * 100_000 + "]" * 100_000,
                                  '{"schema_version": 2, "run": ' + "[" * 100_000 + "]" * 100_000 + "}"])
def test_deeply_nested_json_is_a_results_error(tmp_path, text):
    path = tmp_path / "results.json"
    path.write_text(text)
    with pytest.raises(ResultsError, match="nested too deeply"):
        Results.load(path)



# ---- tidy tables (results.csv, results-params.csv) and the notebook view ------------------------
def with_labels_and_arrays() -> Results:
    results = a_run()
    claim = results.claims[0]
    claim.evidence += [a_point(estimate="diverges", stated="converges", ci_low=None, ci_high=None, origin="shrink",
                               design=False, looks=2, params={"schedule": "cosine", "B": 8, "nesterov": True}),
                       a_point(estimate=[0.5, 0.25], stated=[0.5, 0.2], index=1, margin=None)]
    return results


def test_results_csv_reads_back_with_numeric_columns(tmp_path):

    results = with_labels_and_arrays()
    results.to_dataframe().to_csv(tmp_path / "results.csv", index=False)
    table = pd.read_csv(tmp_path / "results.csv")
    for column in ("estimate", "stated", "ci_low", "ci_high", "se", "detectable", "margin", "band", "point",
                   "samples", "looks"):
        assert pd.api.types.is_numeric_dtype(table[column]), column
    assert list(table["point"]) == [0, 1, 2, 3]
    assert math.isnan(table["estimate"][1]) and table["estimate_label"].isna()[1]  # "nan" is a number
    assert math.isnan(table["estimate"][2]) and table["estimate_label"][2] == "diverges"
    assert table["stated_label"][2] == "converges" and table["origin"][2] == "shrink"
    assert not table["design"][2] and table["looks"][2] == 2
    assert table["estimate_label"][3] == "[0.5, 0.25]" and table["index"][3] == 1
    assert "params" not in table.columns
    assert "params" not in results.to_dataframe().columns


def test_results_params_csv_has_one_row_per_point_and_parameter(tmp_path):
    from theorems.core.tables import params_frame

    params_frame(with_labels_and_arrays()).to_csv(tmp_path / "results-params.csv", index=False)
    table = pd.read_csv(tmp_path / "results-params.csv")
    assert list(table.columns) == ["claim", "point", "parameter", "value", "value_label"]
    assert pd.api.types.is_numeric_dtype(table["value"])
    third = table[table["point"] == 2].set_index("parameter")
    assert third.loc["B", "value"] == 8 and third.loc["schedule", "value_label"] == "cosine"
    assert third.loc["nesterov", "value_label"] == "true" and math.isnan(third.loc["nesterov", "value"])
    assert len(table) == 2 + 2 + 3 + 2


def test_results_show_in_a_notebook_as_html():
    results = a_run()
    results.rows[0].document = "000_7c5c639b47bbde7b.txt"
    html = results._repr_html_()
    assert html.startswith("<p>theorycheck run of 2026-11-23T00:00:00+00:00: profile smoke, seed 0")
    assert "<td>000-01</td><td>Initialization (lecture slides)</td><td>1</td><td>refuted</td><td>c</td>" in html
    results.rows = []
    assert "<td>c</td><td>refuted</td>" in results._repr_html_()
