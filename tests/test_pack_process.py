"""The forum-update pack made in the worker process: the same files as in-process, errors as one
sentence, the worker reused while busy and gone when idle, and WeasyPrint never in the caller."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

from areaprofile import pack_process, query, report
from areaprofile.errors import AreaprofileError


@pytest.fixture(scope="module")
def store(built_store):
    yield query.open_store(built_store)
    pack_process._stop()


def test_worker_pack_is_the_in_process_pack(store):
    files = pack_process.pack_files(store, "Chew Valley", "2021-03", 5)
    expected = report.pack_files(store, "Chew Valley", "2021-03", 5)
    assert files["csv"] == expected["csv"]
    assert files["html"] == expected["html"]
    assert (files["stem"], files["title"], files["pages"]) == (expected["stem"], expected["title"], expected["pages"])
    assert files["pdf"][:5] == b"%PDF-"
    first = pack_process._worker.pid
    pack_process.pack_files(store, "Keynsham")
    assert pack_process._worker.pid == first, "a second pack soon after reuses the worker"


def test_user_errors_come_back_as_one_sentence(store):
    with pytest.raises(AreaprofileError, match=r"^Unknown area 'Nowhere'; choose one of"):
        pack_process.pack_files(store, "Nowhere")
    with pytest.raises(AreaprofileError, match=r"No police.uk data is loaded for 2030-01"):
        pack_process.pack_files(store, "Bath", "2030-01")
    assert pack_process._worker.poll() is None, "a user error does not stop the worker"


def test_killed_worker_is_replaced(store):
    pack_process.pack_files(store, "Bath")
    pack_process._worker.kill()
    pack_process._worker.wait()
    assert pack_process.pack_files(store, "Bath")["pages"] == 1


def test_idle_worker_exits_and_the_caller_never_loads_weasyprint(built_store):
    """In a fresh process (as the server is): after a pack, neither WeasyPrint nor matplotlib is
    loaded there, and the worker exits once idle."""
    script = textwrap.dedent(f"""
        import sys, time
        from areaprofile import pack_process, query
        files = pack_process.pack_files(query.open_store({str(built_store)!r}), "Keynsham")
        assert files["pages"] == 1
        worker = pack_process._worker
        print(sorted(m for m in ("weasyprint", "matplotlib", "pyphen", "fontTools") if m in sys.modules))
        deadline = time.monotonic() + 60
        while worker.poll() is None and time.monotonic() < deadline:
            time.sleep(0.2)
        print(worker.poll())
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "AREAPROFILE_PACK_WORKER_IDLE_S": "1"})
    assert done.returncode == 0, done.stderr[-2000:]
    loaded, exit_code = done.stdout.split("\n")[:2]
    assert loaded == "[]"
    assert exit_code == "0", "the idle worker exits by itself"
