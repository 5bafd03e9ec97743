"""Finished tables for the pages, the CLI and the forum-update pack.

Each function takes the store and a :class:`Selection` (area, period, crime types) and
returns a table or a few numbers with their wording. Pages only lay these out, so the
same selection gives the same numbers everywhere.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field

from areaprofile import deferred_import, metrics, partnership, places, query
from areaprofile.config import ASB, CRIME_TYPES
from areaprofile.errors import AreaprofileError
from areaprofile.periods import Period, month_list
from areaprofile.query import Store

pd = deferred_import.module("pandas")  # imported by the first function that uses it (see deferred_import)

CRIME_LABEL = "Crime (excluding ASB)"
ASB_LABEL = "Anti-social behaviour"


@dataclass(frozen=True)
class Selection:
    """What the person chose: one area or the whole partnership, a month range, and crime types.

    ``everywhere`` is how the whole partnership is named when no area is chosen (e.g. 'All
    Anytown'; :func:`whole_label` gives it for a store)."""

    area: str | None
    period: Period
    crime_types: tuple[str, ...] | None = None  # None = every type
    everywhere: str = "All areas"
    ward: str | None = None  # the part of this ward inside the area (see places.py)
    parish: str | None = None  # or of this parish; at most one of the two

    def __post_init__(self):
        query.check_area(self.area)
        query.where_clause(start=self.period.start, end=self.period.end, crime_types=self.types_or_none)
        if (self.ward or self.parish) and not self.area:
            raise AreaprofileError("Choose an area before a ward or parish: each is shown as its part inside an area.")
        if self.ward and self.parish:
            raise AreaprofileError("Choose a ward or a parish, not both.")

    @property
    def place(self) -> tuple[str, str] | None:
        """('ward', name) or ('parish', name) when the selection is one level below its area."""
        if self.ward:
            return "ward", self.ward
        if self.parish:
            return "parish", self.parish
        return None

    @property
    def types_or_none(self) -> list[str] | None:
        return list(self.crime_types) if self.crime_types else None

    @property
    def area_label(self) -> str:
        """'Northtown', 'Millbrook parish, Northtown' or the whole partnership's name."""
        if self.place:
            kind, name = self.place
            return f"{name} {kind}, {self.area}"
        return self.area or self.everywhere

    @property
    def types_label(self) -> str:
        types = set(self.crime_types or CRIME_TYPES)
        if types == set(CRIME_TYPES):
            return "all crime and ASB"
        if types == set(CRIME_TYPES) - {ASB}:
            return "all crime (excluding ASB)"
        if types == {ASB}:
            return "anti-social behaviour"
        names = sorted(types)
        return ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")

    def filters(self, period: Period | None = None, **overrides) -> dict:
        """The query filters (see query.where_clause); overriding the area drops the ward or parish."""
        period = period or self.period
        args = {"start": period.start, "end": period.end, "area": self.area, "crime_types": self.types_or_none,
                "ward": self.ward, "parish": self.parish}
        if "area" in overrides:
            args["ward"] = args["parish"] = None
        args.update(overrides)
        return args

    def with_area(self, area: str | None) -> "Selection":
        return Selection(area=area, period=self.period, crime_types=self.crime_types, everywhere=self.everywhere)

    def whole_area(self) -> "Selection":
        """The same choice for the whole area (without its ward or parish)."""
        return self.with_area(self.area)


def whole_label(store: Store) -> str:
    """The whole partnership as one choice beside its areas, e.g. 'All Anytown'."""
    return partnership.of_store(store).all_label


def short_name(store: Store) -> str:
    """The partnership's short name for column headings and sentences, e.g. 'Anytown'."""
    return partnership.of_store(store).short_name


def area_names(store: Store) -> tuple[str, ...]:
    """The areas of the store's scheme, in the order they are shown everywhere."""
    return query.area_names(store)


def loaded_months(store: Store) -> list[str]:
    return query.months(store)


def period_coverage(store: Store, period: Period) -> tuple[int, int]:
    """(months of the period that are loaded, months in the period)."""
    loaded = set(loaded_months(store))
    wanted = month_list(period.start, period.end)
    return sum(m in loaded for m in wanted), len(wanted)


def is_fully_loaded(store: Store, period: Period) -> bool:
    have, want = period_coverage(store, period)
    return have == want


def populations(store: Store) -> pd.DataFrame:
    """Residents and land area per area, plus a row for the whole partnership ('All <name>')."""
    frame = store.sql(
        "SELECT name AS area, population, population_2015, area_km2, lsoa_count FROM areas"
    ).set_index("area").reindex(list(area_names(store)))
    total = frame.sum(numeric_only=True)
    frame.loc[whole_label(store)] = total
    return frame


def population_of(store: Store, area: str | None) -> tuple[int, float]:
    row = populations(store).loc[query.check_area(area, store) or whole_label(store)]
    return int(row["population"]), float(row["area_km2"])


def selection_population(store: Store, selection: Selection) -> tuple[int, float]:
    """Residents and km² of what is chosen: a partnership, an area, or a ward or parish part
    (residents then estimated, see places.py)."""
    if not selection.place:
        return population_of(store, selection.area)
    kind, name = selection.place
    place = places.find_place(store, selection.area, kind, name)
    residents = places.estimated_residents(store, selection.area, kind).get(name, 0.0)
    return round(residents), places.place_km2(store, selection.area, place)


@dataclass
class Headline:
    """One headline figure (crime or ASB) with its rates and changes."""

    label: str
    count: int
    population: int
    area_km2: float
    rate_per_1000: float
    per_km2: float
    previous: metrics.Change | None
    year_earlier: metrics.Change | None
    previous_period: Period
    year_earlier_period: Period
    notes: list[str] = field(default_factory=list)


def headlines(store: Store, selection: Selection) -> list[Headline]:
    """Crime (excluding ASB) and ASB for the selection, where the chosen types include them."""
    chosen = set(selection.crime_types or CRIME_TYPES)
    groups = []
    crime_types = sorted(chosen - {ASB})
    if crime_types:
        groups.append((CRIME_LABEL if set(crime_types) == set(CRIME_TYPES) - {ASB} else "Chosen crime types", crime_types))
    if ASB in chosen:
        groups.append((ASB_LABEL, [ASB]))
    population, area_km2 = selection_population(store, selection)
    out = []
    for label, types in groups:
        count = query.total(store, **selection.filters(crime_types=types))
        previous_period = selection.period.previous()
        earlier_period = selection.period.year_earlier()
        previous = earlier = None
        notes = []
        if is_fully_loaded(store, previous_period):
            previous = metrics.compare_counts(count, query.total(store, **selection.filters(previous_period, crime_types=types)))
        else:
            notes.append(f"No comparison with {previous_period.label}: those months are not loaded.")
        if is_fully_loaded(store, earlier_period):
            earlier = metrics.compare_counts(count, query.total(store, **selection.filters(earlier_period, crime_types=types)))
        else:
            notes.append(f"No comparison with {earlier_period.label}: those months are not loaded.")
        out.append(
            Headline(
                label=label,
                count=count,
                population=population,
                area_km2=area_km2,
                rate_per_1000=metrics.rate_per_1000(count, population),
                per_km2=count / area_km2,
                previous=previous,
                year_earlier=earlier,
                previous_period=previous_period,
                year_earlier_period=earlier_period,
                notes=notes,
            )
        )
    return out


def headline_table(items: list[Headline]) -> pd.DataFrame:
    """The headline figures as a plain table (for screen readers, CSV and the pack)."""
    rows = []
    for item in items:
        rows.append(
            {
                "Measure": item.label,
                "Count": item.count,
                "Per 1,000 residents": round(item.rate_per_1000, 1),
                "Per km²": round(item.per_km2, 1),
                "Previous period": item.previous.earlier if item.previous else None,
                "Change vs previous": item.previous.verdict if item.previous else "not available",
                "Same period a year earlier": item.year_earlier.earlier if item.year_earlier else None,
                "Change vs a year earlier": item.year_earlier.verdict if item.year_earlier else "not available",
            }
        )
    return pd.DataFrame(rows)


def monthly_trend(store: Store, selection: Selection, months_back: int | None = None) -> pd.DataFrame:
    """Rows per month for the period, split into crime and ASB; months not loaded are absent."""
    period = selection.period
    if months_back:
        from areaprofile.periods import shift

        period = Period(shift(period.end, -(months_back - 1)), period.end)
    frame = query.counts(store, ["month", "crime_type"], **selection.filters(period))
    frame["group"] = frame["crime_type"].map(lambda t: ASB_LABEL if t == ASB else CRIME_LABEL)
    wide = frame.pivot_table(index="month", columns="group", values="count", aggfunc="sum", fill_value=0)
    loaded = [m for m in month_list(period.start, period.end) if m in set(loaded_months(store))]
    wide = wide.reindex(loaded, fill_value=0)
    wide.columns.name = None
    return wide.reset_index().rename(columns={"month": "Month"})


def trend_sentence(trend: pd.DataFrame, selection: Selection) -> str:
    if trend.empty:
        return f"No months of data are loaded for {selection.period.label}."
    series = trend.drop(columns="Month").sum(axis=1)
    peak = trend.loc[series.idxmax(), "Month"]
    low = trend.loc[series.idxmin(), "Month"]
    from areaprofile.periods import label

    return (
        f"Monthly {selection.types_label} in {selection.area_label}: highest in {label(peak)} ({int(series.max()):,}), "
        f"lowest in {label(low)} ({int(series.min()):,}), {len(trend)} months shown."
    )


def crime_mix(store: Store, selection: Selection) -> pd.DataFrame:
    frame = query.counts(store, ["crime_type"], **selection.filters())
    frame = frame.sort_values("count", ascending=False).reset_index(drop=True)
    total = frame["count"].sum()
    frame["share_percent"] = (100 * frame["count"] / total).round(1) if total else 0.0
    return frame.rename(columns={"crime_type": "Crime type", "count": "Count", "share_percent": "Share (%)"})


def mix_sentence(mix: pd.DataFrame, selection: Selection) -> str:
    if mix.empty:
        return f"No records for {selection.area_label} in {selection.period.label}."
    top = mix.iloc[0]
    return (
        f"{top['Crime type']} is the largest group in {selection.area_label} "
        f"({top['Share (%)']:.0f}% of {int(mix['Count'].sum()):,} records)."
    )


def top_locations(store: Store, selection: Selection, limit: int = 10) -> pd.DataFrame:
    """The busiest 'on or near' snap points, with the count in the previous period of equal length."""
    where, params = query.where_clause(**selection.filters(), store=store)
    previous = selection.period.previous()
    pwhere, pparams = query.where_clause(**selection.filters(previous), store=store)
    frame = store.sql(
        f"""
        WITH now AS (
            SELECT location, area, MIN(ward) AS ward, ROUND(AVG(latitude), 5) AS latitude,
                   ROUND(AVG(longitude), 5) AS longitude, COUNT(*) AS count
            FROM crimes WHERE {where} AND location <> '' GROUP BY location, area, longitude, latitude
        ), before AS (
            SELECT location, area, ROUND(AVG(latitude), 5) AS latitude, ROUND(AVG(longitude), 5) AS longitude,
                   COUNT(*) AS previous
            FROM crimes WHERE {pwhere} AND location <> '' GROUP BY location, area, longitude, latitude
        )
        SELECT now.location, now.area, now.ward, now.count, COALESCE(before.previous, 0) AS previous,
               now.latitude, now.longitude
        FROM now LEFT JOIN before USING (location, area, latitude, longitude)
        ORDER BY now.count DESC, now.location, now.latitude, now.longitude LIMIT {int(limit)}
        """,
        params + pparams,
    )
    if not is_fully_loaded(store, previous):
        frame["previous"] = None
    return frame


def snap_points(store: Store, selection: Selection) -> pd.DataFrame:
    """Incidents aggregated per published snap point (never one marker per crime)."""
    where, params = query.where_clause(**selection.filters(), store=store)
    return store.sql(
        # Ties broken by position and the label chosen by MIN, so every run (page, CLI, pack worker) lists the same.
        f"""SELECT ROUND(latitude, 5) AS lat, ROUND(longitude, 5) AS lon, MIN(location) AS label, COUNT(*) AS count
            FROM crimes WHERE {where} AND latitude IS NOT NULL GROUP BY 1, 2 ORDER BY count DESC, lat, lon""",
        params,
    )


def compare_areas(store: Store, selection: Selection) -> pd.DataFrame:
    """The areas side by side for the selection's period and types (area filter ignored), then
    the whole partnership; the last columns compare each with the partnership's rate."""
    pops = populations(store)
    by_area = query.counts(store, ["area"], **selection.filters(area=None))
    counts = dict(zip(by_area["area"], by_area["count"]))
    previous_period = selection.period.previous()
    have_previous = is_fully_loaded(store, previous_period)
    earlier = {}
    if have_previous:
        before = query.counts(store, ["area"], **selection.filters(previous_period, area=None))
        earlier = dict(zip(before["area"], before["count"]))
    everywhere, against = whole_label(store), f"Against {short_name(store)}"
    total_count = sum(counts.values())
    total_population = float(pops.loc[everywhere, "population"])
    overall = total_count / total_population
    rows = []
    for area in list(area_names(store)) + [everywhere]:
        count = total_count if area == everywhere else int(counts.get(area, 0))
        population = float(pops.loc[area, "population"])
        low, high = metrics.rate_interval_per_1000(count, population)
        row = {
            "Area": area,
            "Count": count,
            "Residents (Census 2021)": int(population),
            "Per 1,000 residents": metrics.rate_per_1000(count, population),
            "95% interval low": low,
            "95% interval high": high,
            "Per km²": count / float(pops.loc[area, "area_km2"]),
            against: "—" if area == everywhere else metrics.funnel_position(count, population, overall, short_name(store)),
        }
        if have_previous:
            prior = sum(earlier.values()) if area == everywhere else int(earlier.get(area, 0))
            change = metrics.compare_counts(count, prior)
            row.update({"Previous period": prior, "Change (%)": change.percent, "Change": change.verdict})
        else:
            row.update({"Previous period": None, "Change (%)": None, "Change": "not available"})
        rows.append(row)
    return pd.DataFrame(rows)


def compare_sentence(table: pd.DataFrame, selection: Selection) -> str:
    """One sentence naming the highest and lowest rate; the last row of ``table`` is the whole."""
    areas = table.iloc[:-1].sort_values("Per 1,000 residents", ascending=False)
    top, bottom = areas.iloc[0], areas.iloc[-1]
    overall = table.iloc[-1]
    name = overall["Area"].removeprefix("All ")
    return (
        f"{selection.period.label}, {selection.types_label}: {top['Area']} has the highest rate "
        f"({top['Per 1,000 residents']:.1f} per 1,000 residents) and {bottom['Area']} the lowest "
        f"({bottom['Per 1,000 residents']:.1f}); the {name} rate is {overall['Per 1,000 residents']:.1f}."
    )


def compare_mix(store: Store, selection: Selection) -> pd.DataFrame:
    """Share (%) of each crime type within each area, so areas of different size compare."""
    frame = query.counts(store, ["area", "crime_type"], **selection.filters(area=None))
    wide = frame.pivot_table(index="crime_type", columns="area", values="count", fill_value=0, aggfunc="sum")
    wide = wide.reindex(columns=[a for a in area_names(store) if a in wide.columns])
    shares = (100 * wide / wide.sum()).round(1)
    everywhere = whole_label(store)
    shares[everywhere] = (100 * wide.sum(axis=1) / wide.values.sum()).round(1)
    shares = shares.sort_values(everywhere, ascending=False)
    shares.columns = [f"{c} (%)" for c in shares.columns]
    return shares.reset_index().rename(columns={"crime_type": "Crime type"})


def compare_mix_sentence(mix: pd.DataFrame) -> str:
    """One sentence on the largest type; the last column of ``mix`` is the whole partnership."""
    if mix.empty:
        return "No records in this period."
    top = mix.iloc[0]
    whole = mix.columns[-1]
    area_columns = [c for c in mix.columns[1:-1] if c.endswith("(%)")]
    highest = max(area_columns, key=lambda c: top[c])
    return (
        f"{top['Crime type']} is the largest share across {whole.removeprefix('All ').removesuffix(' (%)')} ({top[whole]:.0f}%); "
        f"its share is highest in {highest.removesuffix(' (%)')} ({top[highest]:.0f}%)."
    )


def funnel_data(store: Store, selection: Selection) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Points (areas) and the 95% / 99.8% limit curves against the whole partnership's rate
    (column 'Overall rate')."""
    import numpy as np

    table = compare_areas(store, selection)
    points = table.iloc[:-1][["Area", "Residents (Census 2021)", "Per 1,000 residents", "Count"]]
    total = table.iloc[-1]
    overall = total["Count"] / total["Residents (Census 2021)"]
    populations_axis = np.linspace(max(2000, points["Residents (Census 2021)"].min() * 0.6), points["Residents (Census 2021)"].max() * 1.1, 80)
    return points, pd.DataFrame(metrics.funnel_curves(populations_axis, overall))


LEVELS = {"area": ("areas", "name"), "ward": ("wards", "code"), "parish": ("parishes", "code"), "lsoa": ("lsoa", "code")}


def map_features(store: Store, selection: Selection, level: str) -> dict:
    """GeoJSON (simplified at build time) with count, rate per 1,000 and per km² on each feature.

    For one area, LSOAs and wards are limited to that area (wards: those whose residents are
    mostly in it)."""
    if level not in LEVELS:
        raise AreaprofileError(f"Unknown map level '{level}'; choose area, ward, parish or lsoa.")
    settings = partnership.of_store(store)
    short_name = (settings.lsoa_name_prefix, settings.short_name)
    if level == "parish":  # the parish parts of one area (see places.py)
        if not selection.area:
            raise AreaprofileError("Choose an area to map its parishes.")
        features = places.place_features(store, selection.area, "parish", selection.period.start, selection.period.end,
                                         selection.types_or_none)
        return {"type": "FeatureCollection", "features": features, "short_name": short_name}
    table, key = LEVELS[level]
    group = {"area": "area", "ward": "ward_code", "lsoa": "lsoa"}[level]
    # Areas and wards are counted over the whole partnership (a ward may straddle two areas); LSOAs nest in areas.
    where, params = query.where_clause(**selection.filters(area=selection.area if level == "lsoa" else None), store=store)
    # Plain rows, not DataFrames: the first map after a start is drawn before pandas is imported.
    counts = dict(store.rows(f"SELECT {group} AS key, COUNT(*) AS count FROM crimes WHERE {where} GROUP BY 1", params)[1])
    if level == "area":
        _columns, shapes = store.rows("SELECT name AS key, name, population, area_km2, NULL AS area, NULL AS ward, geojson FROM areas")
    elif level == "ward":
        _columns, shapes = store.rows("SELECT code AS key, name, population, area_km2, main_area AS area, NULL AS ward, geojson FROM wards")
    else:
        _columns, shapes = store.rows("SELECT code AS key, name, population, area_km2, area, ward, geojson FROM lsoa")
    features = []
    for key, name, population, area_km2, area, ward, geojson in shapes:
        if level != "area" and selection.area and area != selection.area:
            continue
        count = int(counts.get(key, 0))
        properties = {
            "code": key,
            "name": name,
            "count": count,
            "population": int(population),
            "rate_per_1000": round(metrics.rate_per_1000(count, population), 1),
            "per_km2": round(count / area_km2, 1),
        }
        if level == "lsoa":
            properties["ward"] = ward
        if level != "area":
            properties["area"] = area
        features.append({"type": "Feature", "properties": properties, "geometry": json.loads(geojson)})
    return {"type": "FeatureCollection", "features": features, "short_name": short_name}


def map_sentence(features: dict, selection: Selection, measure: str) -> str:
    """The map's one-sentence summary: highest and lowest shape for the shaded measure.

    Shapes without a figure (no residents, no area) are left out of the ranking; ties go to the
    shape with more records, then by name. Plain Python, not a DataFrame: it runs in the map's
    page run, before the map is sent."""
    known = [feature["properties"] for feature in features["features"]
             if isinstance(feature["properties"].get(measure), (int, float))
             and not math.isnan(feature["properties"][measure])]
    if not known:
        return "Nothing to map for this choice."
    ranked = sorted(known, key=lambda row: (-row[measure], -row["count"], str(row["name"])))
    top, bottom = ranked[0], ranked[-1]
    unit = {"count": "records", "rate_per_1000": "per 1,000 residents", "per_km2": "per km²"}[measure]
    value = lambda row: f"{row[measure]:,}" if measure == "count" else f"{row[measure]:,.1f}"  # noqa: E731
    also = "" if measure == "count" else f" ({top['count']:,} records)"
    return (
        f"{selection.period.label}, {selection.types_label}: highest is {_short(top['name'], features)} with {value(top)} "
        f"{unit}{also}; lowest is {_short(bottom['name'], features)} with {value(bottom)} {unit}."
    )


def _short(name: str, features: dict) -> str:
    """An LSOA name with the LA's long name shortened ('<LA name> 001A' -> '<short> 001A')."""
    long, short = features.get("short_name", ("", ""))
    return name.replace(long, short) if long else name


def map_table(features: dict) -> list[dict]:
    """The map's numbers, one row per shape, most records first (rows, not a DataFrame: the map
    page draws the first map after a start before pandas is imported)."""
    return sorted((dict(feature["properties"]) for feature in features["features"]), key=lambda row: -row["count"])


# ---- data & sources -----------------------------------------------------------------------


def store_meta(store: Store) -> dict[str, str]:
    frame = store.sql("SELECT key, value FROM meta")
    return dict(zip(frame["key"], frame["value"]))


def build_log(store: Store) -> list[str]:
    return store.sql("SELECT message FROM build_log ORDER BY seq")["message"].tolist()


def files_table(store: Store) -> pd.DataFrame:
    """One row per street file read; ``.attrs['partnership']`` is the partnership's short name."""
    frame = store.sql(
        """SELECT month, force, label AS file, rows_in_file, rows_kept, rows_without_location, rows_outside_la,
                  repeated_crime_ids, sha256 FROM files ORDER BY month, force"""
    )
    frame.attrs["partnership"] = short_name(store)
    return frame


def files_sentence(files: pd.DataFrame) -> str:
    """The build's data-quality figures in one sentence, from :func:`files_table`."""
    name = files.attrs.get("partnership", "partnership")
    return (
        f"{files['rows_kept'].sum():,} {name} rows kept from {len(files)} files; {files['rows_without_location'].sum():,} "
        "rows in those files had no location (they cannot be placed in any area), and "
        f"{files['repeated_crime_ids'].sum():,} {name} rows repeat a Crime ID (counted as published)."
    )


def area_definitions(store: Store) -> pd.DataFrame:
    """How each area of the store's scheme is made: members, LSOAs, residents, land, evidence."""
    return store.sql(
        """SELECT name AS area, body, members, lsoa_count AS lsoas, population AS residents_2021,
                  population_2015 AS residents_mid_2015, ROUND(area_km2, 1) AS area_km2, confidence, evidence
           FROM areas"""
    ).set_index("area").reindex(list(area_names(store))).reset_index()


def scheme_summary(store: Store) -> dict:
    """The scheme the store's areas follow, the others on offer, and what the settings say about them."""
    settings = partnership.of_store(store)
    scheme = settings.scheme(store.scheme or None)
    return {
        "id": scheme.id,
        "name": scheme.name,
        "kind": scheme.kind,
        "description": scheme.description,
        "member_heading": {"parish": "Parishes", "ward": "Wards", "lsoa": "LSOAs"}[scheme.kind],
        "schemes": [(s.id, s.name) for s in settings.schemes],
        "note": settings.scheme_note,
        "partnership": settings.partnership_name,
        "la_name": settings.la_name,
        "la_code": settings.la_code,
        "short_name": settings.short_name,
        "forces": settings.force_names,
        "knowledge_note": settings.knowledge_note,
    }


def caveats(store: Store, area: str | None = None) -> tuple[str, ...]:
    """What every reader should know, with the partnership's place caveats (for ``area``, or all)."""
    places = " ".join(partnership.of_store(store).caveats_for(area))
    return (
        GENERAL_CAVEATS[0],
        GENERAL_CAVEATS[1],
        "Rates per 1,000 use Census 2021 usual residents." + (f" {places}" if places else ""),
        GENERAL_CAVEATS[2],
    )


def data_correct_as_of(store: Store) -> str:
    """The line after 'Data correct as of' on pages and in the forum pack (same facts as Data & sources)."""
    from areaprofile.update_log import freshness

    return freshness(store).as_of()


GENERAL_CAVEATS = (
    "Locations are approximate: police.uk moves each incident to a nearby 'snap point' that covers at least eight addresses.",
    "Counts are records published on police.uk; they can differ from police systems and from the figures in the plans.",
    "Anti-social behaviour is counted separately from crime: 'Crime (excluding ASB)' is every other type.",
)

def attribution(store: Store) -> str:
    """The licence and source lines every page, map and pack carries."""
    return (
        "Contains public sector information licensed under the Open Government Licence v3.0. "
        f"Source: data.police.uk / {partnership.of_store(store).force_names}. "
        "Source: Office for National Statistics licensed under the Open Government Licence v3.0. "
        "Contains OS data © Crown copyright and database right."
    )
