"""WCAG 2.2 AA checked by a machine: axe-core runs in every page app.py lists, at desktop and
phone width, with every expander open and, where there is a map, a shape on it selected. No
serious or critical violation may remain; a failure lists each one (rule, element, help).

axe-core is pinned by its sha512 and fetched by scripts/fetch_axe.sh (setup.sh --test); it is
injected once into each frame of the page after the page has settled, then run once.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

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
    app = app_page(server, path + QUERY, viewport=WIDTHS[width],
                   **({"is_mobile": True, "has_touch": True} if width == "phone" else {}))
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
