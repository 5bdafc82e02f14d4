"""The catalogue: one module per source document, each reading top to bottom like the document.

:func:`load` imports the document modules, which registers every built-in claim in
:data:`theorems.core.claim.REGISTRY`. Importing this package alone registers nothing, so a user's
claims file can import the shared measurements of :mod:`theorems.catalogue.kit` without the catalogue.
"""

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
