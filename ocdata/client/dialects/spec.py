"""The community OpenAPI file (``seed-openapi.yml``) taken literally.

Its server is ``index.php?route=api`` so every path is a route: ``POST route=api/login``
(``username``, ``key``) answers ``api_token``; then ``route=api/customer``,
``api/cart``, ``api/payment_address``, ``api/shipping_address``,
``api/shipping_method`` (+ ``/getShippingMethods``), ``api/payment_method``
(+ ``/getPaymentMethods``), ``api/cart/getProducts``, ``api/cart/getTotals``,
``api/affiliate``, ``api/order&call=confirm|history_add`` and ``api/subscription&call=…``,
each with ``api_token`` in the query string. The server session holds the draft; this
dialect sends only what changed since the session last saw it (see
:class:`~ocdata.client.dialects.base.SessionDialect`). The file is silent on expired
tokens; the ocdata sandbox answers 401, which triggers one re-login (never for an order write:
a 401 to confirm raises OrderStateUnknownError rather than confirming again). A quote prices
the session only once ``cart/getProducts`` shows exactly the draft's quantities. A session left unused for
nearly an hour (OpenCart 4.0's API session lifetime, the sandbox's default) is replaced
before its next call instead.

HTTP requests per operation, once the session holds the draft (first use adds 1 login,
plus one request per part of the draft that changed: customer, cart, each address,
affiliate, chosen methods; a cart whose lines were removed or changed costs a new login
and the whole draft, since the file has no way to remove lines). q = quotes offered,
b = bands of order total among them (``total <= 0`` or not; almost always 1):

========================  =========  ==================================================
operation                 requests   calls
========================  =========  ==================================================
``cart``                  2          ``cart/getProducts``, ``cart/getTotals``
``shipping_methods``      1          ``shipping_method/getShippingMethods``
``payment_methods``       1          ``payment_method/getPaymentMethods``
``totals``                1          ``cart/getTotals`` (+1 when the shipping method changed)
``quote``                 2 + 2q + b ``cart/getProducts``, list quotes; per quote set method
                                     and ``cart/getTotals``; ``getPaymentMethods`` once per
                                     band. +1 ``getTotals`` (the cart alone) when no quote is
                                     free and untaxed (cost 0, tax class 0), +1 to drop the
                                     previous scenario's method first unless the cart or
                                     shipping address changed (which drops it)
``quote`` (nothing ships) 3          products, cart totals, payment methods (no shipping step)
``quote`` (per_option)    2 + 3q     as above with one payment list per quote
``confirm``               3          ``order&call=confirm``, then the order's totals and
                                     products from ``cart/getTotals``, ``cart/getProducts``
``add_history``           1          ``order&call=history_add``
``probe``                 2          login, ``cart/getProducts``
========================  =========  ==================================================

Payment methods follow OpenCart 4.1's rules here (the sandbox's spec store runs them): they
depend on the payment address and the cart, and on the order total only through
``free_checkout`` (total <= 0), not on the chosen shipping method, so a quote looks them up
once per band of order total (:class:`~.base.PaymentBands`).
"""

from __future__ import annotations

from typing import Any, ClassVar

from ..errors import AuthenticationError, PermissionDeniedError, ProtocolError
from ..models import (
    Cart,
    OrderDraft,
    OrderResult,
    PaymentMethod,
    ShippingQuote,
    SubscriptionDraft,
    TotalLine,
)
from ..transport import HttpAnswer, Transport
from .base import (MISSING, REBUILD, DialectConfig, ProbeResult, ServerSession, SessionDialect, SessionStateUnknown,
                   SyncStep)
from . import forms
from .forms import Pairs
from .parse import parse_payment_methods, require_id, parse_products, scrub, totals_wire

__all__ = ["Spec"]


class Spec(SessionDialect):
    name: ClassVar[str] = "spec"
    versions: ClassVar[str] = "seed-openapi 4.0"
    login_route: ClassVar[str] = "api/login"
    idle_ttl: ClassVar[float | None] = 3600.0
    payment_by_band: ClassVar[bool] = True
    known_behaviours: ClassVar[tuple[str, ...]] = (
        "prices and taxes follow the session's customer group and addresses (like the storefront checkout)",
        "changing the cart or shipping address drops the chosen shipping and payment method",
        "the shipping method must be one of the quotes currently offered; cost comes from the store",
    )

    # ------------------------------------------------------------------ session hooks
    def parse_login(self, answer: HttpAnswer) -> str:
        body = self.json(answer, "login") if answer.text.strip() else None
        if answer.status == 200 and isinstance(body, dict) and isinstance(body.get("api_token"), str):
            return body["api_token"]
        message = str(body.get("error")) if isinstance(body, dict) and body.get("error") else ""
        if "not allowed" in message.lower() or "ip" in message.lower().split():
            raise PermissionDeniedError(f"the store refused this machine's IP ({message}); add it to the API user's "
                                        f"IP allow-list in the store's admin (System > Users > API)",
                                        status=answer.status, body=answer.text, dialect=self.name, call="login")
        if answer.status in (400, 401, 403) or message:
            raise AuthenticationError(f"login refused: {message or 'no reason given'}; check the API user name "
                                      f"({self.config.credentials.username!r}) and key, and that the API user is "
                                      f"enabled", status=answer.status, body=answer.text, dialect=self.name, call="login")
        raise ProtocolError("login answered without an api_token; is this an OpenCart seed-openapi store?",
                            status=answer.status, body=answer.text, dialect=self.name, call="login")

    def session_lost(self, answer: HttpAnswer, body: Any) -> bool:
        return answer.status == 401

    # ------------------------------------------------------------------ sync
    def _post(self, session: ServerSession, route: str, data: Pairs, call: str) -> Any:
        answer, body = self.call(session, "POST", route, data=data, call=call)
        self.raise_for_error(body, call, answer)
        return body

    def sync_steps(self, draft: OrderDraft) -> list[SyncStep]:
        def customer(session, old, new):
            if new is None:
                return REBUILD
            self._post(session, "api/customer", forms.customer_fields(new), "customer")

        def cart(session, old, new):
            if old not in (MISSING, ()):
                return REBUILD  # the file has no remove/edit call
            if new:
                self._post(session, "api/cart", forms.lines_fields(new), "cart")
                _dropped(session, "shipping_method", "payment_method")

        def address(prefix):
            def send(session, old, new):
                if new is None:
                    return REBUILD
                self._post(session, f"api/{prefix}address", forms.address_fields(new, prefix, with_address_id=False),
                           f"{prefix}address")
                _dropped(session, *(("shipping_method", "payment_method") if prefix == "shipping_" else
                                    ("payment_method",)))
            return send

        def affiliate(session, old, new):
            self._post(session, "api/affiliate", [("affiliate_id", str(new or 0))], "affiliate")

        # re-posting an address is how the session forgets the method chosen with it
        def shipping_method(session, old, new):
            if new is None:
                return address("shipping_")(session, None, draft.shipping_address)
            code, name, cost, tax_class_id = new
            data = [("shipping_method[code]", code)]
            if name is not None:
                data = [("shipping_method[name]", name), ("shipping_method[code]", code),
                        ("shipping_method[cost]", str(cost)), ("shipping_method[tax_class_id]", str(tax_class_id))]
            try:
                self._post(session, "api/shipping_method", data, "shipping_method")
            except Exception:
                if old is not MISSING and old is not None:
                    # a refused choice leaves the previous one chosen: forget it before pricing the cart alone
                    session.snapshot["shipping_method"] = (_UNSURE, ())
                raise

        def payment_method(session, old, new):
            if new is None:
                return address("payment_")(session, None, forms.payment_address(draft))
            code, name = new
            self._post(session, "api/payment_method", [("name", name), ("code", code)], "payment_method")

        sm = draft.shipping_method
        sm_state = (None if sm is None else (sm.code, sm.name, sm.cost, sm.tax_class_id)
                    if isinstance(sm, ShippingQuote) else (sm, None, None, None))
        pm = draft.payment_method
        pm_state = None if pm is None else (pm.code, pm.name) if isinstance(pm, PaymentMethod) else (pm, pm)
        return [
            SyncStep("customer", draft.customer, customer),
            SyncStep("cart", tuple(draft.lines), cart),
            SyncStep("payment_address", forms.payment_address(draft), address("payment_")),
            SyncStep("shipping_address", draft.shipping_address, address("shipping_")),
            SyncStep("affiliate", draft.affiliate_id, affiliate),
            SyncStep("shipping_method", sm_state, shipping_method, depends=("customer", "cart", "shipping_address")),
            SyncStep("payment_method", pm_state, payment_method,
                     depends=("customer", "cart", "payment_address", "shipping_address", "shipping_method")),
        ]

    # ------------------------------------------------------------------ reads
    def _get(self, session: ServerSession, route: str, call: str) -> Any:
        answer, body = self.call(session, "GET", route, call=call)
        self.raise_for_error(body, call, answer)
        if not isinstance(body, dict):
            raise ProtocolError(f"{call} answered {type(body).__name__}, not an object", body=answer.text,
                                dialect=self.name, call=call)
        return body

    def _totals_of(self, body: dict, shipping_title: str | None = None) -> tuple[TotalLine, ...]:
        """CartTotal has no ``code``: inferred as for 4.0 (:func:`~.parse.total_code`)."""
        rows = self.need(body, "totals", "cart/getTotals")
        self.learn_decimals(rows)
        return totals_wire(rows, shipping_title=shipping_title, decimals=self.decimals)

    def parse_total_rows(self, rows: list[dict]) -> tuple[TotalLine, ...]:
        return self._totals_of({"totals": rows})

    def _products_of(self, body: dict, draft: OrderDraft) -> tuple:
        return parse_products(self.need(body, "products", "cart/getProducts"), self.decimals,
                              order=[l.product_id for l in draft.lines])

    def _checked_products(self, body: dict, draft: OrderDraft) -> tuple:
        """The cart's products, after checking the store holds exactly the draft's quantities (a
        cart add applied twice, or lost, must never be priced): else the session is rebuilt once."""
        items = self._products_of(body, draft)
        want: dict[int, int] = {}
        for line in draft.lines:
            want[line.product_id] = want.get(line.product_id, 0) + line.quantity
        held: dict[int, int] = {}
        for p in items:
            held[p.product_id] = held.get(p.product_id, 0) + p.quantity
        if held != want:
            shown = ", ".join(f"product {pid}: {held.get(pid, 0)} held, {want.get(pid, 0)} asked"
                              for pid in sorted(set(held) | set(want)) if held.get(pid) != want.get(pid))
            raise SessionStateUnknown(ProtocolError(
                f"the store's API cart does not hold the draft ({shown}); nothing was priced",
                dialect=self.name, call="cart/getProducts"))
        return items

    def quote_cart(self, draft: OrderDraft) -> tuple[tuple, bool | None, tuple[TotalLine, ...] | None]:
        """Products only: the cart's own totals are read from a free quote when one is offered,
        and listing quotes needs no chosen method to be dropped first."""
        def op(session):
            items = self._checked_products(self._get(session, "api/cart/getProducts", "cart/getProducts"), draft)
            flags = [p.shipping for p in items if p.shipping is not None]
            return items, (any(flags) if flags else None), None
        return self.run(draft, op, skip=("shipping_method", "payment_method"))

    def cart(self, draft: OrderDraft) -> Cart:
        def op(session):
            products = self._get(session, "api/cart/getProducts", "cart/getProducts")
            totals = self._get(session, "api/cart/getTotals", "cart/getTotals")
            parsed_totals = self._totals_of(totals, _shipping_title(draft))
            items = self._checked_products(products, draft)
            flags = [p.shipping for p in items if p.shipping is not None]
            return Cart(products=items, totals=parsed_totals, shipping_required=any(flags) if flags else None,
                        pricing=self.pricing, dialect=self.name, raw=scrub({**products, **totals}))
        return self.run(draft, op)

    def shipping_listing(self, draft: OrderDraft) -> tuple[tuple[ShippingQuote, ...], tuple[str, ...]]:
        def op(session):
            body = self._get(session, "api/shipping_method/getShippingMethods", "shipping_method/getShippingMethods")
            return self.read_shipping(body.get("shipping_methods"))
        return self.run(draft, op, skip=("shipping_method", "payment_method"))

    def payment_methods(self, draft: OrderDraft) -> tuple[PaymentMethod, ...]:
        def op(session):
            body = self._get(session, "api/payment_method/getPaymentMethods", "payment_method/getPaymentMethods")
            return parse_payment_methods(body.get("payment_methods"))
        return self.run(draft, op, skip=("payment_method",))

    def totals(self, draft: OrderDraft) -> tuple[TotalLine, ...]:
        title = _shipping_title(draft)
        return self.run(draft, lambda s: self._totals_of(self._get(s, "api/cart/getTotals", "cart/getTotals"), title))

    # ------------------------------------------------------------------ writes
    def confirm(self, draft: OrderDraft, order_status_id: int | None, comment: str) -> OrderResult:
        status = self.order_status(order_status_id)
        data = forms.confirm_fields(draft.order_id, status, comment or draft.comment)
        if draft.affiliate_id is not None:
            data.append(("affiliate_id", str(draft.affiliate_id)))

        def op(session):
            answer, body = self.call(session, "POST", "api/order", params=[("call", "confirm")], data=data,
                                     call="order confirm", writes=True, order_id=draft.order_id)
            self.raise_for_error(body, "order confirm", answer)
            if not isinstance(body, dict):
                raise ProtocolError(f"confirm answered {type(body).__name__}, not an object with an order_id",
                                    body=answer.text, dialect=self.name, call="order confirm")
            order_id = require_id(body.get("order_id"), "order_id", dialect=self.name, call="order confirm",
                                  body=answer.text)
            totals = self._totals_of(body if "totals" in body else
                                     self._get(session, "api/cart/getTotals", "cart/getTotals"), _shipping_title(draft))
            # the file's confirm answers only success and order_id: the order's lines are the session
            # cart it was placed from, read back like its totals
            products = self._products_of(body if "products" in body else
                                         self._get(session, "api/cart/getProducts", "cart/getProducts"), draft)
            return OrderResult(order_id=order_id, status_id=status, totals=totals,
                               products=products, dialect=self.name, raw=scrub(body))
        return self.run(draft, op)

    def add_history(self, order_id: int, order_status_id: int, comment: str = "", notify: bool = False,
                    override: bool = False) -> None:
        data = forms.history_fields(order_status_id, comment, notify, override, order_id=order_id)

        def op(session):
            answer, body = self.call(session, "POST", "api/order", params=[("call", "history_add")], data=data,
                                     call="order history_add", writes=True, order_id=order_id)
            self.raise_for_error(body, "order history_add", answer)
            if not isinstance(body, dict):
                raise ProtocolError(f"history_add answered {type(body).__name__}, not an object",
                                    body=answer.text, dialect=self.name, call="order history_add")
        self.run(None, op)

    # ------------------------------------------------------------------ subscriptions
    def _sub(self, call: str, draft: SubscriptionDraft | None, extra: Pairs = (), *, writes: bool = False) -> Any:
        data: Pairs = list(extra)
        if draft is not None:
            methods: Pairs = []
            for kind, chosen in (("shipping_method", draft.shipping_method), ("payment_method", draft.payment_method)):
                if chosen is not None:  # the seed file takes the code only
                    methods.append((f"{kind}[code]", chosen if isinstance(chosen, str) else chosen.code))
            data = forms.subscription_fields(draft, methods) + data

        def op(session):
            answer, body = self.call(session, "POST", "api/subscription", params=[("call", call)], data=data,
                                     call=f"subscription {call}", writes=writes)
            self.raise_for_error(body, f"subscription {call}", answer)
            return body if isinstance(body, dict) else {}
        return self.run(None, op)

    def subscription_cart(self, draft: SubscriptionDraft) -> Cart:
        body = self._sub("cart", draft)
        return Cart(products=parse_products(body.get("products"), self.decimals,
                                            order=[l.product_id for l in draft.lines]),
                    totals=self._totals_of(body), shipping_required=body.get("shipping_required"),
                    pricing=self.pricing, dialect=self.name, raw=scrub(body))

    def subscription_shipping_methods(self, draft: SubscriptionDraft) -> tuple[ShippingQuote, ...]:
        return self.warn_problems(*self.read_shipping(self._sub("shipping_methods", draft).get("shipping_methods")))

    def subscription_payment_methods(self, draft: SubscriptionDraft) -> tuple[PaymentMethod, ...]:
        return parse_payment_methods(self._sub("payment_methods", draft).get("payment_methods"))

    def subscription_confirm(self, draft: SubscriptionDraft) -> int:
        body = self._sub("confirm", draft, writes=True)
        return require_id(body.get("subscription_id"), "subscription_id", dialect=self.name,
                          call="subscription confirm", body=body)

    def subscription_add_history(self, subscription_id: int, subscription_status_id: int, comment: str = "",
                                 notify: bool = False) -> None:
        entry = forms.subscription_history_fields(subscription_id, subscription_status_id, comment, notify)
        self._sub("history_add", None, entry, writes=True)

    # ------------------------------------------------------------------ discovery
    @classmethod
    def probe(cls, config: DialectConfig, transport: Transport) -> ProbeResult:
        """Log in at ``route=api/login``, then ``api/cart/getProducts``: only a seed-openapi store answers both."""
        dialect = cls(config, transport)
        result = ProbeResult(dialect=cls.name, matches=False)
        answer = dialect.http("POST", route=cls.login_route, call="login", params=[("route", cls.login_route)],
                              data=dialect.login_form())
        result.status, result.server_date, result.elapsed_ms = answer.status, answer.server_date, answer.elapsed_ms
        try:
            token = dialect.parse_login(answer)
        except (AuthenticationError, PermissionDeniedError) as exc:
            # a 400 ErrorResponse from api/login is the seed file's own failure shape
            if answer.status == 400 and "application/json" in answer.content_type:
                result.matches, result.version, result.evidence = True, cls.versions, f"login refused: {exc.message}"
            else:
                result.evidence = f"login: HTTP {answer.status}"
            return result
        except ProtocolError:
            result.evidence = f"login: HTTP {answer.status} without api_token"
            return result
        session = ServerSession(token=token)
        try:
            answer, body = dialect.call(session, "GET", "api/cart/getProducts", call="cart/getProducts")
        except ProtocolError as exc:
            result.evidence = f"api/cart/getProducts: HTTP {exc.status}, not JSON"
            return result
        if isinstance(body, dict) and isinstance(body.get("products"), list):
            result.matches, result.version = True, cls.versions
            result.evidence = "api/login gave an api_token and api/cart/getProducts answered products"
        else:
            result.evidence = f"api/cart/getProducts: HTTP {answer.status}"
        return result


_UNSURE = object()  # snapshot state of a method the store may or may not still hold


def _dropped(session: ServerSession, *keys: str) -> None:
    """The store forgot these chosen methods (changing the cart or an address does that), so
    a draft without them needs no request to drop them."""
    for key in keys:
        session.snapshot.pop(key, None)


def _shipping_title(draft: OrderDraft) -> str | None:
    m = draft.shipping_method
    return m.name if isinstance(m, ShippingQuote) else None
