"""The catalogue: one module per source document, each reading top to bottom like the document.

Importing this package registers every built-in claim in :data:`theorems.claim.REGISTRY`. The
measurements several documents share live in :mod:`theorems.kit`.
"""

from theorems.claims import (  # noqa: F401
    doc000_initialization,
    doc001_optimization,
    doc001_generalization,
    doc002_lecture12,
    doc003_training,
    doc004_sgd_problems,
)
