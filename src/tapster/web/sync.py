"""Running ``async def`` views, hooks and handlers from the synchronous WSGI call.

Each thread keeps one event loop and runs coroutines on it to completion,
so an async view costs one ``run_until_complete`` on a loop that already
exists. Flask instead goes through asgiref's ``async_to_sync``, which starts
a loop in another thread for each call; reusing the thread's own loop is
several times cheaper (bench/framework.py measures both). The coroutine runs
as a task, which copies the current ``contextvars`` context, so ``request``,
``g`` and ``current_app`` work inside it.

When a loop is already running in this thread (the app was called from
async code), the coroutine runs on a fresh loop in a helper thread with a
copy of the context, because a thread can run only one loop at a time.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import threading
from collections.abc import Awaitable, Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

__all__ = ["async_to_sync", "run_coroutine"]

T = TypeVar("T")

_local = threading.local()


def _thread_loop() -> asyncio.AbstractEventLoop:
    loop: asyncio.AbstractEventLoop | None = getattr(_local, "loop", None)
    if loop is None or loop.is_closed():
        loop = _local.loop = asyncio.new_event_loop()
    return loop


def run_coroutine(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run ``coroutine`` to completion and return its result (or raise its exception)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return _thread_loop().run_until_complete(coroutine)
    context = contextvars.copy_context()
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="tapster-async") as pool:
        return pool.submit(context.run, asyncio.run, coroutine).result()


def async_to_sync(func: Callable[..., Awaitable[T]]) -> Callable[..., T]:
    """A plain function that runs the coroutine function ``func`` to completion."""

    @functools.wraps(func)
    def run(*args: Any, **kwargs: Any) -> T:
        return run_coroutine(func(*args, **kwargs))  # type: ignore[arg-type]

    return run
