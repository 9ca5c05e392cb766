"""What every wire dialect offers, and the session machinery the token-based ones share.

A :class:`Dialect` turns domain drafts into HTTP calls for one OpenCart API version and
parses the answers into :mod:`ocdata.client.models`. Addresses reaching a dialect are
already resolved to store ids (:class:`~ocdata.client.store.Store` does that).

:class:`SessionDialect` is the base of the login + ``api_token`` dialects (``spec``,
``oc40``, ``oc30``). It keeps **one server session per thread** and, before each
operation, brings that session in line with the draft by sending only what changed since
the session last saw it. A subclass describes its wire with :meth:`SessionDialect.sync_steps`
(an ordered list of :class:`SyncStep`) plus :meth:`login_form`, :meth:`parse_login` and
:meth:`session_lost`; the base does the bookkeeping:

* each step's *effective state* is its own ``state`` plus the effective states of the
  steps it ``depends`` on, so a change of the cart re-sends the shipping method after it;
* a step is sent when its effective state differs from the session's snapshot; its
  ``send(session, old, new)`` gets the old state (``MISSING`` when never sent) to send a
  difference, or returns :data:`REBUILD` when the change cannot be made in place (e.g.
  removing lines from a cart that has no remove call) — the base then logs in again and
  replays the whole draft on the fresh session;
* when the store says the token is gone (:meth:`session_lost`), the base logs in once
  more, rebuilds the session from the draft and repeats the operation; a second loss is
  raised as :class:`~ocdata.client.errors.SessionExpiredError`;
* a call that changes the session (every POST: cart add, address, method…) is never sent
  twice on one session: when its answer is lost, late, a 5xx or not JSON, what the session
  holds is unknown (a cart add may have happened), so the session is dropped and the draft
  rebuilt once on a fresh login (:class:`SessionStateUnknown`), then the error is raised;
  reads are retried by the transport. An order write is never repeated at all, not even
  after a re-login: an unusable answer is :class:`~ocdata.client.errors.OrderStateUnknownError`;
  any other failure but a store refusal drops the session, so the next operation starts
  from a known state;
* a session the store is about to drop is replaced before use rather than after a refused
  call: every authenticated call stamps ``ServerSession.last_used`` and
  :meth:`session_stale` compares it with the version's :attr:`idle_ttl` (subclasses add
  their own reasons, e.g. expiring cart lines); :meth:`forget_session` drops the thread's
  session, and a session marked ``confirmed`` is never reused for a draft.

Operations pass ``skip`` (step keys not to sync, e.g. listing shipping methods needs no
chosen method) so they cost as few requests as the version allows.

A quote (:meth:`Dialect.quote`) spares two kinds of request where the store's rules make
them redundant (the shared rules live here, each dialect says which apply):

* **the cart's own totals** (no shipping chosen): when a quote is free and untaxed (cost 0,
  tax class 0, :func:`free_quote`) its totals are the cart's plus a 0.00 shipping line
  (:meth:`Dialect.totals_without_shipping`), so they are only fetched when no such quote
  is offered or the cart ships nothing;
* **payment methods per option**: where a version offers payment methods by payment address
  and cart but by the order total only through ``free_checkout`` (total <= 0)
  (:attr:`Dialect.payment_by_band`), options in the same band share one lookup
  (:class:`PaymentBands`); ``payment_methods="per_option"`` asks for each option anyway.
"""

from __future__ import annotations

import abc
import json
import re
import threading
import time
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Callable, ClassVar, Iterable, Literal, Sequence

from ..credentials import Credentials, redact, register_secret
from ..errors import (
    NotFoundError,
    OcdataError,
    OrderStateUnknownError,
    ProtocolError,
    SessionExpiredError,
    TransportError,
    UnsupportedOperationError,
    ValidationError,
)
from ..models import (
    Cart,
    Country,
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
from ..transport import HttpAnswer, Transport
from .parse import decode_json, flat_error_fields, parse_country, parse_shipping_methods, parse_totals

__all__ = ["DialectConfig", "Dialect", "SessionDialect", "SyncStep", "ServerSession", "ProbeResult",
           "MISSING", "REBUILD", "SessionStateUnknown", "front_controller", "PaymentLookup", "PaymentBands", "free_quote"]


@dataclass(frozen=True)
class DialectConfig:
    """Everything a dialect needs to know about the store it talks to."""

    base_url: str  # front controller, e.g. "http://127.0.0.1:8041/index.php"
    credentials: Credentials
    store_id: int = 0
    language: str = "en-gb"
    currency: str | None = None
    pricing: str = "api"  # oc41: "api" | "storefront"; session dialects ignore it
    default_order_status_id: int = 1  # OpenCart's installer default ("Pending")

    def __repr__(self) -> str:
        return (f"DialectConfig(base_url={self.base_url!r}, username={self.credentials.username!r}, "
                f"store_id={self.store_id}, language={self.language!r}, currency={self.currency!r}, "
                f"pricing={self.pricing!r})")


@dataclass
class ProbeResult:
    """What :meth:`Dialect.probe` learned: does this store speak the dialect, and how do we know."""

    dialect: str
    matches: bool
    version: str = ""
    evidence: str = ""
    status: int | None = None
    server_date: float | None = None
    elapsed_ms: float | None = None


def front_controller(url: str) -> str:
    """``http://shop/`` or ``http://shop/index.php?route=x`` -> ``http://shop/index.php``."""
    base = url.split("?", 1)[0].split("#", 1)[0]
    if base.endswith(".php"):
        return base
    return base.rstrip("/") + "/index.php"


# "Option could not be found" is a bad value of the draft, not a missing record
_NOT_FOUND = re.compile(r"\b(product|customer|order|affiliate|address|subscription|country)\b[^.!]*could not be found")
_DECIMALS = re.compile(r"\d(?:[\d.,\s]*\d)?")


def decimals_from_text(formatted: str) -> int | None:
    """Currency decimals read from a formatted amount: ``$1,088.00`` -> 2, ``96.66€`` -> 2, ``¥1,088`` -> 0."""
    m = None
    for m in _DECIMALS.finditer(formatted or ""):
        pass
    if m is None:
        return None
    number = m.group(0)
    seps = [i for i, ch in enumerate(number) if ch in ".,"]
    if not seps:
        return 0
    tail = len(number) - seps[-1] - 1
    if tail == 3 and len({number[i] for i in seps}) == 1:
        return 0  # "1,088": a thousands separator, no decimals
    return tail


PaymentLookup = Literal["per_band", "per_option"]
"""How a quote looks up payment methods: once per band of order total (``total <= 0`` or not)
where the version allows it, or once per shipping option."""

PAYMENT_LOOKUPS: tuple[str, ...] = ("per_band", "per_option")


def free_quote(quotes: Iterable[ShippingQuote]) -> ShippingQuote | None:
    """The first quote that adds nothing to the order: cost 0 and tax class 0 (pickup, free
    shipping). Its totals are the cart's own plus a 0.00 shipping line."""
    for q in quotes:
        if q.cost == 0 and not q.tax_class_id:
            return q
    return None


_ZERO = Decimal(0)


class PaymentBands:
    """Payment methods of one quote's options, looked up once per band of order total.

    OpenCart 4.1's payment extensions (``extension/opencart/catalog/model/payment/*.php``:
    cod, bank_transfer, cheque, free_checkout) decide by payment address, cart (subscriptions,
    shipping required) and, for ``free_checkout`` only, an order total <= 0 — never by the
    chosen shipping method. Options whose totals fall in the same band therefore get the same
    list; an option without a total line is looked up on its own. With ``per_option`` (or
    ``exact=False``, a version whose methods have minimum totals) every option is looked up.
    A refusal (no payment option) is remembered for the band like a list.
    """

    def __init__(self, lookup: str = "per_band", *, exact: bool = False) -> None:
        if lookup not in PAYMENT_LOOKUPS:
            raise ValueError(f"payment_methods={lookup!r}: use one of {PAYMENT_LOOKUPS}")
        self.by_band = lookup == "per_band" and not exact
        self._found: dict[bool, tuple[PaymentMethod, ...] | ValidationError] = {}
        self.lookups = 0

    def methods(self, totals: Iterable[TotalLine], fetch: Callable[[], tuple[PaymentMethod, ...]]
                ) -> tuple[PaymentMethod, ...]:
        """The option's payment methods: ``fetch()`` unless its band was looked up already."""
        band = self._band(totals) if self.by_band else None
        if band is not None and band in self._found:
            known = self._found[band]
            if isinstance(known, ValidationError):
                raise known
            return known
        self.lookups += 1
        try:
            found = fetch()
        except ValidationError as exc:
            if band is not None:
                self._found[band] = exc
            raise
        if band is not None:
            self._found[band] = found
        return found

    @staticmethod
    def _band(totals: Iterable[TotalLine]) -> bool | None:
        for t in totals:
            if t.code == "total":
                return None if t.value is None else t.value <= _ZERO
        return None


class Dialect(abc.ABC):
    """One OpenCart API version. Every operation costs the requests its module docstring lists."""

    name: ClassVar[str] = ""
    versions: ClassVar[str] = ""  # human-readable, e.g. "4.1.0.x"
    pricing_modes: ClassVar[tuple[str, ...]] = ("session",)
    #: payment methods depend on the order total only through free_checkout (total <= 0): see PaymentBands
    payment_by_band: ClassVar[bool] = False
    known_behaviours: ClassVar[tuple[str, ...]] = ()  # shown by doctor(): what changes an analysis
    country_route: ClassVar[str] = "localisation/country"  # storefront route answering one country + zones

    def __init__(self, config: DialectConfig, transport: Transport, *, warn: Callable[[str], None] | None = None) -> None:
        self.config = config
        self.transport = transport
        self._warn = warn or (lambda message: None)
        self.decimals = 2
        self._counter = threading.local()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name} {self.config.base_url}>"

    # ------------------------------------------------------------------ plumbing
    @property
    def pricing(self) -> PricingMode:
        return "session"

    def warn(self, message: str) -> None:
        self._warn(redact(message))

    @property
    def requests_made(self) -> int:
        """Requests this thread has sent through this dialect (for per-operation cost reports)."""
        return getattr(self._counter, "n", 0)

    def http(self, method: str, *, route: str, call: str | None = None, params: Sequence[tuple[str, str]] = (),
             data: Sequence[tuple[str, str]] | None = None, writes: bool = False, query_string: str | None = None,
             headers: dict | None = None, cookies: dict | None = None, order_id: int | None = None,
             body: str | None = None, repeatable: bool | None = None) -> HttpAnswer:
        """One HTTP request to the front controller. ``writes`` marks order writes: never repeated,
        and a lost or unusable answer becomes :class:`OrderStateUnknownError`. ``repeatable``
        (default: not ``writes``) says whether the call may be sent again after it reached the
        store; session changes pass False. ``body``: a form already encoded."""
        self._counter.n = self.requests_made + 1
        try:
            return self.transport.request(method, self.config.base_url, params=params, data=data, body=body,
                                          query_string=query_string, headers=headers, cookies=cookies,
                                          dialect=self.name, route=route, call=call,
                                          repeatable=(not writes) if repeatable is None else repeatable and not writes)
        except OcdataError as exc:
            if not writes:
                raise
            raise self.order_may_exist(exc, call or route, order_id) from None

    def order_may_exist(self, cause: OcdataError | str, call: str, order_id: int | None = None, *,
                        status: int | None = None, body: Any = None) -> OrderStateUnknownError:
        """The error of an order write whose request may have reached the store: it is never
        re-sent, and the message says where to look for the order."""
        what = f"order {order_id}" if order_id else "a new order"
        reason = cause.message if isinstance(cause, OcdataError) else cause
        if isinstance(cause, OcdataError):
            status = cause.status if status is None else status
        return OrderStateUnknownError(
            f"the request to write {what} was sent but no usable answer came back ({reason}); the order may "
            f"exist. Do not resend blindly: check the store's admin (Sales > Orders"
            f"{f', order {order_id}' if order_id else ', newest orders'}) or its order history first",
            order_id=order_id, status=status, body=body, dialect=self.name, call=call,
        )

    def server_failure(self, answer: HttpAnswer, call: str) -> TransportError:
        """A 5xx answer (after the transport's retries) or 429: the store failed, not the draft;
        the same call may succeed later."""
        if answer.status == 429:
            # a rate limit in front of the store; a refused session change is not sent again (its
            # outcome is treated as unknown), so pacing the requests is the cure, not retrying them
            return TransportError(
                f"the store refused {call} for too many requests (HTTP 429): send fewer, e.g. "
                f"connect(..., max_rps=<below its limit>) or a lower concurrency, then run again (failed "
                f"scenarios are fetched again)", status=429, body=answer.text, dialect=self.name, call=call)
        return TransportError(
            f"the store failed to answer {call} (HTTP {answer.status}); it is overloaded or broken — try again "
            f"later, and read the store's error log if it persists",
            status=answer.status, body=answer.text, dialect=self.name, call=call)

    def json(self, answer: HttpAnswer, call: str) -> Any:
        """The decoded answer; a 5xx or 429 is a :class:`TransportError`, a non-JSON answer a
        :class:`ProtocolError`."""
        if answer.status >= 500 or answer.status == 429:
            raise self.server_failure(answer, call)
        return decode_json(answer.text, warn=self.warn, dialect=self.name, call=call, status=answer.status)

    def need(self, body: Any, key: str, call: str, answer: HttpAnswer | None = None) -> Any:
        """``body[key]``, which this answer must carry: missing or null is a :class:`ProtocolError`
        naming it (an answer without its data must not read as an empty cart or no quotes)."""
        value = body.get(key) if isinstance(body, dict) else None
        if value is None:
            raise ProtocolError(f"the store's answer to {call} has no {key} (and no error)",
                                status=answer.status if answer else None, body=answer.text if answer else None,
                                dialect=self.name, call=call)
        return value

    def raise_for_error(self, body: Any, call: str, answer: HttpAnswer | None = None, *,
                        default_key: str = "warning") -> None:
        """Raise the store's refusal in ``body`` as :class:`NotFoundError` (something named does
        not exist) or :class:`ValidationError`.

        ``error`` may be a string (filed under ``default_key``), ``{field: message}``, or nested
        (3.0's ``{"option": {"218": …}}`` becomes ``option_218``); see :func:`~.parse.flat_error_fields`.
        """
        if not isinstance(body, dict) or not body.get("error"):
            return
        fields = flat_error_fields(body["error"], default_key=default_key)
        lowered = " ".join(fields.values()).lower()
        status = answer.status if answer else None
        raw_text = answer.text if answer else None
        if _NOT_FOUND.search(lowered):
            what = "; ".join(f"{k}: {v}" for k, v in fields.items())
            raise NotFoundError(f"the store does not know something the draft names ({what}); check that the ids "
                                f"(product, customer, address, order, affiliate) exist in this store", fields=fields,
                                status=status, body=raw_text, dialect=self.name, call=call)
        raise ValidationError(f"the store refused {call}", fields=fields, status=status, body=raw_text,
                              dialect=self.name, call=call)

    def order_status(self, order_status_id: int | None) -> int:
        """The status a confirm posts: the store's default when none is given (4.1 would store 0)."""
        return self.config.default_order_status_id if order_status_id is None else int(order_status_id)

    def learn_decimals(self, totals: Iterable[dict]) -> None:
        """Adopt the currency's decimals from the store's formatted totals (default 2)."""
        for t in totals if isinstance(totals, (list, tuple)) else ():
            if isinstance(t, dict) and t.get("text"):
                found = decimals_from_text(str(t["text"]))
                if found is not None:
                    self.decimals = found
                    return

    # ------------------------------------------------------------------ geography (storefront, no auth)
    def country(self, country_id: int) -> Country | None:
        """``GET index.php?route=<country_route>&country_id=N`` (1 request); None when unknown."""
        route = self.country_route
        answer = self.http("GET", route=route, params=[("route", route), ("country_id", str(int(country_id)))])
        if answer.status == 404:
            raise NotFoundError(f"the store has no storefront route {route} (HTTP 404); "
                                f"give addresses by country_id/zone_id instead of ISO codes",
                                status=answer.status, body=answer.text, dialect=self.name)
        return parse_country(self.json(answer, route))

    # ------------------------------------------------------------------ operations
    @abc.abstractmethod
    def cart(self, draft: OrderDraft) -> Cart: ...

    @abc.abstractmethod
    def shipping_listing(self, draft: OrderDraft) -> tuple[tuple[ShippingQuote, ...], tuple[str, ...]]:
        """The quotes offered for ``draft`` and the warnings of methods that answered an error instead."""

    def shipping_methods(self, draft: OrderDraft) -> tuple[ShippingQuote, ...]:
        """The quotes offered for ``draft``; methods that answered an error are reported as warnings."""
        return self.warn_problems(*self.shipping_listing(draft))

    def read_shipping(self, raw: Any) -> tuple[tuple[ShippingQuote, ...], tuple[str, ...]]:
        """The quotes of a ``shipping_methods`` answer and the warnings of methods that reported an error."""
        problems: list[str] = []
        return parse_shipping_methods(raw, self.decimals, problems=problems), tuple(problems)

    def warn_problems(self, quotes: tuple[ShippingQuote, ...], problems: tuple[str, ...]) -> tuple[ShippingQuote, ...]:
        """``quotes``, after reporting each of ``problems`` through :meth:`warn`."""
        for p in problems:
            self.warn(f"{self.name}: {p}")
        return quotes

    @abc.abstractmethod
    def payment_methods(self, draft: OrderDraft) -> tuple[PaymentMethod, ...]: ...

    @abc.abstractmethod
    def totals(self, draft: OrderDraft) -> tuple[TotalLine, ...]: ...

    @abc.abstractmethod
    def confirm(self, draft: OrderDraft, order_status_id: int | None, comment: str) -> OrderResult: ...

    @abc.abstractmethod
    def add_history(self, order_id: int, order_status_id: int, comment: str = "", notify: bool = False,
                    override: bool = False) -> None: ...

    def payment_bands(self, lookup: str) -> PaymentBands:
        """The payment lookups of one quote (``lookup``: :data:`PaymentLookup`)."""
        return PaymentBands(lookup, exact=not self.payment_by_band)

    def parse_total_rows(self, rows: list[dict]) -> tuple[TotalLine, ...]:
        """``totals`` rows of an answer as :class:`TotalLine` (the version's codes and order)."""
        self.learn_decimals(rows)
        return parse_totals(rows, self.decimals)

    def totals_without_shipping(self, totals: Iterable[TotalLine]) -> tuple[TotalLine, ...] | None:
        """The cart's own totals read from the totals of a :func:`free_quote`: the same answer
        without its one ``shipping`` line (None when there is not exactly one, or the raw rows
        are gone, so the caller fetches them instead)."""
        totals = tuple(totals)
        rows = [t.raw for t in totals if t.code != "shipping"]
        if len(rows) != len(totals) - 1 or not all(isinstance(r, dict) for r in rows):
            return None
        return self.parse_total_rows(rows)

    def quote_cart(self, draft: OrderDraft) -> tuple[tuple, bool | None, tuple[TotalLine, ...] | None]:
        """A quote's first step for ``draft`` (no methods): ``(products, shipping required,
        cart totals or None when not fetched)``. The default asks :meth:`cart`."""
        cart = self.cart(draft)
        return cart.products, cart.shipping_required, cart.totals

    def quote(self, draft: OrderDraft, *, payment_methods: PaymentLookup = "per_band") -> Quote:
        """Generic quote over the dialect's own operations: the cart (:meth:`quote_cart`), the
        quote list, then per quote its totals and (per :class:`PaymentBands`) payment methods;
        the cart's own totals come from a free quote's when one is offered.
        Dialects override it when their wire allows fewer requests."""
        start = self.requests_made
        bands = self.payment_bands(payment_methods)
        bare = draft.with_shipping(None).with_payment(None)
        products, shipping_required, cart_totals = self.quote_cart(bare)
        options: list[QuoteOption] = []
        shipping_error = None
        problems: tuple[str, ...] = ()
        base_payments: tuple[PaymentMethod, ...] = ()
        if shipping_required is not False and draft.shipping_address is not None:
            try:
                quotes, problems = self.shipping_listing(bare)
            except ValidationError as exc:
                quotes, shipping_error = (), exc.message
            free = free_quote(quotes)
            if cart_totals is None and free is None:
                cart_totals = self.totals(bare)  # before any quote is chosen on a session
            for q in quotes:
                options.append(self._quote_option(bare.with_shipping(q), q, bands))
            if cart_totals is None:
                chosen = next(o for o in options if o.quote is free)
                cart_totals = self.totals_without_shipping(chosen.totals) if chosen.totals else None
                if cart_totals is None:
                    cart_totals = self.totals(bare)
        else:
            if cart_totals is None:
                cart_totals = self.totals(bare)
            try:
                base_payments = self.payment_methods(bare)
            except ValidationError as exc:
                shipping_error = exc.message
        return Quote(draft=draft, products=products, totals=cart_totals, options=tuple(options),
                     payment_methods=base_payments, shipping_required=shipping_required,
                     shipping_error=shipping_error, pricing=self.pricing, dialect=self.name, warnings=problems,
                     requests=self.requests_made - start)

    def _quote_option(self, step: OrderDraft, q: ShippingQuote, bands: PaymentBands) -> QuoteOption:
        try:
            totals = self.totals(step)
        except ValidationError as exc:
            return QuoteOption(quote=q, error=exc.message)
        try:
            payments = bands.methods(totals, lambda: self.payment_methods(step))
        except ValidationError as exc:
            return QuoteOption(quote=q, totals=totals, error=exc.message)
        return QuoteOption(quote=q, totals=totals, payment_methods=payments)

    # subscriptions: only some versions have them
    def _no_subscriptions(self) -> UnsupportedOperationError:
        return UnsupportedOperationError(f"OpenCart {self.versions} ({self.name}) has no subscription API; "
                                         f"manage subscriptions in the store's admin", dialect=self.name)

    def subscription_cart(self, draft: SubscriptionDraft) -> Cart:
        raise self._no_subscriptions()

    def subscription_shipping_methods(self, draft: SubscriptionDraft) -> tuple[ShippingQuote, ...]:
        raise self._no_subscriptions()

    def subscription_payment_methods(self, draft: SubscriptionDraft) -> tuple[PaymentMethod, ...]:
        raise self._no_subscriptions()

    def subscription_confirm(self, draft: SubscriptionDraft) -> int:
        raise self._no_subscriptions()

    def subscription_add_history(self, subscription_id: int, subscription_status_id: int, comment: str = "",
                                 notify: bool = False) -> None:
        raise self._no_subscriptions()

    # ------------------------------------------------------------------ discovery
    @classmethod
    @abc.abstractmethod
    def probe(cls, config: DialectConfig, transport: Transport) -> ProbeResult:
        """Cheap check (no order written, at most 2 requests) whether the store speaks this dialect."""

    def close(self) -> None:
        """Release server-side state the dialect holds (nothing by default)."""


# ====================================================================== session dialects


class SessionStateUnknown(Exception):
    """Internal: a call that changes the server session ended without a usable answer, so what
    the session holds is unknown (a cart add may have happened once, or not). :meth:`SessionDialect.run`
    drops that session and rebuilds the draft on a fresh one; ``error`` is raised if that fails too."""

    def __init__(self, error: OcdataError) -> None:
        super().__init__(str(error))
        self.error = error


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()
"""Old state passed to :attr:`SyncStep.send` for a step the session has never seen."""

REBUILD: Any = object()
"""Returned by :attr:`SyncStep.send` when the change needs a fresh session."""


@dataclass(frozen=True)
class SyncStep:
    """One piece of session state a draft implies.

    ``key``: stable name (``"customer"``, ``"cart"``, ``"shipping_address"``, ``"shipping_method"``…);
    ``state``: comparable value the session must end up holding (``None`` = nothing required);
    ``send(session, old, new)``: the requests that move the session from ``old`` to ``new`` state
    (raise the store's errors; return :data:`REBUILD` if impossible in place);
    ``depends``: keys of earlier steps whose change makes this one stale (re-sent after them).
    """

    key: str
    state: Any
    send: Callable[["ServerSession", Any, Any], Any]
    depends: tuple[str, ...] = ()


@dataclass
class ServerSession:
    """One logged-in server session (one per thread). ``snapshot`` is what the store holds.

    ``last_used`` (``time.monotonic()``) is stamped by every authenticated call;
    ``confirmed`` marks a session whose cart and order state now belong to a confirmed
    order: drafts get a fresh session, order history may still use it.
    """

    token: str = field(repr=False)
    snapshot: dict[str, Any] = field(default_factory=dict, repr=False)
    logins: int = 1
    scratch: dict[str, Any] = field(default_factory=dict, repr=False)  # subclass data, e.g. cart ids, last lists
    last_used: float = field(default_factory=time.monotonic, repr=False)
    confirmed: bool = False

    def __repr__(self) -> str:
        return f"ServerSession(token=********, keys={sorted(self.snapshot)}, logins={self.logins})"


class SessionDialect(Dialect):
    """Login + ``api_token`` in the query string; one session per thread, synced by difference.

    Subclasses set :attr:`login_route` (and :attr:`idle_ttl` when the version documents one)
    and implement :meth:`login_form`, :meth:`parse_login`, :meth:`session_lost`,
    :meth:`sync_steps` and the operations (using :meth:`run` and :meth:`call`); the default
    :meth:`probe` is a credential-less login judged by :meth:`login_refusal`.
    """

    login_route: ClassVar[str] = "api/login"
    token_param: ClassVar[str] = "api_token"
    idle_ttl: ClassVar[float | None] = None  # s the store keeps an unused token (None: unknown, wait for the loss)
    ttl_margin: ClassVar[float] = 120.0  # a session is replaced this long before the store would drop it

    def __init__(self, config: DialectConfig, transport: Transport, *, warn: Callable[[str], None] | None = None) -> None:
        super().__init__(config, transport, warn=warn)
        self._local = threading.local()

    # --------------------------------------------------------- hooks for subclasses
    def login_form(self) -> list[tuple[str, str]]:
        """Fields of the login POST (default ``username`` + ``key``)."""
        c = self.config.credentials
        return [("username", c.username), ("key", c.key.reveal())]

    def extra_query(self) -> list[tuple[str, str]]:
        """Query parameters sent with every call besides route and token (e.g. store_id, language)."""
        return []

    @abc.abstractmethod
    def parse_login(self, answer: HttpAnswer) -> str:
        """The token from a login answer; raise AuthenticationError/PermissionDeniedError/ProtocolError."""

    @abc.abstractmethod
    def session_lost(self, answer: HttpAnswer, body: Any) -> bool:
        """True when this answer is the version's way of saying the token is unknown or expired.
        ``body`` is the decoded JSON or None when the answer was not JSON."""

    @abc.abstractmethod
    def sync_steps(self, draft: OrderDraft) -> list[SyncStep]:
        """The ordered steps that put ``draft`` into a session."""

    def session_stale(self, session: ServerSession) -> bool:
        """True when ``session`` should be replaced before its next call (default: unused for
        longer than :attr:`idle_ttl` less :attr:`ttl_margin`): a fresh login costs less than a
        refused call plus a re-login and a replay."""
        return self.idle_ttl is not None and time.monotonic() - session.last_used > self.idle_ttl - self.ttl_margin

    # --------------------------------------------------------- sessions
    def login(self) -> ServerSession:
        answer = self.http("POST", route=self.login_route, call="login",
                           params=[("route", self.login_route)] + self.extra_query(), data=self.login_form())
        token = self.parse_login(answer)
        session = ServerSession(token=token)
        register_secret(token, owner=session)  # masked for as long as the session lives
        return session

    def session(self) -> ServerSession:
        """This thread's session, logging in on first use and when it went stale."""
        s = getattr(self._local, "session", None)
        if s is not None and self.session_stale(s):
            self.forget_session()
            s = None
        if s is None:
            s = self.login()
            self._local.session = s
        return s

    def forget_session(self) -> None:
        """Drop this thread's session: its next call logs in afresh (OpenCart has no logout call)."""
        self._local.session = None

    def _relogin(self) -> ServerSession:
        old = getattr(self._local, "session", None)
        fresh = self.login()
        if old is not None:
            fresh.logins = old.logins + 1
        self._local.session = fresh
        return fresh

    # --------------------------------------------------------- discovery
    @classmethod
    def probe(cls, config: DialectConfig, transport: Transport) -> ProbeResult:
        """One login POST without credentials (1 request, nothing written); :meth:`login_refusal`
        tells whether the answer is this version's way of refusing it."""
        answer = transport.request("POST", config.base_url, params=[("route", cls.login_route)], data=[],
                                   dialect=cls.name, route=cls.login_route, call="probe")
        try:
            body = json.loads(answer.text)
        except (ValueError, RecursionError):
            body = None
        matches = answer.status == 200 and cls.login_refusal(body)
        shown = ("JSON " + ",".join(sorted(body)) if isinstance(body, dict) else
                 "not JSON" if body is None else f"JSON {json.dumps(body)[:40]}")
        return ProbeResult(dialect=cls.name, matches=matches, version=cls.versions if matches else "",
                           evidence=f"POST {cls.login_route} -> HTTP {answer.status} {shown}",
                           status=answer.status, server_date=answer.server_date, elapsed_ms=answer.elapsed_ms)

    @classmethod
    def login_refusal(cls, body: Any) -> bool:
        """True when ``body`` (decoded JSON, None if not JSON) answers a login without credentials
        the way this version does (default: an object with ``error`` or ``api_token``)."""
        return isinstance(body, dict) and ("error" in body or "api_token" in body)

    def close(self) -> None:
        """Forget every thread's session (the store lets unused tokens expire)."""
        self._local = threading.local()

    # --------------------------------------------------------- calls
    def call(self, session: ServerSession, method: str, route: str, *, data: Sequence[tuple[str, str]] | None = None,
             params: Sequence[tuple[str, str]] = (), call: str | None = None, writes: bool = False,
             order_id: int | None = None) -> tuple[HttpAnswer, Any]:
        """An authenticated call: token in the query string only (never a cookie or form field).

        Returns ``(answer, decoded JSON)``. Raises :class:`SessionExpiredError` when the store
        says the session is gone. A POST changes the session (cart add, address…) and is never
        repeated: when its outcome is unknown (no answer, a 5xx, a non-JSON page) the session's
        state is unknown too, and :meth:`run` rebuilds the draft on a fresh session
        (:class:`SessionStateUnknown`). An order write (``writes``) that may have reached the
        store raises :class:`OrderStateUnknownError` and is never re-sent, not even after a
        re-login.
        """
        name = call or route
        mutates = method != "GET"
        query = [("route", route), *params, *self.extra_query(), (self.token_param, session.token)]
        if writes:
            self._local.wrote = True
        try:
            answer = self.http(method, route=route, call=call, params=query, data=data, writes=writes,
                               order_id=order_id, repeatable=not mutates)
        except OrderStateUnknownError:
            raise
        except OcdataError as exc:
            if mutates:
                raise SessionStateUnknown(exc) from None
            raise
        session.last_used = time.monotonic()
        try:
            body = decode_json(answer.text, warn=self.warn, dialect=self.name, call=name, status=answer.status)
        except ProtocolError:
            body = None
        if self.session_lost(answer, body):
            if writes:
                raise self.order_may_exist("the store answered that the API session is gone, which should mean "
                                           "nothing was written, but its answer cannot prove it", name, order_id,
                                           status=answer.status, body=answer.text)
            raise SessionExpiredError("the store no longer knows this API session; logging in again",
                                      status=answer.status, body=answer.text, dialect=self.name, call=name)
        if body is None or answer.status >= 500 or answer.status == 429:
            try:
                self.json(answer, name)
                error: OcdataError = ProtocolError(f"{name}: unusable answer", status=answer.status,
                                                   body=answer.text, dialect=self.name, call=name)
            except OcdataError as exc:
                error = exc
            if writes:
                raise self.order_may_exist(error, name, order_id, status=answer.status, body=answer.text)
            if mutates:
                raise SessionStateUnknown(error)
            raise error
        return answer, body

    # --------------------------------------------------------- sync
    def sync(self, session: ServerSession, draft: OrderDraft, *, skip: Iterable[str] = ()) -> ServerSession:
        """Send what changed; returns the session now holding the draft (a new one after REBUILD)."""
        skipped = set(skip)
        for attempt in range(2):
            effective: dict[str, Any] = {}
            rebuilt = False
            for step in self.sync_steps(draft):
                eff = (step.state, tuple(effective.get(d) for d in step.depends))
                effective[step.key] = eff
                if step.key in skipped:
                    continue
                old = session.snapshot.get(step.key, MISSING)
                if old == eff:
                    continue
                if step.state is None and (old is MISSING or old[0] is None):
                    session.snapshot[step.key] = eff  # nothing required and nothing there to clear
                    continue
                session.snapshot.pop(step.key, None)  # unknown until the store accepts it
                result = step.send(session, MISSING if old is MISSING else old[0], step.state)
                if result is REBUILD:
                    if attempt:
                        raise ProtocolError(f"{self.name}: step {step.key!r} cannot be applied even to a fresh "
                                            f"session", dialect=self.name)
                    session = self._relogin()
                    rebuilt = True
                    break
                session.snapshot[step.key] = eff
            if not rebuilt:
                return session
        return session

    def run(self, draft: OrderDraft | None, op: Callable[[ServerSession], Any], *, skip: Iterable[str] = (),
            retry_on_loss: bool = True) -> Any:
        """Sync ``draft`` (if any) into this thread's session and run ``op``.

        On session loss, or when a session change ended without a usable answer
        (:class:`SessionStateUnknown`), log in once more, rebuild from the draft and repeat — unless
        an order write was already sent, which is never repeated (:class:`OrderStateUnknownError`).
        Any other failure but a store refusal drops the session, so the next operation starts from
        a known state. A draft never reuses a ``confirmed`` session."""
        current = getattr(self._local, "session", None)
        if draft is not None and current is not None and current.confirmed:
            self.forget_session()
        session = self.session()
        for attempt in range(2):
            self._local.wrote = False
            try:
                if draft is not None:
                    session = self.sync(session, draft, skip=skip)
                return op(session)
            except SessionExpiredError as exc:
                self.forget_session()
                if getattr(self._local, "wrote", False):
                    raise self.order_may_exist(exc, exc.call or "order write") from None
                if attempt or not retry_on_loss:
                    raise SessionExpiredError(
                        "the store dropped the API session again right after a fresh login; check that this "
                        "machine's IP is in the store's API allow-list and that the API user is enabled",
                        dialect=self.name) from None
                session = self._relogin()
            except SessionStateUnknown as unknown:
                self.forget_session()
                exc = unknown.error
                if getattr(self._local, "wrote", False):
                    raise self.order_may_exist(exc, exc.call or "order write") from None
                if attempt or not retry_on_loss:
                    exc.message = (f"{exc.message} (a change to the API session ({exc.call}) ended without a usable "
                                   f"answer, twice: the session was dropped and nothing was priced on it)")
                    exc.args = (exc.message,)
                    raise exc from None
                session = self._relogin()
            except (ValidationError, NotFoundError, UnsupportedOperationError):
                raise  # the store refused: what it holds is known
            except OcdataError as exc:
                self.forget_session()
                if getattr(self._local, "wrote", False) and not isinstance(exc, OrderStateUnknownError):
                    raise self.order_may_exist(exc, exc.call or "order write") from None
                raise
        raise AssertionError("unreachable")
