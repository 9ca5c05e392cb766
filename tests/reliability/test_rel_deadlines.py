"""``timeout=`` bounds a whole call, Retry-After is capped, answers are bounded in size (issue 13).

A tiny loopback store per test: dripping one byte at a time, hanging, asking to retry in
an hour, or sending far more than an API answer. Loops are bounded so nothing outlives a test.
"""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

import ocdata.client as oc
from ocdata.client.errors import OrderStateUnknownError, ProtocolError, TransportError
from ocdata.client.transport import Transport

from live_sandbox import draft


class Store:
    def __init__(self, answer):
        """``answer(handler, hit)`` writes the whole answer; ``hit`` counts requests from 1."""
        self.hits = 0
        self.stop = threading.Event()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _any(self):
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                outer.hits += 1
                try:
                    answer(self, outer.hits)
                except OSError:
                    pass  # the client gave up: expected

            do_GET = do_POST = _any

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}/index.php"
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()

    def close(self):
        self.stop.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def store_with(request):
    made = []

    def make(answer) -> Store:
        made.append(Store(answer))
        return made[-1]

    yield make
    for s in made:
        s.close()


def _head(h, status=200, length=None, extra=()):
    h.send_response(status)
    h.send_header("Content-Type", "application/json")
    if length is not None:
        h.send_header("Content-Length", str(length))
    for k, v in extra:
        h.send_header(k, v)
    h.end_headers()


def test_an_answer_dripping_one_byte_at_a_time_is_cut_at_the_deadline(store_with):
    def drip(h, hit):
        _head(h, length=100)
        for _ in range(100):  # 100 x 0.1 s: 10 s if nothing stopped it
            h.wfile.write(b" ")
            h.wfile.flush()
            time.sleep(0.1)

    s = store_with(drip)
    t = Transport(timeout=1, retries=3, backoff=0.01)
    started = time.monotonic()
    with pytest.raises(TransportError) as err:
        t.request("GET", s.url, params=[("route", "x")])
    took = time.monotonic() - started
    t.close()
    assert took < 4 and "timeout=1" in str(err.value) and err.value.should_retry


def test_a_hanging_store_is_retried_only_within_the_deadline(store_with):
    def hang(h, hit):
        time.sleep(3)

    s = store_with(hang)
    t = Transport(timeout=1, retries=5, backoff=0.01)
    started = time.monotonic()
    with pytest.raises(TransportError):
        t.request("GET", s.url)
    assert time.monotonic() - started < 2.5
    t.close()


def test_retry_after_an_hour_is_not_waited_for(store_with):
    def busy(h, hit):
        _head(h, 503, length=2, extra=[("Retry-After", "3600")])
        h.wfile.write(b"{}")

    s = store_with(busy)
    t = Transport(timeout=2, retries=3, backoff=0.01)
    started = time.monotonic()
    answer = t.request("GET", s.url)
    assert answer.status == 503 and s.hits == 1 and time.monotonic() - started < 1.5
    t.close()


def test_retry_after_is_capped_and_honoured(store_with):
    def busy_once(h, hit):
        if hit == 1:
            _head(h, 503, length=2, extra=[("Retry-After", "120")])
            h.wfile.write(b"{}")
        else:
            _head(h, length=2)
            h.wfile.write(b"{}")

    s = store_with(busy_once)
    t = Transport(timeout=5, retries=3, backoff=0.01, retry_after_cap=0.3)
    started = time.monotonic()
    answer = t.request("GET", s.url)
    took = time.monotonic() - started
    assert answer.status == 200 and s.hits == 2 and 0.3 <= took < 3
    t.close()


def test_backoff_never_runs_past_the_deadline(store_with):
    def always_busy(h, hit):
        _head(h, 503, length=2)
        h.wfile.write(b"{}")

    s = store_with(always_busy)
    t = Transport(timeout=1, retries=50, backoff=0.2)
    started = time.monotonic()
    answer = t.request("GET", s.url)
    assert answer.status == 503 and time.monotonic() - started < 2.5
    t.close()


def test_a_declared_huge_answer_is_refused_before_reading_it(store_with):
    def huge(h, hit):
        _head(h, length=200 * 1024 * 1024)
        h.wfile.write(b"x" * 65536)

    s = store_with(huge)
    t = Transport(timeout=5)
    with pytest.raises(ProtocolError) as err:
        t.request("GET", s.url)
    assert "max_answer_bytes" in str(err.value) and s.hits == 1
    t.close()


def test_an_undeclared_huge_answer_is_cut_at_the_cap(store_with):
    def stream(h, hit):
        _head(h)  # no Content-Length: read until the connection closes
        h.close_connection = True
        chunk = b"x" * 65536
        for _ in range(64):  # 4 MiB at most
            h.wfile.write(chunk)

    s = store_with(stream)
    t = Transport(timeout=5, max_answer_bytes=1024 * 1024)
    with pytest.raises(ProtocolError) as err:
        t.request("GET", s.url)
    assert "max_answer_bytes=1048576" in str(err.value) and s.hits == 1
    t.close()


def test_connect_passes_the_answer_cap_and_an_oversized_confirm_answer_means_the_order_may_exist(store_with):
    def big(h, hit):
        _head(h, length=4096)
        h.wfile.write(b"{" + b" " * 4094 + b"}")

    s = store_with(big)
    # pricing="api": the confirm is the first and only call (storefront pricing primes a session first)
    store = oc.connect(s.url, "Default", "k" * 64, dialect="oc41", pricing="api", timeout=3, max_answer_bytes=1000)
    d = draft().model_copy(update={"shipping_address": None, "payment_address": None})
    with pytest.raises(OrderStateUnknownError) as err:
        store.confirm(d, order_status_id=1)
    store.close()
    assert err.value.order_may_exist and "max_answer_bytes" in str(err.value) and s.hits == 1
