"""Read the ONS/OS reference files (boundaries, population, LSOA centres) from a folder laid
out like ``shared/data`` or like ``areaprofile download`` writes it.

Each reader returns plain data in British National Grid (EPSG:27700) so areas and distances
are in metres. A missing or unreadable file becomes one sentence naming what to fetch.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd

from areaprofile.errors import AreaprofileError

BNG = "EPSG:27700"
WGS84 = "EPSG:4326"

#: Human names for messages.
DESCRIPTION = {
    "lsoa11": "LSOA 2011 boundaries",
    "lsoa21": "LSOA 2021 boundaries",
    "wards": "ward boundaries",
    "parishes": "parish boundaries",
    "la": "local-authority outline",
    "population_2021": "Census 2021 population by LSOA",
    "population_2015": "mid-2015 population by LSOA",
    "lsoa_centres": "LSOA population-weighted centres",
    "lsoa_ward_lookup": "ONS LSOA 2021 to ward best-fit lookup",
}



@dataclass
class ReferenceFiles:
    """The reference files found in a source folder (None where absent)."""

    root: Path
    paths: dict[str, Path | None]
    required: tuple[str, ...] = ()

    def has_all_required(self) -> bool:
        return all(self.paths.get(name) for name in self.required)

    def missing(self) -> list[str]:
        return [DESCRIPTION[name] for name in self.required if not self.paths.get(name)]


def find_reference_files(root: Path, layout: dict[str, tuple[str, ...]], required: tuple[str, ...]) -> ReferenceFiles:
    """The files a partnership's settings name (``layout``: name -> glob patterns, first match wins)."""
    root = Path(root)
    paths: dict[str, Path | None] = {}
    for name, patterns in layout.items():
        paths[name] = None
        if root.is_dir():
            for pattern in patterns:
                matches = sorted(root.glob(pattern))
                if matches:
                    paths[name] = matches[0]
                    break
    return ReferenceFiles(root=root, paths=paths, required=tuple(required))


def read_boundaries(path: Path, code_field: str, name_field: str, la_code: str | None = None) -> gpd.GeoDataFrame:
    """Polygons with columns ``code``, ``name``, ``geometry`` in EPSG:27700."""
    try:
        frame = gpd.read_file(path)
    except Exception as exc:  # pyogrio raises several types; all mean the same to a user
        raise AreaprofileError(f"{path}: cannot read the boundaries ({str(exc).splitlines()[0]}); download them again.") from None
    for field in (code_field, name_field):
        if field not in frame.columns:
            raise AreaprofileError(f"{path}: has no '{field}' column; expected ONS boundaries with {code_field} and {name_field}.")
    if la_code and "LADCD_ACTIVE" in frame.columns:
        frame = frame[frame["LADCD_ACTIVE"] == la_code]
    if frame.crs is None:
        frame = frame.set_crs(WGS84)
    frame = frame.to_crs(BNG)
    out = gpd.GeoDataFrame(
        {"code": frame[code_field].astype(str), "name": frame[name_field].astype(str)},
        geometry=frame.geometry.values,
        crs=BNG,
    )
    return out.reset_index(drop=True)


def read_parishes(path: Path) -> gpd.GeoDataFrame:
    """Civil parishes (the unparished remainder dropped) in EPSG:27700."""
    frame = read_boundaries(path, "code", "name")
    frame = frame[frame["code"].str.match(r"^E04\d{6}$")].copy()
    frame["name"] = frame["name"].str.replace(r"\s+CP$", "", regex=True)
    return frame.reset_index(drop=True)


def read_outline(path: Path) -> gpd.GeoDataFrame:
    try:
        frame = gpd.read_file(path)
    except Exception as exc:
        raise AreaprofileError(f"{path}: cannot read the local-authority outline ({str(exc).splitlines()[0]}).") from None
    if frame.crs is None:
        frame = frame.set_crs(WGS84)
    return frame.to_crs(BNG)[["geometry"]]


def read_population_2021(path: Path) -> pd.Series:
    """Census 2021 usual residents per LSOA 2021 (age bands summed).

    Reads tidy CSVs and Nomis 'formatted' exports (title lines above the header, a footnote
    below the data): there the header is the line naming the ``mnemonic`` column."""
    frame = _read_csv(path, skiprows=_nomis_header_line(path))
    code = _column(frame, path, ("lsoa21_code", "LSOA21CD", "geography code", "Lower layer Super Output Areas Code", "mnemonic"))
    value = _column(frame, path, ("usual_residents", "Residence type: Total; measures: Value", "Observation", "Total: All usual residents", "2021"))
    frame = frame[frame[code].fillna("").str.match(r"^[EW]0\d{7}$")]
    counts = pd.to_numeric(frame[value].astype(str).str.replace(",", ""), errors="coerce")
    if counts.isna().any():
        raise AreaprofileError(f"{path}: some population figures are not numbers; download the file again.")
    return counts.groupby(frame[code]).sum().astype(int).rename("population")


def read_population_2015(path: Path, lsoa11_codes: set[str]) -> pd.Series:
    """ONS mid-2015 population per LSOA 2011 (IoD 2019 denominators), the given LSOAs only."""
    frame = _read_csv(path)
    code = _column(frame, path, ("LSOA code (2011)",))
    value = _column(frame, path, ("Total population: mid 2015 (excluding prisoners)",))
    frame = frame[frame[code].isin(lsoa11_codes)]
    counts = pd.to_numeric(frame[value].astype(str).str.replace(",", ""), errors="coerce")
    return counts.groupby(frame[code]).sum().astype(int).rename("population_2015")


def read_lsoa_ward_lookup(path: Path, codes: set[str]) -> pd.Series:
    """Ward code of each LSOA 2021 from the ONS best-fit lookup (any WDyyCD column)."""
    frame = _read_csv(path)
    code = _column(frame, path, ("LSOA21CD",))
    ward = _column(frame, path, tuple(f"WD{year}CD" for year in ("25", "24", "23", "22")))
    frame = frame[frame[code].isin(codes)]
    missing = sorted(codes - set(frame[code]))
    if missing:
        raise AreaprofileError(f"{path}: has no ward for LSOA {missing[0]}; is this the LSOA 2021 to ward lookup?")
    return frame.set_index(code)[ward]


def read_lsoa_centres(path: Path, codes: set[str]) -> pd.DataFrame:
    """Population-weighted LSOA centres (lon/lat) for the given codes."""
    frame = _read_csv(path)
    frame = frame[frame["LSOACD"].isin(codes)]
    return frame.rename(columns={"LSOACD": "code"})[["code", "longitude", "latitude"]]


def _nomis_header_line(path: Path) -> int:
    """Lines before the header of a Nomis export (0 for an ordinary CSV)."""
    try:
        with open(path, encoding="utf-8-sig", errors="replace") as handle:
            for number, line in enumerate(handle):
                if number > 20:
                    break
                if '"mnemonic"' in line:
                    return number
    except OSError:
        pass
    return 0


def _read_csv(path: Path, skiprows: int = 0) -> pd.DataFrame:
    try:
        return pd.read_csv(path, dtype=str, encoding="utf-8-sig", skiprows=skiprows, skip_blank_lines=True)
    except Exception as exc:
        raise AreaprofileError(f"{path}: cannot read the CSV ({str(exc).splitlines()[0]}); download it again.") from None


def _column(frame: pd.DataFrame, path: Path, candidates: tuple[str, ...]) -> str:
    for name in candidates:
        if name in frame.columns:
            return name
    raise AreaprofileError(f"{path}: has none of the columns {', '.join(candidates)}; is this the right file?")


def to_geojson(frame: gpd.GeoDataFrame, properties: list[str], tolerance_m: float = 15.0) -> dict:
    """A small GeoJSON FeatureCollection in EPSG:4326: simplified once, 5-decimal coordinates."""
    simplified = frame.copy()
    simplified["geometry"] = simplified.geometry.simplify(tolerance_m, preserve_topology=True)
    simplified = simplified.to_crs(WGS84)
    text = simplified[properties + ["geometry"]].to_json(drop_id=True, to_wgs84=False)
    collection = json.loads(text)
    for feature in collection["features"]:
        feature["geometry"] = _round(feature["geometry"])
    return collection


def _round(geometry: dict) -> dict:
    def walk(value):
        if isinstance(value, (list, tuple)):
            if value and isinstance(value[0], (int, float)):
                return [round(value[0], 5), round(value[1], 5)]
            return [walk(v) for v in value]
        return value

    return {"type": geometry["type"], "coordinates": walk(geometry["coordinates"])}
