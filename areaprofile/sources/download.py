"""Fetch the sources from their official publishers into a folder laid out like ``shared/data``.

``areaprofile download --months 2024-01..2024-06 --dest DIR`` writes

* ``DIR/police_uk/<force>/YYYY-MM/YYYY-MM-<force>-street.csv`` from the data.police.uk JSON API,
  turned into the published street-file columns (LSOA assigned here by point-in-polygon, since
  the API gives none). A month the API lists but returns empty is reported and not written, so
  the folder always builds;
* ONS Open Geography Portal boundaries below ``DIR/boundaries``, filtered to the local authority
  and named after the dataset they hold;
* ``DIR/DOWNLOADED.md``: what was fetched, from where, when, and the attribution to keep.

Every file is written to ``name.part`` and renamed into place only when complete, so an
interrupted run never leaves a half-written file. Only the standard library speaks HTTP.
The service addresses live in :data:`POLICE_API` and :data:`ONS_SERVICES`; the base URLs can be
overridden per call or with ``AREAPROFILE_POLICE_API`` / ``AREAPROFILE_ONS_API``.
"""

from __future__ import annotations

import csv
import email.utils
import http.client
import io
import json
import os
import random
import re
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

import shapely
from shapely.geometry import box, shape
from shapely.ops import unary_union

from areaprofile.config import CRIME_TYPE_BY_SLUG
from areaprofile.errors import AreaprofileError
from areaprofile.partnership import Force
from areaprofile.sources.police_uk import STREET_COLUMNS

__all__ = [
    "HttpClient",
    "MonthResult",
    "POLICE_API",
    "ONS_API",
    "ONS_SERVICES",
    "OnsService",
    "STREET_COLUMNS",
    "download",
    "fetch_month",
    "fetch_street_crimes",
    "latest_month",
    "parse_month_range",
    "published_months",
]

# --------------------------------------------------------------------------------------------
# Where things come from. Update here when a publisher moves a service.
# --------------------------------------------------------------------------------------------

#: data.police.uk API base (no key). Override with AREAPROFILE_POLICE_API.
POLICE_API = "https://data.police.uk/api"

#: ONS Open Geography Portal ArcGIS REST services base. Override with AREAPROFILE_ONS_API.
ONS_API = "https://services1.arcgis.com/ESMARspQHYMw9BZ9/arcgis/rest/services"



@dataclass(frozen=True)
class OnsService:
    """One ONS FeatureServer layer: what it is, where it is, how to filter it, where it goes."""

    title: str  # the dataset title as the portal lists it (for DOWNLOADED.md)
    service: str  # path below ONS_API up to the layer, e.g. "X/FeatureServer/0"
    where: str  # SQL filter; {la_code} {la_name} {codes} are filled in
    out: str | None  # file below DEST, or None when only used during the run
    code_field: str
    name_field: str
    kind: str = "geojson"  # "geojson" (boundaries) or "table" (attribute-only lookup)


#: Every ONS layer the download uses, in the order it fetches them. (No LSOA 2011 -> 2021 lookup:
#: the build derives that from the two boundary sets, so a downloaded lookup went unread.)
ONS_SERVICES: dict[str, OnsService] = {
    "la": OnsService(
        title="Local Authority Districts (May 2025) Boundaries UK BGC (V2)",
        service="LAD_MAY_2025_UK_BGC_V2/FeatureServer/0",
        where="LAD25CD = '{la_code}'",
        out="boundaries/la/{la_code}_lad25_bgc.geojson",
        code_field="LAD25CD",
        name_field="LAD25NM",
    ),
    "lsoa21": OnsService(
        title="Lower layer Super Output Areas (December 2021) Boundaries EW BGC (V5)",
        service="Lower_layer_Super_Output_Areas_December_2021_Boundaries_EW_BGC_V5/FeatureServer/0",
        where="LSOA21NM LIKE '{la_name} %'",
        out="boundaries/lsoa21/{la_code}_lsoa21_bgc.geojson",
        code_field="LSOA21CD",
        name_field="LSOA21NM",
    ),
    "lsoa11": OnsService(
        title="Lower layer Super Output Areas (December 2011) Boundaries EW BGC (V3)",
        service="LSOA_Dec_2011_Boundaries_Generalised_Clipped_BGC_EW_V3/FeatureServer/0",
        where="LSOA11NM LIKE '{la_name} %'",
        out="boundaries/lsoa11/{la_code}_lsoa11_bgc.geojson",
        code_field="LSOA11CD",
        name_field="LSOA11NM",
    ),
    "ward_lookup": OnsService(
        title="Ward to Local Authority District (May 2025) Lookup in the UK (V2)",
        service="WD25_LAD25_UK_LU_v2/FeatureServer/0",
        where="LAD25CD = '{la_code}'",
        out=None,
        code_field="WD25CD",
        name_field="WD25NM",
        kind="table",
    ),
    "wards": OnsService(
        title="Wards (May 2025) Boundaries UK BGC (V2)",
        service="WD_MAY_2025_UK_BGC_V2/FeatureServer/0",
        where="WD25CD IN ({codes})",
        out="boundaries/wards_2019_current/{la_code}_wards_wd25_bgc.geojson",
        code_field="WD25CD",
        name_field="WD25NM",
    ),
    "parishes": OnsService(
        # Parish layers carry no LA code: fetched by the LA's bounding box, then kept where the
        # parish's interior point lies in the LA outline.
        title="Parishes and Non Civil Parished Areas (December 2023) Boundaries EW BGC",
        service="Parishes_and_Non_Civil_Parished_Areas_December_2023_Boundaries_EW_BGC/FeatureServer/0",
        where="1=1",
        out="boundaries/parishes/{la_code}_parncp23_bgc.geojson",
        code_field="PARNCP23CD",
        name_field="PARNCP23NM",
    ),
    "lsoa21_full": OnsService(
        # Full-resolution boundaries, used only to give each crime its LSOA: snap points sit on
        # streets, which are often LSOA borders, and the 20 m generalised (BGC) lines put ~3% of
        # them in the neighbouring LSOA. Not written out (the build uses the BGC file).
        title="Lower layer Super Output Areas (December 2021) Boundaries EW BFC (V10)",
        service="Lower_layer_Super_Output_Areas_December_2021_Boundaries_EW_BFC_V10/FeatureServer/0",
        where="LSOA21NM LIKE '{la_name} %'",
        out=None,
        code_field="LSOA21CD",
        name_field="LSOA21NM",
    ),
}

#: What the user still has to fetch by hand (written to DOWNLOADED.md and the summary).
MANUAL_STEPS: tuple[str, ...] = (
    "Census 2021 usual residents by LSOA 2021 is not on the ONS Open Geography Portal. Download "
    "census2021-ts001.zip ('TS001 Number of usual residents in households and communal "
    "establishments') from the Nomis 2021 Census bulk page https://www.nomisweb.co.uk/census/2021/bulk "
    "(file https://www.nomisweb.co.uk/output/census/2021/census2021-ts001.zip), take "
    "census2021-ts001-lsoa.csv out of it (columns 'geography code' and 'Residence type: Total; "
    "measures: Value', all 35,672 LSOAs of England and Wales) and save it as "
    "population/census2021/census2021-ts001-lsoa21.csv in this folder.",
)

MAX_GET_URL = 4094  # data.police.uk answers 400 to longer GETs; send the poly as a POST body
MAX_POLY_VERTICES = 150  # keep the outline query small
MAX_SPLIT_DEPTH = 6  # quadrants of quadrants...: far beyond any real need
MAX_QUERIES_PER_MONTH = 200  # a 503 that never stops is an outage, not a big area
MAX_RETRY_AFTER = 120.0  # never sleep longer than this on one Retry-After
FIRST_MONTH = "2010-12"  # the first month data.police.uk ever published

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")

Progress = Callable[[str], Any]


# --------------------------------------------------------------------------------------------
# Months
# --------------------------------------------------------------------------------------------


def parse_month_range(text: str) -> list[str]:
    """``"2018-01..2021-09"`` -> every month from the first to the last, inclusive.

    A single month (``"2021-09"``) is a range of one. Raises :class:`AreaprofileError` with one
    sentence for anything else.
    """
    raw = (text or "").strip()
    example = "write it as YYYY-MM..YYYY-MM, for example 2024-01..2024-06"
    parts = raw.split("..")
    if len(parts) == 1:
        parts = [parts[0], parts[0]]
    if len(parts) != 2:
        raise AreaprofileError(f"'{raw}' is not a month range; {example}.")
    months = []
    for part in parts:
        match = _MONTH.match(part.strip())
        if not match or not 1 <= int(match.group(2)) <= 12:
            raise AreaprofileError(f"'{part.strip()}' in '{raw}' is not a month; {example}.")
        months.append((int(match.group(1)), int(match.group(2))))
    (y0, m0), (y1, m1) = months
    if (y0, m0) > (y1, m1):
        raise AreaprofileError(f"'{raw}' ends before it starts; put the earlier month first.")
    if f"{y0:04d}-{m0:02d}" < FIRST_MONTH:
        raise AreaprofileError(
            f"'{raw}' starts before {FIRST_MONTH}, the first month data.police.uk published; start at {FIRST_MONTH} or later."
        )
    out = []
    y, m = y0, m0
    while (y, m) <= (y1, m1):
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


# --------------------------------------------------------------------------------------------
# HTTP with retries
# --------------------------------------------------------------------------------------------


class _TooMany(Exception):
    """data.police.uk's 503: the query would return more than 10,000 crimes."""


class HttpClient:
    """GET/POST with a timeout, retries with backoff on 429/5xx/dropped connections, and
    complete-body checks. Every final failure is one AreaprofileError sentence.

    ``backoff`` is the first wait in seconds, doubled on each retry (a Retry-After header wins);
    tests make it tiny instead of waiting."""

    def __init__(self, *, timeout: float, attempts: int, backoff: float, progress: Progress):
        self.timeout = timeout
        self.attempts = max(1, int(attempts))
        self.backoff = backoff
        self.progress = progress
        self.requests = 0

    def get_json(self, url: str, params: dict[str, str] | None, *, label: str, split_on_503: bool = False) -> Any:
        """The parsed JSON answer. Sent as POST (form body) when the GET would be too long."""
        query = urllib.parse.urlencode(params or {})
        full = f"{url}?{query}" if query else url
        data = None
        if len(full) > MAX_GET_URL:
            full, data = url, query.encode("ascii")
        problem = ""
        for attempt in range(1, self.attempts + 1):
            wait: float | None = None
            try:
                body = self._fetch(full, data)
            except urllib.error.HTTPError as exc:
                status = exc.code
                retry_after = exc.headers.get("Retry-After") if exc.headers else None
                _drain(exc)
                if status == 503 and split_on_503:
                    raise _TooMany() from None
                if status == 429 or 500 <= status < 600:
                    problem = f"HTTP {status}"
                    wait = _retry_after_seconds(retry_after)
                else:
                    raise AreaprofileError(_refused_message(label, status, url)) from None
            except (urllib.error.URLError, http.client.HTTPException, OSError) as exc:
                problem = _network_problem(exc)
            else:
                try:
                    answer = json.loads(body.decode("utf-8"))
                except (UnicodeDecodeError, json.JSONDecodeError):
                    problem = "an answer that is not valid JSON"
                else:
                    error = answer.get("error") if isinstance(answer, dict) else None
                    if not isinstance(error, dict):
                        return answer
                    # ArcGIS reports its errors inside a 200 answer.
                    code = int(error.get("code") or 0)
                    message = str(error.get("message") or "unknown error").rstrip(".")
                    if code == 429 or code >= 500:
                        problem = f"error {code} ({message})"
                    else:
                        raise AreaprofileError(
                            f"{label}: the server refused the query ({message}); the service may have changed, so check ONS_SERVICES in areaprofile/sources/download.py."
                        )
            if attempt < self.attempts:
                if wait is None:
                    wait = self.backoff * (2 ** (attempt - 1)) * (1 + random.random() * 0.25)
                self.progress(f"  {label}: {problem}; retrying in {wait:.1f} s ({attempt}/{self.attempts})")
                time.sleep(wait)
        host = urllib.parse.urlsplit(url).netloc
        raise AreaprofileError(
            f"Could not download {label} from {host}: {problem} on all {self.attempts} attempts; check your internet connection and try again later."
        )

    def _fetch(self, url: str, data: bytes | None) -> bytes:
        self.requests += 1
        headers = {"User-Agent": "areaprofile (community-safety dashboard; Python urllib)", "Accept": "application/json"}
        if data is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        request = urllib.request.Request(url, data=data, headers=headers, method="POST" if data is not None else "GET")
        with urllib.request.urlopen(request, timeout=self.timeout) as response:
            body = response.read()  # raises IncompleteRead when the connection drops early
            expected = response.headers.get("Content-Length")
            if expected is not None and expected.isdigit() and int(expected) != len(body):
                raise http.client.IncompleteRead(body, int(expected) - len(body))
            return body


def _drain(exc: urllib.error.HTTPError) -> None:
    try:
        exc.read()
    except Exception:
        pass
    finally:
        exc.close()


def _retry_after_seconds(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date), capped."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
        seconds = (when - datetime.now(timezone.utc)).total_seconds()
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)


def _network_problem(exc: BaseException) -> str:
    if isinstance(exc, http.client.IncompleteRead):
        return "the connection dropped before the answer was complete"
    reason = getattr(exc, "reason", exc)
    if isinstance(reason, (socket.timeout, TimeoutError)):
        return "no answer within the time limit"
    text = str(reason).strip() or type(reason).__name__
    return f"a network error ({text})"


def _refused_message(label: str, status: int, url: str) -> str:
    if status == 404:
        return f"{label}: {url} was not found (HTTP 404); the publisher may have moved it, so update the address in areaprofile/sources/download.py."
    return f"{label}: the server refused the request with HTTP {status}; check the address {url}."


# --------------------------------------------------------------------------------------------
# Files
# --------------------------------------------------------------------------------------------


def _write_atomic(path: Path, data: bytes) -> None:
    """Write ``path`` via ``path.part`` and a rename, so it is either complete or absent."""
    path.parent.mkdir(parents=True, exist_ok=True)
    part = path.with_name(path.name + ".part")
    try:
        with open(part, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(part, path)
    except BaseException:
        part.unlink(missing_ok=True)
        raise


def _feature_collection(name: str, features: list[dict]) -> bytes:
    collection = {
        "type": "FeatureCollection",
        "name": name,
        "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}},
        "features": features,
    }
    return json.dumps(collection, ensure_ascii=False).encode("utf-8")


# --------------------------------------------------------------------------------------------
# ONS Open Geography Portal
# --------------------------------------------------------------------------------------------


def _ons_query(http: HttpClient, base: str, key: str, where: str, *, label: str, extra: dict[str, str] | None = None) -> list[dict]:
    """All features (GeoJSON) or attribute rows (tables) for one filtered ONS query, paged."""
    layer = ONS_SERVICES[key]
    url = f"{base.rstrip('/')}/{layer.service}/query"
    rows: list[dict] = []
    offset = 0
    while True:
        params = {
            "where": where,
            "outFields": "*",
            "orderByFields": layer.code_field,  # stable pages
            "resultOffset": str(offset),
            "resultRecordCount": "2000",
        }
        if layer.kind == "table":
            params.update({"returnGeometry": "false", "f": "json"})
        else:
            params.update({"returnGeometry": "true", "outSR": "4326", "f": "geojson"})
        params.update(extra or {})
        answer = http.get_json(url, params, label=label)
        if not isinstance(answer, dict) or not isinstance(answer.get("features"), list):
            raise AreaprofileError(f"{label}: the answer is not a feature list; the service may have changed, so check ONS_SERVICES in areaprofile/sources/download.py.")
        page = answer["features"]
        if layer.kind == "table":
            page = [feature.get("attributes", {}) for feature in page]
        rows.extend(page)
        more = answer.get("exceededTransferLimit") or (answer.get("properties") or {}).get("exceededTransferLimit")
        if not more or not page:
            break
        offset += len(page)
    if not rows:
        raise AreaprofileError(
            f"{label}: the ONS service returned nothing for {where}; the dataset may have been replaced, so check ONS_SERVICES in areaprofile/sources/download.py."
        )
    if layer.kind != "table":
        missing = [f for f in (layer.code_field, layer.name_field) if f not in (rows[0].get("properties") or {})]
        if missing:
            raise AreaprofileError(
                f"{label}: the ONS features have no {' or '.join(missing)} field; the dataset has changed, so update ONS_SERVICES in areaprofile/sources/download.py."
            )
    return rows


def _quote(value: str) -> str:
    return value.replace("'", "''")


def _where(key: str, la_code: str, la_name: str, codes: list[str] | None = None) -> str:
    layer = ONS_SERVICES[key]
    quoted = ", ".join(f"'{_quote(c)}'" for c in (codes or []))
    return layer.where.format(la_code=_quote(la_code), la_name=_quote(la_name), codes=quoted)


def _geometry_of(features: list[dict]):
    return unary_union([shape(f["geometry"]) for f in features if f.get("geometry")])


# --------------------------------------------------------------------------------------------
# data.police.uk
# --------------------------------------------------------------------------------------------


def published_months(http: HttpClient, police_api: str) -> list[str]:
    """Months data.police.uk serves street crimes for (``crimes-street-dates``), oldest first."""
    answer = http.get_json(f"{police_api.rstrip('/')}/crimes-street-dates", None, label="the list of published months")
    if not isinstance(answer, list):
        raise AreaprofileError("data.police.uk's list of published months is not in the expected form; try again later.")
    return sorted({str(item.get("date"))[:7] for item in answer if isinstance(item, dict) and item.get("date")})


def latest_month(http: HttpClient, police_api: str) -> str | None:
    """The newest month data.police.uk says it holds (``crime-last-updated``: ``{"date": "2024-09-01"}``,
    the day meaningless), or None when the answer has no usable date."""
    answer = http.get_json(f"{police_api.rstrip('/')}/crime-last-updated", None, label="the date of the last update")
    value = str(answer.get("date") or "") if isinstance(answer, dict) else ""
    return value[:7] if _MONTH.match(value[:7]) else None


def _check_published(wanted: list[str], available: list[str]) -> None:
    missing = [m for m in wanted if m not in set(available)]
    if not missing:
        return
    shown = ", ".join(missing[:6]) + (f" and {len(missing) - 6} more" if len(missing) > 6 else "")
    held = f"it holds {available[0]} to {available[-1]}" if available else "it lists no months at all"
    raise AreaprofileError(
        f"data.police.uk has not published {shown} through its API ({held}); choose months in that span, "
        "or fetch older months as bulk files from https://data.police.uk/data/ and give that folder to areaprofile build."
    )


def _poly_param(polygon) -> str:
    coords = list(polygon.exterior.coords)
    if len(coords) > 1 and coords[0] == coords[-1]:
        coords = coords[:-1]
    return ":".join(f"{lat:.5f},{lng:.5f}" for lng, lat in coords)


def _polygons(geometry) -> list:
    if geometry.is_empty:
        return []
    if geometry.geom_type == "Polygon":
        return [geometry]
    if hasattr(geometry, "geoms"):
        return [p for g in geometry.geoms for p in _polygons(g)]
    return []


def _quadrants(polygon) -> list:
    minx, miny, maxx, maxy = polygon.bounds
    midx, midy = (minx + maxx) / 2, (miny + maxy) / 2
    pieces = []
    for cell in (box(minx, miny, midx, midy), box(midx, miny, maxx, midy), box(minx, midy, midx, maxy), box(midx, midy, maxx, maxy)):
        pieces.extend(p for p in _polygons(polygon.intersection(cell)) if p.area > 1e-12)
    return pieces


def fetch_street_crimes(
    area,
    month: str,
    *,
    police_api: str | None = None,
    timeout: float = 60.0,
    attempts: int = 5,
    backoff: float = 2.0,
    progress: Progress = print,
    _http: HttpClient | None = None,
) -> tuple[list[dict], int]:
    """All street-level crimes (API JSON) inside ``area`` (a shapely (Multi)Polygon in lon/lat)
    for one month, and the number of queries it took.

    A 503 (more than 10,000 crimes) splits the piece into the quadrants of its bounding box,
    down to :data:`MAX_SPLIT_DEPTH`. Crimes on a shared edge come back twice; they are kept once
    (by the API's ``id``).
    """
    http = _http or HttpClient(timeout=timeout, attempts=attempts, backoff=backoff, progress=progress)
    url = f"{_base(police_api, 'AREAPROFILE_POLICE_API', POLICE_API)}/crimes-street/all-crime"
    seen: set = set()
    crimes: list[dict] = []
    queries = 0
    pending = [(p, 0) for p in _polygons(area)]
    while pending:
        polygon, depth = pending.pop(0)
        queries += 1
        if queries > MAX_QUERIES_PER_MONTH:
            raise AreaprofileError(
                f"data.police.uk kept answering 503 for {month} after {MAX_QUERIES_PER_MONTH} queries, so it is probably unavailable; try again later."
            )
        try:
            answer = http.get_json(url, {"poly": _poly_param(polygon), "date": month}, label=f"crimes for {month}", split_on_503=True)
        except _TooMany:
            if depth >= MAX_SPLIT_DEPTH:
                raise AreaprofileError(
                    f"data.police.uk still answered 503 (more than 10,000 crimes) for {month} after splitting the area {MAX_SPLIT_DEPTH} times; try again later."
                ) from None
            pieces = _quadrants(polygon)
            progress(f"  {month}: over the API's 10,000-crime limit; splitting into {len(pieces)} pieces")
            pending.extend((p, depth + 1) for p in pieces)
            continue
        if not isinstance(answer, list):
            raise AreaprofileError(f"data.police.uk's answer for {month} is not a list of crimes; try again later.")
        for crime in answer:
            key = crime.get("id") if isinstance(crime, dict) else None
            key = key if key is not None else json.dumps(crime, sort_keys=True)
            if key not in seen:
                seen.add(key)
                crimes.append(crime)
    return crimes, queries


def _base(given: str | None, env: str, default: str) -> str:
    return (given or os.environ.get(env) or default).rstrip("/")


def query_area(outline):
    """A simplified polygon a little larger than ``outline`` (lon/lat; few vertices, short URL)."""
    to_bng, to_wgs = _transformers()
    local = shapely.transform(outline, to_bng, interleaved=False)
    tolerance = 50.0
    while True:
        candidate = local.buffer(tolerance * 2.5).simplify(tolerance, preserve_topology=True)
        vertices = sum(len(p.exterior.coords) for p in _polygons(candidate))
        if vertices <= MAX_POLY_VERTICES and candidate.covers(local):
            return shapely.transform(candidate, to_wgs, interleaved=False)
        tolerance *= 1.5


def _transformers():
    from pyproj import Transformer

    forward = Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True)
    back = Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True)
    return (lambda x, y: forward.transform(x, y)), (lambda x, y: back.transform(x, y))


class LsoaIndex:
    """Point-in-polygon against LSOA polygons (lon/lat); a point on a shared edge takes the first."""

    def __init__(self, codes: list[str], names: list[str], geometries: list):
        self.codes = list(codes)
        self.names = list(names)
        self.tree = shapely.STRtree(list(geometries))

    @classmethod
    def from_features(cls, features: list[dict], code_field: str, name_field: str) -> "LsoaIndex":
        return cls(
            [f["properties"][code_field] for f in features],
            [f["properties"][name_field] for f in features],
            [shape(f["geometry"]) for f in features],
        )

    def assign(self, lons: list[float], lats: list[float]) -> list[int | None]:
        points = shapely.points(lons, lats)
        found: list[int | None] = [None] * len(lons)
        point_idx, poly_idx = self.tree.query(points, predicate="intersects")
        for p, g in zip(point_idx.tolist(), poly_idx.tolist()):
            if found[p] is None or g < found[p]:
                found[p] = g
        return found


def _outcome_name(outcome: Any) -> str:
    """The outcome's category name, whatever shape it came in.

    ``crimes-street`` sends ``{"category": "Under investigation", "date": "2021-09"}`` or null;
    the outcome endpoints nest the category as ``{"code": ..., "name": ...}``.
    """
    if isinstance(outcome, dict):
        outcome = outcome.get("category")
    if isinstance(outcome, dict):
        outcome = outcome.get("name") or outcome.get("code")
    return str(outcome or "")


def _street_rows(crimes: list[dict], month: str, lsoas: LsoaIndex, force: Force) -> tuple[list[list[str]], dict[str, int]]:
    """API crimes -> published street-file rows for the LA; counts of what was left out.

    British Transport Police records belong in the BTP file; a crime without a usable location
    cannot be placed in an LSOA (the published files leave such rows out of every LSOA too).
    """
    counts = {"btp_excluded": 0, "outside_la": 0, "without_location": 0}
    kept = []
    for crime in crimes:
        if str(crime.get("location_type") or "Force") == "BTP":
            counts["btp_excluded"] += 1  # published in the British Transport Police file
            continue
        location = crime.get("location") or {}
        try:
            lon, lat = float(location["longitude"]), float(location["latitude"])
        except (KeyError, TypeError, ValueError):
            counts["without_location"] += 1
            continue
        if lon != lon or lat != lat:  # NaN
            counts["without_location"] += 1
            continue
        kept.append((crime, location, lon, lat))
    found = lsoas.assign([k[2] for k in kept], [k[3] for k in kept])
    rows = []
    for (crime, location, _lon, _lat), index in zip(kept, found):
        if index is None:
            counts["outside_la"] += 1  # inside the query outline but in a neighbouring authority
            continue
        slug = str(crime.get("category") or "")
        if slug not in CRIME_TYPE_BY_SLUG:
            raise AreaprofileError(
                f"data.police.uk returned the crime category '{slug}', which areaprofile does not know; add it to CRIME_TYPE_BY_SLUG in areaprofile/config.py."
            )
        crime_month = str(crime.get("month") or "")
        if crime_month != month:
            raise AreaprofileError(f"data.police.uk returned a crime for {crime_month or 'no month'} when asked for {month}; try again later.")
        street = location.get("street")
        rows.append(
            [
                str(crime.get("persistent_id") or ""),
                crime_month,
                force.name,
                force.name,
                str(location["longitude"]),
                str(location["latitude"]),
                str((street.get("name") if isinstance(street, dict) else street) or ""),
                lsoas.codes[index],
                lsoas.names[index],
                CRIME_TYPE_BY_SLUG[slug],
                _outcome_name(crime.get("outcome_status")),
                str(crime.get("context") or ""),
            ]
        )
    return rows, counts


@dataclass
class MonthResult:
    """One month fetched from the API: the file written (None when skipped) and its figures."""

    month: str
    path: Path | None
    rows: int
    queries: int
    served: int  # crimes the API returned for the query area
    btp_excluded: int
    outside_la: int
    without_location: int
    sha256: str | None = None
    skipped: str | None = None  # why no file was written

    def as_dict(self) -> dict:
        return {**self.__dict__, "path": str(self.path) if self.path else None}


def street_file_path(dest: Path, force: Force, month: str) -> Path:
    """Where a month's street file goes, as data.police.uk's archive lays it out."""
    return Path(dest) / "police_uk" / force.id / month / f"{month}-{force.id}-street.csv"


def fetch_month(
    month: str,
    area,
    lsoas: LsoaIndex,
    dest: Path,
    *,
    force: Force,
    la_name: str,
    police_api: str | None = None,
    http: HttpClient,
    progress: Progress = print,
) -> MonthResult:
    """Fetch one month inside ``area`` and write it as a street file below ``dest``.

    A month with no rows for the authority is not written (a header-only file would make the
    build refuse the folder): the result says why, so the caller can try it again next time.
    """
    import hashlib

    police = _base(police_api, "AREAPROFILE_POLICE_API", POLICE_API)
    crimes, queries = fetch_street_crimes(area, month, police_api=police, progress=progress, _http=http)
    rows, counts = _street_rows(crimes, month, lsoas, force)
    result = MonthResult(month=month, path=None, rows=len(rows), queries=queries, served=len(crimes), **counts)
    if not crimes:
        result.skipped = f"police.uk lists {month} but returned no rows; skipped, will retry"
    elif not rows:
        result.skipped = f"police.uk lists {month} but returned no rows inside {la_name}; skipped, will retry"
    if result.skipped:
        progress(f"  {result.skipped}.")
        return result
    data = _csv_bytes(STREET_COLUMNS, rows)
    path = street_file_path(dest, force, month)
    _write_atomic(path, data)
    result.path, result.sha256 = path, hashlib.sha256(data).hexdigest()
    extra = f", {counts['without_location']} without a location left out" if counts["without_location"] else ""
    progress(f"  wrote {path.relative_to(dest)} ({len(rows):,} rows, {queries} queries{extra})")
    return result


def _csv_bytes(header, rows) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


# --------------------------------------------------------------------------------------------
# The whole download
# --------------------------------------------------------------------------------------------


def download(
    months: str,
    dest: Path,
    *,
    police_api: str | None = None,
    ons_api: str | None = None,
    progress: Progress = print,
    partnership=None,
    la_code: str | None = None,
    la_name: str | None = None,
    force: Force | None = None,
    timeout: float = 60.0,
    attempts: int = 5,
    backoff: float = 2.0,
) -> dict:
    """Fetch the police months and ONS boundaries into ``dest``; return a summary.

    ``months`` is a range such as ``"2024-01..2024-06"`` (see :func:`parse_month_range`).
    Every month is checked against data.police.uk's list of published months before anything is
    written. ``police_api`` / ``ons_api`` default to ``AREAPROFILE_POLICE_API`` /
    ``AREAPROFILE_ONS_API`` and then to :data:`POLICE_API` / :data:`ONS_API`. ``timeout`` is per
    request in seconds; ``attempts`` and ``backoff`` (seconds, doubled each time) govern retries
    on 429, 5xx and dropped connections (a Retry-After header wins over the backoff).

    The summary: ``{"dest", "months": {month: {...}}, "files": {key: {...}}, "manual": [...],
    "requests"}``; a month listed but empty has ``"skipped"`` set and no file.

    ``partnership`` (default: the default one) names the LA and the police force;
    ``la_code`` / ``la_name`` / ``force`` override it.
    """
    from areaprofile import partnership as partnership_module

    settings = partnership or partnership_module.default()
    la_code, la_name, force = la_code or settings.la_code, la_name or settings.la_name, force or settings.force
    wanted = parse_month_range(months)
    dest = Path(dest)
    police = _base(police_api, "AREAPROFILE_POLICE_API", POLICE_API)
    ons = _base(ons_api, "AREAPROFILE_ONS_API", ONS_API)
    http = HttpClient(timeout=timeout, attempts=attempts, backoff=backoff, progress=progress)
    started = datetime.now(timezone.utc)

    progress(f"Checking which months data.police.uk has published ({police}) ...")
    available = published_months(http, police)
    _check_published(wanted, available)

    files: dict[str, dict] = {}

    def save_geojson(key: str, features: list[dict]) -> None:
        layer = ONS_SERVICES[key]
        path = dest / layer.out.format(la_code=la_code)
        _write_atomic(path, _feature_collection(path.stem, features))
        files[key] = {"path": str(path), "features": len(features), "title": layer.title, "service": f"{ons}/{layer.service}"}
        progress(f"  wrote {path.relative_to(dest)} ({len(features)} features)")

    progress(f"Fetching boundaries for {la_name} ({la_code}) from the ONS Open Geography Portal ...")
    la_features = _ons_query(http, ons, "la", _where("la", la_code, la_name), label="the local-authority outline")
    outline = _geometry_of(la_features)
    save_geojson("la", la_features)

    for key, label in (("lsoa21", "LSOA 2021 boundaries"), ("lsoa11", "LSOA 2011 boundaries")):
        save_geojson(key, _ons_query(http, ons, key, _where(key, la_code, la_name), label=label))

    ward_rows = _ons_query(http, ons, "ward_lookup", _where("ward_lookup", la_code, la_name), label="the ward lookup")
    ward_field = ONS_SERVICES["ward_lookup"].code_field
    ward_codes = sorted({str(r[ward_field]) for r in ward_rows if r.get(ward_field)})
    save_geojson("wards", _ons_query(http, ons, "wards", _where("wards", la_code, la_name, ward_codes), label="ward boundaries"))

    minx, miny, maxx, maxy = outline.bounds
    envelope = {
        "geometry": f"{minx},{miny},{maxx},{maxy}",
        "geometryType": "esriGeometryEnvelope",
        "inSR": "4326",
        "spatialRel": "esriSpatialRelIntersects",
    }
    needs_parishes = any(scheme.kind == "parish" for scheme in settings.schemes)
    parish_candidates = _ons_query(http, ons, "parishes", "1=1", label="parish boundaries", extra=envelope) if needs_parishes else []
    parish_layer = ONS_SERVICES["parishes"]
    inside = outline.buffer(1e-4)
    parishes = []
    for feature in parish_candidates:
        if not feature.get("geometry") or not inside.contains(shape(feature["geometry"]).representative_point()):
            continue  # a neighbouring authority's parish that touches the bounding box
        props = dict(feature.get("properties") or {})
        props["code"] = props.get(parish_layer.code_field)
        props["name"] = props.get(parish_layer.name_field)
        parishes.append({**feature, "properties": props})
    if needs_parishes and not parishes:
        raise AreaprofileError(f"parish boundaries: none of the ONS parishes lie inside {la_name}; check ONS_SERVICES in areaprofile/sources/download.py.")
    if needs_parishes:
        save_geojson("parishes", parishes)

    full = _ons_query(http, ons, "lsoa21_full", _where("lsoa21_full", la_code, la_name), label="full-resolution LSOA 2021 boundaries")
    lsoas = LsoaIndex.from_features(full, ONS_SERVICES["lsoa21_full"].code_field, ONS_SERVICES["lsoa21_full"].name_field)
    files["lsoa21_full"] = {"path": None, "features": len(full), "title": ONS_SERVICES["lsoa21_full"].title, "service": f"{ons}/{ONS_SERVICES['lsoa21_full'].service}"}

    area = query_area(outline)
    month_summary: dict[str, dict] = {}
    progress(f"Fetching street-level crime for {len(wanted)} month(s) from {police} ...")
    for month in wanted:
        result = fetch_month(month, area, lsoas, dest, force=force, la_name=la_name, police_api=police, http=http, progress=progress)
        month_summary[month] = result.as_dict()

    summary = {
        "dest": str(dest),
        "months": month_summary,
        "files": files,
        "manual": list(MANUAL_STEPS),
        "requests": http.requests,
        "police_api": police,
        "ons_api": ons,
    }
    notes = dest / "DOWNLOADED.md"
    _write_atomic(notes, _downloaded_md(summary, started, la_code, la_name, force).encode("utf-8"))
    progress(f"Wrote {notes}. Still to fetch by hand: Census 2021 population (see DOWNLOADED.md).")
    return summary


def _downloaded_md(summary: dict, started: datetime, la_code: str, la_name: str, force: Force) -> str:
    dest = Path(summary["dest"])
    stamp = started.strftime("%Y-%m-%d %H:%M UTC")
    year = started.year
    lines = [
        "# Downloaded sources",
        "",
        f"Written by `areaprofile download` on {stamp} for {la_name} ({la_code}). Run it again to refresh;",
        "each file is replaced whole. `areaprofile build --source <this folder>` reads it.",
        "",
        "## Police street-level crime — data.police.uk API",
        "",
        f"* Publisher: data.police.uk (Home Office); force: {force.name}.",
        f"* API: `{summary['police_api']}/crimes-street/all-crime` (`poly` = the {la_name} outline, simplified",
        "  and widened a little; `date` = month), months checked against",
        f"  `{summary['police_api']}/crimes-street-dates`.",
        "* Shape: each month is written with the published street-file columns. The API gives no",
        "  LSOA, so `LSOA code`/`LSOA name` were assigned here by point-in-polygon against the ONS",
        "  full-resolution LSOA 2021 boundaries (2021 codes, as police.uk now publishes). Crimes the",
        "  API places in a neighbouring authority are left out, as are British Transport Police",
        "  records (published in the BTP file, not the force's) and crimes with no usable location",
        "  (counted below). A month the API lists but returns empty is not written (skipped, to be",
        "  fetched again).",
        "",
        "| month | file | rows | queries | outside the LA (dropped) | BTP (dropped) | no location (dropped) |",
        "|---|---|---|---|---|---|---|",
    ]
    for month, info in summary["months"].items():
        rel = Path(info["path"]).relative_to(dest) if info["path"] else info["skipped"]
        lines.append(
            f"| {month} | {rel} | {info['rows']} | {info['queries']} | {info['outside_la']} | {info['btp_excluded']} | {info['without_location']} |"
        )
    lines += [
        "",
        "Attribution: *Contains public sector information licensed under the Open Government Licence",
        f"v3.0.* Source: data.police.uk / {force.name}.",
        "",
        "## Boundaries and lookups — ONS Open Geography Portal",
        "",
        "| file | dataset | service | features/rows |",
        "|---|---|---|---|",
    ]
    for info in summary["files"].values():
        rel = Path(info["path"]).relative_to(dest) if info["path"] else "(used for LSOA assignment only, not kept)"
        count = info.get("features", info.get("rows"))
        lines.append(f"| {rel} | {info['title']} | {info['service']} | {count} |")
    lines += [
        "",
        "Filters: LSOAs by name (`LSOA21NM`/`LSOA11NM` starting with the authority's name), wards by",
        "the ward-to-LAD lookup, parishes by the authority's bounding box and then by lying inside",
        "its outline (`code`/`name` properties added for the build; unparished areas have E43 codes).",
        "The LSOA 2011 -> 2021 correspondence is not downloaded: the build derives it from the two",
        "boundary sets (unchanged codes map to themselves; split LSOAs by area overlay).",
        "",
        "Attribution: *Source: Office for National Statistics licensed under the Open Government",
        f"Licence v3.0. Contains OS data © Crown copyright and database right {year}.*",
        "",
        "## Still to fetch by hand",
        "",
    ]
    lines += [f"* {step}" for step in summary["manual"]]
    lines += [
        "",
        "## Licence",
        "",
        "All of the above is Crown copyright / public sector information under the Open Government",
        "Licence v3.0: https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/",
        "",
    ]
    return "\n".join(lines)
