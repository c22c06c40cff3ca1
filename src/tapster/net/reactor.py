"""The event loop: accepts connections and reports readable ones, on one thread.

Design, chosen by measurement (see docs/architecture.md):

- One thread runs ``epoll``. Connections are registered ``EPOLLONESHOT``
  (lazily, the first time a read would block):
  after one readiness report a connection reports nothing more (not even a
  hang-up) until it is armed again. So exactly one thread owns a connection
  at any time: the loop while it is armed, otherwise whichever thread the
  connection handed itself to. A worker thread that finishes a response
  writes it itself and re-arms the connection with one ``epoll_ctl``; the
  loop is never woken to write. asyncio cannot hand over ownership this way
  (every write from another thread costs a ``call_soon_threadsafe`` wake-up),
  which is why this loop is purpose-built.
- Time-outs are deadlines on the handlers, swept twice a second; only armed
  handlers (those the loop owns) can time out.
- Accepting stops while ``max_connections`` are open, and for a moment when
  the process runs out of file descriptors, so the kernel's backlog queues
  instead of the loop spinning.

This module knows sockets and readiness, nothing of HTTP: what a connection
does when readable is its handler's business.
"""

from __future__ import annotations

import errno
import logging
import select
import socket
import time
from collections.abc import Callable, Sequence
from typing import Protocol

from .listeners import Listener, close_listeners

__all__ = ["Handler", "Reactor"]

log = logging.getLogger("tapster.error")

_READ_ONCE = select.EPOLLIN | select.EPOLLONESHOT
_WRITE_ONCE = select.EPOLLOUT | select.EPOLLONESHOT
#: Connections accepted per readiness report of a listener, so that a burst
#: of new connections cannot starve the ones already open.
_ACCEPT_BATCH = 64
#: How often deadlines are checked; a time-out fires at most this late.
_SWEEP_INTERVAL = 0.5
#: Pause in accepting after EMFILE/ENFILE: no busy loop while descriptors are out.
_ACCEPT_BACKOFF = 0.5
_OUT_OF_RESOURCES = {errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM}


class Handler(Protocol):
    """What the reactor needs of a connection."""

    #: The socket's file descriptor.
    fd: int
    #: Whether the loop owns it (armed for reading); set by the reactor.
    armed: bool
    #: Whether its socket is in the epoll set yet; set by the reactor.
    registered: bool
    #: ``time.monotonic()`` value after which ``on_timeout()`` is due; 0 for never.
    deadline: float

    def on_readable(self) -> None:
        """The socket is readable (or closed); the handler owns it now."""

    def on_timeout(self) -> None:
        """The deadline passed while the loop owned the connection."""

    def on_shutdown(self) -> None:
        """The server stops; close now if idle (the loop owns the connection)."""


AcceptFunction = Callable[[socket.socket, object, Listener], Handler]


class Reactor:
    """The loop: accepts, dispatches readiness, enforces deadlines, stops gracefully."""

    def __init__(
        self,
        listeners: Sequence[Listener],
        accept: AcceptFunction,
        *,
        max_connections: int,
        on_sweep: Callable[[float], None] | None = None,
    ) -> None:
        if not hasattr(select, "epoll"):
            # OSError, so that the command line reports it as one line.
            raise OSError("tapster's server needs Linux (epoll); this system has none yet")
        self._epoll = select.epoll()
        self._listeners = {listener.sock.fileno(): listener for listener in listeners}
        self._accept_handler = accept
        self.max_connections = max_connections
        #: Called with ``time.monotonic()`` at every deadline sweep (twice a
        #: second, busy or idle): how a worker process beats its heartbeat.
        self.on_sweep = on_sweep
        #: Open connections by file descriptor.
        self.handlers: dict[int, Handler] = {}
        self._accepting = False
        self._accept_resume_at = 0.0
        #: Whether accepting is paused for want of descriptors (logged once per episode).
        self._out_of_descriptors = False
        self._stop_deadline: float | None = None
        #: In a graceful stop, how long idle connections may still bring a last request.
        self.idle_linger = 0.0
        #: Whether ``stop()`` was called (a plain attribute: read on every request).
        self.stopping = False
        self._wake_reader, self._wake_writer = socket.socketpair()
        self._wake_reader.setblocking(False)
        self._wake_writer.setblocking(False)
        self._epoll.register(self._wake_reader.fileno(), select.EPOLLIN)

    # -- called from any thread ---------------------------------------------------

    def arm(self, handler: Handler, events: int = _READ_ONCE) -> None:
        """Give the connection back to the loop; its next readiness is reported once.

        ``events`` is readability by default; ``arm_writable`` asks for writability.
        """
        handler.armed = True
        try:
            if handler.registered:
                self._epoll.modify(handler.fd, events)
            else:
                handler.registered = True
                self._epoll.register(handler.fd, events)
        except (OSError, ValueError):
            # The epoll object closed at shutdown: nobody will serve this one.
            handler.armed = False
            handler.on_timeout()

    def arm_writable(self, handler: Handler) -> None:
        """Like ``arm``, but report the socket once it is writable (``on_readable`` still).

        For the rare stage that waits to write on the loop: a TLS handshake
        whose reply did not fit the socket buffer.
        """
        self.arm(handler, _WRITE_ONCE)

    def hand_over(self, old: Handler, new: Handler) -> None:
        """Let ``new`` serve ``old``'s socket from now on, and let it read at once.

        For connections set up in stages on the loop thread (a PROXY header,
        a TLS handshake, then HTTP); called by the loop's owner of ``old``.
        """
        new.registered = old.registered
        new.armed = False
        self.handlers[new.fd] = new
        new.on_readable()

    def forget(self, handler: Handler) -> None:
        """Drop a connection that its owner is about to close (before closing it)."""
        self.handlers.pop(handler.fd, None)

    def stop(self, grace: float, idle_linger: float = 0.0) -> None:
        """Close the listeners; let busy connections finish within ``grace`` seconds.

        Idle connections are closed at once, or given ``idle_linger`` seconds
        to bring one last request (their handler's ``on_shutdown`` decides).
        """
        self.idle_linger = min(idle_linger, grace)
        self._stop_deadline = time.monotonic() + grace
        self.stopping = True
        self.wake()

    def wake(self) -> None:
        """Interrupt the loop's wait (thread-safe; what a signal handler may call)."""
        try:
            self._wake_writer.send(b"\0")
        except OSError:
            pass  # the pipe is full: the loop is already due to wake

    @property
    def wakeup_fd(self) -> int:
        """A descriptor for ``signal.set_wakeup_fd``, so that signals end a wait."""
        return self._wake_writer.fileno()

    # -- the loop thread ------------------------------------------------------------

    def run(self) -> None:
        """Serve until ``stop()``, then until the busy connections finish or grace ends."""
        epoll = self._epoll
        handlers = self.handlers
        listeners = self._listeners
        wake_fd = self._wake_reader.fileno()
        self._resume_accepting()
        next_sweep = time.monotonic() + _SWEEP_INTERVAL
        stopping_seen = False
        try:
            while True:
                timeout = max(0.0, next_sweep - time.monotonic())
                for fd, _ in epoll.poll(timeout):
                    handler = handlers.get(fd)
                    if handler is not None:
                        handler.armed = False
                        handler.on_readable()
                    elif fd in listeners:
                        self._accept(listeners[fd])
                    elif fd == wake_fd:
                        self._drain_wakeups()
                now = time.monotonic()
                if now >= next_sweep:
                    self._sweep(now)
                    if self.on_sweep is not None:
                        self.on_sweep(now)
                    next_sweep = now + _SWEEP_INTERVAL
                if self.stopping:
                    if not stopping_seen:
                        stopping_seen = True
                        self._begin_shutdown()
                    if not handlers or now >= self._stop_deadline:
                        break
                    # Notice finished workers soon: a worker that closes its
                    # connection does not wake the loop. (After the sweep, which
                    # would otherwise push the next wait back to a full interval.)
                    next_sweep = min(next_sweep, now + 0.05)
                elif (
                    not self._accepting
                    and now >= self._accept_resume_at
                    and len(handlers) < self.max_connections
                ):
                    self._resume_accepting()
        finally:
            self._close_everything()

    def _accept(self, listener: Listener) -> None:
        handlers = self.handlers
        for _ in range(_ACCEPT_BATCH):
            try:
                sock, address = listener.sock.accept()
            except BlockingIOError:
                return
            except OSError as error:
                if error.errno in _OUT_OF_RESOURCES:
                    # The connection stays in the backlog and the listener
                    # readable: polling it now would spin. Try again after a
                    # pause, until open connections close and free descriptors.
                    if not self._out_of_descriptors:
                        self._out_of_descriptors = True
                        log.warning(
                            "cannot accept: %s; new connections wait in the backlog, "
                            "retrying every %.1fs (%d open)",
                            error, _ACCEPT_BACKOFF, len(handlers),
                        )
                    self._pause_accepting(_ACCEPT_BACKOFF)
                    return
                continue  # ECONNABORTED and friends: that client already left
            if self._out_of_descriptors:
                self._out_of_descriptors = False
                log.warning("accepting again (%d open)", len(handlers))
            sock.setblocking(False)
            handler = self._accept_handler(sock, address, listener)
            handlers[handler.fd] = handler
            # Read at once: the request is usually there already (listeners
            # defer accepting until data arrives where the OS can), which
            # saves a round through epoll. The handler arms itself (and so
            # registers) only when the read would block.
            handler.on_readable()
            if len(handlers) >= self.max_connections:
                self._pause_accepting(0.0)
                return

    def _pause_accepting(self, seconds: float) -> None:
        if self._accepting:
            for fd in self._listeners:
                self._epoll.unregister(fd)
            self._accepting = False
        self._accept_resume_at = time.monotonic() + seconds

    def _resume_accepting(self) -> None:
        for fd in self._listeners:
            self._epoll.register(fd, select.EPOLLIN)
        self._accepting = True

    def _drain_wakeups(self) -> None:
        try:
            while self._wake_reader.recv(4096):
                pass
        except OSError:
            pass

    def _sweep(self, now: float) -> None:
        expired = [
            handler
            for handler in self.handlers.values()
            if handler.armed and handler.deadline and handler.deadline <= now
        ]
        for handler in expired:
            handler.armed = False
            handler.on_timeout()

    def _begin_shutdown(self) -> None:
        # Connections already in the backlog would be reset when the socket
        # closes (or, under a prefork master, when a worker's own SO_REUSEPORT
        # socket closes): take them in and serve them.
        for listener in list(self._listeners.values()):
            if not self._accepting:
                break  # at max_connections (or out of descriptors)
            self._accept(listener)
        self._pause_accepting(float("inf"))
        # Close the listening sockets now, not at exit: a client connecting
        # during the drain is refused at once and can go elsewhere, instead
        # of waiting in the backlog to be reset when the process ends.
        close_listeners(list(self._listeners.values()))
        for handler in [handler for handler in self.handlers.values() if handler.armed]:
            handler.armed = False
            handler.on_shutdown()

    def _close_everything(self) -> None:
        # Grace is over (or the loop failed): whatever is still open is closed.
        for handler in list(self.handlers.values()):
            handler.armed = False
            handler.on_timeout()
        self.handlers.clear()
        self._epoll.close()
        self._wake_reader.close()
        self._wake_writer.close()
