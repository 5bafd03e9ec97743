"""The numpy National Grid -> WGS84 conversion agrees with PROJ (pyproj, which the build uses) to
well under a centimetre: on every hotspot cell of both partnerships' real grids, and across
mainland Great Britain."""

from __future__ import annotations

import numpy as np
import pytest
from pyproj import Transformer

from areaprofile import hotspots, osgb, query

PROJ = Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True)


def _metres_apart(lon_a, lat_a, lon_b, lat_b) -> np.ndarray:
    """Ground distance between two sets of nearby points (metres; fine at these tiny gaps)."""
    north = (np.asarray(lat_a) - lat_b) * 111_200
    east = (np.asarray(lon_a) - lon_b) * 111_320 * np.cos(np.radians(lat_b))
    return np.hypot(north, east)


@pytest.mark.parametrize("which", ["built_store", "bristol_store"])
def test_every_hotspot_cell_centre_and_corner_matches_proj(which, request):
    store = query.open_store(request.getfixturevalue(which))
    grid = hotspots.grid(store)
    x, y = grid.centroids
    corners_x = np.concatenate([x - grid.cell_m / 2, x + grid.cell_m / 2])
    corners_y = np.concatenate([y - grid.cell_m / 2, y + grid.cell_m / 2])
    for east, north in ((x, y), (corners_x, corners_y)):
        ours = osgb.to_lonlat(east, north)
        theirs = PROJ.transform(east, north)
        assert len(east) > 1000
        assert _metres_apart(*ours, *theirs).max() < 0.005


def test_mainland_great_britain_matches_proj():
    east, north = (a.ravel() for a in np.meshgrid(np.linspace(100_000, 660_000, 57), np.linspace(0, 1_000_000, 101)))
    assert _metres_apart(*osgb.to_lonlat(east, north), *PROJ.transform(east, north)).max() < 0.005


def test_a_known_point():
    # The Ordnance Survey's worked example (Caister water tower, OSGB36 52°39'27.2531"N 1°43'4.5177"E)
    # lies about 100 m from its WGS84 position; PROJ's Helmert operation gives the same.
    lon, lat = osgb.to_lonlat(651409.903, 313177.270)
    proj_lon, proj_lat = PROJ.transform(651409.903, 313177.270)
    assert abs(lon - proj_lon) < 1e-7 and abs(lat - proj_lat) < 1e-7
    assert 52.657 < lat < 52.659 and 1.716 < lon < 1.718


def test_lists_and_single_points_work_like_arrays():
    lon, lat = osgb.to_lonlat([370_000, 380_000], [165_000, 170_000])
    assert lon.shape == (2,) and lat.shape == (2,)
    one_lon, one_lat = osgb.to_lonlat(370_000, 165_000)
    assert float(one_lon) == pytest.approx(lon[0], abs=1e-12) and float(one_lat) == pytest.approx(lat[0], abs=1e-12)
