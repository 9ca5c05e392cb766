"""OpenCart's stock payment extensions (``extension/opencart/catalog/model/payment/*``).

When each is offered (``version`` >= 4.1 unless noted):

* ``cod`` — no subscription in the cart, the cart needs shipping, and the payment address
  lies in its geo zone. Before 4.1 a non-empty ``total`` setting is a minimum order
  total (4.1 keeps the setting but ignores it).
* ``bank_transfer`` / ``cheque`` — no subscription, payment address in the geo zone;
  before 4.1 also the ``total`` minimum.
* ``free_checkout`` — order total <= 0 (and, from 4.0, no subscription).

The geo-zone test uses the payment address. From 4.0 it is skipped entirely unless
``config_checkout_payment_address`` is on (the payment address is then optional); 3.0
always tests it (geo zone 0 = everywhere).
"""

from __future__ import annotations

from dataclasses import dataclass

from ocdata.sandbox.extensions import Installed
from ocdata.sandbox.geo import GeoIndex
from ocdata.sandbox.records import AddressRef, PaymentMethod

PAYMENT_CODES = ("cod", "bank_transfer", "cheque", "free_checkout")

DEFAULT_TITLES = {
    "cod": "Cash On Delivery",
    "bank_transfer": "Bank Transfer",
    "cheque": "Cheque / Money Order",
    "free_checkout": "Free Checkout",
}

SETTING_KEYS: dict[str, set[str]] = {
    "cod": {"geo_zone_id", "order_status_id", "total"},
    "bank_transfer": {"geo_zone_id", "order_status_id", "total", "bank", "bank_1", "bank1"},
    "cheque": {"geo_zone_id", "order_status_id", "total", "payable"},
    "free_checkout": {"order_status_id"},
}


@dataclass(frozen=True)
class PaymentContext:
    total: float  # order total (the ``total`` line)
    needs_shipping: bool
    has_subscription: bool
    payment_address: AddressRef | None
    version: tuple[int, ...]
    checkout_payment_address: bool


def _geo_ok(ext: Installed, geo: GeoIndex, p: PaymentContext) -> bool:
    if p.version >= (4, 0) and not p.checkout_payment_address:
        return True
    geo_zone_id = ext.as_int("geo_zone_id")
    if not geo_zone_id:
        return True
    a = p.payment_address
    return a is not None and geo.contains(geo_zone_id, a.country_id, a.zone_id)


def _minimum_ok(ext: Installed, p: PaymentContext) -> bool:
    if p.version >= (4, 1):
        return True
    minimum = ext.as_float("total")
    return not (minimum > 0 and minimum > p.total)


def offered(ext: Installed, geo: GeoIndex, p: PaymentContext) -> bool:
    if ext.code == "free_checkout":
        return p.total <= 0 and not (p.version >= (4, 0) and p.has_subscription)
    if p.has_subscription and p.version >= (4, 0):
        return False
    if not _minimum_ok(ext, p):
        return False
    if ext.code == "cod" and not p.needs_shipping:
        return False
    return _geo_ok(ext, geo, p)


def payment_methods(extensions: tuple[Installed, ...], geo: GeoIndex, p: PaymentContext) -> list[PaymentMethod]:
    """Offered methods in sort order (``extensions`` come sorted), each with its single
    ``<code>.<code>`` option."""
    methods = []
    for ext in extensions:
        if not offered(ext, geo, p):
            continue
        title = ext.ext.text.get("heading_title", DEFAULT_TITLES[ext.code])
        methods.append(
            PaymentMethod(
                code=ext.code,
                name=title,
                options=((f"{ext.code}.{ext.code}", title),),
                sort_order=ext.sort_order,
                sort_order_raw=ext.ext.sort_order,
                terms=ext.ext.text.get("terms", ""),
            )
        )
    return methods
