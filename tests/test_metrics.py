"""metrics' change test, intervals and funnel limits are plain Python (areaprofile.distributions;
scipy.special alone costs the server 13 MiB): all must equal scipy.stats' own, on counts like the
dashboard's, and the area profile's figures must not import scipy at all."""

from __future__ import annotations

import math
import os
import random
import subprocess
import sys

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


def test_change_test_equals_scipy_binomtest_near_even_splits_and_at_random():
    # Near an even split the tail sums the most terms; random pairs cover what the grid misses.
    chooser = random.Random(20251206)
    pairs = [(count, count + step) for count in (7, 100, 5000, 33831) for step in range(0, 300, 7)]
    pairs += [(chooser.randint(0, 40_000), chooser.randint(0, 40_000)) for _ in range(200)]
    for current, earlier in pairs:
        for ordered in ((current, earlier), (earlier, current)):
            want = stats.binomtest(ordered[0], current + earlier, 0.5).pvalue
            got = metrics.compare_counts(*ordered).p_value
            assert math.isclose(got, want, rel_tol=1e-9) or max(got, want) < 1e-250, (ordered, got, want)


def test_the_area_profiles_figures_need_no_scipy(built_store):
    """The profile page's first visitor does not wait for scipy's import (0.17 s here)."""
    script = (
        "import sys\n"
        "from areaprofile import partnership, profile, query, seasonal\n"
        "from areaprofile.periods import preset_period\n"
        "store = query.open_store()\n"
        "months = profile.loaded_months(store)\n"
        "selection = profile.Selection(area='Keynsham', period=preset_period('Last 12 months', months[-1]),\n"
        "                              everywhere=partnership.of_store(store).all_label)\n"
        "changes = [h.previous for h in profile.headlines(store, selection)]\n"
        "changes.append(seasonal.rolling_year(store, selection))\n"
        "print(all(changes), 'scipy' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "AREAPROFILE_STORE": str(built_store)})
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["True", "False"]


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
