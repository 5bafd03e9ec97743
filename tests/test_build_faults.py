"""`areaprofile build` killed at random moments, and two builds at once, on the real data.

Whatever happens, the store is always a complete store: the previous one byte for byte, or
(when the kill came after the swap) the complete new one. Temp files of killed builds never
pile up: the next build removes them.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from areaprofile import query
from tests import rawdata, stores

NEW = "2021-09"
SEED = 20211001
KILLS = int(os.environ.get("AREAPROFILE_KILLS", "8"))


def _start(source: Path, store: Path, wait: float = 0.0) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "areaprofile", "build", "--source", str(source), "--store", str(store), "--wait", str(wait)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def _answers(store: Path) -> dict[str, int]:
    frame = query.counts(query.open_store(store), "month")
    return dict(zip(frame["month"], frame["count"]))


def _state(store: Path, old_bytes: bytes, old_answers: dict, new_answers: dict) -> str:
    """'old' (byte-identical previous store) or 'new' (a complete new store); anything else fails."""
    data = store.read_bytes()
    if data == old_bytes:
        assert _answers(store) == old_answers
        return "old"
    answers = _answers(store)  # opens the file afresh: a broken file fails here
    assert answers == new_answers, "the store is neither the previous one nor a complete new one"
    return "new"


@pytest.fixture(scope="module")
def expected(data_dir) -> dict[str, int]:
    """B&NES rows per month in the raw files, read with the csv module."""
    return dict(rawdata.la_rows_per_month(data_dir))


@pytest.fixture
def old_store(tmp_path, data_dir) -> Path:
    return stores.copy_store(stores.store_without(data_dir, NEW), tmp_path / "store")


@pytest.fixture
def new_month(tmp_path, data_dir) -> Path:
    """A source holding only the month to add (boundaries come from the store)."""
    folder = tmp_path / "new" / NEW
    folder.mkdir(parents=True)
    (folder / stores.month_file(data_dir, NEW).name).symlink_to(stores.month_file(data_dir, NEW))
    return folder.parent


def _wait_for(predicate, process: subprocess.Popen) -> bool:
    """Poll until ``predicate()`` or the process ends; True when the predicate came first."""
    while process.poll() is None:
        if predicate():
            return True
        time.sleep(0.005)
    return predicate()


def test_sigkill_at_random_moments_leaves_a_complete_store(old_store, new_month, expected, tmp_path):
    rng = random.Random(SEED)
    old_bytes, old_answers = old_store.read_bytes(), _answers(old_store)
    assert NEW not in old_answers and set(old_answers) | {NEW} == set(expected)

    # One uninterrupted run on a copy gives the span to draw kill moments from.
    scratch = stores.copy_store(old_store, tmp_path / "scratch")
    started = time.monotonic()
    probe = _start(new_month, scratch)
    _wait_for(lambda: bool(stores.leftovers(scratch)), probe)
    temp_seen = time.monotonic() - started
    assert probe.wait() == 0, probe.stderr.read()
    span = time.monotonic() - started
    write_phase = max(span - temp_seen, 0.05)

    outcomes = {"killed, store was the previous one": 0, "killed after the swap, store complete": 0,
                "finished before the kill": 0}
    temp_files_left_by_kills = 0
    for i in range(KILLS):
        process = _start(new_month, old_store)
        if i % 2:
            # Half the kills land while the new file is being written.
            _wait_for(lambda: bool(stores.leftovers(old_store)), process)
            time.sleep(rng.uniform(0, write_phase))
        else:
            time.sleep(rng.uniform(0, span))
        process.send_signal(signal.SIGKILL)
        code = process.wait()
        process.stdout.close(), process.stderr.close()
        state = _state(old_store, old_bytes, old_answers, expected)
        if code == -signal.SIGKILL:
            outcomes["killed, store was the previous one" if state == "old" else "killed after the swap, store complete"] += 1
        else:
            assert code == 0 and state == "new"
            outcomes["finished before the kill"] += 1
        if state == "new":  # the new store is now the one a later kill must leave intact
            old_bytes, old_answers = old_store.read_bytes(), expected
        left = stores.leftovers(old_store)
        temp_files_left_by_kills += bool(left)
        assert len(left) <= 2, f"temp files pile up: {[p.name for p in left]}"  # a store file and its .wal at most

    finisher = _start(new_month, old_store)
    assert finisher.wait() == 0, finisher.stderr.read()
    assert _answers(old_store) == expected
    assert stores.leftovers(old_store) == []
    print(f"\n{KILLS} SIGKILLs over a {span:.1f} s build (seed {SEED}): {outcomes}; "
          f"{temp_files_left_by_kills} left a temp file, all removed by the next build")


def _holds_flock(pid: int, path: Path) -> bool:
    inode = path.stat().st_ino if path.exists() else None
    try:
        lines = Path("/proc/locks").read_text().splitlines()
    except OSError:
        return False
    for line in lines:
        parts = line.split()
        if "FLOCK" in parts and str(pid) in parts:
            device_inode = next(p for p in parts if p.count(":") == 2)
            if inode is not None and int(device_inode.rsplit(":", 1)[1]) == inode:
                return True
    return False


def test_two_builds_at_once_one_is_refused_one_waits(old_store, new_month, expected):
    if not Path("/proc/locks").exists():
        pytest.skip("/proc/locks is needed to see which process holds the build lock")
    old_bytes = old_store.read_bytes()
    lock = old_store.with_name(old_store.name + ".lock")
    first = _start(new_month, old_store)
    try:
        assert _wait_for(lambda: _holds_flock(first.pid, lock), first), first.stderr.read()
        first.send_signal(signal.SIGSTOP)  # hold it there, lock taken, whatever it was doing

        refused = subprocess.run(
            [sys.executable, "-m", "areaprofile", "build", "--source", str(new_month), "--store", str(old_store)],
            capture_output=True, text=True,
        )
        assert refused.returncode == 2
        assert refused.stderr.strip().count("\n") == 0 and "another build is running" in refused.stderr
        assert "Traceback" not in refused.stderr
        assert old_store.read_bytes() == old_bytes

        waiting = _start(new_month, old_store, wait=300)
        time.sleep(1.0)  # give it time to fail if it were going to; it cannot finish while the lock is held
        assert waiting.poll() is None, "the waiting build did not wait for the lock"
    finally:
        first.send_signal(signal.SIGCONT)
    assert first.wait() == 0, first.stderr.read()
    assert waiting.wait() == 0, waiting.stderr.read()
    first.stdout.close(), first.stderr.close(), waiting.stdout.close(), waiting.stderr.close()
    assert _answers(old_store) == expected
    assert stores.leftovers(old_store) == []
