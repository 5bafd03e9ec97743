"""One page run reads one store: a rebuild that lands halfway through a run does not change the
numbers that run shows, and the next run shows the new store.

A real app run (the shared sidebar, then cached profile calls) with a real rebuild in the
middle, driven by Streamlit's AppTest: deterministic, where a browser can only hope to land
a rebuild mid-run.
"""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from tests import stores

NEW = "2021-09"

SCRIPT = """
import os
from pathlib import Path

import streamlit as st

from areaprofile import profile, ui
from areaprofile.store import build

ui.sidebar()  # as app.py does at the start of every run
before = ui.get(profile.store_meta)["store_id"], ui.get(profile.loaded_months)[-1]
if not st.session_state.get("rebuilt"):
    st.session_state["rebuilt"] = True
    build([Path(os.environ["AP_TEST_SOURCE"])], Path(os.environ["AREAPROFILE_STORE"]))
after = ui.get(profile.store_meta)["store_id"], ui.get(profile.loaded_months)[-1], ui.get(profile.data_correct_as_of)
st.write(f"before={before[0]} {before[1]}")
st.write(f"after={after[0]} {after[1]} {after[2]}")
"""


def _shown(at) -> tuple[list[str], list[str]]:
    texts = [m.value for m in at.markdown]
    before = next(t for t in texts if t.startswith("before=")).removeprefix("before=").split(" ", 1)
    after = next(t for t in texts if t.startswith("after=")).removeprefix("after=").split(" ", 2)
    return before, after


def test_a_rebuild_mid_run_does_not_mix_stores(monkeypatch, tmp_path, data_dir):
    store = stores.copy_store(stores.store_without(data_dir, NEW), tmp_path / "store")
    source = tmp_path / "new" / NEW
    source.mkdir(parents=True)
    (source / stores.month_file(data_dir, NEW).name).symlink_to(stores.month_file(data_dir, NEW))
    monkeypatch.setenv("AREAPROFILE_STORE", str(store))
    monkeypatch.setenv("AP_TEST_SOURCE", str(source.parent))

    at = AppTest.from_string(SCRIPT, default_timeout=120).run()
    assert not at.exception, at.exception
    before, after = _shown(at)
    assert after[0] == before[0] and after[1] == before[1] == "2021-08", "one run mixed two stores"
    assert "police.uk data to Aug 2021" in after[2]

    at.run()  # the next run: the rebuilt store, no restart
    assert not at.exception
    before, after = _shown(at)
    assert before[0] == after[0] and before[1] == after[1] == NEW
    assert "police.uk data to Sep 2021" in after[2]
