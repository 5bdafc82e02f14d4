"""Test-wide settings: hypothesis runs derandomized and without an example database under CI, so
a CI run is reproducible; locally it explores afresh each run (``HYPOTHESIS_PROFILE=ci`` to match CI)."""

import os

from hypothesis import HealthCheck, settings

settings.register_profile("ci", derandomize=True, database=None, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))
