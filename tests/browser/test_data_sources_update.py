"""Data & sources in Chromium after a real `update` run: last checked, last new data, the next
month due, and the last run as words and a table; the footer's 'data correct as of' agrees."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from areaprofile import update
from tests import stores
from tests.police_api import PoliceApi, api_crimes, street_rows

LISTED = ["2021-07", "2021-08", "2021-09"]


@pytest.fixture(scope="module")
def server(data_dir, tmp_path_factory, streamlit_server):
    store = stores.copy_store(stores.store_without(data_dir, "2021-08", "2021-09"), tmp_path_factory.mktemp("updated"))
    months = {m: api_crimes(street_rows(data_dir, m)) for m in LISTED}
    months["2021-08"] = []  # listed but empty: skipped, to be tried again
    with PoliceApi(months) as api:
        update.run(store, police_api=api.base, backoff=0.01, progress=lambda _m: None)
    return streamlit_server("app.py", env={"AREAPROFILE_STORE": str(store)})


def test_data_page_says_how_fresh_the_data_is(server, app_page):
    app = app_page(server, "/data", wait=False)
    app.wait_until_idle(timeout_ms=120_000)  # a cold server on a busy machine
    app.assert_no_exception()
    body = app.page.locator("[data-testid='stMain']")
    expect(body).to_contain_text("The newest month held is Sep 2021")
    expect(body).to_contain_text("Last checked for new months on")
    expect(body).to_contain_text("police.uk's newest month then was Sep 2021")
    expect(body).to_contain_text("The last new data arrived on")
    expect(body).to_contain_text("Oct 2021 is expected from police.uk by about 31 December 2021")
    expect(body).to_contain_text("police.uk lists 2021-08 but returned no rows; skipped, will retry")
    expect(body).to_contain_text("Months fetched by the run of")
    tables = app.page.locator("[data-testid='stDataFrame']")
    expect(tables.nth(0)).to_be_visible()  # the runs
    expect(tables.nth(1)).to_be_visible()  # the months of the last run that fetched any
    expect(body).to_contain_text("(ONS). police.uk data to Sep 2021, the latest published when checked on")
    app.screenshot("data_sources_after_update")
    app.assert_only_local()
