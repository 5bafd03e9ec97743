"""Repeat places on the real store, checked against the busiest-places table month by month."""

from areaprofile import profile, query, repeat_places
from areaprofile.periods import Period, shift
from areaprofile.profile import Selection


def tenth_busiest(store, area: str, month: str) -> int:
    top = profile.top_locations(store, Selection(area=area, period=Period(month, month)), repeat_places.TOP)
    return int(top["count"].iloc[-1])


def count_at(store, area: str, month: str, row) -> int:
    """Records at the row's snap point (one name can have several points) in ``month``."""
    return int(store.scalar(
        "SELECT count(*) FROM crimes WHERE area = ? AND month = ? AND location = ? AND ROUND(latitude, 5) = ? "
        "AND ROUND(longitude, 5) = ?", [area, month, row.place, row.lat, row.lon]))


def test_runs_count_the_months_in_a_row_among_the_busiest(built_store):
    store = query.open_store(built_store)
    for area in query.area_names(store)[:3]:
        table = repeat_places.repeat_places(store, Selection(area=area, period=Period("2021-09", "2021-09")))
        assert table.attrs["months"][0] == "2020-10" and len(table) <= 10
        points = table.set_axis(["place", "area", "records", "months", "run", "repeat", "lat", "lon"], axis=1)
        for row in points.head(3).itertuples(index=False):
            place, run = row, row.run
            for back in range(run):
                month = shift("2021-09", -back)
                assert count_at(store, area, month, place) >= tenth_busiest(store, area, month)
            if run < repeat_places.WINDOW:
                month = shift("2021-09", -run)
                assert count_at(store, area, month, place) < tenth_busiest(store, area, month)
        sentence = repeat_places.repeat_sentence(table, area)
        for row in table[table["Repeat place"]].head(5).itertuples(index=False):
            assert row[0] in sentence and row[4] >= repeat_places.REPEAT
