"""areaprofile: the dashboard's entry point. Shared sidebar, then the chosen page."""

import streamlit as st

from areaprofile import ui

st.set_page_config(page_title="B&NES community safety area profiles", page_icon="🛡️", layout="wide")

pages = [
    st.Page("pages/area_profile.py", title="Area profile", icon=":material/home:", default=True),
    st.Page("pages/map.py", title="Map", icon=":material/map:", url_path="map"),
    st.Page("pages/hotspots.py", title="Hotspots", icon=":material/local_fire_department:", url_path="hotspots"),
    st.Page("pages/compare_areas.py", title="Compare areas", icon=":material/bar_chart:", url_path="compare"),
    st.Page("pages/concerns.py", title="Concerns & priorities", icon=":material/forum:", url_path="concerns"),
    st.Page("pages/measures.py", title="Plan measures", icon=":material/checklist:", url_path="measures"),
    st.Page("pages/forum_update.py", title="Forum update", icon=":material/description:", url_path="forum-update"),
    st.Page("pages/data_sources.py", title="Data & sources", icon=":material/info:", url_path="data"),
    st.Page("pages/add_data.py", title="Add data", icon=":material/upload_file:", url_path="add-data"),
]
navigation = st.navigation(pages)
st.session_state["selection"] = ui.sidebar()
navigation.run()
