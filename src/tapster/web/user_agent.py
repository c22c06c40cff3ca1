"""``request.user_agent``: the ``User-Agent`` string and a rough reading of it.

The reading is a small table of regexes tried in order, enough to tell the
common browsers, crawlers and command-line clients apart. Every pattern is a
literal marker followed by a bounded run of characters, so the cost stays
linear in the length of the string whatever a client sends. It is a hint,
not an identification: a user agent can claim to be anything.
"""

from __future__ import annotations

import re

__all__ = ["UserAgent"]

# (platform, pattern), first match wins: Android and iOS strings also say
# "Linux" or "Mac OS X", and ChromeOS says "X11", so those come first.
_PLATFORMS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(pattern, re.IGNORECASE))
    for name, pattern in (
        ("android", r"android"),
        ("iphone", r"iphone|ipod"),
        ("ipad", r"ipad"),
        ("chromeos", r"\bcros\b"),
        ("windows", r"windows|win32|win64"),
        ("macos", r"macintosh|mac os x|darwin"),
        ("freebsd", r"freebsd"),
        ("openbsd", r"openbsd"),
        ("netbsd", r"netbsd"),
        ("linux", r"linux|x11"),
    )
)

# (browser, pattern), first match wins; group 1 is the version when the
# pattern has it. Crawlers and derived browsers (Edge, Opera, Samsung) carry
# "Chrome/" and "Safari/" too, so they are tried before those.
_BROWSERS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(pattern, re.IGNORECASE))
    for name, pattern in (
        ("google", r"googlebot(?:-[a-z]+)?/([0-9.]+)"),
        ("bing", r"bingbot/([0-9.]+)"),
        ("yahoo", r"yahoo! slurp"),
        ("duckduckgo", r"duckduckbot(?:-https)?/([0-9.]+)"),
        ("edge", r"\bedg(?:e|a|ios)?/([0-9.]+)"),
        ("opera", r"\bopr/([0-9.]+)|\bopera[/ ]([0-9.]+)"),
        ("samsung", r"samsungbrowser/([0-9.]+)"),
        ("chrome", r"\b(?:chrome|crios)/([0-9.]+)"),
        ("firefox", r"\b(?:firefox|fxios)/([0-9.]+)"),
        ("msie", r"\bmsie ([0-9.]+)|\btrident/[0-9.]+;(?: [^;)]{1,40};){0,4} rv:([0-9.]+)"),
        ("safari", r"\bversion/([0-9.]+)(?: mobile/[0-9a-z]{1,12})? safari/|\bsafari/"),
        ("curl", r"^curl/([0-9.]+)"),
        ("wget", r"^wget/([0-9.]+)"),
        ("python-requests", r"^python-requests/([0-9.]+)"),
        ("httpx", r"^python-httpx/([0-9.]+)"),
    )
)

# A language tag in the comment of older strings: "(Windows; U; en-US; rv:1.9)".
_LANGUAGE = re.compile(r"[;(] ?([a-z]{2}(?:[-_][a-zA-Z]{2})?) ?[;)]")
# Two-letter comment tokens that are not languages (Android WebView says "wv").
_NOT_LANGUAGES = frozenset({"wv", "rv"})


class UserAgent:
    """The ``User-Agent`` field: ``string`` as sent, and what could be read from it.

    ``platform`` (``"windows"``, ``"macos"``, ``"linux"``, ``"android"``,
    ``"iphone"`` ...), ``browser`` (``"chrome"``, ``"firefox"``, ``"safari"``,
    ``"edge"`` ...), ``version`` and ``language`` are ``None`` when unknown.
    The object is truthy when a browser was recognised; ``str()`` is the string.
    """

    platform: str | None = None
    browser: str | None = None
    version: str | None = None
    language: str | None = None

    def __init__(self, string: str) -> None:
        self.string = string
        if not string:
            return
        for name, pattern in _PLATFORMS:
            if pattern.search(string):
                self.platform = name
                break
        for name, pattern in _BROWSERS:
            match = pattern.search(string)
            if match is not None:
                self.browser = name
                self.version = next((group for group in match.groups() if group), None)
                break
        for match in _LANGUAGE.finditer(string):
            if match.group(1) not in _NOT_LANGUAGES:
                self.language = match.group(1)
                break

    def to_header(self) -> str:
        """The header value, unchanged."""
        return self.string

    def __str__(self) -> str:
        return self.string

    def __bool__(self) -> bool:
        return bool(self.browser)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.browser}/{self.version}>"
