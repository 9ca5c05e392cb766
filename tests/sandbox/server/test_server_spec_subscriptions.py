"""``/subscription`` and affiliates in the spec dialect, on a store where product 33 has a
subscription plan, customer 1 is an affiliate and customer 2 a disabled one (the built-in
stores have neither)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from conftest import SpecClient
from test_server_spec import JANE, UK, prefixed

from ocdata.sandbox import serve, storefile
from ocdata.sandbox.engine import PaymentMethod
from ocdata.sandbox.model import Affiliate, ProductSubscription


@pytest.fixture(scope="module")
def sandbox():
    store = storefile.load("rich")
    products = tuple(
        replace(p, subscriptions=(ProductSubscription(subscription_plan_id=2, customer_group_id=1, price=20.0),))
        if p.product_id == 33 else p
        for p in store.products
    )
    affiliates = (Affiliate(customer_id=1, name="Sub Tester", commission=5.0),
                  Affiliate(customer_id=2, name="Gone", commission=9.0, status=False))
    store = replace(store, products=products, affiliates=affiliates)
    with serve(store=store) as running:
        yield running


def _subscription_ready(client: SpecClient, sandbox) -> None:
    customer = sandbox.engine.store.customers[0]
    address_id = str(customer.addresses[0].address_id)
    added = client.post("api/subscription", {"customer_id": str(customer.customer_id), "product_id": "33",
                                             "subscription_plan_id": "2", "payment_address_id": address_id,
                                             "shipping_address_id": address_id}, call="product_add").json()
    assert added["success"] == "Success: You have modified your shopping cart!", added


def test_a_plan_is_required_for_a_subscription_product(sandbox, openapi):
    client = SpecClient(sandbox)
    body = client.post("api/cart/addProduct", {"product_id": "33"}).json()
    openapi.check("/cart/addProduct", "post", 200, body, "CartErrorResponse")
    assert body == {"error": {"subscription": "Subscription Plan is not valid!"}}
    as_string = client.post("api/subscription", {"product_id": "33"}, call="product_add").json()
    openapi.check("/subscription", "post", 200, as_string)
    assert as_string["error"] == "Subscription Plan is not valid!"


def test_subscription_lines_are_described(sandbox, openapi):
    client = SpecClient(sandbox)
    _subscription_ready(client, sandbox)
    products = client.get("api/cart/getProducts").json()
    openapi.check("/cart/getProducts", "get", 200, products)
    (line,) = products["products"]
    assert line["subscription_plan_id"] == 2
    assert line["subscription"].endswith("every 1 month(s) for 10 payment(s)")


def test_no_stock_payment_method_takes_subscriptions(sandbox):
    client = SpecClient(sandbox)
    _subscription_ready(client, sandbox)
    client.post("api/shipping_method", {"shipping_method[code]": "flat.flat"})
    listed = client.post("api/subscription", {}, call="payment_methods").json()
    assert listed == {"error": "Warning: No Payment options are available!"}


def test_confirm_records_a_subscription_and_its_history(sandbox, openapi, monkeypatch):
    """A gateway that accepts subscriptions (OpenCart needs an extension for that)."""
    original = sandbox.engine.payment_methods

    def with_gateway(*args, **kwargs):
        return original(*args, **kwargs) + [PaymentMethod("gateway", "Gateway", (("gateway.card", "Card"),), 9, "9")]

    monkeypatch.setattr(sandbox.engine, "payment_methods", with_gateway)
    client = SpecClient(sandbox)
    _subscription_ready(client, sandbox)
    assert "success" in client.post("api/shipping_method", {"shipping_method[code]": "flat.flat"}).json()
    listed = client.post("api/subscription", {}, call="payment_methods").json()
    assert listed["payment_methods"] == [{"code": "gateway.card", "name": "Card", "sort_order": 9}]
    assert "success" in client.post("api/payment_method", {"name": "Card", "code": "gateway.card"}).json()
    confirmed = client.post("api/subscription", {"order_status_id": "1", "affiliate_id": "1"}, call="confirm").json()
    openapi.check("/subscription", "post", 200, confirmed)
    assert confirmed["success"] == "Success: You have modified subscriptions!"
    front = sandbox.app.spec
    record = front.subscription_record(confirmed["subscription_id"])
    assert (record.order_id, record.customer_id, record.product_id, record.subscription_plan_id) == (
        confirmed["order_id"], 1, 33, 2)
    order = sandbox.engine.order(confirmed["order_id"])
    assert order.affiliate_id == 1
    assert order.commission == pytest.approx(0.05 * sandbox.engine.sub_total(order.products))
    update = client.post("api/subscription", {"subscription_id": str(record.subscription_id),
                                              "subscription_status_id": "2", "comment": "active", "notify": "1"},
                         call="history_add").json()
    openapi.check("/subscription", "post", 200, update)
    assert update == {"success": "Success: You have modified subscriptions!"}
    assert record.subscription_status_id == 2 and record.history[-1][:3] == (2, "active", True)
    no_status = client.post("api/subscription", {"subscription_id": str(record.subscription_id)},
                            call="history_add").json()
    assert no_status == {"error": "Warning: Subscription status required!"}
    # history_add names its subscription: a posted customer is neither looked up nor logged in
    other = client.post("api/subscription", {"subscription_id": str(record.subscription_id), "customer_id": "99",
                                             "subscription_status_id": "3"}, call="history_add").json()
    assert other == {"success": "Success: You have modified subscriptions!"}
    assert record.subscription_status_id == 3


def test_affiliate_is_applied_to_orders(sandbox, openapi):
    client = SpecClient(sandbox)
    ok = client.post("api/affiliate", {"affiliate_id": "1"}).json()
    openapi.check("/affiliate", "post", 200, ok, "SuccessResponse")
    assert ok == {"success": "Success: Affiliate commission will be applied to this order!"}
    disabled = client.post("api/affiliate", {"affiliate_id": "2"}).json()
    openapi.check("/affiliate", "post", 200, disabled, "ErrorResponse")
    assert disabled == {"error": "Warning: Affiliate could not be found!"}
    client.post("api/customer", JANE)
    client.post("api/cart", {"product[0][product_id]": "40", "product[0][quantity]": "1"})
    client.post("api/payment_address", prefixed(UK, "payment_"))
    client.post("api/shipping_address", prefixed(UK, "shipping_"))
    client.post("api/shipping_method", {"shipping_method[code]": "flat.flat"})
    client.post("api/payment_method", {"name": "Cash On Delivery", "code": "cod.cod"})
    refused = client.post("api/order", {"order_status_id": "1", "affiliate_id": "55"}, call="confirm").json()
    assert refused == {"error": "Warning: Affiliate could not be found!"}
    order_id = client.post("api/order", {"order_status_id": "1"}, call="confirm").json()["order_id"]
    assert sandbox.engine.order(order_id).affiliate_id == 1
