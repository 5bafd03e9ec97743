"""Hotspots on the real 46-month store: Gi* with an FDR cut, grid counts, busiest places, emerging
cells, snap points, the accuracy evaluation and the two CLI commands."""

from __future__ import annotations

import csv
import io
import json
import math

import numpy as np
import pytest

from areaprofile import hotspot_accuracy as ha
from areaprofile import hotspots, query
from areaprofile.cli import main
from areaprofile.periods import Period
from areaprofile.profile import Selection

ALL_CRIME = query.TYPE_GROUPS["all-crime"]
YEAR = Period("2020-10", "2021-09")
QUARTER = Period("2021-07", "2021-09")
ABBEY = (51.3814, -2.3590)  # Bath Abbey: the middle of Bath's centre


@pytest.fixture(scope="module")
def store(built_store):
    return query.open_store(built_store)


def _km(lat1, lon1, lat2, lon2) -> float:
    dy = (lat2 - lat1) * 111.2
    dx = (lon2 - lon1) * 111.2 * math.cos(math.radians(lat1))
    return math.hypot(dx, dy)


def test_gi_star_finds_significant_cells_in_bath_centre(store):
    selection = Selection(area="Bath", period=YEAR, crime_types=ALL_CRIME)
    cells = hotspots.hot_cells(store, selection)
    hot = cells[cells["flag"] == "hot"]
    assert len(hot) >= 5
    # The strongest hot cell is in the city centre, and hot cells hold far more than their share of land.
    top = hot.iloc[0]
    assert _km(top["latitude"], top["longitude"], *ABBEY) < 1.0
    summary = hotspots.hot_summary(store, selection)
    assert summary.hot_cells == len(hot)
    assert summary.hot_record_share > 5 * summary.hot_land_share
    assert "are hotspots for all crime (excluding ASB)" in summary.sentence()


@pytest.mark.parametrize("area, period, types", [
    ("Bath", QUARTER, ALL_CRIME),
    (None, YEAR, ("Anti-social behaviour",)),
    ("Keynsham", YEAR, ("Burglary",)),
    ("Somer Valley", QUARTER, None),
])
def test_fdr_flags_are_a_subset_of_p_below_5_percent(store, area, period, types):
    cells = hotspots.hot_cells(store, Selection(area=area, period=period, crime_types=types))
    hot = cells["flag"] == "hot"
    assert set(cells["flag"]) <= {"hot", "not"}
    assert (cells.loc[hot, "p"] < 0.05).all()
    assert (cells.loc[hot, "z"] > 0).all()
    assert (cells.loc[hot, "q"] <= 0.05).all()
    # q is the Benjamini-Hochberg adjustment: never below p.
    assert (cells["q"] >= cells["p"] - 1e-15).all()


def test_fdr_cut_is_stricter_than_p_below_5_percent(store):
    cells = hotspots.hot_cells(store, Selection(area="Bath", period=QUARTER, crime_types=ALL_CRIME))
    raw = ((cells["p"] < 0.05) & (cells["z"] > 0)).sum()
    hot = (cells["flag"] == "hot").sum()
    assert 0 < hot < raw


def test_exact_gi_star_p_by_hand():
    # A strip of three cells 0 - 1 - 2 with counts 0, 0, 3. Counts drawn at random from {0, 0, 3}:
    # P(draw 0) = 2/3, P(draw 3) = 1/3. Windows: cell 0 = {0, 1} (2 cells, sum 0), cell 1 = {0, 1, 2}
    # (3 cells, sum 3), cell 2 = {1, 2} (2 cells, sum 3).
    # p0 = P(sum of 2 draws >= 0) = 1; p1 = P(3 draws >= 3) = 1 - (2/3)^3 = 19/27;
    # p2 = P(2 draws >= 3) = 1 - (2/3)^2 = 5/9.
    neighbours = np.array([[1, -1], [0, 2], [1, -1]])
    p = hotspots.gi_star_exact_p([0, 0, 3], neighbours)
    assert p == pytest.approx([1.0, 19 / 27, 5 / 9])
    # Counts 2, 1, 0 (draws: 0, 1, 2 each 1/3). Cell 1's window sums to 3 over 3 draws:
    # P(sum >= 3) = 1 - P(sum <= 2); sums of three draws from {0,1,2}: 27 outcomes, sum 0: 1, sum 1: 3,
    # sum 2: 6 -> P(sum <= 2) = 10/27, p1 = 17/27.
    assert hotspots.gi_star_exact_p([2, 1, 0], neighbours)[1] == pytest.approx(17 / 27)


def test_sparse_counts_do_not_make_single_records_hot(store):
    # 18 burglaries over 1,341 Keynsham cells: the normal approximation to Gi* flagged the 3 x 3 block
    # around every lone burglary; the exact test needs more than one record in a window.
    selection = Selection(area="Keynsham", period=QUARTER, crime_types=("Burglary",))
    cells = hotspots.hot_cells(store, selection).sort_values("_cell")
    grid = hotspots.grid(store, "Keynsham")
    counts = cells["count"].to_numpy()
    window = hotspots.window_sums(counts, grid.neighbours)
    hot = (cells["flag"] == "hot").to_numpy()
    assert (window[hot] >= 2).all()
    lone = (window == 1)
    assert lone.any() and not hot[lone].any()


def test_analytic_gi_star_agrees_with_esda(store):
    from esda import G_Local

    selection = Selection(area="Keynsham", period=YEAR, crime_types=None)
    cells = hotspots.hot_cells(store, selection).sort_values("_cell")
    grid = hotspots.grid(store, "Keynsham")
    counts = hotspots.cell_counts(store, "Keynsham", YEAR.start, YEAR.end, None)
    esda_z = G_Local(counts, grid.weights, transform="B", star=True, permutations=0).Zs
    assert np.allclose(esda_z, cells["z"].to_numpy(), equal_nan=True)
    with_sim = hotspots.hot_cells(store, selection, permutations=19).sort_values("_cell")
    assert with_sim["p_sim"].notna().all() and np.allclose(with_sim["z"], cells["z"], equal_nan=True)


@pytest.mark.parametrize("area", [None, "Bath", "Chew Valley"])
def test_grid_covers_the_area_and_every_record(store, area):
    grid = hotspots.grid(store, area)
    expected_km2 = float(hotspots.query.check_area(area) and store.scalar(
        "SELECT area_km2 FROM areas WHERE name = ?", [area]) or store.scalar("SELECT SUM(area_km2) FROM areas"))
    assert grid.total_km2 == pytest.approx(expected_km2, rel=1e-3)
    assert (grid.land_km2 <= grid.cell_km2 + 1e-9).all()
    assert len(set(grid.cell_ids)) == grid.n
    counts = hotspots.cell_counts(store, area, YEAR.start, YEAR.end, ALL_CRIME)
    assert counts.sum() == query.total(store, start=YEAR.start, end=YEAR.end, area=area, crime_types=list(ALL_CRIME))


def test_busiest_locations_counts_and_change(store):
    selection = Selection(area="Bath", period=QUARTER, crime_types=None)
    frame = hotspots.busiest_locations(store, selection, 5)
    assert len(frame) == 5
    assert list(frame["count"]) == sorted(frame["count"], reverse=True)
    top = frame.iloc[0]
    where, params = query.where_clause(QUARTER.start, QUARTER.end, "Bath", None)
    direct = store.scalar(
        f"SELECT COUNT(*) FROM crimes WHERE {where} AND location = ? AND ROUND(latitude, 5) = ? AND ROUND(longitude, 5) = ?",
        params + [top["location"], top["latitude"], top["longitude"]])
    assert top["count"] == direct
    assert (frame["change"] == frame["count"] - frame["previous"]).all()
    assert set(frame["verdict"]) <= {"Unusual rise", "Unusual fall", "Within normal variation"}


def test_busiest_locations_say_when_the_previous_period_is_missing(store):
    # Jan-Mar 2018: the previous three months (Oct-Dec 2017) are not in the data.
    frame = hotspots.busiest_locations(store, Selection(area=None, period=Period("2018-01", "2018-03")), 5)
    assert frame["previous"].isna().all()
    assert (frame["verdict"] == "not available").all()
    emerging = hotspots.emerging_hotspots(store, Selection(area=None, period=Period("2018-01", "2018-03")))
    assert not emerging.available and "not all loaded" in emerging.sentence()


def test_emerging_test_by_hand():
    # Two cells; the area had 5 records in each period, so the share 'now' is 1/2.
    # Cell 0: 5 now, 0 before: p = P(Binomial(5, 1/2) >= 5) = 1/32. Cell 1: 0 now, 5 before: p = 1.
    expected, p, q = hotspots.emerging_test([5, 0], [0, 5])
    assert expected == pytest.approx([2.5, 2.5])
    assert p == pytest.approx([1 / 32, 1.0])
    # BH with m = 2: q0 = min(1/32 * 2 / 1, q1) = 1/16, q1 = 1.
    assert q == pytest.approx([1 / 16, 1.0])


def test_emerging_hotspots_on_real_data(store):
    emerging = hotspots.emerging_hotspots(store, Selection(area=None, period=QUARTER, crime_types=ALL_CRIME))
    assert emerging.available
    cells = emerging.cells
    flagged = cells[cells["emerging"]]
    assert (flagged["q"] <= 0.05).all() and (flagged["count"] > flagged["expected"]).all()
    assert emerging.tested == len(cells) and (cells["count"] + cells["previous"] > 0).all()
    assert emerging.total_now == query.total(store, start=QUARTER.start, end=QUARTER.end, crime_types=list(ALL_CRIME))


def test_snap_outlier_rule_by_hand():
    # Four quiet points and one with 20: the others (1, 1, 1, 1) have mean 1 and variance 0, so
    # Poisson(1): P(X >= 20) is tiny -> flagged. A quiet point against the others (1, 1, 1, 20) is not.
    p = hotspots.snap_outlier_p([1, 1, 1, 1, 20])
    assert p[4] < 1e-15
    assert p[0] > 0.5
    assert list(hotspots.snap_outlier_p([3, 4])) == [1.0, 1.0]  # too few points to judge


def test_benjamini_hochberg_equals_scipy():
    from scipy import stats

    p = np.round(np.random.default_rng(12).random(300), 2)  # many ties
    assert hotspots.benjamini_hochberg(p) == pytest.approx(stats.false_discovery_control(p, method="bh"), abs=1e-12)


@pytest.mark.parametrize("area", ["Keynsham", None])
def test_grid_neighbours_are_the_eight_surrounding_cells(store, area):
    """The Gi* window from the neighbour table equals a count of the cells around each cell by
    their grid positions, and libpysal's weights (for esda) hold the same pairs."""
    grid = hotspots.grid(store, area)
    position = {(x, y): i for i, (x, y) in enumerate(zip(grid.ix, grid.iy))}
    for i in range(0, grid.n, 7):
        around = {position[(grid.ix[i] + dx, grid.iy[i] + dy)] for dx in (-1, 0, 1) for dy in (-1, 0, 1)
                  if (dx or dy) and (grid.ix[i] + dx, grid.iy[i] + dy) in position}
        assert set(grid.neighbours[i][grid.neighbours[i] >= 0]) == around
    counts = hotspots.cell_counts(store, area, YEAR.start, YEAR.end, None)
    sparse_weights = grid.weights.sparse
    np.testing.assert_array_equal(hotspots.window_sums(counts, grid.neighbours), sparse_weights @ counts + counts)
    np.testing.assert_array_equal(hotspots.window_sizes(grid.neighbours), np.asarray(sparse_weights.sum(axis=1)).ravel() + 1)


def test_snap_point_flags_on_real_data(store):
    selection = Selection(area="Keynsham", period=QUARTER, crime_types=None)
    frame = hotspots.snap_point_flags(store, selection)
    k = len(frame)
    assert frame["count"].sum() == query.total(store, start=QUARTER.start, end=QUARTER.end, area="Keynsham")
    assert frame["share_percent"].sum() == pytest.approx(100, abs=0.1)
    assert (frame["flagged"] == (frame["p_value"] < 0.05 / k)).all()
    flagged = frame[frame["flagged"]]
    if len(flagged):  # a flagged place is busier than every place that is not flagged
        assert flagged["count"].min() >= frame.loc[~frame["flagged"], "count"].max()


# ---- accuracy on the real data ----------------------------------------------------------------


@pytest.mark.parametrize("types", ["all-crime", "asb", "Burglary"])
def test_displayed_method_beats_the_baseline_at_1_percent(store, types):
    ours = ha.evaluate(store, types, "2020-10", "2021-09", 12, 0.01, ha.DEFAULT_METHOD)
    baseline = ha.evaluate(store, types, "2020-10", "2021-09", 12, 0.01, ha.BASELINE)
    assert len(ours.months) == len(baseline.months) == 12
    assert ours.mean_pai > baseline.mean_pai > 1


def test_training_windows_use_only_loaded_months(store):
    result = ha.evaluate(store, "all-crime", "2018-01", "2018-03", 12, 0.01, "naive")
    # Jan 2018's window (Jan-Dec 2017) holds only Jun 2017; Mar 2018's holds Jun 2017, Jan and Feb 2018.
    assert [m.train_months for m in result.months] == [1, 2, 3]
    assert any("2017-07 to 2017-12" in note for note in result.notes)
    full = ha.evaluate(store, "all-crime", "2020-10", "2020-12", 12, 0.01, "naive")
    assert [m.train_months for m in full.months] == [12, 12, 12] and full.notes == []


def test_trust_sentence(store):
    selection = Selection(area="Bath", period=QUARTER, crime_types=("Anti-social behaviour",))
    trust = ha.trust(store, selection)
    sentence = trust.sentence()
    assert "of next month's anti-social behaviour on 1% of the land of Bath" in sentence
    one = trust.get(trust.shown.name, 0.01)
    assert f"(PAI {one.mean_pai:.1f})" in sentence
    assert len(trust.details()) == 12
    assert ha.forecast_cells(store, selection)  # the cells the sentence is about exist


# ---- CLI ---------------------------------------------------------------------------------------

COLUMNS = ["cell_id", "easting", "northing", "longitude", "latitude", "land_km2", "count", "z", "p", "q", "p_sim",
           "flag", "place"]


def test_cli_hotspots_json_and_csv(built_store, store, capsys):
    args = ["hotspots", "--area", "Bath", "--crime-type", "all-crime", "--from", "2021-07", "--to", "2021-09",
            "--store", str(built_store)]
    assert main(args + ["--format", "json"]) == 0
    records = json.loads(capsys.readouterr().out)
    assert isinstance(records, list) and len(records) == hotspots.grid(store, "Bath").n
    assert list(records[0]) == COLUMNS
    assert {r["flag"] for r in records} == {"hot", "not"}
    assert sum(r["count"] for r in records) == query.total(store, start="2021-07", end="2021-09", area="Bath",
                                                           crime_types=["all-crime"])
    assert all(r["p"] < 0.05 for r in records if r["flag"] == "hot")
    assert main(args + ["--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert list(rows[0]) == COLUMNS and len(rows) == len(records)
    assert rows[0]["cell_id"] == records[0]["cell_id"] and float(rows[0]["z"]) == pytest.approx(records[0]["z"])


def test_cli_hotspot_accuracy_json(built_store, capsys):
    args = ["hotspot-accuracy", "--crime-type", "Burglary", "--test-from", "2020-10", "--test-to", "2021-09",
            "--train-months", "12", "--coverage", "0.01", "--format", "json", "--store", str(built_store)]
    assert main(args) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["method"] == ha.DEFAULT_METHOD
    assert isinstance(result["mean_pai"], float) and result["mean_pai"] > 1
    assert [m["month"] for m in result["months"]] == [f"2020-{m}" for m in ("10", "11", "12")] + [
        f"2021-{m:02d}" for m in range(1, 10)]
    for month in result["months"]:
        assert {"month", "pai", "hit_rate", "rri", "pei"} <= set(month)
        assert month["pai"] == pytest.approx(month["hit_rate"] / month["area_share"], rel=1e-2)
    assert result["mean_pai"] == pytest.approx(np.mean([m["pai"] for m in result["months"]]), abs=1e-2)
    assert main(args + ["--method", "naive"]) == 0
    naive = json.loads(capsys.readouterr().out)
    assert naive["method"] == "naive" and naive["mean_pai"] != result["mean_pai"]


@pytest.mark.parametrize("args, message", [
    (["hotspots", "--area", "Bth"], "Unknown area 'Bth'"),
    (["hotspots", "--crime-type", "Burgle"], "Unknown crime type 'Burgle'"),
    (["hotspots", "--from", "2021-13"], "is not a month"),
    (["hotspots", "--from", "2021-09", "--to", "2021-01"], "swap the months"),
    (["hotspot-accuracy", "--crime-type", "Burgle"], "Unknown crime type 'Burgle'"),
    (["hotspot-accuracy", "--area", "Bth"], "Unknown area 'Bth'"),
    (["hotspot-accuracy", "--method", "magic"], "Unknown method 'magic'"),
    (["hotspot-accuracy", "--coverage", "2"], "Coverage must be"),
    (["hotspot-accuracy", "--test-from", "2015-01", "--test-to", "2015-03"], "No test month"),
])
def test_cli_errors_are_one_line(built_store, capsys, args, message):
    assert main(args + ["--store", str(built_store)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("areaprofile: ") and message in lines[0]
