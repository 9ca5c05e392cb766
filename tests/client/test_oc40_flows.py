"""oc40 against recorded 4.0.2.3 flows: the client sends the recorded requests and parses
the recorded answers into the same numbers."""

from __future__ import annotations

import json
from dataclasses import replace
from decimal import Decimal

import pytest

from ocdata.client.dialects.oc40 import Oc40Dialect
from replay import ReplayServer, Transcripts, money
from scenario import dialect_for, draft_from, recorded_totals

T = Transcripts("oc40")
R = Oc40Dialect.ROUTES
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
        dialect = dialect_for(Oc40Dialect, srv)
        quote = dialect.quote(draft)
    assert quote.requests == len(expected) and quote.dialect == "oc40" and quote.pricing == "session"

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
        assert [p.code for p in opt.payment_methods] == [
            o["code"] for m in pay_ex.json["payment_methods"].values() for o in m["option"].values()]

    base_cart = next(e for e in flow if e.name.endswith(f"-{tag}-cart"))
    assert [(t.title, t.value) for t in quote.totals] == recorded_totals(base_cart)
    assert [p.product_id for p in quote.products] == [l.product_id for l in draft.lines]
    assert [p.total_text for p in quote.products] == [
        next(r["total"] for r in base_cart.json["products"] if int(r["product_id"]) == l.product_id)
        for l in draft.lines]


def test_s01_numbers_spelled_out():
    flow = T.scenario("s01")
    with ReplayServer(flow) as srv:
        quote = dialect_for(Oc40Dialect, srv).quote(draft_from(flow, R))
    flat = quote.option("flat.flat")
    assert flat.total == Decimal("131.20") and flat.tax() == Decimal("25.20")
    assert [(t.code, t.value) for t in flat.totals] == [
        ("sub_total", Decimal("101.00")), ("shipping", Decimal("5.00")), ("tax", Decimal("4.00")),
        ("tax", Decimal("21.20")), ("total", Decimal("131.20"))]
    assert quote.option("weight.weight_4").quote.name == "UK Shipping  (Weight: 10.00kg)"
    assert [p.code for p in flat.payment_methods] == ["bank_transfer.bank_transfer", "cod.cod"]


def test_s08_stock_problem_surfaces_as_warning_not_error():
    flow = T.scenario("s08")
    with ReplayServer(flow) as srv:
        quote = dialect_for(Oc40Dialect, srv).quote(draft_from(flow, R))
    assert any("***" in w for w in quote.warnings)
    assert quote.products[0].in_stock is False and len(quote.options) == 4


def test_s10_no_shipping_needed_gives_base_payments_only():
    flow = T.scenario("s10")
    with ReplayServer(_expected_quote_exchanges("s10")) as srv:
        quote = dialect_for(Oc40Dialect, srv).quote(draft_from(flow, R))
    assert quote.shipping_required is False and quote.options == ()
    assert [p.code for p in quote.payment_methods] == ["bank_transfer.bank_transfer"]
    assert quote.totals[-1].value == Decimal("602.00")  # UK VAT and Eco Tax: taxed at the store address


def test_confirm_and_history_replay_the_order_flow():
    """005-021 minus the extra cart look-ups the recorder made between steps."""
    flow = T.seq("005-008", "010-018")
    draft = draft_from(flow, R).with_shipping("flat.flat").with_payment("cod.cod")
    with ReplayServer(flow + [T[19]]) as srv:
        dialect = dialect_for(Oc40Dialect, srv)
        result = dialect.confirm(draft, None, "Reference peer order, please ignore")
        dialect.add_history(result.order_id, 2, "Payment received")
    assert result.order_id == 3 and result.status_id == 1 and result.points == 800
    assert result.total == Decimal(money(T[16].json["totals"][-1]["text"])) == Decimal("375.20")
    assert [t.code for t in result.totals] == ["sub_total", "shipping", "tax", "tax", "total"]


def test_confirm_with_status_sends_it():
    flow = T.seq("005-008", "010-016")
    confirm = T[20]  # recorded: order.confirm with order_status_id=1
    draft = draft_from(flow, R).with_shipping("flat.flat").with_payment("cod.cod")
    with ReplayServer(flow + [confirm]) as srv:
        result = dialect_for(Oc40Dialect, srv).confirm(draft, 1, "")
    assert result.order_id == 3 and result.status_id == 1


def test_currency_is_set_first_and_euro_amounts_parse():
    flow = T.seq("047-050")
    draft = draft_from(flow, R)
    with ReplayServer(flow) as srv:
        cart = dialect_for(Oc40Dialect, srv, currency="EUR").cart(draft)
    assert cart.total == Decimal("96.66") and cart.products[0].total_text == "96.66€"
    assert [t.value for t in cart.totals] == [Decimal("79.24"), Decimal("1.57"), Decimal("15.85"), Decimal("96.66")]


def test_cart_edit_and_remove_use_listed_cart_ids():
    """098-102: list, edit line 54 to 3, list, remove it, list."""
    login, add40 = T[54], T[65]
    draft1 = draft_from([add40], R)
    with ReplayServer([login, add40, T[98], T[99], T[100], T[101], T[102]]) as srv:
        d = dialect_for(Oc40Dialect, srv)
        c1 = d.cart(draft1)
        assert [(p.product_id, p.quantity) for p in c1.products] == [(40, 1)]
        three = draft1.model_copy(update={"lines": (draft1.lines[0].model_copy(update={"quantity": 3}),)})
        c2 = d.cart(three)
        assert [(p.product_id, p.quantity) for p in c2.products] == [(40, 3)]
        c3 = d.cart(draft1.model_copy(update={"lines": ()}))
        assert c3.products == () and c3.total == Decimal("0.00")


def test_second_quote_on_the_same_thread_starts_afresh_because_40_cannot_unset_a_method():
    s01, s02 = T.scenario("s01"), T.scenario("s02")  # same customer and cart, UK then US addresses
    with ReplayServer(s01 + s02) as srv:
        d = dialect_for(Oc40Dialect, srv)
        d.quote(draft_from(s01, R))
        us = d.quote(draft_from(s02, R))
    assert [o.quote.code for o in us.options] == ["flat.flat", "item.item"] and us.requests == len(s02)


def test_cart_only_calls_reuse_the_session_and_send_only_the_change():
    s01, s02 = T.scenario("s01"), T.scenario("s02")
    uk, us = draft_from(s01, R), draft_from(s02, R)
    # UK cart, then the same cart shipped to the US: only the two addresses and the cart go out again
    with ReplayServer(s01[:6] + [T[132], T[133], T[134]]) as srv:
        d = dialect_for(Oc40Dialect, srv)
        d.cart(uk)
        cart = d.cart(us)
    assert d.requests_made == 9 and cart.totals[-1].value == Decimal("101.00")  # no UK tax


def test_a_method_answering_an_error_becomes_a_quote_warning():
    flow = T.scenario("s01")
    methods = dict(T[119].json["shipping_methods"], ups={"code": "ups", "name": "UPS", "quote": {}, "sort_order": "4",
                                                         "error": "UPS: no rate to this address"})
    body = {"shipping_methods": methods}
    listing = replace(T[119], json=body, body_text=json.dumps(body))
    with ReplayServer([listing if e is T[119] else e for e in flow]) as srv:
        quote = dialect_for(Oc40Dialect, srv).quote(draft_from(flow, R))
    assert [o.quote.code for o in quote.options] == ["flat.flat", "item.item", "weight.weight_4"]
    assert "shipping method UPS: UPS: no rate to this address" in quote.warnings
    warnings: list[str] = []
    with ReplayServer(flow[:5] + [listing]) as srv:
        d = dialect_for(Oc40Dialect, srv)
        d._warn = warnings.append
        quotes = d.shipping_methods(draft_from(flow, R))
    assert len(quotes) == 3 and warnings == ["oc40: shipping method UPS: UPS: no rate to this address"]
