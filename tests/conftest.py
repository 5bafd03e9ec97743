"""Shared fixtures: the real data folder and one store built from it for the whole session."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from areaprofile.store import build


def shared_data() -> Path:
    path = Path(os.environ.get("AREAPROFILE_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))
    if not (path / "police_uk").is_dir():
        pytest.exit(f"The real data folder is missing at {path}; set AREAPROFILE_SHARED_DATA.", returncode=1)
    return path


@pytest.fixture(scope="session")
def data_dir() -> Path:
    return shared_data()


@pytest.fixture(scope="session")
def built_store(tmp_path_factory, data_dir) -> Path:
    """The store built once from all 46 real months; tests must not modify it."""
    path = tmp_path_factory.mktemp("store") / "areaprofile.duckdb"
    build([data_dir], path)
    return path


@pytest.fixture(scope="session")
def bristol_store(tmp_path_factory, data_dir) -> Path:
    """Bristol's store, built once by the CLI (`build --la E06000023`) from the same real data;
    tests must not modify it."""
    from areaprofile.cli import main

    path = tmp_path_factory.mktemp("bristol") / "bristol.duckdb"
    code = main(["build", "--source", str(data_dir), "--la", "E06000023", "--store", str(path)])
    assert code == 0, "the Bristol build failed"
    return path


@pytest.fixture
def store_copy(tmp_path, built_store) -> Path:
    """A private copy of the real store that a test may rebuild or break."""
    path = tmp_path / "store" / "areaprofile.duckdb"
    path.parent.mkdir()
    shutil.copy2(built_store, path)
    return path
