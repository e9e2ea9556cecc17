"""The workers of `advisor serve`: gevent's, with a deadline on every request's body.

A client that sends its headers and then a byte every few seconds ties up whatever reads
its request. Under gunicorn's threaded workers (`--worker-class gthread`) that is a thread:
sixteen such clients take every thread of two workers of four, and every other request waits
until it times out. Here each connection is a greenlet of gevent's event loop, which costs
next to nothing while it waits, so slow and stalled clients hold back no other; and each is
bounded in time:

* the request line and headers must arrive within `serve.HEADER_SECONDS` of the connection's
  previous request (or of its opening): gevent's own timeout, gunicorn's `keepalive`
  (`advisor.server.serve`);
* the body must arrive within `--body-timeout` seconds (BODY_SECONDS by default) of the
  headers, however it trickles: every read of the socket waits at most what is left until
  then, and past it the application answers 408 (`advisor.server.app`);
* an answer must be taken within SEND_SECONDS by a client that stopped reading.
"""
from __future__ import annotations

import socket
import time
from functools import partial
from typing import Any, Optional

from gunicorn.workers.ggevent import GeventWorker

from advisor.server.serve import BODY_SECONDS

SEND_SECONDS = 30.0
LINGER_SECONDS, LINGER_BYTES = 2.0, 1024 * 1024  # reading what a client sends after its answer, then closing


class BodyTimeout(socket.timeout):
    """The request body did not arrive by its deadline."""


class DeadlineSocket:
    """A client socket whose reads stop at the request's deadline, however slowly bytes come;
    everything else is the socket's own."""

    def __init__(self, sock: Any):
        self._sock = sock
        self.deadline: Optional[float] = None
        self.seconds = BODY_SECONDS

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sock, name)

    def recv(self, size: int, *flags: int) -> bytes:
        self._before_read()
        data: bytes = self._sock.recv(size, *flags)
        return data

    def recv_into(self, buffer: Any, *args: Any) -> int:
        self._before_read()
        count: int = self._sock.recv_into(buffer, *args)
        return count

    def _before_read(self) -> None:
        if self.deadline is None:
            self._sock.settimeout(None)  # the header deadline is gevent's, around the whole parse
            return
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise BodyTimeout(f"the request body did not arrive within {self.seconds:g} s")
        self._sock.settimeout(left)

    def sendall(self, data: bytes, *flags: int) -> None:
        self._sock.settimeout(SEND_SECONDS)
        self._sock.sendall(data, *flags)

    def send(self, data: bytes, *flags: int) -> int:
        self._sock.settimeout(SEND_SECONDS)
        sent: int = self._sock.send(data, *flags)
        return sent

    def close(self) -> None:
        """As gunicorn's threaded workers close (RFC 9112, 9.6): the answer is sent, then what the
        client is still sending (the rest of a body refused with 413) is read for a moment, so
        that the kernel does not reset the connection before the client has read the answer."""
        sock = self._sock
        try:
            sock.shutdown(socket.SHUT_WR)
            deadline = time.monotonic() + LINGER_SECONDS
            drained = 0
            while drained < LINGER_BYTES and time.monotonic() < deadline:
                sock.settimeout(max(0.0, deadline - time.monotonic()))
                data = sock.recv(65536)
                if not data:
                    break
                drained += len(data)
        except OSError:  # the client is gone already, or still sending past the linger
            pass
        finally:
            sock.close()


class NamedListener:
    """A listening socket's name, read while it is open, for the handlers that ask it later."""

    def __init__(self, listener: Any):
        self.name = listener.getsockname()

    def getsockname(self) -> Any:
        return self.name


class DeadlineGeventWorker(GeventWorker):
    """gunicorn's gevent worker, each request's body read against a deadline, and which stops
    accepting connections the moment it is told to stop.

    gunicorn's own loop looks whether it should stop once a second: for up to a second after a
    reload had replaced it, an old worker took new connections and answered them with the old
    rules, after new workers had answered with the new ones. Here the signal wakes the loop,
    as it wakes the threaded workers'; the rest is gunicorn's: requests under way are finished
    within the graceful timeout, then the worker exits.
    """

    def run(self) -> None:
        import gevent
        from gevent.event import Event
        from gevent.pool import Pool
        from gevent.server import StreamServer

        self._told_to_stop = Event()
        servers = []
        for listener in self.sockets:  # advisor serve takes no certificate: plain TCP only
            listener.setblocking(1)
            # Each connection's handler asks its listener's name, also after the listener is closed below.
            named = NamedListener(listener)
            server = StreamServer(listener, handle=partial(self.handle, named), spawn=Pool(self.worker_connections))
            if self.cfg.workers > 1:
                server.max_accept = 1  # one connection at a time, so that the workers share them
            server.start()
            servers.append(server)
        while self.alive:
            self.notify()
            self._told_to_stop.wait(1.0)
        for server in servers:
            # No new connection from here on: they wait in the listening socket, which the master
            # and the new workers hold, for those to accept. Only closing this worker's copy makes
            # that last: stop_accepting alone is undone by a callback gevent runs once its loop
            # first turns, and a worker told to stop while it booted then took a connection on
            # its way out and reset it.
            server.close()
        deadline = time.monotonic() + self.cfg.graceful_timeout
        while any(server.pool.free_count() != server.pool.size for server in servers):
            if time.monotonic() > deadline:
                self.log.warning("Worker graceful timeout (pid:%s)", self.pid)
                for server in servers:
                    server.stop(timeout=1)
                return
            self.notify()
            gevent.sleep(0.1)

    def handle_exit(self, sig: Any, frame: Any) -> None:
        super().handle_exit(sig, frame)
        stop = getattr(self, "_told_to_stop", None)
        if stop is not None:
            stop.set()

    def handle(self, listener: Any, client: Any, addr: Any) -> None:
        super().handle(listener, DeadlineSocket(client), addr)

    def handle_request(self, listener_name: Any, req: Any, sock: Any, addr: Any) -> Any:
        sock.seconds = getattr(getattr(self.app, "settings", None), "body_timeout", BODY_SECONDS)
        sock.deadline = time.monotonic() + sock.seconds
        try:
            return super().handle_request(listener_name, req, sock, addr)
        finally:
            sock.deadline = None
