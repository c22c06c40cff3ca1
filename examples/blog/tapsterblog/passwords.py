"""Password hashing with ``hashlib.scrypt``, nothing but the standard library.

A stored hash is one string, ``scrypt$N$r$p$SALT$HASH`` (salt and hash in
hex): the cost parameters travel with each hash, so the cost of new hashes
can rise without invalidating the old ones.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

#: scrypt's block size and parallelism: the values RFC 7914 and OWASP use.
BLOCK_SIZE = 8
PARALLELISM = 1
#: A default CPU/memory cost (Werkzeug's too); apps pass their own.
DEFAULT_COST = 2**15
SALT_BYTES = 16
KEY_BYTES = 32
_SCHEME = "scrypt"


def _derive(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    # scrypt needs about 128 * n * r bytes; OpenSSL's default cap (32 MiB) is
    # just too small for n = 2**15, r = 8, so allow twice what is needed.
    return hashlib.scrypt(
        password.encode("utf-8"),
        salt=salt,
        n=n,
        r=r,
        p=p,
        maxmem=2 * 128 * n * r * p + 1024 * 1024,
        dklen=KEY_BYTES,
    )


def hash_password(password: str, cost: int = DEFAULT_COST) -> str:
    """A new salted hash of ``password``, to store instead of it."""
    salt = secrets.token_bytes(SALT_BYTES)
    key = _derive(password, salt, cost, BLOCK_SIZE, PARALLELISM)
    return f"{_SCHEME}${cost}${BLOCK_SIZE}${PARALLELISM}${salt.hex()}${key.hex()}"


def check_password(stored: str, password: str) -> bool:
    """Whether ``password`` is the one ``stored`` (from ``hash_password``) was made from.

    A malformed stored value never matches; the comparison takes the same
    time wherever the keys differ.
    """
    try:
        scheme, n, r, p, salt, key = stored.split("$")
        if scheme != _SCHEME:
            return False
        expected = bytes.fromhex(key)
        actual = _derive(password, bytes.fromhex(salt), int(n), int(r), int(p))
    except ValueError:  # wrong field count, bad hex or numbers, or parameters scrypt refuses
        return False
    return hmac.compare_digest(actual, expected)
