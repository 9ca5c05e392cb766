"""Record the oc41 storefront quote's session sequences from a real OpenCart 4.1.0.4 store into
``tests/recordings/oc41/transcripts-session/`` (``tools/real_store.sh``; not run by the tests).

    python tools/record_oc41_session.py http://127.0.0.1:8041/ Default

Same JSON layout as the older session transcripts (``request`` as sent, ``response`` as received,
``signing``). The key is not asked for: the store's API key must be set to the recordings'
placeholder key (``transcripts/001``'s ``signing.key``: ``UPDATE oc_api SET `key` = ...``), so
the recorded signatures verify in the replay tests and no other key is written down. Record at
``127.0.0.1:8041`` (the signed host of every other recording). Sequences (rich-store.md configuration):

* ``x06`` (California, Wholesale group, products 33 + 48): a whole storefront quote as ocdata sends
  it (1 + 2q + b = 10 calls) — the list's session: one-off ``shipping_methods`` (full draft,
  primes), ``shipping_methods`` with its cookie and no product lines, the first quote chosen in that
  session (``shipping_method``) and ``payment_methods``; then each other quote in a fresh session
  (one-off ``shipping_methods`` with the quote posted, ``shipping_method`` with its cookie);
* ``x07``: the same first quote in a fresh session (one-off ``shipping_methods`` with the quote
  posted, then ``shipping_method``, ``payment_methods`` with the cookie);
* ``x08`` (London, Default group, product 33): x06's sequence with UK VAT and a free quote listed.
"""

from __future__ import annotations

import json
import sys
import time
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlencode

import requests

from ocdata._php import body_md5, clean, http_build_query, parse_pairs
from ocdata.client.dialects.forms import address_fields, customer_fields, lines_fields, shipping_method_fields
from ocdata.client.models import Address, CartLine, Customer, ShippingQuote
from ocdata.client.signing import SignedFields, sign

CENT = Decimal("0.01")
FOLDER = Path(__file__).resolve().parents[1] / "tests" / "recordings" / "oc41" / "transcripts-session"
NOTE = ("store in the 'rich' configuration (rich-store.md), OpenCart 4.1.0.4 installed by tools/real_store.sh; "
        "cookie calls re-send the first call's OCSESSID and omit product[] (the session cart is used)")


def key() -> str:
    found = sorted((FOLDER.parent / "transcripts").glob("001*.json"))
    return json.loads(found[0].read_text())["signing"]["key"]


class Recorder:
    def __init__(self, url: str, username: str) -> None:
        self.url, self.username, self.key = url.rstrip("/") + "/", username, key()
        self.host = url.split("://", 1)[1].split("/", 1)[0]
        self.http = requests.Session()
        self.session_id: str | None = None  # the OCSESSID the last answer set

    def call(self, name: str, title: str, call: str, form: list[tuple[str, str]], cookie: str | None) -> dict:
        now = int(time.time())
        md5 = body_md5(form)
        fields = SignedFields(route="api/order", call=call, username=self.username, host=self.host, path="/",
                              store_id=0, language="en-gb", currency="USD", time=now, md5=md5)
        message = fields.string_to_sign()
        signature = sign(self.key, message)
        query = {"route": "api/order", "call": call, "username": self.username, "store_id": "0",
                 "language": "en-gb", "currency": "USD", "time": str(now), "signature": signature}
        query_string = urlencode(list(query.items()))
        body = urlencode(form).replace("%5B", "[").replace("%5D", "]")
        cookies = {"OCSESSID": cookie} if cookie else {}
        started = time.monotonic()
        self.http.cookies.clear()
        answer = self.http.post(self.url + "index.php?" + query_string, data=body, cookies=cookies,
                                headers={"Content-Type": "application/x-www-form-urlencoded"})
        elapsed = time.monotonic() - started
        self.session_id = answer.cookies.get("OCSESSID")
        text = answer.text
        try:
            parsed = json.loads(text[text.find("{"):]) if "{" in text else None
        except ValueError:
            parsed = None
        record = {
            "dialect": "oc41",
            "title": title,
            "request": {"method": "POST", "url": self.url + "index.php?" + query_string, "path": "/index.php",
                        "query": query, "query_string": query_string,
                        "headers": {"Content-Type": "application/x-www-form-urlencoded"}, "cookies": cookies,
                        "form": [list(p) for p in form], "body": body},
            "response": {"status": answer.status_code, "content_type": answer.headers.get("Content-Type", ""),
                         "set_cookie": answer.headers.get("Set-Cookie", ""), "body_text": text, "json": parsed},
            "elapsed_s": round(elapsed, 6),
            "signing": {"key": self.key, "username": self.username, "http_host": self.host, "path": "/",
                        "store_id": 0, "language": "en-gb", "currency": "USD", "time": now,
                        "post_http_build_query": http_build_query(clean(parse_pairs(form))), "post_md5": md5,
                        "string_to_sign": message, "algorithm": "base64(HMAC-SHA1(key, string_to_sign))",
                        "signature": signature},
            "notes": NOTE,
        }
        (FOLDER / f"{name}-{call}.json").write_text(json.dumps(record, indent=1, ensure_ascii=False) + "\n")
        return record


def first_quote(listing: dict) -> ShippingQuote:
    method = next(iter(listing["response"]["json"]["shipping_methods"].values()))
    q = next(iter(method["quote"].values()))
    return quote(q)


def quote(q: dict) -> ShippingQuote:
    """A listed quote as the client reads it (its cost in the store's 2 decimals: 5 -> 5.00)."""
    return ShippingQuote(method_code=q["code"].split(".")[0], code=q["code"], name=q["name"],
                         cost=Decimal(str(q["cost"])).quantize(CENT), tax_class_id=int(q["tax_class_id"]))


def main(url: str, username: str) -> None:
    rec = Recorder(url, username)
    jane = dict(firstname="Jane", lastname="Doe", company="", address_1="1 Infinite Loop", address_2="")
    ca = Address(**jane, city="Cupertino", postcode="95014", country_id=223, zone_id=3624)
    london = Address(**{**jane, "address_1": "10 Downing Street"}, city="London", postcode="SW1A 2AA",
                     country_id=222, zone_id=3553)

    def draft_form(group: int, lines, address: Address) -> tuple[list, list]:
        customer = customer_fields(Customer(customer_group_id=group, firstname="Jane", lastname="Doe",
                                            email="jane.doe@example.com", telephone="01234 567890"))
        where = address_fields(address, "payment_", with_address_id=False) + \
            address_fields(address, "shipping_", with_address_id=False)
        return customer + lines_fields(lines) + where, customer + where

    def listing_session(name: str, what: str, full: list, no_lines: list) -> ShippingQuote:
        digits = "02d" if name == "x06" else "d"  # file names sort in call order

        def step(i: int) -> str:
            return f"{name}-{i:{digits}}"

        rec.call(step(1), f"{name.upper()} {what}: list's session: 1st call=shipping_methods "
                         f"(stateless, full state, primes; Set-Cookie OCSESSID)", "shipping_methods", full, None)
        sid = rec.session_id
        listed = rec.call(step(2), f"{name.upper()} {what}: 2nd call=shipping_methods with Cookie OCSESSID, "
                          f"NO product lines (the priced list)", "shipping_methods", no_lines, sid)
        q = first_quote(listed)
        chosen = shipping_method_fields(q, decimals=2)
        rec.call(step(3), f"{name.upper()} {what}: 3rd call=shipping_method {q.code} (the first quote) in the "
                 f"list's session, Cookie OCSESSID, NO product lines", "shipping_method", no_lines + chosen, sid)
        rec.call(step(4), f"{name.upper()} {what}: 4th call=payment_methods in the same session with "
                 f"{q.code} posted, NO product lines", "payment_methods", no_lines + chosen, sid)
        return q

    full, no_lines = draft_form(3, (CartLine(product_id=33), CartLine(product_id=48)), ca)
    what = "US California, Wholesale group 3, 1x Samsung SyncMaster + 1x iPod Classic"
    q = listing_session("x06", what, full, no_lines)
    listed = json.loads((FOLDER / "x06-02-shipping_methods.json").read_text())["response"]["json"]
    others = [quote(o) for m in listed["shipping_methods"].values() for o in m["quote"].values()][1:]
    n = 5
    for other in others:  # the rest of the quote: each other quote in a fresh session, as ocdata sends it
        fields = shipping_method_fields(other, decimals=2)
        rec.call(f"x06-{n:02d}", f"X06 {what}: quote {other.code} in a session of its own: call=shipping_methods "
                 f"(stateless, full state with the quote, primes)", "shipping_methods", full + fields, None)
        rec.call(f"x06-{n + 1:02d}", f"X06 {what}: call=shipping_method {other.code} with that call's Cookie "
                 f"OCSESSID, NO product lines", "shipping_method", no_lines + fields, rec.session_id)
        n += 2
    chosen = shipping_method_fields(q, decimals=2)
    rec.call("x07-1", f"X07 {what}: the first quote {q.code} in a fresh session: 1st call=shipping_methods "
             f"(stateless, full state with the quote, primes)", "shipping_methods", full + chosen, None)
    sid = rec.session_id
    rec.call("x07-2", f"X07 {what}: 2nd call=shipping_method {q.code} with Cookie OCSESSID, NO product lines",
             "shipping_method", no_lines + chosen, sid)
    rec.call("x07-3", f"X07 {what}: 3rd call=payment_methods with Cookie OCSESSID, NO product lines",
             "payment_methods", no_lines + chosen, sid)
    full, no_lines = draft_form(1, (CartLine(product_id=33),), london)
    listing_session("x08", "UK London, Default group 1, 1x Samsung SyncMaster", full, no_lines)


if __name__ == "__main__":
    main(*sys.argv[1:3])
