"""Every Store operation and error path against the live sandbox, one test body for every dialect.

The same assertions run on ``spec`` (login + session, synced by difference), ``oc41``
(signed, stateless; ``storefront`` pricing where prices matter), ``oc40`` and ``oc30``
(login + token session, money as display text), all over the rich store's data, so
"dialect-free" is checked, not assumed. Where a dialect cannot know something (4.0/3.0
answer line prices only as text with tax) the test says so.
"""

from __future__ import annotations

import re
import threading
import time
from decimal import Decimal

import pytest

import ocdata.client as oc
from ocdata.client.errors import (
    AuthenticationError,
    NotFoundError,
    OcdataError,
    PermissionDeniedError,
    ValidationError,
)

from live_sandbox import LIVE_DIALECTS, LIVE_IDS, LONDON, LOS_ANGELES, Recorder, Sandboxes, draft, start

SESSION_TEXT_ONLY = ("oc40", "oc30")  # money only as display text with tax


def codes_of(live, *codes: str) -> set[str]:
    """Payment codes as the dialect's store names them: 3.0's have no option part (``cod``)."""
    return {c.split(".", 1)[0] if live.dialect_name == "oc30" else c for c in codes}


@pytest.fixture(scope="module")
def sandboxes():
    started = Sandboxes()
    yield started
    started.stop()


@pytest.fixture(scope="module")
def sandbox(sandboxes):
    return sandboxes.for_dialect("oc41")


@pytest.fixture(params=LIVE_DIALECTS, ids=LIVE_IDS)
def live(request, sandboxes):
    dialect, pricing = request.param
    hook = Recorder()
    sb = sandboxes.for_dialect(dialect)
    store = oc.connect(sb.url, sb.username, sb.key, dialect=dialect, pricing=pricing, hook=hook,
                       timeout=10, workers=4)
    store.hook = hook
    store.sandbox = sb  # the sandbox this dialect talks to
    yield store
    store.close()


def test_cart_prices_products_in_draft_order(live):
    lines = (oc.CartLine(product_id=33, quantity=2), oc.CartLine(product_id=40))
    cart = live.cart(draft(lines=lines))
    assert [p.product_id for p in cart.products] == [33, 40]
    assert [p.quantity for p in cart.products] == [2, 1]
    iphone = cart.products[1]
    if live.dialect_name in SESSION_TEXT_ONLY:  # 4.0/3.0: the price with Los Angeles tax, as text only
        assert iphone.name == "iPhone" and iphone.price is None and iphone.price_text == "$109.33"
    else:
        assert iphone.name == "iPhone" and iphone.price == Decimal("101.00")
    assert cart.totals[0].code == "sub_total" and cart.totals[-1].code == "total"
    assert cart.totals[0].value == Decimal("501.00")
    assert all(isinstance(t.value, Decimal) and t.value.as_tuple().exponent == -2 for t in cart.totals)
    assert cart.dialect == live.dialect_name


def test_shipping_and_payment_methods(live):
    d = draft()
    quotes = live.shipping_methods(d)
    codes = [q.code for q in quotes]
    assert "flat.flat" in codes and "weight.weight_5" in codes  # US Shipping geo zone
    assert codes == sorted(codes, key=lambda c: [q.sort_order for q in quotes if q.code == c][0])
    flat = next(q for q in quotes if q.code == "flat.flat")
    assert flat.cost == Decimal("5.00") and flat.method_code == "flat" and flat.name == "Flat Shipping Rate"
    payments = live.payment_methods(d.with_shipping(flat))
    assert codes_of(live, "cod.cod", "bank_transfer.bank_transfer") <= {p.code for p in payments}


def test_quote_prices_every_option_like_totals_does(live):
    d = draft()
    quote = live.quote(d)
    assert quote.dialect == live.dialect_name and quote.requests > 0
    assert {o.quote.code for o in quote.options} >= {"flat.flat", "weight.weight_5", "pickup.pickup"}
    for option in quote.options:
        assert option.error is None and option.payment_methods
        shipping = [t for t in option.totals if t.code == "shipping"]
        if option.quote.cost:
            assert shipping and shipping[0].value == option.quote.cost
        parts = sum((t.value for t in option.totals if t.code != "total"), Decimal(0))
        assert abs(option.total - parts) <= Decimal("0.01") * len(option.totals)  # each line rounded on its own
    flat = quote.option("flat.flat")
    assert live.totals(d.with_shipping(flat.quote)) == flat.totals


def test_a_draft_without_payment_address_pays_at_its_shipping_address(live):
    # the rich store requires a payment address (config_checkout_payment_address): without the
    # fallback it offers no payment method at all
    shipping_only = draft(LONDON).model_copy(update={"payment_address": None})
    quote = live.quote(shipping_only)
    assert quote.draft.payment_address is None  # the draft, which keys caches, is left as given
    both = live.quote(draft(LONDON))
    assert [(o.quote.code, o.error, o.payment_methods) for o in quote.options] == \
        [(o.quote.code, o.error, o.payment_methods) for o in both.options]
    flat = quote.option("flat.flat")
    # cheque is offered only to a UK *payment* address
    assert codes_of(live, "cheque.cheque", "bank_transfer.bank_transfer", "cod.cod") <= \
        {p.code for p in flat.payment_methods}
    assert live.payment_methods(shipping_only.with_shipping(flat.quote)) == flat.payment_methods


def test_destination_tax_differs_only_in_api_pricing(live):
    quote = live.quote(draft(LOS_ANGELES))
    titles = {t.title for t in quote.option("flat.flat").totals if t.code == "tax"}
    if live.pricing == "api":
        assert any("VAT" in t for t in titles)  # 4.1 one-off calls: store-address tax
        assert quote.warnings and "store's own address" in quote.warnings[0]
    else:
        assert titles == {"CA Sales Tax 8.25%"}
        assert not quote.warnings


def test_confirm_sends_default_status_and_history_moves_it(live):
    sandbox = live.sandbox
    d = draft(LONDON)
    quote = live.quote(d)
    option = quote.option("flat.flat")
    result = live.confirm(d.with_shipping(option.quote).with_payment(option.payment_methods[0]), comment="live test")
    assert result.order_id > 0 and result.status_id == 1
    order = sandbox.engine.order(result.order_id)
    assert order.order_status_id == 1, "never 4.1's status 0"
    live.add_history(result.order_id, 2, "packed", notify=False)
    assert sandbox.engine.order(result.order_id).order_status_id == 2


def test_unknown_product_is_not_found(live):
    with pytest.raises(NotFoundError) as err:
        live.cart(draft(lines=(oc.CartLine(product_id=99999),)))
    # 3.0 words it "Product can not be bought from the store you have choosen!"
    assert err.value.fields and re.search("could not be found|can not be bought", str(err.value).lower())


def test_invalid_customer_is_a_validation_error_naming_fields(live):
    bad = draft().model_copy(update={"customer": oc.Customer(firstname="", lastname="Doe", email="not-an-email")})
    with pytest.raises(ValidationError) as err:
        live.cart(bad) if live.dialect_name == "spec" else live.confirm(bad)
    joined = " ".join(f"{k} {v}" for k, v in err.value.fields.items()).lower()
    # spec validates the customer call itself; 4.1 confirm reports the customer step as missing
    assert "first name" in joined or "e-mail" in joined or "customer details required" in joined


def test_shipping_method_not_offered_is_refused(live):
    with pytest.raises(ValidationError):
        live.totals(draft().with_shipping("teleport.teleport"))


def test_unknown_order_history_is_not_found(live):
    with pytest.raises(NotFoundError):
        live.add_history(987654, 2)


def test_unknown_zone_is_refused_before_any_request(live):
    live.hook.clear()
    live.country("US")  # warm the geo cache
    live.hook.clear()
    with pytest.raises(ValidationError, match="no zone 'Atlantis'"):
        live.cart(draft(oc.Address(city="X", country="US", zone="Atlantis")))
    assert live.hook.records == []


@pytest.mark.parametrize("dialect", ["spec", "oc41", "oc40", "oc30"])
def test_wrong_key_says_what_to_check(sandboxes, dialect):
    sandbox = sandboxes.for_dialect(dialect)
    store = oc.connect(sandbox.url, sandbox.username, "0" * 64, dialect=dialect)
    with pytest.raises((AuthenticationError, PermissionDeniedError)) as err:
        store.cart(draft())
    assert "key" in str(err.value).lower()
    store.close()


def test_many_threads_share_one_store(live):
    drafts = [draft(LOS_ANGELES if i % 2 else LONDON, lines=(oc.CartLine(product_id=40, quantity=1 + i % 3),))
              for i in range(8)]
    sequential = [live.quote(d) for d in drafts]
    parallel = live.quote_many(drafts, workers=4)
    for a, b in zip(sequential, parallel):
        assert [(o.quote.code, o.totals) for o in a.options] == [(o.quote.code, o.totals) for o in b.options]


def test_hook_sees_every_request_without_secrets(live):
    sandbox = live.sandbox
    live.hook.clear()
    live.quote(draft())
    assert live.hook.records
    for record in live.hook.records:
        assert record.dialect == live.dialect_name and record.status == 200 and record.elapsed_ms >= 0
        assert sandbox.key not in record.url and "signature=" not in record.url.replace("signature=********", "")


def test_doctor_reports_a_healthy_store(live):
    report = live.doctor()
    frame = report.frame
    assert list(frame.columns) == ["check", "status", "detail"]
    statuses = dict(zip(frame["check"], frame["status"]))
    assert statuses["reachable"] == "ok" and statuses["dialect"] == "ok" and statuses["API access"] == "ok"
    assert statuses["clock"] == "ok" and report.ok
    assert live.dialect_name in str(report)


def test_spec_names_fee_lines_as_oc41_does(tmp_path):
    """The seed file's totals carry no code: spec infers them and must agree with 4.1's own codes."""
    from ocdata.sandbox.storefile import loads_store

    fees = loads_store("""
extends: rich
totals:
  - {code: handling, status: true, sort_order: "6", settings: {fee: "2.50", total: "0", tax_class_id: "0"}}
  - {code: low_order_fee, status: true, sort_order: "8", settings: {fee: "1.25", total: "100000", tax_class_id: "0"}}
""", base_dir=tmp_path)
    sb = start(store=fees)
    try:
        codes = {}
        for dialect, pricing in (("spec", "api"), ("oc41", "storefront")):
            store = oc.connect(sb.url, sb.username, sb.key, dialect=dialect, pricing=pricing)
            option = store.quote(draft(LONDON)).option("flat.flat")
            codes[dialect] = [(t.code, t.value) for t in option.totals]
            store.close()
        assert {"handling", "low_order_fee"} <= {code for code, _ in codes["spec"]}
        assert codes["spec"] == codes["oc41"]
    finally:
        sb.stop()


@pytest.mark.parametrize("store,served,expected", [
    ("rich", ("oc41", "spec"), "oc41"), ("rich", ("spec",), "spec"), ("rich", ("oc40",), "oc40"),
    ("oc40", None, "oc40"), ("oc30", None, "oc30"),
])
def test_auto_detects_each_served_dialect(store, served, expected):
    """``dialect="auto"`` finds each front, on the rich store and on the 4.0/3.0 stores' default fronts."""
    sb = start(store=store, dialects=served)
    try:
        client = oc.connect(sb.url, sb.username, sb.key)
        assert client.dialect_name == expected
        assert client.probes[-1].matches and sb.dialects == (served or (expected,))
        client.close()
    finally:
        sb.stop()


# ----------------------------------------------------------------------------- session dialect behaviour


@pytest.fixture
def spec_store(sandbox):
    hook = Recorder()
    store = oc.connect(sandbox.url, sandbox.username, sandbox.key, dialect="spec", hook=hook)
    store.hook = hook
    yield store
    store.close()


def test_spec_sends_only_what_changed(spec_store):
    hook = spec_store.hook
    spec_store.country("GB"), spec_store.country("US")  # geo lookups are cached from here on
    d = draft()
    spec_store.cart(d)
    assert [c for c in hook.calls() if c != "localisation/country"][:1] == ["login"]
    hook.clear()
    spec_store.cart(d)
    assert hook.calls() == ["cart/getProducts", "cart/getTotals"]  # nothing to sync
    hook.clear()
    spec_store.cart(d.with_addresses(LONDON))
    assert hook.calls() == ["payment_address", "shipping_address", "cart/getProducts", "cart/getTotals"]
    hook.clear()
    quotes = spec_store.shipping_methods(d.with_addresses(LONDON))
    flat = next(q for q in quotes if q.code == "flat.flat")
    hook.clear()
    spec_store.totals(d.with_addresses(LONDON).with_shipping(flat))
    assert hook.calls() == ["shipping_method", "cart/getTotals"]
    hook.clear()
    # a changed cart cannot be edited with the seed file's calls: a fresh session is built
    spec_store.cart(d.with_addresses(LONDON).model_copy(update={"lines": (oc.CartLine(product_id=40),)}))
    assert hook.calls()[0] == "login" and "cart" in hook.calls()


@pytest.mark.parametrize("dialect,refusal", [("spec", 401), ("oc40", 500), ("oc30", 200)])
def test_session_dialects_log_in_again_when_the_session_expires(dialect, refusal):
    # the token dies after token_ttl idle: spec answers 401, 4.0 its HTML 500, 3.0 a JSON permission error
    sb = start(token_ttl=0.3, dialects=(dialect,))
    try:
        hook = Recorder()
        store = oc.connect(sb.url, sb.username, sb.key, dialect=dialect, hook=hook)
        d = draft()
        first = store.cart(d)
        time.sleep(0.6)
        hook.clear()
        again = store.cart(d)
        assert again.totals == first.totals
        calls = hook.calls()
        assert calls.count("login") == 1 and [r.status for r in hook.records][0] == refusal
        store.close()
    finally:
        sb.stop()


def test_spec_replaces_an_idle_session_before_the_store_refuses_it(spec_store):
    hook, dialect = spec_store.hook, spec_store.dialect
    d = draft()
    first = spec_store.cart(d)
    dialect.session().last_used -= dialect.idle_ttl  # as if unused for an hour
    hook.clear()
    again = spec_store.cart(d)
    assert again.totals == first.totals
    assert hook.calls()[0] == "login" and hook.calls().count("login") == 1
    assert all(r.status != 401 for r in hook.records)  # replaced up front, not after a refusal


def test_spec_keeps_one_session_per_thread(spec_store):
    spec_store.hook.clear()
    errors: list[BaseException] = []

    def work(address):
        try:
            for _ in range(3):
                spec_store.cart(draft(address))
        except BaseException as exc:  # noqa: BLE001 - re-raised below in the main thread
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(a,)) for a in (LONDON, LOS_ANGELES, LONDON)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert spec_store.hook.calls().count("login") == 3  # one per thread, none repeated


def test_oc41_storefront_never_shares_a_cookie_between_scenarios(sandbox):
    hook = Recorder()
    store = oc.connect(sandbox.url, sandbox.username, sandbox.key, dialect="oc41", pricing="storefront", hook=hook)
    quote = store.quote(draft())
    # a primed session for the list that also prices the first quote, one per other quote (primed +
    # shipping_method), payment methods once per band of order total; per_option in every quote's session
    assert quote.requests == 1 + 2 * len(quote.options) + 1
    exact = store.quote(draft(), payment_methods="per_option")
    assert exact.requests == 1 + 3 * len(exact.options)
    assert [(o.quote.code, o.totals, o.payment_methods) for o in exact.options] == \
        [(o.quote.code, o.totals, o.payment_methods) for o in quote.options]
    store.close()


@pytest.mark.parametrize("dialect", ["spec", "oc41"])
def test_subscription_calls_reach_the_store(sandbox, dialect):
    store = oc.connect(sandbox.url, sandbox.username, sandbox.key, dialect=dialect)
    sub = oc.SubscriptionDraft(customer_id=1, payment_address_id=1, shipping_address_id=1,
                               lines=(oc.CartLine(product_id=40),))
    try:
        cart = store.subscription_cart(sub)
        assert [p.product_id for p in cart.products] == [40]
    except OcdataError as exc:  # the rich store's customer may have no saved address 1
        assert isinstance(exc, (ValidationError, NotFoundError))
    with pytest.raises((ValidationError, NotFoundError)):
        store.subscription_add_history(424242, 1)
    store.close()


@pytest.mark.parametrize("dialect", ["spec", "oc41", "oc40", "oc30"])
def test_ip_not_allowed_is_permission_denied_and_doctor_names_the_cause(sandboxes, dialect):
    sandbox = sandboxes.for_dialect(dialect)
    name = f"remote-{dialect}"
    user = sandbox.users.find(name) or sandbox.users.add(name, ips=["10.9.8.7"])
    store = oc.connect(sandbox.url, user.username, user.key, dialect=dialect)
    with pytest.raises(PermissionDeniedError) as err:
        store.cart(draft())
    # oc40/oc30 name the admin page ("API > IP addresses") where spec/oc41 say "allow-list"
    assert re.search("allow-list|IP addresses", str(err.value), re.IGNORECASE) and "127.0.0.1" in str(err.value)
    report = store.doctor()
    access = report.frame.set_index("check").loc["API access"]
    assert access["status"] == "fail" and "127.0.0.1" in access["detail"] and not report.ok
    store.close()
