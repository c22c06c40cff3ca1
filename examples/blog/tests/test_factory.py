"""The app factory and its configuration sources."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tapster import App
from tapsterblog import create_app


def test_testing_config_replaces_the_instance_config(app):
    assert app.testing
    assert app.config["SECRET_KEY"] == "test"
    assert not create_app({"DATABASE": ":memory:"}).testing


def test_defaults_put_the_database_in_the_instance_folder(monkeypatch):
    for name in list(os.environ):
        if name.startswith("TAPSTER_"):
            monkeypatch.delenv(name)
    app = create_app()
    assert app.instance_path == str(Path(__file__).resolve().parents[1] / "instance")
    assert app.config["DATABASE"] == os.path.join(app.instance_path, "tapsterblog.sqlite")
    assert app.config["PASSWORD_SCRYPT_N"] == 2**15
    assert app.config["SECRET_KEY"] == "dev"


def test_instance_config_file_then_environment(tmp_path, monkeypatch):
    (tmp_path / "config.py").write_text("SECRET_KEY = 'from-file'\nDATABASE = '/srv/blog.db'\n")
    # The instance folder is found beside the package; point it at tmp_path.
    monkeypatch.setattr(App, "auto_find_instance_path", lambda self: str(tmp_path))
    monkeypatch.delenv("TAPSTER_DATABASE", raising=False)
    monkeypatch.setenv("TAPSTER_SECRET_KEY", "from-environment")
    app = create_app()
    assert app.instance_path == str(tmp_path)
    assert app.config["DATABASE"] == "/srv/blog.db"
    assert app.config["SECRET_KEY"] == "from-environment"


def test_blueprints_and_routes(app):
    assert set(app.blueprints) == {"auth", "blog"}
    rules = {rule.endpoint: rule.rule for rule in app.url_map.iter_rules()}
    assert rules == {
        "static": "/static/<path:filename>",
        "auth.register": "/auth/register",
        "auth.login": "/auth/login",
        "auth.logout": "/auth/logout",
        "blog.index": "/",
        "blog.show": "/<int:post_id>",
        "blog.create": "/create",
        "blog.update": "/<int:post_id>/update",
        "blog.delete": "/<int:post_id>/delete",
    }


@pytest.mark.parametrize("path", ["/nowhere", "/auth/nowhere", "/12345"])
def test_missing_pages_get_the_blog_404_page(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert "<title>Not found · tapsterblog</title>" in response.text
    assert 'href="/static/style.css"' in response.text  # the page extends base.html


def test_static_stylesheet(client):
    response = client.get("/static/style.css")
    assert response.status_code == 200
    assert response.mimetype == "text/css"
    css = (Path(__file__).resolve().parents[1] / "tapsterblog/static/style.css").read_bytes()
    assert response.data == css
    etag = response.headers["ETag"]
    assert client.get("/static/style.css", headers={"If-None-Match": etag}).status_code == 304
    assert client.get("/static/missing.css").status_code == 404
