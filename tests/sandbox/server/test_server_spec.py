"""The ``spec`` dialect over HTTP: every path of ``seed-openapi.yml``, success and error,
each answer validated against the schema the file declares for it."""

from __future__ import annotations

import time
from dataclasses import replace

import pytest
import requests
from conftest import SpecClient, spec_login, spec_url

from ocdata.sandbox import serve, storefile

JANE = {"customer_id": "0", "customer_group_id": "1", "firstname": "Jane", "lastname": "Doe",
        "email": "jane@example.com", "telephone": "0123456789"}
UK = {"firstname": "Jane", "lastname": "Doe", "address_1": "10 Downing Street", "city": "London",
      "postcode": "SW1A 2AA", "country_id": "222", "zone_id": "3553"}
US_CA = {"firstname": "Jane", "lastname": "Doe", "address_1": "1 Infinite Loop", "city": "Cupertino",
         "postcode": "95014", "country_id": "223", "zone_id": "3624"}
DE = {"firstname": "Jane", "lastname": "Doe", "address_1": "Marienplatz 1", "city": "Muenchen",
      "postcode": "80331", "country_id": "81", "zone_id": "1255"}
SAMSUNG = {"product[0][product_id]": "33", "product[0][quantity]": "1"}


def prefixed(address: dict[str, str], prefix: str) -> dict[str, str]:
    return {prefix + k: v for k, v in address.items()}


def ready_for_quotes(client: SpecClient, address=UK, lines=SAMSUNG, customer=JANE) -> None:
    assert "success" in client.post("api/customer", customer).json()
    assert "success" in client.post("api/cart", lines).json()
    assert "success" in client.post("api/payment_address", prefixed(address, "payment_")).json()
    assert "success" in client.post("api/shipping_address", prefixed(address, "shipping_")).json()


def choose(client: SpecClient, shipping_code: str = "flat.flat", payment_code: str | None = None) -> None:
    assert client.post("api/shipping_method", {"shipping_method[code]": shipping_code}).json() == {
        "success": "Success: Shipping method has been set!"}
    methods = client.get("api/payment_method/getPaymentMethods").json()["payment_methods"]
    code = payment_code or methods[0]["code"]
    name = next(m["name"] for m in methods if m["code"] == code)
    assert "success" in client.post("api/payment_method", {"name": name, "code": code}).json()


@pytest.fixture
def client(rich_sandbox) -> SpecClient:
    return SpecClient(rich_sandbox)


# --------------------------------------------------------------------------- login and tokens


def test_login_answers_a_token(rich_sandbox, openapi):
    response = requests.post(spec_url(rich_sandbox, "api/login"),
                             data={"username": rich_sandbox.username, "key": rich_sandbox.key}, timeout=30)
    assert response.status_code == 200 and response.headers["Content-Type"] == "application/json"
    body = response.json()
    openapi.check("/login", "post", 200, body)
    assert body["success"] and len(body["api_token"]) == 26


@pytest.mark.parametrize("form", [
    {"username": "Default", "key": "0" * 256},
    {"username": "Nobody", "key": "KEY"},
    {"username": "Default"},
    {},
])
def test_login_with_bad_credentials_is_a_400(rich_sandbox, openapi, form):
    form = {k: (rich_sandbox.key if v == "KEY" else v) for k, v in form.items()}
    response = requests.post(spec_url(rich_sandbox, "api/login"), data=form, timeout=30)
    assert response.status_code == 400
    openapi.check("/login", "post", 400, response.json(), "ErrorResponse")
    assert response.json() == {"error": "Warning: Incorrect API Key!"}


def test_login_from_an_ip_outside_the_allow_list_is_a_400(rich_sandbox, openapi):
    response = requests.post(spec_url(rich_sandbox, "api/login"), headers={"X-Forwarded-For": "10.1.2.3"},
                             data={"username": rich_sandbox.username, "key": rich_sandbox.key}, timeout=30)
    assert response.status_code == 400
    openapi.check("/login", "post", 400, response.json(), "ErrorResponse")
    assert response.json()["error"] == "Warning: Your IP 10.1.2.3 is not allowed to access this API!"


def test_missing_or_unknown_token_is_a_401_error_response(rich_sandbox, openapi):
    missing = requests.get(spec_url(rich_sandbox, "api/cart/getProducts"), timeout=30)
    unknown = requests.get(spec_url(rich_sandbox, "api/cart/getProducts", api_token="f" * 26), timeout=30)
    for response in (missing, unknown):
        assert response.status_code == 401 and response.headers["Content-Type"] == "application/json"
        openapi._validate(openapi.doc, "/components/schemas/ErrorResponse", response.json())
    assert "required" in missing.json()["error"] and "expired" in unknown.json()["error"]


def test_token_is_accepted_as_a_post_field(rich_sandbox):
    token = spec_login(rich_sandbox)
    response = requests.post(spec_url(rich_sandbox, "api/customer"), data={**JANE, "api_token": token}, timeout=30)
    assert response.json() == {"success": "You have successfully modified customers"}


def test_a_token_dies_after_its_idle_lifetime():
    with serve(store="stock", token_ttl=0.5) as sandbox:
        client = SpecClient(sandbox)
        assert client.get("api/cart/getProducts").status_code == 200
        time.sleep(0.3)
        assert client.get("api/cart/getProducts").status_code == 200  # use keeps it alive
        time.sleep(0.8)
        expired = client.get("api/cart/getProducts")
        assert expired.status_code == 401 and "expired" in expired.json()["error"]
        assert SpecClient(sandbox).get("api/cart/getProducts").status_code == 200


def test_tokens_are_independent_sessions(rich_sandbox):
    a, b = SpecClient(rich_sandbox), SpecClient(rich_sandbox)
    a.post("api/cart", SAMSUNG)
    assert len(a.get("api/cart/getProducts").json()["products"]) == 1
    assert b.get("api/cart/getProducts").json() == {"products": []}


def test_unknown_route_is_a_404_error_response(client):
    response = client.get("api/shipping_method.getShippingMethods")
    assert response.status_code == 404 and "does not exist" in response.json()["error"]


# --------------------------------------------------------------------------- cart


def test_cart_adds_products_and_lists_them_typed(client, openapi):
    added = client.post("api/cart", {**SAMSUNG, "product[1][product_id]": "40", "product[1][quantity]": "2"})
    openapi.check("/cart", "post", 200, added.json(), "SuccessResponse")
    assert added.json() == {"success": "Success: You have modified your shopping cart!"}
    again = client.post("api/cart/addProduct", {"product_id": "33", "quantity": "2"})
    openapi.check("/cart/addProduct", "post", 200, again.json(), "SuccessResponse")
    products = client.get("api/cart/getProducts").json()
    openapi.check("/cart/getProducts", "get", 200, products)
    lines = {p["product_id"]: p for p in products["products"]}
    assert lines[33]["quantity"] == 3 and lines[40]["quantity"] == 2  # equal lines merge
    assert lines[33]["price"] == 200.0 and lines[33]["total"] == 600.0
    assert isinstance(lines[33]["cart_id"], str) and lines[33]["subscription"] == ""


def test_cart_with_options_lists_them(client, openapi):
    response = client.post("api/cart/addProduct", {"product_id": "30", "quantity": "1", "option[226]": "15"})
    assert response.json() == {"success": "Success: You have modified your shopping cart!"}
    products = client.get("api/cart/getProducts").json()
    openapi.check("/cart/getProducts", "get", 200, products)
    (option,) = products["products"][0]["option"]
    assert option["product_option_id"] == 226 and option["product_option_value_id"] == 15
    assert option["type"] == "select" and option["value"]


@pytest.mark.parametrize("path,form,key", [
    ("/cart", {"product[0][product_id]": "9999", "product[0][quantity]": "1"}, "product"),
    ("/cart", {"product[0][product_id]": "40", "product[0][quantity]": "0"}, "product"),
    ("/cart/addProduct", {"product_id": "9999"}, "product"),
    ("/cart/addProduct", {"product_id": "42", "quantity": "2"}, "option"),
    ("/cart", {"product[0][product_id]": "42", "product[0][quantity]": "2"}, "option"),
])
def test_cart_errors_use_the_unprefixed_cart_error_keys(client, openapi, path, form, key):
    response = client.post("api" + path, form)
    body = response.json()
    openapi.check(path, "post", 200, body, "CartErrorResponse")
    assert list(body) == ["error"] and key in body["error"]
    assert client.get("api/cart/getProducts").json() == {"products": []}


def test_a_failing_line_adds_nothing(client):
    client.post("api/cart", {**SAMSUNG, "product[1][product_id]": "9999", "product[1][quantity]": "1"})
    assert client.get("api/cart/getProducts").json() == {"products": []}


def test_totals_are_cart_totals(client, openapi):
    client.post("api/customer", JANE)
    client.post("api/cart", SAMSUNG)
    totals = client.get("api/cart/getTotals").json()
    openapi.check("/cart/getTotals", "get", 200, totals)
    assert [set(t) for t in totals["totals"]] == [{"title", "text", "value"}] * len(totals["totals"])
    assert totals["totals"][0] == {"title": "Sub-Total", "text": "$200.00", "value": 200.0}
    assert totals["totals"][-1]["title"] == "Total"


def test_prices_follow_the_customer_group(client):
    """Wholesale (group 3) has a 20.00-off special on the SyncMaster in the rich store."""
    client.post("api/cart", SAMSUNG)
    assert client.get("api/cart/getProducts").json()["products"][0]["price"] == 200.0
    client.post("api/customer", {**JANE, "customer_group_id": "3"})
    assert client.get("api/cart/getProducts").json()["products"][0]["price"] == 180.0


# --------------------------------------------------------------------------- customer and addresses


def test_customer_success_and_field_errors(client, openapi):
    ok = client.post("api/customer", JANE).json()
    openapi.check("/customer", "post", 200, ok, "SuccessResponse")
    bad = client.post("api/customer", {**JANE, "firstname": "", "email": "not-an-email", "customer_group_id": "99"}).json()
    openapi.check("/customer", "post", 200, bad, "CustomerErrorResponse")
    assert {"firstname", "email"} <= set(bad["error"]) and list(bad) == ["error"]


def test_payment_address_success_and_unprefixed_errors(client, openapi):
    ok = client.post("api/payment_address", prefixed(UK, "payment_")).json()
    openapi.check("/payment_address", "post", 200, ok, "SuccessResponse")
    assert ok == {"success": "Success: Payment address has been set!"}
    bad = client.post("api/payment_address", {"payment_country_id": "222"}).json()
    openapi.check("/payment_address", "post", 200, bad, "AddressErrorResponse")
    assert {"firstname", "lastname", "address_1", "city", "postcode", "zone"} <= set(bad["error"])
    assert not any(key.startswith("payment_") for key in bad["error"])


def test_shipping_address_answers_the_address(client, openapi):
    ok = client.post("api/shipping_address", prefixed(US_CA, "shipping_")).json()
    openapi.check("/shipping_address", "post", 200, ok, "ShippingAddressResponse")
    address = ok["shipping_address"]
    assert address["country_id"] == 223 and address["zone_id"] == 3624
    assert (address["iso_code_2"], address["zone_code"], address["zone"]) == ("US", "CA", "California")
    assert address["city"] == "Cupertino" and address["custom_field"] == {}
    bad = client.post("api/shipping_address", {**prefixed(UK, "shipping_"), "shipping_country_id": "9999"}).json()
    openapi.check("/shipping_address", "post", 200, bad, "AddressErrorResponse")
    assert "country" in bad["error"]


def test_payment_address_from_a_saved_address(rich_sandbox, client, openapi):
    needs_customer = client.post("api/payment_address/setAddress", {"payment_address_id": "1"}).json()
    openapi.check("/payment_address/setAddress", "post", 200, needs_customer, "ErrorResponse")
    assert needs_customer == {"error": "Warning: Customer details required!"}
    customer = rich_sandbox.engine.store.customers[0]
    address = customer.addresses[0]
    client.post("api/customer", {**JANE, "customer_id": str(customer.customer_id),
                                 "customer_group_id": str(customer.customer_group_id)})
    unknown = client.post("api/payment_address/setAddress", {"payment_address_id": "9999"}).json()
    assert unknown == {"error": "Warning: Address could not be found!"}
    ok = client.post("api/payment_address/setAddress", {"payment_address_id": str(address.address_id)}).json()
    openapi.check("/payment_address/setAddress", "post", 200, ok, "SuccessResponse")


# --------------------------------------------------------------------------- shipping and payment


def test_shipping_methods_need_customer_cart_and_address(client, openapi):
    path = "/shipping_method/getShippingMethods"
    first = client.get("api" + path).json()
    openapi.check(path, "get", 200, first, "ErrorResponse")
    assert first == {"error": "Warning: Customer details required!"}
    client.post("api/customer", JANE)
    assert client.get("api" + path).json() == {"error": "Warning: There are no products that require shipping"}
    client.post("api/cart", SAMSUNG)
    assert client.get("api" + path).json() == {"error": "Warning: Shipping address required!"}


def test_shipping_methods_are_an_array_with_numbers(client, openapi):
    ready_for_quotes(client)
    body = client.get("api/shipping_method/getShippingMethods").json()
    openapi.check("/shipping_method/getShippingMethods", "get", 200, body, 0)
    methods = body["shipping_methods"]
    # UK, sub-total 200.00: free shipping (>= 200 in the UK zone) is offered too
    assert [m["title"] for m in methods] == ["Flat Rate", "Weight Based Shipping", "Per Item", "Free Shipping", "Pickup"]
    flat = methods[0]
    assert flat == {"title": "Flat Rate", "quote": {"flat": {"code": "flat.flat", "name": "Flat Shipping Rate", "cost": 5.0,
                                                             "tax_class_id": 9, "text": "$8.00"}},
                    "sort_order": 1, "error": ""}
    assert [m["sort_order"] for m in methods] == sorted(m["sort_order"] for m in methods)


def test_shipping_method_must_be_an_offered_quote(client, openapi):
    ready_for_quotes(client)
    bad = client.post("api/shipping_method", {"shipping_method[code]": "teleport.teleport",
                                              "shipping_method[name]": "Teleport", "shipping_method[cost]": "0",
                                              "shipping_method[tax_class_id]": "0"}).json()
    openapi.check("/shipping_method", "post", 200, bad, "ErrorResponse")
    assert bad == {"error": "Warning: Shipping method required!"}
    ok = client.post("api/shipping_method", {"shipping_method[code]": "item.item", "shipping_method[name]": "x",
                                             "shipping_method[cost]": "0.01", "shipping_method[tax_class_id]": "0"}).json()
    openapi.check("/shipping_method", "post", 200, ok, "SuccessResponse")
    totals = client.get("api/cart/getTotals").json()["totals"]
    shipping = next(t for t in totals if t["title"] == "Per Item Shipping Rate")
    assert shipping["value"] == 2.5  # the quote's cost, not the posted one


def test_payment_methods_need_a_shipping_method_and_list_options(client, openapi):
    path = "/payment_method/getPaymentMethods"
    ready_for_quotes(client)
    missing = client.get("api" + path).json()
    openapi.check(path, "get", 200, missing, "ErrorResponse")
    assert missing == {"error": "Warning: Shipping method required!"}
    client.post("api/shipping_method", {"shipping_method[code]": "flat.flat"})
    body = client.get("api" + path).json()
    openapi.check(path, "get", 200, body, 0)
    codes = [m["code"] for m in body["payment_methods"]]
    assert codes == ["bank_transfer.bank_transfer", "cheque.cheque", "cod.cod"]  # cheque: UK payment address
    assert all(isinstance(m["sort_order"], int) for m in body["payment_methods"])


def test_payment_method_accepts_option_or_single_option_method_codes(client, openapi):
    ready_for_quotes(client)
    client.post("api/shipping_method", {"shipping_method[code]": "flat.flat"})
    bad = client.post("api/payment_method", {"name": "Bitcoin", "code": "bitcoin"}).json()
    openapi.check("/payment_method", "post", 200, bad, "ErrorResponse")
    assert bad == {"error": "Warning: Payment method required!"}
    for code in ("cod", "cod.cod"):
        ok = client.post("api/payment_method", {"name": "Cash On Delivery", "code": code}).json()
        openapi.check("/payment_method", "post", 200, ok, "SuccessResponse")


def test_affiliate(client, openapi):
    unknown = client.post("api/affiliate", {"affiliate_id": "987"}).json()
    openapi.check("/affiliate", "post", 200, unknown, "ErrorResponse")
    assert unknown == {"error": "Warning: Affiliate could not be found!"}
    none = client.post("api/affiliate", {"affiliate_id": "0"}).json()
    openapi.check("/affiliate", "post", 200, none, "SuccessResponse")


# --------------------------------------------------------------------------- tax follows the destination


def _tax_lines(client: SpecClient, address: dict[str, str]) -> tuple[dict[str, float], float, float]:
    ready_for_quotes(client, address)
    choose(client, "flat.flat")
    totals = {t["title"]: t["value"] for t in client.get("api/cart/getTotals").json()["totals"]}
    taxes = {k: v for k, v in totals.items() if k not in ("Sub-Total", "Flat Shipping Rate", "Total")}
    assert totals["Total"] == pytest.approx(totals["Sub-Total"] + totals["Flat Shipping Rate"] + sum(taxes.values()))
    return taxes, totals["Sub-Total"], totals["Flat Shipping Rate"]


def test_uk_destination_pays_vat(rich_sandbox):
    taxes, sub_total, shipping = _tax_lines(SpecClient(rich_sandbox), UK)
    assert set(taxes) == {"VAT (20%)", "Eco Tax (-2.00)"}
    assert taxes["VAT (20%)"] == pytest.approx(0.2 * (sub_total + shipping))


def test_california_destination_pays_california_tax(rich_sandbox):
    taxes, sub_total, shipping = _tax_lines(SpecClient(rich_sandbox), US_CA)
    assert set(taxes) == {"CA Sales Tax 8.25%"}
    assert taxes["CA Sales Tax 8.25%"] == pytest.approx(0.0825 * (sub_total + shipping))


def test_german_destination_pays_no_tax(rich_sandbox):
    taxes, _, _ = _tax_lines(SpecClient(rich_sandbox), DE)
    assert taxes == {}


def test_quote_text_includes_destination_tax(rich_sandbox):
    client = SpecClient(rich_sandbox)
    ready_for_quotes(client, US_CA)
    flat = client.get("api/shipping_method/getShippingMethods").json()["shipping_methods"][0]["quote"]["flat"]
    assert flat["text"] == "$5.41"  # 5.00 + 8.25 %


def test_tax_follows_each_address_change_of_a_session():
    """One session moving its addresses: the MacBook (43) is made a Downloadable Product,
    whose VAT follows the payment address; the SyncMaster's (33) follows the shipping one."""
    store = storefile.load("rich")
    store = replace(store, products=tuple(replace(p, tax_class_id=10) if p.product_id == 43 else p
                                          for p in store.products))
    with serve(store=store) as sandbox:
        client = SpecClient(sandbox)

        def taxes() -> dict[str, float]:
            totals = client.get("api/cart/getTotals").json()["totals"]
            return {t["title"]: t["value"] for t in totals if t["title"] not in ("Sub-Total", "Total")}

        client.post("api/customer", JANE)
        client.post("api/cart", {**SAMSUNG, "product[1][product_id]": "43", "product[1][quantity]": "1"})
        # no address yet: the store (UK) stands in for the shipping side only
        assert taxes() == {"Eco Tax (-2.00)": 4.0, "VAT (20%)": 40.0}
        client.post("api/payment_address", prefixed(UK, "payment_"))
        assert taxes() == {"Eco Tax (-2.00)": 4.0, "VAT (20%)": 140.0}
        client.post("api/shipping_address", prefixed(US_CA, "shipping_"))
        assert taxes() == {"Eco Tax (-2.00)": 2.0, "VAT (20%)": 100.0, "CA Sales Tax 8.25%": 16.5}
        client.post("api/payment_address", prefixed(DE, "payment_"))
        assert taxes() == {"Eco Tax (-2.00)": 2.0, "CA Sales Tax 8.25%": 16.5}


# --------------------------------------------------------------------------- orders


def test_order_confirm_and_history(rich_sandbox, client, openapi):
    refused = client.post("api/order", {}, call="confirm").json()
    openapi.check("/order", "post", 200, refused)
    assert refused["error"].startswith("Warning: Customer details required!") and set(refused) == {"error"}
    ready_for_quotes(client)
    choose(client, "flat.flat", "cod.cod")
    totals = client.get("api/cart/getTotals").json()["totals"]
    confirmed = client.post("api/order", {"order_status_id": "1", "comment": "spec test"}, call="confirm").json()
    openapi.check("/order", "post", 200, confirmed)
    order_id = confirmed["order_id"]
    assert isinstance(order_id, int) and confirmed["success"] == "Success: You have modified orders!"
    order = rich_sandbox.engine.order(order_id)
    assert order.order_status_id == 1 and order.comment == "spec test"
    assert order.total == pytest.approx(totals[-1]["value"])
    assert order.payment_method.code == "cod.cod" and order.shipping_method.code == "flat.flat"
    history = client.post("api/order", {"order_id": str(order_id), "order_status_id": "2", "comment": "paid"},
                          call="history_add").json()
    openapi.check("/order", "post", 200, history)
    assert history == {"success": "Success: You have modified orders!", "order_id": order_id}
    assert rich_sandbox.engine.order(order_id).order_status_id == 2


def test_order_confirm_with_order_id_edits_that_order(rich_sandbox, client):
    ready_for_quotes(client)
    choose(client, "flat.flat", "cod.cod")
    order_id = client.post("api/order", {"order_status_id": "1"}, call="confirm").json()["order_id"]
    client.post("api/cart/addProduct", {"product_id": "40", "quantity": "1"})
    choose(client, "flat.flat", "cod.cod")
    edited = client.post("api/order", {"order_id": str(order_id), "order_status_id": "1"}, call="confirm").json()
    assert edited["order_id"] == order_id
    assert {p.product_id for p in rich_sandbox.engine.order(order_id).products} == {33, 40}
    missing = client.post("api/order", {"order_id": "999999", "order_status_id": "1"}, call="confirm").json()
    assert missing == {"error": "Warning: Order could not be found!"}


def test_an_order_that_ships_nothing_keeps_no_shipping_address(rich_sandbox, client):
    # the session has a shipping address, but the MacBook (43) needs no shipping
    ready_for_quotes(client, lines={"product[0][product_id]": "43", "product[0][quantity]": "1"})
    assert client.get("api/shipping_method/getShippingMethods").json() == {
        "error": "Warning: There are no products that require shipping"}
    assert "success" in client.post("api/payment_method", {"payment_method[code]": "cheque.cheque"}).json()
    order_id = client.post("api/order", {"order_status_id": "1"}, call="confirm").json()["order_id"]
    order = rich_sandbox.engine.order(order_id)
    assert order.shipping_address is None and order.shipping_method is None
    assert order.payment_address.city == "London" and order.payment_method.code == "cheque.cheque"


def test_cart_change_drops_the_chosen_methods(client):
    ready_for_quotes(client)
    choose(client, "flat.flat", "cod.cod")
    client.post("api/cart/addProduct", {"product_id": "40"})
    refused = client.post("api/order", {"order_status_id": "1"}, call="confirm").json()
    assert refused == {"error": "Warning: Shipping method required! Warning: Payment method required!"}


@pytest.mark.parametrize("call,form,expected", [
    ("history_add", {"order_id": "999999", "order_status_id": "1"}, {"error": "Warning: Order could not be found!"}),
    ("foo", {}, {"error": "API call not found"}),
    ("customer", {"firstname": ""}, None),
])
def test_order_errors_are_strings(client, openapi, call, form, expected):
    body = client.post("api/order", form, call=call).json()
    openapi.check("/order", "post", 200, body)
    assert isinstance(body["error"], str)
    if expected is not None:
        assert body == expected


def test_order_calls_mirror_the_dedicated_paths(client, openapi):
    assert client.post("api/order", JANE, call="customer").json() == {"success": "You have successfully modified customers"}
    cart = client.post("api/order", SAMSUNG, call="cart").json()
    openapi.check("/order", "post", 200, cart)
    assert cart["success"] and cart["products"][0]["product_id"] == 33 and cart["totals"][0]["value"] == 200.0
    added = client.post("api/order", {"product_id": "40"}, call="product_add").json()
    assert {p["product_id"] for p in added["products"]} == {33, 40}
    client.post("api/order", prefixed(UK, "payment_"), call="payment_address")
    client.post("api/order", prefixed(UK, "shipping_"), call="shipping_address")
    methods = client.post("api/order", {}, call="shipping_methods").json()
    openapi.check("/order", "post", 200, methods)
    assert methods["shipping_methods"][0]["quote"]["flat"]["code"] == "flat.flat"
    assert "success" in client.post("api/order", {"shipping_method[code]": "flat.flat"}, call="shipping_method").json()
    payments = client.post("api/order", {}, call="payment_methods").json()
    assert payments["payment_methods"][0]["code"] == "bank_transfer.bank_transfer"
    chosen = client.post("api/order", {"payment_method[code]": "cod.cod", "payment_method[name]": "COD"}, call="payment_method")
    assert "success" in chosen.json()
    assert "success" in client.post("api/order", {"affiliate_id": "0"}, call="affiliate").json()
    confirmed = client.post("api/order", {"order_status_id": "1"}, call="confirm").json()
    assert isinstance(confirmed["order_id"], int)


# --------------------------------------------------------------------------- subscriptions


def test_subscription_calls(rich_sandbox, client, openapi):
    path = "/subscription"
    unknown = client.post("api/subscription", {}, call="customer").json()
    assert unknown == {"error": "API call not found"}
    history = client.post("api/subscription", {"subscription_id": "77", "subscription_status_id": "2"},
                          call="history_add").json()
    openapi.check(path, "post", 200, history)
    assert history == {"error": "Warning: Subscription required!"}
    customer = rich_sandbox.engine.store.customers[0]
    address_id = str(customer.addresses[0].address_id)
    cart = client.post("api/subscription", {"customer_id": str(customer.customer_id), **SAMSUNG}, call="cart").json()
    openapi.check(path, "post", 200, cart)
    assert cart["success"] and cart["products"][0]["product_id"] == 33
    shipping = client.post("api/subscription", {"shipping_address_id": address_id, "payment_address_id": address_id},
                           call="shipping_methods").json()
    openapi.check(path, "post", 200, shipping)
    assert shipping["shipping_methods"][0]["title"] == "Flat Rate"
    confirm = client.post("api/subscription", {}, call="confirm").json()
    openapi.check(path, "post", 200, confirm)
    assert confirm == {"error": "Warning: Subscription required!"}  # no line has a subscription plan
    bad_customer = client.post("api/subscription", {"customer_id": "424242"}, call="cart").json()
    assert bad_customer == {"error": "Warning: Customer could not be found!"}


# --------------------------------------------------------------------------- the seed file itself


def test_seed_file_one_of_is_ambiguous_for_every_body(openapi):
    """Why ``OpenApi.check`` reads ``oneOf`` as ``anyOf``: the alternatives are open objects,
    so a plain success body matches both and a literal ``oneOf`` rejects it."""
    from jsonschema.exceptions import ValidationError

    with pytest.raises(ValidationError):
        openapi.strict("/cart", "post", 200, {"success": "Success: You have modified your shopping cart!"})
    openapi.check("/cart", "post", 200, {"success": "Success: You have modified your shopping cart!"}, "SuccessResponse")
    with pytest.raises(ValidationError):
        openapi.check("/cart", "post", 200, {"error": "a string"}, "CartErrorResponse")


def test_every_path_of_the_seed_file_is_a_route(openapi, client):
    from ocdata.sandbox.fronts.spec import SPEC_ROUTES

    declared = {"api" + path for path in openapi.doc["paths"]}
    assert SPEC_ROUTES == declared
    for route in sorted(declared - {"api/login"}):
        assert client.post(route).status_code == 200, route
    assert client.post("api/cart/removeProduct").status_code == 404


def test_a_token_is_refused_from_an_ip_off_the_allow_list(rich_sandbox):
    client = SpecClient(rich_sandbox)
    url = spec_url(rich_sandbox, "api/cart/getProducts", api_token=client.token)
    refused = requests.get(url, headers={"X-Forwarded-For": "10.0.0.1"}, timeout=30)
    assert refused.status_code == 401
    assert requests.get(url, timeout=30).status_code == 200
