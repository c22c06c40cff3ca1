"""``open_listeners`` on real sockets: TCP (IPv4, IPv6, dual stack), unix, inherited fds."""

from __future__ import annotations

import contextlib
import errno
import os
import select
import socket
import stat
import struct
import tempfile
import time
from collections.abc import Callable, Iterator

import pytest

from tapster.net import (
    Bind,
    BindError,
    Listener,
    close_listeners,
    inherited_systemd_binds,
    open_listeners,
    parse_bind,
)


def has_ipv6_loopback() -> bool:
    """Whether ``::1`` can be bound on this machine."""
    if not socket.has_ipv6:
        return False
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as sock:
            sock.bind(("::1", 0))
    except OSError:
        return False
    return True


needs_ipv6 = pytest.mark.skipif(not has_ipv6_loopback(), reason="no IPv6 loopback here")


@contextlib.contextmanager
def listening(*specs: str, backlog: int = 16, **options: object) -> Iterator[list[Listener]]:
    """``open_listeners`` for the block's duration."""
    listeners = open_listeners([parse_bind(spec) for spec in specs], backlog=backlog, **options)
    try:
        yield listeners
    finally:
        close_listeners(listeners)


def accept_one(listener: Listener, timeout: float = 5.0) -> socket.socket:
    """Accept one connection on a (non-blocking) listener, failing after ``timeout``."""
    ready, _, _ = select.select([listener.sock], [], [], timeout)
    assert ready, "no connection arrived"
    sock, _ = listener.sock.accept()
    return sock


def assert_round_trip(listener: Listener, client: socket.socket) -> None:
    """The listener accepts ``client``'s connection and bytes flow both ways.

    The client speaks first: a TCP listener defers accepting until it does.
    """
    client.settimeout(5)
    client.sendall(b"ping")
    with client, accept_one(listener) as served:
        served.settimeout(5)
        assert served.recv(4) == b"ping"
        served.sendall(b"pong")
        assert client.recv(4) == b"pong"


def unix_client(path: str) -> socket.socket:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(5)
    sock.connect(path)
    return sock


def max_backlog(sock: socket.socket) -> int:
    """The accept queue's size the kernel gave a listening TCP socket.

    For a listening socket, Linux reports it in ``tcp_info.tcpi_sacked``
    (and the current queue length in ``tcpi_unacked``).
    """
    info = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 104)
    return struct.unpack_from("8B6I", info)[13]


def queued(sock: socket.socket) -> int:
    """Connections waiting in a listening TCP socket's accept queue (``tcpi_unacked``)."""
    info = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 104)
    return struct.unpack_from("8B6I", info)[12]


def wait_queued(sock: socket.socket, count: int, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while queued(sock) != count:
        assert time.monotonic() < deadline, f"{queued(sock)} queued, not {count}"
        time.sleep(0.01)


def somaxconn() -> int:
    with open("/proc/sys/net/core/somaxconn") as file:
        return int(file.read())


def free_dual_stack_port() -> int:
    """A port free on both 0.0.0.0 and [::] at the moment of asking."""
    with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        sock.bind(("::", 0))
        return sock.getsockname()[1]


# -- TCP over IPv4 ------------------------------------------------------------------


def test_ipv4_port_0_gets_a_real_port():
    with listening("127.0.0.1:0") as [listener]:
        assert listener.sock.family == socket.AF_INET
        assert listener.host == "127.0.0.1"
        assert 0 < listener.port < 65536
        assert listener.port == listener.sock.getsockname()[1]
        assert listener.url == f"http://127.0.0.1:{listener.port}"
        assert not listener.is_unix
        assert listener.unix_path is None
        assert listener.bind == parse_bind("127.0.0.1:0")
        assert listener.sock.getblocking() is False
        assert_round_trip(listener, socket.create_connection(("127.0.0.1", listener.port)))


def test_all_interfaces_url_names_the_loopback():
    with listening(":0") as [listener]:
        assert listener.host == "0.0.0.0"
        assert listener.url == f"http://127.0.0.1:{listener.port}"
        assert_round_trip(listener, socket.create_connection(("127.0.0.1", listener.port)))


def test_host_name_is_resolved():
    with listening("localhost:0") as [listener]:
        assert listener.host in ("127.0.0.1", "::1")
        client = socket.create_connection((listener.host, listener.port))
        assert_round_trip(listener, client)


def test_so_reuseaddr_is_set():
    with listening("127.0.0.1:0") as [listener]:
        assert listener.sock.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR)


@pytest.mark.skipif(not hasattr(socket, "TCP_DEFER_ACCEPT"), reason="Linux only")
def test_tcp_listeners_defer_accepting_until_data_arrives():
    with listening("127.0.0.1:0") as [listener]:
        assert listener.sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_DEFER_ACCEPT) > 0
        with socket.create_connection(("127.0.0.1", listener.port)) as client:
            time.sleep(0.1)
            assert queued(listener.sock) == 0  # connected, silent: not yet acceptable
            client.sendall(b"GET")
            wait_queued(listener.sock, 1)
            accept_one(listener).close()


def test_so_reuseport_only_when_asked():
    with listening("127.0.0.1:0") as [plain]:
        assert not plain.sock.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT)
    with listening("127.0.0.1:0", reuse_port=True) as [shared]:
        assert shared.sock.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT)
        # A second socket may then listen on the same port (prefork workers).
        with listening(f"127.0.0.1:{shared.port}", reuse_port=True) as [second]:
            assert second.port == shared.port


@pytest.mark.parametrize("backlog", [1, 7, 100])
def test_backlog_is_honoured(backlog):
    with listening("127.0.0.1:0", backlog=backlog) as [listener]:
        assert max_backlog(listener.sock) == backlog


def test_backlog_is_capped_by_somaxconn_only():
    with listening("127.0.0.1:0", backlog=2048) as [listener]:
        assert max_backlog(listener.sock) == min(2048, somaxconn())


def test_backlog_queues_connections_until_accepted():
    with listening("127.0.0.1:0", backlog=3) as [listener]:
        clients = [socket.create_connection(("127.0.0.1", listener.port)) for _ in range(3)]
        try:
            for client in clients:
                client.sendall(b"x")  # queued once they speak (TCP_DEFER_ACCEPT)
            wait_queued(listener.sock, 3)
            for _ in clients:
                accept_one(listener).close()
        finally:
            for client in clients:
                client.close()


# -- IPv6 and dual stack ------------------------------------------------------------


@needs_ipv6
def test_ipv6_loopback():
    with listening("[::1]:0") as [listener]:
        assert listener.sock.family == socket.AF_INET6
        assert listener.host == "::1"
        assert listener.port > 0
        assert listener.url == f"http://[::1]:{listener.port}"
        assert_round_trip(listener, socket.create_connection(("::1", listener.port)))


@needs_ipv6
def test_ipv6_any_is_dual_stack():
    with listening("[::]:0") as [listener]:
        assert listener.sock.family == socket.AF_INET6
        assert listener.sock.getsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY) == 0
        assert listener.url == f"http://[::1]:{listener.port}"
        assert_round_trip(listener, socket.create_connection(("127.0.0.1", listener.port)))
        assert_round_trip(listener, socket.create_connection(("::1", listener.port)))


@needs_ipv6
def test_ipv6_any_beside_ipv4_on_the_same_port_is_ipv6_only():
    # The [::] socket is bound first: were it dual stack, 0.0.0.0 would be taken.
    for _ in range(5):  # the free port may be taken between asking and binding
        port = free_dual_stack_port()
        try:
            context = listening(f"[::]:{port}", f"0.0.0.0:{port}")
            listeners = context.__enter__()
        except BindError as error:
            assert "address already in use" in str(error)
            continue
        try:
            ipv6, ipv4 = listeners
            assert ipv6.sock.getsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY) == 1
            assert ipv4.sock.family == socket.AF_INET
            assert (ipv6.port, ipv4.port) == (port, port)
            assert_round_trip(ipv4, socket.create_connection(("127.0.0.1", port)))
            assert_round_trip(ipv6, socket.create_connection(("::1", port)))
        finally:
            context.__exit__(None, None, None)
        return
    pytest.fail("no port was free on both families")


# -- unix domain sockets ------------------------------------------------------------


def test_unix_socket_is_created_and_removed_on_close(tmp_path):
    path = str(tmp_path / "app.sock")
    with listening(f"unix:{path}") as [listener]:
        assert stat.S_ISSOCK(os.stat(path).st_mode)
        assert listener.is_unix
        assert listener.host == path
        assert listener.port == 0
        assert listener.unix_path == path
        assert listener.url == f"unix:{path}"
        assert_round_trip(listener, unix_client(path))
    assert not os.path.exists(path)


@pytest.mark.parametrize("mode", [0o600, 0o660, 0o666])
def test_unix_socket_mode_is_applied(tmp_path, mode):
    path = str(tmp_path / "app.sock")
    with listening(f"unix:{path}", unix_socket_mode=mode):
        assert stat.S_IMODE(os.stat(path).st_mode) == mode


def test_unix_socket_mode_defaults_to_the_umask(tmp_path):
    path = str(tmp_path / "app.sock")
    previous = os.umask(0o077)
    try:
        with listening(f"unix:{path}"):
            assert stat.S_IMODE(os.stat(path).st_mode) == 0o700
    finally:
        os.umask(previous)


def test_stale_unix_socket_file_is_replaced(tmp_path):
    path = str(tmp_path / "app.sock")
    dead = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    dead.bind(path)
    dead.listen(1)
    dead.close()  # a server that died: the file stays, nobody listens
    assert stat.S_ISSOCK(os.stat(path).st_mode)
    with listening(f"unix:{path}") as [listener]:
        assert_round_trip(listener, unix_client(path))
    assert not os.path.exists(path)


def test_live_unix_socket_is_refused(tmp_path):
    path = str(tmp_path / "app.sock")
    with listening(f"unix:{path}") as [live]:
        with pytest.raises(BindError, match="already in use") as caught:
            open_listeners([parse_bind(f"unix:{path}")], backlog=16)
        assert str(caught.value).startswith(f"cannot bind unix:{path}: ")
        # The probe that found it alive was a connection that closed at once;
        # the live server's socket is otherwise untouched.
        with accept_one(live) as probe:
            probe.settimeout(5)
            assert probe.recv(1) == b""
        assert_round_trip(live, unix_client(path))


def test_regular_file_at_the_unix_path_is_refused(tmp_path):
    path = tmp_path / "app.sock"
    path.write_text("precious")
    with pytest.raises(BindError, match="exists and is not a socket"):
        open_listeners([parse_bind(f"unix:{path}")], backlog=16)
    assert path.read_text() == "precious"


def test_unix_socket_in_a_missing_directory(tmp_path):
    path = tmp_path / "missing" / "app.sock"
    with pytest.raises(BindError, match="No such file or directory"):
        open_listeners([parse_bind(f"unix:{path}")], backlog=16)


def test_unix_socket_not_created_by_us_is_not_removed(tmp_path):
    # A unix socket adopted by fd:// belongs to whoever created it.
    path = str(tmp_path / "app.sock")
    owner = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    owner.bind(path)
    owner.listen(4)
    listeners = open_listeners([Bind("fd", fd=owner.detach())], backlog=16)
    [listener] = listeners
    assert listener.is_unix
    assert listener.host == path
    assert listener.unix_path is None
    assert_round_trip(listener, unix_client(path))
    close_listeners(listeners)
    assert os.path.exists(path)


# -- inherited file descriptors -------------------------------------------------------


def test_fd_adopts_a_listening_socket():
    inherited = socket.create_server(("127.0.0.1", 0), backlog=4)
    port = inherited.getsockname()[1]
    fd = inherited.detach()
    with listening(f"fd://{fd}") as [listener]:
        assert listener.sock.fileno() == fd
        assert (listener.host, listener.port) == ("127.0.0.1", port)
        assert listener.url == f"http://127.0.0.1:{port}"
        assert listener.sock.getblocking() is False
        # Its backlog is the one it was created with, not ours.
        assert max_backlog(listener.sock) == 4
        assert_round_trip(listener, socket.create_connection(("127.0.0.1", port)))
    with pytest.raises(OSError):
        os.fstat(fd)  # closed with the listener


def test_fd_adopts_a_bound_socket_and_listens():
    bound = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    bound.bind(("127.0.0.1", 0))
    port = bound.getsockname()[1]
    with listening(f"fd://{bound.detach()}", backlog=9) as [listener]:
        assert listener.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN)
        assert max_backlog(listener.sock) == 9
        assert listener.port == port
        assert_round_trip(listener, socket.create_connection(("127.0.0.1", port)))


def test_fd_that_is_closed_is_refused():
    fd = os.open(os.devnull, os.O_RDONLY)
    os.close(fd)
    with pytest.raises(BindError, match=rf"cannot use fd://{fd}: not an open socket"):
        open_listeners([parse_bind(f"fd://{fd}")], backlog=16)


def test_fd_that_is_a_file_is_refused_and_left_open(tmp_path):
    fd = os.open(tmp_path / "file", os.O_CREAT | os.O_RDWR)
    try:
        with pytest.raises(BindError, match="not an open socket"):
            open_listeners([parse_bind(f"fd://{fd}")], backlog=16)
        os.fstat(fd)  # still ours
    finally:
        os.close(fd)


def test_fd_of_a_datagram_socket_is_refused_and_left_open():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        with pytest.raises(BindError, match="not a stream socket"):
            open_listeners([parse_bind(f"fd://{udp.fileno()}")], backlog=16)
        assert udp.getsockopt(socket.SOL_SOCKET, socket.SO_TYPE) == socket.SOCK_DGRAM


def test_fd_of_a_connected_socket_is_refused_and_left_open():
    with listening("127.0.0.1:0") as [server]:
        client = socket.create_connection(("127.0.0.1", server.port))
        client.sendall(b"x")
        with client, accept_one(server):
            with pytest.raises(BindError, match=rf"cannot use fd://{client.fileno()}: "):
                open_listeners([parse_bind(f"fd://{client.fileno()}")], backlog=16)
            client.getpeername()  # still open and connected


def test_systemd_binds_are_taken_when_listen_pid_is_ours(monkeypatch):
    monkeypatch.setenv("LISTEN_PID", str(os.getpid()))
    monkeypatch.setenv("LISTEN_FDS", "2")
    monkeypatch.setenv("LISTEN_FDNAMES", "web:admin")
    assert inherited_systemd_binds() == [Bind("fd://3", fd=3), Bind("fd://4", fd=4)]
    # Removed, so that a child process does not take the sockets for its own.
    for name in ("LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES"):
        assert name not in os.environ


def test_systemd_binds_of_another_process_are_ignored(monkeypatch):
    monkeypatch.setenv("LISTEN_PID", str(os.getpid() + 1))
    monkeypatch.setenv("LISTEN_FDS", "1")
    assert inherited_systemd_binds() == []
    assert os.environ["LISTEN_FDS"] == "1"


def test_systemd_binds_without_variables(monkeypatch):
    monkeypatch.delenv("LISTEN_PID", raising=False)
    monkeypatch.delenv("LISTEN_FDS", raising=False)
    assert inherited_systemd_binds() == []


def test_systemd_binds_with_a_bad_count(monkeypatch):
    monkeypatch.setenv("LISTEN_PID", str(os.getpid()))
    monkeypatch.setenv("LISTEN_FDS", "many")
    assert inherited_systemd_binds() == []


# -- failures -------------------------------------------------------------------------


def test_address_in_use():
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        with pytest.raises(BindError) as caught:
            open_listeners([parse_bind(f"127.0.0.1:{port}")], backlog=16)
        assert str(caught.value) == f"cannot bind 127.0.0.1:{port}: address already in use"


def test_sockets_opened_before_a_failure_are_closed(tmp_path):
    path = str(tmp_path / "first.sock")
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        with pytest.raises(BindError, match="address already in use"):
            open_listeners(
                [parse_bind(f"unix:{path}"), parse_bind(f"127.0.0.1:{port}")], backlog=16
            )
    assert not os.path.exists(path)  # the first listener was closed and removed again


def test_unknown_host():
    with pytest.raises(BindError) as caught:
        open_listeners([parse_bind("no-such-host.invalid:0")], backlog=16)
    assert str(caught.value) == (
        "cannot bind no-such-host.invalid:0: unknown host 'no-such-host.invalid'"
    )


def test_address_not_on_this_machine():
    # 192.0.2.0/24 is TEST-NET-1 (RFC 5737): never assigned to a real interface.
    with pytest.raises(BindError, match="address not available on this machine"):
        open_listeners([parse_bind("192.0.2.1:0")], backlog=16)


def unprivileged(function: Callable[[], object]) -> str:
    """Run ``function`` as an unprivileged user; return ``"ok"`` or its BindError message.

    As root, a forked child drops to nobody (65534) first, since root may
    bind anything; otherwise the function runs here.
    """
    if os.geteuid() != 0:
        try:
            function()
        except BindError as error:
            return str(error)
        return "ok"
    reader, writer = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report, then leave without running any cleanup
        code = 0
        try:
            os.close(reader)
            try:
                os.setgid(65534)
                os.setuid(65534)
            except OSError as error:
                message = f"skip: cannot drop privileges: {error}"
            else:
                try:
                    function()
                except BindError as error:
                    message = str(error)
                else:
                    message = "ok"
            os.write(writer, message.encode())
        except BaseException:
            code = 1
        finally:
            os._exit(code)
    os.close(writer)
    try:
        ready, _, _ = select.select([reader], [], [], 10)
        message = os.read(reader, 4096).decode() if ready else "no answer"
    finally:
        os.close(reader)
        for _ in range(100):
            if os.waitpid(pid, os.WNOHANG) != (0, 0):
                break
            select.select([], [], [], 0.05)
        else:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
    if message.startswith("skip:"):
        pytest.skip(message)
    return message


def test_permission_denied_for_a_privileged_port():
    with open("/proc/sys/net/ipv4/ip_unprivileged_port_start") as file:
        if int(file.read()) <= 80:
            pytest.skip("port 80 is not privileged on this machine")

    def bind_port_80() -> None:
        close_listeners(open_listeners([parse_bind("127.0.0.1:80")], backlog=16))

    assert unprivileged(bind_port_80) == "cannot bind 127.0.0.1:80: permission denied"


def test_permission_denied_for_a_unix_socket_in_a_read_only_directory():
    directory = tempfile.mkdtemp(prefix="tapster-ro-")
    path = os.path.join(directory, "app.sock")
    os.chmod(directory, 0o555)

    def bind_there() -> None:
        close_listeners(open_listeners([parse_bind(f"unix:{path}")], backlog=16))

    try:
        assert unprivileged(bind_there) == f"cannot bind unix:{path}: permission denied"
        assert not os.path.exists(path)
    finally:
        os.chmod(directory, 0o755)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
        os.rmdir(directory)


def test_describe_names_other_errors():
    # An errno with no special wording still gives the system's one-line reason.
    from tapster.net.listeners import _describe

    assert _describe(OSError(errno.EADDRINUSE, "x")) == "address already in use"
    assert _describe(OSError(errno.ENOENT, "No such file or directory")) == (
        "No such file or directory"
    )
