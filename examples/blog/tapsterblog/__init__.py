"""tapsterblog: a small blog on tapster's framework, the example of examples/blog/.

``create_app()`` builds the app: configuration (defaults, then the instance
folder's ``config.py`` and ``TAPSTER_*`` variables, or a test mapping), the
database, the ``auth`` and ``blog`` blueprints and a 404 page.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from tapster import App, render_template
from tapster.exceptions import NotFound

from . import auth, blog, db


def create_app(test_config: Mapping[str, Any] | None = None) -> App:
    """The blog application; ``test_config`` replaces the instance's configuration."""
    app = App(__name__, instance_relative_config=True)
    app.config.from_mapping(
        # Only fit for development: set SECRET_KEY in instance/config.py or in
        # TAPSTER_SECRET_KEY anywhere the blog is reachable by others.
        SECRET_KEY="dev",
        DATABASE=os.path.join(app.instance_path, "tapsterblog.sqlite"),
        # scrypt's cost for new password hashes (memory 128 * N * r bytes: 32 MiB);
        # stored hashes carry their own cost, so raising it later keeps old ones valid.
        PASSWORD_SCRYPT_N=2**15,
    )
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
        app.config.from_prefixed_env()  # TAPSTER_SECRET_KEY, TAPSTER_DATABASE, ...
    else:
        app.config.from_mapping(test_config)

    db.init_app(app)
    app.register_blueprint(auth.bp)
    app.register_blueprint(blog.bp)

    @app.errorhandler(404)
    def page_not_found(error: NotFound) -> tuple[str, int]:
        return render_template("404.html", error=error), 404

    return app
