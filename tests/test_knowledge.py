"""Tests for areaprofile.knowledge and data/knowledge/*.yaml.

The expected plan contents are parsed out of the seed documents themselves (../shared/seeds),
not copied from our YAML, so a priority or measure left out of the YAML makes a test fail.
"""

from __future__ import annotations

import csv
import gzip
import json
import os
import re
import shutil
from pathlib import Path

import pytest
import yaml

from areaprofile import config
from areaprofile import knowledge as K
from areaprofile.errors import AreaprofileError

DOC_2022 = "000_a4c8ed5ba32b15c5"
DOC_2018 = "001_73163e3c60a160cb"
DOC_2009 = "002_95bcea0de25149ed"
DOC_PCC = "004_3b7e6a2e0ddb15d2"


# ------------------------------------------------------------------------------------------
# Seed access and parsing


def _shared_data() -> Path | None:
    env = os.environ.get("AREAPROFILE_SHARED_DATA")
    if env:
        return Path(env)
    fallback = config.PROJECT_ROOT.parent / "shared" / "data"
    return fallback if fallback.is_dir() else None


@pytest.fixture(scope="module")
def seeds() -> Path:
    data = _shared_data()
    if data is None:
        pytest.skip("AREAPROFILE_SHARED_DATA is not set and ../shared/data is absent")
    folder = data.parent / "seeds"
    assert folder.is_dir(), f"seed folder {folder} is missing"
    return folder


def seed_text(seeds: Path, doc_id: str) -> str:
    return (seeds / f"{doc_id}.txt").read_text(encoding="utf-8")


def norm(text: str) -> str:
    """Compare text the way a reader would: case, dash style and spacing don't matter."""
    text = re.sub(r"[\u2010-\u2015\u2212]", "-", text)
    return " ".join(text.split()).casefold().rstrip(" .")


def section(text: str, start: str, end: str) -> list[str]:
    """Lines strictly between the first line matching start and the next matching end."""
    lines = text.splitlines()
    i = next(n for n, line in enumerate(lines) if re.match(start, line.strip()))
    j = next(n for n in range(i + 1, len(lines)) if re.match(end, lines[n].strip()))
    return lines[i + 1 : j]


def seed_2018_priorities(text: str) -> dict[int, str]:
    lines = text.splitlines()
    found = {}
    for n, line in enumerate(lines):
        m = re.match(r"^\d+\s+Priority\s+(\d):\s*$", line.strip())
        if m:
            title = next(x.strip() for x in lines[n + 1 :] if x.strip())
            found[int(m.group(1))] = title
    return found


def seed_2018_objectives(text: str) -> dict[int, list[str]]:
    lines = text.splitlines()
    found: dict[int, list[str]] = {}
    for n, line in enumerate(lines):
        m = re.search(r"Key Objectives of priority (\d)", line)
        if not m:
            continue
        items = []
        for nxt in lines[n + 1 :]:
            if not nxt.strip():
                if items:
                    break
                continue
            mi = re.match(r"^\s*-\s*(\d)\.\s+(.+)$", nxt)
            if not mi:
                break
            items.append(mi.group(2).strip())
        found[int(m.group(1))] = items
    return found


def seed_2018_measures(text: str) -> list[str]:
    out: list[str] = []
    for raw in section(text, r"^13\s+Measures$", r"^14\s+Glossary$"):
        line = raw.strip()
        if not line or line.startswith("Indicators will be"):
            continue
        if out and out[-1].endswith(","):
            out[-1] = f"{out[-1]} {line}"
        else:
            out.append(line)
    return out


def seed_2018_feedback(text: str) -> list[tuple[str, str]]:
    pairs, area = [], None
    for raw in section(text, r"^5 Feedback from local communities$", r"^6 Strategic"):
        line = raw.strip()
        m = re.match(r"^\d\s+In (?:the )?(.+?)(?: area)?(?:, key issues raised included)?:$", line)
        if m:
            area = m.group(1)
            continue
        mi = re.match(r"^(?:-\s*)?([a-z])\)\s", line)
        if mi and area:
            pairs.append((area, mi.group(1)))
    return pairs


def seed_2009_priorities(text: str) -> list[str]:
    titles = []
    for raw in section(text, r"^Our Strategic Priorities$", r"^How we will deliver our priorities$"):
        line = raw.strip()
        if not line.startswith("|") or line.startswith("|--") or line.startswith("| Priority |"):
            continue
        first = line.strip("|").split("|")[0]
        titles.append(re.split(r"\s*[-\u2013\u2014]\s*<i>", first)[0].strip())
    return titles


def seed_2009_measures(text: str) -> list[str]:
    lines = text.splitlines()
    out = []
    for n, line in enumerate(lines):
        if line.strip() != "Success will be measured by:":
            continue
        for nxt in lines[n + 1 :]:
            s = nxt.strip()
            if s.startswith("Over the coming"):
                break
            if s.startswith("- "):
                out.append(s[2:].strip())
    return out


def seed_pcc_objectives(text: str) -> list[str]:
    lines = text.splitlines()
    i = next(n for n, line in enumerate(lines) if line.startswith("Key Objectives"))
    out = []
    for line in lines[i + 1 :]:
        if not line.strip():
            if out:
                break
            continue
        out.append(line.strip())
    return out


def seed_2022_bullets(text: str) -> list[str]:
    return [line[2:].strip() for line in text.splitlines() if line.startswith("- ")]


@pytest.fixture(scope="module")
def kb() -> K.Knowledge:
    return K.load_knowledge()


def plan_items(kb: K.Knowledge, table: str, plan_id: str) -> list[dict]:
    return [x for x in getattr(kb, table).values() if x["plan"] == plan_id]


# ------------------------------------------------------------------------------------------
# Coverage of the seed documents


def test_seed_parsers_find_the_expected_shape(seeds):
    """Guards the parsers themselves: an empty parse would make the coverage tests vacuous."""
    t2018 = seed_text(seeds, DOC_2018)
    assert sorted(seed_2018_priorities(t2018)) == [1, 2, 3]
    assert len(seed_2018_measures(t2018)) >= 8
    assert {a for a, _ in seed_2018_feedback(t2018)} >= {"Bath", "Somer Valley", "Chew Valley", "Keynsham"}
    assert len(seed_2009_priorities(seed_text(seeds, DOC_2009))) >= 5
    assert len(seed_pcc_objectives(seed_text(seeds, DOC_PCC))) >= 5
    assert len(seed_2022_bullets(seed_text(seeds, DOC_2022))) >= 5


def test_every_2018_21_priority_is_present(seeds, kb):
    expected = seed_2018_priorities(seed_text(seeds, DOC_2018))
    ours = {p["number"]: p["title"] for p in plan_items(kb, "priorities", "jcsp-2018-21")}
    assert {n: norm(t) for n, t in ours.items()} == {n: norm(t) for n, t in expected.items()}


def test_every_2018_21_objective_is_present(seeds, kb):
    expected = seed_2018_objectives(seed_text(seeds, DOC_2018))
    assert sorted(expected) == [1, 2, 3]
    for number, seed_items in expected.items():
        prio = f"jcsp-2018-21.p{number}"
        ours = [kb.objectives[o] for o in kb.priorities[prio]["objective_ids"]]
        assert len(ours) == len(seed_items), prio
        for obj, seed_item in zip(sorted(ours, key=lambda o: o["number"]), seed_items):
            # The PDF list form sometimes carries stray words after the heading.
            assert norm(obj["title"]) in norm(seed_item), (obj["id"], seed_item)


def test_every_2018_21_measure_is_present(seeds, kb):
    expected = seed_2018_measures(seed_text(seeds, DOC_2018))
    ours = [m["title"] for m in plan_items(kb, "measures", "jcsp-2018-21")]
    assert sorted(map(norm, ours)) == sorted(map(norm, expected))


def test_every_2018_21_forum_feedback_item_is_a_concern(seeds, kb):
    pairs = seed_2018_feedback(seed_text(seeds, DOC_2018))
    assert pairs
    for area, letter in pairs:
        assert area in config.AREAS, area
        item = f"{area} {letter})"
        hits = [
            c for c in kb.concerns.values()
            if c["source"]["document"] == DOC_2018
            and c["source"]["section"].startswith("5 ")
            and str(c["source"].get("item")) == item
        ]
        assert hits, f"no concern cites forum feedback item {item}"
        assert all(area in c["areas"] for c in hits), item


def test_every_2009_12_priority_and_measure_is_present(seeds, kb):
    text = seed_text(seeds, DOC_2009)
    expected = seed_2009_priorities(text)
    ours = [p["title"] for p in plan_items(kb, "priorities", "csp-2009-12")]
    assert sorted(map(norm, ours)) == sorted(map(norm, expected))
    seed_measures = seed_2009_measures(text)
    our_measures = [m["title"] for m in plan_items(kb, "measures", "csp-2009-12")]
    assert sorted(map(norm, our_measures)) == sorted(map(norm, seed_measures))


def test_every_pcc_objective_is_present(seeds, kb):
    expected = seed_pcc_objectives(seed_text(seeds, DOC_PCC))
    ours = sorted(
        (o for o in kb.objectives.values() if o["plan"] == "pcc-plan-2020"), key=lambda o: o["number"]
    )
    assert [norm(o["title"]) for o in ours] == [norm(t) for t in expected]


def test_every_2022_25_listed_item_is_a_concern(seeds, kb):
    bullets = seed_2022_bullets(seed_text(seeds, DOC_2022))
    cited = {
        str(c["source"].get("item")) for c in kb.concerns.values() if c["source"]["document"] == DOC_2022
    }
    for n in range(1, len(bullets) + 1):
        assert f"bullet {n}" in cited, f"draft 2022-25 bullet {n} ({bullets[n - 1][:40]}...) has no concern"
    assert kb.plans["jcsp-2022-25"]["status"] == "draft"
    assert len(kb.plans["jcsp-2022-25"]["priority_ids"]) >= 5


def test_verbatim_titles_and_quotes_appear_in_their_source(seeds, kb):
    checked = 0
    for table in (kb.plans, kb.priorities, kb.objectives, kb.measures):
        for item in table.values():
            text = norm(seed_text(seeds, item["source"]["document"]))
            if item.get("verbatim"):
                assert norm(item["title"]) in text, item["id"]
                checked += 1
            if item.get("quote"):
                assert norm(item["quote"]) in text, item["id"]
                checked += 1
    assert checked > 40


# ------------------------------------------------------------------------------------------
# Integrity


def test_every_area_has_a_concern_of_its_own(kb):
    for area in config.AREAS:
        concerns = K.concerns_for_area(area, kb)
        assert concerns, area
        assert any(len(c["areas"]) < len(config.AREAS) for c in concerns), f"{area} has only borough-wide concerns"


def test_every_link_and_source_resolves(seeds, kb):
    for c in kb.concerns.values():
        assert c["priorities"], c["id"]
        for target in c["priorities"]:
            assert kb.kind(target) in ("priority", "objective", "measure"), (c["id"], target)
    for m in kb.measures.values():
        for target in m["priorities"]:
            assert kb.kind(target) == "priority" and kb.priorities[target]["plan"] == m["plan"], m["id"]
    for o in kb.objectives.values():
        assert o["id"] in kb.priorities[o["priority"]]["objective_ids"]
    items = [*kb.plans.values(), *kb.priorities.values(), *kb.objectives.values(), *kb.measures.values(), *kb.concerns.values()]
    for item in items:
        sources = [item["source"], *item.get("see_also", [])]
        for src in sources:
            assert src["document"] in kb.documents, item["id"]
            assert (seeds / f"{src['document']}.txt").is_file(), src["document"]
            assert src["section"].strip(), item["id"]


def test_every_crime_type_is_a_published_type(kb):
    allowed = set(config.CRIME_TYPES) | {K.ALL_CRIME}
    for c in kb.concerns.values():
        assert set(c["crime_types"]) <= allowed, c["id"]
        assert set(K.concern_crime_types(c)) <= set(config.CRIME_TYPES)
        if c["police_uk"] == "none":
            assert not c["crime_types"] and c["would_be_measured_by"], c["id"]
        else:
            assert K.concern_crime_types(c), c["id"]
    for m in kb.measures.values():
        assert set(m["police_uk"].get("crime_types") or []) <= allowed, m["id"]


def test_crime_types_we_use_occur_in_a_real_police_uk_file(kb):
    """config.CRIME_TYPES is checked against a published street file, not only against itself."""
    data = _shared_data()
    if data is None:
        pytest.skip("no shared data")
    files = sorted((data / "police_uk").rglob("*-street.csv.gz"))
    assert files, "no police.uk street files in the shared data"
    with gzip.open(files[-1], "rt", encoding="utf-8", newline="") as fh:
        published = {row["Crime type"] for row in csv.DictReader(fh)}
    used = set()
    for c in kb.concerns.values():
        used.update(K.concern_crime_types(c))
    for m in kb.measures.values():
        used.update(K.measure_crime_types(m))
    assert used and used <= published, used - published


def test_all_crime_means_every_type_except_asb(kb):
    everything_but_asb = [t for t in config.CRIME_TYPES if t != config.ASB]
    assert K.concern_crime_types({"police_uk": "full", "crime_types": [K.ALL_CRIME]}) == everything_but_asb
    assert K.measure_crime_types("jcsp-2018-21.m.total-crime", kb) == everything_but_asb
    assert K.measure_crime_types("jcsp-2018-21.m.asb", kb) == [config.ASB]


def test_measure_computability(seeds, kb):
    for m in kb.measures.values():
        pu = m["police_uk"]
        if pu["computable"]:
            assert K.measure_crime_types(m) and pu["how"] and pu["fit"] in K.FITS, m["id"]
        else:
            assert not pu.get("crime_types") and pu["needs"], m["id"]
    # Measures the 2018-21 plan names that police.uk cannot give (no flags, no victims, no surveys).
    not_in_police_uk = ("hate crime", "domestic abuse", "fraud", "satisfaction", "victim outcomes", "cse")
    by_title = {norm(m["title"]): m for m in plan_items(kb, "measures", "jcsp-2018-21")}
    for name in seed_2018_measures(seed_text(seeds, DOC_2018)):
        measure = by_title[norm(name)]
        if any(word in norm(name) for word in not_in_police_uk):
            assert measure["police_uk"]["computable"] is False, name


def test_non_dwelling_burglary_maps_to_burglary_with_a_note(kb):
    concern = next(c for c in kb.concerns.values() if c["source"].get("item") == "Chew Valley a)")
    assert K.concern_crime_types(concern) == ["Burglary"]
    assert "non-dwelling" in concern["notes"] and "does not split" in concern["notes"]


# ------------------------------------------------------------------------------------------
# Public functions


def test_concerns_for_area_accepts_loose_case_and_rejects_unknown(kb):
    assert [c["id"] for c in K.concerns_for_area("  chew VALLEY ", kb)] == [
        c["id"] for c in kb.concerns.values() if "Chew Valley" in c["areas"]
    ]
    with pytest.raises(AreaprofileError) as err:
        K.concerns_for_area("Midsomer", kb)
    assert "Midsomer" in str(err.value) and "Somer Valley" in str(err.value)


def test_concerns_json_round_trips():
    records = json.loads(K.concerns_json("Keynsham"))
    assert [r["id"] for r in records] == [c["id"] for c in K.concerns_for_area("Keynsham")]
    for r in records:
        assert "Keynsham" in r["areas"]
        assert r["source"]["document_title"] and r["source"]["section"]
        assert set(r["crime_types"]) <= set(config.CRIME_TYPES)
        assert r["links"] and all(link["title"] and link["plan_title"] for link in r["links"])
    assert any(r["area_specific"] for r in records)


def test_priorities_and_measures_filter_by_plan(kb):
    assert [p["id"] for p in K.priorities("jcsp-2018-21", kb)] == ["jcsp-2018-21.p1", "jcsp-2018-21.p2", "jcsp-2018-21.p3"]
    computable = K.measures("jcsp-2018-21", kb, computable=True)
    assert {m["id"] for m in computable} == {"jcsp-2018-21.m.total-crime", "jcsp-2018-21.m.asb"}
    with pytest.raises(AreaprofileError, match="Unknown plan 'nope'"):
        K.measures("nope", kb)


def test_load_returns_a_private_copy_and_sees_edits(tmp_path):
    folder = copy_knowledge(tmp_path)
    first = K.load_knowledge(folder)
    first.concerns.clear()
    assert K.load_knowledge(folder).concerns, "a caller's change leaked into the cache"
    data = read(folder, "concerns.yaml")
    data["concerns"][0]["title"] = "Edited title for the cache test"
    write(folder, "concerns.yaml", data)
    stat = (folder / "concerns.yaml").stat()
    os.utime(folder / "concerns.yaml", ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    assert K.load_knowledge(folder).concerns[data["concerns"][0]["id"]]["title"] == "Edited title for the cache test"


# ------------------------------------------------------------------------------------------
# The schema check rejects bad folders with one clear sentence


def copy_knowledge(tmp_path: Path) -> Path:
    folder = tmp_path / "knowledge"
    shutil.copytree(config.KNOWLEDGE_DIR, folder)
    return folder


def read(folder: Path, name: str) -> dict:
    return yaml.safe_load((folder / name).read_text(encoding="utf-8"))


def write(folder: Path, name: str, data: dict) -> None:
    (folder / name).write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")


def rejected(folder: Path) -> str:
    with pytest.raises(AreaprofileError) as err:
        K.load_knowledge(folder)
    message = str(err.value)
    assert "\n" not in message and message.endswith("."), message
    return message


def test_unmodified_copy_loads(tmp_path):
    folder = copy_knowledge(tmp_path)
    write(folder, "concerns.yaml", read(folder, "concerns.yaml"))  # same data, re-serialised
    assert len(K.load_knowledge(folder).concerns) == len(K.load_knowledge().concerns)


def test_rejects_unknown_area(tmp_path):
    folder = copy_knowledge(tmp_path)
    data = read(folder, "concerns.yaml")
    victim = data["concerns"][2]
    victim["areas"] = ["Bath", "Bathwick"]
    write(folder, "concerns.yaml", data)
    message = rejected(folder)
    assert "concerns.yaml" in message and victim["id"] in message
    assert "unknown area 'Bathwick'" in message and "Somer Valley" in message


def test_rejects_all_areas_shorthand(tmp_path):
    folder = copy_knowledge(tmp_path)
    data = read(folder, "concerns.yaml")
    data["concerns"][0]["areas"] = ["All areas"]
    write(folder, "concerns.yaml", data)
    assert "unknown area 'All areas'" in rejected(folder)


def test_rejects_unknown_crime_type_in_concern(tmp_path):
    folder = copy_knowledge(tmp_path)
    data = read(folder, "concerns.yaml")
    victim = next(c for c in data["concerns"] if c.get("crime_types"))
    victim["crime_types"] = ["Burglery"]
    write(folder, "concerns.yaml", data)
    message = rejected(folder)
    assert victim["id"] in message and "unknown crime type 'Burglery'" in message
    assert "did you mean 'Burglary'" in message


def test_rejects_unknown_crime_type_in_measure(tmp_path):
    folder = copy_knowledge(tmp_path)
    data = read(folder, "plans.yaml")
    measure = data["plans"][0]["measures"][0]
    measure["police_uk"]["crime_types"] = ["Non-dwelling burglary"]
    write(folder, "plans.yaml", data)
    message = rejected(folder)
    assert "plans.yaml" in message and measure["id"] in message and "Non-dwelling burglary" in message


def test_rejects_unknown_priority_link(tmp_path):
    folder = copy_knowledge(tmp_path)
    data = read(folder, "concerns.yaml")
    victim = data["concerns"][-1]
    victim["priorities"] = victim["priorities"] + ["jcsp-2018-21.p9"]
    write(folder, "concerns.yaml", data)
    message = rejected(folder)
    assert victim["id"] in message and "unknown" in message and "'jcsp-2018-21.p9'" in message


def test_rejects_link_to_a_concern_instead_of_a_priority(tmp_path):
    folder = copy_knowledge(tmp_path)
    data = read(folder, "concerns.yaml")
    data["concerns"][0]["priorities"] = [data["concerns"][1]["id"]]
    write(folder, "concerns.yaml", data)
    assert "which is a concern" in rejected(folder)


def test_rejects_missing_source(tmp_path):
    folder = copy_knowledge(tmp_path)
    data = read(folder, "plans.yaml")
    objective = data["plans"][0]["priorities"][1]["objectives"][0]
    del objective["source"]
    write(folder, "plans.yaml", data)
    message = rejected(folder)
    assert "plans.yaml" in message and objective["id"] in message and "has no source" in message


def test_rejects_source_citing_unknown_document(tmp_path):
    folder = copy_knowledge(tmp_path)
    data = read(folder, "concerns.yaml")
    data["concerns"][0]["source"]["document"] = "999_missing"
    write(folder, "concerns.yaml", data)
    assert "unknown document '999_missing'" in rejected(folder)


def test_rejects_duplicate_id(tmp_path):
    folder = copy_knowledge(tmp_path)
    data = read(folder, "concerns.yaml")
    data["concerns"][3]["id"] = data["concerns"][0]["id"]
    write(folder, "concerns.yaml", data)
    message = rejected(folder)
    assert f"'{data['concerns'][0]['id']}'" in message and "duplicate id" in message


def test_rejects_duplicate_id_across_files(tmp_path):
    folder = copy_knowledge(tmp_path)
    data = read(folder, "concerns.yaml")
    data["concerns"][0]["id"] = "jcsp-2018-21.p1"
    write(folder, "concerns.yaml", data)
    message = rejected(folder)
    assert "duplicate id" in message and "priority in plans.yaml" in message


def test_rejects_none_coverage_with_crime_types(tmp_path):
    folder = copy_knowledge(tmp_path)
    data = read(folder, "concerns.yaml")
    victim = next(c for c in data["concerns"] if c["police_uk"] == "none")
    victim["crime_types"] = ["Drugs"]
    write(folder, "concerns.yaml", data)
    assert "police_uk: none yet lists crime_types" in rejected(folder)


def test_rejects_bad_yaml_and_missing_folder(tmp_path):
    folder = copy_knowledge(tmp_path)
    (folder / "concerns.yaml").write_text("concerns: [unclosed\n", encoding="utf-8")
    assert "concerns.yaml is not valid YAML" in rejected(folder)
    assert "does not exist" in rejected(tmp_path / "nowhere")
