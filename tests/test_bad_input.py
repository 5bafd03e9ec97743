"""Each bad input: one line naming the file and the problem, a non-zero exit, the store untouched."""

from __future__ import annotations

import gzip
import zipfile
from pathlib import Path

import pytest

from areaprofile.cli import main
from areaprofile.sources.police_uk import STREET_COLUMNS
from tests import rawdata

MONTH = "2021-09"


@pytest.fixture(scope="module")
def real_rows(data_dir) -> list[dict]:
    return rawdata.la_rows(data_dir / f"police_uk/avon-and-somerset/{MONTH}/{MONTH}-avon-and-somerset-street.csv.gz")


def _file(folder: Path, month: str = MONTH) -> Path:
    return folder / month / f"{month}-avon-and-somerset-street.csv"


def _missing_column(folder, rows):
    header = [c for c in STREET_COLUMNS if c != "LSOA code"]
    return rawdata.write_csv(_file(folder), header, rows)


def _renamed_column(folder, rows):
    header = ["Crime Type" if c == "Crime type" else c for c in STREET_COLUMNS]
    return rawdata.write_csv(_file(folder), header, [[r[c] for c in STREET_COLUMNS] for r in rows])


def _empty(folder, rows):
    path = _file(folder)
    path.parent.mkdir(parents=True)
    path.write_bytes(b"")
    return path


def _header_only(folder, rows):
    return rawdata.write_csv(_file(folder), list(STREET_COLUMNS), [])


def _not_utf8(folder, rows):
    path = rawdata.write_csv(_file(folder), list(STREET_COLUMNS), rows)
    data = path.read_bytes().replace(b"On or near", "On or n\u00e9ar".encode("latin-1"), 1)
    path.write_bytes(data)
    return path


def _truncated_gzip(folder, rows):
    path = rawdata.write_csv(_file(folder), list(STREET_COLUMNS), rows, gz=True)
    path = path.rename(path.with_name(path.name + ".gz"))
    path.write_bytes(path.read_bytes()[: len(path.read_bytes()) // 2])
    return path


def _truncated_zip(folder, rows):
    folder.mkdir(parents=True)
    path = folder / "download.zip"
    inner = rawdata.write_csv(folder / "tmp.csv", list(STREET_COLUMNS), rows)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.write(inner, f"{MONTH}/{MONTH}-avon-and-somerset-street.csv")
    inner.unlink()
    path.write_bytes(path.read_bytes()[:-200])
    return path


def _month_contradicts_name(folder, rows):
    wrong = [dict(r, Month="2021-08") if i == 5 else r for i, r in enumerate(rows)]
    return rawdata.write_csv(_file(folder), list(STREET_COLUMNS), wrong)


def _non_numeric_coordinate(folder, rows):
    bad = [dict(r, Longitude="west-ish") if i == 3 else r for i, r in enumerate(rows)]
    return rawdata.write_csv(_file(folder), list(STREET_COLUMNS), bad)


def _out_of_range_coordinate(folder, rows):
    bad = [dict(r, Latitude="151.4") if i == 3 else r for i, r in enumerate(rows)]
    return rawdata.write_csv(_file(folder), list(STREET_COLUMNS), bad)


def _no_street_files(folder, rows):
    folder.mkdir(parents=True)
    (folder / "notes.txt").write_text("not a police file")
    return folder


def _outcomes_file_with_street_columns(folder, rows):
    """A good street file beside an outcomes file that holds street columns (a renamed file)."""
    rawdata.write_csv(_file(folder), list(STREET_COLUMNS), rows)
    return rawdata.write_csv(folder / MONTH / f"{MONTH}-avon-and-somerset-outcomes.csv", list(STREET_COLUMNS), rows)


CASES = {
    "missing column": (_missing_column, "missing LSOA code"),
    "renamed column": (_renamed_column, "unexpected Crime Type"),
    "empty file": (_empty, "empty"),
    "header only": (_header_only, "no rows"),
    "not UTF-8": (_not_utf8, "not UTF-8"),
    "truncated gzip": (_truncated_gzip, "truncated or corrupt"),
    "truncated zip": (_truncated_zip, "zip"),
    "month contradicts name": (_month_contradicts_name, "2021-08 but its name says 2021-09"),
    "non-numeric coordinate": (_non_numeric_coordinate, "'west-ish' is not a number"),
    "out-of-range coordinate": (_out_of_range_coordinate, "outside Great Britain"),
    "no street files": (_no_street_files, "no police.uk street files"),
    "outcomes file with street columns": (_outcomes_file_with_street_columns, "not a police.uk outcomes file"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_source_fails_clearly_and_leaves_the_store(case, tmp_path, store_copy, real_rows, capsys):
    make, expected = CASES[case]
    bad = make(tmp_path / "bad", real_rows)
    before = store_copy.read_bytes()
    code = main(["build", "--source", str(tmp_path / "bad"), "--store", str(store_copy)])
    err = capsys.readouterr().err
    assert code != 0
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert expected in lines[0]
    assert "Traceback" not in err
    if case != "no street files":
        assert bad.name in lines[0]
    assert store_copy.read_bytes() == before
    assert not list(store_copy.parent.glob(".*tmp*")), "a half-built store was left behind"


@pytest.mark.parametrize(
    "args, expected",
    [
        (["--area", "Bathampton"], "Unknown area 'Bathampton'"),
        (["--crime-type", "Burglaries"], "Unknown crime type 'Burglaries'"),
        (["--from", "2021-13"], "not a month"),
        (["--from", "2021-09", "--to", "2021-01"], "starts (2021-09) after it ends"),
    ],
)
def test_bad_query_fails_clearly(args, expected, built_store, capsys):
    code = main(["counts", "--by", "area", "--store", str(built_store), *args])
    err = capsys.readouterr().err
    assert code != 0 and expected in err and len(err.strip().splitlines()) == 1


def test_bad_group_column_and_missing_store(tmp_path, built_store, capsys):
    assert main(["counts", "--by", "area,street", "--store", str(built_store)]) != 0
    assert "choose from area, ward, parish, lsoa, month, crime_type" in capsys.readouterr().err
    assert main(["counts", "--by", "area", "--store", str(tmp_path / "none.duckdb")]) != 0
    assert "areaprofile build --source" in capsys.readouterr().err


def test_gzip_of_real_file_with_bad_crc_is_refused(tmp_path, store_copy, data_dir, capsys):
    src = data_dir / f"police_uk/avon-and-somerset/{MONTH}/{MONTH}-avon-and-somerset-street.csv.gz"
    data = bytearray(src.read_bytes())
    data[-8] ^= 0xFF  # corrupt the CRC in the gzip trailer
    target = tmp_path / "bad" / MONTH / src.name
    target.parent.mkdir(parents=True)
    target.write_bytes(bytes(data))
    before = store_copy.read_bytes()
    assert main(["build", "--source", str(tmp_path / "bad"), "--store", str(store_copy)]) != 0
    assert "truncated or corrupt" in capsys.readouterr().err
    assert store_copy.read_bytes() == before
    assert gzip.decompress(src.read_bytes())  # the real file itself is fine
