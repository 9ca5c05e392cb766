"""OpenCart's stock shipping extensions (``extension/opencart/catalog/model/shipping/*``).

Each ``quote_<code>`` returns the extension's :class:`ShippingMethod` for a destination,
or ``None`` when the extension offers nothing there. Settings are read as OpenCart
stores them (strings), and the quote keeps the PHP types the API serialises:

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
from ocdata.sandbox.geo import GeoIndex
from ocdata.sandbox.model import Extension, StoreConfig, WeightClass
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


def php_float(value: str) -> float:
    """PHP ``(float)"..."``: leading numeric part, 0.0 when there is none."""
    text = (value or "").strip()
    end = 0
    seen_digit = seen_dot = seen_exp = False
    while end < len(text):
        ch = text[end]
        if ch.isdigit():
            seen_digit = True
        elif ch in "+-" and (end == 0 or text[end - 1] in "eE"):
            pass
        elif ch == "." and not seen_dot and not seen_exp:
            seen_dot = True
        elif ch in "eE" and seen_digit and not seen_exp:
            seen_exp = True
        else:
            break
        end += 1
    while end > 0:
        try:
            return float(text[:end])
        except ValueError:
            end -= 1
    return 0.0


def php_int(value: str) -> int:
    return int(php_float(value)) if value else 0


def _in_zone(geo: GeoIndex, geo_zone_id: int, address: AddressRef) -> bool:
    return not geo_zone_id or geo.contains(geo_zone_id, address.country_id, address.zone_id)


def _text(ext: Extension, key: str) -> str:
    return ext.text.get(key, DEFAULT_TEXT[ext.code].get(key, ""))


def _method(ext: Extension, quotes: list[ShippingQuote]) -> ShippingMethod:
    return ShippingMethod(
        code=ext.code,
        name=_text(ext, "heading_title"),
        quotes=tuple(quotes),
        sort_order=php_int(ext.sort_order),
        sort_order_raw=ext.sort_order,
        error=False,
    )


def quote_flat(ext: Extension, geo: GeoIndex, q: QuoteContext) -> ShippingMethod | None:
    s = ext.settings
    if not _in_zone(geo, php_int(s.get("geo_zone_id", "0")), q.address):
        return None
    cost_raw = s.get("cost", "")
    tax_raw = s.get("tax_class_id", "0")
    cost, tax_class_id = php_float(cost_raw), php_int(tax_raw)
    quote = ShippingQuote("flat.flat", _text(ext, "text_description"), cost, tax_class_id,
                          q.format_quote(cost, tax_class_id), cost_raw, tax_raw)
    return _method(ext, [quote])


def quote_item(ext: Extension, geo: GeoIndex, q: QuoteContext) -> ShippingMethod | None:
    s = ext.settings
    if not _in_zone(geo, php_int(s.get("geo_zone_id", "0")), q.address):
        return None
    items = sum(p.quantity for p in q.products if p.shipping)
    cost = php_float(s.get("cost", "")) * items
    tax_class_id = php_int(s.get("tax_class_id", "0"))
    tax_raw: object = tax_class_id if q.typed_item else s.get("tax_class_id", "0")
    quote = ShippingQuote("item.item", _text(ext, "text_description"), cost, tax_class_id,
                          q.format_quote(cost, tax_class_id), cost, tax_raw)
    return _method(ext, [quote])


def quote_weight(ext: Extension, geo: GeoIndex, q: QuoteContext) -> ShippingMethod | None:
    s = ext.settings
    tax_raw = s.get("tax_class_id", "0")
    tax_class_id = php_int(tax_raw)
    weight_text = format_weight(q.weight, q.weight_class)
    quotes = []
    for geo_zone in geo.geo_zones_by_name():
        gid = geo_zone.geo_zone_id
        if not php_int(s.get(f"{gid}_status", "0")):
            continue
        if not geo.contains(gid, q.address.country_id, q.address.zone_id):
            continue
        cost_raw = ""
        for pair in s.get(f"{gid}_rate", "").split(","):
            limit, _, cost_part = pair.partition(":")
            if php_float(limit) >= q.weight:
                cost_raw = cost_part if _ else ""
                break
        if cost_raw == "":
            continue
        cost = php_float(cost_raw)
        name = f"{geo_zone.name}{q.weight_gap}({_text(ext, 'text_weight')} {weight_text})"
        quotes.append(ShippingQuote(f"weight.weight_{gid}", name, cost, tax_class_id,
                                    q.format_quote(cost, tax_class_id), cost_raw, tax_raw))
    return _method(ext, quotes) if quotes else None


def quote_free(ext: Extension, geo: GeoIndex, q: QuoteContext) -> ShippingMethod | None:
    s = ext.settings
    if not _in_zone(geo, php_int(s.get("geo_zone_id", "0")), q.address):
        return None
    if q.sub_total < php_float(s.get("total", "")):
        return None
    quote = ShippingQuote("free.free", _text(ext, "text_description"), 0.0, 0, q.format_quote(0.0, 0), 0, 0)
    return _method(ext, [quote])


def quote_pickup(ext: Extension, geo: GeoIndex, q: QuoteContext) -> ShippingMethod | None:
    if not _in_zone(geo, php_int(ext.settings.get("geo_zone_id", "0")), q.address):
        return None
    quote = ShippingQuote("pickup.pickup", _text(ext, "text_description"), 0.0, 0, q.format_quote(0.0, 0), 0, 0)
    return _method(ext, [quote])


QUOTERS = {
    "flat": quote_flat,
    "item": quote_item,
    "weight": quote_weight,
    "free": quote_free,
    "pickup": quote_pickup,
}


def shipping_methods(store: StoreConfig, geo: GeoIndex, q: QuoteContext) -> list[ShippingMethod]:
    """Every enabled extension's quotes for the destination, sorted by sort order."""
    methods = []
    for ext in store.shipping:
        if not ext.status:
            continue
        method = QUOTERS[ext.code](ext, geo, q)
        if method is not None:
            methods.append(method)
    methods.sort(key=lambda m: m.sort_order)  # stable, like array_multisort on equal keys
    return methods


def cart_weight(products: list[CartProduct], weight_classes: dict[int, WeightClass], target: int) -> float:
    """``cart->getWeight()``: shippable lines converted to the store weight class."""
    weight = 0
    to_class = weight_classes.get(target)
    for p in products:
        if p.shipping:
            weight += convert_weight(p.weight, weight_classes.get(p.weight_class_id), to_class)
    return weight
