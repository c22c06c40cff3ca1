"""The reloader: a supervisor that restarts the serving process when code changes.

The process started by the user becomes the *reloader*. It opens the
listening sockets, then runs the same command line again as a child (the
*server*), which inherits the sockets instead of binding them, and it
watches files. When a wanted file changes, it stops the server (SIGTERM,
then SIGKILL after a grace period) and starts a new one. Because the
sockets stay open in the reloader, a client that connects during a restart
waits in the listen backlog for the new server instead of being refused.

The server is told what it is by environment variables (Werkzeug's
``WERKZEUG_RUN_MAIN`` plays that part for Flask): ``TAPSTER_RELOADER_CHILD``,
the sockets' descriptors in ``TAPSTER_RELOADER_FDS`` and a pipe in
``TAPSTER_RELOADER_REPORT`` on which it reports the files of the modules it
loaded, so that the reloader watches them too. The server also watches its
parent: when the reloader dies (SIGKILL), the server stops rather than
serving on as an orphan.

A server that exits by itself (a syntax error in the app, say) does not end
the reloader: it logs the exit status and starts a server again at the next
change. SIGTERM or SIGINT stop both; SIGHUP restarts the server.

The restart is of one child process today; a prefork master would restart
its workers the same way: everything that concerns the child is in
``ServerProcess``, which the loop starts, stops and polls.

This module knows nothing of HTTP or WSGI.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from types import FrameType

from .binds import Bind
from .listeners import Listener, close_listeners, open_listeners
from .watchers import Watcher, WatchSet, installed_code_paths, make_watcher

__all__ = [
    "Reloader",
    "ServerProcess",
    "enter_server_process",
    "is_server_process",
    "restart_command",
]

log = logging.getLogger("tapster.error")

#: Set to "1" in the server process's environment.
CHILD_ENV = "TAPSTER_RELOADER_CHILD"
#: The inherited listening sockets' descriptors, comma-separated.
FDS_ENV = "TAPSTER_RELOADER_FDS"
#: The descriptor of the pipe the server reports its modules' files on.
REPORT_ENV = "TAPSTER_RELOADER_REPORT"

#: Seconds a server being replaced gets to finish its in-flight requests. In
#: development, requests are short; one that hangs must not hold the restart.
RESTART_GRACE = 5.0

#: Seconds between two reports of newly loaded modules (and two checks that
#: the reloader still lives) in the server process.
REPORT_INTERVAL = 1.0


def is_server_process() -> bool:
    """Whether this process is a server that a reloader started (and watches)."""
    return os.environ.get(CHILD_ENV) == "1"


def enter_server_process(*, backlog: int) -> list[Listener]:
    """In the reloader's server process: the inherited listening sockets.

    Also starts a thread that reports the files of loaded modules to the
    reloader and stops this process (with SIGTERM, as an operator would)
    when the reloader is gone. The environment variables are removed, so
    that processes this one starts are not taken for servers.
    """
    fds = [int(fd) for fd in os.environ.pop(FDS_ENV, "").split(",") if fd]
    report_fd = int(os.environ.pop(REPORT_ENV, "-1"))
    os.environ.pop(CHILD_ENV, None)
    listeners = open_listeners([Bind(f"fd://{fd}", fd=fd) for fd in fds], backlog=backlog)
    thread = threading.Thread(
        target=_report_modules,
        args=(report_fd, os.getppid()),
        name="tapster-reloader-report",
        daemon=True,
    )
    thread.start()
    return listeners


def _report_modules(report_fd: int, reloader_pid: int) -> None:
    """Server side: write new module files to the reloader, a line each; stop when it dies."""
    installed = installed_code_paths()
    reported: set[str] = set()
    while True:
        if os.getppid() != reloader_pid:
            log.warning("Reloader process [%d] is gone; stopping", reloader_pid)
            os.kill(os.getpid(), signal.SIGTERM)
            return
        if report_fd >= 0:
            new = _module_files(installed) - reported
            if new:
                data = "".join(f"{path}\n" for path in sorted(new))
                try:
                    os.write(report_fd, data.encode("utf-8", "surrogateescape"))
                except OSError:  # the reloader closed its end: it is going away
                    report_fd = -1
                reported |= new
        time.sleep(REPORT_INTERVAL)


def _module_files(installed: tuple[str, ...]) -> set[str]:
    files = set()
    for module in list(sys.modules.values()):
        path = getattr(module, "__file__", None)
        if isinstance(path, str) and path.endswith(".py"):
            path = os.path.abspath(path)
            if not path.startswith(installed):
                files.add(path)
    return files


def restart_command() -> list[str]:
    """The command line that runs this program again: ``python [-m module | script] args``.

    ``python -m tapster run`` must restart as ``-m tapster`` (the file
    ``tapster/__main__.py`` alone cannot import its package); a script,
    a console script such as ``tapster`` included, restarts as a script.
    """
    command = [sys.executable]
    command += [f"-W{option}" for option in sys.warnoptions]
    command += [
        f"-X{name}" if value is True else f"-X{name}={value}"
        for name, value in sys._xoptions.items()
    ]
    main = sys.modules.get("__main__")
    spec = getattr(main, "__spec__", None)
    if spec is not None and spec.name not in ("__main__", ""):
        name = spec.name
        if name.endswith(".__main__"):
            name = name[: -len(".__main__")]
        return [*command, "-m", name, *sys.argv[1:]]
    script = sys.argv[0] if sys.argv else ""
    if not script or script == "-c" or not os.path.exists(script):
        raise RuntimeError(
            "the reloader restarts the program by running it again, and this one was not "
            "started from a script or with -m"
        )
    return [*command, os.path.abspath(script), *sys.argv[1:]]


class ServerProcess:
    """One server process: started with the listening sockets and a report pipe."""

    def __init__(self, command: Sequence[str], listeners: Sequence[Listener]) -> None:
        fds = [listener.sock.fileno() for listener in listeners]
        read_fd, write_fd = os.pipe()
        os.set_blocking(read_fd, False)
        env = dict(os.environ)
        env.update({
            CHILD_ENV: "1",
            FDS_ENV: ",".join(map(str, fds)),
            REPORT_ENV: str(write_fd),
        })
        try:
            self.process = subprocess.Popen(list(command), env=env, pass_fds=[*fds, write_fd])
        except BaseException:
            os.close(read_fd)
            raise
        finally:
            os.close(write_fd)  # the child's copy is the only writer: EOF when it exits
        self._report_fd: int | None = read_fd
        self._partial = b""
        log.info("Started server process [%d]", self.process.pid)

    @property
    def pid(self) -> int:
        """The process id."""
        return self.process.pid

    def poll(self) -> int | None:
        """The exit status once it exited, else None."""
        return self.process.poll()

    def reported_files(self) -> list[str]:
        """The module files reported since the last call (without blocking)."""
        if self._report_fd is None:
            return []
        data = b""
        while True:
            try:
                piece = os.read(self._report_fd, 65536)
            except BlockingIOError:
                break
            if not piece:  # the child closed it (it exited)
                self._close_report()
                break
            data += piece
        lines = (self._partial + data).split(b"\n")
        self._partial = lines.pop()
        return [line.decode("utf-8", "surrogateescape") for line in lines if line]

    def stop(self, grace: float) -> int:
        """SIGTERM, SIGKILL after ``grace`` seconds; the exit status."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(grace)
            except subprocess.TimeoutExpired:
                log.warning("Server process [%d] did not stop within %gs; killing it",
                            self.pid, grace)
                self.process.kill()
                self.process.wait()
        self._close_report()
        return self.process.returncode

    def _close_report(self) -> None:
        if self._report_fd is not None:
            os.close(self._report_fd)
            self._report_fd = None


class Reloader:
    """Run a server process on ``listeners``; restart it when a watched file changes.

    ``root`` is the project folder (the current one by default), walked for
    Python files and templates; ``extra_files`` always count and
    ``exclude`` patterns never do. ``run()`` returns when SIGTERM or SIGINT
    arrives, after the server stopped; the listeners are closed then.
    """

    def __init__(
        self,
        listeners: Sequence[Listener],
        *,
        command: Sequence[str] | None = None,
        root: str | None = None,
        extra_files: Sequence[str] = (),
        exclude: Sequence[str] = (),
        grace: float = 30.0,
        restart_grace: float = RESTART_GRACE,
        force_polling: bool | None = None,
        make_server: Callable[[Sequence[str], Sequence[Listener]], ServerProcess] = ServerProcess,
    ) -> None:
        self.listeners = list(listeners)
        self.command = list(command) if command is not None else restart_command()
        self.grace = grace
        self.restart_grace = min(restart_grace, grace)
        self.make_server = make_server
        self.stopping = threading.Event()
        self._restart_requested = False
        self.watch = WatchSet(
            [root or os.getcwd(), *self._script_folder()],
            extra=extra_files,
            exclude=exclude,
        )
        self.watcher: Watcher = make_watcher(self.watch, stop=self.stopping,
                                             force_polling=force_polling)
        self.server: ServerProcess | None = None

    def _script_folder(self) -> list[str]:
        """The folder of the script run (``python app.py`` from elsewhere), if it is a project's."""
        for argument in self.command[1:]:
            if argument == "-m" or argument.startswith("-"):
                if argument == "-m":
                    return []
                continue
            if argument.endswith(".py") and not argument.startswith(installed_code_paths()):
                return [os.path.dirname(os.path.abspath(argument))]
            return []
        return []

    def run(self) -> int:
        """Supervise until SIGTERM or SIGINT; the exit status (0)."""
        restore = self._install_signal_handlers()
        log.info("Started reloader process [%d] using %s", os.getpid(), self.watcher.name)
        try:
            self.server = self.make_server(self.command, self.listeners)
            while not self.stopping.is_set():
                self._supervise_once()
        finally:
            if self.server is not None:
                self.server.stop(self.grace)
                self.server = None
            self.watcher.close()
            close_listeners(self.listeners)
            restore()
            log.info("Reloader stopped")
        return 0

    def _supervise_once(self) -> None:
        server = self.server
        if server is not None:
            reported = server.reported_files()
            if reported:
                self.watcher.add_files(reported)
        changed = self.watcher.changes(timeout=0.25)
        if self.stopping.is_set():
            return
        if changed or self._restart_requested:
            if changed:
                log.info("Detected changes in %s; restarting", _describe_changes(changed))
            else:
                log.info("SIGHUP received: restarting")
            self._restart_requested = False
            if server is not None:
                server.stop(self.restart_grace)
            self.server = self.make_server(self.command, self.listeners)
            return
        if server is not None and server.poll() is not None:
            self.watcher.add_files(server.reported_files())
            server.stop(0)  # reaped already; releases the pipe
            self.server = None
            log.error("Server process [%d] exited with status %d; waiting for a file to "
                      "change to start it again", server.pid, server.process.returncode)

    def _install_signal_handlers(self) -> Callable[[], None]:
        if threading.current_thread() is not threading.main_thread():
            return lambda: None

        def on_stop(signum: int, frame: FrameType | None) -> None:
            log.info("%s received: stopping the server and the reloader",
                     signal.Signals(signum).name)
            self.stopping.set()

        def on_hangup(signum: int, frame: FrameType | None) -> None:
            self._restart_requested = True

        handlers = {signal.SIGTERM: on_stop, signal.SIGINT: on_stop, signal.SIGHUP: on_hangup}
        previous = {sig: signal.signal(sig, handler) for sig, handler in handlers.items()}

        def restore() -> None:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

        return restore


def _describe_changes(paths: set[str]) -> str:
    """A few of the changed files, relative to the current folder when inside it."""
    shown = []
    for path in sorted(paths)[:3]:
        relative = os.path.relpath(path)
        shown.append(path if relative.startswith("..") else relative)
    more = f" and {len(paths) - 3} more" if len(paths) > 3 else ""
    return ", ".join(shown) + more
