"""British National Grid (EPSG:27700) eastings and northings to WGS84 longitude and latitude.

The hotspot map draws its 250 m cells, which live on the National Grid, on a WGS84 web map. This is
the same calculation PROJ makes for that pair when the OSTN15 grid file is absent (its "OSGB36 to
WGS 84 (6)" operation, accurate to about 2 m): the inverse Transverse Mercator projection on the
Airy 1830 ellipsoid (Ordnance Survey's formulae), then the seven-parameter Helmert shift to WGS84.
Written with numpy so the dashboard's server does not load pyproj (about 15 MiB) for a display-only
conversion; the build, which places records in boundaries, still uses pyproj.
"""

from __future__ import annotations

import numpy as np

# Airy 1830 ellipsoid and the National Grid's projection (true origin 49°N 2°W).
_AIRY_A, _AIRY_B = 6_377_563.396, 6_356_256.909
_F0 = 0.9996012717
_LAT0, _LON0 = np.radians(49.0), np.radians(-2.0)
_E0, _N0 = 400_000.0, -100_000.0

# WGS84 ellipsoid.
_WGS84_A = 6_378_137.0
_WGS84_F = 1 / 298.257223563

# OSGB36 -> WGS84, position-vector convention (EPSG:1314, the parameters PROJ uses).
_SHIFT_M = np.array([446.448, -125.157, 542.06])
_ROTATION_ARCSEC = np.array([0.15, 0.247, 0.842])
_SCALE_PPM = -20.489


def _meridional_arc(lat: np.ndarray) -> np.ndarray:
    """Distance along the central meridian from the true origin's latitude to ``lat`` (Airy, scaled by F0)."""
    n = (_AIRY_A - _AIRY_B) / (_AIRY_A + _AIRY_B)
    d, s = lat - _LAT0, lat + _LAT0
    return _AIRY_B * _F0 * (
        (1 + n + 5 / 4 * n**2 + 5 / 4 * n**3) * d
        - (3 * n + 3 * n**2 + 21 / 8 * n**3) * np.sin(d) * np.cos(s)
        + (15 / 8 * n**2 + 15 / 8 * n**3) * np.sin(2 * d) * np.cos(2 * s)
        - 35 / 24 * n**3 * np.sin(3 * d) * np.cos(3 * s)
    )


def _grid_to_osgb36(easting: np.ndarray, northing: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Inverse Transverse Mercator: National Grid metres to OSGB36 latitude and longitude (radians)."""
    e2 = 1 - _AIRY_B**2 / _AIRY_A**2
    lat = (northing - _N0) / (_AIRY_A * _F0) + _LAT0
    for _ in range(20):  # converges to well under a millimetre in three or four steps
        step = (northing - _N0 - _meridional_arc(lat)) / (_AIRY_A * _F0)
        lat = lat + step
        if np.all(np.abs(step) < 1e-12):
            break
    sin_lat, tan_lat = np.sin(lat), np.tan(lat)
    sec_lat = 1 / np.cos(lat)
    nu = _AIRY_A * _F0 / np.sqrt(1 - e2 * sin_lat**2)
    rho = _AIRY_A * _F0 * (1 - e2) / (1 - e2 * sin_lat**2) ** 1.5
    eta2 = nu / rho - 1
    t2 = tan_lat**2
    de = easting - _E0
    lat_out = lat - (
        tan_lat / (2 * rho * nu) * de**2
        - tan_lat / (24 * rho * nu**3) * (5 + 3 * t2 + eta2 - 9 * t2 * eta2) * de**4
        + tan_lat / (720 * rho * nu**5) * (61 + 90 * t2 + 45 * t2**2) * de**6
    )
    lon_out = _LON0 + (
        sec_lat / nu * de
        - sec_lat / (6 * nu**3) * (nu / rho + 2 * t2) * de**3
        + sec_lat / (120 * nu**5) * (5 + 28 * t2 + 24 * t2**2) * de**5
        - sec_lat / (5040 * nu**7) * (61 + 662 * t2 + 1320 * t2**2 + 720 * t2**3) * de**7
    )
    return lat_out, lon_out


def _to_cartesian(lat: np.ndarray, lon: np.ndarray, a: float, e2: float) -> np.ndarray:
    nu = a / np.sqrt(1 - e2 * np.sin(lat) ** 2)
    return np.stack([nu * np.cos(lat) * np.cos(lon), nu * np.cos(lat) * np.sin(lon), (1 - e2) * nu * np.sin(lat)])


def _from_cartesian(xyz: np.ndarray, a: float, e2: float) -> tuple[np.ndarray, np.ndarray]:
    x, y, z = xyz
    p = np.hypot(x, y)
    lat = np.arctan2(z, p * (1 - e2))
    for _ in range(10):
        nu = a / np.sqrt(1 - e2 * np.sin(lat) ** 2)
        lat = np.arctan2(z + e2 * nu * np.sin(lat), p)
    return lat, np.arctan2(y, x)


def to_lonlat(easting, northing) -> tuple[np.ndarray, np.ndarray]:
    """WGS84 (longitude, latitude) in degrees of National Grid points (metres); arrays or lists."""
    easting = np.asarray(easting, dtype=float)
    northing = np.asarray(northing, dtype=float)
    lat, lon = _grid_to_osgb36(easting, northing)
    xyz = _to_cartesian(lat, lon, _AIRY_A, 1 - _AIRY_B**2 / _AIRY_A**2)
    rx, ry, rz = np.radians(_ROTATION_ARCSEC / 3600)
    rotation = np.array([[1, -rz, ry], [rz, 1, -rx], [-ry, rx, 1]])
    shifted = _SHIFT_M.reshape(3, *([1] * easting.ndim)) + (1 + _SCALE_PPM * 1e-6) * np.tensordot(rotation, xyz, axes=1)
    lat84, lon84 = _from_cartesian(shifted, _WGS84_A, _WGS84_F * (2 - _WGS84_F))
    return np.degrees(lon84), np.degrees(lat84)
