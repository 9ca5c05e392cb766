"""What oc40 and oc30 share, checked once against each version's recordings (4.0.2.3, 3.0.4.1).

Wire parsing of every recorded cart, quote and order flows replayed request by request (and
the same flows against a live sandbox serving the version's store: same requests, same answers),
the store's refusals mapped to the client's error classes, session loss (one re-login and
a rebuilt session) and token discipline. What only one version does lives in
``test_oc40_*.py`` / ``test_oc30_*.py``.
"""

from __future__ import annotations

import json
import logging
from dataclasses import replace
from decimal import Decimal
from typing import Any

import pytest

from ocdata.client.dialects.parse import parse_products, totals_wire
from ocdata.client.errors import (
    AuthenticationError,
    NotFoundError,
    PermissionDeniedError,
    SessionExpiredError,
    UnsupportedOperationError,
    ValidationError,
)
from ocdata.client.models import CartLine, OrderDraft, SubscriptionDraft
from ocdata.client.transport import Transport
from replay import ReplayServer, money
from scenario import OC30, OC40, SESSION_VERSIONS, Recorded, dialect_for, recorded_payment_codes, recorded_totals

SCENARIOS = [f"s{n:02d}" for n in range(1, 12)]


def per_version(values):
    """Parametrise ``version`` (plus ``values`` rows given per version) with readable ids."""
    rows = [(v, *row) if isinstance(row, tuple) else (v, row) for v in SESSION_VERSIONS for row in values(v)]
    return dict(argvalues=rows, ids=[f"{r[0].name}-{'-'.join(str(x) for x in r[1:])}" for r in rows])


versions = pytest.mark.parametrize("v", SESSION_VERSIONS, ids=lambda v: v.name)


# ---------------------------------------------------------------- wire


@pytest.mark.parametrize("v,ex", [(v, ex) for v in SESSION_VERSIONS for ex in v.cart_answers()],
                         ids=lambda x: x.name)
def test_every_recorded_cart_parses_to_the_cent(v: Recorded, ex):
    title = v.shipping_title(ex)
    totals = totals_wire(ex.json["totals"], shipping_title=title)
    recorded = ex.json["totals"]
    assert [t.title for t in totals] == [r["title"] for r in recorded]
    assert [str(t.value) for t in totals] == [money(r["text"]) for r in recorded]
    assert totals[0].code == "sub_total" and totals[-1].code == "total"
    assert [t.sort_order for t in totals] == list(range(len(totals)))
    # the grand total is the sum of the other lines: a check on values and on codes alike
    assert sum(t.value for t in totals[:-1]) == totals[-1].value
    assert len([t for t in totals if t.code == "shipping"]) == (1 if title else 0)
    assert {t.code for t in totals[1:-1]} - {"shipping"} <= {"tax"}
    products = [parse_products([p])[0] for p in ex.json["products"]]
    assert [p.product_id for p in products] == [int(p["product_id"]) for p in ex.json["products"]]
    assert all(p.price is None and p.total is None for p in products)  # no ex-tax numbers on the wire
    for flag in ("shipping", "minimum_ok"):
        assert all((getattr(p, flag) is not None) == (flag in v.product_flags) for p in products)


# ---------------------------------------------------------------- flows


@pytest.fixture(scope="module")
def version_sandboxes():
    """A live sandbox per version, over its reference store with its own front (started on first use)."""
    from ocdata.sandbox import serve

    started: dict[str, Any] = {}
    yield lambda v: started.get(v.name) or started.setdefault(v.name, serve(store=v.name))
    for sandbox in started.values():
        sandbox.stop()


def on(v: Recorded, where: str, sandboxes, exchanges, action, **config):
    """``action(dialect)`` against the replay of ``exchanges`` or (``where="live"``) the live sandbox."""
    if where == "replay":
        return v.run(exchanges, action, **config)
    return v.live(sandboxes(v), action, **config)


places = pytest.mark.parametrize("where", ["replay", "live"])


@places
@pytest.mark.parametrize(**per_version(lambda v: SCENARIOS), argnames="v,tag")
def test_quote_replays_scenario(v: Recorded, tag, where, version_sandboxes):
    """The recorded scenario's quote, from the recording itself and from the live sandbox: the same
    requests and the same answer to the cent either way."""
    flow = v.transcripts.scenario(tag)
    expected = v.quote_exchanges(tag)
    draft = v.draft(flow)
    quote = on(v, where, version_sandboxes, expected, lambda d: d.quote(draft))
    assert quote.requests == len(expected) and quote.dialect == v.name and quote.pricing == "session"

    listing = next((e for e in flow if e.route == v.routes["shipping_list"] and "shipping_methods" in (e.json or {})),
                   None)
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
        rec_tax = sum((value for title, value in rec_totals[1:-1] if title != opt.quote.name), Decimal(0))
        assert opt.tax() == rec_tax
        shipping = [t for t in opt.totals if t.code == "shipping"]
        assert [s.value for s in shipping] == [opt.quote.cost]  # USD store: ex-tax cost == shipping line
        pay_ex = next(e for e in flow if e.name.endswith("-payment-methods-" + rec["code"].replace(".", "_")))
        assert [p.code for p in opt.payment_methods] == recorded_payment_codes(pay_ex.json)

    base_cart = next(e for e in flow if e.name.endswith(f"-{tag}-cart"))
    assert [(t.title, t.value) for t in quote.totals] == recorded_totals(base_cart)
    assert [p.product_id for p in quote.products] == [line.product_id for line in draft.lines]
    assert [p.total_text for p in quote.products] == [
        next(r["total"] for r in base_cart.json["products"] if int(r["product_id"]) == line.product_id)
        for line in draft.lines]


@versions
def test_s01_numbers_spelled_out(v: Recorded):
    quote = v.run(v.s01, lambda d: d.quote(v.draft(v.s01)))
    flat = quote.option("flat.flat")
    assert flat.total == Decimal("131.20") and flat.tax() == Decimal("25.20")
    assert [(t.code, t.value) for t in flat.totals] == [
        ("sub_total", Decimal("101.00")), ("shipping", Decimal("5.00")), ("tax", Decimal("4.00")),
        ("tax", Decimal("21.20")), ("total", Decimal("131.20"))]
    assert quote.option("weight.weight_4").quote.name == "UK Shipping  (Weight: 10.00kg)"
    assert [p.code for p in flat.payment_methods] == [v.payment_code("bank_transfer"), v.payment_code("cod")]


@versions
def test_s08_stock_problem_surfaces_as_warning_not_error(v: Recorded):
    flow = v.transcripts.scenario("s08")
    quote = v.run(flow, lambda d: d.quote(v.draft(flow)))
    assert any("***" in w for w in quote.warnings)
    assert quote.products[0].in_stock is False and len(quote.options) == 4


@versions
def test_s10_no_shipping_needed_gives_base_payments_only(v: Recorded):
    quote = v.run(v.quote_exchanges("s10"), lambda d: d.quote(v.draft(v.transcripts.scenario("s10"))))
    assert quote.shipping_required is False and quote.options == ()
    assert [p.code for p in quote.payment_methods] == [v.payment_code("bank_transfer")]
    assert quote.totals[-1].value == Decimal("602.00")  # UK VAT and Eco Tax: taxed at the store address


@versions
@places
def test_confirm_and_history_replay_the_order_flow(v: Recorded, where, version_sandboxes):
    """The recorded order flow minus the extra cart look-ups the recorder made between steps."""
    flow = v.transcripts.seq(*v.order_flow)
    # a 4.x-style payment code is accepted everywhere (3.0 is sent its bare code)
    draft = v.draft(flow).with_shipping("flat.flat").with_payment("cod.cod")

    def order(d):
        result = d.confirm(draft, None, "Reference peer order, please ignore")
        d.add_history(result.order_id, 2, "Payment received")
        return result

    result = on(v, where, version_sandboxes, flow + [v[v.history]], order)
    if where == "live":  # the sandbox numbers its own orders; the history moved this one to Processing
        assert version_sandboxes(v).engine.order(result.order_id).order_status_id == 2
    else:
        assert result.order_id == v.order_id
    assert result.status_id == 1 and result.points == v.order_points
    order_cart = next(e for e in reversed(flow) if e.route == v.routes["cart"])
    assert result.total == Decimal(money(order_cart.json["totals"][-1]["text"])) == Decimal("375.20")
    assert [t.code for t in result.totals] == ["sub_total", "shipping", "tax", "tax", "total"]


@places
@versions
def test_currency_is_set_first_and_euro_amounts_parse(v: Recorded, where, version_sandboxes):
    flow = v.transcripts.seq(v.currency_flow)
    cart = on(v, where, version_sandboxes, flow, lambda d: d.cart(v.draft(flow)), currency="EUR")
    assert cart.total == Decimal("96.66") and cart.products[0].total_text == "96.66€"
    assert [t.value for t in cart.totals] == [Decimal("79.24"), Decimal("1.57"), Decimal("15.85"), Decimal("96.66")]


@places
@versions
def test_cart_edit_and_remove_use_listed_cart_ids(v: Recorded, where, version_sandboxes):
    """list, edit line 40 to 3, list, remove it, list."""
    login, add, changes = v.edit_flow
    one = v.draft([v[add]])
    three = one.model_copy(update={"lines": (one.lines[0].model_copy(update={"quantity": 3}),)})
    carts = on(v, where, version_sandboxes, [v[login], v[add], *v.transcripts.seq(changes)],
               lambda d: [d.cart(draft) for draft in (one, three, one.model_copy(update={"lines": ()}))])
    assert [[(p.product_id, p.quantity) for p in c.products] for c in carts] == [[(40, 1)], [(40, 3)], []]
    assert carts[-1].total == Decimal("0.00")


@versions
def test_a_method_answering_an_error_becomes_a_quote_warning(v: Recorded):
    listed = v.s01[6]
    methods = dict(listed.json["shipping_methods"], ups={"code": "ups", v.method_label: "UPS", "quote": {},
                                                         "sort_order": "4", "error": "UPS: no rate to this address"})
    body = {"shipping_methods": methods}
    listing = replace(listed, json=body, body_text=json.dumps(body))
    quote = v.run([listing if e is listed else e for e in v.s01], lambda d: d.quote(v.draft(v.s01)))
    assert [o.quote.code for o in quote.options] == ["flat.flat", "item.item", "weight.weight_4"]
    assert "shipping method UPS: UPS: no rate to this address" in quote.warnings
    warnings: list[str] = []

    def listing_only(d):
        d._warn = warnings.append
        return d.shipping_methods(v.draft(v.s01))

    assert len(v.run(v.s01[:5] + [listing], listing_only)) == 3
    assert warnings == [f"{v.name}: shipping method UPS: UPS: no rate to this address"]


# ---------------------------------------------------------------- refusals


@pytest.mark.parametrize(**per_version(lambda v: {
    "oc40": [(22, AuthenticationError), (23, AuthenticationError), (52, AuthenticationError),
             (28, PermissionDeniedError)],
    "oc30": [(25, AuthenticationError), (26, AuthenticationError), (27, AuthenticationError),
             (60, AuthenticationError), (32, PermissionDeniedError)],
}[v.name]), argnames="v,num,cls")
def test_login_refusals(v: Recorded, num, cls):
    login = v.s01[0]
    with pytest.raises(cls) as err:
        v.run([login.answered_by(v[num])], lambda d: d.cart(OrderDraft()))
    assert login.issued_token not in str(err.value)


@pytest.mark.parametrize("v,num,fields", [
    (OC40, 58, {"warning": "Warning: Product could not be found!"}),
    (OC30, 66, {"store": "Product can not be bought from the store you have choosen!"}),
], ids=["oc40", "oc30"])
def test_unknown_product_is_not_found(v: Recorded, num, fields):
    with pytest.raises(NotFoundError) as err:
        v.run(v.s01[:2] + [v.s01[2].answered_by(v[num])], lambda d: d.cart(v.draft(v.s01)))
    assert err.value.fields == fields


@pytest.mark.parametrize("v,num,some", [
    (OC40, 61, {"option_218": "Radio required!", "option_220": "Date & Time required!"}),  # unescaped
    (OC30, 68, {"option_223": "Checkbox required!"}),  # 3.0 nests them: {"option": {"223": …}}
], ids=["oc40", "oc30"])
def test_missing_required_options_name_each_option(v: Recorded, num, some):
    with pytest.raises(ValidationError) as err:
        v.run(v.s01[:2] + [v.s01[2].answered_by(v[num])], lambda d: d.cart(v.draft(v.s01)))
    assert some.items() <= err.value.fields.items() and len(err.value.fields) == 9


@pytest.mark.parametrize(**per_version(lambda v: {
    "oc40": [(69, ValidationError, "firstname,lastname,email"), (70, ValidationError, "firstname,email"),
             (71, NotFoundError, "warning"),
             (72, ValidationError, "warning")],  # unknown customer group: a validation problem, not a missing customer
    "oc30": [(77, ValidationError, "email"), (79, ValidationError, "telephone"), (80, NotFoundError, "warning")],
}[v.name]), argnames="v,num,cls,fields")
def test_customer_refusals(v: Recorded, num, cls, fields):
    with pytest.raises(cls) as err:
        v.run([v.s01[0], v.s01[1].answered_by(v[num])], lambda d: d.cart(v.draft(v.s01)))
    assert type(err.value) is cls and set(err.value.fields) >= set(fields.split(","))


@pytest.mark.parametrize(**per_version(lambda v: {
    "oc40": [(4, 73, "address_1"), (4, 75, "city"), (4, 76, "postcode")],  # shipping address
    "oc30": [(3, 82, "address_1"), (3, 83, "city")],  # payment address
}[v.name]), argnames="v,step,num,field")
def test_address_refusals_carry_the_store_fields(v: Recorded, step, num, field):
    with pytest.raises(ValidationError) as err:
        v.run(v.s01[:step] + [v.s01[step].answered_by(v[num])], lambda d: d.cart(v.draft(v.s01)))
    assert field in err.value.fields


@pytest.mark.parametrize("v,num", [(OC40, 90), (OC40, 91), (OC30, 101)], ids=["oc40-90", "oc40-91", "oc30-101"])
def test_history_for_unknown_order_is_not_found(v: Recorded, num):
    with pytest.raises(NotFoundError) as err:
        v.run([v.s01[0], v[v.history].answered_by(v[num])], lambda d: d.add_history(v.order_id, 2, "Payment received"))
    assert err.value.fields == {"order_id": "Warning: Order could not be found!"}


@versions
def test_subscription_calls_are_unsupported_without_a_request(v: Recorded):
    sub = SubscriptionDraft(customer_id=1, payment_address_id=1, shipping_address_id=1,
                            lines=(CartLine(product_id=40),))
    calls = [lambda d: d.subscription_cart(sub), lambda d: d.subscription_shipping_methods(sub),
             lambda d: d.subscription_payment_methods(sub), lambda d: d.subscription_confirm(sub),
             lambda d: d.subscription_add_history(1, 1)]
    for call in calls:
        with pytest.raises(UnsupportedOperationError) as err:
            v.run([], call)  # the replay fails on any request
        assert v.dialect.versions in str(err.value)


# ---------------------------------------------------------------- session loss and tokens


@pytest.mark.parametrize(**per_version(lambda v: v.lost), argnames="v,lost_num")
def test_session_loss_costs_one_relogin_and_a_rebuilt_session(v: Recorded, lost_num):
    """The token dies after the addresses: log in again, replay the draft, carry on."""
    lost = v.s01[5].answered_by(v[lost_num])
    relogin = v.s01[0].answered_by(v[v.relogin])  # a new token; the replay insists the client switches to it
    ex = v.s01[:5] + [lost, relogin] + v.s01[1:]
    quote = v.run(ex, lambda d: d.quote(v.draft(v.s01)))
    assert [o.quote.code for o in quote.options] == ["flat.flat", "item.item", "weight.weight_4"]
    assert quote.requests == len(ex)


@versions
def test_second_loss_right_after_relogin_is_raised_without_tokens(v: Recorded):
    lost = v.s01[5].answered_by(v[v.lost[0]])
    relogin = v.s01[0].answered_by(v[v.relogin])
    with pytest.raises(SessionExpiredError) as err:
        v.run(v.s01[:5] + [lost, relogin] + v.s01[1:5] + [lost], lambda d: d.cart(v.draft(v.s01)))
    assert "allow-list" in str(err.value)
    shown = f"{err.value} {err.value.body!r} {err.value.__cause__!r}"
    assert v.s01[0].issued_token not in shown and relogin.issued_token not in shown


@versions
def test_idle_session_is_replaced_before_the_store_rejects_it(v: Recorded):
    def idle(d):
        d.cart(v.draft(v.s01))
        d.session().last_used -= v.dialect.idle_ttl  # unused for as long as the store keeps a token
        return d.cart(v.draft(v.s01))

    ex = v.s01[:6] + [v.s01[0].answered_by(v[v.relogin])] + v.s01[1:6]
    assert v.run(ex, idle).total is not None


@versions
def test_no_cookie_fallback_and_token_never_leaks(v: Recorded, caplog):
    token = v.s01[0].issued_token
    caplog.set_level(logging.DEBUG, logger="ocdata")
    with ReplayServer(v.s01) as srv:
        d = dialect_for(v.dialect, srv)
        quote = d.quote(v.draft(v.s01))
        session = d.session()
        shown = " ".join([repr(d), repr(session), repr(quote), repr(quote.options[0]), str(quote.model_dump())])
    assert all(not r.cookies for r in srv.requests)  # the replay also rejects the token as cookie or field
    assert token not in shown and token not in caplog.text
    assert session.token == token  # …it is only held where it is needed


@versions
def test_probe_logs_in_without_credentials(v: Recorded):
    login, elsewhere, evidence = v.probe
    with ReplayServer([v[login]]) as srv:
        result = v.dialect.probe(dialect_for(v.dialect, srv).config, Transport(retries=0))
    assert result.matches and result.version == v.dialect.versions and evidence in result.evidence
    with ReplayServer([v[login].answered_by(v[elsewhere])]) as srv:  # HTML 404: not this version's store
        assert not v.dialect.probe(dialect_for(v.dialect, srv).config, Transport(retries=0)).matches
