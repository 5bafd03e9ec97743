"""Plans, priorities, objectives, measures and forum concerns, from a partnership's knowledge
folder (``knowledge:`` in ``geo/<LA code>.yaml``, e.g. ``data/knowledge/*.yaml``).

The knowledge base is written by hand from the seed documents, so it is checked strictly on
load: a misspelt area, crime type or link would otherwise just make a concern vanish from a
page. Every problem is raised as one :class:`AreaprofileError` sentence naming the file and
the item.

Each YAML file is a mapping with any of the keys ``documents``, ``plans`` and ``concerns``
(see the comments at the top of ``plans.yaml`` and ``concerns.yaml`` for the fields).
"""

from __future__ import annotations

import copy
import difflib
import json
import os
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable

import yaml

from . import config, yamlfile
from .errors import AreaprofileError

#: Stands for every published crime type except Anti-social behaviour (i.e. recorded crime).
ALL_CRIME = "All crime"
#: Plan statuses we use: adopted, out for consultation, or published without a recorded adoption.
PLAN_STATUSES = ("adopted", "draft", "published")
#: How far police.uk measures a concern.
COVERAGE = ("full", "partial", "none")
#: Whether a computable measure's crime types are the measure itself or a stand-in.
FITS = ("exact", "proxy")

_TOP_KEYS = ("documents", "plans", "concerns")
_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


@dataclass(frozen=True)
class Knowledge:
    """The whole knowledge base, flattened into lookups by id (treat as read-only)."""

    path: Path
    documents: dict[str, dict] = field(default_factory=dict)
    plans: dict[str, dict] = field(default_factory=dict)
    priorities: dict[str, dict] = field(default_factory=dict)
    objectives: dict[str, dict] = field(default_factory=dict)
    measures: dict[str, dict] = field(default_factory=dict)
    concerns: dict[str, dict] = field(default_factory=dict)
    #: id -> name of the YAML file it came from (for messages).
    origin: dict[str, str] = field(default_factory=dict)
    #: The partnership's area names that concerns may name (its first scheme's).
    areas: tuple[str, ...] = ()

    def kind(self, item_id: str) -> str | None:
        """Which table an id lives in ('plan', 'priority', ...), or None if unknown."""
        for kind, table in self._tables():
            if item_id in table:
                return kind
        return None

    def item(self, item_id: str) -> dict:
        """Any item by id, so links can be followed without knowing their kind."""
        for _kind, table in self._tables():
            if item_id in table:
                return table[item_id]
        raise AreaprofileError(f"There is no plan, priority, objective, measure, concern or document with id '{item_id}'.")

    def _tables(self) -> Iterable[tuple[str, dict[str, dict]]]:
        return (
            ("document", self.documents),
            ("plan", self.plans),
            ("priority", self.priorities),
            ("objective", self.objectives),
            ("measure", self.measures),
            ("concern", self.concerns),
        )


# --------------------------------------------------------------------------------------------
# Loading


def load_knowledge(path: str | Path | None = None, areas: Iterable[str] | None = None) -> Knowledge:
    """Load and check a knowledge folder whose concerns name ``areas``.

    Both default to the default partnership's (:func:`for_partnership` gives a store's).
    Cached on the folder and its files' modification times, so an edited YAML file is picked
    up on the next call. The caller gets its own copy and may change it freely.
    """
    return copy.deepcopy(read_only_knowledge(path, areas))


def for_partnership(settings) -> Knowledge:
    """The knowledge of a :class:`areaprofile.partnership.Partnership` (its folder and areas)."""
    return load_knowledge(settings.knowledge_dir, settings.area_names)


def read_only_knowledge(path: str | Path | None = None, areas: Iterable[str] | None = None) -> Knowledge:
    """The same as :func:`load_knowledge` but without the copy, for checks made many times over
    (every field of every row of a register import): the caller must not change what it gets."""
    if path is None or areas is None:
        default_path, default_areas = _default_partnership(_settings_signature())
        path = default_path if path is None else path
        areas = default_areas if areas is None else areas
    if path is None:
        raise AreaprofileError("This partnership names no knowledge folder; add 'knowledge:' to its settings file.")
    folder = Path(path).expanduser().resolve()
    return _load_cached(str(folder), _signature(folder), tuple(areas))


def _settings_signature() -> tuple:
    """$AREAPROFILE_LA and the settings files' times: what the default partnership depends on."""
    from areaprofile import partnership

    files = sorted(partnership.GEO_DIR.glob("*.yaml"))
    return os.environ.get(partnership.ENV_DEFAULT), tuple((p.name, p.stat().st_mtime_ns) for p in files)


@lru_cache(maxsize=4)
def _default_partnership(signature: tuple) -> tuple[Path | None, tuple[str, ...]]:
    """The default partnership's knowledge folder and areas, read once per settings signature
    (reading the settings takes ~0.1 s, and a register import checks hundreds of fields)."""
    del signature  # only part of the cache key
    from areaprofile import partnership

    default = partnership.default()
    return default.knowledge_dir, tuple(default.area_names)


def _yaml_files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        raise AreaprofileError(
            f"Knowledge folder {folder} does not exist; pass the folder that holds plans.yaml and concerns.yaml."
        )
    files = sorted(p for p in folder.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())
    if not files:
        raise AreaprofileError(f"Knowledge folder {folder} has no .yaml files; expected documents.yaml, plans.yaml and concerns.yaml.")
    return files


def _signature(folder: Path) -> tuple:
    return tuple((p.name, p.stat().st_mtime_ns, p.stat().st_size) for p in _yaml_files(folder))


@lru_cache(maxsize=8)
def _load_cached(folder: str, signature: tuple, areas: tuple[str, ...]) -> Knowledge:
    del signature  # only part of the cache key
    return _Builder(Path(folder), areas).build()


class _Builder:
    """Reads every YAML file, flattens the items, and checks them as it goes."""

    def __init__(self, folder: Path, areas: tuple[str, ...]):
        self.folder = folder
        self.areas = areas
        self.k = Knowledge(path=folder, areas=areas)
        self.kinds: dict[str, str] = {}
        self.sources: list[tuple[str, str, Any]] = []  # (file, label, source) checked at the end
        self.links: list[tuple[str, str, str, tuple[str, ...]]] = []  # (file, label, id, allowed kinds)

    # -- entry point ---------------------------------------------------------------------
    def build(self) -> Knowledge:
        docs: list[tuple[str, list]] = []
        for path in _yaml_files(self.folder):
            data = self._read(path)
            for key in _TOP_KEYS:
                if key in data:
                    docs.append((path.name, [key, data[key]]))
        # Documents first so that sources can be checked whatever the file order.
        for fname, (key, items) in docs:
            if key == "documents":
                for i, item in enumerate(items, 1):
                    self._document(fname, i, item)
        for fname, (key, items) in docs:
            if key == "plans":
                for i, item in enumerate(items, 1):
                    self._plan(fname, i, item)
        for fname, (key, items) in docs:
            if key == "concerns":
                for i, item in enumerate(items, 1):
                    self._concern(fname, i, item)
        self._check_sources()
        self._check_links()
        return self.k

    def _read(self, path: Path) -> dict:
        try:
            data = yamlfile.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f" near line {mark.line + 1}" if mark is not None else ""
            raise AreaprofileError(f"{path.name} is not valid YAML{where}; fix the file and load it again.") from exc
        if data is None:
            data = {}
        if not isinstance(data, dict):
            raise AreaprofileError(f"{path.name} must be a mapping with the keys {', '.join(_TOP_KEYS)}.")
        unknown = [k for k in data if k not in _TOP_KEYS]
        if unknown:
            raise AreaprofileError(
                f"{path.name} has an unknown top-level key '{unknown[0]}'; use only {', '.join(_TOP_KEYS)}."
            )
        for key in _TOP_KEYS:
            if key in data and not isinstance(data[key], list):
                raise AreaprofileError(f"{path.name}: '{key}' must be a list of items.")
        return data

    # -- helpers -------------------------------------------------------------------------
    def _fail(self, fname: str, label: str, problem: str) -> None:
        raise AreaprofileError(f"{fname}: {label} {problem}.")

    def _id(self, fname: str, kind: str, pos: int, item: Any, prefix: str | None = None) -> str:
        if not isinstance(item, dict):
            self._fail(fname, f"{kind} number {pos}", "is not a mapping of fields")
        item_id = item.get("id")
        if not isinstance(item_id, str) or not _ID_RE.match(item_id):
            self._fail(fname, f"{kind} number {pos}", "has no valid id (letters, digits, '.', '-' or '_')")
        if prefix is not None and not item_id.startswith(prefix + "."):
            self._fail(fname, f"{kind} '{item_id}'", f"must have an id starting with '{prefix}.'")
        if item_id in self.kinds:
            other = self.k.origin.get(item_id, "?")
            self._fail(fname, f"{kind} '{item_id}'", f"has a duplicate id (already used by a {self.kinds[item_id]} in {other})")
        self.kinds[item_id] = kind
        self.k.origin[item_id] = fname
        return item_id

    def _text(self, fname: str, label: str, item: dict, key: str, required: bool = True) -> str | None:
        value = item.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self._fail(fname, label, f"has no {key}")
            return None
        if isinstance(value, (int, float)):
            value = str(value)
        if not isinstance(value, str):
            self._fail(fname, label, f"has a {key} that is not text")
        return " ".join(value.split())

    def _source(self, fname: str, label: str, item: dict) -> None:
        if "source" not in item or item["source"] in (None, "", {}):
            self._fail(fname, label, 'has no source; add source: {document: <seed id>, section: "<heading>"}')
        self.sources.append((fname, label, item["source"]))
        see_also = item.get("see_also") or []
        if not isinstance(see_also, list):
            self._fail(fname, label, "has a see_also that is not a list of sources")
        for extra in see_also:
            self.sources.append((fname, label, extra))

    def _crime_types(self, fname: str, label: str, value: Any) -> list[str]:
        if not isinstance(value, list) or not value:
            self._fail(fname, label, "needs crime_types as a non-empty list of police.uk types")
        seen: list[str] = []
        for ct in value:
            if ct != ALL_CRIME and ct not in config.CRIME_TYPES:
                hint = difflib.get_close_matches(str(ct), list(config.CRIME_TYPES) + [ALL_CRIME], n=1)
                suggestion = f" (did you mean '{hint[0]}'?)" if hint else ""
                self._fail(
                    fname, label,
                    f"lists unknown crime type '{ct}'{suggestion}; use a police.uk published type "
                    f"({', '.join(config.CRIME_TYPES)}) or '{ALL_CRIME}'",
                )
            if ct in seen:
                self._fail(fname, label, f"lists crime type '{ct}' twice")
            seen.append(ct)
        return seen

    # -- items ---------------------------------------------------------------------------
    def _document(self, fname: str, pos: int, item: Any) -> None:
        doc_id = self._id(fname, "document", pos, item)
        label = f"document '{doc_id}'"
        self._text(fname, label, item, "title")
        self.k.documents[doc_id] = dict(item)

    def _plan(self, fname: str, pos: int, item: Any) -> None:
        plan_id = self._id(fname, "plan", pos, item)
        label = f"plan '{plan_id}'"
        for key in ("title", "period", "status", "publisher"):
            self._text(fname, label, item, key)
        if item["status"] not in PLAN_STATUSES:
            self._fail(fname, label, f"has status '{item['status']}'; use one of {', '.join(PLAN_STATUSES)}")
        self._source(fname, label, item)
        record = {k: v for k, v in item.items() if k not in ("priorities", "measures")}
        record["period"] = str(record["period"])
        record["priority_ids"], record["measure_ids"] = [], []
        self.k.plans[plan_id] = record

        priorities = item.get("priorities") or []
        if not isinstance(priorities, list):
            self._fail(fname, label, "has priorities that are not a list")
        for i, prio in enumerate(priorities, 1):
            self._priority(fname, plan_id, i, prio)
        plan_measures = item.get("measures") or []
        if not isinstance(plan_measures, list):
            self._fail(fname, label, "has measures that are not a list")
        for i, measure in enumerate(plan_measures, 1):
            self._measure(fname, plan_id, None, i, measure)

    def _priority(self, fname: str, plan_id: str, pos: int, item: Any) -> None:
        prio_id = self._id(fname, "priority", pos, item, prefix=plan_id)
        label = f"priority '{prio_id}'"
        self._text(fname, label, item, "title")
        self._text(fname, label, item, "summary")
        self._source(fname, label, item)
        record = {k: v for k, v in item.items() if k not in ("objectives", "measures")}
        record.update(plan=plan_id, objective_ids=[], measure_ids=[])
        self.k.priorities[prio_id] = record
        self.k.plans[plan_id]["priority_ids"].append(prio_id)

        objectives = item.get("objectives") or []
        if not isinstance(objectives, list):
            self._fail(fname, label, "has objectives that are not a list")
        for i, obj in enumerate(objectives, 1):
            obj_id = self._id(fname, "objective", i, obj, prefix=prio_id)
            olabel = f"objective '{obj_id}'"
            if not (obj.get("title") or obj.get("text")):
                self._fail(fname, olabel, "has neither a title nor a text")
            self._source(fname, olabel, obj)
            self.k.objectives[obj_id] = dict(obj, plan=plan_id, priority=prio_id)
            record["objective_ids"].append(obj_id)

        measures = item.get("measures") or []
        if not isinstance(measures, list):
            self._fail(fname, label, "has measures that are not a list")
        for i, measure in enumerate(measures, 1):
            self._measure(fname, plan_id, prio_id, i, measure)

    def _measure(self, fname: str, plan_id: str, prio_id: str | None, pos: int, item: Any) -> None:
        measure_id = self._id(fname, "measure", pos, item, prefix=prio_id or plan_id)
        label = f"measure '{measure_id}'"
        self._text(fname, label, item, "title")
        self._source(fname, label, item)
        if prio_id is not None:
            linked = [prio_id]
        else:
            linked = item.get("priorities") or []
            if not isinstance(linked, list):
                self._fail(fname, label, "has priorities that are not a list of ids")
            for target in linked:
                self.links.append((fname, label, target, ("priority",)))
                if isinstance(target, str) and not target.startswith(plan_id + "."):
                    self._fail(fname, label, f"links to priority '{target}' of another plan")

        pu = item.get("police_uk")
        if not isinstance(pu, dict) or not isinstance(pu.get("computable"), bool):
            self._fail(fname, label, "needs police_uk: {computable: true/false, ...}")
        if pu["computable"]:
            self._crime_types(fname, label, pu.get("crime_types"))
            if pu.get("fit") not in FITS:
                self._fail(fname, label, f"is computable but its police_uk.fit is not one of {', '.join(FITS)}")
            self._text(fname, label, pu, "how")
        else:
            if pu.get("crime_types"):
                self._fail(fname, label, "is marked not computable yet lists crime_types")
            self._text(fname, label + " (not computable)", pu, "needs")

        record = dict(item, plan=plan_id, priority=prio_id, priorities=list(linked))
        self.k.measures[measure_id] = record
        self.k.plans[plan_id]["measure_ids"].append(measure_id)
        if prio_id is not None:
            self.k.priorities[prio_id]["measure_ids"].append(measure_id)

    def _concern(self, fname: str, pos: int, item: Any) -> None:
        concern_id = self._id(fname, "concern", pos, item)
        label = f"concern '{concern_id}'"
        for key in ("title", "summary", "raised", "raised_by"):
            self._text(fname, label, item, key)
        self._source(fname, label, item)

        areas = item.get("areas")
        if not isinstance(areas, list) or not areas:
            self._fail(fname, label, f"needs areas: a list of one or more of {', '.join(self.areas)}")
        for area in areas:
            if area not in self.areas:
                hint = difflib.get_close_matches(str(area), self.areas, n=1)
                suggestion = f" (did you mean '{hint[0]}'?)" if hint else ""
                self._fail(fname, label, f"names unknown area '{area}'{suggestion}; use one of {', '.join(self.areas)}")
        if len(set(areas)) != len(areas):
            self._fail(fname, label, "lists an area twice")

        has_types = bool(item.get("crime_types"))
        coverage = item.get("police_uk")
        if coverage is None:
            coverage = "none" if not has_types else ("partial" if item.get("would_be_measured_by") else "full")
        if coverage not in COVERAGE:
            self._fail(fname, label, f"has police_uk '{coverage}'; use one of {', '.join(COVERAGE)}")
        if coverage == "none":
            if has_types:
                self._fail(fname, label, "says police_uk: none yet lists crime_types")
            self._text(fname, label, item, "would_be_measured_by")
            types: list[str] = []
        else:
            types = self._crime_types(fname, label, item.get("crime_types"))
            if coverage == "partial":
                self._text(fname, label, item, "would_be_measured_by")

        links = item.get("priorities")
        if not isinstance(links, list) or not links:
            self._fail(fname, label, "needs priorities: the ids of the plan priorities, objectives or measures it serves")
        for target in links:
            self.links.append((fname, label, target, ("priority", "objective", "measure")))

        record = dict(item, raised=str(item["raised"]), police_uk=coverage, crime_types=types, priorities=list(links))
        self.k.concerns[concern_id] = record

    # -- cross checks --------------------------------------------------------------------
    def _check_sources(self) -> None:
        for fname, label, source in self.sources:
            if not isinstance(source, dict):
                self._fail(fname, label, 'has a source that is not {document: ..., section: ...}')
            doc = source.get("document")
            if not doc:
                self._fail(fname, label, "has a source without a document")
            if doc not in self.k.documents:
                self._fail(fname, label, f"cites unknown document '{doc}'; add it to documents.yaml")
            section = source.get("section")
            if not isinstance(section, str) or not section.strip():
                self._fail(fname, label, f"cites document '{doc}' without a section")

    def _check_links(self) -> None:
        for fname, label, target, allowed in self.links:
            kind = self.kinds.get(target) if isinstance(target, str) else None
            if kind not in allowed:
                what = allowed[0] if len(allowed) == 1 else f"{', '.join(allowed[:-1])} or {allowed[-1]}"
                if kind is None:
                    self._fail(fname, label, f"links to unknown {what} id '{target}'")
                self._fail(fname, label, f"links to '{target}', which is a {kind}, not a {what}")


# --------------------------------------------------------------------------------------------
# Queries


def normalise_area(area: str, knowledge: Knowledge | None = None) -> str:
    """The exact area name for user input in any case and spacing, so CLI flags are forgiving."""
    from areaprofile.partnership import match_area

    return match_area(area, _kb(knowledge).areas)


def _kb(knowledge: Knowledge | None) -> Knowledge:
    return knowledge if knowledge is not None else load_knowledge()


def plans(knowledge: Knowledge | None = None) -> list[dict]:
    """Every plan, in file order, so pages can list them with their status and period."""
    return [copy.deepcopy(p) for p in _kb(knowledge).plans.values()]


def _check_plan(kb: Knowledge, plan_id: str | None) -> None:
    if plan_id is not None and plan_id not in kb.plans:
        raise AreaprofileError(f"Unknown plan '{plan_id}'; choose one of {', '.join(kb.plans)}.")


def priorities(plan_id: str | None = None, knowledge: Knowledge | None = None) -> list[dict]:
    """Priorities of one plan (or all), each with its plan id and objective/measure ids."""
    kb = _kb(knowledge)
    _check_plan(kb, plan_id)
    return [copy.deepcopy(p) for p in kb.priorities.values() if plan_id is None or p["plan"] == plan_id]


def objectives(priority_id: str | None = None, knowledge: Knowledge | None = None) -> list[dict]:
    """Objectives of one priority (or all), for the concerns-and-priorities page."""
    kb = _kb(knowledge)
    if priority_id is not None and priority_id not in kb.priorities:
        raise AreaprofileError(f"Unknown priority '{priority_id}'.")
    return [copy.deepcopy(o) for o in kb.objectives.values() if priority_id is None or o["priority"] == priority_id]


def measures(
    plan_id: str | None = None, knowledge: Knowledge | None = None, computable: bool | None = None
) -> list[dict]:
    """Measures of one plan (or all); ``computable=True`` keeps those police.uk can answer."""
    kb = _kb(knowledge)
    _check_plan(kb, plan_id)
    out = []
    for m in kb.measures.values():
        if plan_id is not None and m["plan"] != plan_id:
            continue
        if computable is not None and m["police_uk"]["computable"] is not computable:
            continue
        out.append(copy.deepcopy(m))
    return out


def expand_crime_types(types: Iterable[str] | None) -> list[str]:
    """Published types in config order, with 'All crime' expanded to every type except ASB."""
    wanted = set()
    for ct in types or []:
        if ct == ALL_CRIME:
            wanted.update(t for t in config.CRIME_TYPES if t != config.ASB)
        elif ct in config.CRIME_TYPES:
            wanted.add(ct)
        else:
            raise AreaprofileError(f"Unknown crime type '{ct}'; use a police.uk published type or '{ALL_CRIME}'.")
    return [t for t in config.CRIME_TYPES if t in wanted]


def concern_crime_types(concern: dict | str, knowledge: Knowledge | None = None) -> list[str]:
    """The police.uk types to count for a concern (empty when police.uk cannot measure it)."""
    if isinstance(concern, str):
        kb = _kb(knowledge)
        if concern not in kb.concerns:
            raise AreaprofileError(f"Unknown concern '{concern}'.")
        concern = kb.concerns[concern]
    if concern.get("police_uk") == "none":
        return []
    return expand_crime_types(concern.get("crime_types"))


def measure_crime_types(measure: dict | str, knowledge: Knowledge | None = None) -> list[str]:
    """The police.uk types a measure counts (empty when it is not computable from police.uk)."""
    if isinstance(measure, str):
        kb = _kb(knowledge)
        if measure not in kb.measures:
            raise AreaprofileError(f"Unknown measure '{measure}'.")
        measure = kb.measures[measure]
    pu = measure.get("police_uk") or {}
    return expand_crime_types(pu.get("crime_types")) if pu.get("computable") else []


def concerns_for_area(area: str, knowledge: Knowledge | None = None) -> list[dict]:
    """Concerns that name this forum area, in file order (unknown area -> AreaprofileError)."""
    kb = _kb(knowledge)
    name = normalise_area(area, kb)
    return [copy.deepcopy(c) for c in kb.concerns.values() if name in c["areas"]]


def _link_record(kb: Knowledge, target: str) -> dict:
    kind = kb.kind(target)
    item = kb.item(target)
    plan_id = item.get("plan") if kind != "plan" else target
    return {
        "id": target,
        "kind": kind,
        "title": item.get("title") or item.get("text"),
        "plan": plan_id,
        "plan_title": kb.plans[plan_id]["title"] if plan_id in kb.plans else None,
    }


def concerns_as_records(area: str, knowledge: Knowledge | None = None) -> list[dict]:
    """Flat, JSON-ready records of an area's concerns, with sources and links spelled out."""
    kb = _kb(knowledge)
    records = []
    for c in concerns_for_area(area, kb):
        src = c["source"]
        doc = kb.documents[src["document"]]
        records.append(
            {
                "id": c["id"],
                "title": c["title"],
                "summary": " ".join(c["summary"].split()),
                "areas": list(c["areas"]),
                "area_specific": len(c["areas"]) < len(kb.areas),
                "raised": c["raised"],
                "raised_note": c.get("raised_note"),
                "raised_by": c["raised_by"],
                "source": {
                    "document": src["document"],
                    "document_title": doc["title"],
                    "section": src["section"],
                    "item": None if src.get("item") is None else str(src["item"]),
                    "page": src.get("page"),
                },
                "police_uk": c["police_uk"],
                "crime_types": concern_crime_types(c),
                "would_be_measured_by": c.get("would_be_measured_by"),
                "notes": " ".join(c["notes"].split()) if c.get("notes") else None,
                "links": [_link_record(kb, t) for t in c["priorities"]],
            }
        )
    return records


def concerns_json(area: str, knowledge: Knowledge | None = None) -> str:
    """The area's concern records as a JSON array, for ``areaprofile concerns --format json``."""
    return json.dumps(concerns_as_records(area, knowledge), indent=2, ensure_ascii=False)
