"""The concerns register in Chromium: editors sign in with personal accounts and keep the
register; viewers read it on Concerns & priorities and in the forum pack.

One server for the module, on a copy of the real store, a fresh register (seeded from the
knowledge base) and a police priorities snapshot in the recorded shape. Hostile text goes into
every field an editor types; it must stay text on the pages and in the PDF.
"""

from __future__ import annotations

import re
import secrets
import subprocess

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect

from areaprofile.register import accounts, db
from areaprofile.register import concerns as rc
from areaprofile.sources import police_priorities as police
from tests import stores
from tests.cli_counts import cli_counts

HOSTILE = '<img src=x onerror=alert(1)><script>alert("x")</script>'
PASSWORD = secrets.token_urlsafe(12)  # made up per run
KIM, LEE, SAM = "Kim Clerk", "Lee Officer", "Sam Spare"
PHONE = {"width": 390, "height": 844}
WAIT_MS = 120_000  # the machine is shared: a script run may take a while
SNAPSHOT = {
    "force": "avon-and-somerset", "fetched_at": "2026-11-01T09:00:00+00:00", "source": "recorded shape",
    "neighbourhoods": [{"id": "Keynsham Town", "name": "Keynsham Town", "areas": [{"area": "Keynsham", "share": 0.98}],
                        "priorities": [{"issue": f"Cars parked on pavements {HOSTILE}", "issue_date": "2026-09-08",
                                        "action": "Letters to owners.", "action_date": "2026-10-01"}]}],
    "outside_the_areas": [],
}


@pytest.fixture(scope="module")
def live(built_store, tmp_path_factory, streamlit_server):
    folder = tmp_path_factory.mktemp("register-pages")
    store = stores.copy_store(built_store, folder)
    police.write_snapshot(SNAPSHOT, police.snapshot_folder(store))
    register_path = folder / "register.sqlite"
    register = db.open_register(register_path)
    for name in (KIM, LEE, SAM):
        accounts.add_user(register, name, PASSWORD, "editor", areas=["Keynsham"], by="test")
    server = streamlit_server("app.py", env={"AREAPROFILE_STORE": str(store), "AREAPROFILE_REGISTER": str(register_path)})
    yield store, register, server
    db.close_register(register)


def see(locator) -> None:
    """Wait (as long as a slow script run may take) until ``locator`` shows."""
    expect(locator).to_be_visible(timeout=WAIT_MS)


def visit(app_page, server, path: str, **options):
    app = app_page(server, path, wait=False, **options)
    app.wait_until_idle(timeout_ms=WAIT_MS)
    return app


def press(app, button) -> None:
    """Click a button and wait for the script run it starts to finish (on a busy machine the run
    can start later than a fixed quiet time, so first wait to see it running)."""
    app.page.evaluate("""() => {
        window.__apRan = false;
        const app = document.querySelector("[data-testid='stApp']");
        new MutationObserver((_m, observer) => {
            if (app.getAttribute('data-test-script-state') === 'running') { window.__apRan = true; observer.disconnect(); }
        }).observe(app, {attributes: true});
    }""")
    button.click()
    try:
        app.page.wait_for_function("() => window.__apRan", timeout=20_000, polling=50)
    except PlaywrightTimeout:  # a run that began and ended between two mutations: idle is enough
        pass
    app.wait_until_idle(timeout_ms=WAIT_MS)


def sign_in(app, name: str, password: str = PASSWORD) -> None:
    app.page.get_by_role("textbox", name="Account name", exact=True).fill(name)
    app.page.get_by_role("textbox", name="Password").fill(password)
    press(app, app.page.get_by_role("button", name="Sign in", exact=True))


def panel(app):
    """The page's main column (the sidebar has its own labelled inputs)."""
    return app.page.locator("[data-testid='stMain']")


def section(app, name) -> None:
    """Choose one of Manage concerns' sections (change / add / suggested)."""
    press(app, app.page.locator("[data-testid='stMain'] label").filter(has=app.page.get_by_role("radio", name=name)))


def choose(app, scope, label: str, option: str) -> None:
    """Pick ``option`` in a select box or multiselect by typing it, as a keyboard user would."""
    box = scope.get_by_label(label, exact=True)
    box.click()
    box.fill(option)
    app.page.get_by_role("option", name=option, exact=True).click()
    app.page.locator("h1").first.click()  # closes a multiselect's list (Escape would clear a select box)
    holder = box.locator("xpath=ancestor::div[@data-testid='stSelectbox' or @data-testid='stMultiSelect'][1]")
    if holder.get_attribute("data-testid") == "stSelectbox":
        expect(box).to_have_value(option)
    else:
        expect(holder).to_contain_text(option)


def pdf_pages(path) -> list[str]:
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True).stdout
    return [" ".join(page.split()) for page in text.split("\f")[:-1]]


def no_markup_ran(app) -> None:
    assert app.page.locator("img[src='x']").count() == 0 and app.dialogs == []
    app.assert_no_exception()
    app.assert_only_local()


def test_editor_keeps_the_register_and_a_viewer_reads_it_on_the_page_and_in_the_pack(live, app_page, capsys, tmp_path):
    store, register, server = live
    editor = visit(app_page, server, "/manage-concerns")
    sign_in(editor, KIM)
    see(editor.page.get_by_text(f"Signed in as {KIM}"))

    # A police priority, suggested: shown as text, accepted with a crime type.
    section(editor, re.compile(r"Suggested by police \(1\)"))
    see(panel(editor).get_by_text(f"Cars parked on pavements {HOSTILE}"))
    choose(editor, panel(editor), "police.uk crime types that count it", "Other crime")
    press(editor, panel(editor).get_by_role("button", name="Accept as a concern"))
    see(editor.page.get_by_text("from the police priorities"))
    accepted = next(c for c in rc.list_concerns(register) if c["raised_by_kind"] == "police")
    assert accepted["source"].startswith("police.uk neighbourhood priorities: Keynsham Town")
    assert [(h["change"], h["account"]) for h in rc.concern_history(register, accepted["id"])] == [("add", KIM)]

    # A new concern with hostile text in every field, then an action on it.
    section(editor, "Add a concern")
    form = panel(editor)
    press(editor, form.get_by_role("button", name="Add concern"))
    see(form.get_by_text("The title is empty; write a few words."))  # one clear message
    title = f"Burglaries on Charlton Road {HOSTILE}"
    form.get_by_role("textbox", name="Title (required)", exact=True).fill(title)
    form.get_by_role("textbox", name="Summary: what residents said, in a few sentences", exact=True).fill(f"Summary {HOSTILE}")
    form.get_by_role("spinbutton", name="day, Raised on").click()
    editor.page.keyboard.type("10032021")
    choose(editor, form, "Raised by", "residents")
    form.get_by_role("textbox", name="Raised by (name or meeting, optional)", exact=True).fill(f"Forum {HOSTILE}")
    form.get_by_role("textbox", name="Source, e.g. the meeting's minutes (optional)", exact=True).fill(f"Minutes {HOSTILE}")
    choose(editor, form, "police.uk crime types that count it", "Burglary")
    form.get_by_role("textbox", name="Notes (optional)", exact=True).fill(f"Notes {HOSTILE}")
    press(editor, form.get_by_role("button", name="Add concern"))
    see(editor.page.get_by_text(re.compile(r"^Added “Burglaries on Charlton Road")))

    see(panel(editor).get_by_role("heading", name=title))  # opened for its actions
    panel(editor).get_by_role("textbox", name="Who did it (person or team)", exact=True).fill(f"PCSO {HOSTILE}")
    panel(editor).get_by_role("textbox", name="What was done", exact=True).fill(f"Marking kits handed out {HOSTILE}")
    press(editor, panel(editor).get_by_role("button", name="Add action"))
    see(editor.page.get_by_text("Action added."))
    editor.screenshot("manage-concerns-desktop")
    no_markup_ran(editor)

    # A fresh viewer: no account, no editing controls, sees both on the page ...
    viewer = visit(app_page, server, "/concerns?area=Keynsham")
    card = viewer.page.get_by_role("heading", name=title, exact=True).locator(
        "xpath=ancestor::div[@data-testid='stVerticalBlock'][1]")
    see(card)
    text = card.inner_text()
    assert f"Marking kits handed out {HOSTILE} (PCSO {HOSTILE})" in text and f"Summary {HOSTILE}" in text
    assert f"Raised 10 Mar 2021 by Forum {HOSTILE}" in text
    since = sum(r["count"] for r in cli_counts(capsys, store, "area", "2021-03", "2021-09", "Keynsham", ["Burglary"]))
    before = sum(r["count"] for r in cli_counts(capsys, store, "area", "2020-08", "2021-02", "Keynsham", ["Burglary"]))
    values = [v.inner_text() for v in card.locator("[data-testid='stMetricValue']").all()]
    assert values == [f"{since:,}", f"{before:,}"]
    for control in ("Add action", "Save changes", "Save status", "Remove concern", "Sign out", "Add concern"):
        assert viewer.page.get_by_role("button", name=control).count() == 0, control
    full = viewer.page.evaluate("() => document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
    viewer.page.set_viewport_size({"width": 1400, "height": min(int(full) + 40, 16000)})
    viewer.screenshot("concerns-live-desktop")
    no_markup_ran(viewer)

    # ... and in the downloaded pack, page two.
    viewer.page.goto(server.url + "/forum-update?area=Keynsham", wait_until="domcontentloaded")
    viewer.wait_until_idle(timeout_ms=WAIT_MS)
    with viewer.page.expect_download(timeout=60_000) as download:
        viewer.page.get_by_role("button", name="Download PDF").click()
    pdf = tmp_path / "pack.pdf"
    download.value.save_as(pdf)
    pages = pdf_pages(pdf)
    assert len(pages) == 2 and "You said, we did" in pages[1]
    squashed = "".join(pages[1].split())  # narrow columns wrap anywhere
    for text in (title, f"Marking kits handed out {HOSTILE}", f"PCSO {HOSTILE}"):
        assert "".join(text.split()) in squashed, text
    assert "Charlton Road" not in pages[0]
    manage = visit(app_page, server, "/manage-concerns")
    see(manage.page.get_by_text("Sign in to add and change concerns"))
    assert manage.page.get_by_role("radio", name="Add a concern").count() == 0 and manage.page.get_by_role("button", name="Add action").count() == 0
    no_markup_ran(viewer)


def test_five_wrong_passwords_give_the_wait_message_for_any_name(live, app_page):
    _store, _register, server = live
    app = visit(app_page, server, "/manage-concerns", viewport=PHONE, is_mobile=True, has_touch=True)
    app.screenshot("manage-concerns-sign-in-phone")
    messages = {}
    for name in (SAM, "Nobody By This Name"):
        seen = []
        for _ in range(5):
            sign_in(app, name, "not the password")
            seen.append(app.page.locator("[data-testid='stAlertContentError']").inner_text())
        messages[name] = seen
    assert messages[SAM] == messages["Nobody By This Name"]  # the name's existence is never revealed
    assert messages[SAM][:4] == [accounts.WRONG] * 4 and messages[SAM][4] == accounts.LOCKED
    sign_in(app, SAM, PASSWORD)  # the right password waits too
    see(app.page.get_by_text(accounts.LOCKED))
    assert app.page.get_by_role("button", name="Sign out").count() == 0
    no_markup_ran(app)


def test_two_editors_save_the_same_concern_and_the_second_is_told(live, app_page):
    _store, register, server = live
    concern = next(c for c in rc.list_concerns(register, area="Keynsham") if c["seeded_from"])
    editors = []
    for name, viewport in ((KIM, {"width": 1400, "height": 1000}), (LEE, PHONE)):
        app = visit(app_page, server, "/manage-concerns", viewport=viewport)
        sign_in(app, name)
        panel(app).get_by_role("combobox", name="Concern", exact=True).click()
        press(app, app.page.get_by_role("option", name=re.compile("^" + re.escape(concern["title"][:40]))).first)
        panel(app).get_by_text("Change the details").click()
        editors.append(app)
    kim, lee = editors
    panel(kim).get_by_role("textbox", name="Summary: what residents said, in a few sentences", exact=True).fill("Kim's summary")
    lee_text = f"Lee's summary, typed on a phone {HOSTILE}"
    panel(lee).get_by_role("textbox", name="Summary: what residents said, in a few sentences", exact=True).fill(lee_text)
    press(kim, panel(kim).get_by_role("button", name="Save changes"))
    see(kim.page.get_by_text("Changes saved."))
    press(lee, panel(lee).get_by_role("button", name="Save changes"))
    see(lee.page.get_by_text(re.compile(rf"^Changed by {KIM} at \d\d:\d\d since you opened it")))
    # Nothing Lee typed is lost: it is still in the form.
    assert panel(lee).get_by_role("textbox", name="Summary: what residents said, in a few sentences", exact=True).input_value() == lee_text
    lee.page.set_viewport_size({"width": 390, "height": 3000})
    lee.screenshot("manage-concerns-stale-phone")
    history = rc.concern_history(register, concern["id"])
    edits = [h for h in history if h["change"] == "edit"]
    assert [(h["account"], h["changes"]["summary"]["after"]) for h in edits] == [(KIM, "Kim's summary")]
    assert rc.get_concern(register, concern["id"])["summary"] == "Kim's summary"
    overflow = lee.page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1
    for app in editors:
        no_markup_ran(app)
