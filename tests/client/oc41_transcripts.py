"""Recorded OpenCart 4.1 exchanges, served to the client in place of its connection pool.

:class:`Oc41Replay` answers each signed request with a recorded response chosen by its
``call`` (and route), and keeps what the client sent so a test can compare it with the
request the reference client recorded: the PHP-parsed form must be equal (order free),
the signature must verify with the transcript's key, and no cookie may be sent unless
a test expects one.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import io
import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any
from unittest import mock
from urllib.parse import parse_qsl, urlsplit

from urllib3 import HTTPConnectionPool, HTTPHeaderDict, HTTPResponse

from ocdata._php import body_md5, parse_body, parse_pairs
from ocdata.client.models import Address, CartLine, Customer, OrderDraft, PaymentMethod, ShippingQuote

SHARED = Path(__file__).resolve().parents[1] / "recordings" / "oc41"
BASE = "http://127.0.0.1:8041/"


def load(name: str, folder: str = "transcripts") -> dict:
    matches = sorted((SHARED / folder).glob(f"{name}*.json"))
    assert matches, f"no transcript {name} in {folder}"
    return json.loads(matches[0].read_text())


def all_signed() -> list[Path]:
    return sorted(p for folder in ("transcripts", "transcripts-rich", "transcripts-session")
                  for p in (SHARED / folder).glob("*.json") if "signing" in json.loads(p.read_text()))


KEY = load("001")["signing"]["key"]


def form_of(t: dict) -> dict:
    return parse_pairs([tuple(p) for p in t["request"]["form"] or []])


def draft_from(t: dict) -> OrderDraft:
    """The OrderDraft whose 4.1 form is the transcript's recorded form."""
    f = form_of(t)
    customer = None
    if "firstname" in f:
        customer = Customer(customer_id=int(f.get("customer_id", 0)), customer_group_id=int(f.get("customer_group_id", 0)),
                            firstname=f["firstname"], lastname=f["lastname"], email=f["email"],
                            telephone=f.get("telephone", ""))
    lines = tuple(
        CartLine(product_id=int(p["product_id"]), quantity=int(p.get("quantity", 1)),
                 options={int(k): ([int(x) for x in v.values()] if isinstance(v, dict) else
                                   (int(v) if v.isdigit() else v)) for k, v in (p.get("option") or {}).items()})
        for p in (f.get("product") or {}).values()
    )

    def address(prefix: str) -> Address | None:
        if f"{prefix}country_id" not in f:
            return None
        return Address(firstname=f[f"{prefix}firstname"], lastname=f[f"{prefix}lastname"],
                       company=f.get(f"{prefix}company", ""), address_1=f[f"{prefix}address_1"],
                       address_2=f.get(f"{prefix}address_2", ""), city=f[f"{prefix}city"],
                       postcode=f.get(f"{prefix}postcode", ""), country_id=int(f[f"{prefix}country_id"]),
                       zone_id=int(f[f"{prefix}zone_id"]))

    sm = f.get("shipping_method")
    shipping = ShippingQuote(method_code=sm["code"].split(".")[0], code=sm["code"], name=sm["name"],
                             cost=Decimal(sm["cost"]), tax_class_id=int(sm["tax_class_id"])) if sm else None
    pm = f.get("payment_method")
    payment = PaymentMethod(code=pm["code"], name=pm["name"]) if pm else None
    return OrderDraft(customer=customer, lines=lines, payment_address=address("payment_"),
                      shipping_address=address("shipping_"), shipping_method=shipping, payment_method=payment,
                      affiliate_id=int(f["affiliate_id"]) if "affiliate_id" in f else None,
                      comment=f.get("comment", ""))


def _set_cookie_headers(value: str | None) -> list[tuple[str, str]]:
    if not value:
        return []
    return [("Set-Cookie", part) for part in re.split(r", (?=[A-Za-z_]+=)", value)]


@dataclass
class Sent:
    call: str | None
    route: str
    query: dict[str, str]
    raw_query: str
    form: dict
    body: str
    cookies: str | None


@dataclass
class Oc41Replay:
    """``with Oc41Replay({"cart": t1, ...}) as replay:`` answers by call; ``replay.sent`` lists requests."""

    by_call: dict[str, dict | list[dict]]
    sent: list[Sent] = field(default_factory=list)
    key: str = KEY

    def __enter__(self) -> "Oc41Replay":
        # the transport's pools are swapped at urllib3's ``urlopen``: everything above it (the
        # transport's headers, retries, streamed read) runs as it does against a store
        real = HTTPConnectionPool.urlopen
        replay = self

        def urlopen(pool, method, url, body=None, headers=None, **kw):
            if (pool.host, pool.port) != ("127.0.0.1", 8041):
                return real(pool, method, url, body=body, headers=headers, **kw)
            return replay._answer(f"{pool.scheme}://{pool.host}:{pool.port}{url}", body, headers or {})

        self._patch = mock.patch.object(HTTPConnectionPool, "urlopen", urlopen)
        self._patch.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._patch.__exit__(*exc)

    def _answer(self, url: str, body: bytes | str | None, headers: dict) -> HTTPResponse:
        parts = urlsplit(url)
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        body = body or ""
        if isinstance(body, bytes):
            body = body.decode()
        sent = Sent(query.get("call"), query.get("route", ""), query, parts.query, parse_body(body), body,
                    headers.get("Cookie"))
        self.sent.append(sent)
        key = sent.call or f"{sent.route}:{query.get('country_id')}"
        recorded = self.by_call.get(key)
        if isinstance(recorded, list):
            recorded = recorded.pop(0)
        assert recorded is not None, f"unexpected request {key}"
        res = recorded["response"]
        content = res["body_text"].encode()
        answer = HTTPHeaderDict([("Content-Type", res["content_type"]), ("Content-Length", str(len(content))),
                                 *_set_cookie_headers(res.get("set_cookie"))])
        for k, v in (res.get("headers") or {}).items():
            if k.lower() == "date":
                answer.add(k, v)
        return HTTPResponse(io.BytesIO(content), headers=answer, status=res["status"], preload_content=False,
                            request_method="POST", request_url=url)

    def verify_signature(self, sent: Sent, host: str = "127.0.0.1:8041", path: str = "/") -> None:
        q = sent.query
        string = "".join(f"{v}\n" for v in (q["route"], q["call"], q["username"], host, path, q["store_id"],
                                             q["language"], q["currency"], body_md5(sent.body), q["time"]))
        expected = base64.b64encode(hmac.new(self.key.encode(), string.encode(), hashlib.sha1).digest()).decode()
        assert q["signature"] == expected
