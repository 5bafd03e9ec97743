"""areaprofile: the dashboard's entry point. Shared sidebar, then the chosen page."""

import streamlit as st

from areaprofile import ui, ui_signin

st.set_page_config(page_title=ui.page_title(), page_icon="🛡️", layout="wide")

# The page list, in sections a councillor or forum member recognises.
pages = {
    "Your area": [
        st.Page("views/area_profile.py", title="Area profile", icon=":material/home:", default=True),
        st.Page("views/map.py", title="Map", icon=":material/map:", url_path="map"),
        st.Page("views/hotspots.py", title="Hotspots", icon=":material/local_fire_department:", url_path="hotspots"),
    ],
    "Compare and plan": [
        st.Page("views/compare_areas.py", title="Compare areas", icon=":material/bar_chart:", url_path="compare"),
        st.Page("views/concerns.py", title="Concerns & priorities", icon=":material/forum:", url_path="concerns"),
        st.Page("views/measures.py", title="Plan measures", icon=":material/checklist:", url_path="measures"),
    ],
    "For the forum meeting": [
        st.Page("views/forum_update.py", title="Forum update", icon=":material/description:", url_path="forum-update"),
        st.Page("views/manage_concerns.py", title="Manage concerns", icon=":material/edit_note:",
                url_path="manage-concerns"),
    ],
    "About the data": [
        st.Page("views/data_sources.py", title="Data & sources", icon=":material/info:", url_path="data"),
        st.Page("views/add_data.py", title="Add data", icon=":material/upload_file:", url_path="add-data"),
    ],
}
navigation = st.navigation(pages, position="hidden")
ui.page_style()
ui.page_links(pages)
st.session_state["selection"] = ui.sidebar()
ui_signin.account_box()
navigation.run()
