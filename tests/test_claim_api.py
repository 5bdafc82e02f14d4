"""The claim API (issue 20): claim()'s typed signature, presets, the one Verdict enum, the curated
public names of ``theorems`` and a registry that a notebook cell can run twice against."""

import ast
import dataclasses
import inspect
import json
import subprocess
import sys
from pathlib import Path

import pytest

import theorems
from theorems.core import rules, stats, text
from theorems.core.claim import (
    BEHAVIOUR,
    EXACT_TO_ROUNDING,
    REGISTRY,
    Claim,
    Formula,
    Measurement,
    Preset,
    Reading,
    Registry,
    Source,
    claim,
)
from theorems.core.domain import floats, integers
from theorems.core.engine import check_claim
from theorems.core.measurement import RunConfig
from theorems.core.profiles import PROFILES
from theorems.core.results import ClaimResult, decode, encode
from theorems.core.verdict import FINDING_VERDICTS, Verdict

CATALOGUE = Path(theorems.__file__).parent / "catalogue"
SOURCE = Source("toy.txt", "Toy section")
PRESET_FIELDS = {f.name for f in dataclasses.fields(Preset)}


def declaration(**overrides):
    """The keywords of a small identity claim, ``overrides`` applied."""
    return {"id": "api-toy", "inventory_ids": ("000-01",), "source": SOURCE, "statement": "2a = a + a",
            "kind": "identity", "domain": {"a": integers(1, 5)}, "stated": lambda p: 2 * p["a"],
            "mutants": (Formula("2a = a", lambda p: p["a"]),), **overrides}


def declared(registry_id="api-toy", **overrides) -> Claim:
    """Declare the toy claim through claim() and take it back out of the registry."""
    try:
        return claim(**declaration(id=registry_id, **overrides))(lambda p, ctx: Measurement(2 * p["a"]))
    finally:
        REGISTRY.remove(registry_id)


# ---- 1. the typed signature ---------------------------------------------------------------------
def test_signature_names_every_field_with_claims_defaults():
    parameters = inspect.signature(claim).parameters
    fields = {f.name: f for f in dataclasses.fields(Claim)}
    assert set(parameters) == (set(fields) - {"measure"}) | {"preset"}
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in parameters.values())
    for name, parameter in parameters.items():
        if name in PRESET_FIELDS | {"title", "preset"}:  # None: the preset's, else Claim's default
            continue
        default = fields[name].default
        assert parameter.default == (inspect.Parameter.empty if default is dataclasses.MISSING else default), name


def test_misspelt_keyword_is_a_type_error_at_declaration():
    with pytest.raises(TypeError, match="resolutoin"):
        claim(**declaration(resolutoin=0.1))


def test_claim_behaves_as_before():
    made = declared(resolution=0.2)
    assert (made.kind, made.relation, made.resolution, made.atol) == ("identity", "eq", 0.2, 0.0)
    assert made.title == "2a = a + a"  # the statement's first line when the measurement has no docstring
    assert declared(title="Doubling").title == "Doubling"


# ---- 2. presets ---------------------------------------------------------------------------------
def test_presets_fill_what_the_claim_leaves_out():
    behaviour = declared(kind=None, preset=BEHAVIOUR, stated=lambda p: "even",
                         mutants=(Formula("odd", lambda p: "odd"),))
    assert (behaviour.kind, behaviour.relation, behaviour.resolution, behaviour.atol) == ("behaviour", "label", 0.0, 0.0)
    exact = declared(preset=EXACT_TO_ROUNDING)
    assert (exact.kind, exact.relation, exact.resolution, exact.atol) == ("identity", "eq", 1e-9, 1e-12)


def test_explicit_fields_override_the_preset():
    made = declared(preset=EXACT_TO_ROUNDING, atol=1e-15)
    assert (made.resolution, made.atol) == (1e-9, 1e-15)


def test_kind_from_neither_the_claim_nor_the_preset_is_an_error():
    with pytest.raises(TypeError, match="api-toy: give kind="):
        claim(**declaration(kind=None, preset=EXACT_TO_ROUNDING))


def test_presets_are_public():
    assert {"Preset", "BEHAVIOUR", "EXACT_TO_ROUNDING"} <= set(theorems.__all__)


def catalogue_declarations():
    """(module, claim id, {keyword: constant}) for every claim() call of the catalogue."""
    for path in sorted(CATALOGUE.glob("doc*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "claim":
                constants = {k.arg: k.value.value for k in node.keywords if isinstance(k.value, ast.Constant)}
                yield path.name, constants.get("id"), constants


@pytest.mark.parametrize("name", ["BEHAVIOUR", "EXACT_TO_ROUNDING"])
def test_catalogue_writes_no_preset_out_by_hand(name):
    preset = {k: v for k, v in dataclasses.asdict(getattr(theorems, name)).items() if v is not None}
    by_hand = [(module, claim_id) for module, claim_id, constants in catalogue_declarations()
               if all(k in constants and constants[k] == v for k, v in preset.items())]
    assert by_hand == [], f"claims that write {name} out instead of preset={name}"


# ---- 3. one Verdict enum ------------------------------------------------------------------------
def test_every_verdict_name_is_the_enum():
    assert tuple(Verdict) == ("confirmed", "refuted", "conditional", "inconclusive")
    assert stats.VERDICTS == tuple(Verdict)
    assert all(isinstance(v, Verdict) for v in (stats.CONFIRMED, stats.REFUTED, stats.CONDITIONAL,
                                                 stats.INCONCLUSIVE, *rules.PRECEDENCE, *FINDING_VERDICTS))
    assert list(text.verdict_counts(["refuted", "surprise", "confirmed"])) == ["confirmed", "refuted", "surprise"]


def conditional_claim() -> Claim:
    """a·k = a holds where k = 1 and fails where k = 2: conditional, with a reading of each verdict."""
    return Claim(id="api-readings", title="a·k = a", inventory_ids=("000-01",), source=SOURCE, statement="a·k = a",
                 kind="identity", domain={"a": integers(1, 5)}, measure=lambda p, ctx: Measurement(p["a"] * p["k"]),
                 stated=lambda p: p["a"], mutants=(Formula("a·k = 0", lambda p: 0),),
                 readings=(Reading("k = 1", params={"k": 1}), Reading("k = 2", params={"k": 2})),
                 alternatives=(Formula("a·k = 2a", lambda p: 2 * p["a"]),), design=({"a": 3},))


@pytest.fixture(scope="module")
def checked() -> ClaimResult:
    return check_claim(conditional_claim(), RunConfig(profile=PROFILES["smoke"], seed=0))


def test_every_verdict_a_claim_result_carries_is_a_verdict(checked):
    assert checked.verdict == Verdict.CONDITIONAL, checked.verdict_reason
    carried = [checked.verdict, *(r.verdict for r in checked.readings), *(p.verdict for p in checked.evidence),
               *(m.verdict for m in checked.mutants), *(a.verdict for a in checked.alternatives)]
    assert {type(v) for v in carried} == {Verdict}
    assert set(carried) == {Verdict.CONFIRMED, Verdict.REFUTED, Verdict.CONDITIONAL}


def test_verdicts_are_written_as_the_plain_strings(checked):
    written = json.dumps(encode(checked))
    as_strings = decode(ClaimResult, json.loads(written))  # what results.json read back holds: plain str
    assert type(as_strings.verdict) is str
    assert json.dumps(encode(as_strings)) == written
    assert f"{Verdict.REFUTED}" == str(Verdict.REFUTED) == "refuted"


# ---- 4. dead code -------------------------------------------------------------------------------
def test_no_dead_members_on_claim():
    assert not hasattr(Claim, "stochastic") and not hasattr(Claim, "with_stated")


# ---- 5. the curated public API ------------------------------------------------------------------
PUBLIC = {"claim", "Formula", "Reading", "Source", "Figure", "Measurement", "Verdict", "Preset", "BEHAVIOUR",
          "EXACT_TO_ROUNDING", "integers", "floats", "log_floats", "choices", "DATA_SEED", "verify", "Results",
          "load_claims_file"}


def test_all_is_what_a_claim_author_needs():
    from theorems.catalogue.kit import phrases

    assert set(theorems.__all__) == PUBLIC | set(phrases.__all__) | set(theorems._KIT)
    assert len(theorems.__all__) == len(set(theorems.__all__))
    for name in theorems.__all__:
        assert getattr(theorems, name) is not None
    assert theorems.approx is phrases.approx and theorems.Verdict is Verdict
    from theorems.catalogue import kit

    assert all(getattr(theorems, name) is getattr(kit, name) for name in theorems._KIT)


def test_importing_theorems_leaves_torch_out():
    code = "import sys, theorems; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def test_public_docs_import_only_public_names():
    root = Path(theorems.__file__).parents[1]
    texts = [root / "README.md", *sorted((root / "docs").glob("*.md")), *sorted((root / "examples").glob("*.py"))]
    imported = set()
    for path in texts:
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip().startswith("from theorems import "):
                imported |= {n.strip(" ()") for n in line.split(" import ", 1)[1].split("#")[0].split(",")} - {""}
    assert imported <= set(theorems.__all__), sorted(imported - set(theorems.__all__))


# ---- 6. the registry ----------------------------------------------------------------------------
def toy(module: str, statement: str = "2a = a + a") -> Claim:
    def measure(p, ctx):
        return Measurement(2 * p["a"])

    measure.__module__ = module
    return Claim(measure=measure, title="toy", **{**declaration(statement=statement)})


def test_redeclaring_in_main_replaces_the_claim():
    registry = Registry()
    registry.add(toy("__main__"))
    again = registry.add(toy("__main__", statement="2a = a + a, run again"))
    assert len(registry) == 1 and registry.get("api-toy") is again


def test_a_duplicate_id_from_another_module_is_an_error():
    registry = Registry()
    registry.add(toy("my_claims"))
    with pytest.raises(ValueError, match="already taken by a claim of module my_claims"):
        registry.add(toy("other_claims"))
    with pytest.raises(ValueError, match="already taken"):
        registry.add(toy("__main__"))


def test_a_notebook_cell_runs_twice():
    cell = ("from theorems import Formula, Measurement, Source, claim\n"
            "from theorems.core.domain import integers\n"
            "@claim(id='api-notebook', inventory_ids=('000-01',), source=Source('t.txt', 's'), statement='2a = a + a',\n"
            "       kind='identity', domain={'a': integers(1, 5)}, stated=lambda p: 2 * p['a'],\n"
            "       mutants=(Formula('a', lambda p: p['a']),))\n"
            "def doubling(p, ctx):\n"
            "    return Measurement(2 * p['a'])\n")
    try:
        first, second = ({"__name__": "__main__"} for _ in range(2))
        exec(cell, first)
        exec(cell, second)
        assert REGISTRY.get("api-notebook") is second["doubling"]
    finally:
        REGISTRY.remove("api-notebook")


# ---- a registry scoped to a test ---------------------------------------------------------------------

def declare_twice_named(value: float):
    return claim(id="same-id-in-two-tests", inventory_ids=("x-1",), source=Source("t.txt", "s"), kind="identity",
                 statement="x = x", domain={"x": floats(0.0, 1.0)}, stated=lambda p, v=value: v,
                 mutants=(Formula("x + 1", lambda p: p["x"] + 1),))(lambda p, ctx: Measurement(p["x"]))


@pytest.mark.parametrize("value", [0.0, 1.0])
def test_two_tests_may_declare_the_same_id_in_scoped_registries(theorycheck_registry, value):
    """Issue 20: tests dodged the one process-wide registry by prefixing ids; the fixture scopes it."""
    declared = declare_twice_named(value)
    assert theorycheck_registry.get("same-id-in-two-tests") is declared


def test_a_scoped_registry_forgets_its_claims_and_restores_what_it_removed():
    before = [c.id for c in REGISTRY]
    with REGISTRY.scoped():
        declare_twice_named(0.5)
        for claim_id in before[:1]:
            REGISTRY.remove(claim_id)
    assert [c.id for c in REGISTRY] == before
