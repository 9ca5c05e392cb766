"""HTTP behaviour of the sandbox server: routing, cookies, headers, storefront countries,
keep-alive, latency injection, the catch-all error page and the public ``serve()`` object."""

from __future__ import annotations

import http.client
import logging
import threading
import time

import pytest
import requests
from conftest import load_transcript, oc41_call, spec_url

from ocdata.sandbox import Sandbox, serve
from ocdata.sandbox.fronts.base import Response
from ocdata.sandbox.server import client_ip

COUNTRY_CASES = ["086", "087", "088", "089"]


@pytest.mark.parametrize("number", COUNTRY_CASES)
def test_country_endpoint_answers_as_recorded(stock_sandbox, number):
    """Byte for byte: key order, string values, zones ordered by name, ``[]`` when unknown."""
    rec = load_transcript(number)
    response = requests.get(stock_sandbox.url + "index.php?" + rec["request"]["url"].split("?", 1)[1], timeout=30)
    assert response.status_code == rec["response"]["status"]
    assert response.headers["Content-Type"] == rec["response"]["content_type"]
    assert response.text == rec["response"]["body_text"]


def test_country_endpoint_also_answers_at_the_web_root(stock_sandbox):
    a = requests.get(stock_sandbox.url + "?route=localisation/country&country_id=223", timeout=30)
    b = requests.get(stock_sandbox.url + "index.php?route=localisation/country&country_id=223", timeout=30)
    assert a.status_code == 200 and a.text == b.text and a.json()["iso_code_2"] == "US"
    assert requests.get(stock_sandbox.url + "?route=localisation/country&country_id=abc", timeout=30).text == "[]"


def test_unknown_routes_and_paths_get_the_store_not_found_page(stock_sandbox):
    for url in (stock_sandbox.url + "index.php?route=product/nothing", stock_sandbox.url + "admin/index.php"):
        response = requests.get(url, timeout=30)
        assert response.status_code == 404
        assert response.headers["Content-Type"].startswith("text/html")
        assert "The page you requested cannot be found!" in response.text
    home = requests.get(stock_sandbox.url, timeout=30)
    assert home.status_code == 200 and home.headers["Content-Type"].startswith("text/html")


def test_every_response_has_cors_and_storefront_cookies(stock_sandbox):
    response = requests.get(stock_sandbox.url + "?route=localisation/country&country_id=222", timeout=30)
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    cookies = response.headers["Set-Cookie"]
    assert "Max-Age=86400; path=/; HttpOnly; SameSite=Strict" in cookies
    assert "currency=USD; expires=" in cookies and "Max-Age=2592000; path=/; HttpOnly; SameSite=Lax" in cookies
    sid = response.cookies["OCSESSID"]
    assert len(sid) == 26 and int(sid, 16) >= 0


def test_cookies_follow_the_request_like_opencart(stock_sandbox):
    """A well-formed OCSESSID is kept; an enabled currency cookie is not re-set (047)."""
    url = stock_sandbox.url + "?route=localisation/country&country_id=222"
    kept = requests.get(url, cookies={"OCSESSID": "a" * 26, "currency": "EUR"}, timeout=30)
    assert kept.cookies["OCSESSID"] == "a" * 26
    assert "currency" not in kept.cookies
    fresh = requests.get(url, cookies={"OCSESSID": "bad id!", "currency": "XXX"}, timeout=30)
    assert fresh.cookies["OCSESSID"] != "bad id!" and fresh.cookies["currency"] == "USD"


def test_keep_alive_serves_several_requests_on_one_connection(stock_sandbox):
    host, port = stock_sandbox.url.split("/")[2].split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        for country in ("222", "223", "81"):
            conn.request("GET", f"/index.php?route=localisation/country&country_id={country}")
            response = conn.getresponse()
            assert response.status == 200 and response.getheader("Connection") != "close"
            assert response.read().startswith(b'{"zone":')
        sock = conn.sock
        conn.request("GET", "/?route=localisation/country&country_id=9999")
        assert conn.getresponse().read() == b"[]"
        assert conn.sock is sock  # the same TCP connection answered all four
    finally:
        conn.close()


def test_client_ip_takes_the_first_valid_forwarding_header():
    env = {"REMOTE_ADDR": "192.0.2.1"}
    assert client_ip(env) == "192.0.2.1"
    assert client_ip({**env, "HTTP_X_FORWARDED_FOR": "10.0.0.1, 127.0.0.1"}) == "10.0.0.1"
    assert client_ip({**env, "HTTP_X_FORWARDED_FOR": "garbage", "HTTP_X_REAL_IP": "::1"}) == "::1"
    assert client_ip({**env, "HTTP_X_CLIENT_IP": "10.0.0.3", "HTTP_CF_CONNECTING_IP": "10.0.0.2"}) == "10.0.0.2"
    assert client_ip({**env, "HTTP_CLIENT_IP": "300.1.1.1", "HTTP_X_CLUSTER_CLIENT_IP": "10.0.0.9"}) == "10.0.0.9"


def test_latency_injection_delays_every_request():
    with serve(store="stock", latency_ms=150) as slow:
        url = slow.url + "?route=localisation/country&country_id=222"
        requests.get(url, timeout=30)  # warm up
        started = time.perf_counter()
        for _ in range(3):
            requests.get(url, timeout=30)
        slow_per_call = (time.perf_counter() - started) / 3
        slow.latency_ms = 0
        started = time.perf_counter()
        for _ in range(3):
            requests.get(url, timeout=30)
        fast_per_call = (time.perf_counter() - started) / 3
    assert slow_per_call >= 0.15
    assert fast_per_call < slow_per_call - 0.1


def test_a_crashing_front_gives_a_logged_500_without_traceback(stock_sandbox, caplog):
    class Boom:
        def handle(self, request):
            raise KeyError("secret-looking detail")

    original = stock_sandbox.app.storefront
    stock_sandbox.app.storefront = Boom()
    try:
        with caplog.at_level(logging.ERROR, logger="ocdata.sandbox"):
            response = requests.get(stock_sandbox.url + "?route=localisation/country&country_id=222", timeout=30)
    finally:
        stock_sandbox.app.storefront = original
    assert response.status_code == 500
    assert response.headers["Content-Type"] == "text/html; charset=UTF-8"
    assert "Traceback" not in response.text and "secret-looking" not in response.text
    assert "KeyError" in response.text
    assert any("KeyError" in r.getMessage() for r in caplog.records)


def test_sixteen_concurrent_oc41_clients_get_no_errors(stock_sandbox):
    errors: list[str] = []
    pairs = [("customer_id", "0"), ("firstname", "Jane"), ("lastname", "Doe"), ("email", "jane@example.com"),
             ("product[0][product_id]", "40"), ("product[0][quantity]", "1")]

    def client() -> None:
        with requests.Session() as session:
            for _ in range(10):
                response = oc41_call(stock_sandbox, "cart", pairs, session=session)
                if response.status_code != 200 or "success" not in response.json():
                    errors.append(response.text[:200])

    threads = [threading.Thread(target=client) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


def test_serve_object_exposes_credentials_but_masks_the_key():
    with serve(store="stock", port=0) as sandbox:
        assert isinstance(sandbox, Sandbox) and sandbox.running
        assert sandbox.url.startswith("http://127.0.0.1:") and sandbox.url.endswith("/")
        assert sandbox.username == "Default"
        assert len(sandbox.key) == 256 and int(sandbox.key, 16) >= 0
        for shown in (repr(sandbox), repr(sandbox.user), repr(sandbox.users)):
            assert not any(sandbox.key[i : i + 8] in shown for i in range(249))
        assert "********(256 chars)" in repr(sandbox)
        assert sandbox.engine.store.key == "stock"
        url = sandbox.url
    assert not sandbox.running
    with pytest.raises(requests.ConnectionError):
        requests.get(url, timeout=5)


def test_serve_defaults_to_the_rich_store_and_both_dialects():
    with serve() as sandbox:
        assert sandbox.engine.store.key == "rich"
        assert sandbox.dialects == ("oc41", "spec")
        login = requests.post(spec_url(sandbox, "api/login"), data={"username": "DEFAULT", "key": sandbox.key}, timeout=30)
        assert login.status_code == 200 and len(login.json()["api_token"]) == 26
        assert oc41_call(sandbox, "foo").json() == {"error": "API call not found"}


def test_serve_rejects_unknown_dialects():
    with pytest.raises(ValueError):
        serve(store="stock", dialects=("oc99",))


def test_head_and_options_requests_are_answered(stock_sandbox):
    url = stock_sandbox.url + "?route=localisation/country&country_id=222"
    head = requests.head(url, timeout=30)
    assert head.status_code == 200 and head.text == "" and int(head.headers["Content-Length"]) > 1000
    options = requests.options(url, timeout=30)
    assert options.status_code == 200 and options.headers["Access-Control-Allow-Origin"] == "*"


def test_front_can_suppress_default_cookies(stock_sandbox):
    class Quiet:
        def handle(self, request):
            return Response("[]", set_cookies={"OCSESSID": None, "currency": None})

    original = stock_sandbox.app.storefront
    stock_sandbox.app.storefront = Quiet()
    try:
        response = requests.get(stock_sandbox.url + "?route=localisation/country&country_id=1", timeout=30)
    finally:
        stock_sandbox.app.storefront = original
    assert "Set-Cookie" not in response.headers and response.text == "[]"


def test_a_chunked_request_body_is_read(stock_sandbox):
    """A body sent with Transfer-Encoding: chunked reaches the front like any other."""
    host, port = stock_sandbox.url.split("/")[2].split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        body = iter([b"username=Default", b"&key=" + stock_sandbox.key.encode()])
        conn.request("POST", "/index.php?route=api/login", body=body, encode_chunked=True,
                     headers={"Content-Type": "application/x-www-form-urlencoded", "Transfer-Encoding": "chunked"})
        response = conn.getresponse()
        assert response.status == 200 and b"api_token" in response.read()
    finally:
        conn.close()


def test_malformed_and_old_requests(stock_sandbox):
    """Bad request lines get a 400; HTTP/1.0 and ``Connection: close`` close the connection."""
    import socket

    host, port = stock_sandbox.url.split("/")[2].split(":")

    def exchange(raw: bytes) -> bytes:
        with socket.create_connection((host, int(port)), timeout=10) as sock:
            sock.sendall(raw)
            chunks = []
            while chunk := sock.recv(65536):
                chunks.append(chunk)
            return b"".join(chunks)

    assert exchange(b"NONSENSE\r\n\r\n").startswith(b"HTTP/1.1 400")
    old = exchange(b"GET /?route=localisation/country&country_id=9999 HTTP/1.0\r\nHost: x\r\n\r\n")
    assert old.startswith(b"HTTP/1.1 200") and old.endswith(b"\r\n\r\n[]")
    closed = exchange(b"GET /?route=localisation/country&country_id=9999 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert b"Connection: close" in closed and closed.endswith(b"[]")


def test_a_taken_port_is_an_os_error(stock_sandbox):
    with pytest.raises(OSError):
        serve(store=stock_sandbox.engine, port=stock_sandbox.port)
    assert requests.get(stock_sandbox.url + "?route=localisation/country&country_id=9999", timeout=30).text == "[]"
