"""Every failure is a named OcdataError with the right ``should_retry`` (issue 13).

A 5xx or 429 after the transport's retries is the store failing, not the draft: a
TransportError that may succeed later (a study must not cache it as the answer).
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

import ocdata.client as oc
from ocdata.client import errors as E
from live_sandbox import draft

SHOULD_RETRY = {
    E.OcdataError: False, E.ConfigurationError: False, E.AuthenticationError: False, E.PermissionDeniedError: False,
    E.ValidationError: False, E.NotFoundError: False, E.ProtocolError: False, E.TransportError: True,
    E.SessionExpiredError: True, E.OrderStateUnknownError: False, E.UnsupportedOperationError: False,
}


def test_every_error_class_says_whether_repeating_may_succeed():
    public = {getattr(E, n) for n in E.__all__ if isinstance(getattr(E, n), type) and issubclass(getattr(E, n), E.OcdataError)}
    assert public == set(SHOULD_RETRY)
    for cls, expected in SHOULD_RETRY.items():
        assert cls("x").should_retry is expected, cls
        assert cls("x").order_may_exist is (cls is E.OrderStateUnknownError), cls


class StatusStore:
    """Answers every request with ``status`` and an HTML page (or JSON for 429)."""

    def __init__(self, status: int):
        self.hits = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _any(self):
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                outer.hits += 1
                body = (json.dumps({"error": "slow down"}) if status == 429 else "<html>Bad Gateway</html>").encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json" if status == 429 else "text/html")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = _any

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/"
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.mark.parametrize("dialect", ["spec", "oc41", "oc40", "oc30"])
@pytest.mark.parametrize("status", [500, 502, 503, 504, 429])
def test_server_failure_after_retries_is_a_retryable_transport_error(dialect, status):
    store_ = StatusStore(status)
    try:
        store = oc.connect(store_.url, "Default", "k" * 64, dialect=dialect, retries=2, timeout=5)
        store.transport.backoff = 0.01
        with pytest.raises(E.OcdataError) as err:
            store.cart(draft().model_copy(update={"shipping_address": None, "payment_address": None}))
        store.close()
    finally:
        store_.close()
    assert type(err.value) is E.TransportError and err.value.should_retry and err.value.status == status
    assert store_.hits == (3 if status != 500 else 1)  # gateway errors and 429 are retried, a 500 page is not
    # a rate limit says how to stay under it; a failing store says to come back later
    assert ("max_rps" in str(err.value)) == (status == 429)


@pytest.mark.parametrize("url", ["htp://shop.example/", "http://[bad/", "shop.example/index.php"])
def test_an_unusable_store_url_is_a_configuration_error_at_once(url):
    with pytest.raises(E.ConfigurationError) as err:
        oc.connect(url, "Default", "k" * 64, dialect="spec", timeout=2)
    assert "https://shop.example/" in str(err.value) and not err.value.should_retry


@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_a_redirecting_store_says_which_url_to_use_and_nothing_is_followed(status):
    store_ = StatusStore(status)
    hits_before = store_.hits

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _any(self):
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            store_.hits += 1
            self.send_response(status)
            self.send_header("Location", "https://shop.example/index.php?route=api/login")
            self.send_header("Content-Length", "0")
            self.end_headers()

        do_GET = do_POST = _any

        def log_message(self, *args):
            pass

    store_.server.RequestHandlerClass = Handler
    try:
        with pytest.raises(E.ProtocolError) as err:
            oc.connect(store_.url, "Default", "k" * 64, timeout=3)  # auto: the first probe is redirected
    finally:
        store_.close()
    assert "redirected" in str(err.value) and "https://shop.example/index.php" in str(err.value)
    assert "use that URL" in str(err.value) and store_.hits - hits_before == 1
