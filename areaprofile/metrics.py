"""Fair comparisons: rates with exact Poisson intervals, 'is this change unusual?' tests, and
funnel-plot limits. Pure functions of counts and populations, so they are easy to check."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from areaprofile import distributions

#: A change is called unusual when chance alone would give one this large less than 5% of the time.
SIGNIFICANCE = 0.05


def rate_per_1000(count: float, population: float) -> float:
    return 1000.0 * count / population if population else float("nan")


def poisson_interval(count: int, confidence: float = 0.95) -> tuple[float, float]:
    """Exact (Garwood) interval for a Poisson count."""
    return distributions.poisson_mean_interval(count, confidence)


def rate_interval_per_1000(count: int, population: float, confidence: float = 0.95) -> tuple[float, float]:
    lower, upper = poisson_interval(count, confidence)
    return rate_per_1000(lower, population), rate_per_1000(upper, population)


@dataclass(frozen=True)
class Change:
    """A count against an earlier one of the same length, with a plain-words verdict."""

    current: int
    earlier: int
    p_value: float
    unusual: bool

    @property
    def difference(self) -> int:
        return self.current - self.earlier

    @property
    def percent(self) -> float | None:
        return None if self.earlier == 0 else 100.0 * (self.current - self.earlier) / self.earlier

    @property
    def direction(self) -> str:
        return "up" if self.current > self.earlier else "down" if self.current < self.earlier else "no change"

    @property
    def verdict(self) -> str:
        """'Unusual rise', 'Unusual fall' or 'Within normal variation'."""
        if not self.unusual:
            return "Within normal variation"
        return "Unusual rise" if self.current > self.earlier else "Unusual fall"

    def sentence(self, what: str, against: str = "") -> str:
        if self.earlier == 0 and self.current == 0:
            return f"No {what} in either period."
        pct = "" if self.percent is None else f" ({self.percent:+.0f}%)"
        move = f"{self.current:,} against {self.earlier:,}{' ' + against if against else ''}{pct}"
        if self.unusual:
            return f"{self.verdict}: {move}; a change this large is unlikely to be chance ({_p_text(self.p_value)})."
        return f"{self.verdict}: {move}; a change this size often happens by chance ({_p_text(self.p_value)})."


def _p_text(p_value: float) -> str:
    return "p < 0.001" if p_value < 0.001 else f"p = {p_value:.3f}" if p_value < 0.01 else f"p = {p_value:.2f}"


def compare_counts(current: int, earlier: int, alpha: float = SIGNIFICANCE) -> Change:
    """Exact conditional test of two Poisson counts over equal exposure.

    Given the total, the current count is Binomial(total, 1/2) if nothing changed; the two-sided
    p-value says how often chance alone gives a split at least this uneven (what
    scipy.stats.binomtest computes). The distribution is symmetric, so that is twice the tail above
    the larger count, at most 1."""
    total = int(current) + int(earlier)
    larger = max(int(current), int(earlier))
    p_value = 1.0 if total == 0 or 2 * larger == total else min(1.0, 2 * distributions.binomial_upper_tail(larger, total, 0.5))
    return Change(current=int(current), earlier=int(earlier), p_value=p_value, unusual=p_value < alpha)


def funnel_limits(populations, overall_rate_per_person: float, confidence: float) -> tuple[np.ndarray, np.ndarray]:
    """Control limits (rates per 1,000) an area of each population would stay within by chance."""
    populations = np.asarray(populations, dtype=float)
    expected = overall_rate_per_person * populations
    alpha = 1 - confidence
    lower = _poisson_ppf(alpha / 2, expected)
    upper = _poisson_ppf(1 - alpha / 2, expected)
    return 1000 * lower / populations, 1000 * upper / populations


def funnel_curves(populations_axis, overall_rate_per_person: float) -> list[dict]:
    """The 95% and 99.8% limit curves of a funnel plot, one row per point of ``populations_axis``."""
    curves = []
    for confidence, name in ((0.95, "95% limits"), (0.998, "99.8% limits")):
        low, high = funnel_limits(populations_axis, overall_rate_per_person, confidence)
        curves += [{"Residents": float(pop), "Limit": name, "Lower": lo, "Upper": hi, "Overall rate": 1000 * overall_rate_per_person}
                   for pop, lo, hi in zip(populations_axis, low, high)]
    return curves


def _poisson_ppf(q: float, mean: np.ndarray) -> np.ndarray:
    """The smallest count whose Poisson cumulative probability reaches ``q``, for each mean."""
    return np.array([distributions.poisson_quantile(q, float(m)) for m in np.atleast_1d(mean)], dtype=float)


def funnel_position(count: int, population: float, overall_rate_per_person: float, whole: str) -> str:
    """Where an area sits on the funnel plot, in words ('Above <whole>', e.g. 'Above Anytown')."""
    low95, high95 = funnel_limits([population], overall_rate_per_person, 0.95)
    low998, high998 = funnel_limits([population], overall_rate_per_person, 0.998)
    rate = rate_per_1000(count, population)
    if rate > high998[0]:
        return f"Well above {whole}"
    if rate > high95[0]:
        return f"Above {whole}"
    if rate < low998[0]:
        return f"Well below {whole}"
    if rate < low95[0]:
        return f"Below {whole}"
    return f"In line with {whole}"
