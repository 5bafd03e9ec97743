"""Every page in app.py's list, opened in Chromium: it renders without an exception and makes no
request beyond the local server (no CDN, tiles, fonts or analytics).

The list is read from app.py itself, so a page added there is covered without touching this file.
"""

from __future__ import annotations

import pytest

from tests.app_pages import app_pages

PAGES = app_pages()


def test_app_py_lists_pages():
    assert len(PAGES) >= 5 and PAGES[0][1] == "/" and ("views/add_data.py", "/add-data") in PAGES


@pytest.fixture(scope="module")
def server(streamlit_server, built_store):
    return streamlit_server("app.py", env={"AREAPROFILE_STORE": str(built_store)})


@pytest.mark.parametrize("file, path", PAGES, ids=[p for _, p in PAGES])
def test_page_renders_with_only_local_requests(file, path, server, app_page):
    app = app_page(server, path)
    app.page.wait_for_timeout(300)  # late assets (fonts, iframes) get a chance to ask
    app.wait_until_idle()
    assert app.page.locator("[data-testid='stException']").count() == 0, app.page.inner_text("body")[:2000]
    assert app.page.locator("h1").count() >= 1
    app.screenshot(f"offline_{path.strip('/') or 'home'}")
    app.assert_only_local()
    assert app.dialogs == []
