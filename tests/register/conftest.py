"""Register fixtures: every register test runs on embedded SQLite and on a real PostgreSQL."""

from __future__ import annotations

import os

import pytest

from areaprofile.register import db
from tests.register.postgres import PostgresServer

# Real Argon2id, with argon2-cffi's cheapest parameters: the default costs ~1 s per hash on a
# busy CI machine and the sign-in tests hash dozens of times. test_accounts checks the default.
os.environ.setdefault("AREAPROFILE_ARGON2_PROFILE", "CHEAPEST")


@pytest.fixture(scope="session")
def postgres_server():
    server = PostgresServer().start()
    yield server
    server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def register_location(request, tmp_path) -> str:
    """Where a fresh register lives: a new SQLite file, or a new PostgreSQL database."""
    if request.param == "sqlite":
        return str(tmp_path / "register" / "register.sqlite")
    return request.getfixturevalue("postgres_server").new_database()


@pytest.fixture
def register(register_location):
    """A fresh register (migrated and seeded), closed again after the test."""
    reg = db.open_register(register_location)
    yield reg
    db.close_register(reg)
