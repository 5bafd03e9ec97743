"""Forum update: the pack for an area forum meeting, to read here, print, or download as PDF (to
hand out), CSV (every number in it) or HTML (prints the same pages from a browser). Page one is
the police.uk numbers; page two, 'You said, we did', comes from the concerns register."""

import datetime as dt

import streamlit as st

from areaprofile import pack_process, profile, ui
from areaprofile.follow_up import default_last_meeting
from areaprofile.periods import label


selection = st.session_state["selection"]
st.title("Forum update")
st.caption("One A4 page for an area forum meeting: headline numbers, the last 12 months, a map, the busiest places "
           "and the forum's concerns; then 'You said, we did' from the concerns register. The page below, the PDF and "
           "the CSV hold the same numbers. The sidebar's period and record choices do not apply here.")

months = ui.get(profile.loaded_months)
left, middle, right = st.columns([2, 2, 3])
with left:
    areas = list(ui.area_names())
    if st.session_state.get("forum_area") not in (None, *areas):  # another area scheme was chosen
        del st.session_state["forum_area"]
    area = st.selectbox("Area forum", areas, index=areas.index(selection.area) if selection.area in areas else 0,
                        key="forum_area")
    choices = ui.place_choices(area)
    if st.session_state.get("forum_place") not in choices:  # another area was chosen
        chosen = st.session_state.get("place", ui.WHOLE_AREA) if area == selection.area else ui.WHOLE_AREA
        st.session_state["forum_place"] = chosen if chosen in choices else ui.WHOLE_AREA
    place_value = st.selectbox("Ward or parish (optional)", list(choices), key="forum_place", format_func=choices.get,
                               help="Narrow the numbers, map and places to one ward or parish part of the area; "
                                    "the concerns stay the forum's.")
    kind, _, name = place_value.partition(":")
with middle:
    month = st.selectbox("Meeting month", list(reversed(months)), format_func=label, key="forum_month",
                         help="The month the pack reports. It is compared with the month and three months before, "
                              "and with the same months a year earlier.")
with right:
    suppress = st.toggle("Suppress small numbers (for published copies)", key="forum_suppress",
                         help="Counts under the threshold are shown as '<N' in the page, the PDF and the CSV alike.")
    threshold = st.number_input("Show counts under", min_value=2, max_value=100, value=5, step=1,
                                key="forum_threshold", disabled=not suppress)

today = dt.date.today()
last_meeting = st.date_input("Last meeting (page two lists what happened since)", value=default_last_meeting(today),
                             min_value=dt.date(2000, 1, 1), max_value=today, format="DD/MM/YYYY", key="forum_last_meeting")
with ui.progress(f"Building the forum pack for {choices.get(place_value) if name else area}, {label(month)}: the page, its map and chart, the PDF and "
                 "the CSV. The first time takes several seconds."):
    # Made in a short-lived worker process: WeasyPrint and matplotlib never load into the server.
    files = ui.get_with_register(pack_process.pack_files, area, month, int(threshold) if suppress else None,
                                 last_meeting=last_meeting, place=(kind, name) if name else None)

buttons = st.columns([1, 1, 1, 2])
with buttons[0]:
    st.download_button("Download PDF", data=files["pdf"], file_name=f"{files['stem']}.pdf", mime="application/pdf",
                       icon=":material/picture_as_pdf:", on_click="ignore", type="primary", key="forum_pdf")
with buttons[1]:
    st.download_button("Download CSV", data=files["csv"], file_name=f"{files['stem']}.csv", mime="text/csv",
                       icon=":material/table:", on_click="ignore", key="forum_csv")
with buttons[2]:
    st.download_button("Download HTML", data=files["html"], file_name=f"{files['stem']}.html", mime="text/html",
                       icon=":material/code:", on_click="ignore", key="forum_html")
with buttons[3]:
    st.caption("To print from a browser, open the HTML and print it on A4 with the default margins.")
if files["pages"] != 1:
    st.warning(f"Page one runs to {files['pages']} pages; the concerns list is longer than one page allows.")
if files["follow_up"]:
    st.write(f"Page two, You said, we did: {files['follow_up']}")

st.iframe(files["html"], height="content", alt=f"{files['title']}: the pack")
ui.footer()
