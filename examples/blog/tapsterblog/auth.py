"""Accounts: register, log in and out, and ``login_required`` for views that need a user."""

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

from .db import get_db
from .passwords import check_password, hash_password

bp = Blueprint("auth", __name__, url_prefix="/auth")

F = TypeVar("F", bound=Callable[..., Any])

USERNAME_MAX_LENGTH = 40
PASSWORD_MIN_LENGTH = 8


def login_required(view: F) -> F:
    """Send visitors who are not logged in to the login page, then back here."""

    @functools.wraps(view)
    def wrapped_view(**kwargs: Any) -> Any:
        if g.user is None:
            return redirect(url_for("auth.login", next=request.path))
        return view(**kwargs)

    return wrapped_view  # type: ignore[return-value]


@bp.before_app_request
def load_logged_in_user() -> None:
    """Put the logged-in user's row (or None) on ``g.user`` before every request."""
    user_id = session.get("user_id")
    g.user = None
    if user_id is not None:
        g.user = get_db().execute(
            "SELECT id, username FROM users WHERE id = ?", (user_id,)
        ).fetchone()


def _registration_error(username: str, password: str) -> str | None:
    if not username:
        return "Username is required."
    if len(username) > USERNAME_MAX_LENGTH:
        return f"Username must be at most {USERNAME_MAX_LENGTH} characters."
    if not password:
        return "Password is required."
    if len(password) < PASSWORD_MIN_LENGTH:
        return f"Password must be at least {PASSWORD_MIN_LENGTH} characters."
    return None


@bp.route("/register", methods=("GET", "POST"))
def register() -> Any:
    """The sign-up form; a new account goes on to the login page."""
    if request.method == "POST":
        username = request.form.get("username", "").strip()
        password = request.form.get("password", "")
        error = _registration_error(username, password)
        if error is None:
            password_hash = hash_password(password, current_app.config["PASSWORD_SCRYPT_N"])
            db = get_db()
            try:
                with db:  # commits, or rolls back on an error
                    db.execute(
                        "INSERT INTO users (username, password_hash) VALUES (?, ?)",
                        (username, password_hash),
                    )
            except sqlite3.IntegrityError:
                # The UNIQUE constraint decides, so two racing sign-ups cannot both win.
                error = f"User {username} is already registered."
            else:
                flash(f"Welcome, {username}! You can log in now.", "success")
                return redirect(url_for("auth.login"))
        flash(error, "error")
    return render_template("auth/register.html")


def _local_target(target: str | None) -> str | None:
    """``target`` if it is a path on this site, else None (no redirects to other sites)."""
    if not target:
        return None
    parts = urlsplit(target)
    # "//host/x" and "/\host" are taken by browsers as another host.
    if parts.scheme or parts.netloc or not target.startswith("/") or target[1:2] in ("/", "\\"):
        return None
    return target


@bp.route("/login", methods=("GET", "POST"))
def login() -> Any:
    """The login form; success starts a fresh session for the user."""
    if request.method == "POST":
        username = request.form.get("username", "").strip()
        password = request.form.get("password", "")
        user = get_db().execute(
            "SELECT id, username, password_hash FROM users WHERE username = ?", (username,)
        ).fetchone()
        # One message for both mistakes, so the form does not tell which usernames exist.
        if user is None or not check_password(user["password_hash"], password):
            flash("Incorrect username or password.", "error")
        else:
            session.clear()  # nothing from before the login carries over
            session["user_id"] = user["id"]
            flash(f"Logged in as {user['username']}.", "success")
            return redirect(_local_target(request.args.get("next")) or url_for("blog.index"))
    return render_template("auth/login.html")


@bp.post("/logout")
def logout() -> Any:
    """Forget the user (a POST, so a link prefetch cannot log anyone out)."""
    session.clear()
    flash("Logged out.", "success")
    return redirect(url_for("blog.index"))
