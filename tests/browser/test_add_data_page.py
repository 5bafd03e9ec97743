"""The Add data page in Chromium: only a signed-in admin account gets the uploader, a refused file shown as text, a real month
checked and added, and a page another person has open switching to it without a restart."""

from __future__ import annotations

import re
import secrets

import pytest
from playwright.sync_api import expect

from areaprofile import query
from tests import rawdata, stores

NEW = "2021-09"
PASSWORD = secrets.token_urlsafe(16)  # made up per run; never in the repository
ADMIN = "Ada Admin"
HOSTILE = "<img src=x onerror=alert(1)>"


@pytest.fixture(scope="module")
def live(data_dir, tmp_path_factory, streamlit_server):
    from areaprofile.register import accounts, db

    folder = tmp_path_factory.mktemp("add-data")
    store = stores.copy_store(stores.store_without(data_dir, NEW), folder)
    register = db.open_register(folder / "register.sqlite")
    accounts.add_user(register, ADMIN, PASSWORD, "admin", by="test")
    db.close_register(register)
    server = streamlit_server("app.py", env={"AREAPROFILE_STORE": str(store),
                                             "AREAPROFILE_REGISTER": str(folder / "register.sqlite")})
    return store, server


def _unlock(editor, password: str) -> None:
    editor.page.get_by_label("Account name").fill(ADMIN)
    editor.page.get_by_role("textbox", name="Password").fill(password)
    editor.page.get_by_role("button", name="Sign in", exact=True).click()
    editor.wait_until_idle()


def _upload(editor, files) -> None:
    editor.page.locator("[data-testid='stFileUploader'] input[type='file']").set_input_files(files)
    editor.page.wait_for_timeout(300)  # the upload's rerun starts after the file is sent
    editor.wait_until_idle(timeout_ms=60_000)


def test_editor_adds_a_month_and_open_pages_switch(live, app_page, data_dir):
    store, server = live
    viewer = app_page(server, "/")
    expect(viewer.page.get_by_text("Data correct as of: police.uk data to Aug 2021", exact=False)).to_be_visible()

    editor = app_page(server, "/add-data")
    uploader = editor.page.locator("[data-testid='stFileUploader']")
    assert uploader.count() == 0
    _unlock(editor, PASSWORD[::-1])
    expect(editor.page.get_by_text("That name and password do not match an account")).to_be_visible()
    assert uploader.count() == 0
    _unlock(editor, PASSWORD)
    expect(uploader).to_be_visible()

    # A file that is not a street file, with a hostile name: refused, and the name shown as text.
    _upload(editor, [{"name": f"{HOSTILE}.csv", "mimeType": "text/csv", "buffer": b"not,a,street,file\n"}])
    expect(editor.page.get_by_text(f"{HOSTILE}.csv is not a police.uk street file")).to_be_visible()
    assert editor.page.get_by_role("button", name="Add to the store").count() == 0
    assert editor.page.locator("img[src='x']").count() == 0 and editor.dialogs == []
    editor.page.locator("[data-testid='stFileChipDeleteBtn']").first.click()
    editor.wait_until_idle()

    # The real month: what the check found, then added on confirmation.
    source = stores.month_file(data_dir, NEW)
    bnes = len(rawdata.la_rows(source))
    _upload(editor, [str(source)])
    expect(editor.page.get_by_text(f"Ready to add 1 month ({NEW}): {bnes:,} B&NES rows from 1 file(s).")).to_be_visible()
    table = editor.page.locator("[data-testid='stDataFrame']")
    expect(table).to_be_visible()
    editor.screenshot("add_data_checked")
    assert NEW not in query.months(query.open_store(store)), "the check must not touch the store"
    editor.page.get_by_role("button", name="Add to the store").click()
    expect(editor.page.get_by_text(re.compile(r"^Store rebuilt: added 1 month \(2021-09\)"))).to_be_visible(timeout=120_000)
    editor.wait_until_idle()
    editor.screenshot("add_data_added")
    assert query.months(query.open_store(store))[-1] == NEW

    # The other person's page: its next run shows the new month, no restart.
    viewer.page.keyboard.press("r")
    expect(viewer.page.get_by_text("Data correct as of: police.uk data to Sep 2021", exact=False)).to_be_visible(
        timeout=60_000)

    # The same month again is refused unless 'replace' is ticked.
    _upload(editor, [str(source)])
    expect(editor.page.get_by_text(f"{NEW} is already loaded; tick 'Replace months already loaded'",
                                   exact=False)).to_be_visible()
    assert editor.page.get_by_role("button", name="Add to the store").count() == 0
    editor.page.locator("[data-testid='stCheckbox']").get_by_text("Replace months already loaded").click()
    editor.wait_until_idle()
    expect(editor.page.get_by_text(f"Ready to replace 1 month ({NEW})", exact=False)).to_be_visible()

    for app in (viewer, editor):
        assert app.page.locator("[data-testid='stException']").count() == 0
        app.assert_only_local()
        assert app.dialogs == []
