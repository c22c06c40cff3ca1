"""Prefork workers: a master process owns the listening sockets, forks workers, supervises them.

The master serves nothing itself. It opens nothing either: it is given the
listeners, so a reload never closes them and no connection is refused while
workers change. What it does:

- **Spawn.** ``os.fork()``; the child inherits the listening sockets and runs
  ``start_worker(Worker)`` (the server, from ``tapster.wsgi``), then exits
  with ``os._exit`` so that nothing of the master's stack runs twice.
- **Heartbeat.** Each worker gets 16 bytes of anonymous shared memory, made
  before the fork: the worker's event loop writes, twice a second, the time
  from which it is known to be making progress (now when it is idle, else
  when its longest-running current request started), and a flag asking to be
  replaced. The master reads them: a stamp older than ``timeout`` means a
  request stuck (or a loop frozen), and the worker is killed. Nothing runs
  inside the request to time it. ``time.monotonic()`` is one clock for every
  process on Linux (CLOCK_MONOTONIC), so stamps compare across processes.
- **Ready.** A worker is ready at its first heartbeat, once its application
  is imported and its loop runs. Only then is an old worker it replaces
  stopped, so replacing workers (SIGHUP, ``max_requests``, SIGTTOU) never
  leaves the sockets without a worker accepting.
- **Reaping.** SIGCHLD wakes the master, which reaps with ``waitpid``, tells
  ``on_child_exit`` (the server's ``child_exit`` hook) and starts a
  replacement at once. A worker that exits before it is ready failed
  to start; after ``MAX_BOOT_FAILURES`` in a row the master stops with an
  error instead of forking forever (or, in the middle of a reload, keeps the
  old workers and says so).
- **Signals.** Handlers only note the signal; a wake-up descriptor
  (``signal.set_wakeup_fd``) ends the master's ``poll``, and the loop acts on
  what was noted. Between signals the master sleeps in ``poll`` with a
  time-out: no busy loop.

This module knows processes and sockets, nothing of HTTP.
"""

from __future__ import annotations

import dataclasses
import logging
import mmap
import os
import random
import select
import signal
import struct
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from types import FrameType
from typing import NoReturn

from .binds import Bind
from .listeners import Listener, close_listeners, open_listeners

__all__ = ["MAX_BOOT_FAILURES", "RETIRE_IDLE_SECONDS", "Heartbeat", "Master", "PidFile", "Worker"]

log = logging.getLogger("tapster.error")

#: Worker start-ups that may fail in a row before the master gives up. A
#: broken application fails the same way every time; five tries (with a
#: growing pause) tell that from a passing hiccup in well under two seconds.
MAX_BOOT_FAILURES = 5
#: How often the master checks heartbeats when nothing is changing.
_TICK = 0.5
#: How often it looks while workers start or stop (readiness is not signalled).
_BUSY_TICK = 0.05
#: Extra time a stopping worker gets beyond its own deadline before SIGKILL
#: (it needs a moment to close connections and exit after its grace ends).
_KILL_MARGIN = 2.0
#: Longest pause before starting a worker again after failed start-ups.
_MAX_RESPAWN_PAUSE = 1.0

#: How long a retiring worker (one being replaced) still serves a request that
#: arrives on an idle keep-alive connection, answering with ``Connection:
#: close``, before closing the connection. Closing it at once races a client
#: that is sending its next request at that moment: the request would be lost,
#: although a new worker is ready to serve it. A busy client sends within
#: milliseconds; one that stays idle this long is unlikely to be sending now.
RETIRE_IDLE_SECONDS = 1.0

# The shared words: the heartbeat stamp; 1.0 when the worker asks to be
# replaced; 1.0 when the master is stopping it because it was replaced.
_STAMP = struct.Struct("d")
_STAMP_OFFSET = 0
_REPLACE_OFFSET = 8
_RETIRING_OFFSET = 16

_MASTER_SIGNALS = (
    signal.SIGTERM,
    signal.SIGINT,
    signal.SIGQUIT,
    signal.SIGHUP,
    signal.SIGTTIN,
    signal.SIGTTOU,
    signal.SIGCHLD,
)


class Heartbeat:
    """A worker's shared memory: its heartbeat stamp and its wish to be replaced.

    Made by the master before forking (anonymous ``MAP_SHARED`` memory stays
    shared across ``fork``), written by the worker, read by the master.
    """

    def __init__(self) -> None:
        self._memory = mmap.mmap(-1, 24)

    def beat(self, alive_at: float) -> None:
        """Say that the worker made progress at ``alive_at`` (``time.monotonic()``)."""
        _STAMP.pack_into(self._memory, _STAMP_OFFSET, alive_at)

    def ask_replacement(self) -> None:
        """Ask the master to start a replacement, then stop this worker gracefully."""
        _STAMP.pack_into(self._memory, _REPLACE_OFFSET, 1.0)

    def mark_retiring(self) -> None:
        """Say (before SIGTERM) that the worker stops because a new one replaced it."""
        _STAMP.pack_into(self._memory, _RETIRING_OFFSET, 1.0)

    @property
    def retiring(self) -> bool:
        """Whether the master is stopping this worker to replace it (not to shut down)."""
        return _STAMP.unpack_from(self._memory, _RETIRING_OFFSET)[0] != 0.0

    def read(self) -> tuple[float, bool]:
        """The last stamp (0.0 before the first beat) and whether a replacement is asked."""
        stamp = _STAMP.unpack_from(self._memory, _STAMP_OFFSET)[0]
        return stamp, _STAMP.unpack_from(self._memory, _REPLACE_OFFSET)[0] != 0.0

    def close(self) -> None:
        """Unmap the memory (in the master, once the worker is reaped)."""
        self._memory.close()


@dataclass
class Worker:
    """What a forked worker process gets from its master, and how it reports back."""

    #: The listening sockets to accept on (copies: closing them leaves a unix
    #: socket file in place, and the master's sockets open).
    listeners: list[Listener]
    heartbeat: Heartbeat
    #: Jobs after which to ask for a replacement; 0 for never.
    max_requests: int
    #: The master's process id: when the parent changes, the master died.
    master_pid: int
    #: Its spawn number: 1 for the first worker the master started, 2 for the next...
    age: int = 0
    #: Its place among the workers, 0 to target - 1.
    slot: int = 0
    _asked: bool = field(default=False, repr=False)

    def beat(self, now: float, busy_since: float | None, jobs_done: int) -> bool:
        """Update the heartbeat; False when the master is gone and the worker should stop.

        ``busy_since`` is when the longest-running current job started (None
        when idle); ``jobs_done`` counts the jobs finished so far.
        """
        self.heartbeat.beat(now if busy_since is None else busy_since)
        if self.max_requests and not self._asked and jobs_done >= self.max_requests:
            self._asked = True
            log.info("Served %d requests (--max-requests): asking to be replaced", jobs_done)
            self.heartbeat.ask_replacement()
        return os.getppid() == self.master_pid

    @property
    def idle_linger(self) -> float:
        """Seconds idle connections stay open in a graceful stop (``RETIRE_IDLE_SECONDS``)."""
        return RETIRE_IDLE_SECONDS if self.heartbeat.retiring else 0.0


class PidFile:
    """``--pid FILE``: the process id written at start, removed at exit if still ours."""

    def __init__(self, path: str | None) -> None:
        self.path = path
        self._pid = 0

    def write(self) -> None:
        """Write this process's id (atomically: a reader never sees a half-written file)."""
        if self.path is None:
            return
        self._pid = os.getpid()
        partial = f"{self.path}.{self._pid}.tmp"
        with open(partial, "w") as file:
            file.write(f"{self._pid}\n")
        os.replace(partial, self.path)

    def remove(self) -> None:
        """Remove the file, unless another process has written its own id there since."""
        if self.path is None or not self._pid:
            return
        try:
            with open(self.path) as file:
                if file.read().strip() != str(self._pid):
                    return
            os.unlink(self.path)
        except OSError:
            pass


@dataclass(eq=False)
class _Child:
    """The master's record of one worker process."""

    pid: int
    heartbeat: Heartbeat
    born: float
    #: Its spawn number (``Worker.age``).
    age: int = 0
    #: Its place among the workers, 0 to target - 1; a replacement takes the
    #: slot (and, with reuse_port, the slot's sockets) of the worker it replaces.
    slot: int = 0
    ready: bool = False
    #: To be stopped once enough fresh workers are ready (reload, recycling, fewer workers).
    retire: bool = False
    #: When SIGTERM or SIGQUIT was sent, and when SIGKILL follows if it has not exited.
    stop_sent_at: float | None = None
    kill_at: float = 0.0
    #: Why the master killed it, for the line logged when it is reaped.
    killed_because: str = ""


def describe_exit(status: int) -> str:
    """``waitpid``'s status as words: 'exited with code 1', 'killed by SIGKILL'."""
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        try:
            name = signal.Signals(number).name
        except ValueError:
            name = f"signal {number}"
        return f"killed by {name}"
    return f"exited with code {os.waitstatus_to_exitcode(status)}"


class Master:
    """Forks ``workers`` processes running ``start_worker`` and keeps them running.

    ``run()`` returns the exit status: 0 after SIGTERM/SIGINT, 1 when workers
    keep failing to start.
    """

    def __init__(
        self,
        listeners: Sequence[Listener],
        start_worker: Callable[[Worker], int],
        *,
        workers: int,
        timeout: float,
        graceful_timeout: float,
        max_requests: int = 0,
        max_requests_jitter: int = 0,
        reuse_port: bool = False,
        backlog: int = 2048,
        preloaded: bool = False,
        on_reload: Callable[[], bool] | None = None,
        on_child_exit: Callable[[int, int, int, int], None] | None = None,
    ) -> None:
        self.listeners = list(listeners)
        self._start_worker = start_worker
        #: How many workers the master keeps (SIGTTIN and SIGTTOU change it).
        self.target = workers
        self.timeout = timeout
        self.graceful_timeout = graceful_timeout
        self.max_requests = max_requests
        self.max_requests_jitter = max_requests_jitter
        self.reuse_port = reuse_port
        self.backlog = backlog
        self.preloaded = preloaded
        #: Called on SIGHUP before new workers start (to read settings again,
        #: and update this master's); when it returns False, nothing reloads.
        self.on_reload = on_reload
        #: Called with (pid, age, slot, waitpid status) after a worker was reaped.
        self.on_child_exit = on_child_exit
        #: Live workers by process id.
        self.children: dict[int, _Child] = {}
        self.exit_status = 0
        self._pid = os.getpid()
        self._signals: list[int] = []
        self._stopping: str | None = None  # None, "graceful" or "immediate"
        self._boot_failures = 0
        self._respawn_at = 0.0
        self._spawned = 0
        self._wake_reader = -1
        self._wake_writer = -1
        #: With reuse_port, each slot's own TCP sockets (slot 0: the given ones).
        self._slot_sockets: dict[int, list[Listener]] = {}

    # -- the loop ----------------------------------------------------------------------

    def run(self) -> int:
        """Start the workers and supervise them until stopped; the exit status."""
        restore = self._install_signal_handlers()
        try:
            while True:
                now = time.monotonic()
                self._reap()
                self._handle_signals(now)
                now = time.monotonic()
                if self._stopping is None:
                    self._check_heartbeats(now)
                    self._keep_workers(now)
                self._kill_overdue(now)
                if self._stopping is not None and not self.children:
                    break
                self._sleep(self._next_wait(now))
        finally:
            for child in self.children.values():  # only after an error in the master itself
                _send(child.pid, signal.SIGKILL)
            close_listeners(self.listeners)
            for sockets in self._slot_sockets.values():
                close_listeners(sockets)
            restore()
        return self.exit_status

    def _next_wait(self, now: float) -> float:
        changing = self._stopping is not None or any(
            not child.ready or child.stop_sent_at is not None for child in self.children.values()
        )
        wait = _BUSY_TICK if changing else _TICK
        if self._respawn_at > now:
            wait = min(wait, self._respawn_at - now)
        return wait

    def _sleep(self, seconds: float) -> None:
        poller = select.poll()
        poller.register(self._wake_reader, select.POLLIN)
        if poller.poll(seconds * 1000):
            try:
                while os.read(self._wake_reader, 512):
                    pass
            except BlockingIOError:
                pass

    # -- signals -----------------------------------------------------------------------

    def _install_signal_handlers(self) -> Callable[[], None]:
        self._wake_reader, self._wake_writer = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)

        def note(signum: int, frame: FrameType | None) -> None:
            self._signals.append(signum)

        previous = {sig: signal.signal(sig, note) for sig in _MASTER_SIGNALS}
        previous_wakeup = signal.set_wakeup_fd(self._wake_writer, warn_on_full_buffer=False)

        def restore() -> None:
            signal.set_wakeup_fd(previous_wakeup)
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            os.close(self._wake_reader)
            os.close(self._wake_writer)

        return restore

    def _handle_signals(self, now: float) -> None:
        while self._signals:
            signum = self._signals.pop(0)
            name = signal.Signals(signum).name
            if signum == signal.SIGCHLD:
                continue  # reaping runs every round anyway
            if signum == signal.SIGQUIT or (
                signum in (signal.SIGTERM, signal.SIGINT) and self._stopping is not None
            ):
                if self._stopping != "immediate":
                    log.info("%s received: stopping the workers now", name)
                    self._stop_all("immediate", now)
            elif signum in (signal.SIGTERM, signal.SIGINT):
                log.info("%s received: stopping; in-flight requests may finish (up to %gs)",
                         name, self.graceful_timeout)
                self._stop_all("graceful", now)
            elif self._stopping is not None:
                continue  # no reloading or resizing on the way out
            elif signum == signal.SIGHUP:
                self._reload()
            elif signum == signal.SIGTTIN:
                self.target += 1
                log.info("SIGTTIN received: %d workers", self.target)
            elif signum == signal.SIGTTOU:
                if self.target > 1:
                    self.target -= 1
                    log.info("SIGTTOU received: %d workers", self.target)
                else:
                    log.info("SIGTTOU received: keeping the last worker")

    def _reload(self) -> None:
        if self.on_reload is not None and not self.on_reload():
            return
        serving = [child for child in self.children.values() if child.stop_sent_at is None]
        log.info("SIGHUP received: starting %d new workers%s, then stopping the old ones",
                 self.target, "" if not self.preloaded else
                 " (the application was preloaded: they run the same code)")
        for child in serving:
            child.retire = True
        self._boot_failures = 0

    def _stop_all(self, how: str, now: float) -> None:
        self._stopping = how
        # The master's copies of the sockets close now, so that once the
        # workers closed theirs a new client is refused at once rather than
        # left in a backlog nobody accepts from.
        close_listeners(self.listeners)
        for sockets in self._slot_sockets.values():
            close_listeners(sockets)
        for child in self.children.values():
            if how == "immediate" or child.stop_sent_at is None:
                self._stop(child, signal.SIGQUIT if how == "immediate" else signal.SIGTERM, now)

    def _stop(self, child: _Child, signum: int, now: float) -> None:
        grace = self.graceful_timeout if signum == signal.SIGTERM else 0.0
        child.stop_sent_at = now
        child.kill_at = now + grace + _KILL_MARGIN
        _send(child.pid, signum)

    # -- supervision -------------------------------------------------------------------

    def _reap(self) -> None:
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            child = self.children.pop(pid, None)
            if child is None:
                continue
            child.heartbeat.close()
            if self.on_child_exit is not None:
                self.on_child_exit(pid, child.age, child.slot, status)
            how = describe_exit(status)
            if child.killed_because:
                log.warning("Worker %d %s (%s)", pid, how, child.killed_because)
            elif child.stop_sent_at is not None:
                log.info("Worker %d stopped (%s)", pid, how)
                continue  # asked to stop: not a failure
            elif self._stopping is None and child.ready:
                log.error("Worker %d died (%s): starting a new one", pid, how)
            if not child.ready and self._stopping is None:
                self._start_failed(pid, how)

    def _start_failed(self, pid: int, how: str) -> None:
        self._boot_failures += 1
        log.error("Worker %d failed to start (%s); %d in a row", pid, how, self._boot_failures)
        now = time.monotonic()
        if self._boot_failures < MAX_BOOT_FAILURES:
            pause = min(_MAX_RESPAWN_PAUSE, 0.05 * 2 ** self._boot_failures)
            self._respawn_at = now + pause
            return
        self._boot_failures = 0
        old = [child for child in self.children.values()
               if child.ready and child.retire and child.stop_sent_at is None]
        if old:
            # A reload (or a recycling) whose new workers cannot start: the
            # old ones keep serving, and the operator hears why.
            log.error("New workers keep failing to start (the last %s): keeping the %d old "
                      "ones; fix the application, then send SIGHUP again", how, len(old))
            for child in self.children.values():
                if child.ready:
                    child.retire = False
                elif child.stop_sent_at is None:
                    self._stop(child, signal.SIGKILL, now)
            return
        log.error("tapster: error: workers keep failing to start (%d in a row, the last %s); "
                  "stopping", MAX_BOOT_FAILURES, how)
        self.exit_status = 1
        self._stop_all("graceful", now)

    def _check_heartbeats(self, now: float) -> None:
        for child in self.children.values():
            if child.stop_sent_at is not None:
                continue
            stamp, replace = child.heartbeat.read()
            if stamp and not child.ready:
                child.ready = True
                self._boot_failures = 0
                log.info("Worker %d ready", child.pid)
            if self.timeout:
                if stamp and now - stamp > self.timeout:
                    self._kill(child, now, f"stuck: no progress for {now - stamp:.1f}s, "
                                           f"more than --timeout {self.timeout:g}s")
                    continue
                if not stamp and now - child.born > self.timeout:
                    self._kill(child, now, f"not started within --timeout {self.timeout:g}s")
                    continue
            if replace and not child.retire:
                child.retire = True
                log.info("Worker %d served its --max-requests: replacing it", child.pid)

    def _kill(self, child: _Child, now: float, because: str) -> None:
        log.error("Worker %d %s: killing it", child.pid, because)
        child.killed_because = because
        child.stop_sent_at = now
        child.kill_at = float("inf")
        _send(child.pid, signal.SIGKILL)

    def _kill_overdue(self, now: float) -> None:
        for child in self.children.values():
            if child.stop_sent_at is not None and now >= child.kill_at:
                self._kill(child, now, "did not stop in time")

    def _keep_workers(self, now: float) -> None:
        """Start workers up to the target; stop retired ones as fresh ones become ready."""
        serving = [child for child in self.children.values() if child.stop_sent_at is None]
        # One fresh worker per slot below the target (a ready one, the newest);
        # any other is retired: slots beyond a lowered target (SIGTTOU), or a
        # slot twice over after an aborted reload.
        kept: dict[int, _Child] = {}
        for child in sorted(serving, key=lambda c: (c.ready, c.born), reverse=True):
            if child.retire:
                continue
            if child.slot < self.target and child.slot not in kept:
                kept[child.slot] = child
            else:
                child.retire = True
        fresh = list(kept.values())
        while len(fresh) < self.target and now >= self._respawn_at:
            taken = {child.slot for child in fresh}
            slot = min(set(range(self.target)) - taken)
            fresh.append(self._spawn(now, slot))
        ready = sum(child.ready for child in fresh)
        retiring = [child for child in serving if child.retire]
        # Keep as many old workers as fresh ones are still missing.
        for child in retiring[: max(0, len(retiring) - max(0, self.target - ready))]:
            child.heartbeat.mark_retiring()
            self._stop(child, signal.SIGTERM, now)
        # A slot beyond the target that no serving worker uses closes its
        # sockets, or the kernel would keep queueing connections on them.
        for slot in [slot for slot in self._slot_sockets if slot >= self.target]:
            if not any(child.slot == slot for child in serving if not child.retire):
                close_listeners(self._slot_sockets.pop(slot))

    # -- forking -----------------------------------------------------------------------

    def _spawn(self, now: float, slot: int) -> _Child:
        heartbeat = Heartbeat()
        listeners = [dataclasses.replace(listener, unix_path=None)
                     for listener in self.listeners
                     if listener.is_unix or not self.reuse_port]
        if self.reuse_port:
            listeners += [dataclasses.replace(listener, unix_path=None)
                          for listener in self._sockets_of(slot)]
        limit = self.max_requests
        if limit and self.max_requests_jitter:
            limit += random.randint(0, self.max_requests_jitter)
        self._spawned += 1
        worker = Worker(listeners, heartbeat, limit, master_pid=self._pid, age=self._spawned,
                        slot=slot)
        for stream in (sys.stdout, sys.stderr):
            stream.flush()  # else buffered output would be written by both processes
        # Signals wait while forking: one that reached the child before it
        # reset the master's handlers would be swallowed, and a worker told to
        # stop while it boots would serve on until the graceful time-out.
        mask = signal.pthread_sigmask(signal.SIG_BLOCK, _MASTER_SIGNALS)
        try:
            pid = os.fork()
            if pid == 0:
                self._become_worker(worker, mask)
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        child = _Child(pid, heartbeat, born=now, age=worker.age, slot=slot)
        self.children[pid] = child
        log.info("Booting worker with pid %d", pid)
        return child

    def _become_worker(self, worker: Worker, mask: set[signal.Signals]) -> NoReturn:
        status = 1
        try:
            signal.set_wakeup_fd(-1)
            for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGQUIT, signal.SIGCHLD):
                signal.signal(sig, signal.SIG_DFL)
            # A hang-up of the terminal reaches the whole process group: the
            # master reloads; workers must not die of it. SIGTTIN/SIGTTOU
            # would stop them (job control).
            for sig in (signal.SIGHUP, signal.SIGTTIN, signal.SIGTTOU):
                signal.signal(sig, signal.SIG_IGN)
            signal.pthread_sigmask(signal.SIG_SETMASK, mask)  # a stop sent meanwhile acts now
            os.close(self._wake_reader)
            os.close(self._wake_writer)
            for other in self.children.values():
                other.heartbeat.close()
            self.children = {}
            # Other slots' sockets: a copy held here would keep one open (and
            # in the kernel's reuse-port group) after the master closed it.
            mine = {id(listener.sock) for listener in worker.listeners}
            for sockets in [self.listeners, *self._slot_sockets.values()]:
                for listener in sockets:
                    if id(listener.sock) not in mine:
                        listener.sock.close()
            status = self._start_worker(worker)
        except SystemExit as exit:
            status = exit.code if isinstance(exit.code, int) else 1
        except BaseException:
            log.exception("Worker failed")
            status = 1
        finally:
            try:
                logging.shutdown()
                sys.stdout.flush()
                sys.stderr.flush()
            finally:
                os._exit(status)

    def _sockets_of(self, slot: int) -> list[Listener]:
        """The TCP sockets of a worker slot (with reuse_port), opened on first use.

        The kernel spreads new connections over the sockets of a port's
        reuse-port group by a hash of the addresses, so each slot gets its
        share and its worker accepts only there. The master holds every
        slot's sockets, as it holds the shared ones: a worker that dies or is
        replaced leaves its queued connections to the next worker of its slot
        instead of having them reset. Slot 0 uses the sockets given.
        """
        if slot not in self._slot_sockets:
            tcp = [listener for listener in self.listeners if not listener.is_unix]
            if slot == 0:
                self._slot_sockets[0] = tcp
            else:
                binds = [Bind(listener.bind.spec, host=listener.host, port=listener.port)
                         for listener in tcp]
                try:
                    self._slot_sockets[slot] = open_listeners(
                        binds, backlog=self.backlog, reuse_port=True
                    )
                except (OSError, ValueError) as error:
                    log.error("Cannot open worker %d's own socket (%s): it shares slot 0's",
                              slot, error)
                    return self._sockets_of(0)
        return self._slot_sockets[slot]


def _send(pid: int, signum: int) -> None:
    try:
        os.kill(pid, signum)
    except ProcessLookupError:
        pass  # it exited already; the reaper will hear of it
