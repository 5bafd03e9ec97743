"""Opening the register: where it lives, its engine, its migrations and its first-run seed.

The register is people's data, so it lives apart from the police.uk store (a rebuild never
touches it) in a real database: embedded SQLite in WAL mode by default
(``store/register.sqlite``, or ``--register PATH`` / ``$AREAPROFILE_REGISTER``), PostgreSQL when
``$AREAPROFILE_REGISTER`` is a ``postgresql://`` URL so several app servers share one register.

Opening runs the Alembic migrations up to the newest schema (an older register upgrades in
place) and, on the very first run, seeds the concerns its partnership's plan knowledge
transcribes (``concerns.yaml`` of the settings' knowledge folder), all in one transaction under
a lock, so two servers starting together cannot both seed.

Every write goes through :meth:`Register.write`: one transaction that, on SQLite, takes the
write lock at its start (``BEGIN IMMEDIATE``) so a read-then-write can never be overtaken.

A register belongs to one partnership, recorded in it (:mod:`.belongs`): the app and the CLI
pass the partnership of the store they opened, a new register takes it, and a register of
another partnership is refused with one sentence.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import sqlalchemy as sa

from areaprofile import config
from areaprofile import knowledge as kb_module
from areaprofile import partnership
from areaprofile.errors import AreaprofileError
from areaprofile.register import belongs

ENV_VAR = "AREAPROFILE_REGISTER"
#: The newest migration in migrations/versions (a test checks it is Alembic's head). A register
#: already there opens without loading Alembic at all, which keeps the CLI and pages quick.
HEAD = "0004"
MIGRATIONS = Path(__file__).resolve().parent / "migrations"
#: Seconds a writer waits for another writer's lock before giving up with a sentence.
LOCK_WAIT_SECONDS = 30
#: Any number both databases accept for the advisory lock that serialises first-run setup.
_SETUP_LOCK_KEY = 0x5245_4749  # "REGI"


def default_register_path() -> Path:
    return config.PROJECT_ROOT / "store" / "register.sqlite"


def register_url(where: str | Path | None = None) -> str:
    """The SQLAlchemy URL for ``where`` (a path or a URL), else $AREAPROFILE_REGISTER, else the default file."""
    if where is None or str(where) == "":
        where = os.environ.get(ENV_VAR) or default_register_path()
    text = str(where)
    if "://" in text:
        scheme = text.split("://", 1)[0]
        if scheme in ("postgresql", "postgres"):
            return "postgresql+psycopg://" + text.split("://", 1)[1]
        if scheme.startswith("postgresql+") or scheme == "sqlite":
            return text
        raise AreaprofileError(
            f"The register location '{scheme}://...' is not supported; give a file path or a postgresql:// URL."
        )
    path = Path(text).expanduser()
    if path.is_dir():
        raise AreaprofileError(f"The register path {path} is a folder; give a file such as {path / 'register.sqlite'}.")
    return f"sqlite:///{path.resolve()}"


@dataclass(frozen=True)
class Register:
    """An open register: the engine and where it is. Pass it to the functions of
    :mod:`areaprofile.register.concerns`, :mod:`~areaprofile.register.accounts` and
    :mod:`~areaprofile.register.exchange`."""

    url: str
    engine: sa.Engine
    #: The partnership it belongs to (its recorded LA's settings; None only below schema 0004).
    settings: partnership.Partnership | None = dataclasses.field(default=None, compare=False, repr=False)

    @property
    def la_code(self) -> str:
        return self._settings.la_code

    @property
    def la_name(self) -> str:
        return self._settings.la_name

    @property
    def knowledge(self) -> kb_module.Knowledge:
        """The plan knowledge of its partnership: the areas and plan links it accepts (read-only)."""
        return belongs.knowledge_of(self._settings)

    @property
    def _settings(self) -> partnership.Partnership:
        return self.settings if self.settings is not None else partnership.default()

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @property
    def label(self) -> str:
        """Where it is, for messages, without any password in the URL."""
        return sa.make_url(self.url).render_as_string(hide_password=True)

    @contextlib.contextmanager
    def read(self) -> Iterator[sa.Connection]:
        """A connection for reading (one consistent snapshot on both databases)."""
        try:
            with self.engine.connect() as conn:
                with conn.begin():
                    yield conn
        except sa.exc.OperationalError as exc:
            raise _unreachable(self, exc) from None

    @contextlib.contextmanager
    def write(self) -> Iterator[sa.Connection]:
        """One transaction that commits whole or not at all (rolled back on any exception)."""
        try:
            with self.engine.connect() as conn:
                conn = conn.execution_options(register_write=True)
                with conn.begin():
                    yield conn
        except sa.exc.OperationalError as exc:
            if "locked" in str(exc).lower() or "busy" in str(exc).lower():
                raise AreaprofileError(
                    f"The register is busy with another change (waited {LOCK_WAIT_SECONDS} s); nothing was saved, try again."
                ) from None
            raise _unreachable(self, exc) from None

    def dispose(self) -> None:
        self.engine.dispose()


def _unreachable(register_or_url, exc: Exception) -> AreaprofileError:
    url = register_or_url.url if isinstance(register_or_url, Register) else register_or_url
    where = sa.make_url(url).render_as_string(hide_password=True)
    first = str(getattr(exc, "orig", exc)).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return AreaprofileError(f"The register at {where} cannot be used ({first}); check the path or the database server.")


def _engine(url: str) -> sa.Engine:
    sa_url = sa.make_url(url)
    if sa_url.get_backend_name() == "sqlite":
        if sa_url.database and sa_url.database != ":memory:":
            Path(sa_url.database).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(url, connect_args={"timeout": LOCK_WAIT_SECONDS})

        @sa.event.listens_for(engine, "connect")
        def _sqlite_connect(dbapi_connection, _record):
            # The driver's own transaction handling is off; the "begin" hook below opens them.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=FULL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        @sa.event.listens_for(engine, "begin")
        def _sqlite_begin(conn):
            writing = conn.get_execution_options().get("register_write")
            conn.exec_driver_sql("BEGIN IMMEDIATE" if writing else "BEGIN")

        return engine
    return sa.create_engine(url, pool_pre_ping=True)


def _alembic_config(conn: sa.Connection | None, la_code: str | None = None):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = conn
    cfg.attributes["la_code"] = la_code  # a new register's partnership (migration 0004)
    return cfg


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_alembic_config(None)).get_current_head()


def _revision(conn: sa.Connection) -> str | None:
    if not sa.inspect(conn).has_table("alembic_version"):
        return None
    return conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()


def schema_revision(register: Register) -> str | None:
    """The schema version the register is at (None before the first migration)."""
    with register.engine.connect() as conn:
        return _revision(conn)


def migrate(register: Register, revision: str = "head", seed: bool = True,
            settings: partnership.Partnership | None = None) -> partnership.Partnership | None:
    """Bring the schema up to ``revision`` and seed on the first run, in one locked transaction.

    ``settings``: the partnership of the store opening it; a new register takes it, a register of
    another partnership is refused (:class:`belongs.OtherPartnership`) with nothing changed. Returns
    the partnership the register belongs to (None below schema 0004)."""
    with register.write() as conn:
        if register.dialect == "postgresql":
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _SETUP_LOCK_KEY})
        current = _revision(conn)
        if not (current == HEAD and revision in ("head", HEAD)):
            from alembic import command
            from alembic.script import ScriptDirectory

            known = {rev.revision for rev in ScriptDirectory.from_config(_alembic_config(None)).walk_revisions()}
            if current is not None and current not in known:
                raise AreaprofileError(
                    f"The register at {register.label} was written by a newer areaprofile (schema {current}); "
                    "upgrade areaprofile before opening it."
                )
            command.upgrade(_alembic_config(conn, settings.la_code if settings else None), revision)
        record = belongs.recorded(conn)
        belongs_to = settings
        if record is not None:
            if settings is not None:
                belongs.check(record, settings)  # raising here rolls back the upgrade too
            else:
                belongs_to = partnership.load(record[0])
        if seed:
            from areaprofile.register import seed as seed_module

            seed_module.seed_if_new(conn, belongs.knowledge_of(belongs_to or partnership.default()))
        return belongs_to if record is not None else None


_open_lock = threading.Lock()
_open: dict[str, Register] = {}


def open_register(where: str | Path | None = None, settings: partnership.Partnership | None = None) -> Register:
    """The register at ``where`` (path or URL; default $AREAPROFILE_REGISTER or store/register.sqlite),
    migrated to the newest schema and seeded on its first run. Reused within the process.

    ``settings``: the partnership of the store it goes with (``partnership.of_store(store)``): a
    new register takes it; a register of another partnership is refused with one sentence
    (:class:`belongs.OtherPartnership`). Without it the register's own partnership is used."""
    url = register_url(where)
    with _open_lock:
        register = _open.get(url)
        if register is None:
            register = Register(url=url, engine=_engine(url))
            try:
                belongs_to = migrate(register, settings=settings)
            except AreaprofileError:
                register.dispose()
                raise
            except (sa.exc.OperationalError, sa.exc.InterfaceError, sa.exc.DatabaseError) as exc:
                register.dispose()
                raise _unreachable(url, exc) from None
            register = dataclasses.replace(register, settings=belongs_to)
            _open[url] = register
    if settings is not None:
        belongs.check((register.la_code, register.la_name), settings)
    return register


def close_register(where: str | Path | Register | None = None) -> None:
    """Forget an opened register (tests that reopen a file after changing it; bench)."""
    url = where.url if isinstance(where, Register) else register_url(where)
    with _open_lock:
        register = _open.pop(url, None)
    if register is not None:
        register.dispose()
