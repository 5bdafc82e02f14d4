"""The verdict rule above a point: from points to a reading, from readings to a claim, from claims
to an inventory row. (A point's own verdict is :mod:`theorems.core.stats`'s.)

A reading of a claim is refuted if one of its points refutes, confirmed if every point confirms,
inconclusive otherwise (:func:`reading_verdict`).

A claim's verdict over its readings (:func:`combine`): refuted only when every reading is refuted,
conditional when one is confirmed and another refuted, confirmed when all are, inconclusive
otherwise. Partial evidence never refutes.

A row of the inventory is one sentence of one document. Each claim cites the rows it checks, and
a row checked by several claims (its mean part and its variance part, say) states all of them, so
its verdict is their conjunction (:func:`row_verdict`):

    refuted       some citing claim is refuted (the row's sentence is false as written);
    conditional   otherwise, some citing claim is conditional (it holds under one reading only);
    confirmed     every citing claim is confirmed;
    inconclusive  otherwise (some part is unresolved, or its check failed with an error).

A row's verdict rests only on the claims that cite it, so rows that two documents state alike
each get their own, even when their claims share measurements.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from theorems.core.results import ClaimResult
from theorems.core.stats import CONDITIONAL, CONFIRMED, INCONCLUSIVE, REFUTED


def reading_verdict(point_verdicts: Iterable[str]) -> str:
    verdicts = set(point_verdicts)
    if REFUTED in verdicts:
        return REFUTED
    return CONFIRMED if verdicts == {CONFIRMED} else INCONCLUSIVE


def combine(verdicts: Mapping[str, str], refuting: Mapping[str, tuple[int, int]] | None = None) -> tuple[str, str]:
    """A formula's verdict over readings (reading name -> its verdict), and the reason in words;
    ``refuting`` (reading -> (refuting points, evaluated points)) says how many points refuted."""
    refuting = refuting or {}
    held = [name for name, v in verdicts.items() if v == CONFIRMED]
    failed = [name for name, v in verdicts.items() if v == REFUTED]
    open_ = [name for name, v in verdicts.items() if v == INCONCLUSIVE]
    single = len(verdicts) == 1

    def counted(names: list[str]) -> str:
        if single:
            k, n = refuting.get(names[0], (0, 0))
            return f" at {k} of {n} evaluated points" if n else ""
        parts = [f"{_names([name])}: {refuting[name][0]} of {refuting[name][1]} points" if name in refuting
                 else _names([name]) for name in names]
        return ", ".join(parts)

    if failed and not held and not open_:
        return REFUTED, f"refuted{counted(failed)}" if single else f"refuted under every reading ({counted(failed)})"
    if held and failed:
        reason = f"holds under {_names(held)}; refuted under {counted(failed)}"
        return CONDITIONAL, reason + (f"; unresolved under {_names(open_)}" if open_ else "")
    if held and not open_:
        return CONFIRMED, "every evaluated point agrees within the resolution"
    parts = [f"refuted under {counted(failed)}"] if failed else []
    parts += [f"holds under {_names(held)}"] if held else []
    parts.append("some points' intervals straddle the resolution band" + ("" if single else f" under {_names(open_)}")
                 + ": more samples (a larger profile) are needed")
    return INCONCLUSIVE, "; ".join(parts)


def _names(names: list[str]) -> str:
    return ", ".join(f"“{name}”" for name in names)


# ---- findings -----------------------------------------------------------------------------------
ERRATUM, SLIP, CONVENTION, CAVEAT = "erratum", "slip", "convention", "caveat"
FINDING_CLASSES = (ERRATUM, SLIP, CONVENTION, CAVEAT)


def weigh(verdict: str, reason: str, *, role: str, refuted_below_materiality: bool,
          representative: Sequence[str], convention: str = "") -> tuple[str | None, str, str]:
    """A claim's finding as its reader would weigh it (docs/findings.md): (class or None, verdict, reason).

    ``verdict`` and ``reason`` are :func:`combine`'s over the readings, with refutations smaller than
    the claim's materiality counted as agreement; ``refuted_below_materiality`` says whether there
    were such refutations; ``representative`` holds the verdicts (likewise counted) at the claim's
    representative points. A refutation that the representative points do not share is a caveat:
    the claim is conditional, on settings the text leaves implicit; unless the claim names a
    ``convention`` (its materiality reason: where ε sits, say), which then explains the difference:
    the claim agrees with its reference where a reader uses it, and the finding is a convention. A
    wrong derivation line is a slip, whatever its verdict; a difference that never reaches the
    materiality is a convention.
    """
    if verdict == REFUTED and representative and all(v == CONFIRMED for v in representative):
        if convention and role != "derivation":
            return CONVENTION, CONFIRMED, (f"agrees at the representative settings; away from them {reason} "
                                           f"(a convention: {convention})")
        verdict, reason = CONDITIONAL, f"holds at the representative settings; {reason} away from them"
    if verdict in (REFUTED, CONDITIONAL):
        return (SLIP if role == "derivation" else ERRATUM if verdict == REFUTED else CAVEAT), verdict, reason
    if refuted_below_materiality:
        return CONVENTION, verdict, reason
    return None, verdict, reason


# ---- rows ---------------------------------------------------------------------------------------
PRECEDENCE = (REFUTED, CONDITIONAL, INCONCLUSIVE)  # what decides a row, first match wins


def row_verdict(verdicts: Sequence[str]) -> str:
    if REFUTED in verdicts:
        return REFUTED
    if CONDITIONAL in verdicts:
        return CONDITIONAL
    return CONFIRMED if verdicts and all(v == CONFIRMED for v in verdicts) else INCONCLUSIVE


def row_part(claim: ClaimResult) -> str:
    """What a claim says about the rows it cites: its verdict, except that a slip (a wrong line of a
    derivation whose result the row states) leaves the row's statement standing."""
    return CONFIRMED if claim.finding is not None and claim.finding.class_ == SLIP else claim.verdict
