"""Data & sources: what is loaded, where it came from, how areas are defined, how to add data."""

import streamlit as st

from areaprofile import profile, ui
from areaprofile.periods import label
from areaprofile.profile import ATTRIBUTION, CAVEATS

st.title("Data & sources")
meta = ui.get("store_meta")
months = ui.get("loaded_months")
st.write(f"**{len(months)} months loaded**, {label(months[0])} to {label(months[-1])}. Store built {meta['built_at']}.")
if meta.get("missing_months"):
    st.warning(f"Months missing in between: {meta['missing_months']}. Trends skip them; comparisons that need them say so.")

st.header("Keeping up to date")
freshness = ui.get("update_log.freshness")
for sentence in freshness.sentences():
    st.write(sentence)
st.subheader("Last update run")
st.write(freshness.run_sentence())
if freshness.last_run and freshness.last_run.get("asked"):
    st.dataframe(freshness.run_table(), hide_index=True, width="stretch")
st.write("`areaprofile update` asks data.police.uk for new months and adds them; the README says how to run it "
         "on a timer. A month that fails or comes back empty is tried again on the next run.")

st.header("Build log")
for message in ui.get("build_log"):
    st.write("• " + message)

files = ui.get("files_table")
st.subheader("Files read")
ui.active_title(profile.files_sentence(files))
st.dataframe(files, hide_index=True, width="stretch")

st.header("How the five areas are defined")
st.write("Each area is a group of parishes (Bath is the unparished city). Every LSOA is placed in the area whose "
         "parish holds its population-weighted centre, and each crime follows its published LSOA. Where the forum's "
         "own papers list its parishes the definition is **stated**; where we rebuilt it from ward history it is "
         "**inferred**: treat edge parishes there with care.")
st.dataframe(ui.get("area_definitions"), hide_index=True, width="stretch")
st.write("Wards are placed from each incident's snap point (2019 wards, the ones in use since the 2019 election); "
         "ward populations share each LSOA's residents by area, so ward rates are approximate.")

st.header("Sources, vintages and licences")
st.markdown(
    "- **Crime and ASB**: data.police.uk street-level files, Avon and Somerset Constabulary (monthly).\n"
    "- **Population**: Census 2021 usual residents by LSOA 2021 (ONS); mid-2015 estimates by LSOA 2011 shown for "
    "reference. The Census 2021 table held here was converted from an ONS custom dataset by a third party "
    "(**derived**, an approximation of the official table).\n"
    "- **Boundaries**: LSOA 2011 and 2021, wards (2019 pattern, 2025 codes), parishes (OS, 2016), local-authority outline: "
    "ONS Open Geography Portal and Ordnance Survey.\n"
)
st.write(f"Files used in this build: " + "; ".join(f"{k.removeprefix('file:')}: `{v}`" for k, v in meta.items() if k.startswith("file:")))
st.caption(ATTRIBUTION)

st.header("Caveats")
for caveat in CAVEATS:
    st.write("• " + caveat)

st.header("How to add data")
st.markdown(
    "1. Download new months from data.police.uk (custom download: force *Avon and Somerset*, the months you need, "
    "'Include crime data'), or run `areaprofile download --months YYYY-MM..YYYY-MM --dest downloads`.\n"
    "2. Run `areaprofile build --source downloads` (or the .zip file). Months already loaded are kept; a month given "
    "again is replaced by the newer file, and the build log says so.\n"
    "3. Open pages pick up the new store without a restart. A failed build leaves the previous store as it was."
)
st.page_link("views/add_data.py", label="Or upload the files on the Add data page (editors)", icon=":material/upload_file:")
ui.footer()
