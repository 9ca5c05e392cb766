"""oc41 against answers recorded from a real OpenCart 4.1.0.4 store (offline, via ``responses``).

Each test builds the draft the reference client used, runs a Store operation, and checks
both directions: what the client sends (PHP-parsed form equal to the recorded one, valid
signature, no cookie) and what it makes of the real answer.
"""

from __future__ import annotations

import re
import time
from decimal import Decimal

import pytest

import ocdata.client as oc
from ocdata.client.errors import (
    NotFoundError,
    OcdataWarning,
    PermissionDeniedError,
    ProtocolError,
    TransportError,
    UnsupportedOperationError,
    ValidationError,
)

from oc41_transcripts import BASE, KEY, Oc41Replay, draft_from, form_of, load


@pytest.fixture
def store():
    s = oc.connect(BASE, "Default", KEY, dialect="oc41", pricing="api")  # the recordings are one-off calls
    yield s
    s.close()


def assert_sent_as_recorded(replay: Oc41Replay, recorded: dict, index: int = 0, ignore=()) -> None:
    sent = [s for s in replay.sent if s.call == recorded["request"]["query"]["call"]][index]
    expected = {k: v for k, v in form_of(recorded).items() if k not in ignore}
    assert {k: v for k, v in sent.form.items() if k not in ignore} == expected
    assert sent.cookies is None, "one-off 4.1 calls must never send a cookie"
    for name in ("username", "store_id", "language", "currency", "time"):
        assert name in sent.query
    assert abs(int(sent.query["time"]) - time.time()) < 5
    replay.verify_signature(sent)


QUOTES = {  # scenario: (cart, shipping_methods, shipping_method, payment_methods)
    "q1": ("097", "098", "099", "100"),
    "q2": ("101", "102", "103", "104"),
    "q3": ("105", "106", "107", "108"),
    "q5": ("112", "113", "114", "115"),
    "q6": ("116", "117", "118", "119"),
}


@pytest.mark.parametrize("scenario", sorted(QUOTES))
def test_quote_replays_recorded_flow(store, scenario):
    cart_t, list_t, set_t, pay_t = (load(n) for n in QUOTES[scenario])
    draft = draft_from(cart_t)
    with Oc41Replay({"cart": cart_t, "shipping_methods": list_t, "shipping_method": set_t,
                     "payment_methods": pay_t}) as replay:
        with pytest.warns(OcdataWarning, match="store's own address"):
            quote = store.quote(draft)
    # no quote is free (only flat.flat): the cart's own totals need the cart call
    assert [s.call for s in replay.sent] == ["shipping_methods", "cart", "shipping_method", "payment_methods"]
    assert quote.requests == 4 and quote.pricing == "api" and quote.dialect == "oc41"
    for recorded in (cart_t, list_t, set_t, pay_t):
        assert_sent_as_recorded(replay, recorded)

    raw_products = sorted(cart_t["response"]["json"]["products"], key=lambda p: int(p["product_id"]))
    line_order = [line.product_id for line in draft.lines]
    raw_products.sort(key=lambda p: line_order.index(int(p["product_id"])))
    assert [p.product_id for p in quote.products] == [int(p["product_id"]) for p in raw_products]
    for parsed, raw in zip(quote.products, raw_products):
        assert parsed.quantity == int(raw["quantity"])
        assert parsed.price == Decimal(repr(raw["price"])).quantize(Decimal("0.01"))
        assert '&quot;' not in parsed.name and parsed.name == raw["name"].replace("&quot;", '"')
    [option] = quote.options
    assert option.quote.code == "flat.flat" and option.quote.cost == Decimal("5.00") and option.quote.tax_class_id == 9
    recorded_totals = set_t["response"]["json"]["totals"]
    assert [t.code for t in option.totals] == [t["code"] for t in recorded_totals]
    assert option.total == Decimal(repr(recorded_totals[-1]["value"])).quantize(Decimal("0.01"))
    assert all(isinstance(t.value, Decimal) and t.value == t.value.quantize(Decimal("0.01")) for t in option.totals)
    assert [p.code for p in option.payment_methods] == ["cod.cod"]
    assert option.payment_methods[0].method_code == "cod"


def test_quote_of_cart_without_shipping_skips_shipping_and_reports_payment_error(store):
    cart_t, list_t, pay_t = load("109"), load("110"), load("111")
    draft = draft_from(cart_t)
    with Oc41Replay({"shipping_methods": list_t, "cart": [cart_t, cart_t], "payment_methods": [pay_t, pay_t]}) as replay:
        quote = store.quote(draft)
        again = store.quote(draft)
    # the list says "no products that require shipping"; the same products' next quote skips it
    assert [s.call for s in replay.sent] == ["shipping_methods", "cart", "payment_methods", "cart", "payment_methods"]
    assert quote.requests == 3 and again.requests == 2
    for q in (quote, again):
        assert q.shipping_required is False and q.options == ()
        assert q.shipping_error == "Warning: No payment options are available!"
    assert again.totals == quote.totals and again.products == quote.products
    # options on the product are unescaped and sorted by product_option_id
    assert quote.products[0].options and quote.products[0].options[0].name


def test_cart_error_in_quote_raises_validation_error_with_store_fields(store):
    cart_t, list_t = load("120"), load("121")
    with Oc41Replay({"shipping_methods": list_t, "cart": cart_t}) as replay:
        with pytest.raises(ValidationError) as err:
            store.quote(draft_from(cart_t))
    assert [s.call for s in replay.sent] == ["shipping_methods", "cart"]
    assert "product_0_option_226" in err.value.fields
    assert "not in stock" in str(err.value) and "Fix these fields" in str(err.value)


def test_unknown_product_is_not_found(store):
    t = load("050")
    with Oc41Replay({"cart": t}):
        with pytest.raises(NotFoundError) as err:
            store.cart(draft_from(t))
    assert err.value.fields["product_0_product"] == "Warning: Product could not be found!"


def test_invalid_customer_fields_are_named(store):
    t = load("053")
    with Oc41Replay({"customer": t}):
        answer, body = store.dialect.send("customer", [tuple(p) for p in t["request"]["form"]])
    with pytest.raises(ValidationError) as err:
        store.dialect.check(body, "customer", answer=answer)
    assert {"firstname", "lastname", "email"} <= set(err.value.fields)


def test_php_notice_before_json_is_parsed_with_a_warning_naming_it(store):
    t = load("068")
    with Oc41Replay({"cart": t}):
        with pytest.warns(OcdataWarning) as caught:
            with pytest.raises(ValidationError) as err:
                store.cart(draft_from(t))
    notices = [str(w.message) for w in caught if "PHP notice" in str(w.message)]
    assert notices and 'Undefined array key "quantity"' in notices[0] and "cart.php line 124" in notices[0]
    assert err.value.fields["product_0_option_217"] == "Option could not be found!"
    assert store.warnings and any("PHP notice" in w for w in store.warnings)


def test_403_names_ip_allow_list_and_clock(store):
    t = load("021")
    with Oc41Replay({"cart": t}):
        with pytest.raises(PermissionDeniedError) as err:
            store.cart(draft_from(load("002")))
    message = str(err.value)
    assert "API key" in message and "allow-list" in message and "127.0.0.1" in message and "clock" in message
    assert err.value.status == 403


def test_403_with_skewed_store_clock_reports_the_skew(store):
    t = load("021")
    t["response"]["headers"] = {"Date": time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(time.time() + 600))}
    with Oc41Replay({"cart": t}):
        with pytest.raises(PermissionDeniedError) as err:
            store.cart(draft_from(load("002")))
    assert re.search(r"skew \+(59\d|60\d) s", str(err.value))
    assert 590 < store.dialect.clock_offset < 610  # the next call is signed on the store's clock


def test_server_error_page_is_a_retryable_transport_error_with_a_redacted_snippet(store):
    """A 5xx is the store failing, not the draft: retryable, never cached as the answer (issue 13)."""
    t = load("091")
    with Oc41Replay({"cart": t}):
        with pytest.raises(TransportError) as err:
            store.cart(draft_from(load("002")))
    assert err.value.status == 500 and "oc_api_session" in err.value.body and len(err.value.body) <= 200
    assert err.value.should_retry and not isinstance(err.value, ProtocolError)


def test_unknown_call_is_unsupported(store):
    t = load("027")
    with Oc41Replay({"foo": t}):
        with pytest.raises(UnsupportedOperationError):
            store.dialect.send("foo", [])


def test_confirm_sends_form_and_parses_order(store):
    t = load("014")
    draft = draft_from(t)
    with Oc41Replay({"confirm": t}) as replay:
        result = store.confirm(draft, order_status_id=1, comment="Please ring the bell")
    assert_sent_as_recorded(replay, t)
    assert result.order_id == 1 and result.status_id == 1
    assert result.total == Decimal(repr(t["response"]["json"]["totals"][-1]["value"])).quantize(Decimal("0.01"))
    assert [p.product_id for p in result.products] == [40, 33]  # draft order, not the store's


def test_confirm_without_status_sends_the_default_instead_of_status_0(store):
    t = load("017")
    with Oc41Replay({"confirm": t}) as replay:
        store.confirm(draft_from(t))
    assert replay.sent[0].form["order_status_id"] == "1"
    assert_sent_as_recorded(replay, t, ignore=("order_status_id", "comment"))


def test_confirm_validation_errors(store):
    t = load("019")
    with Oc41Replay({"confirm": t}):
        with pytest.raises(ValidationError) as err:
            store.confirm(draft_from(t), order_status_id=1)
    assert "shipping_method" in err.value.fields


def test_add_history_and_unknown_order(store):
    ok, unknown = load("015"), load("018")
    with Oc41Replay({"history_add": [ok, unknown]}) as replay:
        store.add_history(1, 2, "Packed", notify=False)
        with pytest.raises(NotFoundError) as err:
            store.add_history(999, 2)
    assert replay.sent[0].form == {"order_id": "1", "order_status_id": "2", "comment": "Packed", "notify": "0",
                                   "override": "0"}
    assert "Order could not be found" in str(err.value)


def test_shipping_code_string_is_resolved_to_the_offered_quote(store):
    list_t, set_t = load("098"), load("099")
    draft = draft_from(load("097")).with_shipping("flat.flat")
    with Oc41Replay({"shipping_methods": list_t, "shipping_method": set_t}) as replay:
        totals = store.totals(draft)
    assert [s.call for s in replay.sent] == ["shipping_methods", "shipping_method"]
    assert_sent_as_recorded(replay, set_t)
    assert [t.code for t in totals] == ["sub_total", "shipping", "tax", "tax", "total"]


def test_geo_resolves_iso_codes_with_one_request_per_country(store):
    gb, us = load("086"), load("087")
    with Oc41Replay({"localisation/country:222": gb, "localisation/country:223": us}) as replay:
        london = store.address(oc.Address(city="London", country="GB", zone="Greater London"))
        leeds = store.address(oc.Address(city="Leeds", country="GBR", zone="YSW"))
        ca = store.address(oc.Address(city="LA", country="US", zone="ca"))
        with pytest.raises(ValidationError, match="no zone 'Atlantis'"):
            store.address(oc.Address(country="US", zone="Atlantis"))
    assert (london.country_id, london.zone_id) == (222, 3553)
    assert (leeds.country_id, leeds.zone_id) == (222, 3608)
    assert (ca.country_id, ca.zone_id) == (223, 3624)
    assert len(replay.sent) == 2 and all(s.cookies is None for s in replay.sent)


def test_storefront_pricing_primes_a_fresh_session_per_step():
    store = oc.connect(BASE, "Default", KEY, dialect="oc41", pricing="storefront")
    prime, priced = load("x01-1", "transcripts-session"), load("x01-2", "transcripts-session")
    prime2 = load("x02-1", "transcripts-session")
    draft = draft_from(priced).model_copy(update={"lines": draft_from(prime).lines})
    with Oc41Replay({"shipping_methods": [prime, prime2], "shipping_method": [priced, priced]}) as replay:
        totals = store.totals(draft)
        store.totals(draft)
    calls = [(s.call, s.cookies) for s in replay.sent]
    assert [c for c, _ in calls] == ["shipping_methods", "shipping_method"] * 2
    assert calls[0][1] is None and "product" in replay.sent[0].form
    assert calls[1][1].startswith("OCSESSID=") and "product" not in replay.sent[1].form
    assert calls[1][1] != calls[3][1], "each priced step must use its own session"
    assert any("8.25" in t.title for t in totals if t.code == "tax")
    assert store.pricing == "storefront"
    store.close()
