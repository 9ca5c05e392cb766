"""oc40 wire -> model parsing on recorded 4.0.2.3 answers (every recorded cart: ``test_session_versions.py``)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ocdata.client.dialects.parse import (
    cart_problems,
    flat_error_fields,
    parse_money_text,
    parse_payment_methods,
    parse_products,
    parse_shipping_methods,
    total_code,
    totals_wire,
)
from scenario import OC40

T = OC40.transcripts


def test_flat_rate_totals_s01_uk():
    ex = T[121]  # S01 UK, iPhone, flat.flat
    totals = totals_wire(ex.json["totals"], shipping_title="Flat Shipping Rate")
    assert [(t.code, t.title, t.value) for t in totals] == [
        ("sub_total", "Sub-Total", Decimal("101.00")),
        ("shipping", "Flat Shipping Rate", Decimal("5.00")),
        ("tax", "Eco Tax (-2.00)", Decimal("4.00")),
        ("tax", "VAT (20%)", Decimal("21.20")),
        ("total", "Total", Decimal("131.20")),
    ]


def test_free_shipping_line_and_thousands_separator_s04():
    totals = totals_wire(T[174].json["totals"], shipping_title="Free Shipping")
    assert totals[1].code == "shipping" and totals[1].value == Decimal("0.00")
    assert totals[-1].value == Decimal("1088.00") and totals[-1].text == "$1,088.00"


def test_euro_cart_symbol_right():
    totals = totals_wire(T[50].json["totals"])
    assert [t.value for t in totals] == [Decimal(v) for v in ("79.24", "1.57", "15.85", "96.66")]
    assert parse_products([T[50].json["products"][0]])[0].total_text == "96.66€"


@pytest.mark.parametrize(
    "shown,expected",
    [("$1,088.00", "1088.00"), ("96.66€", "96.66"), ("$-5.00", "-5.00"), ("-£0.50", "-0.50"), ("£12", "12.00"),
     ("1.234,56 €", None)],
)
def test_parse_money_text(shown, expected):
    if expected is None:  # a de-de style string read with en-gb separators must not silently give 1.23
        assert parse_money_text(shown, decimal_point=",", thousand_point=".") == Decimal("1234.56")
    else:
        assert parse_money_text(shown) == Decimal(expected)


def test_parse_money_text_rejects_text_without_digits():
    with pytest.raises(ValueError):
        parse_money_text("n/a")


def test_total_codes_of_core_extensions():
    titles = ["Sub-Total", "Reward Points (100)", "UK Shipping  (Weight: 5.29kg)", "Coupon (SAVE10)", "VAT (20%)",
              "Store Credit", "Gift Certificate (ABC)", "Total"]
    codes = [total_code(t, i, len(titles), "UK Shipping  (Weight: 5.29kg)") for i, t in enumerate(titles)]
    assert codes == ["sub_total", "reward", "shipping", "coupon", "tax", "credit", "voucher", "total"]


def test_options_and_html_escaped_names_s06():
    p = parse_products([T[199].json["products"][0]])[0]
    assert p.name == 'Apple Cinema 30"' and p.quantity == 2 and p.reward == 200
    assert p.price_text == "$135.20" and p.total_text == "$270.40"
    by_id = {o.product_option_id: o for o in p.options}
    assert by_id[220].name == "Date & Time" and by_id[220].value == "2026-12-01 10:00"
    assert by_id[217].product_option_value_id == 1 and by_id[217].value == "Green"
    assert by_id[208].product_option_value_id == 0 and by_id[208].type == "text"
    assert by_id[222].value == "spec.txt"  # 4.0 shows the uploaded file's name, not its code


def test_stock_problem_is_data_not_an_error():
    ex = T[106]
    assert cart_problems(ex.json["error"]) == (
        "Products marked with *** are not available in the desired quantity or not in stock!",)
    assert parse_products([ex.json["products"][0]])[0].in_stock is False


def test_shipping_methods_uk_s01():
    quotes = parse_shipping_methods(T[119].json["shipping_methods"])
    assert [(q.method_code, q.code, q.name, q.method_name, q.cost, q.tax_class_id, q.text, q.sort_order)
            for q in quotes] == [
        ("flat", "flat.flat", "Flat Shipping Rate", "Flat Rate", Decimal("5.00"), 9, "$8.00", 1),
        ("item", "item.item", "Per Item Shipping Rate", "Per Item", Decimal("2.50"), 9, "$5.00", 2),
        ("weight", "weight.weight_4", "UK Shipping  (Weight: 10.00kg)", "Weight Based Shipping",
         Decimal("11.00"), 9, "$15.20", 3),
    ]


def test_shipping_cost_types_vary_by_extension_s04():
    quotes = parse_shipping_methods(T[163].json["shipping_methods"])
    assert {q.code: q.cost for q in quotes}["free.free"] == Decimal("0.00")
    assert [q.code for q in quotes] == ["flat.flat", "item.item", "weight.weight_4", "free.free"]


def test_payment_methods_nest_options():
    methods = parse_payment_methods(T[14].json["payment_methods"])
    assert [(m.code, m.name, m.method_code, m.sort_order) for m in methods] == [
        ("bank_transfer.bank_transfer", "Bank Transfer", "bank_transfer", 2),
        ("cod.cod", "Cash On Delivery", "cod", 5),
    ]
    assert [m.code for m in parse_payment_methods(T[265].json["payment_methods"])] == ["bank_transfer.bank_transfer"]


def test_error_fields_flatten():
    assert flat_error_fields(T[61].json["error"])["option_220"] == "Date & Time required!"
    assert flat_error_fields("Warning: Comment required!", default_key="comment") == {
        "comment": "Warning: Comment required!"}
    assert flat_error_fields({"option": {"218": "Radio required!"}, "minimum": ["a", "b"]}) == {
        "option_218": "Radio required!", "minimum": "a; b"}
