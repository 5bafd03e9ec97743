"""Ten people using the Area profile while the store is rebuilt twice underneath them.

The live store starts without September 2021 (state A); a real `areaprofile build` adds it (B),
then another replaces it with a thinned copy of that month (C), so the numbers change each time.
Ten browser sessions rerun the page again and again meanwhile. Every page view must show no
exception, and its period, headline counts, busiest place and 'data to' line must all come from
one state, never a mix; afterwards every open session shows C without a restart.
"""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import pytest

from areaprofile import profile, query, ui
from areaprofile.periods import label, preset_period
from areaprofile.sources.police_uk import STREET_COLUMNS
from areaprofile.store import build
from tests import rawdata, stores

NEW = "2021-09"
SESSIONS = 10
MAX_VIEWS = 2_000  # per rebuild: bounds the test whatever the machine's speed

SNAPSHOT_JS = """
() => {
    const texts = s => [...document.querySelectorAll(s)].map(e => e.innerText.trim());
    const captions = texts("[data-testid='stCaptionContainer']");
    return {
        caption: captions.find(t => t.includes(' \u00b7 ')) || null,
        metrics: texts("[data-testid='stMetricValue']"),
        busiest: texts("[data-testid='stMarkdownContainer']").find(t => t.startsWith('The busiest snap point')) || null,
        data_to: (captions.find(t => t.startsWith('Data correct as of')) || '').split(';')[0] || null,
        exceptions: document.querySelectorAll("[data-testid='stException']").length,
    };
}
"""
# Counts changes of the script-run state, so a rerun is seen even when it is over in a flash.
RUN_COUNTER_JS = """
() => {
    if (window.__apRuns === undefined) {
        window.__apRuns = 0;
        const app = document.querySelector("[data-testid='stApp']");
        new MutationObserver(records => { window.__apRuns += records.length; })
            .observe(app, {attributes: true, attributeFilter: ['data-test-script-state']});
    }
    return window.__apRuns;
}
"""


def expected_view(store_path: Path) -> tuple:
    """What the Area profile's default view (All B&NES, last 3 months, all records) shows."""
    store = query.open_store(store_path)
    latest = profile.loaded_months(store)[-1]
    selection = profile.Selection(area=None, period=preset_period("Last 3 months", latest), crime_types=None,
                                  everywhere=profile.whole_label(store))
    top = profile.top_locations(store, selection, 10).iloc[0]
    return (
        ui.selection_caption(selection),
        tuple(f"{item.count:,}" for item in profile.headlines(store, selection)),
        f"The busiest snap point is '{top['location']}' ({top['area']}) with {top['count']:,} records.",
        f"Data correct as of: police.uk data to {label(latest)}",
    )


def _view(snapshot: dict) -> tuple:
    return (snapshot["caption"], tuple(snapshot["metrics"]), snapshot["busiest"], snapshot["data_to"])


@pytest.fixture(scope="module")
def states(data_dir, built_store, tmp_path_factory):
    """Sources for the two rebuilds and the view each of the three states must show."""
    root = tmp_path_factory.mktemp("concurrent")
    add = root / "add" / NEW
    add.mkdir(parents=True)
    (add / stores.month_file(data_dir, NEW).name).symlink_to(stores.month_file(data_dir, NEW))
    rows = rawdata.la_rows(stores.month_file(data_dir, NEW))
    thinned = [row for i, row in enumerate(rows) if i % 3]
    rawdata.write_csv(root / "thin" / NEW / f"{NEW}-avon-and-somerset-street.csv", list(STREET_COLUMNS), thinned)

    a = stores.store_without(data_dir, NEW)
    c = stores.copy_store(built_store, root / "c")
    build([root / "thin"], c)
    views = {"A": expected_view(a), "B": expected_view(built_store), "C": expected_view(c)}
    assert len(set(views.values())) == 3
    assert views["B"][1] != views["C"][1], "the thinned month must change the headline counts"
    return {"a": a, "add": add.parent, "thin": root / "thin", "views": views}


@pytest.fixture(scope="module")
def live(states, tmp_path_factory, streamlit_server):
    store = stores.copy_store(states["a"], tmp_path_factory.mktemp("live"))
    return store, streamlit_server("app.py", env={"AREAPROFILE_STORE": str(store)})


STATE_JS = """
() => {
    const app = document.querySelector("[data-testid='stApp']");
    return {runs: window.__apRuns, idle: app.getAttribute('data-test-script-state') === 'notRunning'
            && !document.querySelector("[data-testid='stStatusWidgetRunningIcon']")};
}
"""


def _press_rerun(app) -> int:
    count = app.page.evaluate(RUN_COUNTER_JS)
    app.page.keyboard.press("r")
    return count


def _rerun_all(apps) -> None:
    before = [_press_rerun(app) for app in apps]
    for app, count in zip(apps, before):
        app.page.wait_for_function("n => window.__apRuns > n", arg=count, timeout=60_000)
    for app in apps:
        app.wait_until_idle(quiet_ms=150, timeout_ms=60_000)


def _check_view(i: int, app, allowed: dict[str, tuple], seen: dict[str, int]) -> None:
    snapshot = app.page.evaluate(SNAPSHOT_JS)
    assert snapshot["exceptions"] == 0, app.page.inner_text("body")[:1500]
    view = _view(snapshot)
    state = next((name for name, expected in allowed.items() if view == expected), None)
    assert state, f"session {i} shows a mix of stores or wrong numbers:\n{view}\nallowed:\n{allowed}"
    seen[state] = seen.get(state, 0) + 1


def _check_views(apps, allowed: dict[str, tuple], seen: dict[str, int]) -> None:
    for i, app in enumerate(apps):
        _check_view(i, app, allowed, seen)


def _rebuild_while_in_use(source: Path, store: Path, apps, allowed, seen) -> int:
    """Keep every session rerunning, back to back, until the rebuild is over and each session has
    finished one run started after it; check each run's view as it finishes."""
    process = subprocess.Popen(
        [sys.executable, "-m", "areaprofile", "build", "--source", str(source), "--store", str(store), "--wait", "60"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    pressed = [_press_rerun(app) for app in apps]
    after_build = [False] * len(apps)
    done = [False] * len(apps)
    views = 0
    try:
        while not all(done):
            for i, app in enumerate(apps):
                if done[i]:
                    continue
                state = app.page.evaluate(STATE_JS)
                if state["runs"] > pressed[i] and state["idle"]:
                    _check_view(i, app, allowed, seen)
                    views += 1
                    if after_build[i]:
                        done[i] = True
                        continue
                    built = process.poll() is not None
                    pressed[i], after_build[i] = _press_rerun(app), built
            assert views < MAX_VIEWS, "the rebuild did not finish while the sessions were in use"
    finally:
        out, err = process.communicate(timeout=300)
    assert process.returncode == 0, err
    return views


def test_ten_sessions_never_mix_old_and_new_numbers_during_rebuilds(live, states, app_page):
    store, server = live
    views = states["views"]
    warm = app_page(server, "/")  # app.py has run once; the other sessions open alongside
    apps = [warm] + [app_page(server, "/", wait=False) for _ in range(SESSIONS - 1)]
    for app in apps:
        app.wait_until_idle(timeout_ms=90_000)
    seen: dict[str, int] = {}
    _check_views(apps, {"A": views["A"]}, seen)

    rounds_b = _rebuild_while_in_use(states["add"], store, apps, {"A": views["A"], "B": views["B"]}, seen)
    rounds_c = _rebuild_while_in_use(states["thin"], store, apps, {"B": views["B"], "C": views["C"]}, seen)

    _rerun_all(apps)  # every open session now shows the last store, without a restart
    final: dict[str, int] = {}
    _check_views(apps, {"C": views["C"]}, final)
    assert final == {"C": SESSIONS}
    for app in apps:
        app.assert_only_local()
        assert app.dialogs == []
    apps[0].screenshot("concurrent_after_rebuilds")
    print(f"\n{SESSIONS} sessions, {rounds_b} + {rounds_c} page views checked during two rebuilds; "
          f"by state: {seen}")
