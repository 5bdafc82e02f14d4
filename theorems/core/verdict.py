"""The four verdicts, as one enum that every layer names them by.

A point, a reading, a mutant or an alternative is ``confirmed``, ``refuted`` or ``inconclusive``; a
claim or a row may also be ``conditional`` (it holds under some readings of the statement and fails
under others, :mod:`theorems.core.rules`). A :class:`Verdict` is a ``str``: it equals its name, so it
is written to ``results.json``, ``results.csv`` and the report exactly as the plain string was, and a
verdict read back from JSON compares equal to it.
"""

from __future__ import annotations

import enum
import sys

if sys.version_info >= (3, 11):
    from enum import StrEnum
else:  # Python 3.10: a str-valued enum whose str() and format() are its value, as 3.11's
    class StrEnum(str, enum.Enum):
        __str__ = str.__str__
        __format__ = str.__format__


class Verdict(StrEnum):
    """What a check concluded, in the canonical order of counts and tables."""

    CONFIRMED = "confirmed"  # agrees within the resolution everywhere it was evaluated
    REFUTED = "refuted"  # a significant difference larger than the resolution somewhere
    CONDITIONAL = "conditional"  # holds under some readings of the statement, fails under others
    INCONCLUSIVE = "inconclusive"  # the sample was too small to tell (or the check raised)


#: The verdicts that need a reader's attention, in the report's order: refuted first.
FINDING_VERDICTS: tuple[Verdict, ...] = (Verdict.REFUTED, Verdict.CONDITIONAL, Verdict.INCONCLUSIVE)
