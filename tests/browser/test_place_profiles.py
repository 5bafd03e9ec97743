"""Ward and parish profiles in Chromium on the real 46 months: for a ward and a parish of each
of the five areas (Bath has no parishes), the Area profile's numbers equal `areaprofile counts`,
the Map draws the area's parish parts, and Compare lists the area's wards and parishes with
smoothed rates that add up to the area. A person picks a parish from the sidebar; the URL keeps
it; the forum pack is made for it."""

from __future__ import annotations

from urllib.parse import quote_plus

import pytest
from playwright.sync_api import expect

from areaprofile import places, query
from tests import banes
from tests.app_pages import app_pages
from tests.cli_counts import cli_counts

PERIOD = ("2020-10", "2021-09")
QUERY = f"period=custom&from={PERIOD[0]}&to={PERIOD[1]}&types=all"


@pytest.fixture(scope="module")
def server(streamlit_server, built_store):
    return streamlit_server("app.py", env={"AREAPROFILE_STORE": str(built_store)})


def busiest(built_store, area: str, kind: str) -> places.Place | None:
    """The area's own (not '(part)') ward or parish with the most records, so numbers are not all zero."""
    store = query.open_store(built_store)
    own = [p for p in places.places_in(store, area) if p.kind == kind and not p.part]
    if not own:
        return None
    return max(own, key=lambda p: query.total(store, area=area, **{kind: p.name}))


def metric_values(app) -> list[str]:
    return [m.inner_text().replace(",", "") for m in app.page.query_selector_all("[data-testid='stMetricValue']")]


@pytest.mark.parametrize("area", banes.AREAS)
def test_ward_and_parish_pages_for_each_area(area, server, app_page, built_store, capsys):
    for kind in places.KINDS:
        place = busiest(built_store, area, kind)
        if place is None:
            assert (area, kind) == ("Bath", "parish")  # unparished in the 2016 boundaries
            continue
        url_part = f"area={quote_plus(area)}&{kind}={quote_plus(place.name)}&{QUERY}"
        app = app_page(server, f"/?{url_part}", wait=False)
        app.wait_until_idle(timeout_ms=120_000)
        app.assert_no_exception()
        assert app.page.locator("h1").first.inner_text() == f"{place.name} {kind}, {area}: community safety profile"
        expected = [cli_counts(capsys, built_store, by="area", start=PERIOD[0], end=PERIOD[1], area=area,
                               crime_types=types, **{kind: place.name}) for types in ("all-crime", "asb")]
        assert metric_values(app)[:2] == [str(rows[0]["count"]) if rows else "0" for rows in expected]
        text = app.page.inner_text("body")
        assert "estimated" in text and "snap point lies in the" in text
        app.screenshot(f"place-profile-{area}-{kind}".replace(" ", "_"))

    listing = query.open_store(built_store)
    parish_parts = [p for p in places.places_in(listing, area) if p.kind == "parish"]
    if parish_parts:
        app = app_page(server, f"/map?area={quote_plus(area)}&parish={quote_plus(busiest(built_store, area, 'parish').name)}&{QUERY}")
        app.assert_no_exception()
        assert app.page.get_by_role("radio", name=f"Parishes of {area}").is_checked()
        app.wait_for_map_paths(len(parish_parts))
        app.screenshot(f"place-map-{area}".replace(" ", "_"))

    app = app_page(server, f"/compare?area={quote_plus(area)}&{QUERY}")
    app.assert_no_exception()
    text = app.page.inner_text("body")
    assert f"Wards in {area}" in text
    assert (f"Parishes in {area}" in text) == bool(parish_parts)
    assert "Smoothed per 1,000" in text and "Residents of a ward or parish part are estimated" in text
    for kind in places.KINDS:  # the sentence beside each table and funnel plot
        table = places.compare_places(listing, area, kind, *PERIOD)
        if not table.empty:
            assert places.compare_sentence(table, area, kind) in text
    app.screenshot(f"place-compare-{area}".replace(" ", "_"))


def test_a_person_picks_a_parish_and_the_link_keeps_it(server, app_page, browser):
    app = app_page(server, f"/?area=Keynsham&{QUERY}")
    sidebar = app.page.locator("[data-testid='stSidebar']")
    sidebar.get_by_role("combobox", name="Ward or parish").click()
    app.page.get_by_role("option", name="Saltford parish", exact=True).click()
    # The page reruns for the choice: wait for its new title (a loaded machine may take a while).
    expect(app.page.locator("h1").first).to_have_text("Saltford parish, Keynsham: community safety profile",
                                                      timeout=90_000)
    app.wait_until_idle()
    assert "parish=Saltford" in app.page.url
    app.page.get_by_role("link", name="Forum update").click()
    app.wait_until_idle(timeout_ms=120_000)
    app.assert_no_exception()
    assert "parish=Saltford" in app.page.url
    pack = app.page.frame_locator("iframe[title]").last.locator("h1")
    assert pack.inner_text() == "Saltford parish, Keynsham: community safety update"
    app.screenshot("place-forum-update")
    # Choosing another area in the sidebar drops the parish from the link (it is not one of that area's).
    sidebar.get_by_role("combobox", name="Area").click()
    app.page.get_by_role("option", name="Bath", exact=True).click()
    app.wait_until_idle()
    app.page.wait_for_url(lambda url: "area=Bath" in url, timeout=60_000)
    assert "parish=" not in app.page.url


@pytest.mark.parametrize("place", ["area=Keynsham&parish=Saltford", "area=Bath&ward=Widcombe+%26+Lyncombe"])
def test_every_page_works_one_level_down(place, server, app_page):
    """Pages that do not narrow to a ward or parish (hotspots, concerns, ...) still work and say so."""
    for _, path in app_pages():
        app = app_page(server, f"{path}?{place}&{QUERY}", wait=False)
        app.wait_until_idle(timeout_ms=120_000)
        app.assert_no_exception()
        assert app.page.locator("h1").first.inner_text(), path
    app.assert_only_local()
