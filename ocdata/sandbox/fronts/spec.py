"""The ``spec`` dialect: the community OpenAPI file (``seed-openapi.yml``) taken literally.

Its server URL is ``index.php?route=api``, so every path becomes a route:
``/login`` → ``route=api/login``, ``/cart/addProduct`` → ``route=api/cart/addProduct``,
``/order?call=confirm`` → ``route=api/order&call=confirm``. Every path and field of
the file is served with exactly the response schemas it declares; the business
logic (validation, prices, quotes, totals, payment methods, orders) is the
engine's.

Authentication and sessions
    ``api/login`` (POST ``username``, ``key``) from an allow-listed IP answers
    ``{"success", "api_token"}``; bad credentials or a refused IP answer **400**
    with ``ErrorResponse`` (``Warning: Incorrect API Key!`` / ``Warning: Your IP …
    is not allowed to access this API!``, OpenCart 4.0's wording). Every other
    route needs ``api_token`` as a query parameter or POST field; it names a
    server-side session that dies after ``token_ttl`` seconds without use. The
    file is silent on a missing, unknown or expired token: those answer **401**
    with ``ErrorResponse`` (:data:`TOKEN_REQUIRED` / :data:`TOKEN_INVALID`), so a
    client can tell "log in again" from every other error, which is a 200. A
    token also stops working (401) once its API user is disabled or the caller's
    IP (same forwarding headers as oc41) is no longer on the allow-list.

State and pricing (as OpenCart's storefront checkout)
    The session holds the cart, the customer, both addresses, the chosen
    methods and the affiliate. Prices follow the customer's group; tax follows
    the session's shipping/payment address, falling back to the store address
    for the ``config_tax_default`` side (OpenCart's ``startup/tax``). Changing the
    cart or the shipping address drops the chosen shipping and payment method;
    changing the payment address drops the payment method (OpenCart does the
    same); clients re-list and re-choose.

Choices where the file leaves room (documented deviations from OpenCart 4.0)
    * Cart adds are atomic: ``/cart`` validates every line first and adds none
      if one fails; a quantity below 1 is an error. ``CartErrorResponse`` keys
      are unprefixed: ``product`` (unknown product / bad quantity), ``option``
      (the first failing option's message), ``subscription``.
    * ``/shipping_method`` takes ``shipping_method[code]`` and must name a quote
      currently offered; name, cost and tax class come from that quote, not
      from the client (4.1 trusts posted costs; a spec client cannot).
    * ``ShippingMethod`` is ``{title, quote: {<key>: {code, name, cost (number),
      tax_class_id (integer), text}}, sort_order (integer), error}`` with
      ``error`` ``""`` when the method has no error. ``PaymentMethod`` lists one
      entry per payment *option*, ``code`` being the option code to post back
      (``cod.cod``); ``/payment_method`` also accepts a method code that has a
      single option (``cod``).
    * ``CartProduct.price``/``total`` are ex-tax numbers; ``subscription`` is the
      plan described in words; ``cart_id`` is the session line id. Each product
      also says whether it needs ``shipping`` (a boolean; 3.0's cart rows carry the
      flag too), so a client can tell a cart that ships nothing: its checkout needs
      no shipping address or method, and ``/payment_method/getPaymentMethods`` lists
      the methods that need no shipping (the engine's :meth:`Engine.payment_gaps`).
    * ``/payment_address/setAddress`` (and ``payment_address_id`` /
      ``shipping_address_id`` on ``/subscription``) need a registered customer
      in the session and one of that customer's saved addresses.
    * ``/order`` serves every ``call`` of its enum on the session. Errors are
      strings there (the schema says so): field errors are joined into one
      sentence. ``confirm`` creates a new order, or edits ``order_id`` when it is
      posted (``Warning: Order could not be found!`` if it does not exist); its
      status is ``order_status_id`` or the store's default order status (never
      4.1's status 0); an ``affiliate_id`` posted with it is applied first.
      ``history_add`` needs an existing order and a known status. List calls
      answer the same body as the dedicated paths.
    * ``/subscription`` works like 4.1 (registered customer, saved address ids)
      on the same session: ``confirm`` places the order and records one
      subscription per subscription line (kept by this front — the engine has no
      subscription model), answering ``subscription_id`` and ``order_id`` too;
      ``history_add`` needs a known ``subscription_id`` (a posted customer or
      address id plays no part in it).
    * An unknown route answers 404 with ``ErrorResponse``; an unknown ``call``
      ``{"error":"API call not found"}`` (200, 4.1's answer).
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ocdata._php import php_int
from ocdata.sandbox.apiusers import ApiUsers
from ocdata.sandbox.engine import (
    AddressIn,
    CartProduct,
    CustomerIn,
    Engine,
    LineIn,
    OrderIn,
    PaymentChoice,
    PricingContext,
    ShippingChoice,
    ShippingMethod,
    TotalLine,
)
from ocdata.sandbox.fronts import messages as _m
from ocdata.sandbox.fronts.base import Request, Response, Session, SessionStore
from ocdata.sandbox.records import posted_array, posted_text

SHARED_ROUTES = frozenset({"api/order", "api/subscription"})

# texts other fronts answer too (:mod:`.messages`), under this module's names
INCORRECT_KEY = _m.INCORRECT_KEY
IP_REFUSED = _m.IP_REFUSED
LOGIN_OK = _m.LOGIN_SUCCESS
CALL_NOT_FOUND = _m.CALL_NOT_FOUND
CART_OK = _m.CART_SUCCESS
CUSTOMER_OK = _m.CUSTOMER_SUCCESS
PAYMENT_ADDRESS_OK = _m.PAYMENT_ADDRESS_SUCCESS
SHIPPING_ADDRESS_OK = _m.SHIPPING_ADDRESS_SUCCESS
SHIPPING_METHOD_OK = _m.SHIPPING_METHOD_SUCCESS
PAYMENT_METHOD_OK = _m.PAYMENT_METHOD_SUCCESS
AFFILIATE_OK = _m.AFFILIATE_SUCCESS
ORDER_OK = _m.ORDER_SUCCESS
E_PRODUCT = _m.PRODUCT_NOT_FOUND
E_CART = _m.CART_WARNING
E_PRODUCTS = _m.PRODUCTS_REQUIRED
E_CUSTOMER = _m.CUSTOMER_REQUIRED
E_CUSTOMER_UNKNOWN = _m.CUSTOMER_NOT_FOUND
E_PAYMENT_ADDRESS = _m.PAYMENT_ADDRESS_REQUIRED
E_SHIPPING_ADDRESS = _m.SHIPPING_ADDRESS_REQUIRED
E_NO_SHIPPING = _m.NO_SHIPPING_PRODUCTS
E_SHIPPING_METHOD = _m.SHIPPING_METHOD_REQUIRED
E_NO_SHIPPING_OPTIONS = _m.NO_SHIPPING_OPTIONS
E_PAYMENT_METHOD = _m.PAYMENT_METHOD_REQUIRED
E_NO_PAYMENT_OPTIONS = _m.NO_PAYMENT_OPTIONS_CAPITALISED
E_AFFILIATE = _m.AFFILIATE_NOT_FOUND
E_ORDER = _m.ORDER_NOT_FOUND
E_SUBSCRIPTION = _m.SUBSCRIPTION_REQUIRED

TOKEN_REQUIRED = "Warning: api_token required! Log in with route=api/login first."
TOKEN_INVALID = "Warning: api_token is unknown or has expired! Log in again with route=api/login."

SUBSCRIPTION_OK = "Success: You have modified subscriptions!"

E_QUANTITY = "Warning: Quantity must be at least 1!"
#: oc_cart.quantity is a MySQL INT: a real store's INSERT fails above this (a fatal error),
#: so the sandbox refuses it as a field error instead of keeping a cart nothing can price.
MAX_QUANTITY = 2**31 - 1
E_QUANTITY_MAX = f"Warning: Quantity must be at most {MAX_QUANTITY}!"
E_ADDRESS_UNKNOWN = "Warning: Address could not be found!"
E_ORDER_STATUS = "Warning: Order status could not be found!"
E_SUBSCRIPTION_STATUS = "Warning: Subscription status required!"

#: The answer for each :meth:`Engine.shipping_gap`.
_SHIPPING_GAPS = {"no_shipping": E_NO_SHIPPING, "address": E_SHIPPING_ADDRESS}
#: The words for each :meth:`Engine.payment_gaps` code.
_PAYMENT_GAPS = {
    "customer": E_CUSTOMER,
    "payment_address": E_PAYMENT_ADDRESS,
    "shipping_address": E_SHIPPING_ADDRESS,
    "shipping_method": E_SHIPPING_METHOD,
}

class _Refusal(Exception):
    """Ends a handler early with a ready response."""

    def __init__(self, response: Response) -> None:
        self.response = response


def _json(body: Any, status: int = 200) -> Response:
    return Response(body, status=status, content_type="application/json")


def _error(message: str, status: int = 200) -> Response:
    return _json({"error": message}, status)



def _flag(value: Any) -> bool:
    return posted_text(value).lower() in ("1", "true", "on", "yes")



def _sentence(errors: dict[str, str]) -> str:
    """Field errors as one string (``/order`` and ``/subscription`` declare string errors)."""
    return " ".join(dict.fromkeys(errors.values()))  # each message once, in order


@dataclass
class Line:
    """A cart line of a session: an id the client sees plus what the engine prices."""

    cart_id: int
    line: LineIn


@dataclass
class Checkout:
    """What a token's session holds (OpenCart's ``session->data`` for the API).

    The customer, the addresses and the shipping method change only through the
    ``set_*`` methods and the cart through :meth:`cart_changed`: they drop what the
    change makes stale (the chosen methods, as OpenCart does, and the cached pricing
    context).
    """

    api_id: int
    lines: list[Line] = field(default_factory=list)
    customer: CustomerIn | None = None
    payment_address: AddressIn | None = None
    shipping_address: AddressIn | None = None
    shipping_method: ShippingChoice | None = None
    payment_method: PaymentChoice | None = None
    affiliate_id: int = 0
    #: the pricing context of the customer and addresses above (None: not priced since they changed)
    ctx: PricingContext | None = field(default=None, repr=False)

    def set_customer(self, customer: CustomerIn) -> None:
        self.customer = customer
        self.ctx = None

    def set_payment_address(self, address: AddressIn) -> None:
        self.payment_address = address
        self.payment_method = None
        self.ctx = None

    def set_shipping_address(self, address: AddressIn) -> None:
        self.shipping_address = address
        self.cart_changed()
        self.ctx = None

    def set_shipping_method(self, method: ShippingChoice) -> None:
        self.shipping_method = method
        self.payment_method = None

    def cart_changed(self) -> None:
        """Quotes and the payment methods offered depend on the cart: choose again."""
        self.shipping_method = None
        self.payment_method = None


@dataclass
class Subscription:
    """A subscription placed through ``/subscription`` (kept by this front)."""

    subscription_id: int
    order_id: int
    customer_id: int
    product_id: int
    subscription_plan_id: int
    subscription_status_id: int
    history: list[tuple[int, str, bool, float]] = field(default_factory=list)


@dataclass
class _Call:
    """One request being answered: the request and its session state."""

    request: Request
    state: Checkout

    @property
    def form(self) -> dict[str, Any]:
        return self.request.form


class SpecFront:
    """Answers ``route=api/…`` requests in the spec dialect (see the module doc)."""

    def __init__(
        self, engine: Engine, users: ApiUsers, sessions: SessionStore, *, clock: Callable[[], float] = time.time
    ) -> None:
        self.engine = engine
        self.users = users
        self.sessions = sessions
        self.clock = clock
        settings = engine.store.settings
        self._default_status = settings.order_status_id
        self._cart_ids = itertools.count(1)
        self._subscriptions: dict[int, Subscription] = {}
        self._subscription_ids = itertools.count(1)
        self._subscriptions_lock = threading.Lock()

    # ------------------------------------------------------------------ entry
    def handle(self, request: Request) -> Response:
        route = request.query.get("route", "")
        if route == "api/login":
            return self.login(request)
        token = request.query.get("api_token") or request.form.get("api_token")
        if not isinstance(token, str) or not token:
            return _error(TOKEN_REQUIRED, 401)
        session = self.sessions.get(token)
        state = session.data.get("checkout") if session is not None else None
        user = self.users.get(state.api_id) if state is not None else None
        if session is None or user is None or not user.status or not user.allows(request.client_ip):
            return _error(TOKEN_INVALID, 401)
        handler = _ROUTES.get(route)
        if handler is None:
            return _error(f"Warning: The API route {route} does not exist!", 404)
        with session.lock:
            call = _Call(request, state)
            try:
                return handler(self, call)
            except _Refusal as refusal:
                return refusal.response

    def login(self, request: Request) -> Response:
        username = posted_text(request.form.get("username"))
        key = posted_text(request.form.get("key"))
        user = self.users.find(username) if username else None
        if user is None or not key or not user.key_matches(key):
            return _error(INCORRECT_KEY, 400)
        if not user.allows(request.client_ip):
            return _error(IP_REFUSED.format(ip=request.client_ip), 400)
        session: Session = self.sessions.create()
        session.data["checkout"] = Checkout(api_id=user.api_id)
        return _json({"success": LOGIN_OK, "api_token": session.id})

    # ------------------------------------------------------------------ pricing
    def _ctx(self, state: Checkout) -> PricingContext:
        """OpenCart's ``startup/tax`` + customer group for this session, kept on the
        session until its customer or an address changes (most requests change neither)."""
        ctx = state.ctx
        if ctx is None:
            ctx = state.ctx = self.engine.session_context(
                customer_group_id=state.customer.customer_group_id if state.customer else None,
                shipping_address=state.shipping_address,
                payment_address=state.payment_address,
            )
        return ctx

    def _products(self, call: _Call) -> list[CartProduct]:
        return self.engine.products([entry.line for entry in call.state.lines], self._ctx(call.state))

    def _totals(self, call: _Call, products: list[CartProduct]) -> list[TotalLine]:
        state = call.state
        customer_id = state.customer.customer_id if state.customer else 0
        return self.engine.totals(products, self._ctx(state), shipping=state.shipping_method, customer_id=customer_id)

    # ------------------------------------------------------------------ wire shapes
    def _subscription_text(self, product: CartProduct, state: Checkout) -> str:
        """The line's plan in words, with tax (``""`` for a line without one)."""
        ctx = self._ctx(state)
        return _m.subscription_text(
            product.subscription,
            lambda price: self.engine.format_money(self.engine.with_tax(price, product.tax_class_id, ctx)),
        )

    def _cart_product(self, call: _Call, product: CartProduct) -> dict[str, Any]:
        return {
            "cart_id": str(call.state.lines[product.index].cart_id),
            "product_id": product.product_id,
            "name": product.name,
            "model": product.model,
            "option": [
                {
                    "product_option_id": o.product_option_id,
                    "product_option_value_id": o.product_option_value_id,
                    "name": o.name,
                    "value": o.value,
                    "type": o.type,
                }
                for o in product.options
            ],
            "subscription_plan_id": product.subscription_plan_id,
            "subscription": self._subscription_text(product, call.state),
            "quantity": product.quantity,
            "price": float(product.price),
            "total": float(product.total),
            "shipping": product.shipping,
        }

    def _total(self, line: TotalLine) -> dict[str, Any]:
        return {"title": line.title, "text": self.engine.format_money(line.value), "value": float(line.value)}

    def _address(self, address: AddressIn) -> dict[str, Any]:
        country = self.engine.country(address.country_id)
        zone = self.engine.zone(address.zone_id) if address.zone_id else None
        return {
            "address_id": address.address_id,
            "firstname": address.firstname,
            "lastname": address.lastname,
            "company": address.company,
            "address_1": address.address_1,
            "address_2": address.address_2,
            "postcode": address.postcode,
            "city": address.city,
            "zone_id": address.zone_id,
            "zone": zone.name if zone else "",
            "zone_code": zone.code if zone else "",
            "country_id": address.country_id,
            "country": country.name if country else "",
            "iso_code_2": country.iso_code_2 if country else "",
            "iso_code_3": country.iso_code_3 if country else "",
            "address_format": "",
            "custom_field": dict(address.custom_field),
        }

    # ------------------------------------------------------------------ input
    @staticmethod
    def _line(data: dict[str, Any]) -> LineIn:
        options: dict[int, str | list[str]] = {}
        for key, value in posted_array(data.get("option")).items():
            option_id = php_int(key)
            if isinstance(value, dict):
                options[option_id] = [v for v in value.values() if isinstance(v, str)]
            elif isinstance(value, str):
                options[option_id] = value
        quantity = data.get("quantity")
        return LineIn(
            product_id=php_int(data.get("product_id", 0)),
            quantity=php_int(quantity) if isinstance(quantity, str) and quantity != "" else 1,
            option=options,
            subscription_plan_id=php_int(data.get("subscription_plan_id", 0)),
        )

    # ------------------------------------------------------------------ cart
    def _add(self, call: _Call, lines: list[LineIn]) -> dict[str, str]:
        """Validate every line, then add them all (merging equal lines); errors unprefixed."""
        merged: dict[str, int] = {}  # the quantity each line would end with (options are unhashable)
        for entry in call.state.lines:
            merged[repr((entry.line.product_id, entry.line.option, entry.line.subscription_plan_id))] = entry.line.quantity
        for line in lines:
            if line.quantity < 1:
                return {"product": E_QUANTITY}
            key = repr((line.product_id, line.option, line.subscription_plan_id))
            merged[key] = merged.get(key, 0) + line.quantity
            if merged[key] > MAX_QUANTITY:
                return {"product": E_QUANTITY_MAX}
            errors = self.engine.check_line(line, self._ctx(call.state))
            if errors:
                out: dict[str, str] = {}
                for key, message in errors.items():
                    name = "option" if key.startswith("option") else key
                    if name not in ("product", "option", "subscription"):
                        name = "warning"
                    out.setdefault(name, message)
                return out
        state = call.state
        for line in lines:
            for entry in state.lines:
                same = entry.line
                if (same.product_id, same.option, same.subscription_plan_id) == (
                    line.product_id,
                    line.option,
                    line.subscription_plan_id,
                ):
                    same.quantity += line.quantity
                    break
            else:
                state.lines.append(Line(next(self._cart_ids), line))
        if lines:
            state.cart_changed()
        return {}

    def _posted_lines(self, form: dict[str, Any]) -> list[LineIn]:
        return [self._line(item) for item in posted_array(form.get("product")).values() if isinstance(item, dict)]

    def _cart_answer(self, call: _Call, lines: list[LineIn], *, listed: bool) -> Response:
        """Add ``lines``; ``listed`` (``/order``, ``/subscription``) also answers the cart and totals."""
        errors = self._add(call, lines)
        body: dict[str, Any] = {"error": errors} if errors else {"success": CART_OK}
        if listed:
            products = self._products(call)
            body["products"] = [self._cart_product(call, p) for p in products]
            body["totals"] = [self._total(t) for t in self._totals(call, products)]
        return _json(body)

    def cart(self, call: _Call) -> Response:
        return self._cart_answer(call, self._posted_lines(call.form), listed=False)

    def cart_add_product(self, call: _Call) -> Response:
        return self._cart_answer(call, [self._line(call.form)], listed=False)

    def cart_get_products(self, call: _Call) -> Response:
        return _json({"products": [self._cart_product(call, p) for p in self._products(call)]})

    def cart_get_totals(self, call: _Call) -> Response:
        return _json({"totals": [self._total(t) for t in self._totals(call, self._products(call))]})

    # ------------------------------------------------------------------ customer and addresses
    def customer(self, call: _Call) -> Response:
        customer = CustomerIn.posted(call.form)
        errors = self.engine.validate_customer(customer)
        if errors:
            return _json({"error": errors})
        if not customer.customer_group_id:
            customer.customer_group_id = self.engine.store.settings.customer_group_id
        call.state.set_customer(customer)
        return _json({"success": CUSTOMER_OK})

    def _valid_address(self, call: _Call, prefix: str) -> AddressIn:
        """The posted ``<prefix>*`` address, or a refusal with its field errors."""
        address = AddressIn.posted(call.form, prefix, with_id=True)  # see the module docstring on address ids
        errors = self.engine.validate_address(address)
        if errors:
            raise _Refusal(_json({"error": errors}))
        return address

    def payment_address(self, call: _Call) -> Response:
        call.state.set_payment_address(self._valid_address(call, "payment_"))
        return _json({"success": PAYMENT_ADDRESS_OK})

    def _customer_saved_address(self, call: _Call, address_id: int) -> AddressIn:
        customer = call.state.customer
        if customer is None or not customer.customer_id:
            raise _Refusal(_error(E_CUSTOMER))
        saved = self.engine.customer_address(customer.customer_id, address_id) if address_id else None
        if saved is None:
            raise _Refusal(_error(E_ADDRESS_UNKNOWN))
        return AddressIn.of(saved)

    def payment_address_set(self, call: _Call) -> Response:
        call.state.set_payment_address(
            self._customer_saved_address(call, php_int(call.form.get("payment_address_id", 0)))
        )
        return _json({"success": PAYMENT_ADDRESS_OK})

    def shipping_address(self, call: _Call) -> Response:
        address = self._valid_address(call, "shipping_")
        call.state.set_shipping_address(address)
        return _json({"success": SHIPPING_ADDRESS_OK, "shipping_address": self._address(address)})

    # ------------------------------------------------------------------ shipping
    def _quotes(self, call: _Call, products: list[CartProduct]) -> list[ShippingMethod]:
        """Shipping methods for the session, or a refusal naming what is missing."""
        state = call.state
        if state.customer is None:
            raise _Refusal(_error(E_CUSTOMER))
        gap = self.engine.shipping_gap(products, state.shipping_address)
        if gap:
            raise _Refusal(_error(_SHIPPING_GAPS[gap]))
        methods = self.engine.shipping_methods(products, state.shipping_address, self._ctx(state))
        if not methods:
            raise _Refusal(_error(E_NO_SHIPPING_OPTIONS))
        return methods

    @staticmethod
    def _method(method: ShippingMethod) -> dict[str, Any]:
        return {
            "title": method.name,
            "quote": {
                quote.code.split(".", 1)[-1]: {
                    "code": quote.code,
                    "name": quote.name,
                    "cost": float(quote.cost),
                    "tax_class_id": int(quote.tax_class_id),
                    "text": quote.text,
                }
                for quote in method.quotes
            },
            "sort_order": int(method.sort_order),
            "error": method.error if isinstance(method.error, str) else "",
        }

    def shipping_methods(self, call: _Call) -> Response:
        methods = self._quotes(call, self._products(call))
        return _json({"shipping_methods": [self._method(m) for m in methods]})

    def shipping_method(self, call: _Call) -> Response:
        posted = call.form.get("shipping_method")
        code = posted_text(posted.get("code")) if isinstance(posted, dict) else posted_text(posted)
        methods = self._quotes(call, self._products(call))
        for method in methods:
            for quote in method.quotes:
                if quote.code == code:
                    call.state.set_shipping_method(
                        ShippingChoice(quote.code, quote.name, quote.cost, quote.tax_class_id)
                    )
                    return _json({"success": SHIPPING_METHOD_OK})
        return _error(E_SHIPPING_METHOD)

    # ------------------------------------------------------------------ payment
    def _payment_options(self, call: _Call, products: list[CartProduct]) -> list[tuple[str, str, int]]:
        """Offered ``(option code, option name, sort order)``, or a refusal."""
        state = call.state
        gaps = self._gaps(state, products, confirm=False)
        if gaps:
            raise _Refusal(_error(next(iter(gaps.values()))))
        methods = self.engine.payment_methods(
            products,
            self._totals(call, products),
            payment_address=state.payment_address,
            shipping=state.shipping_method,
            ctx=self._ctx(state),
        )
        options = [(code, name, int(m.sort_order)) for m in methods for code, name in m.options]
        if not options:
            raise _Refusal(_error(E_NO_PAYMENT_OPTIONS))
        return options

    def payment_methods(self, call: _Call) -> Response:
        options = self._payment_options(call, self._products(call))
        return _json(
            {"payment_methods": [{"code": code, "name": name, "sort_order": order} for code, name, order in options]}
        )

    def payment_method(self, call: _Call) -> Response:
        posted = call.form.get("payment_method")
        code = posted_text(posted.get("code")) if isinstance(posted, dict) else posted_text(call.form.get("code"))
        options = self._payment_options(call, self._products(call))
        chosen = [o for o in options if o[0] == code]
        if not chosen and code:
            # a method code with a single option stands for that option ("cod" -> "cod.cod")
            chosen = [o for o in options if o[0].split(".", 1)[0] == code]
            chosen = chosen if len(chosen) == 1 else []
        if not chosen:
            return _error(E_PAYMENT_METHOD)
        call.state.payment_method = PaymentChoice(chosen[0][0], chosen[0][1])
        return _json({"success": PAYMENT_METHOD_OK})

    # ------------------------------------------------------------------ affiliate
    def affiliate(self, call: _Call) -> Response:
        affiliate_id = php_int(call.form.get("affiliate_id", 0))
        if affiliate_id and self.engine.affiliate(affiliate_id) is None:  # unknown or disabled
            return _error(E_AFFILIATE)
        call.state.affiliate_id = affiliate_id
        return _json({"success": AFFILIATE_OK})

    # ------------------------------------------------------------------ orders
    def _gaps(self, state: Checkout, products: list[CartProduct], *, confirm: bool) -> dict[str, str]:
        """What the session lacks to list payment methods or, with ``confirm``, to place
        the order (which also needs the cart in stock and a payment method), in
        OpenCart's order of checks."""
        errors: dict[str, str] = {}
        if state.customer is None:
            errors["customer"] = E_CUSTOMER
        if not products:
            errors["product"] = E_PRODUCTS
        if confirm:
            for line_errors in self.engine.cart_errors(products, check_minimum=True).values():
                for key, message in line_errors.items():
                    errors.setdefault(f"cart_{key}", message)
        gaps = self.engine.payment_gaps(
            products,
            customer=state.customer is not None,
            payment_address=state.payment_address,
            shipping_address=state.shipping_address,
            shipping_method=state.shipping_method,
        )
        for gap in gaps:
            if gap != "customer":  # worded first, above
                errors[gap] = _PAYMENT_GAPS[gap]
        if confirm and state.payment_method is None:
            errors["payment_method"] = E_PAYMENT_METHOD
        return errors

    def _place(self, call: _Call, products: list[CartProduct]) -> int:
        """Create (or, with a posted ``order_id``, replace) the order; returns its id.
        Refuses with everything the session lacks in one sentence, then an unknown
        ``order_status_id``."""
        state = call.state
        errors = self._gaps(state, products, confirm=True)
        if errors:
            raise _Refusal(_error(_sentence(errors)))
        order_status_id = self._order_status(call, self._default_status)
        request = call.request
        totals = self._totals(call, products)
        commission = self.engine.commission(state.affiliate_id, products) or 0.0
        order = OrderIn(
            customer=state.customer,  # type: ignore[arg-type]
            products=products,
            totals=totals,
            payment_address=state.payment_address,
            shipping_address=state.shipping_address,  # the engine drops both when nothing ships
            shipping_method=state.shipping_method,
            payment_method=state.payment_method,
            comment=posted_text(call.form.get("comment")),
            affiliate_id=state.affiliate_id,
            commission=commission,
            order_status_id=order_status_id,
            ip=request.client_ip,
            forwarded_ip=request.headers.get("X-Forwarded-For", ""),
            user_agent=request.headers.get("User-Agent", ""),
            accept_language=request.headers.get("Accept-Language", ""),
        )
        order_id = php_int(call.form.get("order_id", 0))
        if order_id > 0:
            if not self.engine.edit_order(order_id, order):
                raise _Refusal(_error(E_ORDER))
            return order_id
        return self.engine.create_order(order)

    def _order_status(self, call: _Call, default: int) -> int:
        """The posted ``order_status_id`` (``default`` when not posted), or a refusal if unknown."""
        raw = call.form.get("order_status_id")
        status = php_int(raw) if isinstance(raw, str) and raw != "" else default
        if self.engine.order_status_name(status) is None:
            raise _Refusal(_error(E_ORDER_STATUS))
        return status

    def _posted_affiliate(self, call: _Call) -> None:
        """``affiliate_id`` posted with ``confirm`` sets the session's affiliate first."""
        if "affiliate_id" in call.form:
            response = self.affiliate(call)
            if "error" in response.body:
                raise _Refusal(response)

    def confirm(self, call: _Call) -> Response:
        self._posted_affiliate(call)
        order_id = self._place(call, self._products(call))
        return _json({"success": ORDER_OK, "order_id": order_id})

    def history_add(self, call: _Call) -> Response:
        order_id = php_int(call.form.get("order_id", 0))
        if order_id <= 0 or self.engine.order(order_id) is None:
            return _error(E_ORDER)
        status = self._order_status(call, 0)
        self.engine.add_history(
            order_id,
            status,
            posted_text(call.form.get("comment")),
            _flag(call.form.get("notify")),
            _flag(call.form.get("override")),
        )
        return _json({"success": ORDER_OK, "order_id": order_id})

    def _as_string_errors(self, response: Response) -> Response:
        """``/order`` and ``/subscription`` declare ``error`` as a string."""
        body = response.body
        if isinstance(body, dict) and isinstance(body.get("error"), dict):
            body = dict(body)
            body["error"] = _sentence(body["error"])
            return _json(body, response.status)
        return response

    def _order_cart(self, call: _Call) -> Response:
        return self._cart_answer(call, self._posted_lines(call.form), listed=True)

    def _order_product_add(self, call: _Call) -> Response:
        return self._cart_answer(call, [self._line(call.form)], listed=True)

    def _answer_call(self, call: _Call, calls: dict[str, _Handler]) -> Response:
        """Run the handler of the posted ``call``; ``error`` always a string."""
        handler = calls.get(posted_text(call.request.query.get("call")))
        if handler is None:
            return _error(CALL_NOT_FOUND)
        try:
            response = handler(self, call)
        except _Refusal as refusal:
            response = refusal.response
        return self._as_string_errors(response)

    def order(self, call: _Call) -> Response:
        return self._answer_call(call, _ORDER_CALLS)

    # ------------------------------------------------------------------ subscriptions
    def _subscription_parties(self, call: _Call) -> None:
        """Apply posted ``customer_id`` / ``*_address_id`` (registered customers only)."""
        form = call.form
        customer_id = php_int(form.get("customer_id", 0))
        if customer_id:
            record = self.engine.customer(customer_id)
            if record is None:  # unknown or disabled
                raise _Refusal(_error(E_CUSTOMER_UNKNOWN))
            call.state.set_customer(CustomerIn.of(record))
        for name, set_address in (
            ("payment_address_id", call.state.set_payment_address),
            ("shipping_address_id", call.state.set_shipping_address),
        ):
            address_id = php_int(form.get(name, 0))
            if address_id:
                set_address(self._customer_saved_address(call, address_id))

    def _subscription_confirm(self, call: _Call) -> Response:
        state = call.state
        if state.customer is None or not state.customer.customer_id:
            return _error(E_CUSTOMER)
        products = self._products(call)
        subscribed = [p for p in products if p.subscription is not None]
        if not subscribed:
            return _error(E_SUBSCRIPTION)
        self._posted_affiliate(call)
        order_id = self._place(call, products)
        status_id = php_int(call.form.get("subscription_status_id", 0)) or 1
        ids = []
        with self._subscriptions_lock:
            for product in subscribed:
                subscription_id = next(self._subscription_ids)
                self._subscriptions[subscription_id] = Subscription(
                    subscription_id,
                    order_id,
                    state.customer.customer_id,
                    product.product_id,
                    product.subscription_plan_id,
                    status_id,
                    [(status_id, posted_text(call.form.get("comment")), False, self.clock())],
                )
                ids.append(subscription_id)
        return _json({"success": SUBSCRIPTION_OK, "subscription_id": ids[0], "order_id": order_id})

    def _subscription_history(self, call: _Call) -> Response:
        subscription_id = php_int(call.form.get("subscription_id", 0))
        status_id = php_int(call.form.get("subscription_status_id", 0))
        with self._subscriptions_lock:
            subscription = self._subscriptions.get(subscription_id)
            if subscription is None:
                return _error(E_SUBSCRIPTION)
            if status_id <= 0:
                return _error(E_SUBSCRIPTION_STATUS)
            subscription.subscription_status_id = status_id
            subscription.history.append(
                (status_id, posted_text(call.form.get("comment")), _flag(call.form.get("notify")), self.clock())
            )
        return _json({"success": SUBSCRIPTION_OK})

    def subscription(self, call: _Call) -> Response:
        return self._answer_call(call, _SUBSCRIPTION_CALLS)

    def subscription_record(self, subscription_id: int) -> Subscription | None:
        """A subscription placed through this front (for tests and studies)."""
        with self._subscriptions_lock:
            return self._subscriptions.get(subscription_id)


_Handler = Callable[[SpecFront, _Call], Response]


def _with_parties(handler: _Handler) -> _Handler:
    """``handler`` once the posted customer and saved addresses are in the session (``/subscription``)."""

    def run(front: SpecFront, call: _Call) -> Response:
        front._subscription_parties(call)
        return handler(front, call)

    return run


#: route -> handler, for routes that need a session (``api/login`` opens one)
_ROUTES: dict[str, _Handler] = {
    "api/cart": SpecFront.cart,
    "api/cart/addProduct": SpecFront.cart_add_product,
    "api/cart/getProducts": SpecFront.cart_get_products,
    "api/cart/getTotals": SpecFront.cart_get_totals,
    "api/customer": SpecFront.customer,
    "api/payment_address": SpecFront.payment_address,
    "api/payment_address/setAddress": SpecFront.payment_address_set,
    "api/shipping_address": SpecFront.shipping_address,
    "api/shipping_method": SpecFront.shipping_method,
    "api/shipping_method/getShippingMethods": SpecFront.shipping_methods,
    "api/payment_method": SpecFront.payment_method,
    "api/payment_method/getPaymentMethods": SpecFront.payment_methods,
    "api/order": SpecFront.order,
    "api/affiliate": SpecFront.affiliate,
    "api/subscription": SpecFront.subscription,
}

#: ``api/order&call=…``: every step of the checkout on the session
_ORDER_CALLS: dict[str, _Handler] = {
    "customer": SpecFront.customer,
    "cart": SpecFront._order_cart,
    "product_add": SpecFront._order_product_add,
    "payment_address": SpecFront.payment_address,
    "shipping_address": SpecFront.shipping_address,
    "shipping_method": SpecFront.shipping_method,
    "shipping_methods": SpecFront.shipping_methods,
    "payment_method": SpecFront.payment_method,
    "payment_methods": SpecFront.payment_methods,
    "affiliate": SpecFront.affiliate,
    "confirm": SpecFront.confirm,
    "history_add": SpecFront.history_add,
}

#: ``api/subscription&call=…``; ``history_add`` names a subscription, so the session's
#: customer and addresses play no part in it
_SUBSCRIPTION_CALLS: dict[str, _Handler] = {
    "cart": _with_parties(SpecFront._order_cart),
    "product_add": _with_parties(SpecFront._order_product_add),
    "shipping_methods": _with_parties(SpecFront.shipping_methods),
    "payment_methods": _with_parties(SpecFront.payment_methods),
    "confirm": _with_parties(SpecFront._subscription_confirm),
    "history_add": SpecFront._subscription_history,
}

#: every route this dialect answers
SPEC_ROUTES = frozenset({"api/login", *_ROUTES})
