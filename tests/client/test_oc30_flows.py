"""oc30 against recorded 3.0.4.1 flows: the client sends the recorded requests and parses
the recorded answers into the same numbers."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from ocdata.client.dialects.oc30 import Oc30Dialect
from replay import ReplayServer, Transcripts, money
from scenario import dialect_for, draft_from, recorded_totals

T = Transcripts("oc30")
R = Oc30Dialect.ROUTES
SCENARIOS = [f"s{n:02d}" for n in range(1, 12)]


def _expected_quote_exchanges(tag: str):
    flow = T.scenario(tag)
    # S10 cart ships nothing: the client skips listing shipping methods the recording still asked for
    return [e for e in flow if not (tag == "s10" and e.route == R["shipping_list"])]


@pytest.mark.parametrize("tag", SCENARIOS)
def test_quote_replays_scenario(tag):
    flow = T.scenario(tag)
    expected = _expected_quote_exchanges(tag)
    draft = draft_from(flow, R)
    with ReplayServer(expected) as srv:
        dialect = dialect_for(Oc30Dialect, srv)
        quote = dialect.quote(draft)
    assert quote.requests == len(expected) and quote.dialect == "oc30" and quote.pricing == "session"

    listing = next((e for e in flow if e.route == R["shipping_list"] and "shipping_methods" in (e.json or {})), None)
    recorded_quotes = [] if listing is None or tag == "s10" else [
        q for m in listing.json["shipping_methods"].values() for q in m["quote"].values()]
    assert [o.quote.code for o in quote.options] == [q["code"] for q in recorded_quotes]
    for opt, rec in zip(quote.options, recorded_quotes):
        assert opt.error is None
        assert opt.quote.cost == Decimal(str(rec["cost"])).quantize(Decimal("0.01"))
        assert opt.quote.text == rec["text"]
        cart_ex = next(e for e in flow if e.name.endswith("-cart-" + rec["code"].replace(".", "_")))
        rec_totals = recorded_totals(cart_ex)
        assert [(t.title, t.value) for t in opt.totals] == rec_totals
        assert opt.total == rec_totals[-1][1]
        # tax lines: everything between the sub-total and the total except the shipping line
        rec_tax = sum((v for title, v in rec_totals[1:-1] if title != opt.quote.name), Decimal(0))
        assert opt.tax() == rec_tax
        shipping = [t for t in opt.totals if t.code == "shipping"]
        assert [s.value for s in shipping] == [opt.quote.cost]  # USD store: ex-tax cost == shipping line
        pay_ex = next(e for e in flow if e.name.endswith("-payment-methods-" + rec["code"].replace(".", "_")))
        assert [p.code for p in opt.payment_methods] == [m["code"] for m in pay_ex.json["payment_methods"].values()]

    base_cart = next(e for e in flow if e.name.endswith(f"-{tag}-cart"))
    assert [(t.title, t.value) for t in quote.totals] == recorded_totals(base_cart)
    assert [p.product_id for p in quote.products] == [l.product_id for l in draft.lines]
    assert [p.total_text for p in quote.products] == [
        next(r["total"] for r in base_cart.json["products"] if int(r["product_id"]) == l.product_id)
        for l in draft.lines]


def test_s01_numbers_spelled_out():
    flow = T.scenario("s01")
    with ReplayServer(flow) as srv:
        quote = dialect_for(Oc30Dialect, srv).quote(draft_from(flow, R))
    flat = quote.option("flat.flat")
    assert flat.total == Decimal("131.20") and flat.tax() == Decimal("25.20")
    assert [(t.code, t.value) for t in flat.totals] == [
        ("sub_total", Decimal("101.00")), ("shipping", Decimal("5.00")), ("tax", Decimal("4.00")),
        ("tax", Decimal("21.20")), ("total", Decimal("131.20"))]
    assert quote.option("weight.weight_4").quote.name == "UK Shipping  (Weight: 10.00kg)"
    assert [p.code for p in flat.payment_methods] == ["bank_transfer", "cod"]


def test_s08_stock_problem_surfaces_as_warning_not_error():
    flow = T.scenario("s08")
    with ReplayServer(flow) as srv:
        quote = dialect_for(Oc30Dialect, srv).quote(draft_from(flow, R))
    assert any("***" in w for w in quote.warnings)
    assert quote.products[0].in_stock is False and len(quote.options) == 4


def test_s10_no_shipping_needed_gives_base_payments_only():
    flow = T.scenario("s10")
    with ReplayServer(_expected_quote_exchanges("s10")) as srv:
        quote = dialect_for(Oc30Dialect, srv).quote(draft_from(flow, R))
    assert quote.shipping_required is False and quote.options == ()
    assert [p.code for p in quote.payment_methods] == ["bank_transfer"]
    assert quote.totals[-1].value == Decimal("602.00")  # UK VAT and Eco Tax: taxed at the store address


def test_confirm_and_history_replay_the_order_flow():
    """008-021 minus the extra cart look-up the recorder made before the addresses."""
    flow = T.seq("008-011", "013-020")
    # a 4.x-style payment code is accepted and sent as 3.0's bare code
    draft = draft_from(flow, R).with_shipping("flat.flat").with_payment("cod.cod")
    with ReplayServer(flow + [T[21]]) as srv:
        dialect = dialect_for(Oc30Dialect, srv)
        result = dialect.confirm(draft, None, "Reference peer order, please ignore")
        dialect.add_history(result.order_id, 2, "Payment received")
    assert result.order_id == 2 and result.status_id == 1
    assert result.total == Decimal(money(T[19].json["totals"][-1]["text"])) == Decimal("375.20")
    assert [t.code for t in result.totals] == ["sub_total", "shipping", "tax", "tax", "total"]


def test_draft_without_payment_address_uses_the_shipping_address():
    flow = T.scenario("s01")
    draft = draft_from(flow, R).model_copy(update={"payment_address": None})
    with ReplayServer(flow) as srv:
        quote = dialect_for(Oc30Dialect, srv).quote(draft)
    assert len(quote.options) == 3


def test_currency_is_set_first_and_euro_amounts_parse():
    flow = T.seq("055-058")
    with ReplayServer(flow) as srv:
        cart = dialect_for(Oc30Dialect, srv, currency="EUR").cart(draft_from(flow, R))
    assert cart.total == Decimal("96.66") and cart.products[0].total_text == "96.66€"


def test_cart_edit_and_remove_use_listed_cart_ids():
    draft1 = draft_from([T[73]], R)
    with ReplayServer([T[62], T[73], T[109], T[110], T[111], T[112], T[113]]) as srv:
        d = dialect_for(Oc30Dialect, srv)
        assert [(p.product_id, p.quantity) for p in d.cart(draft1).products] == [(40, 1)]
        three = draft1.model_copy(update={"lines": (draft1.lines[0].model_copy(update={"quantity": 3}),)})
        assert [(p.product_id, p.quantity) for p in d.cart(three).products] == [(40, 3)]
        assert d.cart(draft1.model_copy(update={"lines": ()})).products == ()


def test_bulk_replace_when_several_changes_touch_validated_lines():
    """Lines added one by one (validated by the store) are re-arranged with one bulk add."""
    two = draft_from([T[73], T[11]], R)  # 40 x1, 28 x2
    bulk = replace(T[116], form=(("product[0][product_id]", "40"), ("product[0][quantity]", "3")))
    with ReplayServer([T[62], T[73], T[11], T[115], bulk, T[111]]) as srv:
        d = dialect_for(Oc30Dialect, srv)
        assert sorted((p.product_id, p.quantity) for p in d.cart(two).products) == [(28, 2), (40, 1)]
        one = two.model_copy(update={"lines": (two.lines[0].model_copy(update={"quantity": 3}),)})
        cart = d.cart(one)  # remove 28 + edit 40 = 2 calls -> 1 bulk call
    assert [(p.product_id, p.quantity) for p in cart.products] == [(40, 3)]
    assert d.requests_made == 6


def test_second_quote_reuses_the_session_and_sends_only_the_changed_addresses():
    """3.0 drops the chosen shipping method when the address changes, so no fresh login is needed."""
    s01, s02 = T.scenario("s01"), T.scenario("s02")
    expected = s01 + [e for e in s02 if e.route not in (R["customer"], R["cart_add"]) and "login" not in e.name]
    with ReplayServer(expected) as srv:
        d = dialect_for(Oc30Dialect, srv)
        d.quote(draft_from(s01, R))
        us = d.quote(draft_from(s02, R))
    assert [o.quote.code for o in us.options] == ["flat.flat", "item.item"]
    assert us.requests == len(s02) - 3  # no login, customer or cart add
