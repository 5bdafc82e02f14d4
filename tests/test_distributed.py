"""Runs spread over a local Dask cluster give exactly the results of a serial run; runs sharing a
scheduler never mix; a cluster that fails, or cannot be reached, ends the run in one line."""

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from theorems.core.results import Results
from theorems.frontends import cli
from theorems.frontends.cli import main
from theorems.runs.config import config_settings, make_config
from theorems.runs.loading import load_catalogue, load_claims_file
from theorems.runs.runner import run_claims

distributed = pytest.importorskip("distributed", reason="Dask distributed is not installed (theorycheck[distributed])")

from theorems.runs.executors import WAIT_VARIABLE, OnDask, check_claims  # noqa: E402  (needs Dask)

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = "examples/my_claims.py"
WORKERS = str(min(2, cli._cores()))  # --workers may not exceed the cores this process may use
SMOKE = ["run", "--profile", "smoke", "--device", "cpu", "--quiet", "--claims-file", EXAMPLE]


def without_timings(path):
    results = Results.load(path)
    results.run.seconds, results.run.started = 0.0, ""
    for claim in results.claims:
        claim.seconds = 0.0
    return results


def test_a_local_cluster_gives_the_serial_results(tmp_path):
    common = ["run", "--profile", "smoke", "--device", "cpu", "--quiet", "--claims", "gd-rate",
              "--claims", "step-size-regimes"]
    assert main([*common, "--out", str(tmp_path / "serial")]) == 0
    assert main([*common, "--workers", WORKERS, "--out", str(tmp_path / "cluster")]) == 0
    serial, cluster = without_timings(tmp_path / "serial" / "results.json"), without_timings(
        tmp_path / "cluster" / "results.json")
    assert serial == cluster
    assert all(claim.device == "cpu" for claim in cluster.claims)


def test_calibrate_on_a_cluster_tallies_like_a_serial_calibration(tmp_path, capsys):
    common = ["calibrate", "--seeds", "2", "--profile", "smoke", "--device", "cpu", "--claims-file", EXAMPLE]
    assert main([*common, "--csv", str(tmp_path / "serial.csv")]) == 0
    assert main([*common, "--workers", WORKERS, "--csv", str(tmp_path / "cluster.csv")]) == 0
    assert (tmp_path / "serial.csv").read_text() == (tmp_path / "cluster.csv").read_text()


def smoke_settings(alpha: float = 0.01) -> dict:
    return config_settings(make_config(profile="smoke", seed=0, device="cpu", alpha=alpha))


@pytest.fixture(scope="module")
def local_client():
    """A client of a one-worker local cluster, shared by the tests that leave its worker as it was."""
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as dask_client:
        yield dask_client


def test_runs_sharing_a_scheduler_never_receive_each_others_results(local_client):
    """Issue 18: keys named only (claim, seed, index), so a run with alpha 0.2 received the result another
    run, still holding its futures, had checked with alpha 0.01."""
    claim = load_claims_file(EXAMPLE)[0]
    nested = []

    def start_another_run(*_):  # the first run still holds its futures here
        nested.extend(check_claims(local_client, [(claim, smoke_settings(alpha=0.2))], claims_file=EXAMPLE))

    first = check_claims(local_client, [(claim, smoke_settings(alpha=0.01))], claims_file=EXAMPLE,
                         finished=start_another_run)
    assert (first[0].alpha, nested[0].alpha) == (0.01, 0.2)


def test_the_run_names_the_devices_its_workers_checked_on(local_client):
    """Issue 18: run.device_name named this process's device, not the workers'."""
    def name_devices(name):  # in each worker process (pickled by value: a local function)
        import theorems.runs.config

        real = vars(theorems.runs.config).setdefault("_real_device_name", theorems.runs.config.device_name)
        theorems.runs.config.device_name = real if name is None else lambda device: name

    local_client.run(name_devices, "a worker's device")
    try:
        results = run_claims(load_claims_file(EXAMPLE), make_config(**smoke_settings()), claims_file=EXAMPLE,
                             executor=OnDask(local_client))
    finally:
        local_client.run(name_devices, None)
    assert results.run.device_name == "a worker's device"


@pytest.fixture
def spawn():
    """Start Dask's own scheduler and worker commands (``dask_scheduler ARGS…``); killed at the end."""
    processes = []

    def start(command: str, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen:
        processes.append(subprocess.Popen([sys.executable, "-m", f"distributed.cli.{command}", *args], cwd=ROOT,
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                          env={**os.environ, **(env or {})}))
        return processes[-1]

    yield start
    for process in processes:
        process.kill()
        process.wait()


def start_scheduler(spawn, folder: Path, env: dict[str, str] | None = None) -> tuple[subprocess.Popen, str]:
    """A scheduler on the loopback interface, and its address."""
    file = folder / "scheduler.json"
    process = spawn("dask_scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                    "--scheduler-file", str(file), env=env)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            return process, json.loads(file.read_text())["address"]
        except (OSError, ValueError):  # not written yet, or half
            time.sleep(0.1)
    raise TimeoutError("the Dask scheduler did not start in 60 s")


def start_hanging_worker(spawn, address: str, started: Path, *, then_exit: bool = False) -> subprocess.Popen:
    """A worker (no nanny to restart it) whose checks hang after touching ``started``, or exit."""
    def hang():  # in the worker process (pickled by value: a local function)
        import theorems.runs.executors

        def check_on_worker(*args, **kwargs):
            started.touch()
            os._exit(1) if then_exit else time.sleep(600)

        theorems.runs.executors.check_on_worker = check_on_worker

    process = spawn("dask_worker", address, "--no-nanny", "--nthreads", "1", "--no-dashboard")
    with distributed.Client(address) as dask_client:
        dask_client.wait_for_workers(1, timeout=60)
        dask_client.run(hang)
    return process


def once_started(started: Path, action) -> None:
    """Call ``action`` in a thread as soon as a check has started."""
    def watch():
        deadline = time.monotonic() + 60
        while not started.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        action()

    threading.Thread(target=watch, daemon=True).start()


def run_fails_in_one_line(capfd, tmp_path, *args: str, status: int, within: float) -> str:
    """Run the example on the cluster; assert the exit status, the time, one line on stderr and
    no output folder; return the line."""
    out = tmp_path / "out"
    load_catalogue()  # imported once per process: not the cluster's time
    capfd.readouterr()
    start = time.monotonic()
    assert main([*SMOKE, *args, "--out", str(out)]) == status
    assert time.monotonic() - start < within
    lines = capfd.readouterr().err.strip().splitlines()
    assert len(lines) == 1, lines
    assert not out.exists()
    return lines[0]


def test_a_scheduler_without_workers_ends_the_run_after_the_wait(spawn, tmp_path, capfd, monkeypatch):
    """Issue 18: a scheduler without workers waited silently, for ever."""
    monkeypatch.setenv(WAIT_VARIABLE, "1")
    _, address = start_scheduler(spawn, tmp_path)
    line = run_fails_in_one_line(capfd, tmp_path, "--scheduler", address, status=1, within=15)
    assert line.startswith("theorycheck: error: no Dask worker for 1 s") and WAIT_VARIABLE in line


def test_a_run_whose_workers_are_all_killed_ends_after_the_wait(spawn, tmp_path, capfd, monkeypatch):
    """Issue 18: a run whose workers were all killed mid-run hung silently."""
    monkeypatch.setenv(WAIT_VARIABLE, "1")
    _, address = start_scheduler(spawn, tmp_path)
    worker = start_hanging_worker(spawn, address, tmp_path / "started")
    once_started(tmp_path / "started", worker.kill)
    line = run_fails_in_one_line(capfd, tmp_path, "--scheduler", address, status=1, within=20)
    assert "no Dask worker for 1 s" in line and "1 of 1 checks unfinished" in line


def test_a_scheduler_killed_mid_run_ends_the_run_in_one_line(spawn, tmp_path, capfd):
    """Issue 18: a scheduler killed mid-run ended the run with a FutureCancelledError traceback."""
    scheduler, address = start_scheduler(spawn, tmp_path)
    start_hanging_worker(spawn, address, tmp_path / "started")
    once_started(tmp_path / "started", scheduler.kill)
    line = run_fails_in_one_line(capfd, tmp_path, "--scheduler", address, status=1, within=20)
    assert line.startswith(f"theorycheck: error: lost the connection to the Dask scheduler {address} mid-run")


def test_a_check_that_kills_its_workers_ends_the_run_in_one_line(spawn, tmp_path, capfd):
    """A check that takes its worker down (out of memory, say) as often as the scheduler allows."""
    _, address = start_scheduler(spawn, tmp_path, env={"DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES": "0"})
    start_hanging_worker(spawn, address, tmp_path / "started", then_exit=True)
    line = run_fails_in_one_line(capfd, tmp_path, "--scheduler", address, status=1, within=20)
    assert line.startswith("theorycheck: error: the check of variance-of-weighted-sum killed every Dask worker")


@pytest.mark.parametrize("address", ["garbage", "tcp://127.0.0.1:1", "bogus://127.0.0.1:1"])
def test_an_unreachable_scheduler_is_bad_input(address, tmp_path, capfd):
    """Issue 18: these exited 1 after 3 to 24 s with 52–55-line tracebacks."""
    line = run_fails_in_one_line(capfd, tmp_path, "--scheduler", address, status=2, within=5)
    assert line.startswith(f"theorycheck: error: --scheduler {address!r}: no Dask scheduler reached (")


@pytest.mark.parametrize("args", [["--workers", str(cli._cores() + 1)], ["--workers", "0"], ["--dashboard"]])
def test_workers_beyond_the_cores_and_a_dashboard_without_a_cluster_are_bad_input(args, tmp_path, capfd):
    """Issue 18: --workers 1000 started 138 processes (4.5 GB) before anything could stop it."""
    run_fails_in_one_line(capfd, tmp_path, *args, status=2, within=5)


def test_a_bad_wait_is_bad_input(tmp_path, capfd, monkeypatch):
    monkeypatch.setenv(WAIT_VARIABLE, "soon")
    line = run_fails_in_one_line(capfd, tmp_path, "--workers", "1", status=2, within=5)
    assert line == f"theorycheck: error: {WAIT_VARIABLE} must be a number of seconds > 0, got 'soon'"


def test_the_dashboard_flag_prints_where_the_dashboard_is_served(tmp_path, capfd, monkeypatch):
    """Issue 18: the distributed extra lacked bokeh, and nothing said where the dashboard was."""
    pytest.importorskip("bokeh", reason="the Dask dashboard needs bokeh (theorycheck[distributed])")
    served = []

    def run_claims_looking_at_the_dashboard(*args, executor, **kwargs):
        with urllib.request.urlopen(executor.client.dashboard_link, timeout=30) as response:
            served.append(response.status)
        return run_claims(*args, executor=executor, **kwargs)

    monkeypatch.setattr(cli, "run_claims", run_claims_looking_at_the_dashboard)
    assert main([*SMOKE, "--workers", "1", "--dashboard", "--out", str(tmp_path / "out")]) == 0
    printed = re.findall(r"^Dask dashboard: (http://127\.0\.0\.1:\d+/status)$", capfd.readouterr().err, re.M)
    assert len(printed) == 1 and served == [200]


def test_ctrl_c_ends_a_run_on_workers_with_exit_130_and_one_line(tmp_path):
    """Issue 18: Ctrl-C reached every worker process, and each printed a KeyboardInterrupt traceback."""
    run = subprocess.Popen([sys.executable, "-m", "theorems.frontends.cli", "run", "--profile", "smoke", "--device", "cpu",
                            "--workers", WORKERS, "--out", str(tmp_path / "out")], cwd=ROOT,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                           start_new_session=True)  # its own process group, as a terminal's foreground job
    first = run.stderr.readline()  # the first claim checked: the workers are at work
    os.killpg(run.pid, signal.SIGINT)  # what Ctrl-C on a terminal does
    rest = run.communicate(timeout=60)[1]
    assert run.returncode == 130, first + rest
    assert rest.strip().splitlines() == ["theorycheck: interrupted by SIGINT; nothing was written"]
    assert not (tmp_path / "out").exists()
    deadline = time.monotonic() + 10  # the workers are gone too
    while time.monotonic() < deadline:
        try:
            os.killpg(run.pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    pytest.fail("worker processes outlived the interrupted run")
