"""Hostile and broken requests (issue 13, item 7): PHP's input limits before any routing or
auth, absurd quantities refused without poisoning the session, incomplete bodies refused,
and Apache's answers — never the standard library's pages — for what the web server refuses."""

from __future__ import annotations

import socket

import requests
from conftest import SpecClient, spec_url

MAX_INPUT_VARS, POST_MAX_SIZE = 1000, 8 * 1024 * 1024  # php.ini defaults

VARS_WARNING = "PHP Request Startup: Input variables exceeded 1000. To increase the limit change max_input_vars in php.ini."


def raw_exchange(sandbox, head: str, body: bytes = b"", *, half_close: bool = True) -> bytes:
    """Send raw bytes, half-close, and read the whole answer."""
    with socket.create_connection(("127.0.0.1", sandbox.port), timeout=10) as sock:
        sock.sendall(head.encode("latin-1") + body)
        if half_close:
            sock.shutdown(socket.SHUT_WR)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def test_an_unauthenticated_append_flood_is_capped_at_max_input_vars(rich_sandbox):
    # 96 KB of a[]= pairs used to cost seconds of CPU before auth even ran
    body = "&".join(["product[][product_id]=1"] * 4000)
    response = requests.post(spec_url(rich_sandbox, "api/cart", api_token="0" * 26), data=body,
                             headers={"Content-Type": "application/x-www-form-urlencoded"}, timeout=30)
    assert response.text.startswith("<br />\n<b>Warning</b>:  " + VARS_WARNING)
    assert response.status_code == 401 and response.text.endswith("Log in again with route=api\\/login.\"}")


def test_a_query_over_max_input_vars_warns_and_keeps_the_first_ones(rich_sandbox):
    query = "route=api/login&" + "&".join(f"x{i}=1" for i in range(MAX_INPUT_VARS + 5))
    response = requests.post(rich_sandbox.url + "index.php?" + query,
                             data={"username": rich_sandbox.username, "key": rich_sandbox.key}, timeout=30)
    assert VARS_WARNING in response.text
    assert '"api_token"' in response.text  # route was among the first 1000: the store still logged in


def test_a_body_over_post_max_size_runs_with_an_empty_post_as_php_does(rich_sandbox):
    body = b"username=" + rich_sandbox.username.encode() + b"&key=" + rich_sandbox.key.encode()
    body += b"&pad=" + b"x" * (POST_MAX_SIZE + 1 - len(body) - 5)
    assert len(body) == POST_MAX_SIZE + 1
    response = requests.post(spec_url(rich_sandbox, "api/login"), data=body,
                             headers={"Content-Type": "application/x-www-form-urlencoded"}, timeout=60)
    assert "POST Content-Length of 8388609 bytes exceeds the limit of 8388608 bytes" in response.text
    assert response.text.endswith('{"error":"Warning: Incorrect API Key!"}')  # the credentials were never read


def test_a_huge_quantity_is_a_field_error_and_the_session_keeps_working(rich_sandbox):
    client = SpecClient(rich_sandbox)
    for quantity in ("1e308", "9223372036854775807", "2147483648"):
        answer = client.post("api/cart/addProduct", {"product_id": "33", "quantity": quantity})
        assert answer.status_code == 200
        assert answer.json() == {"error": {"product": "Warning: Quantity must be at most 2147483647!"}}
    assert client.post("api/cart/addProduct", {"product_id": "33", "quantity": "2147483647"}).json()["success"]
    # merging into the line already there would overflow too
    assert "error" in client.post("api/cart/addProduct", {"product_id": "33", "quantity": "1"}).json()
    for route in ("api/cart/getProducts", "api/cart/getTotals"):
        assert client.get(route).status_code == 200
    products = client.get("api/cart/getProducts").json()["products"]
    assert [p["quantity"] for p in products] == [2147483647]


def test_a_body_shorter_than_its_content_length_is_a_400_and_nothing_is_done(rich_sandbox):
    client = SpecClient(rich_sandbox)
    path = f"/index.php?route=api/cart/addProduct&api_token={client.token}"
    body = b"product_id=33&quantity=1"
    answer = raw_exchange(rich_sandbox, f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                                        f"Content-Length: {len(body) + 50}\r\n\r\n", body)
    head, _, page = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400 Bad Request") and b"Connection: close" in head
    assert b"<title>400 Bad Request</title>" in page and b"Error response" not in page
    assert client.get("api/cart/getProducts").json()["products"] == []
    # a chunked body cut short is refused the same way
    answer = raw_exchange(rich_sandbox, f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                                        "Transfer-Encoding: chunked\r\n\r\n", b"40\r\n" + body)
    assert answer.startswith(b"HTTP/1.1 400 Bad Request")
    assert client.get("api/cart/getProducts").json()["products"] == []


def test_trace_is_refused_as_apache_with_traceenable_off(rich_sandbox):
    response = requests.request("TRACE", rich_sandbox.url + "index.php?route=api/login", timeout=30)
    assert response.status_code == 405
    assert response.headers["Allow"] == "GET,POST,OPTIONS,HEAD"
    assert "<title>405 Method Not Allowed</title>" in response.text
    assert "The requested method TRACE is not allowed for this URL." in response.text
    assert "Error response" not in response.text and "Error code" not in response.text


def test_other_methods_reach_the_store_and_bad_requests_get_apache_pages(rich_sandbox):
    response = requests.request("PROPFIND", rich_sandbox.url, timeout=30)
    assert response.status_code == 200 and "<h1>" in response.text  # PHP runs for any method
    answer = raw_exchange(rich_sandbox, "GET / HTTP/1.1 extra\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 400 Bad Request") and b"Error code explanation" not in answer
    assert b"Your browser sent a request that this server could not understand." in answer
