"""How much work a run spends: the profiles ``smoke``, ``standard`` and ``thorough``.

A module of its own, free of torch, so that the command line can list them without importing it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Profile:
    """How much work a run spends per claim and reading."""

    name: str
    explore: int  # space-filling points per reading (plus a quarter more, log-scaled, for wide ranges)
    examples: int  # targeted hypothesis examples per reading and formula
    design: int | None  # how many of a claim's design points to evaluate (None: all)
    pilot: int  # Monte Carlo replicates of the pilot that plans a point's sample size
    cap: int  # most Monte Carlo replicates per point (both times the claim's samples_factor)
    z_margin: float  # planned se = band / (z + z_margin): a true point strays that far rarely
    shrink: int  # measurements spent shrinking a counterexample
    # A Monte Carlo point whose interval straddles the band is measured once more with this many
    # times its samples (within the cap); 0: no second look. Each look has its share of α.
    second_look: int = 0
    description: str = ""


PROFILES: dict[str, Profile] = {
    profile.name: profile
    for profile in (
        Profile("smoke", explore=8, examples=4, design=4, pilot=2_000, cap=20_000, z_margin=1.0, shrink=8,
                description="seconds: every claim and mutant runs, few points, wide intervals"),
        Profile("standard", explore=256, examples=16, design=None, pilot=2_000, cap=400_000, z_margin=4.2,
                shrink=40, second_look=4, description="minutes on a laptop CPU: the default, covers every domain"),
        Profile("thorough", explore=512, examples=64, design=None, pilot=4_000, cap=4_000_000, z_margin=4.5,
                shrink=120, second_look=4, description="a GPU or a long CPU run: denser cover, narrower intervals"),
    )
}
