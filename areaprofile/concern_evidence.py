"""Police.uk numbers for the concerns in the register: since each was raised, against before.

This module is where the register (people's data) meets the police.uk store; neither knows
about the other. For a register concern it counts the concern's crime types in its areas from
the month it was raised to the newest month loaded, and the same number of months just
before, and compares the two with the exact Poisson test of :mod:`areaprofile.metrics`. Every
count comes from :mod:`areaprofile.query`, so it equals ``areaprofile counts`` for the same
areas, months and types.

The month a concern was raised counts as 'since' (police.uk publishes whole months only).
"""

from __future__ import annotations

import functools

from areaprofile import knowledge as kb_module
from areaprofile import metrics, query
from areaprofile.concerns import served_priorities, types_label
from areaprofile.periods import Period, label, month_list
from areaprofile.query import Store
from areaprofile.register import concerns as register_concerns
from areaprofile.register.db import Register


def _month(day: str) -> str:
    return day[:7]


class _StoreCounts:
    """Published rows per (area, month, crime type) from :func:`query.counts`, and the months
    loaded, read once per store version: every since/before figure is a sum of these, so a
    listing of hundreds of concerns costs two queries."""

    def __init__(self, store: Store):
        frame = query.counts(store, ["area", "month", "crime_type"])
        self.table = {(r.area, r.month, r.crime_type): int(r.count) for r in frame.itertuples(index=False)}
        self.months = query.months(store)
        self.loaded = set(self.months)

    def by_area(self, period: Period, types: list[str], areas: list[str]) -> dict[str, int]:
        months = month_list(period.start, period.end)
        return {area: sum(self.table.get((area, month, t), 0) for month in months for t in types) for area in areas}

    def fully_loaded(self, period: Period) -> bool:
        return all(month in self.loaded for month in month_list(period.start, period.end))


_counts: dict[tuple[str, str], _StoreCounts] = {}


def _store_counts(store: Store) -> _StoreCounts:
    key = (str(store.path), store.version)
    if key not in _counts:
        _counts.clear()
        _counts[key] = _StoreCounts(store)
    return _counts[key]


def since_raised(store: Store, concern: dict) -> dict:
    """The evidence for one register concern (a record from :mod:`areaprofile.register.concerns`).

    Keys: ``measured`` (police.uk counts it), ``crime_types``, ``crime_types_label``, ``since`` and
    ``before`` (periods as {start, end, label, months} or None), ``count`` and ``earlier`` (totals
    over the concern's areas, or None), ``areas`` (per-area counts), ``change`` (verdict, p_value,
    percent, unusual, direction; or None) and ``sentence`` (one plain sentence for every case)."""
    types = kb_module.expand_crime_types(concern.get("crime_types"))
    areas = list(concern["areas"])
    record = {
        "concern_id": concern["id"],
        "measured": bool(types),
        "crime_types": types,
        "crime_types_label": types_label(types) if types else None,
        "raised_month": _month(concern["raised_on"]) if concern.get("raised_on") else None,
        "since": None,
        "before": None,
        "count": None,
        "earlier": None,
        "areas": [],
        "change": None,
    }
    if not types:
        what = concern.get("measured_by") or "other data"
        record["sentence"] = f"police.uk cannot count this concern; it would be measured by: {what}"
        return record
    if not concern.get("raised_on"):
        when = f" (raised {concern['raised_note']})" if concern.get("raised_note") else ""
        record["sentence"] = f"No date raised is on record{when}, so there is no since-raised comparison."
        return record
    counts = _store_counts(store)
    loaded = counts.months
    if not loaded:
        record["sentence"] = "The police.uk store holds no months yet."
        return record
    start, latest = record["raised_month"], loaded[-1]
    if start > latest:
        record["sentence"] = (f"Raised in {label(start)}; police.uk months since then are not loaded yet "
                              f"(the newest is {label(latest)}).")
        return record
    since = Period(start, latest)
    before = since.previous()
    now = counts.by_area(since, types, areas)
    record["since"] = _period(since)
    record["before"] = _period(before)
    record["count"] = sum(now.values())
    earlier = counts.by_area(before, types, areas) if counts.fully_loaded(before) else None
    record["earlier"] = None if earlier is None else sum(earlier.values())
    record["areas"] = [{"area": a, "count": now[a], "earlier": None if earlier is None else earlier[a]} for a in areas]
    what = types_label(types)
    where = ", ".join(areas)
    if earlier is None:
        record["sentence"] = (f"{record['count']:,} {what} records in {where} since it was raised ({since.label}); "
                              f"no comparison: the {before.months} months before ({before.label}) are not all loaded.")
        return record
    change = _compare(record["count"], record["earlier"])
    record["change"] = {"verdict": change.verdict, "p_value": change.p_value, "percent": change.percent,
                        "unusual": change.unusual, "direction": change.direction}
    record["sentence"] = (f"{what} in {where} since it was raised ({since.label}) against the {since.months} months "
                          f"before: " + change.sentence("records"))
    return record


@functools.lru_cache(maxsize=4096)
def _compare(current: int, earlier: int) -> metrics.Change:
    """The exact test, remembered: a listing asks the same pairs again and again."""
    return metrics.compare_counts(current, earlier)


def _period(period: Period) -> dict:
    return {"start": period.start, "end": period.end, "label": period.label, "months": period.months}


def linked_priorities(concern: dict, knowledge: kb_module.Knowledge) -> dict:
    """The plan priorities a register concern serves (``serves``, each with its plan, objectives
    and linked measures) and the plan-wide measures that track it (``tracked_by``), worked out
    from its ``links`` the same way as for the knowledge base's concerns."""
    serves, tracked = served_priorities(knowledge, concern["links"])
    return {"serves": serves, "tracked_by": tracked}


def register_with_evidence(store: Store | None, register: Register, area: str | None = None,
                           status=None, include_removed: bool = False) -> list[dict]:
    """The register's listing (open first) with each concern's since-raised evidence under
    ``evidence`` (None when no store is given), for the Concerns page, the pack and the CLI."""
    listing = register_concerns.list_concerns(register, area=area, status=status, include_removed=include_removed)
    kb = register.knowledge
    listing = [dict(c, **linked_priorities(c, kb)) for c in listing]
    if store is None:
        return [dict(c, evidence=None) for c in listing]
    cache: dict[tuple, dict] = {}
    out = []
    for concern in listing:
        key = (tuple(concern["crime_types"]), tuple(concern["areas"]), concern["raised_on"], concern["measured_by"],
               concern["raised_note"])
        if key not in cache:
            cache[key] = since_raised(store, concern)
        out.append(dict(concern, evidence=dict(cache[key], concern_id=concern["id"])))
    return out


