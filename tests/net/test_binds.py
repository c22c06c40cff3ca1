"""``parse_bind``: every accepted form of a ``--bind`` value, and every refused one."""

from __future__ import annotations

import pytest

from tapster.net import DEFAULT_PORT, Bind, BindError, parse_bind


@pytest.mark.parametrize(
    ("spec", "host", "port"),
    [
        ("127.0.0.1:8080", "127.0.0.1", 8080),
        ("localhost:0", "localhost", 0),
        ("example.test:65535", "example.test", 65535),
        ("127.0.0.1", "127.0.0.1", DEFAULT_PORT),
        ("localhost", "localhost", DEFAULT_PORT),
        (":9000", "0.0.0.0", 9000),
        ("[::1]:8080", "::1", 8080),
        ("[::]:0", "::", 0),
        ("[fe80::1%lo]:81", "fe80::1%lo", 81),
        ("[::1]", "::1", DEFAULT_PORT),
        ("  127.0.0.1:81  ", "127.0.0.1", 81),
    ],
)
def test_tcp_forms(spec, host, port):
    bind = parse_bind(spec)
    assert bind == Bind(spec, host=host, port=port)
    assert bind.path is None and bind.fd is None


def test_default_port_is_8000():
    assert DEFAULT_PORT == 8000


def test_unix_path():
    bind = parse_bind("unix:/run/tapster.sock")
    assert bind == Bind("unix:/run/tapster.sock", path="/run/tapster.sock")
    assert bind.host is None and bind.port is None and bind.fd is None


def test_unix_relative_path_is_kept_as_written():
    assert parse_bind("unix:app.sock").path == "app.sock"


def test_fd():
    bind = parse_bind("fd://3")
    assert bind == Bind("fd://3", fd=3)
    assert bind.host is None and bind.path is None


def test_spec_is_kept_for_messages():
    assert parse_bind(":80").spec == ":80"


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("", "empty bind address"),
        ("   ", "empty bind address"),
        ("[::1", "unclosed or empty [IPv6] address"),
        ("[::1:8000", "unclosed or empty [IPv6] address"),
        ("[]:8000", "unclosed or empty [IPv6] address"),
        ("[::1]8000", "expected :PORT after the ]"),
        ("::1", "write an IPv6 address in brackets, [::1]:8000"),
        ("::1:8000", "write an IPv6 address in brackets, [::1]:8000"),
        ("fe80::1", "write an IPv6 address in brackets"),
        ("localhost:http", "port 'http' is not a number"),
        ("localhost:", "port '' is not a number"),
        ("localhost:-1", "port '-1' is not a number"),
        ("[::1]:x", "port 'x' is not a number"),
        ("localhost:\u0661\u0662", "is not a number"),  # Arabic-Indic digits: isdigit() but no port
        ("localhost:65536", "port 65536 is out of range (0-65535)"),
        ("[::1]:99999", "port 99999 is out of range (0-65535)"),
        ("unix:", "unix: needs a path"),
        ("fd://x", "fd:// needs a file descriptor number"),
        ("fd://", "fd:// needs a file descriptor number"),
        ("fd://-1", "fd:// needs a file descriptor number"),
    ],
)
def test_malformed(spec, message):
    with pytest.raises(BindError) as caught:
        parse_bind(spec)
    text = str(caught.value)
    assert message in text
    if spec.strip():
        assert repr(spec) in text  # the message quotes what the user wrote
    assert "\n" not in text


def test_bind_error_is_a_value_error():
    assert issubclass(BindError, ValueError)
