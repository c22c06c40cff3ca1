"""The descriptors Request and Response are built from."""

from __future__ import annotations

import pytest

from tapster.web.datastructures import Headers
from tapster.web.utils import cached_property, header_property


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
