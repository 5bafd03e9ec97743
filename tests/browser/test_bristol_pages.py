"""The same app on Bristol's store (one store = one partnership): every page in app.py renders in
Chromium with Bristol's areas and words, makes no request off this machine, draws its maps, and
shows the numbers of the `counts` CLI; the second area scheme (wards) works from the URL.

One visit per page keeps this cheap; the B&NES store's pages are covered by the other files."""

from __future__ import annotations

import contextlib
import json
import re
import sqlite3

import pytest

from areaprofile.cli import main
from areaprofile.periods import Period, shift
from tests.browser.test_pages_offline import app_pages

VIEW = "area=Area+4&period=last-3-months&types=all"
REGISTER = "register-browser.sqlite"  # beside the session's Bristol store


@pytest.fixture(scope="module")
def server(streamlit_server, bristol_store):
    # The concerns register belongs to one partnership too: the app passes the store's to it.
    return streamlit_server("app.py", env={"AREAPROFILE_STORE": str(bristol_store),
                                           "AREAPROFILE_REGISTER": str(bristol_store.parent / REGISTER)})


def counts(capsys, store, *args) -> list[dict]:
    capsys.readouterr()
    assert main(["counts", "--format", "json", "--store", str(store), *args]) == 0
    return json.loads(capsys.readouterr().out)


def last_quarter(capsys, store) -> Period:
    months = [r["month"] for r in counts(capsys, store, "--by", "month")]
    return Period(shift(months[-1], -2), months[-1])


def metrics(app) -> list[str]:
    return [m.inner_text().replace(",", "") for m in app.page.query_selector_all("[data-testid='stMetricValue']")]


def headline_counts(capsys, store, period: Period, area: str, *scheme: str) -> list[str]:
    found = []
    for types in ("all-crime", "asb"):
        rows = counts(capsys, store, "--by", "area", "--area", area, "--crime-type", types,
                      "--from", period.start, "--to", period.end, *scheme)
        found.append(str(rows[0]["count"]))
    return found


def check_profile(app, capsys, store):
    assert app.page.locator("h1").first.inner_text() == "Area 4: community safety profile"
    assert metrics(app)[:2] == headline_counts(capsys, store, last_quarter(capsys, store), "Area 4")
    sidebar = app.page.locator("[data-testid='stSidebar']")
    assert sidebar.get_by_role("combobox", name="Area scheme").input_value() == "Area committees (2018)"
    assert "Area Committee 4" in app.page.inner_text("body")


def check_map(app, capsys, store):
    app.wait_for_map_paths(6)  # the six committee areas
    assert "Areas (the six area committees)" in app.page.inner_text("body")


def check_hotspots(app, capsys, store):
    app.wait_for_map_paths(1)


def check_compare(app, capsys, store):
    assert app.page.locator("h1").first.inner_text() == "Compare the six areas"
    body = app.page.inner_text("body")
    assert "which areas differ from Bristol" in body
    assert re.search(r"Area 1: (Well above|Above|In line with|Below|Well below) Bristol;", body)


def check_concerns(app, capsys, store):
    body = app.page.inner_text("body")
    assert "Area 4: no concerns in the register yet." in body and "data/knowledge-E06000023/" in body


def check_measures(app, capsys, store):
    assert "No plan on record lists measures." in app.page.inner_text("body")


def check_forum_update(app, capsys, store):
    frame = app.page.frame_locator("iframe[title*='Area Committee 4']")
    assert frame.locator("h1").inner_text() == "Area Committee 4: community safety update"


def check_data(app, capsys, store):
    body = app.page.inner_text("body")
    assert "Keeping Bristol Safe Partnership" in body and "How the 6 areas are defined (Area committees (2018))" in body
    assert "Bristol's wards date from the May 2016 review" in body and "Plan knowledge" in body


def check_manage_concerns(app, capsys, store):
    # Viewers see the sign-in form and no editing controls; Bristol's register is its own.
    assert app.page.get_by_role("button", name="Sign in").count() >= 1
    assert app.page.get_by_role("button", name="Add the concern").count() == 0
    # The new register was made for the store's partnership (no $AREAPROFILE_LA says so).
    with contextlib.closing(sqlite3.connect(store.parent / REGISTER)) as register:
        assert register.execute("SELECT la_code FROM register_partnership").fetchall() == [("E06000023",)]


def check_add_data(app, capsys, store):
    assert app.page.locator("h1").count() >= 1


CHECKS = {"/": check_profile, "/map": check_map, "/hotspots": check_hotspots, "/compare": check_compare,
          "/concerns": check_concerns, "/measures": check_measures, "/forum-update": check_forum_update,
          "/manage-concerns": check_manage_concerns, "/data": check_data, "/add-data": check_add_data}
PAGES = app_pages()


def test_every_page_is_checked():
    assert sorted(path for _, path in PAGES) == sorted(CHECKS)


@pytest.mark.parametrize("path", [path for _, path in PAGES])
def test_bristol_page_renders_offline_with_its_numbers(path, server, app_page, bristol_store, capsys):
    app = app_page(server, f"{path}?{VIEW}")
    app.assert_no_exception()
    assert "B&NES" not in app.page.inner_text("body")
    CHECKS[path](app, capsys, bristol_store)
    app.wait_until_idle()
    app.assert_no_exception()
    app.screenshot(f"bristol-{path.strip('/') or 'profile'}")
    app.assert_only_local()


def test_the_ward_scheme_from_a_link(server, app_page, bristol_store, capsys):
    app = app_page(server, "/?scheme=wards-2016&area=Central&period=last-3-months&types=all")
    app.assert_no_exception()
    assert app.page.locator("h1").first.inner_text() == "Central: community safety profile"
    period = last_quarter(capsys, bristol_store)
    assert metrics(app)[:2] == headline_counts(capsys, bristol_store, period, "Central", "--scheme", "wards-2016")
    sidebar = app.page.locator("[data-testid='stSidebar']")
    assert sidebar.get_by_role("combobox", name="Area scheme").input_value() == "Wards (2016)"
    app.page.get_by_role("link", name="Compare areas").click()
    app.wait_until_idle()
    assert "scheme=wards-2016" in app.page.url
    assert app.page.locator("h1").first.inner_text() == "Compare the 34 areas"
    app.screenshot("bristol-compare-wards")
    app.assert_only_local()
