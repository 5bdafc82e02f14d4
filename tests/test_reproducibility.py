"""The same seed gives the same results.json however the run is spread (issue 18 §1): whatever the
claims file is called or where it lies, with 1 or 2 torch threads in the calling process, serial,
on local Dask workers, on a Dask scheduler's workers, and under pytest with and without -n 2.

The claims file is tiny and runs at the smoke profile. One claim sums 50 000–100 000 float32 draws:
torch splits such a sum between its threads, so its last bits (and so results.json) change with the
number of threads unless every process checks with the same number (theorems.runs.config.CHECK_THREADS).
The other draws through ctx.mean, so its numbers come from the points' seeded generators.
"""

import dataclasses
import importlib.util
import json
import shutil
from pathlib import Path

import pytest
import torch

from theorems import Formula, Source
from theorems.core.claim import REGISTRY, Claim
from theorems.core.domain import floats, integers
from theorems.core.engine import check_claim
from theorems.frontends.cli import main
from theorems.runs.config import make_config

pytest_plugins = ["pytester"]

CLAIMS = '''
import torch

from theorems import Formula, Measurement, Source, claim, floats, integers

SOURCE = Source("reproducibility-handout.pdf", "§1 Sums")


@claim(id="repro-float32-sum", inventory_ids=("repro-1",), source=SOURCE, kind="identity",
       statement="a float32 sum of n draws is their float64 sum, to 1e-4", domain={"n": integers(50_000, 100_000)},
       stated=lambda p: p["exact"], resolution=1e-4, atol=1e-3, mutants=[Formula("the sum is 0", lambda p: 0.0)])
def float32_sum(p, ctx):
    x = torch.randn(p["n"], generator=ctx.generator)  # float32: torch splits the sum between its threads
    return Measurement(x.sum().item(), quantities={"exact": x.double().sum().item()})


@claim(id="repro-second-moment", inventory_ids=("repro-2",), source=SOURCE, kind="stochastic",
       statement="E[(a z)²] = a²", domain={"a": floats(0.5, 2.0)}, stated=lambda p: p["a"] ** 2,
       mutants=[Formula("E[(a z)²] = 2a²", lambda p: 2 * p["a"] ** 2)])
def second_moment(p, ctx):
    return ctx.mean(lambda n: (p["a"] * torch.randn(n, generator=ctx.generator, dtype=ctx.dtype)) ** 2,
                    bytes_per_replicate=8)
'''

# what says when, where, on which host and how long; and the claims file's path, which the copies change
HOST_FIELDS = frozenset({"seconds", "started", "device_name", "git_revision", "python", "claims_file"})


def comparable(results_json: Path) -> dict:
    """A results.json without its timing and host fields (HOST_FIELDS, at any depth)."""
    def strip(value):
        if isinstance(value, dict):
            return {key: strip(item) for key, item in value.items() if key not in HOST_FIELDS}
        if isinstance(value, list):
            return [strip(item) for item in value]
        return value

    return strip(json.loads(Path(results_json).read_text()))


def unregister_all_but(ids: set[str]) -> None:
    """Remove the claims registered since only ``ids`` were (claim ids are global to the process)."""
    for claim in list(REGISTRY):
        if claim.id not in ids:
            REGISTRY.remove(claim.id)


@pytest.fixture(autouse=True)
def registry_and_threads_as_found():
    """`theorycheck run` leaves its claims registered, and tests here set torch's threads: each test
    leaves both as it found them."""
    before, threads = {claim.id for claim in REGISTRY}, torch.get_num_threads()
    yield
    unregister_all_but(before)
    torch.set_num_threads(threads)


@pytest.fixture
def claims_file(tmp_path) -> Path:
    path = tmp_path / "claims_repro.py"
    path.write_text(CLAIMS)
    return path


def run(claims_file: Path, out: Path, *options: str, threads: int = 2) -> dict:
    """results.json (comparable) of `theorycheck run --profile smoke` on the claims file, called from a
    process with ``threads`` torch threads; the file's claims are unregistered afterwards, so that a
    copy of it can register the same ids."""
    torch.set_num_threads(threads)
    before = {claim.id for claim in REGISTRY}
    try:
        assert main(["run", "--profile", "smoke", "--device", "cpu", "--quiet", "--claims-file", str(claims_file),
                     "--out", str(out), *options]) == 0
    finally:
        unregister_all_but(before)
    assert torch.get_num_threads() == threads  # the run's thread setting is restored
    return comparable(out / "results.json")


def test_the_helper_ignores_timing_and_host_fields_only(tmp_path):
    first, second = tmp_path / "first.json", tmp_path / "second.json"
    first.write_text(json.dumps({"run": {"seed": 0, "seconds": 1.0, "device_name": "a"}, "claims": [{"seconds": 2}]}))
    second.write_text(json.dumps({"run": {"seed": 0, "seconds": 9.0, "device_name": "b"}, "claims": [{"seconds": 3}]}))
    assert comparable(first) == comparable(second) == {"run": {"seed": 0}, "claims": [{}]}
    second.write_text(json.dumps({"run": {"seed": 1}, "claims": [{}]}))
    assert comparable(first) != comparable(second)


def test_a_copied_claims_file_under_other_names_gives_the_same_results(claims_file, tmp_path):
    reference = run(claims_file, tmp_path / "reference")
    assert [claim["id"] for claim in reference["claims"]] == ["repro-float32-sum", "repro-second-moment"]
    for copy in (tmp_path / "elsewhere" / "claims_renamed.py", tmp_path / "deeper" / "still" / "claims_other.py"):
        copy.parent.mkdir(parents=True)
        shutil.copy(claims_file, copy)
        assert run(copy, tmp_path / f"out-{copy.stem}") == reference


def test_one_or_two_threads_in_the_calling_process_give_the_same_results(claims_file, tmp_path):
    assert run(claims_file, tmp_path / "one", threads=1) == run(claims_file, tmp_path / "two", threads=2)


def measured_sum(n: int, threads: int) -> float:
    """The float32 sum the test claim measures, with ``threads`` torch threads."""
    torch.set_num_threads(threads)
    return torch.randn(n, generator=torch.Generator().manual_seed(5)).sum().item()


def test_the_test_claim_does_depend_on_the_threads_unless_the_runner_sets_them():
    """The premise of the tests above: without the runner's policy the claim's numbers would differ."""
    assert any(measured_sum(n, 1) != measured_sum(n, 2) for n in (50_000, 75_000, 100_000))


needs_dask = pytest.mark.skipif(importlib.util.find_spec("distributed") is None,
                                reason="Dask distributed is not installed (theorycheck[distributed])")


@needs_dask
def test_local_workers_give_the_serial_results(claims_file, tmp_path):
    assert run(claims_file, tmp_path / "workers", "--workers", "2") == run(claims_file, tmp_path / "serial")


@needs_dask
def test_a_scheduler_with_multithreaded_workers_gives_the_serial_results(claims_file, tmp_path):
    from distributed import LocalCluster

    # the scheduler's worker starts with 2 torch threads and runs 2 tasks at once
    with LocalCluster(n_workers=1, threads_per_worker=2, processes=True, host="127.0.0.1", dashboard_address=None,
                      env={"OMP_NUM_THREADS": "2"}) as cluster:
        spread = run(claims_file, tmp_path / "scheduler", "--scheduler", cluster.scheduler_address)
    assert spread == run(claims_file, tmp_path / "serial")


@pytest.mark.skipif(importlib.util.find_spec("xdist") is None, reason="pytest-xdist is not installed")
def test_pytest_with_and_without_xdist_gives_the_serial_results(claims_file, tmp_path, pytester):
    serial = run(claims_file, tmp_path / "serial")
    shutil.copy(claims_file, pytester.path / claims_file.name)
    torch.set_num_threads(2)
    for workers in ("0", "2"):
        pytester.runpytest(claims_file.name, "-n", workers, "--theorycheck-report", f"pytest-{workers}")
        assert torch.get_num_threads() == 2  # the plugin restores the session's setting
        assert comparable(pytester.path / f"pytest-{workers}" / "results.json") == serial


def test_renaming_a_claim_keeps_its_numbers_when_it_declares_a_seed_key():
    """Points are keyed by the claim's key, never by its measurement's module or function name."""
    def measure(p, ctx):
        return ctx.mean(lambda n: (p["a"] * torch.randn(n, generator=ctx.generator, dtype=ctx.dtype)) ** 2,
                        bytes_per_replicate=8)

    def moved(p, ctx):  # the same code under another name, as if moved to another module
        return measure(p, ctx)

    moved.__module__, moved.__qualname__ = "elsewhere", "renamed"
    claim = Claim(id="repro-keyed", title="E[(a z)²] = a²", inventory_ids=("repro-3",), source=Source("x.pdf", "§1"),
                  statement="E[(a z)²] = a²", kind="stochastic", domain={"a": floats(0.5, 2.0)}, measure=measure,
                  stated=lambda p: p["a"] ** 2, mutants=(Formula("2a²", lambda p: 2 * p["a"] ** 2),),
                  seed_key="repro-keyed")
    renamed = dataclasses.replace(claim, id="repro-renamed", measure=moved)
    config = make_config(profile="smoke", seed=1, device="cpu")
    evidence = [check_claim(c, config).evidence for c in (claim, renamed)]
    assert evidence[0] == evidence[1] and evidence[0]
    other_key = dataclasses.replace(renamed, seed_key=None)  # keyed by its id, "repro-renamed": other draws
    assert check_claim(other_key, config).evidence != evidence[0]


def test_claims_sharing_a_seed_key_share_measurements_whichever_ran_first():
    """One measurement function under one seed_key: a deterministic point is measured once for both
    claims, and each claim's result is the one it gets alone."""
    from theorems.core.measurement import MeasurementCache

    calls = []

    def measure(p, ctx):
        calls.append(p["a"])
        return float(p["a"])

    shared = dict(inventory_ids=("repro-4",), source=Source("x.pdf", "§1"), kind="identity",
                  domain={"a": integers(0, 50)}, measure=measure, seed_key="repro-shared")
    first = Claim(id="repro-first", title="a = a", statement="a = a", stated=lambda p: p["a"],
                  mutants=(Formula("a + 1", lambda p: p["a"] + 1),), **shared)
    second = Claim(id="repro-second", title="a ≥ 0", statement="a ≥ 0", stated=lambda p: 0, relation="ge",
                   mutants=(Formula("a ≥ 100", lambda p: 100),), **shared)
    config = make_config(profile="smoke", seed=2, device="cpu")
    alone = [check_claim(claim, config).evidence for claim in (first, second)]
    calls.clear()
    cache = MeasurementCache()
    together = [check_claim(claim, config, cache=cache).evidence for claim in (second, first)][::-1]
    assert together == alone
    assert len(calls) == len(set(calls)) < sum(map(len, together))  # the points they share measured once
