"""Where incidents concentrate: grid counts with Getis-Ord Gi*, the busiest 'on or near' places,
emerging hotspots, and snap points that absorb unusually many incidents.

Everything works on a fixed grid of square cells (250 m by default) in British National Grid
metres (EPSG:27700), aligned to multiples of the cell size so a cell is the same square whatever
area is chosen. A grid holds every cell that touches the chosen area (or the partnership's land); each
cell knows how much of its square is land in that area. Cell ids name the south-west corner,
``E375000N164750``.

Definitions used here (the page says them in plain words):

- **Hot cell**: Getis-Ord Gi* (esda ``G_Local``, ``star=True``, binary queen weights: a cell
  and the eight around it) compares the count in a cell's window with the whole area. The
  p-value is the *exact* upper tail of the window sum under Gi*'s null (cell counts assigned at
  random; :func:`gi_star_exact_p`), not the normal approximation behind the z-score: with sparse
  counts (18 burglaries over 1,341 cells of one small-town area) the normal approximation made every 3 x 3
  block around a single burglary "significant", and with heavy-tailed counts it is too liberal.
  The Benjamini-Hochberg false-discovery-rate cut at 5% over all cells of the grid then decides
  which cells are hot (q <= 0.05 and z > 0). A small permutation test (99 conditional
  permutations, n_jobs=1) is reported as ``p_sim`` for reference only: with 99 permutations no
  p can go below 0.01, too coarse for an FDR cut over thousands of cells (and esda's own p_sim is
  folded, so empty cells in empty surroundings would look "extremely low").
- **Emerging cell**: more records in the period than the same number of months just before
  would lead one to expect, given the change in the area as a whole. Given a cell's two counts,
  the count now is Binomial(now + before, N_now / (N_now + N_before)) if nothing changed locally;
  a one-sided exact test per cell (cells with any record in either period), then the
  Benjamini-Hochberg cut at 5%.
- **Flagged snap point**: police.uk moves every incident to a nearby snap point. A point is
  flagged when its count is larger than the other points of the area make plausible: a negative
  binomial (an over-dispersed Poisson) is fitted by moments to the *other* points' counts, and the
  point is flagged when the chance of a count at least this large is below 5% divided by the
  number of points (Bonferroni). Such a point may be collecting incidents from a wider area
  (for example where a vague address is placed), so a hot cell around it needs care.

Results are cached per store version (a rebuilt store gives new answers); treat them as
read-only.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

from areaprofile import distributions, metrics, osgb, query
from areaprofile.errors import AreaprofileError
from areaprofile.memo import memoised
from areaprofile.periods import Period, month_list
from areaprofile.query import Store

#: Cell size in metres (EPSG:27700).
CELL_M = 250
#: False-discovery rate for hot and emerging cells.
FDR_ALPHA = 0.05
#: Conditional permutations for the reference p_sim (kept small: pure-Python esda without numba).
PERMUTATIONS = 99
SEED = 27700
#: Family-wise level for flagging snap points (Bonferroni over the points of the area).
SNAP_ALPHA = 0.05

def types_key(crime_types) -> tuple[str, ...] | None:
    """Hashable, validated crime types (None = every type)."""
    resolved = query.resolve_crime_types(crime_types)
    return None if resolved is None else tuple(resolved)


# ---- the grid -------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Grid:
    """Square cells touching one area (or the whole partnership), with their land area in that area."""

    area: str | None
    cell_m: int
    ix: np.ndarray  # easting // cell_m of each cell
    iy: np.ndarray  # northing // cell_m of each cell
    land_km2: np.ndarray  # land of the area inside each cell

    @property
    def n(self) -> int:
        return len(self.ix)

    @property
    def total_km2(self) -> float:
        return float(self.land_km2.sum())

    @property
    def cell_km2(self) -> float:
        return self.cell_m * self.cell_m / 1e6

    @cached_property
    def origin(self) -> tuple[int, int]:
        return int(self.ix.min()), int(self.iy.min())

    @cached_property
    def shape(self) -> tuple[int, int]:
        return int(self.ix.max()) - self.origin[0] + 1, int(self.iy.max()) - self.origin[1] + 1

    @cached_property
    def raster_index(self) -> np.ndarray:
        """(nx, ny) array: the cell number at each raster position, -1 where no cell."""
        index = np.full(self.shape, -1, dtype=np.int64)
        index[self.ix - self.origin[0], self.iy - self.origin[1]] = np.arange(self.n)
        return index

    def locate(self, ix, iy) -> np.ndarray:
        """Cell numbers for absolute cell indices (easting // cell_m, northing // cell_m); -1 outside."""
        ix = np.asarray(ix, dtype=np.int64) - self.origin[0]
        iy = np.asarray(iy, dtype=np.int64) - self.origin[1]
        inside = (ix >= 0) & (iy >= 0) & (ix < self.shape[0]) & (iy < self.shape[1])
        out = np.full(ix.shape, -1, dtype=np.int64)
        out[inside] = self.raster_index[ix[inside], iy[inside]]
        return out

    @cached_property
    def cell_ids(self) -> np.ndarray:
        return np.array([f"E{x * self.cell_m}N{y * self.cell_m}" for x, y in zip(self.ix, self.iy)])

    @cached_property
    def centroids(self) -> tuple[np.ndarray, np.ndarray]:
        """Easting and northing (m) of each cell's centre."""
        return (self.ix + 0.5) * self.cell_m, (self.iy + 0.5) * self.cell_m

    @cached_property
    def lonlat(self) -> tuple[np.ndarray, np.ndarray]:
        x, y = self.centroids
        lon, lat = osgb.to_lonlat(x, y)
        return np.round(lon, 5), np.round(lat, 5)

    def square(self, i: int) -> dict:
        """GeoJSON polygon (EPSG:4326) of cell ``i``'s whole square."""
        x0, y0 = self.ix[i] * self.cell_m, self.iy[i] * self.cell_m
        xs = [x0, x0 + self.cell_m, x0 + self.cell_m, x0, x0]
        ys = [y0, y0, y0 + self.cell_m, y0 + self.cell_m, y0]
        lon, lat = osgb.to_lonlat(xs, ys)
        return {"type": "Polygon", "coordinates": [[[round(float(a), 5), round(float(b), 5)] for a, b in zip(lon, lat)]]}

    @cached_property
    def neighbours(self) -> np.ndarray:
        """(n, 8) array: the cell number of each cell's eight surrounding cells (queen adjacency),
        -1 where there is none. NumPy, not a scipy.sparse matrix: the served pages need no scipy."""
        index = np.pad(self.raster_index, 1, constant_values=-1)
        at = (self.ix - self.origin[0], self.iy - self.origin[1])
        around = [index[1 + dx:index.shape[0] - 1 + dx, 1 + dy:index.shape[1] - 1 + dy][at]
                  for dx in (-1, 0, 1) for dy in (-1, 0, 1) if dx or dy]
        return np.stack(around, axis=1) if around else np.empty((0, 8), dtype=np.int64)

    @cached_property
    def weights(self):
        """libpysal W of the queen adjacency (Gi* adds each cell itself), for esda's permutations."""
        from libpysal.weights import W
        from scipy import sparse

        rows = np.repeat(np.arange(self.n), self.neighbours.shape[1])
        cols = self.neighbours.ravel()
        known = cols >= 0
        adjacency = sparse.csr_matrix((np.ones(known.sum()), (rows[known], cols[known])), shape=(self.n, self.n))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return W.from_sparse(adjacency)

    def to_raster(self, values: np.ndarray) -> np.ndarray:
        raster = np.zeros(self.shape, dtype=float)
        raster[self.ix - self.origin[0], self.iy - self.origin[1]] = values
        return raster

    def from_raster(self, raster: np.ndarray) -> np.ndarray:
        return raster[self.ix - self.origin[0], self.iy - self.origin[1]]

    def smooth(self, values: np.ndarray, sigma_cells: float) -> np.ndarray:
        """Gaussian kernel smoothing (sigma in cells) of per-cell values; nothing leaks outside."""
        return self.from_raster(gaussian_blur(self.to_raster(values), sigma_cells))


def gaussian_blur(raster: np.ndarray, sigma: float, truncate: float = 3.0) -> np.ndarray:
    """``scipy.ndimage.gaussian_filter(raster, sigma, mode="constant", truncate=truncate)`` in NumPy:
    the normalised kernel out to ``truncate`` sigmas, one pass per axis, zeros beyond the edge."""
    radius = int(truncate * sigma + 0.5)
    offsets = np.arange(-radius, radius + 1)
    kernel = np.exp(-0.5 * (offsets / sigma) ** 2)
    kernel /= kernel.sum()
    blurred = np.asarray(raster, dtype=float)
    for axis in range(blurred.ndim):
        along = np.moveaxis(blurred, axis, 0)
        padded = np.pad(along, [(radius, radius)] + [(0, 0)] * (along.ndim - 1))
        summed = sum(weight * padded[i:i + along.shape[0]] for i, weight in enumerate(kernel))
        blurred = np.moveaxis(summed, 0, axis)
    return blurred


def _area_geometry(store: Store, area: str | None):
    import shapely

    query.check_area(area, store)
    # Land is the union of the clipped LSOA polygons (never the LA outline, which may run out to sea).
    shapes = query.area_shapes(store)
    if area is not None:
        return shapes[area]
    return shapely.union_all(list(shapes.values()))


@memoised
def grid(store: Store, area: str | None = None, cell_m: int = CELL_M) -> Grid:
    """The cells of ``cell_m`` metres touching ``area`` (None = the whole partnership), clipped land areas in km²."""
    import shapely

    if cell_m <= 0 or cell_m > 5000:
        raise AreaprofileError(f"A cell size of {cell_m} m makes no sense here; use 50 to 5000 m (default {CELL_M}).")
    shape = _area_geometry(store, area)
    minx, miny, maxx, maxy = shape.bounds
    xs = np.arange(int(minx // cell_m), int(maxx // cell_m) + 1)
    ys = np.arange(int(miny // cell_m), int(maxy // cell_m) + 1)
    gx, gy = (a.ravel() for a in np.meshgrid(xs, ys, indexing="ij"))
    boxes = shapely.box(gx * cell_m, gy * cell_m, (gx + 1) * cell_m, (gy + 1) * cell_m)
    shapely.prepare(shape)
    touches = shapely.intersects(shape, boxes)
    boxes = boxes[touches]
    land = np.full(len(boxes), cell_m * cell_m / 1e6)
    edge = ~shapely.contains_properly(shape, boxes)  # only cells on the boundary need clipping
    land[edge] = shapely.area(shapely.intersection(boxes[edge], shape)) / 1e6
    keep = land > 0
    return Grid(area=area, cell_m=cell_m, ix=gx[touches][keep].astype(np.int64),
                iy=gy[touches][keep].astype(np.int64), land_km2=land[keep])


def _cell_sql(cell_m: int) -> str:
    return f"CAST(FLOOR(easting / {int(cell_m)}) AS BIGINT) AS ix, CAST(FLOOR(northing / {int(cell_m)}) AS BIGINT) AS iy"


@memoised
def cell_counts(store: Store, area: str | None, start: str, end: str, crime_types: tuple | None,
                cell_m: int = CELL_M) -> np.ndarray:
    """Records per cell of ``grid(store, area, cell_m)`` for the months and types."""
    g = grid(store, area, cell_m)
    where, params = query.where_clause(start=start, end=end, area=area, crime_types=crime_types, store=store)
    frame = store.sql(
        f"SELECT {_cell_sql(cell_m)}, COUNT(*) AS n FROM crimes WHERE {where} AND easting IS NOT NULL GROUP BY ALL",
        params,
    )
    counts = np.zeros(g.n)
    if not frame.empty:
        cells = g.locate(frame["ix"].to_numpy(), frame["iy"].to_numpy())
        inside = cells >= 0
        np.add.at(counts, cells[inside], frame["n"].to_numpy()[inside])
    return counts


@memoised
def month_cube(store: Store, area: str | None, crime_types: tuple | None,
               cell_m: int = CELL_M) -> tuple[tuple[str, ...], np.ndarray]:
    """(loaded months, array months x cells of records) for one area and set of types."""
    g = grid(store, area, cell_m)
    months = tuple(query.months(store))
    where, params = query.where_clause(area=area, crime_types=crime_types, store=store)
    frame = store.sql(
        f"SELECT month, {_cell_sql(cell_m)}, COUNT(*) AS n FROM crimes WHERE {where} AND easting IS NOT NULL GROUP BY ALL",
        params,
    )
    cube = np.zeros((len(months), g.n))
    if not frame.empty:
        row = frame["month"].map({m: i for i, m in enumerate(months)}).to_numpy()
        cells = g.locate(frame["ix"].to_numpy(), frame["iy"].to_numpy())
        inside = cells >= 0
        np.add.at(cube, (row[inside], cells[inside]), frame["n"].to_numpy()[inside])
    return months, cube


@memoised
def cell_places(store: Store, area: str | None, start: str, end: str, crime_types: tuple | None,
                cell_m: int = CELL_M) -> dict[int, str]:
    """The busiest 'on or near' place of each cell with records (cell number -> place)."""
    g = grid(store, area, cell_m)
    where, params = query.where_clause(start=start, end=end, area=area, crime_types=crime_types, store=store)
    frame = store.sql(
        f"""SELECT ix, iy, ARG_MAX(location, n) AS place FROM (
                SELECT {_cell_sql(cell_m)}, location, COUNT(*) AS n FROM crimes
                WHERE {where} AND easting IS NOT NULL AND location <> '' GROUP BY ALL)
            GROUP BY ix, iy""",
        params,
    )
    if frame.empty:
        return {}
    cells = g.locate(frame["ix"].to_numpy(), frame["iy"].to_numpy())
    return {int(c): p for c, p in zip(cells, frame["place"]) if c >= 0}


# ---- Gi* ------------------------------------------------------------------------------------


def benjamini_hochberg(p_values) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values (q); NaN counts as 1."""
    p = np.nan_to_num(np.asarray(p_values, dtype=float), nan=1.0)
    if p.size == 0:
        return p
    p = np.clip(p, 0.0, 1.0)
    order = np.argsort(p, kind="stable")
    ranked = p[order] * p.size / np.arange(1, p.size + 1)
    q = np.empty_like(p)
    q[order] = np.minimum.accumulate(ranked[::-1])[::-1]  # q_(i) = min over j >= i of p_(j) m / j
    return np.clip(q, 0.0, 1.0)


def window_sums(values, neighbours: np.ndarray) -> np.ndarray:
    """Each cell's value plus its neighbours' (the Gi* window, the cell itself included)."""
    values = np.asarray(values)
    padded = np.append(values, np.zeros(1, dtype=values.dtype))  # neighbour -1 (none) reads this 0
    return values + padded[neighbours].sum(axis=1)


def window_sizes(neighbours: np.ndarray) -> np.ndarray:
    """How many cells each cell's Gi* window holds (itself and its neighbours)."""
    return 1 + (neighbours >= 0).sum(axis=1)


def gi_star_z(values: np.ndarray, neighbours: np.ndarray) -> np.ndarray:
    """Analytical Getis-Ord Gi* z-scores with binary weights (self included), as esda computes them.

    Used by :func:`hot_cells` and the accuracy evaluation; a test checks it against esda.
    """
    y = np.asarray(values, dtype=float)
    n = len(y)
    total = y.sum()
    if n < 2 or total <= 0:
        return np.full(n, np.nan)
    window = window_sums(y, neighbours)
    cardinality = window_sizes(neighbours).astype(float)
    mean = total / n
    variance = (y ** 2).mean() - mean ** 2
    if variance <= 0:
        return np.full(n, np.nan)
    expected = cardinality / n
    var_g = cardinality * (n - cardinality) / (n - 1) / n ** 2 * variance / mean ** 2
    with np.errstate(divide="ignore", invalid="ignore"):
        return (window / total - expected) / np.sqrt(var_g)


def gi_star_exact_p(values, neighbours: np.ndarray) -> np.ndarray:
    """Exact upper-tail p-value of each cell's Gi* window (the cell and its neighbours).

    Gi* with binary weights is the window's share of all records, so under Gi*'s own null
    hypothesis -- each cell's count is a random draw from the area's cell counts -- the window sum
    of a cell with m cells in its window is the sum of m draws from the empirical distribution of
    counts. Its exact distribution is the m-fold convolution of that distribution (draws with
    replacement, which makes the test slightly conservative); p = P(sum >= observed window sum).
    Unlike the normal approximation behind the z-score, this stays valid when counts are sparse
    (one burglary amid empty cells is not a hotspot) or heavy-tailed (a busy city centre).
    """
    y = np.rint(np.asarray(values, dtype=float)).astype(np.int64)
    n = len(y)
    if n == 0 or y.sum() == 0:
        return np.ones(n)
    pmf = np.bincount(y) / n
    window = window_sums(y, neighbours)
    size = window_sizes(neighbours)
    p = np.ones(n)
    convolved = np.array([1.0])
    for m in range(1, int(size.max()) + 1):
        convolved = np.convolve(convolved, pmf)
        cells = np.flatnonzero(size == m)
        if len(cells) == 0:
            continue
        survival = np.cumsum(convolved[::-1])[::-1]  # survival[s] = P(sum >= s), summed from the tail
        observed = window[cells]
        inside = observed < len(survival)
        p[cells[inside]] = survival[observed[inside]]
        p[cells[~inside]] = 0.0
    return np.clip(p, 0.0, 1.0)


@memoised
def hot_cells(store: Store, selection, alpha: float = FDR_ALPHA, cell_m: int = CELL_M,
              permutations: int = 0) -> pd.DataFrame:
    """Every cell of the selection's area with its count, Gi* z, p, FDR q and flag.

    Columns: cell_id, easting, northing (cell centre, m), longitude, latitude, land_km2, count,
    z (esda Gi* z-score), p (exact upper-tail p, :func:`gi_star_exact_p`), q (Benjamini-Hochberg),
    p_sim (upper-tail conditional permutation p from esda, for reference only), flag
    ('hot' when q <= alpha and z > 0, else 'not'), place (busiest snap point in the cell).
    Sorted by z, highest first. z is computed in numpy (:func:`gi_star_z`, equal to esda's);
    esda itself (with scikit-learn, ~100 MB) is loaded only when ``permutations`` asks for p_sim,
    which the CLI does and the page does not.
    """
    if not 0 < alpha < 1:
        raise AreaprofileError(f"The false-discovery rate must be between 0 and 1, not {alpha}.")
    types = types_key(selection.crime_types)
    period = selection.period
    g = grid(store, selection.area, cell_m)
    y = cell_counts(store, selection.area, period.start, period.end, types, cell_m)
    z = np.full(g.n, np.nan)
    p_sim = np.full(g.n, np.nan)
    if y.sum() > 0 and y.var() > 0 and g.n > 2:
        z = gi_star_z(y, g.neighbours)
    if permutations and y.sum() > 0 and y.var() > 0 and g.n > 2:
        from esda import G_Local

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = G_Local(y, g.weights, transform="B", star=True, permutations=permutations,
                             n_jobs=1, seed=SEED, keep_simulations=True)
        # Upper tail only (esda's own p_sim is folded to the nearer tail).
        simulated = np.asarray(result.rGs, dtype=float)
        p_sim = (np.sum(simulated >= result.Gs[:, None] - 1e-12, axis=1) + 1) / (permutations + 1)
    p = gi_star_exact_p(y, g.neighbours)
    q = benjamini_hochberg(p)
    hot = (q <= alpha) & (np.nan_to_num(z) > 0)
    east, north = g.centroids
    lon, lat = g.lonlat
    places = cell_places(store, selection.area, period.start, period.end, types, cell_m)
    frame = pd.DataFrame({
        "cell_id": g.cell_ids,
        "easting": east.astype(int),
        "northing": north.astype(int),
        "longitude": lon,
        "latitude": lat,
        "land_km2": np.round(g.land_km2, 4),
        "count": y.astype(int),
        "z": z,
        "p": p,
        "q": q,
        "p_sim": p_sim,
        "flag": np.where(hot, "hot", "not"),
        "place": [places.get(i, "") for i in range(g.n)],
    })
    frame["_cell"] = np.arange(g.n)
    frame = frame.sort_values(["z", "count", "cell_id"], ascending=[False, False, True], na_position="last")
    return frame.reset_index(drop=True)


@dataclass(frozen=True)
class HotSummary:
    area_label: str
    types_label: str
    period_label: str
    cells: int
    hot_cells: int
    records: int
    hot_records: int
    land_km2: float
    hot_land_km2: float

    @property
    def hot_record_share(self) -> float:
        return 100.0 * self.hot_records / self.records if self.records else 0.0

    @property
    def hot_land_share(self) -> float:
        return 100.0 * self.hot_land_km2 / self.land_km2 if self.land_km2 else 0.0

    def sentence(self) -> str:
        if self.records == 0:
            return f"No {self.types_label} records in {self.area_label} in {self.period_label}, so there are no hotspots."
        if self.hot_cells == 0:
            return (f"No 250 m cell in {self.area_label} stands out for {self.types_label} in {self.period_label}: "
                    f"the {self.records:,} records are not clustered beyond what chance would give.")
        return (f"{self.hot_cells:,} of {self.cells:,} grid cells in {self.area_label} are hotspots for "
                f"{self.types_label} in {self.period_label}: they hold {self.hot_record_share:.0f}% of the "
                f"{self.records:,} records on {self.hot_land_share:.1f}% of the land.")


@memoised
def hot_summary(store: Store, selection, alpha: float = FDR_ALPHA) -> HotSummary:
    cells = hot_cells(store, selection, alpha)
    hot = cells[cells["flag"] == "hot"]
    return HotSummary(
        area_label=selection.area_label, types_label=selection.types_label, period_label=selection.period.label,
        cells=len(cells), hot_cells=len(hot), records=int(cells["count"].sum()), hot_records=int(hot["count"].sum()),
        land_km2=float(cells["land_km2"].sum()), hot_land_km2=float(hot["land_km2"].sum()),
    )


@memoised
def hot_table(store: Store, selection, alpha: float = FDR_ALPHA) -> pd.DataFrame:
    """The hot cells as a plain table (the map's table alternative)."""
    cells = hot_cells(store, selection, alpha)
    hot = cells[cells["flag"] == "hot"]
    return pd.DataFrame({
        "Cell (250 m, SW corner)": hot["cell_id"],
        "Busiest place in the cell": hot["place"].replace("", "—"),
        "Records": hot["count"],
        "Gi* z-score": hot["z"].round(2),
        "p-value": hot["p"].map(_p_text),
        "FDR q-value": hot["q"].map(_p_text),
        "Land in cell (km²)": hot["land_km2"].round(3),
    }).reset_index(drop=True)


def _p_text(p: float) -> str:
    if p is None or not np.isfinite(p):
        return "—"
    return "< 0.0001" if p < 0.0001 else f"{p:.4f}"


# ---- busiest places -------------------------------------------------------------------------


def _fully_loaded(store: Store, period: Period) -> bool:
    loaded = set(query.months(store))
    return all(m in loaded for m in month_list(period.start, period.end))


@memoised
def busiest_locations(store: Store, selection, limit: int = 10) -> pd.DataFrame:
    """The busiest 'on or near' snap points with their change against the previous equal period.

    Columns: location, area, count, share_percent, previous (None when those months are not
    loaded), change, change_percent, verdict ('Unusual rise', 'Unusual fall', 'Within normal
    variation' from the exact Poisson test, or 'not available'), p_value, latitude, longitude.
    A snap point is a (location, latitude, longitude) triple rounded to 5 decimals.
    """
    types = types_key(selection.crime_types)
    period, previous = selection.period, selection.period.previous()
    where, params = query.where_clause(period.start, period.end, selection.area, types, store=store)
    pwhere, pparams = query.where_clause(previous.start, previous.end, selection.area, types, store=store)
    frame = store.sql(
        f"""
        WITH now AS (
            SELECT location, ROUND(latitude, 5) AS latitude, ROUND(longitude, 5) AS longitude,
                   MIN(area) AS area, COUNT(*) AS count
            FROM crimes WHERE {where} AND location <> '' AND latitude IS NOT NULL GROUP BY 1, 2, 3
        ), before AS (
            SELECT location, ROUND(latitude, 5) AS latitude, ROUND(longitude, 5) AS longitude, COUNT(*) AS previous
            FROM crimes WHERE {pwhere} AND location <> '' AND latitude IS NOT NULL GROUP BY 1, 2, 3
        )
        SELECT now.location, now.area, now.count, (now.count * 100.0 / SUM(now.count) OVER ()) AS share_percent,
               COALESCE(before.previous, 0) AS previous, now.latitude, now.longitude
        FROM now LEFT JOIN before USING (location, latitude, longitude)
        ORDER BY now.count DESC, now.location, now.latitude, now.longitude LIMIT {int(limit)}
        """,
        params + pparams,
    )
    have_previous = _fully_loaded(store, previous)
    rows = []
    for row in frame.itertuples(index=False):
        if have_previous:
            change = metrics.compare_counts(int(row.count), int(row.previous))
            rows.append((int(row.previous), change.difference, change.percent, change.verdict, change.p_value))
        else:
            rows.append((None, None, None, "not available", None))
    extra = pd.DataFrame(rows, columns=["previous", "change", "change_percent", "verdict", "p_value"])
    frame = frame.drop(columns="previous").reset_index(drop=True)
    frame = pd.concat([frame, extra], axis=1)
    frame["share_percent"] = frame["share_percent"].astype(float).round(1)
    return frame[["location", "area", "count", "share_percent", "previous", "change", "change_percent", "verdict",
                  "p_value", "latitude", "longitude"]]


def busiest_table(frame: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        "Place (on or near)": frame["location"],
        "Area": frame["area"],
        "Records": frame["count"],
        "Share of the area's records (%)": frame["share_percent"],
        "Previous period": frame["previous"],
        "Change": frame["change"],
        "Change (%)": frame["change_percent"].map(lambda v: None if v is None or pd.isna(v) else round(float(v))),
        "Is the change unusual?": frame["verdict"],
    })


def busiest_sentence(frame: pd.DataFrame, selection) -> str:
    if frame.empty:
        return f"No located {selection.types_label} records in {selection.area_label} in {selection.period.label}."
    top = frame.iloc[0]
    text = (f"The busiest place is '{top['location']}' ({top['area']}) with {int(top['count']):,} records, "
            f"{top['share_percent']:.1f}% of the area's {selection.types_label}")
    rises = frame[frame["verdict"] == "Unusual rise"]
    if frame["verdict"].iloc[0] == "not available":
        return text + f"; the previous {selection.period.months}-month period is not loaded, so no change is shown."
    if len(rises):
        names = ", ".join(f"'{n}'" for n in rises["location"].head(3))
        return text + f"; unusual rises against the previous period at {names}."
    return text + "; none of these places changed by more than chance would give."


# ---- emerging hotspots -------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Emerging:
    """Cells significantly hotter in the period than in the same number of months just before."""

    period: Period
    previous: Period
    available: bool
    total_now: int
    total_before: int
    tested: int
    cells: pd.DataFrame  # tested cells, most significant first; column 'emerging' marks the flagged ones
    alpha: float
    area_label: str
    types_label: str

    @property
    def emerging(self) -> pd.DataFrame:
        return self.cells[self.cells["emerging"]].reset_index(drop=True)

    def sentence(self) -> str:
        if not self.available:
            return (f"Emerging hotspots need the {self.period.months} months before {self.period.label} "
                    f"({self.previous.label}); those are not all loaded, so none can be shown.")
        found = self.emerging
        if found.empty:
            return (f"No cell in {self.area_label} rose for {self.types_label} more than chance would give: "
                    f"{self.tested:,} cells with records were tested against {self.previous.label} "
                    f"({self.total_now:,} records now, {self.total_before:,} before).")
        top = found.iloc[0]
        where = f" around '{top['place']}'" if top["place"] else ""
        return (f"{len(found)} cell{'s' if len(found) != 1 else ''} in {self.area_label} became hotter for "
                f"{self.types_label} than in {self.previous.label}; the strongest{where} went from "
                f"{int(top['previous'])} to {int(top['count'])} records.")

    def table(self) -> pd.DataFrame:
        found = self.emerging
        return pd.DataFrame({
            "Cell (250 m, SW corner)": found["cell_id"],
            "Busiest place in the cell": found["place"].replace("", "—"),
            "Records now": found["count"],
            "Records before": found["previous"],
            "Expected now if nothing changed locally": found["expected"].round(1),
            "p-value": found["p"].map(_p_text),
            "FDR q-value": found["q"].map(_p_text),
        })


def emerging_test(now: np.ndarray, before: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(expected now, one-sided p, BH q) per cell with any record, for counts now and before.

    Given the cell's total t = now + before, the count now is Binomial(t, N_now / (N_now + N_before))
    when the cell's share of the area did not change; p = P(X >= now)."""
    now = np.asarray(now, dtype=float)
    before = np.asarray(before, dtype=float)
    total_now, total_before = now.sum(), before.sum()
    if total_now + total_before == 0:
        return np.zeros(len(now)), np.ones(len(now)), np.ones(len(now))
    share = total_now / (total_now + total_before)
    trials = now + before
    expected = trials * share
    p = np.array([distributions.binomial_upper_tail(k, n, share) for k, n in zip(now, trials)])
    return expected, p, benjamini_hochberg(p)


@memoised
def emerging_hotspots(store: Store, selection, alpha: float = FDR_ALPHA, cell_m: int = CELL_M) -> Emerging:
    """Cells with significantly more records than the previous equal period (see module notes)."""
    types = types_key(selection.crime_types)
    period, previous = selection.period, selection.period.previous()
    g = grid(store, selection.area, cell_m)
    now = cell_counts(store, selection.area, period.start, period.end, types, cell_m)
    available = _fully_loaded(store, previous)
    empty = pd.DataFrame(columns=["cell_id", "place", "count", "previous", "expected", "p", "q", "emerging",
                                  "longitude", "latitude", "_cell"])
    if not available:
        return Emerging(period, previous, False, int(now.sum()), 0, 0, empty, alpha, selection.area_label,
                        selection.types_label)
    before = cell_counts(store, selection.area, previous.start, previous.end, types, cell_m)
    tested = np.flatnonzero(now + before > 0)
    expected, p, q = emerging_test(now[tested], before[tested])
    places = cell_places(store, selection.area, period.start, period.end, types, cell_m)
    lon, lat = g.lonlat
    cells = pd.DataFrame({
        "cell_id": g.cell_ids[tested],
        "place": [places.get(int(i), "") for i in tested],
        "count": now[tested].astype(int),
        "previous": before[tested].astype(int),
        "expected": expected,
        "p": p,
        "q": q,
        "emerging": (q <= alpha) & (now[tested] > expected),
        "longitude": lon[tested],
        "latitude": lat[tested],
        "_cell": tested,
    }).sort_values(["p", "count"], ascending=[True, False]).reset_index(drop=True)
    return Emerging(period, previous, True, int(now.sum()), int(before.sum()), len(tested), cells, alpha,
                    selection.area_label, selection.types_label)


# ---- snap points that absorb many incidents ----------------------------------------------------


def snap_outlier_p(counts) -> np.ndarray:
    """Upper-tail p of each count under a negative binomial fitted (by moments) to the others.

    For point i the other points' mean m and variance v (n - 1 denominator) give size
    r = m² / (v - m); p_i = P(X >= c_i). Where the others are not over-dispersed (v <= m) a
    Poisson(m) is used. Fewer than three points: all p are 1.
    """
    c = np.asarray(counts, dtype=float)
    k = len(c)
    if k < 3:
        return np.ones(k)
    total, squares = c.sum(), (c ** 2).sum()
    mean = (total - c) / (k - 1)
    variance = ((squares - c ** 2) - (k - 1) * mean ** 2) / (k - 2)
    p = np.ones(k)
    for i in range(k):
        m, v = mean[i], variance[i]
        if m <= 0:
            p[i] = 0.0 if c[i] > 0 else 1.0
        elif v <= m:
            p[i] = distributions.poisson_upper_tail(c[i], m)
        else:
            r = m * m / (v - m)
            p[i] = distributions.negative_binomial_upper_tail(c[i], r, r / (r + m))
    return p


@memoised
def snap_point_flags(store: Store, selection, alpha: float = SNAP_ALPHA) -> pd.DataFrame:
    """Every snap point of the selection with count, share and the outlier test; flagged first.

    Columns: location, area, count, share_percent, others_mean, p_value, flagged, latitude,
    longitude. ``flagged`` when p_value < alpha / number of points (see module notes)."""
    types = types_key(selection.crime_types)
    period = selection.period
    where, params = query.where_clause(period.start, period.end, selection.area, types, store=store)
    frame = store.sql(
        f"""SELECT location, ROUND(latitude, 5) AS latitude, ROUND(longitude, 5) AS longitude,
                   MIN(area) AS area, COUNT(*) AS count
            FROM crimes WHERE {where} AND location <> '' AND latitude IS NOT NULL GROUP BY 1, 2, 3
            ORDER BY count DESC, location, latitude, longitude""",
        params,
    )
    counts = frame["count"].to_numpy(dtype=float)
    k = len(counts)
    frame["share_percent"] = 100.0 * counts / counts.sum() if k else []
    frame["others_mean"] = (counts.sum() - counts) / (k - 1) if k > 1 else np.nan
    frame["p_value"] = snap_outlier_p(counts)
    frame["flagged"] = frame["p_value"] < alpha / max(k, 1)
    frame = frame.sort_values(["flagged", "count"], ascending=[False, False], kind="stable")
    return frame[["location", "area", "count", "share_percent", "others_mean", "p_value", "flagged", "latitude",
                  "longitude"]].reset_index(drop=True)


SNAP_RULE = (
    "A place is flagged when its count is too large for the other places in the area to explain: we fit an "
    "over-dispersed Poisson (negative binomial) to every other place's count and flag the place when the chance of "
    "a count this large is below 5% divided by the number of places."
)


def snap_sentence(frame: pd.DataFrame, selection) -> str:
    flagged = frame[frame["flagged"]]
    if frame.empty:
        return f"No located records in {selection.area_label} in {selection.period.label}."
    if flagged.empty:
        return (f"No single place takes an unusual share of {selection.area_label}'s {selection.types_label}: "
                f"the busiest holds {frame['share_percent'].max():.1f}% of {int(frame['count'].sum()):,} records "
                f"over {len(frame):,} places.")
    top = flagged.iloc[0]
    more = f" and {len(flagged) - 1} more" if len(flagged) > 1 else ""
    return (f"'{top['location']}'{more} absorbs an unusual share: {int(top['count']):,} records "
            f"({top['share_percent']:.1f}% of the area's {selection.types_label}) against an average of "
            f"{top['others_mean']:.1f} at the other {len(frame) - 1:,} places.")


def snap_table(frame: pd.DataFrame) -> pd.DataFrame:
    flagged = frame[frame["flagged"]]
    return pd.DataFrame({
        "Place (on or near)": flagged["location"],
        "Area": flagged["area"],
        "Records": flagged["count"],
        "Share of the area's records (%)": flagged["share_percent"].round(1),
        "Average at the other places": flagged["others_mean"].round(1),
        "Chance of a count this high": flagged["p_value"].map(_p_text),
    }).reset_index(drop=True)


# ---- words for the page ---------------------------------------------------------------------


HOTSPOT_EXPLAINED = (
    "The map divides the area into squares of 250 m. A square is a hotspot when it and the eight squares around it "
    "together hold far more records than nine squares picked at random from the area would usually hold "
    "(Getis-Ord Gi*). Because hundreds of squares are tested, we use a false-discovery-rate cut: of the squares "
    "marked hot, at most about one in twenty would be marked by chance."
)
SNAP_EXPLAINED = (
    "police.uk does not publish exact addresses. Each incident is moved to the nearest of a fixed set of 'snap "
    "points' (each covering eight or more addresses) and named 'On or near ...'. A hotspot therefore shows where "
    "incidents were mapped, which can be a few hundred metres from where they happened."
)



# ---- map layers ---------------------------------------------------------------------------------


@memoised
def map_layers(store: Store, selection, forecast: tuple[str, ...] = (), alpha: float = FDR_ALPHA) -> dict:
    """GeoJSON for the hotspot map: cells with records (or hot, or in ``forecast``) and the area outlines.

    Cell properties: cell_id, name (busiest place, else the cell id), count, z, hot (bool),
    status ('Hotspot' / 'Not a hotspot'), forecast (bool), next_month (words). Outlines carry
    the area name."""
    import json

    cells = hot_cells(store, selection, alpha)
    g = grid(store, selection.area)
    wanted = set(forecast)
    keep = cells[(cells["count"] > 0) | (cells["flag"] == "hot") | cells["cell_id"].isin(wanted)]
    features = []
    for row in keep.to_dict(orient="records"):
        hot = row["flag"] == "hot"
        chosen = row["cell_id"] in wanted
        features.append({
            "type": "Feature",
            "properties": {
                "cell_id": row["cell_id"],
                "name": row["place"] or f"Cell {row['cell_id']}",
                "count": int(row["count"]),
                "z": None if not np.isfinite(row["z"]) else round(float(row["z"]), 2),
                "hot": bool(hot),
                "status": "Hotspot (Gi*, 5% false-discovery rate)" if hot else "Not a hotspot",
                "forecast": bool(chosen),
                "next_month": "In the top 1% of land for next month" if chosen else "—",
            },
            "geometry": g.square(int(row["_cell"])),
        })
    outlines = store.sql("SELECT name, geojson FROM areas")
    if selection.area:
        outlines = outlines[outlines["name"] == selection.area]
    boundary = [{"type": "Feature", "properties": {"name": r.name}, "geometry": json.loads(r.geojson)}
                for r in outlines.itertuples(index=False)]
    return {"cells": {"type": "FeatureCollection", "features": features},
            "boundaries": {"type": "FeatureCollection", "features": boundary}}
