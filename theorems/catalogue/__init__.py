"""The catalogue: one module per source document, each reading top to bottom like the document.

:func:`load` imports the document modules, which registers every built-in claim in
:data:`theorems.core.claim.REGISTRY`. Importing this package alone registers nothing, so a user's
claims file can import the shared measurements of :mod:`theorems.catalogue.kit` without the catalogue.
"""

import dataclasses
import importlib

DOCUMENTS = (
    "doc000_initialization",
    "doc001_optimization",
    "doc001_generalization",
    "doc002_lecture12",
    "doc003_training",
    "doc004_sgd_problems",
)


def load() -> None:
    """Register the built-in claims (importing a document's module registers its claims once)."""
    for name in DOCUMENTS:
        importlib.import_module(f"{__name__}.{name}")
    _attach_exact()


def _attach_exact() -> None:
    """Give the catalogue's claims their exact evidence (``Claim.exact``): the derivations of
    :mod:`theorems.catalogue.derivations` and the bound rows' worst cases of
    :mod:`theorems.catalogue.worst_cases`, by claim id, after any the claim declares itself."""
    from theorems.catalogue import derivations, worst_cases
    from theorems.core.claim import REGISTRY

    entries = derivations.exact_entries()
    for claim_id, more in worst_cases.exact_entries().items():
        entries.setdefault(claim_id, []).extend(more)
    for claim_id, more in entries.items():
        if claim_id not in REGISTRY:  # removed by its user (a test, a claims file overriding it)
            continue
        claim = REGISTRY.get(claim_id)
        have = {(entry.key, entry.reading) for entry in claim.exact}
        new = tuple(entry for entry in more if (entry.key, entry.reading) not in have)
        if new:
            REGISTRY.replace(dataclasses.replace(claim, exact=claim.exact + new))
