"""Deeper profiles in Chromium on the real 46 months: outcomes with their caveat (numbers equal
the CLI's), the completeness note beside the figures, the rolling year, time of year and
repeat places, at phone and projector width."""

from __future__ import annotations

import json

import pytest

from areaprofile import query, repeat_places
from areaprofile.cli import main
from areaprofile.periods import Period
from areaprofile.profile import Selection


@pytest.fixture(scope="module")
def server(streamlit_server, built_store):
    return streamlit_server("app.py", env={"AREAPROFILE_STORE": str(built_store)})


def no_exceptions(app) -> None:
    errors = app.page.query_selector_all("[data-testid='stException']")
    assert not errors, errors[0].inner_text()[:2000]


def table_rows(app) -> list[list[str]]:
    """The cells (row header first) of the page's first static table."""
    return app.page.locator("[data-testid='stTable']").first.evaluate(
        "t => Array.from(t.querySelectorAll('tbody tr')).map(r => Array.from(r.querySelectorAll('th, td')).map(c => c.innerText.trim()))"
    )


def test_area_profile_shows_outcomes_caveat_and_the_cli_numbers(server, app_page, built_store, capsys):
    app = app_page(server, "/?area=Keynsham&period=custom&from=2020-01&to=2020-12&types=all",
                   wait=False, viewport={"width": 1920, "height": 1080})
    app.wait_until_idle(timeout_ms=120_000)  # the server's first run imports and warms its caches
    no_exceptions(app)
    text = app.page.inner_text("body")
    assert "What happened to the crimes (outcomes)" in text
    assert "on the day its file was downloaded" in text and "never compared across downloads" in text
    assert "Data completeness: 12 of 12 months loaded (100%)" in text
    assert "Oct 2020 to Sep 2021 against" not in text and "Jan 2020 to Dec 2020 against Jan 2019 to Dec 2019" in text
    assert "Repeat places" in text and "months in a row" in text
    assert main(["outcomes", "--area", "Keynsham", "--from", "2020-01", "--to", "2020-12", "--format", "json",
                 "--store", str(built_store)]) == 0
    cli = json.loads(capsys.readouterr().out)
    assert f"Of {cli['crimes']:,} crimes in Keynsham" in text
    shown = {row[0]: row[1] for row in table_rows(app)}
    assert {g["group"]: str(g["crimes"]) for g in cli["groups"]} == {k: v.replace(",", "") for k, v in shown.items()}
    store = query.open_store(built_store)
    repeats = repeat_places.repeat_places(store, Selection(area="Keynsham", period=Period("2020-01", "2020-12")))
    assert repeat_places.repeat_sentence(repeats, "Keynsham") in text
    app.screenshot("deeper-profile-projector")
    app.assert_only_local()


def test_an_incomplete_period_says_so_beside_the_figures(server, app_page):
    """2017-06 to 2018-01 holds two of its eight months: every page with figures says so."""
    for path in ("/", "/compare", "/map"):
        app = app_page(server, f"{path}?area=Bath&period=custom&from=2017-06&to=2018-01&types=all")
        no_exceptions(app)
        alerts = " ".join(a.inner_text() for a in app.page.query_selector_all("[data-testid='stMain'] [data-testid='stAlert']"))
        assert "Incomplete period: only 2 of the 8 months" in alerts, path
        assert "Jul 2017" in alerts


def test_compare_outcomes_at_phone_width(server, app_page):
    app = app_page(server, "/compare?period=custom&from=2019-01&to=2021-09&types=all",
                   viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    no_exceptions(app)
    text = app.page.inner_text("body")
    assert "Outcomes by area" in text and "never compared across downloads" in text
    assert "Jul 2019: 72% of its crimes still open" in text and "Apr 2021 to Sep 2021: within 6 months" in text  # the month left out, and why
    app.screenshot("deeper-compare-phone")
    profile = app_page(server, "/?area=Chew+Valley&period=last-12-months&types=all",
                       viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    no_exceptions(profile)
    profile.screenshot("deeper-profile-phone")
