"""Claims of material other than the five lecture documents: a probability handout.

    theorycheck run --claims-file examples/claims_other_material.py --profile smoke
    pytest examples/claims_other_material.py            # each claim a test (theorems.frontends.pytest_plugin)

Row IDs are any short identifier (here ``handout-1``, ``handout-2``) and the source any document.
The handout, §2 *Estimators*, says that for n i.i.d. draws x₁ … xₙ with mean μ and variance σ²

    the sample variance s² = 1/(n − 1) Σ (xᵢ − x̄)² is unbiased:        E[s²] = σ²      (handout-1)
    the sample mean x̄ = (1/n) Σ xᵢ is unbiased:                       E[x̄] = μ       (handout-2)

whatever the distribution. Both are checked for normal, uniform and exponential draws; each claim
carries the mistake a student makes (the 1/n estimator taken for the unbiased one; the mean
"biased like the 1/n variance"). The smoke profile refutes both mutants but resolves a point only
where its pilot sample suffices, so it often leaves the claims inconclusive; the standard profile
confirms both.
"""


from theorems import DISTRIBUTIONS, Formula, Source, choices, claim, floats, integers, standardized

HANDOUT = Source("probability-handout.pdf", "§2 Estimators")
DRAWS = {"n": integers(2, 20), "mu": floats(-2, 2), "sigma": floats(0.1, 3),
         "distribution": choices(DISTRIBUTIONS)}


def sample(p, n, ctx):
    """``n`` replicates of a sample of size p["n"] (replicates as the batch dimension): shape (n, p["n"])."""
    return p["mu"] + p["sigma"] * standardized(p["distribution"], (n, p["n"]), ctx)


@claim(
    id="sample-variance-unbiased",
    inventory_ids=("handout-1",),
    source=HANDOUT,
    statement="the sample variance s² = 1/(n − 1) Σ (xᵢ − x̄)² is unbiased: E[s²] = σ²",
    kind="stochastic",
    domain=DRAWS,
    stated=lambda p: p["sigma"] ** 2,
    # if 1/n made the unbiased estimator, the 1/(n − 1) one would overshoot by n/(n − 1)
    mutants=[Formula("s² with 1/n is the unbiased one: E[s²] = nσ²/(n − 1)",
                     lambda p: p["n"] * p["sigma"] ** 2 / (p["n"] - 1))],
)
def sample_variance(p, ctx):
    """The sample variance with 1/(n − 1) is unbiased."""
    return ctx.mean(lambda n: sample(p, n, ctx).var(dim=1, correction=1), bytes_per_replicate=24 * p["n"])


@claim(
    id="sample-mean-unbiased",
    inventory_ids=("handout-2",),
    source=HANDOUT,
    statement="the sample mean x̄ = (1/n) Σ xᵢ is unbiased: E[x̄] = μ",
    kind="stochastic",
    domain=DRAWS,
    stated=lambda p: p["mu"],
    scale=lambda p: p["sigma"],  # μ may be 0: the band is 5% of σ, not of |μ|
    mutants=[Formula("E[x̄] = (n − 1)μ/n (biased like the 1/n variance)",
                     lambda p: (p["n"] - 1) * p["mu"] / p["n"])],
)
def sample_mean(p, ctx):
    """The sample mean is unbiased."""
    return ctx.mean(lambda n: sample(p, n, ctx).mean(dim=1), bytes_per_replicate=24 * p["n"])
