"""``Response.make_conditional`` through the test client, beside Flask's.

The same view runs in a tapster app and a Flask app: a ten-byte body with
an ``ETag`` and a ``Last-Modified``, made conditional on the request. Each
request of the table is sent to both, and the answers (status, body, the
fields that matter) compared. Where tapster follows RFC 9110 and Werkzeug
does not, ``test_header_deviations.py`` shows both answers.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import flask
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tapster import App
from tapster.web.conditional import evaluate_preconditions, select_byte_range
from tapster.web.exceptions import RequestedRangeNotSatisfiable
from tapster.web.response import Response

BODY = b"0123456789"
MODIFIED = datetime(2024, 5, 6, 7, 8, 9, tzinfo=timezone.utc)
MODIFIED_TEXT = "Mon, 06 May 2024 07:08:09 GMT"
EARLIER = "Sun, 05 May 2024 07:08:09 GMT"
LATER = "Tue, 07 May 2024 07:08:09 GMT"


def make_apps(
    etag: str | None = "v1", weak: bool = False, length: bool = True, streamed: bool = False
) -> tuple[Any, Any]:
    """A tapster app and a Flask app with the same conditional view at ``/``."""
    apps = []
    for factory in (App, flask.Flask):
        app = factory(__name__)

        @app.route("/", methods=["GET", "HEAD", "POST"])
        def view(app: Any = app, factory: Any = factory) -> Any:
            module = flask if factory is flask.Flask else None
            request = flask.request if module else _tapster_request()
            body = iter([BODY[:4], BODY[4:]]) if streamed else BODY
            response = app.response_class(body, mimetype="text/plain")
            if etag is not None:
                response.set_etag(etag, weak)
            response.last_modified = MODIFIED
            return response.make_conditional(
                request, accept_ranges=True, complete_length=len(BODY) if length else None
            )

        apps.append(app)
    return apps[0], apps[1]


def _tapster_request() -> Any:
    from tapster import request

    return request


def answer(app: Any, headers: dict[str, str], method: str = "GET") -> dict[str, Any]:
    response = app.test_client().open("/", method=method, headers=headers)
    return {
        "status": response.status_code,
        "body": response.data,
        **{
            name: response.headers.get(name)
            for name in ("ETag", "Content-Range", "Content-Length", "Accept-Ranges")
        },
    }


AGREED = [
    # (request fields, method, status, body)
    ({}, "GET", 200, BODY),
    ({"If-None-Match": '"v1"'}, "GET", 304, b""),
    ({"If-None-Match": 'W/"v1"'}, "GET", 304, b""),
    ({"If-None-Match": '"a", "v1"'}, "GET", 304, b""),
    ({"If-None-Match": "*"}, "GET", 304, b""),
    ({"If-None-Match": '"other"'}, "GET", 200, BODY),
    ({"If-None-Match": '"v1"'}, "HEAD", 304, b""),
    ({"If-None-Match": '"v1"'}, "POST", 200, BODY),
    ({"If-Modified-Since": MODIFIED_TEXT}, "GET", 304, b""),
    ({"If-Modified-Since": LATER}, "GET", 304, b""),
    ({"If-Modified-Since": EARLIER}, "GET", 200, BODY),
    ({"If-Modified-Since": "garbage"}, "GET", 200, BODY),
    ({"If-None-Match": '"other"', "If-Modified-Since": MODIFIED_TEXT}, "GET", 200, BODY),
    ({"If-Match": '"v1"'}, "GET", 200, BODY),
    ({"If-Match": '"a", "v1"'}, "GET", 200, BODY),
    ({"Range": "bytes=2-4"}, "GET", 206, b"234"),
    ({"Range": "bytes=-3"}, "GET", 206, b"789"),
    ({"Range": "bytes=7-"}, "GET", 206, b"789"),
    ({"Range": "bytes=8-100"}, "GET", 206, b"89"),
    ({"Range": "bytes=0-"}, "GET", 206, BODY),
    ({"Range": "bytes=9-9"}, "GET", 206, b"9"),
    ({"Range": "bytes=2-4", "If-Range": '"v1"'}, "GET", 206, b"234"),
    ({"Range": "bytes=2-4", "If-Range": '"old"'}, "GET", 200, BODY),
    ({"Range": "bytes=2-4", "If-Range": MODIFIED_TEXT}, "GET", 206, b"234"),
    ({"Range": "bytes=2-4", "If-Range": EARLIER}, "GET", 200, BODY),
    ({"If-Range": '"v1"'}, "GET", 200, BODY),
    ({"Range": "bytes=2-4"}, "POST", 200, BODY),
]


@pytest.mark.parametrize(("headers", "method", "status", "body"), AGREED)
def test_make_conditional_answers_as_flask(headers, method, status, body) -> None:
    ours_app, flask_app = make_apps()
    ours, theirs = answer(ours_app, headers, method), answer(flask_app, headers, method)
    assert ours == theirs
    assert (ours["status"], ours["body"]) == (status, body)
    if method != "POST":
        assert ours["Accept-Ranges"] == "bytes"


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({"If-Match": '"other"'}, 412),
        ({"Range": "bytes=10-"}, 416),
        ({"Range": "bytes=20-30"}, 416),
    ],
)
def test_refusals_have_the_same_status_as_flask(headers, status) -> None:
    ours_app, flask_app = make_apps()
    ours, theirs = answer(ours_app, headers), answer(flask_app, headers)
    assert ours["status"] == theirs["status"] == status


def test_a_412_sends_no_body() -> None:
    response = answer(make_apps()[0], {"If-Match": '"other"'})
    assert (response["status"], response["body"], response["Content-Length"]) == (412, b"", "0")


def test_a_416_names_the_length() -> None:
    client = make_apps()[0].test_client()
    response = client.get("/", headers={"Range": "bytes=10-"})
    assert response.headers["Content-Range"] == "bytes */10"


def test_206_fields() -> None:
    client = make_apps()[0].test_client()
    response = client.get("/", headers={"Range": "bytes=2-4"})
    assert response.headers["Content-Range"] == "bytes 2-4/10"
    assert response.headers["Content-Length"] == "3"
    assert response.headers["ETag"] == '"v1"'
    assert "Date" in response.headers


def test_a_streamed_body_is_cut_to_the_range() -> None:
    ours_app, flask_app = make_apps(streamed=True)
    for headers in ({"Range": "bytes=3-6"}, {"Range": "bytes=-2"}, {}):
        assert answer(ours_app, headers) == answer(flask_app, headers)


def test_a_streamed_body_is_closed_after_a_range() -> None:
    closed = []

    class Body:
        def __iter__(self):
            yield from (b"0123", b"4567", b"89")

        def close(self):
            closed.append(True)

    app = App(__name__)

    @app.route("/")
    def view():
        from tapster import request

        response = Response(Body())
        return response.make_conditional(request, accept_ranges=True, complete_length=10)

    response = app.test_client().get("/", headers={"Range": "bytes=5-6"})
    assert (response.status_code, response.data) == (206, b"56")
    assert closed == [True]


def test_make_conditional_takes_an_environ_and_returns_the_response() -> None:
    environ = {"REQUEST_METHOD": "GET", "HTTP_IF_NONE_MATCH": '"x"'}
    response = Response("body")
    response.set_etag("x")
    assert response.make_conditional(environ) is response
    assert response.status_code == 304
    assert "Accept-Ranges" not in response.headers  # only when asked for
    custom = Response("body").make_conditional(environ, accept_ranges="none")
    assert custom.headers["Accept-Ranges"] == "none" and custom.status_code == 200
    kept = Response("body", headers={"Date": "Mon, 06 May 2024 07:08:09 GMT"})
    assert kept.make_conditional(environ).headers["Date"] == "Mon, 06 May 2024 07:08:09 GMT"


def test_make_conditional_with_add_etag_as_flask_apps_use_it() -> None:
    app = App(__name__)

    @app.route("/")
    def view():
        from tapster import request

        response = Response("some content")
        response.add_etag()
        return response.make_conditional(request)

    client = app.test_client()
    first = client.get("/")
    again = client.get("/", headers={"If-None-Match": first.headers["ETag"]})
    assert (first.status_code, again.status_code, again.data) == (200, 304, b"")
    assert again.headers["ETag"] == first.headers["ETag"]


# --------------------------------------------- the sans-IO evaluation


@pytest.mark.parametrize(
    ("method", "etag", "fields", "expected"),
    [
        ("GET", '"a"', {}, None),
        ("GET", '"a"', {"if_match": '"a"'}, None),
        ("GET", '"a"', {"if_match": '"b"'}, 412),
        ("GET", 'W/"a"', {"if_match": '"a"'}, 412),  # strong comparison
        ("GET", '"a"', {"if_match": 'W/"a"'}, 412),
        ("GET", None, {"if_match": '"a"'}, 412),
        ("GET", None, {"if_match": "*"}, None),
        ("PUT", '"a"', {"if_match": '"b"'}, 412),
        ("GET", '"a"', {"if_unmodified_since": EARLIER}, 412),
        ("GET", '"a"', {"if_unmodified_since": MODIFIED_TEXT}, None),
        ("GET", '"a"', {"if_unmodified_since": "junk"}, None),
        ("GET", '"a"', {"if_match": '"a"', "if_unmodified_since": EARLIER}, None),
        ("GET", 'W/"a"', {"if_none_match": '"a"'}, 304),  # weak comparison
        ("PUT", '"a"', {"if_none_match": '"a"'}, 412),
        ("PUT", '"a"', {"if_none_match": "*"}, 412),
        ("PUT", '"a"', {"if_modified_since": LATER}, None),
        ("GET", None, {"if_none_match": '"a"', "if_modified_since": LATER}, None),
        ("GET", '"a"', {"if_none_match": '"a"', "if_match": '"b"'}, 412),
    ],
)
def test_evaluate_preconditions(method, etag, fields, expected) -> None:
    assert evaluate_preconditions(method, etag, MODIFIED, **fields) == expected


def test_evaluate_preconditions_at_one_second() -> None:
    precise = MODIFIED.replace(microsecond=500_000, tzinfo=None)  # naive is UTC
    assert evaluate_preconditions("GET", None, precise, if_modified_since=MODIFIED_TEXT) == 304
    assert evaluate_preconditions("GET", None, None, if_modified_since=MODIFIED_TEXT) is None


@pytest.mark.parametrize(
    ("range_value", "if_range", "length", "expected"),
    [
        (None, None, 10, None),
        ("bytes=0-4", None, 10, (0, 5)),
        ("bytes=0-4", None, 0, None),
        ("bytes=0-4", None, None, None),
        ("bytes=-20", None, 10, (0, 10)),
        ("bytes=0-1,3-4", None, 10, None),
        ("pages=1-2", None, 10, None),
        ("bytes=4-2", None, 10, None),
        ("bytes=0-4", 'W/"a"', 10, None),
        ("bytes=0-4", '"a"', 10, (0, 5)),
        ("bytes=0-4", MODIFIED_TEXT, 10, (0, 5)),
        ("bytes=0-4", LATER, 10, None),
    ],
)
def test_select_byte_range(range_value, if_range, length, expected) -> None:
    assert select_byte_range(range_value, if_range, length, '"a"', MODIFIED) == expected


def test_select_byte_range_refuses_a_range_past_the_end() -> None:
    with pytest.raises(RequestedRangeNotSatisfiable) as raised:
        select_byte_range("bytes=10-", None, 10)
    assert raised.value.length == 10
    # A weak current ETag never satisfies If-Range: the whole body.
    assert select_byte_range("bytes=0-1", '"a"', 10, 'W/"a"') is None


# ----------------------------------------- generated requests, against Flask

FIELD_VALUES = {
    "If-None-Match": [None, '"v1"', 'W/"v1"', '"other"', "*", '"other", "v1"'],
    "If-Modified-Since": [None, EARLIER, MODIFIED_TEXT, LATER, "garbage"],
    "If-Match": [None, '"v1"', 'W/"x", "v1"'],
    "Range": [None, "bytes=0-0", "bytes=3-7", "bytes=5-", "bytes=-4", "bytes=-12", "bytes=9-20",
              "bytes=10-", "bytes=12-15"],
    "If-Range": [None, '"v1"', '"old"', 'W/"v1"', MODIFIED_TEXT, EARLIER, LATER],
}


def _explained(request: dict[str, str], flask_answer: dict, ours: dict) -> bool:
    """Whether a difference is one of those test_header_deviations.py documents."""
    statuses = (flask_answer["status"], ours["status"])
    if_range_fails_here = request.get("If-Range") in (LATER, 'W/"v1"')
    if statuses in ((206, 304), (416, 304)):
        return True  # preconditions before the range (RFC 9110 §13.2.2)
    if statuses == (200, 304):
        return "If-Match" in request  # a true If-Match does not cancel If-None-Match
    if statuses in ((206, 200), (416, 200)):
        return if_range_fails_here  # If-Range: the exact date or a strong tag (§13.1.5)
    if statuses in ((200, 206), (200, 416)):
        # If-Range judged alone: Werkzeug mixes If-Match and If-None-Match into it.
        return "If-Range" in request and ("If-Match" in request or "If-None-Match" in request)
    if statuses == (416, 206):
        return request.get("Range") == "bytes=-12"  # a long suffix is the whole body
    return False


@settings(max_examples=250, deadline=None)
@given(choices=st.fixed_dictionaries({name: st.sampled_from(values)
                                      for name, values in FIELD_VALUES.items()}))
def test_generated_requests_answer_as_flask_or_as_documented(choices) -> None:
    request = {name: value for name, value in choices.items() if value is not None}
    ours_app, flask_app = _APPS
    ours, theirs = answer(ours_app, request), answer(flask_app, request)
    if ours == theirs:
        return
    assert _explained(request, theirs, ours), (request, theirs, ours)


_APPS = make_apps()
