"""An order write that may have reached the store is never sent twice and always says so (issue 13).

Every way the answer to confirm can go wrong after the request left (lost, timed out, 5xx,
401, not JSON, JSON without a usable order id) must raise OrderStateUnknownError, whose
message says the order may exist and where to check, and the confirm must reach the store
exactly once — never re-sent after a re-login.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

import ocdata.client as oc
from ocdata.client.errors import OrderStateUnknownError, ValidationError

from faults import FaultProxy, always
from live_sandbox import draft, start
from scenario import SESSION_VERSIONS, Recorded, dialect_for
from replay import ReplayServer

BAD_ANSWERS = [
    "drop", "hang", "500", "502", "503", "504", "401",
    (200, "<html><body>Fatal error</body></html>"), (200, "[]"), (200, "null"), (200, '"ok"'), (200, "{}"),
    (200, '{"success": "Success: order placed"}'), (200, '{"order_id": null}'), (200, '{"order_id": "abc"}'),
    (200, '{"order_id": 2.7}'), (200, '{"order_id": 0}'), (200, '{"order_id": -4}'), (200, '{"order_id": 1e400}'),
    (200, '{"order_id": "inf"}'), (200, '{"order_id": true}'), (200, '{"order_id": [3]}'),
]
IDS = [str(b) for b in BAD_ANSWERS]


@pytest.fixture(scope="module")
def sandbox():
    sb = start()
    yield sb
    sb.stop()


def _assert_may_exist(err: OrderStateUnknownError) -> None:
    message = str(err)
    assert err.order_may_exist and not err.should_retry
    assert "may exist" in message and "Sales > Orders" in message


@pytest.fixture(scope="module")
def confirming(sandbox):
    """Per dialect: a store behind a proxy whose confirm answer the test chooses, and a priced draft."""
    holder: dict = {}
    proxy = FaultProxy(sandbox.url, lambda n, m, r: holder.get(r), hang_s=1.5)
    made = {}
    for dialect in ("spec", "oc41"):
        store = oc.connect(proxy.url, sandbox.username, sandbox.key, dialect=dialect, timeout=0.8)
        d = draft()
        option = store.quote(d).options[0]
        made[dialect] = store, d.with_shipping(option.quote).with_payment(option.payment_methods[0])
    yield holder, proxy, made
    for store, _ in made.values():
        store.close()
    proxy.close()


@pytest.mark.filterwarnings("ignore::ocdata.client.errors.OcdataWarning")
@pytest.mark.parametrize("dialect", ["spec", "oc41"])
@pytest.mark.parametrize("bad", BAD_ANSWERS, ids=IDS)
def test_confirm_with_a_bad_answer_says_the_order_may_exist_and_is_sent_once(confirming, dialect, bad):
    holder, proxy, made = confirming
    store, chosen = made[dialect]
    before = proxy.routes("POST").count("api/order:confirm")
    holder["api/order:confirm"] = bad
    try:
        with pytest.raises(OrderStateUnknownError) as err:
            store.confirm(chosen)
    finally:
        holder.clear()
    _assert_may_exist(err.value)
    assert proxy.routes("POST").count("api/order:confirm") - before == 1


def test_a_refused_confirm_is_a_validation_error_not_order_state_unknown(sandbox):
    refusal = (200, '{"error": {"warning": "Warning: Payment method required!"}}')
    with FaultProxy(sandbox.url, always("api/order:confirm", refusal)) as proxy:
        store = oc.connect(proxy.url, sandbox.username, sandbox.key, dialect="spec", timeout=2)
        with pytest.raises(ValidationError) as err:
            store.confirm(draft())
        store.close()
    assert not err.value.order_may_exist


@pytest.mark.parametrize("bad", ["401", (200, "[]"), (200, '{"order_id": "abc"}')], ids=str)
def test_add_history_with_a_bad_answer_says_the_change_may_exist(sandbox, bad):
    with FaultProxy(sandbox.url, always("api/order:history_add", bad)) as proxy:
        store = oc.connect(proxy.url, sandbox.username, sandbox.key, dialect="spec", timeout=2)
        if bad == "401" or bad[1] == "[]":
            with pytest.raises(OrderStateUnknownError) as err:
                store.add_history(1, 2, "shipped")
            _assert_may_exist(err.value)
        else:
            store.add_history(1, 2, "shipped")  # any JSON object that is not a refusal is the store's "done"
        store.close()
        assert proxy.routes("POST").count("api/order:history_add") == 1


# ------------------------------------------------------------------ 4.0 and 3.0 recordings

RECORDED_BAD = [a for a in BAD_ANSWERS if a not in ("drop", "hang")]


def _spoiled(ex, bad):
    if isinstance(bad, tuple):
        status, text = bad
        return replace(ex, name=f"{ex.name}<-bad", status=status, body_text=text, content_type="application/json",
                       json=None)
    return replace(ex, name=f"{ex.name}<-{bad}", status=int(bad), body_text="<html>error</html>",
                   content_type="text/html", json=None)


@pytest.mark.parametrize("v", SESSION_VERSIONS, ids=lambda v: v.name)
@pytest.mark.parametrize("bad", RECORDED_BAD + ["drop"], ids=str)
def test_recorded_confirm_with_a_bad_answer_says_the_order_may_exist(v: Recorded, bad):
    flow = v.transcripts.seq(*v.order_flow)
    d = v.draft(flow).with_shipping("flat.flat").with_payment(v.payment_code("cod"))
    last = flow[-1] if bad == "drop" else _spoiled(flow[-1], bad)
    with ReplayServer(flow[:-1] + [last]) as srv:
        if bad == "drop":
            with FaultProxy(srv.base_url, always(v.routes["confirm"], "drop")) as proxy:
                dialect = dialect_for(v.dialect, srv)
                dialect.config = replace(dialect.config, base_url=proxy.url + "index.php")
                with pytest.raises(OrderStateUnknownError) as err:
                    dialect.confirm(d, None, "Reference peer order, please ignore")
        else:
            with pytest.raises(OrderStateUnknownError) as err:
                dialect_for(v.dialect, srv).confirm(d, None, "Reference peer order, please ignore")
    _assert_may_exist(err.value)
