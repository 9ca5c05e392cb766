"""Store calls run off the kernel's main thread, so a widget stays responsive and can cancel.

A button's handler starts a :class:`Runner` task and returns at once: the kernel goes on
answering the page (other widgets, a *Cancel* click) while the call runs on a worker thread.
The result is handed to ``done`` on that thread (ipywidgets sends the updates from there);
a cancelled task's result is dropped. What is already in flight on the network cannot be
taken back: a cancelled quote's answer is simply ignored, a cancelled study stops starting
new scenarios and keeps the finished ones in its cache.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

__all__ = ["Runner", "Cancelled"]


class Cancelled(BaseException):
    """Raised inside a task's work once it is cancelled (a BaseException so that code which
    turns ``Exception`` into a result row — a study's scenario — lets it through)."""


class Runner:
    """At most one task at a time. ``background=False`` runs tasks inline (tests, scripts)."""

    def __init__(self, *, background: bool = True) -> None:
        self.background = background
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._cancel: threading.Event | None = None
        self.label = ""

    @property
    def busy(self) -> bool:
        with self._lock:
            return self._cancel is not None

    def start(self, label: str, work: Callable[[threading.Event], Any], done: Callable[[Any, BaseException | None], None]
              ) -> bool:
        """Run ``work(cancel_event)``; then ``done(result, error)`` unless cancelled. False if busy."""
        with self._lock:
            if self._cancel is not None:
                return False
            cancel = self._cancel = threading.Event()
            self.label = label

        def run() -> None:
            result, error = None, None
            try:
                result = work(cancel)
            except BaseException as exc:  # noqa: BLE001 - handed to done(), which shows it
                error = exc
            with self._lock:
                cancelled = cancel.is_set()
                if self._cancel is cancel:
                    self._cancel = None
            if not cancelled:
                done(result, error)

        if not self.background:
            run()
            return True
        thread = threading.Thread(target=run, name=f"ocdata-widget:{label}", daemon=True)
        with self._lock:
            self._thread = thread
        thread.start()
        return True

    def cancel(self) -> bool:
        """Cancel the running task (its result will be dropped); False when nothing runs."""
        with self._lock:
            cancel, self._cancel = self._cancel, None
        if cancel is None:
            return False
        cancel.set()
        return True

    def wait(self, timeout: float | None = 60) -> bool:
        """Block until the current task (if any) finished; True when nothing runs any more."""
        with self._lock:
            thread = self._thread
        if thread is not None:
            thread.join(timeout)
            return not thread.is_alive()
        return True
