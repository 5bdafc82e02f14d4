"""Runs: the runner, the serial and Dask executors, a run's output files, calibration over seeds, benchmarks."""
