"""A session change whose answer is lost is never sent again on the same session (issue 13).

The store acts, then the answer is spoiled (502/503, reset, timeout): the client must not
repeat the cart add on that session (the cart would double and the quote be priced at twice
the price). It drops the session, rebuilds the draft on a fresh one and prices that, or
raises a named error. Spec: a live sandbox behind a fault proxy; 4.0/3.0: real-store
recordings replayed behind the same proxy, with the transport's retries on.
"""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

import pytest

import ocdata.client as oc
from ocdata.client.credentials import Credentials, Secret
from ocdata.client.dialects.base import DialectConfig
from ocdata.client.errors import OcdataError, TransportError
from ocdata.client.models import CartLine
from ocdata.client.transport import Transport

from faults import FaultProxy, always, once
from live_sandbox import draft, start
from replay import TEST_API_KEY, ReplayServer
from scenario import SESSION_VERSIONS, Recorded

FAULTS = ["502", "503", "drop", "hang"]
ONE_LINE = (CartLine(product_id=40),)  # 101.00 ex tax in the rich store


@pytest.fixture(scope="module")
def sandbox():
    sb = start(dialects=("spec",))
    yield sb
    sb.stop()


def _connect(url, sb, **kw):
    return oc.connect(url, sb.username, sb.key, dialect="spec", timeout=kw.pop("timeout", 1.5), **kw)


def _sub_total(quote) -> Decimal:
    return next(t.value for t in quote.totals if t.code == "sub_total")


@pytest.mark.parametrize("fault", FAULTS)
def test_spec_cart_add_answer_lost_once_gives_the_exact_quote(sandbox, fault):
    d = draft(lines=ONE_LINE)
    with _connect(sandbox.url, sandbox) as clean:
        right = clean.quote(d)
    assert _sub_total(right) == Decimal("101.00")
    with FaultProxy(sandbox.url, once("api/cart", fault), hang_s=2.5) as proxy, _connect(proxy.url, sandbox) as store:
        quote = store.quote(d)
        tokens = proxy.tokens("api/cart")
    assert _sub_total(quote) == Decimal("101.00")
    assert [t.value for t in quote.totals] == [t.value for t in right.totals]
    assert [(o.quote.code, o.total) for o in quote.options] == [(o.quote.code, o.total) for o in right.options]
    # sent once on the spoiled session, once on a fresh one: never twice on one session
    assert len(tokens) == 2 and len(set(tokens)) == 2


@pytest.mark.parametrize("fault", ["502", "drop"])
def test_spec_cart_add_lost_every_time_is_a_named_error_never_a_doubled_quote(sandbox, fault):
    with FaultProxy(sandbox.url, always("api/cart", fault)) as proxy, _connect(proxy.url, sandbox) as store:
        with pytest.raises(OcdataError) as err:
            store.quote(draft(lines=ONE_LINE))
        tokens = proxy.tokens("api/cart")
    assert isinstance(err.value, TransportError) and err.value.should_retry
    assert "nothing was priced" in str(err.value)
    assert max(Counter(tokens).values()) == 1  # each session got the add once


def test_spec_doubled_cart_is_never_priced(sandbox):
    """Even if the store applied an add twice, a cart holding more than the draft is not priced."""
    with _connect(sandbox.url, sandbox) as store:
        d = draft(lines=ONE_LINE)
        dialect = store.dialect
        session = dialect.session()
        dialect.sync(session, store.resolve(d))
        dialect.call(session, "POST", "api/cart", data=[("product[0][product_id]", "40"),
                                                          ("product[0][quantity]", "1")], call="cart")
        quote = store.quote(d)  # same thread: the session above, which now holds 2
    assert _sub_total(quote) == Decimal("101.00")


# ------------------------------------------------------------------ 4.0 and 3.0 recordings


def _dialect(v: Recorded, url: str):
    cfg = DialectConfig(base_url=url + "index.php",
                        credentials=Credentials(url=url, username="Default", key=Secret(TEST_API_KEY)))
    return v.dialect(cfg, Transport(retries=3, backoff=0.01, timeout=1.5))


@pytest.mark.parametrize("v", SESSION_VERSIONS, ids=lambda v: v.name)
@pytest.mark.parametrize("fault", FAULTS)
def test_recorded_cart_add_answer_lost_rebuilds_on_a_fresh_session(v: Recorded, fault):
    s01 = v.s01  # login, customer, cart add, payment address, shipping address, cart
    relogin = s01[0].answered_by(v[v.relogin])
    exchanges = s01[:3] + [relogin] + s01[1:6]
    add = v.routes["cart_add"]
    with ReplayServer(exchanges) as srv, FaultProxy(srv.base_url, once(add, fault), hang_s=2.5) as proxy:
        cart = _dialect(v, proxy.url).cart(v.draft(s01))
        tokens = proxy.tokens(add)
    assert len(tokens) == 2 and len(set(tokens)) == 2
    assert [(p.product_id, p.quantity) for p in cart.products] == [(40, 1)]


@pytest.mark.parametrize("v", SESSION_VERSIONS, ids=lambda v: v.name)
def test_recorded_cart_add_lost_twice_is_a_named_error(v: Recorded):
    s01 = v.s01
    relogin = s01[0].answered_by(v[v.relogin])
    add = v.routes["cart_add"]
    with ReplayServer(s01[:3] + [relogin] + s01[1:3]) as srv, FaultProxy(srv.base_url, always(add, "502")) as proxy:
        with pytest.raises(TransportError) as err:
            _dialect(v, proxy.url).cart(v.draft(s01))
    assert err.value.status == 502 and err.value.should_retry and "nothing was priced" in str(err.value)


def test_server_error_answering_every_cart_add_is_a_transport_error(sandbox):
    """A 500 page answering the add: the add may have happened; rebuilt once, then named (retryable)."""
    with FaultProxy(sandbox.url, always("api/cart", "500")) as proxy, _connect(proxy.url, sandbox) as store:
        with pytest.raises(TransportError) as err:
            store.quote(draft(lines=ONE_LINE))
        tokens = proxy.tokens("api/cart")
    assert err.value.status == 500 and err.value.should_retry and max(Counter(tokens).values()) == 1
