"""Outcomes recorded in a month, from the real monthly outcomes files: the store's counts equal
an independent reading of the raw files, groups add up, the link to the crimes holds, a period
without a file says so, and the CLI gives the page's numbers."""

from __future__ import annotations

import csv
import gzip
import json
from collections import Counter

import pytest

from areaprofile import query, recorded_outcomes
from areaprofile.cli import main
from areaprofile.config import ASB
from areaprofile.periods import Period
from areaprofile.profile import Selection
from tests.banes import AREAS, LA_CODE

FILE_MONTHS = ["2017-06", "2019-07", "2019-08", "2019-09"]


@pytest.fixture(scope="module")
def raw(data_dir) -> dict:
    """The outcomes files read with the csv module alone: rows placed in an area by their LSOA code
    (2011 or 2021, from the LSOA boundary files) and the published LSOA-to-forum lookups."""
    codes: set[str] = set()
    for year in ("11", "21"):
        with open(data_dir / "boundaries" / f"lsoa{year}" / f"{LA_CODE}_lsoa{year}_bgc.geojson") as handle:
            codes |= {f["properties"][f"LSOA{year}CD"] for f in json.load(handle)["features"]}
    forum: dict[str, str] = {}
    for year in ("11", "21"):
        with open(data_dir / "lookups" / "derived" / f"banes_lsoa{year}_to_forum_DERIVED.csv", newline="") as handle:
            for row in csv.DictReader(handle):
                forum[row[f"LSOA{year}CD"]] = "Bath" if row["forum"] == "Bath City" else row["forum"]
    rows, blank, total = [], 0, 0
    for month in FILE_MONTHS:
        path = data_dir / "police_uk" / "avon-and-somerset" / month / f"{month}-avon-and-somerset-outcomes.csv.gz"
        with gzip.open(path, "rt", encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                total += 1
                blank += not row["LSOA code"].strip()
                if row["LSOA code"] in codes:
                    rows.append({**row, "area": forum[row["LSOA code"]]})
    return {"rows": rows, "blank": blank, "total": total}


@pytest.fixture(scope="module")
def store(built_store):
    return query.open_store(built_store)


def test_counts_per_area_equal_the_raw_files_and_groups_add_up(store, raw):
    for period in (Period("2017-06", "2019-09"), Period("2019-07", "2019-09")):
        for area in (None, *AREAS):
            result = recorded_outcomes.recorded_outcomes(store, Selection(area=area, period=period))
            expected = [r for r in raw["rows"] if (area is None or r["area"] == area)
                        and period.start <= r["Month"] <= period.end]
            assert result.outcomes == len(expected) > 0, (area, period)
            assert int(result.table["Outcomes"].sum()) == result.outcomes
            assert abs(result.table["Share (%)"].sum() - 100) < 0.5
            categories = " ; ".join(result.table["Categories"])  # every published type, with its count, in one group
            for outcome_type, n in Counter(r["Outcome type"] for r in expected).items():
                assert f"{outcome_type} ({n:,})" in categories, (area, outcome_type)
    result = recorded_outcomes.recorded_outcomes(store, Selection(area=None, period=Period("2017-06", "2019-09")))
    assert result.months_with_file == result.held_months == FILE_MONTHS
    assert len(result.months_without_file) == 28 - 4 and "2018-01" in result.months_without_file


def test_outcomes_link_to_the_crimes_by_crime_id(store, raw):
    crime_months = dict(store.rows("SELECT crime_id, min(month) FROM crimes WHERE crime_id <> '' GROUP BY 1")[1])
    for area in AREAS:
        result = recorded_outcomes.recorded_outcomes(store, Selection(area=area, period=Period("2019-07", "2019-09")))
        expected = Counter(crime_months[r["Crime ID"]] for r in raw["rows"]
                           if r["area"] == area and "2019-07" <= r["Month"] and r["Crime ID"] in crime_months)
        assert result.linked == sum(expected.values()) and dict(zip(result.by_crime_month["Crime month"],
                                                                    result.by_crime_month["Outcomes"])) == expected
    whole = recorded_outcomes.recorded_outcomes(store, Selection(area=None, period=Period("2017-06", "2017-06")))
    assert 0 < whole.linked < whole.outcomes  # June 2017's outcomes are mostly for crimes of months not held
    assert f"{whole.linked:,} of the {whole.outcomes:,} outcomes belong to crimes held here" in whole.link_sentence()


def test_wards_and_parishes_add_up_to_their_area(store):
    period = Period("2019-07", "2019-09")
    area = "Keynsham"
    whole = recorded_outcomes.recorded_outcomes(store, Selection(area=area, period=period)).outcomes
    for kind in ("ward", "parish"):
        names = store.sql(f"SELECT DISTINCT {kind} FROM outcomes WHERE area = ? AND {kind} IS NOT NULL", [area])[kind]
        parts = sum(recorded_outcomes.recorded_outcomes(store, Selection(area=area, period=period, **{kind: n})).outcomes
                    for n in names)
        assert parts == whole > 0, kind


def test_a_period_without_an_outcomes_file_says_so(store):
    result = recorded_outcomes.recorded_outcomes(store, Selection(area="Bath", period=Period("2020-01", "2020-12")))
    assert result.outcomes == 0 and result.months_with_file == [] and len(result.months_without_file) == 12
    assert result.sentence("Bath") == "No month of this period has an outcomes file, so no recorded outcomes can be shown."
    assert "Only 4 months have an outcomes file here (Jun 2017, Jul 2019 to Sep 2019)" in result.coverage_sentence()
    asb = recorded_outcomes.recorded_outcomes(store, Selection(area="Bath", period=Period("2019-07", "2019-09"),
                                                               crime_types=(ASB,)))
    assert asb.outcomes == 0 and asb.sentence("Bath").startswith("Anti-social behaviour has no outcomes")
    burglary = recorded_outcomes.recorded_outcomes(store, Selection(area="Bath", period=Period("2019-07", "2019-09"),
                                                                    crime_types=("Burglary",)))
    assert burglary.outcomes > 0 and "does not name the crime type" in burglary.types_note  # not narrowed by type


def test_the_build_log_counts_the_rows_no_area_can_place(built_store, store, raw):
    files = store.sql("SELECT * FROM outcome_files ORDER BY month")
    assert files["month"].tolist() == FILE_MONTHS
    assert int(files["rows_in_file"].sum()) == raw["total"] and int(files["rows_kept"].sum()) == len(raw["rows"])
    assert int(files["rows_blank_lsoa"].sum()) == raw["blank"] > 0
    log = " ".join(store.sql("SELECT message FROM build_log")["message"])
    assert f"{len(raw['rows']):,} outcomes placed in the partnership" in log
    assert f"{raw['blank']:,} outcome rows in those files have no LSOA code" in log


def test_the_cli_gives_the_package_numbers(built_store, store, capsys):
    args = ["outcomes", "--area", "Keynsham", "--parish", "Saltford", "--from", "2019-01", "--to", "2019-12",
            "--recorded", "--store", str(built_store)]
    assert main([*args, "--format", "json"]) == 0
    answer = json.loads(capsys.readouterr().out)
    expected = recorded_outcomes.recorded_outcomes(
        store, Selection(area="Keynsham", parish="Saltford", period=Period("2019-01", "2019-12")))
    assert answer["parish"] == "Saltford" and answer["outcomes"] == expected.outcomes > 0
    assert answer["groups"] == expected.as_dict()["groups"] and answer["linked_to_crimes"] == expected.linked
    assert answer["months_with_file"] == ["2019-07", "2019-08", "2019-09"]
    assert main([*args, "--format", "csv"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "group,outcomes,share_percent,categories"
    assert [int(line.split(",")[1]) for line in lines[1:8]] == expected.table["Outcomes"].tolist()
    assert f"# {expected.coverage_sentence()}" in lines


def test_another_area_scheme_shares_out_the_same_outcomes(bristol_store):
    """Bristol, by its second scheme (wards): the scheme's areas add up to the whole city's outcomes."""
    period = Period("2019-07", "2019-09")
    whole = recorded_outcomes.recorded_outcomes(query.open_store(bristol_store), Selection(area=None, period=period))
    by_ward = query.open_store(bristol_store, "wards-2016")
    per_area = dict(by_ward.rows("SELECT area, count(*) FROM outcomes WHERE month BETWEEN ? AND ? GROUP BY 1",
                                 [period.start, period.end])[1])
    assert sum(per_area.values()) == whole.outcomes > 1000 and set(per_area) <= set(query.area_names(by_ward))
    busiest = max(per_area, key=per_area.get)
    assert recorded_outcomes.recorded_outcomes(by_ward, Selection(area=busiest, period=period)).outcomes == per_area[busiest]
