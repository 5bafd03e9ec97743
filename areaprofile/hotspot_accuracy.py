"""How far to trust a hotspot map: PAI, hit rate, RRI and PEI on months the map did not see.

The measures (pure functions, unit-tested on tiny hand-computed grids):

- **hit rate** = n / N: the share of the test month's records that fell in the chosen cells.
- **PAI** (Predictive Accuracy Index, Chainey et al. 2008) = (n / N) / (a / A): the hit rate
  divided by the share of the land the chosen cells cover. 1 is no better than spreading the
  same land at random; 40 means the cells hold 40 times their share of land.
- **RRI** (Recapture Rate Index, Levine 2008) = (n_test / n_train) / (N_test / N_train): how well
  the chosen cells keep their share from the training months to the test month. Below 1 the cells
  recapture less of the test month than of the training months (regression to the mean).
  Undefined (None) when the chosen cells held nothing in training or the test month is empty.
- **PEI** (Predictive Efficiency Index, Hunt 2016) = n / n_max, where n_max is the most test
  records any set of the same number of cells could have held (the k busiest cells of the test
  month, k = the number of chosen cells). 1 is the best any map of that size could do.

The evaluation (:func:`evaluate`): for each test month, the cells are ranked from the *training*
months only (the ``train_months`` calendar months before it), the top ``k`` cells are chosen where
``k = floor(coverage x A / cell area)`` whole cells (at least 1), and they are scored on the test
month. Training windows use only months that are loaded: police.uk files for 2017-07..2017-12 are
missing in the shared data, so windows that overlap them hold fewer months, and each month's
result says how many. Ties in the ranking are broken by cell order (west to east, then south to
north), never by the test month.

Ranking methods (:data:`METHODS`), all from the training window only:

- ``naive`` -- the baseline: each cell's total records in the training months.
- ``recent`` -- records weighted by how recent they are (weight halves every 6 months).
- ``kde`` -- training totals smoothed with a Gaussian kernel (sigma = one 250 m cell).
- ``gi-star`` -- cells ranked by the Getis-Ord Gi* z-score of the training totals.
- ``recent-smoothed`` -- ``recent`` plus 0.1 x its Gaussian-smoothed value, so a cell's own
  recent history decides and busy surroundings break near-ties (the CLI's default).
- ``smoothed-0.1``, ``smoothed-0.3``, ``smoothed-1`` -- the training counts plus that share of
  the same counts smoothed with a Gaussian kernel (sigma = one 250 m cell): the smoothing
  candidates :mod:`areaprofile.forecast_ceiling` chooses from, with the window (12/24/36 months),
  for each crime type on months before the ones it is reported on. The Hotspots page shows the
  chosen ranking (:func:`trust` takes it as ``method_name`` and ``train_months``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from areaprofile import hotspots, memo, partnership, query
from areaprofile.errors import AreaprofileError
from areaprofile.periods import label, month_list, shift
from areaprofile.query import Store

DEFAULT_METHOD = "recent-smoothed"
BASELINE = "naive"
TRAIN_MONTHS = 12
COVERAGES = (0.01, 0.05)
HALF_LIFE_MONTHS = 6.0
SMOOTH_SIGMA_CELLS = 1.0
SMOOTH_WEIGHT = 0.1

# ---- the measures ----------------------------------------------------------------------------


def hit_rate(n: float, N: float) -> float | None:
    """n / N; None when the test month has no records."""
    return None if N == 0 else n / N


def pai(n: float, N: float, a: float, A: float) -> float | None:
    """Predictive Accuracy Index (n / N) / (a / A); None when N, a or A is zero."""
    if N == 0 or a == 0 or A == 0:
        return None
    return (n / N) / (a / A)


def rri(n_test: float, n_train: float, N_test: float, N_train: float) -> float | None:
    """Recapture Rate Index (n_test / n_train) / (N_test / N_train); None when undefined."""
    if n_train == 0 or N_test == 0 or N_train == 0:
        return None
    return (n_test / n_train) / (N_test / N_train)


def pei(n: float, n_max: float) -> float | None:
    """Predictive Efficiency Index n / n_max; None when n_max is zero."""
    return None if n_max == 0 else n / n_max


def cells_for_coverage(coverage: float, total_area: float, cell_area: float) -> int:
    """Whole cells that fit in ``coverage`` of ``total_area`` (at least one)."""
    if not 0 < coverage <= 1:
        raise AreaprofileError(f"Coverage must be a share of the land between 0 and 1 (e.g. 0.01), not {coverage}.")
    return max(1, int(math.floor(coverage * total_area / cell_area + 1e-9)))


def rank_cells(scores) -> np.ndarray:
    """Cell positions from highest score to lowest; ties keep cell order; NaN ranks last."""
    s = np.nan_to_num(np.asarray(scores, dtype=float), nan=-np.inf)
    return np.argsort(-s, kind="stable")  # stable: equal scores keep cell order


def n_max(test_counts, k: int) -> float:
    """The most test records any k cells hold."""
    return float(np.sort(np.asarray(test_counts, dtype=float))[::-1][:k].sum())


@dataclass(frozen=True)
class MonthScore:
    month: str
    n: float
    N: float
    a: float
    A: float
    k: int
    n_train: float
    N_train: float
    n_max: float
    train_months: int

    @property
    def hit_rate(self) -> float | None:
        return hit_rate(self.n, self.N)

    @property
    def pai(self) -> float | None:
        return pai(self.n, self.N, self.a, self.A)

    @property
    def rri(self) -> float | None:
        return rri(self.n, self.n_train, self.N, self.N_train)

    @property
    def pei(self) -> float | None:
        return pei(self.n, self.n_max)

    def as_dict(self) -> dict:
        def r(v, d=4):
            return None if v is None else round(float(v), d)

        return {"month": self.month, "pai": r(self.pai, 3), "hit_rate": r(self.hit_rate), "rri": r(self.rri),
                "pei": r(self.pei), "n": int(self.n), "N": int(self.N), "n_max": int(self.n_max),
                "cells": self.k, "area_share": r(self.a / self.A if self.A else None, 5),
                "train_months_loaded": self.train_months, "n_train": int(self.n_train), "N_train": int(self.N_train)}


def score_month(month: str, scores, train_counts, test_counts, cell_areas, total_area: float, k: int,
                train_months: int = 0) -> MonthScore:
    """Choose the top ``k`` cells by ``scores`` and measure them on ``test_counts``.

    ``train_counts`` are the raw training records per cell (for RRI), ``cell_areas`` the land of
    each cell and ``total_area`` the land of the whole area (A)."""
    test_counts = np.asarray(test_counts, dtype=float)
    train_counts = np.asarray(train_counts, dtype=float)
    chosen = rank_cells(scores)[:k]
    return MonthScore(
        month=month,
        n=float(test_counts[chosen].sum()),
        N=float(test_counts.sum()),
        a=float(np.asarray(cell_areas, dtype=float)[chosen].sum()),
        A=float(total_area),
        k=int(k),
        n_train=float(train_counts[chosen].sum()),
        N_train=float(train_counts.sum()),
        n_max=n_max(test_counts, k),
        train_months=train_months,
    )


# ---- ranking methods ---------------------------------------------------------------------------


def _naive(train, lags, grid):
    return train.sum(axis=0)


def _recent(train, lags, grid):
    weights = 0.5 ** ((np.asarray(lags, dtype=float) - 1) / HALF_LIFE_MONTHS)
    return np.tensordot(weights, train, axes=1)


def _kde(train, lags, grid):
    return grid.smooth(train.sum(axis=0), SMOOTH_SIGMA_CELLS)


def _gi_star(train, lags, grid):
    return hotspots.gi_star_z(train.sum(axis=0), grid.neighbours)


def _smoothed(weight: float):
    def score(train, lags, grid):
        counts = train.sum(axis=0)
        return counts + weight * grid.smooth(counts, SMOOTH_SIGMA_CELLS)

    return score


def _recent_smoothed(train, lags, grid):
    recent = _recent(train, lags, grid)
    return recent + SMOOTH_WEIGHT * grid.smooth(recent, SMOOTH_SIGMA_CELLS)


@dataclass(frozen=True)
class Method:
    name: str
    label: str
    description: str
    score: object


METHODS: dict[str, Method] = {
    "naive": Method("naive", "Last 12 months' counts (baseline)",
                    "each 250 m cell ranked by its records in the 12 months before", _naive),
    "recent": Method("recent", "Recent-weighted counts",
                     "records weighted by recency (weight halves every 6 months)", _recent),
    "kde": Method("kde", "Kernel-smoothed counts",
                  "the 12 months' counts smoothed with a 250 m Gaussian kernel", _kde),
    "gi-star": Method("gi-star", "Gi* z-score", "cells ranked by the Getis-Ord Gi* z of the 12 months' counts",
                      _gi_star),
    "recent-smoothed": Method("recent-smoothed", "Recent-weighted counts, lightly smoothed",
                              "records weighted by recency (halving every 6 months), plus a tenth of the same "
                              "smoothed over neighbouring cells (250 m kernel)", _recent_smoothed),
}
for _weight, _words in ((0.1, "a tenth"), (0.3, "three tenths"), (1.0, "all")):
    _name = f"smoothed-{_weight:g}"
    METHODS[_name] = Method(_name, f"Counts plus {_words} of their smoothed value",
                            f"each cell's records plus {_words} of the same records smoothed over neighbouring "
                            "cells (250 m kernel)", _smoothed(_weight))


def method(name: str) -> Method:
    if name not in METHODS:
        raise AreaprofileError(f"Unknown method '{name}'; use one of: {', '.join(METHODS)}.")
    return METHODS[name]


def _month_index(month: str) -> int:
    year, number = map(int, month.split("-"))
    return year * 12 + number - 1


# ---- the evaluation --------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Evaluation:
    method: str
    area: str | None
    crime_types: tuple[str, ...] | None
    coverage: float
    train_months: int
    test_from: str
    test_to: str
    months: list[MonthScore]
    notes: list[str] = field(default_factory=list)
    everywhere: str = "All areas"  # the whole partnership's name, when no area is chosen

    @staticmethod
    def _mean(values) -> float | None:
        values = [v for v in values if v is not None]
        return float(np.mean(values)) if values else None

    @property
    def mean_pai(self) -> float | None:
        return self._mean(m.pai for m in self.months)

    @property
    def mean_hit_rate(self) -> float | None:
        return self._mean(m.hit_rate for m in self.months)

    @property
    def mean_rri(self) -> float | None:
        return self._mean(m.rri for m in self.months)

    @property
    def mean_pei(self) -> float | None:
        return self._mean(m.pei for m in self.months)

    @property
    def mean_area_share(self) -> float | None:
        return self._mean(m.a / m.A for m in self.months if m.A)

    def as_dict(self) -> dict:
        def r(v, d=4):
            return None if v is None else round(float(v), d)

        return {
            "method": self.method,
            "area": self.area or self.everywhere,
            "crime_types": list(self.crime_types) if self.crime_types else "all",
            "cell_size_m": hotspots.CELL_M,
            "coverage": self.coverage,
            "train_months": self.train_months,
            "test_from": self.test_from,
            "test_to": self.test_to,
            "mean_pai": r(self.mean_pai, 3),
            "mean_hit_rate": r(self.mean_hit_rate),
            "mean_rri": r(self.mean_rri),
            "mean_pei": r(self.mean_pei),
            "months": [m.as_dict() for m in self.months],
            "notes": list(self.notes),
        }

    def table(self) -> pd.DataFrame:
        rows = []
        for m in self.months:
            rows.append({
                "Test month": label(m.month),
                "Training months loaded": m.train_months,
                "Records in the test month": int(m.N),
                "Caught by the top cells": int(m.n),
                "Hit rate (%)": None if m.hit_rate is None else round(100 * m.hit_rate, 1),
                "PAI": None if m.pai is None else round(m.pai, 1),
                "RRI": None if m.rri is None else round(m.rri, 2),
                "PEI": None if m.pei is None else round(m.pei, 2),
            })
        return pd.DataFrame(rows)


@memo.memoised
def _evaluate(store: Store, crime_types, test_from: str, test_to: str, train_months: int, coverage: float,
              method_name: str, area: str | None) -> Evaluation:
    chosen = method(method_name)
    g = hotspots.grid(store, area)
    months, cube = hotspots.month_cube(store, area, crime_types)
    where = {m: i for i, m in enumerate(months)}
    k = cells_for_coverage(coverage, g.total_km2, g.cell_km2)
    results, notes, skipped, short = [], [], [], []
    for test in month_list(test_from, test_to):
        if test not in where:
            skipped.append(f"{label(test)} (not loaded)")
            continue
        window = [m for m in month_list(shift(test, -train_months), shift(test, -1)) if m in where]
        if not window:
            skipped.append(f"{label(test)} (no training months loaded)")
            continue
        test_counts = cube[where[test]]
        if test_counts.sum() == 0:
            skipped.append(f"{label(test)} (no records to predict)")
            continue
        train = cube[[where[m] for m in window]]
        lags = np.array([_month_index(test) - _month_index(m) for m in window])
        scores = chosen.score(train, lags, g)
        results.append(score_month(test, scores, train.sum(axis=0), test_counts, g.land_km2, g.total_km2, k,
                                   len(window)))
        if len(window) < train_months:
            short.append(f"{label(test)} ({len(window)} of {train_months})")
    if short:
        notes.append("Training windows use only loaded months (2017-07 to 2017-12 are missing from the data); "
                     "shorter windows for: " + ", ".join(short) + ".")
    if skipped:
        notes.append("Test months left out: " + ", ".join(skipped) + ".")
    if not results:
        raise AreaprofileError(
            f"No test month from {test_from} to {test_to} can be scored (each needs its own records and loaded "
            f"months before it); loaded months run {months[0]} to {months[-1]}." if months else
            "The store holds no months."
        )
    return Evaluation(method_name, area, crime_types, coverage, train_months, test_from, test_to, results, notes,
                      everywhere=partnership.of_store(store).all_label)


@memo.memoised
def _loaded_months(store: Store) -> tuple[str, ...]:
    """The loaded months, asked once per store version (the choice of a ranking runs ~20 evaluations)."""
    return tuple(query.months(store))


def evaluate(store: Store, crime_types=None, test_from: str | None = None, test_to: str | None = None,
             train_months: int = TRAIN_MONTHS, coverage: float = 0.01, method_name: str = DEFAULT_METHOD,
             area: str | None = None) -> Evaluation:
    """Score ``method_name`` on each test month (see the module notes); test months default to the
    last 12 loaded."""
    types = hotspots.types_key(crime_types)
    query.check_area(area, store)
    method(method_name)
    if not isinstance(train_months, int) or train_months < 1 or train_months > 60:
        raise AreaprofileError(f"Training months must be a whole number from 1 to 60, not {train_months}.")
    cells_for_coverage(coverage, 1.0, 1e-9)  # validates the coverage
    loaded = _loaded_months(store)
    if not loaded:
        raise AreaprofileError("The store holds no months.")
    test_to = test_to or loaded[-1]
    test_from = test_from or shift(test_to, -11)
    query.where_clause(start=test_from, end=test_to)  # validates both months and their order
    return _evaluate(store, types, test_from, test_to, int(train_months), float(coverage), method_name, area)


# ---- the trust score for a page ----------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Trust:
    """The page's ranking and the baseline (12 months' counts) at 1% and 5% of the land, over
    recent test months."""

    area_label: str
    types_label: str
    method: Method
    baseline: Method
    results: dict  # (method name, training months, coverage) -> Evaluation
    test_from: str
    test_to: str
    method_months: int = TRAIN_MONTHS

    def get(self, name: str, coverage: float, months: int | None = None) -> Evaluation:
        """The evaluation of ``name``; its window defaults to the one the page uses for it."""
        if months is None:
            months = self.shown_months if name == self.shown.name else (
                self.method_months if name == self.method.name else TRAIN_MONTHS)
        return self.results[(name, months, coverage)]

    def _beaten(self) -> bool:
        ours = self.results[(self.method.name, self.method_months, 0.01)].mean_pai
        base = self.results[(self.baseline.name, TRAIN_MONTHS, 0.01)].mean_pai
        return ours is not None and base is not None and base > ours

    @property
    def shown(self) -> Method:
        """The method whose numbers the page shows: the page's ranking unless the baseline beats it at 1%."""
        return self.baseline if self._beaten() else self.method

    @property
    def shown_months(self) -> int:
        return TRAIN_MONTHS if self._beaten() else self.method_months

    @property
    def shown_label(self) -> str:
        """The shown ranking in words, with its window ('Counts plus a tenth of their smoothed value, last 24 months')."""
        return method_label(self.shown.name, self.shown_months)

    def sentence(self) -> str:
        one, five = self.get(self.shown.name, 0.01), self.get(self.shown.name, 0.05)
        if one.mean_pai is None:
            return f"There are too few {self.types_label} records in {self.area_label} to test the map."
        return (
            f"These cells hold {100 * one.mean_hit_rate:.0f}% of next month's {self.types_label} on 1% of the land "
            f"of {self.area_label} (PAI {one.mean_pai:.1f}), and {100 * five.mean_hit_rate:.0f}% on 5% of the land "
            f"(PAI {five.mean_pai:.1f}): averages over {len(one.months)} test months, "
            f"{period_text(self.test_from, self.test_to)}."
        )

    def explanation(self) -> str:
        one = self.get(self.shown.name, 0.01)
        base = self.results[(self.baseline.name, TRAIN_MONTHS, 0.01)]
        ours = self.results[(self.method.name, self.method_months, 0.01)]
        text = (
            f"How this is measured: for each test month, cells are ranked using only the {self.shown_months} "
            f"months before it ({self.shown.description}); the top cells covering 1% (or 5%) "
            f"of the land are then checked against what was recorded that month. PAI compares the share of records "
            f"caught with the share of land: PAI {one.mean_pai:.0f} means those cells held {one.mean_pai:.0f} times "
            f"as many records as the same amount of land would hold if crime were spread evenly."
        )
        if self.shown is self.baseline and ours is not base:
            text += (f" The simpler ranking ({self.baseline.label.lower()}) beat the chosen one here "
                     f"(PAI {base.mean_pai:.1f} against {ours.mean_pai:.1f}), so its figures are shown.")
        elif ours is not base and base.mean_pai is not None and ours.mean_pai is not None:
            if round(base.mean_pai, 1) == round(ours.mean_pai, 1):
                text += (f" Here the plain ranking by the last 12 months' counts picks cells just as good "
                         f"(PAI {base.mean_pai:.1f} at 1%).")
            else:
                text += (f" The plain ranking by the last 12 months' counts gives PAI {base.mean_pai:.1f} at 1% "
                         f"against {ours.mean_pai:.1f} for the ranking shown.")
        return text

    def details(self) -> pd.DataFrame:
        """Per test month, for the method shown: the 1% and 5% figures side by side."""
        one = self.get(self.shown.name, 0.01).table()
        five = self.get(self.shown.name, 0.05).table()
        keep = ["Caught by the top cells", "Hit rate (%)", "PAI", "RRI", "PEI"]
        merged = one.rename(columns={c: f"{c}, 1%" for c in keep})
        for column in keep:
            merged[f"{column}, 5%"] = five[column]
        return merged

    def notes(self) -> list[str]:
        return list(dict.fromkeys(self.get(self.shown.name, 0.01).notes))


def method_label(name: str, months: int) -> str:
    """A ranking and its window in words ('Last 12 months' counts (baseline)' for the baseline)."""
    if name == BASELINE and months == TRAIN_MONTHS:
        return METHODS[name].label
    if name == BASELINE:
        return f"Last {months} months' counts"
    return f"{METHODS[name].label}, last {months} months"


def period_text(start: str, end: str) -> str:
    return label(start) if start == end else f"{label(start)} to {label(end)}"


def trust(store: Store, selection, test_months: int = 12, method_name: str = DEFAULT_METHOD,
          train_months: int = TRAIN_MONTHS) -> Trust:
    """Trust figures for the selection's area and types over the ``test_months`` months ending
    with the selection's last month, for ``method_name`` on ``train_months`` months and the baseline."""
    end = selection.period.end
    start = shift(end, -(test_months - 1))
    results = {}
    for name, months in dict.fromkeys([(method_name, train_months), (BASELINE, TRAIN_MONTHS)]):
        for coverage in COVERAGES:
            results[(name, months, coverage)] = evaluate(store, selection.crime_types, start, end, months, coverage,
                                                         name, selection.area)
    return Trust(selection.area_label, selection.types_label, method(method_name), METHODS[BASELINE], results,
                 start, end, train_months)


@memo.memoised
def _forecast(store: Store, crime_types, area: str | None, end: str, coverage: float, method_name: str,
              train_months: int = TRAIN_MONTHS) -> np.ndarray:
    g = hotspots.grid(store, area)
    months, cube = hotspots.month_cube(store, area, crime_types)
    where = {m: i for i, m in enumerate(months)}
    target = shift(end, 1)
    window = [m for m in month_list(shift(target, -train_months), end) if m in where]
    if not window:
        return np.array([], dtype=int)
    train = cube[[where[m] for m in window]]
    lags = np.array([_month_index(target) - _month_index(m) for m in window])
    scores = method(method_name).score(train, lags, g)
    k = cells_for_coverage(coverage, g.total_km2, g.cell_km2)
    chosen = rank_cells(scores)[:k]
    return chosen[train.sum(axis=0)[chosen] > 0]


def forecast_cells(store: Store, selection, coverage: float = 0.01, method_name: str | None = None,
                   train_months: int = TRAIN_MONTHS) -> list[str]:
    """Cell ids the method would pick for the month after the selection (from the ``train_months``
    months up to its end); cells with no records in those months are left out."""
    name = method_name or DEFAULT_METHOD
    method(name)
    g = hotspots.grid(store, selection.area)
    chosen = _forecast(store, hotspots.types_key(selection.crime_types), selection.area, selection.period.end,
                       float(coverage), name, int(train_months))
    return [str(c) for c in g.cell_ids[chosen]]
