"""The Forum update page in Chromium: choose an area and month, see the pack, download the PDF and
the CSV (real downloads), turn on suppression; no request ever leaves 127.0.0.1."""

from __future__ import annotations

import csv
import io
import re
import subprocess

import pytest
from playwright.sync_api import expect

from areaprofile import query, report

AREA = "Keynsham"
MONTH = "2021-03"


@pytest.fixture(scope="module")
def server(streamlit_server, built_store):
    return streamlit_server("app.py", env={"AREAPROFILE_STORE": str(built_store)})


def _choose(page, label: str, option: str) -> None:
    box = page.get_by_role("combobox", name=label)
    box.click()
    page.get_by_role("option", name=option, exact=True).click()
    expect(box).to_have_value(option)  # a pick lost to a rerun fails here, not three steps later


def _download(app, name: str, tmp_path):
    with app.page.expect_download(timeout=60_000) as info:
        app.page.get_by_role("button", name=name).click()
    download = info.value
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    return download.suggested_filename, path


def _pdf_text(path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True).stdout


def test_page_shows_the_pack_and_downloads_pdf_and_csv(server, app_page, built_store, tmp_path):
    # The first visit opens (and on a fresh server creates) the concerns register and lays out both pages.
    app = app_page(server, "/forum-update", wait=False)
    app.wait_until_idle(timeout_ms=120_000)
    page = app.page
    assert page.get_by_role("heading", name="Forum update").count() == 1
    _choose(page, "Area forum", AREA)
    app.wait_until_idle()
    _choose(page, "Meeting month", "Mar 2021")
    app.wait_until_idle()

    # The pack itself, in the page's iframe.
    frame = page.frame_locator("iframe[title*='Keynsham Area Forum']")
    frame.locator("h1").wait_for(timeout=60_000)
    assert frame.locator("h1").inner_text() == "Keynsham Area Forum: community safety update"
    expect(frame.locator(".sub")).to_contain_text("March 2021", timeout=60_000)  # the new pack, not the last

    pack = report.build_pack(query.open_store(built_store), AREA, MONTH)
    crime_month = next(h for h in pack.headlines if h.label == "Crime (excluding ASB)" and h.period.months == 1)

    name, pdf = _download(app, "Download PDF", tmp_path)
    assert name == f"forum-update-keynsham-{MONTH}.pdf"
    assert pdf.read_bytes()[:5] == b"%PDF-"
    text = _pdf_text(pdf)
    assert "Keynsham Area Forum: community safety update" in text
    assert f"In Mar 2021, {crime_month.count:,} crimes (excluding ASB)" in " ".join(text.split())

    name, csv_path = _download(app, "Download CSV", tmp_path)
    assert name == f"forum-update-keynsham-{MONTH}.csv"
    rows = list(csv.DictReader(io.StringIO(csv_path.read_text(encoding="utf-8"))))
    assert list(rows[0]) == ["section", "measure", "period", "value"]
    assert {"section": "headline", "measure": "Crime (excluding ASB): records", "period": MONTH,
            "value": str(crime_month.count)} in rows

    app.screenshot("forum_update_keynsham_2021-03")
    app.assert_only_local()
    assert app.dialogs == []
    assert page.locator("[data-testid='stException']").count() == 0


def test_suppression_reaches_the_downloads(server, app_page, tmp_path):
    app = app_page(server, "/forum-update")
    page = app.page
    _choose(page, "Area forum", "Chew Valley")
    app.wait_until_idle()
    page.get_by_text("Suppress small numbers (for published copies)").click()
    app.wait_until_idle()
    frame = page.frame_locator("iframe[title*='Chew Valley Area Forum']")
    # The pack's frame is redrawn after the rerun: wait for the new text, not the old frame.
    expect(frame.locator(".headlines")).to_contain_text("Counts under 5 are shown as '<5'", timeout=60_000)

    name, csv_path = _download(app, "Download CSV", tmp_path)
    assert name.endswith("-suppressed-under-5.csv")
    values = [row["value"] for row in csv.DictReader(io.StringIO(csv_path.read_text(encoding="utf-8")))]
    counts = [int(v) for v in values if v.isdigit()]
    assert "<5" in values
    assert counts and all(v >= 5 for v in counts)

    name, pdf = _download(app, "Download PDF", tmp_path)
    assert "<5" in _pdf_text(pdf)
    app.assert_only_local()


@pytest.mark.parametrize("area", ["Bath", "Chew Valley"])
def test_html_prints_on_one_a4_page_from_chromium(area, browser, built_store, tmp_path):
    """The downloadable HTML, printed by Chromium with its own print CSS: one A4 page, no requests."""
    html = report.render_html(report.build_pack(query.open_store(built_store), area, "2021-09"))
    context = browser.new_context()
    requests = []
    context.route("**/*", lambda r: (requests.append(r.request.url), r.abort()))
    try:
        page = context.new_page()
        page.set_content(html, wait_until="load")
        page.emulate_media(media="print")
        out = tmp_path / "printed.pdf"
        page.pdf(path=str(out), prefer_css_page_size=True, print_background=True)
    finally:
        context.close()
    assert [u for u in requests if not u.startswith("data:")] == []
    info = subprocess.run(["pdfinfo", str(out)], check=True, capture_output=True, text=True).stdout
    assert re.search(r"^Pages:\s+1$", info, re.M), info
    assert re.search(r"^Page size:\s+59\d\.\d+ x 84\d\.\d+ pts \(A4\)", info, re.M), info
    assert f"{area} Area Forum: community safety update" in _pdf_text(out)
