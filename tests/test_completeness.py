"""Completeness of a selection, on the real store and on one built without a month."""

from areaprofile import completeness, query, update_log
from areaprofile.periods import Period
from areaprofile.profile import Selection
from tests.stores import store_without


def test_full_period_on_the_real_store(built_store):
    store = query.open_store(built_store)
    facts = completeness.completeness(store, Selection(area=None, period=Period("2021-07", "2021-09")))
    files = store.sql("SELECT sum(rows_without_location) AS w, sum(rows_blank_lsoa) AS b FROM files WHERE month >= '2021-07'").iloc[0]
    assert facts.complete and facts.notice() is None and facts.share_loaded == 100
    assert facts.records == query.total(store, start="2021-07", end="2021-09")
    assert facts.force_rows_without_location == files["w"] > 0 and facts.force_rows_blank_lsoa == files["b"] > 0
    fresh = update_log.freshness(store)  # the Data & sources page's own "next month due"
    assert (facts.next_month, facts.next_expected_by) == ("2021-10", fresh.next_expected_by)
    assert "October 2021" in facts.sentence() or "Oct 2021" in facts.sentence()


def test_a_missing_month_is_named_beside_the_figure(data_dir):
    store = query.open_store(store_without(data_dir, "2020-05"))
    area = query.area_names(store)[0]
    facts = completeness.completeness(store, Selection(area=area, period=Period("2020-04", "2020-06")))
    assert facts.months_missing == ("2020-05",) and facts.months_loaded == 2
    assert round(facts.share_loaded) == 67
    notice = facts.notice()
    assert "2 of the 3 months" in notice and "May 2020" in notice
    assert facts.records == query.total(store, start="2020-04", end="2020-06", area=area)
