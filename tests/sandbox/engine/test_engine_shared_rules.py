"""Rules the engine decides once for every front: shipping needs, session pricing context,
commission, stored records as posted ones, and extension settings cast once."""

from __future__ import annotations

import dataclasses

from ocdata.sandbox.engine import AddressIn, AddressRef, CustomerIn, Engine, LineIn, OrderIn, ShippingChoice
from ocdata.sandbox.extensions import installed, php_int, rate_table
from ocdata.sandbox.model import Affiliate, Extension, SubscriptionPlan

FLAT = ShippingChoice("flat.flat", "Flat Shipping Rate", 5.0, 9)
LONDON = AddressIn("Jane", "Doe", "", "1 Downing St", "", "London", "SW1A 2AA", 222, 3553)
MACBOOK = [LineIn(43, 1)]  # needs no shipping
IPHONE = [LineIn(40, 1)]


def test_a_cart_that_ships_nothing_gets_no_quote_no_shipping_total_and_keeps_no_shipping_in_orders(engine_for):
    engine = engine_for("rich")
    ctx = engine.default_context()
    macbook, iphone = engine.products(MACBOOK, ctx), engine.products(IPHONE, ctx)
    assert engine.shipping_gap(macbook, LONDON) == "no_shipping"
    assert engine.shipping_gap(iphone, None) == "address"
    assert engine.shipping_gap(iphone, LONDON) is None
    assert engine.shipping_methods(macbook, LONDON, ctx) == []
    assert [m.code for m in engine.shipping_methods(iphone, LONDON, ctx)] == ["flat", "weight", "item", "pickup"]
    assert "shipping" not in [t.code for t in engine.totals(macbook, ctx, shipping=FLAT)]
    assert "shipping" in [t.code for t in engine.totals(iphone, ctx, shipping=FLAT)]

    def placed(products):
        order = OrderIn(CustomerIn(0, 1, "Jane", "Doe", "jane@example.com"), products, [],
                        shipping_address=LONDON, shipping_method=FLAT, order_status_id=1)
        return engine.order(engine.create_order(order))

    assert (placed(macbook).shipping_address, placed(macbook).shipping_method) == (None, None)
    kept = placed(iphone)
    assert (kept.shipping_address.city, kept.shipping_method) == ("London", FLAT)


def test_session_context_stands_in_the_store_address_on_the_tax_default_side(engine_for):
    engine = engine_for("stock")  # config_tax_default = shipping, store in Lancashire (222/3563)
    store = engine.store_address()
    empty = engine.session_context(customer_group_id=None, shipping_address=None, payment_address=None)
    assert (empty.customer_group_id, empty.shipping_address, empty.payment_address) == (1, store, None)
    assert empty == engine.default_context()
    berlin = AddressRef(81, 1256)
    ctx = engine.session_context(customer_group_id=3, shipping_address=None, payment_address=berlin)
    assert (ctx.customer_group_id, ctx.shipping_address, ctx.payment_address) == (3, store, berlin)
    ctx = engine.session_context(customer_group_id=None, shipping_address=LONDON, payment_address=None)
    assert ctx.shipping_address == AddressRef(222, 3553)


def test_commission_is_the_affiliates_share_of_the_sub_total(stores):
    store = dataclasses.replace(
        stores["stock"], affiliates=(Affiliate(1, "Partner", 5.0), Affiliate(2, "Gone", 9.0, status=False))
    )
    engine = Engine(store)
    products = engine.products([LineIn(40, 2)], engine.default_context())
    assert engine.commission(1, products) == engine.sub_total(products) / 100 * 5.0 == 10.1
    assert [engine.commission(i, products) for i in (0, 2, 99)] == [None, None, None]


def test_stored_customer_and_address_become_posted_records_without_sharing_state(engine_for):
    engine = engine_for("stock")
    stored = engine.customer(1)
    customer = CustomerIn.of(stored)
    assert (customer.customer_id, customer.customer_group_id, customer.email) == (1, 1, "sub.tester@example.com")
    address = AddressIn.of(engine.customer_address(1, 1))
    assert (address.address_id, address.address_1, address.city, address.country_id, address.zone_id) == (
        1, "1 Piccadilly", "Manchester", 222, 3554)
    customer.custom_field["x"] = 1
    address.custom_field["y"] = 2
    assert stored.custom_field == {} and engine.customer_address(1, 1).custom_field == {}


def test_only_enabled_plans_and_the_products_own_options_are_found(stores):
    store = dataclasses.replace(
        stores["stock"],
        subscription_plans=(SubscriptionPlan(1, "Daily"), SubscriptionPlan(2, "Off", status=False)),
    )
    engine = Engine(store)
    assert engine.subscription_plan(1).name == "Daily"
    assert engine.subscription_plan(2) is None and engine.subscription_plan(9) is None
    assert engine.product_option(30, 226).type == "select"
    assert engine.option_value(30, 15).name == "Red"
    assert engine.product_option(40, 226) is None and engine.option_value(40, 15) is None


def test_weight_rate_tables_parse_like_php_explode():
    assert rate_table("1:4.00,5:8.00,10") == ((1.0, "4.00", 4.0), (5.0, "8.00", 8.0), (10.0, "", 0.0))
    assert rate_table("") == ((0.0, "", 0.0),)
    assert rate_table(" 2.5kg:3,x:1") == ((2.5, "3", 3.0), (0.0, "1", 1.0))


def test_settings_cast_once_like_php_and_enabled_extensions_run_in_stable_sort_order():
    assert [php_int(v) for v in ("9", "5.00", " 12abc", "1e3", "", "x", "1e999")] == [9, 5, 12, 1000, 0, 0, 0]
    exts = (
        Extension("flat", sort_order="3", settings={"cost": "5.00", "tax_class_id": "9"}),
        Extension("item", status=False, sort_order="1"),
        Extension("pickup", sort_order="2"),
        Extension("free", sort_order="3", settings={"total": "200"}),
    )
    ordered = installed(exts)
    assert [(e.code, e.sort_order) for e in ordered] == [("pickup", 2), ("flat", 3), ("free", 3)]
    flat = ordered[1]
    assert (flat.as_float("cost"), flat.as_int("tax_class_id"), flat.as_int("geo_zone_id")) == (5.0, 9, 0)
    assert (flat.raw("cost"), flat.raw("tax_class_id", "0"), flat.raw("geo_zone_id", "0")) == ("5.00", "9", "0")
