"""Domain models: what a store answers, independent of the wire dialect that carried it.

Inputs (:class:`Customer`, :class:`Address`, :class:`CartLine`, :class:`OrderDraft`,
:class:`SubscriptionDraft`) are frozen, so a draft can be shared between threads and
compared with the snapshot a session dialect keeps. Derive changed drafts with
``draft.model_copy(update={...})`` or the ``with_*`` helpers.

Outputs hold money as :class:`~decimal.Decimal` rounded to the currency's decimals
(see :func:`money`), text HTML-unescaped, lists in a stable order, and ``.raw``: the
dialect's raw answer with secrets removed (excluded from ``repr`` and from dumps).
"""

from __future__ import annotations

import html
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ocdata._php import pre_round

__all__ = [
    "money",
    "text",
    "Customer",
    "Address",
    "CartLine",
    "OrderDraft",
    "SubscriptionDraft",
    "SelectedOption",
    "CartProduct",
    "TotalLine",
    "ShippingQuote",
    "PaymentMethod",
    "Cart",
    "QuoteOption",
    "Quote",
    "OrderResult",
    "Zone",
    "Country",
    "PricingMode",
]

PricingMode = Literal["api", "storefront", "session"]
"""How prices were obtained: oc41 one-off calls (``api``), oc41 cookie-carrying calls
(``storefront``), or a session dialect (``session``: spec, oc40, oc30)."""


def money(value: Any, decimals: int = 2) -> Decimal | None:
    """A store amount as ``Decimal`` rounded half-up to ``decimals`` places.

    Accepts what stores send: ints, PHP floats (``57.599999999999994`` -> ``57.60``),
    numeric strings (``"5.00"``). ``None``/``""`` give ``None``; anything else (``"abc"``,
    ``Infinity``, ``NaN``, ``1e400``) raises ``ValueError``.

    Rounds as the store's own ``round()`` does (PHP 8.2 and earlier): first to 15 significant
    digits, then half-up, so float noise below that (``53.294999999999995``, a tax a real 4.1.0.4
    store sent for a line its checkout showed as 53.30) rounds the way the store's text does.
    """
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        # repr() of a float is the shortest string that round-trips, i.e. what PHP json_encode printed
        amount = Decimal(repr(value)) if isinstance(value, float) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError, TypeError) as exc:
        raise ValueError(f"not an amount: {str(value)[:40]!r}") from exc
    if not amount.is_finite():
        raise ValueError(f"not an amount: {str(value)[:40]!r}")
    quantum = _QUANTA.get(decimals)
    if quantum is None:
        quantum = _QUANTA.setdefault(decimals, Decimal(1).scaleb(-decimals))
    try:
        return pre_round(amount).quantize(quantum, rounding=ROUND_HALF_UP)
    except InvalidOperation as exc:  # more digits than a Decimal holds (1e400)
        raise ValueError(f"not an amount: {str(value)[:40]!r}") from exc


# decimals -> Decimal("0.01")-style quantum; every amount of every answer is rounded with one
_QUANTA: dict[int, Decimal] = {}


def text(value: Any) -> str:
    """A store string, HTML-unescaped (stores send ``Apple Cinema 30&quot;``)."""
    if value is None:
        return ""
    return html.unescape(str(value))


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class _Answer(BaseModel):
    """Base of everything parsed from a store answer."""

    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)

    raw: Any = Field(default=None, repr=False, exclude=True)


# --------------------------------------------------------------------------- inputs


class Customer(_Model):
    """Who is ordering. ``customer_id=0`` is a guest; ``customer_group_id=0`` is the store default."""

    customer_id: int = 0
    customer_group_id: int = 0
    firstname: str
    lastname: str
    email: str
    telephone: str = ""
    custom_field: dict[str, str] = Field(default_factory=dict)


class Address(_Model):
    """A postal address, given by store ids (``country_id``/``zone_id``) or ISO codes.

    ``country`` is an ISO 3166 alpha-2 or alpha-3 code (``"US"``), ``zone`` the store's
    zone code (``"CA"``) or exact zone name. A :class:`~ocdata.client.store.Store`
    resolves codes to that store's ids before sending (``resolved`` is True after that).
    ``address_id`` refers to a customer's saved address (subscriptions, session dialects).
    """

    firstname: str = ""
    lastname: str = ""
    company: str = ""
    address_1: str = ""
    address_2: str = ""
    city: str = ""
    postcode: str = ""
    country_id: int | None = None
    zone_id: int | None = None
    country: str | None = None
    zone: str | None = None
    address_id: int = 0
    custom_field: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _country_given(self) -> "Address":
        if self.country_id is None and not self.country:
            raise ValueError("an Address needs country_id or an ISO country code (country='US')")
        return self

    @property
    def resolved(self) -> bool:
        """True when the store ids are known (``zone_id`` 0 means a country without zones)."""
        return self.country_id is not None and (self.zone_id is not None or not self.zone)


class CartLine(_Model):
    """One product line: options map ``product_option_id`` to a value id, a text, or value ids (checkbox)."""

    product_id: int
    quantity: int = 1
    options: dict[int, Union[int, str, list[int]]] = Field(default_factory=dict)
    subscription_plan_id: int | None = None


class OrderDraft(_Model):
    """The whole state of an order being built: the single source of truth for every call.

    ``shipping_method`` is a quote code (``"flat.flat"``) or a :class:`ShippingQuote`;
    ``payment_method`` a code (``"cod.cod"``) or a :class:`PaymentMethod`.
    ``order_id`` set means "edit this existing order" on confirm. Without a
    ``payment_address`` every dialect sends the shipping address as the payment address.
    """

    customer: Customer | None = None
    lines: tuple[CartLine, ...] = ()
    payment_address: Address | None = None
    shipping_address: Address | None = None
    shipping_method: Union[str, "ShippingQuote", None] = None
    payment_method: Union[str, "PaymentMethod", None] = None
    affiliate_id: int | None = None
    comment: str = ""
    coupon: str | None = None
    order_id: int | None = None

    def with_shipping(self, method: Union[str, "ShippingQuote", None]) -> "OrderDraft":
        return self.model_copy(update={"shipping_method": method})

    def with_payment(self, method: Union[str, "PaymentMethod", None]) -> "OrderDraft":
        return self.model_copy(update={"payment_method": method})

    def with_addresses(self, shipping: Address | None, payment: Address | None = None) -> "OrderDraft":
        """Set the shipping address and (default: the same) payment address."""
        return self.model_copy(update={"shipping_address": shipping, "payment_address": payment or shipping})

    @property
    def shipping_code(self) -> str | None:
        m = self.shipping_method
        return m.code if isinstance(m, ShippingQuote) else m

    @property
    def payment_code(self) -> str | None:
        m = self.payment_method
        return m.code if isinstance(m, PaymentMethod) else m


class SubscriptionDraft(_Model):
    """A subscription order: registered customer and saved address ids only (OpenCart's rule)."""

    customer_id: int
    payment_address_id: int = 0
    shipping_address_id: int = 0
    lines: tuple[CartLine, ...] = ()
    shipping_method: Union[str, "ShippingQuote", None] = None
    payment_method: Union[str, "PaymentMethod", None] = None
    subscription_plan_id: int | None = None
    subscription_id: int | None = None


# --------------------------------------------------------------------------- answers


class SelectedOption(_Answer):
    product_option_id: int
    product_option_value_id: int = 0
    name: str
    value: str
    type: str = ""


class CartProduct(_Answer):
    """A priced cart line. ``price``/``total`` are ex-tax when the dialect reports numbers;
    ``price_text``/``total_text`` are the store's formatted strings (incl. tax when the store displays so)."""

    product_id: int
    name: str
    model: str = ""
    quantity: int
    options: tuple[SelectedOption, ...] = ()
    price: Decimal | None = None
    total: Decimal | None = None
    price_text: str | None = None
    total_text: str | None = None
    in_stock: bool | None = None
    minimum_ok: bool | None = None
    reward: int | None = None
    points: int | None = None
    weight: Decimal | None = None
    shipping: bool | None = None
    tax_class_id: int | None = None
    subscription_plan_id: int | None = None


class TotalLine(_Answer):
    """One order-total line (``sub_total``, ``shipping``, ``tax`` (one per rate), ``coupon``, ``total``…)."""

    code: str
    title: str
    value: Decimal | None
    sort_order: int
    text: str | None = None


class ShippingQuote(_Answer):
    """One shippable option: ``code`` (``weight.weight_4``) is what goes back to the store."""

    method_code: str
    code: str
    name: str
    method_name: str = ""
    cost: Decimal
    tax_class_id: int = 0
    text: str = ""
    sort_order: int = 0


class PaymentMethod(_Answer):
    """A payment option: ``code`` (``cod.cod``) is what goes back to the store."""

    code: str
    name: str
    method_code: str = ""
    method_name: str = ""
    sort_order: int = 0


class Cart(_Answer):
    products: tuple[CartProduct, ...]
    totals: tuple[TotalLine, ...] = ()
    shipping_required: bool | None = None
    pricing: PricingMode = "api"
    dialect: str = ""
    warnings: tuple[str, ...] = ()

    @property
    def total(self) -> Decimal | None:
        return _total_of(self.totals)


def _total_of(totals: tuple[TotalLine, ...]) -> Decimal | None:
    for line in totals:
        if line.code == "total":
            return line.value
    return None


class QuoteOption(_Answer):
    """One shipping quote with the totals it produces and the payment methods offered with it.

    ``error`` is set (and totals/payment methods empty) when the store refused the quote.
    """

    quote: ShippingQuote
    totals: tuple[TotalLine, ...] = ()
    payment_methods: tuple[PaymentMethod, ...] = ()
    error: str | None = None

    @property
    def total(self) -> Decimal | None:
        return _total_of(self.totals)

    def tax(self) -> Decimal:
        """Sum of the tax lines (0 when none)."""
        return sum((t.value or Decimal(0) for t in self.totals if t.code == "tax"), Decimal(0))


class Quote(_Answer):
    """Everything a checkout page would show for a draft: each shipping quote priced in full.

    ``totals``/``payment_methods`` at this level are the cart's own (no shipping chosen),
    which is what a cart without shippable products ends with.
    """

    draft: OrderDraft
    products: tuple[CartProduct, ...] = ()
    totals: tuple[TotalLine, ...] = ()
    options: tuple[QuoteOption, ...] = ()
    payment_methods: tuple[PaymentMethod, ...] = ()
    shipping_required: bool | None = None
    shipping_error: str | None = None
    pricing: PricingMode = "api"
    dialect: str = ""
    warnings: tuple[str, ...] = ()
    requests: int = 0

    def option(self, code: str) -> QuoteOption:
        for opt in self.options:
            if opt.quote.code == code:
                return opt
        raise KeyError(f"no shipping quote {code!r}; offered: {[o.quote.code for o in self.options]}")


class OrderResult(_Answer):
    order_id: int
    status_id: int
    totals: tuple[TotalLine, ...] = ()
    products: tuple[CartProduct, ...] = ()
    points: int | None = None
    dialect: str = ""

    @property
    def total(self) -> Decimal | None:
        return _total_of(self.totals)


class Zone(_Answer):
    zone_id: int
    country_id: int
    code: str
    name: str
    status: bool = True


class Country(_Answer):
    country_id: int
    name: str
    iso_code_2: str
    iso_code_3: str = ""
    postcode_required: bool = False
    status: bool = True
    address_format_id: int = 0
    zones: tuple[Zone, ...] = ()

    def zone(self, code_or_name: str) -> Zone:
        """The zone whose code (``"CA"``) or name (``"California"``) matches, case-insensitively."""
        wanted = code_or_name.strip().casefold()
        for z in self.zones:
            if z.code.casefold() == wanted:
                return z
        for z in self.zones:
            if z.name.casefold() == wanted:
                return z
        raise KeyError(code_or_name)


OrderDraft.model_rebuild()
SubscriptionDraft.model_rebuild()
