"""OpenCart's stock shipping extensions (``extension/opencart/catalog/model/shipping/*``).

Each ``quote_<code>`` returns the extension's :class:`ShippingMethod` for a destination,
or ``None`` when the extension offers nothing there. Settings come cast once
(:mod:`ocdata.sandbox.extensions`), and the quote keeps the PHP types the API serialises:

=========  ==========================  ===============================
extension  cost                        tax_class_id
=========  ==========================  ===============================
flat       setting string ``"5.00"``   setting string ``"9"``
weight     rate-table string           setting string
item       float ``cost × items``      int (string before 4.0)
free       ``0`` (number)              ``0``
pickup     ``0`` (number)              ``0``
=========  ==========================  ===============================
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ocdata.sandbox.currency import convert_weight, format_weight
from ocdata.sandbox.extensions import Installed
from ocdata.sandbox.geo import GeoIndex
from ocdata.sandbox.model import Extension, WeightClass
from ocdata.sandbox.records import AddressRef, CartProduct, ShippingMethod, ShippingQuote

SHIPPING_CODES = ("flat", "item", "weight", "free", "pickup")

#: en-gb language strings of the stock extensions (``Extension.text`` overrides them).
DEFAULT_TEXT: dict[str, dict[str, str]] = {
    "flat": {"heading_title": "Flat Rate", "text_description": "Flat Shipping Rate"},
    "item": {"heading_title": "Per Item", "text_description": "Per Item Shipping Rate"},
    "weight": {"heading_title": "Weight Based Shipping", "text_weight": "Weight:"},
    "free": {"heading_title": "Free Shipping", "text_description": "Free Shipping"},
    "pickup": {"heading_title": "Pickup", "text_description": "Pickup From Store"},
}

#: Known setting keys per extension (besides status / sort_order), for validation.
SETTING_KEYS: dict[str, set[str]] = {
    "flat": {"cost", "tax_class_id", "geo_zone_id"},
    "item": {"cost", "tax_class_id", "geo_zone_id"},
    "weight": {"tax_class_id"},  # plus <geo_zone_id>_rate / <geo_zone_id>_status
    "free": {"total", "geo_zone_id"},
    "pickup": {"geo_zone_id"},
}


@dataclass(frozen=True)
class QuoteContext:
    """What a shipping model reads besides its settings."""

    products: list[CartProduct]
    address: AddressRef
    sub_total: float
    weight: float  # cart weight in the store weight class
    weight_class: WeightClass | None
    typed_item: bool  # OpenCart >= 4.0 casts the item quote's tax class to int
    weight_gap: str  # between geo zone name and "(Weight: ...)": one space in 4.1, two before
    format_quote: Callable[[float, int], str]  # (cost, tax_class_id) -> text with tax


def _in_zone(geo: GeoIndex, geo_zone_id: int, address: AddressRef) -> bool:
    return not geo_zone_id or geo.contains(geo_zone_id, address.country_id, address.zone_id)


def _text(ext: Extension, key: str) -> str:
    return ext.text.get(key, DEFAULT_TEXT[ext.code].get(key, ""))


def _method(ext: Installed, quotes: list[ShippingQuote]) -> ShippingMethod:
    return ShippingMethod(
        code=ext.code,
        name=_text(ext.ext, "heading_title"),
        quotes=tuple(quotes),
        sort_order=ext.sort_order,
        sort_order_raw=ext.ext.sort_order,
        error=False,
    )


def quote_flat(ext: Installed, geo: GeoIndex, q: QuoteContext) -> ShippingMethod | None:
    if not _in_zone(geo, ext.as_int("geo_zone_id"), q.address):
        return None
    cost, tax_class_id = ext.as_float("cost"), ext.as_int("tax_class_id")
    quote = ShippingQuote("flat.flat", _text(ext.ext, "text_description"), cost, tax_class_id,
                          q.format_quote(cost, tax_class_id), ext.raw("cost"), ext.raw("tax_class_id", "0"))
    return _method(ext, [quote])


def quote_item(ext: Installed, geo: GeoIndex, q: QuoteContext) -> ShippingMethod | None:
    if not _in_zone(geo, ext.as_int("geo_zone_id"), q.address):
        return None
    items = sum(p.quantity for p in q.products if p.shipping)
    cost = ext.as_float("cost") * items
    tax_class_id = ext.as_int("tax_class_id")
    tax_raw: object = tax_class_id if q.typed_item else ext.raw("tax_class_id", "0")
    quote = ShippingQuote("item.item", _text(ext.ext, "text_description"), cost, tax_class_id,
                          q.format_quote(cost, tax_class_id), cost, tax_raw)
    return _method(ext, [quote])


def quote_weight(ext: Installed, geo: GeoIndex, q: QuoteContext) -> ShippingMethod | None:
    tax_raw = ext.raw("tax_class_id", "0")
    tax_class_id = ext.as_int("tax_class_id")
    weight_text = format_weight(q.weight, q.weight_class)
    quotes = []
    for geo_zone in geo.by_name:
        gid = geo_zone.geo_zone_id
        if not ext.as_int(f"{gid}_status"):
            continue
        if not geo.contains(gid, q.address.country_id, q.address.zone_id):
            continue
        # the first step whose limit reaches the cart weight prices it; no cost, no quote
        step = next((s for s in ext.rates(f"{gid}_rate") if s[0] >= q.weight), None)
        if step is None or step[1] == "":
            continue
        _limit, cost_raw, cost = step
        name = f"{geo_zone.name}{q.weight_gap}({_text(ext.ext, 'text_weight')} {weight_text})"
        quotes.append(ShippingQuote(f"weight.weight_{gid}", name, cost, tax_class_id,
                                    q.format_quote(cost, tax_class_id), cost_raw, tax_raw))
    return _method(ext, quotes) if quotes else None


def quote_free(ext: Installed, geo: GeoIndex, q: QuoteContext) -> ShippingMethod | None:
    if not _in_zone(geo, ext.as_int("geo_zone_id"), q.address):
        return None
    if q.sub_total < ext.as_float("total"):
        return None
    quote = ShippingQuote("free.free", _text(ext.ext, "text_description"), 0.0, 0, q.format_quote(0.0, 0), 0, 0)
    return _method(ext, [quote])


def quote_pickup(ext: Installed, geo: GeoIndex, q: QuoteContext) -> ShippingMethod | None:
    if not _in_zone(geo, ext.as_int("geo_zone_id"), q.address):
        return None
    quote = ShippingQuote("pickup.pickup", _text(ext.ext, "text_description"), 0.0, 0, q.format_quote(0.0, 0), 0, 0)
    return _method(ext, [quote])


QUOTERS = {
    "flat": quote_flat,
    "item": quote_item,
    "weight": quote_weight,
    "free": quote_free,
    "pickup": quote_pickup,
}


def shipping_methods(extensions: tuple[Installed, ...], geo: GeoIndex, q: QuoteContext) -> list[ShippingMethod]:
    """Every enabled extension's quotes for the destination, in sort order
    (``extensions`` come sorted from :func:`~ocdata.sandbox.extensions.installed`)."""
    methods = []
    for ext in extensions:
        method = QUOTERS[ext.code](ext, geo, q)
        if method is not None:
            methods.append(method)
    return methods


def cart_weight(products: list[CartProduct], weight_classes: dict[int, WeightClass], target: int) -> float:
    """``cart->getWeight()``: shippable lines converted to the store weight class."""
    weight = 0
    to_class = weight_classes.get(target)
    for p in products:
        if p.shipping:
            weight += convert_weight(p.weight, weight_classes.get(p.weight_class_id), to_class)
    return weight
