"""The reloader's file watchers: which files count, and noticing that they changed."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

from tapster.net.watchers import (
    PollingWatcher,
    WatchfilesWatcher,
    WatchSet,
    installed_code_paths,
    make_watcher,
)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "app.py").write_text("x = 1\n")
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "views.py").write_text("y = 1\n")
    (tmp_path / "pkg" / "templates").mkdir()
    (tmp_path / "pkg" / "templates" / "page.html").write_text("<p>\n")
    (tmp_path / "README.txt").write_text("words\n")
    for ignored in (".git", ".venv/lib/site-packages", "__pycache__", "node_modules"):
        (tmp_path / ignored).mkdir(parents=True)
        (tmp_path / ignored / "ignored.py").write_text("z = 1\n")
    return tmp_path


def test_python_files_and_templates_under_a_root_count(project):
    watch = WatchSet([str(project)])
    assert watch.wants(str(project / "app.py"))
    assert watch.wants(str(project / "pkg" / "views.py"))
    assert watch.wants(str(project / "pkg" / "templates" / "page.html"))
    assert not watch.wants(str(project / "README.txt"))
    for ignored in (".git", ".venv/lib/site-packages", "__pycache__", "node_modules"):
        assert not watch.wants(str(project / ignored / "ignored.py")), ignored
    assert not watch.wants(str(project / "app.pyc"))
    assert not watch.wants(str(project / ".app.py.swp"))
    assert not watch.wants("/elsewhere/app.py")


def test_single_files_extra_files_and_exclude_patterns(project, tmp_path_factory):
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    module = elsewhere / "lib.py"
    watch = WatchSet(
        [str(project)],
        files=[str(module)],
        extra=[str(project / "README.txt"), str(project / "skip_me.cfg")],
        exclude=["*_test.py", str(project / "pkg") + "/*"],
    )
    assert watch.wants(str(module))
    assert watch.wants(str(project / "README.txt"))
    assert watch.wants(str(project / "skip_me.cfg"))
    assert not watch.wants(str(project / "app_test.py"))
    assert not watch.wants(str(project / "pkg" / "views.py"))  # a whole-path pattern
    assert watch.wants(str(project / "app.py"))
    # Single files outside the roots make their folder watched (once).
    assert sorted(watch.folders()) == sorted([str(project), str(elsewhere)])
    assert watch.add_files([str(module), str(elsewhere / "other.py")]) == {
        str(elsewhere / "other.py")}
    assert sorted(watch.folders()) == sorted([str(project), str(elsewhere)])


def test_roots_inside_other_roots_are_walked_once(project):
    watch = WatchSet([str(project / "pkg"), str(project), str(project)])
    assert watch.roots == [str(project)]


def test_installed_code_is_not_the_project():
    paths = installed_code_paths()
    assert os.__file__.startswith(paths)
    assert pytest.__file__.startswith(paths)
    assert not __file__.startswith(paths)


def touch(path: Path, text: str) -> None:
    path.write_text(text)
    # Some file systems keep a coarse clock: make the change visible to a scan.
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10_000_000))


def test_polling_notices_changed_new_and_removed_files(project):
    watcher = PollingWatcher(WatchSet([str(project)]), interval=0.05)
    assert watcher.changes(0.2) == set()
    touch(project / "app.py", "x = 2\n")
    assert watcher.changes(1.0) == {str(project / "app.py")}
    (project / "pkg" / "new.py").write_text("n = 1\n")
    (project / "pkg" / "views.py").unlink()
    assert watcher.changes(1.0) == {str(project / "pkg" / "new.py"),
                                    str(project / "pkg" / "views.py")}
    touch(project / "README.txt", "not code\n")
    touch(project / ".git" / "ignored.py", "z = 2\n")
    assert watcher.changes(0.3) == set()


def test_polling_waits_for_the_interval_and_wakes_on_stop(project):
    stop = threading.Event()
    watcher = PollingWatcher(WatchSet([str(project)]), interval=30, stop=stop)
    touch(project / "app.py", "x = 3\n")
    started = time.monotonic()
    assert watcher.changes(0.2) == set()  # the next scan is not due yet
    assert time.monotonic() - started < 1
    threading.Timer(0.1, stop.set).start()
    started = time.monotonic()
    assert watcher.changes(10) == set()
    assert time.monotonic() - started < 2


def test_polling_gathers_a_burst_into_one_set(project):
    watcher = PollingWatcher(WatchSet([str(project)]), interval=0.05)

    def save_slowly() -> None:
        # Saves further apart than the scan interval (0.05 s), well within the
        # quiet time that ends a burst (POLL_SETTLE, 0.25 s) even on a busy machine.
        for name in ("a.py", "b.py", "c.py"):
            (project / name).write_text("burst\n")
            time.sleep(0.08)

    writer = threading.Thread(target=save_slowly)
    writer.start()
    time.sleep(0.02)
    changed = watcher.changes(2.0)
    writer.join()
    assert changed == {str(project / name) for name in ("a.py", "b.py", "c.py")}


def test_polling_reported_files_keep_the_state_first_scanned(project):
    # The server reports app.py after it changed: the change is not lost.
    watcher = PollingWatcher(WatchSet([str(project)]), interval=0.05)
    touch(project / "app.py", "x = 4\n")
    watcher.add_files([str(project / "app.py")])
    assert watcher.changes(1.0) == {str(project / "app.py")}


def test_polling_scans_a_bounded_number_of_files(project, caplog):
    for number in range(30):
        (project / f"m{number}.py").write_text("")
    watcher = PollingWatcher(WatchSet([str(project)]), interval=0.05, max_files=10)
    assert len(watcher._snapshot) == 10
    assert "watching the first 10 only" in caplog.text


def test_watchfiles_notices_a_change(project):
    pytest.importorskip("watchfiles")
    stop = threading.Event()
    watcher = WatchfilesWatcher(WatchSet([str(project)]), stop=stop)
    try:
        deadline = time.monotonic() + 10
        seen: set[str] = set()
        touched = False
        while str(project / "pkg" / "views.py") not in seen and time.monotonic() < deadline:
            seen |= watcher.changes(0.25)
            if not touched:
                time.sleep(0.3)  # let the operating system's watch settle in
                (project / "pkg" / "views.py").write_text("y = 2\n")
                (project / "README.txt").write_text("not code\n")
                touched = True
        assert seen == {str(project / "pkg" / "views.py")}
        stop.set()
        assert watcher.changes(0.25) == set()
    finally:
        watcher.close()


def gather(watcher: WatchfilesWatcher, until: str | None, seconds: float) -> set[str]:
    """Changes answered within ``seconds``, or until ``until`` is among them."""
    deadline = time.monotonic() + seconds
    seen: set[str] = set()
    while until not in seen and time.monotonic() < deadline:
        seen |= watcher.changes(0.25)
    return seen


def test_watchfiles_restarting_the_watch_loses_no_change(project, tmp_path_factory):
    # The server reports a module from a folder not watched yet: the watch is
    # restarted, and a change its old watch had noticed but not answered yet
    # is still answered, once; a change answered before is not answered again.
    pytest.importorskip("watchfiles")
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    (elsewhere / "lib.py").write_text("")
    watcher = WatchfilesWatcher(WatchSet([str(project)]))
    try:
        assert watcher.changes(0.25) == set()  # the watch begins
        time.sleep(0.3)
        views = str(project / "pkg" / "views.py")
        (project / "pkg" / "views.py").write_text("y = 3\n")
        assert gather(watcher, views, 10) == {views}
        (project / "app.py").write_text("x = 5\n")
        time.sleep(0.05)  # the old watch has noticed it
        watcher.add_files([str(elsewhere / "lib.py")])
        assert str(elsewhere) in watcher._folders
        assert gather(watcher, None, 1.5) == {str(project / "app.py")}
    finally:
        watcher.close()


def test_make_watcher_prefers_watchfiles_unless_polling_is_forced(project, monkeypatch):
    pytest.importorskip("watchfiles")
    watch = WatchSet([str(project)])
    monkeypatch.delenv("TAPSTER_RELOAD_POLL", raising=False)
    watcher = make_watcher(watch)
    watcher.close()
    assert watcher.name == "watchfiles"
    monkeypatch.setenv("TAPSTER_RELOAD_POLL", "1")
    assert make_watcher(watch).name == "polling"
    monkeypatch.setenv("TAPSTER_RELOAD_POLL", "0")
    watcher = make_watcher(watch)
    watcher.close()
    assert watcher.name == "watchfiles"
    assert make_watcher(watch, force_polling=True).name == "polling"


def test_without_watchfiles_the_watcher_polls(project, monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_watchfiles(name, *args, **kwargs):
        if name == "watchfiles":
            raise ImportError("No module named 'watchfiles'")
        return real_import(name, *args, **kwargs)

    monkeypatch.delenv("TAPSTER_RELOAD_POLL", raising=False)
    monkeypatch.setattr(builtins, "__import__", no_watchfiles)
    assert make_watcher(WatchSet([str(project)])).name == "polling"
