"""oc30 wire -> model parsing on recorded 3.0.4.1 answers (every recorded cart: ``test_session_versions.py``)."""

from __future__ import annotations

from decimal import Decimal

from ocdata.client.dialects.parse import (
    cart_problems,
    flat_error_fields,
    parse_payment_methods,
    parse_products,
    parse_shipping_methods,
)
from scenario import OC30

T = OC30.transcripts


def test_there_are_many_cart_answers():
    assert len(OC30.cart_answers()) > 60


def test_shipping_methods_use_title_and_group_key():
    quotes = parse_shipping_methods(T[15].json["shipping_methods"])
    assert [(q.method_code, q.code, q.name, q.method_name, q.cost, q.text) for q in quotes] == [
        ("flat", "flat.flat", "Flat Shipping Rate", "Flat Rate", Decimal("5.00"), "$8.00"),
        ("item", "item.item", "Per Item Shipping Rate", "Per Item", Decimal("7.50"), "$11.00"),
        ("weight", "weight.weight_4", "UK Shipping  (Weight: 10.29kg)", "Weight Based Shipping",
         Decimal("16.00"), "$21.20"),
    ]


def test_no_shippable_products_is_an_empty_array():
    assert T[283].json == {"shipping_methods": []}
    assert parse_shipping_methods(T[283].json["shipping_methods"]) == ()


def test_payment_methods_are_flat_with_bare_codes():
    methods = parse_payment_methods(T[17].json["payment_methods"])
    assert [(m.code, m.name, m.method_code, m.sort_order) for m in methods] == [
        ("bank_transfer", "Bank Transfer", "bank_transfer", 2), ("cod", "Cash On Delivery", "cod", 5)]
    assert [m.code for m in parse_payment_methods(T[284].json["payment_methods"])] == ["bank_transfer"]


def test_option_ids_are_strings_and_file_shows_the_code():
    p = parse_products([T[131].json["products"][0]])[0]
    by_id = {o.product_option_id: o for o in p.options}
    assert by_id[217].product_option_value_id == 1 and by_id[220].name == "Date & Time"
    assert by_id[222].value == "dce60071dc9afe8d804c26bee9e7420c99d9d3a1"
    assert p.name == 'Apple Cinema 30"' and p.shipping is True


def test_minimum_problem_is_a_list():
    assert cart_problems(T[131].json["error"]) == ('Minimum order amount for Apple Cinema 30" is 2!',)


def test_required_options_nested_object_flattens_to_4x_keys():
    fields = flat_error_fields(T[68].json["error"])
    assert fields["option_218"] == "Radio required!" and fields["option_220"] == "Date & Time required!"
    assert len(fields) == 9
