"""`areaprofile priorities fetch` against answers in the police.uk API's recorded shapes, served
by a real HTTP server on 127.0.0.1 (there is no internet here).

The neighbourhood boundaries are made at test time from the real LSOA polygons of the store
built from the shared data: one neighbourhood inside Keynsham, one across the Keynsham / Chew
Valley line, one outside B&NES (moved 40 km west), one with an empty boundary.
"""

from __future__ import annotations

import json
import threading
import urllib.parse
from http.server import ThreadingHTTPServer

import pytest
import shapely
from pyproj import Transformer

from areaprofile import cli, query
from areaprofile.errors import AreaprofileError
from areaprofile.sources import police_priorities as police
from tests.json_handler import JsonHandler

FORCE = "avon-and-somerset"
HOSTILE = '<p>Speeding on the High St &amp; Bath Rd</p><script>alert("x")</script><p>2nd <img src=x onerror=alert(1)>para</p>'


def _boundary(geometry) -> list[dict]:
    """A polygon (EPSG:27700) as the API's list of lat/lng strings."""
    polygon = max(getattr(geometry, "geoms", [geometry]), key=lambda g: g.area)
    to_wgs = Transformer.from_crs(27700, 4326, always_xy=True)
    xs, ys = polygon.exterior.coords.xy
    lons, lats = to_wgs.transform(list(xs), list(ys))
    return [{"latitude": f"{lat:.6f}", "longitude": f"{lon:.6f}"} for lon, lat in zip(lons, lats)]


@pytest.fixture(scope="module")
def recorded(built_store):
    store = query.open_store(built_store)
    lsoas = store.sql("SELECT code, area, area_km2, geom_wkb FROM lsoa ORDER BY area_km2 DESC")
    shapes = {row.code: shapely.from_wkb(bytes(row.geom_wkb)) for row in lsoas.itertuples()}
    keynsham = [r.code for r in lsoas.itertuples() if r.area == "Keynsham"]
    inner = shapely.union_all([shapes[c] for c in keynsham[:3]]).buffer(1).buffer(-1)
    # the Keynsham LSOA touching Chew Valley that is largest, with its Chew Valley neighbours
    chew = [c for c in lsoas[lsoas["area"] == "Chew Valley"]["code"]]
    pair = next((k, v) for k in keynsham for v in chew if shapes[k].buffer(5).intersects(shapes[v]))
    border = shapely.union_all([shapes[pair[0]], shapes[pair[1]]]).buffer(5).buffer(-5)
    far = shapely.affinity.translate(shapes[keynsham[0]], xoff=-40_000)
    hoods = [
        {"id": "Keynsham Town", "name": "Keynsham &amp; Town", "boundary": _boundary(inner),
         "priorities": [
             {"issue": HOSTILE, "issue-date": "2025-03-08T00:00:00", "action": "<p>Speed checks done.</p>",
              "action-date": "2025-04-01T00:00:00"},
             {"issue": "<p>Drug dealing near the station</p>", "issue-date": "2025-05-01T00:00:00",
              "action": None, "action-date": None},
             {"issue": None, "issue-date": None, "action": None, "action-date": None},
         ]},
        {"id": "KS/CV border", "name": "Saltford and Chew", "boundary": _boundary(border), "priorities": []},
        {"id": "far away", "name": "Elsewhere", "boundary": _boundary(far), "priorities": [{"issue": "never asked"}]},
        {"id": "empty", "name": "No boundary", "boundary": [], "priorities": []},
    ]
    return {"hoods": hoods, "shapes": query.area_shapes(store)}


class Police(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, recorded: dict):
        super().__init__(("127.0.0.1", 0), Handler)
        self.hoods = {h["id"]: h for h in recorded["hoods"]}
        self.faults: dict[str, list[int]] = {}  # path -> statuses answered once each before the real answer
        self.log: list[str] = []

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/api"


class Handler(JsonHandler):
    server: Police

    def do_GET(self):
        raw = urllib.parse.urlsplit(self.path).path
        parts = [urllib.parse.unquote(p) for p in raw.split("/")]  # ['', 'api', force, id, what]
        path = "/".join(parts)
        self.server.log.append(path)
        queued = self.server.faults.get(path) or []
        if queued:
            self._send(queued.pop(0), b"<html>Service Unavailable</html>", {"Retry-After": "0"})
            return
        if path == f"/api/{FORCE}/neighbourhoods":
            body = [{"id": h["id"], "name": h["name"]} for h in self.server.hoods.values()]
        elif len(parts) == 5 and parts[2] == FORCE and parts[3] in self.server.hoods and parts[4] in ("boundary", "priorities"):
            body = self.server.hoods[parts[3]][parts[4]]
        else:
            self._send(404, b'{"error": "not found"}')
            return
        self._send(200, json.dumps(body).encode())


@pytest.fixture
def police_api(recorded):
    server = Police(recorded)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_fetch_places_neighbourhoods_cleans_html_and_retries(police_api, recorded):
    police_api.faults[f"/api/{FORCE}/KS/CV border/priorities"] = [503]
    police_api.faults[f"/api/{FORCE}/neighbourhoods"] = [429]
    snapshot = police.fetch_priorities(recorded["shapes"], base_url=police_api.base, backoff=0.01)

    hoods = {h["id"]: h for h in snapshot["neighbourhoods"]}
    assert set(hoods) == {"Keynsham Town", "KS/CV border"}
    assert [a["area"] for a in hoods["Keynsham Town"]["areas"]] == ["Keynsham"]
    assert hoods["Keynsham Town"]["areas"][0]["share"] > 0.98
    assert {a["area"] for a in hoods["KS/CV border"]["areas"]} == {"Keynsham", "Chew Valley"}
    assert abs(sum(a["share"] for a in hoods["KS/CV border"]["areas"]) - 1) < 0.03
    assert {h["id"] for h in snapshot["outside_the_areas"]} == {"far away", "empty"}
    # a neighbourhood outside every forum area is never asked for its priorities
    assert f"/api/{FORCE}/far away/priorities" not in police_api.log
    # the 429 and the 503 were retried, and then answered
    assert police_api.log.count(f"/api/{FORCE}/neighbourhoods") == 2
    assert police_api.log.count(f"/api/{FORCE}/KS/CV border/priorities") == 2
    assert hoods["KS/CV border"]["priorities"] == []

    first, second = hoods["Keynsham Town"]["priorities"]  # the all-null record is dropped
    assert first == {"issue": "Speeding on the High St & Bath Rd\n2nd para", "issue_date": "2025-03-08",
                     "action": "Speed checks done.", "action_date": "2025-04-01"}
    assert second == {"issue": "Drug dealing near the station", "issue_date": "2025-05-01",
                      "action": None, "action_date": None}
    assert hoods["Keynsham Town"]["name"] == "Keynsham & Town"


def test_cli_writes_a_dated_snapshot_beside_the_store(police_api, store_copy, capsys):
    police_api.faults[f"/api/{FORCE}/Keynsham Town/boundary"] = [503]
    assert cli.main(["priorities", "fetch", "--store", str(store_copy), "--base-url", police_api.base]) == 0
    out = capsys.readouterr().out
    assert out.startswith("2 priorities from 2 neighbourhoods in the forum areas")
    folder = store_copy.parent / police.SNAPSHOT_FOLDER
    files = list(folder.iterdir())
    assert len(files) == 1 and files[0].name.startswith(f"{FORCE}-") and files[0].suffix == ".json"
    snapshot = police.latest_snapshot(folder)
    assert snapshot["fetched_at"][:10] == files[0].name[len(FORCE) + 1 : -5]
    assert len(snapshot["neighbourhoods"]) == 2


def test_a_service_that_stays_down_is_one_sentence_and_no_file(police_api, recorded, store_copy, capsys):
    police_api.faults[f"/api/{FORCE}/neighbourhoods"] = [500] * 10
    with pytest.raises(AreaprofileError, match=r"HTTP 500 on all 3 attempts"):
        police.fetch_priorities(recorded["shapes"], base_url=police_api.base, backoff=0.01, attempts=3)
    police_api.faults[f"/api/{FORCE}/neighbourhoods"] = [404]
    assert cli.main(["priorities", "fetch", "--store", str(store_copy), "--base-url", police_api.base]) == 2
    err = capsys.readouterr().err
    assert err.startswith("areaprofile: ") and err.count("\n") == 1 and "Traceback" not in err
    assert not (store_copy.parent / police.SNAPSHOT_FOLDER).exists()


@pytest.mark.parametrize("html, text", [
    (None, None),
    ("", None),
    ("<p>  </p>", None),
    ("<script>alert(1)</script>", None),
    ("a &lt;script&gt; b", "a <script> b"),
    ("<ul><li>one</li><li>two</li></ul>", "one\ntwo"),
    ("line<br>next\x00\x07", "line\nnext"),
    ("x" * 5000, "x" * (police.MAX_TEXT - 1) + "…"),
])
def test_html_becomes_plain_text(html, text):
    assert police.html_to_text(html) == text


def test_latest_snapshot_skips_broken_files(tmp_path):
    assert police.latest_snapshot(tmp_path / "none") is None
    good = {"force": FORCE, "fetched_at": "2026-01-02T10:00:00+00:00", "neighbourhoods": []}
    police.write_snapshot(good, tmp_path)
    (tmp_path / f"{FORCE}-2026-02-01.json").write_text("{not json", encoding="utf-8")
    assert police.latest_snapshot(tmp_path) == good
    assert not list(tmp_path.glob("*.part"))
