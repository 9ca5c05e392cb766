"""The columns, dtypes and meanings of every store-database frame, and the one cast to them.

Both readers (:class:`~ocdata.storedb.mysql.MySQLStoreDB` over a real database and
:class:`~ocdata.storedb.sandbox.SandboxStoreDB` over the embedded sandbox) hand
:func:`typed` a frame of raw values and get back the documented frame, so the two
cannot drift apart. Conventions:

* ids are ``Int64``; an OpenCart "none" id (0: guest customer, no manufacturer, a top
  category's parent, a whole-country geo zone member) is ``<NA>``;
* money and rates are ``float64`` in the store's **default currency** (OpenCart keeps
  every amount so; an order's ``currency_code``/``currency_value`` say what its
  customer saw), weights and dimensions ``float64``;
* datetimes are ``datetime64[ns]`` in the store's local time (MySQL ``DATETIME`` has no
  zone); OpenCart's ``0000-00-00`` ("never"/"always") is ``NaT``;
* flags are ``boolean``; text is ``str`` with OpenCart's HTML escaping undone
  (``Apple Cinema 30"``, not ``Apple Cinema 30&quot;``).

Columns marked *PII* appear only with ``pii=True``.
"""

from __future__ import annotations

import html

import pandas as pd

__all__ = ["COLUMNS", "PII", "typed", "empty", "postcode_prefix"]

_DATES = {"datetime64[ns]"}

_ADDRESS = {
    "{p}_country_id": ("Int64", "country id of the {what} address"),
    "{p}_country": ("str", "country name as stored with the order"),
    "{p}_iso_code_2": ("str", "ISO 3166-1 alpha-2 code of that country (from the store's country table)"),
    "{p}_zone_id": ("Int64", "zone (region/state) id; <NA>: none"),
    "{p}_zone": ("str", "zone name as stored with the order"),
    "{p}_postcode_prefix": ("str", "first 3 characters of the postcode (spaces removed, upper case)"),
}
_ADDRESS_PII = {
    "{p}_firstname": ("str", "PII"),
    "{p}_lastname": ("str", "PII"),
    "{p}_company": ("str", "PII"),
    "{p}_address_1": ("str", "PII: street line 1"),
    "{p}_address_2": ("str", "PII: street line 2"),
    "{p}_city": ("str", "PII"),
    "{p}_postcode": ("str", "PII: the full postcode"),
}


def _address(prefix: str, what: str, spec: dict) -> dict:
    return {k.format(p=prefix): (d, m.format(what=what)) for k, (d, m) in spec.items()}


COLUMNS: dict[str, dict[str, tuple[str, str]]] = {
    "products": {
        "product_id": ("Int64", "product id (what a cart line sends)"),
        "master_id": ("Int64", "4.x: the master product of a variant; <NA>: not a variant (always on 3.0)"),
        "name": ("str", "name in the chosen language"),
        "description": ("str", "description (HTML source) in the chosen language"),
        "model": ("str", "model"),
        "sku": ("str", "SKU (4.1 keeps it in product_code, code SKU); empty: none"),
        "price": ("float64", "base price before tax, default currency"),
        "tax_class_id": ("Int64", "tax class; <NA>: untaxed"),
        "tax_class": ("str", "tax class title"),
        "weight": ("float64", "weight in the product's weight class"),
        "weight_class_id": ("Int64", "weight class of `weight`"),
        "weight_unit": ("str", "unit of `weight` (kg, g, lb, oz)"),
        "weight_store": ("float64", "weight converted to the store's default weight class (as shipping sees it)"),
        "length": ("float64", "length in the product's length class"),
        "width": ("float64", "width"),
        "height": ("float64", "height"),
        "length_class_id": ("Int64", "length class of the dimensions"),
        "length_unit": ("str", "unit of the dimensions (cm, mm, in)"),
        "quantity": ("Int64", "stock"),
        "minimum": ("Int64", "minimum quantity per order"),
        "subtract": ("boolean", "orders subtract stock"),
        "shipping": ("boolean", "needs shipping"),
        "points": ("Int64", "points needed to buy it with reward points (0: not sold for points)"),
        "status": ("boolean", "enabled"),
        "stock_status_id": ("Int64", "status shown when out of stock"),
        "stock_status": ("str", "its name"),
        "manufacturer_id": ("Int64", "manufacturer; <NA>: none"),
        "manufacturer": ("str", "manufacturer name"),
        "date_available": ("datetime64[ns]", "available from"),
        "date_added": ("datetime64[ns]", "created"),
        "date_modified": ("datetime64[ns]", "last changed"),
    },
    "product_specials": {
        "product_special_id": ("Int64", "row id (4.1: product_discount_id of a row flagged special)"),
        "product_id": ("Int64", "product"),
        "customer_group_id": ("Int64", "customer group it applies to"),
        "priority": ("Int64", "lower wins"),
        "type": ("str", "F = fixed unit price (3.0/4.0 always), 4.1 also S = subtract, P = percent off"),
        "price": ("float64", "the price (F), amount (S) or percent (P)"),
        "date_start": ("datetime64[ns]", "first day; NaT: always"),
        "date_end": ("datetime64[ns]", "day it stops; NaT: never"),
    },
    "product_discounts": {
        "product_discount_id": ("Int64", "row id"),
        "product_id": ("Int64", "product"),
        "customer_group_id": ("Int64", "customer group it applies to"),
        "quantity": ("Int64", "applies from this quantity in the cart"),
        "priority": ("Int64", "lower wins among equal quantities"),
        "type": ("str", "F = fixed unit price (3.0/4.0 always), 4.1 also S = subtract, P = percent off"),
        "price": ("float64", "the price (F), amount (S) or percent (P)"),
        "date_start": ("datetime64[ns]", "first day; NaT: always"),
        "date_end": ("datetime64[ns]", "day it stops; NaT: never"),
    },
    "product_options": {
        "product_id": ("Int64", "product"),
        "product_option_id": ("Int64", "the key of CartLine.options"),
        "option_id": ("Int64", "the store-wide option"),
        "option": ("str", "option name"),
        "type": ("str", "select, radio, checkbox, text, textarea, file, date, time, datetime"),
        "required": ("boolean", "the cart refuses the product without it"),
        "product_option_value_id": ("Int64", "the value CartLine.options sends; <NA>: a text-like option"),
        "option_value_id": ("Int64", "the store-wide option value; <NA>: a text-like option"),
        "value": ("str", "value name, or the default text of a text-like option"),
        "quantity": ("Int64", "stock of the value; <NA>: text-like"),
        "subtract": ("boolean", "orders subtract the value's stock"),
        "price_delta": ("float64", "signed price change (prefix applied); NaN: a prefix other than + or -"),
        "points_delta": ("Int64", "signed points change"),
        "weight_delta": ("float64", "signed weight change, in the product's weight class"),
    },
    "categories": {
        "category_id": ("Int64", "category"),
        "parent_id": ("Int64", "parent; <NA>: top level"),
        "name": ("str", "name in the chosen language"),
        "path": ("str", "names from the top: 'Components > Monitors'"),
        "path_ids": ("str", "ids from the top: '25>28'"),
        "level": ("Int64", "0 = top level"),
        "sort_order": ("Int64", "menu order"),
        "status": ("boolean", "enabled"),
    },
    "product_categories": {
        "product_id": ("Int64", "product"),
        "category_id": ("Int64", "a category it is listed in (a product can be in several)"),
    },
    "manufacturers": {
        "manufacturer_id": ("Int64", "manufacturer"),
        "name": ("str", "name"),
        "sort_order": ("Int64", "order"),
    },
    "customer_groups": {
        "customer_group_id": ("Int64", "group"),
        "name": ("str", "name in the chosen language"),
        "description": ("str", "description"),
        "approval": ("boolean", "new members need approval"),
        "sort_order": ("Int64", "order"),
    },
    "customers": {
        "customer_id": ("Int64", "customer"),
        "customer_group_id": ("Int64", "group (prices, tax rates)"),
        "customer_group": ("str", "group name"),
        "store_id": ("Int64", "store the account belongs to"),
        "language_id": ("Int64", "language"),
        "status": ("boolean", "enabled"),
        "newsletter": ("boolean", "subscribed to the newsletter"),
        "date_added": ("datetime64[ns]", "registered"),
        "country_id": ("Int64", "country of the default address"),
        "iso_code_2": ("str", "its ISO code"),
        "zone_id": ("Int64", "zone of the default address"),
        "zone": ("str", "zone name"),
        "postcode_prefix": ("str", "first 3 characters of the default address's postcode"),
        "firstname": ("str", "PII"),
        "lastname": ("str", "PII"),
        "email": ("str", "PII"),
        "telephone": ("str", "PII"),
        "company": ("str", "PII: default address"),
        "address_1": ("str", "PII: default address"),
        "address_2": ("str", "PII: default address"),
        "city": ("str", "PII: default address"),
        "postcode": ("str", "PII: default address, full"),
    },
    "orders": {
        "order_id": ("Int64", "order"),
        "store_id": ("Int64", "store"),
        "customer_id": ("Int64", "customer; <NA>: guest checkout"),
        "customer_group_id": ("Int64", "group the order was priced for"),
        "order_status_id": ("Int64", "current status; 0 = a 'missing order' (never confirmed)"),
        "order_status": ("str", "its name"),
        "total": ("float64", "order total, default currency"),
        "currency_code": ("str", "currency the customer saw"),
        "currency_value": ("float64", "its rate: total * currency_value = total in currency_code"),
        "payment_method": ("str", "payment method title"),
        "payment_code": ("str", "payment code (3.0: 'cod'; 4.x: 'cod.cod')"),
        "shipping_method": ("str", "shipping method title; empty: nothing shipped"),
        "shipping_code": ("str", "shipping quote code, e.g. 'flat.flat'"),
        **_address("payment", "payment", _ADDRESS),
        **_address("shipping", "shipping", _ADDRESS),
        "affiliate_id": ("Int64", "affiliate; <NA>: none"),
        "commission": ("float64", "affiliate commission"),
        "language_id": ("Int64", "language"),
        "date_added": ("datetime64[ns]", "placed"),
        "date_modified": ("datetime64[ns]", "last changed"),
        "firstname": ("str", "PII"),
        "lastname": ("str", "PII"),
        "email": ("str", "PII"),
        "telephone": ("str", "PII"),
        **_address("payment", "payment", _ADDRESS_PII),
        **_address("shipping", "shipping", _ADDRESS_PII),
        "comment": ("str", "PII: the customer's free text"),
        "ip": ("str", "PII"),
        "user_agent": ("str", "PII"),
    },
    "order_products": {
        "order_product_id": ("Int64", "line id"),
        "order_id": ("Int64", "order"),
        "product_id": ("Int64", "product"),
        "name": ("str", "product name when ordered"),
        "model": ("str", "model when ordered"),
        "quantity": ("Int64", "quantity"),
        "price": ("float64", "unit price before tax (options included), default currency"),
        "total": ("float64", "line total before tax"),
        "tax": ("float64", "tax per unit; NaN where the source does not keep it (the sandbox)"),
        "reward": ("Int64", "reward points earned"),
    },
    "order_options": {
        "order_option_id": ("Int64", "row id"),
        "order_id": ("Int64", "order"),
        "order_product_id": ("Int64", "the order line it belongs to"),
        "product_option_id": ("Int64", "the option (CartLine.options key)"),
        "product_option_value_id": ("Int64", "the value chosen; <NA>: a text-like option"),
        "name": ("str", "option name when ordered"),
        "value": ("str", "value name, or the text entered"),
        "type": ("str", "option type"),
    },
    "order_totals": {
        "order_total_id": ("Int64", "row id"),
        "order_id": ("Int64", "order"),
        "code": ("str", "total extension: sub_total, shipping, tax, total..."),
        "title": ("str", "line title, e.g. 'VAT (20%)'"),
        "value": ("float64", "amount, default currency"),
        "sort_order": ("Int64", "order of the lines"),
    },
    "order_history": {
        "order_history_id": ("Int64", "row id"),
        "order_id": ("Int64", "order"),
        "order_status_id": ("Int64", "status set"),
        "order_status": ("str", "its name"),
        "notify": ("boolean", "the customer was notified"),
        "comment": ("str", "comment"),
        "date_added": ("datetime64[ns]", "when"),
    },
    "returns": {
        "return_id": ("Int64", "return"),
        "order_id": ("Int64", "order"),
        "product_id": ("Int64", "product"),
        "customer_id": ("Int64", "customer; <NA>: guest"),
        "product": ("str", "product name as entered"),
        "model": ("str", "model as entered"),
        "quantity": ("Int64", "quantity"),
        "opened": ("boolean", "the product was opened"),
        "return_reason_id": ("Int64", "reason"),
        "return_reason": ("str", "its name"),
        "return_action_id": ("Int64", "action taken; <NA>: none yet"),
        "return_action": ("str", "its name"),
        "return_status_id": ("Int64", "status"),
        "return_status": ("str", "its name"),
        "date_ordered": ("datetime64[ns]", "order date as entered"),
        "date_added": ("datetime64[ns]", "requested"),
        "date_modified": ("datetime64[ns]", "last changed"),
        "firstname": ("str", "PII"),
        "lastname": ("str", "PII"),
        "email": ("str", "PII"),
        "telephone": ("str", "PII"),
        "comment": ("str", "PII: the customer's free text"),
    },
    "tax_rates": {
        "tax_rate_id": ("Int64", "rate"),
        "name": ("str", "name (the tax line's title)"),
        "rate": ("float64", "percent (type P) or fixed amount (type F, default currency)"),
        "type": ("str", "P = percent, F = fixed amount"),
        "geo_zone_id": ("Int64", "where it applies"),
        "geo_zone": ("str", "geo zone name"),
        "customer_group_id": ("Int64", "a group it applies to (one row per rate and group); <NA>: none"),
    },
    "tax_rules": {
        "tax_rule_id": ("Int64", "rule"),
        "tax_class_id": ("Int64", "tax class"),
        "tax_class": ("str", "its title"),
        "tax_rate_id": ("Int64", "rate applied"),
        "based": ("str", "address matched against the rate's geo zone: shipping, payment or store"),
        "priority": ("Int64", "rates of equal priority add up on the same base"),
    },
    "geo_zones": {
        "geo_zone_id": ("Int64", "geo zone"),
        "name": ("str", "name"),
        "description": ("str", "description"),
        "country_id": ("Int64", "a member country; <NA>: the geo zone has no member"),
        "iso_code_2": ("str", "its ISO code"),
        "country": ("str", "its name"),
        "zone_id": ("Int64", "a member zone; <NA>: the whole country"),
        "zone_code": ("str", "zone code"),
        "zone": ("str", "zone name"),
    },
}
"""Every frame's columns in order: ``{frame: {column: (dtype, meaning)}}``."""

PII: dict[str, tuple[str, ...]] = {
    kind: tuple(c for c, (_, meaning) in spec.items() if meaning.startswith("PII"))
    for kind, spec in COLUMNS.items()
}
"""Columns left out unless ``pii=True``."""

#: text columns stored HTML-escaped by OpenCart's admin forms
_ESCAPED = {"name", "description", "option", "value", "manufacturer", "tax_class", "customer_group", "title",
            "product", "model", "path", "stock_status", "order_status", "geo_zone", "payment_method",
            "shipping_method"}


def postcode_prefix(postcode: pd.Series) -> pd.Series:
    """First 3 characters of each postcode, spaces removed, upper case (``"sw1a 1aa"`` → ``"SW1"``)."""
    text = postcode.astype("str").where(postcode.notna(), "")
    return text.str.replace(r"\s+", "", regex=True).str.upper().str.slice(0, 3)


def _cast(col: pd.Series, dtype: str, name: str, unescape: bool = True) -> pd.Series:
    if dtype == "Int64":
        out = pd.to_numeric(col, errors="coerce").astype("Float64").round().astype("Int64")
        return out
    if dtype == "float64":
        return pd.to_numeric(col, errors="coerce").astype("float64")
    if dtype == "boolean":
        return pd.to_numeric(col.astype("object").replace({True: 1, False: 0}), errors="coerce").astype(
            "Float64").ne(0).astype("boolean").mask(col.isna())
    if dtype in _DATES:
        text = col.astype("object").where(col.notna(), None)
        out = pd.to_datetime(text.astype("str").where(text.notna(), None), errors="coerce", format="mixed")
        return out.astype("datetime64[ns]")
    text = col.astype("object").where(col.notna(), "").astype("str")
    if unescape and (name in _ESCAPED or name.endswith(("_country", "_zone")) or name in ("zone", "country")):
        if text.str.contains("&", regex=False).any():
            text = text.map(html.unescape).astype("str")
    return text


def typed(raw: pd.DataFrame, kind: str, *, pii: bool = True, id_zero_is_na: tuple[str, ...] = (),
          unescape: bool = True) -> pd.DataFrame:
    """``raw`` cast to the documented columns of ``kind``, in order (PII columns only with ``pii``).

    Columns ``raw`` lacks come out empty (``<NA>``/``NaN``/``""``); ``id_zero_is_na`` names
    id columns where OpenCart's 0 means none; ``unescape`` undoes OpenCart's HTML escaping of
    names (off for frames read back from the cache, already undone).
    """
    spec = COLUMNS[kind]
    n = len(raw)
    out = {}
    for name, (dtype, _meaning) in spec.items():
        if not pii and name in PII[kind]:
            continue
        col = raw[name] if name in raw.columns else pd.Series([None] * n, index=raw.index, dtype="object")
        col = _cast(col, dtype, name, unescape)
        if name in id_zero_is_na:
            col = col.mask(col == 0)
        out[name] = col
    frame = pd.DataFrame(out, index=raw.index)
    return frame.reset_index(drop=True)


def empty(kind: str, *, pii: bool = True) -> pd.DataFrame:
    """An empty frame of ``kind`` with its columns and dtypes."""
    return typed(pd.DataFrame(), kind, pii=pii)

