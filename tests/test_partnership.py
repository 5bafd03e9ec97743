"""The partnership settings files: both load, mistakes become one sentence, and the package
names no place of its own (everything place-specific lives in geo/<LA code>.yaml)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from areaprofile import partnership
from areaprofile.errors import AreaprofileError

ROOT = Path(__file__).resolve().parents[1]
#: Words that would mean B&NES (its name, code, areas or figures) is written into the package.
PLACE_WORDS = ("Bath", "Keynsham", "E06000022", "North East Somerset", "Chew", "Somer Valley", "B&NES", "BANES",
               "193,401", "193401", "Bristol", "E06000023")


def test_both_partnerships_load_with_their_areas():
    banes, bristol = partnership.load("E06000022"), partnership.load("E06000023")
    assert banes.area_names == ("Bath", "Bathavon", "Chew Valley", "Keynsham", "Somer Valley")
    assert bristol.area_names == tuple(f"Area {n}" for n in range(1, 7))
    assert [s.id for s in bristol.schemes] == ["committee-areas-2018", "wards-2016"]
    wards = [m.code for a in bristol.default_scheme.areas for m in a.members]
    assert len(wards) == len(set(wards)) == 34
    assert bristol.scheme("wards-2016").area_names == tuple(sorted(bristol.scheme("wards-2016").area_names))
    assert {f.id for f in banes.forces} == {f.id for f in bristol.forces} == {"avon-and-somerset"}
    assert banes.all_label == "All B&NES" and bristol.all_label == "All Bristol"
    assert banes.knowledge_dir.is_dir() and bristol.knowledge_dir.is_dir()
    assert banes.caveats_for("Bath") and not banes.caveats_for("Keynsham")
    assert all(m.evidence and m.confidence in ("stated", "inferred") for s in bristol.schemes for a in s.areas for m in a.members)


def test_default_is_the_file_marked_default_unless_the_environment_says(monkeypatch):
    monkeypatch.delenv(partnership.ENV_DEFAULT, raising=False)
    assert partnership.default().la_code == "E06000022"
    monkeypatch.setenv(partnership.ENV_DEFAULT, "E06000023")
    assert partnership.default().la_code == "E06000023"


def _broken(tmp_path: Path, change) -> str:
    document = yaml.safe_load((ROOT / "geo" / "E06000023.yaml").read_text(encoding="utf-8"))
    change(document)
    path = tmp_path / "E06000023.yaml"
    path.write_text(yaml.safe_dump(document), encoding="utf-8")
    with pytest.raises(AreaprofileError) as caught:
        partnership.load_file(path)
    return caught.value.message


def _ward_twice(d):
    d["schemes"][0]["areas"][1]["wards"].append(d["schemes"][0]["areas"][0]["wards"][0])


@pytest.mark.parametrize("change, expected", [
    (lambda d: d.pop("la_code"), "la_code is missing"),
    (lambda d: d.update(la_code="E0600002"), "is not a local-authority code"),
    (lambda d: d.update(la_code="E06000024"), "name it E06000024.yaml"),
    (lambda d: d["schemes"][0].update(members="street"), "use one of parish, ward, lsoa"),
    (_ward_twice, "is listed in two areas"),
    (lambda d: d["schemes"][0]["areas"][0].update(confidence="sure"), "use one of stated, inferred"),
    (lambda d: d["schemes"][0]["areas"][0].update(wards=[]), "lists no wards"),
    (lambda d: d["files"].pop("lsoa21"), "needs 'lsoa21'"),
    (lambda d: d["files"].update(lsoa21="/etc/passwd"), "relative to the source folder"),
    (lambda d: d.update(knowledge="data/no-such-folder"), "does not exist"),
    (lambda d: d["caveats"][0].update(area="Area 9"), "which is in no scheme"),
    (lambda d: d["schemes"][1].update(id="committee-areas-2018"), "two schemes share an id"),
])
def test_a_mistake_in_the_settings_is_one_sentence(tmp_path, change, expected):
    message = _broken(tmp_path, change)
    assert expected in message, message
    assert message.startswith(str(tmp_path)) and "\n" not in message and message.endswith(".")


def test_an_unknown_la_says_which_settings_exist():
    with pytest.raises(AreaprofileError, match=r"No settings file for E06000099.*E06000022, E06000023"):
        partnership.load("E06000099")


def test_the_package_names_no_place():
    """Every place-specific word lives in geo/*.yaml and data/knowledge*/, never in the code."""
    hits = []
    for path in sorted((ROOT / "areaprofile").rglob("*")):
        if path.suffix not in (".py", ".html", ".css", ".j2", ".txt") or "__pycache__" in path.parts:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for word in PLACE_WORDS:
                if word in line:
                    hits.append(f"{path.relative_to(ROOT)}:{number}: {word}")
    assert not hits, "\n".join(hits)
