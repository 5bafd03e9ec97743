"""WCAG 2.2 AA checked by a machine: axe-core runs in every page app.py lists, at desktop and
phone width, with every expander open and, where there is a map, a shape on it selected. No
serious or critical violation may remain; a failure lists each one (rule, element, help).

axe-core is pinned by its sha512 and fetched by scripts/fetch_axe.sh (setup.sh --test); it is
injected once into each frame of the page after the page has settled, then run once.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from areaprofile import query
from tests.app_pages import app_pages

AXE = Path(__file__).resolve().parent / "vendor" / "axe-core" / "4.14.1" / "axe.min.js"
WIDTHS = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]
BLOCKING = {"serious", "critical"}
PAGES = app_pages()
# One area, so every page has its full content (the concerns page needs one) and maps draw LSOAs.
QUERY = "?area=Keynsham&period=last-12-months&types=all"


@pytest.fixture(scope="module")
def server(streamlit_server, built_store):
    # With an editor password the Add data page shows its sign-in form, which is checked too.
    return streamlit_server("app.py", env={"AREAPROFILE_STORE": str(built_store),
                                           "AREAPROFILE_EDITOR_PASSWORD": "axe-check-only"})


@pytest.fixture(scope="module")
def axe() -> Path:
    if not AXE.is_file():
        pytest.fail(f"{AXE} is missing: run scripts/setup.sh --test (it runs scripts/fetch_axe.sh).")
    return AXE


def visit(app_page, server, path: str, width: str):
    """Open ``path`` at ``width`` and wait for the page (generously: CI machines are shared)."""
    app = app_page(server, path, wait=False, viewport=WIDTHS[width],
                   **({"is_mobile": True, "has_touch": True} if width == "phone" else {}))
    app.wait_until_idle(timeout_ms=120_000)
    return app


def open_expanders(app) -> int:
    """Open every closed expander (a click on its summary, as a person would)."""
    closed = app.page.locator("[data-testid='stExpander'] details:not([open]) > summary")
    count = closed.count()
    for _ in range(count):
        closed.first.click()
    if count:
        app.wait_until_idle()
    return count


def run_axe(app, axe: Path) -> list[dict]:
    """Inject axe-core into every frame once, run it from the top page, return its violations."""
    for frame in app.page.frames:
        if frame.url != "about:blank" or frame == app.page.main_frame:
            frame.add_script_tag(path=axe)
    return app.page.evaluate(
        """(tags) => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})
            .then(r => r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
                nodes: v.nodes.map(n => ({target: n.target, summary: n.failureSummary}))})))""",
        WCAG_AA,
    )


def describe(violations: list[dict]) -> str:
    lines = []
    for v in violations:
        lines.append(f"- {v['id']} ({v['impact']}): {v['help']} [{len(v['nodes'])} element(s)] {v['helpUrl']}")
        for node in v["nodes"][:8]:
            summary = " ".join((node["summary"] or "").split())[:300]
            lines.append(f"    {json.dumps(node['target'])}: {summary}")
    return "\n".join(lines)


@pytest.mark.parametrize("width", list(WIDTHS))
@pytest.mark.parametrize("file, path", PAGES, ids=[p for _, p in PAGES])
def test_no_serious_or_critical_axe_violation(file, path, width, server, app_page, axe):
    app = visit(app_page, server, path + QUERY, width)
    app.assert_no_exception()
    if app.page.locator("iframe[title='streamlit_folium.st_folium']").count():
        app.select_map_shape()
        # The panel beside the map now shows the selected shape's numbers.
        assert app.page.locator("[data-testid='stMetric']").filter(has_text="Records").count()
    opened = open_expanders(app)
    violations = run_axe(app, axe)
    app.screenshot(f"a11y-{path.strip('/') or 'home'}-{width}")
    counts = {impact: sum(len(v["nodes"]) for v in violations if v["impact"] == impact)
              for impact in ("critical", "serious", "moderate", "minor")}
    print(f"\naxe {path} {width}: {opened} expanders opened; elements with violations by impact: {counts}; "
          f"rules: {sorted({v['id'] for v in violations})}")
    blocking = [v for v in violations if v["impact"] in BLOCKING]
    assert not blocking, f"axe-core finds serious or critical WCAG 2.2 AA violations on {path} ({width}):\n" + \
        describe(blocking)
    app.assert_only_local()


PARISH_QUERY = "?area=Keynsham&parish=Saltford&period=last-12-months&types=all"


@pytest.mark.parametrize("width", list(WIDTHS))
@pytest.mark.parametrize("path", ["/", "/map", "/forum-update"])
def test_a_parish_view_has_no_serious_or_critical_axe_violation(path, width, server, app_page, axe):
    """One level below an area (the Compare page's ward and parish tables are in the test above)."""
    app = visit(app_page, server, path + PARISH_QUERY, width)
    app.assert_no_exception()
    # The page's own text, or (forum update) the pack's in its frame.
    assert any("Saltford parish" in frame.inner_text("body") for frame in app.page.frames if frame.url != "about:blank")
    open_expanders(app)
    violations = run_axe(app, axe)
    app.screenshot(f"a11y-parish-{path.strip('/') or 'home'}-{width}")
    blocking = [v for v in violations if v["impact"] in BLOCKING]
    assert not blocking, f"axe-core finds serious or critical WCAG 2.2 AA violations on {path} (parish, {width}):\n" + \
        describe(blocking)


# ---- keyboard only ---------------------------------------------------------------------------

# The element that has keyboard focus, looking inside same-origin iframes (the map), and the
# control a person sees for it: radio buttons and toggles hide their real input inside a label.
FOCUSED_JS = """() => {
    let e = document.activeElement;
    while (e && e.tagName === 'IFRAME' && e.contentDocument && e.contentDocument.activeElement) {
        e = e.contentDocument.activeElement;
    }
    return e;
}"""
CONTROL_JS = "e => ((e.type === 'radio' || e.type === 'checkbox') && e.closest('label')) || e"
DESCRIBE_JS = """e => `${e.tagName.toLowerCase()} ${e.getAttribute('role') || ''} "${
    (e.getAttribute('aria-label') || e.innerText || e.value || '').trim().slice(0, 60).replace(/\\s+/g, ' ')}"`"""


def focused(app):
    """(element handle, short description) of whatever has keyboard focus now."""
    handle = app.page.evaluate_handle(FOCUSED_JS)
    return handle, handle.evaluate(DESCRIBE_JS)


def focus_is_visible(app, handle) -> bool:
    """Whether the focused control looks different from the same control unfocused: the
    pixels around it, focused and then blurred, differ in a clearly visible way."""
    from io import BytesIO

    from PIL import Image, ImageChops

    box = handle.evaluate_handle(CONTROL_JS).as_element().bounding_box()
    viewport = app.page.viewport_size
    if not box or box["width"] == 0:
        return False
    left, top = max(0, box["x"] - 6), max(0, box["y"] - 6)
    right = min(viewport["width"], box["x"] + box["width"] + 6)
    bottom = min(viewport["height"], box["y"] + box["height"] + 6)
    if right - left < 2 or bottom - top < 2:
        return False
    clip = {"x": left, "y": top, "width": right - left, "height": bottom - top}
    shown = app.page.screenshot(clip=clip, animations="disabled")
    handle.evaluate("e => e.blur()")
    app.page.wait_for_timeout(120)
    plain = app.page.screenshot(clip=clip, animations="disabled")
    handle.evaluate("e => e.focus({preventScroll: true})")
    diff = ImageChops.difference(Image.open(BytesIO(shown)).convert("L"), Image.open(BytesIO(plain)).convert("L"))
    return sum(diff.point(lambda v: 255 if v > 40 else 0).histogram()[255:]) >= 20


def tab_until(app, wanted, limit: int = 120, key: str = "Tab", check_focus: bool = True,
              on_stop=None) -> list[str]:
    """Press ``key`` until ``wanted(description)`` is true for the focused element; return the
    stops passed. With ``check_focus`` every stop must show visible focus."""
    stops, hidden = [], []
    for _ in range(limit):
        app.page.keyboard.press(key)
        app.page.wait_for_timeout(60)
        handle, description = focused(app)
        stops.append(description)
        if check_focus and description.split(" ", 1)[0] not in ("body", "iframe"):
            app.page.wait_for_timeout(150)  # transitions (Streamlit's focus styles fade in)
            if not focus_is_visible(app, handle):
                hidden.append(description)
        if on_stop:
            on_stop(description)
        if wanted(description):
            assert not hidden, "keyboard focus is not visible on: " + "; ".join(hidden)
            return stops
    raise AssertionError(f"not reached with {key} in {limit} presses; the stops were:\n  " + "\n  ".join(stops))


def test_keyboard_alone_reaches_area_map_table_and_pack(server, app_page, built_store):
    """Tab, Shift+Tab, Enter and Space only: the area selector, a map shape and the map's
    table, then (back through the page links) the forum pack's PDF download. Every stop on
    the way shows where the focus is."""
    app = visit(app_page, server, "/map?area=All+B%26NES&period=last-12-months&types=all", "desktop")
    app.wait_for_map_paths(5)
    page = app.page

    # The sidebar's area selector: reached, and Space opens its list of areas.
    tab_until(app, lambda d: d.startswith("input combobox") and '"Area"' in d)
    # (Space opens the list filtered to names with a space; choosing another area needs the arrow keys.)
    page.keyboard.press("Space")
    expect(page.get_by_role("option", name="Chew Valley")).to_be_visible()
    page.keyboard.press("Enter")  # takes the highlighted first option, All B&NES, as before
    app.wait_until_idle()
    assert page.get_by_role("combobox", name="Area").input_value() == "All B&NES"

    # Into the map: Enter on a shape selects it, as a click does, and the panel shows its numbers.
    def select_first_shape(description: str) -> None:
        if description.startswith("path") and page.get_by_text("Click a shape").count():
            page.keyboard.press("Enter")
            page.wait_for_timeout(300)
            app.wait_until_idle()

    tab_until(app, lambda d: d.startswith("summary") and "as a table" in d, on_stop=select_first_shape)
    assert page.get_by_text("Click a shape").count() == 0, "Enter on a focused shape did not select it"
    assert page.locator("[data-testid='stMetric']").filter(has_text="Records").count() == 1
    # The map keeps its sentence and, on Enter, its table.
    assert page.locator("[data-testid='stMarkdownContainer'] strong").filter(has_text="highest is").count() == 1
    page.keyboard.press("Enter")
    table = page.locator("[data-testid='stExpander'] details[open]").filter(has_text="as a table")
    for area in query.area_names(query.open_store(built_store)):
        assert table.get_by_text(area, exact=True).count(), f"{area} missing from the map's table"
    app.screenshot("a11y-keyboard-map-table")

    # Back up through the page with Shift+Tab to the page links, then to the forum pack.
    tab_until(app, lambda d: d.startswith("a ") and "Forum update" in d, key="Shift+Tab", check_focus=False, limit=150)
    page.keyboard.press("Enter")
    page.wait_for_url("**/forum-update**")
    app.wait_until_idle(timeout_ms=120_000)
    tab_until(app, lambda d: d.startswith("button") and "Download PDF" in d, limit=60)
    with page.expect_download(timeout=60_000) as info:
        page.keyboard.press("Enter")
    assert info.value.suggested_filename.endswith(".pdf")
    assert Path(info.value.path()).read_bytes()[:5] == b"%PDF-"
    app.screenshot("a11y-keyboard-forum-update")
    app.assert_only_local()


def test_a_slow_step_says_what_it_is_doing(server, app_page):
    """The toolbar is minimal (no running indicator), so the forum pack, built on a first visit,
    says in words what is happening while it runs, then the words go."""
    app = app_page(server, "/forum-update?area=Somer+Valley", wait=False, viewport=WIDTHS["desktop"])
    words = app.page.get_by_text(re.compile(r"^Building the forum pack for Somer Valley, \w+ \d{4}: the page"))
    expect(words).to_be_visible(timeout=60_000)
    app.screenshot("a11y-progress-forum-pack")
    app.wait_until_idle(timeout_ms=120_000)
    expect(words).to_have_count(0)
    expect(app.page.get_by_role("button", name="Download PDF")).to_be_visible()
