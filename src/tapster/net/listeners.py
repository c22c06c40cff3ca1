"""Listening sockets: TCP over IPv4 and IPv6, unix domain sockets, inherited ones.

Every failure to listen is a ``BindError`` with one line that names the
address and the reason, so that the CLI can print it and exit without a
traceback.
"""

from __future__ import annotations

import errno
import os
import socket
import stat
from collections.abc import Sequence
from dataclasses import dataclass

from .binds import Bind, BindError

__all__ = ["Listener", "close_listeners", "inherited_systemd_binds", "open_listeners"]

#: TCP_DEFER_ACCEPT time-out: after it, a silent connection is accepted anyway
#: (and meets the head time-out like any other). nginx's ``deferred`` uses 1 too.
DEFER_ACCEPT_SECONDS = 1

#: First file descriptor systemd passes (sd_listen_fds(3): SD_LISTEN_FDS_START).
SYSTEMD_FIRST_FD = 3


@dataclass(slots=True)
class Listener:
    """A listening socket and what the server tells applications about it."""

    sock: socket.socket
    bind: Bind
    #: The host part of the address actually bound (``""`` for a unix socket).
    host: str
    #: The port actually bound (the kernel's choice when asked for 0); 0 for unix sockets.
    port: int
    #: Path of a unix socket that this process created and must remove.
    unix_path: str | None = None

    @property
    def is_unix(self) -> bool:
        """Whether this is a unix domain socket."""
        return self.sock.family == socket.AF_UNIX

    @property
    def url(self) -> str:
        """A URL a person can open (or the ``unix:`` address)."""
        if self.is_unix:
            return f"unix:{self.host}"
        host = self.host
        if host in ("0.0.0.0", "::"):
            host = "127.0.0.1" if host == "0.0.0.0" else "[::1]"
        elif ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.port}"


def open_listeners(
    binds: Sequence[Bind],
    *,
    backlog: int,
    unix_socket_mode: int | None = None,
    reuse_port: bool = False,
) -> list[Listener]:
    """Create, bind and listen on every address, or raise ``BindError``.

    Sockets already opened are closed again when a later one fails.
    """
    listeners: list[Listener] = []
    ipv4_ports = {bind.port for bind in binds if bind.host is not None and ":" not in bind.host}
    try:
        for bind in binds:
            if bind.path is not None:
                listener = _open_unix(bind, backlog, unix_socket_mode)
            elif bind.fd is not None:
                listener = _adopt_fd(bind, bind.fd, backlog)
            else:
                listener = _open_tcp(bind, backlog, reuse_port, ipv4_ports)
            listener.sock.setblocking(False)
            listeners.append(listener)
    except BaseException:
        close_listeners(listeners)
        raise
    return listeners


def close_listeners(listeners: Sequence[Listener]) -> None:
    """Close the sockets and remove the unix socket files this process made."""
    for listener in listeners:
        listener.sock.close()
        if listener.unix_path is not None:
            try:
                os.unlink(listener.unix_path)
            except OSError:
                pass


def inherited_systemd_binds() -> list[Bind]:
    """The sockets systemd passed by socket activation (sd_listen_fds(3)).

    Honoured only when ``LISTEN_PID`` names this process; the variables are
    then removed so that child processes do not take the sockets for theirs.
    """
    if os.environ.get("LISTEN_PID") != str(os.getpid()):
        return []
    try:
        count = int(os.environ.get("LISTEN_FDS", "0"))
    except ValueError:
        return []
    for name in ("LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES"):
        os.environ.pop(name, None)
    return [Bind(f"fd://{fd}", fd=fd) for fd in range(SYSTEMD_FIRST_FD, SYSTEMD_FIRST_FD + count)]


def _describe(error: OSError) -> str:
    if error.errno == errno.EADDRINUSE:
        return "address already in use"
    if error.errno == errno.EACCES:
        return "permission denied"
    if error.errno == errno.EADDRNOTAVAIL:
        return "address not available on this machine"
    return error.strerror or str(error)


def _open_tcp(bind: Bind, backlog: int, reuse_port: bool, ipv4_ports: set[int | None]) -> Listener:
    assert bind.host is not None and bind.port is not None
    try:
        infos = socket.getaddrinfo(
            bind.host, bind.port, socket.AF_UNSPEC, socket.SOCK_STREAM, 0, socket.AI_PASSIVE
        )
    except socket.gaierror:
        raise BindError(f"cannot bind {bind.spec}: unknown host {bind.host!r}") from None
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    try:
        # SO_REUSEADDR: rebind at once after a restart, despite TIME_WAIT.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if reuse_port:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        if family == socket.AF_INET6:
            # "[::]" serves IPv4 too (dual stack), unless IPv4 is bound on the
            # same port separately, in which case the two must not overlap.
            v6only = 1 if bind.port in ipv4_ports and bind.port != 0 else 0
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, v6only)
        sock.bind(address)
        sock.listen(backlog)
    except OSError as error:
        sock.close()
        raise BindError(f"cannot bind {bind.spec}: {_describe(error)}") from None
    if hasattr(socket, "TCP_DEFER_ACCEPT"):
        # Linux: report a connection once its first bytes arrived (or after
        # this many seconds), so that accepting it can read its request at
        # once; clients that never speak do not take a descriptor meanwhile.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_DEFER_ACCEPT, DEFER_ACCEPT_SECONDS)
    host, port = sock.getsockname()[:2]
    return Listener(sock, bind, host, port)


def _open_unix(bind: Bind, backlog: int, mode: int | None) -> Listener:
    path = bind.path
    assert path is not None
    _remove_stale_unix_socket(bind, path)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.bind(path)
        if mode is not None:
            os.chmod(path, mode)
        sock.listen(backlog)
    except OSError as error:
        sock.close()
        raise BindError(f"cannot bind {bind.spec}: {_describe(error)}") from None
    return Listener(sock, bind, path, 0, unix_path=path)


def _remove_stale_unix_socket(bind: Bind, path: str) -> None:
    """Remove a socket file left by a dead server; refuse to touch a live one."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return
    except OSError as error:
        raise BindError(f"cannot bind {bind.spec}: {_describe(error)}") from None
    if not stat.S_ISSOCK(mode):
        raise BindError(f"cannot bind {bind.spec}: {path} exists and is not a socket")
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        probe.connect(path)
    except ConnectionRefusedError:
        os.unlink(path)  # nobody listens: left over from a server that died
        return
    except OSError as error:
        raise BindError(f"cannot bind {bind.spec}: {_describe(error)}") from None
    finally:
        probe.close()
    raise BindError(f"cannot bind {bind.spec}: address already in use (a server answers there)")


def _adopt_fd(bind: Bind, fd: int, backlog: int) -> Listener:
    try:
        sock = socket.socket(fileno=fd)
    except OSError:
        raise BindError(f"cannot use {bind.spec}: not an open socket") from None
    if sock.type != socket.SOCK_STREAM:
        sock.detach()
        raise BindError(f"cannot use {bind.spec}: not a stream socket")
    try:
        if not sock.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN):
            sock.listen(backlog)
    except OSError as error:
        sock.detach()
        raise BindError(f"cannot use {bind.spec}: {_describe(error)}") from None
    name = sock.getsockname()
    if sock.family == socket.AF_UNIX:
        return Listener(sock, bind, name if isinstance(name, str) else "", 0)
    return Listener(sock, bind, name[0], name[1])
