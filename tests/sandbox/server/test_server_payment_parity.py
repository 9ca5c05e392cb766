"""Payment availability is the engine's decision, the same on every front.

A cart that ships nothing (only a MacBook, 43) needs no shipping address or method: a real
4.1 store offers it the payment methods that need no shipping (bank transfer; cheque for a
UK payment address) and never cash on delivery. Both fronts must answer that, through the
client as an analyst uses it and on the wire.
"""

from __future__ import annotations

import pytest
from conftest import SpecClient

from ocdata import Address, CartLine, Customer, OrderDraft, connect
from ocdata.sandbox.engine import AddressIn, LineIn, ShippingChoice

WEST_YORKSHIRE = Address(firstname="Ann", lastname="Lee", address_1="1 Park Row", city="Leeds",
                         postcode="LS1 5HD", country="GB", zone="YSW")
NEW_YORK = Address(firstname="Ann", lastname="Lee", address_1="1 Broadway", city="New York",
                   postcode="10004", country="US", zone="NY")
# oc41's one-off pricing warning is not what these tests are about
pytestmark = pytest.mark.filterwarnings("ignore:oc41 pricing='api'")

ANN = Customer(firstname="Ann", lastname="Lee", email="ann@example.com", customer_group_id=1)


def _draft(lines, address):
    return OrderDraft(customer=ANN, lines=lines, shipping_address=address, payment_address=address)


@pytest.mark.parametrize("dialect", ["spec", "oc41"])
@pytest.mark.parametrize("address,offered", [
    (WEST_YORKSHIRE, ["bank_transfer.bank_transfer", "cheque.cheque"]),
    (NEW_YORK, ["bank_transfer.bank_transfer"]),  # cheque is for UK payment addresses only
])
def test_a_cart_that_ships_nothing_is_offered_the_methods_that_need_no_shipping(rich_sandbox, dialect, address,
                                                                                  offered):
    store = connect(rich_sandbox.url, rich_sandbox.username, rich_sandbox.key, dialect=dialect)
    quote = store.quote(_draft([CartLine(product_id=43, quantity=1)], address))
    assert quote.shipping_required is False and quote.options == () and quote.shipping_error is None
    assert [m.code for m in quote.payment_methods] == offered
    assert [m.code for m in store.payment_methods(_draft([CartLine(product_id=43, quantity=1)], address))] == offered


@pytest.mark.parametrize("dialect", ["spec", "oc41"])
def test_a_cart_that_ships_gets_cod_with_its_shipping_quotes(rich_sandbox, dialect):
    store = connect(rich_sandbox.url, rich_sandbox.username, rich_sandbox.key, dialect=dialect)
    quote = store.quote(_draft([CartLine(product_id=40, quantity=1)], WEST_YORKSHIRE))
    flat = next(o for o in quote.options if o.quote.code == "flat.flat")
    assert [m.code for m in flat.payment_methods] == ["bank_transfer.bank_transfer", "cheque.cheque", "cod.cod"]


def test_spec_wire_says_what_ships_and_lists_payment_without_shipping_steps(rich_sandbox, openapi):
    client = SpecClient(rich_sandbox)
    leeds = {"firstname": "Ann", "lastname": "Lee", "address_1": "1 Park Row", "city": "Leeds",
             "postcode": "LS1 5HD", "country_id": "222", "zone_id": "3608"}
    client.post("api/customer", {"firstname": "Ann", "lastname": "Lee", "email": "ann@example.com",
                                 "telephone": "0123", "customer_group_id": "1"})
    client.post("api/cart", {"product[0][product_id]": "43", "product[0][quantity]": "1",
                             "product[1][product_id]": "35", "product[1][quantity]": "1", "product[1][option][224]": "13"})
    products = client.get("api/cart/getProducts").json()
    openapi.check("/cart/getProducts", "get", 200, products)
    assert [(p["product_id"], p["shipping"]) for p in products["products"]] == [(35, False), (43, False)]
    # the payment address is required in this store; no shipping address or method is
    assert client.get("api/payment_method/getPaymentMethods").json() == {"error": "Warning: Payment address required!"}
    client.post("api/payment_address", {f"payment_{k}": v for k, v in leeds.items()})
    methods = client.get("api/payment_method/getPaymentMethods").json()
    openapi.check("/payment_method/getPaymentMethods", "get", 200, methods)
    assert [m["code"] for m in methods["payment_methods"]] == ["bank_transfer.bank_transfer", "cheque.cheque"]


def test_engine_payment_gaps_skip_shipping_for_a_cart_that_ships_nothing(rich_sandbox):
    engine = rich_sandbox.engine
    leeds = AddressIn("Ann", "Lee", "", "1 Park Row", "", "Leeds", "LS1 5HD", 222, 3608)
    ctx = engine.default_context()
    macbook, iphone = engine.products([LineIn(43, 1)], ctx), engine.products([LineIn(40, 1)], ctx)
    gaps = dict(customer=True, payment_address=leeds, shipping_address=None, shipping_method=None)
    assert engine.payment_gaps(macbook, **gaps) == ()
    assert engine.payment_gaps(iphone, **gaps) == ("shipping_address", "shipping_method")
    assert engine.payment_gaps(iphone, customer=False, payment_address=None, shipping_address=leeds,
                               shipping_method=ShippingChoice("flat.flat", "Flat", 5.0, 9)) == (
        "customer", "payment_address")
    totals = engine.totals(macbook, ctx, shipping=None)
    offered = engine.payment_methods(macbook, totals, payment_address=leeds, shipping=None, ctx=ctx)
    assert [m.code for m in offered] == ["bank_transfer", "cheque"]
