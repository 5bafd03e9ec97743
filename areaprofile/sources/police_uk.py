"""Find data.police.uk street-level files and monthly outcomes files: archive folders (plain or
gzipped CSV) and the custom-download zip.

Reading and checking a file is ``street_stream``'s job (the build streams every file through
it into DuckDB); ``read_street_file`` here gives one file's checked rows as an Arrow table.
Every problem becomes one sentence naming the file, so a bad file never reaches the store.
"""

from __future__ import annotations

import gzip
import re
import zipfile
import zlib
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import pyarrow as pa

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

#: The monthly outcomes file: each row an outcome police recorded in that month, for a crime of
#: that month or an earlier one (no crime type: the Crime ID links it to its street row).
OUTCOME_COLUMNS: tuple[str, ...] = (*STREET_COLUMNS[:9], "Outcome type")  # Crime ID ... LSOA name, then the outcome

#: `2021-09-avon-and-somerset-street.csv` (optionally `.gz`), anywhere in a folder or zip.
STREET_NAME = re.compile(r"(?P<month>\d{4}-\d{2})-(?P<force>[a-z0-9-]+?)-street\.csv(?P<gz>\.gz)?$")
OUTCOMES_NAME = re.compile(r"(?P<month>\d{4}-\d{2})-(?P<force>[a-z0-9-]+?)-outcomes\.csv(?P<gz>\.gz)?$")


@dataclass(frozen=True)
class FileKind:
    """One kind of police.uk monthly file: how it is named, its published columns, and the store's
    name for each text column (the build reads every kind the same way)."""

    name: str  # 'street' or 'outcomes', as in the file names
    pattern: re.Pattern
    columns: tuple[str, ...]
    text_columns: dict[str, str]  # store name -> published column (Longitude/Latitude become lon/lat)

    @property
    def row_columns(self) -> tuple[str, ...]:
        """A staged row: the published columns in the store's names, coordinates as numbers, the file."""
        names = {v: k for k, v in self.text_columns.items()} | {"Longitude": "lon", "Latitude": "lat"}
        return (*(names[c] for c in self.columns), "file_key")


STREET = FileKind("street", STREET_NAME, STREET_COLUMNS, {
    "crime_id": "Crime ID", "month": "Month", "reported_by": "Reported by", "falls_within": "Falls within",
    "location": "Location", "lsoa_code": "LSOA code", "lsoa_name": "LSOA name", "crime_type": "Crime type",
    "last_outcome": "Last outcome category", "context": "Context",
})
OUTCOMES = FileKind("outcomes", OUTCOMES_NAME, OUTCOME_COLUMNS, {
    "crime_id": "Crime ID", "month": "Month", "reported_by": "Reported by", "falls_within": "Falls within",
    "location": "Location", "lsoa_code": "LSOA code", "lsoa_name": "LSOA name", "outcome_type": "Outcome type",
})

#: Great Britain's extent, generously: a coordinate outside it is a broken row.
LON_RANGE = (-9.0, 3.0)
LAT_RANGE = (49.0, 61.0)

#: Refuse zip members that would expand beyond these (zip bombs, wrong uploads).
MAX_MEMBER_BYTES = 200 * 1024 * 1024
MAX_COMPRESSION_RATIO = 100


@dataclass(frozen=True)
class StreetFile:
    """One monthly street (or outcomes) file found in a source: on disk, or a member of a zip."""

    month: str
    force: str
    path: Path  # the file, or the zip that holds it
    member: str | None = None  # name inside the zip
    modified: datetime = field(default_factory=lambda: datetime.fromtimestamp(0, timezone.utc))
    kind: FileKind = STREET

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
    table: pa.Table  # the local authority's rows: the published text columns plus lon/lat floats
    rows_blank_lsoa: int = 0  # rows police.uk could not place in an LSOA (no area can count them)


def find_street_files(source: Path) -> list[StreetFile]:
    """All street files in a folder (searched recursively) or a custom-download zip."""
    return _find(source, STREET)


def find_outcome_files(source: Path) -> list[StreetFile]:
    """All monthly outcomes files in a folder (searched recursively) or a custom-download zip."""
    return _find(source, OUTCOMES)


def _find(source: Path, kind: FileKind) -> list[StreetFile]:
    source = Path(source)
    if not source.exists():
        raise AreaprofileError(f"{source}: no such file or folder; give the folder or .zip that holds the police.uk street files.")
    found: list[StreetFile] = []
    paths = [source] if source.is_file() else sorted(p for p in source.rglob("*") if p.is_file())
    for path in paths:
        if path.suffix.lower() == ".zip":
            found.extend(_zip_members(path, kind))
            continue
        match = kind.pattern.search(path.name)
        if match:
            found.append(
                StreetFile(
                    month=match["month"],
                    force=match["force"],
                    path=path,
                    modified=datetime.fromtimestamp(path.stat().st_mtime, timezone.utc),
                    kind=kind,
                )
            )
    return found


def _zip_members(path: Path, kind: FileKind) -> list[StreetFile]:
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
        match = kind.pattern.search(Path(name).name)
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
                kind=kind,
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
    """Check one street file and return its rows whose LSOA code is in the local authority.

    The same checks as the build (``street_stream``), on a private in-memory DuckDB: for the
    upload check, which wants the figures and the rows of one file without touching a store.
    """
    import tempfile

    import duckdb

    from areaprofile.sources import street_stream

    con = duckdb.connect(":memory:")
    try:
        street_stream.create_la_table(con, "la_lsoa", la_lsoa_codes)
        street_stream.create_rows_table(con, "staged_rows")
        with tempfile.TemporaryDirectory(prefix="areaprofile-read-") as work:
            figures = street_stream.stage_file(con, street_file, Path(work), "staged_rows", "la_lsoa")
        names = {**{v: k for k, v in STREET.text_columns.items()}, "lon": "lon", "lat": "lat"}
        select = ", ".join(f'{column} AS "{name}"' for name, column in names.items())
        table = con.sql(f"SELECT {select} FROM staged_rows").to_arrow_table()
    finally:
        con.close()
    return MonthRows(**vars(figures), table=table)
