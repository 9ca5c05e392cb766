"""Normalisation of store answers: money, text, order, raw without secrets."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ocdata.client.dialects.base import decimals_from_text
from ocdata.client.dialects.parse import (
    decode_json,
    parse_country,
    parse_payment_methods,
    parse_products,
    parse_shipping_methods,
    parse_totals,
    scrub,
    totals_wire,
)
from ocdata.client.errors import ProtocolError
from ocdata.client.models import Address, CartLine, Customer, OrderDraft, ShippingQuote, money


@pytest.mark.parametrize("raw,decimals,expected", [
    (57.599999999999994, 2, "57.60"), ("5.00", 2, "5.00"), (0, 2, "0.00"), (587.988, 2, "587.99"),
    (2.675, 2, "2.68"), ("1088", 0, "1088"), (1.0005, 3, "1.001"),
    # a real 4.1.0.4 store's tax lines (CA, weight-based shipping) whose checkout showed 53.30 and 45.05:
    # PHP's round() keeps 15 significant digits first
    (53.294999999999995, 2, "53.30"), (45.044999999999995, 2, "45.05"), (0.285, 2, "0.29"),
    (1.0049999999999, 2, "1.00"), ("53.2949", 2, "53.29"),
])
def test_money_rounds_half_up_to_the_currency_decimals(raw, decimals, expected):
    assert money(raw, decimals) == Decimal(expected)
    assert str(money(raw, decimals)) == expected


@pytest.mark.parametrize("formatted,decimals", [("$1,088.00", 2), ("96.66€", 2), ("¥1,088", 0), ("1.088,50 €", 2),
                                                ("£5", 0), ("$1,234,567.891", 3)])
def test_currency_decimals_are_read_from_formatted_totals(formatted, decimals):
    assert decimals_from_text(formatted) == decimals


def test_products_are_unescaped_typed_and_in_draft_order():
    raw = [
        {"product_id": "40", "name": "iPhone", "quantity": "1", "price": 101, "total": 101, "option": []},
        {"product_id": "42", "name": "Apple Cinema 30&quot;", "quantity": "2", "price": 122.99999, "total": "245.99998",
         "option": [{"product_option_id": 223, "product_option_value_id": "9", "name": "Checkbox", "value": "b"},
                    {"product_option_id": 208, "product_option_value_id": "0", "name": "Date &amp; Time", "value": "x"}]},
    ]
    parsed = parse_products(raw, 2, order=[42, 40])
    assert [p.product_id for p in parsed] == [42, 40]
    cinema = parsed[0]
    assert cinema.name == 'Apple Cinema 30"' and cinema.price == Decimal("123.00") and cinema.quantity == 2
    assert [o.product_option_id for o in cinema.options] == [208, 223] and cinema.options[0].name == "Date & Time"
    assert cinema.raw is raw[1] and "raw" not in repr(cinema)
    assert parse_products(list(reversed(raw)), 2) == parse_products(raw, 2)  # stable without a draft order


def test_totals_title_or_name_and_missing_codes():
    raw = [{"title": "Total", "value": 10.004, "sort_order": 9}, {"name": "Sub-Total", "value": "9.00", "sort_order": 1},
           {"title": "VAT (20%)", "value": 1, "sort_order": 5, "code": "tax"}]
    totals = parse_totals(raw, 2)
    assert [(t.code, t.title, t.value) for t in totals] == [
        ("sub_total", "Sub-Total", Decimal("9.00")), ("tax", "VAT (20%)", Decimal("1.00")), ("total", "Total", Decimal("10.00"))]


def test_totals_without_codes_are_inferred_from_titles_and_positions():
    """4.0, 3.0 and the seed file send no codes; the same rules name every core extension."""
    rows = [("Sub-Total", 100), ("Flat Shipping Rate", 5), ("Handling Fee", 2), ("Low Order Fee", 1),
            ("Coupon (SAVE10)", -10), ("Reward Points (50)", -1), ("VAT (20%)", 19.4), ("Total", 116.4)]
    raw = [{"title": title, "text": f"${value:.2f}", "value": value} for title, value in rows]
    totals = totals_wire(raw, shipping_title="Flat Shipping Rate")
    assert [t.code for t in totals] == ["sub_total", "shipping", "handling", "low_order_fee", "coupon", "reward", "tax",
                                        "total"]
    assert [t.value for t in totals] == [Decimal(f"{v:.2f}") for _, v in rows]
    as_text = totals_wire([{"title": r["title"], "text": r["text"]} for r in raw], shipping_title="Flat Shipping Rate")
    assert [(t.code, t.value) for t in as_text] == [(t.code, t.value) for t in totals]


def test_shipping_methods_object_or_list_flattened_and_sorted():
    as_object = {
        "pickup": {"code": "pickup", "name": "Pickup", "sort_order": "5", "error": False,
                   "quote": {"pickup": {"code": "pickup.pickup", "name": "Pickup From Store", "cost": 0, "tax_class_id": 0,
                                        "text": "$0.00"}}},
        "flat": {"code": "flat", "title": "Flat Rate", "sort_order": "1", "error": "",
                 "quote": {"flat": {"code": "flat.flat", "title": "Flat Shipping Rate", "cost": "5.00",
                                    "tax_class_id": "9", "text": "$8.00"}}},
        "broken": {"code": "broken", "name": "X", "sort_order": "0", "error": "Weight too high", "quote": {}},
    }
    quotes = parse_shipping_methods(as_object)
    assert [q.code for q in quotes] == ["flat.flat", "pickup.pickup"]
    assert quotes[0].method_name == "Flat Rate" and quotes[0].name == "Flat Shipping Rate"
    assert quotes[0].cost == Decimal("5.00") and quotes[0].tax_class_id == 9 and quotes[1].cost == Decimal("0.00")
    assert parse_shipping_methods(list(as_object.values())) == quotes


def test_shipping_methods_reporting_an_error_are_recorded_as_warnings():
    methods = {
        "flat": {"code": "flat", "name": "Flat Rate", "sort_order": "1", "error": False,
                 "quote": {"flat": {"code": "flat.flat", "name": "Flat Shipping Rate", "cost": "5.00"}}},
        "ups": {"title": "UPS &amp; Co", "sort_order": "2", "error": "No rate for zone &quot;CA&quot;", "quote": {}},
        "fedex": {"sort_order": "3", "error": "Service unavailable"},
    }
    problems: list[str] = []
    quotes = parse_shipping_methods(methods, problems=problems)
    assert [q.code for q in quotes] == ["flat.flat"]
    assert problems == ['shipping method UPS & Co: No rate for zone "CA"', "shipping method fedex: Service unavailable"]
    listed: list[str] = []
    assert parse_shipping_methods(list(methods.values()), problems=listed) == quotes
    assert listed[0] == problems[0] and len(listed) == 2


def test_raise_for_error_flattens_nested_and_string_errors():
    from ocdata.client.credentials import Credentials, Secret
    from ocdata.client.dialects.base import DialectConfig
    from ocdata.client.dialects.spec import Spec
    from ocdata.client.errors import NotFoundError, ValidationError
    from ocdata.client.transport import Transport

    dialect = Spec(DialectConfig(base_url="http://shop.invalid/index.php",
                                 credentials=Credentials(url="http://shop.invalid/", username="u", key=Secret("k"))),
                   Transport(retries=0))
    with pytest.raises(ValidationError) as err:
        dialect.raise_for_error({"error": {"option": {"218": "Radio required!", "220": "Date &amp; Time required!"},
                                           "minimum": ["a", "b"]}}, "cart")
    assert err.value.fields == {"option_218": "Radio required!", "option_220": "Date & Time required!",
                                "minimum": "a; b"}
    with pytest.raises(ValidationError) as err:
        dialect.raise_for_error({"error": "Warning: Comment required!"}, "confirm", default_key="comment")
    assert err.value.fields == {"comment": "Warning: Comment required!"}
    with pytest.raises(NotFoundError):
        dialect.raise_for_error({"error": {"warning": "Warning: Product could not be found!"}}, "cart")
    dialect.raise_for_error({"error": "", "success": "ok"}, "cart")  # no refusal: nothing raised


def test_payment_methods_nested_options_or_flat():
    nested = {"cod": {"code": "cod", "name": "Cash On Delivery", "sort_order": "5",
                      "option": {"cod": {"code": "cod.cod", "name": "Cash On Delivery"}}}}
    flat = [{"code": "bank_transfer", "title": "Bank Transfer", "sort_order": 2}]
    assert [(p.code, p.method_code) for p in parse_payment_methods(nested)] == [("cod.cod", "cod")]
    assert [(p.code, p.name) for p in parse_payment_methods(flat)] == [("bank_transfer", "Bank Transfer")]


def test_php_notice_prefix_is_parsed_with_a_warning_and_html_is_refused():
    seen = []
    body = '<b>Notice</b>: Undefined index: x in <b>/srv/a/cart.php</b> on line <b>9</b>{"ok":1}'
    assert decode_json(body, warn=seen.append, dialect="d", call="c") == {"ok": 1}
    assert "Undefined index: x (cart.php line 9)" in seen[0]
    with pytest.raises(ProtocolError) as err:
        decode_json("<html><body>Not found api_token=abcdef</body></html>", warn=seen.append, dialect="d", call="c")
    assert "abcdef" not in str(err.value) and "index.php" in str(err.value)


def test_country_answer_and_unknown_id():
    raw = {"country_id": "223", "name": "United States", "iso_code_2": "US", "iso_code_3": "USA",
           "postcode_required": "0", "status": "1", "address_format_id": "2",
           "zone": [{"zone_id": "3624", "country_id": "223", "code": "CA", "status": "1", "name": "California"},
                    {"zone_id": "3613", "country_id": "223", "code": "AL", "status": "1", "name": "Alabama"}]}
    country = parse_country(raw)
    assert country.country_id == 223 and [z.zone_id for z in country.zones] == [3613, 3624]
    assert country.zone("california").zone_id == 3624 and country.zone("ca").zone_id == 3624
    assert parse_country([]) is None


def test_scrub_removes_tokens_from_raw_answers():
    raw = {"success": "ok", "api_token": "abc", "nested": [{"token": "t"}, {"name": "x"}]}
    assert scrub(raw) == {"success": "ok", "api_token": "********", "nested": [{"token": "********"}, {"name": "x"}]}
    assert raw["api_token"] == "abc" and raw["nested"][0] == {"token": "t"}  # the answer itself is left alone
    clean = {"products": [{"name": "iPhone", "option": []}], "totals": [{"title": "Total"}]}
    assert scrub(clean) is clean  # nothing secret: no copy of every cart answer


def test_drafts_are_frozen_and_addresses_need_a_country():
    d = OrderDraft(customer=Customer(firstname="A", lastname="B", email="a@b.c"), lines=(CartLine(product_id=1),))
    with pytest.raises(Exception):
        d.comment = "x"
    with pytest.raises(ValueError, match="country"):
        Address(city="Nowhere")
    assert not Address(country="US", zone="CA").resolved and Address(country_id=223, zone_id=3624).resolved
    q = ShippingQuote(method_code="flat", code="flat.flat", name="Flat", cost=Decimal("5.00"))
    assert d.with_shipping(q).shipping_code == "flat.flat" and d.with_shipping("item.item").shipping_code == "item.item"
