"""How complete the data behind a figure is: months missing, rows no area can count, when the
next month is due.

One function serves every place a figure is shown (Area profile, Compare areas, Map, the pack,
the CLI), so a figure that rests on an incomplete period says so in the same words wherever it
appears, not only on the Data & sources page.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from areaprofile import query, update_log
from areaprofile.periods import Period, label, month_list
from areaprofile.query import Store


@dataclass(frozen=True)
class Completeness:
    """The completeness facts of one selection (area, period, types)."""

    period: Period
    months_missing: tuple[str, ...]  # months of the period the store does not hold
    months_wanted: int
    records: int  # records of the selection in the months held
    records_without_location: int  # of those, rows with no map position
    force_rows_without_location: int  # rows of the period's files with no location (no area can count them)
    force_rows_blank_lsoa: int  # rows of the period's files with a blank LSOA code
    next_month: str  # the first month not yet held or published
    next_expected_by: date  # about when police.uk publishes it

    @property
    def months_loaded(self) -> int:
        return self.months_wanted - len(self.months_missing)

    @property
    def share_loaded(self) -> float:
        """Share of the period's months loaded, 0-100."""
        return 100.0 * self.months_loaded / self.months_wanted if self.months_wanted else 0.0

    @property
    def complete(self) -> bool:
        return not self.months_missing

    def notice(self) -> str | None:
        """One warning sentence when the figure rests on an incomplete period, else None."""
        if self.complete:
            return None
        missing = ", ".join(label(m) for m in self.months_missing[:6]) + (" and more" if len(self.months_missing) > 6 else "")
        return (
            f"Incomplete period: only {self.months_loaded} of the {self.months_wanted} months of {self.period.label} are "
            f"loaded ({self.share_loaded:.0f}%; missing {missing}), so these figures cover those months only and "
            "are lower than a full period would be."
        )

    def short_notice(self) -> str | None:
        """The notice in a few words, for the one-page pack."""
        if self.complete:
            return None
        return (f"Only {self.months_loaded} of the {self.months_wanted} months of {self.period.label} are loaded; "
                "figures cover those months only.")

    def sentence(self) -> str:
        """The completeness facts in words, shown beside the figures."""
        located = (
            f"{self.records_without_location:,} of these {self.records:,} records have no map position"
            if self.records_without_location else f"all {self.records:,} records have a map position"
        )
        return (
            f"Data completeness: {self.months_loaded} of {self.months_wanted} months loaded ({self.share_loaded:.0f}%); "
            f"{located}. In the force's files for these months {self.force_rows_without_location:,} rows had no location "
            f"and {self.force_rows_blank_lsoa:,} a blank LSOA, so no area counts them. "
            f"{label(self.next_month)} is due from police.uk by about {self.next_expected_by.day} "
            f"{self.next_expected_by:%B %Y}."
        )

    def as_dict(self) -> dict:
        return {
            "period": [self.period.start, self.period.end],
            "months_missing": list(self.months_missing),
            "months_loaded": self.months_loaded,
            "months_wanted": self.months_wanted,
            "share_loaded_percent": round(self.share_loaded, 1),
            "records": self.records,
            "records_without_location": self.records_without_location,
            "force_rows_without_location": self.force_rows_without_location,
            "force_rows_blank_lsoa": self.force_rows_blank_lsoa,
            "next_month": self.next_month,
            "next_expected_by": self.next_expected_by.isoformat(),
        }


def completeness(store: Store, selection) -> Completeness:
    """The completeness of ``selection`` (a :class:`areaprofile.profile.Selection`) in ``store``."""
    period = selection.period
    wanted = month_list(period.start, period.end)
    held = set(query.months(store))
    where, params = query.where_clause(**selection.filters(), store=store)
    # Plain rows, not DataFrames: this runs before the map page's first map is sent (deferred_import).
    (records, unplaced), = store.rows(
        f"SELECT count(*) AS n, count(*) FILTER (longitude IS NULL OR latitude IS NULL) AS u FROM crimes WHERE {where}", params
    )[1]
    columns = {name for (name,) in store.rows(
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'files'")[1]}
    blank = "rows_blank_lsoa" if "rows_blank_lsoa" in columns else "0"  # stores built before it was counted
    (force_without_location, force_blank_lsoa), = store.rows(
        f"SELECT coalesce(sum(rows_without_location), 0) AS w, coalesce(sum({blank}), 0) AS b FROM files "
        "WHERE month BETWEEN ? AND ?",
        [period.start, period.end],
    )[1]
    fresh = update_log.freshness(store)
    return Completeness(
        period=period,
        months_missing=tuple(m for m in wanted if m not in held),
        months_wanted=len(wanted),
        records=int(records),
        records_without_location=int(unplaced),
        force_rows_without_location=int(force_without_location),
        force_rows_blank_lsoa=int(force_blank_lsoa),
        next_month=fresh.next_month,
        next_expected_by=fresh.next_expected_by,
    )
