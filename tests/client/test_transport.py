"""Retries where repeating is safe, never for order writes; lost answers; unreachable stores."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

import ocdata.client as oc
from ocdata.client.errors import OrderStateUnknownError, TransportError
from ocdata.client.transport import Transport

from live_sandbox import Recorder, draft


class FlakyStore:
    """Answers ``plan`` in order (an int status, or "drop" to close without answering), then 200 JSON."""

    def __init__(self, plan):
        self.plan = list(plan)
        self.hits = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _any(self):
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                outer.hits += 1
                step = outer.plan.pop(0) if outer.plan else 200
                if step == "drop":
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return
                body = json.dumps({"error": "API call not found"} if step == 200 else {"error": "busy"}).encode()
                self.send_response(step)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = _any

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/index.php"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def flaky(request):
    store = FlakyStore(request.param)
    yield store
    store.close()


@pytest.mark.parametrize("flaky", [[503, 502]], indirect=True)
def test_safe_calls_are_retried_on_gateway_errors(flaky):
    t = Transport(backoff=0.01, retries=3)
    answer = t.request("POST", flaky.url, data=[("a", "1")], repeatable=True)
    assert answer.status == 200 and flaky.hits == 3
    t.close()


@pytest.mark.parametrize("flaky", [[503]], indirect=True)
def test_writes_are_not_retried_on_gateway_errors(flaky):
    t = Transport(backoff=0.01, retries=3)
    answer = t.request("POST", flaky.url, data=[("a", "1")], repeatable=False)
    assert answer.status == 503 and flaky.hits == 1
    t.close()


@pytest.mark.parametrize("flaky", [["drop", "drop", "drop", "drop", "drop"]], indirect=True)
def test_lost_answer_on_confirm_is_order_state_unknown_and_sent_once(flaky):
    hook = Recorder()
    store = oc.connect(flaky.url, "Default", "k" * 64, dialect="oc41", pricing="api", hook=hook,
                        timeout=5)  # one confirm request, no priming cart call
    d = draft().model_copy(update={"shipping_address": None, "payment_address": None})
    with pytest.raises(OrderStateUnknownError) as err:
        store.confirm(d, order_status_id=1)
    assert flaky.hits == 1
    message = str(err.value)
    assert "may exist" in message and "admin" in message and not err.value.should_retry
    assert hook.records[-1].error and hook.records[-1].status is None
    store.close()


@pytest.mark.parametrize("flaky", [["drop", "drop"]], indirect=True)
def test_lost_answer_on_a_read_is_retried(flaky):
    t = Transport(backoff=0.01, retries=3)
    assert t.request("POST", flaky.url, data=[], repeatable=True).status == 200
    assert flaky.hits == 3
    t.close()


def test_unreachable_store_is_a_transport_error_saying_what_to_check():
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    t = Transport(backoff=0.01, retries=1, timeout=2)
    with pytest.raises(TransportError) as err:
        t.request("GET", f"http://127.0.0.1:{port}/index.php", params=[("route", "x")])
    assert err.value.should_retry and "reachable" in str(err.value)
    t.close()


def test_pool_is_at_least_workers_and_pools_are_per_thread():
    t = Transport(workers=32)
    seen = []

    def grab():
        seen.append(t._pools())

    threads = [threading.Thread(target=grab) for _ in range(3)]
    [th.start() for th in threads]
    [th.join() for th in threads]
    assert len({id(m) for m in seen}) == 3
    pool = seen[0].connection_from_url("http://x/")
    assert pool.pool.maxsize >= 32
    assert not seen[0].proxy and seen[0].connection_pool_kw["cert_reqs"] == "CERT_REQUIRED"
    t.close()


def test_answers_show_their_cookies_but_the_session_keeps_none_and_encoded_bodies_go_verbatim():
    seen: list[tuple[str | None, bytes]] = []
    paths: list[str] = []
    types: list[str | None] = []

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self):
            paths.append(self.path)
            types.append(self.headers.get("Content-Type"))
            seen.append((self.headers.get("Cookie"), self.rfile.read(int(self.headers.get("Content-Length") or 0))))
            body = b"{}"
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Set-Cookie", "OCSESSID=abc123def456; path=/")
            self.send_header("Set-Cookie", "currency=USD; path=/")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}/index.php"
    t = Transport()
    try:
        first = t.request("POST", url, body="a=1&b%5B0%5D=x+y", data=[("ignored", "1")])
        second = t.request("POST", url, data=[("b[0]", "x y")], cookies={"OCSESSID": "mine"})
        third = t.request("POST", url, data=[])
        # the store URL is normalised as requests would (quoting), the query appended as given
        t.request("POST", url.replace("/index.php", "/my shop/index.php?x=1"), query_string="route=api%2Fa", data=[])
    finally:
        t.close()
        server.shutdown()
        server.server_close()
    assert first.cookies == {"OCSESSID": "abc123def456", "currency": "USD"} == second.cookies
    assert seen[0] == (None, b"a=1&b%5B0%5D=x+y")  # the encoded body wins over data
    assert seen[1] == ("OCSESSID=mine", b"b%5B0%5D=x+y")  # only the cookie the caller passed
    assert seen[2][0] is None and third.status == 200  # nothing was kept from earlier answers
    assert paths == ["/index.php"] * 3 + ["/my%20shop/index.php?x=1&route=api%2Fa"]
    assert types == ["application/x-www-form-urlencoded"] * 4


def test_https_is_verified_a_self_signed_store_is_refused():
    import ssl
    from pathlib import Path

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(Path(__file__).with_name("data") / "self_signed_127.0.0.1.pem")
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    t = Transport(retries=0, timeout=5)
    try:
        with pytest.raises(TransportError) as err:
            t.request("GET", f"https://127.0.0.1:{server.server_port}/index.php", params=[("route", "x")])
    finally:
        t.close()
        server.shutdown()
        server.server_close()
    assert "CERTIFICATE_VERIFY_FAILED" in str(err.value) or "certificate verify failed" in str(err.value)
