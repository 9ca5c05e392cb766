"""Replaying recorded OpenCart 4.0.2.3 / 3.0.4.1 exchanges against the sandbox's token-session fronts.

Every transcript of ``tests/recordings/<oc40|oc30>/transcripts`` is sent in recording
order to one sandbox (in process through :class:`SandboxApp`, or over HTTP), with what
the real store issued translated to what the sandbox issued for the same exchange:
``api_token`` (query and ``OCSESSID`` cookie), order ids (posted or in the query) and the
redacted API key. The few exchanges recorded after changing the store behind the API
(allow-list, a disabled API user, back-dated sessions and carts) are preceded by the
same change on the sandbox (:data:`EVENTS`).

Comparison rules (:func:`assert_same_answer`), as for 4.1's replay:

* status and content type are equal; a storefront 404 page is compared by its title
  (the real one is the full theme page), any other text body byte for byte;
* a JSON body has the same keys in the same order and the same JSON types; numbers to
  1e-9; a PHP warning printed before the JSON is equal byte for byte;
* volatile values are compared by type: an upload code (hex of the same length,
  remembered and translated where a File option posts it), ``cart_id`` (remembered and translated when
  posted back as ``key``) (a decimal string), ``api_token``
  (26 hex), a new ``order_id`` (then remembered), dates, URLs and the user agent of an
  order row;
* ``Set-Cookie`` names are the recorded ones; ``currency``/``language`` values are
  equal, an ``OCSESSID`` is the translated token when the recording echoes one, else a
  fresh 26-hex id.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ocdata import _php
from ocdata._php import php_int
from ocdata.sandbox.apiusers import ApiUsers
from ocdata.sandbox.engine import Engine
from ocdata.sandbox.fronts.base import Request, Response
from ocdata.sandbox.server import SandboxApp
from ocdata.sandbox.storefile import load_store

RECORDINGS = Path(__file__).resolve().parents[2] / "recordings"
REDACTED = "<API_KEY:redacted>"
KEY = "f" * 256
TOKEN = re.compile(r"^[0-9a-f]{26}$")
VOLATILE = frozenset({"cart_id", "date_added", "date_modified", "store_url", "user_agent", "invoice_prefix"})
NOT_FOUND_TITLE = "<title>The page you requested cannot be found!</title>"


@dataclass
class Exchange:
    name: str
    data: dict[str, Any]

    @property
    def request(self) -> dict[str, Any]:
        return self.data["request"]

    @property
    def response(self) -> dict[str, Any]:
        return self.data["response"]

    @property
    def query(self) -> list[tuple[str, str]]:
        return [tuple(p) for p in self.request.get("query") or []]

    @property
    def pairs(self) -> list[tuple[str, str]]:
        return [tuple(p) for p in self.request.get("form") or []]

    @property
    def route(self) -> str:
        return dict(self.query).get("route", "")

    def cookie_names(self) -> list[str]:
        return [c.split("=", 1)[0] for c in self.response.get("set_cookie") or []]

    def cookie(self, name: str) -> str | None:
        for raw in self.response.get("set_cookie") or []:
            key, _, rest = raw.partition("=")
            if key == name:
                return rest.split(";", 1)[0]
        return None


def load(dialect: str) -> list[Exchange]:
    folder = RECORDINGS / dialect / "transcripts"
    return [Exchange(p.stem, json.loads(p.read_text(encoding="utf-8"))) for p in sorted(folder.glob("*.json"))]


def number(ex: Exchange) -> int:
    return int(ex.name[:3])


# --------------------------------------------------------------------------- the store changes behind the API
def _ips(replay: Replayer, ips: set[str]) -> None:
    replay.users.find("Default", enabled_only=False).ips = ips


def _status(replay: Replayer, status: bool) -> None:
    replay.users.find("Default", enabled_only=False).status = status


def _backdate(what: str, login: int) -> Callable[[Replayer], None]:
    """Age the session opened by exchange ``login``: its API row, its cart lines or its data."""

    def run(replay: Replayer) -> None:
        token = replay.tokens[replay.issued[login]]
        store = replay.front.sessions
        if what == "data":
            with store._lock:
                store._sessions[token].touched -= store.ttl + 1
            return
        state = store.get(token).data["api"]
        if what == "api":
            state.api_touched -= replay.front.api_ttl + 1
        else:
            for line in state.lines:
                line.added -= replay.front.cart_ttl + 1

    return run


#: exchange number -> what was changed on the real store just before it
EVENTS: dict[str, dict[int, Callable[[Replayer], None]]] = {
    "oc40": {
        28: lambda r: _ips(r, {"10.9.8.7"}), 31: lambda r: _ips(r, {"127.0.0.1", "::1"}),
        41: _backdate("api", 39), 46: _backdate("cart", 43),
        52: lambda r: _status(r, False), 54: lambda r: _status(r, True),
    },
    "oc30": {
        32: lambda r: _ips(r, {"10.9.8.7"}), 35: lambda r: _ips(r, {"127.0.0.1", "::1"}),
        46: _backdate("api", 44), 50: _backdate("data", 48), 54: _backdate("cart", 51),
        60: lambda r: _status(r, False), 62: lambda r: _status(r, True),
    },
}


# --------------------------------------------------------------------------- sending
class Replayer:
    """Sends exchanges in order through ``send(exchange, query, pairs, cookies) -> Response``."""

    def __init__(self, dialect: str, app: SandboxApp, send: Callable[..., Response]) -> None:
        self.dialect = dialect
        self.app = app
        self.front = app.oc40 if dialect == "oc40" else app.oc30
        self.users: ApiUsers = app.users
        self.send_one = send
        self.tokens: dict[str, str] = {}  # recorded token -> sandbox token
        self.issued: dict[int, str] = {}  # login exchange number -> recorded token
        self.order_ids: dict[int, int] = {}
        self.cart_ids: dict[str, str] = {}
        self.uploads: dict[str, str] = {}  # recorded upload code -> sandbox code (posted as an option value)  # recorded cart_id -> sandbox cart_id (posted back as ``key``)
        self.answers: dict[str, Response] = {}
        self.sent_cookies: dict[str, dict[str, str]] = {}
        self.exchanges: dict[str, Exchange] = {}

    def _order_id(self, value: str) -> str:
        return str(self.order_ids.get(php_int(value), value))

    def send(self, ex: Exchange) -> Response:
        event = EVENTS[self.dialect].get(number(ex))
        if event is not None:
            event(self)
        query = [(k, self.tokens.get(v, v) if k == "api_token" else self._order_id(v) if k == "order_id" else v)
                 for k, v in ex.query]
        pairs = [(k, KEY if v == REDACTED else self._order_id(v) if k == "order_id" else
                  self.cart_ids.get(v, v) if k == "key" else self.uploads.get(v, v)) for k, v in ex.pairs]
        cookies = {k: self.tokens.get(v, v) for k, v in (ex.request.get("cookies") or {}).items()}
        response = self.send_one(ex, query, pairs, cookies)
        body = _json_of(response)
        recorded = ex.response.get("json")
        if isinstance(recorded, dict) and isinstance(body, dict):
            if isinstance(recorded.get("api_token"), str) and isinstance(body.get("api_token"), str):
                self.tokens[recorded["api_token"]] = body["api_token"]
                self.issued[number(ex)] = recorded["api_token"]
            if ex.route == "tool/upload" and "code" in body:
                self.uploads[recorded["code"]] = body["code"]
            mine, theirs = body.get("products"), recorded.get("products")
            if isinstance(mine, list) and isinstance(theirs, list) and len(mine) == len(theirs):
                self.cart_ids.update((t["cart_id"], m["cart_id"]) for t, m in zip(theirs, mine))
            if isinstance(recorded.get("order_id"), int) and isinstance(body.get("order_id"), int):
                self.order_ids.setdefault(recorded["order_id"], body["order_id"])
        self.answers[ex.name] = response
        self.sent_cookies[ex.name] = cookies
        self.exchanges[ex.name] = ex
        return response

    def run(self, exchanges: list[Exchange]) -> Replayer:
        for ex in exchanges:
            self.send(ex)
        return self


#: built-in stores loaded once per test run (a StoreConfig is immutable; each app gets its own engine)
store_of = functools.lru_cache(maxsize=None)(load_store)


def make_app(dialect: str, *, users: ApiUsers | None = None) -> SandboxApp:
    """A sandbox application over the dialect's reference store, with the ``Default`` API user."""
    if users is None:
        users = ApiUsers()
        users.add("Default", KEY)
    return SandboxApp(Engine(store_of(dialect)), users)


def in_process(dialect: str) -> Replayer:
    app = make_app(dialect)

    def send(ex: Exchange, query, pairs, cookies) -> Response:
        form = None if ex.request.get("form") is None else pairs
        headers, raw = {}, b""
        upload = re.match(r"<multipart/form-data: file=(\S+) \(([^,]+), (\d+) bytes\)>", ex.request.get("body") or "")
        if upload:  # the recording describes the file it sent: send one like it
            name, kind, size = upload.groups()
            raw = (f'--b\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
                   f"Content-Type: {kind}\r\n\r\n{'x' * int(size)}\r\n--b--\r\n").encode()
            headers = {"Content-Type": "multipart/form-data; boundary=b"}
        request = Request(
            method=ex.request.get("method", "GET"), path=ex.request.get("path", "/index.php"),
            query=_php.clean(_php.parse_pairs(query)), form=_php.clean(_php.parse_pairs(form or [])),
            headers=headers, cookies=cookies, client_ip="127.0.0.1", host="127.0.0.1", raw_body=raw,
        )
        response = app.dispatch(request)
        response.set_cookies = _cookie_values(app._set_cookies(request, response))
        return response

    return Replayer(dialect, app, send)


def _cookie_values(lines: list[str]) -> dict[str, str]:
    return {line.split("=", 1)[0]: line.split("=", 1)[1].split(";", 1)[0] for line in lines}


def _json_of(response: Response) -> Any:
    text = response.encoded().decode("utf-8")
    start = min((i for i in (text.find("{"), text.find("[")) if i >= 0), default=-1)
    try:
        return json.loads(text[start:]) if start >= 0 and response.content_type.startswith("application/json") else None
    except ValueError:
        return None


# --------------------------------------------------------------------------- comparison
_KINDS = ((bool, "bool"), (int, "int"), (float, "float"), (str, "str"), (list, "list"), (dict, "object"))


def _kind(value: Any) -> str:
    for python_type, name in _KINDS:
        if isinstance(value, python_type):
            return name
    return "null" if value is None else type(value).__name__


def assert_same_json(actual: Any, expected: Any, path: str, order_ids: dict[int, int]) -> None:
    key = path.rsplit(".", 1)[-1]
    assert _kind(actual) == _kind(expected), f"{path}: {actual!r} ({_kind(actual)}) != {expected!r} ({_kind(expected)})"
    if key in VOLATILE:
        if key == "cart_id":
            assert actual.isdigit(), f"{path}: {actual!r}"
        return
    if path.endswith(":$.code"):  # an upload code
        assert re.fullmatch(r"[0-9a-f]+", actual) and len(actual) == len(expected), f"{path}: {actual!r}"
        return
    if key == "api_token":
        assert TOKEN.match(actual), f"{path}: {actual!r} is not a 26-hex token"
        return
    if key == "order_id":
        want = order_ids.get(int(expected), int(expected))
        assert int(actual) == want, f"{path}: {actual!r} != {want!r} (recorded {expected!r})"
        return
    if isinstance(expected, dict):
        assert list(actual) == list(expected), f"{path}: keys {list(actual)} != {list(expected)}"
        for k in expected:
            assert_same_json(actual[k], expected[k], f"{path}.{k}", order_ids)
    elif isinstance(expected, list):
        assert len(actual) == len(expected), f"{path}: {len(actual)} items != {len(expected)}: {actual!r}"
        for i, (a, e) in enumerate(zip(actual, expected)):
            assert_same_json(a, e, f"{path}[{i}]", order_ids)
    elif isinstance(expected, float):
        assert abs(actual - expected) <= 1e-9 * max(1.0, abs(expected)), f"{path}: {actual!r} != {expected!r}"
    else:
        assert actual == expected, f"{path}: {actual!r} != {expected!r}"


def _translated(value: Any, codes: dict[str, str]) -> Any:
    """``value`` with every recorded upload code replaced by the sandbox's (3.0 shows the code)."""
    if isinstance(value, dict):
        return {k: _translated(v, codes) for k, v in value.items()}
    if isinstance(value, list):
        return [_translated(v, codes) for v in value]
    return codes.get(value, value) if isinstance(value, str) else value


def assert_same_answer(replay: Replayer, name: str) -> None:
    ex, response = replay.exchanges[name], replay.answers[name]
    rec = ex.response
    body = response.encoded().decode("utf-8")
    assert (response.status, response.content_type) == (rec["status"], rec["content_type"]), f"{name}: {body[:300]}"
    if not rec["content_type"].startswith("application/json"):
        if NOT_FOUND_TITLE in rec["body_text"]:
            assert NOT_FOUND_TITLE in body, name
        else:
            assert body == rec["body_text"], name
        return
    text = rec["body_text"]
    start = min(i for i in (text.find("{"), text.find("[")) if i >= 0)
    got_start = min(i for i in (body.find("{"), body.find("[")) if i >= 0)
    assert body[:got_start] == text[:start], f"{name}: PHP output {body[:got_start]!r} != {text[:start]!r}"
    expected = _translated(json.loads(text[start:]), replay.uploads)
    assert_same_json(json.loads(body[got_start:]), expected, f"{name}:$", replay.order_ids)
    # cookies: same names; values by the rules in the module docstring
    got = response.set_cookies
    assert sorted(k for k, v in got.items() if v) == sorted(ex.cookie_names()), f"{name}: cookies {got}"
    for cookie in ex.cookie_names():
        if cookie == "OCSESSID":
            echoed = ex.request.get("cookies", {}).get("OCSESSID") == ex.cookie("OCSESSID")
            want = replay.sent_cookies[name].get("OCSESSID") if echoed else None
            assert got[cookie] == want if want else TOKEN.match(got[cookie]), f"{name}: OCSESSID {got[cookie]!r}"
        else:
            assert got[cookie] == ex.cookie(cookie), f"{name}: {cookie}={got[cookie]!r} != {ex.cookie(cookie)!r}"


def over_http(dialect: str, sandbox: Any) -> Replayer:
    """Send exchanges to a served sandbox (``serve(store=dialect, username="Default", key=KEY)``):
    recorded method, query and body (the redacted key, tokens, order and cart ids translated),
    only the recorded cookies."""
    from http.cookies import SimpleCookie
    from urllib.parse import quote, urlencode

    import requests

    http = requests.Session()

    def send(ex: Exchange, query, pairs, cookies) -> Response:
        url = f"{sandbox.url}index.php?{urlencode(query, quote_via=quote)}"
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())} if cookies else {}
        data: Any = None
        files = None
        upload = re.match(r"<multipart/form-data: file=(\S+) \(([^,]+), (\d+) bytes\)>", ex.request.get("body") or "")
        if upload:
            name, kind, size = upload.groups()
            files = {"file": (name, b"x" * int(size), kind)}
        elif ex.request.get("form") is not None:
            data = "&".join(f"{quote(k, safe='[]')}={quote(v, safe='')}" for k, v in pairs)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        elif ex.request.get("body"):
            data = ex.request["body"]
            headers["Content-Type"] = ex.request.get("content_type") or "application/json"
        answer = http.request(ex.request.get("method", "GET"), url, data=data, files=files, headers=headers)
        http.cookies.clear()
        jar = SimpleCookie()
        for raw in answer.raw.headers.getlist("Set-Cookie"):
            jar.load(raw)
        return Response(answer.content, answer.status_code, answer.headers["Content-Type"],
                        set_cookies={name: morsel.value for name, morsel in jar.items()})

    return Replayer(dialect, sandbox.app, send)
