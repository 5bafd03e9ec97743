"""The live register as the Concerns page shows it, on the real store and a real SQLite register."""

from __future__ import annotations

import datetime as dt

import pytest

from areaprofile import live_concerns, query
from areaprofile.register import concerns as rc
from areaprofile.register import db


@pytest.fixture
def register(tmp_path):
    reg = db.open_register(tmp_path / "register.sqlite")
    yield reg
    db.close_register(reg)


def test_open_first_closed_folded_with_evidence_actions_and_words(register, built_store):
    store = query.open_store(built_store)
    raised = dt.date(2021, 3, 10)
    new = rc.add_concern(register, "Kim", title="Burglary on the estate <b>", areas=["Keynsham"], raised_on=raised,
                         raised_by_kind="residents", raised_by="Keynsham forum", crime_types=["Burglary"],
                         links=["asb"])
    for day, text in [(dt.date(2021, 4, 1), "Leaflets"), (dt.date(2021, 5, 1), "Patrols"),
                      (dt.date(2021, 6, 1), "Marking kits"), (dt.date(2021, 7, 1), "Follow-up visits")]:
        rc.add_action(register, "Kim", new["id"], taken_on=day, text=text, who="PCSO Lee")
    seeded = [c for c in rc.list_concerns(register, area="Keynsham") if c["seeded_from"]]
    rc.set_status(register, "Kim", seeded[0]["id"], "closed", dt.date(2021, 8, 1))

    live = live_concerns.for_area(store, "Keynsham", register=register)
    assert [r["id"] for r in live["finished"]] == [seeded[0]["id"]]
    first = live["active"][0]
    assert first["id"] == new["id"] and first["status_line"] == "Open since 10 Mar 2021"
    assert first["raised_words"] == "Raised 10 Mar 2021 by Keynsham forum"
    assert [a["text"] for a in first["latest_actions"]] == ["Follow-up visits", "Marking kits", "Patrols"]
    assert len(first["actions"]) == 4 and first["actions"][0]["day"] == "1 Jul 2021"
    assert first["priorities"] == ["Anti-social behaviour (2022-2025 plan)"]
    since = query.total(store, start="2021-03", end="2021-09", area="Keynsham", crime_types=["Burglary"])
    before = query.total(store, start="2020-08", end="2021-02", area="Keynsham", crime_types=["Burglary"])
    assert (first["evidence"]["count"], first["evidence"]["earlier"]) == (since, before)

    row = live["table"].iloc[0]
    assert row["Concern"] == "Burglary on the estate <b>" and row["Latest action"] == "1 Jul 2021: Follow-up visits"
    assert (row["Records since raised"], row["Same length before"]) == (since, before)
    assert live["table"].iloc[-1]["Status"] == "Closed"
    assert live["sentence"] == (f"Keynsham: {len(live['active'])} open concerns, 1 with an action recorded; "
                                "1 resolved or closed.")
