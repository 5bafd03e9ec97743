"""Forecasts up to their ceiling: the paired bootstrap by hand, the ceilings recomputed from the
month x cell counts, the choice made on earlier months only, and the CLI's new fields."""

from __future__ import annotations

import json

import numpy as np
import pytest

from areaprofile import forecast_ceiling as fc
from areaprofile import hotspot_accuracy as ha
from areaprofile import hotspots, query
from areaprofile.cli import main
from areaprofile.periods import Period
from areaprofile.profile import Selection


def test_paired_ratio_by_hand():
    # Every month doubles the baseline: any resample of months gives 2, so the interval is 2 to 2.
    assert fc.paired_ratio([2, 4, 6], [1, 2, 3]) == pytest.approx((2.0, 2.0, 2.0))
    # Ratio of means (3 + 1) / (1 + 1) = 2; a resample of month 0 only gives 3, of month 1 only 1.
    ratio, low, high = fc.paired_ratio([3, 1], [1, 1])
    assert ratio == 2.0 and low == pytest.approx(1.0) and high == pytest.approx(3.0)
    # Pairing: a hard month for both rankings moves both, so the interval stays tight.
    ratio, low, high = fc.paired_ratio([11, 55, 22], [10, 50, 20])
    assert ratio == pytest.approx(1.1) and low == pytest.approx(1.1) and high == pytest.approx(1.1)
    assert all(np.isnan(fc.paired_ratio([], [])))


@pytest.fixture(scope="module")
def store(built_store):
    return query.open_store(built_store)


def test_ceilings_recomputed_from_the_counts(store):
    # Three test months: each month's leave-month-out ranking is the mean of the other two.
    types = ("Anti-social behaviour",)
    values = fc.ceiling_pais(store, types, "Keynsham", "2021-07", "2021-09", 0.01)
    assert list(values) == ["2021-07", "2021-08", "2021-09"]
    g = hotspots.grid(store, "Keynsham")
    months, cube = hotspots.month_cube(store, "Keynsham", types)
    row = {m: cube[i] for i, m in enumerate(months)}
    k = ha.cells_for_coverage(0.01, g.total_km2, g.cell_km2)
    naive = ha.evaluate(store, types, "2021-07", "2021-09", 12, 0.01, "naive", "Keynsham")
    for month, (lmo, hindsight) in values.items():
        others = np.mean([row[m] for m in values if m != month], axis=0)
        chosen = ha.rank_cells(others)[:k]
        n, N = row[month][chosen].sum(), row[month].sum()
        assert lmo == pytest.approx(ha.pai(n, N, g.land_km2[chosen].sum(), g.total_km2))
        # Hindsight is the best any k cells could do: at least the naive ranking's PAI.
        assert hindsight >= next(m.pai for m in naive.months if m.month == month) - 1e-9
    assert fc.ceilings(store, types, "Keynsham", "2021-07", "2021-09", 0.01) == pytest.approx(
        (np.mean([v[0] for v in values.values()]), np.mean([v[1] for v in values.values()])))


def test_burglary_ranking_is_chosen_before_and_beats_naive_12(store):
    report = fc.report(store, "Burglary", None, "2021-09", "All", "burglary")
    assert (report.tune_from, report.tune_to, report.test_from, report.test_to) == (
        "2019-10", "2020-09", "2020-10", "2021-09")
    # The choice uses the tuning months only: the same choice with the test year not involved.
    assert report.chosen == fc.choose(store, ("Burglary",), None, "2019-10", "2020-09")
    assert not report.chosen.is_baseline
    chosen = report.row(report.CHOSEN, 0.01)
    assert chosen.ratio >= 1.10 and chosen.low > 1.0
    hindsight = report.row(report.HINDSIGHT, 0.01)
    assert hindsight.pai > chosen.pai
    table = report.table()
    assert list(table["Ranking"])[:3] == ["Last 12 months' counts", "Last 24 months' counts",
                                          "Last 36 months' counts"]
    assert table["Ranking"].iloc[3] == f"Chosen ranking: {report.chosen.label}"
    assert "month-to-month chance" in report.sentence()


def test_page_trust_uses_the_chosen_ranking(store):
    selection = Selection(None, Period("2021-07", "2021-09"), ("Burglary",))
    trust, ceiling = fc.page_trust(store, selection)
    assert (trust.method.name, trust.method_months) == (ceiling.chosen.method, ceiling.chosen.months)
    shown = trust.get(trust.shown.name, 0.01)
    assert shown.train_months == trust.shown_months
    assert f"PAI {shown.mean_pai:.1f} against" in ceiling.sentence(shown.mean_pai)
    cells = fc.forecast_cells(store, selection, trust)
    assert cells == ha.forecast_cells(store, selection, 0.01, trust.shown.name, trust.shown_months)
    assert 0 < len(cells) <= ha.cells_for_coverage(0.01, hotspots.grid(store).total_km2, 0.0625)


def test_cli_accuracy_json_has_both_ceilings_beside_mean_pai(built_store, capsys):
    args = ["hotspot-accuracy", "--crime-type", "asb", "--area", "Keynsham", "--test-from", "2021-04",
            "--test-to", "2021-09", "--method", "naive", "--store", str(built_store)]
    assert main(args) == 0
    result = json.loads(capsys.readouterr().out)
    keys = list(result)
    assert keys[keys.index("mean_pai") + 1:keys.index("mean_pai") + 3] == ["ceiling_pai", "hindsight_pai"]
    assert result["hindsight_pai"] >= result["mean_pai"] and result["ceiling_pai"] > 1
    assert result["hindsight_pai"] == pytest.approx(np.mean([m["hindsight_pai"] for m in result["months"]]),
                                                    abs=1e-2)
    assert all(m["hindsight_pai"] >= m["pai"] - 1e-3 for m in result["months"])


def test_no_tuning_months_loaded_means_the_12_month_count(store):
    # The year before 2018-12 is 2017-01..2017-12: only 2017-06 is loaded and no month before it,
    # so the tuning months cannot be scored and nothing replaces the plain count.
    assert fc.choose(store, ("Burglary",), None, "2017-01", "2017-12") == fc.BASELINE
