"""A quote asks the store only what it cannot know otherwise, and answers what asking would.

Against the live sandbox on every dialect (4.0/3.0 fronts over the same store data): the cart's own totals read from a free,
untaxed quote equal the cart fetched on its own; payment methods looked up once per band of
order total equal a lookup per quote; spec drops a previous scenario's shipping method only
when the store still holds it. :class:`PaymentBands` itself is checked offline.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

import ocdata.client as oc
from ocdata.client.dialects.base import PaymentBands, free_quote
from ocdata.client.errors import ValidationError
from ocdata.client.models import PaymentMethod, ShippingQuote, TotalLine

from live_sandbox import JANE, LONDON, LOS_ANGELES, Recorder, draft, start

DIALECTS = [("spec", "api"), ("oc41", "api"), ("oc41", "storefront")]
IDS = ["spec", "oc41-api", "oc41-storefront"]
#: 4.0/3.0 read the cart once per quote (their totals only come with the cart), so the free-quote
#: shortcut is theirs too only in its answer: these tests check that answer on them as well
ALL = DIALECTS + [("oc40", "api"), ("oc30", "api")]
ALL_IDS = IDS + ["oc40", "oc30"]
CART_CALL = {"oc41": "cart", "spec": "cart/getTotals", "oc40": "cart", "oc30": "cart"}
MUNICH = oc.Address(firstname="Jane", lastname="Doe", address_1="1 Marienplatz", city="Munich", postcode="80331",
                    country="DE", zone="BY")
CARTS = [
    (oc.CartLine(product_id=40), oc.CartLine(product_id=48)),
    (oc.CartLine(product_id=33, quantity=3),),
    (oc.CartLine(product_id=28, quantity=2), oc.CartLine(product_id=29)),
    (oc.CartLine(product_id=47, quantity=2, options={225: "2011-04-22"}),),
]


def drafts():
    """Carts x destinations x customer groups (group 3 has wholesale prices on 48 and 33)."""
    for i, lines in enumerate(CARTS):
        for address in (LONDON, LOS_ANGELES, MUNICH):
            group = (1, 3)[i % 2]
            d = draft(address, lines)
            yield d.model_copy(update={"customer": JANE.model_copy(update={"customer_group_id": group})})


def lines(totals):
    return [t.model_dump() for t in totals]


def products(items):
    return [p.model_dump() for p in items]


@pytest.fixture(scope="module")
def rich():
    sb = start()
    yield sb
    sb.stop()


@pytest.fixture(scope="module")
def stock():
    sb = start(store="stock")
    yield sb
    sb.stop()


@pytest.fixture(scope="module")
def session_fronts():
    """The rich and stock stores' data behind the 4.0 and 3.0 fronts (``(store, dialect) -> sandbox``)."""
    started = {(store, d): start(store=store, dialects=(d,)) for store in ("rich", "stock") for d in ("oc40", "oc30")}
    yield started
    for sb in started.values():
        sb.stop()


def served(dialect, default, store, session_fronts):
    return session_fronts[(store, dialect)] if dialect in ("oc40", "oc30") else default


def connect(sandbox, dialect, pricing, hook=None):
    store = oc.connect(sandbox.url, sandbox.username, sandbox.key, dialect=dialect, pricing=pricing, hook=hook,
                       timeout=10)
    for address in (LONDON, LOS_ANGELES, MUNICH):
        store.address(address)  # ISO codes resolved (and cached) before requests are counted
    return store


@pytest.mark.parametrize("dialect,pricing", ALL, ids=ALL_IDS)
def test_cart_totals_read_from_a_free_quote_equal_the_cart_alone(rich, session_fronts, dialect, pricing):
    hook = Recorder()
    rich = served(dialect, rich, "rich", session_fronts)
    store, check = connect(rich, dialect, pricing, hook), connect(rich, dialect, pricing)
    for d in drafts():
        hook.clear()
        quote = store.quote(d)
        free = free_quote(o.quote for o in quote.options)
        # pickup is offered everywhere in the rich store, free shipping in the UK from 200.00
        assert free is not None and free.code in ("pickup.pickup", "free.free"), d
        alone = check.cart(d)
        assert lines(quote.totals) == lines(alone.totals), d
        assert products(quote.products) == products(alone.products)
        assert quote.shipping_required == alone.shipping_required
        shipping = [t for t in quote.option(free.code).totals if t.code == "shipping"]
        assert [t.value for t in shipping] == [Decimal("0.00")]
        calls = hook.calls()
        # no request for the cart alone: its totals came with the free quote
        if dialect == "oc41":
            assert "cart" not in calls, calls
        elif dialect == "spec":
            assert calls.count("cart/getTotals") == len(quote.options), calls
        else:  # the cart once, then once per quote with its shipping chosen
            assert calls.count(CART_CALL[dialect]) == 1 + len(quote.options), calls
    store.close()
    check.close()


@pytest.mark.parametrize("dialect,pricing", ALL, ids=ALL_IDS)
def test_without_a_free_quote_the_cart_alone_is_fetched(stock, session_fronts, dialect, pricing):
    hook = Recorder()
    stock = served(dialect, stock, "stock", session_fronts)
    store, check = connect(stock, dialect, pricing, hook), connect(stock, dialect, pricing)
    for address in (LONDON, LOS_ANGELES):
        d = draft(address, (oc.CartLine(product_id=40), oc.CartLine(product_id=33)))
        hook.clear()
        quote = store.quote(d)
        assert [o.quote.code for o in quote.options] == ["flat.flat"]  # the demo store ships flat only
        assert lines(quote.totals) == lines(check.cart(d).totals)
        assert not [t for t in quote.totals if t.code == "shipping"]
        assert hook.calls().count(CART_CALL[dialect]) == 1 + (dialect != "oc41")
    store.close()
    check.close()


@pytest.mark.parametrize("dialect,pricing", DIALECTS, ids=IDS)
def test_payment_methods_per_band_answer_what_per_option_does(rich, dialect, pricing):
    banded, exact = connect(rich, dialect, pricing), connect(rich, dialect, pricing)
    for d in drafts():
        a, b = banded.quote(d), exact.quote(d, payment_methods="per_option")
        assert [(o.quote.code, o.error, lines(o.totals), o.payment_methods) for o in a.options] == \
            [(o.quote.code, o.error, lines(o.totals), o.payment_methods) for o in b.options], d
        assert all(o.payment_methods for o in a.options)
        # every option here costs more than 0: one band, one lookup instead of one per option
        assert b.requests - a.requests == len(a.options) - 1
    with pytest.raises(ValueError, match="per_band"):
        banded.quote(next(drafts()), payment_methods="sometimes")
    banded.close()
    exact.close()


def test_spec_quote_costs_and_drops_a_previous_method_only_when_the_store_holds_it(stock):
    hook = Recorder()
    store = connect(stock, "spec", "api", hook)
    cart = (oc.CartLine(product_id=40), oc.CartLine(product_id=33))
    london, la = draft(LONDON, cart), draft(LOS_ANGELES, cart)
    store.quote(london)  # the session ends holding flat.flat, chosen to price it
    hook.clear()
    quote = store.quote(la)
    # a new address drops the chosen method on the store: no extra request to drop it
    assert hook.calls() == ["payment_address", "shipping_address", "cart/getProducts",
                            "shipping_method/getShippingMethods", "cart/getTotals", "shipping_method",
                            "cart/getTotals", "payment_method/getPaymentMethods"]
    assert quote.requests == 8
    hook.clear()
    wholesale = la.model_copy(update={"customer": JANE.model_copy(update={"customer_group_id": 3})})
    quote = store.quote(wholesale)
    # a new customer group keeps it: the shipping address is posted again before pricing the cart alone
    assert hook.calls()[:5] == ["customer", "cart/getProducts", "shipping_method/getShippingMethods",
                                "shipping_address", "cart/getTotals"]
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


# ------------------------------------------------------------------ PaymentBands, offline


def _totals(total: str) -> tuple[TotalLine, ...]:
    return (TotalLine(code="sub_total", title="Sub-Total", value=Decimal(total), sort_order=1),
            TotalLine(code="total", title="Total", value=Decimal(total), sort_order=9))


COD = (PaymentMethod(code="cod.cod", name="Cash On Delivery"),)
FREE = (PaymentMethod(code="free_checkout.free_checkout", name="Free Checkout"),)


def test_bands_look_up_once_per_side_of_zero_and_remember_refusals():
    bands = PaymentBands("per_band")
    answers = iter([COD, FREE])
    assert bands.methods(_totals("12.00"), lambda: next(answers)) == COD
    assert bands.methods(_totals("99.00"), lambda: pytest.fail("same band: no lookup")) == COD
    assert bands.methods(_totals("0.00"), lambda: next(answers)) == FREE
    assert bands.methods(_totals("-1.00"), lambda: pytest.fail("same band")) == FREE
    no_total = (TotalLine(code="sub_total", title="Sub-Total", value=Decimal(5), sort_order=1),)
    assert bands.methods(no_total, lambda: COD) == COD  # without a total line: its own lookup
    assert bands.lookups == 3

    refusing = PaymentBands("per_band")
    error = ValidationError("the store refused call=payment_methods", fields={"warning": "No payment options"})

    def refuse():
        raise error

    for _ in range(2):
        with pytest.raises(ValidationError) as caught:
            refusing.methods(_totals("5.00"), refuse if refusing.lookups == 0 else lambda: pytest.fail("memoised"))
        assert caught.value is error
    assert refusing.lookups == 1


@pytest.mark.parametrize("lookup,exact", [("per_option", False), ("per_band", True)])
def test_per_option_and_exact_versions_look_up_every_option(lookup, exact):
    bands = PaymentBands(lookup, exact=exact)
    for total in ("5.00", "6.00", "7.00"):
        assert bands.methods(_totals(total), lambda: COD) == COD
    assert bands.lookups == 3


def test_free_quote_needs_cost_and_tax_class_zero():
    def q(code, cost, tax_class_id):
        return ShippingQuote(method_code=code.split(".")[0], code=code, name=code, cost=Decimal(cost),
                             tax_class_id=tax_class_id)

    taxed_zero, flat, pickup, free = q("x.x", "0.00", 9), q("flat.flat", "5.00", 0), q("pickup.pickup", "0", 0), \
        q("free.free", "0.00", 0)
    assert free_quote([taxed_zero, flat, pickup, free]) is pickup
    assert free_quote([taxed_zero, flat]) is None
