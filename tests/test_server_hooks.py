"""Server hooks: where they come from (a config file, serve()'s keywords) and how they are called.

The hooks of worker processes run in real processes in
tests/integration/test_hooks.py; here, what needs none.
"""

from __future__ import annotations

import logging
import os
import signal

import pytest

from tapster.config_sources import SettingsLoader, format_settings, load_settings
from tapster.server_hooks import HOOK_NAMES, HookError, Hooks, HookWorker, ServerHooks
from tapster.settings import Settings, SettingsError
from tapster.wsgi import serve

HOOKS_FILE = """
from os.path import join  # an imported function is the file's helper, not a hook
import os

workers = 2

def _helper():
    return "helper"

def on_starting(server):
    server.started_by = _helper()

def post_fork(server, worker):
    pass
"""


def write(tmp_path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_a_config_file_gives_hooks_with_their_source(tmp_path):
    config = write(tmp_path, "tapster.conf.py", HOOKS_FILE)
    loaded = load_settings({}, config=config, environ={})
    assert loaded.settings.workers == 2
    assert loaded.hooks.on_starting.__name__ == "on_starting"
    assert loaded.hooks.post_fork.__name__ == "post_fork"
    assert loaded.hooks.when_ready is None
    assert [name for name, _ in loaded.hooks.items()] == ["on_starting", "post_fork"]
    assert loaded.sources["post_fork"] == f"config file {config}"
    assert "when_ready" not in loaded.sources


def test_keyword_hooks_win_over_the_file(tmp_path):
    config = write(tmp_path, "tapster.conf.py", HOOKS_FILE)

    def post_fork(server, worker):
        pass

    loaded = load_settings({"post_fork": post_fork}, config=config, environ={},
                           options_source="serve() argument")
    assert loaded.hooks.post_fork is post_fork
    assert loaded.sources["post_fork"] == "serve() argument"
    assert loaded.hooks.on_starting.__name__ == "on_starting"  # the file's, still


def test_a_reload_reads_the_files_hooks_again_and_keeps_the_keywords(tmp_path):
    config = write(tmp_path, "tapster.conf.py", "def on_reload(server):\n    pass\n")

    def on_exit(server):
        pass

    loader = SettingsLoader({"on_exit": on_exit}, config=config)
    first = loader.load().hooks
    write(tmp_path, "tapster.conf.py", "def when_ready(server):\n    pass\n")
    second = loader.load().hooks
    assert first.on_reload is not None and second.on_reload is None
    assert second.when_ready is not None
    assert first.on_exit is on_exit and second.on_exit is on_exit


@pytest.mark.parametrize(
    ("options", "environ", "message"),
    [
        ({"post_fork": "reopen"}, {},
         "serve() argument: the post_fork hook must be a function, not 'reopen'"),
        ({"pre_request": print}, {},
         "serve() argument: tapster does not call gunicorn's pre_request hook: it would run "
         "on every request: wrap the application in WSGI middleware"),
        ({}, {"TAPSTER_SERVE_POST_FORK": "x"},
         "environment variable TAPSTER_SERVE_POST_FORK: 'post_fork' is a hook, not a setting: "
         "define it in a Python config file, or pass it to serve()"),
    ],
)
def test_bad_hooks_are_one_line(options, environ, message):
    with pytest.raises(SettingsError) as caught:
        load_settings(options, environ=environ, options_source="serve() argument")
    assert str(caught.value) == message


@pytest.mark.parametrize("name", ["pre_fork", "pre_exec", "worker_int", "worker_abort",
                                  "nworkers_changed", "ssl_context"])
def test_gunicorns_other_hooks_say_what_to_do_instead(tmp_path, name):
    config = write(tmp_path, "g.py", f"def {name}(*args):\n    pass\n")
    with pytest.raises(SettingsError, match=rf"g\.py: tapster does not call gunicorn's {name} "
                                            r"hook: \w"):
        load_settings({}, config=config, environ={})


def test_check_config_lists_the_hooks_and_where_they_are_from(tmp_path):
    config = write(tmp_path, "tapster.conf.py", HOOKS_FILE)
    text = format_settings(load_settings({"on_exit": print}, config=config, environ={}))
    hook_lines = [line for line in text.splitlines() if line.startswith("# hook ")]
    assert len(hook_lines) == 3
    assert hook_lines[0].startswith("# hook on_starting: on_starting, line 10 ")
    assert hook_lines[0].endswith(f"# config file {config}")
    assert hook_lines[1].startswith("# hook post_fork: post_fork, line 13 ")
    assert hook_lines[2].startswith("# hook on_exit: print ")
    assert hook_lines[2].endswith("# the command line")


# -- calling them ---------------------------------------------------------------------------


def test_a_start_up_hook_that_raises_stops_the_start_up(caplog):
    def post_fork(server, worker):
        raise ValueError("no database")

    calls = ServerHooks(Hooks(post_fork=post_fork), Settings())
    with caplog.at_level(logging.ERROR, "tapster.error"), pytest.raises(HookError) as caught:
        calls.post_fork(HookWorker(pid=1, age=1, slot=0, ppid=os.getpid()))
    assert str(caught.value) == "the post_fork hook raised ValueError: no database"
    assert "The post_fork hook raised ValueError" in caplog.text
    assert "Traceback" in caplog.text


@pytest.mark.parametrize("name", ["worker_exit", "child_exit", "on_reload", "on_exit"])
def test_other_hooks_that_raise_are_logged_only(caplog, name):
    def broken(*arguments):
        raise RuntimeError("oops")

    calls = ServerHooks(Hooks(**{name: broken}), Settings())
    worker = HookWorker(pid=1, age=1, slot=0, ppid=os.getpid())
    with caplog.at_level(logging.ERROR, "tapster.error"):
        if name in ("worker_exit", "child_exit"):
            getattr(calls, name)(worker)
        else:
            getattr(calls, name)()
    assert f"The {name} hook raised RuntimeError" in caplog.text


def test_every_hook_has_a_method():
    assert all(callable(getattr(ServerHooks, name)) for name in HOOK_NAMES)


def _app(environ, start_response):
    start_response("204 No Content", [])
    return []


def test_serve_calls_keyword_hooks_in_one_process(monkeypatch):
    for variable in [name for name in os.environ if name.startswith("TAPSTER_SERVE_")]:
        monkeypatch.delenv(variable)
    calls = []

    def when_ready(server):
        calls.append(("when_ready", server.pid, server.settings.threads))
        server.log.info("ready: stopping the test server")
        os.kill(os.getpid(), signal.SIGTERM)  # the server's handler: a graceful stop

    serve(
        _app,
        bind="127.0.0.1:0",
        threads=2,
        on_starting=lambda server: calls.append(("on_starting", server.pid)),
        when_ready=when_ready,
        post_fork=lambda server, worker: calls.append(("post_fork",)),
        post_worker_init=lambda worker: calls.append(("post_worker_init",)),
        on_exit=lambda server: calls.append(("on_exit", server.pid)),
    )
    pid = os.getpid()
    # One process: nothing forks, so no worker hook runs.
    assert calls == [("on_starting", pid), ("when_ready", pid, 2), ("on_exit", pid)]


def test_serve_stops_when_on_starting_raises(monkeypatch):
    for variable in [name for name in os.environ if name.startswith("TAPSTER_SERVE_")]:
        monkeypatch.delenv(variable)
    calls = []

    def on_starting(server):
        raise OSError("cannot reach the database")

    with pytest.raises(HookError, match="the on_starting hook raised OSError: cannot reach"):
        serve(_app, bind="127.0.0.1:0", on_starting=on_starting,
              when_ready=lambda server: calls.append("when_ready"),
              on_exit=lambda server: calls.append("on_exit"))
    assert calls == []
