"""4.1.0.4 behaviours the transcripts state but do not replay one to one.

Sources: SESSION-MODE.md (refused quotes keep the session's previous method; ``"0.00"``
passes the ``empty()`` check), PROTOCOL.md §5 (minimum only on confirm, lines added
until the first faulty one), §7 (subscription confirm validation).
"""

from __future__ import annotations

import threading

import pytest
from oc41_replay import make_front, split_body

from ocdata import _php
from ocdata.sandbox.fronts import oc41_wire
from ocdata.sandbox.fronts.base import Request, Response

CUSTOMER = [
    ("customer_id", "0"),
    ("customer_group_id", "1"),
    ("firstname", "Jane"),
    ("lastname", "Doe"),
    ("email", "jane.doe@example.com"),
    ("telephone", "01234 567890"),
]
LONDON = [
    (f"{kind}_{k}", v)
    for kind in ("payment", "shipping")
    for k, v in (
        ("firstname", "Jane"),
        ("lastname", "Doe"),
        ("address_1", "10 Downing Street"),
        ("city", "London"),
        ("postcode", "SW1A 2AA"),
        ("country_id", "222"),
        ("zone_id", "3553"),
    )
]
CART = [("product[0][product_id]", "40"), ("product[0][quantity]", "1"), ("product[1][product_id]", "48"), ("product[1][quantity]", "1")]


def method(name, code, cost, tax_class_id):
    return [
        ("shipping_method[name]", name),
        ("shipping_method[code]", code),
        ("shipping_method[cost]", cost),
        ("shipping_method[tax_class_id]", tax_class_id),
    ]


def send(front, name, pairs, *, cookies=None, route="api/order", **query):
    return front.handle(Request(
        method="POST",
        path="/index.php",
        query={"route": route, "call": name, "store_id": "0", "language": "en-gb", "currency": "USD", **query},
        form=_php.clean(_php.parse_pairs(pairs)),
        headers={},
        cookies=cookies or {},
        client_ip="127.0.0.1",
        host="127.0.0.1:8041",
    ))


def call(front, name, pairs, **kwargs):
    response = send(front, name, pairs, **kwargs)
    return response, split_body(response.encoded().decode("utf-8"))[1]


@pytest.fixture()
def rich():
    return make_front("rich")


def shipping_lines(body):
    return [(t["title"], t["value"]) for t in body["totals"] if t["code"] == "shipping"]


def test_refused_quote_keeps_the_sessions_previous_method(rich):
    weight = method("UK Shipping (Weight: 11.00kg)", "weight.weight_4", "30.00", "9")
    first, body = call(rich, "shipping_method", CUSTOMER + CART + LONDON + weight)
    assert body["success"] == oc41_wire.SHIPPING_METHOD_SUCCESS
    cookie = {"OCSESSID": first.set_cookies["OCSESSID"]}
    _, body = call(rich, "shipping_method", CUSTOMER + LONDON + method("Pickup From Store", "pickup.pickup", "0", "0"), cookies=cookie)
    assert body["error"] == oc41_wire.SHIPPING_METHOD_REQUIRED
    assert shipping_lines(body) == [("UK Shipping (Weight: 11.00kg)", 30)]


def test_zero_cost_quote_passes_when_posted_as_decimal_text(rich):
    _, body = call(rich, "shipping_method", CUSTOMER + CART + LONDON + method("Pickup From Store", "pickup.pickup", "0.00", "0.0"))
    assert body["success"] == oc41_wire.SHIPPING_METHOD_SUCCESS
    assert shipping_lines(body) == [("Pickup From Store", 0)]


def test_minimum_quantity_is_only_checked_on_confirm():
    front = make_front("stock")
    apple = [("product[0][product_id]", "42"), ("product[0][quantity]", "1")] + [
        (f"product[0][option][{k}]", v)
        for k, v in (("208", "t"), ("209", "t"), ("217", "4"), ("218", "5"), ("219", "2011-02-20"), ("220", "2011-02-20 22:25"), ("221", "22:25"), ("222", "x"))
    ] + [("product[0][option][223][0]", "8")]
    _, body = call(front, "cart", CUSTOMER + apple)
    assert body["success"] == oc41_wire.CART_SUCCESS and body["products"][0]["minimum_status"] is False
    _, body = call(front, "confirm", CUSTOMER + apple)
    assert body == {"error": {"product_0_product": "Minimum order amount for Apple Cinema 30&quot; is 2!", "warning": oc41_wire.CART_WARNING}}


def test_faulty_line_on_a_cookie_call_keeps_the_session_cart(rich):
    first, _ = call(rich, "cart", CUSTOMER + [("product[0][product_id]", "40"), ("product[0][quantity]", "1")])
    cookie = {"OCSESSID": first.set_cookies["OCSESSID"]}
    bad_then_good = [("product[0][product_id]", "9999"), ("product[0][quantity]", "1"), ("product[1][product_id]", "48"), ("product[1][quantity]", "1")]
    _, body = call(rich, "cart", CUSTOMER + bad_then_good, cookies=cookie)
    assert set(body["error"]) == {"product_0_product", "warning"}
    assert [(p["product_id"], p["quantity"]) for p in body["products"]] == [("40", "1")]


def test_subscription_confirm_without_a_plan_is_refused_not_crashed():
    front = make_front("stock")
    pairs = [("customer_id", "1"), ("payment_address_id", "1"), ("shipping_address_id", "1"), ("product[0][product_id]", "40"), ("product[0][quantity]", "1")]
    pairs += method("Flat Shipping Rate", "flat.flat", "5.00", "9") + [("payment_method[name]", "Cash On Delivery"), ("payment_method[code]", "cod.cod")]
    response, body = call(front, "confirm", pairs, route="api/subscription")
    assert response.content_type == "application/json"
    assert list(body["error"]) == ["subscription_plan"] and "totals" not in body
    response = send(front, "confirm", pairs + [("subscription_plan_id", "1")], route="api/subscription")
    assert (response.status, response.content_type) == (200, "text/html; charset=UTF-8")
    assert response.body.startswith("Error: Opencart\\System\\Library\\DB::escape()")


def test_concurrent_one_off_calls_get_their_own_sessions_and_cart_rows(rich):
    results = []

    def worker():
        results.append(call(rich, "cart", CUSTOMER + CART))

    threads = [threading.Thread(target=worker) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    sessions = {r.set_cookies["OCSESSID"] for r, _ in results}
    cart_ids = [p["cart_id"] for _, body in results for p in body["products"]]
    assert len(sessions) == 12 and len(cart_ids) == 24 == len(set(cart_ids))
    assert all(body["totals"] == results[0][1]["totals"] for _, body in results)


@pytest.mark.parametrize(
    ("text", "value"),
    [("12", 12), (" 7x", 7), ("abc", 0), ("", 0), ("1e3", 1000), ("-3", -3), ("2.9", 2)],
)
def test_php_int_casts_like_php(text, value):
    assert oc41_wire.php_int(text) == value


@pytest.mark.parametrize(("value", "empty"), [("0", True), ("", True), ("0.00", False), ("0.0", False), ("a", False), ({}, True)])
def test_php_empty_rejects_zero_but_not_decimal_zero(value, empty):
    assert oc41_wire.php_empty(value) is empty


@pytest.mark.parametrize("warnings", [[], ["<b>Warning</b>: x"]])
def test_integral_floats_encode_as_php_integers(warnings):
    body = oc41_wire.json_or_prefixed({"price": 101.0, "vat": 20.445999999999998, "ids": ["40"]}, warnings)
    text = Response(body).encoded().decode("utf-8")
    assert text == "".join(warnings) + '{"price":101,"vat":20.445999999999998,"ids":["40"]}'
