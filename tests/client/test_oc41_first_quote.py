"""oc41 storefront quotes at their minimum, 1 + 2q + b requests: the first quote is chosen in the
list's session (which chose nothing), every other quote in a fresh one.

Live sandbox: requests per route per quote, and the first quote's figures equal those of the same
quote priced in a fresh session. Recordings: ``transcripts-session/x06``-``x08``, recorded from a
real OpenCart 4.1.0.4 store (``tools/record_oc41_session.py``), show the store answering the first
quote in the list's session exactly as in a session of its own.
"""

from __future__ import annotations

from collections import Counter

import pytest

import ocdata.client as oc
from ocdata._php import parse_pairs

from live_sandbox import JANE, LONDON, LOS_ANGELES, Recorder, draft, start
from oc41_transcripts import BASE, KEY, Oc41Replay, draft_from, load

MUNICH = oc.Address(firstname="Jane", lastname="Doe", address_1="1 Marienplatz", city="Munich", postcode="80331",
                    country="DE", zone="BY")
CARTS = [
    (oc.CartLine(product_id=40), oc.CartLine(product_id=48)),
    (oc.CartLine(product_id=33, quantity=3),),
    (oc.CartLine(product_id=28, quantity=2), oc.CartLine(product_id=29)),
]


def drafts():
    """Carts x UK/US/DE x Default and Wholesale (group 3: prices of its own on 48 and 33)."""
    for lines in CARTS:
        for address in (LONDON, LOS_ANGELES, MUNICH):
            for group in (1, 3):
                d = draft(address, lines)
                yield d.model_copy(update={"customer": JANE.model_copy(update={"customer_group_id": group})})


def figures(option):
    return option.quote.code, option.error, [t.model_dump() for t in option.totals], option.payment_methods


@pytest.fixture(scope="module")
def sandboxes():
    rich, stock = start(), start(store="stock")
    yield rich, stock
    rich.stop()
    stock.stop()


def connect(sandbox, hook=None):
    store = oc.connect(sandbox.url, sandbox.username, sandbox.key, dialect="oc41", hook=hook, timeout=10)
    for address in (LONDON, LOS_ANGELES, MUNICH):
        store.address(address)  # ISO codes resolved before requests are counted
    return store


def bands(quote) -> int:
    """Payment lookups a per-band quote needs: one per band of order total (<= 0 or not)."""
    return len({next(t.value <= 0 for t in o.totals if t.code == "total") for o in quote.options if not o.error})


def test_storefront_quote_sends_one_plus_two_per_quote_plus_bands(sandboxes):
    rich, _ = sandboxes
    hook = Recorder()
    store = connect(rich, hook)
    assert store.pricing == "storefront"
    for d in drafts():
        hook.clear()
        quote = store.quote(d)
        q, b = len(quote.options), bands(quote)
        assert q >= 3 and b == 1 and not any(o.error for o in quote.options)
        calls = hook.calls()
        per_route = Counter(calls)
        # the list's prime + its priced list, one prime per other quote; one choice per quote; payments per band
        assert per_route == {"shipping_methods": 1 + q, "shipping_method": q, "payment_methods": b}, calls
        assert quote.requests == len(calls) == 1 + 2 * q + b
        # the first quote is chosen in the list's (already primed) session: no prime in between
        assert calls[:4] == ["shipping_methods", "shipping_methods", "shipping_method", "payment_methods"]
        assert calls[4:] == ["shipping_methods", "shipping_method"] * (q - 1)
    exact = store.quote(next(drafts()), payment_methods="per_option")
    assert exact.requests == 1 + 3 * len(exact.options)
    store.close()


def test_first_quote_figures_equal_a_fresh_sessions(sandboxes):
    rich, _ = sandboxes
    store, fresh = connect(rich), connect(rich)
    for d in drafts():
        quote = store.quote(d)
        first = quote.options[0]
        chosen = d.with_shipping(first.quote)
        # store.totals / store.payment_methods price the quote in a session of their own
        assert [t.model_dump() for t in fresh.totals(chosen)] == [t.model_dump() for t in first.totals], d
        assert fresh.payment_methods(chosen) == first.payment_methods, d
        # and every quote equals a quote made one session per quote (per_option asks in each session)
        assert [figures(o) for o in fresh.quote(d, payment_methods="per_option").options] == \
            [figures(o) for o in quote.options]
    store.close()
    fresh.close()


def test_without_a_free_quote_the_cart_is_read_before_the_first_quote_is_chosen(sandboxes):
    _, stock = sandboxes
    hook = Recorder()
    store, check = connect(stock, hook), connect(stock)
    for address in (LONDON, LOS_ANGELES):
        d = draft(address, (oc.CartLine(product_id=40), oc.CartLine(product_id=33)))
        hook.clear()
        quote = store.quote(d)
        # the demo store ships flat only (taxed): the cart comes from its own call, in the list's session
        # before flat is chosen there, so its totals hold no shipping line
        assert hook.calls() == ["shipping_methods", "shipping_methods", "cart", "shipping_method", "payment_methods"]
        assert [t.model_dump() for t in quote.totals] == [t.model_dump() for t in check.cart(d).totals]
        assert not [t for t in quote.totals if t.code == "shipping"]
        chosen = d.with_shipping(quote.options[0].quote)
        assert [t.model_dump() for t in quote.options[0].totals] == [t.model_dump() for t in check.totals(chosen)]
    store.close()
    check.close()


# ------------------------------------------------------------------ recorded on a real 4.1.0.4 store


def _json(name):
    return load(name, "transcripts-session")["response"]["json"]


def _without_cart_ids(products):
    return [{k: v for k, v in p.items() if k != "cart_id"} for p in products]


@pytest.mark.parametrize("listing", ["x06-0", "x08-"])
def test_recorded_list_session_carries_one_cookie_and_no_product_lines(listing):
    calls = [load(f"{listing}{i}", "transcripts-session") for i in (1, 2, 3, 4)]
    assert [c["request"]["query"]["call"] for c in calls] == \
        ["shipping_methods", "shipping_methods", "shipping_method", "payment_methods"]
    sid = calls[0]["response"]["set_cookie"].split(";")[0].removeprefix("OCSESSID=")
    assert not calls[0]["request"]["cookies"] and any(k.startswith("product[") for k, _ in calls[0]["request"]["form"])
    for c in calls[1:]:
        assert c["request"]["cookies"] == {"OCSESSID": sid}
        assert not any(k.startswith("product[") for k, _ in c["request"]["form"])
    # the quote chosen is the priced list's first, posted as listed
    method = next(iter(calls[1]["response"]["json"]["shipping_methods"].values()))
    first = next(iter(method["quote"].values()))
    posted = dict(calls[2]["request"]["form"])
    assert posted["shipping_method[code]"] == first["code"] and posted["shipping_method[cost]"] == first["cost"]
    assert calls[2]["response"]["json"]["success"] == "Success: Shipping method has been set!"


def test_recorded_first_quote_in_the_lists_session_equals_a_fresh_session():
    in_list, fresh = _json("x06-03"), _json("x07-2")
    assert in_list["totals"] == fresh["totals"]
    assert _without_cart_ids(in_list["products"]) == _without_cart_ids(fresh["products"])
    assert _json("x06-04") == _json("x07-3")
    # destination tax and Wholesale prices, i.e. really priced from the session
    assert [t["title"] for t in in_list["totals"] if t["code"] == "tax"] == ["CA Sales Tax 8.25%"]
    assert in_list["totals"][0]["value"] == 270  # 180.00 (33, special) + 90.00 (48, special)


def test_client_quote_is_the_recorded_real_store_sequence():
    """x06 is a whole storefront quote recorded from a real 4.1.0.4 store in the order the client sends
    it: the client's requests are those (forms, cookies, signatures) and its figures are the store's."""
    recorded = [load(f"x06-{i:02d}", "transcripts-session") for i in range(1, 11)]
    answers: dict[str, list] = {}
    for r in recorded:
        answers.setdefault(r["request"]["query"]["call"], []).append(r)
    store = oc.connect(BASE, "Default", KEY, dialect="oc41")
    with Oc41Replay(answers) as replay:
        quote = store.quote(draft_from(recorded[0]))
    sent = replay.sent
    assert [s.call for s in sent] == [r["request"]["query"]["call"] for r in recorded]
    assert quote.requests == 10 == 1 + 2 * len(quote.options) + 1
    sessions = []
    for s, r in zip(sent, recorded):
        replay.verify_signature(s)
        assert s.form == parse_pairs([tuple(p) for p in r["request"]["form"]]), r["title"]
        recorded_cookie = r["request"]["cookies"].get("OCSESSID")
        assert (s.cookies is None) == (recorded_cookie is None), r["title"]
        sessions.append(recorded_cookie and s.cookies)
    # one session for the list and the first quote, then one per other quote, never shared
    assert sessions[1] == sessions[2] == sessions[3] and len({c for c in sessions if c}) == 4
    assert [(o.quote.code, [(t.code, str(t.value)) for t in o.totals]) for o in quote.options] == [
        ("flat.flat", [("sub_total", "270.00"), ("shipping", "5.00"), ("tax", "22.69"), ("total", "297.69")]),
        ("weight.weight_5", [("sub_total", "270.00"), ("shipping", "18.00"), ("tax", "23.76"), ("total", "311.76")]),
        ("item.item", [("sub_total", "270.00"), ("shipping", "5.00"), ("tax", "22.69"), ("total", "297.69")]),
        ("pickup.pickup", [("sub_total", "270.00"), ("shipping", "0.00"), ("tax", "22.28"), ("total", "292.28")]),
    ]
    assert all([m.code for m in o.payment_methods] == ["bank_transfer.bank_transfer", "cod.cod"]
               for o in quote.options)
    # the cart is read from the free, untaxed pickup quote's answer (no cart call)
    assert [(t.code, str(t.value)) for t in quote.totals] == [("sub_total", "270.00"), ("tax", "22.28"),
                                                                ("total", "292.28")]
    store.close()
