"""The five forum areas, and the geography every crime row is placed in.

Areas are built from parishes (``geo/areas.yaml``) via LSOAs: an LSOA belongs to the area
whose parish holds its centre. Counts and Census population then share one geography, so a
rate per 1,000 residents compares like with like. Wards are placed from the snap point.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import yaml
from shapely import points

from areaprofile.config import AREAS, AREAS_YAML
from areaprofile.errors import AreaprofileError
from areaprofile.sources import ons


@dataclass(frozen=True)
class AreaDefinition:
    name: str
    forum: str
    parishes: tuple[tuple[str, str], ...]  # (code, name)
    unparished: bool
    confidence: str
    evidence: str


def load_area_definitions(path: Path = AREAS_YAML) -> list[AreaDefinition]:
    """The five areas as written in ``geo/areas.yaml``, checked against the fixed names."""
    try:
        doc = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise AreaprofileError(f"{path}: cannot read the area definitions ({exc}).") from None
    definitions = []
    for item in doc.get("areas", []):
        if item["name"] not in AREAS:
            raise AreaprofileError(f"{path}: unknown area '{item['name']}'; areas are {', '.join(AREAS)}.")
        definitions.append(
            AreaDefinition(
                name=item["name"],
                forum=item.get("forum", item["name"]),
                parishes=tuple((p["code"], p["name"]) for p in item.get("parishes", [])),
                unparished=bool(item.get("unparished", False)),
                confidence=item.get("confidence", "inferred"),
                evidence=" ".join(str(item.get("evidence", "")).split()),
            )
        )
    if sorted(d.name for d in definitions) != sorted(AREAS):
        raise AreaprofileError(f"{path}: must define exactly the five areas {', '.join(AREAS)}.")
    codes = [code for d in definitions for code, _ in d.parishes]
    if len(codes) != len(set(codes)):
        raise AreaprofileError(f"{path}: a parish is listed in two areas.")
    return sorted(definitions, key=lambda d: AREAS.index(d.name))


@dataclass
class Geography:
    """Everything the store needs to place rows and to draw and divide by areas."""

    lsoa21: gpd.GeoDataFrame  # code, name, parish, area, ward_code, ward, population, area_km2
    lsoa11: pd.DataFrame  # code, name, area, population_2015
    lsoa11_to_21: pd.DataFrame  # lsoa11, lsoa21, share (of the 2011 LSOA's area)
    wards: gpd.GeoDataFrame  # code, name, population, area_km2
    areas: gpd.GeoDataFrame  # name, forum, population, population_2015, area_km2, lsoa_count, ...
    parishes: gpd.GeoDataFrame  # code, name, area
    reference_paths: dict[str, str] = field(default_factory=dict)  # which files it came from


def build_geography(files: ons.ReferenceFiles, la_code: str, definitions: list[AreaDefinition]) -> Geography:
    """Join boundaries, parishes and population into LSOA, ward and area tables."""
    if not files.has_all_required():
        raise AreaprofileError(
            f"{files.root}: reference files missing ({', '.join(files.missing())}); "
            "run `areaprofile download` or give a folder laid out like shared/data."
        )
    paths = files.paths
    lsoa21 = ons.read_boundaries(paths["lsoa21"], "LSOA21CD", "LSOA21NM", la_code)
    lsoa11 = ons.read_boundaries(paths["lsoa11"], "LSOA11CD", "LSOA11NM", la_code)
    wards = ons.read_boundaries(paths["wards"], *_ward_fields(paths["wards"]), la_code)
    parishes = ons.read_parishes(paths["parishes"])

    parish_area = {code: d.name for d in definitions for code, _ in d.parishes}
    # ONS re-codes parishes now and then: a parish whose code is unknown is matched by name.
    by_name = {_plain(name): d.name for d in definitions for _, name in d.parishes}
    for code, name in zip(parishes["code"], parishes["name"]):
        if code not in parish_area and _plain(name) in by_name:
            parish_area[code] = by_name[_plain(name)]
    unknown = sorted(set(parishes["code"]) - set(parish_area))
    if unknown:
        raise AreaprofileError(f"geo/areas.yaml: parishes {', '.join(unknown)} are in no area; add them to one.")
    bath = next(d.name for d in definitions if d.unparished)
    parishes["area"] = parishes["code"].map(parish_area)

    centres = None
    if paths.get("lsoa_centres"):
        centres = ons.read_lsoa_centres(paths["lsoa_centres"], set(lsoa21["code"]) | set(lsoa11["code"]))

    lsoa21["parish"] = _parish_of(lsoa21, parishes, centres)
    lsoa11["parish"] = _parish_of(lsoa11, parishes, centres)
    for frame in (lsoa21, lsoa11):
        frame["area"] = frame["parish"].map(parish_area).fillna(bath)

    # 2011 -> 2021: unchanged codes map to themselves; only the split LSOAs need the overlay.
    changed = lsoa11[~lsoa11["code"].isin(lsoa21["code"])]
    split = _overlay_shares(changed, lsoa21[~lsoa21["code"].isin(lsoa11["code"])], minimum_share=0.05)
    same = sorted(set(lsoa11["code"]) & set(lsoa21["code"]))
    overlay = pd.concat([pd.DataFrame({"from_code": same, "to_code": same, "share": 1.0}), split], ignore_index=True)
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

    lsoa11_table = pd.DataFrame({"code": lsoa11["code"], "name": lsoa11["name"], "area": lsoa11["area"]})
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

    areas = lsoa21.dissolve(by="area", aggfunc={"population": "sum", "area_km2": "sum", "code": "count"}).reset_index()
    areas = areas.rename(columns={"area": "name", "code": "lsoa_count"})
    by_name = {d.name: d for d in definitions}
    areas["forum"] = areas["name"].map(lambda n: by_name[n].forum)
    areas["confidence"] = areas["name"].map(lambda n: by_name[n].confidence)
    areas["evidence"] = areas["name"].map(lambda n: by_name[n].evidence)
    areas["parishes"] = areas["name"].map(lambda n: ", ".join(p for _, p in by_name[n].parishes) or "none (unparished city)")
    areas["population_2015"] = areas["name"].map(lsoa11_table.groupby("area")["population_2015"].sum(min_count=1))
    areas = areas.set_index("name").reindex([d.name for d in definitions]).reset_index()
    if areas["lsoa_count"].isna().any():
        empty = ", ".join(areas.loc[areas["lsoa_count"].isna(), "name"])
        raise AreaprofileError(f"geo/areas.yaml: no LSOA falls in {empty}; check its parishes.")
    areas["lsoa_count"] = areas["lsoa_count"].astype(int)

    lsoa11_to_21 = overlay.rename(columns={"from_code": "lsoa11", "to_code": "lsoa21"})[["lsoa11", "lsoa21", "share"]]
    return Geography(
        lsoa21=lsoa21, lsoa11=lsoa11_table, lsoa11_to_21=lsoa11_to_21, wards=wards, areas=areas, parishes=parishes
    )


def _plain(name: str) -> str:
    return "".join(ch for ch in name.lower().replace("saint", "st") if ch.isalnum())


def _ward_fields(path: Path) -> tuple[str, str]:
    import json

    props = json.loads(Path(path).read_text(encoding="utf-8"))["features"][0]["properties"]
    for year in ("25", "24", "23", "22", "21", "19"):
        if f"WD{year}CD" in props:
            return f"WD{year}CD", f"WD{year}NM"
    raise AreaprofileError(f"{path}: no WDyyCD/WDyyNM columns; expected ONS ward boundaries.")


def _parish_of(lsoas: gpd.GeoDataFrame, parishes: gpd.GeoDataFrame, centres: pd.DataFrame | None) -> pd.Series:
    """Parish code holding each LSOA's centre; None for the unparished city."""
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
    located = gpd.sjoin(gpd.GeoDataFrame(geometry=point, crs=ons.BNG), parishes[["code", "geometry"]], how="left", predicate="within")
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
    """Give every row its LSOA 2021, LSOA 2011, ward and area.

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
        best = parent.drop_duplicates("lsoa11").set_index("lsoa11")["lsoa21"]
        out.loc[unresolved, "lsoa"] = hits.where(hits.notna(), published[unresolved].map(best))

    lsoa_info = geo.lsoa21.set_index("code")
    out["area"] = out["lsoa"].map(lsoa_info["area"])
    ward_by_point = _point_in(out[["easting", "northing"]], geo.wards)
    out["ward_code"] = ward_by_point.where(ward_by_point.notna(), out["lsoa"].map(lsoa_info["ward_code"]))
    out["ward"] = out["ward_code"].map(dict(zip(geo.wards["code"], geo.wards["name"])))
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
