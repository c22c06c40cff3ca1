"""Settings from their sources: command line > TAPSTER_SERVE_* > config file > defaults."""

from __future__ import annotations

import builtins
import sys

import pytest

from tapster.config_sources import (
    format_settings,
    load_settings,
    read_config_file,
    read_environment,
    read_log_config,
)
from tapster.settings import SettingsError


def write(tmp_path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


# -- precedence ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cli", "env", "file", "expected", "source"),
    [
        (None, None, None, 64, "default"),
        (None, None, 8, 8, "config file"),
        (None, "4", 8, 4, "environment TAPSTER_SERVE_THREADS"),
        (2, "4", 8, 2, "the command line"),
        (2, None, 8, 2, "the command line"),
        (2, "4", None, 2, "the command line"),
        (None, "4", None, 4, "environment TAPSTER_SERVE_THREADS"),
    ],
)
def test_precedence(tmp_path, cli, env, file, expected, source):
    config = write(tmp_path, "t.toml", f"threads = {file}\n") if file is not None else None
    environ = {"TAPSTER_SERVE_THREADS": env} if env is not None else {}
    options = {"threads": cli} if cli is not None else {}
    loaded = load_settings(options, config=config, environ=environ)
    assert loaded.settings.threads == expected
    assert loaded.sources["threads"].startswith(source)
    assert loaded.sources["backlog"] == "default"


def test_each_layer_sets_different_fields(tmp_path):
    config = write(tmp_path, "t.toml", 'threads = 8\nbind = ["0.0.0.0:9000"]\nworkers = 3\n')
    loaded = load_settings({"workers": 2}, config=config,
                           environ={"TAPSTER_SERVE_KEEPALIVE_TIMEOUT": "2.5"})
    settings = loaded.settings
    assert (settings.threads, settings.bind, settings.workers) == (8, ["0.0.0.0:9000"], 2)
    assert settings.keepalive_timeout == 2.5


def test_config_file_named_by_the_environment(tmp_path):
    config = write(tmp_path, "t.toml", "threads = 5\n")
    loaded = load_settings({}, environ={"TAPSTER_SERVE_CONFIG": config})
    assert loaded.settings.threads == 5
    assert loaded.config_file == config
    # --config wins over the variable.
    other = write(tmp_path, "o.toml", "threads = 6\n")
    assert load_settings({}, config=other,
                         environ={"TAPSTER_SERVE_CONFIG": config}).settings.threads == 6


def test_other_tapster_variables_are_not_settings():
    environ = {"TAPSTER_APP": "x:app", "TAPSTER_DEBUG": "1", "TAPSTER_TIMEOUT": "nonsense",
               "TAPSTER_RELOADER_CHILD": "1", "TAPSTER_DEMO_SECRET_KEY": "s",
               "TAPSTER_RUN_PORT": "5001", "TAPSTER_THREADS": "3"}
    loaded = load_settings({}, environ=environ)
    assert loaded.settings.threads == 64 and loaded.settings.timeout == 30.0


# -- files ------------------------------------------------------------------------------


def test_toml_file_types(tmp_path):
    config = write(tmp_path, "t.toml", """
bind = "unix:/tmp/x.sock"
unix_socket_mode = 0o660
workers = "auto"
timeout = 10
preload = true
access_log = "-"
reload_exclude = ["*.tmp", "*.log"]
log_config = {version = 1}
""")
    values = read_config_file(config)
    assert values["bind"] == ["unix:/tmp/x.sock"]
    assert values["unix_socket_mode"] == 0o660
    assert values["workers"] >= 1
    assert values["timeout"] == 10.0 and isinstance(values["timeout"], float)
    assert values["preload"] is True
    assert values["reload_exclude"] == ["*.tmp", "*.log"]
    assert values["log_config"] == {"version": 1}


def test_python_file_like_gunicorns(tmp_path):
    config = write(tmp_path, "t.py", """
import os

_cores = 2
workers = _cores * 2
bind = ["127.0.0.1:8001", "unix:/tmp/t.sock"]
unix_socket_mode = "660"
access_log_format = "%(h)s %(s)s"
CONSTANT = "upper case names are the file's own"
""")
    loaded = load_settings({}, config=config, environ={})
    settings = loaded.settings
    assert settings.workers == 4
    assert settings.bind == ["127.0.0.1:8001", "unix:/tmp/t.sock"]
    assert settings.unix_socket_mode == 0o660
    assert settings.access_log_format == "%(h)s %(s)s"
    assert loaded.sources["workers"] == f"config file {config}"


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("t.toml", "treads = 8\n", "t.toml: unknown setting 'treads' (did you mean 'threads'?)"),
        ("t.py", "accesslog = '-'\n",
         "t.py: unknown setting 'accesslog' (did you mean 'access_log'?)"),
        ("t.toml", "keep-alive = 3\n",
         "unknown setting 'keep-alive' (did you mean 'keepalive_timeout'?)"),
        ("t.toml", "colour = true\n", "unknown setting 'colour'\n"),
        ("t.py", "def pre_request(worker, req):\n    pass\n",
         "t.py: tapster does not call gunicorn's pre_request hook: it would run on every "
         "request: wrap the application in WSGI middleware"),
        ("t.py", "def post_request(worker, req, environ, resp):\n    pass\n",
         "tapster does not call gunicorn's post_request hook"),
        ("t.py", "def post_forks(server, worker):\n    pass\n",
         "t.py: 'post_forks' is a function but neither a setting nor a hook tapster calls "
         "(did you mean 'post_fork'?); start a helper's name with '_'"),
        ("t.py", "post_fork = 3\n", "t.py: the post_fork hook must be a function, not 3"),
        ("t.toml", 'threads = "eight"\n', "t.toml: threads must be a whole number, not 'eight'"),
        ("t.toml", "threads = true\n", "threads must be a whole number, not True"),
        ("t.toml", 'preload = "yes"\n', "preload must be true or false, not 'yes'"),
        ("t.toml", "bind = [1, 2]\n", "bind must be a string or a list of strings"),
        ("t.toml", 'keepalive_timeout = "soon"\n', "keepalive_timeout must be a number"),
        ("t.toml", 'workers = "many"\n', "invalid worker_count value 'many' for workers"),
        ("t.toml", "threads = \n", "t.toml: invalid TOML"),
        ("t.py", "workers = (\n", "t.py, line 1: SyntaxError"),
        ("t.py", "raise RuntimeError('no')\n", "t.py: RuntimeError: no"),
        ("t.yaml", "threads: 1\n", "must end in .toml or .py"),
    ],
)
def test_bad_config_files_are_one_line(tmp_path, name, text, message):
    config = write(tmp_path, name, text)
    with pytest.raises(SettingsError) as caught:
        load_settings({}, config=config, environ={})
    assert message.strip() in str(caught.value)
    assert "\n" not in str(caught.value)


def test_an_invalid_value_names_its_source(tmp_path):
    config = write(tmp_path, "t.toml", "threads = 0\n")
    with pytest.raises(SettingsError, match=r"threads must be a positive whole number, not 0 "
                                            r"\(from config file .*t\.toml\)"):
        load_settings({}, config=config, environ={})
    with pytest.raises(SettingsError, match=r"\(from environment TAPSTER_SERVE_PORT\)"):
        load_settings({}, environ={"TAPSTER_SERVE_PORT": "70000"})


def test_a_missing_config_file(tmp_path):
    with pytest.raises(SettingsError, match=r"cannot read config file .*nope\.toml: No such file"):
        load_settings({}, config=str(tmp_path / "nope.toml"), environ={})


def test_toml_on_python_310_without_tomli(tmp_path, monkeypatch):
    config = write(tmp_path, "t.toml", "threads = 2\n")
    real_import = builtins.__import__

    def no_toml(name, *args, **kwargs):
        if name in ("tomllib", "tomli"):
            raise ModuleNotFoundError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_toml)
    with pytest.raises(SettingsError, match=r"reading TOML needs Python 3\.11 or the 'tomli' "
                                            r"package"):
        load_settings({}, config=config, environ={})


def test_toml_with_tomli_when_there_is_no_tomllib(tmp_path, monkeypatch):
    config = write(tmp_path, "t.toml", "threads = 2\n")
    real_import = builtins.__import__
    # The standard parser stands in for the tomli package.
    monkeypatch.setitem(sys.modules, "tomli", pytest.importorskip("tomllib"))

    def no_tomllib(name, *args, **kwargs):
        if name == "tomllib":
            raise ModuleNotFoundError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_tomllib)
    assert load_settings({}, config=config, environ={}).settings.threads == 2


# -- the environment --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("variable", "text", "name", "value"),
    [
        ("TAPSTER_SERVE_BIND", "127.0.0.1:1, unix:/tmp/a.sock", "bind",
         ["127.0.0.1:1", "unix:/tmp/a.sock"]),
        ("TAPSTER_SERVE_BIND", "[::1]:8000", "bind", ["[::1]:8000"]),
        ("TAPSTER_SERVE_RELOAD_EXCLUDE", "*.tmp,,*.log,", "reload_exclude", ["*.tmp", "*.log"]),
        ("TAPSTER_SERVE_PRELOAD", "1", "preload", True),
        ("TAPSTER_SERVE_PRELOAD", "Yes", "preload", True),
        ("TAPSTER_SERVE_PRELOAD", "on", "preload", True),
        ("TAPSTER_SERVE_PRELOAD", "true", "preload", True),
        ("TAPSTER_SERVE_PRELOAD", "0", "preload", False),
        ("TAPSTER_SERVE_PRELOAD", "off", "preload", False),
        ("TAPSTER_SERVE_PRELOAD", "FALSE", "preload", False),
        ("TAPSTER_SERVE_THREADS", "16", "threads", 16),
        ("TAPSTER_SERVE_TIMEOUT", "2.5", "timeout", 2.5),
        ("TAPSTER_SERVE_UNIX_SOCKET_MODE", "660", "unix_socket_mode", 0o660),
        ("TAPSTER_SERVE_SERVER_HEADER", "", "server_header", ""),
        ("TAPSTER_SERVE_ACCESS_LOG", "-", "access_log", "-"),
    ],
)
def test_environment_values(variable, text, name, value):
    values, sources = read_environment({variable: text})
    assert values == {name: value}
    assert sources == {name: f"environment {variable}"}


@pytest.mark.parametrize(
    ("variable", "text", "message"),
    [
        ("TAPSTER_SERVE_PRELOAD", "maybe", "TAPSTER_SERVE_PRELOAD: preload must be 1, true, yes"),
        ("TAPSTER_SERVE_THREADS", "many", "TAPSTER_SERVE_THREADS: invalid int value 'many'"),
        ("TAPSTER_SERVE_TIMEOUT", "", "TAPSTER_SERVE_TIMEOUT: invalid float value ''"),
        ("TAPSTER_SERVE_TREADS", "2", "environment variable TAPSTER_SERVE_TREADS: unknown "
                                      "setting 'treads' (did you mean 'threads'?)"),
    ],
)
def test_bad_environment_values(variable, text, message):
    with pytest.raises(SettingsError) as caught:
        load_settings({}, environ={variable: text})
    assert message in str(caught.value)


# -- keyword options (serve(), App.run()) -------------------------------------------------


def test_keyword_options_are_checked_and_named():
    with pytest.raises(SettingsError, match=r"serve\(\) argument: unknown setting 'treads'"):
        load_settings({"treads": 2}, environ={}, options_source="serve() argument")
    with pytest.raises(SettingsError, match="threads must be a whole number, not '2'"):
        load_settings({"threads": "2"}, environ={}, options_source="serve() argument")
    loaded = load_settings({"bind": "127.0.0.1:0", "workers": "auto"}, environ={},
                           options_source="serve() argument")
    assert loaded.settings.bind == ["127.0.0.1:0"] and loaded.settings.workers >= 1


# -- --check-config's listing, and --log-config --------------------------------------------


def test_format_settings_is_toml_with_sources(tmp_path):
    config = write(tmp_path, "t.toml", 'bind = ["0.0.0.0:9000"]\n')
    loaded = load_settings({"threads": 3}, config=config, environ={})
    text = format_settings(loaded)
    lines = {line.split()[0] if not line.startswith("#") else line.split()[1]: line
             for line in text.splitlines()}
    assert lines["threads"].startswith("threads = 3 ") and lines["threads"].endswith(
        "# the command line")
    assert lines["bind"].endswith(f"# config file {config}")
    assert lines["host"].startswith("# host is not set")
    # What is set parses back as TOML, to the same values.
    body = "\n".join(line.split("  #")[0] for line in text.splitlines()
                     if not line.startswith("#"))
    parsed = pytest.importorskip("tomllib").loads(body)
    assert parsed["threads"] == 3 and parsed["bind"] == ["0.0.0.0:9000"]
    assert parsed["access_log_format"] == loaded.settings.access_log_format


def test_read_log_config(tmp_path):
    assert read_log_config({"version": 1}) == {"version": 1}
    json_file = write(tmp_path, "log.json", '{"version": 1, "disable_existing_loggers": false}')
    assert read_log_config(json_file) == {"version": 1, "disable_existing_loggers": False}
    toml_file = write(tmp_path, "log.toml", "version = 1\n")
    assert read_log_config(toml_file) == {"version": 1}
    with pytest.raises(SettingsError, match=r"must end in \.json or \.toml"):
        read_log_config(write(tmp_path, "log.ini", "[loggers]\n"))
    with pytest.raises(SettingsError, match="invalid JSON"):
        read_log_config(write(tmp_path, "bad.json", "{"))


def test_a_value_outside_the_choices():
    message = (r"^error_log_format must be text or json, not 'xml' "
               r"\(from environment TAPSTER_SERVE_ERROR_LOG_FORMAT\)$")
    with pytest.raises(SettingsError, match=message):
        load_settings({}, environ={"TAPSTER_SERVE_ERROR_LOG_FORMAT": "xml"})
