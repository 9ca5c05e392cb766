"""The sandbox engine: OpenCart's models and system libraries, without HTTP.

Dialect fronts (``ocdata/sandbox/fronts/*``) play OpenCart's per-version
controllers and call this facade; the engine plays the shared parts (cart, tax,
currency, shipping/payment/total extensions, order model) for the store
described by a :class:`~ocdata.sandbox.model.StoreConfig`.

Fronts decide which :class:`PricingContext` applies (a one-off 4.1 API call is
priced for the store address and the default group; a session-carrying call or
the spec dialect for the destination and the customer's group) and build it
with :meth:`Engine.context`.

Amounts are PHP floats in the store's default currency, computed in the same
order PHP does, so unrounded values (``57.599999999999994``) come out the same.
Pricing is read-only over indexes built at construction; orders and stock sit
behind one lock, so an engine can serve many threads.
"""

from __future__ import annotations

import dataclasses
import logging
import re
import threading
from typing import Any, Callable

from ocdata.sandbox import payment as _payment
from ocdata.sandbox import shipping as _shipping
from ocdata.sandbox import totals as _totals
from ocdata.sandbox.catalog import Catalog
from ocdata.sandbox.currency import format_money as _format_money
from ocdata.sandbox.extensions import installed
from ocdata.sandbox.geo import GeoIndex
from ocdata.sandbox.model import (
    Address,
    Affiliate,
    Country,
    Currency,
    Customer,
    CustomerGroup,
    OptionValue,
    Product,
    ProductOption,
    StoreConfig,
    SubscriptionPlan,
    Zone,
)
from ocdata.sandbox.records import (
    AddressIn,
    AddressRef,
    CartOption,
    CartProduct,
    CartSubscription,
    CustomerIn,
    LineIn,
    Order,
    OrderHistory,
    OrderIn,
    PaymentChoice,
    PaymentMethod,
    PricingContext,
    ShippingChoice,
    ShippingMethod,
    ShippingQuote,
    TotalLine,
)
from ocdata.sandbox.orders import OrderBook
from ocdata.sandbox.tax import TaxIndex
from ocdata.sandbox.tax import calculate as _calculate

log = logging.getLogger("ocdata.sandbox")

#: what :meth:`Engine.subscribe` listeners are called with: the change's kind and its ids
Listener = Callable[[str, dict[str, Any]], None]

__all__ = [
    "AddressIn", "AddressRef", "CartOption", "CartProduct", "CartSubscription", "CustomerIn", "Engine",
    "LineIn", "Order", "OrderHistory", "OrderIn", "PaymentChoice", "PaymentMethod", "PricingContext",
    "ShippingChoice", "ShippingMethod", "ShippingQuote", "StoreConfig", "TotalLine", "load_engine",
]

# close to PHP's FILTER_VALIDATE_EMAIL for everything a checkout form posts
_EMAIL = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$"
)

MSG = {
    "customer_missing": "Warning: Customer could not be found!",
    "customer_group": "Customer Group does not appear to be valid!",
    "firstname": "First Name must be between 1 and 32 characters!",
    "lastname": "Last Name must be between 1 and 32 characters!",
    "email": "E-Mail Address does not appear to be valid!",
    "telephone": "Telephone must be between 3 and 32 characters!",
    "address_1": "Address 1 must be between 3 and 128 characters!",
    "city": "City must be between 3 and 128 characters!",
    "postcode": "Postcode must be between 2 and 10 characters for this country!",
    "country": "Please select a country!",
    "zone": "Please select a region / state!",
}


def _version(text: str) -> tuple[int, ...]:
    parts = []
    for piece in text.split("."):
        digits = "".join(ch for ch in piece if ch.isdigit())
        parts.append(int(digits) if digits else 0)
    return tuple(parts)


def _ref(address: AddressIn | AddressRef | None) -> AddressRef | None:
    if address is None:
        return None
    if isinstance(address, AddressRef):
        return address
    return AddressRef(address.country_id, address.zone_id)


def load_engine(name_or_path: str) -> Engine:
    """An engine over a built-in store (``"stock"``, ``"rich"``, ``"oc40"``, ``"oc30"``) or a YAML file."""
    from ocdata.sandbox.storefile import load_store

    return Engine(load_store(name_or_path))



# --------------------------------------------------------------------------- facade


class Engine:
    """One store's OpenCart semantics over a :class:`StoreConfig`."""

    def __init__(self, store: StoreConfig) -> None:
        self.store = store
        s = store.settings
        self.settings = s
        self.version = _version(s.version)
        self.geo = GeoIndex(store.countries, store.geo_zones)
        self.taxes = TaxIndex(store, self.geo)
        self._book = OrderBook(store)
        self.catalog = Catalog(store, self.stock, self.option_stock)
        self._weight_classes = {w.weight_class_id: w for w in store.weight_classes}
        self._currencies = {c.code: c for c in store.currencies}
        self._groups = {g.customer_group_id: g for g in store.customer_groups}
        self._customers = {c.customer_id: c for c in store.customers}
        self._affiliates = {a.customer_id: a for a in store.affiliates}
        self._statuses = {o.order_status_id: o.name for o in store.order_statuses}
        self._coupons = {c.code: c for c in store.coupons}
        self._rate_names = {r.tax_rate_id: r.name for r in store.tax_rates}
        self._store_ref = AddressRef(s.country_id, s.zone_id)
        # enabled extensions in run order, settings cast once (not per quote)
        self._shipping = installed(store.shipping)
        self._payment = installed(store.payment)
        self._totals = installed(store.totals)
        #: codes of the enabled total extensions in the order they run
        self.total_codes = tuple(e.code for e in self._totals)
        self._listeners: list[Listener] = []
        self._changes = threading.Lock()

    # ---- change notifications (what the sandbox's webhooks send)
    def subscribe(self, listener: Listener) -> None:
        """Call ``listener(kind, info)`` after each change: ``order.created`` / ``order.updated``
        (``order_id``, ``previous_status_id``, ``comment``, ``notify``), ``customer.registered``
        (``customer_id``), ``product.updated`` (``product_id``, ``changed``). Listeners run on the
        thread that made the change: they must be quick (the webhook emitter only queues)."""
        self._listeners.append(listener)

    def _notify(self, kind: str, **info: Any) -> None:
        for listener in self._listeners:
            try:
                listener(kind, info)
            except Exception:  # a listener's fault must never fail the store's answer
                log.exception("engine listener failed on %s", kind)

    def _status(self, order_id: int) -> int | None:
        order = self._book.get(order_id) if self._listeners else None
        return None if order is None else order.order_status_id

    def add_customer(self, customer: Customer) -> int:
        """Register a customer (a new id when ``customer_id`` is 0); returns the id."""
        with self._changes:
            if not customer.customer_id:
                customer = dataclasses.replace(customer, customer_id=max(self._customers, default=0) + 1)
            if customer.customer_id in self._customers:
                raise ValueError(f"customer {customer.customer_id} exists already")
            self._customers[customer.customer_id] = customer
        self._notify("customer.registered", customer_id=customer.customer_id)
        return customer.customer_id

    #: product fields :meth:`update_product` may change (options are indexed: change them in a store file)
    PRODUCT_FIELDS = frozenset({"name", "model", "price", "tax_class_id", "weight", "weight_class_id", "quantity",
                                "minimum", "subtract", "shipping", "points", "status", "discounts", "specials"})

    def update_product(self, product_id: int, **changes: Any) -> Product:
        """Change a product as the admin's product form would (``price=``, ``quantity=`` …)."""
        unknown = sorted(set(changes) - self.PRODUCT_FIELDS)
        if unknown:
            raise ValueError(f"cannot change {', '.join(unknown)} of a product here; "
                             f"changeable: {', '.join(sorted(self.PRODUCT_FIELDS))}")
        with self._changes:
            current = self.catalog.products.get(product_id)
            if current is None:
                raise LookupError(f"no product {product_id} in this store")
            updated = dataclasses.replace(current, **changes)
            self.catalog.products[product_id] = updated
            if "quantity" in changes:
                self._book.product_stock[product_id] = int(changes["quantity"])
        changed = sorted(k for k in changes if getattr(current, k) != getattr(updated, k))
        self._notify("product.updated", product_id=product_id, changed=changed)
        return updated

    # ---- lookups
    def country(self, country_id: int) -> Country | None:
        """The country with its zones, or ``None`` if unknown."""
        return self.geo.countries.get(country_id)

    def zone(self, zone_id: int) -> Zone | None:
        return self.geo.zones.get(zone_id)

    def in_geo_zone(self, geo_zone_id: int, address: AddressRef) -> bool:
        """OpenCart's ``zone_to_geo_zone`` test (zone 0 members cover the country)."""
        return self.geo.contains(geo_zone_id, address.country_id, address.zone_id)

    def product(self, product_id: int) -> Product | None:
        """An enabled product, or ``None``."""
        return self.catalog.product(product_id)

    def product_option(self, product_id: int, product_option_id: int) -> ProductOption | None:
        """One option of a product, or ``None``."""
        return self.catalog.option(product_id, product_option_id)

    def option_value(self, product_id: int, product_option_value_id: int) -> OptionValue | None:
        """``getOptionValue(product_id, id)``: a value of any of the product's options, or ``None``."""
        return self.catalog.option_value(product_id, product_option_value_id)

    def stock(self, product_id: int) -> int:
        """Live stock of a product (after orders subtracted it)."""
        return self._book.product_stock.get(product_id, 0)

    def option_stock(self, product_option_value_id: int) -> int:
        return self._book.option_stock.get(product_option_value_id, 0)

    def subscription_plan(self, subscription_plan_id: int) -> SubscriptionPlan | None:
        """An enabled subscription plan, or ``None``."""
        return self.catalog.plan(subscription_plan_id)

    def customer(self, customer_id: int) -> Customer | None:
        c = self._customers.get(customer_id)
        return c if c is not None and c.status else None

    def customer_address(self, customer_id: int, address_id: int) -> Address | None:
        c = self.customer(customer_id)
        if c is None:
            return None
        return next((a for a in c.addresses if a.address_id == address_id), None)

    def customer_group(self, customer_group_id: int) -> CustomerGroup | None:
        return self._groups.get(customer_group_id)

    def affiliate(self, affiliate_id: int) -> Affiliate | None:
        a = self._affiliates.get(affiliate_id)
        return a if a is not None and a.status else None

    def currency(self, code: str | None = None) -> Currency | None:
        """An enabled currency (``None`` = the default one)."""
        c = self._currencies.get(code or self.settings.currency)
        return c if c is not None and c.status else None

    def order_status_name(self, order_status_id: int) -> str | None:
        return self._statuses.get(order_status_id)

    # ---- pricing context
    def store_address(self) -> AddressRef:
        """(country_id, zone_id) of the store (``config_country_id``/``config_zone_id``)."""
        return self._store_ref

    def context(
        self,
        *,
        customer_group_id: int | None,
        tax_shipping_address: AddressRef | None,
        tax_payment_address: AddressRef | None,
    ) -> PricingContext:
        """Pricing context for a group (``None``/0 = store default) and tax addresses
        (``None`` = not set: rules based on that address then match nothing)."""
        group = customer_group_id or self.settings.customer_group_id
        shipping = _ref(tax_shipping_address)
        payment = _ref(tax_payment_address)
        rates = self.taxes.resolve(group, shipping, payment, self._store_ref)
        return PricingContext(group, shipping, payment, self._store_ref, rates)

    def session_context(
        self,
        *,
        customer_group_id: int | None,
        shipping_address: AddressIn | AddressRef | None,
        payment_address: AddressIn | AddressRef | None,
    ) -> PricingContext:
        """OpenCart's ``startup/tax`` for a session: the session's shipping and payment
        addresses, the store address standing in on the ``config_tax_default`` side
        when the session has none there (``None`` group = store default)."""
        default = self.settings.tax_default
        shipping = _ref(shipping_address) or (self._store_ref if default == "shipping" else None)
        payment = _ref(payment_address) or (self._store_ref if default == "payment" else None)
        return self.context(
            customer_group_id=customer_group_id, tax_shipping_address=shipping, tax_payment_address=payment
        )

    def default_context(self) -> PricingContext:
        """What OpenCart primes from an empty session: default group, store address
        as the ``config_tax_default`` address."""
        return self.session_context(customer_group_id=None, shipping_address=None, payment_address=None)

    # ---- validation ({field: message}, OpenCart 4.x en-gb wording, unprefixed keys)
    def validate_customer(self, c: CustomerIn) -> dict[str, str]:
        """Keys: warning, customer_group, firstname, lastname, email, telephone,
        custom_field<id>."""
        if c.customer_id and self.customer(c.customer_id) is None:
            return {"warning": MSG["customer_missing"]}
        errors: dict[str, str] = {}
        group_id = c.customer_group_id or self.settings.customer_group_id
        if self.customer_group(group_id) is None:
            errors["customer_group"] = MSG["customer_group"]
        if not 1 <= len(c.firstname) <= 32:
            errors["firstname"] = MSG["firstname"]
        if not 1 <= len(c.lastname) <= 32:
            errors["lastname"] = MSG["lastname"]
        if len(c.email) > 96 or not _EMAIL.match(c.email):
            errors["email"] = MSG["email"]
        if self.settings.telephone_required and not 3 <= len(c.telephone) <= 32:
            errors["telephone"] = MSG["telephone"]
        return errors

    def validate_address(self, a: AddressIn) -> dict[str, str]:
        """Keys: firstname, lastname, address_1, city, postcode, country, zone,
        custom_field<id>."""
        errors: dict[str, str] = {}
        if not 1 <= len(a.firstname) <= 32:
            errors["firstname"] = MSG["firstname"]
        if not 1 <= len(a.lastname) <= 32:
            errors["lastname"] = MSG["lastname"]
        if not 3 <= len(a.address_1) <= 128:
            errors["address_1"] = MSG["address_1"]
        if not 2 <= len(a.city) <= 128:
            errors["city"] = MSG["city"]
        country = self.country(a.country_id) if a.country_id else None
        if country is not None and country.postcode_required and not 2 <= len(a.postcode) <= 10:
            errors["postcode"] = MSG["postcode"]
        if country is None:
            errors["country"] = MSG["country"]
        elif country.zones and not a.zone_id:
            errors["zone"] = MSG["zone"]
        return errors

    # ---- cart
    def check_line(self, line: LineIn, ctx: PricingContext) -> dict[str, str]:
        """Errors OpenCart raises when adding one line: ``product`` (not found),
        ``option_<product_option_id>`` (unknown option/value, missing required option),
        ``subscription``."""
        return self.catalog.check_line(line, ctx)

    def products(self, lines: list[LineIn], ctx: PricingContext) -> list[CartProduct]:
        """Price lines (unknown products and quantity <= 0 lines are skipped; identical
        lines merge), in OpenCart's cart order (ascending product_id, then input order)."""
        return self.catalog.price_lines(lines, ctx)

    def cart_errors(self, products: list[CartProduct], *, check_minimum: bool) -> dict[int, dict[str, str]]:
        """Per line index: ``{"option_<id>": msg}`` for option stock, then ``{"product": msg}``
        for product stock (both unless stock checkout is allowed) or, when
        ``check_minimum``, the minimum quantity."""
        out: dict[int, dict[str, str]] = {}
        for p in products:
            errors = self.catalog.line_errors(
                p, check_minimum=check_minimum, stock_checkout=self.settings.stock_checkout
            )
            if errors:
                out[p.index] = errors
        return out

    def cart_weight(self, products: list[CartProduct]) -> float:
        """Weight of the shippable lines in the store weight class."""
        return _shipping.cart_weight(products, self._weight_classes, self.settings.weight_class_id)

    def needs_shipping(self, products: list[CartProduct]) -> bool:
        return any(p.shipping for p in products)

    def shipping_gap(self, products: list[CartProduct], address: AddressIn | AddressRef | None) -> str | None:
        """What stops a quote for this cart, in OpenCart's order of checks:
        ``"no_shipping"`` (nothing in it ships), ``"address"`` (no shipping address),
        or ``None`` (ask :meth:`shipping_methods`). Fronts word the answer."""
        if not self.needs_shipping(products):
            return "no_shipping"
        return "address" if address is None else None

    def has_subscription(self, products: list[CartProduct]) -> bool:
        return any(p.subscription is not None for p in products)

    def sub_total(self, products: list[CartProduct]) -> float:
        return _totals.sub_total(products)

    # ---- tax and money
    def with_tax(self, value: float, tax_class_id: int, ctx: PricingContext) -> float:
        """``tax->calculate`` with ``config_tax`` honoured (value unchanged when off)."""
        return _calculate(value, tax_class_id, ctx.rates, self.settings.tax)

    def format_money(self, value: float, currency: str | None = None) -> str:
        """``currency->format``: converted at the currency's value, rounded, with
        its symbol (``"$8.00"``, ``"96.66€"``); an unknown currency formats as the default."""
        cur = self.currency(currency) or self.currency(None)
        if cur is None:
            raise ValueError(f"default currency {self.settings.currency!r} is not defined")
        return _format_money(value, cur)

    # ---- quotes, totals, payment
    def shipping_methods(
        self,
        products: list[CartProduct],
        address: AddressIn | AddressRef,
        ctx: PricingContext,
        *,
        currency: str | None = None,
    ) -> list[ShippingMethod]:
        """Quotes of every enabled shipping extension for that destination, sorted by
        sort order; extensions without a quote are left out, and a cart that needs no
        shipping gets none (:meth:`shipping_gap` says why). Quote ``text`` is the cost
        with tax (``ctx``'s rates, when ``config_tax``) in ``currency``."""
        if not self.needs_shipping(products):
            return []
        q = _shipping.QuoteContext(
            products=products,
            address=_ref(address),
            sub_total=self.sub_total(products),
            weight=self.cart_weight(products),
            weight_class=self._weight_classes.get(self.settings.weight_class_id),
            typed_item=self.version >= (4, 0),
            weight_gap=" " if self.version >= (4, 1) else "  ",
            format_quote=lambda cost, tax_class_id: self.format_money(
                self.with_tax(cost, tax_class_id, ctx), currency
            ),
        )
        return _shipping.shipping_methods(self._shipping, self.geo, q)

    def check_coupon(self, code: str, products: list[CartProduct], *, customer_id: int = 0) -> str | None:
        """``None`` if the coupon applies, else OpenCart's warning message."""
        return _totals.coupon_problem(self._coupons.get(code), products, customer_id)

    def totals(
        self,
        products: list[CartProduct],
        ctx: PricingContext,
        *,
        shipping: ShippingChoice | None,
        coupon: str | None = None,
        reward: int | None = None,
        customer_id: int = 0,
    ) -> list[TotalLine]:
        """Enabled total extensions in sort order: sub_total, reward, shipping,
        coupon, one ``tax`` line per rate (titled with the rate name), credit, total.
        An inapplicable coupon or reward is ignored (check with :meth:`check_coupon`),
        and so is ``shipping`` when the cart needs none."""
        coupon_info = None
        if coupon and _totals.coupon_problem(self._coupons.get(coupon), products, customer_id) is None:
            coupon_info = self._coupons[coupon]
        state = _totals.TotalState(
            products=products,
            rates=ctx.rates,
            rate_names=self._rate_names,
            shipping=shipping,
            needs_shipping=self.needs_shipping(products),
            coupon=coupon_info,
            reward=reward,
            customer=self.customer(customer_id) if customer_id else None,
            fixed_tax=self.settings.fixed_tax,
        )
        return _totals.compute(self._totals, state)

    def payment_gaps(
        self,
        products: list[CartProduct],
        *,
        customer: bool,
        payment_address: AddressIn | AddressRef | None,
        shipping_address: AddressIn | AddressRef | None,
        shipping_method: ShippingChoice | None,
    ) -> tuple[str, ...]:
        """What a checkout still lacks before its payment methods can be listed, in
        OpenCart's order of checks: ``"customer"``, ``"payment_address"`` (only when
        ``config_checkout_payment_address`` is on), then ``"shipping_address"`` and
        ``"shipping_method"`` only if the cart needs shipping: a cart that ships nothing
        is offered the methods that need no shipping (bank transfer, cheque, …). Empty =
        ask :meth:`payment_methods`. Fronts word the gaps (4.1 reports the last one)."""
        gaps = []
        if not customer:
            gaps.append("customer")
        if self.settings.checkout_payment_address and payment_address is None:
            gaps.append("payment_address")
        if self.needs_shipping(products):
            if shipping_address is None:
                gaps.append("shipping_address")
            if shipping_method is None:
                gaps.append("shipping_method")
        return tuple(gaps)

    def payment_methods(
        self,
        products: list[CartProduct],
        totals: list[TotalLine],
        *,
        payment_address: AddressIn | AddressRef | None,
        shipping: ShippingChoice | None,
        ctx: PricingContext,
    ) -> list[PaymentMethod]:
        """Payment extensions offered for this cart, sorted by sort order (once
        :meth:`payment_gaps` is empty). The same rules for every front: cod only when the
        cart ships, free checkout at a total <= 0, geo zones tested on the payment address."""
        total = next((t.value for t in totals if t.code == "total"), self.sub_total(products))
        p = _payment.PaymentContext(
            total=total,
            needs_shipping=self.needs_shipping(products),
            has_subscription=self.has_subscription(products),
            payment_address=_ref(payment_address),
            version=self.version,
            checkout_payment_address=self.settings.checkout_payment_address,
        )
        return _payment.payment_methods(self._payment, self.geo, p)

    def commission(self, affiliate_id: int, products: list[CartProduct]) -> float | None:
        """The affiliate's commission on this cart (its percentage of the sub-total);
        ``None`` for no, an unknown or a disabled affiliate."""
        affiliate = self.affiliate(affiliate_id) if affiliate_id else None
        return None if affiliate is None else self.sub_total(products) / 100 * affiliate.commission

    def reward_points(self, products: list[CartProduct]) -> int:
        """Reward points the order earns (``points`` of 4.1's confirm response)."""
        return sum(p.reward for p in products)

    # ---- orders (thread-safe)
    def create_order(self, order: OrderIn) -> int:
        """Store a new order with the next id; its status is set through
        :meth:`add_history` semantics (stock subtracted on entering
        processing/complete). An order whose products need no shipping keeps no
        shipping address or method."""
        order_id = self._book.create(order)
        if order.order_status_id:  # a status-0 order is OpenCart's "missing order": created on its first status
            self._notify("order.created", order_id=order_id)
        return order_id

    def edit_order(self, order_id: int, order: OrderIn) -> bool:
        """Replace an order (4.1 ``confirm`` with ``order_id``): void history first if
        it had a status, then the new content, then the posted status. ``False`` if
        the order does not exist (nothing written)."""
        previous = self._status(order_id)
        done = self._book.edit(order_id, order)
        if done:
            self._notify("order.updated", order_id=order_id, previous_status_id=previous, comment="", notify=False)
        return done

    def add_history(
        self,
        order_id: int,
        order_status_id: int,
        comment: str = "",
        notify: bool = False,
        override: bool = False,
    ) -> bool:
        """``model_checkout_order->addHistory``; ``False`` if no such order."""
        previous = self._status(order_id)
        done = self._book.add_history(order_id, order_status_id, comment, notify, override)
        if done:
            kind = "order.created" if not previous else "order.updated"  # OpenCart: an order exists from its first status
            self._notify(kind, order_id=order_id, previous_status_id=previous, comment=comment, notify=bool(notify))
        return done

    def order(self, order_id: int) -> Order | None:
        return self._book.get(order_id)

    def orders(self) -> list[Order]:
        return self._book.all()
