"""Read data.police.uk street-level files: archive folders (plain or gzipped CSV) and the
custom-download zip.

Each file is read whole, checked, and turned into an Arrow table of the rows that fall in
the local authority. Every problem becomes one sentence naming the file, so a bad file
never reaches the store.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import re
import zipfile
import zlib
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from areaprofile.errors import AreaprofileError

STREET_COLUMNS: tuple[str, ...] = (
    "Crime ID",
    "Month",
    "Reported by",
    "Falls within",
    "Longitude",
    "Latitude",
    "Location",
    "LSOA code",
    "LSOA name",
    "Crime type",
    "Last outcome category",
    "Context",
)

#: `2021-09-avon-and-somerset-street.csv` (optionally `.gz`), anywhere in a folder or zip.
STREET_NAME = re.compile(r"(?P<month>\d{4}-\d{2})-(?P<force>[a-z0-9-]+?)-street\.csv(?P<gz>\.gz)?$")

#: Great Britain's extent, generously: a coordinate outside it is a broken row.
LON_RANGE = (-9.0, 3.0)
LAT_RANGE = (49.0, 61.0)

#: Refuse zip members that would expand beyond these (zip bombs, wrong uploads).
MAX_MEMBER_BYTES = 200 * 1024 * 1024
MAX_COMPRESSION_RATIO = 100


@dataclass(frozen=True)
class StreetFile:
    """One monthly street file found in a source: on disk, or a member of a zip."""

    month: str
    force: str
    path: Path  # the file, or the zip that holds it
    member: str | None = None  # name inside the zip
    modified: datetime = field(default_factory=lambda: datetime.fromtimestamp(0, timezone.utc))

    @property
    def label(self) -> str:
        """How the file is named in messages and the build log."""
        return f"{self.path}:{self.member}" if self.member else str(self.path)

    @property
    def key(self) -> tuple[str, str]:
        return (self.month, self.force)


@dataclass
class MonthRows:
    """The checked rows of one file, with the figures the build log reports."""

    file: StreetFile
    sha256: str
    size_bytes: int
    rows_in_file: int
    rows_without_location: int
    rows_outside_la: int
    table: pa.Table  # the local authority's rows, all columns as strings plus lon/lat floats


def find_street_files(source: Path) -> list[StreetFile]:
    """All street files in a folder (searched recursively) or a custom-download zip."""
    source = Path(source)
    if not source.exists():
        raise AreaprofileError(f"{source}: no such file or folder; give the folder or .zip that holds the police.uk street files.")
    found: list[StreetFile] = []
    paths = [source] if source.is_file() else sorted(p for p in source.rglob("*") if p.is_file())
    for path in paths:
        if path.suffix.lower() == ".zip":
            found.extend(_zip_members(path))
            continue
        match = STREET_NAME.search(path.name)
        if match:
            found.append(
                StreetFile(
                    month=match["month"],
                    force=match["force"],
                    path=path,
                    modified=datetime.fromtimestamp(path.stat().st_mtime, timezone.utc),
                )
            )
    return found


def _zip_members(path: Path) -> list[StreetFile]:
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, OSError) as exc:
        raise AreaprofileError(f"{path}: not a readable zip file ({exc}); download it again.") from None
    members = []
    for info in infos:
        name = info.filename
        if name.startswith("/") or ".." in Path(name).parts:
            raise AreaprofileError(f"{path}: holds a file with an unsafe path ({name}); this is not a data.police.uk download.")
        match = STREET_NAME.search(Path(name).name)
        if not match or info.is_dir():
            continue
        if info.file_size > MAX_MEMBER_BYTES or (
            info.compress_size and info.file_size / info.compress_size > MAX_COMPRESSION_RATIO
        ):
            raise AreaprofileError(
                f"{path}: {name} would expand to {info.file_size:,} bytes, beyond the safe limit; this is not a data.police.uk download."
            )
        members.append(
            StreetFile(
                month=match["month"],
                force=match["force"],
                path=path,
                member=name,
                modified=datetime(*info.date_time, tzinfo=timezone.utc),
            )
        )
    return members


def read_bytes(street_file: StreetFile) -> bytes:
    """The file's CSV bytes, decompressed; truncated or corrupt archives become an error."""
    label = street_file.label
    try:
        if street_file.member:
            with zipfile.ZipFile(street_file.path) as archive:
                raw = archive.read(street_file.member)
        else:
            raw = street_file.path.read_bytes()
        if street_file.member is None and street_file.path.suffix == ".gz" or raw[:2] == b"\x1f\x8b":
            raw = gzip.decompress(raw)
    except (EOFError, gzip.BadGzipFile, zlib.error, zipfile.BadZipFile, OSError) as exc:
        raise AreaprofileError(f"{label}: the file is truncated or corrupt ({exc}); download it again.") from None
    return raw


def read_street_file(street_file: StreetFile, la_lsoa_codes: set[str]) -> MonthRows:
    """Check one street file and keep the rows whose LSOA code is in the local authority."""
    label = street_file.label
    raw = read_bytes(street_file)
    sha256 = hashlib.sha256(raw).hexdigest()
    if not raw.strip():
        raise AreaprofileError(f"{label}: the file is empty; download it again.")
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise AreaprofileError(
            f"{label}: line {line} is not UTF-8 text (byte {exc.start}); save the file as UTF-8 or download it again."
        ) from None
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    header_line = raw.split(b"\n", 1)[0].decode("utf-8").strip("\r")
    try:
        header = next(iter(_csv_rows(header_line)))
    except csv.Error:
        raise AreaprofileError(f"{label}: the header line is not comma-separated text; download the file again.") from None
    if tuple(header) != STREET_COLUMNS:
        missing = [c for c in STREET_COLUMNS if c not in header]
        extra = [c for c in header if c not in STREET_COLUMNS]
        detail = f"missing {', '.join(missing)}" if missing else "columns in the wrong order"
        if extra:
            detail += f"; unexpected {', '.join(extra)}"
        raise AreaprofileError(f"{label}: not a police.uk street file ({detail}); expected the columns {', '.join(STREET_COLUMNS)}.")
    try:
        table = pacsv.read_csv(
            io.BytesIO(raw),
            read_options=pacsv.ReadOptions(use_threads=True),
            convert_options=pacsv.ConvertOptions(
                column_types={c: pa.string() for c in STREET_COLUMNS},
                strings_can_be_null=False,
            ),
        )
    except pa.ArrowInvalid as exc:
        raise AreaprofileError(f"{label}: the CSV cannot be read ({str(exc).splitlines()[0]}); download it again.") from None
    rows_in_file = table.num_rows
    if rows_in_file == 0:
        raise AreaprofileError(f"{label}: the file has a header but no rows; download it again.")

    months = pc.unique(table["Month"]).to_pylist()
    wrong = [m for m in months if m != street_file.month]
    if wrong:
        raise AreaprofileError(
            f"{label}: holds rows for {', '.join(sorted(wrong)[:3])} but its name says {street_file.month}; check you have the right file."
        )

    longitude = _coordinates(table["Longitude"], "Longitude", LON_RANGE, label)
    latitude = _coordinates(table["Latitude"], "Latitude", LAT_RANGE, label)
    without_location = pc.or_(pc.is_null(longitude), pc.is_null(latitude))
    rows_without_location = pc.sum(pc.cast(without_location, pa.int64())).as_py() or 0

    in_la = pc.is_in(table["LSOA code"], value_set=pa.array(sorted(la_lsoa_codes), pa.string()))
    table = table.append_column("lon", longitude).append_column("lat", latitude)
    kept = table.filter(in_la)
    rows_outside_la = rows_in_file - kept.num_rows
    return MonthRows(
        file=street_file,
        sha256=sha256,
        size_bytes=len(raw),
        rows_in_file=rows_in_file,
        rows_without_location=int(rows_without_location),
        rows_outside_la=int(rows_outside_la),
        table=kept,
    )


def _coordinates(column: pa.ChunkedArray, name: str, valid: tuple[float, float], label: str) -> pa.ChunkedArray:
    """Parse a coordinate column: blank is 'no location'; anything else must be a number in range."""
    blank = pc.equal(pc.utf8_trim_whitespace(column), "")
    as_null = pc.if_else(blank, pa.scalar(None, pa.string()), column)
    try:
        values = pc.cast(as_null, pa.float64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        bad = _first_bad_number(as_null)
        raise AreaprofileError(f"{label}: {name} '{bad}' is not a number; the file is damaged, download it again.") from None
    low, high = valid
    out = pc.or_(pc.less(values, low), pc.greater(values, high))
    if pc.any(out).as_py():
        index = pc.index(out, True).as_py()
        raise AreaprofileError(
            f"{label}: {name} {values[index].as_py()} on data row {index + 1} is outside Great Britain; the file is damaged, download it again."
        )
    return values


def _first_bad_number(column: pa.ChunkedArray) -> str:
    for value in column.to_pylist():
        if value is None:
            continue
        try:
            float(value)
        except ValueError:
            return value[:40]
    return "?"


def _csv_rows(text: str):
    import csv

    return csv.reader([text])
