"""`areaprofile update`: the unattended refresh from data.police.uk, safe to run from a timer.

One run asks police.uk which months it publishes (``crimes-street-dates``, ``crime-last-updated``),
downloads only the months the store lacks (plus any the caller asks to fetch again), and hands
them to :func:`areaprofile.store.build`, which swaps in a complete new store or leaves the old
one untouched. A month that fails or comes back empty stays missing and is asked for again next
run; the others land. Every run is recorded in the run log beside the store
(:mod:`areaprofile.update_log`). Two updates of one store never overlap: the second stops at once.

What an update downloads: one request for the month list, one for the last-updated date, and per
new month one ``crimes-street/all-crime`` query over the authority's outline (more when police.uk
answers 503 for over 10,000 crimes and the area is split). Nothing else: the boundaries used to
place each crime in its LSOA are the store's own.
"""

from __future__ import annotations

import fcntl
import os
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import shapely
from shapely.ops import unary_union

from areaprofile import partnership, update_log
from areaprofile.errors import AreaprofileError
from areaprofile.partnership import Partnership
from areaprofile.sources.download import (
    POLICE_API,
    HttpClient,
    LsoaIndex,
    fetch_month,
    latest_month,
    parse_month_range,
    published_months,
    query_area,
)

#: Exit codes a monitor can act on.
EXIT_OK = 0  # updated, or nothing new (skipped empty months included)
EXIT_PARTIAL = 3  # some months landed, some failed and will be tried again
# A run that changes nothing because of an error exits with the CLI's error code (2).


def update_target(con) -> Partnership:
    """The partnership a store serves (the settings its build kept in the store's meta): it names
    the local authority and the police force whose months an update fetches (the first force when
    the settings list several: the API's area search returns every force's crimes in the outline)."""
    meta = dict(con.execute("SELECT key, value FROM meta").fetchall())
    if meta.get(partnership.META_KEY):
        return partnership.from_meta(meta[partnership.META_KEY])
    return partnership.load(meta.get("la_code"))


@dataclass
class RunResult:
    """What one update did; ``record`` is what the run log keeps."""

    status: str  # "updated", "nothing new", "partial", "failed"
    message: str
    record: dict = field(default_factory=dict)

    @property
    def exit_code(self) -> int:
        return EXIT_PARTIAL if self.status == "partial" else EXIT_OK


def run(
    store_path: Path,
    *,
    police_api: str | None = None,
    refetch: str | None = None,
    attempts: int | None = None,
    backoff: float | None = None,
    timeout: float = 60.0,
    build_wait_seconds: float = 600.0,
    progress=print,
) -> RunResult:
    """Bring the store up to date with what data.police.uk publishes; see the module docstring.

    ``refetch`` ("2024-01..2024-03") also fetches months already held (police.uk republishes
    its archive monthly and outcomes change; the API gives no cheap sign of which months did).
    ``attempts``/``backoff`` default to ``AREAPROFILE_HTTP_ATTEMPTS`` / ``AREAPROFILE_HTTP_BACKOFF``
    (5 and 2 s): retries of 429 and 5xx answers, the wait doubling each time.
    Raises :class:`AreaprofileError` (one sentence) when nothing could be done; the store is
    then as it was and the failure is in the run log.
    """
    store_path = Path(store_path)
    if not store_path.exists():
        raise AreaprofileError(
            f"No store at {store_path}; build it once with `areaprofile build --source DIR`, then `update` keeps it current."
        )
    refetch_months = parse_month_range(refetch) if refetch else []
    police = (police_api or os.environ.get("AREAPROFILE_POLICE_API") or POLICE_API).rstrip("/")
    http = HttpClient(
        timeout=timeout,
        attempts=attempts if attempts is not None else int(os.environ.get("AREAPROFILE_HTTP_ATTEMPTS", "5")),
        backoff=backoff if backoff is not None else float(os.environ.get("AREAPROFILE_HTTP_BACKOFF", "2")),
        progress=progress,
    )
    with _update_lock(store_path):
        started = datetime.now(timezone.utc)
        clock = time.perf_counter()
        record: dict = {"started": started.isoformat(timespec="seconds"), "store": str(store_path), "police_api": police}
        try:
            result = _run_locked(store_path, police, http, refetch_months, build_wait_seconds, record, progress)
        except AreaprofileError as exc:
            record.update(status="failed", message=exc.message)
            raise
        finally:
            record.setdefault("status", "failed")
            record.setdefault("message", "The update stopped unexpectedly; nothing was changed.")
            record["finished"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
            record["seconds"] = round(time.perf_counter() - clock, 2)
            record["requests"] = http.requests
            update_log.append_run(store_path, record)
        return result


def _run_locked(store_path, police, http, refetch_months, build_wait_seconds, record, progress) -> RunResult:
    from areaprofile.query import connect_fresh
    from areaprofile.store import build

    con = connect_fresh(store_path)
    try:
        target = update_target(con)
        held = sorted(r[0] for r in con.execute("SELECT DISTINCT month FROM files WHERE force = ?", [target.force.id]).fetchall())
        lsoas, outline = _store_lsoas(con)
    finally:
        con.close()
    record.update(la_code=target.la_code, force=target.force.id, held_before=[held[0], held[-1]] if held else [])

    progress(f"Asking {police} which months it publishes ...")
    published = published_months(http, police)
    record["latest_published"] = published[-1] if published else None
    record["last_updated"] = latest_month(http, police)
    record["warnings"] = []
    if published and record["last_updated"] and record["last_updated"] != published[-1]:
        record["warnings"].append(
            f"police.uk says it last updated {record['last_updated']} but lists months up to {published[-1]}; the list was used."
        )
    since = held[0] if held else (published[0] if published else "")
    asked = sorted({m for m in published if m >= since and m not in held} | set(refetch_months))
    unlisted = [m for m in refetch_months if m not in published]
    if unlisted:
        raise AreaprofileError(f"police.uk does not publish {', '.join(unlisted)} through its API any more; fetch it again as a bulk file from data.police.uk.")
    record.update(asked=asked, months={}, added=[], replaced=[], skipped={}, failed={})
    if not asked:
        newest = f"; its newest month is {published[-1]}" if published else ""
        message = f"Nothing new: the store already holds every month police.uk publishes{newest}."
        record.update(status="nothing new", message=message)
        progress(message)
        return RunResult("nothing new", message, record)

    downloads = update_log.state_dir(store_path) / "downloads" / record["started"].replace(":", "")[:17]
    area = query_area(outline)
    progress(f"Fetching {len(asked)} month(s) for {target.la_name} from {police} ...")
    fetched = []
    for month in asked:
        try:
            result = fetch_month(month, area, lsoas, downloads, force=target.force, la_name=target.la_name,
                                 police_api=police, http=http, progress=progress)
        except AreaprofileError as exc:
            record["failed"][month] = exc.message
            progress(f"  {month}: {exc.message}")
            continue
        record["months"][month] = {k: v for k, v in result.as_dict().items() if k not in ("month",)}
        if result.skipped:
            record["skipped"][month] = result.skipped
        else:
            fetched.append(month)
        if result.without_location:
            record["warnings"].append(f"{month}: {result.without_location} crime(s) had no location and were left out.")

    if fetched:
        report = build([downloads], store_path, la_code=target.la_code, wait_seconds=build_wait_seconds)
        record["build"] = report.messages
        record["added"] = [m for m in fetched if m in report.months and m not in held]
        record["replaced"] = [m for m in fetched if m in report.months and m in held]
        record["rows_in_store"] = report.rows
    status, message = _outcome(record)
    record.update(status=status, message=message)
    progress(message)
    return RunResult(status, message, record)


def _outcome(record: dict) -> tuple[str, str]:
    added, replaced, skipped, failed = record["added"], record["replaced"], record["skipped"], record["failed"]
    parts = []
    if added:
        rows = sum(record["months"][m]["rows"] for m in added)
        parts.append(f"Added {', '.join(added)} ({rows:,} rows)")
    if replaced:
        parts.append(f"fetched {', '.join(replaced)} again and replaced the stored rows")
    parts.extend(skipped.values())
    if failed:
        months = ", ".join(failed)
        first = next(iter(failed.values())).rstrip(".")
        parts.append(f"{months} could not be downloaded ({first}); will retry next run")
    text = "; ".join(parts) + "."
    if failed and (added or replaced):
        return "partial", text
    if failed:
        raise AreaprofileError(text)
    return ("updated" if added or replaced else "nothing new"), text


def _store_lsoas(con) -> tuple[LsoaIndex, object]:
    """The store's LSOA 2021 polygons in lon/lat (to place each crime) and their union (to query)."""
    from pyproj import Transformer

    frame = con.execute("SELECT code, name, geom_wkb FROM lsoa ORDER BY code").fetchall()
    to_wgs = Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True)
    geoms = [
        shapely.transform(shapely.from_wkb(bytes(wkb)), lambda x, y: to_wgs.transform(x, y), interleaved=False)
        for _, _, wkb in frame
    ]
    index = LsoaIndex([r[0] for r in frame], [r[1] for r in frame], geoms)
    return index, unary_union(geoms)


@contextmanager
def _update_lock(store_path: Path):
    """One update per store at a time; a second one stops at once without changing anything."""
    folder = update_log.state_dir(store_path)
    folder.mkdir(parents=True, exist_ok=True)
    handle = open(folder / "lock", "a+")
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise AreaprofileError(f"Another update of {store_path} is running; this one stopped without changing anything.") from None
        yield
    finally:
        handle.close()
