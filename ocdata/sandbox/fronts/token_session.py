"""What OpenCart 4.0's and 3.0's token-session APIs share, over the engine.

Both versions log an API user in (``username`` + ``key`` from an allow-listed IP)
and answer a 26-hex ``api_token``: the id of a server-side PHP session that holds
the whole checkout (cart lines, customer, addresses, the listed and chosen
shipping/payment methods, currency, comment, order id). The fronts
(:mod:`.oc40`, :mod:`.oc30`) differ in routes, field names, answer shapes and
refusals; this module holds what they do alike:

* **Sessions** — a query ``api_token`` is valid while its session data lives
  (``session_ttl``: PHP's session lifetime, 24 h on the 4.0 peer and
  ``session.gc_maxlifetime`` = 1440 s on the 3.0 peer), its ``oc_api_session``
  row was used within ``api_ttl`` (1 h, refreshed by every query-token call), the
  API user is enabled and the caller's IP is on its allow-list. Without a query
  token the ``OCSESSID`` cookie resumes the same session *bypassing* the row, IP
  and status checks (both versions, PROTOCOL §3). A token sent only as a POST
  field is ignored.
* **Cart lines** carry the time they were added and vanish ``cart_ttl`` (1 h)
  later whatever the activity, as API carts do. Adding a line equal to one in
  the cart (product, options, plan) adds to its quantity; ``edit``/``remove``
  take the line's ``cart_id`` and always succeed.
* **Pricing** — the engine prices with the session's customer group and
  addresses (OpenCart's ``startup/tax``: the store address stands in on the
  ``config_tax_default`` side); money reaches the wire only as text in the
  session currency (line prices with tax, totals as the engine titles them).
* **Cookies** — every answer sets ``currency`` to the session currency as the
  request found it (a changed currency shows from the next answer on, 048/049);
  a query-token answer sets no ``OCSESSID``.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from ocdata._php import php_int
from ocdata.sandbox.apiusers import ApiUser, ApiUsers
from ocdata.sandbox.engine import (
    _EMAIL,  # the engine's stand-in for PHP's FILTER_VALIDATE_EMAIL
    MSG,
    AddressIn,
    CartProduct,
    CustomerIn,
    Engine,
    LineIn,
    OrderIn,
    PaymentChoice,
    PaymentMethod,
    PricingContext,
    ShippingChoice,
    ShippingMethod,
    TotalLine,
)
from ocdata.sandbox.fronts import messages as _m
from ocdata.sandbox.fronts.base import Request, Response, Session, SessionStore
from ocdata.sandbox.records import posted_array, posted_text

#: storefront 404 page body (both versions answer their full "not found" page; this is its gist)
NOT_FOUND_PAGE = (
    "<!DOCTYPE html>\n<html dir=\"ltr\" lang=\"en\">\n<head>\n  <meta charset=\"UTF-8\"/>\n"
    "  <title>The page you requested cannot be found!</title>\n</head>\n<body>\n"
    "<h1>The page you requested cannot be found!</h1>\n<p>The page you requested cannot be found.</p>\n"
    "</body>\n</html>\n"
)

# field lengths both versions check (``oc_strlen``/``utf8_strlen`` of the cleaned value), worded as the engine words them
E_FIRSTNAME, E_LASTNAME, E_EMAIL, E_TELEPHONE = (MSG[k] for k in ("firstname", "lastname", "email", "telephone"))
E_ADDRESS_1, E_CITY, E_POSTCODE, E_COUNTRY, E_ZONE = (MSG[k] for k in ("address_1", "city", "postcode", "country", "zone"))


class Refusal(Exception):
    """Ends a handler early with a ready response."""

    def __init__(self, response: Response) -> None:
        self.response = response


def json_answer(body: Any) -> Response:
    return Response(body, content_type="application/json")


def not_found() -> Response:
    return Response(NOT_FOUND_PAGE, status=404, content_type="text/html; charset=utf-8")


@dataclass
class CartLine:
    """A line of a session cart (``oc_cart`` row): the id the wire shows, what the
    engine prices, and when it was added (API carts expire from that moment)."""

    cart_id: int
    line: LineIn
    added: float


@dataclass
class ApiCheckout:
    """An API session's ``session->data`` (one per token)."""

    api_id: int
    currency: str
    api_touched: float  # oc_api_session.date_modified
    lines: list[CartLine] = field(default_factory=list)
    customer: CustomerIn | None = None
    payment_address: AddressIn | None = None
    shipping_address: AddressIn | None = None
    shipping_methods: dict[str, ShippingMethod] | None = None  # as last listed, by extension code
    shipping_method: ShippingChoice | None = None
    payment_methods: dict[str, PaymentMethod] | None = None
    payment_method: PaymentChoice | None = None
    comment: str | None = None
    order_id: int | None = None
    affiliate_id: int = 0
    coupon: str | None = None
    reward: int | None = None


@dataclass
class Call:
    """One request being answered on a session."""

    request: Request
    state: ApiCheckout

    @property
    def form(self) -> dict[str, Any]:
        return self.request.form


Handler = Callable[[Any, Call], Response]


class TokenSessionFront:
    """The shared part of the 4.0 and 3.0 fronts (see the module docstring).

    Subclasses set :attr:`LOGIN_ROUTE`, :attr:`ROUTES` (route → handler) and the
    refusals: :meth:`login_refused`, :meth:`no_token` and :meth:`bad_token`.
    """

    LOGIN_ROUTE = ""
    ROUTES: ClassVar[dict[str, Handler]] = {}
    #: 3.0 resolves the route before its controllers check the session; 4.0 dies in startup first
    ROUTE_BEFORE_AUTH = False
    #: extra cookies every answer sets (3.0: ``language``)
    COOKIES: ClassVar[dict[str, str]] = {}

    def __init__(
        self,
        engine: Engine,
        users: ApiUsers,
        sessions: SessionStore,
        *,
        api_ttl: float = 3600.0,
        cart_ttl: float = 3600.0,
        clock: Callable[[], float] = time.monotonic,
        uploads: dict[str, str] | None = None,
    ) -> None:
        self.engine = engine
        self.users = users
        self.sessions = sessions
        self.api_ttl = api_ttl
        self.cart_ttl = cart_ttl
        self.clock = clock
        #: storefront upload codes -> file names (File options)
        self.uploads: dict[str, str] = {} if uploads is None else uploads
        self._cart_ids = itertools.count(1)
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ entry
    def route_of(self, request: Request) -> str:
        route = request.query.get("route", "")
        return route if isinstance(route, str) else ""

    def handle(self, request: Request) -> Response:
        route = self.route_of(request)
        if route == self.LOGIN_ROUTE:
            response = self.login(request)
            response.set_cookies.update(self.COOKIES)
            response.set_cookies.setdefault("currency", self.engine.settings.currency)
            return response
        handler = self.ROUTES.get(route)
        if handler is None and self.ROUTE_BEFORE_AUTH:
            return self._cookies(not_found(), None, token=False)
        token = request.query.get("api_token")
        session: Session | None
        if isinstance(token, str) and "api_token" in request.query:
            session = self._token_session(token, request.client_ip)
            if session is None:
                return self._cookies(self.bad_token(request, route), None, token=True)
        else:
            cookie = request.cookies.get("OCSESSID")
            session = self.sessions.get(cookie) if isinstance(cookie, str) else None
            if session is None or not isinstance(session.data.get("api"), ApiCheckout):
                return self._cookies(self.no_token(request, route), None, token=False)
        state: ApiCheckout = session.data["api"]
        currency = state.currency
        if handler is None:
            return self._cookies(not_found(), currency, token=True)
        with session.lock:
            self._expire_cart(state)
            try:
                response = handler(self, Call(request, state))
            except Refusal as refusal:
                response = refusal.response
        return self._cookies(response, currency, token=isinstance(token, str))

    def _cookies(self, response: Response, currency: str | None, *, token: bool) -> Response:
        if token:
            response.set_cookies.setdefault("OCSESSID", None)  # type: ignore[arg-type]
        response.set_cookies.update(self.COOKIES)
        response.set_cookies.setdefault("currency", currency or self.engine.settings.currency)
        return response

    def _token_session(self, token: str, ip: str) -> Session | None:
        """The session a query token names, if its ``oc_api_session`` row is live for this IP
        and its API user enabled (refreshing the row), else ``None``."""
        session = self.sessions.get(token)
        state = session.data.get("api") if session is not None else None
        if not isinstance(state, ApiCheckout):
            return None
        now = self.clock()
        user = self.users.get(state.api_id)
        if now - state.api_touched > self.api_ttl or user is None or not user.status or not user.allows(ip):
            return None
        state.api_touched = now
        return session

    def _expire_cart(self, state: ApiCheckout) -> None:
        limit = self.clock() - self.cart_ttl
        if any(entry.added < limit for entry in state.lines):
            state.lines = [entry for entry in state.lines if entry.added >= limit]

    # ------------------------------------------------------------------ login
    def authenticate(self, request: Request, username: str, key: str) -> ApiUser | None:
        """The enabled API user with that name and key, or ``None``."""
        user = self.users.find(username) if username and key else None
        return user if user is not None and user.key_matches(key) else None

    def open_session(self, user: ApiUser) -> str:
        """A new API session for ``user``; returns its token."""
        session = self.sessions.create()
        session.data["api"] = ApiCheckout(user.api_id, self.engine.settings.currency, self.clock())
        return session.id

    def login(self, request: Request) -> Response:
        raise NotImplementedError

    def no_token(self, request: Request, route: str) -> Response:
        raise NotImplementedError

    def bad_token(self, request: Request, route: str) -> Response:
        raise NotImplementedError

    # ------------------------------------------------------------------ pricing
    def ctx(self, state: ApiCheckout) -> PricingContext:
        return self.engine.session_context(
            customer_group_id=state.customer.customer_group_id if state.customer else None,
            shipping_address=state.shipping_address,
            payment_address=state.payment_address,
        )

    def products(self, state: ApiCheckout, ctx: PricingContext | None = None) -> list[CartProduct]:
        """The priced cart; ``CartProduct.index`` indexes ``state.lines``."""
        return self.engine.products([entry.line for entry in state.lines], ctx or self.ctx(state))

    def totals(self, state: ApiCheckout, products: list[CartProduct], ctx: PricingContext | None = None) -> list[TotalLine]:
        customer_id = state.customer.customer_id if state.customer else 0
        return self.engine.totals(products, ctx or self.ctx(state), shipping=state.shipping_method,
                                  coupon=state.coupon, reward=state.reward, customer_id=customer_id)

    def money(self, value: float, state: ApiCheckout) -> str:
        return self.engine.format_money(value, state.currency)

    def line_money(self, product: CartProduct, state: ApiCheckout, ctx: PricingContext) -> tuple[str, str]:
        """``price`` and ``total`` of a cart row: unit price with tax, times quantity, as text."""
        unit = self.engine.with_tax(product.price, product.tax_class_id, ctx)
        return self.money(unit, state), self.money(unit * product.quantity, state)

    def has_stock(self, products: list[CartProduct]) -> bool:
        return all(p.stock_status for p in products)

    # ------------------------------------------------------------------ input
    @staticmethod
    def posted_line(form: dict[str, Any], *, filter_options: bool = True) -> LineIn:
        """A ``product_id``/``quantity``/``option``/``subscription_plan_id`` POST as a line;
        empty option values are dropped (``array_filter``) unless told otherwise."""
        options: dict[int, str | list[str]] = {}
        for key, value in posted_array(form.get("option")).items():
            if isinstance(value, dict):
                values = [v for v in value.values() if isinstance(v, str) and (v or not filter_options)]
                if values or not filter_options:
                    options[php_int(key)] = values
            elif isinstance(value, str) and (value or not filter_options):
                options[php_int(key)] = value
        quantity = form.get("quantity")
        return LineIn(
            product_id=php_int(form.get("product_id", 0)),
            quantity=php_int(quantity) if isinstance(quantity, str) else 1,
            option=options,
            subscription_plan_id=php_int(form.get("subscription_plan_id", 0)),
        )

    def add_line(self, state: ApiCheckout, line: LineIn) -> None:
        """``cart->add``: an equal line (product, options, plan) grows, else a new row."""
        for entry in state.lines:
            same = entry.line
            if (same.product_id, same.option, same.subscription_plan_id) == (
                line.product_id, line.option, line.subscription_plan_id
            ):
                same.quantity += line.quantity
                return
        with self._lock:
            cart_id = next(self._cart_ids)
        state.lines.append(CartLine(cart_id, line, self.clock()))

    @staticmethod
    def edit_line(state: ApiCheckout, cart_id: int, quantity: int) -> None:
        for entry in state.lines:
            if entry.cart_id == cart_id:
                entry.line.quantity = quantity
        state.lines = [entry for entry in state.lines if entry.line.quantity > 0]

    @staticmethod
    def remove_line(state: ApiCheckout, cart_id: int) -> None:
        state.lines = [entry for entry in state.lines if entry.cart_id != cart_id]

    def customer_field_errors(self, customer: CustomerIn, *, telephone_required: bool) -> dict[str, str]:
        """``firstname``/``lastname``/``email``/``telephone`` checks as both controllers run them."""
        errors: dict[str, str] = {}
        if not 1 <= len(customer.firstname) <= 32:
            errors["firstname"] = E_FIRSTNAME
        if not 1 <= len(customer.lastname) <= 32:
            errors["lastname"] = E_LASTNAME
        if len(customer.email) > 96 or not _EMAIL.match(customer.email):
            errors["email"] = E_EMAIL
        phone = len(customer.telephone)
        # 4.0's precedence bug leaves only the upper bound unless the setting is on
        if (telephone_required and phone < 3) or phone > 32:
            errors["telephone"] = E_TELEPHONE
        return errors

    def address_errors(self, form: dict[str, Any], *, city_max: int = 128) -> dict[str, str]:
        """Both versions' address checks: country and zone are only checked for being posted."""
        text = {k: posted_text(form.get(k)) for k in ("firstname", "lastname", "address_1", "city", "postcode",
                                                      "country_id", "zone_id")}
        errors: dict[str, str] = {}
        if not 1 <= len(text["firstname"]) <= 32:
            errors["firstname"] = E_FIRSTNAME
        if not 1 <= len(text["lastname"]) <= 32:
            errors["lastname"] = E_LASTNAME
        if not 3 <= len(text["address_1"]) <= 128:
            errors["address_1"] = E_ADDRESS_1
        if not 2 <= len(text["city"]) <= city_max:
            errors["city"] = E_CITY
        country = self.engine.country(php_int(text["country_id"]))
        if country is not None and country.postcode_required and not 2 <= len(text["postcode"]) <= 10:
            errors["postcode"] = E_POSTCODE
        if text["country_id"] == "":
            errors["country"] = E_COUNTRY
        if text["zone_id"] == "":
            errors["zone"] = E_ZONE
        return errors

    @staticmethod
    def posted_address(form: dict[str, Any], address_id: int = 0) -> AddressIn:
        address = AddressIn.posted(form, "")
        address.address_id = address_id
        return address

    # ------------------------------------------------------------------ shipping and payment
    def list_shipping(self, state: ApiCheckout, products: list[CartProduct], ctx: PricingContext) -> list[ShippingMethod]:
        """Quotes for the session's shipping address (the caller checked there is one)."""
        return self.engine.shipping_methods(products, state.shipping_address, ctx,  # type: ignore[arg-type]
                                            currency=state.currency)

    def listed_quote(self, state: ApiCheckout, code: str) -> ShippingChoice | None:
        """The quote ``<extension>.<quote>`` of the last listing, as a choice."""
        extension, sep, _ = code.partition(".")
        method = (state.shipping_methods or {}).get(extension) if sep else None
        for quote in method.quotes if method else ():
            if quote.code == code:
                return ShippingChoice(quote.code, quote.name, quote.cost, quote.tax_class_id)
        return None

    def list_payment(self, state: ApiCheckout, products: list[CartProduct], ctx: PricingContext,
                     payment_address: AddressIn | None) -> list[PaymentMethod]:
        totals = self.totals(state, products, ctx)
        return self.engine.payment_methods(products, totals, payment_address=payment_address,
                                           shipping=state.shipping_method, ctx=ctx)

    # ------------------------------------------------------------------ orders
    def order_in(self, call: Call, products: list[CartProduct], ctx: PricingContext, *, status: int,
                 comment: str, affiliate_id: int, payment_address: AddressIn | None) -> OrderIn:
        state, request = call.state, call.request
        commission = self.engine.commission(affiliate_id, products) or 0.0
        return OrderIn(
            customer=state.customer,  # type: ignore[arg-type]
            products=products,
            totals=self.totals(state, products, ctx),
            payment_address=payment_address,
            shipping_address=state.shipping_address,
            shipping_method=state.shipping_method,
            payment_method=state.payment_method,
            comment=comment,
            affiliate_id=affiliate_id if self.engine.affiliate(affiliate_id) else 0,
            commission=commission,
            order_status_id=status,
            currency=state.currency,
            ip=request.client_ip,
            forwarded_ip=request.headers.get("X-Forwarded-For", ""),
            user_agent=request.headers.get("User-Agent", ""),
            accept_language=request.headers.get("Accept-Language", ""),
        )

    def reward_problem(self, state: ApiCheckout, products: list[CartProduct], reward: int, posted: str) -> str | None:
        """Why ``reward`` points (``posted`` as text) cannot be applied (``None``: they can);
        the maximum check runs last and wins, as in both controllers."""
        available = 0
        if state.customer and state.customer.customer_id:
            customer = self.engine.customer(state.customer.customer_id)
            available = getattr(customer, "reward_points", 0) if customer else 0
        maximum = sum(p.points for p in products)
        problem = None
        if reward > available:
            problem = _m.REWARD_POINTS.format(posted)
        if reward > maximum:
            problem = _m.REWARD_MAXIMUM.format(maximum)
        return problem
