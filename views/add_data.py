"""Add data (part of Data & sources): an admin, signed in with a personal account, uploads police.uk
street files, sees what they hold, and adds them to the store. Every check and the rebuild happen in
areaprofile.ingest."""

import streamlit as st

from areaprofile import ingest, ui, ui_signin

st.title("Add data")
st.write("Add new months of police.uk street-level data, or replace a month that was republished. "
         "The files are checked first; nothing changes until you confirm, and the months already loaded are kept.")

done = st.session_state.pop("add_data_done", None)
if done:
    st.success(done["summary"])
    with st.expander("Build log"):
        for message in done["messages"]:
            st.text(message)
    st.write("Every open page shows the new data the next time it runs (any click or a reload); no restart is needed.")

ui_signin.require("add police.uk data", admin=True)
with ui.friendly_errors():
    limits = ingest.Limits.from_env()

force = ui.settings().force
st.markdown(
    f"1. On data.police.uk choose **Custom download**, force **{force.name.removesuffix(' Constabulary').removesuffix(' Police')}**, "
    "the months you need and **Include crime data**.\n"
    f"2. Upload the .zip as it is, or the monthly street files (`2021-10-{force.id}-street.csv`).\n"
    f"3. Check what was found below, then confirm. Up to {limits.max_upload_mb:,.0f} MB a file."
)
round_key = st.session_state.setdefault("add_data_round", 0)
uploaded = st.file_uploader("Street files or a data.police.uk .zip", type=["zip", "csv", "gz"],
                            accept_multiple_files=True, key=f"add_data_files_{round_key}")
replace = st.checkbox("Replace months already loaded", key=f"add_data_replace_{round_key}",
                      help="Off: a month that is already loaded is refused. On: the uploaded file replaces it.")
if not uploaded:
    st.stop()

uploads = [ingest.Upload(f.name, f.getvalue()) for f in uploaded]
with ui.friendly_errors(), ui.progress("Checking the files: reading every row and the months they hold..."):
    check = ingest.check_uploads(uploads, replace=replace, limits=limits)

st.subheader("What the files hold")
if check.files:
    st.dataframe(check.table(), hide_index=True, width="stretch")
for note in check.notes:
    st.caption(note)
for problem in check.problems:
    st.error(problem)
if not check.ok:
    st.warning("Nothing was changed. Fix the problems above (or remove those files) and upload again.")
    st.stop()

st.success(check.summary())
if st.button("Add to the store", type="primary"):
    with ui.friendly_errors(), ui.progress("Adding the files and rebuilding the store. This can take a minute; "
                                           "the dashboard keeps showing the current data until it is done."):
        added = ingest.add_uploads(uploads, replace=replace, limits=limits)
    st.session_state["add_data_done"] = {"summary": added.summary(), "messages": list(added.report.messages)}
    st.session_state["add_data_round"] = round_key + 1  # a fresh, empty uploader
    st.rerun()
