"""The ``oc40`` front: OpenCart 4.0.2.3's token-session API over the engine.

Routes (``tests/recordings/oc40/PROTOCOL.md`` §5; the method after a dot, a ``|``
is read as a dot): ``api/account/login``, ``api/sale/customer``,
``api/sale/cart`` (+ ``.add``, ``.edit``, ``.remove``),
``api/sale/payment_address``, ``api/sale/shipping_address``,
``api/sale/shipping_method`` (+ ``.save``), ``api/sale/payment_method``
(+ ``.save``), ``api/sale/order.comment`` / ``.confirm`` / ``.addHistory`` /
``.delete``, ``api/sale/coupon``, ``api/sale/voucher`` (not ``.add``/``.remove``: the sandbox
sells no gift vouchers), ``api/sale/reward``
(+ ``.maximum``, ``.available``), ``api/sale/affiliate``,
``api/localisation/currency``. Sessions, cart expiry and cookies:
:mod:`.token_session`.

What 4.0 does its own way (all recorded):

* every refusal of a *known* session is HTTP 200 JSON; a failed login is
  ``{"error": "Warning: Incorrect API Key!"}`` (also for a disabled user) or the IP
  message; a request without a token (and no API session cookie) gets the
  storefront's **404 HTML page**, a bad, expired, IP-refused or disabled user's
  token the **500** PHP fatal about the uninitialised session;
* money only as text: line ``price``/``total`` with tax in the session currency,
  ``totals`` as ``{title, text}`` (no code, no value); ids and quantities strings;
* address fields are unprefixed; omitting ``payment_address_id`` /
  ``shipping_address_id`` prints PHP's "Undefined array key" warning before the
  JSON (074); country and zone are only checked for being posted;
* the shipping list is ``{extension: {code, name, quote: {key: {code, name, cost,
  tax_class_id, text}}, sort_order, error}}`` with the extension's own PHP types;
  saves check against the last list; choosing a shipping method keeps the payment
  method (4.0 clears nothing);
* ``order.confirm`` reports every missing piece at once (an object), creates the
  order and, called again in the same session, **edits the same order**; the cart
  stays; ``{"order_id": int, "success", "points", "commission"}``.
"""

from __future__ import annotations

from typing import Any

from ocdata._php import php_int
from ocdata.sandbox.engine import MSG, CartProduct, CustomerIn, PaymentChoice, PricingContext
from ocdata.sandbox.fronts import messages as _m
from ocdata.sandbox.fronts.base import Request, Response
from ocdata.sandbox.fronts.oc41_wire import json_or_prefixed, payment_methods_object, shipping_methods_object
from ocdata.sandbox.fronts.token_session import ApiCheckout, Call, Handler, TokenSessionFront, json_answer, not_found
from ocdata.sandbox.records import posted_text

LOGIN_ROUTE = "api/account/login"
#: route prefixes only this front answers (the server routes them here)
PREFIXES = ("api/account/", "api/sale/", "api/localisation/")

#: what 4.0.2.3 prints, status 500, for any query token it cannot start a session for (029, 033, 034, 041, 053)
SESSION_FATAL = (
    "<b>Typed property Opencart\\System\\Library\\Session::$session_id must not be accessed before "
    "initialization</b>: in <b>/var/www/opencart/system/library/session.php</b> on line <b>56</b>"
)
#: PHP's warning when an address is posted without its ``*_address_id`` (074); line per controller
ADDRESS_ID_WARNING = (
    '<b>Warning</b>: Undefined array key "{kind}_address_id" in '
    "<b>/var/www/opencart/catalog/controller/api/sale/{kind}_address.php</b> on line <b>{line}</b>"
)
_ADDRESS_ID_LINE = {"payment": 109, "shipping": 113}

E_SUBSCRIPTION = "Please select a subscription plan!"
E_COMMENT = "Warning: Comment required!"
E_CURRENCY = "Warning: Currency could not be found!"
E_VOUCHER = "Warning: Gift voucher is either invalid or the balance has been used up!"
COUPON_REMOVED = "Success: Your coupon discount has been removed!"
VOUCHER_REMOVED = "Success: Your gift voucher discount has been removed!"
REWARD_REMOVED = "Success: Your reward points discount has been removed!"
AFFILIATE_OK = "Success: Affiliate commission will be appliyed to this order!"  # sic, 4.0.2.3's en-gb text
AFFILIATE_REMOVED = "Success: Your affiliate commission has been removed!"



def _flag(value: Any) -> bool:
    """PHP's ``(bool)`` of a posted string."""
    return posted_text(value) not in ("", "0")


class Oc40Front(TokenSessionFront):
    """Answers OpenCart 4.0.2.3's API routes (see the module docstring)."""

    LOGIN_ROUTE = LOGIN_ROUTE

    def route_of(self, request: Request) -> str:
        return super().route_of(request).replace("|", ".")

    # ------------------------------------------------------------------ login and refusals
    def login(self, request: Request) -> Response:
        username = posted_text(request.form.get("username"))
        key = posted_text(request.form.get("key"))
        user = self.authenticate(request, username, key)
        if user is None:
            return json_answer({"error": _m.INCORRECT_KEY})
        if not user.allows(request.client_ip):
            return json_answer({"error": _m.IP_REFUSED.format(ip=request.client_ip)})
        return json_answer({"success": _m.LOGIN_SUCCESS, "api_token": self.open_session(user)})

    def no_token(self, request: Request, route: str) -> Response:
        return not_found()

    def bad_token(self, request: Request, route: str) -> Response:
        return Response(SESSION_FATAL, status=500, content_type="text/html; charset=UTF-8")

    # ------------------------------------------------------------------ cart
    def _option_row(self, o: Any) -> dict[str, Any]:
        return {
            "product_option_id": o.product_option_id,
            "product_option_value_id": str(o.product_option_value_id) if o.product_option_value_id else "",
            "option_id": str(o.option_id),
            "option_value_id": str(o.option_value_id) if o.product_option_value_id else "",
            "name": o.name,
            "value": self.uploads.get(o.value, "") if o.type == "file" else o.value,  # 4.0 shows the file's name
            "type": o.type,
        }

    def _subscription(self, p: CartProduct, state: ApiCheckout, ctx: PricingContext) -> str:
        return _m.subscription_text(
            p.subscription, lambda price: self.money(self.engine.with_tax(price, p.tax_class_id, ctx), state))

    def cart(self, call: Call) -> Response:
        state = call.state
        ctx = self.ctx(state)
        products = self.products(state, ctx)
        body: dict[str, Any] = {}
        if not self.has_stock(products) and not self.engine.settings.stock_checkout:
            body["error"] = {"stock": _m.CART_STOCK}
        totals = self.totals(state, products, ctx)
        rows = []
        for p in products:
            price, total = self.line_money(p, state, ctx)
            rows.append({
                "cart_id": str(state.lines[p.index].cart_id),
                "product_id": str(p.product_id),
                "name": p.name,
                "model": p.model,
                "option": [self._option_row(o) for o in p.options],
                "subscription": self._subscription(p, state, ctx),
                "quantity": str(p.quantity),
                "stock": bool(p.stock_status),
                "minimum": bool(p.minimum_status),
                "reward": p.reward,
                "price": price,
                "total": total,
            })
        body["products"] = rows
        body["vouchers"] = []
        body["totals"] = [{"title": t.title, "text": self.money(t.value, state)} for t in totals]
        body["shipping_required"] = self.engine.needs_shipping(products)
        return json_answer(body)

    def cart_add(self, call: Call) -> Response:
        line = self.posted_line(call.form)
        product = self.engine.product(line.product_id)
        if product is None:
            return json_answer({"error": {"warning": _m.PRODUCT_NOT_FOUND}})
        errors: dict[str, str] = {}
        for option in product.options:
            if option.required and not line.option.get(option.product_option_id):
                errors[f"option_{option.product_option_id}"] = _m.OPTION_REQUIRED.format(option.name)
        plans = [s.subscription_plan_id for s in product.subscriptions]
        if plans and line.subscription_plan_id not in plans:
            errors["subscription"] = E_SUBSCRIPTION
        if errors:
            return json_answer({"error": errors})
        self.add_line(call.state, line)
        return json_answer({"success": _m.CART_SUCCESS})

    def cart_edit(self, call: Call) -> Response:
        quantity = call.form.get("quantity")
        self.edit_line(call.state, php_int(call.form.get("key", 0)), php_int(quantity) if isinstance(quantity, str) else 1)
        call.state.reward = None
        return json_answer({"success": _m.CART_SUCCESS})

    def cart_remove(self, call: Call) -> Response:
        self.remove_line(call.state, php_int(call.form.get("key", 0)))
        call.state.reward = None
        return json_answer({"success": _m.CART_SUCCESS})

    # ------------------------------------------------------------------ customer and addresses
    def customer(self, call: Call) -> Response:
        form = call.form
        customer = CustomerIn.posted(form)
        errors: dict[str, str] = {}
        if customer.customer_id and self.engine.customer(customer.customer_id) is None:
            errors["warning"] = _m.CUSTOMER_NOT_FOUND
        group = customer.customer_group_id or self.engine.settings.customer_group_id
        if self.engine.customer_group(group) is None:
            errors["warning"] = MSG["customer_group"]
        errors.update(self.customer_field_errors(customer, telephone_required=self.engine.settings.telephone_required))
        if errors:
            return json_answer({"error": errors})
        customer.customer_group_id = group
        call.state.customer = customer
        call.state.reward = None
        return json_answer({"success": _m.CUSTOMER_SUCCESS})

    def _address(self, call: Call, kind: str, success: str) -> Response:
        errors = self.address_errors(call.form)
        if errors:
            return json_answer({"error": errors})
        address_id = f"{kind}_address_id"
        address = self.posted_address(call.form, php_int(call.form.get(address_id, 0)))
        setattr(call.state, f"{kind}_address", address)
        warnings = [] if address_id in call.form else [ADDRESS_ID_WARNING.format(kind=kind, line=_ADDRESS_ID_LINE[kind])]
        return Response(json_or_prefixed({"success": success}, warnings), content_type="application/json")

    def payment_address(self, call: Call) -> Response:
        return self._address(call, "payment", _m.PAYMENT_ADDRESS_SUCCESS)

    def shipping_address(self, call: Call) -> Response:
        if not self.engine.needs_shipping(self.products(call.state)):
            return json_answer({"error": {"warning": _m.NO_SHIPPING_PRODUCTS}})
        return self._address(call, "shipping", _m.SHIPPING_ADDRESS_SUCCESS)

    # ------------------------------------------------------------------ shipping
    def shipping_methods(self, call: Call) -> Response:
        state = call.state
        ctx = self.ctx(state)
        products = self.products(state, ctx)
        if not self.engine.needs_shipping(products):
            return json_answer({"error": _m.NO_SHIPPING_PRODUCTS})
        if state.shipping_address is None:
            return json_answer({"error": _m.SHIPPING_ADDRESS_REQUIRED})
        methods = self.list_shipping(state, products, ctx)
        if not methods:
            return json_answer({"error": _m.NO_SHIPPING_OPTIONS})
        state.shipping_methods = {m.code: m for m in methods}
        return json_answer({"shipping_methods": shipping_methods_object(methods)})

    def shipping_method_save(self, call: Call) -> Response:
        state = call.state
        error = None
        choice = None
        if self.engine.needs_shipping(self.products(state)):
            if state.shipping_address is None:
                error = _m.SHIPPING_ADDRESS_REQUIRED
            if "shipping_method" in call.form:
                choice = self.listed_quote(state, posted_text(call.form.get("shipping_method")))
                if choice is None:
                    error = _m.SHIPPING_METHOD_REQUIRED
            else:
                error = _m.SHIPPING_METHOD_REQUIRED
        else:
            error = _m.NO_SHIPPING_PRODUCTS
        if error:
            return json_answer({"error": error})
        state.shipping_method = choice
        return json_answer({"success": _m.SHIPPING_METHOD_SUCCESS})

    # ------------------------------------------------------------------ payment
    def payment_methods(self, call: Call) -> Response:
        state = call.state
        ctx = self.ctx(state)
        products = self.products(state, ctx)
        error = None
        if not products:
            error = _m.PRODUCTS_REQUIRED
        if self.engine.settings.checkout_payment_address and state.payment_address is None:
            error = _m.PAYMENT_ADDRESS_REQUIRED
        if error:
            return json_answer({"error": error})
        methods = self.list_payment(state, products, ctx, state.payment_address or state.shipping_address)
        if not methods:
            return json_answer({"error": _m.NO_PAYMENT_OPTIONS})
        state.payment_methods = {m.code: m for m in methods}
        return json_answer({"payment_methods": payment_methods_object(methods)})

    def payment_method_save(self, call: Call) -> Response:
        state = call.state
        error = None
        if self.engine.settings.checkout_payment_address and state.payment_address is None:
            error = _m.PAYMENT_ADDRESS_REQUIRED
        chosen = None
        if "payment_method" in call.form and state.payment_methods is not None:
            code = posted_text(call.form.get("payment_method"))
            method = state.payment_methods.get(code.partition(".")[0]) if "." in code else None
            chosen = next(((c, n) for c, n in method.options if c == code), None) if method else None
            if chosen is None:
                error = _m.PAYMENT_METHOD_REQUIRED
        else:
            error = _m.PAYMENT_METHOD_REQUIRED
        if error or chosen is None:
            return json_answer({"error": error})
        state.payment_method = PaymentChoice(*chosen)
        return json_answer({"success": _m.PAYMENT_METHOD_SUCCESS})

    # ------------------------------------------------------------------ orders
    def order_comment(self, call: Call) -> Response:
        if "comment" not in call.form:
            return json_answer({"error": E_COMMENT})
        call.state.comment = posted_text(call.form.get("comment"))
        return json_answer({"success": _m.ORDER_SUCCESS})

    def order_confirm(self, call: Call) -> Response:
        state = call.state
        settings = self.engine.settings
        ctx = self.ctx(state)
        products = self.products(state, ctx)
        errors: dict[str, str] = {}
        if products:
            if not self.has_stock(products) and not settings.stock_checkout:
                errors["stock"] = _m.CONFIRM_STOCK
        else:
            errors["product"] = _m.PRODUCTS_REQUIRED
        short = next((p for p in products if not p.minimum_status), None)
        if short is not None:
            errors["minimum"] = _m.ORDER_MINIMUM.format(short.name, short.minimum)
        if state.customer is None:
            errors["customer"] = _m.CUSTOMER_REQUIRED
        if settings.checkout_payment_address and state.payment_address is None:
            errors["payment_address"] = _m.PAYMENT_ADDRESS_REQUIRED
        if self.engine.needs_shipping(products):
            if state.shipping_address is None:
                errors["shipping_address"] = _m.SHIPPING_ADDRESS_REQUIRED
            if state.shipping_method is None:
                errors["shipping_method"] = _m.SHIPPING_METHOD_REQUIRED
        else:
            state.shipping_address = state.shipping_method = state.shipping_methods = None
        if state.payment_method is None:
            errors["payment_method"] = _m.PAYMENT_METHOD_REQUIRED
        if errors:
            return json_answer({"error": errors})
        raw = call.form.get("order_status_id")
        status = php_int(raw) if isinstance(raw, str) else settings.order_status_id
        order = self.order_in(call, products, ctx, status=status, comment=state.comment or "",
                              affiliate_id=state.affiliate_id,
                              payment_address=state.payment_address if settings.checkout_payment_address else None)
        if state.order_id is None:
            state.order_id = self.engine.create_order(order)
        elif self.engine.order(state.order_id) is not None:
            self.engine.edit_order(state.order_id, order)
        return json_answer({
            "order_id": state.order_id,
            "success": _m.ORDER_SUCCESS,
            "points": self.engine.reward_points(products),
            "commission": self.engine.format_money(order.commission),
        })

    def order_add_history(self, call: Call) -> Response:
        form = call.form
        order_id = php_int(form.get("order_id", 0))
        if self.engine.order(order_id) is None:
            return json_answer({"error": _m.ORDER_NOT_FOUND})
        self.engine.add_history(order_id, php_int(form.get("order_status_id", 0)), posted_text(form.get("comment")),
                                _flag(form.get("notify")), _flag(form.get("override")))
        return json_answer({"success": _m.ORDER_SUCCESS})

    def order_delete(self, call: Call) -> Response:
        return json_answer({"success": _m.ORDER_SUCCESS})  # the sandbox keeps its orders (PROTOCOL: always success)

    # ------------------------------------------------------------------ coupon, voucher, reward, affiliate, currency
    def coupon(self, call: Call) -> Response:
        state = call.state
        code = posted_text(call.form.get("coupon"))
        if not code:
            state.coupon = None
            return json_answer({"success": COUPON_REMOVED})
        customer_id = state.customer.customer_id if state.customer else 0
        if self.engine.check_coupon(code, self.products(state), customer_id=customer_id) is not None:
            return json_answer({"error": _m.COUPON_INVALID})
        state.coupon = code
        return json_answer({"success": _m.COUPON_SUCCESS})

    def voucher(self, call: Call) -> Response:
        if posted_text(call.form.get("voucher")):
            return json_answer({"error": E_VOUCHER})  # the sandbox sells no gift vouchers
        return json_answer({"success": VOUCHER_REMOVED})

    def reward(self, call: Call) -> Response:
        state = call.state
        raw = posted_text(call.form.get("reward"))
        reward = abs(php_int(raw)) if raw else 0
        if reward:
            problem = self.reward_problem(state, self.products(state), reward, raw)
            if problem:
                return json_answer({"error": problem})
            state.reward = reward
            return json_answer({"success": _m.REWARD_SUCCESS})
        state.reward = None
        return json_answer({"success": REWARD_REMOVED})

    def reward_maximum(self, call: Call) -> Response:
        return json_answer({"maximum": sum(p.points for p in self.products(call.state))})

    def reward_available(self, call: Call) -> Response:
        customer = call.state.customer
        record = self.engine.customer(customer.customer_id) if customer and customer.customer_id else None
        return json_answer({"points": record.reward_points if record else 0})

    def affiliate(self, call: Call) -> Response:
        affiliate_id = php_int(call.form.get("affiliate_id", 0))
        if affiliate_id and self.engine.affiliate(affiliate_id) is None:
            return json_answer({"error": _m.AFFILIATE_NOT_FOUND})
        call.state.affiliate_id = affiliate_id
        return json_answer({"success": AFFILIATE_OK if affiliate_id else AFFILIATE_REMOVED})

    def currency(self, call: Call) -> Response:
        code = posted_text(call.form.get("currency"))
        if not code or code not in {c.code for c in self.engine.store.currencies}:
            return json_answer({"error": E_CURRENCY})
        call.state.currency = code
        return json_answer({"success": _m.CURRENCY_SUCCESS})


ROUTES: dict[str, Handler] = {
    "api/sale/customer": Oc40Front.customer,
    "api/sale/cart": Oc40Front.cart,
    "api/sale/cart.add": Oc40Front.cart_add,
    "api/sale/cart.edit": Oc40Front.cart_edit,
    "api/sale/cart.remove": Oc40Front.cart_remove,
    "api/sale/payment_address": Oc40Front.payment_address,
    "api/sale/shipping_address": Oc40Front.shipping_address,
    "api/sale/shipping_method": Oc40Front.shipping_methods,
    "api/sale/shipping_method.save": Oc40Front.shipping_method_save,
    "api/sale/payment_method": Oc40Front.payment_methods,
    "api/sale/payment_method.save": Oc40Front.payment_method_save,
    "api/sale/order.comment": Oc40Front.order_comment,
    "api/sale/order.confirm": Oc40Front.order_confirm,
    "api/sale/order.addHistory": Oc40Front.order_add_history,
    "api/sale/order.delete": Oc40Front.order_delete,
    "api/sale/coupon": Oc40Front.coupon,
    "api/sale/voucher": Oc40Front.voucher,
    "api/sale/reward": Oc40Front.reward,
    "api/sale/reward.maximum": Oc40Front.reward_maximum,
    "api/sale/reward.available": Oc40Front.reward_available,
    "api/sale/affiliate": Oc40Front.affiliate,
    "api/localisation/currency": Oc40Front.currency,
}
Oc40Front.ROUTES = ROUTES
