"""Signed-cookie sessions, interchangeable with Flask's, and flashing."""

from __future__ import annotations

import datetime
import uuid

import pytest
from markupsafe import Markup

from tapster import App, flash, get_flashed_messages, request, session
from tapster.sessions import SecureCookieSessionInterface


@pytest.fixture
def app() -> App:
    app = App(__name__)
    app.secret_key = "test secret"
    app.testing = True

    @app.route("/set/<key>/<value>")
    def set_value(key, value):
        session[key] = value
        return "set"

    @app.route("/get/<key>")
    def get_value(key):
        return str(session.get(key))

    @app.route("/clear")
    def clear():
        session.clear()
        return "cleared"

    return app


def test_session_round_trip(app):
    client = app.test_client()
    response = client.get("/set/name/ann")
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("session=")
    assert "HttpOnly" in cookie and "Path=/" in cookie
    assert "Expires" not in cookie  # not permanent: a browser-session cookie
    assert response.headers["Vary"] == "Cookie"
    assert client.get("/get/name").text == "ann"


def test_untouched_session_sets_no_cookie_and_no_vary(app):
    app.add_url_rule("/plain", "plain", lambda: "plain")
    response = app.test_client().get("/plain")
    assert "Set-Cookie" not in response.headers
    assert "Vary" not in response.headers


def test_read_only_access_adds_vary_without_cookie(app):
    response = app.test_client().get("/get/x")
    assert response.headers["Vary"] == "Cookie"
    assert "Set-Cookie" not in response.headers


def test_clearing_deletes_the_cookie(app):
    client = app.test_client()
    client.get("/set/a/1")
    response = client.get("/clear")
    assert "Expires=Thu, 01 Jan 1970 00:00:00 GMT" in response.headers["Set-Cookie"]
    assert client.get("/get/a").text == "None"


def test_tampered_or_foreign_cookie_gives_an_empty_session(app):
    client = app.test_client()
    client.get("/set/a/1")
    value = client.get_cookie("session").value
    client.set_cookie("session", value[:-2] + ("A" if value[-1] != "A" else "B") + value[-1])
    assert client.get("/get/a").text == "None"
    client.set_cookie("session", "garbage")
    assert client.get("/get/a").text == "None"


def test_expired_cookie_gives_an_empty_session(app, monkeypatch):
    client = app.test_client()
    client.get("/set/a/1")
    app.config["PERMANENT_SESSION_LIFETIME"] = datetime.timedelta(seconds=-1)
    assert client.get("/get/a").text == "None"


def test_permanent_session(app):
    @app.route("/permanent")
    def permanent():
        session.permanent = True
        session["x"] = 1
        return "ok"

    cookie = app.test_client().get("/permanent").headers["Set-Cookie"]
    assert "Expires=" in cookie


def test_cookie_settings(app):
    app.config.update(
        SESSION_COOKIE_NAME="sid",
        SESSION_COOKIE_DOMAIN="example.com",
        SESSION_COOKIE_PATH="/app",
        SESSION_COOKIE_SECURE=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_HTTPONLY=False,
    )
    cookie = app.test_client().get("/set/a/1").headers["Set-Cookie"]
    assert cookie.startswith("sid=")
    assert "Domain=example.com" in cookie
    assert "Path=/app" in cookie
    assert "Secure" in cookie and "SameSite=Lax" in cookie
    assert "HttpOnly" not in cookie


def test_secret_key_fallbacks_read_old_cookies(app):
    client = app.test_client()
    client.get("/set/a/old")
    app.config["SECRET_KEY_FALLBACKS"] = ["test secret"]
    app.secret_key = "new secret"
    assert client.get("/get/a").text == "old"


def test_writing_without_secret_key_is_a_clear_error():
    app = App(__name__)
    app.testing = True

    @app.route("/")
    def index():
        session["x"] = 1
        return "never"

    with pytest.raises(RuntimeError, match="no secret key was set"):
        app.test_client().get("/")


def test_tagged_values_survive(app):
    value = {
        "tuple": (1, 2),
        "bytes": b"\x00\xff",
        "date": datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc),
        "uuid": uuid.UUID(int=7),
        "markup": Markup("<b>x</b>"),
        " t": "a key that looks like a tag",
    }
    serializer = SecureCookieSessionInterface.serializer
    assert serializer.loads(serializer.dumps(value)) == value


def test_cookie_is_interchangeable_with_flask(app):
    flask = pytest.importorskip("flask")
    flask_app = flask.Flask(__name__)
    flask_app.secret_key = "test secret"

    @flask_app.route("/set")
    def flask_set():
        flask.session["from"] = ("flask", 1)
        return "set"

    @flask_app.route("/get")
    def flask_get():
        return repr(flask.session.get("from"))

    flask_client = flask_app.test_client()
    flask_client.get("/set")
    cookie = flask_client.get_cookie("session").value

    @app.route("/from")
    def read_from():
        return repr(session.get("from"))

    client = app.test_client()
    client.set_cookie("session", cookie)
    assert client.get("/from").text == "('flask', 1)"

    client.get("/set/from/tapster")
    flask_client.set_cookie("session", client.get_cookie("session").value)
    assert flask_client.get("/get").text == "'tapster'"


def test_session_interface_is_replaceable(app):
    class Memory(SecureCookieSessionInterface):
        store: dict = {}

        def open_session(self, app, request):
            return self.session_class(self.store)

        def save_session(self, app, session, response):
            self.store.update(session)

    app.session_interface = Memory()
    client = app.test_client()
    client.get("/set/k/v")
    assert Memory.store == {"k": "v"}


def test_flashing(app):
    @app.route("/flash")
    def do_flash():
        flash("saved")
        flash("careful", "warning")
        return "flashed"

    @app.route("/show")
    def show():
        first = get_flashed_messages(with_categories=True)
        again = get_flashed_messages()
        warnings = get_flashed_messages(category_filter=["warning"])
        return {"first": first, "again": again, "warnings": warnings}

    client = app.test_client()
    client.get("/flash")
    assert client.get("/show").json == {
        "first": [["message", "saved"], ["warning", "careful"]],
        "again": ["saved", "careful"],
        "warnings": ["careful"],
    }
    assert client.get("/show").json["first"] == []


def test_flash_and_read_in_the_same_request(app):
    @app.route("/")
    def index():
        flash("now")
        return str(get_flashed_messages())

    assert app.test_client().get("/").text == "['now']"


def test_session_transaction_writes_what_the_next_request_reads(app):
    client = app.test_client()
    with client.session_transaction() as sess:
        assert dict(sess) == {}
        sess["name"] = "bea"
    assert client.get("/get/name").text == "bea"

    client.get("/set/city/oslo")
    with client.session_transaction() as sess:
        assert sess["city"] == "oslo" and sess["name"] == "bea"
        del sess["city"]
    assert client.get("/get/city").text == "None"


def test_session_transaction_reads_the_cookie_of_its_url(app):
    client = app.test_client()
    with client.session_transaction(base_url="http://other.test") as sess:
        sess["where"] = "other"
    with client.session_transaction() as sess:
        assert "where" not in sess  # localhost has no cookie
    assert client.get("/get/where", base_url="http://other.test").text == "other"


def test_session_transaction_untouched_sets_nothing(app):
    client = app.test_client()
    with client.session_transaction() as sess:
        assert not sess
    assert client.get_cookie("session") is None


def _empty_transaction(client):
    with client.session_transaction():
        pass


def test_session_transaction_errors(app):
    with pytest.raises(TypeError, match="cookies are disabled"):
        _empty_transaction(app.test_client(use_cookies=False))

    class Closed(SecureCookieSessionInterface):
        def open_session(self, app, request):
            return None

    app.session_interface = Closed()
    with pytest.raises(RuntimeError, match="did not open a session"):
        _empty_transaction(app.test_client())

    app.secret_key = None
    app.session_interface = SecureCookieSessionInterface()
    # Without a key the cookie interface opens no session, as in Flask.
    with pytest.raises(RuntimeError, match="did not open a session"):
        _empty_transaction(app.test_client())


def test_partitioned_cookie(app):
    app.config.update(SESSION_COOKIE_PARTITIONED=True, SESSION_COOKIE_SECURE=True)
    cookie = app.test_client().get("/set/a/1").headers["Set-Cookie"]
    assert "Partitioned" in cookie and "Secure" in cookie


@pytest.mark.parametrize("refresh", [True, False])
def test_refresh_each_request_for_permanent_sessions(app, refresh):
    app.config["SESSION_REFRESH_EACH_REQUEST"] = refresh

    @app.route("/login")
    def login():
        session.permanent = True
        session["user"] = 1
        return "in"

    app.add_url_rule("/plain", "plain", lambda: "plain")
    app.add_url_rule("/read", "read", lambda: str(session.get("user")))
    client = app.test_client()
    client.get("/login")
    # A permanent session is sent again (a new expiry) even when unchanged, if refreshing.
    assert ("Set-Cookie" in client.get("/read").headers) is refresh
    assert ("Set-Cookie" in client.get("/plain").headers) is refresh
    # A session that is not permanent is never refreshed.
    client.get("/clear")
    client.get("/set/a/1")
    assert "Set-Cookie" not in client.get("/get/a").headers


def test_modified_needs_a_top_level_change(app):
    @app.route("/nested")
    def nested():
        if "items" not in session:
            session["items"] = []
            return "created"
        session["items"].append(1)  # a change Flask's session cannot see
        if request.args.get("mark"):
            session.modified = True
        return str(session["items"])

    client = app.test_client()
    client.get("/nested")
    assert client.get("/nested").text == "[1]"
    assert client.get("/nested").text == "[1]"  # the append was not saved
    assert client.get("/nested?mark=1").text == "[1]"
    assert client.get("/nested").text == "[1, 1]"


def test_accessed_sets_vary_even_without_a_change(app):
    response = app.test_client().get("/get/a")
    assert response.headers["Vary"] == "Cookie"
    assert "Set-Cookie" not in response.headers


def test_emptied_session_deletes_the_cookie(app):
    client = app.test_client()
    client.get("/set/a/1")
    response = client.get("/clear")
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("session=;") and "Expires=Thu, 01 Jan 1970" in cookie
    assert client.get_cookie("session") is None
