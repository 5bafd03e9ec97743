"""Ward and parish parts of an area on the real store: they add up to the area, their numbers
equal `areaprofile counts`, every located row lies inside its parish, and a wrong name is one
sentence."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from areaprofile import places, profile, query
from areaprofile.cli import main
from areaprofile.errors import AreaprofileError
from areaprofile.periods import Period
from tests import banes
from tests.cli_counts import cli_counts

PERIOD = Period("2020-10", "2021-09")


@pytest.fixture(scope="module")
def store(built_store):
    return query.open_store(built_store)


@pytest.mark.parametrize("area", banes.AREAS)
@pytest.mark.parametrize("kind", places.KINDS)
def test_places_add_up_to_their_area(store, built_store, capsys, area, kind):
    table = places.compare_places(store, area, kind, PERIOD.start, PERIOD.end)
    if kind == "parish" and area == "Bath":  # Bath is unparished in the 2016 parish boundaries
        assert table.empty
        return
    area_total = query.total(store, start=PERIOD.start, end=PERIOD.end, area=area)
    assert table.iloc[-1]["Records"] == area_total
    assert table.iloc[:-1]["Records"].sum() == area_total
    residents = int(store.scalar("SELECT population FROM areas WHERE name = ?", [area]))
    assert table.iloc[:-1]["Residents (estimated)"].sum() == pytest.approx(residents, abs=len(table))
    by_cli = {row[kind]: row["count"] for row in
              cli_counts(capsys, built_store, by=kind, start=PERIOD.start, end=PERIOD.end, area=area)}
    listed = [p for p in places.places_in(store, area) if p.kind == kind]
    for place, records in zip(listed, table["Records"]):
        assert by_cli.get(place.name, 0) == records, place


@pytest.mark.parametrize("area", banes.AREAS)
def test_a_ward_and_a_parish_profile_equal_the_cli(store, built_store, capsys, area):
    listed = places.places_in(store, area)
    chosen = [next(p for p in listed if p.kind == kind and not p.part) for kind in places.KINDS
              if any(p.kind == kind for p in listed)]
    assert len(chosen) == (1 if area == "Bath" else 2)
    for place in chosen:
        selection = profile.Selection(area=area, period=PERIOD, **{place.kind: place.name})
        headlines = profile.headlines(store, selection)
        shown = sum(item.count for item in headlines)
        cli = cli_counts(capsys, built_store, by="area", start=PERIOD.start, end=PERIOD.end, area=area,
                         **{place.kind: place.name})
        assert shown == cli[0]["count"] > 0
        assert selection.area_label == f"{place.name} {place.kind}, {area}"
        assert headlines[0].population > 0


def test_every_located_row_lies_in_its_parish(store):
    """The parish comes from the snap point: check it with shapely against the stored polygons."""
    shapes = {row.name: shapely.from_wkb(bytes(row.geom_wkb))
              for row in store.sql("SELECT name, geom_wkb FROM parishes").itertuples()}
    rows = store.sql("SELECT DISTINCT parish, easting, northing FROM crimes WHERE parish IS NOT NULL AND easting IS NOT NULL")
    inside = np.zeros(len(rows), dtype=bool)
    for name, group in rows.groupby("parish"):
        inside[group.index] = shapely.contains_xy(shapes[name], group["easting"], group["northing"])
    # A point exactly on a boundary or in a sliver between generalised polygons takes its LSOA's parish.
    assert inside.mean() > 0.99, rows[~inside].head()
    outside_every = store.scalar("SELECT count(*) FROM crimes WHERE area <> 'Bath' AND parish IS NULL")
    assert outside_every == 0


def test_wrong_names_are_one_sentence(store, capsys):
    with pytest.raises(AreaprofileError, match=r"No parish 'Nowhere' in Keynsham; use one of: .*Saltford"):
        places.find_place(store, "Keynsham", "parish", "Nowhere")
    with pytest.raises(AreaprofileError, match="no parishes in Bath"):
        places.find_place(store, "Bath", "parish", "Widcombe")
    with pytest.raises(AreaprofileError, match="Choose an area before a ward"):
        profile.Selection(area=None, period=PERIOD, ward="Saltford")
    capsys.readouterr()
    assert main(["counts", "--by", "parish", "--parish", "Nowhere", "--store", str(store.path)]) != 0
    err = capsys.readouterr().err.strip()
    assert err.startswith("areaprofile: No parish 'Nowhere'; use one of:") and "Traceback" not in err


def test_ward_parts_outside_their_main_area_are_marked(store):
    labels = {p.label for p in places.places_in(store, "Keynsham")}
    assert "Saltford ward" in labels and "Saltford parish" in labels
    assert any(label.endswith("(part)") for label in labels)  # some wards straddle forum boundaries
