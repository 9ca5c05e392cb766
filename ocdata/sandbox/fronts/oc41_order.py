"""``route=api/order``: OpenCart 4.1.0.4's order API calls, chained as the real controller does.

Each call is a chain (:func:`~ocdata.sandbox.fronts.oc41_steps.chain`) of the
sub-controllers of :class:`~ocdata.sandbox.fronts.oc41_steps.Call` in the order of
``catalog/controller/api/order.php`` (PROTOCOL.md §5), listed in :data:`CALLS`: most
stop and return the cart's error object when a posted line is faulty; the others keep
going and attach ``products``/``totals``/``shipping_required``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ocdata.sandbox.engine import OrderIn
from ocdata.sandbox.fronts import oc41_wire as w
from ocdata.sandbox.fronts.oc41_steps import CART, Call, _header, answer, chain, client_ip


def _extension_answer(c: Call) -> dict[str, Any]:
    """Every total hook runs; the one named by the ``code`` query parameter supplies the
    answer (012 coupon; 013 without code: just the cart)."""
    code = c.request.query.get("code", "")
    results = c.total_hooks()
    return dict(results.get(code, {})) if code else {}


def _confirm_answer(c: Call) -> dict[str, Any]:
    """Validate, then create (``order_id`` 0/absent), edit (an existing id) or silently
    skip (an unknown id still answers success with that id, 125). ``order_status_id``
    defaults to 0, not to the store's default status (017). The cart step before it
    checked the minimum quantity too (020)."""
    affiliate = c.affiliate_step()

    errors = c.confirm_errors()
    products = c.products()
    if "affiliate_id" in c.post and "error" in affiliate:
        errors["affiliate"] = w.AFFILIATE_NOT_FOUND
    for code, result in c.total_hooks().items():
        if "error" in result:
            errors[code] = result["error"]

    output: dict[str, Any] = {}
    if errors:
        output["error"] = errors
        return output

    totals = c.total_lines()
    affiliate_id = c.data.get("affiliate_id", 0)
    commission = c.engine.commission(affiliate_id, products)
    if commission is None:
        affiliate_id, commission = 0, 0.0
    order = OrderIn(
        customer=c.data["customer"],
        products=products,
        totals=totals,
        payment_address=c.data.get("payment_address"),
        shipping_address=c.data.get("shipping_address"),  # unset by confirm_errors when nothing ships
        shipping_method=c.data.get("shipping_method"),
        payment_method=c.data.get("payment_method"),
        comment=c.post.get("comment", "") if isinstance(c.post.get("comment", ""), str) else "",
        affiliate_id=affiliate_id,
        commission=commission,
        order_status_id=w.php_int(c.post.get("order_status_id", 0)),
        store_id=c.store_id,
        language_id=c.settings.language_id,
        currency=c.currency,
        ip=client_ip(c.request),
        forwarded_ip=_header(c.request, "X-Forwarded-For") or _header(c.request, "Client-IP"),
        user_agent=_header(c.request, "User-Agent"),
        accept_language=_header(c.request, "Accept-Language"),
    )
    order_id = w.php_int(c.post.get("order_id", 0))
    # The engine applies order.order_status_id itself (addOrder + addHistory, or the
    # void-then-status sequence of an edit), so no separate history call here.
    # an unknown order_id writes nothing (edit_order answers False) yet answers success (125)
    if not order_id:
        order_id = c.engine.create_order(order)
    else:
        c.engine.edit_order(order_id, order)
    output["order_id"] = order_id
    output["success"] = w.ORDER_SUCCESS
    output["points"] = c.engine.reward_points(products)
    if affiliate_id:
        output["commission"] = c.engine.format_money(commission, c.settings.currency)
    return output


def _history_add(c: Call) -> dict[str, Any]:
    """``order_status_id`` is not validated; ``order_id`` must exist (018)."""
    comment = c.post.get("comment", "")
    found = c.engine.add_history(
        w.php_int(c.post.get("order_id", 0)),
        w.php_int(c.post.get("order_status_id", 0)),
        comment if isinstance(comment, str) else "",
        bool(w.php_int(c.post.get("notify", 0))),
        bool(w.php_int(c.post.get("override", 0))),
    )
    return {"success": w.ORDER_SUCCESS} if found else {"error": w.ORDER_NOT_FOUND}


#: Each call's sub-controllers in ``catalog/controller/api/order.php``'s order.
CALLS: dict[str, Callable[[Call], dict[str, Any]]] = {
    "customer": Call.customer_step,
    # cart errors do not stop this call: the error object comes with the cart (050, 067)
    "cart": chain(
        Call.customer_step, answer(Call.cart_step), Call.payment_address_step, Call.shipping_address_step,
        Call.total_hooks, Call.shipping_method_step, Call.payment_method_step, cart=True,
    ),
    "product_add": chain(
        Call.customer_step, CART, Call.payment_address_step, Call.shipping_address_step,
        answer(Call.product_add_step), Call.shipping_method_step, Call.payment_method_step, Call.total_hooks,
        cart=True,
    ),
    "payment_address": Call.payment_address_step,
    "shipping_address": chain(CART, answer(Call.shipping_address_step)),
    "shipping_method": chain(
        Call.customer_step, CART, Call.shipping_address_step, Call.payment_address_step,
        answer(Call.shipping_method_step), Call.total_hooks, cart=True,
    ),
    "shipping_methods": chain(
        Call.customer_step, CART, Call.payment_address_step, Call.shipping_address_step,
        answer(Call.shipping_methods_list),
    ),
    "payment_method": chain(
        Call.customer_step, CART, Call.payment_address_step, Call.shipping_address_step,
        Call.shipping_method_step, answer(Call.payment_method_step), Call.total_hooks, cart=True,
    ),
    "payment_methods": chain(
        Call.customer_step, CART, Call.payment_address_step, Call.shipping_address_step,
        Call.shipping_method_step, answer(Call.payment_methods_list),
    ),
    # everything, then every total hook; a cart error does not stop it
    "extension": chain(
        Call.customer_step, Call.cart_step, Call.payment_address_step, Call.shipping_address_step,
        Call.shipping_method_step, Call.payment_method_step, Call.affiliate_step, answer(_extension_answer),
        cart=True,
    ),
    "affiliate": Call.affiliate_step,
    "confirm": chain(
        Call.customer_step, CART, Call.payment_address_step, Call.shipping_address_step,
        Call.shipping_method_step, Call.payment_method_step, answer(_confirm_answer), cart=True,
    ),
    "history_add": _history_add,
}
