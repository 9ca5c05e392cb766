"""``route=api/subscription``: OpenCart 4.1.0.4's subscription API (PROTOCOL.md §7).

It only knows registered customers and their saved addresses (``customer_id``,
``payment_address_id``, ``shipping_address_id``); unknown ones are silently not set.
Answers carry ``products`` and ``shipping_required`` but no ``totals``. ``confirm``
cannot create anything in 4.1.0.4: once validation passes it dies with a PHP TypeError
printed as a 200 ``text/html`` page (085).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ocdata.sandbox.engine import AddressIn, CustomerIn
from ocdata.sandbox.fronts import oc41_wire as w
from ocdata.sandbox.fronts.oc41_steps import CART, Call, answer, chain


@dataclass
class Crash:
    """An uncaught PHP error: the front answers 200 ``text/html`` with this text."""

    text: str


def _set_customer(c: Call) -> None:
    """Look the customer up and log them in (``customer->login``)."""
    customer_id = w.php_int(c.post.get("customer_id", 0))
    info = c.engine.customer(customer_id) if customer_id else None
    if info is None:  # unknown or disabled
        return
    c.data["customer"] = CustomerIn.of(info)
    c.data["customer_logged"] = info.customer_id


def _set_address(c: Call, kind: str) -> None:
    address_id = w.php_int(c.post.get(f"{kind}_address_id", 0))
    customer_id = c.data.get("customer_logged", 0)
    info = c.engine.customer_address(customer_id, address_id) if customer_id and address_id else None
    if info is not None:
        c.data[f"{kind}_address"] = AddressIn.of(info)


def _addresses(c: Call) -> None:
    _set_address(c, "payment")
    _set_address(c, "shipping")


def _confirm_answer(c: Call) -> dict[str, Any] | Crash:
    plan_id = w.php_int(c.post.get("subscription_plan_id", 0))
    plan_ok = c.engine.subscription_plan(plan_id) is not None
    errors = c.confirm_errors({} if plan_ok else {"subscription_plan": w.SUBSCRIPTION_PLAN_REQUIRED})
    if errors:
        return c.with_cart({"error": errors}, totals=False)
    # A non-zero plan id makes 4.1.0.4 call editSubscription() for subscription_id 0,
    # which dies on a null column value: nothing is written.
    return Crash(w.SUBSCRIPTION_CONFIRM_TRACE)


def _history_add(c: Call) -> dict[str, Any]:
    """No subscription can exist (none can be created through 4.1.0.4's API), so every
    id is unknown (079)."""
    return {"error": w.SUBSCRIPTION_REQUIRED}


#: Each call's sub-controllers in ``catalog/controller/api/subscription.php``'s order.
CALLS: dict[str, Callable[[Call], Any]] = {
    # cart errors do not stop this call: the error object comes with the cart
    "cart": chain(
        _set_customer, answer(Call.cart_step), _addresses, Call.shipping_method_step, Call.payment_method_step,
        cart=True, totals=False,
    ),
    "product_add": chain(_set_customer, CART, _addresses, answer(Call.product_add_step), cart=True, totals=False),
    "shipping_methods": chain(_set_customer, CART, _addresses, answer(Call.shipping_methods_list)),
    "payment_methods": chain(
        _set_customer, CART, _addresses, Call.shipping_method_step, answer(Call.payment_methods_list)
    ),
    "confirm": chain(
        _set_customer, CART, _addresses, Call.shipping_method_step, Call.payment_method_step,
        answer(_confirm_answer),
    ),
    "history_add": _history_add,
}
