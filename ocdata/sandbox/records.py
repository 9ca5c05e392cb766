"""Plain records the engine takes and returns (re-exported by :mod:`ocdata.sandbox.engine`).

Inputs are filled by dialect fronts from wire fields; outputs carry numbers as PHP
floats plus, where OpenCart leaks PHP types into JSON, the raw typed value.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ocdata._php import php_int
from ocdata.sandbox.model import Address, Customer, Product, TaxRate


def posted_text(value: Any) -> str:
    """A posted scalar as a string; an array posted where text belongs reads as empty."""
    return value if isinstance(value, str) else ""


def posted_array(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


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

    @classmethod
    def posted(cls, form: dict[str, Any]) -> CustomerIn:
        """The customer fields of a cleaned POST (``customer_id``, ``firstname``, …)."""
        return cls(php_int(form.get("customer_id", 0)), php_int(form.get("customer_group_id", 0)),
                   posted_text(form.get("firstname")), posted_text(form.get("lastname")), posted_text(form.get("email")),
                   posted_text(form.get("telephone")), posted_array(form.get("custom_field")))

    @classmethod
    def of(cls, c: Customer) -> CustomerIn:
        """A registered customer as a session holds them once logged in."""
        return cls(c.customer_id, c.customer_group_id, c.firstname, c.lastname, c.email, c.telephone,
                   dict(c.custom_field))


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

    @classmethod
    def posted(cls, form: dict[str, Any], prefix: str, *, with_id: bool = False) -> AddressIn:
        """The ``<prefix>*`` address fields of a cleaned POST (``shipping_city``, …);
        ``with_id`` also reads ``<prefix>address_id``."""
        def text(name: str) -> str:
            return posted_text(form.get(prefix + name))

        return cls(text("firstname"), text("lastname"), text("company"), text("address_1"), text("address_2"),
                   text("city"), text("postcode"), php_int(form.get(prefix + "country_id", 0)),
                   php_int(form.get(prefix + "zone_id", 0)),
                   php_int(form.get(prefix + "address_id", 0)) if with_id else 0,
                   posted_array(form.get(prefix + "custom_field")))

    @classmethod
    def of(cls, a: Address) -> AddressIn:
        """A customer's saved address as if it had been posted (selected by ``address_id``)."""
        return cls(a.firstname, a.lastname, a.company, a.address_1, a.address_2, a.city, a.postcode,
                   a.country_id, a.zone_id, a.address_id, dict(a.custom_field))

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
    # tax_class_id -> the rates that apply, in OpenCart's order (rule priority)
    rates: dict[int, tuple[TaxRate, ...]] = field(default_factory=dict, repr=False, compare=False)


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
