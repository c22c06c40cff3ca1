"""app.config: Flask's default keys and loaders."""

from __future__ import annotations

import json
import os
from datetime import timedelta

import pytest

from tapster import App, Config


def test_defaults():
    app = App(__name__)
    config = app.config
    assert config["DEBUG"] is False or config["DEBUG"] is None or isinstance(config["DEBUG"], bool)
    assert config["TESTING"] is False
    assert config["SECRET_KEY"] is None
    assert config["PERMANENT_SESSION_LIFETIME"] == timedelta(days=31)
    assert config["MAX_CONTENT_LENGTH"] is None
    assert config["APPLICATION_ROOT"] == "/"
    assert config["PREFERRED_URL_SCHEME"] == "http"
    assert config["SESSION_COOKIE_NAME"] == "session"
    assert config["PROPAGATE_EXCEPTIONS"] is None


def test_config_attributes():
    app = App(__name__)
    app.debug = True
    app.testing = True
    app.secret_key = "k"
    assert app.config["DEBUG"] is True and app.config["TESTING"] is True
    assert app.config["SECRET_KEY"] == "k"
    app.config["PERMANENT_SESSION_LIFETIME"] = 60
    assert app.permanent_session_lifetime == timedelta(seconds=60)


def test_from_mapping_object_and_namespace():
    config = Config("/")
    config.from_mapping({"A": 1, "lower": 2}, B=3)
    assert config == {"A": 1, "B": 3}

    class Settings:
        DEBUG = True
        helper = "ignored"

    config.from_object(Settings)
    assert config["DEBUG"] is True and "helper" not in config
    config.from_object("json.decoder")  # a module by import name: its UPPERCASE names
    config.update(IMAGE_STORE_TYPE="fs", IMAGE_STORE_PATH="/x")
    assert config.get_namespace("IMAGE_STORE_") == {"type": "fs", "path": "/x"}
    assert config.get_namespace("IMAGE_STORE_", lowercase=False, trim_namespace=False) == {
        "IMAGE_STORE_TYPE": "fs",
        "IMAGE_STORE_PATH": "/x",
    }


def test_from_pyfile_and_silent(tmp_path):
    (tmp_path / "settings.py").write_text("SECRET = 'abc'\nlower = 1\nTWO = 1 + 1\n")
    config = Config(tmp_path)
    assert config.from_pyfile("settings.py")
    assert config == {"SECRET": "abc", "TWO": 2}
    assert config.from_pyfile("missing.py", silent=True) is False
    with pytest.raises(OSError, match="Unable to load configuration file"):
        config.from_pyfile("missing.py")


def test_from_file(tmp_path):
    (tmp_path / "config.json").write_text(json.dumps({"PORT": 8, "low": 1}))
    config = Config(tmp_path)
    assert config.from_file("config.json", load=json.load)
    assert config == {"PORT": 8}
    assert config.from_file("nope.json", load=json.load, silent=True) is False


def test_from_envvar(tmp_path, monkeypatch):
    (tmp_path / "c.py").write_text("X = 1\n")
    config = Config(tmp_path)
    monkeypatch.setenv("APP_SETTINGS", str(tmp_path / "c.py"))
    assert config.from_envvar("APP_SETTINGS")
    assert config["X"] == 1
    monkeypatch.delenv("APP_SETTINGS")
    with pytest.raises(RuntimeError, match="APP_SETTINGS"):
        config.from_envvar("APP_SETTINGS")
    assert config.from_envvar("APP_SETTINGS", silent=True) is False


def test_from_prefixed_env(monkeypatch):
    monkeypatch.setenv("TAPSTER_SECRET_KEY", "plain string")
    monkeypatch.setenv("TAPSTER_PORT", "8080")
    monkeypatch.setenv("TAPSTER_FLAG", "true")
    monkeypatch.setenv("TAPSTER_DB__HOST", '"db"')
    monkeypatch.setenv("OTHER_X", "1")
    config = Config("/")
    config.from_prefixed_env()
    assert config["SECRET_KEY"] == "plain string"
    assert config["PORT"] == 8080
    assert config["FLAG"] is True
    assert config["DB"] == {"HOST": "db"}
    assert "X" not in config
    monkeypatch.setenv("FLASK_Y", "2")
    config.from_prefixed_env("FLASK")
    assert config["Y"] == 2


def test_instance_path_and_resources(tmp_path):
    (tmp_path / "data.txt").write_text("resource")
    app = App(__name__, root_path=str(tmp_path), instance_path=str(tmp_path / "inst"))
    with app.open_resource("data.txt", "r") as file:
        assert file.read() == "resource"
    with pytest.raises(ValueError, match="reading"):
        app.open_resource("data.txt", "w")
    assert app.instance_path == str(tmp_path / "inst")
    with pytest.raises(ValueError, match="absolute"):
        App(__name__, instance_path="relative")
    default = App(__name__)
    # Beside the top-level package (tests/), as Flask places it.
    repository = os.path.dirname(os.path.dirname(os.path.dirname(__file__)))
    assert default.instance_path == os.path.join(repository, "instance")


def test_instance_relative_config(tmp_path):
    (tmp_path / "inst").mkdir()
    (tmp_path / "inst" / "cfg.py").write_text("FROM_INSTANCE = True\n")
    app = App(__name__, instance_path=str(tmp_path / "inst"), instance_relative_config=True)
    app.config.from_pyfile("cfg.py")
    assert app.config["FROM_INSTANCE"] is True


def test_logger_name_and_debug_level():
    app = App("tapster_logger_test")
    assert app.logger.name == "tapster_logger_test"
    app2 = App("tapster_logger_debug")
    app2.debug = True
    import logging

    assert app2.logger.level == logging.DEBUG
