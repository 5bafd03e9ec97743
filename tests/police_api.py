"""data.police.uk's JSON API played on 127.0.0.1, answering from the REAL street rows.

There is no internet here. Each served month is the real Avon and Somerset street file turned
into the API's shapes (``crimes-street/all-crime``: category slugs, ``location`` with
``street {id, name}``, ``persistent_id`` (empty for ASB), ``outcome_status`` object or null,
``month``; ``crimes-street-dates``; ``crime-last-updated``), built at test time, never stored.
"""

from __future__ import annotations

import csv
import gzip
import json
import threading
import time
import urllib.parse
from http.server import ThreadingHTTPServer
from pathlib import Path

import shapely

from areaprofile.config import CRIME_TYPE_BY_SLUG
from tests.json_handler import JsonHandler

SLUG_BY_TYPE = {name: slug for slug, name in CRIME_TYPE_BY_SLUG.items()}
FORCE = "avon-and-somerset"


def street_rows(data_dir: Path, month: str) -> list[dict]:
    path = data_dir / "police_uk" / FORCE / month / f"{month}-{FORCE}-street.csv.gz"
    with gzip.open(path, "rt", encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def api_crimes(rows: list[dict], first_id: int = 90_000_000) -> list[dict]:
    """Published street rows as ``crimes-street/all-crime`` answers them (rows with a location)."""
    crimes = []
    for index, row in enumerate(r for r in rows if r["Longitude"]):
        outcome = row["Last outcome category"]
        crimes.append(
            {
                "category": SLUG_BY_TYPE[row["Crime type"]],
                "location_type": "Force",
                "location": {
                    "latitude": row["Latitude"],
                    "longitude": row["Longitude"],
                    "street": {"id": 1000 + index, "name": row["Location"]},
                },
                "context": row["Context"],
                "outcome_status": {"category": outcome, "date": row["Month"]} if outcome else None,
                "persistent_id": row["Crime ID"],
                "id": first_id + index,
                "location_subtype": "",
                "month": row["Month"],
            }
        )
    return crimes


class PoliceApi(ThreadingHTTPServer):
    """The police routes, with faults a test can queue. ``base`` is the API address to give."""

    daemon_threads = True

    def __init__(self, months: dict[str, list[dict]]):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.months = months  # month -> crimes served for it ([] = listed but empty)
        self.listed = sorted(months)
        self.crime_limit = 10_000
        self.faults: dict[str, list[tuple]] = {}  # "route" or "route?YYYY-MM" -> one-shot faults, in order
        self.delay = 0.0  # seconds before answering each crimes query
        self.log: list[tuple] = []  # (route, month, monotonic time, status)
        self.served: dict[str, dict[int, dict]] = {}  # month -> crimes actually sent, by id
        self.lock = threading.Lock()
        self._points = {m: (shapely.points([float(c["location"]["longitude"]) for c in cs if c.get("location")],
                                            [float(c["location"]["latitude"]) for c in cs if c.get("location")]),
                            [c for c in cs if c.get("location")])
                        for m, cs in months.items()}
        self._no_location = {m: [c for c in cs if not c.get("location")] for m, cs in months.items()}

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/api"

    def calls(self, route: str) -> list[tuple]:
        return [entry for entry in self.log if entry[0] == route]

    def __enter__(self):
        threading.Thread(target=self.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.shutdown()
        self.server_close()


class _Handler(JsonHandler):
    server: PoliceApi

    def do_GET(self):
        self._answer(urllib.parse.urlsplit(self.path).query)

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        self._answer(self.rfile.read(length).decode("ascii"))

    def _answer(self, query: str):
        server = self.server
        params = {k: v[0] for k, v in urllib.parse.parse_qs(query, keep_blank_values=True).items()}
        route = urllib.parse.urlsplit(self.path).path.removeprefix("/api/")
        with server.lock:
            queued = server.faults.get(f"{route}?{params.get('date')}") or server.faults.get(route) or []
            fault = queued.pop(0) if queued else None
        if fault:
            server.log.append((route, params.get("date"), time.monotonic(), fault[0]))
            return self._send(fault[0], b'{"error": "recorded fault"}', fault[1] if len(fault) > 1 else {})
        if route == "crimes-street-dates":
            body = [{"date": m, "stop-and-search": [FORCE]} for m in reversed(server.listed)]
        elif route == "crime-last-updated":
            body = {"date": f"{server.listed[-1]}-01"}
        elif route == "crimes-street/all-crime":
            if server.delay:
                time.sleep(server.delay)
            body = self._crimes(params)
            if body is None:
                server.log.append((route, params.get("date"), time.monotonic(), 503))
                return self._send(503, b"")
        else:
            return self._send(404, b"")
        server.log.append((route, params.get("date"), time.monotonic(), 200))
        self._send(200, json.dumps(body).encode())

    def _crimes(self, params: dict) -> list[dict] | None:
        server = self.server
        month = params.get("date")
        if month not in server.months:
            return []
        points, located = server._points[month]
        pairs = [tuple(map(float, pair.split(","))) for pair in params["poly"].split(":")]
        polygon = shapely.Polygon([(lng, lat) for lat, lng in pairs])
        inside = shapely.intersects(polygon, points) if len(located) else []
        found = [crime for crime, hit in zip(located, list(inside)) if hit]
        if len(found) > server.crime_limit:
            return None
        found += server._no_location[month]  # the API sends such crimes with location null
        with server.lock:
            server.served.setdefault(month, {}).update({c["id"]: c for c in found})
        return found
