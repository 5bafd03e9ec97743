"""The partnership a register belongs to: recorded in the register, checked against the store.

A register holds one partnership's concerns: their areas and plan links are that partnership's
(its settings file and knowledge folder). The register records its local authority in its own
``register_partnership`` row (migration 0004), so whoever opens it - the app, the CLI, the pack -
passes the partnership of the store it opened and is refused, in one sentence, when the two
differ. Nothing here sets an environment variable; only a register with nothing to go by (no
store, no record, no data) falls back to the default partnership.
"""

from __future__ import annotations

import sqlalchemy as sa

from areaprofile import knowledge as kb_module
from areaprofile import partnership
from areaprofile.errors import AreaprofileError
from areaprofile.register import models


class OtherPartnership(AreaprofileError):
    """The register belongs to another partnership than the store it was opened with."""


def knowledge_of(settings: partnership.Partnership) -> kb_module.Knowledge:
    """The plan knowledge a register of ``settings`` checks its areas and links against (cached,
    not to be changed by the caller)."""
    return kb_module.read_only_knowledge(settings.knowledge_dir, settings.area_names)


def recorded(conn: sa.Connection) -> tuple[str, str] | None:
    """(LA code, LA name) the register records, or None below schema 0004."""
    if not sa.inspect(conn).has_table(models.register_partnership.name):
        return None
    row = conn.execute(sa.select(models.register_partnership.c.la_code, models.register_partnership.c.la_name)).first()
    return (row.la_code, row.la_name) if row else None


def check(register_la: tuple[str, str], store_settings: partnership.Partnership) -> None:
    """Refuse a store of another partnership than the register's."""
    code, name = register_la
    if store_settings.la_code != code:
        try:
            name = partnership.load(code).short_name  # the code beside it says which
        except AreaprofileError:
            pass  # no settings file for it here: the name it recorded
        raise OtherPartnership(
            f"This register belongs to {name} ({code}) but the store is {store_settings.la_name}; "
            "use --register PATH for this partnership's register."
        )


def partnership_of_existing(conn: sa.Connection, wanted: str | None) -> tuple[partnership.Partnership, str]:
    """The partnership a register without a record belongs to, and why (migration 0004).

    An empty register takes ``wanted`` (the partnership of the store opening it), else the
    default. One with data takes the partnership it was seeded for: the one whose knowledge holds
    its seeded concerns, else the one whose areas include every area its concerns and accounts
    name. Registers recorded no partnership before and followed the default one, so when nothing
    tells them apart that is the answer.
    """
    seeded = {r.id for r in conn.execute(sa.select(models.concerns.c.id).where(models.concerns.c.seeded_from.is_not(None)))}
    named: set[str] = set()
    for (areas,) in conn.execute(sa.select(models.concerns.c.areas)):
        named.update(areas or [])
    for (areas,) in conn.execute(sa.select(models.users.c.areas)):
        named.update(areas or [])
    if not seeded and not named:
        if wanted:
            return partnership.load(wanted), "the partnership of the store it was first opened with"
        return partnership.default(), "the default partnership (opened without a store)"
    candidates = []
    for code in partnership.available():
        try:
            candidates.append(partnership.load(code))
        except AreaprofileError:  # a broken settings file cannot be the one this register was made for
            continue
    if seeded:
        fits = [p for p in candidates if seeded <= _concern_ids(p)]
        if len(fits) == 1:
            return fits[0], "the plan whose concerns it was seeded with"
    fits = [p for p in candidates if named <= set(p.area_names)]
    if len(fits) == 1:
        return fits[0], "the areas its concerns and accounts name"
    return partnership.default(), "the default partnership, which registers followed before they recorded theirs"


def _concern_ids(settings: partnership.Partnership) -> set[str]:
    if settings.knowledge_dir is None:
        return set()
    try:
        return set(knowledge_of(settings).concerns)
    except AreaprofileError:  # a missing or broken knowledge folder seeded nothing
        return set()
