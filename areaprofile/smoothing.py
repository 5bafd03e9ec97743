"""Rates for small places, smoothed towards their area's rate (empirical Bayes).

A village of 400 people with 6 burglaries has a raw rate of 15 per 1,000; a month later it may
have none. Shrinking each small place's rate towards the rate of the area it sits in, by how
much its own count can be trusted, keeps one unlucky month from topping the table while a
large place keeps (almost) its own rate. The method is Marshall's global empirical Bayes
estimator (Marshall 1991, "Mapping disease and mortality rates using empirical Bayes
estimators", Applied Statistics 40:283-294), the one used in GeoDa and PySAL: with

    m  = sum(counts) / sum(populations)                      (the area's rate)
    s2 = sum(pop_i * (r_i - m)^2) / sum(pop_i)                (weighted variance of the raw rates)
    a  = max(0, s2 - m / mean(pop))                           (variance between places, beyond chance)
    w_i = a / (a + m / pop_i)                                 (how far to trust place i's own rate)
    smoothed_i = m + w_i * (r_i - m)

Places with no residents keep no rate (NaN). Rates are per person; multiply for per 1,000.
"""

from __future__ import annotations

import numpy as np


def empirical_bayes_rates(counts, populations) -> np.ndarray:
    """Each place's rate per person shrunk towards the pooled rate of all the places given."""
    counts = np.asarray(counts, dtype=float)
    populations = np.asarray(populations, dtype=float)
    smoothed = np.full(counts.shape, np.nan)
    known = populations > 0
    if not known.any():
        return smoothed
    count, population = counts[known], populations[known]
    pooled = count.sum() / population.sum()
    raw = count / population
    between = population @ (raw - pooled) ** 2 / population.sum() - pooled / population.mean()
    between = max(between, 0.0)
    if between == 0.0:
        smoothed[known] = pooled  # no variation beyond chance: every place is best described by the area's rate
        return smoothed
    weight = between / (between + pooled / population)
    smoothed[known] = pooled + weight * (raw - pooled)
    return smoothed
