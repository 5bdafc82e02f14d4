"""The catalogue: one module per theme, each reading top to bottom like the lecture it encodes.

Importing this package registers every built-in claim in :data:`theorems.claim.REGISTRY`.
"""

from theorems.claims import convergence, initialization, running_averages, sgd  # noqa: F401
