"""Rolling year and time of year on the real store."""

from areaprofile import metrics, query, seasonal
from areaprofile.periods import Period
from areaprofile.profile import Selection


def test_rolling_year_uses_the_exact_test_on_the_two_windows(built_store):
    store = query.open_store(built_store)
    area = query.area_names(store)[1]
    year = seasonal.rolling_year(store, Selection(area=area, period=Period("2021-07", "2021-09")))
    assert (year.latest, year.before) == (Period("2020-10", "2021-09"), Period("2019-10", "2020-09"))
    now = query.total(store, start="2020-10", end="2021-09", area=area)
    then = query.total(store, start="2019-10", end="2020-09", area=area)
    assert year.change == metrics.compare_counts(now, then)
    assert f"{now:,} against {then:,}" in year.sentence("records", area)


def test_rolling_year_refuses_when_a_month_is_missing(built_store):
    store = query.open_store(built_store)
    year = seasonal.rolling_year(store, Selection(area=None, period=Period("2018-06", "2018-06")))
    assert year.change is None and "2017-07" in year.missing and "2017-06" not in year.missing
    assert "not loaded" in year.sentence("records", "All")


def test_month_of_year_rests_on_every_loaded_month(built_store):
    store = query.open_store(built_store)
    area = query.area_names(store)[0]
    profile = seasonal.month_of_year(store, Selection(area=area, period=Period("2021-09", "2021-09")))
    assert list(profile["Years"]) == [4, 4, 4, 4, 4, 5, 4, 4, 4, 3, 3, 3]  # 2017-06 and Jan 2018 to Sep 2021
    total = query.total(store, area=area)
    assert abs((profile["Average records"] * profile["Years"]).sum() - total) < 12 * 0.05 * 5
    assert abs(profile["Against an average month (%)"].mean() - 100) < 5
    assert "usually the busiest month" in seasonal.season_sentence(profile, area)
