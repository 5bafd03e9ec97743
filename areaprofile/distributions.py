"""Tails, quantiles and an exact interval of the count distributions the pages test against, in
plain Python: Poisson, binomial, negative binomial, and the normal's upper tail.

Why not scipy: importing ``scipy.special`` adds 13 MiB to the server (and ``scipy.ndimage`` and
``scipy.sparse`` 3 more), which kept the served app's peak memory above its 300 MiB budget
(issue 12). The figures here equal scipy's to about 1e-12 (the tests compare them on counts like
the dashboard's, far tails included).

How: a tail is summed term by term from the end that is small, starting from the term's logarithm
(``math.lgamma``) and stepping with the ratio of neighbouring terms, so a tail of 1e-40 keeps its
relative precision and the larger side is never got by subtracting two nearly equal numbers. A
sum stops when its terms fall and the next one no longer changes it.
"""

from __future__ import annotations

import math
from statistics import NormalDist
from typing import Callable

#: A term this much smaller than the sum so far leaves a double unchanged.
_NEGLIGIBLE = 1e-17
_LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)


def _sum_terms(log_first: float, ratio: Callable[[int], float], first: int, last: int | None, step: int) -> float:
    """exp(log_first) + the terms after it, index ``first`` stepping by ``step`` up to ``last``
    (None: no end), each the one before times ``ratio(index of the one before)``.

    Stops early once the terms fall and one no longer changes the sum."""
    term = math.exp(log_first)
    total = 0.0
    index = first
    while True:
        total += term
        if index == last:
            return total
        factor = ratio(index)
        term *= factor
        index += step
        if factor < 1 and term <= total * _NEGLIGIBLE:
            return total


# ---- Poisson ----------------------------------------------------------------------------------


def _poisson_log_pmf(k: int, mean: float) -> float:
    """log P(X = k), in Loader's form (as R and scipy): -k log(k/mean) - mean + k stays exact where
    the plain -mean + k log(mean) - log(k!) loses ~1e-11 to cancellation for means in the thousands."""
    if k == 0:
        return -mean
    return -_stirling_error(k) - _deviance(k, mean) - _LOG_SQRT_2PI - 0.5 * math.log(k)


def _stirling_error(x: float) -> float:
    """What Stirling's formula misses: log Gamma(x) - ((x - 1/2) log x - x + log sqrt(2 pi)), which for
    a whole x is also log(x!) - log(sqrt(2 pi x) (x / e)^x). Its series from 15 on, where the
    subtraction would cancel."""
    if x < 15:
        return math.lgamma(x) - (x - 0.5) * math.log(x) + x - _LOG_SQRT_2PI
    square = x * x
    return (1 / 12 - (1 / 360 - (1 / 1260 - (1 / 1680 - 1 / (1188 * square)) / square) / square) / square) / x


def _log_beta(a: float, b: float) -> float:
    """log B(a, b), as R's lbeta: without the cancellation of log Gamma(a) + log Gamma(b) -
    log Gamma(a + b) when one is large (each ~20,000 for 2,906 records: its last digit is 4e-12)."""
    small, large = min(a, b), max(a, b)
    if large < 15:
        return math.lgamma(small) + math.lgamma(large) - math.lgamma(small + large)
    share = small / (small + large)
    correction = _stirling_error(large) - _stirling_error(small + large)
    if small >= 15:
        return (_LOG_SQRT_2PI - 0.5 * math.log(large) + correction + _stirling_error(small)
                + (small - 0.5) * math.log(share) + large * math.log1p(-share))
    return math.lgamma(small) + correction + small - small * math.log(small + large) + (large - 0.5) * math.log1p(-share)


def _deviance(x: float, mean: float) -> float:
    """x log(x / mean) + mean - x, by its series where x is near the mean (no cancellation)."""
    if abs(x - mean) >= 0.1 * (x + mean):
        return x * math.log(x / mean) + mean - x
    ratio = (x - mean) / (x + mean)
    total = (x - mean) * ratio
    power = 2 * x * ratio
    odd = 1
    while True:
        power *= ratio * ratio
        odd += 2
        more = total + power / odd
        if more == total:
            return total
        total = more


def poisson_upper_tail(k: float, mean: float) -> float:
    """P(X >= k) for X ~ Poisson(mean) (scipy.stats.poisson.sf(k - 1, mean))."""
    k = math.floor(k)
    if k <= 0:
        return 1.0
    if mean <= 0:
        return 0.0
    if k > mean:  # the terms fall from k upwards
        return _sum_terms(_poisson_log_pmf(k, mean), lambda j: mean / (j + 1), k, None, 1)
    return 1.0 - poisson_cdf(k - 1, mean)


def poisson_cdf(k: float, mean: float) -> float:
    """P(X <= k) for X ~ Poisson(mean) (scipy.stats.poisson.cdf(k, mean))."""
    k = math.floor(k)
    if k < 0:
        return 0.0
    if mean <= 0:
        return 1.0
    if k < mean:  # the terms fall from k downwards
        return _sum_terms(_poisson_log_pmf(k, mean), lambda j: j / mean, k, 0, -1)
    return 1.0 - poisson_upper_tail(k + 1, mean)


def poisson_quantile(q: float, mean: float) -> int:
    """The smallest count whose cumulative probability reaches ``q`` (scipy.stats.poisson.ppf)."""
    if not 0 < q < 1:
        raise ValueError(f"q must be between 0 and 1, not {q}")
    if mean <= 0:
        return 0
    z = NormalDist().inv_cdf(q)
    k = max(0, math.floor(mean + z * math.sqrt(mean) + (z * z - 1) / 6))  # Cornish-Fisher: a step or two off
    cdf = poisson_cdf(k, mean)
    term = math.exp(_poisson_log_pmf(k, mean))  # P(X = k)
    if cdf >= q:
        while k > 0 and cdf - term >= q:
            cdf -= term
            term *= k / mean
            k -= 1
        return k
    while cdf < q:
        term *= mean / (k + 1)
        k += 1
        cdf += term
    return k


def poisson_mean_interval(count: int, confidence: float) -> tuple[float, float]:
    """The exact (Garwood) interval for the mean of a Poisson count: the means under which a count
    this large, or this small, has chance (1 - confidence) / 2 (scipy.special.gammaincinv)."""
    alpha = 1 - confidence
    lower = 0.0 if count == 0 else _solve_mean(lambda m: poisson_upper_tail(count, m), alpha / 2,
                                               lambda m: math.exp(_poisson_log_pmf(count - 1, m)), _start(count, -1, alpha))
    upper = _solve_mean(lambda m: -poisson_cdf(count, m), -alpha / 2,
                        lambda m: math.exp(_poisson_log_pmf(count, m)), _start(count + 1, 1, alpha))
    return lower, upper


def _start(shape: int, sign: int, alpha: float) -> float:
    """Wilson-Hilferty's approximation to the interval's end: Newton's first guess."""
    z = NormalDist().inv_cdf(1 - alpha / 2)
    return max(shape * (1 - 1 / (9 * shape) + sign * z / (3 * math.sqrt(shape))) ** 3, 1e-3)


def _solve_mean(rising: Callable[[float], float], target: float, slope: Callable[[float], float], start: float) -> float:
    """The mean where the rising function ``rising`` equals ``target``: Newton's steps, falling back
    to halving the bracket when a step would leave it."""
    low, high = 0.0, math.inf
    mean = start
    for _ in range(200):
        gap = rising(mean) - target
        if gap < 0:
            low = mean
        else:
            high = mean
        gradient = slope(mean)
        step = gap / gradient if gradient > 0 else math.inf
        proposed = mean - step
        if not low < proposed < high:
            proposed = (low + high) / 2 if high < math.inf else 2 * mean + 1
        if abs(proposed - mean) <= 1e-15 * mean:
            return proposed
        mean = proposed
    return mean


# ---- binomial and negative binomial -------------------------------------------------------------


def binomial_upper_tail(k: float, n: float, share: float) -> float:
    """P(X >= k) for X ~ Binomial(n, share) (scipy.stats.binom.sf(k - 1, n, share))."""
    k, n = math.floor(k), int(n)
    if k <= 0:
        return 1.0
    if k > n or share <= 0:
        return 0.0
    if share >= 1:
        return 1.0
    odds = share / (1 - share)

    def log_pmf(j: int) -> float:  # Loader's form, like _poisson_log_pmf
        if j == 0:
            return n * math.log1p(-share)
        if j == n:
            return n * math.log(share)
        return (_stirling_error(n) - _stirling_error(j) - _stirling_error(n - j) - _deviance(j, n * share)
                - _deviance(n - j, n * (1 - share)) - _LOG_SQRT_2PI + 0.5 * math.log(n / (j * (n - j))))

    if k > n * share:  # the terms fall from k upwards
        return _sum_terms(log_pmf(k), lambda j: (n - j) / (j + 1) * odds, k, n, 1)
    below = _sum_terms(log_pmf(k - 1), lambda j: j / ((n - j + 1) * odds), k - 1, 0, -1)
    return 1.0 - below


def negative_binomial_upper_tail(k: float, size: float, prob: float) -> float:
    """P(X >= k) for X ~ NegativeBinomial(size, prob), the failures before ``size`` successes
    (scipy.stats.nbinom.sf(k - 1, size, prob)): the regularised incomplete beta I_{1-prob}(k, size).

    Not summed term by term: with strong over-dispersion (size 0.3, mean 10) the terms fall by 3%
    each, and a snap point's tail took ~1,000 of them."""
    k = math.floor(k)
    if k <= 0:
        return 1.0
    if prob >= 1:
        return 0.0
    return _incomplete_beta(1 - prob, prob, k, size)


def _incomplete_beta(x: float, rest: float, a: float, b: float) -> float:
    """The regularised incomplete beta I_x(a, b), ``rest`` = 1 - x given exactly (a small success
    probability loses digits as 1 - (1 - p)). By its continued fraction on the side where it
    converges quickly (Numerical Recipes' betai), the other side as 1 - I_{1-x}(b, a)."""
    if x <= 0:
        return 0.0
    if rest <= 0:
        return 1.0
    log_front = a * math.log1p(-rest) + b * math.log(rest) - _log_beta(a, b)
    if x < (a + 1) / (a + b + 2):
        return math.exp(log_front) * _beta_fraction(x, a, b) / a
    return 1.0 - math.exp(log_front) * _beta_fraction(rest, b, a) / b


def _beta_fraction(x: float, a: float, b: float) -> float:
    """The continued fraction of I_x(a, b), evaluated by the modified Lentz method."""
    tiny = 1e-300
    c, d = 1.0, 1.0 - (a + b) * x / (a + 1)
    d = 1.0 / (d if abs(d) > tiny else tiny)
    fraction = d
    for m in range(1, 10_000):
        for numerator in (m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m)),
                          -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))):
            d = 1.0 + numerator * d
            d = 1.0 / (d if abs(d) > tiny else tiny)
            c = 1.0 + numerator / c
            c = c if abs(c) > tiny else tiny
            fraction *= c * d
        if abs(c * d - 1.0) < 1e-16:
            break
    return fraction


# ---- normal -------------------------------------------------------------------------------------


def normal_upper_tail(x: float) -> float:
    """P(Z >= x) for a standard normal Z (scipy.special.ndtr(-x)); NaN stays NaN."""
    return 0.5 * math.erfc(x / math.sqrt(2))
