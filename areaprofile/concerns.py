"""Evidence for the forums' concerns, the plans' priorities and the plans' measures.

Profile-style: every function takes the open store and a :class:`~areaprofile.profile.Selection`
(only its area and period are used; each concern or measure brings its own crime types) and
returns finished records or tables that the pages, the CLI and the reports only lay out. Every
count comes through :mod:`areaprofile.query`, so it equals ``areaprofile counts`` for the same
area, months and crime types.

Records are plain dicts (JSON-ready apart from the tables), so they cache and serialise.

* :func:`concern_evidence` - an area's concerns, each with count, rate per 1,000 residents
  (Census 2021), a 12-month series, changes against the previous period and a year earlier
  ("unusual" or "within normal variation"), the three busiest places, the plan priorities it
  serves with their objectives, and - when police.uk cannot measure it - what would.
* :func:`priority_evidence` - each plan priority: which areas raised related concerns, and how
  the related crime types moved in each of the partnership's areas.
* :func:`measure_evidence` - a plan's measures, marked computable from police.uk (then counted
  per area) or not (then the dataset that would be needed).

How a concern is tied to a priority: a concern links to priorities, objectives or measures
(``priorities:`` in ``concerns.yaml``). It *serves* a priority when it links to the priority
itself, one of its objectives, or a measure that belongs to that priority alone. A link to a
plan-wide measure that serves several priorities (e.g. total recorded crime) only says the
measure would show the concern; it is listed as ``tracked_by`` and does not tie the concern to
every priority of the plan.
"""

from __future__ import annotations

import pandas as pd

from areaprofile import knowledge as kb_module
from areaprofile import metrics, partnership, profile, query
from areaprofile.config import ASB, CRIME_TYPES
from areaprofile.errors import AreaprofileError
from areaprofile.periods import Period, label, month_list, shift
from areaprofile.profile import Selection
from areaprofile.query import Store

#: Months in a concern's sparkline.
TREND_MONTHS = 12
#: Busiest places listed per concern.
TOP_PLACES = 3

NOT_AVAILABLE = "not available"
NO_DATA = "No police.uk data"

COVERAGE_WORDS = {
    "full": "Counted from police.uk",
    "partial": "Partly counted from police.uk",
    "none": NO_DATA,
}
FIT_WORDS = {
    "exact": "Counts this measure",
    "proxy": "A stand-in: the nearest police.uk types, not exactly this measure",
}
STATUS_WORDS = {"adopted": "adopted", "draft": "draft, out for consultation", "published": "published"}


# --------------------------------------------------------------------------------------------
# Small shared pieces


def _knowledge(store: Store) -> kb_module.Knowledge:
    """The plan knowledge of the store's partnership (its folder, its first scheme's areas)."""
    return kb_module.for_partnership(partnership.of_store(store))


def _as_built(store: Store) -> Store:
    """Concerns and plans name the areas of the partnership's first scheme: count in those."""
    return query.open_store(store.path) if store.scheme else store


def _need_area(selection: Selection, kb: kb_module.Knowledge) -> str:
    if not selection.area:
        raise AreaprofileError(f"Choose one forum area ({', '.join(kb.areas)}) to see its concerns.")
    return selection.area


def default_measures_plan(store: Store) -> str | None:
    """The plan the measures page opens on: the first in the knowledge that lists measures."""
    return next((p["id"] for p in measure_plans(store) if p["measures"]), None)


def knowledge_note(store: Store) -> str:
    """What the partnership's settings say is missing from its plan knowledge ('' if nothing)."""
    return partnership.of_store(store).knowledge_note


def types_label(types: list[str]) -> str:
    """Plain words for a list of published types ('All crime' when it is every type but ASB)."""
    chosen = set(types)
    if chosen == set(CRIME_TYPES) - {ASB}:
        return "all recorded crime (every type except ASB)"
    if chosen == set(CRIME_TYPES):
        return "all crime and ASB"
    names = [t for t in CRIME_TYPES if t in chosen]
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def source_text(kb: kb_module.Knowledge, source: dict) -> str:
    """'Joint Community Safety Plan 2018-2021, section "5 Feedback ...", item A a), page 9'."""
    doc = kb.documents[source["document"]]
    parts = [doc["title"], f"section \u201c{source['section']}\u201d"]
    if source.get("item") is not None:
        parts.append(f"item {source['item']}")
    if source.get("page") is not None:
        parts.append(f"page {source['page']}")
    return ", ".join(parts)


def _source_record(kb: kb_module.Knowledge, source: dict) -> dict:
    return {
        "document": source["document"],
        "document_title": kb.documents[source["document"]]["title"],
        "section": source["section"],
        "item": None if source.get("item") is None else str(source["item"]),
        "page": source.get("page"),
        "text": source_text(kb, source),
    }


def _sources(kb: kb_module.Knowledge, item: dict) -> tuple[dict, list[dict]]:
    return _source_record(kb, item["source"]), [_source_record(kb, s) for s in item.get("see_also") or []]


def _words(text) -> str | None:
    return " ".join(str(text).split()) if text else None


def _change_record(change: metrics.Change | None, period: Period, against: str, note: str | None = None) -> dict:
    """A change as plain values; ``verdict`` is 'not available' when the months are not loaded."""
    if change is None:
        return {"period": period.label, "earlier": None, "percent": None, "unusual": False, "p_value": None,
                "direction": None, "verdict": NOT_AVAILABLE, "sentence": note or f"No comparison with {period.label}: those months are not loaded."}
    return {
        "period": period.label,
        "earlier": change.earlier,
        "percent": change.percent,
        "unusual": change.unusual,
        "p_value": change.p_value,
        "direction": change.direction,
        "verdict": change.verdict,
        "sentence": f"Against {period.label}: " + change.sentence("records", against),
    }


def _comparisons(store: Store, period: Period) -> tuple[Period, bool, Period, bool]:
    previous, earlier = period.previous(), period.year_earlier()
    return previous, profile.is_fully_loaded(store, previous), earlier, profile.is_fully_loaded(store, earlier)


def _short_verdict(change: dict) -> str:
    pct = change.get("percent")
    if change["verdict"] == NOT_AVAILABLE:
        return NOT_AVAILABLE
    if pct is None:
        return change["verdict"]
    return f"{change['verdict']} ({pct:+.0f}%)"


# --------------------------------------------------------------------------------------------
# Concern -> priorities


def served_priorities(kb: kb_module.Knowledge, links: list[str]) -> tuple[list[dict], list[dict]]:
    """Group a concern's links by the priority they serve; plan-wide measures go to tracked_by.
    (Also used for the register's concerns by :mod:`areaprofile.concern_evidence`.)"""
    groups: dict[str, dict] = {}
    tracked: list[dict] = []

    def group(priority_id: str) -> dict:
        if priority_id not in groups:
            groups[priority_id] = {"priority_id": priority_id, "direct": False, "objective_ids": [], "measure_ids": []}
        return groups[priority_id]

    for target in links:
        kind = kb.kind(target)
        if kind == "priority":
            group(target)["direct"] = True
        elif kind == "objective":
            group(kb.objectives[target]["priority"])["objective_ids"].append(target)
        elif kind == "measure":
            measure = kb.measures[target]
            owners = [measure["priority"]] if measure.get("priority") else list(measure.get("priorities") or [])
            if len(owners) == 1:
                group(owners[0])["measure_ids"].append(target)
            else:
                tracked.append(_measure_brief(kb, target))
    served = []
    for priority_id, g in groups.items():
        record = _priority_brief(kb, priority_id)
        linked = set(g["objective_ids"])
        record["objectives"] = [dict(o, linked=o["id"] in linked) for o in record["objectives"]]
        record["linked_objective_ids"] = g["objective_ids"]
        record["linked_measures"] = [_measure_brief(kb, m) for m in g["measure_ids"]]
        record["linked_directly"] = g["direct"]
        served.append(record)
    return served, tracked


def _priority_brief(kb: kb_module.Knowledge, priority_id: str) -> dict:
    p = kb.priorities[priority_id]
    plan = kb.plans[p["plan"]]
    source, see_also = _sources(kb, p)
    return {
        "id": priority_id,
        "number": p.get("number"),
        "title": _words(p["title"]),
        "summary": _words(p["summary"]),
        "plan": p["plan"],
        "plan_title": plan["title"],
        "plan_period": plan["period"],
        "plan_status": plan["status"],
        "plan_status_words": STATUS_WORDS.get(plan["status"], plan["status"]),
        "source": source,
        "see_also": see_also,
        "objectives": [
            {
                "id": oid,
                "number": kb.objectives[oid].get("number"),
                "title": _words(kb.objectives[oid].get("title")),
                "text": _words(kb.objectives[oid].get("text")),
                "source": _source_record(kb, kb.objectives[oid]["source"]),
            }
            for oid in p["objective_ids"]
        ],
    }


def _measure_brief(kb: kb_module.Knowledge, measure_id: str) -> dict:
    m = kb.measures[measure_id]
    return {
        "id": measure_id,
        "title": _words(m["title"]),
        "plan": m["plan"],
        "plan_title": kb.plans[m["plan"]]["title"],
        "computable": bool(m["police_uk"]["computable"]),
    }


# --------------------------------------------------------------------------------------------
# Concerns of one area


def concern_evidence(store: Store, selection: Selection) -> list[dict]:
    """Every concern of ``selection.area`` with its police.uk evidence for ``selection.period``.

    The selection's crime types are ignored: each concern counts its own types. Concerns that
    police.uk cannot measure have ``measured`` False, ``count`` None and say what would measure
    them (``would_be_measured_by``)."""
    kb = _knowledge(store)
    area = query.check_area(_need_area(selection, kb), store)
    store = _as_built(store)
    if area not in kb.areas:  # an area of another scheme: no concern names it
        return []
    period = selection.period
    population = int(profile.populations(store).loc[area, "population"])
    previous, have_previous, earlier, have_earlier = _comparisons(store, period)
    have, want = profile.period_coverage(store, period)
    trend_period = Period(shift(period.end, -(TREND_MONTHS - 1)), period.end)
    loaded = set(query.months(store))
    trend_months = month_list(trend_period.start, trend_period.end)

    out = []
    # The area's own concerns first (including those shared with a few areas), then those raised for every area.
    for c in sorted(kb_module.concerns_for_area(area, kb), key=lambda c: len(c["areas"]) == len(kb.areas)):
        source, see_also = _sources(kb, c)
        types = kb_module.concern_crime_types(c)
        served, tracked = served_priorities(kb, c["priorities"])
        record = {
            "id": c["id"],
            "title": _words(c["title"]),
            "summary": _words(c["summary"]),
            "area": area,
            "areas": list(c["areas"]),
            "area_specific": len(c["areas"]) < len(kb.areas),
            "whole": profile.short_name(store),
            "raised": c["raised"],
            "raised_note": _words(c.get("raised_note")),
            "raised_by": _words(c["raised_by"]),
            "source": source,
            "see_also": see_also,
            "coverage": c["police_uk"],
            "coverage_words": COVERAGE_WORDS[c["police_uk"]],
            "crime_types": types,
            "crime_types_label": types_label(types) if types else None,
            "would_be_measured_by": _words(c.get("would_be_measured_by")),
            "notes": _words(c.get("notes")),
            "serves": served,
            "tracked_by": tracked,
            "period": period.label,
            "months_loaded": have,
            "months_in_period": want,
            "measured": bool(types),
            "count": None,
            "population": population,
            "rate_per_1000": None,
            "rate_low": None,
            "rate_high": None,
            "previous": None,
            "year_earlier": None,
            "trend": [],
            "trend_values": [],
            "trend_period": trend_period.label,
            "trend_sentence": None,
            "top_places": [],
            "places_sentence": None,
        }
        if types:
            sel = Selection(area=area, period=period, crime_types=tuple(types))
            count = query.total(store, **sel.filters())
            low, high = metrics.rate_interval_per_1000(count, population)
            prev = query.total(store, **sel.filters(previous)) if have_previous else None
            year = query.total(store, **sel.filters(earlier)) if have_earlier else None
            record.update(
                count=count,
                rate_per_1000=metrics.rate_per_1000(count, population),
                rate_low=low,
                rate_high=high,
                previous=_change_record(None if prev is None else metrics.compare_counts(count, prev), previous, "in the previous period"),
                year_earlier=_change_record(None if year is None else metrics.compare_counts(count, year), earlier, "a year earlier"),
            )
            monthly = query.counts(store, ["month"], **sel.filters(trend_period))
            by_month = dict(zip(monthly["month"], monthly["count"].astype(int)))
            trend = [{"month": m, "label": label(m), "count": int(by_month.get(m, 0))} for m in trend_months if m in loaded]
            record["trend"] = trend
            record["trend_values"] = [row["count"] for row in trend]
            record["trend_sentence"] = _trend_sentence(trend, trend_period, len(trend_months))
            places = profile.top_locations(store, sel, TOP_PLACES)
            record["top_places"] = [
                {"place": str(r.location), "ward": str(r.ward), "count": int(r["count"])}
                for _, r in places.iterrows()
            ]
            if record["top_places"]:
                top = record["top_places"][0]
                record["places_sentence"] = (
                    f"Busiest place: {top['place']} ({top['ward']} ward), {top['count']:,} of the {count:,} records."
                )
            else:
                record["places_sentence"] = "No located records in this period."
        record["sentence"] = _concern_sentence(record)
        out.append(record)
    return out


def _trend_sentence(trend: list[dict], period: Period, months_wanted: int) -> str:
    if not trend:
        return f"No months of the {period.label} trend are loaded."
    values = [row["count"] for row in trend]
    high = max(trend, key=lambda r: r["count"])
    low = min(trend, key=lambda r: r["count"])
    gap = "" if len(trend) == months_wanted else f" ({len(trend)} of {months_wanted} months loaded)"
    if high["count"] == low["count"]:
        return f"Monthly records, {period.label}{gap}: {high['count']:,} every month."
    return (
        f"Monthly records, {period.label}{gap}: highest {high['count']:,} in {high['label']}, lowest "
        f"{low['count']:,} in {low['label']}, {values[-1]:,} in {trend[-1]['label']}."
    )


def _concern_sentence(record: dict) -> str:
    """The one-line answer for a concern: how many, how common, and did it move unusually."""
    if not record["measured"]:
        return f"{NO_DATA}: police.uk does not record this. It would be measured by: {record['would_be_measured_by']}"
    text = (
        f"{record['count']:,} records in {record['area']}, {record['period']} "
        f"({record['rate_per_1000']:.1f} per 1,000 residents): {_moves_words(record['previous'], record['year_earlier'])}."
    )
    if record["coverage"] == "partial":
        text += " police.uk covers only part of this concern."
    return text


def _moves_words(previous: dict, year_earlier: dict) -> str:
    """'within normal variation against both the previous period and a year earlier', etc."""
    def words(change: dict) -> str:
        if change["verdict"] == NOT_AVAILABLE:
            return "no comparison (months not loaded)"
        if change["unusual"]:
            return "an unusual rise" if _moved(change, up=True) else "an unusual fall"
        return "within normal variation"

    first, second = words(previous), words(year_earlier)
    if first == second:
        return f"{first} against both the previous period and a year earlier"
    return f"{first} against the previous period, {second} against a year earlier"


def concern_table(evidence: list[dict]) -> pd.DataFrame:
    """One row per concern, for the overview (``12-month trend`` holds the sparkline values)."""
    rows = []
    for e in evidence:
        rows.append(
            {
                "Concern": e["title"],
                "police.uk data": e["coverage_words"],
                "Crime types counted": e["crime_types_label"] or "—",
                "Records": e["count"],
                "Per 1,000 residents": None if e["rate_per_1000"] is None else round(e["rate_per_1000"], 1),
                "Against previous period": _short_verdict(e["previous"]) if e["measured"] else "—",
                "Against a year earlier": _short_verdict(e["year_earlier"]) if e["measured"] else "—",
                "12-month trend": list(e["trend_values"]) if e["measured"] else None,
            }
        )
    frame = pd.DataFrame(rows)
    if not frame.empty:
        frame["Records"] = frame["Records"].astype("Int64")
    return frame


def concern_trend_table(record: dict) -> pd.DataFrame:
    """The month-by-month numbers behind a concern's sparkline."""
    return pd.DataFrame([{"Month": r["label"], "Records": r["count"]} for r in record["trend"]])


def concerns_sentence(evidence: list[dict], selection: Selection) -> str:
    """The active title for an area's concerns: how many, how many countable, which moved unusually."""
    if not selection.area:
        raise AreaprofileError("Choose one forum area to see its concerns.")
    area = selection.area
    measured = [e for e in evidence if e["measured"]]
    text = (
        f"{area}: {len(evidence)} concerns on record, {len(measured)} of them countable from police.uk "
        f"(fully or in part)."
    )
    if not measured:
        return text
    rose = [e["title"] for e in measured if any(_moved(e[k], up=True) for k in ("previous", "year_earlier"))]
    fell = [e["title"] for e in measured if any(_moved(e[k], up=False) for k in ("previous", "year_earlier"))]
    if not rose and not fell:
        return text + f" In {selection.period.label} none of them changed by more than normal variation."
    parts = []
    if rose:
        parts.append(f"{len(rose)} rose unusually ({'; '.join(rose)})")
    if fell:
        parts.append(f"{len(fell)} fell unusually")
    return text + f" In {selection.period.label}, " + " and ".join(parts) + "; the rest are within normal variation."


def _moved(change: dict | None, up: bool) -> bool:
    if not change or not change["unusual"]:
        return False
    return change["direction"] == ("up" if up else "down")


# --------------------------------------------------------------------------------------------
# Priorities across the partnership's areas


def _related_concerns(kb: kb_module.Knowledge) -> dict[str, list[dict]]:
    """priority id -> the concerns that serve it (see the module docstring), in file order."""
    related: dict[str, list[dict]] = {pid: [] for pid in kb.priorities}
    for c in kb.concerns.values():
        served, _tracked = served_priorities(kb, c["priorities"])
        for s in served:
            related[s["id"]].append(
                {
                    "id": c["id"],
                    "title": _words(c["title"]),
                    "areas": list(c["areas"]),
                    "area_specific": len(c["areas"]) < len(kb.areas),
                    "coverage": c["police_uk"],
                    "coverage_words": COVERAGE_WORDS[c["police_uk"]],
                    "crime_types": kb_module.concern_crime_types(c),
                    "via": [_words(kb.objectives[o]["title"]) for o in s["linked_objective_ids"]]
                    + [m["title"] for m in s["linked_measures"]],
                    "source": _source_record(kb, c["source"]),
                }
            )
    return related


def _area_type_counts(store: Store, period: Period, types: list[str]) -> dict[tuple[str, str], int]:
    frame = query.counts(store, ["area", "crime_type"], start=period.start, end=period.end, crime_types=types)
    return {(r.area, r.crime_type): int(r.count) for r in frame.itertuples(index=False)}


def priority_evidence(store: Store, selection: Selection, plan_id: str | None = None) -> list[dict]:
    """Each priority (of one plan, or all) with the areas that raised related concerns and, for
    every crime type those concerns count, the count, rate and change in each of the partnership's areas.

    ``selection.area`` is only used to mark the chosen area (``chosen_area``); all areas are shown."""
    kb = _knowledge(store)
    store = _as_built(store)
    priorities = kb_module.priorities(plan_id, kb)
    related = _related_concerns(kb)
    period = selection.period
    previous, have_previous, earlier, have_earlier = _comparisons(store, period)
    pops = profile.populations(store)

    wanted = sorted({t for p in priorities for c in related[p["id"]] for t in c["crime_types"]})
    now = _area_type_counts(store, period, wanted) if wanted else {}
    before = _area_type_counts(store, previous, wanted) if wanted and have_previous else {}
    year = _area_type_counts(store, earlier, wanted) if wanted and have_earlier else {}

    out = []
    for p in priorities:
        record = _priority_brief(kb, p["id"])
        concerns = related[p["id"]]
        areas_raising = [a for a in kb.areas if any(a in c["areas"] for c in concerns)]
        areas_own = [a for a in kb.areas if any(a in c["areas"] and c["area_specific"] for c in concerns)]
        types = [t for t in CRIME_TYPES if any(t in c["crime_types"] for c in concerns)]
        rows = []
        for crime_type in types:
            raising = {a for c in concerns if crime_type in c["crime_types"] for a in c["areas"]}
            own = {a for c in concerns if crime_type in c["crime_types"] and c["area_specific"] for a in c["areas"]}
            for area in kb.areas:
                count = now.get((area, crime_type), 0)
                population = float(pops.loc[area, "population"])
                prev = metrics.compare_counts(count, before.get((area, crime_type), 0)) if have_previous else None
                yr = metrics.compare_counts(count, year.get((area, crime_type), 0)) if have_earlier else None
                rows.append(
                    {
                        "crime_type": crime_type,
                        "area": area,
                        "raised_here": area in raising,
                        "own_concern": area in own,
                        "count": count,
                        "rate_per_1000": metrics.rate_per_1000(count, population),
                        "previous": _change_record(prev, previous, "in the previous period"),
                        "year_earlier": _change_record(yr, earlier, "a year earlier"),
                    }
                )
        record.update(
            concerns=concerns,
            areas_raising=areas_raising,
            areas_own=areas_own,
            crime_types=types,
            numbers=rows,
            period=period.label,
            chosen_area=selection.area,
            whole=profile.short_name(store),
            measures=[_measure_brief(kb, m) for m in kb.measures
                      if p["id"] == kb.measures[m].get("priority") or p["id"] in (kb.measures[m].get("priorities") or [])],
        )
        record["sentence"] = _priority_sentence(record)
        out.append(record)
    return out


def _join(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _priority_sentence(record: dict) -> str:
    concerns = record["concerns"]
    if not concerns:
        return "No forum or resident concern on record links to this priority."
    n = len(concerns)
    own = record["areas_own"]
    text = f"{n} concern{'s' if n != 1 else ''} on record"
    if own:
        text += f"; {_join(own)} raised {'its' if len(own) == 1 else 'their'} own"
    text += "."
    if not record["numbers"]:
        return text + " None of them can be counted from police.uk."
    moves = []
    for crime_type in record["crime_types"]:
        rows = [r for r in record["numbers"] if r["crime_type"] == crime_type]
        for up, verb in ((True, "rose"), (False, "fell")):
            areas = [r["area"] for r in rows if any(_moved(r[k], up) for k in ("previous", "year_earlier"))]
            if areas:
                moves.append(f"{crime_type} {verb} in {_join(areas)}")
    if moves:
        return text + " Unusual changes: " + "; ".join(moves) + "."
    return text + f" The related numbers ({types_label(record['crime_types'])}) moved within normal variation in every area."


def priority_numbers_table(record: dict) -> pd.DataFrame:
    """The related numbers of one priority: one row per crime type and area (the chosen area marked)."""
    rows = []
    for r in record["numbers"]:
        rows.append(
            {
                "Records": r["crime_type"],
                "Area": f"{r['area']} (chosen)" if r["area"] == record.get("chosen_area") else r["area"],
                "Concern raised": "Own concern" if r["own_concern"] else (f"{record['whole']}-wide" if r["raised_here"] else ""),
                "Count": r["count"],
                "Per 1,000 residents": round(r["rate_per_1000"], 1),
                "Against previous period": _short_verdict(r["previous"]),
                "Against a year earlier": _short_verdict(r["year_earlier"]),
            }
        )
    return pd.DataFrame(rows)


def priority_concerns_table(record: dict) -> pd.DataFrame:
    """The concerns linked to one priority: who raised them, and whether police.uk counts them."""
    rows = [
        {
            "Concern": c["title"],
            "Raised for": ", ".join(c["areas"]) if c["area_specific"] else f"all of {record['whole']}",
            "police.uk data": c["coverage_words"] + (f" ({types_label(c['crime_types'])})" if c["crime_types"] else ""),
        }
        for c in record["concerns"]
    ]
    return pd.DataFrame(rows, columns=["Concern", "Raised for", "police.uk data"])


def priority_table(evidence: list[dict]) -> pd.DataFrame:
    """One row per priority: which areas raised related concerns and how many changes were unusual."""
    rows = []
    for p in evidence:
        unusual = sum(r[k]["unusual"] for r in p["numbers"] for k in ("previous", "year_earlier"))
        rows.append(
            {
                "Plan": p["plan_title"],
                "Priority": p["title"],
                "Concerns": len(p["concerns"]),
                "Areas with their own concern": ", ".join(p["areas_own"]) or f"none ({p['whole']}-wide only)" if p["concerns"] else "—",
                "Counted from police.uk": types_label(p["crime_types"]) if p["crime_types"] else "—",
                "Unusual changes": unusual if p["crime_types"] else None,
            }
        )
    frame = pd.DataFrame(rows)
    if not frame.empty:
        frame["Unusual changes"] = frame["Unusual changes"].astype("Int64")
    return frame


def priorities_sentence(evidence: list[dict]) -> str:
    if not evidence:
        return "This plan has no priorities on record."
    with_concerns = [p for p in evidence if p["concerns"]]
    plans = sorted({p["plan_title"] for p in evidence})
    where = plans[0] if len(plans) == 1 else f"{len(plans)} plans"
    share = f"All {len(evidence)}" if len(with_concerns) == len(evidence) else f"{len(with_concerns)} of the {len(evidence)}"
    text = f"{share} priorities in {where} have forum or resident concerns linked to them."
    flagged = [p["title"] for p in evidence if any(r[k]["unusual"] for r in p["numbers"] for k in ("previous", "year_earlier"))]
    if flagged:
        text += f" Related numbers moved unusually for {len(flagged)} of them."
    return text


# --------------------------------------------------------------------------------------------
# Plan measures


def measure_evidence(store: Store, selection: Selection, plan_id: str | None = None) -> list[dict]:
    """Every measure of a plan (default: :func:`default_measures_plan`): computable ones counted per
    area and for the whole partnership in the period, the others with ``needs`` (the dataset that
    would be required) and ``how`` (why not)."""
    kb = _knowledge(store)
    store = _as_built(store)
    plan_id = plan_id or default_measures_plan(store)
    if plan_id is None:
        return []
    measures = kb_module.measures(plan_id, kb)
    everywhere, whole = profile.whole_label(store), profile.short_name(store)
    period = selection.period
    previous, have_previous, earlier, have_earlier = _comparisons(store, period)
    pops = profile.populations(store)
    out = []
    for m in measures:
        pu = m["police_uk"]
        source, see_also = _sources(kb, m)
        owners = [m["priority"]] if m.get("priority") else list(m.get("priorities") or [])
        types = kb_module.measure_crime_types(m)
        record = {
            "id": m["id"],
            "title": _words(m["title"]),
            "verbatim": bool(m.get("verbatim")),
            "text": _words(m.get("text")),
            "plan": m["plan"],
            "plan_title": kb.plans[m["plan"]]["title"],
            "priorities": [{"id": pid, "title": _words(kb.priorities[pid]["title"])} for pid in owners],
            "source": source,
            "see_also": see_also,
            "computable": bool(pu["computable"]),
            "fit": pu.get("fit"),
            "fit_words": FIT_WORDS.get(pu.get("fit")) if pu["computable"] else None,
            "how": _words(pu.get("how")),
            "needs": _words(pu.get("needs")),
            "crime_types": types,
            "crime_types_label": types_label(types) if types else None,
            "period": period.label,
            "rows": [],
            "whole": None,  # the whole partnership's row
            "whole_name": whole,
        }
        if types:
            now = _area_counts(store, period, types)
            before = _area_counts(store, previous, types) if have_previous else None
            year = _area_counts(store, earlier, types) if have_earlier else None
            rows = []
            for area in list(kb.areas) + [everywhere]:
                count = _area_value(now, area, everywhere)
                population = float(pops.loc[area, "population"])
                low, high = metrics.rate_interval_per_1000(count, population)
                prev = None if before is None else metrics.compare_counts(count, _area_value(before, area, everywhere))
                yr = None if year is None else metrics.compare_counts(count, _area_value(year, area, everywhere))
                rows.append(
                    {
                        "area": area,
                        "count": count,
                        "population": int(population),
                        "rate_per_1000": metrics.rate_per_1000(count, population),
                        "rate_low": low,
                        "rate_high": high,
                        "previous": _change_record(prev, previous, "in the previous period"),
                        "year_earlier": _change_record(yr, earlier, "a year earlier"),
                    }
                )
            record["rows"] = rows
            record["whole"] = rows[-1]
        record["banes"] = record["whole"]  # the key's first name, kept for readers written before partnerships
        record["sentence"] = _measure_sentence(record)
        out.append(record)
    return out


def _area_counts(store: Store, period: Period, types: list[str]) -> dict[str, int]:
    frame = query.counts(store, ["area"], start=period.start, end=period.end, crime_types=types)
    return {r.area: int(r.count) for r in frame.itertuples(index=False)}


def _area_value(counts: dict[str, int], area: str, everywhere: str) -> int:
    return sum(counts.values()) if area == everywhere else counts.get(area, 0)


def _measure_sentence(record: dict) -> str:
    if not record["computable"]:
        return f"Not available from police.uk. It needs: {record['needs']}"
    whole = record["whole"]
    text = (
        f"{record['whole_name']}, {record['period']}: {whole['count']:,} records ({whole['rate_per_1000']:.1f} per 1,000 residents)"
    )
    year = whole["year_earlier"]
    if year["verdict"] == NOT_AVAILABLE:
        text += "; no comparison with a year earlier (months not loaded)."
    else:
        text += f"; against a year earlier: {_short_verdict(year).lower()}."
    areas_only = record["rows"][:-1]
    high = max(areas_only, key=lambda r: r["rate_per_1000"])
    low = min(areas_only, key=lambda r: r["rate_per_1000"])
    text += (f" Highest rate in {high['area']} ({high['rate_per_1000']:.1f} per 1,000), lowest in "
             f"{low['area']} ({low['rate_per_1000']:.1f}).")
    for up, verb in ((True, "rise"), (False, "fall")):
        areas = [r["area"] for r in areas_only if _moved(r["year_earlier"], up)]
        if areas:
            text += f" Unusual {verb} against a year earlier in {_join(areas)}."
    return text


def measures_table(evidence: list[dict]) -> pd.DataFrame:
    """One row per measure: computable or not, the whole partnership's figure (as text, '—' when not
    counted; column '<short name> records'), and what would be needed."""
    records = f"{evidence[0]['whole_name']} records" if evidence else "Records"
    rows = []
    for m in evidence:
        whole = m["whole"]
        rows.append(
            {
                "Measure": m["title"],
                "From police.uk?": ("Yes" if m["fit"] == "exact" else "Yes, as a stand-in") if m["computable"] else "No",
                records: f"{whole['count']:,}" if whole else "—",
                "Per 1,000 residents": f"{whole['rate_per_1000']:.1f}" if whole else "—",
                "Against a year earlier": _short_verdict(whole["year_earlier"]) if whole else "—",
                "Would need": m["needs"] or "—",
            }
        )
    return pd.DataFrame(rows, columns=["Measure", "From police.uk?", records, "Per 1,000 residents",
                                       "Against a year earlier", "Would need"])


def measure_area_table(record: dict) -> pd.DataFrame:
    """A computable measure per area and for the whole partnership."""
    rows = []
    for r in record["rows"]:
        rows.append(
            {
                "Area": r["area"],
                "Records": r["count"],
                "Per 1,000 residents": round(r["rate_per_1000"], 1),
                "95% interval": f"{r['rate_low']:.1f} to {r['rate_high']:.1f}",
                "Previous period": r["previous"]["earlier"],
                "Against previous period": _short_verdict(r["previous"]),
                "A year earlier": r["year_earlier"]["earlier"],
                "Against a year earlier": _short_verdict(r["year_earlier"]),
            }
        )
    frame = pd.DataFrame(rows)
    for column in ("Previous period", "A year earlier"):
        if not frame.empty:
            frame[column] = frame[column].astype("Int64")
    return frame


def measures_sentence(evidence: list[dict], plan_id: str | None = None) -> str:
    if not evidence:
        return "This plan lists no measures of its own." if plan_id else "No plan on record lists measures."
    title = evidence[0]["plan_title"]
    computable = [m for m in evidence if m["computable"]]
    text = f"{len(computable)} of the {len(evidence)} measures in the {title} can be counted from police.uk"
    if computable:
        figures = "; ".join(
            f"{m['title']}: {m['whole']['count']:,} in {m['whole_name']}" for m in computable
        )
        text += f" ({figures}, {evidence[0]['period']})"
    text += f". The other {len(evidence) - len(computable)} need other data, listed below."
    return text


def measure_plans(store: Store | None = None) -> list[dict]:
    """Plans with measures, for the page's plan picker (id, title, number of measures)."""
    kb = _knowledge(store) if store is not None else kb_module.load_knowledge()
    return [
        {"id": pid, "title": p["title"], "measures": len(p["measure_ids"])}
        for pid, p in kb.plans.items()
    ]


def plan_choices(store: Store) -> list[dict]:
    """Every plan (id, title, period, status words), for the priorities view's plan picker."""
    kb = _knowledge(store)
    return [
        {"id": pid, "title": p["title"], "period": p["period"], "status": STATUS_WORDS.get(p["status"], p["status"])}
        for pid, p in kb.plans.items()
    ]
