"""A throwaway certificate authority, server and client certificates, made with ``openssl``."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Certificates", "make_certificates"]


@dataclass(frozen=True)
class Certificates:
    """Paths of the PEM files ``make_certificates`` wrote."""

    ca: Path
    server_cert: Path
    server_key: Path
    client_cert: Path
    client_key: Path
    #: A client certificate signed by another authority, which the server must refuse.
    stranger_cert: Path
    stranger_key: Path


def _openssl(*args: str | Path, cwd: Path) -> None:
    subprocess.run(["openssl", *map(str, args)], cwd=cwd, check=True, capture_output=True,
                   timeout=30)


def _key_and_request(folder: Path, name: str, subject: str) -> None:
    _openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
             "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", subject, cwd=folder)


def _authority(folder: Path, name: str) -> None:
    _openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
             "-nodes", "-keyout", f"{name}.key", "-out", f"{name}.pem", "-days", "2",
             "-subj", f"/CN={name}", cwd=folder)


def _sign(folder: Path, name: str, authority: str, extensions: str) -> None:
    (folder / f"{name}.ext").write_text(extensions)
    _openssl("x509", "-req", "-in", f"{name}.csr", "-CA", f"{authority}.pem", "-CAkey",
             f"{authority}.key", "-CAcreateserial", "-out", f"{name}.pem", "-days", "2",
             "-extfile", f"{name}.ext", cwd=folder)


def make_certificates(folder: Path) -> Certificates:
    """Write a CA, a server certificate for localhost/127.0.0.1 and client certificates."""
    _authority(folder, "ca")
    _authority(folder, "other-ca")
    _key_and_request(folder, "server", "/CN=localhost")
    _sign(folder, "server", "ca", "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1\n"
          "basicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n")
    _key_and_request(folder, "client", "/CN=alice")
    _sign(folder, "client", "ca", "basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n")
    _key_and_request(folder, "stranger", "/CN=mallory")
    _sign(folder, "stranger", "other-ca",
          "basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n")
    return Certificates(
        ca=folder / "ca.pem",
        server_cert=folder / "server.pem",
        server_key=folder / "server.key",
        client_cert=folder / "client.pem",
        client_key=folder / "client.key",
        stranger_cert=folder / "stranger.pem",
        stranger_key=folder / "stranger.key",
    )
