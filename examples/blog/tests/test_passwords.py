"""scrypt password hashes: salted, self-describing, checked in constant time."""

from __future__ import annotations

import pytest

from tapsterblog.passwords import DEFAULT_COST, check_password, hash_password

COST = 2**10


def test_hash_carries_its_parameters_salt_and_key():
    stored = hash_password("correct horse", COST)
    scheme, n, r, p, salt, key = stored.split("$")
    assert (scheme, n, r, p) == ("scrypt", str(COST), "8", "1")
    assert len(bytes.fromhex(salt)) == 16
    assert len(bytes.fromhex(key)) == 32
    assert "correct horse" not in stored


def test_right_and_wrong_passwords():
    stored = hash_password("correct horse", COST)
    assert check_password(stored, "correct horse")
    assert not check_password(stored, "correct horse ")
    assert not check_password(stored, "")


def test_same_password_gets_a_new_salt_each_time():
    assert hash_password("pw", COST) != hash_password("pw", COST)


def test_default_cost():
    stored = hash_password("pw")
    assert stored.split("$")[1] == str(DEFAULT_COST) == "32768"
    assert check_password(stored, "pw")


def test_non_ascii_passwords():
    stored = hash_password("pässwörd ✓", COST)
    assert check_password(stored, "pässwörd ✓")
    assert not check_password(stored, "passwörd ✓")


@pytest.mark.parametrize(
    "stored",
    [
        "",
        "plain-text-password",
        "pbkdf2$1024$8$1$00$00",
        "scrypt$1024$8$1$zz$00",
        "scrypt$1000$8$1$00$00",  # n must be a power of two
        "scrypt$1024$8$00$00",
    ],
)
def test_malformed_hashes_never_match(stored):
    assert not check_password(stored, "plain-text-password")
