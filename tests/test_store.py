"""The store against the raw files: every B&NES row kept, placed, and logged."""

from __future__ import annotations

import gzip
import os
import shutil
import zipfile
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from tests.banes import AREAS
from areaprofile.errors import AreaprofileError
from areaprofile.store import build
from tests import rawdata


def _sql(store: Path, query: str) -> pd.DataFrame:
    con = duckdb.connect(str(store), read_only=True)
    try:
        return con.execute(query).df()
    finally:
        con.close()


def test_rows_per_month_equal_raw_la_rows(built_store, data_dir):
    expected = rawdata.la_rows_per_month(data_dir)
    got = _sql(built_store, "SELECT month, COUNT(*) AS n FROM crimes GROUP BY month")
    assert dict(zip(got["month"], got["n"])) == dict(expected)
    assert len(expected) == 46


def test_every_row_has_lsoa_ward_and_area(built_store):
    missing = _sql(built_store, "SELECT COUNT(*) AS n FROM crimes WHERE lsoa IS NULL OR ward IS NULL OR area IS NULL")
    assert missing["n"][0] == 0
    areas = _sql(built_store, "SELECT DISTINCT area FROM crimes ORDER BY area")["area"].tolist()
    assert areas == sorted(AREAS)


def test_areas_cover_all_residents_once(built_store, data_dir):
    areas = _sql(built_store, "SELECT name, population, lsoa_count FROM areas")
    census = pd.read_csv(next((data_dir / "population" / "census2021").glob("*.csv")))
    assert areas["population"].sum() == census["usual_residents"].sum()
    assert areas["lsoa_count"].sum() == 118


def test_areas_agree_with_the_published_derived_lookup(built_store, data_dir):
    """Our parish-centre rule reproduces the shared LSOA->forum lookup for all 118 LSOAs."""
    lookup = pd.read_csv(data_dir / "lookups" / "derived" / "banes_lsoa21_to_forum_DERIVED.csv")
    expected = dict(zip(lookup["LSOA21CD"], lookup["forum"].replace({"Bath City": "Bath"})))
    ours = _sql(built_store, "SELECT code, area FROM lsoa")
    assert dict(zip(ours["code"], ours["area"])) == expected


def test_build_log_records_files_and_quality(built_store, data_dir):
    files = _sql(built_store, "SELECT * FROM files ORDER BY month")
    assert len(files) == 46
    one = files[files["month"] == "2021-09"].iloc[0]
    raw = gzip.decompress((data_dir / "police_uk/avon-and-somerset/2021-09/2021-09-avon-and-somerset-street.csv.gz").read_bytes())
    import hashlib

    assert one["sha256"] == hashlib.sha256(raw).hexdigest()
    all_rows = raw.decode().count("\n") - 1
    assert one["rows_in_file"] == all_rows
    assert one["rows_kept"] + one["rows_outside_la"] == all_rows
    assert files["rows_without_location"].sum() > 0
    # Repeated Crime IDs are kept and reported, never dropped.
    repeated = _sql(
        built_store,
        "SELECT SUM(n - 1) AS r FROM (SELECT month, crime_id, COUNT(*) n FROM crimes WHERE crime_id <> '' GROUP BY ALL HAVING n > 1)",
    )["r"][0]
    assert repeated == files["repeated_crime_ids"].sum() > 0
    log = " ".join(_sql(built_store, "SELECT message FROM build_log")["message"])
    assert "repeat a Crime ID" in log and "46 months" in log


def test_2021_lsoa_codes_give_the_same_places(tmp_path, data_dir, built_store):
    """police.uk moved to 2021 LSOAs: a real month rewritten to 2021 codes lands in the same areas."""
    month = "2021-09"
    source = data_dir / f"police_uk/avon-and-somerset/{month}/{month}-avon-and-somerset-street.csv.gz"
    lookup = pd.read_csv(data_dir / "lookups/derived/banes_lsoa11_to_lsoa21_area_overlay_DERIVED.csv")
    best = dict(zip(lookup.loc[lookup["best_fit"] == 1, "LSOA11CD"], lookup.loc[lookup["best_fit"] == 1, "LSOA21CD"]))
    rows = rawdata.la_rows(source)
    changed = 0
    for row in rows:
        new = best[row["LSOA code"]]
        changed += new != row["LSOA code"]
        row["LSOA code"] = new
    assert changed > 0
    folder = tmp_path / "src"
    rawdata.write_csv(folder / month / f"{month}-avon-and-somerset-street.csv", list(rows[0].keys()), rows)
    store = tmp_path / "s.duckdb"
    shutil.copy2(built_store, store)
    build([folder], store, fresh=False)
    got = _sql(store, f"SELECT area, COUNT(*) n FROM crimes WHERE month = '{month}' GROUP BY area ORDER BY area")
    want = _sql(built_store, f"SELECT area, COUNT(*) n FROM crimes WHERE month = '{month}' GROUP BY area ORDER BY area")
    assert got.equals(want)
    codes = set(_sql(store, f"SELECT DISTINCT lsoa_code FROM crimes WHERE month = '{month}'")["lsoa_code"])
    assert codes & {"E01035205", "E01035206", "E01035207", "E01035208", "E01035209", "E01035210"}


def test_zip_download_builds_the_same_month(tmp_path, data_dir, built_store):
    month = "2020-07"
    raw = gzip.decompress((data_dir / f"police_uk/avon-and-somerset/{month}/{month}-avon-and-somerset-street.csv.gz").read_bytes())
    archive = tmp_path / "download.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(f"{month}/{month}-avon-and-somerset-street.csv", raw)
    store = tmp_path / "s.duckdb"
    shutil.copy2(built_store, store)
    report = build([archive], store)
    assert any("replaced the stored file" in m for m in report.messages)
    assert _sql(store, "SELECT COUNT(*) n FROM crimes")["n"][0] == _sql(built_store, "SELECT COUNT(*) n FROM crimes")["n"][0]


def test_one_more_month_is_added_and_a_twice_given_month_keeps_the_newer(tmp_path, data_dir):
    src = data_dir / "police_uk/avon-and-somerset"
    first = tmp_path / "first"
    for month in ("2021-07", "2021-08"):
        (first / month).mkdir(parents=True)
        shutil.copy2(src / month / f"{month}-avon-and-somerset-street.csv.gz", first / month)
    (first / "2019-09").mkdir()  # an outcomes file without its street month: read all the same
    shutil.copy2(src / "2019-09/2019-09-avon-and-somerset-outcomes.csv.gz", first / "2019-09")
    shutil.copytree(data_dir / "boundaries", first / "boundaries")
    shutil.copytree(data_dir / "population", first / "population")
    store = tmp_path / "s.duckdb"
    build([first], store)
    assert _sql(store, "SELECT DISTINCT month FROM crimes ORDER BY 1")["month"].tolist() == ["2021-07", "2021-08"]
    outcomes = _sql(store, "SELECT month, count(*) n FROM outcomes GROUP BY 1")
    assert outcomes["month"].tolist() == ["2019-09"] and outcomes["n"][0] > 0

    # One more month, from a folder holding only police files: added, boundaries kept.
    more = tmp_path / "more" / "2021-09"
    more.mkdir(parents=True)
    shutil.copy2(src / "2021-09/2021-09-avon-and-somerset-street.csv.gz", more)
    report = build([tmp_path / "more"], store)
    assert _sql(store, "SELECT DISTINCT month FROM crimes ORDER BY 1")["month"].tolist() == ["2021-07", "2021-08", "2021-09"]
    assert any("Added 1 new month" in m for m in report.messages)
    assert _sql(store, "SELECT month, count(*) n FROM outcomes GROUP BY 1").equals(outcomes)  # kept from the previous store

    # The same month twice (plain and gzipped): the newer file wins, and the log says so.
    twice = tmp_path / "twice" / "2021-08"
    twice.mkdir(parents=True)
    rows = rawdata.la_rows(src / "2021-08/2021-08-avon-and-somerset-street.csv.gz")[:10]
    older = rawdata.write_csv(twice / "2021-08-avon-and-somerset-street.csv", list(rows[0].keys()), rows)
    newer = twice / "2021-08-avon-and-somerset-street.csv.gz"
    shutil.copy2(src / "2021-08/2021-08-avon-and-somerset-street.csv.gz", newer)
    os.utime(older, (1_600_000_000, 1_600_000_000))
    os.utime(newer, (1_900_000_000, 1_900_000_000))
    report = build([tmp_path / "twice"], store)
    assert any("given twice" in m and str(newer) in m for m in report.messages)
    assert _sql(store, "SELECT COUNT(*) n FROM crimes WHERE month='2021-08'")["n"][0] == len(
        rawdata.la_rows(newer)
    )


def test_a_second_build_at_once_is_refused(tmp_path, store_copy, data_dir):
    import fcntl

    lock = open(store_copy.with_name(store_copy.name + ".lock"), "a+")
    fcntl.flock(lock, fcntl.LOCK_EX)
    before = store_copy.read_bytes()
    with pytest.raises(AreaprofileError, match="another build is running"):
        build([data_dir], store_copy)
    lock.close()
    assert store_copy.read_bytes() == before


def test_files_sentence_reports_the_kept_rows(built_store, data_dir):
    from areaprofile import profile, query

    sentence = profile.files_sentence(profile.files_table(query.open_store(built_store)))
    kept = sum(rawdata.la_rows_per_month(data_dir).values())
    assert sentence.startswith(f"{kept:,} B&NES rows kept from 46 files")
