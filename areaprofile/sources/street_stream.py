"""Stream one police.uk street file (or monthly outcomes file) into DuckDB, checking it on the way.

The file's bytes are read once, in chunks, from disk, gzip or a zip: that pass checks the
archive's integrity, the UTF-8 and the header line, and computes the checksum. A compressed
file or a zip member is unpacked into the build's work folder as it goes, so DuckDB then reads
exactly the bytes that were checked. DuckDB parses the CSV, checks the months and coordinates
in SQL, and appends the rows in the local authority to a staging table. Memory stays at one
chunk plus DuckDB's own buffers, however big the file or the force.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import hashlib
import uuid
import zipfile
import zlib
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import duckdb

from areaprofile.errors import AreaprofileError
from areaprofile.sources.police_uk import LAT_RANGE, LON_RANGE, MAX_MEMBER_BYTES, STREET, FileKind, StreetFile

CHUNK_BYTES = 4 << 20
GZIP_MAGIC = b"\x1f\x8b"
BOM = b"\xef\xbb\xbf"

#: A staged street row: the published columns in the store's names, coordinates as numbers.
ROW_COLUMNS = STREET.row_columns
TEXT_COLUMNS = STREET.text_columns


@dataclass
class FileFigures:
    """What reading one file found, for the build log."""

    file: StreetFile
    sha256: str
    size_bytes: int
    rows_in_file: int
    rows_without_location: int
    rows_outside_la: int
    rows_blank_lsoa: int = 0  # no LSOA code: police.uk could not place them, so no area can count them


def create_la_table(con: duckdb.DuckDBPyConnection, table: str, la_lsoa_codes: set[str]) -> None:
    """The LSOA codes (2011 and 2021) whose rows are kept."""
    con.execute(f"CREATE TABLE {table} (code VARCHAR PRIMARY KEY)")
    con.execute(f"INSERT INTO {table} SELECT unnest(?::VARCHAR[])", [sorted(la_lsoa_codes)])


def create_rows_table(con: duckdb.DuckDBPyConnection, table: str, kind: FileKind = STREET) -> None:
    """An empty table for staged rows: the published columns in the store's names, coordinates as numbers."""
    columns = ", ".join(f"{c} DOUBLE" if c in ("lon", "lat") else f"{c} VARCHAR" for c in kind.row_columns)
    con.execute(f"CREATE TABLE {table} ({columns})")


def stage_file(
    con: duckdb.DuckDBPyConnection, street_file: StreetFile, work_dir: Path, rows_table: str, la_table: str
) -> FileFigures:
    """Check one street file and append its rows whose LSOA is in ``la_table`` to ``rows_table``.

    Every problem becomes an AreaprofileError of one sentence naming the file.
    """
    work_dir.mkdir(parents=True, exist_ok=True)
    unpacked = work_dir / f"{uuid.uuid4().hex}.csv"
    try:
        checked = _check_bytes(street_file, unpacked)
        return _stage_csv(con, street_file, checked, rows_table, la_table)
    finally:
        unpacked.unlink(missing_ok=True)


# ---- the byte pass -----------------------------------------------------------------------------


@dataclass
class _CheckedBytes:
    csv_path: Path  # what DuckDB reads: the file itself, or its unpacked copy
    sha256: str
    size_bytes: int


def _check_bytes(street_file: StreetFile, unpacked: Path) -> _CheckedBytes:
    """One pass over the decompressed bytes: integrity, checksum, emptiness, UTF-8, header."""
    label = street_file.label
    digest = hashlib.sha256()
    decoder = codecs.getincrementaldecoder("utf-8")()
    size = 0
    newlines = 0
    first_line = b""
    have_first_line = False
    has_content = False
    not_utf8: tuple[int, int] | None = None  # (line, byte) of the first bad byte
    gzipped = _is_gzip(street_file)
    packed = gzipped or street_file.member is not None
    try:
        with ExitStack() as stack:
            stream = _open_raw(street_file, stack)
            if gzipped:
                stream = stack.enter_context(gzip.GzipFile(fileobj=stream))
            out = stack.enter_context(open(unpacked, "wb")) if packed else None
            while chunk := stream.read(CHUNK_BYTES):
                digest.update(chunk)
                if out is not None:
                    out.write(chunk)
                if not has_content and chunk.strip():
                    has_content = True
                if not have_first_line:
                    first_line += chunk.split(b"\n", 1)[0]
                    have_first_line = b"\n" in chunk or len(first_line) >= CHUNK_BYTES
                if not_utf8 is None and not (chunk.isascii() and not decoder.getstate()[0]):
                    pending = len(decoder.getstate()[0])
                    try:
                        decoder.decode(chunk)
                    except UnicodeDecodeError as exc:
                        at = exc.start - pending  # within this chunk (negative: in the bytes held back)
                        not_utf8 = (newlines + chunk[: max(at, 0)].count(b"\n") + 1, size + at)
                if not_utf8 is None:
                    newlines += chunk.count(b"\n")
                size += len(chunk)
                if street_file.member is not None and size > MAX_MEMBER_BYTES:
                    raise AreaprofileError(
                        f"{street_file.path}: {street_file.member} expands to more than {MAX_MEMBER_BYTES:,} bytes, "
                        "beyond the safe limit; this is not a data.police.uk download."
                    )
            if not_utf8 is None:
                pending = len(decoder.getstate()[0])
                try:
                    decoder.decode(b"", final=True)
                except UnicodeDecodeError as exc:  # the file ends inside a character
                    not_utf8 = (newlines + 1, size - pending + exc.start)
    except (EOFError, gzip.BadGzipFile, zlib.error, zipfile.BadZipFile, OSError) as exc:
        raise AreaprofileError(f"{label}: the file is truncated or corrupt ({_shown(str(exc), 120)}); download it again.") from None

    if not has_content:
        raise AreaprofileError(f"{label}: the file is empty; download it again.")
    if not_utf8 is not None:
        line, start = not_utf8
        raise AreaprofileError(
            f"{label}: line {line} is not UTF-8 text (byte {start}); save the file as UTF-8 or download it again."
        )
    _check_header(first_line, label, street_file.kind)
    return _CheckedBytes(unpacked if packed else street_file.path, digest.hexdigest(), size)


def _is_gzip(street_file: StreetFile) -> bool:
    if street_file.member is None and street_file.path.suffix == ".gz":
        return True
    try:
        with ExitStack() as stack:
            return _open_raw(street_file, stack).read(2) == GZIP_MAGIC
    except (zipfile.BadZipFile, OSError, EOFError, zlib.error):
        return False  # the full read says what is wrong


def _open_raw(street_file: StreetFile, stack: ExitStack):
    if street_file.member is None:
        return stack.enter_context(open(street_file.path, "rb"))
    archive = stack.enter_context(zipfile.ZipFile(street_file.path))
    return stack.enter_context(archive.open(street_file.member))


def _check_header(first_line: bytes, label: str, kind: FileKind) -> None:
    if first_line.startswith(BOM):
        first_line = first_line[len(BOM):]
    header_line = first_line.decode("utf-8", "replace").strip("\r")
    try:
        header = next(iter(csv.reader([header_line])))
    except (csv.Error, StopIteration):
        raise AreaprofileError(f"{label}: the header line is not comma-separated text; download the file again.") from None
    expected = kind.columns
    if tuple(header) != expected:
        missing = [c for c in expected if c not in header]
        extra = [_shown(c) for c in header if c not in expected]
        detail = f"missing {', '.join(missing)}" if missing else "columns in the wrong order"
        if extra:
            detail += f"; unexpected {', '.join(extra)}"
        raise AreaprofileError(f"{label}: not a police.uk {kind.name} file ({detail}); expected the columns {', '.join(expected)}.")


# ---- the SQL pass ------------------------------------------------------------------------------


def _scan(path: Path, parallel: bool = True, kind: FileKind = STREET) -> str:
    """The file as a DuckDB table: every column text, blank fields NULL, ragged rows an error."""
    columns = ", ".join(f"'{c}': 'VARCHAR'" for c in kind.columns)
    quoted = str(path).replace("'", "''")
    return (
        f"read_csv('{quoted}', header = true, auto_detect = false, columns = {{{columns}}}, delim = ',', "
        f"quote = '\"', escape = '\"', strict_mode = true, null_padding = false, parallel = {str(parallel).lower()})"
    )


def _coordinate(column: str) -> str:
    return f"nullif(trim(\"{column}\"), '')"


def _stage_csv(
    con: duckdb.DuckDBPyConnection, street_file: StreetFile, checked: _CheckedBytes, rows_table: str, la_table: str
) -> FileFigures:
    label = street_file.label
    kind = street_file.kind
    scan = _scan(checked.csv_path, kind=kind)
    lon, lat = _coordinate("Longitude"), _coordinate("Latitude")
    try:
        rows, without_location, in_la, wrong_months, lon_bad, lon_out, lat_bad, lat_out, blank_lsoa = con.execute(
            f"""
            WITH text AS (
                SELECT coalesce("Month", '') AS month, "LSOA code" IN (SELECT code FROM {la_table}) AS in_la,
                       {lon} AS lon_text, {lat} AS lat_text, nullif(trim("LSOA code"), '') IS NULL AS blank_lsoa
                FROM {scan}
            ), parsed AS (
                SELECT *, try_cast(lon_text AS DOUBLE) AS lon, try_cast(lat_text AS DOUBLE) AS lat FROM text
            )
            SELECT count(*), count(*) FILTER (lon IS NULL OR lat IS NULL), count(*) FILTER (in_la),
                   list(DISTINCT month) FILTER (month <> ?),
                   count(*) FILTER (lon_text IS NOT NULL AND lon IS NULL), count(*) FILTER (NOT lon BETWEEN ? AND ?),
                   count(*) FILTER (lat_text IS NOT NULL AND lat IS NULL), count(*) FILTER (NOT lat BETWEEN ? AND ?),
                   count(*) FILTER (blank_lsoa)
            FROM parsed
            """,
            [street_file.month, *LON_RANGE, *LAT_RANGE],
        ).fetchall()[0]
    except duckdb.Error as exc:
        raise AreaprofileError(f"{label}: the CSV cannot be read ({_duckdb_reason(exc)}); download it again.") from None
    if rows == 0:
        raise AreaprofileError(f"{label}: the file has a header but no rows; download it again.")
    if wrong_months:
        shown = ", ".join(_shown(m) for m in sorted(wrong_months)[:3])
        raise AreaprofileError(f"{label}: holds rows for {shown} but its name says {street_file.month}; check you have the right file.")
    for name, bad, out, (low, high) in (("Longitude", lon_bad, lon_out, LON_RANGE), ("Latitude", lat_bad, lat_out, LAT_RANGE)):
        if bad:
            value = _first(con, checked.csv_path, f"{_coordinate(name)} IS NOT NULL AND try_cast({_coordinate(name)} AS DOUBLE) IS NULL", f'"{name}"', kind)
            raise AreaprofileError(f"{label}: {name} '{_shown(value)}' is not a number; the file is damaged, download it again.")
        if out:
            value, row = _first(
                con, checked.csv_path, f"NOT try_cast({_coordinate(name)} AS DOUBLE) BETWEEN {low} AND {high}",
                f"try_cast({_coordinate(name)} AS DOUBLE), n", kind,
            )
            raise AreaprofileError(
                f"{label}: {name} {value} on data row {row} is outside Great Britain; the file is damaged, download it again."
            )

    texts = {c: f'coalesce("{published}", \'\')' for c, published in kind.text_columns.items()}
    select = ", ".join(
        f"try_cast({lon} AS DOUBLE)" if c == "lon" else f"try_cast({lat} AS DOUBLE)" if c == "lat" else "?" if c == "file_key" else texts[c]
        for c in kind.row_columns
    )
    try:
        con.execute(
            f"INSERT INTO {rows_table} SELECT {select} FROM {scan} "
            f'WHERE "LSOA code" IN (SELECT code FROM {la_table})',
            [file_key(street_file)],
        )
    except duckdb.Error as exc:
        raise AreaprofileError(f"{label}: the CSV cannot be read ({_duckdb_reason(exc)}); download it again.") from None
    return FileFigures(
        file=street_file,
        sha256=checked.sha256,
        size_bytes=checked.size_bytes,
        rows_in_file=int(rows),
        rows_without_location=int(without_location),
        rows_outside_la=int(rows - in_la),
        rows_blank_lsoa=int(blank_lsoa),
    )


def file_key(street_file: StreetFile) -> str:
    """How the store names a file's rows: ``<month>/<force>`` (``<month>/<force>/outcomes`` for an outcomes file)."""
    key = f"{street_file.month}/{street_file.force}"
    return key if street_file.kind is STREET else f"{key}/{street_file.kind.name}"


def _first(con, path: Path, condition: str, what: str, kind: FileKind = STREET):
    """The first row (in file order) meeting ``condition``: ``what`` from it, ``n`` its data row."""
    row = con.execute(
        f"SELECT {what} FROM (SELECT *, row_number() OVER () AS n FROM {_scan(path, parallel=False, kind=kind)}) "
        f"WHERE {condition} ORDER BY n LIMIT 1"
    ).fetchall()[0]
    return row if len(row) > 1 else row[0]


def _duckdb_reason(exc: duckdb.Error) -> str:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    first = lines[0].split("Error: ", 1)[-1] if lines else type(exc).__name__
    return _shown(first, 120)


def _shown(value, limit: int = 40) -> str:
    """A value from a file, safe inside a one-line message: control characters become '?'."""
    text = "" if value is None else str(value)
    text = "".join("?" if (ord(ch) < 32 or 0x7F <= ord(ch) < 0xA0 or ch in "\u2028\u2029") else ch for ch in text)
    return text[:limit]
