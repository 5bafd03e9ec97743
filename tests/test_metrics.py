"""metrics uses scipy.special (scipy.stats costs the server 0.5 s and ~45 MiB to import): its tests,
intervals and funnel limits must equal scipy.stats' own, on counts like the dashboard's."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from areaprofile import metrics

COUNTS = [0, 1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144, 377, 1000, 2584, 6765, 17711, 33831]


@pytest.mark.parametrize("current", COUNTS)
def test_change_test_equals_scipy_binomtest(current):
    for earlier in COUNTS:
        total = current + earlier
        want = 1.0 if total == 0 else stats.binomtest(current, total, 0.5).pvalue
        got = metrics.compare_counts(current, earlier).p_value
        assert math.isclose(got, want, rel_tol=1e-9) or max(got, want) < 1e-250, (current, earlier, got, want)
        assert metrics.compare_counts(current, earlier).unusual == (want < metrics.SIGNIFICANCE)


@pytest.mark.parametrize("confidence", [0.95, 0.998])
def test_poisson_interval_equals_scipy_chi2(confidence):
    alpha = 1 - confidence
    for count in COUNTS:
        lower = 0.0 if count == 0 else stats.chi2.ppf(alpha / 2, 2 * count) / 2
        upper = stats.chi2.ppf(1 - alpha / 2, 2 * count + 2) / 2
        assert metrics.poisson_interval(count, confidence) == pytest.approx((lower, upper), rel=1e-12)


@pytest.mark.parametrize("confidence", [0.95, 0.998])
@pytest.mark.parametrize("rate", [0.0004, 0.02, 0.35])
def test_funnel_limits_equal_scipy_poisson_ppf(confidence, rate):
    populations = np.linspace(1500, 100_000, 120)
    lower, upper = metrics.funnel_limits(populations, rate, confidence)
    alpha = 1 - confidence
    np.testing.assert_array_equal(lower, 1000 * stats.poisson.ppf(alpha / 2, rate * populations) / populations)
    np.testing.assert_array_equal(upper, 1000 * stats.poisson.ppf(1 - alpha / 2, rate * populations) / populations)
