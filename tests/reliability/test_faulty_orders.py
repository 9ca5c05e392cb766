"""``confirm`` and ``add_history`` under every fault kind: never two orders (or two history
entries) for one call, and when the store acted but the client saw an error, the error says
the order may exist (:class:`OrderStateUnknownError`)."""

from __future__ import annotations

import warnings
from collections.abc import Iterator

import pytest
from conftest import KINDS

from ocdata import Address, CartLine, Customer, OrderDraft
from ocdata.client import connect
from ocdata.client.errors import OcdataError, OrderStateUnknownError
from ocdata.sandbox import Sandbox, serve

ADDRESS = Address(country="GB", zone="LDN", firstname="Ann", lastname="Lee", address_1="1 Main St", city="London",
                  postcode="SW1A 1AA")
DRAFT = OrderDraft(customer=Customer(firstname="Ann", lastname="Lee", email="ann@example.com", customer_group_id=1),
                   lines=[CartLine(product_id=40, quantity=1)], shipping_address=ADDRESS, payment_address=ADDRESS)
CASES = [pytest.param(kind, False) for kind in KINDS]
CASES.append(pytest.param("504", True, id="504-after"))


@pytest.fixture(scope="module")
def shop() -> Iterator[tuple[Sandbox, object, OrderDraft]]:
    with serve(store="rich", faults={"rules": []}) as sandbox:
        store = connect(sandbox.url, sandbox.username, sandbox.key, dialect="spec")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            quote = store.quote(DRAFT)
        ready = DRAFT.model_copy(update={"shipping_method": quote.options[0].quote,
                                         "payment_method": quote.options[0].payment_methods[0]})
        yield sandbox, store, ready
        store.close()


def _rule(kind: str, after: bool, call: str) -> dict:
    rule: dict = {"route": "api/order", "call": call, "nth": [1]}
    if kind.isdigit():
        rule.update(kind="status", status=int(kind), after=after)
    else:
        rule["kind"] = kind
    if kind in ("drip", "latency"):
        rule["ms"] = 20
    return rule


def _attempt(fn):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return fn(), None
        except Exception as exc:  # noqa: BLE001 - the outcome is what the test checks
            return None, exc


@pytest.mark.parametrize(("kind", "after"), CASES)
def test_confirm_under_a_fault_never_makes_two_orders_and_names_an_unknown_state(shop, kind, after):
    sandbox, store, draft = shop
    before = {o.order_id for o in sandbox.engine.orders()}
    sandbox.faults.reset({"rules": [_rule(kind, after, "confirm")]})
    result, error = _attempt(lambda: store.confirm(draft))
    created = [o.order_id for o in sandbox.engine.orders() if o.order_id not in before]
    assert [i.call for i in sandbox.faults.log] == ["confirm"]  # the fault hit the confirm call
    assert len(created) <= 1
    if error is None:
        assert created == [result.order_id]
    else:
        assert isinstance(error, OcdataError), repr(error)
        if created:  # the store made the order but the client could not know: it must say so
            assert isinstance(error, OrderStateUnknownError), repr(error)
            assert "order" in str(error) and "check" in str(error).lower()


@pytest.mark.parametrize(("kind", "after"), CASES)
def test_add_history_under_a_fault_never_adds_twice(shop, kind, after):
    sandbox, store, draft = shop
    sandbox.faults.reset({"rules": []})
    order_id = store.confirm(draft).order_id
    entries = len(sandbox.engine.order(order_id).history)
    sandbox.faults.reset({"rules": [_rule(kind, after, "history_add")]})
    _, error = _attempt(lambda: store.add_history(order_id, 2, "shipped"))
    added = len(sandbox.engine.order(order_id).history) - entries
    assert [i.call for i in sandbox.faults.log] == ["history_add"]
    assert added <= 1
    if error is None:
        assert added == 1
    else:
        assert isinstance(error, OcdataError), repr(error)
        if added:
            assert isinstance(error, OrderStateUnknownError), repr(error)
