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

from dataclasses import dataclass, field
from typing import Any

from ocdata.sandbox.model import (
    Address,
    Affiliate,
    Country,
    Currency,
    Customer,
    CustomerGroup,
    Product,
    StoreConfig,
    Zone,
)

# --------------------------------------------------------------------------- inputs


@dataclass(frozen=True)
class AddressRef:
    """Where a tax rule or geo zone test looks: a country and a zone (0 = none)."""

    country_id: int
    zone_id: int = 0


@dataclass
class CustomerIn:
    """Customer fields as posted (strings already cleaned by the front)."""

    customer_id: int = 0
    customer_group_id: int = 0  # 0 = store default group
    firstname: str = ""
    lastname: str = ""
    email: str = ""
    telephone: str = ""
    custom_field: dict[str, Any] = field(default_factory=dict)


@dataclass
class AddressIn:
    """An address as posted; ``address_id`` refers to a saved address of the customer."""

    firstname: str = ""
    lastname: str = ""
    company: str = ""
    address_1: str = ""
    address_2: str = ""
    city: str = ""
    postcode: str = ""
    country_id: int = 0
    zone_id: int = 0
    address_id: int = 0
    custom_field: dict[str, Any] = field(default_factory=dict)

    def ref(self) -> AddressRef:
        return AddressRef(self.country_id, self.zone_id)


@dataclass
class LineIn:
    """One cart line: ``option`` maps product_option_id to a value id / text, or a
    list of value ids for checkboxes (values as posted, i.e. strings)."""

    product_id: int
    quantity: int = 1
    option: dict[int, str | list[str]] = field(default_factory=dict)
    subscription_plan_id: int = 0


@dataclass(frozen=True)
class ShippingChoice:
    """A shipping method as posted back (trusted, like 4.1 does)."""

    code: str
    name: str
    cost: float
    tax_class_id: int


@dataclass(frozen=True)
class PaymentChoice:
    code: str
    name: str


@dataclass
class OrderIn:
    """Everything an order is created from (what 4.1's ``confirm`` collects)."""

    customer: CustomerIn
    products: list[CartProduct]
    totals: list[TotalLine]
    payment_address: AddressIn | None = None
    shipping_address: AddressIn | None = None
    shipping_method: ShippingChoice | None = None
    payment_method: PaymentChoice | None = None
    comment: str = ""
    affiliate_id: int = 0
    commission: float = 0.0
    order_status_id: int = 0
    store_id: int = 0
    language_id: int = 1
    currency: str = ""  # "" = store default
    ip: str = ""
    forwarded_ip: str = ""
    user_agent: str = ""
    accept_language: str = ""


# --------------------------------------------------------------------------- outputs


@dataclass(frozen=True)
class PricingContext:
    """Who is buying and which addresses tax rules use.

    Build it with :meth:`Engine.context`; it carries the tax rates resolved for
    these addresses and group, so pricing with it is lookups only.
    """

    customer_group_id: int
    shipping_address: AddressRef | None
    payment_address: AddressRef | None
    store_address: AddressRef
    # tax_class_id -> [(tax_rate_id, name, rate, type, priority)] in OpenCart's order
    rates: dict[int, tuple[tuple[int, str, float, str, int], ...]] = field(
        default_factory=dict, repr=False, compare=False
    )


@dataclass(frozen=True)
class CartOption:
    """One chosen option of a cart line, with the keys OpenCart's cart returns."""

    product_option_id: int
    product_option_value_id: int  # 0 for text-like options
    option_id: int
    option_value_id: int  # 0 for text-like options
    name: str
    value: str  # value name, or the (normalised) text
    type: str
    quantity: int = 0  # option value stock (0 for text-like)
    subtract: bool = False
    price: float = 0.0
    price_prefix: str = "+"
    points: int = 0
    points_prefix: str = "+"
    weight: float = 0.0
    weight_prefix: str = "+"


@dataclass(frozen=True)
class CartSubscription:
    """The subscription plan of a cart line, priced for its group."""

    subscription_plan_id: int
    name: str
    frequency: str
    cycle: int
    duration: int
    price: float
    trial_price: float
    trial_frequency: str
    trial_cycle: int
    trial_duration: int
    trial_status: bool


@dataclass(frozen=True)
class CartProduct:
    """A priced cart line (OpenCart's ``cart->getProducts()`` element).

    ``price`` is the ex-tax unit price (discounts/specials and option prices applied),
    ``total`` = price × quantity, ``weight`` = (product + option weights) × quantity in
    the product's own weight class, ``reward``/``points`` are line totals.
    ``stock`` is the live product stock; ``stock_status`` is False when the line
    (or one of its subtracting option values) asks for more than is in stock;
    ``minimum_status`` is False below the product minimum. ``product`` is the
    catalog record (``product.record`` has the remaining DB columns).
    """

    index: int  # position of the line in the input list
    product_id: int
    name: str
    model: str
    quantity: int
    options: tuple[CartOption, ...]
    subscription_plan_id: int
    subscription: CartSubscription | None
    price: float
    total: float
    reward: int
    points: int
    weight: float
    weight_class_id: int
    tax_class_id: int
    shipping: bool
    subtract: bool
    minimum: int
    stock: int
    stock_status: bool
    minimum_status: bool
    product: Product = field(repr=False, compare=False)


@dataclass(frozen=True)
class ShippingQuote:
    """One quote. ``cost``/``tax_class_id`` are numbers; ``cost_raw``/
    ``tax_class_id_raw`` keep the PHP-typed values the API serialises (flat:
    ``"5.00"``/``"9"``; item: ``7.5``/``9``; free/pickup: ``0``/``0``)."""

    code: str  # "flat.flat", "weight.weight_4"
    name: str
    cost: float
    tax_class_id: int
    text: str  # cost with tax (when config_tax) formatted in the requested currency
    cost_raw: Any
    tax_class_id_raw: Any


@dataclass(frozen=True)
class ShippingMethod:
    """An extension's quotes. ``sort_order_raw`` is the setting string (``"1"``)."""

    code: str
    name: str
    quotes: tuple[ShippingQuote, ...]
    sort_order: int
    sort_order_raw: str
    error: str | bool = False


@dataclass(frozen=True)
class PaymentMethod:
    """An offered payment extension; ``options`` are ``(code, name)`` pairs
    (``("cod.cod", "Cash On Delivery")``)."""

    code: str
    name: str
    options: tuple[tuple[str, str], ...]
    sort_order: int
    sort_order_raw: str
    terms: str = ""


@dataclass(frozen=True)
class TotalLine:
    """One order total line (value in the default currency, unrounded)."""

    code: str
    title: str
    value: float
    sort_order: int
    extension: str = "opencart"


@dataclass(frozen=True)
class OrderHistory:
    order_status_id: int
    comment: str
    notify: bool
    date_added: str


@dataclass
class Order:
    """A stored order (a snapshot copy; mutating it does not change the store)."""

    order_id: int
    order_status_id: int
    customer: CustomerIn
    products: list[CartProduct]
    totals: list[TotalLine]
    total: float
    payment_address: AddressIn | None
    shipping_address: AddressIn | None
    shipping_method: ShippingChoice | None
    payment_method: PaymentChoice | None
    comment: str
    affiliate_id: int
    commission: float
    currency: str
    currency_value: float
    store_id: int
    language_id: int
    ip: str
    forwarded_ip: str
    user_agent: str
    accept_language: str
    date_added: str
    date_modified: str
    history: list[OrderHistory] = field(default_factory=list)
    stock_subtracted: bool = False


# --------------------------------------------------------------------------- facade


class Engine:
    """One store's OpenCart semantics over a :class:`StoreConfig`."""

    def __init__(self, store: StoreConfig) -> None:
        self.store = store
        raise NotImplementedError

    # ---- lookups
    def country(self, country_id: int) -> Country | None:
        """The country with its zones, or ``None`` if unknown."""
        raise NotImplementedError

    def countries(self) -> list[Country]:
        """Every country, sorted by name."""
        raise NotImplementedError

    def zone(self, zone_id: int) -> Zone | None:
        raise NotImplementedError

    def in_geo_zone(self, geo_zone_id: int, address: AddressRef) -> bool:
        """OpenCart's ``zone_to_geo_zone`` test (zone 0 members cover the country)."""
        raise NotImplementedError

    def product(self, product_id: int) -> Product | None:
        """An enabled product, or ``None``."""
        raise NotImplementedError

    def stock(self, product_id: int) -> int:
        """Live stock of a product (after orders subtracted it)."""
        raise NotImplementedError

    def option_stock(self, product_option_value_id: int) -> int:
        raise NotImplementedError

    def customer(self, customer_id: int) -> Customer | None:
        raise NotImplementedError

    def customer_address(self, customer_id: int, address_id: int) -> Address | None:
        raise NotImplementedError

    def customer_group(self, customer_group_id: int) -> CustomerGroup | None:
        raise NotImplementedError

    def affiliate(self, affiliate_id: int) -> Affiliate | None:
        raise NotImplementedError

    def currency(self, code: str | None = None) -> Currency | None:
        """An enabled currency (``None`` = the default one)."""
        raise NotImplementedError

    def order_status_name(self, order_status_id: int) -> str | None:
        raise NotImplementedError

    # ---- pricing context
    def store_address(self) -> AddressRef:
        """(country_id, zone_id) of the store (``config_country_id``/``config_zone_id``)."""
        raise NotImplementedError

    def context(
        self,
        *,
        customer_group_id: int | None,
        tax_shipping_address: AddressRef | None,
        tax_payment_address: AddressRef | None,
    ) -> PricingContext:
        """Pricing context for a group (``None``/0 = store default) and tax addresses
        (``None`` = not set: rules based on that address then match nothing)."""
        raise NotImplementedError

    def default_context(self) -> PricingContext:
        """What OpenCart primes from an empty session: default group, store address
        as the ``config_tax_default`` address."""
        raise NotImplementedError

    # ---- validation ({field: message}, OpenCart 4.x en-gb wording, unprefixed keys)
    def validate_customer(self, c: CustomerIn) -> dict[str, str]:
        """Keys: warning, customer_group, firstname, lastname, email, telephone,
        custom_field<id>."""
        raise NotImplementedError

    def validate_address(self, a: AddressIn) -> dict[str, str]:
        """Keys: firstname, lastname, address_1, city, postcode, country, zone,
        custom_field<id>."""
        raise NotImplementedError

    # ---- cart
    def check_line(self, line: LineIn, ctx: PricingContext) -> dict[str, str]:
        """Errors OpenCart raises when adding one line: ``product`` (not found),
        ``option_<product_option_id>`` (required / invalid value), ``subscription``."""
        raise NotImplementedError

    def products(self, lines: list[LineIn], ctx: PricingContext) -> list[CartProduct]:
        """Price lines (unknown products and quantity <= 0 lines are skipped),
        in OpenCart's cart order (ascending product_id, then input order)."""
        raise NotImplementedError

    def cart_errors(self, products: list[CartProduct], *, check_minimum: bool) -> dict[int, dict[str, str]]:
        """Per line index: ``{"product": msg}`` for stock (unless stock checkout is
        allowed) or minimum (when ``check_minimum``), ``{"option_<id>": msg}`` for
        option stock."""
        raise NotImplementedError

    def cart_weight(self, products: list[CartProduct]) -> float:
        """Weight of the shippable lines in the store weight class."""
        raise NotImplementedError

    def needs_shipping(self, products: list[CartProduct]) -> bool:
        raise NotImplementedError

    def has_subscription(self, products: list[CartProduct]) -> bool:
        raise NotImplementedError

    def sub_total(self, products: list[CartProduct]) -> float:
        raise NotImplementedError

    # ---- tax and money
    def with_tax(self, value: float, tax_class_id: int, ctx: PricingContext) -> float:
        """``tax->calculate`` with ``config_tax`` honoured (value unchanged when off)."""
        raise NotImplementedError

    def tax_rates(self, value: float, tax_class_id: int, ctx: PricingContext) -> dict[int, float]:
        """``tax->getRates``: tax_rate_id -> amount for one ``value``."""
        raise NotImplementedError

    def format_money(self, value: float, currency: str | None = None) -> str:
        """``currency->format``: converted at the currency's value, rounded, with
        its symbol (``"$8.00"``, ``"96.66€"``)."""
        raise NotImplementedError

    def convert(self, value: float, from_code: str, to_code: str) -> float:
        raise NotImplementedError

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
        sort order; extensions without a quote are left out."""
        raise NotImplementedError

    def check_coupon(self, code: str, products: list[CartProduct], *, customer_id: int = 0) -> str | None:
        """``None`` if the coupon applies, else OpenCart's warning message."""
        raise NotImplementedError

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
        coupon, one ``tax`` line per rate (titled with the rate name), total."""
        raise NotImplementedError

    def payment_methods(
        self,
        products: list[CartProduct],
        totals: list[TotalLine],
        *,
        payment_address: AddressIn | AddressRef | None,
        shipping: ShippingChoice | None,
        ctx: PricingContext,
    ) -> list[PaymentMethod]:
        """Payment extensions offered for this cart, sorted by sort order."""
        raise NotImplementedError

    def reward_points(self, products: list[CartProduct]) -> int:
        """Reward points the order earns (``points`` of 4.1's confirm response)."""
        raise NotImplementedError

    # ---- orders (thread-safe)
    def create_order(self, order: OrderIn) -> int:
        """Store a new order with the next id; its status is set through
        :meth:`add_history` semantics (stock subtracted on entering
        processing/complete)."""
        raise NotImplementedError

    def edit_order(self, order_id: int, order: OrderIn) -> bool:
        """Replace an order (4.1 ``confirm`` with ``order_id``): void history first if
        it had a status, then the new content, then the posted status. ``False`` if
        the order does not exist (nothing written)."""
        raise NotImplementedError

    def add_history(
        self,
        order_id: int,
        order_status_id: int,
        comment: str = "",
        notify: bool = False,
        override: bool = False,
    ) -> bool:
        """``model_checkout_order->addHistory``; ``False`` if no such order."""
        raise NotImplementedError

    def order(self, order_id: int) -> Order | None:
        raise NotImplementedError

    def orders(self) -> list[Order]:
        raise NotImplementedError
