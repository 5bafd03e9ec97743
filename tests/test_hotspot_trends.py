"""Hotspots over time: the Mann-Kendall test and the labels on tiny hand-made series (answers
worked out in the comments), then the labels on the real store agree with the Hotspots map."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from areaprofile import hotspot_trends as ht
from areaprofile import hotspots, query, report
from areaprofile.cli import main
from areaprofile.periods import Period
from areaprofile.profile import Selection

# ---- Mann-Kendall by hand --------------------------------------------------------------------


def test_mann_kendall_rising_series_without_ties():
    # 1 2 3 4 5: all 10 pairs rise, S = 10; var = n(n-1)(2n+5)/18 = 5*4*15/18 = 16.667;
    # z = (S - 1)/sqrt(var) = 9/4.0825 = 2.2045; p = 2(1 - Phi(2.2045)) = 0.02749; tau = 10/10 = 1.
    result = ht.mann_kendall([1, 2, 3, 4, 5])
    assert result.s == 10
    assert result.var_s == pytest.approx(300 / 18)
    assert result.z == pytest.approx(2.20454, abs=1e-5)
    assert result.p == pytest.approx(0.027486, abs=1e-6)
    assert result.tau == 1.0


def test_mann_kendall_p_equals_scipy_stats_normal_tail():
    from scipy import stats

    result = ht.mann_kendall_many(np.array([[1, 2, 3, 4, 5, 7], [3, 1, 2, 2, 0, 0], [2, 2, 2, 2, 2, 2]]))
    assert result.p == pytest.approx(2 * stats.norm.sf(np.abs(result.z)), abs=1e-15)


def test_mann_kendall_ties_shrink_the_variance():
    # 1 1 2 3: pairs (1,1) tie 0, the other five rise: S = 5. One tied group of t = 2 takes
    # t(t-1)(2t+5) = 2*1*9 = 18 off n(n-1)(2n+5) = 4*3*13 = 156: var = 138/18 = 7.667;
    # z = 4/sqrt(7.667) = 1.4446; p = 0.14856; tau = 5/6.
    result = ht.mann_kendall([1, 1, 2, 3])
    assert result.s == 5
    assert result.var_s == pytest.approx(138 / 18)
    assert result.z == pytest.approx(1.44463, abs=1e-5)
    assert result.p == pytest.approx(0.148562, abs=1e-6)
    assert result.tau == pytest.approx(5 / 6)


def test_mann_kendall_falling_and_flat_series():
    # 3 2 1: S = -3, var = 3*2*11/18 = 3.667, z = (S + 1)/sqrt(var) = -1.0445, p = 0.29627.
    falling = ht.mann_kendall([3, 2, 1])
    assert falling.s == -3 and falling.var_s == pytest.approx(66 / 18)
    assert falling.z == pytest.approx(-1.04447, abs=1e-5)
    assert falling.p == pytest.approx(0.296270, abs=1e-6)
    assert falling.tau == -1.0
    # 2 2 2 2: every pair tied: S = 0 and the variance is 156 - 156 = 0: no trend, p = 1.
    flat = ht.mann_kendall([2, 2, 2, 2])
    assert (flat.s, flat.var_s, flat.z, flat.p, flat.tau) == (0, 0, 0, 1, 0)
    # 0 3 0 3: S = +1 (0<3) +0 (0=0) +1 (0<3) -1 (3>0) +0 (3=3) +1 (0<3) = 2; ties: two groups of
    # two, 2 * 18 = 36 off 156: var = 120/18; z = 1/sqrt(6.667) = 0.3873.
    zigzag = ht.mann_kendall([0, 3, 0, 3])
    assert zigzag.s == 2 and zigzag.var_s == pytest.approx(120 / 18)
    assert zigzag.z == pytest.approx(1 / math.sqrt(120 / 18))


def test_mann_kendall_many_matches_one_at_a_time():
    rows = [[1, 2, 3, 4, 5], [5, 5, 1, 0, 0], [0, 0, 0, 0, 0], [2, 0, 2, 0, 9]]
    many = ht.mann_kendall_many(rows)
    for i, row in enumerate(rows):
        one = ht.mann_kendall(row)
        assert (many.s[i], many.tau[i]) == (one.s, one.tau)
        assert many.p[i] == pytest.approx(one.p) and many.var_s[i] == pytest.approx(one.var_s)


# ---- the labels by hand ------------------------------------------------------------------------

NO_TREND, RISING, FALLING = (0.0, 1.0), (0.6, 0.001), (-0.6, 0.001)


def _label(hot_quarters: str, trend=NO_TREND) -> str:
    """'..XX' style: one character per quarter, oldest first, X = hot."""
    hot = np.array([[c == "X" for c in hot_quarters]])
    return ht.classify(hot, [trend[0]], [trend[1]])[0]


@pytest.mark.parametrize("quarters, trend, label", [
    ("............", NO_TREND, ht.NOT_HOT),
    ("XXXXXXXXXXXX", NO_TREND, ht.PERSISTENT),
    ("XXXXXXXXXXXX", RISING, ht.INTENSIFYING),
    ("XXXXXXXXXXXX", FALLING, ht.DIMINISHING),
    ("...XXXXXXXXX", NO_TREND, ht.PERSISTENT),  # 9 of 12: just enough
    ("....XXXXXXXX", NO_TREND, ht.SPORADIC),  # 8 of 12, hot before the last year: on and off
    ("....XXXXXXXX", RISING, ht.SPORADIC),  # a rising trend alone does not make a hotspot intensifying
    ("XXXXXXXXXXX.", NO_TREND, ht.HISTORICAL),
    ("XXXXXXXXXXX.", FALLING, ht.HISTORICAL),
    ("...........X", NO_TREND, ht.NEW),
    ("........XXXX", RISING, ht.NEW),  # the whole last year, never before
    ("........X..X", NO_TREND, ht.NEW),
    (".......X...X", NO_TREND, ht.SPORADIC),  # hot once before the last year
    ("X...........", NO_TREND, ht.SPORADIC),
    ("X.X.X.X.X.X.", NO_TREND, ht.SPORADIC),
])
def test_labels_on_hand_made_quarters(quarters, trend, label):
    assert _label(quarters, trend) == label


def test_a_trend_needs_p_below_five_percent():
    assert _label("XXXXXXXXXXXX", (0.4, 0.05)) == ht.PERSISTENT
    assert _label("XXXXXXXXXXXX", (0.4, 0.0499)) == ht.INTENSIFYING


def test_every_label_has_one_sentence_and_the_drawn_ones_a_colour():
    assert set(ht.DEFINITIONS) == set(ht.LABELS)
    assert set(ht.COLOURS) == set(ht.LABELS) - {ht.NOT_HOT}
    for sentence in ht.DEFINITIONS.values():
        assert sentence.endswith(".") and sentence.count(". ") == 0


def test_quarters_are_the_three_years_to_the_end_month():
    quarters = ht.quarters("2021-09")
    assert len(quarters) == 12
    assert quarters[0] == Period("2018-10", "2018-12") and quarters[-1] == Period("2021-07", "2021-09")
    assert all(q.months == 3 for q in quarters)


# ---- on the real store -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def store(built_store):
    return query.open_store(built_store)


@pytest.fixture(scope="module")
def bath(store):
    selection = Selection("Bath", Period("2021-07", "2021-09"), query.TYPE_GROUPS["all-crime"])
    return selection, ht.trends(store, selection)


def test_latest_quarter_agrees_with_the_hotspot_map(store, bath):
    selection, trends = bath
    assert trends.available and len(trends.quarters) == 12 and not trends.skipped
    cells = hotspots.hot_cells(store, selection)
    hot_now = set(cells.loc[cells["flag"] == "hot", "cell_id"])
    assert hot_now and set(trends.cells.loc[trends.cells["hot_latest"], "cell_id"]) == hot_now
    # Every hot cell of the map is labelled persistent, intensifying, diminishing, new or sporadic.
    labels = trends.cells.set_index("cell_id")["label"]
    assert {labels[c] for c in hot_now} <= {ht.PERSISTENT, ht.INTENSIFYING, ht.DIMINISHING, ht.NEW, ht.SPORADIC}


def test_labels_follow_from_each_cells_quarters(bath):
    _, trends = bath
    cells = trends.cells
    hot = np.stack(cells["_hot"].to_numpy())
    series = np.stack(cells["_quarters"].to_numpy())
    assert (hot.sum(axis=1) == cells["hot_quarters"]).all()
    assert (series.sum(axis=1) == cells["total"]).all()
    trend = ht.mann_kendall_many(series)
    assert np.allclose(trend.tau, cells["tau"]) and np.allclose(trend.p, cells["p"])
    assert (ht.classify(hot, trend.tau, trend.p) == cells["label"]).all()
    counts = trends.counts()
    assert sum(counts.values()) == len(cells)
    assert counts[ht.PERSISTENT] > 0  # Bath's centre has been hot for years
    sentence = trends.sentence()
    assert sentence.startswith("Bath, all crime (excluding ASB), over the 12 quarters from Oct 2018 to Sep 2021: ")
    assert f"{counts[ht.PERSISTENT]} persistent" in sentence
    table = trends.table()
    assert len(table) == len(cells) - counts[ht.NOT_HOT]
    assert set(table["Label"]) <= set(ht.LABELS) - {ht.NOT_HOT}


def test_too_few_quarters_gives_no_labels(store):
    # The quarters to 2019-03 reach back to 2016-04; 2017-07..2017-12 and everything before 2017-06
    # are not loaded, so only the five quarters from 2018-01 are complete.
    trends = ht.trends(store, Selection("Keynsham", Period("2019-03", "2019-03"), ("Burglary",)))
    assert len(trends.quarters) == 5 and not trends.available
    assert set(trends.cells["label"]) == {ht.NOT_HOT}
    assert "need at least 8 complete quarters" in trends.sentence()


def test_pack_line_names_persistent_places(store):
    trends = ht.trends(store, Selection("Bath", Period("2021-09", "2021-09")))
    line = report.hotspots_line(trends)
    counts = trends.counts()
    # Persistent in the pack: every cell hot in most quarters including the latest, whatever its trend.
    persistent = sum(counts[label] for label in ht.LONG_STANDING)
    assert persistent > counts[ht.PERSISTENT] > 0
    assert line.startswith(f"Hotspot squares (250 m), Oct 2018 to Sep 2021, crime and ASB: persistent {persistent}, ")
    assert counts[ht.NEW] == 0 and line.endswith("; new none.")  # no square of Bath became hot in the last year only
    places = trends.places(ht.LONG_STANDING, 2)
    assert len(places) == 2 and all(p.lower().startswith("on or near ") for p in places)
    assert f"near {', '.join(p[len('On or near '):] for p in places)} and elsewhere;" in line


def test_cli_classify_adds_label_and_trend(built_store, store, bath, capsys):
    _, trends = bath
    args = ["hotspots", "--area", "Bath", "--crime-type", "all-crime", "--from", "2021-07", "--to", "2021-09",
            "--classify", "--format", "json", "--store", str(built_store)]
    assert main(args) == 0
    records = json.loads(capsys.readouterr().out)
    assert len(records) == len(trends.cells)
    assert {"label", "hot_quarters", "trend_s", "trend_tau", "trend_p"} <= set(records[0])
    expected = trends.cells.set_index("cell_id")
    for record in records[:50]:
        row = expected.loc[record["cell_id"]]
        assert record["label"] == row["label"] and record["trend_tau"] == pytest.approx(row["tau"])
        assert record["trend_p"] == pytest.approx(row["p"])
    assert records[0]["flag"] == "hot" and records[0]["label"] != ht.NOT_HOT
