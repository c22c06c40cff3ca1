"""The descriptors Request and Response are built from, and ``secure_filename``."""

from __future__ import annotations

import pytest
import werkzeug.utils
from hypothesis import given
from hypothesis import strategies as st

from tapster.web import utils
from tapster.web.datastructures import Headers
from tapster.web.utils import cached_property, header_property, secure_filename


class Thing:
    calls = 0

    def __init__(self) -> None:
        self.headers = Headers()

    @cached_property
    def value(self) -> int:
        """Computed once."""
        Thing.calls += 1
        return 42

    size = header_property[int]("X-Size", 0, int, str)
    fixed = header_property[str]("X-Fixed", read_only=True)


def test_cached_property() -> None:
    thing = Thing()
    assert thing.value == 42 and thing.value == 42
    assert Thing.calls == 1
    assert isinstance(Thing.value, cached_property)
    assert Thing.value.__doc__ == "Computed once."
    thing.value = 7
    assert thing.value == 7
    del thing.value
    assert thing.value == 42 and Thing.calls == 2


def test_header_property() -> None:
    thing = Thing()
    assert thing.size == 0
    thing.size = 12
    assert thing.headers["X-Size"] == "12" and thing.size == 12
    thing.headers["X-Size"] = "twelve"
    assert thing.size == 0  # not an int: the default
    del thing.size
    assert "X-Size" not in thing.headers
    assert isinstance(Thing.size, header_property)
    assert Thing.fixed.__doc__ == "The ``X-Fixed`` header field."
    with pytest.raises(AttributeError):
        thing.fixed = "x"
    with pytest.raises(AttributeError):
        del thing.fixed


FILENAMES = [
    "My cool movie.mov",
    "../../../etc/passwd",
    "i contain cool \xfcml\xe4uts.txt",
    "été 😀.txt",
    "\uff46\uff55\uff4c\uff4c.\uff54\uff58\uff54",  # fullwidth letters fold to ASCII
    "\ufb01le.txt",  # the fi ligature
    "x\u0301y",  # a lone combining mark goes
    "Ⅻ.txt",
    "C:\\Windows\\system32\\cmd.exe",
    "..",
    ".",
    "___",
    "._.hidden_.",
    ".bashrc",
    "a/b\\c",
    "a\tb\nc\x0bd\x0ce\rf\x1cg\x1fh",
    "   spaced   out   ",
    "quotes'\"and`ticks`",
    "$(rm -rf ~);|&<>*?",
    "CON",
    "con.txt",
    "COM1.log",
    "LPT9",
    "NUL.tar.gz",
    "",
    "\x00\x01nul",
    "日本語.txt",
    "a" * 300,
    "file-name_v1.2.tar.gz",
    "%2e%2e%2fescape",
]


@pytest.mark.parametrize("name", FILENAMES)
def test_secure_filename_matches_werkzeug(name: str) -> None:
    assert secure_filename(name) == werkzeug.utils.secure_filename(name)


@given(st.text(max_size=40))
def test_secure_filename_matches_werkzeug_on_any_text(name: str) -> None:
    assert secure_filename(name) == werkzeug.utils.secure_filename(name)


def test_secure_filename_examples() -> None:
    assert secure_filename("../../../etc/passwd") == "etc_passwd"
    assert secure_filename("My cool movie.mov") == "My_cool_movie.mov"
    assert secure_filename("été 😀.txt") == "ete_.txt"
    assert secure_filename("日本語") == ""  # nothing safe is left: the caller picks a name


def test_secure_filename_prefixes_windows_device_names_on_windows(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert secure_filename("CON") == "CON"  # harmless off Windows, as in Werkzeug
    monkeypatch.setattr(utils, "_WINDOWS", True)
    expected = {
        "CON": "_CON",
        "con.txt": "_con.txt",
        "nul.tar.gz": "_nul.tar.gz",
        "COM1.log": "_COM1.log",
        "COM0": "_COM0",  # Microsoft lists COM0 and LPT0; Werkzeug does not
        "lpt9": "_lpt9",
        "COM¹": "_COM1",
        "CONSOLE": "CONSOLE",
        "COM10": "COM10",
        "my con.txt": "my_con.txt",
    }
    assert {name: secure_filename(name) for name in expected} == expected
