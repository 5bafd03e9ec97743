"""Forecasts up to their ceiling: which ranking to show for a crime type, and how close any map
drawn beforehand can come to the month it predicts.

A hotspot forecast here ranks 250 m cells from months already published and is scored by PAI on
the next month (:mod:`areaprofile.hotspot_accuracy`). Three questions, answered the same way for
the page, the CLI and the bench:

1. **Which ranking?** For each crime type (and area), the window (12, 24 or 36 months) and the
   smoothing (none, or the counts plus 0.1, 0.3 or 1 x the same counts smoothed with a 250 m
   Gaussian kernel) are *chosen on the year before the test year only* ("tuning" months, e.g.
   2019-10..2020-09 for the test year 2020-10..2021-09). A candidate replaces the 12-month count
   only if, on the tuning months at 1% of the land, it beats it with the lower end of a paired
   bootstrap 95% interval of the ratio above 1 (so a gain the tuning months could give by
   chance is not taken); among those, the highest mean ratio wins. The choice is then evaluated
   once on the test year.
2. **The ceilings**, on the same test months and land: the *leave-month-out ceiling* ranks the
   cells of each test month by their average over the *other* test months -- a perfect long-run
   rate, known in advance, which no map of stable rates can beat by more than chance; the
   *hindsight ceiling* ranks them by the month itself (what the month's own records allow, PEI 1).
   The gap between the two is month-to-month chance: police.uk publishes monthly counts at
   snap points, so which nearby cell a given month's incidents land in cannot be known before.
3. **How sure?** Each ranking's mean PAI is compared with the 12-month count's by a ratio of
   means with a paired bootstrap interval over the test months (the same resampled months for
   both rankings, :data:`BOOTSTRAP_SAMPLES` draws, fixed seed).

Training windows use only loaded months (2017-07..2017-12 are missing from the shared data, so a
36-month window ending before 2020-12 holds fewer months; each evaluation's notes say so).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from areaprofile import hotspot_accuracy as ha
from areaprofile import hotspots, memo
from areaprofile.errors import AreaprofileError
from areaprofile.periods import month_list, shift
from areaprofile.query import Store

WINDOWS = (12, 24, 36)
#: Ranking methods of :mod:`hotspot_accuracy` that the choice may take (none, then more smoothing).
SMOOTHINGS = ("naive", "smoothed-0.1", "smoothed-0.3", "smoothed-1")
BOOTSTRAP_SAMPLES = 2000
SEED = 27700
TEST_MONTHS = 12


@dataclass(frozen=True)
class Candidate:
    """One ranking: a method of :mod:`hotspot_accuracy` on a window of months."""

    method: str
    months: int

    @property
    def is_baseline(self) -> bool:
        return self.method == ha.BASELINE and self.months == ha.TRAIN_MONTHS

    @property
    def label(self) -> str:
        return ha.method_label(self.method, self.months)


BASELINE = Candidate(ha.BASELINE, ha.TRAIN_MONTHS)
CANDIDATES = tuple(Candidate(m, w) for w in WINDOWS for m in SMOOTHINGS)


def paired_ratio(values, baseline, samples: int = BOOTSTRAP_SAMPLES, seed: int = SEED) -> tuple[float, float, float]:
    """(mean(values) / mean(baseline), 2.5% and 97.5% bootstrap bounds) over paired months.

    Each draw resamples the months with replacement and takes the ratio of the two means on the
    same months, so a month that is hard for both rankings moves both."""
    values = np.asarray(values, dtype=float)
    baseline = np.asarray(baseline, dtype=float)
    if len(values) != len(baseline) or len(values) == 0 or baseline.mean() <= 0:
        return float("nan"), float("nan"), float("nan")
    draws = np.random.default_rng(seed).integers(0, len(values), (samples, len(values)))
    with np.errstate(divide="ignore", invalid="ignore"):
        ratios = values[draws].mean(axis=1) / baseline[draws].mean(axis=1)
    ratios = ratios[np.isfinite(ratios)]
    low, high = np.percentile(ratios, [2.5, 97.5]) if len(ratios) else (np.nan, np.nan)
    return float(values.mean() / baseline.mean()), float(low), float(high)


def _pais(evaluation: ha.Evaluation) -> dict[str, float]:
    return {m.month: m.pai for m in evaluation.months if m.pai is not None}


def _paired(a: dict, b: dict) -> tuple[np.ndarray, np.ndarray]:
    months = [m for m in a if m in b]
    return np.array([a[m] for m in months]), np.array([b[m] for m in months])


@memo.memoised
def choose(store: Store, crime_types, area: str | None, tune_from: str, tune_to: str) -> Candidate:
    """The ranking for these types and area, chosen on the tuning months only (module notes, 1);
    the 12-month count when the tuning months cannot be scored (not loaded)."""
    try:
        base = _pais(ha.evaluate(store, crime_types, tune_from, tune_to, BASELINE.months, 0.01, BASELINE.method,
                                 area))
    except AreaprofileError:
        return BASELINE
    best, best_ratio = BASELINE, 1.0
    for candidate in CANDIDATES:
        if candidate.is_baseline:
            continue
        ours = _pais(ha.evaluate(store, crime_types, tune_from, tune_to, candidate.months, 0.01, candidate.method,
                                 area))
        ratio, low, _high = paired_ratio(*_paired(ours, base))
        if low > 1.0 and ratio > best_ratio:
            best, best_ratio = candidate, ratio
    return best


@memo.memoised
def ceiling_pais(store: Store, crime_types, area: str | None, test_from: str, test_to: str,
                 coverage: float) -> dict[str, tuple[float, float]]:
    """Per test month with records: (leave-month-out PAI, hindsight PAI) (module notes, 2)."""
    types = hotspots.types_key(crime_types)
    g = hotspots.grid(store, area)
    months, cube = hotspots.month_cube(store, area, types)
    where = {m: i for i, m in enumerate(months)}
    tests = [m for m in month_list(test_from, test_to) if m in where and cube[where[m]].sum() > 0]
    k = ha.cells_for_coverage(coverage, g.total_km2, g.cell_km2)
    out = {}
    for month in tests:
        counts = cube[where[month]]
        others = [where[m] for m in tests if m != month]
        hindsight = ha.score_month(month, counts, counts, counts, g.land_km2, g.total_km2, k).pai
        if not others:
            out[month] = (None, hindsight)
            continue
        rate = cube[others].mean(axis=0)
        out[month] = (ha.score_month(month, rate, rate, counts, g.land_km2, g.total_km2, k).pai, hindsight)
    return out


def ceilings(store: Store, crime_types, area: str | None, test_from: str, test_to: str,
             coverage: float) -> tuple[float | None, float | None]:
    """Mean (leave-month-out, hindsight) PAI over the test months."""
    values = ceiling_pais(store, hotspots.types_key(crime_types), area, test_from, test_to, float(coverage))
    lmo = [v[0] for v in values.values() if v[0] is not None]
    hind = [v[1] for v in values.values() if v[1] is not None]
    return (float(np.mean(lmo)) if lmo else None), (float(np.mean(hind)) if hind else None)


def accuracy_json(store: Store, evaluation: ha.Evaluation) -> dict:
    """``evaluation.as_dict()`` with ``ceiling_pai`` (leave-month-out) and ``hindsight_pai``
    beside ``mean_pai``, and per month."""
    per_month = ceiling_pais(store, evaluation.crime_types, evaluation.area, evaluation.test_from,
                             evaluation.test_to, evaluation.coverage)
    lmo, hind = ceilings(store, evaluation.crime_types, evaluation.area, evaluation.test_from, evaluation.test_to,
                         evaluation.coverage)
    out = {}
    for key, value in evaluation.as_dict().items():
        out[key] = value
        if key == "mean_pai":
            out["ceiling_pai"] = None if lmo is None else round(lmo, 3)
            out["hindsight_pai"] = None if hind is None else round(hind, 3)
    for month in out["months"]:
        lmo_month, hind_month = per_month.get(month["month"], (None, None))
        month["ceiling_pai"] = None if lmo_month is None else round(lmo_month, 3)
        month["hindsight_pai"] = None if hind_month is None else round(hind_month, 3)
    return out


# ---- the report: one crime type, one area, one test year ------------------------------------------


@dataclass(frozen=True)
class Row:
    """One ranking's mean PAI and ratio to the 12-month count (with its bootstrap interval)."""

    name: str
    pai: float | None
    ratio: float
    low: float
    high: float


@dataclass(frozen=True, eq=False)
class CeilingReport:
    area_label: str
    types_label: str
    tune_from: str
    tune_to: str
    test_from: str
    test_to: str
    chosen: Candidate
    rows: dict  # coverage -> list[Row]: naive-12/24/36, chosen, leave-month-out, hindsight
    test_months: int

    CHOSEN = "Chosen ranking"
    CEILING = "Leave-month-out ceiling"
    HINDSIGHT = "Hindsight ceiling"

    def row(self, name: str, coverage: float) -> Row:
        return next(r for r in self.rows[coverage] if r.name == name)

    def table(self) -> pd.DataFrame:
        """One line per ranking: mean PAI and ratio to the 12-month count at 1% and 5% of the land."""
        records = []
        for i, one in enumerate(self.rows[0.01]):
            five = self.rows[0.05][i]
            record = {"Ranking": one.name}
            for coverage, r in ((1, one), (5, five)):
                record[f"PAI, {coverage}% of land"] = None if r.pai is None else round(r.pai, 1)
                record[f"Ratio to 12 months' counts, {coverage}%"] = _ratio_text(r)
            records.append(record)
        frame = pd.DataFrame(records)
        frame.loc[frame["Ranking"] == self.CHOSEN, "Ranking"] = f"{self.CHOSEN}: {self.chosen.label}"
        return frame

    @property
    def share_of_ceiling(self) -> float | None:
        chosen, ceiling = self.row(self.CHOSEN, 0.01).pai, self.row(self.CEILING, 0.01).pai
        return None if not chosen or not ceiling else chosen / ceiling

    def sentence(self, map_pai: float | None = None) -> str:
        """How close the map (PAI ``map_pai`` at 1%, default: the chosen ranking's) comes to the best a
        map of long-run rates could do, and why a better score is not possible from monthly data."""
        ceiling, hindsight = self.row(self.CEILING, 0.01), self.row(self.HINDSIGHT, 0.01)
        pai = self.row(self.CHOSEN, 0.01).pai if map_pai is None else map_pai
        if pai is None or ceiling.pai is None or hindsight.pai is None:
            return f"There are too few {self.types_label} records in {self.area_label} to say how good the map could be."
        share = 100 * pai / ceiling.pai
        why = (f"Only knowing each month in hindsight would score more (PAI {hindsight.pai:.1f}): that gap is "
               f"month-to-month chance, because police.uk publishes only a monthly count at each snap point, so no map "
               f"drawn beforehand can know which nearby streets a given month's incidents will fall on.")
        if share > 102:
            return (
                f"On 1% of the land this map scores more than a map ranked by each cell's average over the other test "
                f"months (PAI {pai:.1f} against {ceiling.pai:.1f}): {self.types_label} in {self.area_label} is too "
                f"rare for eleven months to show a place's long-run rate, so a longer history does better. " + why
            )
        closeness = "matches" if share >= 99.5 else f"reaches {share:.0f}% of"
        return (
            f"On 1% of the land this map {closeness} the best score a map of long-run rates could reach on the same "
            f"months (PAI {pai:.1f} against {ceiling.pai:.1f}, the cells ranked by their average over the other test "
            f"months). " + why
        )

    def method_sentence(self, shown_label: str | None = None) -> str:
        """Which ranking the map shows for these types, and on which months it was chosen."""
        text = (f"Ranking chosen for {self.types_label} in {self.area_label}: {self.chosen.label.lower()}, chosen "
                f"on {ha.period_text(self.tune_from, self.tune_to)} only, before the test months")
        if shown_label and shown_label != self.chosen.label:
            return text + f"; the map shows {shown_label.lower()}, which did better on the test months."
        return text + "."


def _ratio_text(row: Row) -> str:
    if not np.isfinite(row.ratio):
        return "—"
    if not np.isfinite(row.low):
        return f"{row.ratio:.2f}"
    return f"{row.ratio:.2f} ({row.low:.2f} to {row.high:.2f})"


@memo.memoised
def report(store: Store, crime_types, area: str | None, test_to: str, area_label: str = "",
           types_label: str = "") -> CeilingReport:
    """Naive 12/24/36, the chosen ranking and both ceilings on the ``TEST_MONTHS`` months to
    ``test_to``, at 1% and 5%, the ranking chosen on the year before."""
    types = hotspots.types_key(crime_types)
    test_from = shift(test_to, -(TEST_MONTHS - 1))
    tune_to = shift(test_from, -1)
    tune_from = shift(tune_to, -(TEST_MONTHS - 1))
    chosen = choose(store, types, area, tune_from, tune_to)
    rows = {}
    for coverage in ha.COVERAGES:
        def pais(candidate: Candidate) -> dict[str, float]:
            return _pais(ha.evaluate(store, types, test_from, test_to, candidate.months, coverage, candidate.method,
                                     area))

        base = pais(BASELINE)
        ceiling = ceiling_pais(store, types, area, test_from, test_to, coverage)
        named = [(f"Last {w} months' counts", pais(Candidate(ha.BASELINE, w))) for w in WINDOWS]
        named.append((CeilingReport.CHOSEN, pais(chosen)))
        named.append((CeilingReport.CEILING, {m: v[0] for m, v in ceiling.items() if v[0] is not None}))
        named.append((CeilingReport.HINDSIGHT, {m: v[1] for m, v in ceiling.items() if v[1] is not None}))
        out = []
        for name, values in named:
            ours, theirs = _paired(values, base)
            ratio, low, high = paired_ratio(ours, theirs)
            out.append(Row(name, float(np.mean(list(values.values()))) if values else None, ratio, low, high))
        rows[coverage] = out
    return CeilingReport(area_label, types_label, tune_from, tune_to, test_from, test_to, chosen, rows,
                         len(base))


TABLE_NOTE = (
    "PAI: the share of a month's records in the chosen cells divided by their share of the land, averaged over the "
    "12 test months. Ratio: against the last 12 months' counts, with a 95% interval from resampling the test months "
    "(the same months for both). Leave-month-out ceiling: cells ranked by their average over the other test months, "
    "a perfect long-run rate. Hindsight ceiling: cells ranked by the month itself."
)


def for_selection(store: Store, selection) -> CeilingReport:
    """The report for a page selection: its area and types, test year ending with its last month."""
    return report(store, hotspots.types_key(selection.crime_types), selection.area, selection.period.end,
                  selection.area_label, selection.types_label)


def page_trust(store: Store, selection) -> tuple[ha.Trust, CeilingReport]:
    """The page's trust figures for the chosen ranking, and the ceiling report they are judged by."""
    ceiling = for_selection(store, selection)
    return ha.trust(store, selection, TEST_MONTHS, ceiling.chosen.method, ceiling.chosen.months), ceiling


def forecast_cells(store: Store, selection, trust: ha.Trust, coverage: float = 0.01) -> list[str]:
    """The cells the shown ranking picks for the month after the selection."""
    return ha.forecast_cells(store, selection, coverage, trust.shown.name, trust.shown_months)
