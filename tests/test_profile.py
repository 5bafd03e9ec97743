"""The map's one-sentence summary (profile.map_sentence) against the map's own table, real store."""

from __future__ import annotations

import pytest

from areaprofile import profile, query
from areaprofile.periods import preset_period


@pytest.mark.parametrize("level", ["area", "lsoa"])
@pytest.mark.parametrize("measure", ["count", "rate_per_1000", "per_km2"])
def test_map_sentence_names_the_highest_and_lowest_shape_of_the_map_table(built_store, level, measure):
    store = query.open_store(built_store)
    months = profile.loaded_months(store)
    selection = profile.Selection(area=None, period=preset_period("Last 12 months", months[-1]), crime_types=None)
    features = profile.map_features(store, selection, level)
    table = sorted(profile.map_table(features), key=lambda row: (row[measure], row["count"]), reverse=True)
    sentence = profile.map_sentence(features, selection, measure)
    top, bottom = table[0], table[-1]
    shown = (lambda value: f"{value:,}") if measure == "count" else (lambda value: f"{value:,.1f}")
    highest, lowest = sentence.split("; lowest is ")
    assert highest.startswith(f"{selection.period.label}, ")
    assert f"highest is {profile._short(top['name'], features)} with {shown(top[measure])} " in highest
    assert lowest.startswith(f"{profile._short(bottom['name'], features)} with {shown(bottom[measure])} ")


def test_map_sentence_leaves_out_shapes_without_a_figure():
    def shape(name, count, per_km2):
        return {"properties": {"name": name, "code": name, "count": count, "per_km2": per_km2}}

    selection = profile.Selection(area=None, period=preset_period("Last 3 months", "2021-09"), crime_types=None)
    features = {"features": [shape("Upper", 40, 12.5), shape("No land", 3, None), shape("Lower", 2, float("nan")),
                             shape("Least", 1, 0.4)]}
    sentence = profile.map_sentence(features, selection, "per_km2")
    assert "highest is Upper with 12.5 per km² (40 records); lowest is Least with 0.4 per km²." in sentence
    assert profile.map_sentence({"features": [shape("No land", 3, None)]}, selection, "per_km2") == (
        "Nothing to map for this choice.")
