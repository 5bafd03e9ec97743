"""Register fixtures: every register test runs on embedded SQLite and on a real PostgreSQL."""

from __future__ import annotations

import pytest

from areaprofile.register import db
from tests.register.postgres import PostgresServer


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
