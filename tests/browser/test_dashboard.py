"""The dashboard in Debian Chromium on the real 46 months: every page renders, stays on this
machine, shows the same numbers as the `counts` CLI, and a copied URL restores the view."""

from __future__ import annotations

import csv
import io
import re

import pytest

from areaprofile.cli import main
from areaprofile.periods import Period, shift

PAGES = {"profile": "/", "map": "/map", "compare": "/compare", "data": "/data"}


@pytest.fixture(scope="module")
def server(streamlit_server, built_store):
    return streamlit_server("app.py", env={"AREAPROFILE_STORE": str(built_store)})


def cli_counts(capsys, *args) -> list[dict]:
    assert main(["counts", *args]) == 0
    return list(csv.DictReader(io.StringIO(capsys.readouterr().out)))


def no_exceptions(app) -> None:
    errors = app.page.query_selector_all("[data-testid='stException']")
    assert not errors, errors[0].inner_text()[:2000]


def sidebar_value(app, label: str) -> str:
    return app.page.locator("[data-testid='stSidebar']").get_by_role("combobox", name=label).input_value()


def choose(app, label: str, option: str) -> None:
    app.page.locator("[data-testid='stSidebar']").get_by_role("combobox", name=label).click()
    app.page.get_by_role("option", name=option, exact=True).click()
    app.wait_until_idle()


@pytest.mark.parametrize("name", list(PAGES))
@pytest.mark.parametrize("area", ["All+B%26NES", "Keynsham"])
def test_every_page_renders_offline(name, area, server, app_page):
    app = app_page(server, f"{PAGES[name]}?area={area}&period=last-12-months&types=all")
    no_exceptions(app)
    assert app.page.locator("h1").first.inner_text()
    if name == "map":
        app.wait_for_map_paths(5 if "All" in area else 18)
    app.wait_until_idle()
    app.screenshot(f"dashboard-{name}-{area.replace('%26', '&').replace('+', '_')}")
    app.assert_only_local()


def test_profile_headlines_equal_the_cli(server, app_page, built_store, capsys):
    app = app_page(server, "/?area=Keynsham&period=last-3-months&types=all")
    no_exceptions(app)
    months = sorted({row["month"] for row in cli_counts(capsys, "--by", "month", "--store", str(built_store))})
    period = Period(shift(months[-1], -2), months[-1])
    crime = cli_counts(capsys, "--by", "area", "--area", "Keynsham", "--crime-type", "all-crime",
                       "--from", period.start, "--to", period.end, "--store", str(built_store))
    asb = cli_counts(capsys, "--by", "area", "--area", "Keynsham", "--crime-type", "asb",
                     "--from", period.start, "--to", period.end, "--store", str(built_store))
    shown = [m.inner_text().replace(",", "") for m in app.page.query_selector_all("[data-testid='stMetricValue']")]
    assert shown[:2] == [crime[0]["count"], asb[0]["count"]]


def test_map_legend_counts_an_areas_lsoas_in_plain_words(server, app_page, built_store):
    """Keynsham's LSOA map says how many LSOAs it shades ("18 LSOAs", once "18 lsoas")."""
    from areaprofile import profile, query
    from areaprofile.periods import preset_period

    store = query.open_store(built_store)
    selection = profile.Selection(area="Keynsham", period=preset_period("Last 3 months", profile.loaded_months(store)[-1]))
    shapes = len(profile.map_table(profile.map_features(store, selection, "lsoa")))
    app = app_page(server, "/map?area=Keynsham&period=last-3-months&types=all")
    app.wait_for_map_paths(shapes)
    legend = next(frame for frame in app.page.frames if frame.locator(".ap-legend").count()).locator(".ap-legend")
    assert f"{shapes} LSOAs; grey = no data" in legend.first.inner_text()


def test_map_click_shows_that_polygons_numbers(server, app_page, built_store, capsys):
    app = app_page(server, "/map?area=All+B%26NES&period=last-12-months&types=asb")
    app.wait_for_map_paths(5)
    app.select_map_shape()  # the largest area, one click; fails unless the panel shows it
    panel = app.page.locator("[data-testid='stColumn']").filter(has_text="Selected").last.inner_text()
    name = next(a for a in ("Bath", "Bathavon", "Chew Valley", "Keynsham", "Somer Valley") if f"\n{a}\n" in f"\n{panel}\n")
    months = sorted({row["month"] for row in cli_counts(capsys, "--by", "month", "--store", str(built_store))})
    rows = cli_counts(capsys, "--by", "area", "--area", name, "--crime-type", "asb", "--from", shift(months[-1], -11),
                      "--to", months[-1], "--store", str(built_store))
    shown = app.page.locator("[data-testid='stMetricValue']").first.inner_text().replace(",", "")
    assert shown == rows[0]["count"]
    app.screenshot("dashboard-map-clicked")
    app.assert_only_local()


def test_compare_csv_download_equals_the_cli(server, app_page, built_store, capsys):
    app = app_page(server, "/compare?area=All+B%26NES&period=custom&from=2020-04&to=2021-03&types=all-crime")
    no_exceptions(app)
    with app.page.expect_download() as info:
        app.page.get_by_text("Download this table (CSV)").click()
    table = list(csv.DictReader(io.StringIO(open(info.value.path(), encoding="utf-8").read())))
    rows = cli_counts(capsys, "--by", "area", "--crime-type", "all-crime", "--from", "2020-04", "--to", "2021-03",
                      "--store", str(built_store))
    expected = {row["area"]: row["count"] for row in rows}
    assert {row["Area"]: row["Count"] for row in table if row["Area"] in expected} == expected
    assert next(r for r in table if r["Area"] == "All B&NES")["Count"] == str(sum(int(v) for v in expected.values()))


def test_a_copied_url_restores_the_view_on_every_page(server, app_page, browser):
    app = app_page(server, "/")
    # Make choices through the sidebar, as a person would.
    sidebar = app.page.locator("[data-testid='stSidebar']")
    choose(app, "Area", "Chew Valley")
    choose(app, "Period", "Financial year")
    sidebar.get_by_text("Anti-social behaviour only").click()
    app.wait_until_idle()
    # Move to another page: the choices survive, and the URL carries them.
    app.page.get_by_role("link", name="Compare areas").click()
    app.wait_until_idle()
    url = app.page.url
    assert "area=Chew+Valley" in url and "period=financial-year" in url and "types=asb" in url
    caption = app.page.locator("[data-testid='stCaptionContainer']").first.inner_text()

    fresh = app_page(server, url.replace(server.url, ""))
    assert sidebar_value(fresh, "Area") == "Chew Valley"
    assert sidebar_value(fresh, "Period") == "Financial year"
    assert fresh.page.locator("[data-testid='stCaptionContainer']").first.inner_text() == caption
    assert re.search(r"Apr \d{4} to Mar \d{4}", caption)
    fresh.assert_only_local()


@pytest.mark.parametrize("name", ["profile", "compare", "map"])
def test_pages_fit_a_phone_screen(name, server, app_page):
    """At phone width the page reflows: nothing makes the whole page scroll sideways."""
    app = app_page(server, f"{PAGES[name]}?area=Keynsham&period=last-3-months&types=all",
                   viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    no_exceptions(app)
    overflow = app.page.evaluate(
        "() => { const main = document.querySelector(\"[data-testid='stMain']\") || document.body;"
        " return Math.max(document.documentElement.scrollWidth, main.scrollWidth) - window.innerWidth; }")
    assert overflow <= 2, f"the page is {overflow}px wider than the phone screen"
    app.screenshot(f"dashboard-phone-{name}")
    app.assert_only_local()
