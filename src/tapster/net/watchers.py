"""Noticing changed files, for the reloader: watchfiles when installed, else an mtime scan.

What is watched is a ``WatchSet``: project folders walked recursively (their
Python files and templates count), single files (modules the server loaded
from elsewhere, extra files the user named) and exclude patterns. A watcher
answers one question, ``changes(timeout)``: which wanted files changed,
waiting at most ``timeout`` seconds. Bursts of changes (an editor saving a
file in three steps, a ``git checkout``) come back as one set.

This module knows nothing of HTTP, WSGI or the processes it serves.
"""

from __future__ import annotations

import fnmatch
import logging
import os
import site
import sysconfig
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Protocol

__all__ = [
    "PollingWatcher",
    "WatchSet",
    "Watcher",
    "WatchfilesWatcher",
    "installed_code_paths",
    "make_watcher",
]

log = logging.getLogger("tapster.error")

#: Folders never walked nor watched (besides hidden ones: .git, .venv, .tox):
#: caches and installed packages, whose files change without the project's
#: code changing (``pip install`` must not restart the server). A virtual
#: environment named without a dot (``venv/``) keeps its packages in a
#: ``site-packages`` folder; "venv" itself is not a name to skip, since a
#: project may have a package called so.
IGNORED_DIRS = frozenset({"__pycache__", "node_modules", "site-packages", "dist-packages"})

#: Files whose changes never count: bytecode, editors' swap, backup and lock files.
IGNORED_FILES = ("*.py[cod]", "*.sw?", "*~", ".#*", "#*#", "*.tmp")

#: Seconds between two scans of the polling watcher: Werkzeug's stat reloader
#: uses 1 s too; a person saving a file and switching to the browser takes longer.
POLL_INTERVAL = 1.0

#: Seconds of quiet that end a burst of changes in the polling watcher, and
#: the longest a burst is gathered for.
POLL_SETTLE = 0.25
POLL_SETTLE_MAX = 2.0

#: Most files one scan stats. A scan of 20,000 files costs some tens of
#: milliseconds a second; beyond, the project folder is probably not a
#: project (a home folder), and ``--reload-exclude`` should say what to skip.
POLL_MAX_FILES = 20_000

#: watchfiles: milliseconds without a new event that end a burst, and the
#: longest it gathers one (its defaults, 50 and 1600, restart twice on a
#: slow ``git checkout`` and wait long after a single save).
WATCHFILES_STEP_MS = 100
WATCHFILES_DEBOUNCE_MS = 1000

#: How far before watchfiles' last answer a restarted watch looks back for
#: modified files: file systems stamp times with a clock that lags the wall
#: clock by a few milliseconds; less than ``WATCHFILES_STEP_MS``.
WATCHFILES_RESTART_MARGIN_NS = 50_000_000

#: Environment variable that forces the polling watcher even when watchfiles
#: is installed (network file systems, and the tests of the fallback).
FORCE_POLLING_ENV = "TAPSTER_RELOAD_POLL"

#: What tells that a file changed: its modification time (ns) and size.
Signature = tuple[int, int]


def installed_code_paths() -> tuple[str, ...]:
    """Folders of the standard library and installed packages (with a trailing separator).

    Modules loaded from them are not watched: they do not change while
    one works on a project, and there are thousands of them.
    """
    paths = sysconfig.get_paths()  # in a virtual environment: the base's stdlib, its own packages
    folders = {paths[key] for key in ("stdlib", "platstdlib", "purelib", "platlib") if key in paths}
    try:
        folders.update(site.getsitepackages())
    except AttributeError:  # an old virtualenv's site module
        pass
    if site.ENABLE_USER_SITE and site.USER_SITE:
        folders.add(site.USER_SITE)
    return tuple(sorted(os.path.join(os.path.abspath(f), "") for f in folders))


class WatchSet:
    """Which files count: Python files and templates under ``roots``, plus ``files``.

    ``roots`` are walked recursively (the project folder); ``files`` are
    watched one by one (modules loaded from outside the roots); ``extra``
    files always count, excluded or not; a path matching an ``exclude``
    pattern (fnmatch, against the whole path or the file name) never does.
    """

    def __init__(
        self,
        roots: Iterable[str],
        files: Iterable[str] = (),
        extra: Iterable[str] = (),
        exclude: Iterable[str] = (),
    ) -> None:
        self.roots = _distinct_roots(os.path.abspath(root) for root in roots)
        self.extra = {os.path.abspath(path) for path in extra}
        self.files = {os.path.abspath(path) for path in files} | self.extra
        self.exclude = (*IGNORED_FILES, *exclude)

    def add_files(self, paths: Iterable[str]) -> set[str]:
        """Watch these files too; the ones that were not watched before."""
        new = {os.path.abspath(path) for path in paths} - self.files
        self.files |= new
        return new

    def folders(self) -> list[str]:
        """Folders to watch recursively so that every wanted file is inside one."""
        folders = list(self.roots)
        for path in sorted(self.files):
            parent = os.path.dirname(path)
            if not any(_is_within(parent, folder) for folder in folders):
                folders.append(parent)
        return _distinct_roots(folders)

    def wants(self, path: str) -> bool:
        """Whether a change of ``path`` should restart the server."""
        path = os.path.abspath(path)
        if path in self.extra:
            return True
        if self.is_excluded(path):
            return False
        if path in self.files:
            return True
        for root in self.roots:
            if _is_within(path, root):
                relative = os.path.relpath(path, root).split(os.sep)
                if any(_ignored_dir(part) for part in relative[:-1]):
                    return False
                return path.endswith(".py") or "templates" in relative[:-1]
        return False

    def is_excluded(self, path: str) -> bool:
        """Whether ``path`` matches an exclude pattern (by its name or its whole path)."""
        name = os.path.basename(path)
        return any(
            fnmatch.fnmatch(name, pattern) or fnmatch.fnmatch(path, pattern)
            for pattern in self.exclude
        )


def _ignored_dir(name: str) -> bool:
    # Hidden folders too: .git, .venv, .tox, .mypy_cache...
    return name in IGNORED_DIRS or name.startswith(".")


def _is_within(path: str, folder: str) -> bool:
    return path == folder or path.startswith(os.path.join(folder, ""))


def _distinct_roots(folders: Iterable[str]) -> list[str]:
    """The folders, without those inside another one."""
    result: list[str] = []
    for folder in sorted(set(folders), key=len):
        if not any(_is_within(folder, kept) for kept in result):
            result.append(folder)
    return result


class Watcher(Protocol):
    """Something that reports changed files of a ``WatchSet``."""

    #: A word for the logs: "watchfiles" or "polling".
    name: str

    def add_files(self, paths: Iterable[str]) -> None:
        """Watch these files too."""

    def changes(self, timeout: float) -> set[str]:
        """The wanted files that changed, waiting up to ``timeout`` seconds for one."""

    def close(self) -> None:
        """Stop watching."""


class PollingWatcher:
    """Compares the files' modification times and sizes, every ``interval`` seconds.

    The fallback when watchfiles is not installed. ``stop`` (an event)
    ends a wait early, so a signal handler can wake the reloader.
    """

    name = "polling"

    def __init__(
        self,
        watch: WatchSet,
        *,
        interval: float = POLL_INTERVAL,
        max_files: int = POLL_MAX_FILES,
        stop: threading.Event | None = None,
    ) -> None:
        self.watch = watch
        self.interval = interval
        self.max_files = max_files
        self.stop = stop or threading.Event()
        self._warned = False
        self._snapshot = self._scan()
        self._next_scan = time.monotonic() + interval

    def add_files(self, paths: Iterable[str]) -> None:
        """Watch these files too, from their current state unless scanned already.

        A file under a root was scanned before the server reported it; taking
        its state now would hide a change made in between.
        """
        for path in self.watch.add_files(paths):
            signature = _signature(path)
            if signature is not None and path not in self._snapshot:
                self._snapshot[path] = signature

    def changes(self, timeout: float) -> set[str]:
        """Scan when the interval is up (waiting for it up to ``timeout``); settle bursts."""
        wait = self._next_scan - time.monotonic()
        # Stopped while waiting, or the timeout ends before the next scan is due.
        if wait > 0 and (self.stop.wait(min(wait, timeout)) or wait > timeout):
            return set()
        changed = self._rescan()
        if changed:
            # More may be on the way (an editor writes, renames, touches):
            # scan again until a scan finds nothing new, within bounds.
            deadline = time.monotonic() + POLL_SETTLE_MAX
            while time.monotonic() < deadline and not self.stop.wait(POLL_SETTLE):
                more = self._rescan()
                if not more:
                    break
                changed |= more
        self._next_scan = time.monotonic() + self.interval
        return changed

    def close(self) -> None:
        """Nothing to release."""

    def _rescan(self) -> set[str]:
        snapshot = self._scan()
        old = self._snapshot
        self._snapshot = snapshot
        changed = {path for path, signature in snapshot.items() if old.get(path) != signature}
        changed |= old.keys() - snapshot.keys()  # removed files
        return changed

    def _scan(self) -> dict[str, Signature]:
        return _signatures(self.watch, self.max_files, on_limit=self._warn_limit)

    def _warn_limit(self, root: str) -> None:
        if not self._warned:
            self._warned = True
            log.warning("Reloader: more than %d files under %s; watching the first %d only "
                        "(--reload-exclude skips files)", self.max_files, root, self.max_files)


def _signatures(watch: WatchSet, max_files: int = POLL_MAX_FILES,
                on_limit: Callable[[str], None] | None = None) -> dict[str, Signature]:
    """The signature of every wanted file: the single files, then up to ``max_files`` under roots.

    ``on_limit`` is called with the root being walked when the limit is reached.
    """
    snapshot: dict[str, Signature] = {}
    for path in _paths(watch, max_files, on_limit):
        signature = _signature(path)
        if signature is not None:
            snapshot[path] = signature
    return snapshot


def _modified_since(watch: WatchSet, since_ns: int) -> set[str]:
    """The wanted files modified at or after ``since_ns`` (nanoseconds of the wall clock)."""
    return {path for path, (mtime_ns, _) in _signatures(watch).items() if mtime_ns >= since_ns}


def _paths(watch: WatchSet, max_files: int,
           on_limit: Callable[[str], None] | None) -> Iterator[str]:
    yield from sorted(watch.files)
    count = 0
    for root in watch.roots:
        for folder, subfolders, names in os.walk(root):
            subfolders[:] = [name for name in subfolders if not _ignored_dir(name)]
            for name in names:
                path = os.path.join(folder, name)
                if path in watch.files or not watch.wants(path):
                    continue
                count += 1
                if count > max_files:
                    if on_limit is not None:
                        on_limit(root)
                    return
                yield path


def _signature(path: str) -> Signature | None:
    try:
        status = os.stat(path)
    except OSError:
        return None
    return status.st_mtime_ns, status.st_size


class WatchfilesWatcher:
    """The operating system tells of changes (inotify, FSEvents...) through watchfiles."""

    name = "watchfiles"

    def __init__(self, watch: WatchSet, *, stop: threading.Event | None = None) -> None:
        import watchfiles  # optional: the extra "tapster[reload]"

        self._watchfiles = watchfiles
        self.watch = watch
        self.stop = stop or threading.Event()
        self._folders: list[str] = []
        self._events: Iterator[set[tuple[Any, str]]] | None = None
        self._answered_ns = time.time_ns()
        self._unseen_since_ns: int | None = None
        self._restart()

    def _restart(self) -> None:
        """(Re)start watching the folders the watch set needs.

        Closing the old watch drops what it noticed since it last answered,
        and the new one notices nothing before it begins; so once the new
        watch has begun (in ``changes``), files modified since the old one
        last answered count as changed. watchfiles answers only after
        ``WATCHFILES_STEP_MS`` of quiet, so the margin (for file systems'
        coarse clocks) never counts a change it already reported.
        """
        if self._events is not None:
            self._unseen_since_ns = self._answered_ns - WATCHFILES_RESTART_MARGIN_NS
            self._events.close()  # type: ignore[attr-defined]
        self._folders = [folder for folder in self.watch.folders() if os.path.isdir(folder)]
        self._events = self._watchfiles.watch(
            *self._folders,
            watch_filter=lambda change, path: self.watch.wants(path),
            step=WATCHFILES_STEP_MS,
            debounce=WATCHFILES_DEBOUNCE_MS,
            # Come back this often with nothing, so that the reloader sees
            # its server exit and reads what the server reports.
            rust_timeout=250,
            yield_on_timeout=True,
            stop_event=self.stop,
            raise_interrupt=False,
            ignore_permission_denied=True,
        )

    def add_files(self, paths: Iterable[str]) -> None:
        """Watch these files too; watch their folders when no watched folder holds them."""
        if self.watch.add_files(paths) and self.watch.folders() != self._folders:
            self._restart()

    def changes(self, timeout: float) -> set[str]:
        """The next set of changes, or an empty set after about a quarter of a second."""
        assert self._events is not None
        if self.stop.is_set():
            return set()
        try:
            events = next(self._events)  # the first call of a new watch begins it
        except StopIteration:  # the stop event was set
            return set()
        changed = {path for _, path in events}
        if self._unseen_since_ns is not None:
            changed |= _modified_since(self.watch, self._unseen_since_ns)
            self._unseen_since_ns = None
        self._answered_ns = time.time_ns()
        return changed

    def close(self) -> None:
        """Stop the operating system's notifications."""
        if self._events is not None:
            self._events.close()  # type: ignore[attr-defined]
            self._events = None


def make_watcher(watch: WatchSet, *, stop: threading.Event | None = None,
                 force_polling: bool | None = None) -> Watcher:
    """watchfiles when installed (unless ``TAPSTER_RELOAD_POLL`` is set), else polling."""
    if force_polling is None:
        value = os.environ.get(FORCE_POLLING_ENV, "")
        force_polling = bool(value) and value.lower() not in ("0", "false", "no")
    if not force_polling:
        try:
            return WatchfilesWatcher(watch, stop=stop)
        except ImportError:
            pass
    return PollingWatcher(watch, stop=stop)
