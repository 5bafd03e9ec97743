"""Accounts on SQLite and PostgreSQL: hashed passwords, failure limiting that never reveals
whether a name exists, attempts shared through the register, and inactivity sign-out."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from areaprofile.register import accounts, models
from areaprofile.register.clock import utcnow

PASSWORD = "correct horse battery"


def _message(register, name, password, now=None) -> str:
    with pytest.raises(accounts.SignInFailed) as failed:
        accounts.sign_in(register, name, password, now=now)
    return failed.value.message


def test_passwords_are_stored_only_as_argon2_hashes(register):
    accounts.add_user(register, "Alice", PASSWORD, "editor", areas=["bath"])
    with register.engine.connect() as conn:
        stored = conn.execute(sa.select(models.users.c.password_hash)).scalar_one()
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    assert accounts.list_users(register) == [{"name": "Alice", "role": "editor", "areas": ["Bath"], "active": True,
                                              "created_at": accounts.list_users(register)[0]["created_at"],
                                              "created_by": "areaprofile users add"}]
    assert accounts.sign_in(register, " alice ", PASSWORD) == accounts.User("Alice", "editor", ("Bath",))
    with pytest.raises(accounts.AccountError, match="already an account"):
        accounts.add_user(register, "ALICE", PASSWORD, "admin")
    with pytest.raises(accounts.AccountError, match="at least 10 characters"):
        accounts.add_user(register, "Bob", "short", "admin")
    with pytest.raises(accounts.AccountError, match="needs their areas"):
        accounts.add_user(register, "Bob", PASSWORD, "editor")


def test_five_failures_then_a_wait_with_the_same_words_for_known_and_unknown_names(register):
    accounts.add_user(register, "Alice", PASSWORD, "admin")
    start = utcnow()
    known = [_message(register, "alice", f"wrong {i}", now=start + dt.timedelta(seconds=i)) for i in range(5)]
    unknown = [_message(register, "nobody", f"wrong {i}", now=start + dt.timedelta(seconds=i)) for i in range(5)]
    assert set(known) == set(unknown) == {accounts.WRONG}
    # The sixth try waits, even with the right password, and an unknown name waits just the same.
    later = start + dt.timedelta(minutes=1)
    assert _message(register, "alice", PASSWORD, now=later) == accounts.LOCKED
    assert _message(register, "nobody", "anything", now=later) == accounts.LOCKED
    # Tries while waiting count too, so "wait 15 minutes" after the last try is always enough.
    assert later < accounts.locked_until(register, "alice", now=later) <= later + accounts.FAILURE_WINDOW
    # Once the window has passed the right password works again, and a success clears the count.
    reopened = start + accounts.FAILURE_WINDOW + dt.timedelta(seconds=10)
    assert accounts.sign_in(register, "alice", PASSWORD, now=reopened).name == "Alice"
    assert accounts.locked_until(register, "alice", now=reopened) is None


def test_a_switched_off_account_cannot_sign_in_and_says_nothing_more(register):
    accounts.add_user(register, "Alice", PASSWORD, "admin")
    accounts.set_active(register, "Alice", False)
    assert _message(register, "Alice", PASSWORD) == accounts.WRONG
    assert accounts.get_user(register, "alice") is None


def test_the_failure_count_is_shared_by_every_server_through_the_register(register_location):
    """Two independent engines (as two app servers would have) count failures together."""
    from areaprofile.register.db import Register, _engine, migrate, register_url

    first = Register(url=register_url(register_location), engine=_engine(register_url(register_location)))
    second = Register(url=register_url(register_location), engine=_engine(register_url(register_location)))
    try:
        migrate(first)
        accounts.add_user(first, "Alice", PASSWORD, "admin")
        for i in range(5):
            server = first if i % 2 else second
            assert _message(server, "Alice", "wrong") == accounts.WRONG
        assert _message(first, "Alice", PASSWORD) == accounts.LOCKED
        assert _message(second, "Alice", PASSWORD) == accounts.LOCKED
    finally:
        first.dispose()
        second.dispose()


def test_the_default_hash_parameters_are_argon2_recommended_low_memory(monkeypatch):
    monkeypatch.delenv("AREAPROFILE_ARGON2_PROFILE")
    assert accounts._hasher().hash(PASSWORD).startswith("$argon2id$v=19$m=65536,t=3,p=4$")


def test_a_session_ends_after_the_idle_limit(monkeypatch):
    seen = dt.datetime(2026, 3, 14, 14, 0, tzinfo=dt.timezone.utc)
    assert not accounts.session_expired(seen, now=seen + dt.timedelta(minutes=29))
    assert accounts.session_expired(seen, now=seen + dt.timedelta(minutes=31))
    assert accounts.session_expired(None)
    monkeypatch.setenv("AREAPROFILE_IDLE_MINUTES", "5")
    assert accounts.session_expired(seen, now=seen + dt.timedelta(minutes=6))
    assert not accounts.session_expired(seen, now=seen + dt.timedelta(minutes=4))
