"""Police neighbourhood priorities from the data.police.uk API, kept as a dated snapshot.

``areaprofile priorities fetch`` reads, for one force,

* ``/api/{force}/neighbourhoods``: ``[{"id", "name"}]`` (ids may hold spaces);
* ``/api/{force}/{id}/boundary``: ``[{"latitude": "51.3", "longitude": "-2.3"}, ...]``;
* ``/api/{force}/{id}/priorities``: ``[{"issue": "<p>html</p>", "issue-date": "...", "action":
  html | null, "action-date": ... | null}]`` (no id, status or category),

turns the HTML into plain text with nh3 (a maintained sanitiser; scripts and their content are
dropped), places each neighbourhood in the forum areas it overlaps (by area, in EPSG:27700), and
writes one JSON file per day below ``<store folder>/police_priorities/`` (atomically). The register
never calls the API: it reads the latest snapshot (:func:`latest_snapshot`).

HTTP goes through the retrying client of :mod:`areaprofile.sources.download` (backoff on 429/5xx).
The API is published under the Open Government Licence; the force website's pages are not
republished.
"""

from __future__ import annotations

import html
import json
import re
import urllib.parse
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import nh3
import shapely
from shapely.geometry import Polygon

from areaprofile.errors import AreaprofileError
from areaprofile.sources.download import POLICE_API, HttpClient, Progress, _base, _write_atomic

__all__ = ["SNAPSHOT_FOLDER", "assign_areas", "fetch_priorities", "html_to_text", "latest_snapshot", "snapshot_folder", "write_snapshot"]

#: Below the store's folder: one ``{force}-{YYYY-MM-DD}.json`` per fetch day.
SNAPSHOT_FOLDER = "police_priorities"
#: A neighbourhood counts for an area when at least this share of it lies inside the area.
MIN_SHARE = 0.02
#: Longest text kept from one priority field (the API's are a few hundred characters).
MAX_TEXT = 4000

_BLOCK_END = re.compile(r"(</(p|div|li|h[1-6]|tr)\s*>|<br\s*/?>)", re.IGNORECASE)
_SPACES = re.compile(r"[ \t\r\f\v\u00a0]+")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def html_to_text(value: Any) -> str | None:
    """The API's HTML as plain text: tags and scripts gone, entities decoded, one line per paragraph.

    ``None`` or an empty field stays ``None``. The result is text to be escaped where it is shown,
    never markup."""
    if value is None:
        return None
    raw = _BLOCK_END.sub(lambda m: m.group(0) + "\n", str(value))
    cleaned = html.unescape(nh3.clean(raw, tags=set()))
    cleaned = _CONTROL.sub("", cleaned)
    lines = [_SPACES.sub(" ", line).strip() for line in cleaned.split("\n")]
    text = "\n".join(line for line in lines if line)
    if len(text) > MAX_TEXT:
        text = text[: MAX_TEXT - 1].rstrip() + "…"
    return text or None


def _date(value: Any) -> str | None:
    """``"2015-10-08T00:00:00"`` -> ``"2015-10-08"``; anything else unreadable -> None."""
    if not value:
        return None
    try:
        return datetime.fromisoformat(str(value).strip().replace("Z", "+00:00")).date().isoformat()
    except ValueError:
        return None


def _polygon(points: Any) -> Polygon | None:
    """The boundary answer as a polygon in EPSG:27700, or None when it has too few usable points."""
    coords = []
    for point in points or []:
        try:
            coords.append((float(point["longitude"]), float(point["latitude"])))
        except (KeyError, TypeError, ValueError):
            continue
    if len(coords) < 3:
        return None
    from pyproj import Transformer  # here, not at the top: the Manage concerns page reads snapshots only

    to_bng = Transformer.from_crs(4326, 27700, always_xy=True)
    xs, ys = to_bng.transform([c[0] for c in coords], [c[1] for c in coords])
    polygon = shapely.make_valid(Polygon(zip(xs, ys)))
    return polygon if polygon.area > 0 else None


def assign_areas(boundary: Any, area_shapes: dict[str, Any]) -> list[dict]:
    """The forum areas a neighbourhood overlaps, largest share first: ``[{"area", "share"}]``.

    ``boundary`` is the API's list of lat/lng strings; ``area_shapes`` maps each forum area to its
    polygon in EPSG:27700 (see :func:`areaprofile.query.area_shapes`). ``share`` is the part of the
    neighbourhood inside the area (0-1); shares under :data:`MIN_SHARE` are dropped as edge noise."""
    polygon = _polygon(boundary)
    if polygon is None:
        return []
    out = []
    for name, shape in area_shapes.items():
        share = polygon.intersection(shape).area / polygon.area
        if share >= MIN_SHARE:
            out.append({"area": name, "share": round(share, 3)})
    return sorted(out, key=lambda a: -a["share"])


def _priority(record: Any) -> dict | None:
    if not isinstance(record, dict):
        return None
    issue = html_to_text(record.get("issue"))
    if not issue:
        return None
    return {
        "issue": issue,
        "issue_date": _date(record.get("issue-date")),
        "action": html_to_text(record.get("action")),
        "action_date": _date(record.get("action-date")),
    }


def fetch_priorities(
    area_shapes: dict[str, Any],
    *,
    force: str | None = None,
    base_url: str | None = None,
    attempts: int = 4,
    backoff: float = 2.0,
    timeout: float = 60.0,
    progress: Progress = lambda message: None,
) -> dict:
    """Every neighbourhood of ``force`` (default: the partnership's first force) with its areas and
    priorities, as a snapshot dict.

    Only neighbourhoods that overlap a forum area keep their priorities (the others are listed
    by id and name, so a reader can see nothing was missed). The base URL comes from
    ``base_url``, else ``AREAPROFILE_POLICE_API``, else data.police.uk."""
    if force is None:
        from areaprofile import partnership

        force = partnership.default().force.id
    base = _base(base_url, "AREAPROFILE_POLICE_API", POLICE_API)
    http = HttpClient(timeout=timeout, attempts=attempts, backoff=backoff, progress=progress)
    force_path = f"{base}/{urllib.parse.quote(force, safe='')}"
    listed = http.get_json(f"{force_path}/neighbourhoods", None, label=f"the {force} neighbourhoods")
    if not isinstance(listed, list):
        raise AreaprofileError(f"The {force} neighbourhood list is not a list; the API may have changed.")
    neighbourhoods, elsewhere = [], []
    for item in listed:
        if not isinstance(item, dict) or not item.get("id"):
            continue
        hood_id, name = str(item["id"]), html_to_text(item.get("name")) or str(item["id"])
        path = f"{force_path}/{urllib.parse.quote(hood_id, safe='')}"
        boundary = http.get_json(f"{path}/boundary", None, label=f"the boundary of {name}")
        areas = assign_areas(boundary if isinstance(boundary, list) else [], area_shapes)
        if not areas:
            elsewhere.append({"id": hood_id, "name": name})
            continue
        answer = http.get_json(f"{path}/priorities", None, label=f"the priorities of {name}")
        priorities = [p for p in (_priority(r) for r in (answer if isinstance(answer, list) else [])) if p]
        progress(f"{name}: {len(priorities)} priorities; in {', '.join(a['area'] for a in areas)}")
        neighbourhoods.append({"id": hood_id, "name": name, "areas": areas, "priorities": priorities})
    return {
        "force": force,
        "fetched_at": datetime.now(timezone.utc).replace(microsecond=0).isoformat(),
        "source": f"{base}/{force}",
        "licence": "Contains public sector information licensed under the Open Government Licence v3.0 (data.police.uk).",
        "requests": http.requests,
        "neighbourhoods": neighbourhoods,
        "outside_the_areas": elsewhere,
    }


def snapshot_folder(store_path: str | Path) -> Path:
    """Where the snapshots of the store at ``store_path`` live (beside it, untouched by rebuilds)."""
    return Path(store_path).resolve().parent / SNAPSHOT_FOLDER


def write_snapshot(snapshot: dict, folder: str | Path) -> Path:
    """Write ``snapshot`` as ``{force}-{day}.json`` (a second fetch the same day replaces it)."""
    day = snapshot["fetched_at"][:10]
    path = Path(folder) / f"{snapshot['force']}-{day}.json"
    _write_atomic(path, json.dumps(snapshot, ensure_ascii=False, indent=1).encode("utf-8"))
    return path


def latest_snapshot(folder: str | Path, force: str | None = None) -> dict | None:
    """The newest readable snapshot (for ``force``, or any force) in ``folder``, or None when there is none."""
    paths = Path(folder).glob(f"{force}-????-??-??.json" if force else "*-????-??-??.json")
    for path in sorted(paths, key=lambda p: (p.name[-15:], p.name), reverse=True):
        try:
            snapshot = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(snapshot, dict) and isinstance(snapshot.get("neighbourhoods"), list):
            return snapshot
    return None
