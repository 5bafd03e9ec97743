"""Bristol (E06000023), the second partnership, built by `areaprofile build --la E06000023` from
the same real files as B&NES: recounted from the raw files with the csv module, every row placed,
areas, wards and LSOAs summing to the total, the known pitfalls handled (ten LSOAs renamed in
2021, four split, 2016 wards, an outline that runs into the Severn estuary), the second area
scheme answering in its own areas, and the forum-update pack rendered for a Bristol area."""

from __future__ import annotations

import csv
import json
import re
import shutil
import subprocess
from collections import Counter
from pathlib import Path

import duckdb
import pytest

from areaprofile import hotspots, partnership, query
from areaprofile.cli import main
from areaprofile.periods import Period
from areaprofile.profile import Selection
from tests import rawdata

LA_CODE = "E06000023"
COMMITTEE_AREAS = tuple(f"Area {n}" for n in range(1, 7))
RESIDENTS = 472_452  # Census 2021 TS001, Bristol's 268 LSOAs (PROVENANCE.md section 6c)


def _codes(path: Path, field: str) -> set[str]:
    return {f["properties"][field] for f in json.loads(path.read_text(encoding="utf-8"))["features"]}


@pytest.fixture(scope="module")
def lsoa_codes(data_dir) -> tuple[set[str], set[str]]:
    """Bristol's 2011 and 2021 LSOA codes, read from the boundary files with the json module."""
    return (_codes(data_dir / "boundaries/lsoa11/E06000023_lsoa11_bgc.geojson", "LSOA11CD"),
            _codes(data_dir / "boundaries/lsoa21/E06000023_lsoa21_bgc.geojson", "LSOA21CD"))


def _sql(store: Path, text: str, params=()) -> list[tuple]:
    con = duckdb.connect(str(store), read_only=True)
    try:
        return con.execute(text, list(params)).fetchall()
    finally:
        con.close()


def _counts(capsys, store: Path, by: str, *extra: str) -> list[dict]:
    capsys.readouterr()
    assert main(["counts", "--by", by, "--format", "json", "--store", str(store), *extra]) == 0
    return json.loads(capsys.readouterr().out)


def test_rows_per_month_equal_an_independent_recount(bristol_store, data_dir, lsoa_codes, capsys):
    codes11, codes21 = lsoa_codes
    assert (len(codes11), len(codes21)) == (263, 268)
    expected = rawdata.rows_per_month_in(data_dir, codes11 | codes21)
    got = {r["month"]: r["count"] for r in _counts(capsys, bristol_store, "month")}
    assert got == dict(expected) and len(got) == 46
    assert sum(got.values()) == 232_509


def test_every_row_has_an_area_and_areas_wards_lsoas_sum_to_the_total(bristol_store, capsys):
    total = _sql(bristol_store, "SELECT COUNT(*) FROM crimes")[0][0]
    unplaced = _sql(bristol_store, "SELECT COUNT(*) FROM crimes WHERE area IS NULL OR ward IS NULL OR lsoa IS NULL")
    assert unplaced[0][0] == 0
    by_area = _counts(capsys, bristol_store, "area")
    assert [r["area"] for r in by_area] == list(COMMITTEE_AREAS)
    for level, expected_groups in (("area", 6), ("ward", 34), ("lsoa", 268)):
        rows = _counts(capsys, bristol_store, level)
        assert sum(r["count"] for r in rows) == total, level
        assert len(rows) == expected_groups, level
    # The second scheme divides the same rows among the 34 wards.
    wards = _counts(capsys, bristol_store, "area", "--scheme", "wards-2016")
    assert len(wards) == 34 and sum(r["count"] for r in wards) == total


def test_areas_hold_every_resident_once_from_the_census_file(bristol_store, data_dir, lsoa_codes):
    """Residents per area sum to the TS001 figures for Bristol's LSOAs, read here with csv."""
    path = data_dir / "population/census2021/nomis_census2021_TS001_usual_residents_lsoa21_EW.csv"
    with open(path, encoding="utf-8-sig", newline="") as handle:
        census = {row[1]: int(row[2]) for row in csv.reader(handle) if len(row) == 3 and row[1] in lsoa_codes[1]}
    assert sum(census.values()) == RESIDENTS
    for scheme in ("committee-areas-2018", "wards-2016"):
        rows = _sql(bristol_store, "SELECT SUM(population), SUM(lsoa_count), COUNT(*) FROM scheme_areas WHERE scheme = ?",
                    [scheme])
        assert rows[0][:2] == (RESIDENTS, 268), scheme
    per_lsoa = dict(_sql(bristol_store, "SELECT code, population FROM lsoa"))
    assert per_lsoa == census


def test_each_ward_sits_in_the_committee_area_the_terms_of_reference_name(bristol_store):
    """Every LSOA's committee area is the area whose ward list names the LSOA's ward (one lookup,
    two schemes); and the ward placement is the ONS best-fit lookup's."""
    settings = partnership.load(LA_CODE)
    area_of_ward = {m.name: a.name for a in settings.default_scheme.areas for m in a.members}
    placed = _sql(bristol_store, """SELECT c.lsoa, c.area, w.area FROM scheme_lsoa c JOIN scheme_lsoa w
                                    ON w.lsoa = c.lsoa AND w.scheme = 'wards-2016' WHERE c.scheme = 'committee-areas-2018'""")
    assert len(placed) == 268
    assert all(area == area_of_ward[ward] for _, area, ward in placed)


def test_renamed_and_split_lsoas_are_joined_on_codes(bristol_store, data_dir):
    lookup = data_dir / "lookups/ons_LSOA11_LSOA21_LAD22_EW_exact_fit_LU.csv"
    with open(lookup, encoding="utf-8-sig", newline="") as handle:
        rows = [r for r in csv.DictReader(handle) if r["LAD22CD"] == LA_CODE]
    renamed = {r["LSOA11CD"]: r["LSOA21NM"] for r in rows if r["LSOA11CD"] == r["LSOA21CD"] and r["LSOA11NM"] != r["LSOA21NM"]}
    assert len(renamed) == 10
    names = dict(_sql(bristol_store, "SELECT code, name FROM lsoa"))
    assert all(names[code] == name for code, name in renamed.items())  # the store shows the 2021 names
    published = _sql(bristol_store, "SELECT DISTINCT lsoa_code, lsoa_name, lsoa FROM crimes WHERE lsoa_code IN ("
                     + ",".join("?" * len(renamed)) + ")", list(renamed))
    assert published and all(code == lsoa for code, _, lsoa in published)
    assert any(name != renamed[code] for code, name, _ in published)  # rows carry the 2011 names
    splits = Counter(r["LSOA11CD"] for r in rows if r["CHGIND"] == "S")
    assert splits == {"E01014540": 3, "E01014542": 2, "E01033345": 2, "E01033355": 2}
    children = {code: {c for (c,) in _sql(bristol_store, "SELECT lsoa21 FROM lsoa11_to_21 WHERE lsoa11 = ?", [code])}
                for code in splits}
    assert {code: len(found) for code, found in children.items()} == dict(splits)
    for code, found in children.items():  # rows published on a split 2011 LSOA land in one of its parts
        placed = {lsoa for (lsoa,) in _sql(bristol_store, "SELECT DISTINCT lsoa FROM crimes WHERE lsoa_code = ?", [code])}
        assert placed and placed <= found, code


def test_land_is_the_lsoas_not_the_outline_in_the_estuary(bristol_store, data_dir):
    import geopandas as gpd

    outline = gpd.read_file(data_dir / "boundaries/la/bristol_os_boundary.geojson").to_crs("EPSG:27700").area.sum() / 1e6
    land = _sql(bristol_store, "SELECT SUM(area_km2) FROM areas")[0][0]
    assert 105 < land < 115 and outline > 2 * land  # ~110 km² of land, the outline twice that
    grid = hotspots.grid(query.open_store(bristol_store))
    assert abs(grid.total_km2 - land) < 0.5


def test_a_store_is_one_partnership(bristol_store, data_dir, tmp_path, capsys):
    store = query.open_store(bristol_store)
    settings = partnership.of_store(store)
    assert (settings.la_code, settings.short_name, settings.area_names) == (LA_CODE, "Bristol", COMMITTEE_AREAS)
    assert query.area_names(query.open_store(bristol_store, "wards-2016"))[:2] == ("Ashley", "Avonmouth and Lawrence Weston")
    copy = tmp_path / "bristol.duckdb"
    shutil.copy2(bristol_store, copy)
    before = copy.read_bytes()
    capsys.readouterr()
    assert main(["build", "--source", str(data_dir), "--la", "E06000022", "--store", str(copy)]) == 2
    error = capsys.readouterr().err.strip()
    assert error == f"areaprofile: {copy} holds E06000023, not E06000022; give another --store, or --fresh to replace it."
    assert copy.read_bytes() == before
    assert main(["counts", "--by", "area", "--store", str(copy), "--area", "Keynsham"]) == 2
    assert "Unknown area 'Keynsham'; use one of: Area 1, Area 2" in capsys.readouterr().err
    assert main(["counts", "--by", "area", "--store", str(copy), "--scheme", "forums-2018"]) == 2
    assert "Unknown area scheme 'forums-2018'; Bristol has committee-areas-2018, wards-2016." in capsys.readouterr().err


def test_areas_command_lists_schemes_and_evidence(bristol_store, capsys):
    capsys.readouterr()
    assert main(["areas", "--store", str(bristol_store)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Keeping Bristol Safe Partnership: Bristol, City of (E06000023), Avon and Somerset Constabulary.")
    assert "--scheme committee-areas-2018 (default): Area committees (2018), 6 areas made of wards" in out
    assert "  Area 4 (stated): Ashley, Central, Lawrence Hill, Easton, St George West" in out


def test_pack_renders_for_a_bristol_area(bristol_store, tmp_path, capsys):
    out, numbers = tmp_path / "area4.pdf", tmp_path / "area4.csv"
    capsys.readouterr()
    assert main(["report", "--area", "area 4", "--month", "2021-09", "--out", str(out), "--csv", str(numbers),
                 "--store", str(bristol_store)]) == 0
    text = subprocess.run(["pdftotext", "-layout", str(out), "-"], check=True, capture_output=True, text=True).stdout
    assert "Area Committee 4: community safety update" in text
    assert "Bristol · Area committee community safety pack".upper() in text.upper()
    assert "No concern on record names Area 4" in text and "Central ward" in text
    pages = subprocess.run(["pdfinfo", str(out)], check=True, capture_output=True, text=True).stdout
    assert re.search(r"^Pages:\s+1$", pages, flags=re.MULTILINE)
    with open(numbers, encoding="utf-8", newline="") as handle:
        rows = {(r["section"], r["measure"], r["period"]): r["value"] for r in csv.DictReader(handle)}
    assert rows[("pack", "Area scheme", "")] == "Area committees (2018)"
    assert rows[("pack", "Partnership", "")] == "Keeping Bristol Safe Partnership"
    month = _counts(capsys, bristol_store, "area", "--area", "Area 4", "--from", "2021-09", "--to", "2021-09",
                    "--crime-type", "all-crime")
    assert rows[("headline", "Crime (excluding ASB): records", "2021-09")] == str(month[0]["count"])


def test_a_ward_scheme_store_answers_in_wards(bristol_store):
    wards = query.open_store(bristol_store, "wards-2016")
    central = Selection(area="Central", period=Period("2021-07", "2021-09"), everywhere="All Bristol")
    placed = _sql(bristol_store, """SELECT COUNT(*) FROM crimes c JOIN scheme_lsoa s ON s.lsoa = c.lsoa
                                    AND s.scheme = 'wards-2016' WHERE s.area = 'Central' AND month BETWEEN '2021-07' AND '2021-09'""")
    assert query.total(wards, **central.filters()) == placed[0][0] > 0
    from areaprofile import profile

    table = profile.compare_areas(wards, central)
    assert len(table) == 35 and table.iloc[-1]["Area"] == "All Bristol"
    assert "Against Bristol" in table.columns
