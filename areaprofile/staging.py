"""The crime rows of one build, kept in DuckDB from the street files to the new store.

Rows never become Python objects: each file is streamed into its own staging table
(``sources.street_stream``), months kept from the previous store are copied across in Arrow
batches, and each distinct (LSOA code, snap point) is placed once (``areas.place_rows``) and
joined back to its rows. ``crimes`` is then written one month at a time, each month sorted by
area and crime type, so no step holds or sorts more than a month of rows. The monthly outcomes
files, where there are any, go the same way into ``outcomes`` (their rows placed by the very same
points table). DuckDB works within
``MEMORY_LIMIT`` and spills to the work folder: the build's memory stays flat however many
rows or months the force has.
"""

from __future__ import annotations

import shutil
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import duckdb
import pandas as pd

from areaprofile.areas import Geography, place_rows
from areaprofile.errors import AreaprofileError
from areaprofile.sources import street_stream
from areaprofile.sources.police_uk import OUTCOMES, STREET, FileKind, StreetFile

#: DuckDB's buffer budget in a build (what it cannot hold it spills to the work folder).
MEMORY_LIMIT = "1GB"
#: Files read at once (each also uses DuckDB's threads for its own scan).
READERS = 2
#: Join key for rows without a location (never a real coordinate: outside every range checked).
NO_LOCATION = 999.0
STORE_FILE = "store.duckdb"
_STAGING = "staging"
_LA_TABLE = f"{_STAGING}.la_lsoa"
_POINTS_TABLE = f"{_STAGING}.placed_points"
_KINDS = (STREET, OUTCOMES)
_PLACED = ["lsoa", "lsoa11", "ward_code", "ward", "parish", "area", "easting", "northing"]
_KEY = f"r.lsoa_code = p.lsoa_code AND coalesce(r.lon, {NO_LOCATION}) = p.key_lon AND coalesce(r.lat, {NO_LOCATION}) = p.key_lat"


class Staging:
    """A work folder holding the new store (``store.duckdb``) and the staged rows beside it."""

    def __init__(self, work_dir: Path, la_lsoa_codes: set[str]):
        self.work_dir = Path(work_dir)
        self.work_dir.mkdir(parents=True, exist_ok=True)
        self.store_file = self.work_dir / STORE_FILE
        self._staging_file = self.work_dir / "staging.duckdb"
        self._tables: dict[str, tuple[str, str]] = {}  # file key -> (month, staging table)
        self._outcome_tables: dict[str, tuple[str, str]] = {}  # the same for outcomes files
        self.con = duckdb.connect(str(self.store_file))
        self.con.execute(f"SET memory_limit = '{MEMORY_LIMIT}'")
        self.con.execute(f"SET temp_directory = '{_quoted(self.work_dir / 'spill')}'")
        self.con.execute(f"ATTACH '{_quoted(self._staging_file)}' AS {_STAGING}")
        street_stream.create_la_table(self.con, _LA_TABLE, la_lsoa_codes)

    def __enter__(self) -> Staging:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        if self.con is not None:
            self.con.close()
            self.con = None

    def _tables_of(self, kind: FileKind) -> dict[str, tuple[str, str]]:
        return self._tables if kind is STREET else self._outcome_tables

    def _table_for(self, key: str, month: str, kind: FileKind = STREET) -> str:
        tables = self._tables_of(kind)
        table = f"{_STAGING}.{kind.name}_{len(tables)}"
        street_stream.create_rows_table(self.con, table, kind)
        tables[key] = (month, table)
        return table

    def add_files(self, files: list[StreetFile]) -> list[street_stream.FileFigures]:
        """Stream the files (street or outcomes) into their staging tables, two at a time; the first
        failure (in file order) is raised."""
        unpack_dir = self.work_dir / "unpacked"
        tables = [self._table_for(street_stream.file_key(f), f.month, f.kind) for f in files]

        def one(street_file: StreetFile, table: str) -> street_stream.FileFigures:
            cursor = self.con.cursor()
            try:
                return street_stream.stage_file(cursor, street_file, unpack_dir, table, _LA_TABLE)
            finally:
                cursor.close()

        with ThreadPoolExecutor(max_workers=READERS) as pool:
            return list(pool.map(one, files, tables))

    def add_stored(self, previous: duckdb.DuckDBPyConnection, file_keys: list[str], kind: FileKind = STREET) -> None:
        """Copy the rows of months kept from the previous store, in Arrow batches (they are placed again)."""
        columns = ", ".join(
            "longitude AS lon" if c == "lon" else "latitude AS lat" if c == "lat" else c for c in kind.row_columns
        )
        for key in file_keys:
            table = self._table_for(key, key.split("/", 1)[0], kind)
            reader = previous.sql(
                f"SELECT {columns} FROM {_store_table(kind)} WHERE file_key = ?", params=[key]
            ).to_arrow_reader(100_000)
            self.con.register("stored_rows", reader)
            try:
                self.con.execute(f"INSERT INTO {table} SELECT * FROM stored_rows")
            finally:
                self.con.unregister("stored_rows")

    def _all_rows(self, columns: str, kinds: tuple[FileKind, ...] = (STREET,)) -> str:
        tables = [table for kind in kinds for _, table in self._tables_of(kind).values()]
        return " UNION ALL ".join(f"SELECT {columns} FROM {table}" for table in tables)

    def per_file(self, kind: FileKind = STREET) -> pd.DataFrame:
        """Rows kept and repeated Crime IDs (blank IDs, as for ASB, are not repeats) per file.

        One file's table at a time: DuckDB cannot spill a ``count(DISTINCT ...)`` per group, and
        over every file at once (23M rows in the biggest 100x bench) it ran out of the memory limit."""
        parts = [
            self.con.execute(
                f"""
                SELECT file_key, count(*) AS rows_kept,
                       count(crime_id) FILTER (crime_id <> '') - count(DISTINCT crime_id) FILTER (crime_id <> '')
                           AS repeated_crime_ids
                FROM {table} GROUP BY file_key
                """
            ).df()
            for _, table in self._tables_of(kind).values()
        ]
        if not parts:
            return pd.DataFrame({"file_key": [], "rows_kept": [], "repeated_crime_ids": []})
        return pd.concat(parts, ignore_index=True)

    def write_crimes(self, geography: Geography) -> None:
        """Place each distinct (LSOA code, snap point) of the street and outcomes rows once and write
        ``crimes``, sorted for the queries (by month, area, crime type: DuckDB's zone maps then skip
        most of the table for a period), and ``outcomes``."""
        points = self.con.execute(
            f"""
            SELECT DISTINCT lsoa_code, lon, lat, coalesce(lon, {NO_LOCATION}) AS key_lon, coalesce(lat, {NO_LOCATION}) AS key_lat
            FROM ({self._all_rows("lsoa_code, lon, lat", _KINDS)})
            """
        ).df()
        placed = place_rows(points, geography)
        self.con.register("placed_frame", placed[["lsoa_code", "key_lon", "key_lat", *_PLACED]])
        try:
            self.con.execute(f"CREATE TABLE {_POINTS_TABLE} AS SELECT * FROM placed_frame")
        finally:
            self.con.unregister("placed_frame")
        self._check_placed(placed)

        by_month: dict[str, list[str]] = defaultdict(list)
        for month, table in self._tables.values():
            by_month[month].append(table)
        empties = []
        for kind in _KINDS:  # an empty table gives ``crimes`` / ``outcomes`` their columns even when no file has a row
            empties.append(f"{_STAGING}.no_{kind.name}_rows")
            street_stream.create_rows_table(self.con, empties[-1], kind)
        # One thread for the writes: DuckDB then fills each row group in order and writes it straight
        # into the store once full. With several threads each writes its own part-filled row groups,
        # which are merged and written again at commit (through the WAL), leaving the first copies as
        # free blocks: a 100x store of 393 MB instead of 252 MB, ~1.7x the CPU, ~300 MB more memory (bench/README.md).
        threads = self.con.execute("SELECT current_setting('threads')").fetchone()[0]
        self.con.execute("SET threads = 1")  # (a failure ends the build and this connection)
        self.con.execute("BEGIN")
        self.con.execute(f"CREATE TABLE crimes AS {_placed_rows([empties[0]], STREET)} LIMIT 0")
        for month in sorted(by_month):  # one month at a time: each sort is small, and the table ends up in month order
            self.con.execute(f"INSERT INTO crimes {_placed_rows(by_month[month], STREET)} ORDER BY area, r.crime_type")
        outcome_tables = [empties[1], *(t for _, t in sorted(self._outcome_tables.values()))]
        self.con.execute(f"CREATE TABLE outcomes AS {_placed_rows(outcome_tables, _KINDS[1])} ORDER BY r.month, area")
        self.con.execute("COMMIT")
        self.con.execute(f"SET threads = {int(threads)}")
        staged = [t for kind in _KINDS for _, t in self._tables_of(kind).values()]
        for table in [*empties, _POINTS_TABLE, _LA_TABLE, *staged]:
            self.con.execute(f"DROP TABLE {table}")  # so that detaching has nothing to checkpoint
        self.con.execute(f"DETACH {_STAGING}")
        self._staging_file.unlink(missing_ok=True)
        Path(str(self._staging_file) + ".wal").unlink(missing_ok=True)

    def _check_placed(self, placed: pd.DataFrame) -> None:
        unplaced = placed[placed["area"].isna() | placed["lsoa"].isna()]
        if len(unplaced):
            rows = self.con.execute(
                f"SELECT count(*) FROM ({self._all_rows('lsoa_code, lon, lat', _KINDS)}) r JOIN {_POINTS_TABLE} p ON {_KEY} "
                "WHERE p.area IS NULL OR p.lsoa IS NULL"
            ).fetchall()[0][0]
            raise AreaprofileError(
                f"{rows} rows could not be placed in an area (e.g. LSOA {unplaced['lsoa_code'].iloc[0]}); "
                "the boundaries do not match the crime files."
            )

    def finish(self) -> Path:
        """Checkpoint and close the new store; its path (still in the work folder)."""
        self.con.execute("CHECKPOINT")
        self.close()
        shutil.rmtree(self.work_dir / "spill", ignore_errors=True)
        return self.store_file


def _store_table(kind: FileKind) -> str:
    """The store's table for a kind of file's rows."""
    return "crimes" if kind is STREET else "outcomes"


def _placed_rows(tables: list[str], kind: FileKind) -> str:
    """The staged rows of ``tables`` with their placement: the columns of ``crimes`` (or ``outcomes``), in order."""
    rows = " UNION ALL ".join(f"SELECT * FROM {table}" for table in tables)
    published = ", ".join(
        "r.lon AS longitude" if c == "lon" else "r.lat AS latitude" if c == "lat" else f"r.{c}" for c in kind.row_columns
    )
    return f"""
        SELECT {published},
               p.lsoa::VARCHAR AS lsoa, p.lsoa11::VARCHAR AS lsoa11, p.ward_code::VARCHAR AS ward_code,
               p.ward::VARCHAR AS ward, p.parish::VARCHAR AS parish,
               p.area::VARCHAR AS area, p.easting::DOUBLE AS easting, p.northing::DOUBLE AS northing
        FROM ({rows}) r JOIN {_POINTS_TABLE} p ON {_KEY}
    """


def _quoted(path: Path) -> str:
    return str(path).replace("'", "''")
