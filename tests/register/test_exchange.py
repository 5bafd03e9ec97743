"""Export and import on SQLite and PostgreSQL: hostile text round-trips as text, and an import
with anything wrong in it leaves the register exactly as it was."""

from __future__ import annotations

import csv
import io
import json

import pytest
import yaml

from areaprofile.register import concerns as rc
from areaprofile.register import exchange
from tests.register.helpers import snapshot

HOSTILE_TITLE = '<script>alert("t")</script> =HYPERLINK("http://x") ; "quoted", comma'
HOSTILE_SUMMARY = "<img src=x onerror=alert(1)>\nsecond line, with \"quotes\" and 'apostrophes'\n" + "Z" * 10_000
HOSTILE_ACTION = "-2+3 <b>bold</b> @mention ' leading"


def _hostile(register):
    c = rc.add_concern(register, "alice", title=HOSTILE_TITLE + "\x00\x1b", summary=HOSTILE_SUMMARY + "\x07",
                       areas=["Bath", "Somer Valley"], raised_on="2020-02-03", raised_by_kind="residents",
                       crime_types=["Burglary"], links=["asb"], source="=cmd|' /C calc'!A0")
    return rc.add_action(register, "bob", c["id"], taken_on="2020-03-01", text=HOSTILE_ACTION, who="<i>team</i>")


@pytest.mark.parametrize("suffix", ["yaml", "csv"])
def test_hostile_text_round_trips_as_text_through_export_import_and_history(register, tmp_path, suffix):
    c = _hostile(register)
    assert c["title"] == HOSTILE_TITLE and c["summary"] == HOSTILE_SUMMARY
    path = tmp_path / f"register.{suffix}"
    assert exchange.export_file(register, path) == 31
    text = path.read_text(encoding="utf-8")
    if suffix == "csv":
        rows = {r["id"]: r for r in csv.DictReader(io.StringIO(text))}
        row = rows[c["id"]]
        assert row["title"] == HOSTILE_TITLE and row["summary"] == HOSTILE_SUMMARY
        assert row["source"] == "'=cmd|' /C calc'!A0"  # a spreadsheet shows it as text, never runs it
        assert json.loads(row["actions"])[0]["text"] == HOSTILE_ACTION
    else:
        items = {i["id"]: i for i in yaml.safe_load(text)["concerns"]}
        assert items[c["id"]]["title"] == HOSTILE_TITLE and items[c["id"]]["summary"] == HOSTILE_SUMMARY
        assert items[c["id"]]["actions"][0]["by"] == "<i>team</i>"
    before = snapshot(register)
    summary = exchange.import_file(register, path, "carol")
    assert (summary.added, summary.changed, summary.actions, summary.unchanged) == (0, 0, 0, 31)
    assert snapshot(register) == before
    history = rc.concern_history(register, c["id"])
    assert history[0]["changes"]["title"]["after"] == HOSTILE_TITLE
    assert history[1]["changes"]["action"]["after"]["text"] == HOSTILE_ACTION


def test_an_import_applies_every_change_as_the_importing_account(register, tmp_path):
    c = _hostile(register)
    path = tmp_path / "register.yaml"
    exchange.export_file(register, path)
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    items = {i["id"]: i for i in document["concerns"]}
    items[c["id"]]["title"] = "Burglaries in Radstock"
    items[c["id"]]["status"] = "in-progress"
    items[c["id"]]["actions"].append({"date": "2020-04-01", "text": "Patrols increased", "by": "Somer Valley NPT"})
    items["bath-drugs-market"]["status"] = "removed"
    items["bath-drugs-market"]["removed_reason"] = "Covered by the county lines concern"
    document["concerns"].append({"title": "Cars racing at night", "areas": ["Chew Valley"], "raised_on": "2021-01-05",
                                 "raised_by_kind": "councillor", "crime_types": ["Vehicle crime", "Anti-social behaviour"],
                                 "actions": [{"date": "2021-02-01", "text": "Speed checks", "by": "PCSO"}]})
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    summary = exchange.import_file(register, path, "importer")
    assert (summary.added, summary.changed, summary.actions) == (1, 2, 2)
    changed = rc.get_concern(register, c["id"])
    assert changed["title"] == "Burglaries in Radstock" and changed["status"] == "in-progress"
    assert [a["text"] for a in changed["actions"]] == ["Patrols increased", HOSTILE_ACTION]
    assert {h["account"] for h in rc.concern_history(register, c["id"])[2:]} == {"importer"}
    assert rc.get_concern(register, "bath-drugs-market")["removed"]
    new = [r for r in rc.list_concerns(register, area="Chew Valley") if r["title"] == "Cars racing at night"]
    assert len(new) == 1 and new[0]["actions"][0]["by"] == "PCSO" and new[0]["created_by"] == "importer"


def _bad_files(register, tmp_path):
    """(name, file contents or bytes, words the refusal contains) for each kind of bad import."""
    path = tmp_path / "good.yaml"
    exchange.export_file(register, path)
    good = yaml.safe_load(path.read_text(encoding="utf-8"))

    def edited(change) -> str:
        document = json.loads(json.dumps(good))
        change(document["concerns"])
        return yaml.safe_dump(document, allow_unicode=True)

    def first(key, value):
        return lambda items: items[0].__setitem__(key, value)

    new_row = {"title": "New", "areas": ["Bath"], "raised_on": "2021-01-01", "raised_by_kind": "police",
               "crime_types": ["Drugs"]}
    csv_text = exchange.export_csv(register)
    return [
        ("area.yaml", edited(first("areas", ["Bath", "Atlantis"])), "Unknown area 'Atlantis'"),
        ("type.yaml", edited(first("crime_types", ["Piracy"])), "Unknown crime type 'Piracy'"),
        ("link.yaml", edited(first("links", ["jcsp-2022-25.nope"])), "Unknown plan priority"),
        ("id.yaml", edited(first("id", "no-such-concern")), "there is no concern no-such-concern"),
        ("dup.yaml", edited(lambda items: items.append(json.loads(json.dumps(items[0])))), "appears twice"),
        ("stale.yaml", edited(first("version", 0)), "changed in the register since this file was made"),
        ("control.yaml", edited(first("title", "Bad\x07bell")), "control character (U+0007)"),
        ("date.yaml", edited(lambda items: items.append(dict(new_row, raised_on="31/12/2020"))), "is not a date"),
        ("empty-title.yaml", edited(lambda items: items.append(dict(new_row, title="  "))), "The title is empty"),
        ("long.yaml", edited(lambda items: items.append(dict(new_row, title="T" * 301))), "at most 300"),
        ("field.yaml", edited(first("password", "x")), "unknown field 'password'"),
        ("action.yaml", edited(lambda items: items[0].__setitem__("actions", [{"date": "2021-01-01", "text": ""}])),
         "action 1"),
        ("alias.yaml", "concerns:\n- &a {title: x}\n- *a\n", "aliases"),
        ("broken.yaml", "concerns: [unclosed", "not valid YAML"),
        ("binary.yaml", b"\xff\xfe\x00garbage", "not UTF-8"),
        ("big.yaml", "#" * (exchange.MAX_BYTES + 1), "at most 5 MB"),
        ("column.csv", csv_text.replace("title", "headline", 1), "unknown column 'headline'"),
        ("cells.csv", csv_text + "a,b\n", "cells"),
        ("later.csv", csv_text + ",,Good title,,Bath,2021-01-01,,police,,,Drugs,,,,,,,[]\n"
                                 ",,Bad area,,Mordor,2021-01-01,,police,,,Drugs,,,,,,,[]\n", "Unknown area 'Mordor'"),
        ("format.txt", "anything", "use a .yaml or .csv file"),
    ]


def test_each_kind_of_bad_import_writes_nothing_and_says_what_is_wrong(register, tmp_path):
    _hostile(register)
    before = snapshot(register)
    for name, contents, words in _bad_files(register, tmp_path):
        path = tmp_path / name
        if isinstance(contents, bytes):
            path.write_bytes(contents)
        else:
            path.write_text(contents, encoding="utf-8")
        with pytest.raises(exchange.ImportRefused) as refused:
            exchange.import_file(register, path, "mallory")
        assert words in refused.value.message, (name, refused.value.message)
        assert "\n" not in refused.value.message
        assert snapshot(register) == before, name
