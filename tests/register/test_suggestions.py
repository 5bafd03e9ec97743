"""Police priorities as suggested concerns: stable keys, area filter, decided ones left out."""

from __future__ import annotations

import pytest

from areaprofile.errors import AreaprofileError
from areaprofile.register import suggestions as sg

SNAPSHOT = {
    "force": "avon-and-somerset",
    "fetched_at": "2026-11-29T10:00:00+00:00",
    "neighbourhoods": [
        {"id": "KS 1", "name": "Keynsham Town", "areas": [{"area": "Keynsham", "share": 0.99}],
         "priorities": [
             {"issue": "Speeding on the High St\nsecond line", "issue_date": "2025-03-08", "action": "Checks", "action_date": "2025-04-01"},
             {"issue": "<script>alert(1)</script> as text", "issue_date": None, "action": None, "action_date": None},
         ]},
        {"id": "CV", "name": "Chew & border", "areas": [{"area": "Chew Valley", "share": 0.6}, {"area": "Keynsham", "share": 0.4}],
         "priorities": [{"issue": "Drugs", "issue_date": "2025-06-01", "action": None, "action_date": None}]},
    ],
}


def test_suggestions_are_newest_first_with_stable_keys_and_sources():
    found = sg.suggestions(SNAPSHOT)
    assert [s.issue for s in found] == ["Drugs", "Speeding on the High St\nsecond line", "<script>alert(1)</script> as text"]
    again = sg.suggestions(SNAPSHOT)
    assert [s.key for s in found] == [s.key for s in again] and len({s.key for s in found}) == 3
    drugs = found[0]
    assert drugs.areas == ("Chew Valley", "Keynsham") and drugs.areas_words == "Chew Valley (60%), Keynsham (40%)"
    assert drugs.source == ("police.uk neighbourhood priorities: Chew & border, set 2025-06-01 "
                            "(fetched 2026-11-29; Open Government Licence)")
    assert found[1].title == "Speeding on the High St"
    # the same issue in another neighbourhood is another suggestion
    assert sg.suggestion_key("avon-and-somerset", "KS 1", "2025-06-01", "Drugs") != drugs.key


def test_area_filter_and_decided_keys():
    assert [s.neighbourhood for s in sg.suggestions(SNAPSHOT, area="Chew Valley")] == ["Chew & border"]
    assert len(sg.suggestions(SNAPSHOT, area="Keynsham")) == 3
    first = sg.suggestions(SNAPSHOT)[0]
    left = sg.suggestions(SNAPSHOT, decided={first.key})
    assert first.key not in {s.key for s in left} and len(left) == 2
    assert sg.suggestions(None) == [] and sg.suggestions({}) == []
    assert sg.find(SNAPSHOT, first.key) == first
    with pytest.raises(AreaprofileError, match="no longer in the latest snapshot"):
        sg.find(SNAPSHOT, "0" * 24)


def test_accept_makes_a_concern_naming_the_editor_and_the_source_and_dismiss_is_kept(register):
    from areaprofile.register import accounts
    from areaprofile.register import concerns as rc

    accounts.add_user(register, "Kim Clerk", "a long enough password", "editor", areas=["Keynsham"], by="test")
    kim = accounts.sign_in(register, "Kim Clerk", "a long enough password")
    speeding, script = [s for s in sg.open_suggestions(register, SNAPSHOT, area="Keynsham") if s.neighbourhood == "Keynsham Town"]

    concern = sg.accept(register, kim, SNAPSHOT, speeding.key, areas=["Keynsham"], crime_types=["Vehicle crime"], links=["asb"])
    assert concern["title"] == "Speeding on the High St" and concern["raised_by_kind"] == "police"
    assert concern["raised_on"] == "2025-03-08" and concern["source"] == speeding.source
    assert concern["summary"] == "Speeding on the High St\nsecond line\n\nPolice action (2025-04-01): Checks"
    history = rc.concern_history(register, concern["id"])
    assert [(h["change"], h["account"]) for h in history] == [("add", "Kim Clerk")]

    # the Chew Valley / Keynsham neighbourhood names Keynsham, so a Keynsham editor may dismiss it
    drugs = next(s for s in sg.open_suggestions(register, SNAPSHOT) if s.issue == "Drugs")
    sg.dismiss(register, kim, SNAPSHOT, drugs.key, reason="Raised at the Chew Valley forum")
    left = sg.open_suggestions(register, SNAPSHOT)
    assert [s.key for s in left] == [script.key]
    with pytest.raises(AreaprofileError, match="already decided"):
        sg.dismiss(register, kim, SNAPSHOT, drugs.key)
    with pytest.raises(AreaprofileError, match="already decided"):
        sg.accept(register, kim, SNAPSHOT, speeding.key, areas=["Keynsham"], crime_types=["Drugs"])
    # hostile text stays as typed text in the concern (pages escape it)
    hostile = sg.accept(register, "cli-user", SNAPSHOT, script.key, areas=["Keynsham"], measured_by="residents' reports")
    assert hostile["title"] == "<script>alert(1)</script> as text" and hostile["raised_on"] == "2026-11-29"
    assert len(rc.list_concerns(register, area="Keynsham")) == len([c for c in rc.list_concerns(register) if "Keynsham" in c["areas"]])


def test_an_editor_cannot_accept_for_another_area(register):
    from areaprofile.register import accounts

    accounts.add_user(register, "Bea", "a long enough password", "editor", areas=["Bath"], by="test")
    bea = accounts.sign_in(register, "Bea", "a long enough password")
    key = sg.suggestions(SNAPSHOT)[0].key
    with pytest.raises(AreaprofileError, match="You edit concerns for Bath"):
        sg.accept(register, bea, SNAPSHOT, key, areas=["Keynsham"], crime_types=["Drugs"])
    with pytest.raises(AreaprofileError, match="You edit concerns for Bath"):
        sg.dismiss(register, bea, SNAPSHOT, key)
    assert sg.decided_keys(register) == set()
