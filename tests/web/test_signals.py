"""Signals (blinker): each moment of a request's life, in Flask's order, with its arguments."""

from __future__ import annotations

from contextlib import contextmanager

import pytest

from tapster import App, flash
from tapster.signals import (
    appcontext_popped,
    appcontext_pushed,
    appcontext_tearing_down,
    got_request_exception,
    message_flashed,
    request_finished,
    request_started,
    request_tearing_down,
)


@contextmanager
def recording(app, *signals):
    """Connect a receiver to each signal for ``app``; yield the (signal, kwargs) it saw."""
    seen: list[tuple[str, dict]] = []
    receivers = []
    for signal in signals:

        def receiver(sender, _name=signal.name, **kwargs):
            assert sender is app
            seen.append((_name, kwargs))

        signal.connect(receiver, app)
        receivers.append((signal, receiver))
    try:
        yield seen
    finally:
        for signal, receiver in receivers:
            signal.disconnect(receiver, app)


@pytest.fixture
def app() -> App:
    app = App(__name__)
    app.secret_key = "test"

    @app.route("/")
    def index():
        return "ok"

    @app.route("/fail")
    def fail():
        raise ValueError("boom")

    @app.route("/flash")
    def flashing():
        flash("saved", "info")
        return "flashed"

    return app


LIFE = (
    appcontext_pushed,
    request_started,
    request_finished,
    request_tearing_down,
    appcontext_tearing_down,
    appcontext_popped,
)


def test_a_request_sends_its_signals_in_order(app):
    with recording(app, *LIFE) as seen:
        response = app.test_client().get("/")
    assert [name for name, _ in seen] == [
        "appcontext-pushed",
        "request-started",
        "request-finished",
        "request-tearing-down",
        "appcontext-tearing-down",
        "appcontext-popped",
    ]
    finished = dict(seen)["request-finished"]
    assert finished["response"].status_code == response.status_code == 200
    assert dict(seen)["request-tearing-down"] == {"exc": None}


def test_an_unhandled_exception_is_signalled(app):
    with recording(app, got_request_exception, request_tearing_down, request_finished) as seen:
        response = app.test_client().get("/fail")
    assert response.status_code == 500
    names = [name for name, _ in seen]
    assert names == ["got-request-exception", "request-finished", "request-tearing-down"]
    error = dict(seen)["got-request-exception"]["exception"]
    assert isinstance(error, ValueError) and str(error) == "boom"
    assert dict(seen)["request-finished"]["response"].status_code == 500


def test_http_errors_are_not_exceptions(app):
    with recording(app, got_request_exception) as seen:
        assert app.test_client().get("/missing").status_code == 404
    assert seen == []


def test_message_flashed(app):
    with recording(app, message_flashed) as seen:
        app.test_client().get("/flash")
    assert seen == [("message-flashed", {"message": "saved", "category": "info"})]


def test_receivers_of_another_app_hear_nothing(app):
    other = App("other")
    with recording(other, *LIFE) as seen:
        app.test_client().get("/")
    assert seen == []


def test_app_context_alone(app):
    signals = (appcontext_pushed, appcontext_tearing_down, appcontext_popped)
    with recording(app, *signals) as seen, app.app_context():
        pass
    assert [name for name, _ in seen] == [
        "appcontext-pushed",
        "appcontext-tearing-down",
        "appcontext-popped",
    ]
