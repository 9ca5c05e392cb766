"""Per-store politeness: how hard ocdata may press on one store, whoever is asking.

``connect(url, ..., max_concurrency=4, max_rps=10)`` gives the store's transport a
:class:`Politeness`, which the transport asks before **every attempt** of every request —
from every thread of a study, every dialect step, every retry the transport makes:

* wait for one of ``max_concurrency`` slots (a semaphore: at most that many requests in
  flight to this store; a slot is held for one attempt, not while a retry backs off), and
* take a token from a bucket refilled at ``max_rps`` per second (bursts of at most
  ``burst`` requests, default ``max(1, max_concurrency)``), and
* wait while the store has asked everyone to back off.

A store that answers **429** or **503** is backed off at its first refusal: its
``Retry-After`` (seconds or an HTTP date; 1 s when absent, doubling per consecutive refusal
of the same call) pauses *every* request to that store, bounded by ``max_backoff`` (30 s) so
a store announcing an hour cannot hang a study. Whether the refused call is sent again is the
transport's retry policy: a read is (``retries`` times, within its deadline, after the pause),
a write never is — its 429/503 answer goes back to the dialect, which reports it. The
refusals seen are counted in :attr:`Politeness.throttled` and the time spent paused in
:attr:`Politeness.paused_s`.

:class:`PoliteTransport` puts the same limits around a transport of your own (one without
the ``politeness`` hook, e.g. a test double): every call takes a slot, and a refused read is
sent again at most ``retries`` times.

Across processes (a Dask cluster) each process has its own limiter:
:mod:`ocdata.distributed` divides a store's budget between the tasks it runs at once.
"""

from __future__ import annotations

import threading
import time
from contextlib import contextmanager
from email.utils import parsedate_to_datetime
from typing import Any, Iterator, Mapping

__all__ = ["Politeness", "TokenBucket", "PoliteTransport", "retry_after_seconds", "MAX_BACKOFF", "THROTTLE_STATUSES"]

MAX_BACKOFF = 30.0
"""Longest pause honoured for one ``Retry-After`` (seconds)."""

THROTTLE_STATUSES = (429, 503)


def retry_after_seconds(headers: Mapping[str, str], now: float | None = None) -> float | None:
    """``Retry-After`` as seconds from now (delta-seconds or an HTTP date); None when absent or unreadable."""
    value = headers.get("Retry-After") if headers is not None else None
    if value is None:
        return None
    value = str(value).strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError, IndexError):
        return None
    return max(0.0, when - (time.time() if now is None else now))


class TokenBucket:
    """``rate`` tokens per second, at most ``capacity`` saved up; :meth:`take` blocks for one."""

    def __init__(self, rate: float, capacity: float = 1.0) -> None:
        if rate <= 0:
            raise ValueError(f"max_rps={rate!r}: give a positive number of requests per second (None: no limit)")
        self.rate = float(rate)
        self.capacity = max(1.0, float(capacity))
        self._tokens = self.capacity
        self._stamp = time.monotonic()
        self._lock = threading.Lock()

    def take(self) -> float:
        """Take one token, sleeping until it is there; returns the seconds waited."""
        waited = 0.0
        while True:
            with self._lock:
                now = time.monotonic()
                self._tokens = min(self.capacity, self._tokens + (now - self._stamp) * self.rate)
                self._stamp = now
                if self._tokens >= 1.0:
                    self._tokens -= 1.0
                    return waited
                need = (1.0 - self._tokens) / self.rate
            time.sleep(need)
            waited += need


class Politeness:
    """One store's limits: ``max_concurrency`` requests in flight, ``max_rps`` per second, and a
    shared pause after 429/503 (``Retry-After`` bounded by ``max_backoff``). None: no limit."""

    def __init__(self, max_concurrency: int | None = None, max_rps: float | None = None, *,
                 burst: float | None = None, max_backoff: float = MAX_BACKOFF, retries: int = 5) -> None:
        if max_concurrency is not None and int(max_concurrency) < 1:
            raise ValueError(f"max_concurrency={max_concurrency!r}: give at least 1 (None: no limit)")
        self.max_concurrency = int(max_concurrency) if max_concurrency is not None else None
        self.max_rps = float(max_rps) if max_rps is not None else None
        self.burst = float(burst) if burst is not None else float(max(1, self.max_concurrency or 1))
        self.max_backoff = float(max_backoff)
        self.retries = int(retries)
        self._slots = threading.BoundedSemaphore(self.max_concurrency) if self.max_concurrency else None
        self._bucket = TokenBucket(self.max_rps, self.burst) if self.max_rps else None
        self._lock = threading.Lock()
        self._resume_at = 0.0  # monotonic time before which no request goes to the store
        self.throttled = 0  # 429/503 answers seen
        self.paused_s = 0.0  # seconds requests spent waiting for a back-off to end (summed over threads)

    @property
    def limited(self) -> bool:
        return bool(self._slots or self._bucket)

    def __repr__(self) -> str:
        return (f"Politeness(max_concurrency={self.max_concurrency}, max_rps={self.max_rps}, "
                f"max_backoff={self.max_backoff}, throttled={self.throttled})")

    def share(self, parts: int) -> "Politeness":
        """This budget divided by ``parts`` (at least 1 slot, ``max_rps / parts``): what one of
        ``parts`` processes may use so that together they stay within it."""
        parts = max(1, int(parts))
        return Politeness(max(1, self.max_concurrency // parts) if self.max_concurrency else None,
                          self.max_rps / parts if self.max_rps else None,
                          burst=max(1.0, self.burst / parts), max_backoff=self.max_backoff, retries=self.retries)

    def back_off(self, seconds: float) -> float:
        """Pause every request to the store for ``seconds`` (bounded by ``max_backoff``); returns the pause."""
        seconds = min(max(0.0, seconds), self.max_backoff)
        with self._lock:
            self.throttled += 1
            self._resume_at = max(self._resume_at, time.monotonic() + seconds)
        return seconds

    def pause_left(self) -> float:
        """Seconds until the store-wide pause ends (0 when there is none)."""
        return max(0.0, self._resume_at - time.monotonic())

    def refused(self, headers: Mapping[str, str], refusals: int = 0) -> float:
        """The store refused a request (429/503): pause every request to it for its ``Retry-After``,
        or 1 s doubling with each earlier refusal (``refusals``) of the same call when absent."""
        asked = retry_after_seconds(headers)
        return self.back_off(asked if asked is not None else min(self.max_backoff, 2.0 ** refusals))

    def _wait_pause(self) -> None:
        while True:
            with self._lock:
                left = self._resume_at - time.monotonic()
            if left <= 0:
                return
            time.sleep(left)
            with self._lock:
                self.paused_s += left

    def acquire(self) -> None:
        """Wait for one request's right to go to the store: a concurrency slot, the end of any
        store-wide pause, a rate token. :meth:`release` gives the slot back."""
        if self._slots is not None:
            self._slots.acquire()
        try:
            self._wait_pause()
            if self._bucket is not None:
                self._bucket.take()
        except BaseException:
            self.release()
            raise

    def release(self) -> None:
        if self._slots is not None:
            self._slots.release()

    @contextmanager
    def slot(self) -> Iterator[None]:
        """Hold one request's right to go to the store (concurrency slot, rate token, no pause)."""
        self.acquire()
        try:
            yield
        finally:
            self.release()


class PoliteTransport:
    """A :class:`~ocdata.client.transport.Transport` whose every request goes through a :class:`Politeness`.

    Everything but ``request`` is the wrapped transport's (``hook``, ``timeout``, ``close``...).
    """

    def __init__(self, inner: Any, politeness: Politeness) -> None:
        self.inner = inner
        self.politeness = politeness

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def request(self, method: str, url: str, **kw: Any) -> Any:
        p = self.politeness
        repeatable = kw.get("repeatable", True)
        attempt = 0
        while True:
            with p.slot():
                answer = self.inner.request(method, url, **kw)
            if answer.status not in THROTTLE_STATUSES:
                return answer
            p.refused(answer.headers, attempt)
            if not repeatable or attempt >= p.retries:
                return answer  # the dialect reports it (a write is never sent twice)
            attempt += 1
