"""The ``oc30`` front: OpenCart 3.0.4.1's token-session API over the engine.

Routes (``tests/recordings/oc30/PROTOCOL.md`` §5; the method after a slash):
``api/login``, ``api/customer``, ``api/cart/add|edit|remove|products``,
``api/payment/address|methods|method``, ``api/shipping/address|methods|method``,
``api/order/add|edit|delete|info|history``, ``api/coupon``, ``api/voucher``,
``api/reward`` (+ ``/maximum``, ``/available``), ``api/currency`` (not ``api/voucher/add``:
the sandbox sells no gift vouchers). Sessions, cart
expiry and cookies: :mod:`.token_session` (3.0 also sets ``language=en-gb``).

What 3.0 does its own way (all recorded):

* a failed login answers ``[]`` (wrong user or key, missing fields, disabled
  user); a refused IP ``{"error": {"ip": …, "key": …}}``; ``key`` alone logs in
  as the API user ``Default``;
* an unknown route is the 404 HTML page even without a token; every other
  refusal is **200 JSON** ``Warning: You do not have permission to access the
  API!`` — an object ``{"warning": …}`` or a bare string depending on the
  controller, and ``[]`` for ``shipping/address`` (:data:`PERMISSION_SHAPES`);
* answers use ``title`` (quotes, shipping and payment methods; payment methods
  carry ``terms``), no ``code`` on a shipping method; a payment method is chosen by
  its bare code (``cod``); ids, quantities and option ids are strings;
* cart, address and currency changes drop the listed and chosen methods of the
  kind they affect; listing drops the chosen one; the **payment address is
  mandatory**; the bulk ``product[n][…]`` add replaces the cart without option
  checks;
* ``order/add`` reports only the **last** failing check (one string), takes
  ``comment``/``order_status_id``/``affiliate_id`` and inline method codes, and
  **empties the cart**; ``order/history``, ``/info``, ``/edit``, ``/delete`` read
  ``order_id`` from the query string.
"""

from __future__ import annotations

import time
from typing import Any, ClassVar

from ocdata._php import php_int
from ocdata.sandbox.engine import CartProduct, CustomerIn, PaymentChoice, ShippingMethod
from ocdata.sandbox.fronts import messages as _m
from ocdata.sandbox.fronts.base import Request, Response, php_json_encode
from ocdata.sandbox.fronts.token_session import ApiCheckout, Call, Handler, TokenSessionFront, json_answer
from ocdata.sandbox.records import posted_array, posted_text

LOGIN_ROUTE = "api/login"
DEFAULT_API_USER = "Default"

PERMISSION = "Warning: You do not have permission to access the API!"
E_CUSTOMER_UNKNOWN = "You must select a customer!"
E_CUSTOMER = "Warning: Customer details needs to be set!"
E_STORE = "Product can not be bought from the store you have choosen!"
E_CURRENCY = "Warning: Currency code is invalid!"
E_VOUCHER = "Warning: Gift Voucher is either invalid or the balance has been used up!"
E_REWARD = "Warning: Please enter the amount of reward points to use!"
CURRENCY_WARNING = (
    '<b>Warning</b>: Undefined array key "currency" in '
    "<b>/var/www/opencart/catalog/controller/api/currency.php</b> on line <b>13</b>"
)

#: How each controller words "not logged in": an object, a string, or ``[]`` (§4)
PERMISSION_SHAPES: dict[str, str] = {
    "api/cart/add": "object", "api/cart/products": "object", "api/customer": "object",
    "api/payment/address": "object", "api/shipping/address": "empty",
}


def _flag(value: Any) -> bool:
    return posted_text(value) not in ("", "0")


class Oc30Front(TokenSessionFront):
    """Answers OpenCart 3.0.4.1's API routes (see the module docstring)."""

    LOGIN_ROUTE = LOGIN_ROUTE
    ROUTE_BEFORE_AUTH = True
    COOKIES: ClassVar[dict[str, str]] = {"language": "en-gb"}

    # ------------------------------------------------------------------ login and refusals
    def login(self, request: Request) -> Response:
        form = request.form
        if "key" not in form:
            return json_answer([])
        username = posted_text(form.get("username")) if "username" in form else DEFAULT_API_USER
        user = self.authenticate(request, username, posted_text(form.get("key")))
        if user is None:
            return json_answer([])
        if not user.allows(request.client_ip):
            return json_answer({"error": {"ip": _m.IP_REFUSED.format(ip=request.client_ip), "key": _m.INCORRECT_KEY}})
        return json_answer({"success": _m.LOGIN_SUCCESS, "api_token": self.open_session(user)})

    def _refusal(self, route: str) -> Response:
        shape = PERMISSION_SHAPES.get(route, "string")
        if shape == "empty":
            return json_answer([])
        return json_answer({"error": {"warning": PERMISSION} if shape == "object" else PERMISSION})

    def no_token(self, request: Request, route: str) -> Response:
        return self._refusal(route)

    def bad_token(self, request: Request, route: str) -> Response:
        return self._refusal(route)

    # ------------------------------------------------------------------ state changes
    @staticmethod
    def _drop_methods(state: ApiCheckout, *, shipping: bool = True, payment: bool = True) -> None:
        if shipping:
            state.shipping_methods = state.shipping_method = None
        if payment:
            state.payment_methods = state.payment_method = None

    # ------------------------------------------------------------------ cart
    def cart_add(self, call: Call) -> Response:
        state, form = call.state, call.form
        if "product" in form:
            state.lines = []
            for item in posted_array(form.get("product")).values():
                if isinstance(item, dict):
                    self.add_line(state, self.posted_line(item, filter_options=False))
            self._drop_methods(state)
            return json_answer({"success": _m.CART_SUCCESS})
        if "product_id" not in form:
            return json_answer([])
        line = self.posted_line(form)
        product = self.engine.product(line.product_id)
        if product is None:
            return json_answer({"error": {"store": E_STORE}})
        missing = {str(o.product_option_id): _m.OPTION_REQUIRED.format(o.name) for o in product.options
                   if o.required and not line.option.get(o.product_option_id)}
        if missing:
            return json_answer({"error": {"option": missing}})
        self.add_line(state, line)
        self._drop_methods(state)
        return json_answer({"success": _m.CART_SUCCESS})

    def cart_edit(self, call: Call) -> Response:
        state = call.state
        self.edit_line(state, php_int(call.form.get("key", 0)), php_int(call.form.get("quantity", 0)))
        self._drop_methods(state)
        state.reward = None
        return json_answer({"success": _m.CART_SUCCESS})

    def cart_remove(self, call: Call) -> Response:
        state = call.state
        if "key" not in call.form:
            return json_answer([])
        self.remove_line(state, php_int(call.form.get("key", 0)))
        self._drop_methods(state)
        state.reward = None
        return json_answer({"success": _m.CART_SUCCESS})

    @staticmethod
    def _option_row(o: Any) -> dict[str, Any]:
        return {
            "product_option_id": str(o.product_option_id),
            "product_option_value_id": str(o.product_option_value_id) if o.product_option_value_id else "",
            "name": o.name,
            "value": o.value,
            "type": o.type,
        }

    def cart_products(self, call: Call) -> Response:
        state = call.state
        settings = self.engine.settings
        ctx = self.ctx(state)
        products = self.products(state, ctx)
        body: dict[str, Any] = {}
        errors: dict[str, Any] = {}
        if not self.has_stock(products) and not settings.stock_checkout:
            errors["stock"] = _m.CART_STOCK
            body["error"] = errors
        rows = []
        body["products"] = rows
        for p in products:
            if not p.minimum_status:
                errors.setdefault("minimum", []).append(_m.MINIMUM.format(p.name, p.minimum))
                body.setdefault("error", errors)
            price, total = self.line_money(p, state, ctx)
            rows.append({
                "cart_id": str(state.lines[p.index].cart_id),
                "product_id": str(p.product_id),
                "name": p.name,
                "model": p.model,
                "option": [self._option_row(o) for o in p.options],
                "quantity": str(p.quantity),
                "stock": bool(p.stock_status) or bool(settings.stock_checkout),
                "shipping": "1" if p.shipping else "0",
                "price": price,
                "total": total,
                "reward": p.reward,
            })
        body["vouchers"] = []
        body["totals"] = [{"title": t.title, "text": self.money(t.value, state)}
                          for t in self.totals(state, products, ctx)]
        return json_answer(body)

    # ------------------------------------------------------------------ customer and addresses
    def customer(self, call: Call) -> Response:
        state, form = call.state, call.form
        state.customer = None  # 3.0 forgets the old customer first, even when this one fails
        customer = CustomerIn.posted(form)
        errors: dict[str, str] = {}
        if customer.customer_id and self.engine.customer(customer.customer_id) is None:
            errors["warning"] = E_CUSTOMER_UNKNOWN
        errors.update(self.customer_field_errors(customer, telephone_required=True))
        if errors:
            return json_answer({"error": errors})
        shown = self.engine.settings.customer_group_display
        if customer.customer_group_id not in shown:
            customer.customer_group_id = self.engine.settings.customer_group_id
        state.customer = customer
        return json_answer({"success": _m.CUSTOMER_SUCCESS})

    def payment_address(self, call: Call) -> Response:
        state = call.state
        state.payment_address = None
        self._drop_methods(state, shipping=False)
        errors = self.address_errors(call.form, city_max=32)
        if errors:
            return json_answer({"error": errors})
        state.payment_address = self.posted_address(call.form)
        return json_answer({"success": _m.PAYMENT_ADDRESS_SUCCESS})

    def shipping_address(self, call: Call) -> Response:
        state = call.state
        state.shipping_address = None
        self._drop_methods(state, payment=False)
        if not self.engine.needs_shipping(self.products(state)):
            return json_answer([])
        errors = self.address_errors(call.form)
        if errors:
            return json_answer({"error": errors})
        state.shipping_address = self.posted_address(call.form)
        return json_answer({"success": _m.SHIPPING_ADDRESS_SUCCESS})

    # ------------------------------------------------------------------ shipping
    @staticmethod
    def _methods_object(methods: list[ShippingMethod]) -> dict[str, Any]:
        return {
            m.code: {
                "title": m.name,
                "quote": {
                    q.code.split(".", 1)[-1]: {"code": q.code, "title": q.name, "cost": q.cost_raw,
                                               "tax_class_id": q.tax_class_id_raw, "text": q.text}
                    for q in m.quotes
                },
                "sort_order": m.sort_order_raw,
                "error": m.error,
            }
            for m in methods
        }

    def shipping_methods(self, call: Call) -> Response:
        state = call.state
        self._drop_methods(state, payment=False)
        ctx = self.ctx(state)
        products = self.products(state, ctx)
        if not self.engine.needs_shipping(products):
            return json_answer({"shipping_methods": []})
        if state.shipping_address is None:
            return json_answer({"error": _m.SHIPPING_ADDRESS_REQUIRED})
        methods = self.list_shipping(state, products, ctx)
        if not methods:
            return json_answer({"shipping_methods": [], "error": _m.NO_SHIPPING_OPTIONS})
        state.shipping_methods = {m.code: m for m in methods}
        return json_answer({"shipping_methods": self._methods_object(methods)})

    def _inline_shipping(self, state: ApiCheckout, code: str) -> str | None:
        """Choose the listed quote ``code``; the error when it cannot be."""
        if not state.shipping_methods:
            return _m.NO_SHIPPING_OPTIONS
        choice = self.listed_quote(state, code)
        if choice is None:
            return _m.SHIPPING_METHOD_REQUIRED
        state.shipping_method = choice
        return None

    def shipping_method(self, call: Call) -> Response:
        state = call.state
        state.shipping_method = None
        if not self.engine.needs_shipping(self.products(state)):
            state.shipping_address = state.shipping_methods = None
            return json_answer([])
        error = _m.SHIPPING_ADDRESS_REQUIRED if state.shipping_address is None else None
        choice = self.listed_quote(state, posted_text(call.form.get("shipping_method")))
        if not state.shipping_methods:
            error = _m.NO_SHIPPING_OPTIONS
        elif choice is None:  # not posted, or not in the last list
            error = _m.SHIPPING_METHOD_REQUIRED
        if error:
            return json_answer({"error": error})
        state.shipping_method = choice
        return json_answer({"success": _m.SHIPPING_METHOD_SUCCESS})

    # ------------------------------------------------------------------ payment
    def payment_methods(self, call: Call) -> Response:
        state = call.state
        state.payment_methods = state.payment_method = None
        if state.payment_address is None:
            return json_answer({"error": _m.PAYMENT_ADDRESS_REQUIRED})
        ctx = self.ctx(state)
        methods = self.list_payment(state, self.products(state, ctx), ctx, state.payment_address)
        if not methods:
            return json_answer({"payment_methods": [], "error": _m.NO_PAYMENT_OPTIONS_CAPITALISED})
        state.payment_methods = {m.code: m for m in methods}
        return json_answer({"payment_methods": {
            m.code: {"code": m.code, "title": m.name, "terms": m.terms, "sort_order": m.sort_order_raw} for m in methods
        }})

    def _inline_payment(self, state: ApiCheckout, code: str) -> str | None:
        if not state.payment_methods:
            return _m.NO_PAYMENT_OPTIONS_CAPITALISED
        method = state.payment_methods.get(code)
        if method is None:
            return _m.PAYMENT_METHOD_REQUIRED
        state.payment_method = PaymentChoice(method.code, method.name)
        return None

    def payment_method(self, call: Call) -> Response:
        state = call.state
        state.payment_method = None
        error = _m.PAYMENT_ADDRESS_REQUIRED if state.payment_address is None else None
        if not state.payment_methods:
            error = _m.NO_PAYMENT_OPTIONS_CAPITALISED
        elif "payment_method" not in call.form or posted_text(call.form.get("payment_method")) not in state.payment_methods:
            error = _m.PAYMENT_METHOD_REQUIRED
        if error:
            return json_answer({"error": error})
        self._inline_payment(state, posted_text(call.form.get("payment_method")))
        return json_answer({"success": _m.PAYMENT_METHOD_SUCCESS})

    # ------------------------------------------------------------------ orders
    def _order_problem(self, call: Call, products: list[CartProduct]) -> str | None:
        """``order/add``'s checks in its order; the last failing one is the answer."""
        state, form = call.state, call.form
        error = None
        if state.customer is None:
            error = E_CUSTOMER
        if state.payment_address is None:
            error = _m.PAYMENT_ADDRESS_REQUIRED
        if error is None and posted_text(form.get("payment_method")):
            error = self._inline_payment(state, posted_text(form.get("payment_method")))
        if state.payment_method is None:
            error = _m.PAYMENT_METHOD_REQUIRED
        if self.engine.needs_shipping(products):
            if state.shipping_address is None:
                error = _m.SHIPPING_ADDRESS_REQUIRED
            if error is None and posted_text(form.get("shipping_method")):
                error = self._inline_shipping(state, posted_text(form.get("shipping_method")))
            if state.shipping_method is None:
                error = _m.SHIPPING_METHOD_REQUIRED
        else:
            state.shipping_address = state.shipping_method = state.shipping_methods = None
        if not products or (not self.has_stock(products) and not self.engine.settings.stock_checkout):
            error = _m.CONFIRM_STOCK
        short = next((p for p in products if not p.minimum_status), None)
        if short is not None:
            error = _m.ORDER_MINIMUM.format(short.name, short.minimum)
        return error

    def _order(self, call: Call):
        """The order the session describes, or a refusal."""
        state = call.state
        ctx = self.ctx(state)
        products = self.products(state, ctx)
        error = self._order_problem(call, products)
        if error:
            return None, json_answer({"error": error})
        raw = call.form.get("order_status_id")
        status = php_int(raw) if isinstance(raw, str) else self.engine.settings.order_status_id
        order = self.order_in(call, products, ctx, status=status, comment=posted_text(call.form.get("comment")),
                              affiliate_id=php_int(call.form.get("affiliate_id", 0)),
                              payment_address=state.payment_address)
        return order, None

    def order_add(self, call: Call) -> Response:
        order, refusal = self._order(call)
        if refusal is not None:
            return refusal
        order_id = self.engine.create_order(order)
        call.state.lines = []  # 3.0 empties the cart
        return json_answer({"success": _m.ORDER_SUCCESS, "order_id": order_id})

    def _query_order_id(self, call: Call) -> int:
        return php_int(call.request.query.get("order_id", 0))

    def order_edit(self, call: Call) -> Response:
        order_id = self._query_order_id(call)
        if self.engine.order(order_id) is None:
            return json_answer({"error": _m.ORDER_NOT_FOUND})
        order, refusal = self._order(call)
        if refusal is not None:
            return refusal
        self.engine.edit_order(order_id, order)
        call.state.lines = []
        return json_answer({"success": _m.ORDER_SUCCESS})

    def order_delete(self, call: Call) -> Response:
        if self.engine.order(self._query_order_id(call)) is None:
            return json_answer({"error": _m.ORDER_NOT_FOUND})
        return json_answer({"success": _m.ORDER_SUCCESS})  # the sandbox keeps its orders

    def order_history(self, call: Call) -> Response:
        order_id = self._query_order_id(call)
        if self.engine.order(order_id) is None:
            return json_answer({"error": _m.ORDER_NOT_FOUND})
        form = call.form
        self.engine.add_history(order_id, php_int(form.get("order_status_id", 0)), posted_text(form.get("comment")),
                                _flag(form.get("notify")), _flag(form.get("override")))
        return json_answer({"success": _m.ORDER_SUCCESS})

    def order_info(self, call: Call) -> Response:
        order = self.engine.order(self._query_order_id(call))
        if order is None:
            return json_answer({"error": _m.ORDER_NOT_FOUND})
        return json_answer({"order": self._order_row(order, call.request), "success": _m.ORDER_SUCCESS})

    def _address_columns(self, prefix: str, address: Any) -> dict[str, Any]:
        keys = ("firstname", "lastname", "company", "address_1", "address_2", "postcode", "city")
        if address is None:
            row = {f"{prefix}_{k}": "" for k in keys}
            row.update({f"{prefix}_zone_id": "0", f"{prefix}_zone": "", f"{prefix}_zone_code": "",
                        f"{prefix}_country_id": "0", f"{prefix}_country": "", f"{prefix}_iso_code_2": "",
                        f"{prefix}_iso_code_3": "", f"{prefix}_address_format": "", f"{prefix}_custom_field": []})
            return row
        country = self.engine.country(address.country_id)
        zone = self.engine.zone(address.zone_id) if address.zone_id else None
        row = {f"{prefix}_{k}": getattr(address, k) for k in keys}
        row.update({
            f"{prefix}_zone_id": str(address.zone_id), f"{prefix}_zone": zone.name if zone else "",
            f"{prefix}_zone_code": zone.code if zone else "", f"{prefix}_country_id": str(address.country_id),
            f"{prefix}_country": country.name if country else "",
            f"{prefix}_iso_code_2": country.iso_code_2 if country else "",
            f"{prefix}_iso_code_3": country.iso_code_3 if country else "",
            f"{prefix}_address_format": country.address_format if country else "",
            f"{prefix}_custom_field": list(address.custom_field.values()) if address.custom_field else [],
        })
        return row

    def _order_row(self, order: Any, request: Request) -> dict[str, Any]:
        """``model_checkout_order->getOrder()``: the ``oc_order`` row, every value a string."""
        currency = self.engine.currency(order.currency)
        c = order.customer
        row: dict[str, Any] = {
            "order_id": str(order.order_id), "invoice_no": "0", "invoice_prefix": f"INV-{time.gmtime().tm_year}-00",
            "store_id": str(order.store_id), "store_name": self.engine.settings.name,
            "store_url": f"http://{request.host}/" if request.host else "",
            "customer_id": str(c.customer_id), "firstname": c.firstname, "lastname": c.lastname, "email": c.email,
            "telephone": c.telephone, "custom_field": list(c.custom_field.values()) if c.custom_field else [],
        }
        row.update(self._address_columns("payment", order.payment_address))
        row["payment_method"] = order.payment_method.name if order.payment_method else ""
        row["payment_code"] = order.payment_method.code if order.payment_method else ""
        row.update(self._address_columns("shipping", order.shipping_address))
        row["shipping_method"] = order.shipping_method.name if order.shipping_method else ""
        row["shipping_code"] = order.shipping_method.code if order.shipping_method else ""
        row.update({
            "comment": order.comment, "total": f"{order.total:.4f}", "order_status_id": str(order.order_status_id),
            "order_status": self.engine.order_status_name(order.order_status_id) or "",
            "affiliate_id": str(order.affiliate_id), "commission": f"{order.commission:.4f}",
            "language_id": str(order.language_id), "language_code": "en-gb",
            "currency_id": str(currency.currency_id if currency else 0), "currency_code": order.currency,
            "currency_value": f"{order.currency_value:.8f}", "ip": order.ip, "forwarded_ip": order.forwarded_ip,
            "user_agent": order.user_agent, "accept_language": order.accept_language,
            "date_added": order.date_added, "date_modified": order.date_modified,
        })
        return row

    # ------------------------------------------------------------------ coupon, voucher, reward, currency
    def coupon(self, call: Call) -> Response:
        state = call.state
        state.coupon = None
        code = posted_text(call.form.get("coupon"))
        customer_id = state.customer.customer_id if state.customer else 0
        if not code or self.engine.check_coupon(code, self.products(state), customer_id=customer_id) is not None:
            return json_answer({"error": _m.COUPON_INVALID})
        state.coupon = code
        return json_answer({"success": _m.COUPON_SUCCESS})

    def voucher(self, call: Call) -> Response:
        return json_answer({"error": E_VOUCHER})  # the sandbox sells no gift vouchers

    def reward(self, call: Call) -> Response:
        state = call.state
        state.reward = None
        raw = posted_text(call.form.get("reward"))
        reward = php_int(raw) if raw else 0
        error = E_REWARD if raw in ("", "0") else None
        error = self.reward_problem(state, self.products(state), reward, raw) or error
        if error:
            return json_answer({"error": error})
        state.reward = abs(reward)
        return json_answer({"success": _m.REWARD_SUCCESS})

    def reward_maximum(self, call: Call) -> Response:
        return json_answer({"maximum": sum(p.points for p in self.products(call.state))})

    def reward_available(self, call: Call) -> Response:
        customer = call.state.customer
        record = self.engine.customer(customer.customer_id) if customer and customer.customer_id else None
        return json_answer({"points": record.reward_points if record else 0})

    def currency(self, call: Call) -> Response:
        state = call.state
        code = posted_text(call.form.get("currency"))
        if code and code in {c.code for c in self.engine.store.currencies}:
            state.currency = code
            state.shipping_method = state.shipping_methods = None
            return json_answer({"success": _m.CURRENCY_SUCCESS})
        body = {"error": E_CURRENCY}
        if "currency" not in call.form:
            return Response(CURRENCY_WARNING + php_json_encode(body), content_type="application/json")
        return json_answer(body)


ROUTES: dict[str, Handler] = {
    "api/customer": Oc30Front.customer,
    "api/cart/add": Oc30Front.cart_add,
    "api/cart/edit": Oc30Front.cart_edit,
    "api/cart/remove": Oc30Front.cart_remove,
    "api/cart/products": Oc30Front.cart_products,
    "api/payment/address": Oc30Front.payment_address,
    "api/payment/methods": Oc30Front.payment_methods,
    "api/payment/method": Oc30Front.payment_method,
    "api/shipping/address": Oc30Front.shipping_address,
    "api/shipping/methods": Oc30Front.shipping_methods,
    "api/shipping/method": Oc30Front.shipping_method,
    "api/order/add": Oc30Front.order_add,
    "api/order/edit": Oc30Front.order_edit,
    "api/order/delete": Oc30Front.order_delete,
    "api/order/info": Oc30Front.order_info,
    "api/order/history": Oc30Front.order_history,
    "api/coupon": Oc30Front.coupon,
    "api/voucher": Oc30Front.voucher,
    "api/reward": Oc30Front.reward,
    "api/reward/maximum": Oc30Front.reward_maximum,
    "api/reward/available": Oc30Front.reward_available,
    "api/currency": Oc30Front.currency,
}
Oc30Front.ROUTES = ROUTES
