"""Concerns in the register, on SQLite and PostgreSQL: add, edit, status, actions, history,
stale edits refused, concurrent writers, removal and its undo, every field validated."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
import yaml

from areaprofile import partnership
from areaprofile.register import accounts, concerns as rc, models, seed
from areaprofile.register.validate import InvalidField
from tests.register.helpers import snapshot


def _new(register, by="alice", **overrides):
    fields = dict(title="Speeding on the High Street", areas=["Keynsham"], raised_on="2025-03-14",
                  raised_by_kind="forum meeting", raised_by="Keynsham forum, March", crime_types=["Vehicle crime"],
                  links=["asb"], summary="Cars too fast past the school.")
    fields.update(overrides)
    return rc.add_concern(register, by, **fields)


def test_first_open_seeds_the_knowledge_concerns_with_their_ids(register):
    settings = partnership.default()
    data = yaml.safe_load((settings.knowledge_dir / "concerns.yaml").read_text(encoding="utf-8"))
    expected = {c["id"]: c for c in data["concerns"]}
    listed = {c["id"]: c for c in rc.list_concerns(register)}
    assert set(listed) == set(expected)
    for concern_id, item in expected.items():
        record = listed[concern_id]
        assert record["title"] == " ".join(item["title"].split())
        assert record["areas"] == [a for a in settings.area_names if a in item["areas"]]
        assert record["links"] == item["priorities"]
        assert record["seeded_from"] == seed.SEED_PLAN and record["status"] == "open" and record["version"] == 1
        assert record["raised_note"] == str(item["raised"])
    history = rc.concern_history(register, "bath-drugs-market")
    assert [h["change"] for h in history] == ["seed"]


def test_reopening_does_not_seed_again_even_after_a_removal(register_location):
    from areaprofile.register import db

    reg = db.open_register(register_location)
    rc.remove_concern(reg, "alice", "bath-drugs-market", "Duplicate of a newer concern")
    db.close_register(reg)
    again = db.open_register(register_location)
    try:
        assert rc.get_concern(again, "bath-drugs-market")["status"] == models.REMOVED
        assert len(rc.list_concerns(again, include_removed=True)) == 30
    finally:
        db.close_register(again)


def test_add_edit_status_action_and_the_history_that_names_each_account(register):
    c = _new(register)
    assert c["version"] == 1 and c["status"] == "open" and c["status_on"] == "2025-03-14"
    assert c["links"] == ["jcsp-2022-25.asb"] and c["police_uk"] == "full"
    c = rc.edit_concern(register, "bob", c["id"], 1, title="Speeding near the school", areas=["Keynsham", "bathavon"])
    assert c["version"] == 2 and c["areas"] == ["Bathavon", "Keynsham"]
    c = rc.add_action(register, "carol", c["id"], taken_on="2025-04-02", text="Speed watch with PCSOs", who="Keynsham NPT",
                      expected_version=2)
    assert c["version"] == 3 and c["actions"][0]["by"] == "Keynsham NPT" and c["actions"][0]["recorded_by"] == "carol"
    c = rc.set_status(register, "dave", c["id"], "in progress", "2025-04-03", expected_version=3)
    assert c["version"] == 4 and c["status"] == "in-progress" and c["status_words"] == "In progress"
    history = rc.concern_history(register, c["id"])
    assert [(h["change"], h["account"], h["version"]) for h in history] == [
        ("add", "alice", 1), ("edit", "bob", 2), ("action", "carol", 3), ("status", "dave", 4)]
    assert history[1]["changes"]["title"] == {"before": "Speeding on the High Street", "after": "Speeding near the school"}
    assert history[1]["changes"]["areas"] == {"before": ["Keynsham"], "after": ["Bathavon", "Keynsham"]}
    assert history[2]["changes"]["action"]["after"]["text"] == "Speed watch with PCSOs"
    assert history[3]["changes"]["status"] == {"before": "open", "after": "in-progress"}
    # The listing puts open concerns first; an area filter and a status filter each narrow it.
    listing = rc.list_concerns(register, area="Keynsham")
    statuses = [r["status"] for r in listing]
    assert statuses == sorted(statuses, key=rc.STATUS_ORDER.get)
    assert [r["id"] for r in rc.list_concerns(register, status="in-progress")] == [c["id"]]
    assert c["id"] not in {r["id"] for r in rc.list_concerns(register, area="Bath")}


def test_an_edit_based_on_an_old_version_is_refused_and_changes_nothing(register):
    c = _new(register)
    rc.edit_concern(register, "bob", c["id"], 1, summary="First save wins.")
    before = snapshot(register)
    with pytest.raises(rc.StaleVersion) as refused:
        rc.edit_concern(register, "carol", c["id"], 1, summary="Second save, based on version 1.")
    message = refused.value.message
    assert message.startswith("Changed by bob at ") and message.endswith("since you opened it: reload to see their change.")
    assert refused.value.current_version == 2 and refused.value.changed_by == "bob"
    for attempt in (
        lambda: rc.set_status(register, "carol", c["id"], "closed", "2025-05-01", expected_version=1),
        lambda: rc.add_action(register, "carol", c["id"], taken_on="2025-05-01", text="x", expected_version=1),
        lambda: rc.remove_concern(register, "carol", c["id"], "dup", expected_version=1),
    ):
        with pytest.raises(rc.StaleVersion):
            attempt()
    assert snapshot(register) == before


def test_two_concurrent_writers_on_the_same_version_exactly_one_wins(register):
    c = _new(register)
    for round_number in range(4):
        version = rc.get_concern(register, c["id"])["version"]
        barrier = threading.Barrier(2)
        outcomes: list[str] = []

        def write(name: str) -> None:
            barrier.wait()
            try:
                rc.edit_concern(register, name, c["id"], version, summary=f"{name} round {round_number}")
                outcomes.append("won")
            except rc.StaleVersion:
                outcomes.append("stale")

        threads = [threading.Thread(target=write, args=(n,)) for n in ("alice", "bob")]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(outcomes) == ["stale", "won"]
        after = rc.get_concern(register, c["id"])
        assert after["version"] == version + 1
        last = rc.concern_history(register, c["id"])[-1]
        assert after["summary"] == f"{last['account']} round {round_number}"


def test_removal_is_a_status_with_a_reason_and_can_be_undone(register):
    c = _new(register)
    c = rc.set_status(register, "bob", c["id"], "in-progress", "2025-04-01")
    removed = rc.remove_concern(register, "carol", c["id"], "Entered twice", expected_version=c["version"])
    assert removed["removed"] and removed["removed_reason"] == "Entered twice"
    assert c["id"] not in {r["id"] for r in rc.list_concerns(register)}
    assert c["id"] in {r["id"] for r in rc.list_concerns(register, include_removed=True)}
    with pytest.raises(rc.RegisterError, match="restore it"):
        rc.edit_concern(register, "dave", c["id"], removed["version"], title="x")
    back = rc.restore_concern(register, "dave", c["id"], expected_version=removed["version"])
    assert back["status"] == "in-progress" and back["removed_reason"] is None and not back["removed"]
    assert [h["change"] for h in rc.concern_history(register, c["id"])] == ["add", "status", "remove", "restore"]


#: Each bad field and words its refusal must contain.
BAD_FIELDS = [
    ({"title": "   "}, "The title is empty"),
    ({"title": "x" * 301}, "shorten it to at most 300"),
    ({"areas": ["Narnia"]}, "Unknown area 'Narnia'"),
    ({"areas": ["Keynshem"]}, "did you mean Keynsham?"),
    ({"areas": []}, "Choose at least one area"),
    ({"crime_types": ["Jaywalking"]}, "Unknown crime type 'Jaywalking'"),
    ({"links": ["no-such-priority"]}, "Unknown plan priority, objective or measure 'no-such-priority'"),
    ({"raised_on": "14/03/2025"}, "is not a date; write it as YYYY-MM-DD"),
    ({"raised_on": "2025-02-30"}, "is not a date"),
    ({"raised_on": (dt.date.today() + dt.timedelta(days=30)).isoformat()}, "is in the future"),
    ({"raised_on": "1999-12-31"}, "before 2000"),
    ({"raised_by_kind": "aliens"}, "Unknown 'raised by' 'aliens'"),
    ({"crime_types": [], "measured_by": None}, "Give the police.uk crime types"),
    ({"summary": "y" * 20_001}, "shorten it to at most 20,000"),
]


def test_every_field_is_checked_with_one_sentence(register):
    before = snapshot(register)
    for overrides, words in BAD_FIELDS:
        with pytest.raises(InvalidField) as refused:
            _new(register, **overrides)
        assert words in refused.value.message and "\n" not in refused.value.message, overrides
    assert snapshot(register) == before


def test_control_characters_are_removed_and_markup_kept_as_typed(register):
    c = _new(register, title="<script>alert(1)</script>\x00\x07 Bad\tnight\x1b[31m",
             summary="<img src=x onerror=alert(1)>\nline two\x00")
    assert c["title"] == "<script>alert(1)</script> Bad night[31m"
    assert c["summary"] == "<img src=x onerror=alert(1)>\nline two"
    long = "A" * 10_000
    c = rc.add_action(register, "bob", c["id"], taken_on="2025-04-01", text=long)
    assert c["actions"][0]["text"] == long


def test_an_editor_changes_only_concerns_of_their_areas(register):
    accounts.add_user(register, "Ed Keynsham", "correct horse battery", "editor", areas=["Keynsham"])
    accounts.add_user(register, "Ada Admin", "correct horse battery", "admin")
    editor = accounts.sign_in(register, "ed keynsham", "correct horse battery")
    admin = accounts.sign_in(register, "Ada Admin", "correct horse battery")
    own = _new(register, by=editor)
    assert own["created_by"] == "Ed Keynsham"
    with pytest.raises(rc.NotAllowed):
        _new(register, by=editor, areas=["Bath"])
    with pytest.raises(rc.NotAllowed):
        rc.edit_concern(register, editor, own["id"], 1, areas=["Keynsham", "Bath"])
    with pytest.raises(rc.NotAllowed):
        rc.set_status(register, editor, "bath-drugs-market", "closed", "2025-01-01")
    rc.set_status(register, admin, "bath-drugs-market", "closed", "2025-01-01")
    assert rc.concern_history(register, "bath-drugs-market")[-1]["account"] == "Ada Admin"


def test_the_history_cannot_be_rewritten(register):
    import sqlalchemy as sa

    _new(register)
    for statement in ("UPDATE history SET account = 'mallory'", "DELETE FROM history"):
        with pytest.raises(sa.exc.DBAPIError):
            with register.engine.begin() as conn:
                conn.execute(sa.text(statement))
    assert {h["account"] for h in rc.concern_history(register, "bath-drugs-market")} == {seed.SEED_ACCOUNT}
