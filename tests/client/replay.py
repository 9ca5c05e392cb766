"""Replay recorded OpenCart exchanges to the client over real HTTP.

The transcripts in ``tests/recordings/<dialect>/transcripts`` were recorded
against real stores. :class:`ReplayServer` is a loopback HTTP server that
expects the client to send those requests **in order** and answers each with
the recorded response. A request matches the next expected exchange when its
HTTP method, ``route``, other query parameters and form fields are equal
(compared as the ``$_POST`` array PHP builds, so field order and ``[]`` vs ``[0]`` do not matter; ``api_token`` and the redacted API key compared to what
the replay handed out / was configured with, not to the recorded values).

Token discipline is checked on every request: the token must travel in the
query string only — never as a form field and never as an ``OCSESSID`` cookie —
and must be the token returned by the most recent login the replay served.

Mismatches are collected rather than raised inside the server thread; leaving
the ``with`` block raises an ``AssertionError`` describing the first one (and
any expected exchanges the client never sent).
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Iterable
from urllib.parse import parse_qsl, urlsplit

from ocdata._php import parse_pairs

SHARED = Path(__file__).resolve().parents[1] / "recordings"
REDACTED_KEY = "<API_KEY:redacted>"
TEST_API_KEY = "replay-test-key-0123456789abcdef"


@dataclass(frozen=True)
class Exchange:
    """One recorded request/response pair (a transcript file)."""

    name: str
    title: str
    method: str
    route: str
    query: tuple[tuple[str, str], ...]  # without route and api_token
    token: str | None  # recorded api_token query value
    form: tuple[tuple[str, str], ...] | None
    cookies: dict[str, str]
    status: int
    content_type: str
    body_text: str
    set_cookie: tuple[str, ...]
    json: Any

    @property
    def issued_token(self) -> str | None:
        """The api_token a successful login response hands out."""
        if isinstance(self.json, dict) and isinstance(self.json.get("api_token"), str):
            return self.json["api_token"]
        return None

    def answered_by(self, other: "Exchange") -> "Exchange":
        """This request, answered with ``other``'s recorded response."""
        return replace(
            self,
            name=f"{self.name}<-{other.name}",
            status=other.status,
            content_type=other.content_type,
            body_text=other.body_text,
            set_cookie=other.set_cookie,
            json=other.json,
        )


def _load(path: Path) -> Exchange:
    raw = json.loads(path.read_text())
    req, res = raw["request"], raw["response"]
    query = [tuple(p) for p in req["query"]]
    route = next(v for k, v in query if k == "route")
    token = next((v for k, v in query if k == "api_token"), None)
    rest = tuple((k, v) for k, v in query if k not in ("route", "api_token"))
    form = None if req["form"] is None else tuple(tuple(p) for p in req["form"])
    return Exchange(
        name=path.stem,
        title=raw["title"],
        method=req["method"],
        route=route,
        query=rest,
        token=token,
        form=form,
        cookies=dict(req.get("cookies") or {}),
        status=res["status"],
        content_type=res["content_type"],
        body_text=res["body_text"] or "",
        set_cookie=tuple(res.get("set_cookie") or ()),
        json=res.get("json"),
    )


class Transcripts:
    """All transcripts of one dialect, addressable by number (``"005"``) or stem."""

    def __init__(self, dialect: str):
        self.dialect = dialect
        self.dir = SHARED / dialect / "transcripts"
        self._by_num: dict[str, Exchange] = {}
        for path in sorted(self.dir.glob("*.json")):
            self._by_num[path.stem.split("-", 1)[0]] = _load(path)

    def __getitem__(self, key: str | int) -> Exchange:
        if isinstance(key, int):
            key = f"{key:03d}"
        return self._by_num[key]

    def __iter__(self):
        return iter(self._by_num.values())

    def __len__(self) -> int:
        return len(self._by_num)

    def seq(self, *keys: str | int) -> list[Exchange]:
        """Exchanges by number; ``"113-128"`` selects an inclusive range."""
        out: list[Exchange] = []
        for key in keys:
            if isinstance(key, str) and "-" in key:
                lo, hi = (int(x) for x in key.split("-"))
                out.extend(self[n] for n in range(lo, hi + 1))
            else:
                out.append(self[key])
        return out

    def scenario(self, tag: str) -> list[Exchange]:
        """Every exchange whose file name carries ``-<tag>-`` (e.g. ``s04``), in order."""
        return [e for e in self if f"-{tag}-" in e.name + "-"]


@dataclass
class _Seen:
    method: str
    route: str | None
    query: list[tuple[str, str]]
    form: list[tuple[str, str]]
    cookies: dict[str, str]


def _parse_cookies(header: str | None) -> dict[str, str]:
    out: dict[str, str] = {}
    for part in (header or "").split(";"):
        if "=" in part:
            k, v = part.strip().split("=", 1)
            out[k] = v
    return out


@dataclass
class ReplayServer:
    """Serve ``exchanges`` in order on ``http://127.0.0.1:<port>/``."""

    exchanges: list[Exchange]
    api_key: str = TEST_API_KEY
    served: list[Exchange] = field(default_factory=list)
    mismatches: list[str] = field(default_factory=list)
    requests: list[_Seen] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._pos = 0
        self._token: str | None = None
        self._server: ThreadingHTTPServer | None = None

    # --- lifecycle -----------------------------------------------------------------
    @property
    def base_url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}/"

    def __enter__(self) -> "ReplayServer":
        replay = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"  # PHP's built-in server closes every connection

            def do_GET(self) -> None:
                replay._handle(self)

            do_POST = do_GET

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        assert self._server is not None
        self._server.shutdown()
        self._server.server_close()
        problems = list(self.mismatches)
        if exc_type is None and self._pos < len(self.exchanges):
            missing = ", ".join(e.name for e in self.exchanges[self._pos :])
            problems.append(f"client never sent: {missing}")
        if problems:
            raise AssertionError("replay failed:\n  " + "\n  ".join(problems)) from exc

    @property
    def remaining(self) -> int:
        return len(self.exchanges) - self._pos

    # --- request handling ----------------------------------------------------------
    def _handle(self, h: BaseHTTPRequestHandler) -> None:
        url = urlsplit(h.path)
        query = parse_qsl(url.query, keep_blank_values=True)
        length = int(h.headers.get("Content-Length") or 0)
        body = h.rfile.read(length).decode("utf-8") if length else ""
        ctype = h.headers.get("Content-Type") or ""
        form = parse_qsl(body, keep_blank_values=True) if "urlencoded" in ctype or (body and not ctype) else []
        seen = _Seen(
            method=h.command,
            route=dict(query).get("route"),
            query=query,
            form=form,
            cookies=_parse_cookies(h.headers.get("Cookie")),
        )
        with self._lock:
            self.requests.append(seen)
            if self._pos >= len(self.exchanges):
                self.mismatches.append(f"unexpected extra request {seen.method} {seen.route} {seen.form}")
                return self._send(h, 599, "text/plain", "replay exhausted", ())
            expected = self.exchanges[self._pos]
            problem = self._compare(expected, seen)
            if problem:
                self.mismatches.append(f"{expected.name}: {problem}")
                return self._send(h, 599, "text/plain", "replay mismatch", ())
            self._pos += 1
            self.served.append(expected)
            if expected.issued_token:
                self._token = expected.issued_token
        self._send(h, expected.status, expected.content_type, expected.body_text, expected.set_cookie)

    def _compare(self, exp: Exchange, seen: _Seen) -> str | None:
        got = f"got {seen.method} {seen.route} query={seen.query} form={seen.form}"
        if seen.method != exp.method or seen.route != exp.route:
            return f"expected {exp.method} {exp.route}; {got}"
        tokens = [v for k, v in seen.query if k == "api_token"]
        if exp.token is not None:
            if len(tokens) != 1:
                return f"expected exactly one api_token in the query; {got}"
            if tokens[0] != self._token:
                return "api_token is not the one issued by the latest login"
        elif tokens:
            return f"unexpected api_token on {exp.route}"
        if any(k == "api_token" for k, _ in seen.form):
            return "api_token sent as a form field"
        if self._token and self._token in seen.cookies.values():
            return "api_token sent as a cookie (OCSESSID fallback must not be used)"
        q = sorted((k, v) for k, v in seen.query if k not in ("route", "api_token"))
        if q != sorted(exp.query):
            return f"query {q} != recorded {sorted(exp.query)}"
        want = [(k, self.api_key if v == REDACTED_KEY else v) for k, v in (exp.form or ())]
        # compare what PHP would build ($_POST), so option[223][]=8 equals option[223][0]=8
        if parse_pairs(seen.form) != parse_pairs(want):
            return f"form {sorted(seen.form)} != recorded {sorted(want)}"
        return None

    @staticmethod
    def _send(h: BaseHTTPRequestHandler, status: int, ctype: str, body: str, cookies: Iterable[str]) -> None:
        data = body.encode("utf-8")
        h.send_response(status)
        h.send_header("Content-Type", ctype)
        h.send_header("Content-Length", str(len(data)))
        h.send_header("Connection", "close")
        for c in cookies:
            h.send_header("Set-Cookie", c)
        h.end_headers()
        h.wfile.write(data)


_MONEY = re.compile(r"-?[0-9][0-9,]*(?:\.[0-9]+)?")


def money(text: str) -> str:
    """Test-side reading of a formatted amount (``"$1,088.00"`` -> ``"1088.00"``), for expectations."""
    m = _MONEY.search(text)
    assert m, text
    return m.group(0).replace(",", "")
