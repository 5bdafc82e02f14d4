"""Exact derivations of the catalogue's closed-form rows, each proving or disproving the document's formula.

One function per claim, named after the math, returning a ``theorems.core.exact.Derivation``; the
formula compared is the one the document states (and the claim declares as ``stated``), under the
claim's assumptions. ``DERIVATIONS`` maps a key to its function: the key is the inventory row ID
("004-11"), followed by a qualifier where the row has several claims or readings with derivations
("000-16 without replacement"); ``CLAIMS`` names the catalogue claim (and reading) each key derives.
``LEFT_OUT`` lists the closed-form rows not derived here, with the reason.
"""

from __future__ import annotations

from collections.abc import Callable

import sympy as sp

from theorems.catalogue.doc004_sgd_problems import exact_stationary_variance
from theorems.core.exact import (
    Derivation,
    Exact,
    all_of,
    bernoulli,
    compare,
    equation,
    expectation,
    fixed_point,
    generic,
    geometric_sum,
    line_search_step,
    normal,
    quadratic_minimizer,
    stationary_covariance,
    subset_mean_variance,
    unroll,
    variance,
    weighted_sum_variance,
)

i = sp.Symbol("i", integer=True, positive=True)
d, e, n, N, B = sp.symbols("d e n N B", integer=True, positive=True)
sigma2 = sp.Symbol("sigma^2", positive=True)
a, b, c = sp.symbols("a b c", real=True)
r, p = sp.symbols("r p", positive=True)  # dropout rate, keep probability (in (0, 1))
x, w, alpha = sp.IndexedBase("x"), sp.IndexedBase("w"), sp.IndexedBase("alpha")
FINITE_TERMS = 4  # identities that hold term by term are derived for this many symbolic terms
POSITIVE = {"positive": True}


def _mean_of(values):
    """The sample mean of a list of expressions."""
    return sp.Add(*values) / len(values)


# --- 000: "Initialization" slides --------------------------------------------------------------------

def linearity_of_expectation() -> Derivation:
    """000-01, Initialization § Linearity of expectation: E[aX] = aE[X]; E[Σ X_i] = Σ E[X_i]
    (claims expectation-of-scaled-variable, expectation-of-sum). The sum is derived for four variables;
    the expectation of a polynomial is taken monomial by monomial, so it holds term by term for any n."""
    X = generic("X")
    terms = [generic(f"X_{k}") for k in range(1, FINITE_TERMS + 1)]
    total = sp.Add(*(t.symbol for t in terms))
    scaled = compare(a * X.moment(1), expectation(a * X.symbol, [X]),
                     steps=(equation(r"\mathbb{E}[aX]", expectation(a * X.symbol, [X])),))
    summed = compare(sp.Add(*(t.moment(1) for t in terms)), expectation(total, terms),
                     steps=(equation(rf"\mathbb{{E}}[{sp.latex(total)}]", expectation(total, terms)),))
    return all_of((scaled, summed))


def variance_shortcut() -> Derivation:
    """000-02, Initialization § Properties of variance: Var[X] = E[X²] − E[X]² (claim variance-shortcut),
    against the definition Var[X] = E[(X − E[X])²]."""
    X = generic("X")
    shortcut = expectation(X.symbol ** 2, [X]) - expectation(X.symbol, [X]) ** 2
    return compare(shortcut, variance(X.symbol, [X]),
                   steps=(equation(r"\mathbb{E}[(X-\mathbb{E}X)^2]", variance(X.symbol, [X])),
                          equation(r"\mathbb{E}[X^2]-\mathbb{E}[X]^2", shortcut)))


def variance_of_scaled_variable() -> Derivation:
    """000-03, Initialization § Properties of variance: Var[aX] = a² Var[X] (claim variance-of-scaled-variable)."""
    X = generic("X")
    derived = variance(a * X.symbol, [X])
    return compare(a ** 2 * variance(X.symbol, [X]), derived,
                   steps=(equation(r"\operatorname{Var}[aX]", derived),))


def variance_of_independent_sum() -> Derivation:
    """000-04, Initialization § Properties of variance: Var[X + Y] = Var[X] + Var[Y] for independent X, Y
    (claim variance-of-independent-sum)."""
    X, Y = generic("X"), generic("Y")
    derived = variance(X.symbol + Y.symbol, [X, Y])
    return compare(variance(X.symbol, [X]) + variance(Y.symbol, [Y]), derived,
                   steps=(equation(r"\operatorname{Var}[X+Y]", derived),))


def _dropout_sum():
    """Σ_i d_i x_i w_i over FINITE_TERMS inputs, d_i ~ Bernoulli(1 − r), with its masks."""
    masks = [bernoulli(f"d_{k}", 1 - r) for k in range(1, FINITE_TERMS + 1)]
    return sp.Add(*(m.symbol * x[k] * w[k] for k, m in enumerate(masks, start=1))), masks


def dropout_expected_linear_output() -> Derivation:
    """000-05, Initialization § Dropout at evaluation time: E[DO_r(x)ᵀw] = (1 − r) Σ x_i w_i with
    d_i ~ Bernoulli(1 − r) (claim dropout-expected-linear-output); four inputs, term by term."""
    output, masks = _dropout_sum()
    derived = expectation(output, masks)
    return compare((1 - r) * sp.Add(*(x[k] * w[k] for k in range(1, FINITE_TERMS + 1))), derived,
                   steps=(equation(rf"\mathbb{{E}}[{sp.latex(output)}]", derived),))


def dropout_expectation_first_line() -> Derivation:
    """000-05, Initialization § Dropout at evaluation time, the derivation's first line
    E[DO_r(x)ᵀw] = Σ_i d_i x_i w_i (claim dropout-expectation-first-line): the random sum in place of its
    expectation."""
    output, masks = _dropout_sum()
    return compare(output, expectation(output, masks),
                   steps=(equation(r"\mathbb{E}[DO_r(x)^\top w]", expectation(output, masks)),),
                   note="The line equates a number with a random sum; they differ unless every d_i = 1 − r.")


def dropout_eval_rule_linear_part() -> Derivation:
    """000-06, Initialization § Dropout at evaluation time: before σ, E[DO_r(x)ᵀW + b] = ((1 − r)x)ᵀW + b
    (claim dropout-eval-rule-linear-part), one unit of four inputs."""
    output, masks = _dropout_sum()
    bias = sp.Symbol("b", real=True)
    derived = expectation(output + bias, masks)
    stated = sp.Add(*((1 - r) * x[k] * w[k] for k in range(1, FINITE_TERMS + 1))) + bias
    return compare(stated, derived, steps=(equation(r"\mathbb{E}[DO_r(x)^\top w + b]", derived),))


def _neuron_moments(weight_scale, weight_variance):
    """E and Var of f(x) = Σ_{i=1}^d x_i w_i s with fixed x and independent w_i of mean 0, variance v, by
    weighted_sum_variance (coefficients x_i s)."""
    var, steps = weighted_sum_variance(x[i] * weight_scale, weight_variance, i, d)
    return var, steps


def unit_normal_init_output_moments() -> Derivation:
    """000-10, Initialization § Scaled initialization: w_i ~ N(0, 1), f(x) = Σ x_i w_i: E[f(x)] = 0 and
    Var[f(x)] = Σ x_i² (claim unit-normal-init-output-moments)."""
    W = normal("w", 0, 1)
    mean = compare(0, expectation(x[i] * W.symbol, [W]),
                   steps=(equation(r"\mathbb{E}[f(x)] = \sum_i x_i \mathbb{E}[w_i]", 0),))
    var, steps = _neuron_moments(1, variance(W.symbol, [W]))
    return all_of((mean, compare(sp.Sum(x[i] ** 2, (i, 1, d)), var, steps=steps)))


def scaled_init_output_variance() -> Derivation:
    """000-11, Initialization § Scaled initialization: Var[Σ x_i w_i (1/√d)] = (1/d) Σ x_i², w_i ~ N(0, 1)
    (claim scaled-init-output-variance)."""
    var, steps = _neuron_moments(1 / sp.sqrt(d), 1)
    return compare(sp.Sum(x[i] ** 2, (i, 1, d)) / d, var, steps=steps)


def scaled_init_variance_first_build() -> Derivation:
    """000-11, Initialization § Scaled initialization, the first build's middle expression
    (1/d) Σ Var[x_i²] w_i² (claim scaled-init-variance-first-build): x is fixed, so Var[x_i²] = 0 and the
    expression is 0, against the variance (1/d) Σ x_i²."""
    var, steps = _neuron_moments(1 / sp.sqrt(d), 1)
    written = sp.Sum(variance(x[i] ** 2, []) * w[i] ** 2, (i, 1, d)) / d  # x fixed: no random variable
    return compare(written, var, steps=(*steps, equation(
        r"\tfrac{1}{d}\sum_i \operatorname{Var}[x_i^2] w_i^2", written.doit())))


def scaled_init_variance_middle_line() -> Derivation:
    """000-11, Initialization § Scaled initialization, the second build's middle line
    Σ Var[x_i w_i (1/√d)] = Σ x_i² (1/√d)² Var[w_i] (claim scaled-init-variance-middle-line)."""
    W = normal("w_i", 0, 1)
    term = variance(x[i] * W.symbol / sp.sqrt(d), [W])
    return compare(sp.Sum(x[i] ** 2 / d * variance(W.symbol, [W]), (i, 1, d)), sp.Sum(term, (i, 1, d)),
                   steps=(equation(r"\operatorname{Var}[x_i w_i / \sqrt{d}]", term),))


def relu_second_moment(v) -> sp.Expr:
    """E[max(z, 0)²] for z ~ N(0, v): ∫_0^∞ z² φ_v(z) dz = v/2, the half that He et al.'s factor 2 restores."""
    z = sp.Symbol("z", real=True)
    return sp.simplify(sp.integrate(z ** 2 * sp.exp(-z ** 2 / (2 * v)) / sp.sqrt(2 * sp.pi * v), (z, 0, sp.oo)))


def kaiming_init_variance() -> Derivation:
    """000-12, Initialization § Scaled initialization: Kaiming/He w_ij ~ N(0, 1/√d), the second argument read
    as a standard deviation as the claim does (kaiming-init-vs-torch). He: the weight variance v that keeps a
    ReLU layer's pre-activation variance, d·v·E[relu(z)²] = Var z, so v = 2/d."""
    v, s = sp.Symbol("v", positive=True), sp.Symbol("s", positive=True)
    half = relu_second_moment(s)
    (he,) = sp.solve(sp.Eq(d * v * half, s), v)
    return compare((1 / sp.sqrt(d)) ** 2, he, steps=(
        equation(r"\mathbb{E}[\max(z,0)^2]", half), equation(r"d\,v\,\tfrac{s}{2} = s \Rightarrow v", he)))


def xavier_init_variance() -> Derivation:
    """000-12, Initialization § Scaled initialization: Xavier/Glorot w_ij ~ N(0, √(2/(d + e))), the second
    argument a standard deviation (claim xavier-init-vs-torch): the compromise of the forward (d v = 1) and
    backward (e v = 1) conditions, ((d + e)/2) v = 1."""
    v = sp.Symbol("v", positive=True)
    (glorot,) = sp.solve(sp.Eq((d + e) / 2 * v, 1), v)
    return compare(sp.sqrt(2 / (d + e)) ** 2, glorot, steps=(equation(r"\tfrac{d+e}{2} v = 1 \Rightarrow v", glorot),))


def uniform_index_mean(term: sp.IndexedBase) -> Derivation:
    """E_i[t_i] for i ~ Uniform{1, …, N} is Σ_i (1/N) t_i, the mean (1/N) Σ t_i the slides call Loss."""
    derived = sp.Sum(term[i] / N, (i, 1, N))
    return compare(sp.Sum(term[i], (i, 1, N)) / N, derived,
                   steps=(equation(r"\mathbb{E}_i[t_i] = \sum_{i=1}^N p(i)\, t_i", derived),))


def sampled_example_loss_unbiased() -> Derivation:
    """000-14, Initialization § Estimating loss: E_i[(f(x_i, w) − y_i)²] = (1/N) Σ_i (f(x_i, w) − y_i)² = Loss
    for i ~ Uniform(1, N) (claim sampled-example-loss-unbiased)."""
    return uniform_index_mean(sp.IndexedBase("ell"))


def expectation_of_index_line() -> Derivation:
    """000-14, Initialization § Estimating loss, the line E[X] = Σ_{i=1}^N P(X = i) X for X ~ Uniform{1, …, N}
    (claim expectation-of-index-line): the random X in place of the index i."""
    X = sp.Symbol("X", positive=True)
    written = sp.Sum(X / N, (i, 1, N)).doit()
    derived = sp.Sum(i / N, (i, 1, N)).doit()
    return compare(written, derived, steps=(equation(r"\sum_{i=1}^N P(X=i)\, X", written),
                                            equation(r"\mathbb{E}[X] = \sum_{i=1}^N P(X=i)\, i", sp.factor(derived))))


def sampled_example_gradient_unbiased() -> Derivation:
    """000-15, Initialization § Estimating gradients: E[∇_w Loss(w, x_i, y_i)] = ∇_w Loss(w, X, y), i uniform
    (claim sampled-example-gradient-unbiased); the gradient of a mean is the mean of the gradients."""
    return uniform_index_mean(sp.IndexedBase("g"))


def mean_of_draws_variance(draws, population_variance) -> tuple[sp.Expr, tuple[str, ...]]:
    """Var of the mean of ``draws`` i.i.d. draws of variance σ²: Σ_{i=1}^n (1/n)² σ² = σ²/n."""
    var, steps = weighted_sum_variance(1 / draws, population_variance, i, draws)
    return var.doit(), (*steps, equation(r"\operatorname{Var}", var.doit()))


def minibatch_mean_variance_iid() -> Derivation:
    """000-16, Initialization § Minibatch SGD: Var[(1/B) Σ ∇Loss(w, x_{b_i}, y_{b_i})] = (1/B) Var[∇Loss], read
    with i.i.d. indices b_i (claims minibatch-mean-gradient-variance and minibatch-variance-middle-line,
    reading "with replacement"); the mean is unbiased by linearity (000-15)."""
    var, steps = mean_of_draws_variance(B, sigma2)
    return compare(sigma2 / B, var, steps=steps)


def minibatch_mean_variance_subset() -> Derivation:
    """000-16, Initialization § Minibatch SGD, read as a random subset of B distinct examples (reading
    "without replacement" of minibatch-mean-gradient-variance): Var = (σ²/B)(N − B)/(N − 1), not σ²/B."""
    var, steps = subset_mean_variance(sigma2, B, N)
    return compare(sigma2 / B, var, steps=steps, note="B distinct examples of N.")


# --- 001: "Lecture 7: Optimization III" slides ------------------------------------------------------

def sgd_randomized_rule_unbiased() -> Derivation:
    """001-06, Optimization III § Stochastic Gradient Descent: E[∇f_{i_k}(x)] = ∇f(x) for i_k uniform over
    {1, …, m}, f = (1/m) Σ f_i (claim sgd-randomized-rule-unbiased)."""
    return uniform_index_mean(sp.IndexedBase("g"))


def minibatch_subset_unbiased() -> Derivation:
    """001-07, Optimization III § Mini-batch SGD: E[(1/b) Σ_{i∈I_k} ∇f_i(x)] = ∇f(x) for a random subset
    |I_k| = b of {1 … m} (claim minibatch-gradient-unbiased): each i is in I_k with probability b/m."""
    g = sp.IndexedBase("g")
    derived = sp.Sum(B / N * g[i], (i, 1, N)) / B
    return compare(sp.Sum(g[i], (i, 1, N)) / N, derived, steps=(
        equation(r"\mathbb{E}\Big[\tfrac{1}{b}\sum_{i \in I_k} g_i\Big] = \tfrac{1}{b}\sum_i P(i \in I_k)\, g_i",
                 derived),), note="b written B, m written N.")


def momentum_effective_learning_rate() -> Derivation:
    """001-10, Optimization III § Momentum: m_t = β m_{t−1} + g_{t−1}, θ_t = θ_{t−1} − η m_t has effective
    learning rate η/(1 − β) (claim momentum-effective-learning-rate): under a constant gradient g,
    m_t = g(1 − β^t)/(1 − β), whose limit (the fixed point of m = βm + g, |β| < 1) gives steps η g/(1 − β)."""
    beta, eta, g, t = sp.Symbol("beta", positive=True), sp.Symbol("eta", positive=True), sp.Symbol("g"), sp.Symbol("t")
    partial = g * geometric_sum(beta, t)
    limit = eta * fixed_point(beta, 1)
    return compare(eta / (1 - beta), limit, steps=(
        equation(r"m_t", partial), equation(r"\lim_{t\to\infty} \eta\, m_t / g", limit)),
        note="|β| < 1.")


def ridge_closed_form() -> Derivation:
    """001-17, Optimization III § Ridge Regression: the minimizer of ‖Xw − y‖² + λ‖w‖² is
    ŵ = (XᵀX + λI)⁻¹Xᵀy, and its first line ½∇L_λ(w) = XᵀXw − Xᵀy + λw (claims ridge-closed-form and
    ridge-half-gradient-first-line), for a symbolic 3×2 X."""
    lam = sp.Symbol("lambda", positive=True)
    X = sp.Matrix(3, 2, lambda row, col: sp.Symbol(f"x_{row + 1}{col + 1}", real=True))
    y = sp.Matrix(3, 1, lambda row, _: sp.Symbol(f"y_{row + 1}", real=True))
    wv = sp.Matrix(2, 1, lambda row, _: sp.Symbol(f"w_{row + 1}", real=True))
    loss = ((X * wv - y).T * (X * wv - y))[0] + lam * (wv.T * wv)[0]
    gradient = sp.Matrix([sp.diff(loss, v) for v in wv])
    half = compare(X.T * X * wv - X.T * y + lam * wv, gradient / 2,
                   steps=(equation(r"\tfrac{1}{2}\nabla L_\lambda(w)", r"X^\top X w - X^\top y + \lambda w"),))
    (solution,) = sp.solve(list(gradient), list(wv), dict=True).__iter__()
    derived = wv.subs(solution)
    closed = compare((X.T * X + lam * sp.eye(2)).inv() * X.T * y, derived,
                     steps=(equation(r"\nabla L_\lambda(\hat w) = 0 \Rightarrow \hat w",
                                     r"(X^\top X + \lambda I)^{-1} X^\top y"),))
    return all_of((half, closed), note="X symbolic 3×2, λ > 0.")


def weight_decay_update() -> Derivation:
    """001-18, Optimization III § Ridge regression: gradient descent on L + λ‖w‖² is
    w_{t+1} = w_t − η(∇L(w_t) + 2λw_t) = (1 − 2ηλ)w_t − η∇L(w_t) (claims weight-decay-first-line and
    weight-decay-update), per coordinate with g = ∂L/∂w."""
    eta, lam, wt, g = sp.Symbol("eta"), sp.Symbol("lambda"), sp.Symbol("w_t"), sp.Symbol("g")
    gradient = g + sp.diff(lam * wt ** 2, wt)
    step = wt - eta * gradient
    first = compare(wt - eta * (g + 2 * lam * wt), step, steps=(equation(r"\nabla L_\lambda(w_t)", gradient),))
    final = compare((1 - 2 * eta * lam) * wt - eta * g, step, steps=(equation(r"w_{t+1}", step),))
    return all_of((first, final))


def dropout_test_time_scaling() -> Derivation:
    """001-20, Optimization III § Dropout: with keep probability p, E[Σ_j w_j m_j h_j] = Σ_j (p w_j) h_j, the
    weights multiplied by p at test time (claim dropout-test-time-scaling), four units, term by term."""
    masks = [bernoulli(f"m_{k}", p) for k in range(1, FINITE_TERMS + 1)]
    h = sp.IndexedBase("h")
    output = sp.Add(*(w[k] * m.symbol * h[k] for k, m in enumerate(masks, start=1)))
    derived = expectation(output, masks)
    return compare(sp.Add(*(p * w[k] * h[k] for k in range(1, FINITE_TERMS + 1))), derived,
                   steps=(equation(rf"\mathbb{{E}}[{sp.latex(output)}]", derived),))


def init_output_moments() -> Derivation:
    """001-23, Optimization III § Initialization: o = Σ_{i=1}^{n_in} w_i x_i, w_i ~ N(0, σ²), E[x_i] = 0,
    V[x_i] = γ², independent: E[o] = 0, V[o] = n_in σ² γ² (claim init-output-moments)."""
    gamma2 = sp.Symbol("gamma^2", positive=True)
    W, Xi = normal("w_i", 0, sigma2), generic("x_i", mean=0, variance=gamma2)
    term_mean = expectation(W.symbol * Xi.symbol, [W, Xi])
    term_var = variance(W.symbol * Xi.symbol, [W, Xi])
    var, steps = weighted_sum_variance(1, term_var, i, n)
    mean = compare(0, n * term_mean, steps=(equation(r"\mathbb{E}[w_i x_i]", term_mean),))
    return all_of((mean, compare(n * sigma2 * gamma2, var.doit(), steps=(
        equation(r"\operatorname{Var}[w_i x_i]", term_var), *steps))), note="n_in written n.")


def init_scheme_output_variance() -> Derivation:
    """001-24, Optimization III § Initialization: LeCun σ² = 1/n_in, Xavier 2/(n_in + n_out), He 2/n_in give
    V[o] = n_in σ² γ² = γ², 2 n_in γ²/(n_in + n_out), 2γ² (claim init-scheme-output-variance)."""
    gamma2, n_out = sp.Symbol("gamma^2", positive=True), sp.Symbol("m", integer=True, positive=True)
    schemes = {"LeCun": (1 / n, gamma2), "Xavier": (2 / (n + n_out), 2 * n * gamma2 / (n + n_out)),
               "He": (2 / n, 2 * gamma2)}
    return all_of(tuple(compare(stated, n * weight_variance * gamma2,
                                steps=(equation(rf"\text{{{name}: }} n \sigma^2 \gamma^2", n * weight_variance * gamma2),))
                        for name, (weight_variance, stated) in schemes.items()), note="n_in written n, n_out m.")


def standardized_features() -> Derivation:
    """001-25, Optimization III § Data Preprocessing: X −= mean(X); X /= std(X) gives mean 0 and variance 1
    (claim standardize-features), for a symbolic column of four values (std the population one, > 0)."""
    values = sp.symbols("x_1:5", real=True)
    centre = _mean_of(values)
    spread = sp.Symbol("s", positive=True)
    scaled = [(v - centre) / spread for v in values]
    spread_value = sp.sqrt(_mean_of([(v - centre) ** 2 for v in values]))
    mean = compare(0, _mean_of(scaled), steps=(equation(r"\operatorname{mean}(\hat x)", sp.simplify(_mean_of(scaled))),))
    second = _mean_of([z ** 2 for z in scaled]).subs(spread, spread_value)
    unit = compare(1, second, steps=(equation(r"\operatorname{mean}(\hat x^2)", sp.simplify(second)),))
    return all_of((mean, unit))


def _batch_norm_identity(eps) -> Derivation:
    """y = γx̂ + β with γ = √Var[x], β = E[x], x̂ = (x − μ_B)/√(σ_B² + ε), against the identity y = x."""
    xv, mu, var = sp.Symbol("x", real=True), sp.Symbol("mu_B", real=True), sp.Symbol("sigma_B^2", positive=True)
    y = sp.sqrt(var) * (xv - mu) / sp.sqrt(var + eps) + mu
    return compare(xv, y, steps=(equation(r"\gamma \hat x + \beta", y),))


def batch_norm_identity_recovery() -> Derivation:
    """001-26, Optimization III § Batch Normalization: γ = √Var[x], β = E[x] recover the identity, for the
    slide's x̂ = (x − E[x])/√Var[x] (claim batch-norm-identity-recovery, reading "normalization without ε")."""
    return _batch_norm_identity(0)


def batch_norm_identity_with_eps() -> Derivation:
    """001-26, the same with the algorithm's x̂ = (x − μ_B)/√(σ_B² + ε) (reading "normalization with ε"):
    y − x = (x − μ_B)(√σ_B²/√(σ_B² + ε) − 1)."""
    return _batch_norm_identity(sp.Symbol("epsilon", positive=True))


# --- 002: "Lecture 12" notes -------------------------------------------------------------------------

def lecture12_init_output_variance() -> Derivation:
    """002-01, Lecture 12 § TRAIN: W_ij ~ N(0, σ²/m_l) gives Var o = (σ²/m_l) Σ x_i² for fixed inputs
    (claim lecture12-init-output-variance, its precise form)."""
    m = sp.Symbol("m_l", integer=True, positive=True)
    var, steps = weighted_sum_variance(x[i], sigma2 / m, i, m)
    return compare(sigma2 / m * sp.Sum(x[i] ** 2, (i, 1, m)), var, steps=steps)


def minibatch_noise_moments() -> Derivation:
    """002-02, Lecture 12 § Stochastic Grad Descent: g_B = g + ε, Var(ε) = σ²/n' and std(ε) = σ/√n', i.i.d.
    indices (claims minibatch-noise-variance and minibatch-noise-std, reading "with replacement")."""
    var, steps = mean_of_draws_variance(B, sigma2)
    return all_of((compare(sigma2 / B, var, steps=steps),
                   compare(sp.sqrt(sigma2) / sp.sqrt(B), sp.sqrt(var), steps=(equation(r"\operatorname{std}", sp.sqrt(var)),))),
                  note="n' written B.")


def minibatch_noise_moments_subset() -> Derivation:
    """002-02, the same for a minibatch of n' distinct examples (reading "without replacement")."""
    var, steps = subset_mean_variance(sigma2, B, N)
    return compare(sigma2 / B, var, steps=steps, note="n' written B, n written N.")


def _heavy_ball_gradients(count):
    return sp.symbols(f"g_0:{count}")


def heavy_ball_unrolled() -> Derivation:
    """002-05, Lecture 12 § Heavy Ball/Momentum: the step of w^{t+1} = w^t − ηg^t + (1 − η)(w^t − w^{t−1})
    unrolls into −η{g^t + (1 − η)g^{t−1} + (1 − η)²g^{t−2} + …} (claim heavy-ball-unrolled), from rest, by
    substitution over five steps (the step Δ_{t+1} = (1 − η)Δ_t − ηg^t is x_t = a x_{t−1} + u_t)."""
    eta = sp.Symbol("eta")
    g = _heavy_ball_gradients(5)
    derived = unroll(1 - eta, [-eta * gk for gk in g], 0)
    stated = -eta * sp.Add(*((1 - eta) ** k * g[-1 - k] for k in range(len(g))))
    return compare(stated, derived, steps=(equation(r"w^{5} - w^{4}", sp.factor_terms(derived)),))


def heavy_ball_derivation_step() -> Derivation:
    """002-05, Lecture 12 § Heavy Ball/Momentum, the derivation's line w^t − w^{t−1} = ηg^{t−1} +
    (1 − η)(w^{t−1} − w^{t−2}) (claim heavy-ball-derivation-step), against the second form's step."""
    eta, g, previous = sp.Symbol("eta"), sp.Symbol("g^{t-1}"), sp.Symbol(r"\Delta_{t-1}")
    return compare(eta * g + (1 - eta) * previous, -eta * g + (1 - eta) * previous,
                   steps=(equation(r"w^t - w^{t-1}", -eta * g + (1 - eta) * previous),))


def _heavy_ball_forms(renamed: bool) -> Derivation:
    """The first heavy-ball form w − γηg + (1 − γ)Δ against the second w − η'g' + (1 − η')Δ, the second's η'
    read as the same η, or as γ with g' = ηg (η absorbed into the gradient)."""
    eta, gamma, g, wt, delta = sp.symbols(r"eta gamma g w^t \Delta")
    first = wt - gamma * eta * g + (1 - gamma) * delta
    second_eta, second_g = (gamma, eta * g) if renamed else (eta, g)
    second = wt - second_eta * second_g + (1 - second_eta) * delta
    return compare(second, first, steps=(equation(r"w^{t+1}", first),))


def heavy_ball_second_form_same_eta() -> Derivation:
    """002-05, Lecture 12 § Heavy Ball/Momentum: "written also as" w^{t+1} = w^t − ηg^t + (1 − η)(w^t − w^{t−1})
    (claim heavy-ball-second-form, reading "same η")."""
    return _heavy_ball_forms(renamed=False)


def heavy_ball_second_form_renamed() -> Derivation:
    """002-05, the same with the second line's η standing for γ and the gradient carrying η (reading "η renamed")."""
    return _heavy_ball_forms(renamed=True)


# --- 003: "11-685 Intro to Deep Learning - Training" notes --------------------------------------------

def _quadratic():
    wv, a_pos = sp.Symbol("w", real=True), sp.Symbol("a", positive=True)
    return wv, a_pos, a_pos * wv ** 2 + b * wv + c


def optimal_step_size() -> Derivation:
    """003-04, Training § 4.4: the one-step optimal step is η_opt = [E''(w)]⁻¹ (claim optimal-step-size), by
    exact line search on E = aw² + bw + c."""
    wv, a_pos, E = _quadratic()
    step = line_search_step(E, wv)
    return compare(1 / sp.diff(E, wv, 2), step, steps=(
        equation(r"w_{\min}", quadratic_minimizer(E, wv)), equation(r"\arg\min_\eta E(w - \eta E'(w))", step)))


def optimal_step_size_value() -> Derivation:
    """003-04, Training § 4.4: for ax² + bx + c the optimal step is a⁻¹ = 1/a (claim optimal-step-size-value)."""
    wv, a_pos, E = _quadratic()
    step = line_search_step(E, wv)
    return compare(1 / a_pos, step, steps=(equation(r"E''", sp.diff(E, wv, 2)),
                                           equation(r"\arg\min_\eta E(w - \eta E'(w))", step)))


def _regime_thresholds(eta_opt):
    """η at which gradient descent on aw² + bw + c stops converging (error factor 1 − 2aη = −1) and starts
    oscillating (factor 0 → negative), in units of the given η_opt."""
    eta = sp.Symbol("eta", positive=True)
    _, a_pos, _ = _quadratic()
    factor = 1 - 2 * a_pos * eta
    (diverge,) = sp.solve(sp.Eq(factor, -1), eta)
    (oscillate,) = sp.solve(sp.Eq(factor, 0), eta)
    steps = (equation(r"w_k - w^*", sp.Symbol(r"(1 - 2a\eta)^k (w_0 - w^*)")),
             equation(r"|1 - 2a\eta| < 1 \iff \eta <", diverge), equation(r"1 - 2a\eta < 0 \iff \eta >", oscillate))
    return all_of((compare(2 * eta_opt(a_pos), diverge, steps=steps), compare(eta_opt(a_pos), oscillate)))


def step_size_regimes() -> Derivation:
    """003-05, Training § 4.5: convergence for η < 2η_opt, oscillation for η_opt < η < 2η_opt, divergence above,
    with η_opt = [E'']⁻¹ = 1/(2a) for ax² + bx + c (claim step-size-regimes, reading "η_opt = 1/E''")."""
    return _regime_thresholds(lambda a_pos: 1 / (2 * a_pos))


def step_size_regimes_one_over_a() -> Derivation:
    """003-05, the same with η_opt = 1/a, section 4.4's value (reading "η_opt = 1/a")."""
    return _regime_thresholds(lambda a_pos: 1 / a_pos)


def optimal_step_eigendirections() -> Derivation:
    """003-06, Training § 4.6.1: along an eigenvector of the Hessian with eigenvalue λ_i, E = ½λ_i u² + const
    and the optimal step is 1/λ_i (claim optimal-step-eigendirections)."""
    u, lam = sp.Symbol("u", real=True), sp.Symbol("lambda_i", positive=True)
    step = line_search_step(lam * u ** 2 / 2 + c, u)
    return compare(1 / lam, step, steps=(equation(r"\eta_{i,\mathrm{opt}}", step),))


def _diagonal_quadratic():
    """E = ½wᵀAw + wᵀb + c for diagonal A, in two dimensions, and its symbols."""
    a11, a22 = sp.symbols("a_11 a_22", positive=True)
    w1, w2, b1, b2 = sp.symbols("w_1 w_2 b_1 b_2", real=True)
    wv, bv = sp.Matrix([w1, w2]), sp.Matrix([b1, b2])
    return (wv.T * sp.diag(a11, a22) * wv / 2)[0] + (wv.T * bv)[0] + c, (a11, a22, w1, w2, b1, b2)


def diagonal_quadratic_expansion() -> Derivation:
    """003-07, Training § 4.8: for diagonal A, ½wᵀAw + wᵀb + c = ½Σ_i(a_ii w_i² + b_i w_i) + c (claim
    decoupled-quadratic-expansion), in two dimensions."""
    E, (a11, a22, w1, w2, b1, b2) = _diagonal_quadratic()
    return compare((a11 * w1 ** 2 + b1 * w1 + a22 * w2 ** 2 + b2 * w2) / 2 + c, E,
                   steps=(equation(r"\tfrac{1}{2} w^\top A w + w^\top b + c", sp.expand(E)),))


def per_axis_optimal_step() -> Derivation:
    """003-07, Training § 4.8: for diagonal A, η_{i,opt} = a_ii⁻¹ (claim per-axis-optimal-step)."""
    E, (a11, a22, w1, w2, _, _) = _diagonal_quadratic()
    steps = [line_search_step(E.subs(w2, 0), w1), line_search_step(E.subs(w1, 0), w2)]
    return compare(sp.Matrix([1 / a11, 1 / a22]), sp.Matrix(steps),
                   steps=(equation(r"(\eta_{1,\mathrm{opt}}, \eta_{2,\mathrm{opt}})", sp.Matrix(steps).T),))


def empirical_risk_variance() -> Derivation:
    """003-12, Training § 6.2: the empirical risk over N i.i.d. examples has Var(Loss) = (1/N) Var(Div)
    (claims empirical-risk-unbiased and empirical-risk-variance)."""
    var, steps = mean_of_draws_variance(N, sigma2)
    return compare(sigma2 / N, var, steps=steps, note="Var(Div) written σ².")


def minibatch_loss_variance() -> Derivation:
    """003-13, Training § 6.3: Var(Loss) = (1/b) Var(Div) for a minibatch of b examples, reading "over the data
    distribution": the b examples of a random permutation of an i.i.d. training set are themselves i.i.d.
    (claim minibatch-loss-variance)."""
    var, steps = mean_of_draws_variance(B, sigma2)
    return compare(sigma2 / B, var, steps=steps, note="b written B, Var(Div) σ².")


def minibatch_loss_variance_within_training_set() -> Derivation:
    """003-13, reading "within the training set": b distinct examples of the fixed N, Var(Div) the training
    set's own population variance."""
    var, steps = subset_mean_variance(sigma2, B, N)
    return compare(sigma2 / B, var, steps=steps, note="b written B, Var(Div) σ².")


def adam_bias_correction() -> Derivation:
    """003-16, Training § 6.4.3: m_k = δm_{k−1} + (1 − δ)∂D from m_0 = 0 has E[m_k] = (1 − δ^k)E[∂D], so
    m̂_k = m_k/(1 − δ^k) is unbiased, and likewise v̂_k (claims adam-moments-burn-in, adam-bias-correction),
    for stationary derivatives of mean μ and second moment s."""
    delta, gamma, k = sp.Symbol("delta", positive=True), sp.Symbol("gamma", positive=True), sp.Symbol("k")
    mu, second = sp.Symbol("mu"), sp.Symbol("s", positive=True)

    def corrected(rate, moment, name):
        expected = (1 - rate) * moment * geometric_sum(rate, k)
        return compare(moment, expected / (1 - rate ** k), steps=(
            equation(rf"\mathbb{{E}}[{name}_k] = (1-{sp.latex(rate)})\sum_{{j=1}}^k {sp.latex(rate)}^{{k-j}}"
                     rf"\,{sp.latex(moment)}", sp.factor(expected)),))
    return all_of((corrected(delta, mu, "m"), corrected(gamma, second, "v")))


# --- 004: "TTIC 31230 SGD Problems" -----------------------------------------------------------------

def independent_weighted_sum_variance() -> Derivation:
    """004-01, SGD Problems § Problem 1: σ_s² = a²σ_x² + b²σ_y² for s = ax + by, x and y independent
    (claim independent-weighted-sum-variance)."""
    X, Y = generic("x"), generic("y")
    derived = variance(a * X.symbol + b * Y.symbol, [X, Y])
    return compare(a ** 2 * X.moment(2).subs(X.moment(1), 0) + b ** 2 * Y.moment(2).subs(Y.moment(1), 0), derived,
                   steps=(equation(r"\operatorname{Var}[ax + by]", derived),))


def _ema_factor():
    return 1 - 1 / N


def ema_limiting_variance() -> Derivation:
    """004-02, SGD Problems § Problem 1(a): μ̂_t = (1 − 1/N)μ̂_{t−1} + x_t/N, x_t i.i.d. of variance σ_x²:
    lim Var(μ̂_t) = σ_x²/((2 − 1/N)N), which is σ_x² for N = 1 (claims ema-limiting-variance and
    ema-limit-derivation): the stationary variance solves σ² = (1 − 1/N)²σ² + σ_x²/N²."""
    stationary = stationary_covariance(sp.Matrix([[_ema_factor()]]), sp.Matrix([1 / N]), sigma2)[0]
    stated = sigma2 / ((2 - 1 / N) * N)
    limit = compare(stated, stationary, steps=(
        equation(r"\sigma^2_\infty", r"(1 - 1/N)^2 \sigma^2_\infty + \sigma_x^2 / N^2"),
        equation(r"\sigma^2_\infty", stationary)), note="σ_x² written σ²; N ≥ 1, the factor |1 − 1/N| < 1.")
    one = compare(sigma2, stated.subs(N, 1), steps=(equation(r"\sigma^2_\infty\big|_{N=1}", stated.subs(N, 1)),))
    return all_of((limit, one))


def ema_limit_about_half() -> Derivation:
    """004-03, SGD Problems § Problem 1(b): for large N the limit σ_x²/((2 − 1/N)N) is about half of σ_x²/N, the
    variance of a plain average of N values (claims ema-limit-about-half and plain-average-variance): the
    plain average's variance is derived, and the ratio's limit as N → ∞ is 1/2."""
    plain, steps = mean_of_draws_variance(N, sigma2)
    ratio = sp.simplify(sigma2 / ((2 - 1 / N) * N) / plain)
    half = compare(sp.Rational(1, 2), sp.limit(ratio, N, sp.oo),
                   steps=(equation(r"\frac{\sigma^2_\infty}{\sigma_x^2/N}", ratio),
                          equation(r"\lim_{N\to\infty}", sp.limit(ratio, N, sp.oo))),
                   note=f"The exact ratio is {sp.sstr(ratio)} = 1/2 + 1/(2(2N − 1)).")
    return all_of((compare(sigma2 / N, plain, steps=steps), half))


def momentum_sum_limit() -> Derivation:
    """004-04, SGD Problems § Problem 2: y_t = (1 − 1/N)y_{t−1} + x_t tends to Nc for x_t = c, and y_t = Nμ_t for
    the running average μ_t = (1 − 1/N)μ_{t−1} + x_t/N from y_0 = μ_0 = 0 (claims momentum-sum-limit,
    momentum-sum-running-average, momentum-sum-equals-n-mu); the second by substitution over five steps."""
    inputs = sp.symbols("x_1:6")
    limit = compare(N * c, fixed_point(_ema_factor(), c), steps=(equation(r"y_\infty", fixed_point(_ema_factor(), c)),))
    y = unroll(_ema_factor(), inputs, 0)
    mu = unroll(_ema_factor(), [v / N for v in inputs], 0)
    scaled = compare(N * mu, y, steps=(equation(r"y_5", sp.factor_terms(y)),))
    return all_of((limit, scaled))


def bias_corrected_average_constant() -> Derivation:
    """004-05, SGD Problems § Problem 3: y_t = (1 − 1/min(t, N))y_{t−1} + x_t/min(t, N) is c for every t ≥ 1 when
    x_t = c (claim bias-corrected-average-constant), by induction: y_1 = c (m = 1), and y_{t−1} = c gives y_t = c
    for any m = min(t, N) ≥ 1."""
    m, y0 = sp.Symbol("m", positive=True), sp.Symbol("y_0")
    base = compare(c, (1 - sp.Integer(1) / 1) * y0 + c / 1, steps=(equation(r"y_1", c),))
    step = (1 - 1 / m) * c + c / m
    return all_of((base, compare(c, step, steps=(equation(r"y_t\big|_{y_{t-1}=c}", sp.simplify(step)),))))


def second_moment_of_batch_gradient() -> Derivation:
    """004-07, SGD Problems § Problem 4(d): RMSProp/Adam's s_t tends to E[ĝ_B²] = g² + σ²/B, which shrinks as B
    grows and tends to the mean squared g² (claims second-moment-shrinks-with-batch and
    second-moment-large-batch, reading "with replacement")."""
    g = sp.Symbol("g", real=True)
    noise, steps = mean_of_draws_variance(B, sigma2)
    E = generic("hat_g", mean=g, variance=noise)
    second = expectation(E.symbol ** 2, [E])
    shrinks = compare(-sigma2 / B ** 2, sp.diff(second, B),
                      steps=(*steps, equation(r"\mathbb{E}[\hat g_B^2]", second),
                             equation(r"\partial_B \mathbb{E}[\hat g_B^2]", sp.diff(second, B))))
    large = compare(g ** 2, sp.limit(second, B, sp.oo), steps=(equation(r"\lim_{B\to\infty}", g ** 2),))
    return all_of((compare(g ** 2 + sigma2 / B, second), shrinks, large))


def minibatch_covariance() -> Derivation:
    """004-08, SGD Problems § Problem 5: Σ^B[i, j] = (1/B)Σ¹[i, j] for the average of B i.i.d. sampled gradients
    (claim minibatch-covariance, reading "with replacement"); the covariance entry by the same algebra as a
    variance (bilinear in the two coordinates)."""
    entry = sp.Symbol(r"\Sigma^1_{ij}", real=True)
    var, steps = weighted_sum_variance(1 / B, entry, i, B)
    return compare(entry / B, var.doit(), steps=(*steps, equation(r"\Sigma^B_{ij}", var.doit())))


def minibatch_covariance_subset() -> Derivation:
    """004-08, reading "without replacement": B distinct examples of N give (Σ¹/B)(N − B)/(N − 1)."""
    var, steps = subset_mean_variance(sigma2, B, N)
    return compare(sigma2 / B, var, steps=steps, note="Σ¹[i, j] written σ².")


def sgd_stationary_variance(momentum) -> sp.Expr:
    """Stationary Var(w) of torch-style SGD with momentum μ on ½λw², gradient noise of variance Σ^B:
    v_t = μv_{t−1} + λw_{t−1} + ξ_t, w_t = w_{t−1} − ηv_t, i.e. (w, v)_t = A(w, v)_{t−1} + (−η, 1)ξ_t."""
    eta, lam, noise = sp.Symbol("eta", positive=True), sp.Symbol("lambda", positive=True), sp.Symbol("Sigma^B", positive=True)
    A = sp.Matrix([[1 - eta * lam, -eta * momentum], [lam, momentum]])
    return stationary_covariance(A, sp.Matrix([-eta, 1]), noise)[0, 0]


def _temperature(momentum_value, step) -> Derivation:
    """SGD's exact stationary variance at η = step(B, η₀, μ), Σ^B = σ²/B, against the stated temperature
    η₀σ²/(λ(2 − η₀λ)) (plain SGD at B = 1, η = η₀)."""
    eta, lam, noise = sp.Symbol("eta", positive=True), sp.Symbol("lambda", positive=True), sp.Symbol("Sigma^B", positive=True)
    eta0 = sp.Symbol("eta_0", positive=True)
    general = sgd_stationary_variance(momentum_value)
    derived = sp.factor(general.subs({eta: step, noise: sigma2 / B}))
    stated = eta0 * sigma2 / (lam * (2 - eta0 * lam))
    langevin = step * (sigma2 / B) / (2 * (1 - momentum_value) * lam)
    relative = sp.factor(sp.simplify(derived / stated - 1))
    return compare(stated, derived, steps=(
        equation(r"\operatorname{Var}_\infty(w)", general), equation(r"\operatorname{Var}_\infty(w)", derived),
        equation(r"\frac{\text{derived}}{\text{stated}} - 1", relative),
        equation(r"\text{Langevin: } \frac{\eta \Sigma^B}{2(1-\mu)\lambda}", sp.simplify(langevin))),
        note="Exact for SGD itself; the Langevin dynamics' variance ηΣ^B/(2(1 − μ)λ) is η₀σ²/(2λ), independent of "
             "B and μ, and the exact one approaches it as η₀λ → 0. Σ^B = σ²/B (independent draws).")


def sgd_temperature_batch_size() -> Derivation:
    """004-09, SGD Problems § Problem 5: with η = Bη₀ the stationary distribution of batched SGD is determined
    by η₀, independent of B (claim sgd-temperature-batch-size, its stated temperature η₀σ²/(λ(2 − η₀λ)))."""
    eta0 = sp.Symbol("eta_0", positive=True)
    return _temperature(0, B * eta0)


def sgd_temperature_momentum() -> Derivation:
    """004-10, SGD Problems § Problem 6: with momentum μ, η = (1 − μ)Bη₀ yields a temperature determined by η₀,
    independent of μ and B (claim sgd-temperature-momentum)."""
    eta0, mu = sp.Symbol("eta_0", positive=True), sp.Symbol("mu", positive=True)
    return _temperature(mu, (1 - mu) * B * eta0)


def weighted_gradient_sum_covariance() -> Derivation:
    """004-11, SGD Problems § Problem 6: ΔΦ = Σ_i α_i ĝ_i with i.i.d. ĝ_i of covariance Σ_g has
    Σ_ΔΦ = (Σ_i α_i)Σ_g (claim weighted-gradient-sum-covariance); one entry of Σ_g written σ²."""
    var, steps = weighted_sum_variance(alpha[i], sigma2, i, n)
    return compare(sp.Sum(alpha[i], (i, 1, n)) * sigma2, var, steps=steps)


DERIVATIONS: dict[str, Callable[[], Derivation]] = {
    "000-01": linearity_of_expectation,
    "000-02": variance_shortcut,
    "000-03": variance_of_scaled_variable,
    "000-04": variance_of_independent_sum,
    "000-05": dropout_expected_linear_output,
    "000-05 first line": dropout_expectation_first_line,
    "000-06": dropout_eval_rule_linear_part,
    "000-10": unit_normal_init_output_moments,
    "000-11": scaled_init_output_variance,
    "000-11 first build": scaled_init_variance_first_build,
    "000-11 middle line": scaled_init_variance_middle_line,
    "000-12 Kaiming": kaiming_init_variance,
    "000-12 Xavier": xavier_init_variance,
    "000-14": sampled_example_loss_unbiased,
    "000-14 index line": expectation_of_index_line,
    "000-15": sampled_example_gradient_unbiased,
    "000-16": minibatch_mean_variance_iid,
    "000-16 without replacement": minibatch_mean_variance_subset,
    "001-06": sgd_randomized_rule_unbiased,
    "001-07": minibatch_subset_unbiased,
    "001-10": momentum_effective_learning_rate,
    "001-17": ridge_closed_form,
    "001-18": weight_decay_update,
    "001-20": dropout_test_time_scaling,
    "001-23": init_output_moments,
    "001-24": init_scheme_output_variance,
    "001-25": standardized_features,
    "001-26": batch_norm_identity_recovery,
    "001-26 with eps": batch_norm_identity_with_eps,
    "002-01": lecture12_init_output_variance,
    "002-02": minibatch_noise_moments,
    "002-02 without replacement": minibatch_noise_moments_subset,
    "002-05": heavy_ball_unrolled,
    "002-05 derivation step": heavy_ball_derivation_step,
    "002-05 second form, same eta": heavy_ball_second_form_same_eta,
    "002-05 second form, eta renamed": heavy_ball_second_form_renamed,
    "003-04": optimal_step_size,
    "003-04 value": optimal_step_size_value,
    "003-05": step_size_regimes,
    "003-05 eta_opt = 1/a": step_size_regimes_one_over_a,
    "003-06": optimal_step_eigendirections,
    "003-07 expansion": diagonal_quadratic_expansion,
    "003-07": per_axis_optimal_step,
    "003-12": empirical_risk_variance,
    "003-13": minibatch_loss_variance,
    "003-13 within the training set": minibatch_loss_variance_within_training_set,
    "003-16": adam_bias_correction,
    "004-01": independent_weighted_sum_variance,
    "004-02": ema_limiting_variance,
    "004-03": ema_limit_about_half,
    "004-04": momentum_sum_limit,
    "004-05": bias_corrected_average_constant,
    "004-07": second_moment_of_batch_gradient,
    "004-08": minibatch_covariance,
    "004-08 without replacement": minibatch_covariance_subset,
    "004-09": sgd_temperature_batch_size,
    "004-10": sgd_temperature_momentum,
    "004-11": weighted_gradient_sum_covariance,
}

# The catalogue claim (and reading, after " / ") whose stated formula each key derives.
CLAIMS: dict[str, tuple[str, ...]] = {
    "000-01": ("expectation-of-scaled-variable", "expectation-of-sum"),
    "000-02": ("variance-shortcut",),
    "000-03": ("variance-of-scaled-variable",),
    "000-04": ("variance-of-independent-sum",),
    "000-05": ("dropout-expected-linear-output",),
    "000-05 first line": ("dropout-expectation-first-line",),
    "000-06": ("dropout-eval-rule-linear-part",),
    "000-10": ("unit-normal-init-output-moments",),
    "000-11": ("scaled-init-output-variance",),
    "000-11 first build": ("scaled-init-variance-first-build",),
    "000-11 middle line": ("scaled-init-variance-middle-line",),
    "000-12 Kaiming": ("kaiming-init-vs-torch",),
    "000-12 Xavier": ("xavier-init-vs-torch",),
    "000-14": ("sampled-example-loss-unbiased",),
    "000-14 index line": ("expectation-of-index-line",),
    "000-15": ("sampled-example-gradient-unbiased",),
    "000-16": ("minibatch-mean-gradient-variance / with replacement", "minibatch-variance-middle-line / with replacement"),
    "000-16 without replacement": ("minibatch-mean-gradient-variance / without replacement",
                                   "minibatch-variance-middle-line / without replacement"),
    "001-06": ("sgd-randomized-rule-unbiased",),
    "001-07": ("minibatch-gradient-unbiased",),
    "001-10": ("momentum-effective-learning-rate",),
    "001-17": ("ridge-closed-form", "ridge-half-gradient-first-line"),
    "001-18": ("weight-decay-first-line", "weight-decay-update"),
    "001-20": ("dropout-test-time-scaling / p = keep probability",),
    "001-23": ("init-output-moments",),
    "001-24": ("init-scheme-output-variance",),
    "001-25": ("standardize-features / floating-point features that vary",),
    "001-26": ("batch-norm-identity-recovery / normalization without ε",),
    "001-26 with eps": ("batch-norm-identity-recovery / normalization with ε",),
    "002-01": ("lecture12-init-output-variance",),
    "002-02": ("minibatch-noise-variance / with replacement", "minibatch-noise-std / with replacement"),
    "002-02 without replacement": ("minibatch-noise-variance / without replacement",
                                   "minibatch-noise-std / without replacement"),
    "002-05": ("heavy-ball-unrolled",),
    "002-05 derivation step": ("heavy-ball-derivation-step",),
    "002-05 second form, same eta": ("heavy-ball-second-form / same η",),
    "002-05 second form, eta renamed": ("heavy-ball-second-form / η renamed",),
    "003-04": ("optimal-step-size",),
    "003-04 value": ("optimal-step-size-value",),
    "003-05": ("step-size-regimes / η_opt = 1/E''",),
    "003-05 eta_opt = 1/a": ("step-size-regimes / η_opt = 1/a",),
    "003-06": ("optimal-step-eigendirections",),
    "003-07 expansion": ("decoupled-quadratic-expansion",),
    "003-07": ("per-axis-optimal-step",),
    "003-12": ("empirical-risk-unbiased", "empirical-risk-variance"),
    "003-13": ("minibatch-loss-variance / over the data distribution",),
    "003-13 within the training set": ("minibatch-loss-variance / within the training set",),
    "003-16": ("adam-moments-burn-in", "adam-bias-correction"),
    "004-01": ("independent-weighted-sum-variance",),
    "004-02": ("ema-limiting-variance", "ema-limit-derivation"),
    "004-03": ("ema-limit-about-half", "plain-average-variance"),
    "004-04": ("momentum-sum-limit", "momentum-sum-running-average", "momentum-sum-equals-n-mu"),
    "004-05": ("bias-corrected-average-constant",),
    "004-07": ("second-moment-shrinks-with-batch / with replacement", "second-moment-large-batch / with replacement"),
    "004-08": ("minibatch-covariance / with replacement",),
    "004-08 without replacement": ("minibatch-covariance / without replacement",),
    "004-09": ("sgd-temperature-batch-size",),
    "004-10": ("sgd-temperature-momentum",),
    "004-11": ("weighted-gradient-sum-covariance",),
}

LEFT_OUT: dict[str, str] = {
    "000-06 after activation": "dropout-eval-rule-after-activation claims an inequality (E[σ(z)] ≠ σ(E z) for a "
                               "nonlinear σ), not a closed form; a Derivation records equalities",
    "001-04": "∇f = XᵀXw − Xᵀy is the ridge first line at λ = 0 (001-17); the Lipschitz constant and iteration "
              "count are bounds, for the PEP part",
    "001-17 norm decreasing": "ridge-norm-decreasing is a monotonicity (an inequality in λ), not an equality",
    "003-01": "the Jacobian chain rule is an identity of derivatives of arbitrary maps, not of a closed form; the "
              "measured check compares autograd",
    "003-02": "the backpropagation equations hold for arbitrary layers; a symbolic version would need a network "
              "of symbolic functions, not done here",
    "003-09": "momentum's steps lengthening or shortening is qualitative; its constant-gradient limit is 001-10",
    "004-06": "that grad2 cannot be computed from the averaged gradient is an impossibility claim, not an equality",
    "004-08 derivation lines": "minibatch-covariance-derivation reads each printed line of the solution; only the "
                               "final line (the row's statement) is derived",
}

# The derived formula as a function of a claim's point, where the claim computes it (an alternative): it
# measures how large a disproof is where the Monte Carlo check confirmed the stated formula.
VALUES: dict[str, Callable] = {
    "004-09": exact_stationary_variance,
    "004-10": exact_stationary_variance,
}


def exact_entries() -> dict[str, list[Exact]]:
    """Each catalogue claim's derivations, by claim id (from CLAIMS: "claim-id" or "claim-id / reading")."""
    entries: dict[str, list[Exact]] = {}
    for key, targets in CLAIMS.items():
        for target in targets:
            claim_id, _, reading = target.partition(" / ")
            entries.setdefault(claim_id, []).append(Exact(key, DERIVATIONS[key], reading or None, VALUES.get(key)))
    return entries
