"""The Area profile's 'Outcomes recorded by police' section in Chromium on the real store: the
numbers equal `areaprofile outcomes --recorded`, the page says which months have an outcomes file,
and a period without one says so (phone width)."""

from __future__ import annotations

import json

import pytest

from areaprofile.cli import main


@pytest.fixture(scope="module")
def server(streamlit_server, built_store):
    return streamlit_server("app.py", env={"AREAPROFILE_STORE": str(built_store)})  # the deeper-profiles tests' server


def recorded_table(app) -> dict[str, str]:
    """Group -> outcomes, from the light table whose caption names the recorded outcomes."""
    table = app.page.locator("table", has=app.page.locator("caption", has_text="Outcomes recorded by police"))
    rows = table.evaluate(
        "t => Array.from(t.querySelectorAll('tbody tr')).map(r => Array.from(r.querySelectorAll('th, td')).map(c => c.innerText.trim()))"
    )
    return {row[0]: row[1].replace(",", "") for row in rows}


def test_recorded_outcomes_equal_the_cli_and_say_which_months_have_a_file(server, app_page, built_store, capsys):
    app = app_page(server, "/?area=Keynsham&period=custom&from=2019-01&to=2019-12&types=all",
                   wait=False, viewport={"width": 1920, "height": 1080})
    app.wait_until_idle(timeout_ms=120_000)  # a fresh server's first run imports and warms its caches
    app.assert_no_exception()
    text = app.page.inner_text("body")
    assert main(["outcomes", "--area", "Keynsham", "--from", "2019-01", "--to", "2019-12", "--recorded",
                 "--format", "json", "--store", str(built_store)]) == 0
    cli = json.loads(capsys.readouterr().out)
    assert "Outcomes recorded by police in Jul 2019 to Sep 2019" in text
    assert f"Police recorded {cli['outcomes']:,} outcomes in Keynsham in Jul 2019 to Sep 2019" in text
    assert recorded_table(app) == {g["group"]: str(g["outcomes"]) for g in cli["groups"]}
    assert f"{cli['linked_to_crimes']:,} of the {cli['outcomes']:,} outcomes belong to crimes held here" in text
    assert "Only 4 months have an outcomes file here (Jun 2017, Jul 2019 to Sep 2019)" in text
    assert "9 months of this period have none (Jan 2019 to Jun 2019, Oct 2019 to Dec 2019)" in text
    assert "whatever month the crime happened in" in text
    app.page.get_by_text("Outcomes recorded by police in Jul 2019 to Sep 2019", exact=True).scroll_into_view_if_needed()
    app.screenshot("recorded-outcomes-projector", full_page=False)
    app.assert_only_local()

    phone = app_page(server, "/?area=Bath&period=custom&from=2020-01&to=2020-12&types=all",
                     viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    phone.assert_no_exception()
    text = phone.page.inner_text("body")
    assert "Outcomes recorded by police (monthly outcomes files)" in text
    assert "No month of this period has an outcomes file, so no recorded outcomes can be shown." in text
    assert "Choose a period that includes one of them" in text
    phone.page.get_by_text("Outcomes recorded by police (monthly outcomes files)", exact=True).scroll_into_view_if_needed()
    phone.screenshot("recorded-outcomes-phone", full_page=False)
