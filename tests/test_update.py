"""`areaprofile update` against data.police.uk played on 127.0.0.1 from the real street rows.

The store is the real one built without its last two months (2021-08, 2021-09); the API lists
2021-06 to 2021-09, so an update must fetch exactly those two, place them, and land them in
one atomic build. Counts are checked against an independent recount of what was served.
"""

from __future__ import annotations

import hashlib
from datetime import date
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
import shapely
from shapely.geometry import shape

from areaprofile import profile, query, update, update_log
from areaprofile.cli import main
from areaprofile.config import CRIME_TYPE_BY_SLUG
from areaprofile.errors import AreaprofileError
from areaprofile.query import connect_fresh
from tests.police_api import PoliceApi, api_crimes, street_rows
from tests.stores import copy_store, leftovers, store_without

NEW = ["2021-08", "2021-09"]
LISTED = ["2021-06", "2021-07", *NEW]
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def served(data_dir) -> dict[str, list[dict]]:
    """Each listed month in the API's shapes, plus one location-less crime in 2021-09."""
    months = {m: api_crimes(street_rows(data_dir, m), first_id=10_000_000 * (i + 1)) for i, m in enumerate(LISTED)}
    lost = dict(months["2021-09"][0], id=1, location=None, persistent_id="no-location")
    months["2021-09"] = [*months["2021-09"], lost]
    return months


@pytest.fixture(scope="module")
def lsoa21(data_dir):
    """The shared LSOA 2021 polygons, read here with shapely alone (not the package)."""
    features = json.loads((data_dir / "boundaries" / "lsoa21" / "E06000022_lsoa21_bgc.geojson").read_text())["features"]
    features.sort(key=lambda f: f["properties"]["LSOA21CD"])
    return [f["properties"]["LSOA21CD"] for f in features], [shape(f["geometry"]) for f in features]


@pytest.fixture
def store(data_dir, tmp_path) -> Path:
    return copy_store(store_without(data_dir, *NEW), tmp_path / "store")


@pytest.fixture
def api(served):
    with PoliceApi({m: list(c) for m, c in served.items()}) as server:
        yield server


def _run(store: Path, api: PoliceApi, **kwargs) -> update.RunResult:
    return update.run(store, police_api=api.base, backoff=0.01, progress=lambda _m: None, **kwargs)


def _months(store: Path) -> list[str]:
    con = connect_fresh(store)
    try:
        return [r[0] for r in con.execute("SELECT DISTINCT month FROM files ORDER BY month").fetchall()]
    finally:
        con.close()


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _recount(api: PoliceApi, month: str, lsoa21, lsoa_area: dict) -> tuple[Counter, Counter]:
    """What was served for ``month`` and lies in the authority: by crime type and by area."""
    codes, polygons = lsoa21
    by_type, by_area = Counter(), Counter()
    for crime in api.served[month].values():
        if crime["location_type"] == "BTP" or not crime.get("location"):
            continue
        point = shapely.Point(float(crime["location"]["longitude"]), float(crime["location"]["latitude"]))
        code = next((c for c, p in zip(codes, polygons) if p.intersects(point)), None)
        if code is None:
            continue
        by_type[CRIME_TYPE_BY_SLUG[crime["category"]]] += 1
        by_area[lsoa_area[code]] += 1
    return by_type, by_area


def test_update_adds_exactly_the_new_months_and_a_second_run_adds_nothing(store, api, lsoa21, capsys):
    before = _months(store)
    assert before[-1] == "2021-07"
    never = update_log.freshness(query.open_store(store))
    assert never.last_checked is None and "No automatic update has run yet" in " ".join(never.sentences())
    assert never.next_month == "2021-08" and profile.data_correct_as_of(query.open_store(store)).startswith("police.uk data to Jul 2021; store built")

    result = _run(store, api)

    assert result.status == "updated" and result.exit_code == 0
    assert result.record["added"] == NEW == result.record["asked"]
    assert sorted({call[1] for call in api.calls("crimes-street/all-crime")}) == NEW  # held months never asked
    assert _months(store) == before + NEW
    assert result.record["months"]["2021-09"]["without_location"] == 1  # counted, not fatal
    assert any("no location" in w for w in result.record["warnings"])

    con = connect_fresh(store)
    try:
        lsoa_area = dict(con.execute("SELECT code, area FROM lsoa").fetchall())
        for month in NEW:
            by_type = Counter(dict(con.execute("SELECT crime_type, count(*) FROM crimes WHERE month = ? GROUP BY 1", [month]).fetchall()))
            by_area = Counter(dict(con.execute("SELECT area, count(*) FROM crimes WHERE month = ? GROUP BY 1", [month]).fetchall()))
            expected_type, expected_area = _recount(api, month, lsoa21, lsoa_area)
            assert sum(by_type.values()) > 900
            assert by_type == expected_type and by_area == expected_area, month
            # The run log's checksum is the one the build recorded for the file it read.
            stored = con.execute("SELECT sha256, rows_kept FROM files WHERE month = ?", [month]).fetchall()[0]
            assert stored == (result.record["months"][month]["sha256"], result.record["months"][month]["rows"])
        asb_ids = con.execute("SELECT count(*) FROM crimes WHERE month = '2021-09' AND crime_type = 'Anti-social behaviour' AND crime_id <> ''").fetchall()[0][0]
        assert asb_ids == 0  # ASB arrives with an empty persistent_id and stays blank
    finally:
        con.close()

    # Second run: nothing new, the store untouched, the check still recorded.
    digest, stat = _digest(store), store.stat()
    api.log.clear()
    assert main(["update", "--store", str(store), "--base-url", api.base, "--quiet"]) == 0
    assert "Nothing new" in capsys.readouterr().out
    assert (_digest(store), store.stat().st_mtime_ns, store.stat().st_ino) == (digest, stat.st_mtime_ns, stat.st_ino)
    assert [call[0] for call in api.log] == ["crimes-street-dates", "crime-last-updated"]
    history = update_log.runs(store)
    assert [r["status"] for r in history] == ["updated", "nothing new"]
    assert history[0]["added"] == NEW and history[1]["asked"] == []

    # What the Data & sources page and the pack's 'data correct as of' say, from the same facts.
    opened = query.open_store(store)
    facts = update_log.freshness(opened)
    assert facts.last_month == "2021-09" and facts.latest_published == "2021-09"
    assert facts.last_checked == history[1]["started"] and facts.last_added == history[0]["finished"]
    assert facts.last_added_months == NEW
    assert facts.next_month == "2021-10" and facts.next_expected_by == date(2021, 12, 31)
    assert profile.data_correct_as_of(opened) == facts.as_of()
    assert facts.as_of().startswith("police.uk data to Sep 2021, the latest published when checked on ")
    assert list(facts.runs_table()["Outcome"]) == ["nothing new", "updated"]  # newest first
    months = facts.month_table()  # from the last run that fetched anything
    assert list(months["Month"]) == ["Aug 2021", "Sep 2021"] and list(months["Result"]) == ["added", "added"]
    assert list(months["SHA-256 (first 16)"]) == [history[0]["months"][m]["sha256"][:16] for m in NEW]


def test_an_empty_month_is_skipped_and_fetched_when_it_arrives(store, api, served):
    api.months["2021-08"] = []
    api._points["2021-08"] = (shapely.points([], []), [])
    api._no_location["2021-08"] = []

    result = _run(store, api)

    assert result.exit_code == 0 and result.record["added"] == ["2021-09"]
    assert result.record["skipped"] == {"2021-08": "police.uk lists 2021-08 but returned no rows; skipped, will retry"}
    assert "police.uk lists 2021-08 but returned no rows; skipped, will retry" in result.message
    assert "2021-08" not in _months(store) and "2021-09" in _months(store)

    api.months["2021-08"] = list(served["2021-08"])
    api._points["2021-08"] = (shapely.points([float(c["location"]["longitude"]) for c in served["2021-08"]],
                                             [float(c["location"]["latitude"]) for c in served["2021-08"]]), served["2021-08"])
    again = _run(store, api)
    assert again.record["asked"] == ["2021-08"] and again.record["added"] == ["2021-08"]
    assert _months(store)[-2:] == NEW


def test_429_and_503_are_retried_with_backoff_and_a_failed_month_waits_for_next_time(store, api, monkeypatch):
    monkeypatch.setenv("AREAPROFILE_HTTP_BACKOFF", "0.2")  # the setting a test shortens; 2 s by default
    api.faults["crimes-street-dates"] = [(503,), (429, {"Retry-After": "0.3"})]
    api.faults["crimes-street/all-crime?2021-08"] = [(429,)]  # once
    api.faults["crimes-street/all-crime?2021-09"] = [(500,)] * 5  # on every attempt

    result = update.run(store, police_api=api.base, progress=lambda _m: None)

    dates = api.calls("crimes-street-dates")
    assert [c[3] for c in dates] == [503, 429, 200]
    assert dates[1][2] - dates[0][2] >= 0.2 and dates[2][2] - dates[1][2] >= 0.3
    crimes = api.calls("crimes-street/all-crime")
    assert [c[3] for c in crimes[:2]] == [429, 200] and crimes[1][2] - crimes[0][2] >= 0.2
    assert result.status == "partial" and result.exit_code == 3
    assert result.record["added"] == ["2021-08"] and list(result.record["failed"]) == ["2021-09"]
    assert "will retry next run" in result.message and "HTTP 500" in result.message
    assert _months(store)[-1] == "2021-08"

    # Next run: the failed month lands; a held month asked for again replaces the stored one.
    before_0707 = _months(store).count("2021-07")
    again = _run(store, api, refetch="2021-07")
    assert again.record["added"] == ["2021-09"] and again.record["replaced"] == ["2021-07"]
    assert "fetched 2021-07 again and replaced the stored rows" in again.message
    assert _months(store).count("2021-07") == before_0707 == 1
    con = connect_fresh(store)
    try:
        label = con.execute("SELECT label FROM files WHERE month = '2021-07'").fetchall()[0][0]
    finally:
        con.close()
    assert ".updates/downloads/" in label  # the store now holds the file just fetched
    with pytest.raises(AreaprofileError, match="does not publish 2020-01"):
        _run(store, api, refetch="2020-01")


def test_a_failure_that_lands_nothing_is_one_sentence_and_changes_nothing(store, api, capsys, monkeypatch):
    monkeypatch.setenv("AREAPROFILE_HTTP_BACKOFF", "0.01")
    digest = _digest(store)
    api.faults["crimes-street-dates"] = [(503,)] * 5
    code = main(["update", "--store", str(store), "--base-url", api.base])
    err = capsys.readouterr().err.strip()
    assert code == 2 and err.count("\n") == 0 and "HTTP 503" in err and "try again later" in err
    assert _digest(store) == digest
    assert update_log.runs(store)[-1]["status"] == "failed"


def _cli(store: Path, api: PoliceApi) -> subprocess.Popen:
    env = {**os.environ, "AREAPROFILE_HTTP_BACKOFF": "0.01", "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-m", "areaprofile", "update", "--store", str(store), "--base-url", api.base],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )


def _wait_for(condition, process: subprocess.Popen, seconds: float = 60.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and process.poll() is None:
        if condition():
            return True
        time.sleep(0.002)
    return False


def test_sigkill_leaves_the_old_or_the_complete_new_store_and_updates_never_overlap(store, api):
    old_months, digest = _months(store), _digest(store)

    # Killed while downloading: the store is exactly as it was. Meanwhile a second update is refused.
    api.delay = 0.5
    first = _cli(store, api)
    assert _wait_for(lambda: len(api.log) >= 2, first)  # it holds the lock once it has asked police.uk
    with pytest.raises(AreaprofileError, match="Another update .* is running"):
        _run(store, api)
    first.send_signal(signal.SIGKILL)
    first.wait()
    assert _digest(store) == digest

    # Killed while the build writes its new store beside the old one.
    api.delay = 0.0
    second = _cli(store, api)
    caught = _wait_for(lambda: bool(leftovers(store)), second)
    second.send_signal(signal.SIGKILL)
    second.wait()
    assert caught, "the update finished before the build's temporary store was seen"
    assert _months(store) in (old_months, old_months + NEW)

    # The next run cleans up and lands the months.
    result = _run(store, api)
    assert _months(store) == old_months + NEW and not leftovers(store)
    assert result.record["added"] in (NEW, [])
