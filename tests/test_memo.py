"""The hotspot cache: answers per store version, copies of frames, and a bound in bytes that the
real hotspot computations stay inside."""

import numpy as np
import pandas as pd
import pytest

from areaprofile import hotspots, memo, query


class FakeStore:
    """Only what the cache keys on: a path and a version (the real store is used below)."""

    def __init__(self, version: str):
        self.path, self.version = "/nowhere/store.duckdb", version


@pytest.fixture(autouse=True)
def empty_cache():
    memo.clear()
    yield
    memo.clear()


def test_one_computation_per_store_version_and_arguments():
    calls = []

    @memo.memoised
    def block(store, n, scale=1):
        calls.append((store.version, n, scale))
        return np.ones(n) * scale

    old, new = FakeStore("v1"), FakeStore("v2")
    block(old, 3)
    block(old, 3, 1)  # the default spelled out is the same entry
    block(old, 4)
    block(new, 3)
    assert calls == [("v1", 3, 1), ("v1", 4, 1), ("v2", 3, 1)]


def test_a_frame_is_handed_out_as_a_copy():
    @memo.memoised
    def frame(store):
        return pd.DataFrame({"n": [1, 2]})

    handed = frame(FakeStore("v1"))
    handed.loc[:, "n"] = 0
    assert frame(FakeStore("v1"))["n"].tolist() == [1, 2]


def test_the_oldest_entries_go_first_when_the_bytes_run_out(monkeypatch):
    monkeypatch.setattr(memo, "MAX_BYTES", int(3.5 * 2**20))  # room for three 1 MiB arrays
    calls = []

    @memo.memoised
    def block(store, label):
        calls.append(label)
        return np.zeros(2**20 // 8)  # 1 MiB of float64

    store = FakeStore("v1")
    for label in "abc":
        block(store, label)
    block(store, "a")  # used again: now the newest
    block(store, "d")  # over the bound: "b", the least recently used, goes
    assert memo.held_bytes() <= memo.MAX_BYTES
    block(store, "a")
    block(store, "b")
    assert calls == ["a", "b", "c", "d", "b"]


def test_an_entry_larger_than_the_bound_is_still_kept_until_the_next(monkeypatch):
    monkeypatch.setattr(memo, "MAX_BYTES", 2**10)

    @memo.memoised
    def block(store, label):
        return np.zeros(2**12)

    block(FakeStore("v1"), "big")
    assert memo.held_bytes() > memo.MAX_BYTES  # the page that asked for it gets it from the cache
    block(FakeStore("v1"), "next")
    assert memo.held_bytes() < 2 * memo.size_of(np.zeros(2**12))


def test_a_whole_area_hotspot_page_fits_the_bound(built_store):
    # All B&NES, the largest grid: the computations the Hotspots page makes stay within the bound,
    # so a second look at the same selection is served from the cache.
    from areaprofile import hotspot_trends, profile
    from areaprofile.periods import preset_period

    store = query.open_store(built_store)
    months = profile.loaded_months(store)
    selection = profile.Selection(area=None, period=preset_period("Last 3 months", months[-1]))
    hotspots.hot_summary(store, selection)
    hotspot_trends.trends(store, selection)
    held = memo.held_bytes()
    assert 2**20 < held <= memo.MAX_BYTES
    first = hotspots.hot_summary(store, selection)
    assert hotspots.hot_summary(store, selection) is first  # the same object: served from the cache
    assert memo.held_bytes() == held
