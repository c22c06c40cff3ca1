"""TLS: the server's ``SSLContext``, and the handshake as a stage on the loop thread.

The handshake is non-blocking on the event loop (``do_handshake()`` retried
on readiness, within the connection's head deadline), so that a client that
stalls or fails it costs a descriptor for a while and never a worker
thread. Failures are the client's business and logged at debug level only.
"""

from __future__ import annotations

import logging
import os
import socket
import ssl
from collections.abc import Callable
from typing import TYPE_CHECKING

from .stage import SetupStage

if TYPE_CHECKING:
    from .reactor import Reactor

__all__ = ["TLSConfigError", "TLSHandshake", "make_server_context"]

log = logging.getLogger("tapster.error")

_plain_recv = socket.socket.recv
_plain_send = socket.socket.send
_plain_shutdown = socket.socket.shutdown

_CERT_REQS = {
    "none": ssl.CERT_NONE,
    "optional": ssl.CERT_OPTIONAL,
    "required": ssl.CERT_REQUIRED,
}
_VERSIONS = {"TLSv1.2": ssl.TLSVersion.TLSv1_2, "TLSv1.3": ssl.TLSVersion.TLSv1_3}


class TLSConfigError(ValueError):
    """The certificate, key, CA file or cipher list cannot be used; the message says why."""


def make_server_context(
    certfile: str,
    keyfile: str | None = None,
    *,
    ca_certs: str | None = None,
    cert_reqs: str = "none",
    min_version: str = "TLSv1.2",
    ciphers: str | None = None,
) -> ssl.SSLContext:
    """A server ``SSLContext`` with the certificate loaded; ``TLSConfigError`` if it cannot be."""
    # PROTOCOL_TLS_SERVER with Python's defaults: no SSLv3/compression,
    # forward-secret AEAD ciphers, single-use (EC)DH keys.
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = _VERSIONS[min_version]
    # No TLS 1.2 renegotiation: it would make a recv() want to write on a
    # worker thread, and a client-initiated one is a cheap CPU attack.
    context.options |= getattr(ssl, "OP_NO_RENEGOTIATION", 0)
    try:
        context.load_cert_chain(certfile, keyfile)
    except FileNotFoundError:
        missing = certfile if not os.path.exists(certfile) else keyfile
        raise TLSConfigError(f"cannot load the certificate: no file {missing}") from None
    except (OSError, ssl.SSLError) as error:
        raise TLSConfigError(
            f"cannot load the certificate {certfile}"
            f"{' with the key ' + keyfile if keyfile else ''}: {_reason(error)}"
        ) from None
    if ca_certs is not None:
        try:
            context.load_verify_locations(cafile=ca_certs)
        except (OSError, ssl.SSLError) as error:
            raise TLSConfigError(f"cannot load the CA certificates {ca_certs}: "
                                 f"{_reason(error)}") from None
    context.verify_mode = _CERT_REQS[cert_reqs]
    if ciphers is not None:
        try:
            context.set_ciphers(ciphers)
        except ssl.SSLError:
            raise TLSConfigError(f"no cipher matches the cipher list {ciphers!r}") from None
    # RFC 7301: say which protocol this server speaks; a client offering only
    # h2 gets no ALPN answer and may fall back or hang up, as it chooses.
    context.set_alpn_protocols(["http/1.1"])
    return context


def _reason(error: BaseException) -> str:
    if isinstance(error, ssl.SSLError) and error.reason:
        return error.reason.lower().replace("_", " ")
    return getattr(error, "strerror", None) or str(error)


class TLSHandshake(SetupStage):
    """The stage of a connection that runs the TLS handshake, on the loop thread.

    A reactor handler: every readiness report retries ``do_handshake()``;
    when it is done, ``then(ssl_socket)`` sets up the next stage. A failed
    handshake (plain HTTP sent to the TLS port, no client certificate when
    one is required, an unknown certificate authority...) closes the
    connection and is logged at debug level; so does a stall past the
    deadline.
    """

    __slots__ = ("context", "peer", "plain_answer")

    def __init__(
        self,
        sock: socket.socket,
        context: ssl.SSLContext,
        peer: object,
        reactor: Reactor,
        deadline: float,
        then: Callable[[ssl.SSLSocket], None],
        plain_answer: bytes = b"",
    ) -> None:
        #: ``sock`` is the plain socket until the first readiness wraps it in TLS.
        super().__init__(sock, reactor, deadline, then)
        self.context = context
        #: Sent in the clear to a client that spoke plain HTTP to this TLS port.
        self.plain_answer = plain_answer
        self.peer = peer

    def on_readable(self) -> None:
        """Take the handshake one step further; hand over once it is done."""
        try:
            if not isinstance(self.sock, ssl.SSLSocket):
                # Wrapped here rather than at the accept, so that a client
                # already gone (an OSError) is handled like a failed handshake.
                self.sock = self.context.wrap_socket(
                    self.sock, server_side=True, do_handshake_on_connect=False
                )
            self.sock.do_handshake()
        except ssl.SSLWantReadError:
            self.reactor.arm(self)
            return
        except ssl.SSLWantWriteError:
            self.reactor.arm_writable(self)
            return
        except (OSError, ValueError) as error:  # SSLError, a reset, a closed socket
            log.debug("TLS handshake with %s failed: %s", _describe_peer(self.peer), error)
            if getattr(error, "reason", None) == "HTTP_REQUEST" and self.plain_answer:
                self._answer_plainly(self.plain_answer)
            self._drain()
            self.close()
            return
        self._then(self.sock)  # type: ignore[arg-type]

    def _answer_plainly(self, data: bytes) -> None:
        # Someone typed http:// for this port: say so in their language.
        try:
            _plain_send(self.sock, data)
        except OSError:
            pass

    def _drain(self) -> None:
        # Read what the client sent and OpenSSL left unread, so that closing
        # ends the connection with a FIN rather than a reset (which the
        # client may see before our answer). Bounded, and without waiting.
        try:
            for _ in range(16):
                if not _plain_recv(self.sock, 65536):
                    break
            _plain_shutdown(self.sock, socket.SHUT_WR)
        except OSError:
            pass

    def on_timeout(self) -> None:
        """The handshake did not finish within the head time-out (or the server stops)."""
        log.debug("TLS handshake with %s not finished in time; closed",
                  _describe_peer(self.peer))
        self.close()



def _describe_peer(peer: object) -> str:
    if isinstance(peer, tuple):
        host, port = peer[0], peer[1]
        return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    return "a unix socket peer"
