"""Carts with the demo products no transcript priced: 32 iPod Touch, 34 iPod Shuffle,
36 iPod Nano, 41 iMac, 44 MacBook Air, 46 Sony VAIO (``*/demo-data/product.csv``).

Expectations are worked out by hand from the CSV rows and OpenCart's pricing rules
(``system/library/cart/cart.php``, ``tax.php`` of each release):

* a line's unit price is the product price + its option price deltas, then the customer
  group's price row (4.1: F fixed, S subtract, P percent of base + options, row with the
  largest quantity <= the cart quantity; 3.0/4.0: a special replaces any quantity break);
* weight = (product + option weight deltas) x quantity, only lines whose product ships;
* 4.1 charges a fixed-amount tax rate once per line, 3.0/4.0 once per unit; VAT 20 % and
  Eco Tax 2.00 apply in the UK VAT zone to the groups listed on the rate.

All six are tax class 9, 100.00 (32/34/36/41) or 1000.00 (44/46), 5 kg (32/34/36/41) or
0 kg; 36 needs no shipping and costs 100 points; 44 earns 700 reward points (group 1).
"""

from __future__ import annotations

import pytest

from ocdata.sandbox.engine import AddressIn, Engine, LineIn, ShippingChoice
from ocdata.sandbox.storefile import loads_store

LONDON = AddressIn("Jane", "Doe", "", "1 Downing St", "", "London", "SW1A 2AA", 222, 3553)
NEW_YORK = AddressIn("Jane", "Doe", "", "1 Broadway", "", "New York", "10004", 223, 3655)
BERLIN = AddressIn("Jane", "Doe", "", "Unter den Linden 1", "", "Berlin", "10117", 81, 1256)
FLAT = ShippingChoice("flat.flat", "Flat Shipping Rate", 5.0, 9)

NEW_PRODUCTS = [LineIn(32, 2), LineIn(34, 1), LineIn(36, 1), LineIn(41, 1), LineIn(44, 1), LineIn(46, 1)]


def _totals(engine, products, ctx, shipping=None):
    return [(t.code, t.title, round(t.value, 4)) for t in engine.totals(products, ctx, shipping=shipping)]


def _quotes(engine, products, address, ctx):
    return {q.code: round(q.cost, 2) for m in engine.shipping_methods(products, address, ctx) for q in m.quotes}


def test_the_six_new_products_price_tax_and_ship_on_the_rich_4_1_store(engine_for):
    engine = engine_for("rich")
    ctx = engine.session_context(customer_group_id=1, shipping_address=LONDON, payment_address=LONDON)
    products = engine.products(NEW_PRODUCTS, ctx)
    assert [(p.product_id, p.price, p.total, p.reward, p.points, p.shipping) for p in products] == [
        (32, 100.0, 200.0, 0, 0, True),
        (34, 100.0, 100.0, 0, 0, True),
        (36, 100.0, 100.0, 0, 100, False),  # iPod Nano: 100 points, needs no shipping
        (41, 100.0, 100.0, 0, 0, True),
        (44, 1000.0, 1000.0, 700, 0, True),  # MacBook Air earns 700 points for group 1
        (46, 1000.0, 1000.0, 0, 0, True),
    ]
    assert engine.cart_errors(products, check_minimum=True) == {}
    # 5 kg x (2 + 1 + 1) shipping lines; the iPod Nano's 5 kg does not ship; 44/46 weigh 0
    assert engine.cart_weight(products) == 20.0
    # UK: weight table 4 (20 kg -> 30.00), 2.50 x 6 shipped units, free over 200.00
    assert _quotes(engine, products, LONDON, ctx) == {
        "flat.flat": 5.0, "weight.weight_4": 30.0, "item.item": 15.0, "free.free": 0.0, "pickup.pickup": 0.0}
    # 4.1: VAT 20 % of every line and the shipping; Eco Tax 2.00 once per line (6) and on shipping
    assert _totals(engine, products, ctx, FLAT) == [
        ("sub_total", "Sub-Total", 2500.0),
        ("shipping", "Flat Shipping Rate", 5.0),
        ("tax", "Eco Tax (-2.00)", 14.0),
        ("tax", "VAT (20%)", 501.0),
        ("total", "Total", 3020.0),
    ]
    assert engine.reward_points(products) == 700


def test_new_products_outside_the_uk_and_for_untaxed_groups(engine_for):
    engine = engine_for("rich")
    ny = engine.session_context(customer_group_id=1, shipping_address=NEW_YORK, payment_address=NEW_YORK)
    products = engine.products(NEW_PRODUCTS, ny)
    # US: weight table 5 (20 kg -> 45.00), no free shipping (UK only); no UK taxes, no CA tax in NY
    assert _quotes(engine, products, NEW_YORK, ny) == {
        "flat.flat": 5.0, "weight.weight_5": 45.0, "item.item": 15.0, "pickup.pickup": 0.0}
    assert _totals(engine, products, ny, FLAT)[-1] == ("total", "Total", 2505.0)
    retail = engine.session_context(customer_group_id=2, shipping_address=LONDON, payment_address=LONDON)
    products = engine.products(NEW_PRODUCTS, retail)
    # Retail (2) is on no tax rate and has no reward points
    assert engine.reward_points(products) == 0
    assert _totals(engine, products, retail, FLAT) == [
        ("sub_total", "Sub-Total", 2500.0), ("shipping", "Flat Shipping Rate", 5.0), ("total", "Total", 2505.0)]


def test_new_products_next_to_options_specials_and_breaks_on_the_classic_4_0_store(engine_for):
    engine = engine_for("oc40")
    ctx = engine.session_context(customer_group_id=1, shipping_address=LONDON, payment_address=LONDON)
    cinema = {  # product 42: every option is required; Small +10 / +10 kg, Red +4 / +4 kg, Checkbox 1 +10 / +10 kg
        218: "5", 217: "4", 223: ["8"], 208: "text", 209: "area", 222: "code", 219: "2011-02-20",
        220: "2011-02-20 22:25", 221: "22:25"}
    products = engine.products([LineIn(41, 3), LineIn(42, 2, cinema)], ctx)
    imac, cinema_line = products
    assert (imac.price, imac.total, imac.weight) == (100.0, 300.0, 15.0)
    # 4.0: the group-1 special 90.00 replaces the 100.00 base (no break below 10), options added
    assert (cinema_line.price, cinema_line.total, cinema_line.weight) == (114.0, 228.0, 73.0)
    assert engine.cart_weight(products) == 88.0
    assert _quotes(engine, products, LONDON, ctx)["weight.weight_4"] == 30.0  # 88 kg <= 100
    # 4.0 charges the fixed Eco Tax per unit: 2.00 x (3 + 2) + 2.00 on the shipping
    assert _totals(engine, products, ctx, FLAT) == [
        ("sub_total", "Sub-Total", 528.0),
        ("shipping", "Flat Shipping Rate", 5.0),
        ("tax", "Eco Tax (-2.00)", 12.0),
        ("tax", "VAT (20%)", 106.6),
        ("total", "Total", 651.6),
    ]
    # ten Cinemas: the 88.00 break applies first, then the 90.00 special still replaces it
    (ten,) = engine.products([LineIn(42, 10, cinema)], ctx)
    assert ten.price == 114.0
    # Wholesale (group 2) in 4.0: the iPhone special 85.00 next to an untouched iPod Touch
    wholesale = engine.session_context(customer_group_id=2, shipping_address=LONDON, payment_address=LONDON)
    touch, iphone = engine.products([LineIn(32, 1), LineIn(40, 1)], wholesale)
    assert (touch.price, iphone.price) == (100.0, 85.0)


def test_a_store_file_gives_new_products_options_group_prices_and_another_tax_class(tmp_path):
    """What an analyst writes on top of ``rich``: products merge over the demo catalogue."""
    store = loads_store(
        """
extends: rich
key: what-if
products:
  - product_id: 41                       # an iMac size that is cheaper and lighter
    options:
      - product_option_id: 900
        option_id: 11
        name: Size
        type: select
        required: true
        values:
          - {product_option_value_id: 900, option_value_id: 46, name: Small, quantity: 5, subtract: true,
             price: 20.0, price_prefix: "-", weight: 1.5, weight_prefix: "-"}
          - {product_option_value_id: 901, option_value_id: 48, name: Large, quantity: 5, subtract: true,
             price: 30.0, weight: 2.0}
  - product_id: 44                       # Wholesale: 100.00 off, 15 % off from 3
    discounts:
      - {product_discount_id: 900, customer_group_id: 3, quantity: 1, priority: 1, price: 100.0, type: S, special: true}
      - {product_discount_id: 901, customer_group_id: 3, quantity: 3, priority: 1, price: 15.0, type: P}
  - {product_id: 46, tax_class_id: 10}   # sold as a download: Eco Tax by store, VAT by payment address
""",
        key="what-if",
        base_dir=tmp_path,
    )
    engine = Engine(store)
    ctx = engine.session_context(customer_group_id=3, shipping_address=LONDON, payment_address=LONDON)
    small, large = engine.products([LineIn(41, 1, {900: "900"}), LineIn(41, 2, {900: "901"})], ctx)
    assert (small.price, small.weight, large.price, large.total, large.weight) == (80.0, 3.5, 130.0, 260.0, 14.0)
    assert engine.catalog.check_line(LineIn(41, 1), ctx) == {"option_900": "Size required!"}
    (one,) = engine.products([LineIn(44, 1)], ctx)
    (three,) = engine.products([LineIn(44, 3)], ctx)
    assert (one.price, three.price, three.total) == (900.0, 850.0, 2550.0)
    default = engine.session_context(customer_group_id=1, shipping_address=LONDON, payment_address=LONDON)
    assert engine.products([LineIn(44, 3)], default)[0].price == 1000.0  # the rows are Wholesale's only
    # tax class 10: Eco Tax on the store address (UK) always, VAT only for a UK payment address
    berlin = engine.session_context(customer_group_id=1, shipping_address=BERLIN, payment_address=BERLIN)
    vaio = engine.products([LineIn(46, 1)], berlin)
    assert _totals(engine, vaio, berlin) == [
        ("sub_total", "Sub-Total", 1000.0), ("tax", "Eco Tax (-2.00)", 2.0), ("total", "Total", 1002.0)]
    paid_in_london = engine.session_context(customer_group_id=1, shipping_address=BERLIN, payment_address=LONDON)
    vaio = engine.products([LineIn(46, 1)], paid_in_london)
    assert _totals(engine, vaio, paid_in_london)[-1] == ("total", "Total", 1202.0)


@pytest.mark.parametrize("store", ["stock", "oc40", "oc30"])
def test_every_store_sells_the_new_products_within_their_stock(store, engine_for):
    engine = engine_for(store)
    ctx = engine.default_context()
    stock = {32: 999, 34: 1000, 36: 994, 41: 977, 44: 1000, 46: 1000}  # product.csv quantities
    for product_id, quantity in stock.items():
        (line,) = engine.products([LineIn(product_id, quantity)], ctx)
        assert engine.cart_errors([line], check_minimum=True) == {}
        (over,) = engine.products([LineIn(product_id, quantity + 1)], ctx)
        assert engine.cart_errors([over], check_minimum=True) == {
            0: {"product": "Product not available in the desired quantity or not in stock!"}}
