"""Server hooks, as gunicorn's: functions of a config file called at moments of a server's life.

A Python config file (``tapster serve app:app -c tapster.conf.py``) may
define them at module level, and ``tapster.serve(app, post_fork=...)`` (or
``App.run(...)``) takes them as keywords. They are not settings: no flag or
environment variable sets them, and ``Settings`` does not hold them.

The moments, in the process each runs in:

- ``on_starting(server)``: the process the user started (the master, or the
  single process), once, before the sockets are opened or the application
  is loaded there.
- ``when_ready(server)``: the same process, once, when the sockets are open
  and it is about to serve (a master: before forking the first workers).
- ``post_fork(server, worker)``: each worker, right after the fork, before it
  loads the application (unless preloaded).
- ``post_worker_init(worker)``: each worker, once the application is loaded,
  before it serves.
- ``worker_exit(server, worker)``: each worker, as it exits after a graceful
  stop (its requests drained).
- ``child_exit(server, worker)``: the master, after it reaped a worker (any end).
- ``on_reload(server)``: the master, on SIGHUP, once the settings are read
  again and before the new workers start.
- ``on_exit(server)``: the process the user started, just before it exits.

One process (no master) forks nothing: only ``on_starting``, ``when_ready``
and ``on_exit`` run there. An exception in ``on_starting``, ``when_ready``,
``post_fork`` or ``post_worker_init`` stops the start-up (of the server, or of
that worker, which then counts as failed to start); in any other hook it is
logged with its traceback and nothing stops. Per-request hooks (gunicorn's
``pre_request`` and ``post_request``) are refused: they would cost every
request, and WSGI middleware does their job.
"""

from __future__ import annotations

import difflib
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from typing import Any

from .settings import Settings, SettingsError

__all__ = [
    "HOOK_NAMES",
    "HookError",
    "HookServer",
    "HookWorker",
    "Hooks",
    "ServerHooks",
    "check_hook",
    "describe_hook",
    "hook_error",
]

log = logging.getLogger("tapster.error")

# gunicorn's hooks that tapster does not call, and what to do instead.
_NOT_CALLED = {
    "pre_request": "it would run on every request: wrap the application in WSGI middleware",
    "post_request": "it would run on every request: wrap the application in WSGI middleware",
    "pre_fork": "use when_ready (the master, before the first fork) or post_fork (in the worker)",
    "pre_exec": "tapster does not re-execute itself (no SIGUSR2 upgrade): SIGHUP loads new "
    "code, and on_reload runs then",
    "worker_int": "use worker_exit (a graceful stop) or child_exit (in the master, any end)",
    "worker_abort": "use child_exit: it runs in the master for every worker that ended, "
    "killed or not",
    "nworkers_changed": "the master logs SIGTTIN and SIGTTOU; post_fork and child_exit see "
    "each worker come and go",
    "ssl_context": "use the certfile, keyfile, ca_certs, ciphers and ssl_min_version settings",
}


class HookError(Exception):
    """A start-up hook raised (its traceback is logged): the server or worker does not start."""


@dataclass
class HookServer:
    """What hooks get as ``server``: the master, or the single process."""

    #: The process id of the master (or of the single process).
    pid: int
    #: The settings in force (a SIGHUP may replace them).
    settings: Settings
    #: The ``tapster.error`` logger, so that gunicorn's ``server.log.info(...)`` works.
    log: logging.Logger = field(default=log, repr=False)


@dataclass
class HookWorker:
    """What hooks get as ``worker``: one worker process."""

    #: Its process id.
    pid: int
    #: Its spawn number in the master (1 for the first worker started), as gunicorn's.
    age: int
    #: Its place among the workers, 0 to ``workers`` - 1 (a replacement takes the slot
    #: of the worker it replaces).
    slot: int
    #: The master's process id.
    ppid: int
    #: The WSGI application, once loaded (``post_worker_init`` on; in the worker only).
    app: Any = None
    #: In ``child_exit``: its exit code, or minus the signal number that killed it.
    exit_code: int | None = None
    #: The ``tapster.error`` logger, so that gunicorn's ``worker.log.info(...)`` works.
    log: logging.Logger = field(default=log, repr=False)


# The two shapes of most hooks: given the server, or the server and a worker.
ServerHook = Callable[[HookServer], object]
WorkerHook = Callable[[HookServer, HookWorker], object]


@dataclass
class Hooks:
    """The hook functions given (None for each one not set)."""

    on_starting: ServerHook | None = None
    when_ready: ServerHook | None = None
    post_fork: WorkerHook | None = None
    post_worker_init: Callable[[HookWorker], object] | None = None
    worker_exit: WorkerHook | None = None
    child_exit: WorkerHook | None = None
    on_reload: ServerHook | None = None
    on_exit: ServerHook | None = None

    def items(self) -> list[tuple[str, Callable[..., object]]]:
        """The hooks that are set, by name, in the order of their moments."""
        return [(name, getattr(self, name)) for name in HOOK_NAMES
                if getattr(self, name) is not None]


#: Every hook tapster calls, in the order of their moments.
HOOK_NAMES = tuple(item.name for item in fields(Hooks))

# A hook whose exception stops the start-up; in the others one is only logged.
_START_UP = frozenset({"on_starting", "when_ready", "post_fork", "post_worker_init"})


def check_hook(name: str, value: Any, where: str) -> Callable[..., object]:
    """``value`` for the hook ``name``: a callable, or a one-line ``SettingsError``."""
    if not callable(value):
        raise SettingsError(f"{where}: the {name} hook must be a function, not {value!r}")
    return value  # type: ignore[no-any-return]


def hook_error(name: str, where: str) -> SettingsError:
    """The error for a function ``name`` that is no hook tapster calls (nor a setting)."""
    if name in _NOT_CALLED:
        return SettingsError(f"{where}: tapster does not call gunicorn's {name} hook: "
                             f"{_NOT_CALLED[name]}")
    close = difflib.get_close_matches(name, HOOK_NAMES, n=1, cutoff=0.75)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return SettingsError(f"{where}: {name!r} is a function but neither a setting nor a hook "
                         f"tapster calls{hint}; start a helper's name with '_'")


def describe_hook(hook: Callable[..., object]) -> str:
    """A hook as ``--check-config`` shows it: its name, and its line when it has one."""
    name = getattr(hook, "__qualname__", None) or repr(hook)
    code = getattr(hook, "__code__", None)
    return f"{name}, line {code.co_firstlineno}" if code is not None else name


class ServerHooks:
    """The hooks of one server, called at their moments with the ``server`` they get.

    Each method runs one hook when it is set. A start-up hook that raises
    raises ``HookError`` (after logging the traceback); any other only logs.
    """

    def __init__(self, hooks: Hooks | None, settings: Settings) -> None:
        self.hooks = hooks or Hooks()
        #: The same object for every hook of this server: a hook may keep state on it.
        self.server = HookServer(os.getpid(), settings)

    def replace(self, hooks: Hooks, settings: Settings) -> None:
        """Apply the hooks and settings a reload (SIGHUP) read."""
        self.hooks = hooks
        self.server.settings = settings

    def on_starting(self) -> None:
        """Call ``on_starting(server)``."""
        self._call("on_starting", self.server)

    def when_ready(self) -> None:
        """Call ``when_ready(server)``."""
        self._call("when_ready", self.server)

    def post_fork(self, worker: HookWorker) -> None:
        """Call ``post_fork(server, worker)`` (in the worker)."""
        self._call("post_fork", self.server, worker)

    def post_worker_init(self, worker: HookWorker) -> None:
        """Call ``post_worker_init(worker)`` (in the worker)."""
        self._call("post_worker_init", worker)

    def worker_exit(self, worker: HookWorker) -> None:
        """Call ``worker_exit(server, worker)`` (in the worker)."""
        self._call("worker_exit", self.server, worker)

    def child_exit(self, worker: HookWorker) -> None:
        """Call ``child_exit(server, worker)`` (in the master)."""
        self._call("child_exit", self.server, worker)

    def on_reload(self) -> None:
        """Call ``on_reload(server)``."""
        self._call("on_reload", self.server)

    def on_exit(self) -> None:
        """Call ``on_exit(server)``."""
        self._call("on_exit", self.server)

    def _call(self, name: str, *arguments: Any) -> None:
        hook = getattr(self.hooks, name)
        if hook is None:
            return
        try:
            hook(*arguments)
        except Exception as error:
            log.exception("The %s hook raised %s", name, type(error).__name__)
            if name in _START_UP:
                raise HookError(f"the {name} hook raised {type(error).__name__}: "
                                f"{error}") from None
