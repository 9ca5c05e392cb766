"""``ocdata.connect(...) -> Store``: one typed API, whichever OpenCart API the store speaks.

A :class:`Store` resolves ISO-coded addresses to the store's ids (cached), hands the
draft to its dialect, and reports the store's quirks once as :class:`OcdataWarning`.
It is safe to use from many threads: the transport pools connections per thread and
session dialects keep one server session per thread.
"""

from __future__ import annotations

import base64
import contextlib
import logging
import threading
import warnings as _warnings
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Iterable, Iterator
from urllib.parse import unquote, urlsplit

from .credentials import display_url, redact, register_secret, resolve_credentials
from .dialects import detect, dialect_class
from .dialects.base import PAYMENT_LOOKUPS, Dialect, DialectConfig, PaymentLookup, ProbeResult, front_controller
from .dialects.checkout import CheckoutSessionDialect
from .errors import ConfigurationError, OcdataError, OcdataWarning, ProtocolError, ValidationError
from .geo import Geo
from .models import (
    Address,
    Cart,
    Country,
    OrderDraft,
    OrderResult,
    PaymentMethod,
    Quote,
    ShippingQuote,
    SubscriptionDraft,
    TotalLine,
    Zone,
)
from .politeness import Politeness
from .transport import MAX_ANSWER_BYTES, Hook, Transport

__all__ = ["Store", "connect"]

log = logging.getLogger("ocdata.client")


# what reading a malformed answer can raise in parsing code and pydantic (ValueError covers
# pydantic's ValidationError, ArithmeticError decimal's InvalidOperation and OverflowError)
_UNREADABLE = (ValueError, TypeError, AttributeError, KeyError, IndexError, ArithmeticError, RecursionError)


@contextlib.contextmanager
def _reading(dialect: Dialect, what: str, *, writes: bool = False) -> Iterator[None]:
    """Every failure of a Store operation is an :class:`OcdataError`: an answer the parsers cannot
    read becomes a :class:`ProtocolError` (an order write's, :class:`OrderStateUnknownError`).
    Wraps only the dialect's call, so a wrong argument stays the caller's ``ValueError``."""
    try:
        yield
    except OcdataError:
        raise
    except _UNREADABLE as exc:
        detail = " ".join(str(exc).split())[:160]
        error = ProtocolError(f"the store's answer to {what} has a shape this client cannot read "
                              f"({type(exc).__name__}: {detail}); check the store URL and its OpenCart "
                              f"version (store.doctor())", dialect=dialect.name, call=what)
        if writes:
            raise dialect.order_may_exist(error, what) from None
        raise error from None


class Store:
    """A connected OpenCart store. Build it with :func:`connect`."""

    def __init__(self, dialect: Dialect, *, transport: Transport, workers: int = 8,
                 probes: list[ProbeResult] | None = None) -> None:
        self.dialect = dialect
        self.transport = transport
        self.workers = max(1, int(workers))
        self.probes = list(probes or [])
        self.warnings: list[str] = []
        self._warned: set[str] = set()
        self._lock = threading.Lock()
        dialect._warn = self._warn
        self.geo = Geo(dialect.country, workers=self.workers)
        self._default_currency: str | None = None
        self._currency_asked = False
        self._currency_lock = threading.Lock()

    # ------------------------------------------------------------------ identity
    @property
    def url(self) -> str:
        return self.dialect.config.base_url

    @property
    def dialect_name(self) -> str:
        return self.dialect.name

    @property
    def pricing(self) -> str:
        return self.dialect.pricing

    @property
    def politeness(self) -> Politeness | None:
        """The store's request limits (``connect(max_concurrency=, max_rps=)``); None: unlimited."""
        return getattr(self.transport, "politeness", None)

    @property
    def username(self) -> str:
        return self.dialect.config.credentials.username

    # not named `currency`: that is the session currency chosen at connect(), part of the cache's store identity
    @property
    def default_currency(self) -> str | None:
        """The store's default currency code (ISO 4217): a quote's ``cost`` is in it.

        Read once from the ``currency`` cookie OpenCart's storefront sets on a first visit
        (one unauthenticated request); None when the store sets none or could not be reached
        then (asked once per Store: frames show the currency as missing rather than wait on retries).
        """
        with self._currency_lock:
            if self._currency_asked:
                return self._default_currency
            self._currency_asked = True
            route = self.dialect.country_route
            try:
                answer = self.dialect.http("GET", route=route, params=[("route", route), ("country_id", "0")])
            except OcdataError as exc:
                log.info("the store's default currency is unknown: %s", exc)
                return None
            self._default_currency = answer.cookies.get("currency", "").strip().upper() or None
            return self._default_currency

    @property
    def session_currency(self) -> str | None:
        """The currency of formatted text, total lines and 4.0/3.0 prices: ``connect(currency=...)``
        where the dialect sends it (4.0/3.0 sessions), else the default currency (4.1 ignores
        it; the OpenAPI file has no call for it)."""
        chosen = self.dialect.config.currency
        if chosen and isinstance(self.dialect, CheckoutSessionDialect):
            return chosen.strip().upper()
        return self.default_currency

    def __repr__(self) -> str:
        return (f"<Store {self.url} dialect={self.dialect.name} pricing={self.pricing} "
                f"user={self.username!r} store_id={self.dialect.config.store_id}>")

    def _warn(self, message: str) -> None:
        message = redact(message)
        with self._lock:
            if message in self._warned:
                return
            self._warned.add(message)
            self.warnings.append(message)
        # warnings.warn alone: a log.warning too would print twice through logging's last-resort
        # handler when the application configured no logging (nbval compares that stderr)
        log.info("%s", message)
        _warnings.warn(message, OcdataWarning, stacklevel=4)

    def close(self) -> None:
        self.dialect.close()
        self.transport.close()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # ------------------------------------------------------------------ geography
    def countries(self) -> tuple[Country, ...]:
        """Every enabled country (one request per stock country id the first time, in parallel; cached)."""
        return self.geo.countries()

    def country(self, country: str | int) -> Country:
        """A country by ISO code (``"US"``, ``"DEU"``) or store id."""
        if isinstance(country, int):
            found = self.geo.country(country)
            if found is None:
                from .errors import NotFoundError

                raise NotFoundError(f"the store has no country_id {country}; see store.countries()")
            return found
        return self.geo.by_iso(country)

    def zones(self, country: str | int) -> tuple[Zone, ...]:
        return self.country(country).zones

    def address(self, address: Address) -> Address:
        """``address`` with this store's country/zone ids filled in from its ISO codes."""
        return self.geo.resolve(address)

    # ------------------------------------------------------------------ drafts
    def resolve(self, draft: OrderDraft) -> OrderDraft:
        """Store ids for ISO-coded addresses (cached per store)."""
        update: dict[str, Any] = {}
        for name in ("payment_address", "shipping_address"):
            address = getattr(draft, name)
            if address is not None and not address.resolved:
                update[name] = self.geo.resolve(address)
        return draft.model_copy(update=update) if update else draft

    def _with_full_methods(self, draft: OrderDraft) -> OrderDraft:
        """oc41 posts a method's name/cost, so a bare code is looked up among the offered quotes."""
        if self.dialect.name != "oc41":
            return draft
        if isinstance(draft.shipping_method, str):
            quotes = self.dialect.shipping_methods(draft.with_shipping(None).with_payment(None))
            draft = draft.with_shipping(_pick(quotes, draft.shipping_method, "shipping"))
        if isinstance(draft.payment_method, str):
            methods = self.dialect.payment_methods(draft.with_payment(None))
            draft = draft.with_payment(_pick(methods, draft.payment_method, "payment"))
        return draft

    def _ready(self, draft: OrderDraft) -> OrderDraft:
        return self._with_full_methods(self.resolve(draft))

    # ------------------------------------------------------------------ operations
    def cart(self, draft: OrderDraft) -> Cart:
        """Products and totals for the draft."""
        with _reading(self.dialect, "cart"):
            return self.dialect.cart(self._ready(draft))

    def shipping_methods(self, draft: OrderDraft) -> tuple[ShippingQuote, ...]:
        """Every shipping quote offered for the draft's cart and shipping address."""
        with _reading(self.dialect, "shipping_methods"):
            return self.dialect.shipping_methods(self.resolve(draft).with_shipping(None).with_payment(None))

    def payment_methods(self, draft: OrderDraft) -> tuple[PaymentMethod, ...]:
        """Payment methods offered for the draft (with its shipping method, when the cart ships)."""
        with _reading(self.dialect, "payment_methods"):
            return self.dialect.payment_methods(self._ready(draft.with_payment(None)))

    def totals(self, draft: OrderDraft) -> tuple[TotalLine, ...]:
        """Order totals for the draft as it stands (shipping line included when a method is chosen)."""
        with _reading(self.dialect, "totals"):
            return self.dialect.totals(self._ready(draft))

    def quote(self, draft: OrderDraft, *, payment_methods: PaymentLookup = "per_band") -> Quote:
        """Every shipping quote with the totals it produces and the payment methods offered with it.

        ``payment_methods="per_band"`` (default) looks payment methods up once per band of order
        total (``<= 0`` or not) on versions whose payment methods depend on the total only that
        way (4.1, spec); ``"per_option"`` asks the store for every quote. 4.0 and 3.0 always ask
        per quote (their payment methods have minimum totals). Both give the same answers where
        the store follows its version's stock rules; ``per_option`` is for stores whose payment
        extensions were changed to depend on the shipping method.
        """
        if payment_methods not in PAYMENT_LOOKUPS:
            raise ValueError(f"payment_methods={payment_methods!r}: use one of {PAYMENT_LOOKUPS}")
        with _reading(self.dialect, "quote"):
            return self.dialect.quote(self.resolve(draft), payment_methods=payment_methods)

    def quote_many(self, drafts: Iterable[OrderDraft], *, workers: int | None = None,
                   on_error: str = "raise", payment_methods: PaymentLookup = "per_band") -> list[Quote | Exception]:
        """Quotes for many drafts in parallel (``workers`` threads; each has its own session/cookies).

        ``on_error="return"`` puts the exception in the result list instead of raising it;
        ``payment_methods`` as in :meth:`quote`.
        """
        drafts = list(drafts)

        def one(d: OrderDraft):
            try:
                return self.quote(d, payment_methods=payment_methods)
            except Exception as exc:  # noqa: BLE001 - handed back to the caller as asked
                if on_error == "return":
                    return exc
                raise

        with ThreadPoolExecutor(max_workers=workers or self.workers) as pool:
            return list(pool.map(one, drafts))

    def confirm(self, draft: OrderDraft, order_status_id: int | None = None, comment: str = "") -> OrderResult:
        """Create the order (or edit ``draft.order_id``). ``order_status_id=None`` sends the store's default.

        Never retried automatically: a lost answer raises :class:`OrderStateUnknownError`.
        """
        with _reading(self.dialect, "confirm", writes=True):
            return self.dialect.confirm(self._ready(draft), order_status_id, comment)

    def add_history(self, order_id: int, order_status_id: int, comment: str = "", notify: bool = False,
                    override: bool = False) -> None:
        """Add a status change to an order's history (never retried automatically)."""
        order_id, order_status_id = int(order_id), int(order_status_id)
        with _reading(self.dialect, "add_history", writes=True):
            self.dialect.add_history(order_id, order_status_id, comment, notify, override)

    # ------------------------------------------------------------------ subscriptions
    def subscription_cart(self, draft: SubscriptionDraft) -> Cart:
        with _reading(self.dialect, "subscription cart"):
            return self.dialect.subscription_cart(draft)

    def subscription_shipping_methods(self, draft: SubscriptionDraft) -> tuple[ShippingQuote, ...]:
        with _reading(self.dialect, "subscription shipping_methods"):
            return self.dialect.subscription_shipping_methods(draft)

    def subscription_payment_methods(self, draft: SubscriptionDraft) -> tuple[PaymentMethod, ...]:
        with _reading(self.dialect, "subscription payment_methods"):
            return self.dialect.subscription_payment_methods(draft)

    def subscription_confirm(self, draft: SubscriptionDraft) -> int:
        """Create a subscription; returns its id."""
        with _reading(self.dialect, "subscription confirm", writes=True):
            return self.dialect.subscription_confirm(draft)

    def subscription_add_history(self, subscription_id: int, subscription_status_id: int, comment: str = "",
                                 notify: bool = False) -> None:
        with _reading(self.dialect, "subscription history_add", writes=True):
            self.dialect.subscription_add_history(subscription_id, subscription_status_id, comment, notify)

    # ------------------------------------------------------------------ diagnosis
    def doctor(self):
        """Reachability, dialect, clock skew, IP/credentials and known quirks: a readable report
        (``print(report)``) with ``report.frame`` as a DataFrame."""
        from .doctor import diagnose

        return diagnose(self)


def _pick(options, code: str, kind: str):
    for option in options:
        if option.code == code:
            return option
    offered = ", ".join(o.code for o in options) or "none"
    raise ValidationError(f"{kind} method {code!r} is not offered for this draft (offered: {offered}); "
                          f"choose one of those", fields={f"{kind}_method": code})


def connect(
    url: str | None = None,
    username: str | None = None,
    key: str | None = None,
    *,
    dialect: str = "auto",
    store_id: int = 0,
    language: str = "en-gb",
    currency: str | None = None,
    timeout: float = 30,
    pricing: str = "storefront",
    workers: int = 8,
    hook: Hook | None = None,
    profile: str | None = None,
    default_order_status_id: int = 1,
    retries: int = 3,
    max_answer_bytes: int = MAX_ANSWER_BYTES,
    max_concurrency: int | None = None,
    max_rps: float | None = None,
) -> Store:
    """Connect to an OpenCart store.

    ``url``/``username``/``key`` default to ``OCDATA_URL``/``OCDATA_API_USERNAME``/``OCDATA_API_KEY``,
    then the ``profile`` of ``~/.config/ocdata/config.toml``. ``dialect="auto"`` probes the store
    (oc41, spec, oc40, oc30 in that order). ``pricing`` applies to oc41: ``"storefront"`` (the
    default) primes a server session per priced step so quotes are what the checkout charges
    (destination tax, customer-group prices); ``"api"`` sends one-off calls, one request fewer
    per step, but **ignores the destination for tax (taxed at the store's own address) and the
    customer group for prices** — it warns once saying so. Session dialects (spec, oc40, oc30)
    always price like the checkout and ignore ``pricing``. ``hook`` receives a
    secret-free :class:`~ocdata.client.transport.RequestRecord` per HTTP request.
    ``default_order_status_id`` is sent by ``confirm`` when no status is given (OpenCart's default
    "Pending" is 1). ``timeout`` (s) bounds each call as a whole — retries, backoff and reading
    the answer included; ``retries`` is how often a read is repeated after a lost answer or a
    429/502/503/504 (a session change or order write is repeated only after a connect error);
    an answer larger than ``max_answer_bytes`` is refused.
    ``max_concurrency``/``max_rps`` bound what this client asks of the store
    (requests in flight, requests per second; a 429/503 with ``Retry-After`` pauses every request
    to it, at most 30 s): see :mod:`ocdata.client.politeness`.
    """
    credentials = resolve_credentials(url, username, key, profile=profile)
    if pricing not in ("api", "storefront"):
        raise ConfigurationError(f"pricing={pricing!r}: use 'api' or 'storefront'")
    # a user name and password in the URL (a shop behind HTTP basic auth) travel as a header,
    # never in the URL that is shown, logged or stored
    site, auth_header = _split_userinfo(_usable_url(credentials.url))
    limited = max_concurrency is not None or max_rps is not None
    transport = Transport(timeout=timeout, workers=workers, hook=hook, retries=retries,
                          max_answer_bytes=max_answer_bytes, headers=auth_header,
                          politeness=Politeness(max_concurrency, max_rps) if limited else None)
    config = DialectConfig(base_url=front_controller(site), credentials=credentials, store_id=int(store_id),
                           language=language, currency=currency, pricing=pricing,
                           default_order_status_id=int(default_order_status_id))
    probes: list[ProbeResult] = []
    try:
        if dialect == "auto":
            cls, probes = detect(config, transport)
        else:
            cls = dialect_class(dialect)
        chosen = cls(config, transport)
    except BaseException:
        transport.close()
        raise
    return Store(chosen, transport=transport, workers=workers, probes=probes)


def _usable_url(url: str) -> str:
    """``url`` if it names an http(s) shop; else a :class:`ConfigurationError` saying what to pass."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises on a port that is not a number
        ok = parts.scheme in ("http", "https") and bool(parts.hostname)
    except ValueError:
        ok = False
    if not ok:
        raise ConfigurationError(f"the store URL {display_url(url)!r} cannot be used; pass the shop's address with "
                                 f"http:// or https://, e.g. https://shop.example/")
    return url


def _split_userinfo(url: str) -> tuple[str, dict[str, str]]:
    """``http://user:pw@shop/`` -> (``http://shop/``, a basic-auth header); the password and
    the header are registered as secrets."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url, {}
    userinfo = parts.netloc.rsplit("@", 1)[0]
    user, _, password = userinfo.partition(":")
    user, password = unquote(user), unquote(password)
    register_secret(password, owner=None) if password else None
    token = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
    register_secret(token)
    register_secret(userinfo)
    return display_url(url), {"Authorization": f"Basic {token}"}
