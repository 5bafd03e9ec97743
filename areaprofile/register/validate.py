"""Checks for every field a person can type into the register, each failing with one sentence.

Text is kept as text: markup such as ``<script>`` is stored as typed (pages escape it when they
show it); control characters are removed, since they cannot be read or printed and can break
CSV and terminals. Vocabularies (areas, crime types, plan links) come from
:mod:`areaprofile.config` and the knowledge base, never from a list written here.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
import unicodedata
from typing import Iterable

from areaprofile import config
from areaprofile import knowledge as kb_module
from areaprofile.errors import AreaprofileError
from areaprofile.register import models


class RegisterError(AreaprofileError):
    """A change to the register that was refused; the register is unchanged."""


class InvalidField(RegisterError):
    """A field a person typed is not acceptable (one sentence says which and why)."""


#: Plan that a bare priority id (e.g. ``asb``) and new links belong to by default.
DEFAULT_PLAN = "jcsp-2022-25"
#: The earliest date the register accepts (police.uk starts in 2010; plans go back to 2009).
EARLIEST = dt.date(2000, 1, 1)
#: Longest text per field, in characters.
LIMITS = {
    "title": 300,
    "summary": 20_000,
    "source": 2_000,
    "raised_by": 300,
    "measured_by": 5_000,
    "notes": 20_000,
    "text": 20_000,
    "who": 300,
    "reason": 2_000,
    "name": 100,
    "raised_note": 300,
}
LABELS = {
    "title": "title",
    "summary": "summary",
    "source": "source",
    "raised_by": "raised by",
    "measured_by": "what would measure it",
    "notes": "notes",
    "text": "action text",
    "who": "who acted",
    "reason": "reason",
    "name": "name",
    "raised_note": "raised note",
}
_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$")
_KEEP_IN_MULTILINE = {"\n", "\t"}


def clean_text(value, field: str, required: bool = False, multiline: bool = False) -> str:
    """The text with control characters removed and ends trimmed; empty and over-long refused."""
    label = LABELS.get(field, field)
    if value is None:
        value = ""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise InvalidField(f"The {label} must be text.")
    if multiline:
        value = value.replace("\r\n", "\n").replace("\r", "\n")
    if multiline:
        kept = "".join(ch for ch in value if ch in _KEEP_IN_MULTILINE or unicodedata.category(ch) not in ("Cc", "Cs"))
    else:  # a line break or tab in a one-line field becomes a space, other control characters go
        spaced = "".join(" " if ch in "\n\t\r" else ch for ch in value)
        kept = " ".join("".join(ch for ch in spaced if unicodedata.category(ch) not in ("Cc", "Cs")).split())
    kept = kept.strip()
    if required and not kept:
        raise InvalidField(f"The {label} is empty; write a few words.")
    limit = LIMITS.get(field)
    if limit is not None and len(kept) > limit:
        raise InvalidField(f"The {label} is {len(kept):,} characters long; shorten it to at most {limit:,}.")
    return kept


def optional_text(value, field: str, multiline: bool = True) -> str | None:
    text = clean_text(value, field, multiline=multiline)
    return text or None


def parse_date(value, what: str, today: dt.date | None = None) -> dt.date:
    """A calendar date from a date or 'YYYY-MM-DD', not in the future and not before 2000."""
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, str):
        text = value.strip()
        try:
            if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
                raise ValueError
            value = dt.date.fromisoformat(text)
        except ValueError:
            shown = clean_text(text, "date")[:40]
            raise InvalidField(f"The {what} '{shown}' is not a date; write it as YYYY-MM-DD, e.g. 2026-03-14.") from None
    if not isinstance(value, dt.date):
        raise InvalidField(f"The {what} is missing; write it as YYYY-MM-DD.")
    today = today or dt.date.today()
    if value > today + dt.timedelta(days=1):
        raise InvalidField(f"The {what} {value.isoformat()} is in the future; give the day it happened.")
    if value < EARLIEST:
        raise InvalidField(f"The {what} {value.isoformat()} is before {EARLIEST.year}; check the year.")
    return value


def areas(values: Iterable[str] | str, knowledge: kb_module.Knowledge) -> list[str]:
    """Forum area names spelled as in the partnership's settings, in their order, each once
    (``knowledge``: the register's partnership's, ``register.knowledge``)."""
    if isinstance(values, str):
        values = [values]
    known = knowledge.areas
    by_key = {name.casefold(): name for name in known}
    chosen = []
    for value in values or []:
        name = by_key.get(" ".join(str(value).split()).casefold())
        if name is None:
            shown = clean_text(str(value), "area")[:60]
            hint = difflib.get_close_matches(shown, known, n=1)
            suggestion = f" (did you mean {hint[0]}?)" if hint else ""
            raise InvalidField(f"Unknown area '{shown}'{suggestion}; choose from {', '.join(known)}.")
        chosen.append(name)
    if not chosen:
        raise InvalidField(f"Choose at least one area: {', '.join(known)}.")
    return [a for a in known if a in chosen]


def crime_types(values: Iterable[str] | None) -> list[str]:
    """Published police.uk types (or 'All crime'), spelled as published, in their usual order."""
    allowed = list(config.CRIME_TYPES) + [kb_module.ALL_CRIME]
    by_key = {name.casefold(): name for name in allowed}
    chosen = []
    for value in values or []:
        name = by_key.get(" ".join(str(value).split()).casefold())
        if name is None:
            shown = clean_text(str(value), "crime type")[:60]
            hint = difflib.get_close_matches(shown, allowed, n=1)
            suggestion = f" (did you mean {hint[0]}?)" if hint else ""
            raise InvalidField(
                f"Unknown crime type '{shown}'{suggestion}; use a police.uk type such as "
                f"{config.CRIME_TYPES[2]}, or {kb_module.ALL_CRIME}."
            )
        if name not in chosen:
            chosen.append(name)
    return [t for t in allowed if t in chosen]


def links(values: Iterable[str] | None, knowledge: kb_module.Knowledge) -> list[str]:
    """Plan priority, objective or measure ids of the register's partnership's plans
    (``register.knowledge``); a bare id (``asb``) means the default plan's."""
    kb = knowledge
    out = []
    for value in values or []:
        text = str(value).strip()
        candidates = [text, f"{DEFAULT_PLAN}.{text}"]
        found = next((c for c in candidates if kb.kind(c) in ("priority", "objective", "measure")), None)
        if found is None:
            shown = clean_text(text, "priority")[:80]
            choices = ", ".join(p.removeprefix(DEFAULT_PLAN + ".") for p in kb.plans[DEFAULT_PLAN]["priority_ids"]) \
                if DEFAULT_PLAN in kb.plans else ""
            raise InvalidField(
                f"Unknown plan priority, objective or measure '{shown}'; "
                f"the {DEFAULT_PLAN} plan's priorities are {choices}."
            )
        if found not in out:
            out.append(found)
    return out


def status(value: str) -> str:
    text = " ".join(str(value).split()).casefold().replace(" ", "-")
    if text not in models.STATUSES:
        raise InvalidField(f"Unknown status '{clean_text(str(value), 'status')[:40]}'; use one of {', '.join(models.STATUSES)}.")
    return text


def raised_by_kind(value: str | None, required: bool = True) -> str | None:
    if value is None or str(value).strip() == "":
        if required:
            raise InvalidField(f"Say who raised it: {', '.join(models.RAISED_BY_KINDS)}.")
        return None
    text = " ".join(str(value).replace("-", " ").replace("_", " ").split()).casefold()
    if text not in models.RAISED_BY_KINDS:
        raise InvalidField(
            f"Unknown 'raised by' '{clean_text(str(value), 'raised by')[:40]}'; use one of {', '.join(models.RAISED_BY_KINDS)}."
        )
    return text


def concern_id(value: str) -> str:
    text = str(value).strip()
    if not _ID_RE.match(text):
        raise InvalidField(
            f"The concern id '{clean_text(text, 'id')[:40]}' is not valid; use letters, digits, '.', '-' or '_' (up to 80)."
        )
    return text


def account_name(value) -> str:
    name = clean_text(value, "name", required=True)
    return name
