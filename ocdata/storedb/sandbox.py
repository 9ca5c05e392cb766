"""The sandbox's store served as store-database frames, offline, with the same code paths.

:class:`SandboxStoreDB` reads the sandbox engine (its store description and its live
orders and stock) into the raw rows an OpenCart database would hold, and the shared
:class:`~ocdata.storedb.reader.StoreDB` turns them into the same frames
:class:`~ocdata.storedb.mysql.MySQLStoreDB` gives for a real store::

    with ocdata.sandbox.serve(store="rich") as shop:
        db = shop.storedb()                 # or ocdata.storedb.from_sandbox(shop)
        db.products(); db.orders()          # orders placed through the API so far

What the sandbox's store files do not describe comes from OpenCart's demo data
(``data/demo_catalog.json``: categories, product-to-category links, manufacturers,
length classes, stock statuses), used only while the store description has no such
section of its own. Ids a fresh database would assign by ``AUTO_INCREMENT`` (order
lines, totals, history rows, discount rows without an id) are numbered the same way.
The sandbox keeps no per-line tax (``order_products.tax`` is NaN) and no returns.
"""

from __future__ import annotations

import json
from functools import cached_property
from pathlib import Path
from typing import Any

import pandas as pd

from ocdata.storedb.errors import StoreDBConfigError
from ocdata.storedb.reader import StoreDB

__all__ = ["SandboxStoreDB", "from_sandbox", "demo_catalog", "schema_version_of"]

_DEMO = Path(__file__).resolve().parent / "data" / "demo_catalog.json"
_LANGUAGE_CODE = "en-gb"


def demo_catalog() -> dict[str, Any]:
    """OpenCart's demo categories, manufacturers, length classes and stock statuses."""
    return json.loads(_DEMO.read_text(encoding="utf-8"))


def schema_version_of(engine_version: tuple[int, ...]) -> str:
    """The database schema generation (``"3.0"``, ``"4.0"``, ``"4.1"``) of an OpenCart version."""
    if engine_version >= (4, 1):
        return "4.1"
    if engine_version >= (4, 0):
        return "4.0"
    return "3.0"


def autoincrement(ids: list[int]) -> list[int]:
    """Ids as MySQL's AUTO_INCREMENT assigns them when rows are inserted in this order
    (0 = "assign one": the highest id so far + 1)."""
    out, top = [], 0
    for i in ids:
        i = int(i or 0)
        if i <= 0:
            i = top + 1
        top = max(top, i)
        out.append(i)
    return out


def from_sandbox(sandbox_or_engine: Any) -> SandboxStoreDB:
    """A reader over a running sandbox (``serve(...)``), an engine, or a built-in store name/file."""
    engine = getattr(sandbox_or_engine, "engine", sandbox_or_engine)
    if isinstance(engine, str):
        from ocdata.sandbox.engine import load_engine

        engine = load_engine(engine)
    return SandboxStoreDB(engine)


class SandboxStoreDB(StoreDB):
    """Store-database frames of a sandbox engine (read live: orders placed later show up)."""

    def __init__(self, engine: Any) -> None:
        self.engine = engine
        self.store = engine.store
        self.version = schema_version_of(engine.version)

    def __repr__(self) -> str:
        return f"<SandboxStoreDB sandbox:{self.store.key} schema={self.version}>"

    # ---- extras the store description may lack
    @cached_property
    def _demo(self) -> dict[str, Any]:
        return demo_catalog()

    def _section(self, name: str) -> list[dict[str, Any]]:
        own = getattr(self.store, name, None)  # a store description that grows the section wins
        if own:
            return [dict(vars(x)) if not isinstance(x, dict) else dict(x) for x in own]
        return [dict(x) for x in self._demo[name]]

    def _language_id(self, language: int | str | None) -> int:
        own = self.store.settings.language_id
        if language is None or language == own or (isinstance(language, str) and language.lower() == _LANGUAGE_CODE):
            return own
        raise StoreDBConfigError(
            f"language {language!r} is not in the sandbox store (it has one language: id {own}, code "
            f"{_LANGUAGE_CODE!r}); pass language=None")

    # ---- raw rows
    def _raw(self, kind: str, language_id: int, pii: bool) -> pd.DataFrame:
        rows = getattr(self, f"_rows_{kind}")()
        return pd.DataFrame.from_records(rows) if rows else pd.DataFrame()

    def _rows_products(self) -> list[dict]:
        s = self.store
        weight = {w.weight_class_id: w for w in s.weight_classes}
        store_value = weight[s.settings.weight_class_id].value if s.settings.weight_class_id in weight else None
        tax = {t.tax_class_id: t.title for t in s.tax_classes}
        length = {x["length_class_id"]: x["unit"] for x in self._section("length_classes")}
        stock = {x["stock_status_id"]: x["name"] for x in self._section("stock_statuses")}
        makers = {x["manufacturer_id"]: x["name"] for x in self._section("manufacturers")}
        rows = []
        for p in s.products:
            r = p.record
            w = weight.get(p.weight_class_id)
            rows.append({
                "product_id": p.product_id, "master_id": r.get("master_id", 0), "name": p.name,
                "description": r.get("description", ""), "model": p.model, "sku": r.get("sku", ""),
                "price": p.price, "tax_class_id": p.tax_class_id, "tax_class": tax.get(p.tax_class_id),
                "weight": p.weight, "weight_class_id": p.weight_class_id, "weight_unit": w.unit if w else None,
                "weight_class_value": w.value if w else None, "store_weight_value": store_value,
                "length": r.get("length"), "width": r.get("width"), "height": r.get("height"),
                "length_class_id": r.get("length_class_id"),
                "length_unit": length.get(int(r.get("length_class_id") or 0)),
                "quantity": self.engine.stock(p.product_id), "minimum": p.minimum, "subtract": p.subtract,
                "shipping": p.shipping, "points": p.points, "status": p.status,
                "stock_status_id": r.get("stock_status_id"),
                "stock_status": stock.get(int(r.get("stock_status_id") or 0)),
                "manufacturer_id": r.get("manufacturer_id"),
                "manufacturer": makers.get(int(r.get("manufacturer_id") or 0)),
                "date_available": r.get("date_available"), "date_added": r.get("date_added"),
                "date_modified": r.get("date_modified"),
            })
        return rows

    def _price_rows(self, special: bool) -> list[dict]:
        rows = []
        for p in self.store.products:
            if self.version == "4.1":
                picked = [d for d in p.discounts if d.special == special]
            else:
                picked = list(p.specials if special else p.discounts)
            for d in picked:
                rows.append({"id": d.product_discount_id, "product_id": p.product_id,
                             "customer_group_id": d.customer_group_id, "quantity": d.quantity,
                             "priority": d.priority, "type": d.type if self.version == "4.1" else "F",
                             "price": d.price, "date_start": d.date_start or None, "date_end": d.date_end or None})
        # 4.1 keeps specials and discounts in one table: ids run over both, in store order
        ids = autoincrement([r["id"] for r in rows])
        for r, i in zip(rows, ids):
            r["product_special_id" if special else "product_discount_id"] = i
        return rows

    def _rows_product_specials(self) -> list[dict]:
        if self.version == "4.1":
            return [r for r in self._unified_rows() if r["special"]]
        return self._price_rows(True)

    def _rows_product_discounts(self) -> list[dict]:
        if self.version == "4.1":
            return [r for r in self._unified_rows() if not r["special"]]
        return self._price_rows(False)

    def _unified_rows(self) -> list[dict]:
        rows = []
        for p in self.store.products:
            for d in p.discounts:
                rows.append({"id": d.product_discount_id, "product_id": p.product_id, "special": d.special,
                             "customer_group_id": d.customer_group_id, "quantity": d.quantity,
                             "priority": d.priority, "type": d.type, "price": d.price,
                             "date_start": d.date_start or None, "date_end": d.date_end or None})
        for r, i in zip(rows, autoincrement([r["id"] for r in rows])):
            r["product_discount_id"] = r["product_special_id"] = i
        return rows

    def _rows_product_options(self) -> list[dict]:
        rows = []
        for p in self.store.products:
            for o in p.options:
                base = {"product_id": p.product_id, "product_option_id": o.product_option_id,
                        "option_id": o.option_id, "option": o.name, "type": o.type, "required": o.required}
                if not o.values:
                    rows.append({**base, "value": o.value, "product_option_value_id": None, "option_value_id": None,
                                 "price": None, "price_prefix": None, "points": None, "points_prefix": None,
                                 "weight": None, "weight_prefix": None})
                for v in o.values:
                    rows.append({**base, "product_option_value_id": v.product_option_value_id,
                                 "option_value_id": v.option_value_id, "value": v.name,
                                 "quantity": self.engine.option_stock(v.product_option_value_id),
                                 "subtract": v.subtract, "price": v.price, "price_prefix": v.price_prefix,
                                 "points": v.points, "points_prefix": v.points_prefix, "weight": v.weight,
                                 "weight_prefix": v.weight_prefix})
        return rows

    def _rows_categories(self) -> list[dict]:
        return self._section("categories")

    def _rows_product_categories(self) -> list[dict]:
        own = {p.product_id for p in self.store.products}
        links = getattr(self.store, "product_categories", None) or self._demo["product_categories"]
        return [{"product_id": pid, "category_id": cid} for pid, cid in links if pid in own]

    def _rows_manufacturers(self) -> list[dict]:
        return self._section("manufacturers")

    def _rows_customer_groups(self) -> list[dict]:
        return [dict(vars(g)) for g in self.store.customer_groups]

    def _rows_customers(self) -> list[dict]:
        groups = {g.customer_group_id: g.name for g in self.store.customer_groups}
        rows = []
        for c in self.store.customers:
            default = next((a for a in c.addresses if a.default), c.addresses[0] if c.addresses else None)
            zone = self.engine.zone(default.zone_id) if default else None
            country = self.engine.country(default.country_id) if default else None
            rows.append({
                "customer_id": c.customer_id, "customer_group_id": c.customer_group_id,
                "customer_group": groups.get(c.customer_group_id), "store_id": 0,
                "language_id": self.store.settings.language_id, "status": c.status, "newsletter": False,
                "firstname": c.firstname, "lastname": c.lastname, "email": c.email, "telephone": c.telephone,
                **({"country_id": default.country_id, "iso_code_2": country.iso_code_2 if country else None,
                    "zone_id": default.zone_id, "zone": zone.name if zone else None, "company": default.company,
                    "address_1": default.address_1, "address_2": default.address_2, "city": default.city,
                    "postcode": default.postcode} if default else {}),
            })
        return rows

    def _address(self, prefix: str, a: Any) -> dict:
        if a is None:
            return {}
        country = self.engine.country(a.country_id)
        zone = self.engine.zone(a.zone_id)
        return {f"{prefix}_{k}": v for k, v in {
            "firstname": a.firstname, "lastname": a.lastname, "company": a.company, "address_1": a.address_1,
            "address_2": a.address_2, "city": a.city, "postcode": a.postcode, "country_id": a.country_id,
            "country": country.name if country else "", "iso_code_2": country.iso_code_2 if country else None,
            "zone_id": a.zone_id, "zone": zone.name if zone else ""}.items()}

    def _rows_orders(self) -> list[dict]:
        settings = self.store.settings
        rows = []
        for o in self.engine.orders():
            rows.append({
                "order_id": o.order_id, "store_id": o.store_id, "customer_id": o.customer.customer_id,
                "customer_group_id": o.customer.customer_group_id or settings.customer_group_id,
                "order_status_id": o.order_status_id, "order_status": self.engine.order_status_name(o.order_status_id),
                "total": o.total, "currency_code": o.currency, "currency_value": o.currency_value,
                "payment_method": o.payment_method.name if o.payment_method else "",
                "payment_code": o.payment_method.code if o.payment_method else "",
                "shipping_method": o.shipping_method.name if o.shipping_method else "",
                "shipping_code": o.shipping_method.code if o.shipping_method else "",
                **self._address("payment", o.payment_address), **self._address("shipping", o.shipping_address),
                "affiliate_id": o.affiliate_id, "commission": o.commission, "language_id": o.language_id,
                "date_added": o.date_added, "date_modified": o.date_modified,
                "firstname": o.customer.firstname, "lastname": o.customer.lastname, "email": o.customer.email,
                "telephone": o.customer.telephone, "comment": o.comment, "ip": o.ip, "user_agent": o.user_agent,
            })
        return rows

    def _rows_order_products(self) -> list[dict]:
        rows = [{"order_id": o.order_id, "product_id": p.product_id, "name": p.name, "model": p.model,
                 "quantity": p.quantity, "price": p.price, "total": p.total, "tax": None, "reward": p.reward}
                for o in self.engine.orders() for p in o.products]
        for i, r in enumerate(rows, 1):
            r["order_product_id"] = i
        return rows

    def _rows_order_options(self) -> list[dict]:
        rows, line = [], 0
        for o in self.engine.orders():
            for p in o.products:
                line += 1  # the order_product_id _rows_order_products gives this line
                rows += [{"order_id": o.order_id, "order_product_id": line,
                          "product_option_id": c.product_option_id,
                          "product_option_value_id": c.product_option_value_id,
                          "name": c.name, "value": c.value, "type": c.type} for c in p.options]
        for i, r in enumerate(rows, 1):
            r["order_option_id"] = i
        return rows

    def _rows_order_totals(self) -> list[dict]:
        rows = [{"order_id": o.order_id, "code": t.code, "title": t.title, "value": t.value, "sort_order": t.sort_order}
                for o in self.engine.orders() for t in o.totals]
        for i, r in enumerate(rows, 1):
            r["order_total_id"] = i
        return rows

    def _rows_order_history(self) -> list[dict]:
        rows = [{"order_id": o.order_id, "order_status_id": h.order_status_id,
                 "order_status": self.engine.order_status_name(h.order_status_id), "notify": h.notify,
                 "comment": h.comment, "date_added": h.date_added}
                for o in self.engine.orders() for h in o.history]
        for i, r in enumerate(rows, 1):
            r["order_history_id"] = i
        return rows

    def _rows_returns(self) -> list[dict]:
        return []

    def _rows_tax_rates(self) -> list[dict]:
        zones = {g.geo_zone_id: g.name for g in self.store.geo_zones}
        return [{"tax_rate_id": r.tax_rate_id, "name": r.name, "rate": r.rate, "type": r.type,
                 "geo_zone_id": r.geo_zone_id, "geo_zone": zones.get(r.geo_zone_id), "customer_group_id": g}
                for r in self.store.tax_rates for g in (sorted(r.customer_group_ids) or [None])]

    def _rows_tax_rules(self) -> list[dict]:
        return [{"tax_rule_id": rule.tax_rule_id, "tax_class_id": c.tax_class_id, "tax_class": c.title,
                 "tax_rate_id": rule.tax_rate_id, "based": rule.based, "priority": rule.priority}
                for c in self.store.tax_classes for rule in c.rules]

    def _rows_geo_zones(self) -> list[dict]:
        rows = []
        for g in self.store.geo_zones:
            base = {"geo_zone_id": g.geo_zone_id, "name": g.name, "description": g.description}
            if not g.members:
                rows.append(base)
            for country_id, zone_id in g.members:
                country = self.engine.country(country_id)
                zone = self.engine.zone(zone_id) if zone_id else None
                rows.append({**base, "country_id": country_id, "iso_code_2": country.iso_code_2 if country else None,
                             "country": country.name if country else None, "zone_id": zone_id,
                             "zone_code": zone.code if zone else None, "zone": zone.name if zone else None})
        return rows
