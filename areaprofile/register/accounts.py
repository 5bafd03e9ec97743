"""Personal accounts for editing the register: roles, areas, passwords, sign-in limits.

Reading stays open to everyone; changing the register needs an account. Passwords are kept as
Argon2id hashes (argon2-cffi). A sign-in that fails says the same sentence whether or not the
name exists, and after ``MAX_FAILURES`` failures for one name within ``FAILURE_WINDOW`` every
attempt for that name (known or not) gets the same wait sentence until the window has passed.
Attempts are stored in the register, so several app servers share the count.

Roles: an *editor* changes concerns that name one of their areas; an *admin* changes every
concern and manages accounts (and the Add data page).
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from typing import Iterable

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2 import profiles as argon2_profiles
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from areaprofile.register import models, validate
from areaprofile.register.clock import iso, utcnow
from areaprofile.register.db import Register
from areaprofile.register.validate import RegisterError

U, S = models.users, models.sign_in_attempts

MAX_FAILURES = 5
FAILURE_WINDOW = dt.timedelta(minutes=15)
MIN_PASSWORD = 10
#: Minutes without activity after which a page signs the person out ($AREAPROFILE_IDLE_MINUTES).
DEFAULT_IDLE_MINUTES = 30

WRONG = "That name and password do not match an account; check both and try again."
LOCKED = f"Too many failed sign-ins for this name: wait {FAILURE_WINDOW.seconds // 60} minutes, then try again."

#: argon2-cffi parameter profile ($AREAPROFILE_ARGON2_PROFILE; the tests use CHEAPEST to save time).
DEFAULT_PROFILE = "RFC_9106_LOW_MEMORY"


def _hasher() -> PasswordHasher:
    """The hasher for new passwords (a stored hash carries its own parameters for checking)."""
    name = os.environ.get("AREAPROFILE_ARGON2_PROFILE") or DEFAULT_PROFILE
    if name not in _hashers:
        _hashers[name] = _make_hasher(name)
    return _hashers[name]


_hashers: dict[str, PasswordHasher] = {}


def _make_hasher(name: str) -> PasswordHasher:
    profile = getattr(argon2_profiles, name, None) if name.isupper() else None
    if profile is None:
        raise AccountError(f"Unknown AREAPROFILE_ARGON2_PROFILE '{name[:40]}'; use {DEFAULT_PROFILE}.")
    return PasswordHasher.from_parameters(profile)


_dummy_hashes: dict[int, str] = {}


def _dummy() -> str:
    """A hash verified against when a name is unknown, so a wrong name costs as long as a wrong password."""
    hasher = _hasher()
    if id(hasher) not in _dummy_hashes:
        _dummy_hashes[id(hasher)] = hasher.hash("not a password of anyone")
    return _dummy_hashes[id(hasher)]


class SignInFailed(RegisterError):
    """Wrong name or password, or too many failures; the message never says which name exists."""


class AccountError(RegisterError):
    """An account could not be added or changed."""


@dataclass(frozen=True)
class User:
    """A signed-in person. Pass it as ``by`` to the register's write functions."""

    name: str
    role: str
    areas: tuple[str, ...] = field(default_factory=tuple)

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def can_edit(self, concern_areas: Iterable[str]) -> bool:
        """May this person change a concern naming these areas?"""
        return self.is_admin or any(a in self.areas for a in concern_areas)


def require_can_edit(user: User, concern_areas: Iterable[str], adding: Iterable[str] = ()) -> None:
    """Raise one sentence unless ``user`` may change a concern of ``concern_areas`` and add ``adding``."""
    from areaprofile.register.concerns import NotAllowed

    concern_areas = list(concern_areas)
    if user.is_admin:
        return
    if user.role != "editor":
        raise NotAllowed("Your account cannot change the register; ask an admin.")
    if not user.can_edit(concern_areas):
        raise NotAllowed(
            f"You edit concerns for {', '.join(user.areas) or 'no area'}; this one is for {', '.join(concern_areas)}. Ask an admin."
        )
    foreign = [a for a in adding if a not in user.areas]
    if foreign:
        raise NotAllowed(f"You cannot add {', '.join(foreign)}: your account edits {', '.join(user.areas) or 'no area'} only.")


def idle_limit() -> dt.timedelta:
    raw = os.environ.get("AREAPROFILE_IDLE_MINUTES", "")
    try:
        minutes = float(raw) if raw.strip() else DEFAULT_IDLE_MINUTES
    except ValueError:
        minutes = DEFAULT_IDLE_MINUTES
    return dt.timedelta(minutes=max(minutes, 1))


def session_expired(last_seen: dt.datetime | None, now: dt.datetime | None = None,
                    idle: dt.timedelta | None = None) -> bool:
    """True when a signed-in session has been idle longer than the limit (or never seen)."""
    if last_seen is None:
        return True
    now = now or dt.datetime.now(last_seen.tzinfo)
    return now - last_seen > (idle or idle_limit())


def _key(name: str) -> str:
    return " ".join(str(name).split()).casefold()[: validate.LIMITS["name"]]


def _user(row) -> User:
    return User(name=row.name, role=row.role, areas=tuple(row.areas or ()))


def _check_password(password: str) -> str:
    if not isinstance(password, str) or len(password) < MIN_PASSWORD:
        raise AccountError(f"Choose a password of at least {MIN_PASSWORD} characters.")
    if len(password) > 1024:
        raise AccountError("That password is over 1,024 characters; choose a shorter one.")
    return password


def _check_role(role: str) -> str:
    if role not in models.ROLES:
        raise AccountError(f"Unknown role '{validate.clean_text(str(role), 'role')[:20]}'; use editor or admin.")
    return role


def add_user(register: Register, name: str, password: str, role: str, areas: Iterable[str] = (),
             by: User | str = "areaprofile users add") -> dict:
    """Create an account. Editors need at least one area; admins cover every area."""
    display = validate.account_name(name)
    role = _check_role(role)
    chosen = validate.areas(list(areas), register.knowledge) if list(areas or []) else []
    if role == "editor" and not chosen:
        raise AccountError(f"An editor needs their areas (--areas), from {', '.join(register.knowledge.areas)}.")
    if isinstance(by, User) and not by.is_admin:
        raise AccountError("Only an admin can add accounts.")
    creator = by.name if isinstance(by, User) else validate.account_name(by)
    digest = _hasher().hash(_check_password(password))
    now = utcnow()
    with register.write() as conn:
        if conn.execute(sa.select(U.c.name).where(U.c.name_key == _key(display))).first():
            raise AccountError(f"There is already an account called '{display}'; choose another name.")
        conn.execute(U.insert().values(name_key=_key(display), name=display, password_hash=digest, role=role,
                                       areas=chosen, active=True, created_at=now, created_by=creator, updated_at=now))
    return {"name": display, "role": role, "areas": chosen, "active": True}


def list_users(register: Register) -> list[dict]:
    """Every account (never the hashes), by name."""
    with register.read() as conn:
        rows = conn.execute(sa.select(U).order_by(U.c.name_key)).all()
    return [{"name": r.name, "role": r.role, "areas": list(r.areas or []), "active": bool(r.active),
             "created_at": iso(r.created_at), "created_by": r.created_by} for r in rows]


def set_password(register: Register, name: str, password: str) -> None:
    digest = _hasher().hash(_check_password(password))
    with register.write() as conn:
        result = conn.execute(U.update().where(U.c.name_key == _key(name)).values(password_hash=digest, updated_at=utcnow()))
        if result.rowcount != 1:
            raise AccountError(f"There is no account called '{validate.clean_text(str(name), 'name')[:100]}'.")


def set_active(register: Register, name: str, active: bool, by: User | None = None) -> None:
    """Switch an account off (it can no longer sign in; its history entries stay) or back on."""
    if by is not None and not by.is_admin:
        raise AccountError("Only an admin can switch accounts on or off.")
    with register.write() as conn:
        result = conn.execute(U.update().where(U.c.name_key == _key(name)).values(active=bool(active), updated_at=utcnow()))
        if result.rowcount != 1:
            raise AccountError(f"There is no account called '{validate.clean_text(str(name), 'name')[:100]}'.")


def _recent_failures(conn: sa.Connection, key: str, now: dt.datetime) -> list[dt.datetime]:
    since = now - FAILURE_WINDOW
    last_ok = conn.execute(
        sa.select(sa.func.max(S.c.at)).where(S.c.name_key == key, S.c.succeeded.is_(True), S.c.at >= since)
    ).scalar_one()
    start = max(since, last_ok) if last_ok is not None else since
    return list(conn.execute(
        sa.select(S.c.at).where(S.c.name_key == key, S.c.succeeded.is_(False), S.c.at >= start).order_by(S.c.at)
    ).scalars())


def locked_until(register: Register, name: str, now: dt.datetime | None = None) -> dt.datetime | None:
    """When sign-ins for this name open again (naive UTC), or None when they are open now."""
    now = now or utcnow()
    with register.read() as conn:
        failures = _recent_failures(conn, _key(name), now)
    if len(failures) < MAX_FAILURES:
        return None
    return failures[-MAX_FAILURES] + FAILURE_WINDOW


def sign_in(register: Register, name: str, password: str, now: dt.datetime | None = None) -> User:
    """The account for this name and password, or :class:`SignInFailed` with WRONG or LOCKED.

    Every attempt is recorded (also for names with no account) so the limit holds across servers."""
    now = now or utcnow()
    key = _key(name if isinstance(name, str) else "")
    with register.write() as conn:
        failures = _recent_failures(conn, key, now)
        if len(failures) >= MAX_FAILURES:
            conn.execute(S.insert().values(name_key=key, at=now, succeeded=False))
            locked = True
            user = None
        else:
            locked = False
            row = conn.execute(sa.select(U).where(U.c.name_key == key)).one_or_none()
            ok = _verify(row.password_hash if row is not None else _dummy(), password)
            ok = ok and row is not None and bool(row.active)
            conn.execute(S.insert().values(name_key=key, at=now, succeeded=ok))
            user = _user(row) if ok else None
        # Old attempts are of no further use: keep the table small.
        conn.execute(S.delete().where(S.c.at < now - dt.timedelta(days=1)))
    if locked:
        raise SignInFailed(LOCKED)
    if user is None:
        raise SignInFailed(WRONG)
    return user


def _verify(digest: str, password) -> bool:
    if not isinstance(password, str) or not password or len(password) > 1024:
        return False
    try:
        return _hasher().verify(digest, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def get_user(register: Register, name: str) -> User | None:
    """The active account of that name (for a page that keeps only the name in its session)."""
    with register.read() as conn:
        row = conn.execute(sa.select(U).where(U.c.name_key == _key(name), U.c.active.is_(True))).one_or_none()
    return None if row is None else _user(row)
