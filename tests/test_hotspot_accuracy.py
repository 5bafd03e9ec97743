"""PAI, hit rate, RRI and PEI on tiny grids whose answers are worked out by hand in the comments."""

from __future__ import annotations

import numpy as np
import pytest

from areaprofile import hotspot_accuracy as ha
from areaprofile.errors import AreaprofileError
from areaprofile.hotspots import Grid

# A 3 x 3 grid, cells numbered 0..8 row by row, every cell 1 km² of land, so A = 9.
#   training counts        test-month counts
#   5 0 1                  2 1 0
#   0 2 0                  0 4 0
#   0 0 3                  1 0 0
TRAIN = np.array([5, 0, 1, 0, 2, 0, 0, 0, 3], dtype=float)  # N_train = 11
TEST = np.array([2, 1, 0, 0, 4, 0, 1, 0, 0], dtype=float)  # N = 8
AREAS = np.ones(9)


def test_two_cells_by_hand():
    # Coverage 2/9 of 9 km² with 1 km² cells: k = 2 cells. Ranked by training counts: cells 0 (5) and 8 (3).
    k = ha.cells_for_coverage(2 / 9, 9.0, 1.0)
    assert k == 2
    month = ha.score_month("2021-01", TRAIN, TRAIN, TEST, AREAS, 9.0, k)
    # n = test[0] + test[8] = 2 + 0 = 2; hit rate = 2 / 8 = 0.25
    assert month.n == 2 and month.N == 8
    assert month.hit_rate == pytest.approx(0.25)
    # PAI = (2/8) / (2/9) = 0.25 * 4.5 = 1.125
    assert month.pai == pytest.approx(1.125)
    # RRI = (n_test / n_train) / (N_test / N_train) = (2 / 8) / (8 / 11) = 11 / 32 = 0.34375
    assert month.n_train == 8 and month.N_train == 11
    assert month.rri == pytest.approx(0.34375)
    # n_max = the two busiest test cells: 4 + 2 = 6; PEI = 2 / 6
    assert month.n_max == 6
    assert month.pei == pytest.approx(1 / 3)


def test_three_cells_by_hand():
    # k = 3: cells 0 (5), 8 (3), 4 (2). n = 2 + 0 + 4 = 6.
    month = ha.score_month("2021-01", TRAIN, TRAIN, TEST, AREAS, 9.0, 3)
    assert month.n == 6
    assert month.hit_rate == pytest.approx(0.75)
    assert month.pai == pytest.approx(0.75 / (3 / 9))  # 2.25
    assert month.pai == pytest.approx(2.25)
    assert month.rri == pytest.approx((6 / 10) / (8 / 11))  # 0.825
    assert month.rri == pytest.approx(0.825)
    assert month.n_max == 7  # 4 + 2 + 1
    assert month.pei == pytest.approx(6 / 7)


def test_perfect_map_has_pei_one():
    # Ranking by the test month itself picks the best cells: PEI = 1 and PAI is the largest possible.
    month = ha.score_month("2021-01", TEST, TRAIN, TEST, AREAS, 9.0, 2)
    assert month.n == 6 and month.pei == 1.0
    assert month.pai == pytest.approx((6 / 8) / (2 / 9))  # 3.375


def test_clipped_edge_cell_uses_its_land_area():
    # Four cells; cell 1 is half land (0.5 km²), A = 3.5 km². One cell chosen: cell 1 (score 9).
    # Test counts 0, 2, 1, 1: n = 2, N = 4, a = 0.5 -> PAI = (2/4) / (0.5/3.5) = 0.5 * 7 = 3.5
    month = ha.score_month("2021-01", [1, 9, 2, 0], [1, 9, 2, 0], [0, 2, 1, 1], [1, 0.5, 1, 1], 3.5, 1)
    assert month.a == 0.5
    assert month.pai == pytest.approx(3.5)
    assert month.hit_rate == pytest.approx(0.5)


def test_plain_functions():
    assert ha.pai(10, 100, 1, 100) == pytest.approx(10.0)  # 10% of records on 1% of land
    assert ha.hit_rate(3, 12) == pytest.approx(0.25)
    assert ha.rri(5, 50, 10, 100) == pytest.approx(1.0)  # same share in both periods
    assert ha.pei(3, 4) == pytest.approx(0.75)
    # Undefined cases are None, not a division error.
    assert ha.pai(0, 0, 1, 9) is None
    assert ha.hit_rate(0, 0) is None
    assert ha.rri(1, 0, 5, 10) is None
    assert ha.pei(0, 0) is None


def test_ties_keep_cell_order_and_nan_ranks_last():
    assert list(ha.rank_cells([1, 3, 3, 0])) == [1, 2, 0, 3]
    assert list(ha.rank_cells([np.nan, 2, 5])) == [2, 1, 0]
    month = ha.score_month("2021-01", [1, 3, 3, 0], [1, 3, 3, 0], [0, 0, 7, 0], np.ones(4), 4.0, 1)
    assert month.n == 0  # the tie went to cell 1, not to the cell that held the test records


def test_cells_for_coverage():
    # B&NES: 351.15 km² of land, 250 m cells (0.0625 km²): 1% = 3.5115 km² = 56.18 cells -> 56
    assert ha.cells_for_coverage(0.01, 351.15, 0.0625) == 56
    assert ha.cells_for_coverage(0.05, 351.15, 0.0625) == 280  # 280.92 -> 280
    assert ha.cells_for_coverage(0.01, 0.1, 0.0625) == 1  # never zero cells
    for bad in (0, -0.1, 1.5):
        with pytest.raises(AreaprofileError, match="Coverage"):
            ha.cells_for_coverage(bad, 9.0, 1.0)


def test_recent_weights_halve_every_six_months():
    # Two training months, 1 and 7 months before the test month: weights 1 and 0.5.
    train = np.array([[2.0, 0.0], [0.0, 4.0]])  # month 1 back: cell 0 has 2; month 7 back: cell 1 has 4
    scores = ha.METHODS["recent"].score(train, np.array([1, 7]), None)
    assert scores == pytest.approx([2.0, 2.0])  # 2 * 1 and 4 * 0.5
    assert ha.METHODS["naive"].score(train, np.array([1, 7]), None) == pytest.approx([2.0, 4.0])


def _tiny_grid() -> Grid:
    # A 5 x 1 strip of 250 m cells, ix 0..4.
    return Grid(area=None, cell_m=250, ix=np.arange(5), iy=np.zeros(5, dtype=int), land_km2=np.full(5, 0.0625))


def test_smoothing_breaks_ties_by_busy_neighbours():
    # Cells 1 and 3 each had one record last month; cell 4 had three records seven months ago.
    # Naive: 0, 1, 0, 1, 3 -> cell 4, then the tie 1/3 goes to cell 1 (cell order).
    # Recent weights (1 and 0.5): 0, 1, 0, 1, 1.5; a tenth of the smoothed values is added, and
    # cell 3 sits next to busy cell 4 while cell 1 does not, so cell 3 now ranks before cell 1.
    grid = _tiny_grid()
    train = np.array([[0, 1, 0, 1, 0], [0, 0, 0, 0, 3]], dtype=float)
    lags = np.array([1, 7])
    naive = ha.METHODS["naive"].score(train, lags, grid)
    assert list(ha.rank_cells(naive))[:2] == [4, 1]
    ours = ha.METHODS["recent-smoothed"].score(train, lags, grid)
    assert list(ha.rank_cells(ours))[:3] == [4, 3, 1]


def test_grid_smoothing_spreads_to_neighbours_symmetrically():
    # A 7 x 7 block of cells with 10 records in the middle one.
    ix, iy = (a.ravel() for a in np.meshgrid(np.arange(7), np.arange(7), indexing="ij"))
    grid = Grid(area=None, cell_m=250, ix=ix, iy=iy, land_km2=np.full(49, 0.0625))
    values = np.zeros(49)
    middle = int(np.flatnonzero((ix == 3) & (iy == 3))[0])
    values[middle] = 10.0
    smoothed = grid.smooth(values, 1.0)
    assert smoothed.argmax() == middle
    east, west = grid.locate([4, 2], [3, 3])
    assert smoothed[east] == pytest.approx(smoothed[west]) and 0 < smoothed[east] < smoothed[middle]
    # The kernel reaches three cells each way, so the 7 x 7 block keeps (almost) all the mass.
    assert smoothed.sum() == pytest.approx(10.0, rel=0.01)


@pytest.mark.parametrize("sigma", [0.6, 1.0, 1.5, 4.0])
def test_grid_smoothing_equals_scipy_gaussian_filter(sigma):
    """The NumPy blur is scipy.ndimage.gaussian_filter (zeros beyond the edge), which the server no
    longer imports; also where the kernel is wider than the raster."""
    from scipy import ndimage

    from areaprofile.hotspots import gaussian_blur

    raster = np.random.default_rng(5).poisson(2.0, (23, 9)).astype(float)
    want = ndimage.gaussian_filter(raster, sigma, mode="constant", truncate=3.0)
    np.testing.assert_allclose(gaussian_blur(raster, sigma), want, rtol=1e-12, atol=1e-14)
