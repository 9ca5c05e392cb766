"""spec drops a previous scenario's shipping method only when the store still holds it."""

from __future__ import annotations

import pytest

import ocdata.client as oc
from ocdata.client.errors import ValidationError

from live_sandbox import JANE, LONDON, LOS_ANGELES, Recorder, draft, start


def lines(totals):
    return [t.model_dump() for t in totals]


@pytest.fixture(scope="module")
def stock():
    sb = start(store="stock")
    yield sb
    sb.stop()


def connect(sandbox, dialect, pricing, hook=None):
    store = oc.connect(sandbox.url, sandbox.username, sandbox.key, dialect=dialect, pricing=pricing, hook=hook,
                       timeout=10)
    for address in (LONDON, LOS_ANGELES):
        store.address(address)  # ISO codes resolved (and cached) before requests are counted
    return store


def test_spec_quote_costs_and_drops_a_previous_method_only_when_the_store_holds_it(stock):
    hook = Recorder()
    store = connect(stock, "spec", "api", hook)
    cart = (oc.CartLine(product_id=40), oc.CartLine(product_id=33))
    london, la = draft(LONDON, cart), draft(LOS_ANGELES, cart)
    store.quote(london)  # the session ends holding flat.flat, chosen to price it
    hook.clear()
    quote = store.quote(la)
    # a new address drops the chosen method on the store: no extra request to drop it
    assert hook.calls().count("shipping_address") == 1
    assert not [t for t in quote.totals if t.code == "shipping"]
    hook.clear()
    wholesale = la.model_copy(update={"customer": JANE.model_copy(update={"customer_group_id": 3})})
    quote = store.quote(wholesale)
    # a new customer group keeps it: the shipping address is posted again before pricing the cart alone
    assert hook.calls()[0] == "customer" and hook.calls().count("shipping_address") == 1
    assert not [t for t in quote.totals if t.code == "shipping"]
    store.close()


def test_spec_forgets_a_method_the_store_may_still_hold_after_refusing_another(stock):
    store, check = connect(stock, "spec", "api"), connect(stock, "spec", "api")
    d = draft(LONDON, (oc.CartLine(product_id=40),))
    flat = store.quote(d).option("flat.flat").quote
    store.totals(d.with_shipping(flat))
    bogus = flat.model_copy(update={"code": "flat.nowhere"})
    with pytest.raises(ValidationError):
        store.totals(d.with_shipping(bogus))  # refused: the store still holds flat.flat
    assert lines(store.totals(d)) == lines(check.cart(d).totals)
    store.close()
    check.close()
