"""The charts' Vega-Lite specifications, built from the real store's tables: each is valid against
the Vega-Lite 6 schema (the version Streamlit draws with), names only columns its data has, and no
page or package module imports altair (it would add ~24 MiB to the server)."""

from __future__ import annotations

import ast
import importlib.util
import json
from pathlib import Path

import jsonschema
import pandas as pd
import pytest

from areaprofile import charts, concerns, outcomes, places, profile, query, seasonal
from areaprofile.periods import preset_period

ROOT = Path(__file__).resolve().parent.parent
#: altair ships the schema; reading the file does not import altair.
SCHEMA = (Path(importlib.util.find_spec("altair").submodule_search_locations[0])
          / "vegalite" / "v6" / "schema" / "vega-lite-schema.json")


@pytest.fixture(scope="module")
def specs(built_store) -> dict[str, dict]:
    store = query.open_store(built_store)
    months = profile.loaded_months(store)
    whole = profile.Selection(area=None, period=preset_period("Last 12 months", months[-1]))
    keynsham = profile.Selection(area="Keynsham", period=whole.period)
    measures = concerns.measure_evidence(store, whole, concerns.default_measures_plan(store))
    area_table = concerns.measure_area_table(next(m for m in measures if m["computable"]))
    place_table = places.compare_places(store, "Keynsham", "parish", whole.period.start, whole.period.end)
    return {
        "trend": charts.trend_chart(profile.monthly_trend(store, keynsham, 12)),
        "season": charts.season_chart(seasonal.month_of_year(store, keynsham)),
        "mix": charts.bar_chart(profile.crime_mix(store, keynsham), "Crime type", "Count"),
        "outcomes": charts.bar_chart(outcomes.outcomes(store, keynsham).table, "Group", "Crimes", height=300),
        "rates": charts.rate_chart(area_table[["Area", "Records", "Per 1,000 residents"]].iloc[:-1]),
        "funnel": charts.funnel_chart(*profile.funnel_data(store, whole)),
        "parish funnel": charts.funnel_chart(*places.places_funnel(place_table), name="Place",
                                             residents="Residents (estimated)", count="Records"),
    }


def _as_json(spec: dict) -> dict:
    """The spec as Vega-Lite sees it: each named dataset as rows (Streamlit sends them as Arrow)."""
    out = dict(spec)
    out["datasets"] = {name: json.loads(frame.to_json(orient="records", date_format="iso"))
                       for name, frame in spec["datasets"].items()}
    return out


def _layers(spec: dict):
    """(data columns, encoding) for each layer, with the top level's data and encoding inherited."""
    def columns(data: dict | None) -> set[str]:
        if data is None:
            return set()
        if "values" in data:
            return set(data["values"][0])
        return set(spec["datasets"][data["name"]].columns)

    for layer in spec.get("layer", [spec]):
        data = layer.get("data", spec.get("data"))
        yield columns(data), {**spec.get("encoding", {}), **layer.get("encoding", {})}


def test_every_chart_is_valid_vega_lite(specs):
    validator = jsonschema.Draft7Validator(json.loads(SCHEMA.read_text()))
    for name, spec in specs.items():
        errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message[:200]}"
                  for e in validator.iter_errors(_as_json(spec))]
        assert not errors, f"{name}: " + "\n".join(errors[:5])


def test_every_encoded_field_is_a_column_of_its_data(specs):
    for name, spec in specs.items():
        for frame in spec["datasets"].values():
            assert len(frame), f"{name}: a chart of the real store has no rows"
        for columns, encoding in _layers(spec):
            for channel, value in encoding.items():
                for item in value if isinstance(value, list) else [value]:
                    assert item["field"] in columns, f"{name}: {channel} names {item['field']!r}, not in {sorted(columns)}"


def test_the_trend_shows_crime_and_asb_in_their_colours_and_dashes(specs):
    encoding = specs["trend"]["encoding"]
    assert encoding["color"]["scale"] == {"domain": [profile.CRIME_LABEL, profile.ASB_LABEL],
                                          "range": [charts.CRIME_COLOUR, charts.ASB_COLOUR]}
    assert encoding["strokeDash"]["scale"]["range"] == [[1, 0], [6, 3]]  # told apart without colour too
    trend = specs["trend"]["datasets"]["trend"]
    assert set(trend["Records"]) == {profile.CRIME_LABEL, profile.ASB_LABEL} and len(trend) == 24
    assert pd.api.types.is_datetime64_any_dtype(trend["Month"])


def test_no_page_or_module_imports_altair():
    importers = []
    for path in [*ROOT.joinpath("areaprofile").rglob("*.py"), *ROOT.joinpath("views").glob("*.py"), ROOT / "app.py"]:
        for node in ast.walk(ast.parse(path.read_text())):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            if any(n.split(".")[0] == "altair" for n in names):
                importers.append(str(path.relative_to(ROOT)))
    assert not importers, f"these import altair: {importers}"


def test_close_dots_names_do_not_print_over_each_other(specs):
    """Chew Valley (10,500 residents, 38 per 1,000) and Bathavon (13,900, 36) sat on top of each
    other on the Compare funnel; the real data's funnel now moves one of the two names."""
    points = specs["funnel"]["datasets"]["points"].set_index("Area")
    assert points.loc["Chew Valley", "_shift"] != points.loc["Bathavon", "_shift"]
    assert set(points["_shift"]) <= set(charts.LABEL_SHIFTS)
    # Every name is drawn by one text layer: one per side of the dot and shift.
    texts = [layer for layer in specs["funnel"]["layer"] if layer["mark"]["type"] == "text"]
    assert sorted((layer["mark"]["align"], layer["mark"]["dy"]) for layer in texts) == sorted(
        (align, shift) for align in ("left", "right") for shift in charts.LABEL_SHIFTS)


def test_far_apart_dots_keep_their_names_level():
    assert charts.label_shifts([10_000, 60_000, 100_000], [30, 60, 45], ["Alpha", "Beta", "Gamma"], 80) == [0, 0, 0]
    # Three names at one spot: level, above, below.
    assert charts.label_shifts([10_000, 10_100, 10_200], [40, 40, 40], ["Alpha", "Beta", "Gamma"], 80) == [0, -16, 16]
