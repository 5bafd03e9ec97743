"""The plain-Python tails, quantiles and interval equal scipy's (which the server no longer
imports), on counts like the dashboard's: small and large means, far tails, ties and zeros."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import special, stats

from areaprofile import distributions


def _close(got: float, want: float, rel: float) -> bool:
    """Equal to ``rel`` of the larger, or both below what a double can tell from 0 in this sum."""
    return math.isclose(got, want, rel_tol=rel, abs_tol=1e-300)


def test_poisson_tails_and_cdf_equal_scipy():
    rng = np.random.default_rng(20261206)
    for _ in range(3000):
        mean = float(np.exp(rng.uniform(-4, 10.5)))  # 0.02 to 36,000
        k = int(max(0, rng.normal(mean, 5 * math.sqrt(mean) + 3)))
        assert _close(distributions.poisson_upper_tail(k, mean), stats.poisson.sf(k - 1, mean), 1e-12), (k, mean)
        assert _close(distributions.poisson_cdf(k, mean), stats.poisson.cdf(k, mean), 1e-12), (k, mean)


@pytest.mark.parametrize(("count", "mean"), [(60, 5.0), (40, 0.5), (3, 1e-6), (1, 1e-9), (120, 30.0), (0, 3.0), (1, 0.0)])
def test_poisson_far_tails_keep_their_precision(count, mean):
    # A snap point with 60 records where 5 are usual: p = 7.6e-43, not 0 or 1 - (1 - tiny).
    assert _close(distributions.poisson_upper_tail(count, mean), stats.poisson.sf(count - 1, mean), 1e-12)


def test_binomial_upper_tail_equals_scipy():
    rng = np.random.default_rng(7)
    for _ in range(3000):
        n = int(rng.integers(1, 3000))
        share = float(rng.uniform(0.005, 0.995))
        k = int(rng.integers(0, n + 2))
        assert _close(distributions.binomial_upper_tail(k, n, share), stats.binom.sf(k - 1, n, share), 1e-11), (k, n, share)
    # Ties and zeros as the emerging-cell test meets them: no records, all records, one record.
    for k, n in ((0, 0), (0, 5), (5, 5), (1, 1), (6, 5)):
        assert distributions.binomial_upper_tail(k, n, 0.4) == pytest.approx(stats.binom.sf(k - 1, n, 0.4), abs=1e-15)


def test_negative_binomial_upper_tail_equals_scipy():
    rng = np.random.default_rng(3)
    for _ in range(3000):
        size = float(np.exp(rng.uniform(-3, 5)))  # over-dispersion from strong to none
        mean = float(np.exp(rng.uniform(-3, 6)))
        prob = size / (size + mean)
        k = int(max(0, rng.normal(mean, 4 * math.sqrt(mean + mean * mean / size) + 3)))
        assert _close(distributions.negative_binomial_upper_tail(k, size, prob), stats.nbinom.sf(k - 1, size, prob), 1e-11), (k, size, prob)


def test_poisson_quantile_equals_scipy():
    rng = np.random.default_rng(11)
    for mean in np.exp(rng.uniform(-5, 11, 1500)):
        for q in (0.001, 0.025, 0.5, 0.975, 0.999, float(rng.uniform(0.0001, 0.9999))):
            assert distributions.poisson_quantile(q, float(mean)) == stats.poisson.ppf(q, mean), (q, mean)
    assert distributions.poisson_quantile(0.5, 0.0) == 0
    with pytest.raises(ValueError):
        distributions.poisson_quantile(1.0, 3.0)


@pytest.mark.parametrize("confidence", [0.9, 0.95, 0.998])
def test_poisson_mean_interval_equals_scipy_gammaincinv(confidence):
    alpha = 1 - confidence
    for count in [*range(0, 60), 99, 250, 1000, 5432, 54321, 250_000]:
        lower, upper = distributions.poisson_mean_interval(count, confidence)
        assert lower == (0.0 if count == 0 else pytest.approx(special.gammaincinv(count, alpha / 2), rel=1e-13))
        assert upper == pytest.approx(special.gammaincinv(count + 1, 1 - alpha / 2), rel=1e-13)


@pytest.mark.parametrize("x", [-40.0, -5.0, -1.0, 0.0, 0.3, 1.96, 5.0, 12.0, 38.0])
def test_normal_upper_tail_equals_scipy(x):
    assert _close(distributions.normal_upper_tail(x), special.ndtr(-x), 1e-13)
    assert math.isnan(distributions.normal_upper_tail(float("nan")))
