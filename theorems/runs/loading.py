"""Which claims a run checks: the built-in catalogue, a user's claims file, and patterns over both.

A claims file that is missing, fails to import or declares no claims, and a pattern that matches
nothing, are bad input (:class:`~theorems.runs.config.UsageError`), reported before any work starts.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import sys
import types
from collections.abc import Sequence
from pathlib import Path

from theorems.core.claim import REGISTRY, Claim
from theorems.runs.config import UsageError


def load_catalogue() -> None:
    """Register the built-in claims (importing the modules registers them once)."""
    from theorems import catalogue

    catalogue.load()


_LOADED_FROM: dict[Path, list[str]] = {}  # claims file -> ids it registered


def load_claims_file(path: str | os.PathLike) -> list[Claim]:
    """Import a user's claims file and return the claims it registered."""
    _, claims = import_claims_file(path)
    if not claims:
        raise UsageError(f"claims file {path} declares no claims (use @theorems.core.claim(...))")
    return claims


def import_claims_file(path: str | os.PathLike) -> tuple[types.ModuleType, list[Claim]]:
    """Import a user's claims file: the module and the claims it registered (maybe none: the pytest
    plugin collects such a file as an ordinary test module)."""
    path = Path(path)
    if not path.is_file():
        raise UsageError(f"claims file not found: {path}")
    for claim_id in _LOADED_FROM.pop(path.resolve(), ()):  # loading a file again replaces its claims
        REGISTRY.remove(claim_id)
    before = {claim.id for claim in REGISTRY}
    digest = hashlib.blake2b(str(path.resolve()).encode(), digest_size=6).hexdigest()
    name = f"theorycheck_user_claims_{path.stem}_{digest}"  # unique per file; seeds never depend on it
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise UsageError(f"claims file is not a Python file: {path}")
    module = importlib.util.module_from_spec(spec)
    try:
        sys.modules[name] = module
        spec.loader.exec_module(module)
    except (Exception, SystemExit) as error:  # any failure of the user's code (sys.exit too) is bad input;
        # KeyboardInterrupt still interrupts. The claims it registered before failing go too.
        sys.modules.pop(name, None)
        for claim_id in [claim.id for claim in REGISTRY if claim.id not in before]:
            REGISTRY.remove(claim_id)
        raise UsageError(f"claims file {path} failed to import: {type(error).__name__}: {error}") from error
    added = [claim for claim in REGISTRY if claim.id not in before]
    _LOADED_FROM[path.resolve()] = [claim.id for claim in added]
    return module, added


def select_claims(patterns: Sequence[str] | None, pool: Sequence[Claim] | None = None, *,
                  claims_file: str | None = None) -> list[Claim]:
    """Claims matching any pattern (glob on id or row ID) in ``pool`` (default: all registered);
    ``claims_file`` names the file the pool came from, for the messages. Every pattern must match
    a claim: a mistyped one among good ones is bad input, not silently a smaller run."""
    pool = list(REGISTRY) if pool is None else list(pool)
    if not patterns:
        return pool
    import fnmatch

    if any(not pattern.strip() for pattern in patterns):
        raise UsageError("--claims got an empty pattern: give a claim id or row ID, or a glob such as 'gd-*'")

    def matches(claim: Claim, pattern: str) -> bool:
        return any(fnmatch.fnmatch(name, pattern) for name in (claim.id, *claim.inventory_ids))

    unmatched = [p for p in patterns if not any(matches(c, p) for c in pool)]
    if unmatched:
        where = (f"the claims of {claims_file} (with --claims-file only that file's claims run; drop "
                 f"--claims-file to select from the catalogue)" if claims_file else "the catalogue")
        listing = f"theorycheck list{f' --claims-file {claims_file}' if claims_file else ''}"
        raise UsageError(f"no claim matches {', '.join(repr(p) for p in unmatched)} in {where}; `{listing}` "
                         "shows the claims")
    return [c for c in pool if any(matches(c, p) for p in patterns)]


def catalogue_claims() -> list[Claim]:
    """The built-in catalogue's claims (not those of claims files loaded beside it)."""
    load_catalogue()
    return [claim for claim in REGISTRY if claim.measure.__module__.startswith("theorems.catalogue.")]
