"""The forum-update pack: one A4 page of numbers for an area forum meeting.

:func:`build_pack` gathers everything from the store through the same functions the pages and
the CLI use (:mod:`areaprofile.profile` for the headlines, trend, places, snap points and
boundaries; :mod:`areaprofile.concerns` for the forum's concerns; :mod:`areaprofile.query` and
:mod:`areaprofile.metrics` underneath), so the pack cannot disagree with them. The pack is then written three ways from that one object:

- :func:`render_html` -- a self-contained HTML page (charts as SVG data URIs, system fonts) whose
  print CSS gives the same A4 page from a browser;
- :func:`render_pdf` -- that same HTML laid out by WeasyPrint (fonts embedded);
- :func:`numbers_table` / :func:`numbers_csv` -- every number in the pack as a long table
  (section, measure, period, value).

Given the concerns register, a second page, "You said, we did" (:mod:`areaprofile.follow_up`),
lists the concerns new since the last meeting and what was done about earlier ones; page one is
laid out (and fitted to one A4 page) exactly as without it.

With ``suppress_under=N`` every count below N is shown as ``<N`` in all three, and anything that
would let a reader work a suppressed count back out (its percentage change, its chart point) is
left out as well. :func:`write_pack` is what ``areaprofile report`` calls.
"""

from __future__ import annotations

import base64
import csv
import io
import math
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import pandas as pd

from areaprofile import (completeness, hotspot_trends, knowledge, metrics, outcomes, partnership, places, profile, query,
                         repeat_places)
from areaprofile import follow_up as follow_up_module
from areaprofile.charts import ASB_COLOUR, CRIME_COLOUR
from areaprofile.config import ASB, CRIME_TYPES
from areaprofile.errors import AreaprofileError
from areaprofile.periods import Period, shift
from areaprofile.periods import label as month_label
from areaprofile.query import Store

#: Snap-point circles on the pack's map are the dashboard's crime colour (charts.CRIME_COLOUR).
POINT_EDGE = "#08306B"

TOP_LOCATIONS = 8
TREND_MONTHS = 12
CSV_COLUMNS = ("section", "measure", "period", "value")
TEMPLATES = Path(__file__).resolve().parent / "templates"

_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
_FULL_MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
                "October", "November", "December"]


# ---- the pack ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Comparison:
    """A count against an earlier period of the same length (``change`` is None if not loaded)."""

    what: str  # 'the previous month', 'the same month a year earlier', ...
    period: Period
    change: metrics.Change | None


@dataclass(frozen=True)
class Measured:
    """One count for one period, with its two comparisons."""

    label: str
    period: Period
    count: int
    previous: Comparison
    year_earlier: Comparison


@dataclass(frozen=True)
class Location:
    rank: int
    location: str
    ward: str
    count: int
    previous: int | None


@dataclass(frozen=True)
class ConcernEvidence:
    id: str
    title: str
    coverage: str  # 'full' or 'partial'
    types_label: str
    month_count: int  # the meeting month alone, for reference
    quarter: Measured  # the three months to it, with the comparisons the pack shows
    priorities: tuple[str, ...]  # keys (A, B, ...) into Pack.priority_key


@dataclass
class Pack:
    """Everything on the page, as numbers and words (no HTML)."""

    area: str
    month: str
    suppress_under: int | None
    residents: int  # Census 2021; estimated for a ward or parish part (see places.py)
    area_km2: float
    headlines: list[Measured]
    trend: pd.DataFrame  # Month + one column per series
    snap_points: pd.DataFrame  # lat, lon, label, count
    locations: list[Location]
    concerns: list[ConcernEvidence]
    unmeasured: list[str]
    priority_key: list[tuple[str, str]]  # (key letter, 'priority title (plan short name)')
    plans_cited: list[tuple[str, str]]  # (short name, title)
    data_correct_as_of: str
    #: GeoJSON geometries (WGS84) for the map: the area's outline and its LSOAs.
    outline: dict = field(default_factory=dict, repr=False)
    lsoa_shapes: list[dict] = field(default_factory=list, repr=False)
    caveats: tuple[str, ...] = ()
    attribution: str = ""
    summary: list[str] = field(default_factory=list)
    #: One line naming the area's persistent and new hotspots (:func:`hotspots_line`).
    hotspots_line: str = ""
    #: Words from the partnership's settings: the heading, the line above it, the area scheme.
    heading: str = ""
    kicker: str = ""
    scheme: str = ""
    show_scheme: bool = False  # the partnership offers several schemes: say which one this is
    partnership: str = ""
    knowledge_note: str = ""  # what the partnership's plan knowledge lacks
    completeness_notice: str | None = None  # when the quarter is not fully loaded (package words)
    repeat_places: str = ""  # the repeat places in one sentence
    outcomes: str = ""  # the outcome groups of the settled months in one line
    #: Page two, from the concerns register (None: no register given).
    follow_up: follow_up_module.FollowUp | None = None
    #: A ward or parish part of the area ('Millbrook parish'), or "" for the whole area.
    place: str = ""

    @property
    def where(self) -> str:
        """What the numbers cover: 'Northtown' or 'Millbrook parish, Northtown'."""
        return f"{self.place}, {self.area}" if self.place else self.area

    @property
    def residents_source(self) -> str:
        return "estimated" if self.place else "Census 2021"

    # -- periods ---------------------------------------------------------------------------------
    @property
    def month_period(self) -> Period:
        return Period(self.month, self.month)

    @property
    def quarter(self) -> Period:
        return Period(shift(self.month, -2), self.month)

    @property
    def headline_groups(self) -> list[tuple[Period, list[Measured]]]:
        """The headline rows by period: the month first, then the three months."""
        groups: dict[Period, list[Measured]] = {}
        for item in sorted(self.headlines, key=lambda m: m.period.months):
            groups.setdefault(item.period, []).append(item)
        return list(groups.items())

    @property
    def title(self) -> str:
        if self.place:
            return f"{self.where}: community safety update"
        return self.heading or f"{self.area}: community safety update"

    @property
    def meeting_label(self) -> str:
        year, number = self.month.split("-")
        return f"{_FULL_MONTHS[int(number) - 1]} {year}"

    @property
    def file_stem(self) -> str:
        return f"forum-update-{self.where.lower().replace(',', '').replace(' ', '-')}-{self.month}"

    # -- suppression -----------------------------------------------------------------------------
    def hidden(self, count: int | None) -> bool:
        return count is not None and self.suppress_under is not None and count < self.suppress_under

    def count_text(self, count: int | None) -> str:
        """A count as printed: '1,234', or '<N' when suppressed."""
        if count is None:
            return "—"
        return f"<{self.suppress_under}" if self.hidden(count) else f"{int(count):,}"

    def count_value(self, count: int | None) -> str:
        """A count as written to the CSV: '1234', or '<N' when suppressed."""
        if count is None:
            return "not available"
        return f"<{self.suppress_under}" if self.hidden(count) else str(int(count))

    def percent(self, change: metrics.Change | None) -> int | None:
        """Whole-number percentage change, None when it cannot be shown (or would reveal a count)."""
        if change is None or change.percent is None or self.hidden(change.current) or self.hidden(change.earlier):
            return None
        return int(round(change.percent))

    @property
    def suppression_note(self) -> str | None:
        if self.suppress_under is None:
            return None
        return (f"Counts under {self.suppress_under} are shown as '<{self.suppress_under}', and percentage changes "
                f"that would reveal them are left out.")


def period_text(period: Period | str) -> str:
    """'Sep 2021', 'Jul–Sep 2021' or 'Nov 2020–Jan 2021' (a 'YYYY-MM' string is one month)."""
    if isinstance(period, str):
        period = Period(period, period)
    if period.start == period.end:
        return month_label(period.start)
    (y1, m1), (y2, m2) = (map(int, period.start.split("-")), map(int, period.end.split("-")))
    if y1 == y2:
        return f"{_MONTHS[m1 - 1]}–{_MONTHS[m2 - 1]} {y2}"
    return f"{_MONTHS[m1 - 1]} {y1}–{_MONTHS[m2 - 1]} {y2}"


def period_value(period: Period) -> str:
    """The period as the CSV writes it: '2021-09' or '2021-07 to 2021-09'."""
    return period.start if period.start == period.end else f"{period.start} to {period.end}"


VERDICT_SYMBOL = {"Unusual rise": "▲", "Unusual fall": "▼", "Within normal variation": "≈"}


# ---- gathering the numbers ---------------------------------------------------------------------


def check_suppression(suppress_under) -> int | None:
    if suppress_under in (None, "", 0):
        return None
    try:
        value = int(suppress_under)
    except (TypeError, ValueError):
        raise AreaprofileError(f"The suppression threshold '{suppress_under}' is not a whole number; use e.g. 5.") from None
    if value != float(suppress_under) or not 1 <= value <= 1000:
        raise AreaprofileError(f"The suppression threshold must be a whole number from 1 to 1000, not {suppress_under}.")
    return value


def meeting_month(store: Store, month: str | None) -> str:
    """The month the pack reports (default: the latest loaded), checked against the store."""
    loaded = profile.loaded_months(store)
    if not loaded:
        raise AreaprofileError("The store holds no months; build it with data first.")
    if month is None:
        return loaded[-1]
    query.check_month(month, "meeting month")
    if month not in loaded:
        raise AreaprofileError(
            f"No police.uk data is loaded for {month}; choose a month from {loaded[0]} to {loaded[-1]} that is loaded."
        )
    return month


def _against(what: str, period: Period) -> str:
    months = period.months
    if what == "previous":
        return "the previous month" if months == 1 else f"the previous {months} months"
    return "the same month a year earlier" if months == 1 else "the same months a year earlier"


def _headlines(store: Store, selection: profile.Selection) -> list[Measured]:
    """Crime (excluding ASB) and ASB for the selection's period, from :func:`profile.headlines`."""
    out, period = [], selection.period
    for item in profile.headlines(store, selection):
        out.append(
            Measured(
                item.label, period, item.count,
                Comparison(_against("previous", period), item.previous_period, item.previous),
                Comparison(_against("year", period), item.year_earlier_period, item.year_earlier),
            )
        )
    return out


def _types_label(types: list[str]) -> str:
    crime = [t for t in CRIME_TYPES if t != ASB]
    chosen = set(types)
    parts = []
    if ASB in chosen:
        parts.append("ASB")
    if set(crime) <= chosen:
        parts.append("all crime (excluding ASB)")
    else:
        parts.extend(t for t in CRIME_TYPES if t in chosen and t != ASB)
    return ", ".join(parts)


def _plan_short(plan: dict) -> str:
    """'csp-2023-25' -> 'CSP 2023-25', 'pcc-plan-2020' -> 'PCC Plan 2020'."""
    words, years = [], []
    for part in plan["id"].split("-"):
        if part.isdigit():
            years.append(part)
        else:
            words.append(part.capitalize() if part == "plan" else part.upper())
    return " ".join(words) + (" " + "-".join(years) if years else "")


def _change(record: dict | None, current: int) -> metrics.Change | None:
    """A :class:`metrics.Change` back from a concern record's change (None when not loaded)."""
    if not record or record.get("earlier") is None:
        return None
    return metrics.Change(current=current, earlier=int(record["earlier"]), p_value=float(record["p_value"]),
                          unusual=bool(record["unusual"]))


def _priority_texts(record: dict) -> tuple[list[str], list[str]]:
    """'Title (plan short name)' for each plan priority a concern serves, and their plan ids.

    A concern that serves no priority directly but is tracked by a plan-wide measure (such as
    total recorded crime) names that measure instead, as :mod:`areaprofile.concerns` does."""
    texts: list[str] = []
    plans: list[str] = []
    entries = [(p["title"], p["plan"], p.get("plan_status")) for p in record["serves"]]
    if not entries:
        entries = [(f"Measure: {m['title']}", m["plan"], None) for m in record["tracked_by"]]
    for title, plan_id, status in entries:
        text = f"{title} ({_plan_short({'id': plan_id})}{', draft' if status == 'draft' else ''})"
        if text not in texts:
            texts.append(text)
        if plan_id not in plans:
            plans.append(plan_id)
    return texts, plans


def _concerns(store: Store, area: str, month: Period, quarter: Period):
    """The area's concerns, in :func:`areaprofile.concerns.concern_evidence`'s order and with its
    numbers for the three months: the measurable ones with their priority keys, the titles of
    the rest, the key itself and the plans it cites."""
    from areaprofile import concerns as concern_module

    evidence = concern_module.concern_evidence(store, profile.Selection(area=area, period=quarter))
    measured, unmeasured, plan_ids, key = [], [], [], {}
    for record in evidence:
        if not record["measured"]:
            unmeasured.append(record["title"])
            continue
        texts, plans = _priority_texts(record)
        plan_ids.extend(p for p in plans if p not in plan_ids)
        for text in texts:
            key.setdefault(text, _key_letter(len(key)))
        count = int(record["count"])
        types = list(record["crime_types"])
        measured.append(
            ConcernEvidence(
                id=record["id"],
                title=record["title"],
                coverage=record["coverage"],
                types_label=_types_label(types),
                month_count=query.total(store, start=month.start, end=month.end, area=area, crime_types=types),
                quarter=Measured(
                    record["title"], quarter, count,
                    Comparison(_against("previous", quarter), quarter.previous(), _change(record["previous"], count)),
                    Comparison(_against("year", quarter), quarter.year_earlier(), _change(record["year_earlier"], count)),
                ),
                priorities=tuple(key[text] for text in texts),
            )
        )
    kb = knowledge.for_partnership(partnership.of_store(store))
    plans_cited = [(_plan_short(kb.plans[p]), kb.plans[p]["title"]) for p in kb.plans if p in plan_ids]
    priority_key = [(letter, text) for text, letter in key.items()]
    return measured, unmeasured, priority_key, plans_cited


def _key_letter(index: int) -> str:
    letters = "ABCDEFGHJKLMNPQRSTUVWXYZ"  # no I or O (read as 1 and 0)
    return letters[index] if index < len(letters) else f"Z{index - len(letters) + 1}"


def build_pack(store: Store, area: str, month: str | None = None, suppress_under: int | None = None,
               register=None, last_meeting=None, place: tuple[str, str] | None = None) -> Pack:
    """Gather the pack for ``area`` and the meeting ``month`` (default: the latest loaded month).

    ``place`` ('ward' or 'parish', name) narrows the numbers, map and places to that ward or
    parish part of the area; the concerns stay the area forum's. With ``register`` (an open
    :class:`areaprofile.register.db.Register`) page two lists what the forum raised and what was
    done since ``last_meeting`` (a date; default a month ago)."""
    area = partnership.match_area(area, query.area_names(store))
    suppress_under = check_suppression(suppress_under)
    month = meeting_month(store, month)
    month_period = Period(month, month)
    quarter = Period(shift(month, -2), month)
    kind, name = place or (None, None)
    found = places.find_place(store, area, kind, name) if place else None

    def selection(period: Period) -> profile.Selection:
        return profile.Selection(area=area, period=period, ward=name if kind == "ward" else None,
                                 parish=name if kind == "parish" else None)

    headlines = _headlines(store, selection(month_period)) + _headlines(store, selection(quarter))
    headlines.sort(key=lambda m: (m.label != profile.CRIME_LABEL, m.period.months))

    trend_selection = selection(Period(shift(month, -(TREND_MONTHS - 1)), month))
    trend = profile.monthly_trend(store, trend_selection)
    for column in (profile.CRIME_LABEL, profile.ASB_LABEL):
        if column not in trend.columns:
            trend[column] = 0
    trend = trend[["Month", profile.CRIME_LABEL, profile.ASB_LABEL]]

    month_selection = selection(month_period)
    busiest = profile.top_locations(store, month_selection, TOP_LOCATIONS)
    locations = [
        Location(
            rank=i + 1,
            location=str(row.location),
            ward=str(row.ward or ""),
            count=int(row.count),
            previous=None if row.previous is None or pd.isna(row.previous) else int(row.previous),
        )
        for i, row in enumerate(busiest.itertuples(index=False))
    ]
    concerns, unmeasured, priority_key, plans_cited = _concerns(store, area, month_period, quarter)
    residents, area_km2 = profile.selection_population(store, month_selection)
    settings = partnership.of_store(store)
    scheme = settings.scheme(store.scheme or None)
    heading, kicker = settings.pack_words(area, scheme)
    areas = profile.map_features(store, month_selection, "area")
    lsoas = profile.map_features(store, month_selection, "lsoa")
    pack = Pack(
        area=area,
        month=month,
        suppress_under=suppress_under,
        residents=residents,
        area_km2=area_km2,
        headlines=headlines,
        trend=trend,
        snap_points=profile.snap_points(store, month_selection),
        locations=locations,
        concerns=concerns,
        unmeasured=unmeasured,
        priority_key=priority_key,
        plans_cited=plans_cited,
        data_correct_as_of=profile.data_correct_as_of(store),
        outline=places.outline(store, found) if found else
        next(f["geometry"] for f in areas["features"] if f["properties"]["name"] == area),
        lsoa_shapes=[f["geometry"] for f in lsoas["features"]],
        caveats=profile.caveats(store, area),
        attribution=profile.attribution(store),
        heading=heading,
        kicker=kicker,
        scheme=scheme.name,
        show_scheme=len(settings.schemes) > 1,
        partnership=settings.partnership_name,
        knowledge_note=settings.knowledge_note,
        place=f"{found.name} {found.kind}" if found else "",
    )
    quarter_selection = selection(quarter)
    pack.completeness_notice = completeness.completeness(store, quarter_selection).short_notice()
    pack.repeat_places = repeat_places.pack_line(repeat_places.repeat_places(store, month_selection))
    pack.outcomes = outcomes.outcomes(store, trend_selection).pack_line(pack.where)
    pack.summary = summary_sentences(pack)
    pack.hotspots_line = hotspots_line(hotspot_trends.trends(store, month_selection.whole_area()))  # area-wide grid
    if register is not None:
        pack.follow_up = follow_up_for(register, area, last_meeting)
    return pack


def follow_up_for(register, area: str, last_meeting=None) -> follow_up_module.FollowUp:
    """'You said, we did' for ``area`` from the register as it is now."""
    from areaprofile.register import concerns as register_concerns
    from areaprofile.register.validate import parse_date

    since = None if last_meeting in (None, "") else parse_date(last_meeting, "last meeting date")
    records = register_concerns.list_concerns(register, area=area)
    return follow_up_module.build_follow_up(records, area, since=since)


def hotspots_line(trends: hotspot_trends.Trends, limit: int = 2) -> str:
    """One line: the area's persistent and new hotspots over three years, named by their busiest
    'on or near' place (crime and ASB together). Persistent counts every cell hot in most quarters
    including the latest, and says how many of them are intensifying."""
    if not trends.available:
        return f"Hotspots over time: not enough months loaded ({trends.span_label})."
    counts = trends.counts()

    def names(labels: tuple[str, ...], extra: str = "") -> str:
        cells = sum(counts[label] for label in labels)
        if not cells:
            return "none"
        found = [_place(p) for p in trends.places(labels, limit)]
        squares = f"{cells}{extra}"
        if not found:
            return squares
        if cells > len(found):
            return f"{squares}, near {', '.join(found)} and elsewhere"
        return f"{squares}, near " + ", ".join(found[:-1]) + (" and " if len(found) > 1 else "") + found[-1]

    rising = counts[hotspot_trends.INTENSIFYING]
    return (f"Hotspot squares (250 m), {trends.span_label}, crime and ASB: persistent "
            f"{names(hotspot_trends.LONG_STANDING, f' ({rising} intensifying)' if rising else '')}; "
            f"new {names((hotspot_trends.NEW,))}.")


# ---- the three-sentence summary -----------------------------------------------------------------


def _headline(pack: Pack, label_text: str, months: int) -> Measured | None:
    return next((h for h in pack.headlines if h.label == label_text and h.period.months == months), None)


def _verdict_phrase(pack: Pack, comparison: Comparison) -> str:
    change = comparison.change
    if change is None:
        return f"not compared with {period_text(comparison.period)} (those months are not loaded)"
    words = {"Unusual rise": "an unusual rise", "Unusual fall": "an unusual fall",
             "Within normal variation": "within normal variation"}[change.verdict]
    return f"{words} against {period_text(comparison.period)} ({pack.count_text(change.earlier)})"


def summary_sentences(pack: Pack) -> list[str]:
    """Three sentences built only from the pack's numbers: the month, then crime and ASB over
    three months against the previous three months and the same months a year earlier."""
    crime_month = _headline(pack, profile.CRIME_LABEL, 1)
    asb_month = _headline(pack, profile.ASB_LABEL, 1)
    first = (
        f"In {month_label(pack.month)}, {pack.count_text(crime_month.count)} crimes (excluding ASB) and "
        f"{pack.count_text(asb_month.count)} incidents of anti-social behaviour were recorded in {pack.where}"
    )
    if pack.locations:
        top = pack.locations[0]
        tied = [loc for loc in pack.locations if loc.count == top.count]
        if pack.hidden(top.count):
            first += f"; no single place had {pack.suppress_under} or more"
        elif len(tied) == 1:
            first += f"; the most were on or near {_place(top.location)} ({pack.count_text(top.count)})"
        else:
            how_many = "several" if len(tied) == len(pack.locations) else str(len(tied))
            first += (f"; {how_many} places had the most ({pack.count_text(top.count)} each), among them "
                      f"{_place(top.location)}")
    sentences = [first + "."]
    for label_text, noun in ((profile.CRIME_LABEL, "Crime (excluding ASB)"), (profile.ASB_LABEL, "Anti-social behaviour")):
        item = _headline(pack, label_text, 3)
        sentences.append(
            f"{noun} over {period_text(item.period)} ({pack.count_text(item.count)}) was "
            f"{_verdict_phrase(pack, item.previous)} and {_verdict_phrase(pack, item.year_earlier)}."
        )
    return sentences


def _place(location: str) -> str:
    """'On or near Southgate Street' -> 'Southgate Street' (police.uk's wording kept otherwise)."""
    prefix = "on or near "
    return location[len(prefix):] if location.lower().startswith(prefix) else location


# ---- the numbers as a long table ----------------------------------------------------------------


def numbers_table(pack: Pack) -> pd.DataFrame:
    """Every number printed in the pack (and the points behind the map), one row each."""
    rows: list[tuple[str, str, str, str]] = [
        ("pack", "Area", "", pack.area),
        ("pack", "Ward or parish", "", pack.place),
        ("pack", "Area scheme", "", pack.scheme),
        ("pack", "Partnership", "", pack.partnership),
        ("pack", "Meeting month", pack.month, pack.month),
        ("pack", f"Residents ({pack.residents_source})", "2021", str(pack.residents)),
        ("pack", "Area (km²)", "", f"{pack.area_km2:.1f}"),
        ("pack", "Counts under this are suppressed", "", "" if pack.suppress_under is None else str(pack.suppress_under)),
        ("pack", "Data correct as of", "", pack.data_correct_as_of),
        ("pack", "Incomplete data", "", pack.completeness_notice or ""),
        ("pack", "Repeat places", "", pack.repeat_places),
        ("pack", "Outcomes", "", pack.outcomes),
    ]

    def measured_rows(section: str, item: Measured) -> None:
        rows.append((section, f"{item.label}: records", period_value(item.period), pack.count_value(item.count)))
        for comparison in (item.previous, item.year_earlier):
            change = comparison.change
            earlier = None if change is None else change.earlier
            rows.append((section, f"{item.label}: records", period_value(comparison.period), pack.count_value(earlier)))
            percent = pack.percent(change)
            rows.append((
                section, f"{item.label}: change against {comparison.what} (%)", period_value(item.period),
                "not available" if change is None else ("suppressed" if percent is None and change.percent is not None
                                                        else "" if percent is None else f"{percent:+d}"),
            ))
            rows.append((section, f"{item.label}: change against {comparison.what}", period_value(item.period),
                         "not available" if change is None else change.verdict))

    for item in pack.headlines:
        measured_rows("headline", item)
    for row in pack.trend.itertuples(index=False):
        rows.append(("trend", profile.CRIME_LABEL + ": records", row[0], pack.count_value(int(row[1]))))
        rows.append(("trend", profile.ASB_LABEL + ": records", row[0], pack.count_value(int(row[2]))))
    previous_month = shift(pack.month, -1)
    for loc in pack.locations:
        name = f"{loc.rank}. {loc.location} ({loc.ward})"
        rows.append(("top locations", name, pack.month, pack.count_value(loc.count)))
        rows.append(("top locations", name, previous_month, pack.count_value(loc.previous)))
    for concern in pack.concerns:
        rows.append(("concerns", f"{concern.title}: records", pack.month, pack.count_value(concern.month_count)))
        measured_rows("concerns", concern.quarter)
    rows.append(("hotspots over time", "Persistent and new hotspots", pack.month, pack.hotspots_line))
    for point in pack.snap_points.itertuples(index=False):
        rows.append(("map", f"{point.label} ({point.lat:.5f}, {point.lon:.5f})", pack.month, pack.count_value(int(point.count))))
    return pd.DataFrame(rows, columns=list(CSV_COLUMNS))


def numbers_csv(pack: Pack) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for row in numbers_table(pack).itertuples(index=False):
        writer.writerow([_csv_safe(v) for v in row])
    return buffer.getvalue()


def _csv_safe(value: str) -> str:
    """Stop a spreadsheet reading a place name such as '=HYPERLINK(...)' as a formula."""
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "@") and not _is_number(text) else text


def _is_number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


# ---- charts (static SVG, drawn here; no tiles, no internet) -------------------------------------


def _pyplot():
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    plt.rcParams.update({
        "svg.fonttype": "path",
        "font.family": "DejaVu Sans",
        "font.size": 7.5,
        "axes.titlesize": 8,
        "svg.hashsalt": "areaprofile",  # identical input -> identical SVG
    })
    return plt


def _svg(fig) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    import matplotlib.pyplot as plt

    plt.close(fig)
    return buffer.getvalue()


def data_uri(svg: bytes) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii")


def trend_svg(pack: Pack, width_mm: float = 98, height_mm: float = 35) -> bytes:
    """Crime and ASB per month for the 12 months to the meeting month: two lines told apart by
    colour, line style and marker, with a legend in words; the meeting month shaded."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(width_mm / 25.4, height_mm / 25.4))
    trend = pack.trend
    x = list(range(len(trend)))
    n = pack.suppress_under
    top = 0
    for column, colour, marker, style, name in (
        (profile.CRIME_LABEL, CRIME_COLOUR, "o", "-", "Crime (excluding ASB)" if n is None else "Crime (excl. ASB)"),
        (profile.ASB_LABEL, ASB_COLOUR, "^", (0, (4, 2)), "Anti-social behaviour" if n is None else "ASB"),
    ):
        values = [float("nan") if pack.hidden(int(v)) else float(v) for v in trend[column]]
        top = max([top] + [v for v in values if not math.isnan(v)])
        ax.plot(x, values, color=colour, linestyle=style, marker=marker, markersize=3.6, linewidth=1.6, label=name,
                markeredgecolor="white", markeredgewidth=0.5, clip_on=False, zorder=3)
    if n is not None:
        ax.axhspan(0, n, facecolor="none", edgecolor="#9a9a9a", hatch="////", linewidth=0, zorder=1)
    if x:
        ax.axvspan(x[-1] - 0.45, x[-1] + 0.45, color="#e8e8e8", zorder=0, linewidth=0)
    ax.set_xlim(-0.5, max(len(x) - 0.5, 0.5))
    ax.set_ylim(0, max(top * 1.12, (n or 0) * 1.5, 5))
    labels = []
    for i, month in enumerate(trend["Month"]):
        year, number = month.split("-")
        # Every label has two lines (the year only in January and the first month) so all sit level.
        labels.append(f"{_MONTHS[int(number) - 1]}\n{year if i == 0 or number == '01' else ''}")
    ax.set_xticks(x, labels)
    if labels:
        ax.get_xticklabels()[-1].set_fontweight("bold")
    ax.tick_params(axis="both", length=2, pad=2, labelsize=6.8)
    ax.yaxis.set_major_formatter(_thousands())
    ax.grid(axis="y", color="#dddddd", linewidth=0.6)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.spines["left"].set_color("#777777")
    ax.spines["bottom"].set_color("#777777")
    ax.set_ylabel("Records per month", fontsize=6.8)
    handles, _labels = ax.get_legend_handles_labels()
    if n is not None:
        from matplotlib.patches import Patch

        handles.append(Patch(facecolor="none", edgecolor="#9a9a9a", hatch="////", linewidth=0,
                             label=f"Under {n} (not shown)"))
    ax.legend(handles=handles, loc="lower left", bbox_to_anchor=(0, 1.0), ncol=3, frameon=False, fontsize=6.8,
              handlelength=2.6, borderaxespad=0.2, columnspacing=1.2)
    fig.subplots_adjust(left=0.1, right=0.99, bottom=0.22, top=0.86)
    return _svg(fig)


def _thousands():
    from matplotlib.ticker import FuncFormatter

    return FuncFormatter(lambda v, _pos: f"{v:,.0f}")


def size_classes(pack: Pack) -> list[tuple[int, int | None, str]]:
    """(low, high, label) classes for the map's circles; with suppression the counts under N
    share one class labelled '<N', so a circle never shows a suppressed count."""
    breaks = [1, 2, 5, 10, 20, 50]
    n = pack.suppress_under
    if n is not None and n > 1:
        breaks = [1, n] + [b for b in breaks if b > n]
    maximum = int(pack.snap_points["count"].max()) if not pack.snap_points.empty else 1
    classes = []
    for i, low in enumerate(breaks):
        high = breaks[i + 1] - 1 if i + 1 < len(breaks) else None
        if low > maximum:
            break
        if n is not None and n > 1 and low == 1:
            text = f"<{n}"
        elif high is None:
            text = f"{low}+"
        elif high == low:
            text = f"{low}"
        else:
            text = f"{low}–{high}"
        classes.append((low, high, text))
    return classes


def _class_size(index: int) -> float:
    return [9, 22, 45, 80, 130, 200][min(index, 5)]


def map_svg(pack: Pack, width_mm: float = 87, height_mm: float = 76) -> bytes:
    """The area's LSOAs and boundary (from the store's GeoJSON, projected to the British National
    Grid) with one circle per snap point sized by the month's records; the top places numbered
    as in the table; a scale bar and a north arrow. No tiles."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import PathPatch
    from matplotlib.path import Path as MplPath
    import matplotlib.patheffects as effects
    from pyproj import Transformer

    plt = _pyplot()
    to_grid = Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True)
    fig, ax = plt.subplots(figsize=(width_mm / 25.4, height_mm / 25.4))
    for shape in pack.lsoa_shapes:
        for ring in _rings(shape):
            xs, ys = to_grid.transform(*zip(*ring))
            ax.plot(xs, ys, color="#c4c4c4", linewidth=0.35, zorder=1)
    vertices, codes = [], []
    for ring in _rings(pack.outline):
        xs, ys = to_grid.transform(*zip(*ring))
        vertices.extend(zip(xs, ys))
        codes.extend([MplPath.MOVETO] + [MplPath.LINETO] * (len(ring) - 2) + [MplPath.CLOSEPOLY])
    path = MplPath(vertices, codes)
    ax.add_patch(PathPatch(path, facecolor="#f6f5f0", edgecolor="none", zorder=0))
    ax.add_patch(PathPatch(path, facecolor="none", edgecolor="#333333", linewidth=1.1, zorder=2))

    classes = size_classes(pack)
    points = pack.snap_points.sort_values("count", ascending=False, kind="stable")
    if not points.empty:
        px, py = to_grid.transform(points["lon"].tolist(), points["lat"].tolist())
        sizes = [_class_size(_class_index(int(c), classes)) for c in points["count"]]
        ax.scatter(px, py, s=sizes, facecolor=CRIME_COLOUR, alpha=0.55, edgecolor=POINT_EDGE, linewidth=0.4, zorder=3)
    # Number the table's places on the map (numbers only: place names stay in the table as text).
    for loc, (lat, lon) in zip(pack.locations, _location_points(pack)):
        if lat is None:
            continue
        x, y = to_grid.transform(lon, lat)
        ax.annotate(str(loc.rank), (x, y), xytext=(3.5, 3.5), textcoords="offset points", fontsize=6.5,
                    fontweight="bold", color="#111111", zorder=5,
                    path_effects=[effects.withStroke(linewidth=2.2, foreground="white")])
    ax.set_aspect("equal")
    ax.autoscale_view()
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    if pack.place and vertices:  # frame the ward or parish (and its points), not the whole area's LSOAs
        xs = [x for x, _ in vertices] + (list(px) if not points.empty else [])
        ys = [y for _, y in vertices] + (list(py) if not points.empty else [])
        x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
    pad = 0.03 * max(x1 - x0, y1 - y0)
    ax.set_xlim(x0 - pad, x1 + pad)
    ax.set_ylim(y0 - pad * 4, y1 + pad)
    _scale_bar(ax)
    _north_arrow(ax)
    ax.set_axis_off()
    handles = [
        Line2D([], [], linestyle="none", marker="o", markersize=math.sqrt(_class_size(i)), markerfacecolor=CRIME_COLOUR,
               alpha=0.55, markeredgecolor=POINT_EDGE, markeredgewidth=0.4, label=text)
        for i, (_low, _high, text) in enumerate(classes)
    ]
    legend_room = 0.085
    if handles:
        fig.legend(handles=handles, title="Records at a snap point:", loc="lower center", ncol=len(handles),
                   fontsize=6.4, title_fontsize=6.4, frameon=False, borderaxespad=0.1, handletextpad=0.2,
                   columnspacing=1.0, alignment="left", bbox_to_anchor=(0.5, 0.0))
        legend = fig.legends[0]
        legend._legend_box.align = "left"
        legend_room = 0.12
    fig.subplots_adjust(left=0.005, right=0.995, bottom=legend_room, top=0.995)
    return _svg(fig)


def _class_index(count: int, classes) -> int:
    for i, (low, high, _text) in enumerate(classes):
        if count >= low and (high is None or count <= high):
            return i
    return len(classes) - 1


def _location_points(pack: Pack) -> list[tuple[float | None, float | None]]:
    """Where each listed place is: the busiest snap point carrying its name."""
    out = []
    for loc in pack.locations:
        match = pack.snap_points[pack.snap_points["label"] == loc.location]
        if match.empty:
            out.append((None, None))
        else:
            best = match.sort_values("count", ascending=False).iloc[0]
            out.append((float(best["lat"]), float(best["lon"])))
    return out


def _rings(geometry: dict):
    kind, coords = geometry["type"], geometry["coordinates"]
    polygons = [coords] if kind == "Polygon" else coords if kind == "MultiPolygon" else []
    for polygon in polygons:
        for ring in polygon:
            if len(ring) >= 3:
                yield ring


def _scale_bar(ax) -> None:
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    target = (x1 - x0) / 4
    length = max(b for b in (100, 200, 500, 1000, 2000, 5000, 10000) if b <= max(target, 100))
    left, bottom = x0 + 0.04 * (x1 - x0), y0 + 0.05 * (y1 - y0)
    height = 0.012 * (y1 - y0)
    ax.fill([left, left + length / 2, left + length / 2, left], [bottom, bottom, bottom + height, bottom + height],
            color="#222222", zorder=6)
    ax.fill([left + length / 2, left + length, left + length, left + length / 2],
            [bottom, bottom, bottom + height, bottom + height], facecolor="white", edgecolor="#222222",
            linewidth=0.5, zorder=6)
    text = f"{length // 1000:g} km" if length >= 1000 else f"{length} m"
    ax.text(left + length / 2, bottom + height * 1.8, text, ha="center", va="bottom", fontsize=6.2, zorder=6)


def _north_arrow(ax) -> None:
    ax.annotate("N", xy=(0.04, 0.96), xytext=(0.04, 0.86), xycoords="axes fraction", ha="center", va="center",
                fontsize=7, fontweight="bold",
                arrowprops={"arrowstyle": "-|>", "color": "#222222", "linewidth": 0.8, "shrinkA": 4, "shrinkB": 0})


# ---- HTML and PDF --------------------------------------------------------------------------------

#: Steps of density tried in turn until the pack fits one A4 page.
DENSITIES = ("regular", "compact", "tight")


@lru_cache(maxsize=1)
def _environment():
    from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["period"] = period_text
    env.filters["place"] = _place
    env.filters["day"] = follow_up_module.day_text
    return env


def render_html(pack: Pack, density: str | None = None) -> str:
    """The pack as one self-contained HTML page (no external requests).

    Without ``density`` the densest needed to fit one A4 page is found by laying the page out
    with WeasyPrint, then one step denser where there is one: a browser lays text out a little
    larger than WeasyPrint, and the page printed from it must still be one A4 sheet."""
    if density is None:
        fitted = _fit(pack)[0]
        density = DENSITIES[min(DENSITIES.index(fitted) + 1, len(DENSITIES) - 1)]
    return _html(pack, density)


def _html(pack: Pack, density: str, page_two: bool = True, page_one: bool = True) -> str:
    if density not in DENSITIES:
        raise AreaprofileError(f"Unknown density '{density}'; use one of {', '.join(DENSITIES)}.")
    images = _images(pack)
    css = (TEMPLATES / "forum_update.css").read_text(encoding="utf-8")
    return _environment().get_template("forum_update.html").render(
        pack=pack,
        density=density,
        css=css,
        trend_uri=data_uri(images[0]),
        map_uri=data_uri(images[1]),
        crime_label=profile.CRIME_LABEL,
        asb_label=profile.ASB_LABEL,
        symbol=VERDICT_SYMBOL,
        classes=[text for _l, _h, text in size_classes(pack)],
        previous_month=period_text(Period(shift(pack.month, -1), shift(pack.month, -1))),
        follow_up=pack.follow_up if page_two else None,
        page_one=page_one,
    )


def _images(pack: Pack) -> tuple[bytes, bytes]:
    """The chart and the map, drawn once per pack at the size the page shows them."""
    images = pack.__dict__.get("_images")
    if images is None:
        images = pack.__dict__["_images"] = (trend_svg(pack), map_svg(pack))
    return images


def _weasyprint():
    try:
        import weasyprint
    except (ImportError, OSError) as exc:
        raise AreaprofileError(
            f"PDF output needs WeasyPrint and Debian's Pango ({str(exc).splitlines()[0]}); run scripts/setup.sh."
        ) from None
    return weasyprint


def _fit(pack: Pack):
    """(density, laid-out page one) for the first density that fits one page (page two left out)."""
    cached = pack.__dict__.get("_fitted")
    if cached is not None:
        return cached
    weasyprint = _weasyprint()
    # Only data: URIs may be read, so laying out the pack can never make a request.
    fetcher = weasyprint.urls.URLFetcher(allowed_protocols={"data"})
    document = None
    for density in DENSITIES:
        document = weasyprint.HTML(string=_html(pack, density, page_two=False), base_url=str(TEMPLATES),
                                   url_fetcher=fetcher).render()
        if len(document.pages) == 1:
            break
    pack.__dict__["_fitted"] = (density, document)
    return density, document


def render_pdf(pack: Pack) -> bytes:
    """The pack as an A4 PDF (fonts subset and embedded): page one, then page two when there is one."""
    density, document = _fit(pack)
    if pack.follow_up is not None and not pack.follow_up.empty:
        weasyprint = _weasyprint()
        fetcher = weasyprint.urls.URLFetcher(allowed_protocols={"data"})
        two = weasyprint.HTML(string=_html(pack, density, page_one=False), base_url=str(TEMPLATES),
                              url_fetcher=fetcher).render()
        document = document.copy(document.pages + two.pages)
    return document.write_pdf(uncompressed_pdf=False)


def page_count(pack: Pack) -> int:
    """Pages of page one's content: 1 unless the numbers overflow (page two is not counted)."""
    return len(_fit(pack)[1].pages)


# ---- the CLI's entry point ------------------------------------------------------------------------


def write_pack(
    store: Store,
    area: str,
    out: str | Path,
    month: str | None = None,
    csv_path: str | Path | None = None,
    suppress_under: int | None = None,
    register=None,
    last_meeting=None,
    place: tuple[str, str] | None = None,
) -> Pack:
    """Write the pack to ``out`` (.pdf or .html) and optionally its numbers to ``csv_path``."""
    out = Path(out)
    kind = out.suffix.lower()
    if kind not in (".pdf", ".html", ".htm"):
        raise AreaprofileError(f"Cannot tell what to write from '{out.name}'; name the output FILE.pdf or FILE.html.")
    if csv_path is not None and Path(csv_path).suffix.lower() != ".csv":
        raise AreaprofileError(f"The numbers file '{Path(csv_path).name}' should end in .csv.")
    for target in [out] + ([Path(csv_path)] if csv_path else []):
        if not target.parent.is_dir():
            raise AreaprofileError(f"The folder {target.parent} does not exist; create it or choose another output path.")
    pack = build_pack(store, area, month, suppress_under, register=register, last_meeting=last_meeting, place=place)
    data = render_pdf(pack) if kind == ".pdf" else render_html(pack).encode("utf-8")
    _write(out, data)
    if csv_path:
        _write(Path(csv_path), numbers_csv(pack).encode("utf-8"))
    return pack


def _write(path: Path, data: bytes) -> None:
    temporary = path.with_name(f".{path.name}.part")
    try:
        temporary.write_bytes(data)
        temporary.replace(path)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise AreaprofileError(f"Cannot write {path} ({exc.strerror or exc}); choose a folder you can write to.") from None


def pack_files(store: Store, area: str, month: str | None = None, suppress_under: int | None = None,
               register=None, last_meeting=None, place: tuple[str, str] | None = None) -> dict:
    """The pack as the page offers it: HTML to show, PDF and CSV (and HTML) to download."""
    pack = build_pack(store, area, month, suppress_under, register=register, last_meeting=last_meeting, place=place)
    return {
        "area": pack.area,
        "where": pack.where,
        "month": pack.month,
        "title": f"{pack.title}, {pack.meeting_label}",
        "stem": pack.file_stem + ("" if pack.suppress_under is None else f"-suppressed-under-{pack.suppress_under}"),
        "html": render_html(pack),
        "pdf": render_pdf(pack),
        "csv": numbers_csv(pack),
        "pages": page_count(pack),
        "summary": list(pack.summary),
        "follow_up": pack.follow_up.sentence() if pack.follow_up is not None else None,
    }
