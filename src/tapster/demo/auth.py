"""Accounts: sign up, log in and out, and the settings page where API tokens are made."""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit

from tapster import (
    Blueprint,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)

from .db import get_db, transaction
from .security import check_password, hash_password, new_api_token, token_digest

bp = Blueprint("auth", __name__)

F = TypeVar("F", bound=Callable[..., Any])

USERNAME_MAX_LENGTH = 40
PASSWORD_MIN_LENGTH = 8


def login_required(view: F) -> F:
    """Send a visitor who is not logged in to the login page, and back here afterwards."""

    @functools.wraps(view)
    def wrapped(**kwargs: Any) -> Any:
        if g.user is None:
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        return view(**kwargs)

    return wrapped  # type: ignore[return-value]


@bp.before_app_request
def load_user() -> None:
    """``g.user``: the logged-in user's row, or None."""
    g.user = None
    if request.endpoint == "static":
        return  # a stylesheet needs no user: spare it the session and the query
    user_id = session.get("user_id")
    if user_id is not None:
        g.user = get_db().execute(
            "SELECT id, username FROM users WHERE id = ?", (user_id,)
        ).fetchone()


def _signup_error(username: str, password: str) -> str | None:
    if not username:
        return "Choose a username."
    if len(username) > USERNAME_MAX_LENGTH:
        return f"A username can be at most {USERNAME_MAX_LENGTH} characters."
    if len(password) < PASSWORD_MIN_LENGTH:
        return f"A password needs at least {PASSWORD_MIN_LENGTH} characters."
    return None


@bp.route("/signup", methods=("GET", "POST"))
def signup() -> Any:
    """The sign-up form; a new account goes on to the login page."""
    if request.method == "POST":
        username = request.form.get("username", "").strip()
        password = request.form.get("password", "")
        error = _signup_error(username, password)
        if error is None:
            password_hash = hash_password(password, current_app.config["PASSWORD_SCRYPT_N"])
            try:
                with transaction() as db:
                    db.execute(
                        "INSERT INTO users (username, password_hash) VALUES (?, ?)",
                        (username, password_hash),
                    )
            except sqlite3.IntegrityError:
                # The UNIQUE constraint decides, so two racing sign-ups cannot both win.
                error = f"The name {username} is taken."
            else:
                flash(f"Welcome, {username}! Log in to write your first note.", "success")
                return redirect(url_for("auth.login"))
        flash(error, "error")
    return render_template("auth/signup.html")


def _local_target(target: str | None) -> str | None:
    """``target`` when it is a path on this site, else None (no open redirects)."""
    if not target or not target.startswith("/") or target[1:2] in ("/", "\\"):
        return None  # "//host/x" and "/\host" are read by browsers as another host
    parts = urlsplit(target)
    return None if parts.scheme or parts.netloc else target


@bp.route("/login", methods=("GET", "POST"))
def login() -> Any:
    """The login form; success starts a fresh session."""
    if request.method == "POST":
        username = request.form.get("username", "").strip()
        password = request.form.get("password", "")
        user = get_db().execute(
            "SELECT id, username, password_hash FROM users WHERE username = ?", (username,)
        ).fetchone()
        # One message for both mistakes: the form does not tell which names exist.
        if user is None or not check_password(user["password_hash"], password):
            flash("Wrong username or password.", "error")
        else:
            session.clear()  # a new session (and CSRF token) for the logged-in user
            session["user_id"] = user["id"]
            flash(f"Logged in as {user['username']}.", "success")
            return redirect(_local_target(request.args.get("next")) or url_for("notes.index"))
    return render_template("auth/login.html")


@bp.post("/logout")
def logout() -> Any:
    """Forget the user (a POST with a CSRF token, so no link or other site can log you out)."""
    session.clear()
    flash("Logged out. See you soon.", "success")
    return redirect(url_for("notes.index"))


@bp.get("/settings")
@login_required
def settings() -> str:
    """The account page: when the API token was made, and buttons to make or revoke one."""
    return render_template("settings.html", token=None, token_created=_token_created())


def _token_created() -> str | None:
    row = get_db().execute(
        "SELECT created FROM api_tokens WHERE user_id = ?", (g.user["id"],)
    ).fetchone()
    return row["created"] if row else None


@bp.post("/settings/token")
@login_required
def create_token() -> str:
    """Make a new API token (replacing the old one) and show it, this once.

    Only its digest is stored, so the page is answered here rather than
    through a redirect: nothing else will ever show the token again.
    """
    token = new_api_token()
    with transaction() as db:
        db.execute(
            "INSERT INTO api_tokens (user_id, token_hash) VALUES (?, ?)"
            " ON CONFLICT (user_id) DO UPDATE SET token_hash = excluded.token_hash,"
            " created = CURRENT_TIMESTAMP",
            (g.user["id"], token_digest(token)),
        )
    return render_template("settings.html", token=token, token_created=_token_created())


@bp.post("/settings/token/delete")
@login_required
def delete_token() -> Any:
    """Revoke the API token: requests that use it get 401 from now on."""
    with transaction() as db:
        db.execute("DELETE FROM api_tokens WHERE user_id = ?", (g.user["id"],))
    flash("Your API token is revoked.", "success")
    return redirect(url_for("auth.settings"))
