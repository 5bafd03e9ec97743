"""Outcomes recorded by police in a month, from police.uk's monthly outcomes files.

Each monthly outcomes file lists every outcome police recorded in that month, for a crime of that
month or any earlier one: it tells what police finished that month, not what became of that
month's crimes (``outcomes.py`` answers that from each crime's last outcome). Few months have
such a file, so every answer names the months of the period that have one and those that do
not. The file names no crime type, so the crime-type choice cannot narrow these counts; the
Crime ID links an outcome to its crime where the store holds that crime's month.

The Area profile and `areaprofile outcomes --recorded` both call :func:`recorded_outcomes`.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from areaprofile import query
from areaprofile.config import ASB, CRIME_TYPES
from areaprofile.outcomes import months_text, group_table
from areaprofile.periods import label, month_list
from areaprofile.query import Store

MEANING = (
    "Each month police.uk can also publish an outcomes file: every outcome police recorded that month, whatever "
    "month the crime happened in. It shows police work finished in a month, not what became of that month's crimes, "
    "so these counts differ from the outcomes of a period's crimes (each crime's last outcome)."
)


@dataclass
class RecordedOutcomes:
    """The outcomes recorded in the selection's months that have an outcomes file, in plain groups."""

    months_with_file: list[str]  # months of the period with an outcomes file in the store
    months_without_file: list[str]  # months of the period without one
    held_months: list[str]  # every month with an outcomes file in the store
    table: pd.DataFrame  # Group, Outcomes, Share (%), Categories
    outcomes: int
    linked: int  # outcomes whose Crime ID is a crime in the store
    same_month: int  # ... of those, outcomes recorded in the month of their crime
    by_crime_month: pd.DataFrame  # Crime month, Outcomes: where the linked outcomes' crimes come from
    types_note: str = ""  # how the crime-type choice bears on these counts
    asb_only: bool = False  # only anti-social behaviour was chosen: it has no outcomes
    meaning: str = MEANING

    @property
    def title(self) -> str:
        if not self.months_with_file:
            return "Outcomes recorded by police (monthly outcomes files)"
        return f"Outcomes recorded by police in {months_text(self.months_with_file)}"

    def coverage_sentence(self) -> str:
        """Which months have an outcomes file, in words."""
        if not self.held_months:
            return "No month has an outcomes file here: the build found none in its sources."
        many = len(self.held_months)
        text = f"Only {many} month{'s have' if many > 1 else ' has'} an outcomes file here ({months_text(self.held_months)})."
        if not self.months_with_file:
            return text + " Choose a period that includes one of them to see the outcomes recorded then."
        if self.months_without_file:
            none = len(self.months_without_file)
            text += (f" {none} month{'s' if none > 1 else ''} of this period {'have' if none > 1 else 'has'} none "
                     f"({months_text(self.months_without_file)}) and are not counted.")
        return text

    def sentence(self, area_label: str) -> str:
        if not self.months_with_file:
            return "No month of this period has an outcomes file, so no recorded outcomes can be shown."
        if self.asb_only:
            return "Anti-social behaviour has no outcomes; choose crime types to see the outcomes police recorded."
        if not self.outcomes:
            return f"Police recorded no outcomes in {area_label} in {months_text(self.months_with_file)}."
        table = self.table.set_index("Group")
        charged = table.loc["Charged or summonsed"]
        top = self.table.sort_values("Outcomes", ascending=False).iloc[0]
        return (
            f"Police recorded {self.outcomes:,} outcomes in {area_label} in {months_text(self.months_with_file)}: "
            f"{int(charged['Outcomes']):,} ({charged['Share (%)']:.0f}%) a charge or summons; the largest group is "
            f"'{top['Group'].lower()}' ({top['Share (%)']:.0f}%)."
        )

    def link_sentence(self) -> str:
        """How many of the outcomes belong to crimes in the store, and from which months."""
        if not self.outcomes:
            return ""
        unlinked = self.outcomes - self.linked
        text = f"{self.linked:,} of the {self.outcomes:,} outcomes belong to crimes held here (by Crime ID)"
        if self.linked:
            months = self.by_crime_month["Crime month"].tolist()
            span = label(months[0]) if len(months) == 1 else f"{label(months[0])} to {label(months[-1])}"
            text += f", crimes of {span}; {self.same_month:,} were recorded in the crime's own month"
        text += "."
        if unlinked:
            text += f" The other {unlinked:,} match no crime held here (most likely crimes of months not held)."
        return text

    def as_dict(self) -> dict:
        return {
            "months_with_file": self.months_with_file,
            "months_without_file": self.months_without_file,
            "months_with_file_in_store": self.held_months,
            "outcomes": self.outcomes,
            "linked_to_crimes": self.linked,
            "recorded_in_crime_month": self.same_month,
            "linked_by_crime_month": {r["Crime month"]: int(r["Outcomes"]) for _, r in self.by_crime_month.iterrows()},
            "groups": [
                {"group": r["Group"], "outcomes": int(r["Outcomes"]), "share_percent": float(r["Share (%)"]),
                 "categories": r["Categories"]}
                for _, r in self.table.iterrows()
            ],
            "crime_types": self.types_note,
            "meaning": self.meaning,
            "coverage": self.coverage_sentence(),
        }


def held_months(store: Store) -> list[str]:
    """Months with an outcomes file in the store (none for a store built before they were read)."""
    if not store.scalar("SELECT count(*) FROM information_schema.tables WHERE table_name = 'outcome_files'"):
        return []
    return store.sql("SELECT DISTINCT month FROM outcome_files ORDER BY month")["month"].tolist()


def recorded_outcomes(store: Store, selection) -> RecordedOutcomes:
    """Outcomes recorded in the selection's months that have an outcomes file, for its area, ward or parish."""
    held = held_months(store)
    period = month_list(selection.period.start, selection.period.end)
    with_file = [m for m in period if m in held]
    without = [m for m in period if m not in held]
    counts = pd.DataFrame({"last_outcome": pd.Series(dtype=str), "count": pd.Series(dtype=int)})
    by_crime_month = pd.DataFrame({"Crime month": pd.Series(dtype=str), "Outcomes": pd.Series(dtype=int)})
    linked = same_month = 0
    asb_only = set(selection.crime_types or ()) == {ASB}
    if with_file and not asb_only:
        where, params = query.where_clause(**selection.filters(crime_types=None), store=store)
        chosen = f"SELECT crime_id, month, outcome_type FROM outcomes WHERE {where}"
        counts = store.sql(f"SELECT outcome_type AS last_outcome, count(*) AS count FROM ({chosen}) GROUP BY 1", params)
        by_crime_month = store.sql(
            f"""WITH o AS ({chosen}),
                c AS (SELECT crime_id, min(month) AS month FROM crimes
                      WHERE crime_id IN (SELECT crime_id FROM o WHERE crime_id <> '') GROUP BY 1)
                SELECT c.month AS "Crime month", count(*) AS "Outcomes", count(*) FILTER (c.month = o.month) AS same
                FROM o JOIN c USING (crime_id) GROUP BY 1 ORDER BY 1""",
            params,
        )
        linked, same_month = int(by_crime_month["Outcomes"].sum()), int(by_crime_month.pop("same").sum())
    table = group_table(counts).rename(columns={"Crimes": "Outcomes"})
    return RecordedOutcomes(
        months_with_file=with_file, months_without_file=without, held_months=held, table=table,
        outcomes=int(counts["count"].sum()) if len(counts) else 0, linked=linked, same_month=same_month,
        by_crime_month=by_crime_month,
        types_note=_types_note(selection.crime_types), asb_only=asb_only,
    )


def _types_note(crime_types) -> str:
    types = set(crime_types or CRIME_TYPES)
    if types == {ASB}:
        return "Anti-social behaviour has no outcomes, so none are counted."
    if types >= set(CRIME_TYPES) - {ASB}:
        return "Every crime type (ASB has no outcomes)."
    return ("Every crime type: the outcomes file does not name the crime type, so the crime-type choice does not "
            "narrow these counts.")
