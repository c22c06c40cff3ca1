"""The demo: a small notes and pastebin service on tapster's framework and server.

``make serve`` runs ``tapster serve tapster.demo:app`` at http://127.0.0.1:8000.
Sign up, log in, write plain-text notes, attach files to them, and use the
same notes from scripts through a JSON API with a bearer token.

Its data (an SQLite database, the attachments and the secret key) lives in
the instance folder: ``$TAPSTER_DEMO_DATA`` when set, else
``$XDG_DATA_HOME/tapster-demo`` (``~/.local/share/tapster-demo``). Any other
``TAPSTER_DEMO_<KEY>`` variable sets the configuration key ``KEY``, e.g.
``TAPSTER_DEMO_SECRET_KEY`` or ``TAPSTER_DEMO_MAX_CONTENT_LENGTH=1048576``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from tapster import App, Response

from . import api, attachments, auth, db, errors, notes
from .security import check_csrf, csrf_field, instance_secret_key

__all__ = ["app", "create_app", "default_data_folder"]


def default_data_folder() -> str:
    """The instance folder: ``$TAPSTER_DEMO_DATA``, else a per-user data folder.

    A per-user folder works wherever ``make serve`` or ``tapster serve`` is
    started, and keeps the notes out of the source tree.
    """
    folder = os.environ.get("TAPSTER_DEMO_DATA")
    if not folder:
        base = os.environ.get("XDG_DATA_HOME") or os.path.join(
            os.path.expanduser("~"), ".local", "share"
        )
        folder = os.path.join(base, "tapster-demo")
    return os.path.abspath(folder)


def create_app(test_config: Mapping[str, Any] | None = None) -> App:
    """The demo app; ``test_config`` (tests) replaces the environment's settings.

    ``test_config["DATA"]`` names the instance folder; the other keys are
    configuration keys.

    The instance folder, the database's tables and the secret key are
    created on the first run and reused after.
    """
    config = dict(test_config or {})
    instance = os.path.abspath(config.pop("DATA", None) or default_data_folder())
    os.makedirs(instance, exist_ok=True)
    app = App(__name__, instance_path=instance)
    app.config.from_mapping(
        DATABASE=os.path.join(instance, "demo.sqlite"),
        # The whole request body, so the largest attachment: larger is a 413.
        MAX_CONTENT_LENGTH=16 * 2**20,
        # scrypt's cost for new password hashes: 2**15 takes 32 MiB and ~0.1 s.
        PASSWORD_SCRYPT_N=2**15,
        SESSION_COOKIE_SAMESITE="Lax",
    )
    if test_config is None:
        app.config.from_prefixed_env("TAPSTER_DEMO")
    else:
        app.config.from_mapping(config)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = instance_secret_key(instance)

    db.init_app(app)
    app.register_blueprint(auth.bp)
    app.register_blueprint(notes.bp)
    app.register_blueprint(attachments.bp)
    app.register_blueprint(api.bp)
    # After auth's hook that loads g.user, so that the error page for a bad
    # CSRF token (or a 413 met while the form is read) still knows who you are.
    app.before_request(check_csrf)
    app.add_template_global(csrf_field)
    errors.init_app(app)

    @app.after_request
    def security_headers(response: Response) -> Response:
        # Uploaded files are served with the type their uploader claimed:
        # nosniff stops a browser from guessing a script or a page out of one.
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        return response

    app.logger.info("tapster demo: data in %s", instance)
    return app


def __getattr__(name: str) -> Any:
    """``tapster.demo.app``, made on first use (PEP 562).

    Importing the package for ``create_app`` (as the tests do) then creates
    no instance folder; ``tapster serve tapster.demo:app`` asks for ``app``.
    """
    if name == "app":
        application = globals()["app"] = create_app()
        return application
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
