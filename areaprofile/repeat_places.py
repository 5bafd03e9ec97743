"""Repeat places: snap points that keep coming back among an area's busiest, month after month.

A place busy once may be chance; a place in the top ``TOP`` every month for a season is where
a neighbourhood team can act. :func:`repeat_places` ranks the snap points of each of the last
``WINDOW`` months and says, for each, how many months it was among the busiest and for how many
months in a row up to the latest. Page and pack share it.
"""

from __future__ import annotations

import pandas as pd

from areaprofile import query
from areaprofile.periods import label, month_list, shift
from areaprofile.query import Store

TOP = 10  # "among the busiest" = in the month's top ten snap points (ties included)
WINDOW = 12  # months looked back, to the end of the selection's period
REPEAT = 3  # months in a row that make a repeat place

COLUMNS = ["Place (on or near)", "Area", "Records", "Months among the busiest", "Months in a row", "Repeat place",
           "Latitude", "Longitude"]


def repeat_places(store: Store, selection, top: int = TOP, window: int = WINDOW, limit: int = 10) -> pd.DataFrame:
    """The places most often among the month's ``top`` busiest over ``window`` months to the period's end.

    A place is one snap point (one name can have several). A month not loaded breaks a run (it
    cannot be known). ``.attrs`` holds the months looked at."""
    months = month_list(shift(selection.period.end, -(window - 1)), selection.period.end)
    where, params = query.where_clause(**selection.filters(start=months[0], end=months[-1]), store=store)
    ranked = store.sql(
        f"""
        WITH per_month AS (
            SELECT month, location, area, ROUND(latitude, 5) AS lat, ROUND(longitude, 5) AS lon, COUNT(*) AS n
            FROM crimes WHERE {where} AND location <> '' AND latitude IS NOT NULL GROUP BY ALL
        )
        SELECT *, rank() OVER (PARTITION BY month ORDER BY n DESC) AS place_rank FROM per_month
        """,
        params,
    )
    busiest = ranked[ranked["place_rank"] <= top]
    place = ["location", "area", "lat", "lon"]
    totals = ranked.groupby(place)["n"].sum()
    rows = []
    for (location, area, lat, lon), part in busiest.groupby(place):
        in_top = set(part["month"])
        run = 0
        for month in reversed(months):
            if month not in in_top:
                break
            run += 1
        rows.append([location, area, int(totals.loc[(location, area, lat, lon)]), len(in_top), run, run >= REPEAT, lat, lon])
    frame = pd.DataFrame(rows, columns=COLUMNS)
    frame = frame.sort_values(["Months in a row", "Months among the busiest", "Records"], ascending=False).head(limit)
    frame = frame.reset_index(drop=True)
    frame.attrs["months"] = months
    return frame


def pack_line(frame: pd.DataFrame) -> str:
    """The repeat places in a few words for the pack ('' when there are none)."""
    repeats = frame[frame["Repeat place"]].head(4)
    return "; ".join(f"{r['Place (on or near)']} ({r['Months in a row']} months in a row)" for _, r in repeats.iterrows())


def repeat_sentence(frame: pd.DataFrame, area_label: str) -> str:
    """The repeat places in words (the pack prints this line)."""
    months = frame.attrs.get("months") or []
    span = f"{label(months[0])} to {label(months[-1])}" if months else "the last months"
    repeats = frame[frame["Repeat place"]]
    if repeats.empty:
        return (f"No place in {area_label} was among its {TOP} busiest snap points for {REPEAT} or more months in a row "
                f"({span}).")
    named = "; ".join(f"{r['Place (on or near)']} ({r['Months in a row']} months in a row)" for _, r in repeats.head(5).iterrows())
    return f"Repeat places in {area_label}, among the {TOP} busiest snap points month after month ({span}): {named}."
