"""OpenCart 4.1.0.x: stateless, HMAC-signed ``route=api/order|api/subscription&call=…``.

Every call carries the whole draft (no login, no session; ``tests/recordings/oc41/PROTOCOL.md``).
Two pricing modes (``connect(pricing=...)``):

* ``"storefront"`` (``connect()``'s default): what the shop's checkout would charge
  (``SESSION-MODE.md``): each priced step first primes a fresh server session with the full draft (one-off call), then repeats
  the step carrying that session's ``OCSESSID`` cookie and no product lines. Each operation
  (and each quote's totals) gets its own cookie jar, local to the call and its thread.
* ``"api"`` (opt-in): one-off calls, never a cookie. Cheaper, but 4.1 prices them for the
  **store's own address** and the **default customer group** (PROTOCOL.md §4): destination
  tax and group prices are ignored; the first priced call warns once saying so.

HTTP requests per operation (q = number of shipping quotes offered, b = bands of order
total among them — ``total <= 0`` or not, almost always 1):

=========================  =========  ================  =========================================
operation                  api        storefront        calls
=========================  =========  ================  =========================================
``country(id)``            1          1                 storefront ``localisation/country``
``cart``                   1          2                 ``cart``
``shipping_methods``       1          2                 ``shipping_methods``
``payment_methods``        1          2                 ``payment_methods``
``totals`` (no method)     1          2                 ``cart``
``totals`` (with method)   1          2                 ``shipping_method`` (reports a refused method)
``quote``                  1 + q + b  1 + 2q + b        shipping_methods; per quote shipping_method
                                                        (the first in the list's session, each
                                                        other in its own); payment_methods once
                                                        per band. +1 ``cart`` when no quote is
                                                        free and untaxed (cost 0, tax class 0),
                                                        whose answer gives the cart otherwise
``quote`` (per_option)     1 + 2q     1 + 3q            payment_methods in every quote's session
``quote`` (list refused)   +1         +1                ``cart`` (raises the cart's own errors)
``quote`` (nothing ships)  3, then 2  4, then 3         shipping_methods (refused), cart,
                                                        payment_methods; the same products'
                                                        next quotes start with ``cart``
``confirm``                1          2                 ``confirm`` (storefront: primed by ``cart``)
``add_history``            1          1                 ``history_add``
subscription calls         1          1                 ``api/subscription`` ``call=…``
``probe``                  1          1                 ``call=ping`` (answers "API call not found")
=========================  =========  ================  =========================================

The storefront quote's minimum, from what the store must be told (``SESSION-MODE.md``):

1. a call is priced from the session as it stood when the call began (tax address, customer
   group), so every session must first be *primed* by one call carrying the whole draft, whose own
   answer is unpriced — 1 request per session;
2. a quote must be chosen in a session that never held another chosen quote (a refused quote
   leaves the previous one's shipping line and tax in the totals) — 1 session per quote, so q
   primes plus q priced ``shipping_method`` calls;
3. the list's ``text`` shows destination tax only when priced (codes, names and costs are the
   same unpriced) — 1 priced ``shipping_methods``; the payment methods, once per band, in a primed
   session — b. Listing chooses nothing, so the list's session serves the first quote.

Minimum: 1 + 2q + b, and ``quote`` sends it: the first quote is chosen in the list's session. In
4.1.0.4 (``catalog/controller/api/order.php``) ``shipping_methods`` stores what the prime stores
(customer, cart, both addresses; no product lines, so nothing is added) and no shipping method;
``cart`` (asked there first when no quote is free) reads totals without choosing one. Checked on a
real 4.1.0.4 store (``tools/real_store.sh``, ``tools/oc41_quote_dump.py``: 48 drafts, UK/California/
New York/Germany, groups 1 and 3, taxed and untaxed lines, a coupon, pickup on and off): every
cost, text, tax and totals line and payment method equal to the cent to the list in a session of
its own (2 + 2q + b); ``transcripts-session/x06``-``x08`` record the sequence. The same store's
guest checkout (``tools/oc41_checkout_compare.py``, 159 quotes) shows the same quote texts, totals
and payment methods; on 2 tax lines the store sends the float 53.294999999999995 and shows $53.30
(PHP's ``round`` keeps 15 significant digits first), which :func:`~ocdata.client.models.money` now
rounds the same way (it said 53.29 before).
Should a free quote's answer be refused, the cart is read in a fresh session (the list's then holds
a chosen quote).
In ``"api"`` pricing, 1 + q + b is the minimum: one list, one call per quote for its totals, one
payment lookup per band.

Payment methods: OpenCart 4.1.0.4's payment extensions
(``extension/opencart/catalog/model/payment/{cod,bank_transfer,cheque,free_checkout}.php``)
decide by payment address (geo zone), cart (subscriptions, shipping required) and, for
``free_checkout`` only, an order total <= 0 — never by the chosen shipping method — so a
quote looks them up once per band of order total (:class:`~.base.PaymentBands`);
``quote(..., payment_methods="per_option")`` asks in every quote's session.

``confirm`` always sends ``order_status_id`` (the store's default when None): 4.1 would
otherwise store the order with status 0, invisible in the admin lists.

Every call signs the MD5 of the whole cleaned form. A draft's shared fields (customer, lines,
addresses, affiliate, coupon) are prepared once per operation (:class:`_DraftBody`) and each
call only appends its own (chosen methods, confirm fields): see
:class:`~ocdata.client.signing.PreparedBody`.
"""

from __future__ import annotations

import dataclasses
import socket
import time as _time
from typing import Any, ClassVar
from urllib.parse import quote_plus, unquote, urlencode, urlsplit

from ..errors import (
    ConfigurationError,
    NotFoundError,
    OcdataError,
    PermissionDeniedError,
    ProtocolError,
    UnsupportedOperationError,
    ValidationError,
)
from ..models import (
    Cart,
    OrderDraft,
    OrderResult,
    PaymentMethod,
    PricingMode,
    Quote,
    QuoteOption,
    ShippingQuote,
    SubscriptionDraft,
    TotalLine,
)
from ..._php import body_md5
from ..signing import PreparedBody, SignedBody, http_host, script_dir, sign, string_to_sign_head
from ..transport import HttpAnswer, Transport
from .base import Dialect, DialectConfig, PaymentBands, PaymentLookup, ProbeResult, free_quote
from .forms import (
    Pairs,
    address_fields,
    confirm_fields,
    customer_fields,
    history_fields,
    lines_fields,
    payment_address,
    payment_method_fields,
    shipping_method_fields,
    subscription_fields,
    subscription_history_fields,
)
from .parse import as_int, parse_payment_methods, parse_products, parse_totals, require_id, scrub

__all__ = ["OC41"]

ORDER = "api/order"
SUBSCRIPTION = "api/subscription"
PRICING_WARNING = (
    "oc41 pricing='api': OpenCart 4.1 computes taxes for the store's own address and prices for the default customer "
    "group in one-off API calls, whatever address/group the draft posts; the default, pricing='storefront', "
    "gives what the checkout would charge"
)
FORBIDDEN = "You do not have permission to access this page."
MAX_SKEW_S = 450
SHIPLESS_MEMORY = 4096  # product sets known to ship nothing (bounded: a hint, never a result)


class OC41(Dialect):
    name: ClassVar[str] = "oc41"
    versions: ClassVar[str] = "4.1.0.x"
    payment_by_band: ClassVar[bool] = True
    pricing_modes: ClassVar[tuple[str, ...]] = ("api", "storefront")
    known_behaviours: ClassVar[tuple[str, ...]] = (
        "pricing='api': taxes are those of the store's own address, whatever destination is posted "
        "(US/DE carts get UK VAT on the demo data); use pricing='storefront' for destination tax",
        "pricing='api': customer_group_id is validated and stored but ignored for prices (no group specials "
        "or quantity breaks); pricing='storefront' applies them",
        "confirm without order_status_id stores a status-0 order (ocdata always sends one)",
        "shipping_method/payment_method are trusted blindly by the store: any code/cost is accepted",
        "the currency query parameter is ignored: amounts are in the store's default currency",
        "a free quote (cost 0, tax class 0) is refused when posted back as '0'; ocdata posts '0.00'/'0.0'",
        "confirm with a non-existent order_id answers success without writing anything",
    )

    def __init__(self, config: DialectConfig, transport: Transport, *, warn=None) -> None:
        super().__init__(config, transport, warn=warn)
        if config.pricing not in self.pricing_modes:
            raise ConfigurationError(f"pricing={config.pricing!r} is not one of {self.pricing_modes} for oc41")
        self._host = http_host(config.base_url)
        self._dir = script_dir(config.base_url)
        self._warned_pricing = False
        self.clock_offset = 0.0  # store clock minus ours, learnt from a 403's Date header
        self._ships_nothing: set[frozenset[int]] = set()
        self._signed_heads: dict[tuple, tuple[str, str]] = {}  # (route, call, ...) -> (string to sign, query)

    @property
    def pricing(self) -> PricingMode:
        return "storefront" if self.config.pricing == "storefront" else "api"

    # ------------------------------------------------------------------ signed calls
    def signed_query(self, route: str, call: str, form: Pairs | SignedBody, *, now: int | None = None) -> str:
        """The signed query string for posting ``form`` (pairs, or a body whose MD5 is known)."""
        cfg = self.config
        currency = cfg.currency or "USD"
        stamp = int(now if now is not None else _time.time() + self.clock_offset)
        md5 = form.md5 if isinstance(form, SignedBody) else body_md5(list(form))
        username = cfg.credentials.username
        fixed = (route, call, username, cfg.store_id, cfg.language, currency)
        heads = self._signed_heads.get(fixed)
        if heads is None:  # what every call of this route and call signs and sends alike
            # urlencode percent-encodes each field once, as the store expects
            heads = self._signed_heads[fixed] = (
                string_to_sign_head(route, call, username, self._host, self._dir, cfg.store_id, cfg.language,
                                    currency),
                urlencode([("route", route), ("call", call), ("username", username), ("store_id", str(cfg.store_id)),
                           ("language", cfg.language), ("currency", currency)]))
        signature = sign(cfg.credentials.key.reveal(), f"{heads[0]}{md5}\n{stamp}\n")
        # the base64 signature is percent-encoded once (+ / =)
        return f"{heads[1]}&time={stamp}&signature={quote_plus(signature, safe='')}"

    def send(self, call: str, form: Pairs | SignedBody, *, route: str = ORDER, cookies: dict | None = None,
             writes: bool = False, order_id: int | None = None) -> tuple[HttpAnswer, Any]:
        query = self.signed_query(route, call, form)
        if isinstance(form, SignedBody):
            answer = self.http("POST", route=route, call=call, query_string=query, body=form.text, cookies=cookies,
                               writes=writes, order_id=order_id)
        else:
            answer = self.http("POST", route=route, call=call, query_string=query, data=form, cookies=cookies,
                               writes=writes, order_id=order_id)
        answer = _without_signature(answer, query)
        if answer.status == 403:
            raise self._forbidden(answer, call)  # refused before anything was written
        try:
            if answer.status >= 500 or answer.status == 429:
                raise self.server_failure(answer, f"call={call}")
            if answer.status != 200:
                raise ProtocolError(f"the store answered call={call} with HTTP {answer.status}; read the store's PHP "
                                    f"error log — this is a server-side error, not a problem with the draft",
                                    status=answer.status, body=answer.text, dialect=self.name, call=call)
            body = self.json(answer, call)
        except OcdataError as exc:
            if writes:
                raise self.order_may_exist(exc, call, order_id, body=answer.text) from None
            raise
        if isinstance(body, dict) and body.get("error") == "API call not found":
            raise UnsupportedOperationError(f"this store has no API call {call!r} on {route}; it may be a different "
                                            f"4.x release — try connect(dialect='auto')", status=answer.status,
                                            body=answer.text, dialect=self.name, call=call)
        return answer, body

    def _forbidden(self, answer: HttpAnswer, call: str) -> PermissionDeniedError:
        skew = None
        if answer.server_date is not None:
            skew = answer.server_date - _time.time()
            if abs(skew) > MAX_SKEW_S - 30:
                self.clock_offset = skew  # the next call is signed on the store's clock
        ip = local_ip(self.config.base_url)
        clock = f"the clock (skew {skew:+.0f} s; 4.1 refuses beyond ±{MAX_SKEW_S} s)" if skew is not None else \
            f"this machine's clock (4.1 refuses requests more than {MAX_SKEW_S} s off)"
        return PermissionDeniedError(
            f"the store refused the signed call: check the API key and user name "
            f"({self.config.credentials.username!r}, enabled in System > Users > API), that this machine's IP {ip} "
            f"is in the store's API allow-list (behind NAT the store sees your public IP), and {clock}",
            status=answer.status, body=answer.text, dialect=self.name, call=call,
        )

    # ------------------------------------------------------------------ forms
    def form(self, draft: OrderDraft, *, lines: bool = True) -> Pairs:
        """The draft's fields every call shares (customer, lines, addresses, affiliate, coupon);
        the chosen methods are :meth:`method_fields`."""
        pairs: Pairs = []
        if draft.customer is not None:
            pairs += customer_fields(draft.customer)
        if lines:
            pairs += lines_fields(draft.lines)
        for prefix, address in (("payment_", payment_address(draft)), ("shipping_", draft.shipping_address)):
            if address is not None:
                pairs += address_fields(address, prefix, with_address_id=bool(address.address_id))
        if draft.affiliate_id is not None:
            pairs.append(("affiliate_id", str(draft.affiliate_id)))
        if draft.coupon:
            pairs.append(("coupon", draft.coupon))
        return pairs

    def method_fields(self, draft: OrderDraft) -> Pairs:
        """The draft's chosen shipping and payment method as 4.1 fields."""
        pairs: Pairs = []
        if isinstance(draft.shipping_method, ShippingQuote):
            pairs += shipping_method_fields(draft.shipping_method, decimals=self.decimals)
        elif isinstance(draft.shipping_method, str):
            raise ValueError("oc41 needs the whole quote, not only its code: pass the ShippingQuote "
                             "(store.shipping_methods(draft)) as draft.shipping_method")
        if isinstance(draft.payment_method, PaymentMethod):
            pairs += payment_method_fields(draft.payment_method)
        elif isinstance(draft.payment_method, str):
            pairs += [("payment_method[name]", draft.payment_method), ("payment_method[code]", draft.payment_method)]
        return pairs

    def body(self, draft: OrderDraft) -> "_DraftBody":
        """``draft`` ready to be signed by many calls (its shared fields prepared once)."""
        return _DraftBody(self, draft, self.method_fields(draft))

    # ------------------------------------------------------------------ priced steps
    def scenario(self, draft: "OrderDraft | _DraftBody", *, prime: str) -> "_Scenario":
        """Calls priced together: one-off each in ``api`` mode; in ``storefront`` mode one fresh server
        session, primed once with the full draft by the one-off call ``prime``, then carried by cookie."""
        body = draft if isinstance(draft, _DraftBody) else self.body(draft)
        self._warn_pricing(body.draft)
        return _Scenario(self, body, prime)

    def priced(self, call: str, draft: OrderDraft, *, prime: str | None = None, extra: Pairs = (),
               writes: bool = False) -> tuple[HttpAnswer, Any]:
        """One priced step in the configured mode (``prime`` defaults to the call itself)."""
        return self.scenario(draft, prime=prime or ("cart" if writes else call)).call(call, extra, writes=writes)

    def _warn_pricing(self, draft: OrderDraft) -> None:
        if self.pricing == "api" and not self._warned_pricing:
            self._warned_pricing = True
            self.warn(PRICING_WARNING)

    def check_write(self, body: Any, call: str, answer: HttpAnswer, order_id: int | None = None) -> None:
        """:meth:`check` for an order write: a refusal is raised as it is (nothing was written),
        any other unusable answer as :class:`OrderStateUnknownError` (the write may have happened)."""
        try:
            self.check(body, call, answer=answer)
        except (ValidationError, NotFoundError, UnsupportedOperationError):
            raise
        except OcdataError as exc:
            raise self.order_may_exist(exc, call, order_id, body=answer.text) from None

    def check(self, body: Any, call: str, *, answer: HttpAnswer | None = None) -> None:
        """Raise the store's refusal; an answer that is not a JSON object is a :class:`ProtocolError`."""
        self.raise_for_error(body, f"call={call}", answer)
        if not isinstance(body, dict):
            raise ProtocolError(f"call={call} answered {json_type(body)}, not an object; check the store URL and "
                                f"that it runs OpenCart 4.1", status=answer.status if answer else None,
                                body=answer.text if answer else None, dialect=self.name, call=call)

    def _products(self, body: dict, draft) -> tuple:
        return parse_products(self.need(body, "products", "cart"), self.decimals,
                              order=[l.product_id for l in draft.lines])

    def _totals(self, body: dict, *, required: bool = False) -> tuple[TotalLine, ...]:
        rows = self.need(body, "totals", "shipping_method") if required else body.get("totals")
        self.learn_decimals(rows)
        return parse_totals(rows, self.decimals)

    # ------------------------------------------------------------------ operations
    def cart(self, draft: OrderDraft) -> Cart:
        answer, body = self.priced("cart", draft)
        self.check(body, "cart", answer=answer)
        totals = self._totals(body)
        return Cart(products=self._products(body, draft), totals=totals,
                    shipping_required=body.get("shipping_required"), pricing=self.pricing, dialect=self.name,
                    raw=scrub(body))

    def shipping_listing(self, draft: OrderDraft) -> tuple[tuple[ShippingQuote, ...], tuple[str, ...]]:
        answer, body = self.priced("shipping_methods", draft.with_shipping(None).with_payment(None))
        self.check(body, "shipping_methods", answer=answer)
        return self.read_shipping(self.need(body, "shipping_methods", "shipping_methods", answer))

    def payment_methods(self, draft: OrderDraft) -> tuple[PaymentMethod, ...]:
        answer, body = self.priced("payment_methods", draft.with_payment(None), prime="shipping_methods")
        self.check(body, "payment_methods", answer=answer)
        return parse_payment_methods(self.need(body, "payment_methods", "payment_methods", answer))

    def totals(self, draft: OrderDraft) -> tuple[TotalLine, ...]:
        if isinstance(draft.shipping_method, ShippingQuote):
            answer, body = self.priced("shipping_method", draft, prime="shipping_methods")
            self.check(body, "shipping_method", answer=answer)
        else:
            answer, body = self.priced("cart", draft)
            self.check(body, "cart", answer=answer)
        return self._totals(body, required=True)

    def quote(self, draft: OrderDraft, *, payment_methods: PaymentLookup = "per_band") -> Quote:
        """Every quote priced: list, then per quote ``shipping_method`` (its totals and the cart)
        and ``payment_methods`` per band of order total; ``cart`` only when no quote is free and
        untaxed, the list is refused, or the cart ships nothing (see the module's table)."""
        start = self.requests_made
        bands = self.payment_bands(payment_methods)
        base = draft.with_shipping(None).with_payment(None)
        prepared = self.body(base)  # shared by every call of this quote
        listing = self.scenario(prepared, prime="shipping_methods")
        shipless = _product_set(base)
        cart = self._listing_cart(listing, draft) if shipless in self._ships_nothing else None
        quotes: tuple[ShippingQuote, ...] = ()
        problems: tuple[str, ...] = ()
        shipping_error = None
        if cart is None or cart.shipping_required:
            answer, body = listing.call("shipping_methods")
            try:
                self.check(body, "shipping_methods", answer=answer)
                quotes, problems = self.read_shipping(body.get("shipping_methods"))
            except ValidationError as exc:
                # a faulty line, nothing to ship, no address or no quote: the cart call raises or tells which
                shipping_error = exc.fields.get("warning", exc.message)
                if cart is None:
                    cart = self._listing_cart(listing, draft)
        options: list[QuoteOption] = []
        payments: tuple[PaymentMethod, ...] = ()
        if cart is not None and not cart.shipping_required:
            self._remember_shipless(shipless)
            shipping_error = None
            answer, body = listing.call("payment_methods")
            try:
                self.check(body, "payment_methods", answer=answer)
                payments = parse_payment_methods(body.get("payment_methods"))
            except ValidationError as exc:
                shipping_error = exc.fields.get("warning", exc.message)
        else:
            self._ships_nothing.discard(shipless)
            free = free_quote(quotes)
            if cart is None and free is None:
                cart = self._listing_cart(listing, draft)
            free_answer = None
            for i, q in enumerate(quotes):
                # listing chooses nothing: the list's session prices the first quote (one prime fewer)
                option, answer_body = self._quote_option(prepared.choose(q), q, bands,
                                                         session=listing if i == 0 else None)
                options.append(option)
                if q is free:
                    free_answer = option, answer_body
            if cart is None and free_answer is not None:
                cart = self._cart_of_free_option(*free_answer, draft)
            if cart is None:
                # the list's session now holds a chosen quote (its shipping line would be in the totals)
                cart = self._listing_cart(self.scenario(prepared, prime="shipping_methods"), draft)
        return Quote(draft=draft, products=cart.products, totals=cart.totals, options=tuple(options),
                     payment_methods=payments, shipping_required=cart.shipping_required,
                     shipping_error=shipping_error, pricing=self.pricing, dialect=self.name,
                     requests=self.requests_made - start,
                     warnings=((PRICING_WARNING,) if self.pricing == "api" else ()) + problems)

    def _listing_cart(self, listing: "_Scenario", draft: OrderDraft) -> Cart:
        """The ``cart`` call of a quote (raises the cart's own errors: unknown product, options, stock)."""
        answer, body = listing.call("cart")
        self.check(body, "cart", answer=answer)
        return Cart(products=self._products(body, draft), totals=self._totals(body),
                    shipping_required=body.get("shipping_required"), pricing=self.pricing, dialect=self.name)

    def _cart_of_free_option(self, option: QuoteOption, body: Any, draft: OrderDraft) -> Cart | None:
        """The cart read from a free, untaxed quote's answer: its products, and its totals
        without the 0.00 shipping line (None when the quote was refused)."""
        if option.error or not isinstance(body, dict):
            return None
        totals = self.totals_without_shipping(option.totals)
        if totals is None:
            return None
        return Cart(products=self._products(body, draft), totals=totals,
                    shipping_required=body.get("shipping_required"), pricing=self.pricing, dialect=self.name)

    def _remember_shipless(self, products: frozenset[int]) -> None:
        """Carts of these products ship nothing: their next quote asks ``cart`` first, not the list."""
        if len(self._ships_nothing) >= SHIPLESS_MEMORY:
            self._ships_nothing.clear()
        self._ships_nothing.add(products)

    def _quote_option(self, step: "_DraftBody", q: ShippingQuote, bands: PaymentBands,
                      session: "_Scenario | None" = None) -> tuple[QuoteOption, Any]:
        """One quote's totals and payment methods, in a session that never held another chosen quote:
        ``session`` (the list's, which chose nothing) or a scenario of its own; with the
        ``shipping_method`` answer (products, totals) when the store accepted the quote."""
        priced = self.scenario(step, prime="shipping_methods") if session is None else session.choosing(step)
        answer, body = priced.call("shipping_method")
        try:
            self.check(body, "shipping_method", answer=answer)
        except ValidationError as exc:
            return QuoteOption(quote=q, error=exc.fields.get("warning", exc.message)), None
        totals = self._totals(body, required=True)

        def lookup() -> tuple[PaymentMethod, ...]:
            answer, listed = priced.call("payment_methods")
            self.check(listed, "payment_methods", answer=answer)
            return parse_payment_methods(listed.get("payment_methods"))

        try:
            payments = bands.methods(totals, lookup)
        except ValidationError as exc:
            return QuoteOption(quote=q, totals=totals, error=exc.fields.get("warning", exc.message)), body
        return QuoteOption(quote=q, totals=totals, payment_methods=payments), body

    def confirm(self, draft: OrderDraft, order_status_id: int | None, comment: str) -> OrderResult:
        status = self.order_status(order_status_id)
        extra = confirm_fields(draft.order_id, status, comment or draft.comment)
        answer, body = self.priced("confirm", draft, prime="cart", extra=extra, writes=True)
        self.check_write(body, "confirm", answer, draft.order_id)
        try:
            if not isinstance(body, dict):
                raise ProtocolError(f"confirm answered {type(body).__name__}, not an object with an order_id",
                                    body=answer.text, dialect=self.name, call="confirm")
            order_id = require_id(body.get("order_id"), "order_id", dialect=self.name, call="confirm",
                                  body=answer.text)
            return OrderResult(order_id=order_id, status_id=status, totals=self._totals(body),
                               products=self._products(body, draft), points=as_int(body.get("points"), None),
                               dialect=self.name, raw=scrub(body))
        except OcdataError as exc:
            raise self.order_may_exist(exc, "confirm", draft.order_id, body=answer.text) from None

    def add_history(self, order_id: int, order_status_id: int, comment: str = "", notify: bool = False,
                    override: bool = False) -> None:
        form = history_fields(order_status_id, comment, notify, override, order_id=order_id)
        answer, body = self.send("history_add", form, writes=True, order_id=order_id)
        self.check_write(body, "history_add", answer, order_id)
        if not isinstance(body, dict):
            raise self.order_may_exist(f"history_add answered {type(body).__name__}, not an object", "history_add",
                                       order_id, body=answer.text)

    # ------------------------------------------------------------------ subscriptions
    def _sub_form(self, d: SubscriptionDraft) -> Pairs:
        methods: Pairs = []
        if isinstance(d.shipping_method, ShippingQuote):
            methods += shipping_method_fields(d.shipping_method, decimals=self.decimals)
        if isinstance(d.payment_method, PaymentMethod):
            methods += payment_method_fields(d.payment_method)
        return subscription_fields(d, methods)

    def subscription_cart(self, draft: SubscriptionDraft) -> Cart:
        answer, body = self.send("cart", self._sub_form(draft), route=SUBSCRIPTION)
        self.check(body, "subscription cart", answer=answer)
        return Cart(products=self._products(body, draft), totals=self._totals(body),
                    shipping_required=body.get("shipping_required"), pricing=self.pricing, dialect=self.name,
                    raw=scrub(body))

    def subscription_shipping_methods(self, draft: SubscriptionDraft) -> tuple[ShippingQuote, ...]:
        answer, body = self.send("shipping_methods", self._sub_form(draft), route=SUBSCRIPTION)
        self.check(body, "subscription shipping_methods", answer=answer)
        return self.warn_problems(*self.read_shipping(body.get("shipping_methods")))

    def subscription_payment_methods(self, draft: SubscriptionDraft) -> tuple[PaymentMethod, ...]:
        answer, body = self.send("payment_methods", self._sub_form(draft), route=SUBSCRIPTION)
        self.check(body, "subscription payment_methods", answer=answer)
        return parse_payment_methods(self.need(body, "payment_methods", "payment_methods", answer))

    def subscription_confirm(self, draft: SubscriptionDraft) -> int:
        answer, body = self.send("confirm", self._sub_form(draft), route=SUBSCRIPTION, writes=True)
        self.check_write(body, "subscription confirm", answer)
        sid = as_int(body.get("subscription_id"), None) if isinstance(body, dict) else None
        if sid is None or sid <= 0:
            raise ProtocolError("subscription confirm answered without a subscription_id (4.1.0.4 cannot create "
                                "subscriptions through its API); check the store's admin", body=answer.text,
                                dialect=self.name, call="subscription confirm")
        return sid

    def subscription_add_history(self, subscription_id: int, subscription_status_id: int, comment: str = "",
                                 notify: bool = False) -> None:
        form = subscription_history_fields(subscription_id, subscription_status_id, comment, notify)
        answer, body = self.send("history_add", form, route=SUBSCRIPTION, writes=True)
        self.check_write(body, "subscription history_add", answer)

    # ------------------------------------------------------------------ discovery
    @classmethod
    def probe(cls, config: DialectConfig, transport: Transport) -> ProbeResult:
        """A signed unknown call: 4.1 answers ``{"error":"API call not found"}`` (or its 403 refusal)."""
        dialect = cls(dataclasses.replace(config, pricing="api"), transport)
        answer = dialect.http("POST", route=ORDER, call="ping", query_string=dialect.signed_query(ORDER, "ping", []),
                              data=[])
        result = ProbeResult(dialect=cls.name, matches=False, status=answer.status, server_date=answer.server_date,
                             elapsed_ms=answer.elapsed_ms)
        if answer.status == 200 and '"API call not found"' in answer.text:
            result.matches, result.version, result.evidence = True, "4.1.0.x", "signed call=ping -> 'API call not found'"
        elif answer.status == 403 and FORBIDDEN in answer.text:
            result.matches, result.version = True, "4.1.0.x"
            result.evidence = "signed call refused with 4.1's 403 permission answer (check key, IP, clock)"
        else:
            result.evidence = f"HTTP {answer.status} {answer.content_type or ''}".strip()
        return result


def _without_signature(answer: HttpAnswer, query: str) -> HttpAnswer:
    """``answer`` with this request's signature masked wherever the store echoed it (a 403 page
    may quote it), raw or percent-encoded: it must not reach an error, a log or a cache."""
    encoded = next((v for k, v in (p.partition("=")[::2] for p in query.split("&")) if k == "signature"), "")
    raw = unquote(encoded)
    if not raw or (raw not in answer.text and encoded not in answer.text):
        return answer
    masked = answer.text.replace(encoded, "********").replace(raw, "********")
    return dataclasses.replace(answer, text=masked)


def json_type(value: Any) -> str:
    return "null" if value is None else f"{type(value).__name__} {str(value)[:20]!r}"


class _DraftBody:
    """A draft as the bodies of its calls: the shared fields prepared once (with and without
    product lines, the latter for cookie-carrying calls), then the chosen methods, then each
    call's own fields. :meth:`choose` gives another quote's body sharing the preparation."""

    __slots__ = ("dialect", "draft", "methods", "_shared")

    def __init__(self, dialect: OC41, draft: OrderDraft, methods: Pairs, shared: dict | None = None) -> None:
        self.dialect, self.draft, self.methods = dialect, draft, tuple(methods)
        self._shared: dict[bool, PreparedBody] = {} if shared is None else shared

    def prepared(self, lines: bool = True) -> PreparedBody:
        found = self._shared.get(lines)
        if found is None:
            found = self._shared[lines] = PreparedBody(self.dialect.form(self.draft, lines=lines))
        return found

    def signed(self, extra: Pairs = (), *, lines: bool = True) -> SignedBody:
        return self.prepared(lines).extend(self.methods + tuple(extra))

    def choose(self, quote: ShippingQuote) -> "_DraftBody":
        """This body with ``quote`` as the shipping method (and no payment method)."""
        return _DraftBody(self.dialect, self.draft.with_shipping(quote).with_payment(None),
                          shipping_method_fields(quote, decimals=self.dialect.decimals), self._shared)


class _Scenario:
    """A cookie jar that lives for one scenario on one thread (never shared)."""

    def __init__(self, dialect: OC41, body: _DraftBody, prime: str) -> None:
        self.dialect, self.body, self.prime = dialect, body, prime
        self.jar: dict[str, str] | None = None

    def choosing(self, body: _DraftBody) -> "_Scenario":
        """This scenario's session (primed or not) carrying ``body``'s fields from now on."""
        self.body = body
        return self

    def call(self, call: str, extra: Pairs = (), *, writes: bool = False) -> tuple[HttpAnswer, Any]:
        d, order_id = self.dialect, self.body.draft.order_id
        if d.pricing == "api":
            return d.send(call, self.body.signed(extra), writes=writes, order_id=order_id)
        if self.jar is None:
            answer, primed = d.send(self.prime, self.body.signed())
            if isinstance(primed, dict) and isinstance(primed.get("error"), dict):
                # field errors (cart lines, customer) stop the prime short: the cookie session would lack them
                d.check(primed, self.prime, answer=answer)
            session = answer.cookies.get("OCSESSID")
            if not session:
                raise ProtocolError("pricing='storefront' needs the store's OCSESSID session cookie but the store did "
                                    "not set one; use pricing='api'", dialect=d.name, call=self.prime)
            # no currency cookie: it would re-format the *_text strings but leave amounts in the default currency
            self.jar = {"OCSESSID": session}
        # product lines would be added to the session's cart again (quantities double)
        return d.send(call, self.body.signed(extra, lines=False), cookies=self.jar, writes=writes, order_id=order_id)


def _product_set(draft: OrderDraft) -> frozenset[int]:
    """What decides whether a cart ships (OpenCart's per-product ``shipping`` flag)."""
    return frozenset(line.product_id for line in draft.lines)


def local_ip(url: str) -> str:
    """The address this machine uses to reach the store (what a store on the same network sees)."""
    parts = urlsplit(url)
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.connect((parts.hostname or "127.0.0.1", parts.port or 80))
            return s.getsockname()[0]
    except OSError:
        return "unknown"
