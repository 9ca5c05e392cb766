"""oc40 against recorded 4.0.2.3 flows, where 4.0 differs from 3.0 (shared flows:
``test_session_versions.py``)."""

from __future__ import annotations

from decimal import Decimal

from scenario import OC40 as V

T, R = V.transcripts, V.routes


def test_confirm_with_status_sends_it():
    flow = T.seq("005-008", "010-016")
    confirm = T[20]  # recorded: order.confirm with order_status_id=1
    draft = V.draft(flow).with_shipping("flat.flat").with_payment("cod.cod")
    result = V.run(flow + [confirm], lambda d: d.confirm(draft, 1, ""))
    assert result.order_id == 3 and result.status_id == 1


def test_second_quote_on_the_same_thread_starts_afresh_because_40_cannot_unset_a_method():
    s01, s02 = T.scenario("s01"), T.scenario("s02")  # same customer and cart, UK then US addresses
    us = V.run(s01 + s02, lambda d: [d.quote(V.draft(s)) for s in (s01, s02)][-1])
    assert [o.quote.code for o in us.options] == ["flat.flat", "item.item"] and us.requests == len(s02)


def test_cart_only_calls_reuse_the_session_and_send_only_the_change():
    s01, s02 = T.scenario("s01"), T.scenario("s02")

    def uk_then_us(d):
        d.cart(V.draft(s01))
        return d.cart(V.draft(s02)), d.requests_made

    # UK cart, then the same cart shipped to the US: only the two addresses and the cart go out again
    cart, requests = V.run(s01[:6] + [T[132], T[133], T[134]], uk_then_us)
    assert requests == 9 and cart.totals[-1].value == Decimal("101.00")  # no UK tax
