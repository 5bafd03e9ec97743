"""The Concerns & priorities and Plan measures pages in Debian Chromium on the real store and a
fresh register (seeded from the knowledge base): both views for all five areas render with no
exception and no request off this machine, the view is kept in the URL, a measure's figure equals
the `counts` CLI, and the page fits a phone. (An editor's concern, its actions and its numbers
against the CLI are in test_register_pages.py.) Full-length screenshots go to test-output/screenshots."""

from __future__ import annotations


import pytest
import yaml

from areaprofile import config, query
from tests.cli_counts import cli_counts
from areaprofile.periods import Period, shift

AREAS = list(config.AREAS)
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def server(streamlit_server, built_store):
    return streamlit_server("app.py", env={"AREAPROFILE_STORE": str(built_store)})


@pytest.fixture(scope="module")
def last3(built_store) -> Period:
    end = query.months(query.open_store(built_store))[-1]
    return Period(shift(end, -2), end)


@pytest.fixture(scope="module")
def yaml_concerns() -> dict[str, dict]:
    data = yaml.safe_load((config.KNOWLEDGE_DIR / "concerns.yaml").read_text(encoding="utf-8"))
    return {c["id"]: c for c in data["concerns"]}


def url(path: str, area: str, period: Period, **extra: str) -> str:
    params = {"area": area.replace(" ", "+"), "period": "custom", "from": period.start, "to": period.end, **extra}
    return path + "?" + "&".join(f"{k}={v}" for k, v in params.items())


def cli_sum(capsys, built_store, period: Period, area: str | None, types: list[str]) -> int:
    return sum(row["count"] for row in cli_counts(capsys, built_store, "area", period.start, period.end, area, types))


def no_exceptions(app) -> None:
    errors = app.page.query_selector_all("[data-testid='stException']")
    assert not errors, errors[0].inner_text()[:2000]


def full_screenshot(app, name: str):
    """The whole page: Streamlit scrolls inside its main block, so grow the window to fit it first."""
    height = app.page.evaluate("() => document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
    width = app.page.viewport_size["width"]
    app.page.set_viewport_size({"width": width, "height": min(int(height) + 40, 16000)})
    app.wait_until_idle()
    path = app.screenshot(name)
    assert path.stat().st_size > 20_000
    return path


def wait_for_address(app, part: str) -> str:
    """The address bar once it contains ``part`` (Streamlit rewrites it with history.replaceState)."""
    app.page.wait_for_function("(part) => location.href.includes(part)", arg=part, timeout=30_000)
    return app.page.evaluate("() => location.href")


def card(app, title: str):
    """The bordered block holding one concern (its heading and its numbers)."""
    heading = app.page.get_by_role("heading", name=title, exact=True)
    return heading.locator("xpath=ancestor::div[@data-testid='stVerticalBlock'][1]")


@pytest.mark.parametrize("area", AREAS)
def test_concerns_view_for_each_area(area, server, app_page, last3, yaml_concerns):
    app = app_page(server, url("/concerns", area, last3))
    no_exceptions(app)
    page = app.page
    assert page.locator("h1").first.inner_text() == "Concerns & priorities"
    assert page.get_by_role("radio", name="Start from an area's concerns").is_checked()
    expected = [c for c in yaml_concerns.values() if area in c["areas"]]
    assert page.get_by_text(f"{area}: {len(expected)} open concerns, 0 with an action recorded.").count() == 1
    assert page.get_by_role("heading", name=f"Open and in progress in {area}", exact=True).count() == 1
    for concern in expected:
        assert card(app, concern["title"]).count() == 1, concern["title"]
    # Concerns copied from a plan have no day raised, and say so instead of a comparison.
    assert page.get_by_text("No date raised is on record", exact=False).count() >= 1
    # Concerns police.uk cannot count say so, with what would count them.
    assert page.get_by_text("police.uk cannot count this concern", exact=False).count() >= 1
    assert page.get_by_text("Data correct as of:", exact=False).count() == 1
    full_screenshot(app, f"concerns-{area.replace(' ', '_')}")
    app.assert_only_local()
    assert app.dialogs == []


@pytest.mark.parametrize("area", AREAS)
def test_priorities_view_for_each_area(area, server, app_page, last3):
    app = app_page(server, url("/concerns", area, last3, view="priorities"))
    no_exceptions(app)
    page = app.page
    assert page.get_by_role("radio", name="Start from the plan priorities").is_checked()
    assert page.get_by_role("heading", name="Priority 2: Strengthen and improve local communities to improve outcomes "
                                            "for local people", exact=True).count() == 1
    assert page.get_by_text("Objectives", exact=True).count() >= 3
    assert page.get_by_text("priorities in Joint Community Safety Plan 2018-2021 have", exact=False).count() == 1
    address = wait_for_address(app, "view=priorities")
    assert f"area={area.replace(' ', '+')}" in address
    full_screenshot(app, f"priorities-{area.replace(' ', '_')}")
    app.assert_only_local()


def test_the_chosen_view_is_kept_in_the_url(server, app_page, last3):
    app = app_page(server, url("/concerns", "Keynsham", last3))
    assert "view=" not in app.page.evaluate("() => location.href")
    app.page.get_by_text("Start from the plan priorities", exact=True).click()
    link = wait_for_address(app, "view=priorities")
    app.page.get_by_role("heading", name="Priority 1: Protect the most vulnerable from harm").wait_for(timeout=30_000)
    # The copied link reproduces the view in a fresh browser session.
    again = app_page(server, link[len(server.url):])
    no_exceptions(again)
    assert again.page.get_by_role("radio", name="Start from the plan priorities").is_checked()
    assert again.page.get_by_role("heading", name="Priority 1: Protect the most vulnerable from harm").count() == 1
    again.assert_only_local()


def test_all_banes_asks_for_an_area(server, app_page, last3):
    app = app_page(server, url("/concerns", "All+B%26NES", last3))
    no_exceptions(app)
    assert app.page.get_by_text("Pick one of the five forum areas", exact=False).count() == 1
    assert app.page.get_by_text("open concerns", exact=False).count() == 0
    # Picking an area on the page also sets the sidebar's area (and so the URL).
    app.page.locator("[data-testid='stMain'] [data-testid='stSelectbox']").filter(has_text="Forum area").click()
    app.page.get_by_role("option", name="Keynsham", exact=True).click()
    app.page.get_by_role("heading", name="Open and in progress in Keynsham", exact=True).wait_for(timeout=30_000)
    app.wait_until_idle()
    no_exceptions(app)
    wait_for_address(app, "area=Keynsham")
    sidebar = app.page.locator("[data-testid='stSidebar'] [data-testid='stSelectbox']").filter(has_text="Area").first
    assert sidebar.locator("input").input_value() == "Keynsham"
    app.assert_only_local()


def test_measures_page(server, app_page, built_store, capsys, last3):
    app = app_page(server, url("/measures", "Keynsham", last3))
    no_exceptions(app)
    page = app.page
    assert page.locator("h1").first.inner_text() == "Plan measures"
    total = cli_sum(capsys, built_store, last3, None, ["all-crime"])
    asb = cli_sum(capsys, built_store, last3, None, ["asb"])
    title = page.get_by_text("of the 10 measures in the Joint Community Safety Plan 2018-2021", exact=False).inner_text()
    assert f"Police recorded total crime for the B&NES area: {total:,} in B&NES" in title
    assert f"Police recorded ASB: {asb:,} in B&NES" in title
    assert page.get_by_role("heading", name="What police.uk cannot count, and what would").count() == 1
    assert page.get_by_text("Would need:", exact=False).count() == 8
    full_screenshot(app, "measures-jcsp-2018-21")
    app.assert_only_local()


def test_measures_plan_is_kept_in_the_url(server, app_page, last3):
    app = app_page(server, url("/measures", "Bath", last3, plan="csp-2009-12"))
    no_exceptions(app)
    assert app.page.get_by_text("measures in the Community Safety Plan 2009-2012", exact=False).count() == 1
    wait_for_address(app, "plan=csp-2009-12")
    app.assert_only_local()


@pytest.mark.parametrize("path", ["/concerns", "/measures"])
def test_fits_a_phone(path, server, app_page, last3):
    app = app_page(server, url(path, "Somer Valley", last3), viewport=PHONE, is_mobile=True, has_touch=True)
    no_exceptions(app)
    overflow = app.page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1, f"page is {overflow}px wider than a phone screen"
    full_screenshot(app, f"phone{path.replace('/', '-')}")
    app.assert_only_local()


def test_deep_link_as_the_first_visit_to_a_fresh_server(streamlit_server, built_store, app_page, last3):
    """A shared link opened before anyone has visited the home page runs through app.py: the page,
    its sidebar and the full navigation are there (a folder named pages/ would break this)."""
    fresh = streamlit_server("app.py", env={"AREAPROFILE_STORE": str(built_store)},
                             args=("--client.toolbarMode", "minimal"))
    titles = {"/concerns": "Concerns & priorities", "/measures": "Plan measures", "/map": "Map: Keynsham",
              "/hotspots": "Hotspots"}
    for path, title in titles.items():
        app = app_page(fresh, url(path, "Keynsham", last3))
        no_exceptions(app)
        assert app.page.locator("h1").first.inner_text().startswith(title)
        assert app.page.locator("[data-testid='stSidebar'] [data-testid='stSelectbox']").count() >= 2
        sidebar = app.page.locator("[data-testid='stSidebar']")  # the navigation is links in sections there
        for page_name in ("Forum update", "Compare areas"):
            assert sidebar.get_by_role("link", name=page_name).count() == 1
        app.assert_only_local()
