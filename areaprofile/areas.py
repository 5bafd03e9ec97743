"""A partnership's areas, and the geography every crime row is placed in.

Areas are built from the members a scheme names (parishes, wards or LSOAs, in
``geo/<LA code>.yaml``) via LSOAs: an LSOA belongs to the area whose member holds its centre.
Counts and Census population then share one geography, so a rate per 1,000 residents compares
like with like. Wards are placed from the snap point.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely import points

from areaprofile.errors import AreaprofileError
from areaprofile.partnership import Partnership, Scheme
from areaprofile.sources import ons


@dataclass
class Geography:
    """Everything the store needs to place rows and to draw and divide by areas."""

    lsoa21: gpd.GeoDataFrame  # code, name, parish, area, ward_code, ward, population, area_km2
    lsoa11: pd.DataFrame  # code, name, area, population_2015
    lsoa11_to_21: pd.DataFrame  # lsoa11, lsoa21, share (of the 2011 LSOA's area)
    wards: gpd.GeoDataFrame  # code, name, population, area_km2
    areas: gpd.GeoDataFrame  # name, body, members, population, population_2015, area_km2, lsoa_count, ...
    parishes: gpd.GeoDataFrame  # code, name, area
    reference_paths: dict[str, str] = field(default_factory=dict)  # which files it came from
    scheme_lsoa: pd.DataFrame | None = None  # scheme, lsoa, area: every scheme's LSOA 2021 -> area
    scheme_areas: gpd.GeoDataFrame | None = None  # scheme, name, ... (like ``areas``) for every scheme


def build_geography(files: ons.ReferenceFiles, partnership: Partnership) -> Geography:
    """Join boundaries, members and population into LSOA, ward and area tables."""
    if not files.has_all_required():
        raise AreaprofileError(
            f"{files.root}: reference files for {partnership.la_name} missing ({', '.join(files.missing())}); "
            "run `areaprofile download` or give a folder laid out like shared/data."
        )
    la_code = partnership.la_code
    paths = files.paths
    lsoa21 = ons.read_boundaries(paths["lsoa21"], "LSOA21CD", "LSOA21NM", la_code)
    lsoa11 = ons.read_boundaries(paths["lsoa11"], "LSOA11CD", "LSOA11NM", la_code)
    wards = ons.read_boundaries(paths["wards"], *_ward_fields(paths["wards"]), la_code)
    if paths.get("parishes"):
        parishes = ons.read_parishes(paths["parishes"])
    else:
        parishes = gpd.GeoDataFrame({"code": pd.Series(dtype=object), "name": pd.Series(dtype=object)},
                                    geometry=gpd.GeoSeries([], crs=ons.BNG), crs=ons.BNG)

    centres = None
    if paths.get("lsoa_centres"):
        centres = ons.read_lsoa_centres(paths["lsoa_centres"], set(lsoa21["code"]) | set(lsoa11["code"]))
    lsoa21["parish"] = _member_of(lsoa21, parishes, centres) if len(parishes) else None
    lsoa11_parish = _member_of(lsoa11, parishes, centres) if len(parishes) else None

    # 2011 -> 2021: unchanged codes map to themselves; only the split LSOAs need the overlay.
    changed = lsoa11[~lsoa11["code"].isin(lsoa21["code"])]
    split = _overlay_shares(changed, lsoa21[~lsoa21["code"].isin(lsoa11["code"])], minimum_share=0.05)
    same = sorted(set(lsoa11["code"]) & set(lsoa21["code"]))
    overlay = pd.concat([pd.DataFrame({"from_code": same, "to_code": same, "share": 1.0}), split], ignore_index=True)
    # Every scheme's LSOA -> area; the first (default) scheme's areas go on the LSOAs and rows.
    scheme_rows = []
    default_by_11 = None
    for scheme in partnership.schemes:
        member_area, polygons = _members(scheme, parishes, wards, partnership.source)
        if scheme.kind == "parish":
            area21 = lsoa21["parish"].map(member_area)
            area11 = lsoa11_parish.map(member_area)
        elif scheme.kind == "ward" and paths.get("lsoa_ward_lookup"):
            # The ONS best-fit lookup (LSOA 2021 -> ward) is the official answer; a 2011 LSOA
            # follows its largest 2021 part.
            ward_of = ons.read_lsoa_ward_lookup(paths["lsoa_ward_lookup"], set(lsoa21["code"]))
            area21 = lsoa21["code"].map(ward_of).map(member_area)
            largest = overlay.sort_values("share", ascending=False).drop_duplicates("from_code").set_index("from_code")["to_code"]
            area11 = lsoa11["code"].map(largest).map(ward_of).map(member_area)
        elif scheme.kind == "ward":
            area21 = _member_of(lsoa21, polygons, centres).map(member_area)
            area11 = _member_of(lsoa11, polygons, centres).map(member_area)
        else:
            area21, area11 = lsoa21["code"].map(member_area), lsoa11["code"].map(member_area)
        rest = next((a.name for a in scheme.areas if a.rest), None)
        if rest is not None:
            area21, area11 = area21.fillna(rest), area11.fillna(rest)
        if area21.isna().any():
            raise AreaprofileError(
                f"{partnership.source}: LSOA {lsoa21.loc[area21.isna(), 'code'].iloc[0]} is in no area of the scheme "
                f"'{scheme.id}'; add its {scheme.kind} to an area, or give one area 'rest: true'."
            )
        scheme_rows.append(pd.DataFrame({"scheme": scheme.id, "lsoa": lsoa21["code"].to_numpy(), "area": area21.to_numpy()}))
        if default_by_11 is None:
            lsoa21["area"] = area21
            default_by_11 = area11

    # Ward of each LSOA: the ward holding most of its area (used only where a row has no point).
    lsoa_ward = _overlay_shares(lsoa21, wards).sort_values("share", ascending=False).drop_duplicates("from_code")
    lsoa21 = lsoa21.merge(
        lsoa_ward[["from_code", "to_code"]].rename(columns={"from_code": "code", "to_code": "ward_code"}), on="code", how="left"
    )
    lsoa21["ward"] = lsoa21["ward_code"].map(dict(zip(wards["code"], wards["name"])))

    population = ons.read_population_2021(paths["population_2021"])
    lsoa21["population"] = lsoa21["code"].map(population)
    if lsoa21["population"].isna().any():
        missing = ", ".join(lsoa21.loc[lsoa21["population"].isna(), "code"].head(3))
        raise AreaprofileError(f"{paths['population_2021']}: no Census 2021 population for LSOAs {missing}; is this the right file?")
    lsoa21["population"] = lsoa21["population"].astype(int)
    lsoa21["area_km2"] = lsoa21.geometry.area / 1e6

    lsoa11_table = pd.DataFrame({"code": lsoa11["code"], "name": lsoa11["name"], "area": default_by_11})
    if paths.get("population_2015"):
        pop15 = ons.read_population_2015(paths["population_2015"], set(lsoa11["code"]))
        lsoa11_table["population_2015"] = lsoa11_table["code"].map(pop15)
    else:
        lsoa11_table["population_2015"] = np.nan

    # Ward population: each LSOA's residents shared by area between the wards it overlaps.
    ward_shares = _overlay_shares(lsoa21, wards)
    ward_shares["residents"] = ward_shares["from_code"].map(dict(zip(lsoa21["code"], lsoa21["population"]))) * ward_shares["share"]
    wards["population"] = wards["code"].map(ward_shares.groupby("to_code")["residents"].sum()).fillna(0).round().astype(int)
    wards["area_km2"] = wards.geometry.area / 1e6
    wards["main_area"] = wards["code"].map(
        lsoa21.assign(w=lsoa21["population"]).groupby(["ward_code", "area"])["w"].sum().reset_index()
        .sort_values("w", ascending=False).drop_duplicates("ward_code").set_index("ward_code")["area"]
    )

    scheme_lsoa = pd.concat(scheme_rows, ignore_index=True)
    scheme_areas = []
    for scheme in partnership.schemes:
        placed = lsoa21.drop(columns="area").merge(
            scheme_lsoa[scheme_lsoa["scheme"] == scheme.id][["lsoa", "area"]], left_on="code", right_on="lsoa"
        )
        # mid-2015 residents by the 2011 LSOAs' default areas only (2011 LSOAs are not re-placed per scheme).
        pop15 = lsoa11_table.groupby("area")["population_2015"].sum(min_count=1) if scheme is partnership.default_scheme else None
        scheme_areas.append(_area_table(placed, scheme, pop15, partnership.source))
    all_areas = pd.concat(scheme_areas, ignore_index=True)
    areas = all_areas[all_areas["scheme"] == partnership.default_scheme.id].drop(columns="scheme").reset_index(drop=True)

    default = partnership.default_scheme
    parishes["area"] = parishes["code"].map(_members(default, parishes, wards, partnership.source)[0]) if default.kind == "parish" else None

    lsoa11_to_21 = overlay.rename(columns={"from_code": "lsoa11", "to_code": "lsoa21"})[["lsoa11", "lsoa21", "share"]]
    return Geography(
        lsoa21=lsoa21, lsoa11=lsoa11_table, lsoa11_to_21=lsoa11_to_21, wards=wards, areas=areas, parishes=parishes,
        scheme_lsoa=scheme_lsoa, scheme_areas=gpd.GeoDataFrame(all_areas, geometry="geometry", crs=ons.BNG),
    )


def _members(scheme: Scheme, parishes: gpd.GeoDataFrame, wards: gpd.GeoDataFrame, source: str):
    """(member code -> area name, the member polygons) for a scheme; unlisted polygons refused."""
    member_area = {m.code: a.name for a in scheme.areas for m in a.members}
    polygons = {"parish": parishes, "ward": wards, "lsoa": None}[scheme.kind]
    if polygons is None:
        return member_area, None
    # ONS re-codes parishes and wards now and then: a member whose code is unknown is matched by name.
    by_name = {_plain(m.name): a.name for a in scheme.areas for m in a.members}
    for code, name in zip(polygons["code"], polygons["name"]):
        if code not in member_area and _plain(name) in by_name:
            member_area[code] = by_name[_plain(name)]
    unknown = sorted(set(polygons["code"]) - set(member_area))
    if unknown:
        raise AreaprofileError(
            f"{source}: {scheme.kind} {', '.join(unknown)} of the boundary file is in no area of '{scheme.id}'; add it to one."
        )
    return member_area, polygons


def _area_table(placed: gpd.GeoDataFrame, scheme: Scheme, population_2015, source: str) -> gpd.GeoDataFrame:
    """One row per area of a scheme: its outline (the union of its LSOAs), residents and land."""
    areas = placed.dissolve(by="area", aggfunc={"population": "sum", "area_km2": "sum", "code": "count"}).reset_index()
    areas = areas.rename(columns={"area": "name", "code": "lsoa_count"})
    spec = {a.name: a for a in scheme.areas}
    areas = areas.set_index("name").reindex(list(spec)).reset_index()
    if areas["lsoa_count"].isna().any():
        empty = ", ".join(areas.loc[areas["lsoa_count"].isna(), "name"])
        raise AreaprofileError(f"{source}: no LSOA falls in {empty} (scheme '{scheme.id}'); check its {scheme.kind} list.")
    areas["lsoa_count"] = areas["lsoa_count"].astype(int)
    areas["scheme"] = scheme.id
    areas["body"] = areas["name"].map(lambda n: spec[n].body)
    areas["members"] = areas["name"].map(lambda n: spec[n].member_names)
    areas["confidence"] = areas["name"].map(lambda n: spec[n].confidence)
    areas["evidence"] = areas["name"].map(lambda n: spec[n].evidence)
    areas["population_2015"] = areas["name"].map(population_2015) if population_2015 is not None else np.nan
    return areas


def _plain(name: str) -> str:
    return "".join(ch for ch in name.lower().replace("saint", "st") if ch.isalnum())


def _ward_fields(path: Path) -> tuple[str, str]:
    import json

    props = json.loads(Path(path).read_text(encoding="utf-8"))["features"][0]["properties"]
    for year in ("25", "24", "23", "22", "21", "19"):
        if f"WD{year}CD" in props:
            return f"WD{year}CD", f"WD{year}NM"
    raise AreaprofileError(f"{path}: no WDyyCD/WDyyNM columns; expected ONS ward boundaries.")


def _member_of(lsoas: gpd.GeoDataFrame, members: gpd.GeoDataFrame, centres: pd.DataFrame | None) -> pd.Series:
    """Code of the polygon (parish, ward) holding each LSOA's centre; None where none does."""
    point = lsoas.geometry.representative_point()
    if centres is not None and len(centres):
        lookup = centres.set_index("code")
        known = lsoas["code"].isin(lookup.index)
        pts = gpd.GeoSeries(
            points(lookup.loc[lsoas.loc[known, "code"], "longitude"].astype(float), lookup.loc[lsoas.loc[known, "code"], "latitude"].astype(float)),
            crs=ons.WGS84,
        ).to_crs(ons.BNG)
        point = point.copy()
        point.loc[known] = pts.values
    located = gpd.sjoin(gpd.GeoDataFrame(geometry=point, crs=ons.BNG), members[["code", "geometry"]], how="left", predicate="within")
    located = located[~located.index.duplicated()]
    return located["code"].where(located["code"].notna(), None).reindex(lsoas.index)


def _overlay_shares(source: gpd.GeoDataFrame, target: gpd.GeoDataFrame, minimum_share: float = 0.01) -> pd.DataFrame:
    """Share of each source polygon's area lying in each target polygon (slivers dropped)."""
    pieces = gpd.overlay(
        source[["code", "geometry"]].rename(columns={"code": "from_code"}),
        target[["code", "geometry"]].rename(columns={"code": "to_code"}),
        how="intersection",
        keep_geom_type=True,
    )
    pieces["share"] = pieces.geometry.area / pieces["from_code"].map(dict(zip(source["code"], source.geometry.area)))
    pieces = pieces[pieces["share"] >= minimum_share]
    return pd.DataFrame(pieces[["from_code", "to_code", "share"]])


def place_rows(rows: pd.DataFrame, geo: Geography) -> pd.DataFrame:
    """Give every row its LSOA 2021, LSOA 2011, ward, parish and area.

    Rows may carry 2011 or 2021 LSOA codes (police.uk changed over). A 2011 LSOA that was
    split is resolved by the row's snap point; the ward comes from the snap point, falling
    back to the LSOA's main ward when a point lies outside every (generalised) ward polygon.
    """
    codes21 = set(geo.lsoa21["code"])
    codes11 = set(geo.lsoa11["code"])
    published = rows["lsoa_code"]
    out = rows.copy()
    out["lsoa"] = published.where(published.isin(codes21), None)
    parent = geo.lsoa11_to_21.sort_values("share", ascending=False)
    child_to_parent = parent.drop_duplicates("lsoa21").set_index("lsoa21")["lsoa11"]
    out["lsoa11"] = published.where(published.isin(codes11), published.map(child_to_parent))

    x, y = _to_bng(out["lon"].to_numpy(), out["lat"].to_numpy())
    out["easting"], out["northing"] = x, y
    unresolved = out["lsoa"].isna()
    if unresolved.any():
        children = geo.lsoa21[geo.lsoa21["code"].isin(parent.loc[parent["lsoa11"].isin(published[unresolved]), "lsoa21"])]
        hits = _point_in(out.loc[unresolved, ["easting", "northing"]], children)
        # A point only counts inside a part of the row's own 2011 LSOA (next to another split
        # LSOA, a snap point may lie in that one's parts); otherwise the largest part.
        own = set(zip(parent["lsoa11"], parent["lsoa21"]))
        hits = hits.where([(code, hit) in own for code, hit in zip(published[unresolved], hits)])
        best = parent.drop_duplicates("lsoa11").set_index("lsoa11")["lsoa21"]
        out.loc[unresolved, "lsoa"] = hits.where(hits.notna(), published[unresolved].map(best))

    lsoa_info = geo.lsoa21.set_index("code")
    out["area"] = out["lsoa"].map(lsoa_info["area"])
    ward_by_point = _point_in(out[["easting", "northing"]], geo.wards)
    out["ward_code"] = ward_by_point.where(ward_by_point.notna(), out["lsoa"].map(lsoa_info["ward_code"]))
    out["ward"] = out["ward_code"].map(dict(zip(geo.wards["code"], geo.wards["name"])))
    # The parish, like the ward, by the snap point (a rural LSOA spans several villages); rows
    # without a location take the parish holding their LSOA's centre. None where there are none.
    if len(geo.parishes):
        parish_by_point = _point_in(out[["easting", "northing"]], geo.parishes)
        out["parish_code"] = parish_by_point.where(parish_by_point.notna(), out["lsoa"].map(lsoa_info["parish"]))
        out["parish"] = out["parish_code"].map(dict(zip(geo.parishes["code"], geo.parishes["name"])))
    else:
        out["parish_code"] = out["parish"] = None
    return out


def _to_bng(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    from pyproj import Transformer

    transformer = Transformer.from_crs(ons.WGS84, ons.BNG, always_xy=True)
    x, y = transformer.transform(lon, lat)
    return np.round(x, 1), np.round(y, 1)


def _point_in(coords: pd.DataFrame, polygons: gpd.GeoDataFrame) -> pd.Series:
    """Code of the polygon holding each point (None where none does)."""
    pts = gpd.GeoDataFrame(geometry=points(coords["easting"].to_numpy(), coords["northing"].to_numpy()), index=coords.index, crs=ons.BNG)
    joined = gpd.sjoin(pts, polygons[["code", "geometry"]], how="left", predicate="within")
    joined = joined[~joined.index.duplicated()]
    return joined["code"].reindex(coords.index)
