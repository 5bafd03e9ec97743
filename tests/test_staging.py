"""The build places each distinct snap point once and joins it back (areaprofile/staging.py).

That must give every row exactly what placing the row on its own gives: here every row of the
real store is placed again, row by row, with ``areas.place_rows`` (the per-row placement the
build used before), and compared with what the store holds.
"""

from __future__ import annotations

import numpy as np

from areaprofile import query
from areaprofile.areas import place_rows
from areaprofile.store import geography_from_store

PLACED = ["lsoa", "lsoa11", "ward_code", "ward", "area"]


def test_distinct_points_placed_once_equal_every_row_placed_alone(built_store):
    con = query.connect_fresh(built_store)
    try:
        geography = geography_from_store(con)
        stored = con.execute(
            "SELECT lsoa_code, longitude AS lon, latitude AS lat, lsoa, lsoa11, ward_code, ward, area, easting, northing "
            "FROM crimes ORDER BY rowid"
        ).df()
    finally:
        con.close()
    rows = stored[["lsoa_code", "lon", "lat"]].copy()
    again = place_rows(rows, geography)
    assert len(again) == len(stored) > 50_000
    for column in PLACED:
        expected = again[column].where(again[column].notna(), None).tolist()
        assert stored[column].where(stored[column].notna(), None).tolist() == expected, column
    for column in ("easting", "northing"):
        assert np.array_equal(stored[column].to_numpy(), again[column].to_numpy(), equal_nan=True), column
    # The fixture is real: rows share snap points, and some carry 2011 codes rewritten to 2021 ones.
    assert stored[["lsoa_code", "lon", "lat"]].drop_duplicates().shape[0] < len(stored) / 5
    assert (stored["lsoa_code"] != stored["lsoa"]).any()
