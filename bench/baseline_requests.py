"""The script an analyst would write by hand to price the study, with plain ``requests``.

This is the baseline of ``bench.study_throughput``, written the way a user writes it from
the store's documentation, without ocdata:

* ``spec``: from the OpenAPI file (``seed-openapi.yml``): log in, set customer, cart and
  both addresses, read the products and the shipping methods, then for each shipping
  quote set it and fetch the totals and the payment methods, one request at a time;
* ``oc41``: from OpenCart 4.1's protocol (HMAC-signed, stateless calls): list the shipping
  methods, then for each quote set it (the answer carries the totals) and list the
  payment methods, re-sending the whole order each time.

Sequential, a login per scenario (spec), a new TCP connection per request (the
``requests.get``/``requests.post`` module functions open one each time). It records the
same facts an ocdata quote holds: per shipping quote its cost, total and payment methods.

Run on its own against any store: ``python bench/baseline_requests.py --url URL --username
NAME --key KEY [--dialect spec|oc41] [--limit N]``; without ``--url`` it starts a sandbox
store with 20 ms latency.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import re
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import requests

if __package__ in (None, ""):  # run as a file: python bench/baseline_requests.py
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.scenarios import CUSTOMER, STREET, Scenario, scenarios

TIMEOUT = 30


# --------------------------------------------------------------------------- shared form fields


def customer_fields(s: Scenario) -> dict[str, Any]:
    return {"customer_id": 0, "customer_group_id": s.customer_group_id, **CUSTOMER}


def cart_fields(s: Scenario) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for i, line in enumerate(s.cart):
        fields[f"product[{i}][product_id]"] = line.product_id
        fields[f"product[{i}][quantity]"] = line.quantity
        for option_id, value in line.options:
            fields[f"product[{i}][option][{option_id}]"] = value
    return fields


def address_fields(s: Scenario, prefix: str) -> dict[str, Any]:
    d = s.destination
    return {
        f"{prefix}_firstname": CUSTOMER["firstname"], f"{prefix}_lastname": CUSTOMER["lastname"],
        f"{prefix}_address_1": STREET, f"{prefix}_city": d.city, f"{prefix}_postcode": d.postcode,
        f"{prefix}_country_id": d.country_id, f"{prefix}_zone_id": d.zone_id,
    }


def _total(totals: list[dict[str, Any]]) -> float | None:
    # the last line is the order total in every OpenCart version; 4.0/3.0 send only its text ("$1,088.00")
    if not totals:
        return None
    last = totals[-1]
    if "value" in last:
        return float(last["value"])
    digits = re.sub(r"[^0-9.\-]", "", str(last.get("text", "")).replace(",", ""))
    return float(digits) if digits else None


def _row(s: Scenario, code: str | None, cost: Any, totals: list[dict[str, Any]], payments: list[str], error: str = "") -> dict[str, Any]:
    return {"scenario": s.label, "quote_code": code, "cost": None if cost is None else float(cost),
            "total": _total(totals), "payment_methods": ",".join(payments), "error": error}


# --------------------------------------------------------------------------- spec (OpenAPI file)


def quote_spec(http: Any, url: str, username: str, key: str, s: Scenario) -> list[dict[str, Any]]:
    """One scenario through the OpenAPI file's routes; one row per shipping quote."""
    endpoint = url.rstrip("/") + "/index.php"

    def api(method: str, path: str, token: str | None = None, **fields: Any) -> dict[str, Any]:
        params = {"route": "api" + path}
        if token:
            params["api_token"] = token
        if method == "GET":
            r = http.get(endpoint, params=params, timeout=TIMEOUT)
        else:
            r = http.post(endpoint, params=params, data=fields, timeout=TIMEOUT)
        return r.json()

    token = api("POST", "/login", username=username, key=key)["api_token"]
    api("POST", "/customer", token, **customer_fields(s))
    api("POST", "/cart", token, **cart_fields(s))
    api("POST", "/payment_address", token, **address_fields(s, "payment"))
    api("POST", "/shipping_address", token, **address_fields(s, "shipping"))
    api("GET", "/cart/getProducts", token)
    methods = api("GET", "/shipping_method/getShippingMethods", token)

    def payment_codes() -> list[str]:
        answer = api("GET", "/payment_method/getPaymentMethods", token)
        return [m["code"] for m in answer.get("payment_methods", [])]

    if "error" in methods:  # e.g. a cart that needs no shipping: its own totals
        totals = api("GET", "/cart/getTotals", token)["totals"]
        return [_row(s, None, None, totals, payment_codes(), str(methods["error"]))]
    rows = []
    for method in methods["shipping_methods"]:
        for quote in method["quote"].values():
            answer = api("POST", "/shipping_method", token, **{"shipping_method[code]": quote["code"],
                         "shipping_method[name]": quote["name"], "shipping_method[cost]": quote["cost"],
                         "shipping_method[tax_class_id]": quote["tax_class_id"]})
            totals = api("GET", "/cart/getTotals", token)["totals"]
            rows.append(_row(s, quote["code"], quote["cost"], totals, payment_codes(), str(answer.get("error", ""))))
    return rows


# --------------------------------------------------------------------------- oc41 (signed, stateless)


def quote_oc41(http: Any, url: str, username: str, key: str, s: Scenario) -> list[dict[str, Any]]:
    """One scenario through OpenCart 4.1's signed ``api/order`` calls; one row per shipping quote."""
    parts = urlsplit(url)
    endpoint = url.rstrip("/") + "/index.php"
    order = {**customer_fields(s), **cart_fields(s), **address_fields(s, "payment"), **address_fields(s, "shipping")}

    def api(call: str, fields: dict[str, Any]) -> dict[str, Any]:
        now = int(time.time())
        body_md5 = hashlib.md5(urlencode(fields).encode()).hexdigest()
        message = "".join(f"{v}\n" for v in ("api/order", call, username, parts.netloc, "/", 0, "en-gb", "USD", body_md5, now))
        signature = base64.b64encode(hmac.new(key.encode(), message.encode(), hashlib.sha1).digest()).decode()
        params = {"route": "api/order", "call": call, "username": username, "store_id": 0, "language": "en-gb",
                  "currency": "USD", "time": now, "signature": signature}
        return http.post(endpoint, params=params, data=fields, timeout=TIMEOUT).json()

    methods = api("shipping_methods", order)
    if "error" in methods:  # no shipping needed or none offered: the cart's own totals
        cart = api("cart", order)
        payments = api("payment_methods", order)
        codes = [o["code"] for m in payments.get("payment_methods", {}).values() for o in m["option"].values()]
        return [_row(s, None, None, cart.get("totals", []), codes, str(methods["error"]))]
    rows = []
    for method in methods["shipping_methods"].values():
        for quote in method["quote"].values():
            chosen = {**order, "shipping_method[name]": quote["name"], "shipping_method[code]": quote["code"],
                      "shipping_method[cost]": quote["cost"], "shipping_method[tax_class_id]": quote["tax_class_id"]}
            answer = api("shipping_method", chosen)
            payments = api("payment_methods", chosen)
            codes = [o["code"] for m in payments.get("payment_methods", {}).values() for o in m["option"].values()]
            error = answer.get("error", "")
            rows.append(_row(s, quote["code"], quote["cost"], answer.get("totals", []), codes,
                             error if isinstance(error, str) else str(error)))
    return rows


def quote_oc41_storefront(http: Any, url: str, username: str, key: str, s: Scenario) -> list[dict[str, Any]]:
    """4.1 priced as the storefront would charge, the sequence ``tests/recordings/oc41/SESSION-MODE.md``
    found stable: each priced step gets a fresh session primed by a one-off call with the whole order,
    then the step again with that session's cookie and without the product lines."""
    parts = urlsplit(url)
    endpoint = url.rstrip("/") + "/index.php"
    order = {**customer_fields(s), **cart_fields(s), **address_fields(s, "payment"), **address_fields(s, "shipping")}
    no_lines = {k: v for k, v in order.items() if not k.startswith("product[")}

    def api(call: str, fields: dict[str, Any], cookies: Any = None) -> Any:
        now = int(time.time())
        body_md5 = hashlib.md5(urlencode(fields).encode()).hexdigest()
        message = "".join(f"{v}\n" for v in ("api/order", call, username, parts.netloc, "/", 0, "en-gb", "USD", body_md5, now))
        signature = base64.b64encode(hmac.new(key.encode(), message.encode(), hashlib.sha1).digest()).decode()
        params = {"route": "api/order", "call": call, "username": username, "store_id": 0, "language": "en-gb",
                  "currency": "USD", "time": now, "signature": signature}
        return http.post(endpoint, params=params, data=fields, cookies=cookies, timeout=TIMEOUT)

    def primed(call: str, extra: dict[str, Any] | None = None) -> tuple[dict[str, Any], Any]:
        jar = api("shipping_methods", order).cookies  # primes a new session; its answer is not used
        return api(call, {**no_lines, **(extra or {})}, jar).json(), jar

    methods, jar = primed("shipping_methods")
    if "error" in methods:
        cart = api("cart", no_lines, jar).json()
        payments = api("payment_methods", no_lines, jar).json()
        codes = [o["code"] for m in payments.get("payment_methods", {}).values() for o in m["option"].values()]
        return [_row(s, None, None, cart.get("totals", []), codes, str(methods["error"]))]
    rows = []
    for method in methods["shipping_methods"].values():
        for quote in method["quote"].values():
            chosen = {"shipping_method[name]": quote["name"], "shipping_method[code]": quote["code"],
                      "shipping_method[cost]": quote["cost"], "shipping_method[tax_class_id]": quote["tax_class_id"]}
            answer, jar = primed("shipping_method", chosen)
            payments = api("payment_methods", {**no_lines, **chosen}, jar).json()
            codes = [o["code"] for m in payments.get("payment_methods", {}).values() for o in m["option"].values()]
            error = answer.get("error", "")
            rows.append(_row(s, quote["code"], quote["cost"], answer.get("totals", []), codes,
                             error if isinstance(error, str) else str(error)))
    return rows


# --------------------------------------------------------------------------- oc40 / oc30 (login, server session)

#: The routes of 4.0.2.x and 3.0.x for the same checkout steps (their PROTOCOL.md files).
SESSION_ROUTES = {
    "oc40": {"login": "api/account/login", "customer": "api/sale/customer", "add": "api/sale/cart.add",
             "payment_address": "api/sale/payment_address", "shipping_address": "api/sale/shipping_address",
             "methods": "api/sale/shipping_method", "method": "api/sale/shipping_method.save",
             "cart": "api/sale/cart", "payments": "api/sale/payment_method"},
    "oc30": {"login": "api/login", "customer": "api/customer", "add": "api/cart/add",
             "payment_address": "api/payment/address", "shipping_address": "api/shipping/address",
             "methods": "api/shipping/methods", "method": "api/shipping/method",
             "cart": "api/cart/products", "payments": "api/payment/methods"},
}


def quote_session(version: str, http: Any, url: str, username: str, key: str, s: Scenario) -> list[dict[str, Any]]:
    """One scenario through 4.0's or 3.0's session API, in the documented order: log in, customer,
    each cart line, both addresses, list the quotes, then per quote choose it, read the cart's totals
    and list the payment methods."""
    routes = SESSION_ROUTES[version]
    endpoint = url.rstrip("/") + "/index.php"
    token = ""

    def api(step: str, fields: dict[str, Any] | None = None) -> Any:
        params = {"route": routes[step], **({"api_token": token} if token else {})}
        if fields is None:
            r = http.get(endpoint, params=params, timeout=TIMEOUT)
        else:
            r = http.post(endpoint, params=params, data=fields, timeout=TIMEOUT)
        return r.json()

    token = api("login", {"username": username, "key": key})["api_token"]
    api("customer", customer_fields(s))
    for line in s.cart:
        api("add", {"product_id": line.product_id, "quantity": line.quantity,
                    **{f"option[{o}]": v for o, v in line.options}})
    d = s.destination
    address = {"firstname": CUSTOMER["firstname"], "lastname": CUSTOMER["lastname"], "address_1": STREET,
               "city": d.city, "postcode": d.postcode, "country_id": d.country_id, "zone_id": d.zone_id}
    extra = version == "oc40"  # 4.0 warns (a PHP notice before the JSON) without the saved-address ids
    api("payment_address", {**address, **({"payment_address_id": 0} if extra else {})})
    api("shipping_address", {**address, **({"shipping_address_id": 0} if extra else {})})

    def payment_codes() -> list[str]:
        answer = api("payments")
        methods = answer.get("payment_methods") or {}
        return [m["code"] for m in (methods.values() if isinstance(methods, dict) else methods)]

    methods = api("methods")
    listed = methods.get("shipping_methods") if isinstance(methods, dict) else None
    if not listed:  # a cart that needs no shipping: its own totals
        totals = api("cart").get("totals", [])
        return [_row(s, None, None, totals, payment_codes(), str(methods.get("error", "")))]
    rows = []
    for method in listed.values():
        for quote in method["quote"].values():
            answer = api("method", {"shipping_method": quote["code"]})
            totals = api("cart").get("totals", [])
            rows.append(_row(s, quote["code"], quote["cost"], totals, payment_codes(), str(answer.get("error", ""))))
    return rows


QUOTERS = {"spec": quote_spec, "oc41": quote_oc41, "oc41-storefront": quote_oc41_storefront,
           "oc40": lambda *a: quote_session("oc40", *a), "oc30": lambda *a: quote_session("oc30", *a)}


def run(url: str, username: str, key: str, chosen: list[Scenario], dialect: str = "spec", http: Any = requests) -> list[dict[str, Any]]:
    """Every scenario, one after the other; the rows of all of them."""
    quoter = QUOTERS[dialect]
    rows: list[dict[str, Any]] = []
    for s in chosen:
        rows.extend(quoter(http, url, username, key, s))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Price the benchmark study by hand with plain requests.")
    parser.add_argument("--url")
    parser.add_argument("--username")
    parser.add_argument("--key")
    parser.add_argument("--dialect", choices=sorted(QUOTERS), default="spec")
    parser.add_argument("--limit", type=int, default=20, help="first N scenarios (default 20)")
    parser.add_argument("--quick", action="store_true", help="the 12-scenario smoke study")
    args = parser.parse_args(argv)
    chosen = scenarios(args.quick)[: args.limit]

    def go(url: str, username: str, key: str) -> None:
        start = time.perf_counter()
        rows = run(url, username, key, chosen, args.dialect)
        wall = time.perf_counter() - start
        print(f"baseline ({args.dialect}): {len(chosen)} scenarios, {len(rows)} quote rows in {wall:.2f} s "
              f"({len(chosen) / wall:.2f} scenarios/s)")

    if args.url:
        go(args.url, args.username, args.key)
    else:
        from bench.common import Counted, SandboxProcess

        with SandboxProcess(latency_ms=20, store=args.dialect if args.dialect in SESSION_ROUTES else "rich") as store, \
                Counted(store) as counted:
            go(store.url, store.username, store.key)
        print(f"requests: {counted.requests} ({counted.requests / len(chosen):.1f} per scenario), sandbox latency 20 ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
