"""Data & sources: what is loaded, where it came from, how areas are defined, how to add data."""

import streamlit as st

from areaprofile import profile, ui, update_log
from areaprofile.periods import label

st.title("Data & sources")
scheme = ui.get(profile.scheme_summary)
meta = ui.get(profile.store_meta)
st.write(f"**{scheme['partnership']}**: {scheme['la_name']} ({scheme['la_code']}), police force: {scheme['forces']}. "
         "One store holds one partnership; its settings file is `geo/" + scheme["la_code"] + ".yaml`.")
months = ui.get(profile.loaded_months)
st.write(f"**{len(months)} months loaded**, {label(months[0])} to {label(months[-1])}. Store built {meta['built_at']}.")
if meta.get("missing_months"):
    st.warning(f"Months missing in between: {meta['missing_months']}. Trends skip them; comparisons that need them say so.")

st.header("Keeping up to date")
freshness = ui.get(update_log.freshness)
for sentence in freshness.sentences():
    st.write(sentence)
st.subheader("Update runs")
st.write(freshness.run_sentence())
if freshness.recent:
    st.dataframe(freshness.runs_table(), hide_index=True, width="stretch")
    st.write(freshness.fetch_caption())
    if freshness.last_fetch:
        st.dataframe(freshness.month_table(), hide_index=True, width="stretch")
st.write("`areaprofile update` asks data.police.uk for new months and adds them; the README says how to run it "
         "on a timer. A month that fails or comes back empty is tried again on the next run.")

st.header("Build log")
for message in ui.get(profile.build_log):
    st.write("• " + message)

files = ui.get(profile.files_table)
st.subheader("Files read")
ui.active_title(profile.files_sentence(files))
st.dataframe(files, hide_index=True, width="stretch")

definitions = ui.get(profile.area_definitions)
members = scheme["member_heading"].lower()
st.header(f"How the {len(definitions)} areas are defined ({scheme['name']})")
st.write(f"{scheme['description']} Each area is a group of {members}. Every LSOA is placed in the area whose "
         f"{members.rstrip('s').replace('parishe', 'parish')} holds its population-weighted centre, and each crime follows its "
         "published LSOA. Where the area's own papers list its members the definition is **stated**; where we rebuilt it "
         f"from other evidence it is **inferred**: treat edge {members} there with care.")
if scheme["note"]:
    st.info(scheme["note"])
if len(scheme["schemes"]) > 1:
    st.write("Other area schemes (choose one in the sidebar): "
             + "; ".join(name for scheme_id, name in scheme["schemes"] if scheme_id != scheme["id"]) + ".")
st.dataframe(definitions.rename(columns={"body": "meets as", "members": members}), hide_index=True, width="stretch")
st.write("Wards are placed from each incident's snap point (the current wards); "
         "ward populations share each LSOA's residents by area, so ward rates are approximate.")

st.header("Sources, vintages and licences")
st.markdown(
    f"- **Crime and ASB**: data.police.uk street-level files, {scheme['forces']} (monthly).\n"
    "- **Outcomes recorded in a month**: data.police.uk monthly outcomes files, where the sources hold one (the build "
    "log above names the months; the Area profile shows them under the outcomes).\n"
    "- **Population**: Census 2021 usual residents by LSOA 2021 (ONS); mid-2015 estimates by LSOA 2011 shown for "
    "reference. The Census 2021 file used is named below (a file marked DERIVED was converted from an ONS custom "
    "dataset by a third party, an approximation of the official table).\n"
    "- **Boundaries**: LSOA 2011 and 2021, current wards, parishes where the areas are made of them, local-authority "
    "outline: ONS Open Geography Portal and Ordnance Survey. Land (per km² and the hotspot grid) is the union of the "
    "clipped LSOA polygons, never the outline, which may run out to sea.\n"
)
st.write(f"Files used in this build: " + "; ".join(f"{k.removeprefix('file:')}: `{v}`" for k, v in meta.items() if k.startswith("file:")))
st.caption(ui.get(profile.attribution))
if scheme["knowledge_note"]:
    st.subheader("Plan knowledge")
    st.write(scheme["knowledge_note"])

st.header("Caveats")
for caveat in ui.get(profile.caveats):
    st.write("• " + caveat)

st.header("How to add data")
st.markdown(
    f"1. Download new months from data.police.uk (custom download: force *{scheme['forces']}*, the months you need, "
    "'Include crime data', and 'Include outcomes data' for the outcomes recorded each month), or run `areaprofile download --months YYYY-MM..YYYY-MM --dest downloads`.\n"
    "2. Run `areaprofile build --source downloads` (or the .zip file). Months already loaded are kept; a month given "
    "again is replaced by the newer file, and the build log says so.\n"
    "3. Open pages pick up the new store without a restart. A failed build leaves the previous store as it was."
)
st.page_link("views/add_data.py", label="Or upload the files on the Add data page (editors)", icon=":material/upload_file:")
ui.footer()
