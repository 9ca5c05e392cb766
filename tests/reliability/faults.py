"""A loopback HTTP proxy that lets the store act and then loses or spoils its answer.

Tests put :class:`FaultProxy` between the client and a live sandbox (or a replay server):
the client is pointed at the proxy, the code under test is unchanged. ``rule(n, method,
route)`` is asked for every request (``n`` counts requests of that route, from 1) and
returns ``None`` (pass the answer through) or a fault (``route`` is ``api/order:confirm`` for
``route=api/order&call=confirm``):

* ``"drop"``   — the store processes the request, the client gets the connection closed;
* ``"502"`` / ``"503"`` / ``"504"`` — the store processes it, the client gets that status;
* ``"hang"``   — the store processes it, the client gets nothing until its timeout;
* ``(status, text[, headers])`` — the store processes it, the client gets ``text`` (JSON
  content type, plus ``headers``) with ``status`` instead of the store's answer;
* ``"refuse"`` — the request is not forwarded at all and the connection is closed (a
  request that provably did not reach the store looks like this from the client's side
  only for connect errors; used to check what the client repeats).

Every forwarded request is recorded in ``forwarded`` as ``(method, route, form, api_token)``.
"""

from __future__ import annotations

import http.client
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable
from urllib.parse import parse_qsl, urlsplit

Rule = Callable[[int, str, str], "str | tuple[int, str] | None"]


class FaultProxy:
    def __init__(self, upstream: str, rule: Rule, *, hang_s: float = 3.0) -> None:
        parts = urlsplit(upstream)
        self.host, self.port = parts.hostname, parts.port
        self.rule = rule
        self.hang_s = hang_s
        self.forwarded: list[tuple[str, str, list[tuple[str, str]], str | None]] = []
        self.faults: list[tuple[str, str]] = []
        self._counts: dict[str, int] = {}
        self._lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _any(self) -> None:
                proxy._handle(self)

            do_GET = do_POST = _any

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}/"
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> "FaultProxy":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def routes(self, method: str | None = None) -> list[str]:
        return [r for m, r, _f, _t in self.forwarded if method is None or m == method]

    def tokens(self, route: str) -> list[str | None]:
        """The api_token of each forwarded request to ``route``, in order."""
        return [t for _m, r, _f, t in self.forwarded if r == route]

    def _handle(self, h: BaseHTTPRequestHandler) -> None:
        length = int(h.headers.get("Content-Length") or 0)
        body = h.rfile.read(length) if length else b""
        query = dict(parse_qsl(urlsplit(h.path).query))
        route = query.get("route", "") + (f":{query['call']}" if "call" in query else "")
        with self._lock:
            n = self._counts[route] = self._counts.get(route, 0) + 1
        fault = self.rule(n, h.command, route)
        if fault == "refuse":
            with self._lock:
                self.faults.append((route, fault))
            h.close_connection = True
            h.connection.shutdown(2)
            return
        conn = http.client.HTTPConnection(self.host, self.port, timeout=10)
        headers = {k: v for k, v in h.headers.items() if k.lower() != "connection"}  # Host kept: 4.1 signs it
        conn.request(h.command, h.path, body=body or None, headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        resp_headers = [(k, v) for k, v in resp.getheaders()
                        if k.lower() not in ("transfer-encoding", "connection", "content-length")]
        conn.close()
        with self._lock:
            self.forwarded.append((h.command, route, parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True),
                                   query.get("api_token")))
            if fault:
                self.faults.append((route, fault))
        if fault == "drop":
            h.close_connection = True
            h.connection.shutdown(2)
            return
        if fault == "hang":
            time.sleep(self.hang_s)
            h.close_connection = True
            h.connection.shutdown(2)
            return
        if isinstance(fault, tuple):
            # "{signature}" in the text echoes the request's signature (as a careless store would)
            status, data = fault[0], fault[1].replace("{signature}", query.get("signature", "")).encode("utf-8")
            resp_headers = [("Content-Type", "application/json; charset=utf-8"), *(fault[2].items() if len(fault) > 2
                                                                                    else ())]
        elif fault:
            status = int(fault)
            data = b"<html><body><h1>Bad Gateway</h1></body></html>"
            resp_headers = [("Content-Type", "text/html")]
        else:
            status = resp.status
        h.send_response(status)
        for k, v in resp_headers:
            h.send_header(k, v)
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        h.wfile.write(data)


def once(route: str, fault: str, *, method: str = "POST", nth: int = 1) -> Rule:
    """A rule spoiling only the ``nth`` request to ``route``."""
    return lambda n, m, r: fault if (r == route and m == method and n == nth) else None


def always(route: str, fault: str, *, method: str = "POST") -> Rule:
    """A rule spoiling every request to ``route``."""
    return lambda n, m, r: fault if (r == route and m == method) else None
