"""Map: counts or rates by area, ward or LSOA, with an optional layer of snap points."""

import os

import streamlit as st

from areaprofile import maps, places, profile, ui

selection = st.session_state["selection"]
st.title(f"Map: {selection.area_label}")
st.caption(ui.selection_caption(selection))

LEVELS = {f"Areas (the {ui.how_many(len(ui.area_names()))} {ui.get(profile.scheme_summary)['name'].split(' (')[0].lower()})": "area",
          "Wards": "ward", "LSOAs (neighbourhoods of about 1,600 people)": "lsoa"}
if selection.area and any(p.kind == "parish" for p in ui.get(places.places_in, selection.area)):
    LEVELS[f"Parishes of {selection.area}"] = "parish"
UNITS = {"area": "area", "ward": "ward", "parish": "parish", "lsoa": "LSOA"}
PLURALS = {"area": "areas", "ward": "wards", "parish": "parishes", "lsoa": "LSOAs"}
default_level = selection.place[0] if selection.place else "lsoa" if selection.area else "area"
MEASURES = {"Records": "count", "Per 1,000 residents": "rate_per_1000", "Per km²": "per_km2"}
controls = st.columns([2, 2, 2])
with controls[0]:
    level_label = st.radio("Show", list(LEVELS), index=list(LEVELS.values()).index(default_level), key="map_level")
with controls[1]:
    measure_label = st.radio("Shade by", list(MEASURES), key="map_measure")
with controls[2]:
    show_points = st.toggle("Show incidents per snap point", key="map_points",
                            help="Circles sized by the number of records at each police.uk snap point.")
    tiles_on = st.toggle("Street map background", key="map_tiles",
                         value=os.environ.get("AREAPROFILE_TILES", "none").lower() == "osm",
                         help="Loads OpenStreetMap tiles from the internet. Off: boundaries and labels only.")

level, measure = LEVELS[level_label], MEASURES[measure_label]
with ui.progress(f"Preparing the map: counting records in each {UNITS[level]}..."):
    features = ui.get(profile.map_features, selection, level)
table = profile.map_table(features)
if not table:
    st.info("No boundaries to show for this choice.")
    st.stop()
ui.active_title(profile.map_sentence(features, selection, measure))
if selection.place:
    st.info(places.place_sentence(*selection.place, selection.area))
ui.completeness_note(selection)

tooltip = [("count", "Records"), ("rate_per_1000", "Per 1,000 residents"), ("per_km2", "Per km²"),
           ("population", "Residents (Census 2021)")]
m = maps.choropleth_map(
    features, measure, "name", tooltip, tiles="OpenStreetMap" if tiles_on else None,
    legend_title=f"{measure_label}, {selection.period.label}",
    legend_note=f"{len(table)} {PLURALS[level] if len(table) != 1 else UNITS[level]}; grey = no data",
    keep_fields=["code", "name", "count", "rate_per_1000", "per_km2", "population"],
    labels=level != "lsoa",
    unit=UNITS[level],
)
if show_points:
    points = ui.get(profile.snap_points, selection)
    maps.add_point_layer(m, points.to_dict("records"), count_label="Records")

left, right = st.columns([3, 1])
with left:
    clicked = maps.show_map(m, key=f"map-{level}-{measure}-{show_points}-{tiles_on}", height=560)
with right:
    st.subheader("Selected")
    if not clicked:
        st.write("Click a shape (or a circle) on the map to see its numbers here.")
    elif clicked.get("kind") == "point":
        st.write(f"**{clicked.get('label')}**")
        st.write(f"{clicked.get('count'):,} records at this snap point in {selection.period.label}.")
    else:
        st.markdown(f"**{clicked.get('name')}**")
        st.metric("Records", f"{int(clicked.get('count', 0)):,}")
        st.write(f"{clicked.get('rate_per_1000')} per 1,000 residents · {clicked.get('per_km2')} per km²")
        code = "" if clicked.get("code") == clicked.get("name") else f" Code {clicked.get('code')}."
        residents_source = "estimated" if level == "parish" else "Census 2021"
        st.caption(f"{int(clicked.get('population', 0)):,} residents ({residents_source}).{code}")
caveat_words = " ".join(ui.settings().caveats_for(None))
st.caption("Locations are approximate (police.uk snap points). Per-resident rates mislead where few people live but "
           "many visit: compare per km² there." + (f" {caveat_words}" if caveat_words else "")
           + (f" {places.RESIDENTS_NOTE}" if level == "parish" else ""))
HEADINGS = {"name": "Name", "code": "Code", "count": "Records", "rate_per_1000": "Per 1,000 residents",
            "per_km2": "Per km²", "population": "Residents (Census 2021)", "ward": "Ward", "area": "Area"}
ui.table_alternative([{HEADINGS.get(key, key): value for key, value in row.items()} for row in table],
                     "Show the map's numbers as a table")
ui.footer()
