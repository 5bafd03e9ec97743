"""The same months last year and the time of year.

Two questions a forum asks of a rise: is it more than last year, and is it just the season?
:func:`rolling_year` sets the 12 months to the period's end against the 12 before (with the
exact Poisson test of :mod:`areaprofile.metrics`); :func:`month_of_year` averages each calendar
month over every year loaded, so a summer rise can be seen to be usual (or not) here.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass

import pandas as pd

from areaprofile import metrics, query
from areaprofile.periods import Period, label, month_list, shift
from areaprofile.query import Store


@dataclass(frozen=True)
class RollingYear:
    """The 12 months to ``latest.end`` against the 12 before; ``change`` is None when a month is missing."""

    latest: Period
    before: Period
    change: metrics.Change | None
    missing: tuple[str, ...]

    def sentence(self, what: str, area_label: str) -> str:
        if self.change is None:
            shown = ", ".join(label(m) for m in self.missing[:4]) + (" and more" if len(self.missing) > 4 else "")
            return (f"No rolling-year comparison for {area_label}: {len(self.missing)} of the 24 months it needs are "
                    f"not loaded ({shown}).")
        return f"{area_label}, {self.latest.label} against {self.before.label}: " + self.change.sentence(what)


def rolling_year(store: Store, selection) -> RollingYear:
    """Rolling 12 months to the end of ``selection``'s period against the 12 months before them."""
    latest = Period(shift(selection.period.end, -11), selection.period.end)
    before = Period(shift(latest.start, -12), shift(latest.start, -1))
    held = set(query.months(store))
    missing = tuple(m for m in month_list(before.start, latest.end) if m not in held)
    change = None
    if not missing:
        now = query.total(store, **selection.filters(latest))
        then = query.total(store, **selection.filters(before))
        change = metrics.compare_counts(now, then)
    return RollingYear(latest=latest, before=before, change=change, missing=missing)


def month_of_year(store: Store, selection) -> pd.DataFrame:
    """Per calendar month: the average records over the years loaded, its lowest and highest, and
    the average as a percentage of an average month (100 = usual). The selection's period is not
    used: every loaded month counts, so the profile rests on as many years as there are."""
    frame = query.counts(store, ["month"], **selection.filters(start=None, end=None))
    loaded = pd.DataFrame({"month": query.months(store)})
    frame = loaded.merge(frame, on="month", how="left").fillna({"count": 0})
    frame["number"] = frame["month"].str[5:].astype(int)
    table = frame.groupby("number")["count"].agg(["mean", "min", "max", "size"]).reindex(range(1, 13))
    overall = frame["count"].mean() if len(frame) else 0.0
    return pd.DataFrame({
        "Month": [calendar.month_name[n] for n in table.index],
        "Average records": table["mean"].round(1).values,
        "Lowest": table["min"].values,
        "Highest": table["max"].values,
        "Years": table["size"].fillna(0).astype(int).values,
        "Against an average month (%)": (100 * table["mean"] / overall).round(0).values if overall else 0.0,
    })


def season_sentence(profile: pd.DataFrame, area_label: str) -> str:
    """Which months are usually busiest and quietest here, and whether summer runs high."""
    known = profile.dropna(subset=["Average records"])
    if known.empty:
        return f"No months loaded for {area_label}."
    busiest = known.loc[known["Against an average month (%)"].idxmax()]
    quietest = known.loc[known["Against an average month (%)"].idxmin()]
    summer = known[known["Month"].isin(["June", "July", "August"])]["Against an average month (%)"].mean()
    summer_words = (f"June to August run {summer - 100:+.0f}% against an average month, so a summer rise is usual here"
                    if summer >= 105 else f"June to August run {summer - 100:+.0f}% against an average month, so a summer "
                    "rise is not the usual pattern here")
    return (f"In {area_label}, {busiest['Month']} is usually the busiest month ({busiest['Against an average month (%)'] - 100:+.0f}%) "
            f"and {quietest['Month']} the quietest ({quietest['Against an average month (%)'] - 100:+.0f}%); {summer_words}.")
