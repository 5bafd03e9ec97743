"""Empirical Bayes smoothing on a case small enough to check by hand."""

import math

import numpy as np

from areaprofile.smoothing import empirical_bayes_rates


def test_three_places_by_hand():
    # counts 0, 10, 20 in 100, 100, 200 people: pooled m = 30/400 = 0.075; raw 0, 0.1, 0.1.
    # s2 = (100*0.075^2 + 100*0.025^2 + 200*0.025^2) / 400 = 0.001875; m/mean(pop) = 0.075/(400/3) = 0.0005625
    # a = 0.0013125; weights a/(a + m/pop) = 7/11, 7/11, 7/9
    # smoothed = 0.075 + w * (raw - 0.075) = 3/110, 1/11, 17/180
    smoothed = empirical_bayes_rates([0, 10, 20], [100, 100, 200])
    assert np.allclose(smoothed, [3 / 110, 1 / 11, 17 / 180])


def test_small_places_move_further_than_large_ones():
    smoothed = empirical_bayes_rates([0, 10, 20], [100, 100, 200])
    raw = np.array([0, 0.1, 0.1])
    pooled = 0.075
    assert abs(smoothed[1] - raw[1]) > abs(smoothed[2] - raw[2])  # same raw rate, the smaller place moves more
    assert np.all(np.abs(smoothed - pooled) <= np.abs(raw - pooled))


def test_no_variation_beyond_chance_gives_the_pooled_rate():
    # raw rates 0.05 and 0.0667 in tiny places: the spread is less than chance alone would give
    smoothed = empirical_bayes_rates([1, 1], [20, 15])
    assert np.allclose(smoothed, [2 / 35, 2 / 35])


def test_a_place_without_residents_has_no_rate():
    smoothed = empirical_bayes_rates([5, 3, 0], [1000, 0, 500])
    assert math.isnan(smoothed[1])
    assert not math.isnan(smoothed[0]) and not math.isnan(smoothed[2])
