"""The crime rows of one build, kept in DuckDB from the street files to the new store.

Rows never become Python objects: each file is streamed into a staging table
(``sources.street_stream``), months kept from the previous store are copied across in Arrow
batches, and each distinct (LSOA code, snap point) is placed once (``areas.place_rows``) and
joined back to its rows. DuckDB works within ``MEMORY_LIMIT`` and spills to the work folder,
so the build's memory stays flat however many rows the force has.
"""

from __future__ import annotations

import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import duckdb
import pandas as pd

from areaprofile.areas import Geography, place_rows
from areaprofile.errors import AreaprofileError
from areaprofile.sources import street_stream
from areaprofile.sources.police_uk import StreetFile

#: DuckDB's buffer budget in a build (what it cannot hold it spills to the work folder).
MEMORY_LIMIT = "1GB"
#: Files read at once (each also uses DuckDB's threads for its own scan).
READERS = 2
#: Join key for rows without a location (never a real coordinate: outside every range checked).
NO_LOCATION = 999.0
STORE_FILE = "store.duckdb"
_STAGING = "staging"
_PLACED = ["lsoa", "lsoa11", "ward_code", "ward", "area", "easting", "northing"]


class Staging:
    """A work folder holding the new store (``store.duckdb``) and the staged rows beside it."""

    def __init__(self, work_dir: Path, la_lsoa_codes: set[str]):
        self.work_dir = Path(work_dir)
        self.work_dir.mkdir(parents=True, exist_ok=True)
        self.store_file = self.work_dir / STORE_FILE
        self._staging_file = self.work_dir / "staging.duckdb"
        self.con = duckdb.connect(str(self.store_file))
        self.con.execute(f"SET memory_limit = '{MEMORY_LIMIT}'")
        self.con.execute(f"SET temp_directory = '{_quoted(self.work_dir / 'spill')}'")
        self.con.execute("SET preserve_insertion_order = false")
        self.con.execute(f"ATTACH '{_quoted(self._staging_file)}' AS {_STAGING}")
        street_stream.create_tables(self.con, la_lsoa_codes, schema=_STAGING)

    def __enter__(self) -> Staging:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        if self.con is not None:
            self.con.close()
            self.con = None

    def add_files(self, files: list[StreetFile]) -> list[street_stream.FileFigures]:
        """Stream the files into the staging table, two at a time; the first failure (in file order) is raised."""
        unpack_dir = self.work_dir / "unpacked"

        def one(street_file: StreetFile) -> street_stream.FileFigures:
            cursor = self.con.cursor()
            try:
                return street_stream.stage_file(cursor, street_file, unpack_dir, schema=_STAGING)
            finally:
                cursor.close()

        with ThreadPoolExecutor(max_workers=READERS) as pool:
            return list(pool.map(one, files))

    def add_stored(self, previous: duckdb.DuckDBPyConnection, file_keys: list[str]) -> None:
        """Copy the rows of months kept from the previous store, in Arrow batches (they are placed again)."""
        if not file_keys:
            return
        placeholders = ",".join("?" * len(file_keys))
        columns = ", ".join(
            "longitude AS lon" if c == "lon" else "latitude AS lat" if c == "lat" else c for c in street_stream.ROW_COLUMNS
        )
        reader = previous.sql(
            f"SELECT {columns} FROM crimes WHERE file_key IN ({placeholders})", params=file_keys
        ).to_arrow_reader(100_000)
        self.con.register("stored_rows", reader)
        try:
            self.con.execute(f"INSERT INTO {_STAGING}.staged_rows SELECT * FROM stored_rows")
        finally:
            self.con.unregister("stored_rows")

    def per_file(self) -> pd.DataFrame:
        """Rows kept and repeated Crime IDs (blank IDs, as for ASB, are not repeats) per file."""
        return self.con.execute(
            f"""
            SELECT file_key, count(*) AS rows_kept,
                   count(crime_id) FILTER (crime_id <> '') - count(DISTINCT crime_id) FILTER (crime_id <> '')
                       AS repeated_crime_ids
            FROM {_STAGING}.staged_rows GROUP BY file_key
            """
        ).df()

    def write_crimes(self, geography: Geography) -> None:
        """Place each distinct (LSOA code, snap point) once and write ``crimes`` sorted for the queries."""
        points = self.con.execute(
            f"""
            SELECT DISTINCT lsoa_code, lon, lat, coalesce(lon, {NO_LOCATION}) AS key_lon, coalesce(lat, {NO_LOCATION}) AS key_lat
            FROM {_STAGING}.staged_rows
            """
        ).df()
        placed = place_rows(points, geography)
        self.con.register("placed_points", placed[["lsoa_code", "key_lon", "key_lat", *_PLACED]])
        try:
            self._check_placed(placed)
            self.con.execute(
                f"""
                CREATE TABLE crimes AS
                SELECT r.crime_id, r.month, r.reported_by, r.falls_within, r.lon AS longitude, r.lat AS latitude,
                       r.location, r.lsoa_code, r.lsoa_name, r.crime_type, r.last_outcome, r.context, r.file_key,
                       p.lsoa::VARCHAR AS lsoa, p.lsoa11::VARCHAR AS lsoa11, p.ward_code::VARCHAR AS ward_code,
                       p.ward::VARCHAR AS ward, p.area::VARCHAR AS area,
                       p.easting::DOUBLE AS easting, p.northing::DOUBLE AS northing
                FROM {_STAGING}.staged_rows r
                JOIN placed_points p
                  ON r.lsoa_code = p.lsoa_code
                 AND coalesce(r.lon, {NO_LOCATION}) = p.key_lon AND coalesce(r.lat, {NO_LOCATION}) = p.key_lat
                ORDER BY r.month, area, r.crime_type
                """
            )
        finally:
            self.con.unregister("placed_points")
        self.con.execute(f"DETACH {_STAGING}")
        self._staging_file.unlink(missing_ok=True)
        Path(str(self._staging_file) + ".wal").unlink(missing_ok=True)

    def _check_placed(self, placed: pd.DataFrame) -> None:
        unplaced = placed[placed["area"].isna() | placed["lsoa"].isna()]
        if len(unplaced):
            rows = self.con.execute(
                f"""
                SELECT count(*) FROM {_STAGING}.staged_rows r JOIN placed_points p
                  ON r.lsoa_code = p.lsoa_code
                 AND coalesce(r.lon, {NO_LOCATION}) = p.key_lon AND coalesce(r.lat, {NO_LOCATION}) = p.key_lat
                WHERE p.area IS NULL OR p.lsoa IS NULL
                """
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


def _quoted(path: Path) -> str:
    return str(path).replace("'", "''")
