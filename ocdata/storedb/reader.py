"""The reader interface: one method per frame, the same over a real database and the sandbox.

A concrete reader only says how to fetch *raw* rows of each frame
(:meth:`StoreDB._raw`); everything a frame means — dtypes, "0 means none", category
paths, weights in the store's unit, postcode prefixes, leaving PII out — is done here
once, so :class:`~ocdata.storedb.mysql.MySQLStoreDB` and
:class:`~ocdata.storedb.sandbox.SandboxStoreDB` hand out identical frames for the same store.
Columns and dtypes: :data:`ocdata.storedb.columns.COLUMNS`.
"""

from __future__ import annotations

import abc
import html
from collections.abc import Iterable
from typing import Any

import pandas as pd

from ocdata.storedb.columns import COLUMNS, postcode_prefix, typed

__all__ = ["StoreDB", "FRAMES", "PII_FRAMES"]

#: every frame a reader serves, in a sensible snapshot order
FRAMES = tuple(COLUMNS)
#: frames that hold personal data (their PII columns need ``pii=True``)
PII_FRAMES = ("customers", "orders", "returns")

#: id columns where OpenCart writes 0 for "none"
_ZERO_IS_NA = {
    "products": ("master_id", "tax_class_id", "manufacturer_id", "stock_status_id"),
    "categories": ("parent_id",),
    "customers": ("country_id", "zone_id"),
    "orders": ("customer_id", "affiliate_id", "payment_country_id", "payment_zone_id", "shipping_country_id",
               "shipping_zone_id"),
    "returns": ("customer_id", "return_action_id", "product_id"),
    "order_options": ("product_option_value_id",),
    "geo_zones": ("zone_id",),
}


#: row order of each frame (default: its first column)
_ORDER = {
    "product_options": ("product_id", "product_option_id", "product_option_value_id"),
    "product_categories": ("product_id", "category_id"),
    "tax_rates": ("tax_rate_id", "customer_group_id"),
    "geo_zones": ("geo_zone_id", "country_id", "zone_id"),
}


class StoreDB(abc.ABC):
    """The store's own data — catalog, customers, orders, returns, tax — as tidy DataFrames.

    ``version`` is the OpenCart schema read (``"3.0"``, ``"4.0"`` or ``"4.1"``). ``language``
    (every method that reads names) is a language id, a code (``"en-gb"``) or ``None`` for the
    store's catalog language. Frames with personal data leave names, e-mails, telephones,
    street lines and free text out unless ``pii=True``; country, zone, postcode prefix and
    customer group stay.
    """

    version: str

    # ---- what a concrete reader provides
    @abc.abstractmethod
    def _raw(self, kind: str, language_id: int, pii: bool) -> pd.DataFrame:
        """Raw rows of one frame (column names as in :data:`COLUMNS`, plus helper columns); a
        reader that can should not even fetch PII columns when ``pii`` is false."""

    @abc.abstractmethod
    def _language_id(self, language: int | str | None) -> int:
        """The language id for ``language`` (id, code or None = the store's)."""

    def close(self) -> None:
        """Release the connection (nothing to do for in-memory readers)."""

    def __enter__(self) -> StoreDB:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # ---- the frames
    def frame(self, kind: str, *, language: int | str | None = None, pii: bool = False) -> pd.DataFrame:
        """Any frame by name (see :data:`FRAMES`)."""
        if kind not in COLUMNS:
            raise ValueError(f"unknown frame {kind!r}; frames: {', '.join(FRAMES)}")
        raw = self._raw(kind, self._language_id(language), pii)
        if len(raw):
            raw = _DERIVE.get(kind, _same)(raw)
        frame = typed(raw, kind, pii=pii, id_zero_is_na=_ZERO_IS_NA.get(kind, ()))
        keys = _ORDER.get(kind, (next(iter(COLUMNS[kind])),))
        return frame.sort_values(list(keys), kind="stable", na_position="first").reset_index(drop=True)

    def frames(self, kinds: Iterable[str] | None = None, *, language: int | str | None = None,
               pii: bool = False) -> dict[str, pd.DataFrame]:
        """Several frames at once (all of :data:`FRAMES` by default)."""
        return {k: self.frame(k, language=language, pii=pii) for k in (kinds or FRAMES)}

    def products(self, language: int | str | None = None) -> pd.DataFrame:
        """One row per product: name, model, SKU, price, tax class, weight and class, dimensions,
        stock, status, manufacturer (every product, enabled or not: filter on ``status``)."""
        return self.frame("products", language=language)

    def product_specials(self) -> pd.DataFrame:
        """Special prices per product and customer group (4.1: discount rows flagged special)."""
        return self.frame("product_specials")

    def product_discounts(self) -> pd.DataFrame:
        """Quantity discounts per product and customer group (4.1: rows not flagged special)."""
        return self.frame("product_discounts")

    def product_options(self, language: int | str | None = None) -> pd.DataFrame:
        """One row per option value (one per text-like option) with the ids a cart line sends
        and signed price/points/weight deltas."""
        return self.frame("product_options", language=language)

    def categories(self, language: int | str | None = None) -> pd.DataFrame:
        """The category tree, with each category's path from the top."""
        return self.frame("categories", language=language)

    def product_categories(self) -> pd.DataFrame:
        """Which product is listed in which category (many to many)."""
        return self.frame("product_categories")

    def manufacturers(self) -> pd.DataFrame:
        return self.frame("manufacturers")

    def customer_groups(self, language: int | str | None = None) -> pd.DataFrame:
        return self.frame("customer_groups", language=language)

    def customers(self, pii: bool = False) -> pd.DataFrame:
        """One row per customer with the default address's country, zone and postcode prefix
        (names, e-mail, telephone and street lines only with ``pii=True``)."""
        return self.frame("customers", pii=pii)

    def orders(self, pii: bool = False) -> pd.DataFrame:
        """One row per order: status, total, currency, methods, where it goes (no names,
        e-mails, telephones, street lines, comments or IPs unless ``pii=True``)."""
        return self.frame("orders", pii=pii)

    def order_products(self) -> pd.DataFrame:
        return self.frame("order_products")

    def order_options(self) -> pd.DataFrame:
        """The options chosen on each order line (one row per option value or text)."""
        return self.frame("order_options")

    def order_totals(self) -> pd.DataFrame:
        return self.frame("order_totals")

    def order_history(self) -> pd.DataFrame:
        return self.frame("order_history")

    def returns(self, pii: bool = False) -> pd.DataFrame:
        return self.frame("returns", pii=pii)

    def tax_rates(self) -> pd.DataFrame:
        """One row per tax rate and customer group it applies to."""
        return self.frame("tax_rates")

    def tax_rules(self) -> pd.DataFrame:
        """Which rates a tax class applies, on which address, in which priority."""
        return self.frame("tax_rules")

    def geo_zones(self) -> pd.DataFrame:
        """One row per geo zone member (a country, or one of its zones)."""
        return self.frame("geo_zones")

    # ---- into the cache and studies (thin wrappers; see those modules)
    def snapshot(self, cache: Any = None, kinds: Iterable[str] | None = None, *, pii: bool = False,
                 language: int | str | None = None) -> pd.DataFrame:
        """Write frames into the DuckDB cache as ``storedb_<frame>`` tables, stamped with the read
        time; returns what was written (:func:`ocdata.storedb.snapshot.snapshot`)."""
        from ocdata.storedb.snapshot import snapshot

        return snapshot(self, cache, kinds, pii=pii, language=language)

    def with_products(self, quotes: pd.DataFrame, carts: Any) -> pd.DataFrame:
        """A study's quotes joined to its carts' products and categories
        (:func:`ocdata.storedb.studies.with_products`)."""
        from ocdata.storedb.studies import with_products

        return with_products(quotes, carts, self)


# --------------------------------------------------------------------------- shared derivations


def _same(raw: pd.DataFrame) -> pd.DataFrame:
    return raw


def _products(raw: pd.DataFrame) -> pd.DataFrame:
    raw = raw.copy()
    # OpenCart's weight->convert(): value * to.value / from.value
    frm = pd.to_numeric(raw.get("weight_class_value"), errors="coerce")
    to = pd.to_numeric(raw.get("store_weight_value"), errors="coerce")
    raw["weight_store"] = pd.to_numeric(raw["weight"], errors="coerce") * to / frm.where(frm != 0)
    return raw


def _categories(raw: pd.DataFrame) -> pd.DataFrame:
    """Paths by walking parents (a category tree is small; a cycle or a missing parent ends the walk)."""
    raw = raw.copy()
    ids = pd.to_numeric(raw["category_id"]).astype("int64").tolist()
    parents = dict(zip(ids, pd.to_numeric(raw["parent_id"], errors="coerce").fillna(0).astype("int64").tolist()))
    names = dict(zip(ids, raw["name"].astype("object").where(raw["name"].notna(), "").map(html.unescape)))
    paths, path_ids, levels = [], [], []
    for cid in ids:
        chain = [cid]
        while parents.get(chain[-1], 0) in names and parents[chain[-1]] not in chain:
            chain.append(parents[chain[-1]])
        chain.reverse()
        paths.append(" > ".join(names[c] for c in chain))
        path_ids.append(">".join(str(c) for c in chain))
        levels.append(len(chain) - 1)
    raw["path"], raw["path_ids"], raw["level"] = paths, path_ids, levels
    return raw


def _with_prefix(raw: pd.DataFrame, pairs: tuple[tuple[str, str], ...]) -> pd.DataFrame:
    raw = raw.copy()
    for source, target in pairs:
        if target not in raw.columns:  # a reader may compute the prefix itself (and not fetch the postcode)
            raw[target] = postcode_prefix(raw[source]) if source in raw.columns else ""
    return raw


def _option_deltas(raw: pd.DataFrame) -> pd.DataFrame:
    raw = raw.copy()
    for amount, prefix, target in (("price", "price_prefix", "price_delta"),
                                   ("points", "points_prefix", "points_delta"),
                                   ("weight", "weight_prefix", "weight_delta")):
        value = pd.to_numeric(raw[amount], errors="coerce")
        sign = raw[prefix].map({"+": 1.0, "-": -1.0})
        text_like = raw["product_option_value_id"].isna()
        raw[target] = (value * sign).where(~text_like)
    return raw


_DERIVE = {
    "products": _products,
    "categories": _categories,
    "customers": lambda raw: _with_prefix(raw, (("postcode", "postcode_prefix"),)),
    "orders": lambda raw: _with_prefix(raw, (("payment_postcode", "payment_postcode_prefix"),
                                             ("shipping_postcode", "shipping_postcode_prefix"))),
    "product_options": _option_deltas,
}
