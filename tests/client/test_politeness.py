"""Per-store politeness: concurrency cap, requests per second, 429/503 back-off (bounded)."""

from __future__ import annotations

import threading
import time
from email.utils import formatdate
from types import SimpleNamespace

import pytest

import ocdata
from ocdata.client.politeness import Politeness, PoliteTransport, TokenBucket, retry_after_seconds
from ocdata.sandbox.server import Sandbox

from live_sandbox import LONDON, LOS_ANGELES, draft


class Watch:
    """WSGI wrapper: records when each request arrived and how many were in flight at most;
    answers ``429`` (with ``retry_after``) to the first ``refuse`` requests."""

    def __init__(self, inner, refuse: int = 0, retry_after: str | None = "1", status: str = "429 Too Many Requests"):
        self.inner, self.refuse, self.retry_after, self.status = inner, refuse, retry_after, status
        self.lock = threading.Lock()
        self.arrivals: list[float] = []
        self.refused_at: list[float] = []
        self.in_flight = self.max_in_flight = 0

    def __call__(self, environ, start_response):
        with self.lock:
            self.arrivals.append(time.monotonic())
            if len(self.refused_at) < self.refuse:
                self.refused_at.append(time.monotonic())
                length = int(environ.get("CONTENT_LENGTH") or 0)
                environ["wsgi.input"].read(length)  # the connection is kept alive: leave no body unread
                headers = [("Content-Type", "text/plain"), ("Content-Length", "9")]
                if self.retry_after is not None:
                    headers.append(("Retry-After", self.retry_after))
                start_response(self.status, headers)
                return [b"slow down"]
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            return self.inner(environ, start_response)
        finally:
            with self.lock:
                self.in_flight -= 1


def served(watch_kw: dict | None = None, **kw):
    sandbox = Sandbox("rich", **kw)
    watch = Watch(sandbox.app, **(watch_kw or {}))
    sandbox.app = watch  # the server is built from sandbox.app in start()
    return sandbox.start(), watch


def test_concurrency_cap_holds_for_every_request_of_many_threads():
    sandbox, watch = served(latency_ms=20)
    with sandbox:
        store = ocdata.connect(sandbox.url, sandbox.username, sandbox.key, dialect="spec", max_concurrency=2)
        quotes = store.quote_many([draft(LOS_ANGELES), draft(LONDON)] * 4, workers=8)
        store.close()
    assert all(q.options for q in quotes)
    assert len(watch.arrivals) > 16
    assert watch.max_in_flight <= 2
    assert store.politeness.max_concurrency == 2 and store.politeness.throttled == 0


def test_requests_per_second_never_exceed_the_budget_in_any_window():
    sandbox, watch = served()
    rate = 25.0
    with sandbox:
        store = ocdata.connect(sandbox.url, sandbox.username, sandbox.key, dialect="oc41", max_rps=rate)
        store.quote_many([draft(LOS_ANGELES), draft(LONDON)] * 3, workers=6)
        store.close()
    times = sorted(watch.arrivals)
    assert len(times) >= 20
    # a bucket of 1 token refilled at `rate`: the tokens taken in any w seconds are at most 1 + rate * w;
    # arrivals can bunch by the loopback's jitter, hence 2 requests of slack
    for i, start in enumerate(times):
        for j in range(i + 1, len(times)):
            window = times[j] - start
            assert j - i + 1 <= 1 + rate * window + 2, (j - i + 1, window)
    assert times[-1] - times[0] >= (len(times) - 1) / rate - 0.2  # the whole run could not go faster


def test_retry_after_of_a_429_is_waited_before_the_call_is_sent_again():
    sandbox, watch = served({"refuse": 2, "retry_after": "1"})
    with sandbox:
        store = ocdata.connect(sandbox.url, sandbox.username, sandbox.key, dialect="oc41", max_concurrency=2)
        quote = store.quote(draft(LOS_ANGELES))
        store.close()
    assert quote.options
    assert len(watch.refused_at) == 2
    gaps = [b - a for a, b in zip(watch.arrivals, watch.arrivals[1:])]
    assert gaps[0] >= 0.95 and gaps[1] >= 0.95  # each refusal's second was waited
    # the transport repeated the refused read itself, and politeness saw each refusal
    assert store.politeness.throttled == 2


def test_first_429_pauses_every_thread_while_the_transport_repeats_the_read():
    # the transport repeats the refused read (its own retry); the hook in its attempt loop pauses
    # the whole store at that first refusal (no Retry-After: 1 s)
    sandbox, watch = served({"refuse": 1, "retry_after": None})
    with sandbox:
        store = ocdata.connect(sandbox.url, sandbox.username, sandbox.key, dialect="oc41", max_concurrency=4)
        quotes = store.quote_many([draft(LOS_ANGELES), draft(LONDON)] * 4, workers=4)
        store.close()
    assert all(q.options for q in quotes)
    assert store.politeness.throttled == 1
    refused = watch.refused_at[0]
    early = [t for t in watch.arrivals if refused < t < refused + 0.9]
    # only requests already on their way when the refusal came back (3 other threads; a little slack
    # for the race) reach the store before the pause ends; without the store-wide pause the other
    # threads would send their whole scenarios meanwhile, and the refused read would be repeated
    # after the transport's own 0.3 s backoff
    assert len(early) <= 5, len(early)
    assert len([t for t in watch.arrivals if t >= refused + 0.95]) >= 20


def test_every_attempt_of_the_transport_takes_a_rate_token():
    # 3 refusals answered at once (Retry-After: 0): the repeated reads are attempts like any other,
    # so the bucket (1 token, 5 a second) spaces all of them
    sandbox, watch = served({"refuse": 3, "retry_after": "0"})
    with sandbox:
        store = ocdata.connect(sandbox.url, sandbox.username, sandbox.key, dialect="oc41", max_rps=5,
                               pricing="api")
        store.quote(draft(LOS_ANGELES))
        store.close()
    assert len(watch.refused_at) == 3 and store.politeness.throttled == 3
    times = watch.arrivals
    assert all(b - a >= 0.15 for a, b in zip(times, times[1:])), [round(b - a, 3) for a, b in zip(times, times[1:])]


def test_retry_after_is_bounded_and_read_as_seconds_or_a_date():
    assert retry_after_seconds({"Retry-After": "7"}) == 7
    assert retry_after_seconds({}) is None
    assert retry_after_seconds({"Retry-After": "soon"}) is None
    now = time.time()
    assert 58 <= retry_after_seconds({"Retry-After": formatdate(now + 60, usegmt=True)}, now=now) <= 61
    p = Politeness(max_concurrency=1)
    assert p.back_off(3600) == 30.0  # a store asking for an hour is paused 30 s at most
    assert Politeness(max_backoff=2).back_off(3600) == 2.0


class FakeTransport:
    def __init__(self, statuses, headers=None):
        self.statuses = list(statuses)
        self.headers = headers or {"Retry-After": "0"}
        self.calls = 0
        self.timeout = 30

    def request(self, method, url, **kw):
        self.calls += 1
        return SimpleNamespace(status=self.statuses.pop(0), headers=self.headers)


def test_a_write_refused_with_429_is_never_sent_twice():
    inner = FakeTransport([429, 200])
    polite = PoliteTransport(inner, Politeness(max_concurrency=1, max_backoff=0.05))
    answer = polite.request("POST", "http://shop/", repeatable=False)
    assert answer.status == 429 and inner.calls == 1
    assert polite.politeness.throttled == 1
    assert polite.timeout == 30  # everything else is the wrapped transport's


def test_a_read_is_retried_a_bounded_number_of_times():
    inner = FakeTransport([503] * 10)
    polite = PoliteTransport(inner, Politeness(max_rps=1000, retries=2, max_backoff=0.01))
    assert polite.request("GET", "http://shop/").status == 503
    assert inner.calls == 3
    inner = FakeTransport([503, 200])
    assert PoliteTransport(inner, Politeness(max_concurrency=2)).request("GET", "http://shop/").status == 200
    assert inner.calls == 2


def test_budget_divided_between_processes_and_bad_limits_refused():
    shared = Politeness(max_concurrency=8, max_rps=20).share(2)
    assert (shared.max_concurrency, shared.max_rps) == (4, 10)
    assert Politeness(max_concurrency=3, max_rps=5).share(4).max_concurrency == 1  # never below one slot
    with pytest.raises(ValueError, match="max_rps"):
        TokenBucket(0)
    with pytest.raises(ValueError, match="max_concurrency"):
        Politeness(max_concurrency=0)


def test_unlimited_store_has_no_politeness_layer():
    with Sandbox("rich") as sandbox:
        store = ocdata.connect(sandbox.url, sandbox.username, sandbox.key, dialect="oc41")
        assert store.politeness is None
        store.close()
