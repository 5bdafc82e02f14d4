"""The core: the claim model, domains, statistics, sampling, the engine, the verdict rules and the typed
results. It imports nothing from the layers above it (catalogue, report, runs, front-ends)."""

__version__ = "0.1.0"
