"""oc30 against recorded 3.0.4.1 flows, where 3.0 differs from 4.0 (shared flows:
``test_session_versions.py``)."""

from __future__ import annotations

from dataclasses import replace

from scenario import OC30 as V

T, R = V.transcripts, V.routes


def test_draft_without_payment_address_uses_the_shipping_address():
    flow = T.scenario("s01")
    draft = V.draft(flow).model_copy(update={"payment_address": None})
    assert len(V.run(flow, lambda d: d.quote(draft)).options) == 3


def test_bulk_replace_when_several_changes_touch_validated_lines():
    """Lines added one by one (validated by the store) are re-arranged with one bulk add."""
    two = V.draft([T[73], T[11]])  # 40 x1, 28 x2
    one = two.model_copy(update={"lines": (two.lines[0].model_copy(update={"quantity": 3}),)})
    bulk = replace(T[116], form=(("product[0][product_id]", "40"), ("product[0][quantity]", "3")))

    def rearrange(d):
        first = d.cart(two)
        return first, d.cart(one), d.requests_made  # remove 28 + edit 40 = 2 calls -> 1 bulk call

    first, cart, requests = V.run([T[62], T[73], T[11], T[115], bulk, T[111]], rearrange)
    assert sorted((p.product_id, p.quantity) for p in first.products) == [(28, 2), (40, 1)]
    assert [(p.product_id, p.quantity) for p in cart.products] == [(40, 3)]
    assert requests == 6


def test_second_quote_reuses_the_session_and_sends_only_the_changed_addresses():
    """3.0 drops the chosen shipping method when the address changes, so no fresh login is needed."""
    s01, s02 = T.scenario("s01"), T.scenario("s02")
    expected = s01 + [e for e in s02 if e.route not in (R["customer"], R["cart_add"]) and "login" not in e.name]
    us = V.run(expected, lambda d: [d.quote(V.draft(s)) for s in (s01, s02)][-1])
    assert [o.quote.code for o in us.options] == ["flat.flat", "item.item"]
    assert us.requests == len(s02) - 3  # no login, customer or cart add
