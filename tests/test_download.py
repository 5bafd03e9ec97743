"""`areaprofile download` against recorded answers served from 127.0.0.1.

There is no internet here, so a small HTTP server plays data.police.uk and the ONS ArcGIS
services. Its answers are built at test time from the real files in the shared data (one real
month of Avon and Somerset street rows turned into the API's JSON; the real boundary GeoJSON
served as the ONS answers) — nothing is copied into the repository.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import os
import re
import threading
import time
import urllib.parse
from collections import Counter
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest
import shapely
from pyproj import Transformer
from shapely.geometry import box, mapping, shape
from shapely.ops import unary_union

from areaprofile.errors import AreaprofileError
from areaprofile.partnership import Force
from areaprofile.sources.download import (
    MAX_GET_URL,
    ONS_SERVICES,
    STREET_COLUMNS,
    download,
    fetch_street_crimes,
    parse_month_range,
)
from tests.json_handler import JsonHandler
from tests.police_api import api_crimes

SHARED = Path(os.environ.get("AREAPROFILE_SHARED_DATA", "/work/shared/data"))
MONTH = "2021-09"
STREET_GZ = SHARED / "police_uk" / "avon-and-somerset" / MONTH / f"{MONTH}-avon-and-somerset-street.csv.gz"
BANES = "Bath and North East Somerset"

pytestmark = pytest.mark.skipif(not STREET_GZ.exists(), reason=f"shared data not found at {SHARED}")

FAST = {"backoff": 0.01, "timeout": 10.0}


# ------------------------------------------------------------------------------------------
# Recorded answers, built from the shared data
# ------------------------------------------------------------------------------------------


def _features(relative: str) -> list[dict]:
    return json.loads((SHARED / "boundaries" / relative).read_text(encoding="utf-8"))["features"]


@pytest.fixture(scope="module")
def recorded() -> dict:
    with gzip.open(STREET_GZ, "rt", encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    located = [r for r in rows if r["Longitude"]]
    crimes = api_crimes(rows)
    # One British Transport Police record at a B&NES point: the force's file must not hold it.
    first_banes = next(c for c, r in zip(crimes, located) if r["LSOA name"].startswith(BANES))
    crimes.append({**first_banes, "id": 99_999_999, "location_type": "BTP", "persistent_id": "btp-record"})

    la = _features("la/banes_os_boundary.geojson")
    la = [{**f, "properties": {"LAD25CD": "E06000022", "LAD25NM": BANES}} for f in la]
    outline = unary_union([shape(f["geometry"]) for f in la])
    lsoa21 = _features("lsoa21/E06000022_lsoa21_bgc.geojson")
    lsoa11 = _features("lsoa11/E06000022_lsoa11_bgc.geojson")
    wards = _features("wards_2019_current/E06000022_wards_wd25_bgc.geojson")
    ward_lookup = [{"WD25CD": f["properties"]["WD25CD"], "WD25NM": f["properties"]["WD25NM"], "LAD25CD": "E06000022", "LAD25NM": BANES} for f in wards]
    ward_lookup.append({"WD25CD": "E05999999", "WD25NM": "Elsewhere", "LAD25CD": "E06000023", "LAD25NM": "Bristol, City of"})

    parishes = []
    for feature in _features("parishes/banes_os_parishes_2016.geojson"):
        p = feature["properties"]
        code = p["code"] or ""
        name = re.sub(r"\s+CP$", "", p["name"]) if p["name"] else f"{BANES}, unparished area"
        parishes.append({"type": "Feature", "properties": {"PARNCP23CD": code, "PARNCP23NM": name}, "geometry": feature["geometry"]})
    # A neighbouring parish inside the bounding box but outside the outline: must be dropped.
    minx, miny, maxx, maxy = outline.bounds
    corner = next(
        box(x, y, x + 0.004, y + 0.004)
        for x, y in ((minx, miny), (maxx - 0.004, miny), (minx, maxy - 0.004), (maxx - 0.004, maxy - 0.004))
        if not outline.intersects(box(x, y, x + 0.004, y + 0.004))
    )
    parishes.append({"type": "Feature", "properties": {"PARNCP23CD": "E04999999", "PARNCP23NM": "Neighbour"}, "geometry": mapping(corner)})

    lsoa21_codes = {f["properties"]["LSOA21CD"] for f in lsoa21}
    lsoa11_codes = {f["properties"]["LSOA11CD"] for f in lsoa11}
    with open(SHARED / "lookups" / "derived" / "banes_lsoa11_to_lsoa21_area_overlay_DERIVED.csv", encoding="utf-8") as handle:
        overlay = list(csv.DictReader(handle))
    lookup = [
        {
            "LSOA11CD": r["LSOA11CD"],
            "LSOA11NM": r["LSOA11NM"],
            "CHGIND": "U" if r["LSOA11CD"] == r["LSOA21CD"] else "S",
            "LSOA21CD": r["LSOA21CD"],
            "LSOA21NM": r["LSOA21NM"],
            "LAD22CD": "E06000022",
            "LAD22NM": BANES,
        }
        for r in overlay
        if r["LSOA11CD"] == r["LSOA21CD"] or (r["LSOA11CD"] not in lsoa21_codes and r["LSOA21CD"] not in lsoa11_codes)
    ]

    layers = {
        "la": la,
        "lsoa21": lsoa21,
        "lsoa11": lsoa11,
        "ward_lookup": ward_lookup,
        "wards": wards,
        "parishes": parishes,
        "lsoa21_full": lsoa21,  # no full-resolution file here: the generalised one stands in
    }
    by_service = {ONS_SERVICES[key].service.split("/")[0]: (key, value) for key, value in layers.items()}
    return {
        "rows": rows,
        "banes_rows": [r for r in rows if r["LSOA name"].startswith(BANES)],
        "crimes": crimes,
        "lons": [float(c["location"]["longitude"]) for c in crimes],
        "lats": [float(c["location"]["latitude"]) for c in crimes],
        "by_service": by_service,
        "lsoa11_geoms": {f["properties"]["LSOA11CD"]: shape(f["geometry"]) for f in lsoa11},
        "lsoa21": lsoa21,
        "outline": outline,
        "lsoa21_parent": {r["LSOA21CD"]: r["LSOA11CD"] for r in lookup},
    }


# ------------------------------------------------------------------------------------------
# The fake publishers
# ------------------------------------------------------------------------------------------


def _matches(where: str, props: dict) -> bool:
    where = where.strip()
    if where == "1=1":
        return True
    if m := re.fullmatch(r"(\w+) = '(.*)'", where):
        return str(props.get(m.group(1))) == m.group(2).replace("''", "'")
    if m := re.fullmatch(r"(\w+) LIKE '(.*)%'", where):
        return str(props.get(m.group(1)) or "").startswith(m.group(2).replace("''", "'"))
    if m := re.fullmatch(r"(\w+) IN \((.*)\)", where):
        return str(props.get(m.group(1))) in set(re.findall(r"'([^']*)'", m.group(2)))
    raise ValueError(where)


class Publisher(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, data: dict):
        super().__init__(("127.0.0.1", 0), Handler)
        self.data = data
        self.dates = ["2021-07", "2021-08", MONTH]
        self.other_months: dict[str, list[dict]] = {}  # month -> crimes served whatever the poly
        self.crime_limit = 10_000
        self.page_size = 50  # small, so the 118 LSOAs need several pages
        self.faults: dict[str, list] = {}  # route -> faults used once each, in order
        self.always: dict[str, tuple] = {}  # route -> fault on every request
        self.log: list[tuple] = []  # (route, method, monotonic time, params)
        self.lock = threading.Lock()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def requests_to(self, route: str) -> list[tuple]:
        return [entry for entry in self.log if entry[0] == route]


class Handler(JsonHandler):
    server: Publisher

    def do_GET(self):
        self._answer(urllib.parse.urlsplit(self.path).query)

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        self._answer(self.rfile.read(length).decode("ascii"))

    def _answer(self, query: str):
        server = self.server
        params = {k: v[0] for k, v in urllib.parse.parse_qs(query, keep_blank_values=True).items()}
        path = urllib.parse.urlsplit(self.path).path
        if path == "/police/crimes-street-dates":
            route = "dates"
        elif path == "/police/crimes-street/all-crime":
            route = "crimes"
        elif path.startswith("/ons/") and path.endswith("/FeatureServer/0/query"):
            route = "ons:" + server.data["by_service"].get(path.split("/")[2], ("?",))[0]
        else:
            route = "unknown"
        with server.lock:
            server.log.append((route, self.command, time.monotonic(), params))
            queued = server.faults.get(route) or []
            fault = queued.pop(0) if queued else server.always.get(route)
        body = self._body(route, params)
        if fault and fault[0] == "status":
            self._send(fault[1], b'{"error": "recorded fault"}', fault[2] if len(fault) > 2 else {})
        elif fault and fault[0] == "truncate":
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body) + 5000))
            self.end_headers()
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
        elif isinstance(body, int):
            self._send(body, b"")
        else:
            self._send(200, body)

    def _body(self, route: str, params: dict) -> bytes | int:
        data = self.server.data
        if route == "dates":
            return json.dumps([{"date": d, "stop-and-search": []} for d in reversed(self.server.dates)]).encode()
        if route == "crimes":
            if params.get("date") != MONTH:
                return json.dumps(self.server.other_months.get(params.get("date"), [])).encode()
            points = [tuple(map(float, pair.split(","))) for pair in params["poly"].split(":")]
            polygon = shapely.Polygon([(lng, lat) for lat, lng in points])
            inside = shapely.contains_xy(polygon, data["lons"], data["lats"])
            found = [crime for crime, hit in zip(data["crimes"], inside.tolist()) if hit]
            if len(found) > self.server.crime_limit:
                return 503
            return json.dumps(found).encode()
        if route.startswith("ons:") and route != "ons:?":
            key = route[4:]
            items = data["by_service"][ONS_SERVICES[key].service.split("/")[0]][1]
            table = ONS_SERVICES[key].kind == "table"
            props = (lambda item: item) if table else (lambda item: item["properties"])
            chosen = [item for item in items if _matches(params.get("where", "1=1"), props(item))]
            if "geometry" in params:
                envelope = box(*map(float, params["geometry"].split(",")))
                chosen = [item for item in chosen if shape(item["geometry"]).intersects(envelope)]
            offset = int(params.get("resultOffset") or 0)
            count = min(int(params.get("resultRecordCount") or self.server.page_size), self.server.page_size)
            page = chosen[offset : offset + count]
            more = offset + count < len(chosen)
            if table:
                answer = {"features": [{"attributes": item} for item in page], "exceededTransferLimit": more}
            else:
                answer = {"type": "FeatureCollection", "features": page, "properties": {"exceededTransferLimit": more}}
            return json.dumps(answer).encode()
        return 404


@pytest.fixture
def publisher(recorded):
    server = Publisher(recorded)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def _run(publisher: Publisher, dest: Path, months: str = MONTH, **kwargs) -> dict:
    messages: list[str] = []
    options = {**FAST, **kwargs}
    return download(months, dest, police_api=f"{publisher.base}/police", ons_api=f"{publisher.base}/ons", progress=messages.append, **options)


def _read_csv(path: Path) -> tuple[list[str], list[dict]]:
    text = path.read_text(encoding="utf-8")
    reader = csv.DictReader(io.StringIO(text, newline=""))
    return list(reader.fieldnames or []), list(reader)


def _street_csv(dest: Path, month: str = MONTH) -> Path:
    return dest / "police_uk" / "avon-and-somerset" / month / f"{month}-avon-and-somerset-street.csv"


def _identity(row: dict) -> tuple:
    """A row without its LSOA: what the API route must reproduce exactly."""
    return tuple(row[c] for c in STREET_COLUMNS if c not in ("LSOA code", "LSOA name"))


# ------------------------------------------------------------------------------------------
# Tests
# ------------------------------------------------------------------------------------------


def test_full_download_reproduces_the_published_month(publisher, recorded, tmp_path):
    summary = _run(publisher, tmp_path)

    header, rows = _read_csv(_street_csv(tmp_path))
    assert header == list(STREET_COLUMNS)
    published = recorded["banes_rows"]
    assert len(rows) == len(published) == summary["months"][MONTH]["rows"]
    assert Counter(r["Crime type"] for r in rows) == Counter(r["Crime type"] for r in published)
    assert Counter(_identity(r) for r in rows) == Counter(_identity(r) for r in published)
    assert all(r["Reported by"] == r["Falls within"] == "Avon and Somerset Constabulary" for r in rows)
    assert all(r["LSOA name"].startswith(BANES) for r in rows)
    assert not any(r["Crime ID"] == "btp-record" for r in rows)
    assert summary["months"][MONTH]["btp_excluded"] == 1

    # LSOAs: the API route gives 2021 codes, the published month 2011 codes. Map ours back to
    # their 2011 parent (the shared overlay lookup), then compare point by point.
    parent = recorded["lsoa21_parent"]
    assert len(parent) == 118
    published_lsoa = {_identity(r): r["LSOA code"] for r in published}
    bng = Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True)

    def to_bng(geometry):
        return shapely.transform(geometry, lambda x, y: bng.transform(x, y), interleaved=False)

    exact, explained, unexplained = 0, 0, []
    for row in rows:
        expected = published_lsoa[_identity(row)]
        if parent[row["LSOA code"]] == expected:
            exact += 1
            continue
        # Only the generalised (20 m) boundaries stand in for the full ones here, so a point on
        # a border may land next door; it must then lie within 20 m of its published LSOA.
        point = to_bng(shapely.Point(float(row["Longitude"]), float(row["Latitude"])))
        distance = to_bng(recorded["lsoa11_geoms"][expected]).distance(point)
        if distance <= 20.0:
            explained += 1
        else:
            unexplained.append((row["Longitude"], row["Latitude"], expected, row["LSOA code"], round(distance, 1)))
    assert not unexplained
    assert exact / len(rows) > 0.95

    # Boundaries, filtered to the authority and with the property names the build reads.
    def features(relative: str) -> list[dict]:
        return json.loads((tmp_path / "boundaries" / relative).read_text(encoding="utf-8"))["features"]

    assert len(features("lsoa21/E06000022_lsoa21_bgc.geojson")) == 118  # needed three pages
    assert {f["properties"]["LSOA21CD"] for f in features("lsoa21/E06000022_lsoa21_bgc.geojson")} == {f["properties"]["LSOA21CD"] for f in recorded["lsoa21"]}
    assert len(features("lsoa11/E06000022_lsoa11_bgc.geojson")) == 115
    assert all(f["properties"]["LSOA11NM"].startswith(BANES) for f in features("lsoa11/E06000022_lsoa11_bgc.geojson"))
    wards = features("wards_2019_current/E06000022_wards_wd25_bgc.geojson")
    assert len(wards) == 33 and all(set(f["properties"]) >= {"WD25CD", "WD25NM"} for f in wards)
    parishes = features("parishes/E06000022_parncp23_bgc.geojson")
    codes = [f["properties"]["code"] for f in parishes]
    assert "E04999999" not in codes  # the neighbour in the bounding box was left out
    assert len([c for c in codes if c.startswith("E04")]) == 51
    assert all(f["properties"]["name"] for f in parishes)
    assert len(features("la/E06000022_lad25_bgc.geojson")) == 1
    assert not (tmp_path / "lookups").exists()  # the build derives 2011 -> 2021 itself
    assert [entry for entry in publisher.log if entry[0] == "ons:?"] == []

    notes = (tmp_path / "DOWNLOADED.md").read_text(encoding="utf-8")
    assert "Open Government Licence" in notes and "census2021-ts001" in notes and MONTH in notes
    assert summary["manual"] and "nomisweb" in summary["manual"][0]
    assert not list(tmp_path.rglob("*.part"))
    assert publisher.requests_to("unknown") == []


def test_503_for_too_many_crimes_splits_the_area(publisher, recorded, tmp_path):
    publisher.crime_limit = 400
    summary = _run(publisher, tmp_path)

    _, rows = _read_csv(_street_csv(tmp_path))
    published = recorded["banes_rows"]
    assert Counter(_identity(r) for r in rows) == Counter(_identity(r) for r in published)  # none lost, none twice
    queries = publisher.requests_to("crimes")
    assert summary["months"][MONTH]["queries"] == len(queries) > 5


def test_429_is_retried_after_the_time_retry_after_asks(publisher, tmp_path):
    publisher.faults["dates"] = [("status", 429, {"Retry-After": "1"})]
    summary = _run(publisher, tmp_path)

    calls = publisher.requests_to("dates")
    assert len(calls) == 2
    assert calls[1][2] - calls[0][2] >= 0.95  # the backoff alone would have waited 0.01 s
    assert summary["months"][MONTH]["rows"] > 1000


def test_repeated_500_fails_with_one_clear_sentence(publisher, tmp_path):
    publisher.always["dates"] = ("status", 500)
    with pytest.raises(AreaprofileError) as caught:
        _run(publisher, tmp_path, attempts=3)
    message = str(caught.value)
    assert "HTTP 500" in message and "3 attempts" in message and "try again later" in message
    assert "\n" not in message
    assert len(publisher.requests_to("dates")) == 3
    assert not any(tmp_path.iterdir())  # nothing written


def test_a_response_cut_short_leaves_no_file_behind(publisher, tmp_path):
    publisher.always["crimes"] = ("truncate",)
    with pytest.raises(AreaprofileError) as caught:
        _run(publisher, tmp_path, attempts=2)
    assert "dropped" in str(caught.value)
    assert len(publisher.requests_to("crimes")) == 2
    assert not _street_csv(tmp_path).exists()
    assert not _street_csv(tmp_path).parent.exists() or not any(_street_csv(tmp_path).parent.iterdir())
    assert not list(tmp_path.rglob("*.part"))


def test_a_response_cut_short_once_is_fetched_again_whole(publisher, recorded, tmp_path):
    publisher.faults["ons:lsoa11"] = [("truncate",)]
    _run(publisher, tmp_path)
    lsoa11 = json.loads((tmp_path / "boundaries" / "lsoa11" / "E06000022_lsoa11_bgc.geojson").read_text(encoding="utf-8"))
    assert len(lsoa11["features"]) == 115
    assert len(publisher.requests_to("ons:lsoa11")) == 4  # 3 pages of 50, the first one twice


@pytest.mark.parametrize(
    "text",
    ["2021-13..2022-01", "2021-09..2021-01", "21-09", "2021-09..2021-10..2021-11", "", "2021-9", "2009-01..2009-03", "2021-09..", "september"],
)
def test_a_bad_month_range_is_refused_clearly(text):
    with pytest.raises(AreaprofileError) as caught:
        parse_month_range(text)
    message = str(caught.value)
    assert message.endswith(".") and "\n" not in message


def test_month_ranges_are_inclusive_and_cross_years():
    assert parse_month_range("2020-11..2021-02") == ["2020-11", "2020-12", "2021-01", "2021-02"]
    assert parse_month_range(" 2021-09 ") == ["2021-09"]
    assert len(parse_month_range("2018-01..2021-09")) == 45


def test_a_bad_month_range_stops_download_before_any_request(publisher, tmp_path):
    with pytest.raises(AreaprofileError, match="not a month"):
        _run(publisher, tmp_path, months="2021-13..2021-14")
    assert publisher.log == []


def test_an_unpublished_month_is_named_before_anything_is_written(publisher, tmp_path, monkeypatch):
    # The base URLs come from the environment here, as a user behind a mirror would set them.
    monkeypatch.setenv("AREAPROFILE_POLICE_API", f"{publisher.base}/police")
    monkeypatch.setenv("AREAPROFILE_ONS_API", f"{publisher.base}/ons")
    with pytest.raises(AreaprofileError) as caught:
        download("2018-01..2018-02", tmp_path, progress=lambda _m: None, attempts=1, **FAST)
    message = str(caught.value)
    assert "2018-01, 2018-02" in message and "2021-07 to 2021-09" in message
    assert "\n" not in message
    assert [entry[0] for entry in publisher.log] == ["dates"]
    assert not any(tmp_path.iterdir())


def test_a_long_polygon_is_sent_as_a_post(publisher, recorded):
    # The unsimplified LSOA outlines make a poly far longer than a GET may carry.
    union = unary_union([shape(f["geometry"]) for f in recorded["lsoa21"]])
    largest = max(getattr(union, "geoms", [union]), key=lambda p: p.area)
    area = shapely.Polygon([(round(x, 5), round(y, 5)) for x, y in largest.exterior.coords])
    assert len(":".join(f"{y:.5f},{x:.5f}" for x, y in area.exterior.coords)) > MAX_GET_URL

    crimes, queries = fetch_street_crimes(area, MONTH, police_api=f"{publisher.base}/police", progress=lambda _m: None, **FAST)

    calls = publisher.requests_to("crimes")
    assert queries == len(calls) == 1 and calls[0][1] == "POST"
    inside = shapely.contains_xy(area, recorded["lons"], recorded["lats"])
    assert len(crimes) == int(inside.sum()) > 1000


def test_a_503_that_never_stops_ends_with_a_clear_sentence(publisher, tmp_path):
    publisher.always["crimes"] = ("status", 503)
    with pytest.raises(AreaprofileError) as caught:
        _run(publisher, tmp_path)
    message = str(caught.value)
    assert "503" in message and "try again later" in message and "\n" not in message
    assert len(publisher.requests_to("crimes")) <= 200
    assert not _street_csv(tmp_path).exists()


# ------------------------------------------------------------------------------------------
# Shapes police.uk really sends that once broke the download
# ------------------------------------------------------------------------------------------


def test_an_empty_month_is_reported_not_written_and_the_folder_still_builds(publisher, tmp_path, data_dir):
    from areaprofile.store import build
    from tests.stores import copy_store, store_without

    publisher.dates.append("2021-10")  # listed, but every query for it answers []
    summary = _run(publisher, tmp_path / "dl", months=f"{MONTH}..2021-10")

    empty = summary["months"]["2021-10"]
    assert empty["skipped"] == "police.uk lists 2021-10 but returned no rows; skipped, will retry"
    assert empty["path"] is None and empty["rows"] == 0
    assert not _street_csv(tmp_path / "dl", "2021-10").parent.exists()
    assert "police.uk lists 2021-10 but returned no rows" in (tmp_path / "dl" / "DOWNLOADED.md").read_text(encoding="utf-8")

    # The folder builds: the month that arrived lands, the empty one is simply not there yet.
    store = copy_store(store_without(data_dir, MONTH), tmp_path / "store")
    report = build([tmp_path / "dl"], store)
    assert report.months[-1] == MONTH and "2021-10" not in report.months


def test_a_crime_without_location_is_counted_and_outcome_objects_become_their_name(publisher, recorded, tmp_path):
    located = next(c for c, r in zip(recorded["crimes"], [r for r in recorded["rows"] if r["Longitude"]]) if r["LSOA name"].startswith(BANES))
    month = "2021-10"
    publisher.dates.append(month)
    publisher.other_months[month] = [
        {**located, "id": 1, "month": month, "location": None, "persistent_id": "nowhere"},
        {**located, "id": 2, "month": month, "category": "burglary", "persistent_id": "abc",
         "outcome_status": {"category": {"code": "unable-to-prosecute", "name": "Unable to prosecute suspect"}, "date": month}},
        {**located, "id": 3, "month": month, "category": "anti-social-behaviour", "persistent_id": "", "outcome_status": None},
        {**located, "id": 4, "month": month, "category": "drugs", "persistent_id": "def",
         "outcome_status": {"category": "Under investigation", "date": month}},
    ]
    force = Force("test-force", "Test Constabulary")  # the settings name the force, not the code

    summary = _run(publisher, tmp_path, months=month, force=force)

    assert summary["months"][month]["without_location"] == 1 and summary["months"][month]["rows"] == 3
    path = tmp_path / "police_uk" / "test-force" / month / f"{month}-test-force-street.csv"
    _, rows = _read_csv(path)
    assert [(r["Crime ID"], r["Crime type"], r["Last outcome category"]) for r in rows] == [
        ("abc", "Burglary", "Unable to prosecute suspect"),
        ("", "Anti-social behaviour", ""),
        ("def", "Drugs", "Under investigation"),
    ]
    assert {(r["Reported by"], r["Falls within"]) for r in rows} == {("Test Constabulary", "Test Constabulary")}
    assert "Test Constabulary" in (tmp_path / "DOWNLOADED.md").read_text(encoding="utf-8")
