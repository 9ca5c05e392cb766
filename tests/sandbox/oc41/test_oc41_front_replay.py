"""Every recorded 4.1.0.4 business exchange, replayed against ``Oc41Front`` on the engine.

Stock-store transcripts run in recording order on one engine (``history_add`` and the
order edit need the order the earlier ``confirm`` created); rich-store transcripts on a
rich engine; session scenarios carry the first call's ``OCSESSID`` into the second.
Comparison rules: :mod:`oc41_replay`.
"""

from __future__ import annotations

import re

import pytest
from oc41_replay import Replayer, assert_same_answer, load, make_front, product_cart_ids

STOCK = load("transcripts")
RICH = load("transcripts-rich")
SESSION = load("transcripts-session")


@pytest.fixture(scope="module")
def stock():
    front = make_front("stock")
    return front, Replayer.in_process(front).run(STOCK)


@pytest.fixture(scope="module")
def rich():
    front = make_front("rich")
    return front, Replayer.in_process(front).run(RICH)


@pytest.fixture(scope="module")
def session():
    front = make_front("rich")
    return front, Replayer.in_process(front).run(SESSION)


def test_every_business_transcript_is_replayed():
    assert len(STOCK) == 105 and len(RICH) == 12 and len(SESSION) == 27
    routes = {ex.query["route"] for ex in STOCK}
    assert routes == {"api/order", "api/subscription"}


@pytest.mark.parametrize("name", [ex.name for ex in STOCK])
def test_stock_store_answers_as_recorded(stock, name):
    _, replay = stock
    assert_same_answer(replay.answers[name], replay.exchanges[name], replay.order_ids)


@pytest.mark.parametrize("name", [ex.name for ex in RICH])
def test_rich_store_answers_as_recorded(rich, name):
    _, replay = rich
    assert_same_answer(replay.answers[name], replay.exchanges[name], replay.order_ids)


@pytest.mark.parametrize("name", [ex.name for ex in SESSION])
def test_session_scenarios_answer_as_recorded(session, name):
    _, replay = session
    assert_same_answer(replay.answers[name], replay.exchanges[name], replay.order_ids)


@pytest.mark.parametrize("replay_of", ["stock", "rich", "session"])
def test_every_answer_opens_a_session_and_sets_currency_like_the_store(replay_of, request):
    _, replay = request.getfixturevalue(replay_of)
    for name, response in replay.answers.items():
        ex = replay.exchanges[name]
        assert re.fullmatch(r"[0-9a-f]{26}", response.set_cookies["OCSESSID"]), name
        if "set_cookie" in ex.response:  # 035's cookies were not recorded
            assert response.set_cookies.get("currency") == ex.sets_currency_cookie(), name


def test_cookie_call_runs_in_the_first_calls_session(stock):
    """041/042: same OCSESSID back, same cart row, quantity 1 + 1."""
    _, replay = stock
    first, second = replay.answers["041-quirk-cookie-1"], replay.answers["042-quirk-cookie-2"]
    assert second.set_cookies["OCSESSID"] == first.set_cookies["OCSESSID"]
    assert product_cart_ids(second) == product_cart_ids(first)


def test_one_off_calls_never_share_a_session(stock):
    _, replay = stock
    ids = [r.set_cookies["OCSESSID"] for n, r in replay.answers.items() if not replay.exchanges[n].request.get("cookies")]
    assert len(ids) == len(set(ids))


def test_second_scenario_call_prices_the_first_calls_cart_rows(session):
    _, replay = session
    pairs = [("x01-1-cart", "x01-2-shipping_method"), ("x02-1-cart", "x02-2-shipping_method"), ("x03-1-cart", "x03-2-cart")]
    for first, second in pairs:
        assert product_cart_ids(replay.answers[second]) == product_cart_ids(replay.answers[first]), second
        assert product_cart_ids(replay.answers[first]), first


def test_confirms_wrote_the_orders_the_store_wrote(stock):
    """014 new (status 1), 015 -> 2, 016 edit (void 16, then 2), 017 status 0,
    096 MacBook with COD although none was offered, 125 unknown id: nothing written."""
    front, replay = stock
    ids = {n: _body(replay.answers[n])["order_id"] for n in ("014-order-confirm", "017-order-confirm-no-status")}
    first = front.engine.order(ids["014-order-confirm"])
    assert [h.order_status_id for h in first.history] == [1, 2, 16, 2]
    assert first.order_status_id == 2 and first.comment == ""  # the edit re-sent no comment
    assert [(p.product_id, p.quantity) for p in first.products] == [(33, 1), (40, 2)]
    assert front.engine.order(ids["017-order-confirm-no-status"]).order_status_id == 0
    macbook = front.engine.order(_body(replay.answers["096-quirk-confirm-unavailable-payment"])["order_id"])
    assert macbook.payment_method.code == "cod.cod" and macbook.shipping_method is None
    assert front.engine.order(99999) is None


def _body(response):
    from oc41_replay import split_body

    return split_body(response.encoded().decode("utf-8"))[1]
