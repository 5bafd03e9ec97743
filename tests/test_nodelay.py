"""serve.py turns Nagle's algorithm off on the socket Streamlit listens on (areaprofile/nodelay.py).

Streamlit binds it with protocol 0, so asyncio leaves Nagle on for every connection; a kept-alive
response then waits ~40 ms for the browser's delayed ACK. Real sockets, a real asyncio server."""

from __future__ import annotations

import asyncio
import socket
import sys
import threading

import pytest

from areaprofile import nodelay

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/fd (Linux)")


def _listener_as_streamlit_binds_it() -> socket.socket:
    listener = socket.socket(family=socket.AF_INET)  # protocol 0, as starlette_server._bind_socket makes it
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    return listener


def _nodelay_of_accepted(listener: socket.socket) -> int:
    """TCP_NODELAY of a connection the listener accepts through asyncio, as uvicorn does."""
    seen = []

    async def main():
        async def handle(_reader, writer):
            seen.append(writer.get_extra_info("socket").getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            writer.close()

        listener.setblocking(False)
        server = await asyncio.start_server(handle, sock=listener)
        async with server:
            _reader, writer = await asyncio.open_connection(*listener.getsockname())
            while not seen:
                await asyncio.sleep(0.01)
            writer.close()

    # In a thread of its own: the browser tests' Playwright keeps an event loop running in this one.
    worker = threading.Thread(target=asyncio.run, args=(main(),))
    worker.start()
    worker.join(timeout=30)
    return seen[0]


def test_asyncio_leaves_nagle_on_for_a_listener_bound_as_streamlit_binds_it():
    with _listener_as_streamlit_binds_it() as listener:
        assert listener.proto == 0
        assert _nodelay_of_accepted(listener) == 0


def test_every_connection_a_listener_accepts_sends_without_delay_after_the_call():
    with _listener_as_streamlit_binds_it() as listener, _listener_as_streamlit_binds_it() as other:
        client = socket.socket(socket.AF_INET, socket.SOCK_STREAM)  # not listening: left alone
        try:
            assert nodelay.listeners_without_delay() >= 2
            assert client.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 0
            assert _nodelay_of_accepted(listener) != 0
            assert _nodelay_of_accepted(other) != 0
        finally:
            client.close()
