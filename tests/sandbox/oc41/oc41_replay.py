"""Replaying recorded OpenCart 4.1.0.4 exchanges against the sandbox's ``oc41`` front.

The transcripts (``tests/recordings/oc41/transcripts*/``) are the truth. This module
loads the business ones (``route=api/order|api/subscription`` answered 200; the 403
authentication refusals and the 500 seed-style requests are the server's and the auth
wrapper's business), turns each into a :class:`Request` the way the server would, and
compares answers with :func:`assert_same_answer`.

Comparison rules (one place, documented):

* status and content type are equal; a JSON body has the same keys **in the same
  order** and the same JSON types (``"40"`` is not ``40``; ``101`` is not ``101.0``,
  because PHP writes integral floats as integers);
* numbers are equal to 1e-9 relative (the engine reproduces PHP float arithmetic, so in
  practice they are bit-equal, including ``57.599999999999994``-style values);
* **volatile** values are compared by type only: ``cart_id`` (an auto-increment the
  real store had counted up), ``order_id`` of a new order (the real store had earlier
  orders; an echoed ``order_id`` that was posted is compared exactly), and product
  ``stock`` (the real store's own confirms changed it between recordings);
* a text body (PHP error page) is equal byte for byte; a PHP warning printed before
  the JSON is equal byte for byte and the JSON after it follows the rules above.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ocdata import _php
from ocdata._php import php_int
from ocdata.sandbox import storefile
from ocdata.sandbox.engine import Engine
from ocdata.sandbox.fronts.base import Request, Response, SessionStore
from ocdata.sandbox.fronts.oc41 import Oc41Front

SHARED = Path(__file__).resolve().parents[2] / "recordings" / "oc41"
ROUTES = ("api/order", "api/subscription")
VOLATILE_KEYS = frozenset({"cart_id", "stock"})


@dataclass
class Exchange:
    """One recorded request/answer pair."""

    name: str
    data: dict[str, Any]

    @property
    def request(self) -> dict[str, Any]:
        return self.data["request"]

    @property
    def response(self) -> dict[str, Any]:
        return self.data["response"]

    @property
    def query(self) -> dict[str, str]:
        return self.request.get("query", {})

    @property
    def pairs(self) -> list[tuple[str, str]]:
        return [(k, v) for k, v in (self.request.get("form") or [])]

    def to_request(self, *, cookies: dict[str, str] | None = None, pairs: list[tuple[str, str]] | None = None) -> Request:
        """What the server hands the front: parsed and cleaned form, query, cookies."""
        return Request(
            method=self.request.get("method", "POST"),
            path=self.request.get("path", "/index.php"),
            query=dict(self.query),
            form=_php.clean(_php.parse_pairs(self.pairs if pairs is None else pairs)),
            headers=dict(self.request.get("headers") or {}),
            cookies=dict(self.request.get("cookies") or {}) if cookies is None else cookies,
            client_ip="127.0.0.1",
            host=(self.data.get("signing") or {}).get("http_host", "127.0.0.1:8041"),
        )

    def sets_currency_cookie(self) -> str | None:
        m = re.search(r"(?:^|, )currency=([A-Z]{3});", self.response.get("set_cookie") or "")
        return m.group(1) if m else None


def load(folder: str) -> list[Exchange]:
    """The business exchanges of one transcript folder, in file order."""
    out = []
    for path in sorted((SHARED / folder).glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        ex = Exchange(path.stem, data)
        if ex.query.get("route") in ROUTES and ex.response.get("status") == 200:
            out.append(ex)
    return out


def make_front(store: str) -> Oc41Front:
    """A front on a fresh engine over a built-in store (``"stock"`` = the demo data as
    recorded in ``transcripts/``, ``"rich"`` = ``rich-store.md``)."""
    return Oc41Front(Engine(storefile.load_store(store)), SessionStore())


# --------------------------------------------------------------------------- comparison
def split_body(body: str) -> tuple[str, Any]:
    """``(php_output_prefix, json)`` of a JSON answer, the prefix empty when none."""
    start = body.find("{")
    if start < 0:
        raise AssertionError(f"no JSON object in body: {body[:200]!r}")
    return body[:start], json.loads(body[start:])


#: JSON type names; bool before int because ``True`` is an ``int`` in Python.
_KINDS = ((bool, "bool"), (int, "int"), (float, "float"), (str, "str"), (list, "list"), (dict, "object"))


def _kind(value: Any) -> str:
    for python_type, name in _KINDS:
        if isinstance(value, python_type):
            return name
    return "null" if value is None else type(value).__name__


def assert_same_json(actual: Any, expected: Any, path: str = "$", *, echoed_order_id: bool = False) -> None:
    """Recursive comparison with the module's rules; messages name the JSON path."""
    key = path.rsplit(".", 1)[-1]
    if key in VOLATILE_KEYS or (key == "order_id" and path == "$.order_id" and not echoed_order_id):
        assert _kind(actual) == _kind(expected), f"{path}: type {_kind(actual)} != {_kind(expected)}"
        if isinstance(expected, str):
            assert actual.isdigit(), f"{path}: {actual!r} is not a decimal id"
        return
    assert _kind(actual) == _kind(expected), f"{path}: {actual!r} ({_kind(actual)}) != {expected!r} ({_kind(expected)})"
    if isinstance(expected, dict):
        assert list(actual) == list(expected), f"{path}: keys {list(actual)} != {list(expected)}"
        for k in expected:
            assert_same_json(actual[k], expected[k], f"{path}.{k}", echoed_order_id=echoed_order_id)
    elif isinstance(expected, list):
        assert len(actual) == len(expected), f"{path}: {len(actual)} items != {len(expected)}"
        for i, (a, e) in enumerate(zip(actual, expected)):
            assert_same_json(a, e, f"{path}[{i}]", echoed_order_id=echoed_order_id)
    elif isinstance(expected, float):
        assert abs(actual - expected) <= 1e-9 * max(1.0, abs(expected)), f"{path}: {actual!r} != {expected!r}"
    else:
        assert actual == expected, f"{path}: {actual!r} != {expected!r}"


def assert_same_answer(response: Response, ex: Exchange, order_ids: dict[int, int] | None = None) -> None:
    """The front's answer matches the recorded one (see the module docstring).

    ``order_ids`` maps order ids the real store issued to the sandbox's ids for the same
    confirms, so an echoed ``order_id`` is compared with the sandbox's own id.
    """
    rec = ex.response
    assert response.status == rec["status"], ex.name
    assert response.content_type == rec["content_type"], ex.name
    body = response.encoded().decode("utf-8")
    if not rec["content_type"].startswith("application/json"):
        assert body == rec["body_text"], ex.name
        return
    rec_prefix, rec_json = split_body(rec["body_text"])
    prefix, actual = split_body(body)
    assert prefix == rec_prefix, f"{ex.name}: PHP output {prefix!r} != {rec_prefix!r}"
    posted = dict(ex.pairs)
    echoed = php_int(posted.get("order_id", "0")) != 0
    if echoed and isinstance(rec_json, dict) and "order_id" in rec_json:
        rec_json = dict(rec_json, order_id=(order_ids or {}).get(rec_json["order_id"], rec_json["order_id"]))
    assert_same_json(actual, rec_json, echoed_order_id=echoed)


# --------------------------------------------------------------------------- sequential replay
_SID = re.compile(r"OCSESSID=([0-9a-f]+)")


class Replayer:
    """Sends exchanges in recording order to one front, translating store-issued ids.

    A recorded request that sends back an ``OCSESSID`` the real store issued earlier in
    the recording gets the id the sandbox issued for that same earlier exchange; a
    posted ``order_id`` the real store returned from an earlier ``confirm`` becomes the
    id the sandbox returned for it (the sandbox starts after the reference store's
    pre-existing orders). Unknown ids are sent unchanged.
    """

    def __init__(self, handle) -> None:
        """``handle(exchange, cookies, pairs) -> Response`` sends one exchange."""
        self.handle = handle
        self.sessions: dict[str, str] = {}  # recorded id -> sandbox id
        self.order_ids: dict[int, int] = {}  # recorded order id -> sandbox order id
        self.answers: dict[str, Response] = {}
        self.exchanges: dict[str, Exchange] = {}

    def send(self, ex: Exchange) -> Response:
        cookies = dict(ex.request.get("cookies") or {})
        if "OCSESSID" in cookies:
            recorded = cookies["OCSESSID"]
            assert recorded in self.sessions, f"{ex.name}: cookie from an exchange not replayed yet"
            cookies["OCSESSID"] = self.sessions[recorded]
        pairs = [
            (k, str(self.order_ids.get(php_int(v), v)) if k == "order_id" else v) for k, v in ex.pairs
        ]
        response = self.handle(ex, cookies, pairs)
        m = _SID.search(ex.response.get("set_cookie") or "")
        if m and "OCSESSID" in response.set_cookies:
            self.sessions[m.group(1)] = response.set_cookies["OCSESSID"]
        recorded_id = (ex.response.get("json") or {}).get("order_id") if isinstance(ex.response.get("json"), dict) else None
        if isinstance(recorded_id, int) and php_int(dict(ex.pairs).get("order_id", "0")) == 0:
            self.order_ids[recorded_id] = split_body(response.encoded().decode("utf-8"))[1]["order_id"]
        self.answers[ex.name] = response
        self.exchanges[ex.name] = ex
        return response

    @classmethod
    def in_process(cls, front: Oc41Front) -> Replayer:
        return cls(lambda ex, cookies, pairs: front.handle(ex.to_request(cookies=cookies, pairs=pairs)))

    def run(self, exchanges: list[Exchange]) -> Replayer:
        for ex in exchanges:
            self.send(ex)
        return self


def product_cart_ids(response: Response) -> dict[str, str]:
    """``product_id -> cart_id`` of a JSON answer's products."""
    _, body = split_body(response.encoded().decode("utf-8"))
    return {p["product_id"]: p["cart_id"] for p in body.get("products", [])}
