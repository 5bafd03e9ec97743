"""'You said, we did': the register's concerns sorted for a meeting, and page two of the pack.

The pack is made through the CLI from the real store and a real SQLite register, and read back
with pdftotext: page one is the same as without the register; page two holds the new concern,
the actions since the last meeting, and hostile text as text.
"""

from __future__ import annotations

import datetime as dt
import subprocess

import pytest

from areaprofile import follow_up
from areaprofile.cli import main
from areaprofile.register import concerns as rc
from areaprofile.register import db

TODAY = dt.date.today()
HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def record(**overrides) -> dict:
    base = {"id": "c1", "title": "Speeding", "status": "open", "status_words": "Open", "status_on": None,
            "raised_on": None, "raised_note": "2017-2018", "raised_by": "", "raised_by_kind": None,
            "areas": ["Keynsham"], "actions": []}
    return base | overrides


def test_concerns_are_sorted_into_new_followed_up_and_unchanged():
    since, as_of = dt.date(2026, 10, 1), dt.date(2026, 11, 5)
    records = [
        record(id="new", title="New one", raised_on="2026-10-20", raised_by_kind="residents"),
        record(id="acted", title="Acted on", raised_on="2026-06-01",
               actions=[{"date": "2026-10-02", "text": "Patrols", "by": "PCSO"},
                        {"date": "2026-09-30", "text": "Before the meeting", "by": "PCSO"}]),
        record(id="closed", title="Closed since", status="closed", status_words="Closed", status_on="2026-10-01"),
        record(id="quiet", title="Quiet one"),
        record(id="old-closed", title="Closed long ago", status="closed", status_on="2025-01-01"),
        record(id="removed", title="Removed", status="removed", raised_on="2026-10-20"),
        record(id="elsewhere", title="Bath only", areas=["Bath"], raised_on="2026-10-20"),
    ]
    fu = follow_up.build_follow_up(records, "Keynsham", since=since, as_of=as_of)
    assert [i.id for i in fu.new] == ["new"]
    assert [i.id for i in fu.followed_up] == ["acted", "closed"]
    assert [(a.text, a.who) for a in fu.followed_up[0].actions] == [("Patrols", "PCSO")]
    assert fu.followed_up[1].status_changed and fu.followed_up[1].status == "Closed"
    assert [i.id for i in fu.unchanged] == ["quiet"]
    assert fu.new[0].raised == "raised 20 Oct 2026 by residents" and fu.unchanged[0].raised == "raised 2017-2018"
    assert fu.sentence() == ("1 new concern since the last meeting (1 Oct 2026); 2 earlier concerns with something "
                             "done or changed; 1 still open with nothing new recorded.")
    assert follow_up.default_last_meeting(dt.date(2026, 3, 31)) == dt.date(2026, 2, 28)
    assert follow_up.default_last_meeting(dt.date(2026, 1, 15)) == dt.date(2025, 12, 15)


def pdf_pages(path) -> list[str]:
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True).stdout
    return text.split("\f")[:-1]


@pytest.fixture(scope="module")
def register(tmp_path_factory):
    reg = db.open_register(tmp_path_factory.mktemp("register") / "register.sqlite")
    yield reg
    db.close_register(reg)


def test_pack_page_two_from_the_register(register, built_store, tmp_path, capsys):
    new = rc.add_concern(register, "Kim Clerk", title=f"Speeding on Bath Hill {HOSTILE}", areas=["Keynsham"],
                         raised_on=TODAY, raised_by_kind="residents", raised_by="Keynsham forum",
                         crime_types=["Vehicle crime"])
    rc.add_action(register, "Kim Clerk", new["id"], taken_on=TODAY, text=f"Speed watch set up {HOSTILE}", who="PCSO Lee")
    seeded = next(c for c in rc.list_concerns(register, area="Keynsham") if c["seeded_from"])
    rc.add_action(register, "Kim Clerk", seeded["id"], taken_on=TODAY, text="Joint patrol with the council", who="ASB team")
    bath = rc.add_concern(register, "Kim Clerk", title="Bath only concern", areas=["Bath"], raised_on=TODAY,
                          raised_by_kind="police", crime_types=["Drugs"])

    plain, with_register = tmp_path / "plain.pdf", tmp_path / "register.pdf"
    assert main(["report", "--area", "Keynsham", "--month", "2021-09", "--out", str(plain), "--store", str(built_store)]) == 0
    assert main(["report", "--area", "Keynsham", "--month", "2021-09", "--out", str(with_register),
                 "--store", str(built_store), "--register", register.url]) == 0
    out = capsys.readouterr().out
    assert "Page two, You said, we did: 1 new concern since the last meeting" in out

    one, = pdf_pages(plain)
    first, second = pdf_pages(with_register)
    assert first == one  # page one is as it was
    flat = " ".join(second.split())
    assert "You said, we did" in flat
    assert f"Speeding on Bath Hill {HOSTILE}" in flat and f"Speed watch set up {HOSTILE}" in flat and "PCSO Lee" in flat
    assert seeded["title"] in flat and "Joint patrol with the council" in flat and "ASB team" in flat
    assert bath["title"] not in flat
    assert "New since the last meeting" in flat and "Raised at earlier meetings" in flat

    html = tmp_path / "register.html"
    assert main(["report", "--area", "Keynsham", "--month", "2021-09", "--out", str(html), "--store", str(built_store),
                 "--register", register.url, "--last-meeting", TODAY.isoformat()]) == 0
    page = html.read_text(encoding="utf-8")
    assert "<script>alert" not in page and "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page
    assert "<img src=x" not in page


def test_last_meeting_without_a_register_is_one_sentence(built_store, tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("AREAPROFILE_REGISTER", raising=False)
    assert main(["report", "--area", "Keynsham", "--out", str(tmp_path / "x.pdf"), "--store", str(built_store),
                 "--last-meeting", "2026-01-01"]) == 2
    assert capsys.readouterr().err == "areaprofile: --last-meeting needs the concerns register: give --register PATH as well.\n"
