"""Export the register to YAML or CSV, and import such a file back: whole or not at all.

An import is checked completely before anything is written: file size and encoding, every
field (areas, crime types, plan links, dates, lengths), control characters, duplicate ids,
unknown concern ids, and that no concern changed in the register since the file was exported
(its ``version``). Then every change is applied in ONE transaction, each recorded in the history
as the importing account. Any problem is one sentence naming the row and field; the register
is then exactly as it was.

Markup such as ``<script>`` is text like any other and round-trips unchanged. In CSV a cell
that a spreadsheet would run as a formula (``=``, ``+``, ``-``, ``@``) is written with a leading
``'``, which the import takes off again.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
import yaml

from areaprofile import yamlfile
from areaprofile.register import concerns as rc
from areaprofile.register import models, validate
from areaprofile.register.accounts import User, require_can_edit
from areaprofile.register.clock import iso, utcnow
from areaprofile.register.db import Register
from areaprofile.register.validate import InvalidField, RegisterError

FORMAT = "areaprofile-register"
#: Largest file an import reads, and most concerns and actions per concern.
MAX_BYTES = 5 * 1024 * 1024
MAX_CONCERNS = 5_000
MAX_ACTIONS = 2_000
#: Concern fields in a file, in column order (CSV) and key order (YAML).
FIELDS = ("id", "version", "title", "summary", "areas", "raised_on", "raised_note", "raised_by_kind", "raised_by",
          "source", "crime_types", "measured_by", "links", "notes", "status", "status_on", "removed_reason")
LIST_FIELDS = ("areas", "crime_types", "links")
ACTION_FIELDS = ("id", "date", "text", "by")
_FORMULA_START = ("=", "+", "-", "@", "'", "\t", "\r")
_MULTILINE = {"summary", "measured_by", "notes", "removed_reason", "source", "text"}


class ImportRefused(RegisterError):
    """The file was not imported; nothing was written."""


@dataclass(frozen=True)
class ImportSummary:
    added: int
    changed: int
    actions: int
    unchanged: int

    @property
    def sentence(self) -> str:
        return (f"Imported: {self.added} new concern(s), {self.changed} changed, {self.actions} new action(s); "
                f"{self.unchanged} unchanged.")


# --------------------------------------------------------------------------------------------
# Export


def _export_record(c: dict) -> dict:
    record = {key: c[key] for key in FIELDS}
    record["actions"] = [{key: a[key] for key in ACTION_FIELDS} for a in sorted(c["actions"], key=lambda a: a["id"])]
    return record


def export_records(register: Register) -> list[dict]:
    """Every concern (removed ones too) with its actions, as written to a file."""
    return [_export_record(c) for c in sorted(rc.list_concerns(register, include_removed=True), key=lambda c: c["id"])]


def export_yaml(register: Register, records: list[dict] | None = None) -> str:
    records = export_records(register) if records is None else records
    document = {"format": FORMAT, "exported_at": iso(utcnow()), "concerns": records}
    return yaml.safe_dump(document, allow_unicode=True, sort_keys=False, width=100)


def csv_cell(value) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def _csv_value(cell: str) -> str:
    return cell[1:] if cell.startswith("'") and cell[1:2] and cell[1:2] in _FORMULA_START else cell


def export_csv(register: Register, records: list[dict] | None = None) -> str:
    """One row per concern; list columns joined with '; ', actions as a JSON array in one column."""
    records = export_records(register) if records is None else records
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(list(FIELDS) + ["actions"])
    for record in records:
        row = []
        for key in FIELDS:
            value = record[key]
            row.append(csv_cell("; ".join(value) if key in LIST_FIELDS else value))
        row.append(csv_cell(json.dumps(record["actions"], ensure_ascii=False)))
        writer.writerow(row)
    return out.getvalue()


def export_file(register: Register, path: str | Path) -> int:
    """Write the register to ``path`` (.yaml/.yml or .csv, by its suffix); how many concerns."""
    path = Path(path)
    kind = _kind(path)
    records = export_records(register)
    text = export_yaml(register, records) if kind == "yaml" else export_csv(register, records)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8", newline="")
    tmp.replace(path)
    return len(records)


def _kind(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in (".yaml", ".yml"):
        return "yaml"
    if suffix == ".csv":
        return "csv"
    raise ImportRefused(f"{path.name}: use a .yaml or .csv file.")


# --------------------------------------------------------------------------------------------
# Reading a file


def _refuse_aliases(text: str) -> None:
    """Refuse anchors and aliases: a small file could otherwise expand enormously."""
    for event in yaml.parse(text, Loader=yamlfile.SafeLoader):
        if isinstance(event, yaml.AliasEvent):
            raise ImportRefused("The YAML file uses aliases (*name); write each value out in full.")


def read_entries(path: str | Path) -> list[dict]:
    """The file's concerns as dicts of raw values (before any check of their fields)."""
    path = Path(path)
    kind = _kind(path)
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise ImportRefused(f"There is no file {path}.") from None
    if size > MAX_BYTES:
        raise ImportRefused(f"{path.name} is {size / 1e6:.1f} MB; an import takes at most {MAX_BYTES / 1e6:.0f} MB.")
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportRefused(f"{path.name} is not UTF-8 text; save it as UTF-8 and import again.") from None
    return _yaml_entries(path.name, text) if kind == "yaml" else _csv_entries(path.name, text)


def _yaml_entries(name: str, text: str) -> list[dict]:
    try:
        _refuse_aliases(text)
        document = yamlfile.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" near line {mark.line + 1}" if mark is not None else ""
        raise ImportRefused(f"{name} is not valid YAML{where}; fix it and import again.") from None
    if isinstance(document, dict) and "concerns" in document:
        if document.get("format") not in (None, FORMAT):
            raise ImportRefused(f"{name} is not an areaprofile register export (format '{document.get('format')}').")
        document = document["concerns"]
    if not isinstance(document, list) or not all(isinstance(item, dict) for item in document):
        raise ImportRefused(f"{name} must hold a list of concerns (as `areaprofile concerns export` writes).")
    return document


def _csv_entries(name: str, text: str) -> list[dict]:
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        rows = list(reader)
    except csv.Error as exc:
        raise ImportRefused(f"{name} is not valid CSV ({exc}); fix it and import again.") from None
    if not rows:
        raise ImportRefused(f"{name} is empty.")
    header = [h.strip() for h in rows[0]]
    unknown = [h for h in header if h not in FIELDS + ("actions",)]
    if unknown:
        raise ImportRefused(f"{name} has an unknown column '{unknown[0][:40]}'; use {', '.join(FIELDS)}, actions.")
    entries = []
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            raise ImportRefused(f"{name} row {number} has {len(row)} cells, the header {len(header)}.")
        entry: dict = {}
        for key, cell in zip(header, row):
            value = _csv_value(cell)
            if key in LIST_FIELDS:
                entry[key] = [part.strip() for part in value.split(";") if part.strip()]
            elif key == "actions":
                try:
                    entry[key] = json.loads(value) if value.strip() else []
                except json.JSONDecodeError:
                    raise ImportRefused(f"{name} row {number}: the actions cell is not a JSON list.") from None
            else:
                entry[key] = value if value != "" else None
        entry["_row"] = number
        entries.append(entry)
    return entries


# --------------------------------------------------------------------------------------------
# Checking and applying


@dataclass
class _Planned:
    label: str
    concern_id: str | None
    exists: bool
    version: int | None
    fields: dict
    status: str
    status_on: dt.date | None
    removed_reason: str | None
    actions: list[dict]


def _no_controls(label: str, key: str, value) -> None:
    """Refuse control characters anywhere in a value (line breaks and tabs only in long texts)."""
    if isinstance(value, str):
        for ch in value:
            if unicodedata.category(ch) in ("Cc", "Cs") and not (key in _MULTILINE and ch in "\n\t\r"):
                raise ImportRefused(f"{label}: the {key} holds a control character (U+{ord(ch):04X}); remove it and import again.")
    elif isinstance(value, list):
        for item in value:
            _no_controls(label, key, item)


def _date_or_none(key: str, value) -> dt.date | None:
    if value in (None, ""):
        return None
    return validate.parse_date(str(value) if not isinstance(value, dt.date) else value, key.replace("_", " "))


def _plan(entry: dict, position: int, existing: dict, seen: set, knowledge) -> _Planned:
    raw_id = entry.get("id")
    label = f"Row {entry.get('_row', position)}" + (f" (id {str(raw_id)[:80]})" if raw_id else "")
    unknown = [k for k in entry if k not in FIELDS and k not in ("actions", "_row")]
    if unknown:
        raise ImportRefused(f"{label}: unknown field '{str(unknown[0])[:40]}'; use {', '.join(FIELDS)}, actions.")
    for key, value in entry.items():
        if key != "actions":
            _no_controls(label, key, value)
    concern_id = validate.concern_id(str(raw_id)) if raw_id not in (None, "") else None
    if concern_id is not None:
        if concern_id in seen:
            raise ImportRefused(f"{label}: the id {concern_id} appears twice in the file.")
        seen.add(concern_id)
    version = entry.get("version")
    if version not in (None, ""):
        try:
            version = int(version)
        except (TypeError, ValueError):
            raise ImportRefused(f"{label}: the version '{str(version)[:20]}' is not a whole number.") from None
    else:
        version = None
    exists = concern_id in existing
    if version is not None and not exists:
        raise ImportRefused(
            f"{label}: there is no concern {concern_id} in this register; leave its version empty to add it as new."
        )
    if exists and version is None:
        raise ImportRefused(f"{label}: the register already has a concern {concern_id}; give its version to change it.")
    current = existing.get(concern_id)
    if exists and version != current.version:
        raise ImportRefused(
            f"{label}: concern {concern_id} changed in the register since this file was made "
            f"(version {current.version} there, {version} in the file); export again and redo the change."
        )
    given = {k: entry[k] for k in rc.EDITABLE if k in entry}
    for key in ("crime_types", "links", "areas"):
        if key in given and given[key] is None:
            given[key] = []
        if key in given and isinstance(given[key], str):
            given[key] = [given[key]]
    if exists:
        # Seeded concerns have no date or 'raised by' kind: empty stays empty.
        for key in ("raised_on", "raised_by_kind"):
            if key in given and given[key] in (None, "") and getattr(current, key) is None:
                given.pop(key)
        for key in ("summary", "source", "raised_by"):
            if key in given and given[key] is None:
                given[key] = ""
    if not exists:
        given = {**rc.NEW_DEFAULTS, **{k: v for k, v in given.items() if v is not None}}
    try:
        fields = rc.check_fields(given, knowledge)
    except InvalidField as exc:
        raise ImportRefused(f"{label}: {exc.message}") from None
    if not exists:
        for key in ("title", "areas", "raised_on", "raised_by_kind"):
            if key not in fields:
                raise ImportRefused(f"{label}: a new concern needs its {key.replace('_', ' ')}.")
        if not fields.get("crime_types") and not fields.get("measured_by"):
            raise ImportRefused(f"{label}: give the police.uk crime types or what would measure it.")
    status_text = entry.get("status") or (current.status if exists else "open")
    status = models.REMOVED if status_text == models.REMOVED else None
    if status is None:
        try:
            status = validate.status(status_text)
        except InvalidField as exc:
            raise ImportRefused(f"{label}: {exc.message}") from None
    try:
        status_on = _date_or_none("status_date", entry.get("status_on"))
    except InvalidField as exc:
        raise ImportRefused(f"{label}: {exc.message}") from None
    removed_reason = validate.optional_text(entry.get("removed_reason"), "reason")
    if status == models.REMOVED and not removed_reason:
        raise ImportRefused(f"{label}: a removed concern needs its removed_reason.")
    actions = entry.get("actions") or []
    if not isinstance(actions, list) or len(actions) > MAX_ACTIONS:
        raise ImportRefused(f"{label}: actions must be a list of at most {MAX_ACTIONS:,}.")
    checked_actions = []
    for i, action in enumerate(actions, 1):
        where = f"{label}, action {i}"
        if not isinstance(action, dict) or any(k not in ACTION_FIELDS for k in action):
            raise ImportRefused(f"{where}: an action has only {', '.join(ACTION_FIELDS)}.")
        for key, value in action.items():
            _no_controls(where, "text" if key == "text" else key, value)
        try:
            checked_actions.append({
                "id": int(action["id"]) if action.get("id") not in (None, "") else None,
                "date": validate.parse_date(action.get("date"), "action date"),
                "text": validate.clean_text(action.get("text"), "text", required=True, multiline=True),
                "by": validate.clean_text(action.get("by"), "who", required=True),
            })
        except InvalidField as exc:
            raise ImportRefused(f"{where}: {exc.message}") from None
        except (TypeError, ValueError):
            raise ImportRefused(f"{where}: the action id is not a whole number.") from None
    return _Planned(label, concern_id, exists, version, fields, status, status_on, removed_reason, checked_actions)


def check_import(register: Register, path: str | Path) -> list[_Planned]:
    """Read and check a whole file against the register without writing anything."""
    entries = read_entries(path)
    if len(entries) > MAX_CONCERNS:
        raise ImportRefused(f"{Path(path).name} holds {len(entries):,} concerns; an import takes at most {MAX_CONCERNS:,}.")
    with register.read() as conn:
        existing = {row.id: row for row in conn.execute(sa.select(models.concerns))}
    seen: set = set()
    knowledge = register.knowledge
    return [_plan(entry, i, existing, seen, knowledge) for i, entry in enumerate(entries, start=1)]


def import_file(register: Register, path: str | Path, by: User | str) -> ImportSummary:
    """Check ``path`` whole, then apply every change in one transaction; or raise and write nothing."""
    author = by.name if isinstance(by, User) else validate.account_name(by)
    planned = check_import(register, path)
    added = changed = new_actions = unchanged = 0
    try:
        with register.write() as conn:
            for item in planned:
                if not item.exists:
                    if isinstance(by, User):
                        require_can_edit(by, item.fields["areas"], adding=item.fields["areas"])
                    new_id = item.concern_id or rc.new_concern_id(conn, item.fields["areas"], item.fields["raised_on"])
                    if conn.execute(sa.select(models.concerns.c.id).where(models.concerns.c.id == new_id)).first():
                        raise ImportRefused(f"{item.label}: the id {new_id} is already taken; give the row another id.")
                    rc.insert_concern(conn, author, new_id, item.fields, change="import", status=item.status,
                                      status_on=item.status_on, removed_reason=item.removed_reason)
                    version = 1
                    concern_id = new_id
                    added += 1
                    current_actions = {}
                else:
                    row = conn.execute(sa.select(models.concerns).where(models.concerns.c.id == item.concern_id)).one()
                    concern_id, version = row.id, row.version
                    if isinstance(by, User):
                        require_can_edit(by, row.areas, adding=[a for a in item.fields.get("areas", []) if a not in row.areas])
                    values, changes = {}, {}
                    wanted = dict(item.fields, status=item.status, removed_reason=item.removed_reason)
                    if item.status_on is not None or row.status_on is None:
                        wanted["status_on"] = item.status_on
                    if item.status == models.REMOVED and row.status != models.REMOVED:
                        wanted["status_before_removal"] = row.status
                    for key, value in wanted.items():
                        if rc.json_value(getattr(row, key)) != rc.json_value(value):
                            values[key] = value
                            changes[key] = {"before": rc.json_value(getattr(row, key)), "after": rc.json_value(value)}
                    if changes:
                        version = rc.bump(conn, concern_id, version, author, values)
                        rc.append_history(conn, concern_id, version, author, "import", changes)
                        changed += 1
                    current_actions = {a.id: a for a in conn.execute(
                        sa.select(models.actions).where(models.actions.c.concern_id == concern_id))}
                    if not changes and all(a["id"] in current_actions for a in item.actions):
                        unchanged += 1
                fresh = []
                for action in item.actions:
                    known = current_actions.get(action["id"]) if action["id"] is not None else None
                    if known is None:
                        fresh.append(action)
                    elif (known.taken_on, known.text, known.who) != (action["date"], action["text"], action["by"]):
                        raise ImportRefused(
                            f"{item.label}: action {action['id']} differs from the register's; an import adds "
                            "actions but never rewrites one (leave its id empty to add it as a new action)."
                        )
                if fresh:
                    version = rc.bump(conn, concern_id, version, author, {}, steps=len(fresh))
                    rc.insert_actions(conn, author, concern_id, version - len(fresh) + 1, fresh, "import")
                    new_actions += len(fresh)
    except rc.StaleVersion as exc:
        raise ImportRefused(f"Nothing was imported: a concern changed while importing ({exc.message})") from None
    except rc.NotAllowed as exc:
        raise ImportRefused(f"Nothing was imported: {exc.message}") from None
    return ImportSummary(added=added, changed=changed, actions=new_actions, unchanged=unchanged)
