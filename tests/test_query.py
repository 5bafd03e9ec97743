"""The counts query and its CLI, checked against the raw files."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path
from collections import Counter

import pytest

from areaprofile import query
from areaprofile.cli import main
from areaprofile.config import ASB, CRIME_TYPES
from tests.banes import AREAS
from tests import rawdata


def _cli(capsys, *args) -> str:
    assert main(list(args)) == 0
    return capsys.readouterr().out


def test_csv_header_is_exactly_the_columns_plus_count(built_store, capsys):
    out = _cli(capsys, "counts", "--by", "area,month,crime_type", "--store", str(built_store))
    header = out.splitlines()[0]
    assert header == "area,month,crime_type,count"


def test_counts_by_crime_type_match_the_raw_rows_for_a_month(built_store, data_dir, capsys):
    month = "2019-07"
    raw = Counter(r["Crime type"] for r in rawdata.la_rows(data_dir / f"police_uk/avon-and-somerset/{month}/{month}-avon-and-somerset-street.csv.gz"))
    out = _cli(capsys, "counts", "--by", "crime_type", "--from", month, "--to", month, "--store", str(built_store))
    got = {row["crime_type"]: int(row["count"]) for row in csv.DictReader(io.StringIO(out))}
    assert got == dict(raw)
    assert set(got) <= set(CRIME_TYPES) and ASB in got


def test_json_and_area_filter_agree_with_csv(built_store, capsys):
    rows = json.loads(_cli(capsys, "counts", "--by", "area,crime_type", "--format", "json", "--store", str(built_store),
                           "--from", "2020-10", "--to", "2021-09", "--crime-type", "Burglary"))
    assert {r["area"] for r in rows} == set(AREAS)
    keynsham = json.loads(_cli(capsys, "counts", "--by", "month", "--format", "json", "--store", str(built_store),
                               "--from", "2020-10", "--to", "2021-09", "--crime-type", "Burglary", "--area", "Keynsham"))
    assert sum(r["count"] for r in keynsham) == next(r["count"] for r in rows if r["area"] == "Keynsham")
    assert len(keynsham) <= 12


def test_all_crime_excludes_asb_and_groups_add_up(built_store):
    store = query.open_store(built_store)
    everything = query.total(store)
    asb = query.total(store, crime_types=[ASB])
    crime = query.total(store, crime_types="all-crime")
    assert everything == asb + crime and asb > 0 and crime > 0
    by_lsoa = query.counts(store, "lsoa")
    by_ward = query.counts(store, ["ward"])
    assert by_lsoa["count"].sum() == by_ward["count"].sum() == everything
    assert len(by_lsoa) <= 118 and by_lsoa["lsoa"].str.match(r"^E0\d{7}$").all()


def test_store_reopens_after_a_rebuild(store_copy, data_dir):
    first = query.open_store(store_copy)
    again = query.open_store(store_copy)
    assert first is again
    from areaprofile.store import build

    build([data_dir / "police_uk" / "avon-and-somerset" / "2021-09"], store_copy)
    assert query.open_store(store_copy).version != first.version


def test_python_dash_m_runs_the_cli(built_store):
    result = subprocess.run(
        [sys.executable, "-m", "areaprofile", "counts", "--by", "area", "--store", str(built_store)],
        capture_output=True, text=True, check=True,
    )
    lines = result.stdout.splitlines()
    assert lines[0] == "area,count" and [line.split(",")[0] for line in lines[1:]] == list(AREAS)


def test_a_store_connection_gives_back_query_memory_when_idle(built_store):
    # The served store's DuckDB purges what finished queries used on a background thread (issue 12).
    con = query.connect_fresh(built_store)
    try:
        assert con.execute("SELECT current_setting('allocator_background_threads')").fetchone()[0] is True
    finally:
        con.close()


def test_one_connection_per_store_file_however_its_path_is_written(built_store, tmp_path, monkeypatch):
    # open_store runs several times in every page run; the file's real path names its connection.
    link = tmp_path / "linked.duckdb"
    link.symlink_to(built_store)
    monkeypatch.chdir(Path(built_store).parent)
    absolute = query.open_store(built_store)
    assert query.open_store(Path(built_store).name) is absolute
    assert query.open_store(link) is absolute
    assert query.open_store(str(link)) is absolute


def test_a_page_runs_open_store_without_resolving_the_path_again(built_store, monkeypatch):
    # Each lstat lets the server's other thread take Python's lock while a page is being sent.
    query.open_store(built_store)
    lstats = []
    real_lstat = os.lstat
    monkeypatch.setattr(os, "lstat", lambda *args, **kwargs: lstats.append(args) or real_lstat(*args, **kwargs))
    query.open_store(built_store)
    assert lstats == []
