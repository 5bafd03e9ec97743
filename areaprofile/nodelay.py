"""Streamlit's server without Nagle's 40 ms wait on every response (``serve.py``).

Streamlit 1.67 binds its listening socket itself (``starlette_server._bind_socket``) as
``socket.socket(family)``, whose protocol is 0, not ``IPPROTO_TCP``. asyncio turns Nagle's algorithm
off (``TCP_NODELAY``) only on connections whose socket says TCP, so Streamlit's connections keep it:
a response written in two parts (headers, then body) waits for the client's delayed ACK. From the
third request on a kept-alive connection every response took 44 ms instead of 2 (curl,
``http.client``; 25 ``fetch()`` calls one after another in Chromium: 1,150 ms, 173 ms without).
A page's ~100 parallel requests for its scripts did not load measurably faster here.

``serve.py`` runs after Streamlit has bound its port and before it accepts anything, so
:func:`listeners_without_delay` finds the process's listening TCP sockets and turns Nagle off on
them; Linux gives that setting to every connection a listener accepts. Elsewhere (no ``/proc``) it
does nothing.
"""

from __future__ import annotations

import logging
import os
import socket

_FDS = "/proc/self/fd"
_LOG = logging.getLogger(__name__)
#: Logged when serve.py finds no listener (a Streamlit that imports it before binding, say).
NOT_FOUND = "areaprofile: found no listening socket to send without delay on"


def listeners_without_delay() -> int:
    """Turn Nagle's algorithm off on every listening TCP socket of this process; how many there were."""
    if not os.path.isdir(_FDS):
        return 0
    done = 0
    for name in os.listdir(_FDS):
        try:
            fd = int(name)
            if not os.readlink(f"{_FDS}/{name}").startswith("socket:"):
                continue
            # A second socket object on the same open socket: options set on it are the listener's.
            probe = socket.socket(fileno=os.dup(fd))
        except (ValueError, OSError):
            continue  # gone meanwhile (the directory's own descriptor), or not a socket after all
        with probe:
            if (probe.family in (socket.AF_INET, socket.AF_INET6) and probe.type == socket.SOCK_STREAM
                    and probe.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN)):
                probe.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                done += 1
    if not done:
        _LOG.warning("%s; kept-alive responses may wait ~40 ms each", NOT_FOUND)
    return done
