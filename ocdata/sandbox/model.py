"""Store description: the data an embedded sandbox store is made of.

A store description is plain data (loaded from YAML by :mod:`ocdata.sandbox.storefile`)
that mirrors OpenCart's own tables and settings, with OpenCart's ids everywhere
(products, options, option values, tax classes/rates/rules, geo zones, customer
groups, order statuses, countries, zones). The engine (:mod:`ocdata.sandbox.engine`)
prices carts against it exactly the way the OpenCart version named in
``settings.version`` does.

Extension settings (``shipping``, ``payment``, ``totals``) are kept as OpenCart stores
them in ``oc_setting`` — string values keyed without the ``<type>_<code>_`` prefix —
because their PHP types leak into API responses (flat cost ``"5.00"`` vs item cost
``7.5``). The YAML format itself is documented in :mod:`ocdata.sandbox.storefile`.

All dataclasses here are immutable; the only mutable store state (stock, orders)
lives in the engine.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

#: Discount models. ``unified`` = OpenCart 4.1 (one ``product_discount`` table with
#: F/S/P types, specials flagged, largest quantity <= line quantity wins);
#: ``classic`` = OpenCart 3.0/4.0 (``product_special`` beats ``product_discount``,
#: both fixed unit prices).
DISCOUNT_MODELS = ("unified", "classic")
#: Which amount a fixed-amount (F) tax rate is charged on: ``line`` = once per cart line
#: (OpenCart 4.1 taxes the line total), ``unit`` = once per unit (3.0/4.0 tax the unit
#: price and multiply by quantity).
FIXED_TAX_MODES = ("line", "unit")
OPTION_TYPES = ("select", "radio", "checkbox", "text", "textarea", "file", "date", "time", "datetime")
#: Option types whose values come from ``values`` (the others carry free text).
CHOICE_OPTION_TYPES = ("select", "radio", "checkbox")


@dataclass(frozen=True)
class Settings:
    """The ``config_*`` settings that change pricing, checkout or orders."""

    version: str = "4.1.0.4"  # OpenCart version whose semantics apply
    name: str = "Your Store"
    country_id: int = 222  # store address (tax rules "based on store", and 4.1 one-off API calls)
    zone_id: int = 3563
    currency: str = "USD"  # default currency: every numeric amount is in it
    language_id: int = 1
    tax: bool = True  # display prices with tax (``*_text`` fields, quote ``text``)
    tax_default: str = "shipping"  # address used for tax before a customer logs in: shipping|payment|""
    tax_customer: str = "shipping"  # address used for a logged-in customer's tax: shipping|payment|""
    customer_group_id: int = 1
    customer_group_display: tuple[int, ...] = (1,)
    checkout_guest: bool = True
    checkout_payment_address: bool = False
    telephone_required: bool = False
    stock_checkout: bool = False  # True = allow checkout beyond stock
    order_status_id: int = 1
    processing_status: tuple[int, ...] = (5, 1, 2, 12, 3)
    complete_status: tuple[int, ...] = (5, 3)
    void_status_id: int = 16
    fraud_status_id: int = 8
    weight_class_id: int = 1
    length_class_id: int = 1
    discount_model: str = "unified"
    fixed_tax: str = "line"
    next_order_id: int = 1


@dataclass(frozen=True)
class Currency:
    currency_id: int
    code: str
    title: str
    symbol_left: str
    symbol_right: str
    decimal_place: int
    value: float
    status: bool = True


@dataclass(frozen=True)
class WeightClass:
    """``value`` is units per one unit of the default class (kg = 1, g = 1000)."""

    weight_class_id: int
    title: str
    unit: str
    value: float


@dataclass(frozen=True)
class Zone:
    zone_id: int
    country_id: int
    code: str
    name: str
    status: bool = True


@dataclass(frozen=True)
class Country:
    country_id: int
    name: str
    iso_code_2: str
    iso_code_3: str
    address_format_id: int = 1
    postcode_required: bool = False
    status: bool = True
    zones: tuple[Zone, ...] = ()
    address_format: str = ""  # 3.0/4.0 keep the format text on the country


@dataclass(frozen=True)
class GeoZone:
    """``members`` are ``(country_id, zone_id)`` pairs; zone 0 = the whole country."""

    geo_zone_id: int
    name: str
    description: str = ""
    members: tuple[tuple[int, int], ...] = ()


@dataclass(frozen=True)
class TaxRate:
    """``type`` P = percent of the amount, F = fixed amount."""

    tax_rate_id: int
    geo_zone_id: int
    name: str
    rate: float
    type: str
    customer_group_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class TaxRule:
    """``based`` = which address is matched against the rate's geo zone: shipping|payment|store."""

    tax_rule_id: int
    tax_rate_id: int
    based: str
    priority: int = 0


@dataclass(frozen=True)
class TaxClass:
    tax_class_id: int
    title: str
    description: str = ""
    rules: tuple[TaxRule, ...] = ()


@dataclass(frozen=True)
class CustomerGroup:
    customer_group_id: int
    name: str
    description: str = ""
    approval: bool = False
    sort_order: int = 0


@dataclass(frozen=True)
class Address:
    address_id: int
    firstname: str
    lastname: str
    address_1: str
    city: str
    country_id: int
    zone_id: int
    company: str = ""
    address_2: str = ""
    postcode: str = ""
    custom_field: dict[str, Any] = field(default_factory=dict)
    default: bool = False


@dataclass(frozen=True)
class Customer:
    customer_id: int
    customer_group_id: int
    firstname: str
    lastname: str
    email: str
    telephone: str = ""
    status: bool = True
    reward_points: int = 0  # balance available to redeem (reward total)
    credit: float = 0.0  # store credit balance (credit total)
    custom_field: dict[str, Any] = field(default_factory=dict)
    addresses: tuple[Address, ...] = ()


@dataclass(frozen=True)
class Affiliate:
    customer_id: int
    name: str
    commission: float = 5.0  # percent of the order sub-total
    status: bool = True


@dataclass(frozen=True)
class OptionValue:
    """One choice of a select/radio/checkbox option; ``*_prefix`` is ``+`` or ``-``."""

    product_option_value_id: int
    option_value_id: int
    name: str
    quantity: int = 0
    subtract: bool = False
    price: float = 0.0
    price_prefix: str = "+"
    points: int = 0
    points_prefix: str = "+"
    weight: float = 0.0
    weight_prefix: str = "+"


@dataclass(frozen=True)
class ProductOption:
    product_option_id: int
    option_id: int
    name: str  # stored HTML-escaped, as OpenCart returns it
    type: str
    required: bool = False
    value: str = ""  # default text for text-like options
    values: tuple[OptionValue, ...] = ()


@dataclass(frozen=True)
class Discount:
    """A price row.

    ``unified`` stores (4.1) keep specials and quantity breaks in one table: ``type``
    F = fixed unit price, S = subtract from the price, P = percent off (base + options);
    ``special`` only marks a row. ``classic`` stores (3.0/4.0) use ``Product.specials``
    (quantity ignored) and ``Product.discounts`` (quantity breaks), both type F.
    Empty dates mean "always".
    """

    customer_group_id: int
    price: float
    quantity: int = 1
    priority: int = 1
    type: str = "F"
    special: bool = False
    product_discount_id: int = 0
    date_start: str = ""
    date_end: str = ""


@dataclass(frozen=True)
class SubscriptionPlan:
    subscription_plan_id: int
    name: str
    frequency: str = "month"  # day|week|semi_month|month|year
    cycle: int = 1
    duration: int = 0  # 0 = until cancelled
    trial_frequency: str = "day"
    trial_cycle: int = 0
    trial_duration: int = 0
    trial_status: bool = False
    status: bool = True


@dataclass(frozen=True)
class ProductSubscription:
    """Links a product to a plan for a customer group, with the plan's prices."""

    subscription_plan_id: int
    customer_group_id: int
    price: float = 0.0
    trial_price: float = 0.0


@dataclass(frozen=True)
class Product:
    """A catalog product.

    ``record`` holds the remaining ``oc_product``/``oc_product_description`` columns
    exactly as PHP returns them (strings: ``image``, ``sku``, ``description``,
    ``date_added`` ...); fronts merge it into product rows. ``quantity`` is the stock
    at load time (the engine tracks the live value). ``rewards`` maps customer group
    to reward points earned per unit.
    """

    product_id: int
    name: str
    model: str
    price: float
    tax_class_id: int = 0
    weight: float = 0.0
    weight_class_id: int = 1
    quantity: int = 0
    minimum: int = 1
    subtract: bool = True
    shipping: bool = True
    points: int = 0
    status: bool = True
    rewards: dict[int, int] = field(default_factory=dict)
    options: tuple[ProductOption, ...] = ()
    discounts: tuple[Discount, ...] = ()
    specials: tuple[Discount, ...] = ()
    subscriptions: tuple[ProductSubscription, ...] = ()
    record: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Extension:
    """An installed shipping/payment/total extension.

    ``settings`` are its ``oc_setting`` rows without the ``<type>_<code>_`` prefix, as
    strings (``{"cost": "5.00", "tax_class_id": "9", "geo_zone_id": "0"}``); ``status``
    and ``sort_order`` are lifted out. ``text`` overrides language strings
    (``heading_title``, ``text_description``, ``text_weight`` ...).
    """

    code: str
    status: bool = True
    sort_order: str = "0"
    settings: dict[str, str] = field(default_factory=dict)
    text: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Coupon:
    """OpenCart coupon: ``type`` P = percent of the eligible sub-total, F = fixed."""

    coupon_id: int
    name: str
    code: str
    type: str = "P"
    discount: float = 0.0
    total: float = 0.0  # minimum cart sub-total
    logged: bool = False
    shipping: bool = False  # also makes shipping free
    date_start: str = ""
    date_end: str = ""
    uses_total: int = 0
    uses_customer: int = 0
    status: bool = True
    product_ids: tuple[int, ...] = ()  # empty = every product


@dataclass(frozen=True)
class OrderStatus:
    order_status_id: int
    name: str


@dataclass(frozen=True)
class StoreConfig:
    """A complete store description (see :mod:`ocdata.sandbox.storefile` for the YAML)."""

    key: str
    settings: Settings
    currencies: tuple[Currency, ...]
    weight_classes: tuple[WeightClass, ...]
    countries: tuple[Country, ...]
    geo_zones: tuple[GeoZone, ...] = ()
    tax_rates: tuple[TaxRate, ...] = ()
    tax_classes: tuple[TaxClass, ...] = ()
    customer_groups: tuple[CustomerGroup, ...] = ()
    customers: tuple[Customer, ...] = ()
    affiliates: tuple[Affiliate, ...] = ()
    products: tuple[Product, ...] = ()
    subscription_plans: tuple[SubscriptionPlan, ...] = ()
    shipping: tuple[Extension, ...] = ()
    payment: tuple[Extension, ...] = ()
    totals: tuple[Extension, ...] = ()
    coupons: tuple[Coupon, ...] = ()
    order_statuses: tuple[OrderStatus, ...] = ()
    description: str = ""
    #: packaged OpenCart release whose countries and zones the store has (``installdata``)
    geography: str = ""
    #: packaged release whose demo products the store starts from ("" = none)
    demo_data: str = ""
    #: the fronts the sandbox serves this store with by default (empty: decided by ``settings.version``)
    dialects: tuple[str, ...] = ()
