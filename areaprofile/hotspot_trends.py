"""Hotspots over time: is a place a new problem, one that has been there for years, or one getting
worse? In the spirit of "emerging hot spot analysis" (ArcGIS), on the 250 m grid of
:mod:`areaprofile.hotspots`.

- **Time slices**: the twelve quarters (three-month blocks) ending with the chosen last month,
  i.e. the last three years. A quarter with a month that is not loaded is left out (and said);
  with fewer than :data:`MIN_QUARTERS` complete quarters no label is given.
- **Hot in a quarter**: Getis-Ord Gi* on that quarter's counts, exactly as the Hotspots map
  (exact upper-tail p, Benjamini-Hochberg cut at 5% over the area's cells, z > 0).
- **Trend**: the Mann-Kendall test on each cell's twelve quarterly counts (:func:`mann_kendall`):
  S = sum over pairs i < j of sign(x_j - x_i); its variance under no trend, corrected for ties,
  is [n(n-1)(2n+5) - sum over tied groups t(t-1)(2t+5)] / 18; z = (S - 1) / sqrt(var) for
  S > 0, (S + 1) / sqrt(var) for S < 0, else 0; two-sided p = 2 (1 - Phi(|z|)); Kendall's tau =
  S / (n(n-1)/2). A trend counts when p < :data:`TREND_ALPHA`.
- **Labels** (:func:`classify`; one sentence each in :data:`DEFINITIONS`, shown on the page):
  a cell hot in at least :data:`PERSISTENT_SHARE` of the quarters is *intensifying*,
  *diminishing* or *persistent* when hot in the latest quarter (by its trend), *historical* when
  not; a cell hot in the latest quarter but in none before the last year is *new*; any other cell
  hot at some time is *sporadic*; the rest are *not a hotspot*.

ArcGIS asks for 90% of the time steps; here 75% (9 of 12 quarters), because a quarter's FDR cut
over a few hundred records is noisy: a city centre's busiest squares miss one or two quarters in three
years, and at 90% they would read 'sporadic'. ArcGIS also tests the trend of the Gi* z-scores and
has cold-spot patterns; police.uk counts (monthly, snapped, many empty cells) make cold spots
meaningless here, so they are left out.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from areaprofile import distributions, hotspots, memo, query
from areaprofile.periods import Period, month_list, shift
from areaprofile.query import Store

QUARTERS = 12
MIN_QUARTERS = 8
TREND_ALPHA = 0.05
#: Share of quarters a cell must be hot in to be persistent, intensifying, diminishing or historical.
PERSISTENT_SHARE = 0.75
#: Quarters that make 'the last year' for a new hotspot.
NEW_QUARTERS = 4

INTENSIFYING, PERSISTENT, DIMINISHING, NEW, SPORADIC, HISTORICAL, NOT_HOT = (
    "intensifying", "persistent", "diminishing", "new", "sporadic", "historical", "not a hotspot")
#: Hot in most quarters including the latest, whatever the trend: what the pack calls persistent.
LONG_STANDING = (INTENSIFYING, PERSISTENT, DIMINISHING)
#: Labels in the order the page lists them (most pressing first).
LABELS = (INTENSIFYING, PERSISTENT, NEW, DIMINISHING, SPORADIC, HISTORICAL, NOT_HOT)

DEFINITIONS = {
    INTENSIFYING: "Hot in at least 9 of the last 12 quarters, including the latest, and its records rose steadily "
                  "(Mann-Kendall trend test, 5% level).",
    PERSISTENT: "Hot in at least 9 of the last 12 quarters, including the latest, with no clear rise or fall in its "
                "records.",
    NEW: "Hot in the latest quarter, and in no quarter before the last year.",
    DIMINISHING: "Hot in at least 9 of the last 12 quarters, including the latest, but its records fell steadily "
                 "(Mann-Kendall trend test, 5% level).",
    SPORADIC: "Hot on and off: in fewer than 9 of the last 12 quarters, and not new.",
    HISTORICAL: "Hot in at least 9 of the last 12 quarters, but not in the latest.",
    NOT_HOT: "Not hot in any of the last 12 quarters.",
}

#: Okabe-Ito colours (colour-blind safe); the legend and table name every label in words too.
COLOURS = {
    INTENSIFYING: "#D55E00",
    PERSISTENT: "#CC79A7",
    NEW: "#E69F00",
    DIMINISHING: "#56B4E9",
    SPORADIC: "#F0E442",
    HISTORICAL: "#0072B2",
}


# ---- the trend test ----------------------------------------------------------------------------


@dataclass(frozen=True)
class MannKendall:
    s: float
    var_s: float
    z: float
    p: float
    tau: float


def mann_kendall_many(series) -> MannKendall:
    """The Mann-Kendall test on each row of ``series`` (rows x times); fields are arrays."""
    x = np.atleast_2d(np.asarray(series, dtype=float))
    n = x.shape[1]
    i, j = np.triu_indices(n, k=1)
    s = np.sign(x[:, j] - x[:, i]).sum(axis=1)
    # Each value tied with t - 1 others contributes (t - 1)(2t + 5); summed over a group of t this
    # gives the group's t(t - 1)(2t + 5).
    ties = (x[:, :, None] == x[:, None, :]).sum(axis=2)
    tie_term = ((ties - 1) * (2 * ties + 5)).sum(axis=1)
    var_s = (n * (n - 1) * (2 * n + 5) - tie_term) / 18.0
    with np.errstate(divide="ignore", invalid="ignore"):
        root = np.sqrt(var_s)
        z = np.where(s > 0, (s - 1) / root, np.where(s < 0, (s + 1) / root, 0.0))
    z = np.where(var_s > 0, z, 0.0)
    p = 2 * np.array([distributions.normal_upper_tail(abs(value)) for value in z.ravel()]).reshape(z.shape)  # 2 P(Z >= |z|)
    tau = s / (n * (n - 1) / 2) if n > 1 else np.zeros(len(s))
    return MannKendall(s, var_s, z, p, tau)


def mann_kendall(series) -> MannKendall:
    """The Mann-Kendall trend test on one series (see the module notes); fields are floats."""
    result = mann_kendall_many([series])
    return MannKendall(*(float(getattr(result, f)[0]) for f in ("s", "var_s", "z", "p", "tau")))


# ---- the labels --------------------------------------------------------------------------------


def classify(hot, tau, p, alpha: float = TREND_ALPHA, persistent_share: float = PERSISTENT_SHARE,
             new_quarters: int = NEW_QUARTERS) -> np.ndarray:
    """One label per row of ``hot`` (cells x quarters, oldest first), given each cell's trend."""
    hot = np.atleast_2d(np.asarray(hot, dtype=bool))
    tau, p = np.asarray(tau, dtype=float), np.asarray(p, dtype=float)
    n = hot.shape[1]
    count = hot.sum(axis=1)
    latest = hot[:, -1]
    mostly = count >= math.ceil(persistent_share * n - 1e-9)
    rising = (p < alpha) & (tau > 0)
    falling = (p < alpha) & (tau < 0)
    only_recent = ~hot[:, : max(n - new_quarters, 0)].any(axis=1)
    labels = np.full(len(hot), SPORADIC, dtype=object)
    labels[count == 0] = NOT_HOT
    labels[mostly & ~latest] = HISTORICAL
    labels[mostly & latest] = PERSISTENT
    labels[mostly & latest & rising] = INTENSIFYING
    labels[mostly & latest & falling] = DIMINISHING
    labels[~mostly & latest & only_recent] = NEW
    return labels


# ---- on the store --------------------------------------------------------------------------------


def quarters(end: str, count: int = QUARTERS) -> list[Period]:
    """The ``count`` three-month blocks ending with ``end``, oldest first."""
    return [Period(shift(end, -3 * (count - q) + 1), shift(end, -3 * (count - q - 1))) for q in range(count)]


@dataclass(frozen=True, eq=False)
class Trends:
    area_label: str
    types_label: str
    quarters: list[Period]  # the complete quarters used, oldest first
    skipped: list[Period]  # quarters left out (a month not loaded)
    cells: pd.DataFrame  # every cell: cell_id, place, label, hot_quarters, hot_latest, s, tau, p, counts...

    @property
    def available(self) -> bool:
        return len(self.quarters) >= MIN_QUARTERS

    @property
    def span_label(self) -> str:
        if not self.quarters:
            return "no complete quarter"
        return Period(self.quarters[0].start, self.quarters[-1].end).label

    def counts(self) -> dict[str, int]:
        """Cells per label (every label, zero included), in :data:`LABELS` order."""
        found = self.cells["label"].value_counts()
        return {label: int(found.get(label, 0)) for label in LABELS}

    def labelled(self) -> pd.DataFrame:
        """The cells with a label other than 'not a hotspot', in :data:`LABELS` order, busiest first."""
        frame = self.cells[self.cells["label"] != NOT_HOT].copy()
        frame["_order"] = frame["label"].map({label: i for i, label in enumerate(LABELS)})
        frame = frame.sort_values(["_order", "total"], ascending=[True, False], kind="stable")
        return frame.drop(columns="_order").reset_index(drop=True)

    def sentence(self) -> str:
        if not self.available:
            return (f"Hotspots over time need at least {MIN_QUARTERS} complete quarters of the three years to "
                    f"{self.span_label}; only {len(self.quarters)} are loaded, so no cell is labelled.")
        counts = self.counts()
        parts = [f"{n} {label}" for label, n in counts.items() if label != NOT_HOT and n]
        if not parts:
            return (f"No 250 m cell in {self.area_label} was a hotspot for {self.types_label} in any of the "
                    f"{len(self.quarters)} quarters from {self.span_label}.")
        first = parts[0].split(" ", 1)
        parts[0] = f"{first[0]} {first[1]} hotspot{'s' if first[0] != '1' else ''}"
        listed = ", ".join(parts[:-1]) + (" and " if len(parts) > 1 else "") + parts[-1]
        return (f"{self.area_label}, {self.types_label}, over the {len(self.quarters)} quarters from "
                f"{self.span_label}: {listed} (250 m cells).")

    def table(self) -> pd.DataFrame:
        """The labelled cells as a plain table (the map's table alternative)."""
        frame = self.labelled()
        n = len(self.quarters)
        third = n // 3
        return pd.DataFrame({
            "Label": frame["label"],
            "Busiest place in the cell": frame["place"].replace("", "—"),
            f"Hot in how many of the {n} quarters": frame["hot_quarters"],
            "Hot in the latest quarter": np.where(frame["hot_latest"], "yes", "no"),
            f"Records, first {third} quarters": frame["first"],
            f"Records, last {third} quarters": frame["last"],
            "Trend (Kendall's tau)": frame["tau"].map(lambda v: f"{v:+.2f}"),
            "Trend p-value": frame["p"].map(hotspots._p_text),
            "Cell (250 m, SW corner)": frame["cell_id"],
        })

    def places(self, labels, limit: int = 3) -> list[str]:
        """Distinct busiest places of the cells with one of ``labels`` (a label or a tuple of them),
        in :data:`LABELS` order, busiest cell first."""
        labels = (labels,) if isinstance(labels, str) else tuple(labels)
        frame = self.labelled()
        names = [p for p in frame.loc[frame["label"].isin(labels), "place"] if p]
        return list(dict.fromkeys(names))[:limit]


@memo.memoised
def trends(store: Store, selection, alpha: float = hotspots.FDR_ALPHA) -> Trends:
    """Labels for every cell of the selection's area over the twelve quarters to its last month."""
    types = hotspots.types_key(selection.crime_types)
    g = hotspots.grid(store, selection.area)
    months, cube = hotspots.month_cube(store, selection.area, types)
    where = {m: i for i, m in enumerate(months)}
    used, skipped = [], []
    for quarter in quarters(selection.period.end):
        inside = month_list(quarter.start, quarter.end)
        (used if all(m in where for m in inside) else skipped).append(quarter)
    series = np.zeros((g.n, len(used)))
    hot = np.zeros((g.n, len(used)), dtype=bool)
    for q, quarter in enumerate(used):
        counts = cube[[where[m] for m in month_list(quarter.start, quarter.end)]].sum(axis=0)
        series[:, q] = counts
        if counts.sum() > 0 and counts.var() > 0 and g.n > 2:
            z = hotspots.gi_star_z(counts, g.neighbours)
            q_values = hotspots.benjamini_hochberg(hotspots.gi_star_exact_p(counts, g.neighbours))
            hot[:, q] = (q_values <= alpha) & (np.nan_to_num(z) > 0)
    trend = mann_kendall_many(series) if len(used) > 1 else MannKendall(np.zeros(g.n), np.zeros(g.n), np.zeros(g.n), np.ones(g.n), np.zeros(g.n))
    labels = classify(hot, trend.tau, trend.p) if len(used) >= MIN_QUARTERS else np.full(g.n, NOT_HOT, dtype=object)
    end = selection.period.end
    places = hotspots.cell_places(store, selection.area, shift(end, -3 * QUARTERS + 1), end, types)
    lon, lat = g.lonlat
    third = len(used) // 3
    cells = pd.DataFrame({
        "cell_id": g.cell_ids,
        "place": [places.get(i, "") for i in range(g.n)],
        "label": labels,
        "hot_quarters": hot.sum(axis=1).astype(int),
        "hot_latest": hot[:, -1] if len(used) else np.zeros(g.n, dtype=bool),
        "s": trend.s.astype(int) if len(used) > 1 else np.zeros(g.n, dtype=int),
        "tau": trend.tau,
        "p": trend.p,
        "total": series.sum(axis=1).astype(int),
        "first": series[:, :third].sum(axis=1).astype(int),
        "last": series[:, len(used) - third:].sum(axis=1).astype(int) if third else np.zeros(g.n, dtype=int),
        "longitude": lon,
        "latitude": lat,
        "_cell": np.arange(g.n),
        "_quarters": list(series.astype(int)),
        "_hot": list(hot),
    })
    return Trends(selection.area_label, selection.types_label, used, skipped, cells)


def map_layer(store: Store, selection) -> dict:
    """GeoJSON of the labelled cells (label, colour, place, numbers in words) for the trends map."""
    result = trends(store, selection)
    g = hotspots.grid(store, selection.area)
    n = len(result.quarters)
    features = []
    for row in result.labelled().to_dict(orient="records"):
        features.append({
            "type": "Feature",
            "properties": {
                "cell_id": row["cell_id"],
                "name": row["place"] or f"Cell {row['cell_id']}",
                "label": row["label"],
                "hot_quarters": f"{row['hot_quarters']} of {n}",
                "trend": f"tau {row['tau']:+.2f}, p {hotspots._p_text(row['p'])}",
                "total": int(row["total"]),
            },
            "geometry": g.square(int(row["_cell"])),
        })
    return {"type": "FeatureCollection", "features": features}
