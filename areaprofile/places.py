"""Wards and parishes inside an area: the level a forum member thinks in ("my village").

Every row carries the ward and the parish its snap point lies in (rows without a location: those
of their LSOA). A place here is always *the part of a ward or parish inside the chosen area*, so
the places of an area add up to the area, and every number equals ``areaprofile counts --area A
--ward W`` (or ``--parish P``). A ward or parish that mostly lies in another area is marked
"(part)".

Residents are not published for these parts. They are estimated: each LSOA's Census 2021
residents are shared out by where its police.uk snap points lie (a snap point stands for a group
of at least eight addresses), so an LSOA whose streets are mostly in one village gives it most of
its people. The estimates add up to the area's residents; they are approximations, and every
page that shows them says so (:data:`RESIDENTS_NOTE`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np

from areaprofile import deferred_import, metrics, query
from areaprofile.errors import AreaprofileError
from areaprofile.query import Store
from areaprofile.smoothing import empirical_bayes_rates

pd = deferred_import.module("pandas")  # imported by the first function that uses it (see deferred_import)

#: The kinds of place, with the crimes column that holds them.
KINDS = ("ward", "parish")
PLURAL = {"ward": "wards", "parish": "parishes"}

RESIDENTS_NOTE = (
    "Residents of a ward or parish part are estimated: each LSOA's Census 2021 residents shared out by where "
    "its police.uk snap points lie. An approximation, not an official figure."
)
SMOOTHED_NOTE = (
    "Smoothed rates pull each place's rate towards its area's rate, further for places with fewer residents "
    "(empirical Bayes), so one unusual month in a small village does not top the table."
)


@dataclass(frozen=True)
class Place:
    """A ward or parish (its part inside ``area``)."""

    kind: str  # 'ward' or 'parish'
    name: str
    part: bool  # most of its records lie in another area

    @property
    def label(self) -> str:
        return f"{self.name} {self.kind}" + (" (part)" if self.part else "")


def place_sentence(kind: str, name: str, area: str) -> str:
    """What a ward or parish profile counts, in words, for the top of its pages."""
    return (f"{name} {kind}, {area}: the records whose police.uk snap point lies in the {kind} and in {area} "
            f"(a record without a location: the {kind} holding its LSOA's centre). Compare areas lists every {kind} "
            f"of {area} with smoothed rates. {RESIDENTS_NOTE}")


def _check_kind(kind: str) -> str:
    if kind not in KINDS:
        raise AreaprofileError(f"Unknown kind of place '{kind}'; choose ward or parish.")
    return kind


def places_in(store: Store, area: str) -> list[Place]:
    """The wards, then the parishes, that hold any of ``area``'s records (all months), by name."""
    query.check_area(area, store)
    found = []
    for kind in KINDS:
        _columns, rows = store.rows(  # rows, not a DataFrame: the map page's first run needs no pandas
            f"""WITH counted AS (SELECT {kind} AS name, area, COUNT(*) AS n FROM crimes
                                 WHERE {kind} IS NOT NULL GROUP BY 1, 2),
                     main AS (SELECT name, arg_max(area, n) AS main_area FROM counted GROUP BY 1)
                SELECT c.name, m.main_area <> c.area AS part FROM counted c JOIN main m USING (name)
                WHERE c.area = ? ORDER BY c.name""",
            [area],
        )
        found += [Place(kind, name, bool(part)) for name, part in rows]
    return found


def find_place(store: Store, area: str | None, kind: str, name: str) -> Place:
    """The place called ``name`` in ``area``, or one sentence saying which there are."""
    _check_kind(kind)
    if not area:
        raise AreaprofileError(f"Choose an area before a {kind}: a {kind} is shown as its part inside an area.")
    query.check_place(store, kind, name, area)
    return next(p for p in places_in(store, area) if p.kind == kind and p.name == name)


def estimated_residents(store: Store, area: str, kind: str) -> dict[str | None, float]:
    """Estimated residents of each ward or parish part in ``area`` (None: outside every parish).

    Shares come from the LSOA's distinct snap points over all months; an LSOA without one gives
    its residents to the place its own centre lies in."""
    _check_kind(kind)
    own_place = "l.ward" if kind == "ward" else "(SELECT p.name FROM parishes p WHERE p.code = l.parish)"
    frame = store.sql(
        f"""
        WITH points AS (SELECT DISTINCT lsoa, easting, northing, {kind} AS place FROM crimes
                        WHERE area = ? AND easting IS NOT NULL),
             shares AS (SELECT lsoa, place, COUNT(*) / SUM(COUNT(*)) OVER (PARTITION BY lsoa) AS share
                        FROM points GROUP BY 1, 2),
             lsoas AS (SELECT l.code, l.population, {own_place} AS own FROM lsoa l WHERE l.area = ?)
        SELECT COALESCE(s.place, CASE WHEN s.lsoa IS NULL THEN l.own END) AS place,
               SUM(l.population * COALESCE(s.share, 1.0)) AS residents
        FROM lsoas l LEFT JOIN shares s ON s.lsoa = l.code GROUP BY 1
        """,
        [area, area],
    )
    return {(None if pd.isna(row.place) else row.place): float(row.residents) for row in frame.itertuples(index=False)}


def outline(store: Store, place: Place) -> dict:
    """The (simplified, WGS84) GeoJSON geometry of the whole ward or parish, for a map's outline."""
    row = store.sql(f"SELECT geojson FROM {PLURAL[place.kind]} WHERE name = ? LIMIT 1", [place.name])
    return json.loads(row["geojson"].iloc[0]) if len(row) else {}


def place_km2(store: Store, area: str, place: Place) -> float:
    """Land area (km²) of the part of the place's polygon inside the area's polygon."""
    import shapely

    row = store.sql(f"SELECT geom_wkb FROM {PLURAL[place.kind]} WHERE name = ? LIMIT 1", [place.name])
    shapes = query.area_shapes(store)
    if row.empty or area not in shapes:
        return float("nan")
    return float(shapely.from_wkb(bytes(row["geom_wkb"].iloc[0])).intersection(shapes[area]).area / 1e6)


def place_features(store: Store, area: str, kind: str, start: str | None, end: str | None, crime_types=None) -> list[dict]:
    """GeoJSON features of the ward or parish parts of ``area`` (simplified polygons of the whole
    ward or parish), with the map's properties: count, estimated residents, rates."""
    table = compare_places(store, area, kind, start, end, crime_types)
    known = [p for p in places_in(store, area) if p.kind == kind]
    if table.empty:
        return []
    shapes = store.sql(f"SELECT name, code, geojson FROM {PLURAL[kind]} WHERE name IN ({','.join('?' * len(known))})",
                       [p.name for p in known])
    shape_of = {row.name: row for row in shapes.itertuples(index=False)}
    features = []
    for place, row in zip(known, table.itertuples(index=False)):
        shape = shape_of.get(place.name)
        if shape is None:
            continue
        km2 = place_km2(store, area, place)
        properties = {"code": shape.code, "name": place.label, "count": int(row.Records),
                      "population": int(row._2), "rate_per_1000": row._3, "per_km2": round(row.Records / km2, 1) if km2 else None,
                      "area": area}
        features.append({"type": "Feature", "properties": properties, "geometry": json.loads(shape.geojson)})
    return features


def compare_places(store: Store, area: str, kind: str, start: str | None, end: str | None, crime_types=None) -> pd.DataFrame:
    """Each ward or parish part of ``area``: records, estimated residents, raw and smoothed rates per
    1,000 and where it sits on the funnel against the area's rate; a last row for the whole area.

    Records outside every parish (e.g. in an unparished town) are one row of their own, so the
    rows above the area's add up to it."""
    places = [p for p in places_in(store, area) if p.kind == _check_kind(kind)]
    if not places:
        return pd.DataFrame()
    where, params = query.where_clause(start, end, area, crime_types, store=store)
    counted = store.sql(f"SELECT {kind} AS place, COUNT(*) AS n FROM crimes WHERE {where} GROUP BY 1", params)
    counts = {(None if pd.isna(r.place) else r.place): int(r.n) for r in counted.itertuples(index=False)}
    residents = estimated_residents(store, area, kind)
    names: list[str | None] = [p.name for p in places]
    labels = [p.label for p in places]
    if counts.get(None) or residents.get(None):
        names.append(None)
        labels.append(f"Not in a {kind}")
    count_list = [counts.get(n, 0) for n in names]
    resident_list = [residents.get(n, 0.0) for n in names]
    smoothed = empirical_bayes_rates(count_list, resident_list)
    total_count, total_residents = sum(counts.values()), sum(residents.values())
    overall = total_count / total_residents if total_residents else float("nan")
    rows = []
    for label, count, people, rate in zip(labels, count_list, resident_list, smoothed):
        rows.append({
            "Place": label,
            "Records": count,
            "Residents (estimated)": round(people),
            "Per 1,000 residents": round(1000 * count / people, 1) if people else None,
            "Smoothed per 1,000": round(1000 * rate, 1) if people else None,
            "Against the area": metrics.funnel_position(count, people, overall, area) if people else "no residents",
        })
    rows.append({"Place": f"All {area}", "Records": total_count, "Residents (estimated)": round(total_residents),
                 "Per 1,000 residents": round(1000 * overall, 1) if total_residents else None,
                 "Smoothed per 1,000": None, "Against the area": ""})
    return pd.DataFrame(rows)


def places_funnel(table: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Points (places with residents) and 95% / 99.8% limit curves against the area's rate (last row)."""
    points = table.iloc[:-1]
    points = points[points["Residents (estimated)"] > 0][["Place", "Residents (estimated)", "Per 1,000 residents", "Records"]]
    total = table.iloc[-1]
    overall = total["Records"] / total["Residents (estimated)"]
    axis = np.linspace(max(50.0, points["Residents (estimated)"].min() * 0.6), points["Residents (estimated)"].max() * 1.1, 80)
    return points, pd.DataFrame(metrics.funnel_curves(axis, overall))


def compare_sentence(table: pd.DataFrame, area: str, kind: str) -> str:
    """The places' comparison in words, for the table and funnel plot beside it."""
    if table.empty:
        return f"{area} has no {PLURAL[kind]} in the store's boundaries."
    places = table.iloc[:-1]
    ranked = places.dropna(subset=["Smoothed per 1,000"]).sort_values("Smoothed per 1,000", ascending=False)
    above = places[places["Against the area"].str.contains("above", case=False)]["Place"].tolist()
    top = ranked.iloc[0] if len(ranked) else None
    words = f"{len(places)} {kind} parts of {area}. "
    if top is not None:
        words += (f"Highest smoothed rate: {top['Place']} ({top['Smoothed per 1,000']:.1f} per 1,000 estimated residents; "
                  f"raw {top['Per 1,000 residents']:.1f} from {int(top['Records']):,} records). ")
    words += (f"Above {area}'s rate beyond chance: {', '.join(above)}." if above
              else f"None is above {area}'s rate beyond what chance would give.")
    return words
