"""Secrets of the demo: password hashes, CSRF tokens, API tokens and the secret key.

Standard library only: ``hashlib.scrypt`` for passwords, ``secrets`` for
every random value, ``hmac.compare_digest`` wherever a secret is compared.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets

from markupsafe import Markup

from tapster import abort, request, session

# -- passwords -------------------------------------------------------------
# A stored hash is "scrypt$N$r$p$SALT$KEY" (hex): each hash carries its cost,
# so raising PASSWORD_SCRYPT_N later leaves existing accounts working.

#: scrypt's block size and parallelism, the values RFC 7914 recommends.
SCRYPT_R = 8
SCRYPT_P = 1


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    # scrypt needs 128 * n * r * p bytes; OpenSSL's default cap (32 MiB) is
    # just short of that for n = 2**15, so give it room.
    return hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=n, r=r, p=p,
        maxmem=256 * n * r * p + 2**20, dklen=32,
    )


def hash_password(password: str, cost: int) -> str:
    """A salted scrypt hash of ``password`` with CPU/memory cost ``cost`` (a power of 2)."""
    salt = secrets.token_bytes(16)
    key = _scrypt(password, salt, cost, SCRYPT_R, SCRYPT_P)
    return f"scrypt${cost}${SCRYPT_R}${SCRYPT_P}${salt.hex()}${key.hex()}"


def check_password(stored: str, password: str) -> bool:
    """Whether ``password`` matches ``stored``; a malformed stored value never does."""
    try:
        scheme, n, r, p, salt, key = stored.split("$")
        if scheme != "scrypt":
            return False
        actual = _scrypt(password, bytes.fromhex(salt), int(n), int(r), int(p))
        return hmac.compare_digest(actual, bytes.fromhex(key))
    except ValueError:  # wrong field count, bad hex or numbers, parameters scrypt refuses
        return False


# -- CSRF ------------------------------------------------------------------
# One random token per session, put in every form by the csrf_field()
# template global and checked on every POST of a form. Another site can make
# a browser post here with our cookie, but cannot read the token.

CSRF_FIELD = "csrf_token"


def csrf_token() -> str:
    """The session's CSRF token, made on first use."""
    token = session.get(CSRF_FIELD)
    if token is None:
        token = session[CSRF_FIELD] = secrets.token_urlsafe(32)
    return token  # type: ignore[no-any-return]


def csrf_field() -> Markup:
    """The hidden input that carries the token in a form (a template global)."""
    return Markup('<input type="hidden" name="{}" value="{}">').format(CSRF_FIELD, csrf_token())


def check_csrf() -> None:
    """Answer 400 to a form POST without the session's token (a ``before_request`` hook).

    The JSON API is exempt: it authenticates with a bearer token, which a
    browser never adds to a request on its own. Requests that match no route
    go on to their 404 or 405.
    """
    if request.method != "POST" or request.endpoint is None or request.blueprint == "api":
        return
    expected = session.get(CSRF_FIELD)
    sent = request.form.get(CSRF_FIELD, "")
    if not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
        abort(400, "This form has expired or did not come from this site. "
                   "Go back, reload the page and try again.")


# -- API tokens ------------------------------------------------------------

API_TOKEN_PREFIX = "tap_"


def new_api_token() -> str:
    """A fresh API token: the prefix makes it easy to spot in a leaked log."""
    return API_TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    """What the database keeps of a token: its SHA-256 (a token has entropy enough
    that no salt or slow hash is needed)."""
    return hashlib.sha256(token.encode()).hexdigest()


# -- the secret key --------------------------------------------------------


def instance_secret_key(folder: str) -> str:
    """The key stored in ``folder/secret_key``, made on first use.

    The key is written to a temporary file, then linked to its name: a link
    never replaces an existing file, so when two workers start together one
    key wins and both read it.
    """
    path = os.path.join(folder, "secret_key")
    if not os.path.exists(path):
        temporary = f"{path}.{os.getpid()}.{secrets.token_hex(4)}"
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as file:
            file.write(secrets.token_hex(32))
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass  # another process was first: use its key
        finally:
            os.unlink(temporary)
    with open(path, encoding="ascii") as file:
        return file.read().strip()
