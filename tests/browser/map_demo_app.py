"""Test fixture app: the B&NES LSOA choropleth from areaprofile.maps, and what a click returns.

Reads the real LSOA 2021 boundaries itself (only a fixture may; pages ask the package) from
``$AREAPROFILE_SHARED_DATA`` (default ``../shared/data`` beside the repo). The shaded value is
made up from the LSOA code, so this app shows nothing about crime. The first LSOA's name and
label are hostile HTML on purpose: they must appear as text. Query parameters: ``?tiles=osm``
turns on OpenStreetMap tiles (a request off this machine, used to prove the offline check can
fail); ``?points=1`` adds three count circles.
"""

import json
import os
from pathlib import Path

import streamlit as st

from areaprofile import maps

HOSTILE = "<img src=x onerror=alert(1)>"
ROOT = Path(__file__).resolve().parents[2]
SHARED = Path(os.environ.get("AREAPROFILE_SHARED_DATA", ROOT.parent / "shared" / "data"))
BOUNDARIES = SHARED / "boundaries" / "lsoa21" / "E06000022_lsoa21_bgc.geojson"

st.set_page_config(page_title="Map demo", layout="wide")


@st.cache_data
def lsoas() -> dict:
    data = json.loads(BOUNDARIES.read_text(encoding="utf-8"))
    for f in data["features"]:
        p = f["properties"]
        p["short"] = p["LSOA21NM"].removeprefix("Bath and North East Somerset ")
        p["value"] = (int(p["LSOA21CD"][3:]) * 37) % 200  # made up, deterministic
    first = data["features"][0]["properties"]
    first["short"] = first["LSOA21NM"] = HOSTILE
    return data


tiles = "OpenStreetMap" if st.query_params.get("tiles") == "osm" else None
m = maps.choropleth_map(
    lsoas(), "value", "LSOA21NM", [("LSOA21CD", "Code"), ("value", "Demo value")],
    tiles=tiles, map_label_field="short", keep_fields=["LSOA21CD"],
    legend_title="Demo value (not real data)", legend_note="118 LSOAs (2021)",
)
if st.query_params.get("points") == "1":
    maps.add_point_layer(m, [
        {"lat": 51.3811, "lon": -2.3590, "count": 120, "label": "On or near Southgate Street"},
        {"lat": 51.4125, "lon": -2.4960, "count": 30, "label": "On or near High Street"},
        {"lat": 51.2860, "lon": -2.4800, "count": 4, "label": HOSTILE},
    ])

st.session_state["runs"] = st.session_state.get("runs", 0) + 1
st.title("Map demo")
st.text(f"Script runs: {st.session_state['runs']}")
left, right = st.columns([3, 1])
with left:
    clicked = maps.show_map(m, key="demo_map", height=600)
with right:
    st.subheader("Selected area")
    if clicked is None:
        st.text("Selected: none")
    else:
        st.text(f"Selected: {clicked.get('LSOA21NM') or clicked.get('label')}")
        st.text(f"Code: {clicked.get('LSOA21CD')}")
        st.text(f"Demo value: {clicked.get('value', clicked.get('count'))}")
