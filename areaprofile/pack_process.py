"""The forum-update pack made in a worker process, so the server's memory comes back.

Laying out the pack loads WeasyPrint, its fonts and matplotlib; a process that has done so keeps
70-100 MB it never returns. The dashboard therefore asks :func:`pack_files` here, which hands the
work to a worker (``python -m areaprofile.pack_process``) and takes back the finished files (HTML,
PDF, CSV): exactly what :func:`areaprofile.report.pack_files` returns in-process. The CLI's
``areaprofile report`` still calls the report module directly: its process ends anyway.

The worker starts on the first pack and stops after :data:`IDLE_S` seconds without one, so someone
changing the area or month a few times pays its start-up (1-2 s of imports) once, and the memory
is returned a minute after the last pack. One pack is made at a time.
"""

from __future__ import annotations

import os
import pickle
import select
import struct
import subprocess
import sys
import threading

from areaprofile.errors import AreaprofileError
from areaprofile.query import Store

#: A worker with no pack to make for this long exits (and its memory goes back to the system).
IDLE_S = float(os.environ.get("AREAPROFILE_PACK_WORKER_IDLE_S", "60"))
#: A pack takes 1-3 s; a worker still busy after this is stuck, not slow.
TIMEOUT_S = 180

_HEADER = struct.Struct("!Q")
_lock = threading.Lock()
_worker: subprocess.Popen | None = None


def pack_files(store: Store, area: str, month: str | None = None, suppress_under: int | None = None,
               register=None, last_meeting=None, place: tuple[str, str] | None = None) -> dict:
    """:func:`areaprofile.report.pack_files` for ``store``, computed in the worker process.

    The register travels as its URL (the worker opens its own connection), so page two reads the
    same register, as it is now, as the page does."""
    register_url = register.url if register is not None else None
    request = (str(store.path), store.scheme, store.version, area, month, suppress_under, register_url, last_meeting, place)
    with _lock:
        try:
            answer = _ask(request)
        except (OSError, EOFError, pickle.UnpicklingError):  # the worker had just timed out, or died
            _stop()
            try:
                answer = _ask(request)
            except (OSError, EOFError, pickle.UnpicklingError) as exc:
                _stop()
                raise AreaprofileError(f"The pack could not be made ({exc or type(exc).__name__}); try again, "
                                       "or tell whoever runs this site.") from None
    kind, value = answer
    if kind == "error":
        raise AreaprofileError(value)
    if kind == "changed":
        raise AreaprofileError("The data was rebuilt while the pack was being made; reload the page.")
    return value


def _ask(request: tuple):
    global _worker
    if _worker is None or _worker.poll() is not None:
        _worker = subprocess.Popen([sys.executable, "-m", "areaprofile.pack_process"], stdin=subprocess.PIPE,
                                   stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    _send(_worker.stdin, request)
    ready, _, _ = select.select([_worker.stdout], [], [], TIMEOUT_S)
    if not ready:
        _stop()
        raise AreaprofileError(f"Making the pack took over {TIMEOUT_S} s and was stopped; try again in a minute.")
    return _receive(_worker.stdout)


def _stop() -> None:
    global _worker
    if _worker is not None and _worker.poll() is None:
        _worker.kill()
        _worker.wait()
    _worker = None


def _send(stream, value) -> None:
    data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_HEADER.pack(len(data)) + data)
    stream.flush()


def _receive(stream):
    header = stream.read(_HEADER.size)
    if len(header) < _HEADER.size:
        raise EOFError("the worker stopped")
    (size,) = _HEADER.unpack(header)
    data = stream.read(size)
    if len(data) < size:
        raise EOFError("the worker stopped mid-answer")
    return pickle.loads(data)


def serve(requests, answers, idle_s: float = IDLE_S) -> None:
    """The worker: answer requests until none comes for ``idle_s`` seconds or the server goes."""
    from areaprofile import partnership, query, report
    from areaprofile.register import open_register

    while select.select([requests], [], [], idle_s)[0]:
        try:
            path, scheme, version, area, month, suppress_under, register_url, last_meeting, place = _receive(requests)
        except EOFError:
            return
        try:
            store = query.open_store(path, scheme or None)
            if store.version != version:
                answer = ("changed", None)
            else:
                register = open_register(register_url, partnership.of_store(store)) if register_url else None
                answer = ("files", report.pack_files(store, area, month, suppress_under,
                                                     register=register, last_meeting=last_meeting, place=place))
        except AreaprofileError as exc:
            answer = ("error", exc.message)
        except Exception as exc:  # a bug: one sentence for the page, and the worker lives on
            answer = ("error", f"The pack could not be made ({type(exc).__name__}: {str(exc)[:160]}); "
                               "tell whoever runs this site.")
        _send(answers, answer)


if __name__ == "__main__":
    serve(sys.stdin.buffer, sys.stdout.buffer)
