"""The settings of one community safety partnership, from ``geo/<LA code>.yaml``.

A partnership is a local authority with its police force(s), its area schemes (named groups
of parishes, wards or LSOAs, each member with its evidence and how sure that is), its plan
knowledge folder, its place-specific caveats and the reference files to build from. The
build stores the settings in the store's meta, so one store is one partnership and the app,
the CLI and the pack read it from the store they open (:func:`of_store`), never from a
constant. Any mistake in a settings file becomes one sentence naming the file and the fix.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from areaprofile import yamlfile
from areaprofile.config import GEO_DIR, PROJECT_ROOT
from areaprofile.errors import AreaprofileError

LA_CODE = re.compile(r"^[EW]0[6-9]\d{6}$")
MEMBER_KINDS = ("parish", "ward", "lsoa")
CONFIDENCE = ("stated", "inferred")
MEMBER_CODE = {"parish": re.compile(r"^[EW]04\d{6}$"), "ward": re.compile(r"^[EW]05\d{6}$"),
               "lsoa": re.compile(r"^[EW]01\d{6}$")}
#: Reference files a partnership names (relative glob patterns below the source folder).
FILE_KEYS = ("lsoa11", "lsoa21", "wards", "parishes", "la", "population_2021", "population_2015", "lsoa_centres",
             "lsoa_ward_lookup")
REQUIRED_FILES = ("lsoa11", "lsoa21", "wards", "population_2021")
#: Environment variable naming the partnership a build uses when no --la is given.
ENV_DEFAULT = "AREAPROFILE_LA"
META_KEY = "partnership"


@dataclass(frozen=True)
class Member:
    """One parish, ward or LSOA of an area, with why it belongs there."""

    code: str
    name: str
    confidence: str = ""
    evidence: str = ""


@dataclass(frozen=True)
class AreaSpec:
    """One area of a scheme: its members, or (``rest``) every LSOA no other area takes."""

    name: str
    body: str  # the forum or committee that meets for it
    confidence: str
    evidence: str
    members: tuple[Member, ...] = ()
    rest: bool = False
    rest_description: str = ""

    @property
    def member_names(self) -> str:
        return ", ".join(m.name for m in self.members) or self.rest_description


@dataclass(frozen=True)
class Scheme:
    """A way of dividing the partnership into areas (e.g. forums 2018-21, committee areas, wards)."""

    id: str
    name: str
    kind: str  # what the members are: parish, ward or lsoa
    description: str
    areas: tuple[AreaSpec, ...]

    @property
    def area_names(self) -> tuple[str, ...]:
        return tuple(a.name for a in self.areas)

    def area(self, name: str) -> AreaSpec:
        return next(a for a in self.areas if a.name == name)


@dataclass(frozen=True)
class Force:
    id: str  # the police.uk force id, as in the street file names
    name: str


@dataclass(frozen=True)
class Caveat:
    """A place-specific warning; ``area`` names the area it is about (None: everywhere)."""

    text: str
    area: str | None = None


@dataclass(frozen=True)
class Partnership:
    la_code: str
    la_name: str
    short_name: str  # how pages name the whole partnership ('All <short_name>')
    partnership_name: str
    lsoa_name_prefix: str  # police.uk LSOA names of this LA start with it
    forces: tuple[Force, ...]
    schemes: tuple[Scheme, ...]
    knowledge_dir: Path | None
    knowledge_note: str
    caveats: tuple[Caveat, ...]
    files: dict[str, tuple[str, ...]]
    scheme_note: str = ""
    #: The forum-update pack's heading and the line above it; {area}, {body}, {la_name} and
    #: {scheme} are filled in.
    pack_title: str = "{body}: community safety update"
    pack_kicker: str = "{la_name} · Community safety area pack"
    source: str = ""  # the settings file it came from
    document: dict = field(default_factory=dict, repr=False, compare=False, hash=False)

    # -- what most callers need ----------------------------------------------------------------

    @property
    def default_scheme(self) -> Scheme:
        return self.schemes[0]

    @property
    def area_names(self) -> tuple[str, ...]:
        """The areas of the default (first) scheme, in the order they are shown everywhere."""
        return self.default_scheme.area_names

    @property
    def all_label(self) -> str:
        """The name of the whole partnership as one choice, e.g. 'All Anytown'."""
        return f"All {self.short_name}"

    @property
    def force(self) -> Force:
        return self.forces[0]

    @property
    def force_names(self) -> str:
        return " and ".join(f.name for f in self.forces)

    def scheme(self, scheme_id: str | None) -> Scheme:
        if scheme_id is None:
            return self.default_scheme
        for scheme in self.schemes:
            if scheme.id == scheme_id:
                return scheme
        raise AreaprofileError(
            f"Unknown area scheme '{scheme_id}'; {self.short_name} has {', '.join(s.id for s in self.schemes)}."
        )

    def caveats_for(self, area: str | None) -> list[str]:
        """Caveats that apply to one area (or to the whole partnership when ``area`` is None)."""
        return [c.text for c in self.caveats if c.area is None or area is None or c.area == area]

    def pack_words(self, area: str, scheme: Scheme | None = None) -> tuple[str, str]:
        """(title, kicker) of the forum-update pack for ``area`` of ``scheme`` (default: the first)."""
        scheme = scheme or self.default_scheme
        spec = scheme.area(area) if area in scheme.area_names else None
        fields = {"area": area, "body": spec.body if spec else area, "la_name": self.la_name, "scheme": scheme.name}
        return self.pack_title.format(**fields), self.pack_kicker.format(**fields)

    def to_json(self) -> str:
        return json.dumps({"source": self.source, "settings": self.document}, ensure_ascii=False, sort_keys=True)


# ---- finding and loading settings files -----------------------------------------------------


def match_area(text, names) -> str:
    """The exact name among ``names`` for input in any case and spacing ('  area 4' -> 'Area 4')."""
    if isinstance(text, str):
        wanted = " ".join(text.split()).casefold()
        for name in names:
            if name.casefold() == wanted:
                return name
    raise AreaprofileError(f"Unknown area '{text}'; choose one of {', '.join(names)}.")


def settings_path(la_code: str) -> Path:
    return GEO_DIR / f"{la_code}.yaml"


def available() -> list[str]:
    """LA codes that have a settings file."""
    return sorted(p.stem for p in GEO_DIR.glob("*.yaml") if LA_CODE.match(p.stem))


def default_la_code() -> str:
    """$AREAPROFILE_LA, else the settings file marked ``default: true``."""
    chosen = os.environ.get(ENV_DEFAULT)
    if chosen:
        return chosen
    for code in available():
        try:
            if (yamlfile.safe_load(settings_path(code).read_text(encoding="utf-8")) or {}).get("default") is True:
                return code
        except (OSError, yaml.YAMLError):
            continue
    raise AreaprofileError(f"{GEO_DIR}: no settings file is marked 'default: true'; give --la CODE.")


def load(la_code: str | None = None) -> Partnership:
    """The partnership of ``la_code`` (default: :func:`default_la_code`) from ``geo/<code>.yaml``."""
    la_code = la_code or default_la_code()
    if not LA_CODE.match(la_code):
        raise AreaprofileError(f"'{la_code}' is not a local-authority code; write it like E06000001.")
    path = settings_path(la_code)
    if not path.exists():
        have = ", ".join(available()) or "none"
        raise AreaprofileError(
            f"No settings file for {la_code} ({path.name} in geo/); write one like the others (there are: {have})."
        )
    return load_file(path)


def load_file(path: str | Path) -> Partnership:
    path = Path(path)
    try:
        document = yamlfile.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        problem = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise AreaprofileError(f"{path}: cannot read the partnership settings ({problem}).") from None
    return from_document(document, str(_relative(path)))


def default() -> Partnership:
    """The default partnership (for code that has no store to ask)."""
    return load(None)


def of_store(store) -> Partnership:
    """The partnership a store was built for (its meta), cached per store version.

    Accepts a :class:`areaprofile.query.Store`. Stores built before the settings existed
    fall back to the settings file of their ``la_code``.
    """
    key = (str(getattr(store, "path", "")), getattr(store, "version", id(store)))
    cached = _BY_STORE.get(key)
    if cached is not None:
        return cached
    text = store.scalar("SELECT value FROM meta WHERE key = ?", [META_KEY])
    if text:
        saved = json.loads(text)
        found = from_document(saved["settings"], saved.get("source", "store meta"))
    else:
        found = load(store.scalar("SELECT value FROM meta WHERE key = 'la_code'"))
    if len(_BY_STORE) > 32:
        _BY_STORE.clear()
    _BY_STORE[key] = found
    return found


_BY_STORE: dict[tuple, Partnership] = {}


def of_store_path(path: str | Path | None = None) -> Partnership:
    """The partnership of the store file at ``path`` (default: the app's store), e.g. for the
    monthly update: ``.force.id``, ``.la_code``, ``.la_name``, ``.files``."""
    from areaprofile import query

    return of_store(query.open_store(path))


def from_meta(text: str) -> Partnership:
    saved = json.loads(text)
    return from_document(saved["settings"], saved.get("source", "store meta"))


# ---- validation -----------------------------------------------------------------------------


def from_document(document, source: str) -> Partnership:
    """Check a settings document and turn it into a :class:`Partnership`."""
    check = _Checker(source)
    if not isinstance(document, dict):
        check.fail("", "must be a mapping of settings (la_code, la_name, forces, schemes, files)")
    la_code = check.text(document, "la_code")
    if not LA_CODE.match(la_code):
        check.fail("la_code", f"'{la_code}' is not a local-authority code like E06000001")
    if source.endswith(".yaml") and Path(source).stem != la_code:
        check.fail("la_code", f"is {la_code} but the file is named {Path(source).name}; name it {la_code}.yaml")
    la_name = check.text(document, "la_name")
    forces = []
    for i, item in enumerate(check.items(document, "forces")):
        forces.append(Force(id=check.text(item, "id", f"forces[{i}]"), name=check.text(item, "name", f"forces[{i}]")))
    files = {}
    given = document.get("files")
    if not isinstance(given, dict):
        check.fail("files", f"must map each of {', '.join(REQUIRED_FILES)} to a path below the source folder")
    for key, value in given.items():
        if key not in FILE_KEYS:
            check.fail(f"files.{key}", f"is not a known file; use {', '.join(FILE_KEYS)}")
        patterns = (value,) if isinstance(value, str) else tuple(value or ())
        if not patterns or not all(isinstance(p, str) and p and not p.startswith("/") and ".." not in p for p in patterns):
            check.fail(f"files.{key}", "must be a path (or list of paths) relative to the source folder")
        files[key] = patterns
    for key in REQUIRED_FILES:
        if key not in files:
            check.fail("files", f"needs '{key}' ({key.replace('_', ' ')})")
    schemes = [_scheme(check, item, i) for i, item in enumerate(check.items(document, "schemes"))]
    ids = [s.id for s in schemes]
    if len(set(ids)) != len(ids):
        check.fail("schemes", "two schemes share an id; give each its own")
    if any(s.kind == "parish" for s in schemes) and "parishes" not in files:
        check.fail("files", "needs 'parishes' because a scheme is made of parishes")
    area_names = {a.name for s in schemes for a in s.areas}
    caveats = []
    for i, item in enumerate(document.get("caveats") or []):
        if not isinstance(item, dict):
            check.fail(f"caveats[{i}]", "must have 'text' (and optionally 'area')")
        area = item.get("area")
        if area is not None and area not in area_names:
            check.fail(f"caveats[{i}].area", f"names '{area}', which is in no scheme")
        caveats.append(Caveat(text=_words(check.text(item, "text", f"caveats[{i}]")), area=area))
    knowledge = document.get("knowledge")
    knowledge_dir = None
    if knowledge:
        knowledge_dir = (PROJECT_ROOT / str(knowledge)).resolve()
        if not knowledge_dir.is_dir():
            check.fail("knowledge", f"names the folder {knowledge}, which does not exist")
    return Partnership(
        la_code=la_code,
        la_name=la_name,
        short_name=str(document.get("short_name") or la_name),
        partnership_name=str(document.get("partnership_name") or f"{la_name} community safety partnership"),
        lsoa_name_prefix=str(document.get("lsoa_name_prefix") or la_name),
        forces=tuple(forces),
        schemes=tuple(schemes),
        knowledge_dir=knowledge_dir,
        knowledge_note=_words(document.get("knowledge_note", "")),
        caveats=tuple(caveats),
        files=files,
        scheme_note=_words(document.get("scheme_note", "")),
        **_pack_words(check, document),
        source=source,
        document=document,
    )


def _pack_words(check: "_Checker", document: dict) -> dict:
    words = {}
    for key in ("pack_title", "pack_kicker"):
        if document.get(key) is not None:
            text = _words(document[key])
            try:
                text.format(area="", body="", la_name="", scheme="")
            except (KeyError, IndexError, ValueError):
                check.fail(key, "may only fill in {area}, {body}, {la_name} and {scheme}")
            words[key] = text
    return words


def _scheme(check: "_Checker", item, i: int) -> Scheme:
    where = f"schemes[{i}]"
    scheme_id = check.text(item, "id", where)
    if not re.match(r"^[a-z0-9][a-z0-9-]*$", scheme_id):
        check.fail(f"{where}.id", f"'{scheme_id}' must be lower-case letters, digits and hyphens (it goes in links)")
    kind = check.text(item, "members", where)
    if kind not in MEMBER_KINDS:
        check.fail(f"{where}.members", f"is '{kind}'; use one of {', '.join(MEMBER_KINDS)}")
    areas = []
    for j, area in enumerate(check.items(item, "areas", where)):
        at = f"{where}.areas[{j}]"
        name = check.text(area, "name", at)
        confidence = check.text(area, "confidence", at)
        if confidence not in CONFIDENCE:
            check.fail(f"{at}.confidence", f"is '{confidence}'; use one of {', '.join(CONFIDENCE)}")
        members = []
        for k, member in enumerate(area.get(_plural(kind)) or []):
            mat = f"{at}.{_plural(kind)}[{k}]"
            code = check.text(member, "code", mat)
            if not MEMBER_CODE[kind].match(code):
                check.fail(f"{mat}.code", f"'{code}' is not a {kind} code")
            member_confidence = str(member.get("confidence") or confidence)
            if member_confidence not in CONFIDENCE:
                check.fail(f"{mat}.confidence", f"is '{member_confidence}'; use one of {', '.join(CONFIDENCE)}")
            members.append(Member(code=code, name=check.text(member, "name", mat), confidence=member_confidence,
                                  evidence=_words(member.get("evidence") or area.get("evidence", ""))))
        rest = bool(area.get("rest", False))
        if not members and not rest:
            check.fail(at, f"lists no {_plural(kind)}; list them, or say 'rest: true' for the area that takes the remainder")
        areas.append(AreaSpec(name=name, body=str(area.get("body") or name), confidence=confidence,
                              evidence=_words(check.text(area, "evidence", at)), members=tuple(members), rest=rest,
                              rest_description=_words(area.get("rest_description", ""))))
    names = [a.name for a in areas]
    if len(set(names)) != len(names):
        check.fail(where, "two areas share a name; give each its own")
    if sum(a.rest for a in areas) > 1:
        check.fail(where, "more than one area says 'rest: true'; only one can take the remainder")
    codes = [m.code for a in areas for m in a.members]
    if len(set(codes)) != len(codes):
        twice = sorted({c for c in codes if codes.count(c) > 1})
        check.fail(where, f"{kind} {twice[0]} is listed in two areas; keep it in one")
    return Scheme(id=scheme_id, name=check.text(item, "name", where), kind=kind,
                  description=_words(item.get("description", "")), areas=tuple(areas))


class _Checker:
    def __init__(self, source: str):
        self.source = source

    def fail(self, where: str, problem: str):
        place = f" {where}" if where else ""
        raise AreaprofileError(f"{self.source}:{place} {problem}.")

    def text(self, item, key: str, where: str = "") -> str:
        value = item.get(key) if isinstance(item, dict) else None
        if value is None or (isinstance(value, str) and not value.strip()) or isinstance(value, (dict, list)):
            self.fail(f"{where}.{key}".lstrip("."), "is missing; write it as text")
        return str(value).strip()

    def items(self, item, key: str, where: str = "") -> list:
        value = item.get(key) if isinstance(item, dict) else None
        if not isinstance(value, list) or not value or not all(isinstance(v, dict) for v in value):
            self.fail(f"{where}.{key}".lstrip("."), "must be a list with at least one entry")
        return value


def _plural(kind: str) -> str:
    return {"parish": "parishes", "ward": "wards", "lsoa": "lsoas"}[kind]


def _words(text) -> str:
    return " ".join(str(text or "").split())


def _relative(path: Path) -> Path:
    try:
        return path.resolve().relative_to(PROJECT_ROOT)
    except ValueError:
        return path
