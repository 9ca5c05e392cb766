"""Orders: ids, status history, edit semantics, stock movement and thread safety."""

from __future__ import annotations

import threading

from ocdata.sandbox.engine import AddressIn, CustomerIn, LineIn, OrderIn, PaymentChoice, ShippingChoice

FLAT = ShippingChoice("flat.flat", "Flat Shipping Rate", 5.0, 9)
COD = PaymentChoice("cod.cod", "Cash On Delivery")
LONDON = AddressIn("Jane", "Doe", "", "1 Downing St", "", "London", "SW1A 2AA", 222, 3553)


def _order(engine, lines, status, comment=""):
    ctx = engine.default_context()
    products = engine.products(lines, ctx)
    totals = engine.totals(products, ctx, shipping=FLAT)
    return OrderIn(
        customer=CustomerIn(0, 1, "Jane", "Doe", "jane@example.com"), products=products, totals=totals,
        payment_address=LONDON, shipping_address=LONDON, shipping_method=FLAT, payment_method=COD,
        comment=comment, order_status_id=status, ip="127.0.0.1",
    )


CANON_RED = [LineIn(30, 2, {226: "15"})]  # product 30 (stock 7) option value 15 (stock 2), both subtract


def test_create_takes_next_id_and_subtracts_stock_for_processing(engine_for):
    engine = engine_for("stock")
    first = engine.create_order(_order(engine, CANON_RED, 1, "first"))
    second = engine.create_order(_order(engine, [LineIn(40, 1)], 0))
    assert (first, second) == (4, 5)  # the stock store's next_order_id is 4
    assert (engine.stock(30), engine.option_stock(15)) == (5, 0)
    assert engine.stock(40) == 968  # status 0: a "missing order", no stock change
    order = engine.order(first)
    assert (order.order_status_id, order.comment, order.total) == (1, "first", 250.0)
    assert [h.order_status_id for h in order.history] == [1]
    assert engine.order(999) is None


def test_cart_sees_the_subtracted_stock(engine_for):
    engine = engine_for("stock")
    engine.create_order(_order(engine, CANON_RED, 2))
    products = engine.products(CANON_RED, engine.default_context())
    assert engine.cart_errors(products, check_minimum=False) == {
        0: {"option_226": "Option not available in the desired quantity or not in stock!"}
    }


def test_history_restocks_when_leaving_processing(engine_for):
    engine = engine_for("stock")
    order_id = engine.create_order(_order(engine, CANON_RED, 2))
    assert engine.add_history(order_id, 7, "cancelled", notify=True)  # Canceled: not processing/complete
    assert (engine.stock(30), engine.option_stock(15)) == (7, 2)
    assert engine.add_history(order_id, 5)  # Complete: subtract again
    assert engine.stock(30) == 5
    assert engine.add_history(order_id, 3)  # Shipped -> still active, no second subtraction
    assert engine.stock(30) == 5
    history = engine.order(order_id).history
    assert [(h.order_status_id, h.comment, h.notify) for h in history] == [
        (2, "", False), (7, "cancelled", True), (5, "", False), (3, "", False)]
    assert engine.add_history(12345, 1) is False


def test_non_subtracting_product_keeps_stock(engine_for):
    engine = engine_for("stock")
    engine.create_order(_order(engine, [LineIn(47, 3, {225: "2011-04-22"})], 2))  # HP LP3065 subtract=0
    assert engine.stock(47) == 1000


def test_edit_voids_first_then_applies_new_status(engine_for):
    """4.1 confirm on an existing order: history 1 -> 2 -> 16 -> 2, stock taken once."""
    engine = engine_for("stock")
    order_id = engine.create_order(_order(engine, [LineIn(40, 1)], 2, "keep me"))
    assert engine.stock(40) == 967
    assert engine.edit_order(order_id, _order(engine, [LineIn(40, 1)], 2))
    order = engine.order(order_id)
    assert [h.order_status_id for h in order.history] == [2, 16, 2]
    assert order.history[1].notify is True
    assert order.comment == ""  # fields not re-sent are overwritten
    assert engine.stock(40) == 967
    assert engine.edit_order(99999, _order(engine, [LineIn(40, 1)], 1)) is False
    assert engine.order(99999) is None


def test_edit_of_status_zero_order_adds_no_void(engine_for):
    engine = engine_for("stock")
    order_id = engine.create_order(_order(engine, [LineIn(33, 1)], 0))
    engine.edit_order(order_id, _order(engine, [LineIn(33, 2)], 1))
    order = engine.order(order_id)
    assert [h.order_status_id for h in order.history] == [0, 1]
    assert order.products[0].quantity == 2 and engine.stock(33) == 997


def test_snapshots_do_not_leak_state(engine_for):
    engine = engine_for("stock")
    order_id = engine.create_order(_order(engine, [LineIn(40, 1)], 1))
    snapshot = engine.order(order_id)
    snapshot.history.clear()
    snapshot.order_status_id = 99
    assert engine.order(order_id).order_status_id == 1 and len(engine.order(order_id).history) == 1


def test_many_threads_create_unique_increasing_ids_and_consistent_stock(engine_for):
    engine = engine_for("stock")
    template = _order(engine, [LineIn(48, 1)], 2)
    ids: list[int] = []
    lock = threading.Lock()

    def worker():
        mine = [engine.create_order(template) for _ in range(25)]
        assert mine == sorted(mine)
        with lock:
            ids.extend(mine)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(ids) == list(range(4, 4 + 200))
    assert engine.stock(48) == 995 - 200
    assert [o.order_id for o in engine.orders()] == list(range(4, 204))
