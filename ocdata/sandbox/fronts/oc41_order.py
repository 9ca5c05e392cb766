"""``route=api/order``: OpenCart 4.1.0.4's order API calls, chained as the real controller does.

Each call runs the sub-controllers of :class:`~ocdata.sandbox.fronts.oc41_steps.Call`
in the order of ``catalog/controller/api/order.php`` (PROTOCOL.md §5): most stop and
return the cart's error object when a posted line is faulty; the others keep going and
attach ``products``/``totals``/``shipping_required``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ocdata.sandbox.engine import OrderIn
from ocdata.sandbox.fronts import oc41_wire as w
from ocdata.sandbox.fronts.oc41_steps import Call, _header, client_ip


def _customer(c: Call) -> dict[str, Any]:
    return c.customer_step()


def _payment_address(c: Call) -> dict[str, Any]:
    return c.payment_address_step()


def _shipping_address(c: Call) -> dict[str, Any]:
    out = c.cart_step()
    if "error" in out:
        return out
    return c.shipping_address_step()


def _shipping_methods(c: Call) -> dict[str, Any]:
    c.customer_step()
    out = c.cart_step()
    if "error" in out:
        return out
    c.payment_address_step()
    c.shipping_address_step()
    return c.shipping_methods_list()


def _shipping_method(c: Call) -> dict[str, Any]:
    c.customer_step()
    out = c.cart_step()
    if "error" in out:
        return out
    c.shipping_address_step()
    c.payment_address_step()
    out = c.shipping_method_step()
    c.total_hooks()
    return c.with_cart(out)


def _payment_methods(c: Call) -> dict[str, Any]:
    c.customer_step()
    out = c.cart_step()
    if "error" in out:
        return out
    c.payment_address_step()
    c.shipping_address_step()
    c.shipping_method_step()
    return c.payment_methods_list()


def _payment_method(c: Call) -> dict[str, Any]:
    c.customer_step()
    out = c.cart_step()
    if "error" in out:
        return out
    c.payment_address_step()
    c.shipping_address_step()
    c.shipping_method_step()
    out = c.payment_method_step()
    c.total_hooks()
    return c.with_cart(out)


def _extension(c: Call) -> dict[str, Any]:
    """Everything, then every total hook; the one named by the ``code`` query parameter
    supplies the answer (012 coupon; 013 without code: just the cart)."""
    c.customer_step()
    c.cart_step()
    c.payment_address_step()
    c.shipping_address_step()
    c.shipping_method_step()
    c.payment_method_step()
    c.affiliate_step()
    code = c.request.query.get("code", "")
    results = c.total_hooks()
    out = dict(results.get(code, {})) if code else {}
    return c.with_cart(out)


def _affiliate(c: Call) -> dict[str, Any]:
    return c.affiliate_step()


def _cart(c: Call) -> dict[str, Any]:
    """Cart errors do not stop this call: the error object comes with the cart (050, 067)."""
    c.customer_step()
    out = c.cart_step()
    c.payment_address_step()
    c.shipping_address_step()
    c.total_hooks()
    c.shipping_method_step()
    c.payment_method_step()
    return c.with_cart(out)


def _product_add(c: Call) -> dict[str, Any]:
    c.customer_step()
    out = c.cart_step()
    if "error" in out:
        return out
    c.payment_address_step()
    c.shipping_address_step()
    out = c.product_add_step()
    c.shipping_method_step()
    c.payment_method_step()
    c.total_hooks()
    return c.with_cart(out)


def _confirm(c: Call) -> dict[str, Any]:
    """Validate, then create (``order_id`` 0/absent), edit (an existing id) or silently
    skip (an unknown id still answers success with that id, 125). ``order_status_id``
    defaults to 0, not to the store's default status (017)."""
    c.customer_step()
    out = c.cart_step()  # with the minimum-quantity check (020)
    if "error" in out:
        return out
    c.payment_address_step()
    c.shipping_address_step()
    c.shipping_method_step()
    c.payment_method_step()
    affiliate = c.affiliate_step()

    errors: dict[str, str] = {}
    if "customer" not in c.data:
        errors["customer"] = w.CUSTOMER_REQUIRED
    products = c.products()
    if not products:
        errors["product"] = w.CONFIRM_PRODUCT_REQUIRED
    stock_ok = all(p.stock_status for p in products) or c.settings.stock_checkout
    if not stock_ok or not all(p.minimum_status for p in products):
        errors["product"] = w.CONFIRM_STOCK
    if c.settings.checkout_payment_address and "payment_address" not in c.data:
        errors["payment_address"] = w.PAYMENT_ADDRESS_REQUIRED
    shipping_needed = c.has_shipping()
    if shipping_needed:
        if "shipping_address" not in c.data:
            errors["shipping_address"] = w.SHIPPING_ADDRESS_REQUIRED
        if "shipping_method" not in c.data:
            errors["shipping_method"] = w.SHIPPING_METHOD_REQUIRED
    else:
        c.data.pop("shipping_address", None)
        c.data.pop("shipping_method", None)
    if "payment_method" not in c.data:
        errors["payment_method"] = w.PAYMENT_METHOD_REQUIRED
    if "affiliate_id" in c.post and "error" in affiliate:
        errors["affiliate"] = w.AFFILIATE_NOT_FOUND
    for code, result in c.total_hooks().items():
        if "error" in result:
            errors[code] = result["error"]

    output: dict[str, Any] = {}
    if errors:
        output["error"] = errors
        return c.with_cart(output)

    totals = c.total_lines()
    affiliate_id = 0
    commission = 0.0
    if c.data.get("affiliate_id"):
        info = c.engine.affiliate(c.data["affiliate_id"])
        if info is not None:
            affiliate_id = info.customer_id
            commission = c.engine.sub_total(products) / 100 * info.commission
    order = OrderIn(
        customer=c.data["customer"],
        products=products,
        totals=totals,
        payment_address=c.data.get("payment_address"),
        shipping_address=c.data.get("shipping_address") if shipping_needed else None,
        shipping_method=c.data.get("shipping_method") if shipping_needed else None,
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
    if not order_id:
        order_id = c.engine.create_order(order)
    elif c.engine.order(order_id) is not None:
        c.engine.edit_order(order_id, order)
    output["order_id"] = order_id
    output["success"] = w.ORDER_SUCCESS
    output["points"] = sum(p.reward for p in products)
    if affiliate_id:
        output["commission"] = c.engine.format_money(commission, c.settings.currency)
    return c.with_cart(output)


def _history_add(c: Call) -> dict[str, Any]:
    """``order_status_id`` is not validated; ``order_id`` must exist (018)."""
    order_id = w.php_int(c.post.get("order_id", 0))
    if c.engine.order(order_id) is None:
        return {"error": w.ORDER_NOT_FOUND}
    comment = c.post.get("comment", "")
    c.engine.add_history(
        order_id,
        w.php_int(c.post.get("order_status_id", 0)),
        comment if isinstance(comment, str) else "",
        bool(w.php_int(c.post.get("notify", 0))),
        bool(w.php_int(c.post.get("override", 0))),
    )
    return {"success": w.ORDER_SUCCESS}


CALLS: dict[str, Callable[[Call], dict[str, Any]]] = {
    "customer": _customer,
    "cart": _cart,
    "product_add": _product_add,
    "payment_address": _payment_address,
    "shipping_address": _shipping_address,
    "shipping_method": _shipping_method,
    "shipping_methods": _shipping_methods,
    "payment_method": _payment_method,
    "payment_methods": _payment_methods,
    "extension": _extension,
    "affiliate": _affiliate,
    "confirm": _confirm,
    "history_add": _history_add,
}
