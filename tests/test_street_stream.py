"""The streamed reader (areaprofile/sources/street_stream.py) on real files in every packing.

The file is read in chunks, so what a whole-file reader got for free is tested here: the same
rows and checksum whatever the packing, and the line and byte of a bad UTF-8 sequence right
when it falls across a chunk boundary.
"""

from __future__ import annotations

import gzip
import hashlib
import zipfile

import pytest

from areaprofile import query
from areaprofile.errors import AreaprofileError
from areaprofile.sources.police_uk import find_street_files, read_street_file
from areaprofile.sources.street_stream import CHUNK_BYTES
from tests import stores

MONTH = "2021-09"
NAME = f"{MONTH}-avon-and-somerset-street.csv"


@pytest.fixture(scope="module")
def la_codes(built_store) -> set[str]:
    return set(query.open_store(built_store).sql("SELECT code FROM lsoa UNION SELECT code FROM lsoa11")["code"])


@pytest.fixture(scope="module")
def csv_bytes(data_dir) -> bytes:
    return stores.month_csv(data_dir, MONTH)


def _read(folder, la_codes):
    [found] = find_street_files(folder)
    return read_street_file(found, la_codes)


def test_every_packing_gives_the_same_rows_and_checksum(tmp_path, csv_bytes, la_codes):
    halfway = csv_bytes.index(b"\n", len(csv_bytes) // 2) + 1
    packings = {
        "plain": (NAME, csv_bytes),
        "gzip": (NAME + ".gz", gzip.compress(csv_bytes)),
        "gzip of two members": (NAME + ".gz", gzip.compress(csv_bytes[:halfway]) + gzip.compress(csv_bytes[halfway:])),
        "gzip named .csv": (NAME, gzip.compress(csv_bytes)),
    }
    results = {}
    for packing, (name, data) in packings.items():
        folder = tmp_path / packing.replace(" ", "-")
        (folder / MONTH).mkdir(parents=True)
        (folder / MONTH / name).write_bytes(data)
        results[packing] = _read(folder, la_codes)
    archive = tmp_path / "zip" / "download.zip"
    archive.parent.mkdir()
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(f"{MONTH}/{NAME}", csv_bytes)
    results["zip member"] = _read(archive, la_codes)

    plain = results["plain"]
    assert plain.sha256 == hashlib.sha256(csv_bytes).hexdigest() and plain.size_bytes == len(csv_bytes)
    assert plain.rows_in_file == csv_bytes.count(b"\n") - 1  # the real file has no line breaks inside fields
    assert 500 < plain.table.num_rows < plain.rows_in_file
    for packing, rows in results.items():
        assert (rows.sha256, rows.size_bytes, rows.rows_in_file) == (plain.sha256, plain.size_bytes, plain.rows_in_file), packing
        assert (rows.rows_without_location, rows.rows_outside_la) == (plain.rows_without_location, plain.rows_outside_la)
        assert rows.table.equals(plain.table), packing


def _long_file(csv_bytes: bytes) -> bytes:
    """The real file repeated (header once) until it is longer than two chunks."""
    header, body = csv_bytes.split(b"\n", 1)
    copies = 2 * CHUNK_BYTES // len(body) + 1
    return header + b"\n" + body * copies


def test_bad_utf8_across_a_chunk_boundary_names_its_line_and_byte(tmp_path, csv_bytes):
    data = _long_file(csv_bytes)
    # A valid two-byte character split by the first boundary, and a bad byte just after the second.
    at = data.rindex(b"On or near", 0, CHUNK_BYTES - 12)
    shift = CHUNK_BYTES - 1 - at  # put the 'é' so that its first byte is the chunk's last byte
    data = data[:at] + b"x" * shift + "\u00e9".encode() + data[at + shift + 2:]
    assert data[CHUNK_BYTES - 1:CHUNK_BYTES + 1] == "\u00e9".encode()
    bad = data.index(b"On or near", 2 * CHUNK_BYTES) + 3
    data = data[:bad] + b"\xe9" + data[bad + 1:]
    path = tmp_path / MONTH / NAME
    path.parent.mkdir()
    path.write_bytes(data)
    with pytest.raises(AreaprofileError) as error:
        read_street_file(find_street_files(tmp_path)[0], {"E01014370"})
    line = data[:bad].count(b"\n") + 1
    assert f"line {line} is not UTF-8 text (byte {bad})" in error.value.message


def test_a_character_cut_by_the_end_of_the_file_is_not_utf8(tmp_path, csv_bytes):
    data = csv_bytes + "\u00e9".encode()[:1]
    path = tmp_path / MONTH / NAME
    path.parent.mkdir()
    path.write_bytes(data)
    with pytest.raises(AreaprofileError) as error:
        read_street_file(find_street_files(tmp_path)[0], {"E01014370"})
    lines = csv_bytes.count(b"\n")
    assert f"line {lines + 1} is not UTF-8 text (byte {len(csv_bytes)})" in error.value.message
