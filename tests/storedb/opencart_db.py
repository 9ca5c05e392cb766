"""OpenCart-shaped 3.0 / 4.0 / 4.1 schemas (our own DDL for the tables and columns ocdata
reads, with the version differences of OpenCart's install SQL) filled from a sandbox store.

The rows are built here from the sandbox's store description and orders, independently of
``ocdata.storedb.sandbox``, so comparing the two readers checks both mappings.
"""

from __future__ import annotations

import json
from typing import Any

from ocdata.storedb.sandbox import autoincrement, demo_catalog

ALL = ("3.0", "4.0", "4.1")
X = ("4.0", "4.1")

# (column definition, versions that have it)
_TABLES: dict[str, list[tuple[str, tuple[str, ...]]]] = {
    "setting": [("setting_id int AUTO_INCREMENT PRIMARY KEY", ALL), ("store_id int NOT NULL DEFAULT 0", ALL),
                ("code varchar(128) NOT NULL DEFAULT ''", ALL), ("`key` varchar(128) NOT NULL", ALL),
                ("value text NOT NULL", ALL), ("serialized tinyint(1) NOT NULL DEFAULT 0", ALL)],
    "language": [("language_id int PRIMARY KEY", ALL), ("name varchar(32)", ALL), ("code varchar(5)", ALL),
                 ("status tinyint(1)", ALL)],
    "product": [("product_id int PRIMARY KEY", ALL), ("master_id int NOT NULL DEFAULT 0", X),
                ("model varchar(64)", ALL), ("sku varchar(64) NOT NULL DEFAULT ''", ("3.0", "4.0")),
                ("quantity int", ALL), ("stock_status_id int", ALL), ("manufacturer_id int", ALL),
                ("shipping tinyint(1)", ALL), ("price decimal(15,4)", ALL), ("points int", ALL),
                ("tax_class_id int", ALL), ("date_available date", ALL), ("weight decimal(15,8)", ALL),
                ("weight_class_id int", ALL), ("length decimal(15,8)", ALL), ("width decimal(15,8)", ALL),
                ("height decimal(15,8)", ALL), ("length_class_id int", ALL), ("subtract tinyint(1)", ALL),
                ("minimum int", ALL), ("sort_order int DEFAULT 0", ALL), ("status tinyint(1)", ALL),
                ("date_added datetime", ALL), ("date_modified datetime", ALL)],
    "product_code": [("product_code_id int AUTO_INCREMENT PRIMARY KEY", ("4.1",)), ("product_id int", ("4.1",)),
                     ("code varchar(48)", ("4.1",)), ("value varchar(255)", ("4.1",))],
    "product_description": [("product_id int", ALL), ("language_id int", ALL), ("name varchar(255)", ALL),
                            ("description mediumtext", ALL)],
    "tax_class": [("tax_class_id int PRIMARY KEY", ALL), ("title varchar(32)", ALL), ("description varchar(255)", ALL)],
    "weight_class": [("weight_class_id int PRIMARY KEY", ALL), ("value decimal(15,8)", ALL)],
    "weight_class_description": [("weight_class_id int", ALL), ("language_id int", ALL), ("title varchar(32)", ALL),
                                 ("unit varchar(4)", ALL)],
    "length_class_description": [("length_class_id int", ALL), ("language_id int", ALL), ("title varchar(32)", ALL),
                                 ("unit varchar(4)", ALL)],
    "stock_status": [("stock_status_id int", ALL), ("language_id int", ALL), ("name varchar(32)", ALL)],
    "manufacturer": [("manufacturer_id int PRIMARY KEY", ALL), ("name varchar(64)", ALL), ("sort_order int", ALL)],
    "product_special": [("product_special_id int AUTO_INCREMENT PRIMARY KEY", ("3.0", "4.0")),
                        ("product_id int", ("3.0", "4.0")), ("customer_group_id int", ("3.0", "4.0")),
                        ("priority int", ("3.0", "4.0")), ("price decimal(15,4)", ("3.0", "4.0")),
                        ("date_start date", ("3.0", "4.0")), ("date_end date", ("3.0", "4.0"))],
    "product_discount": [("product_discount_id int AUTO_INCREMENT PRIMARY KEY", ALL), ("product_id int", ALL),
                         ("customer_group_id int", ALL), ("quantity int", ALL), ("priority int", ALL),
                         ("price decimal(15,4)", ALL), ("type char(1) NOT NULL DEFAULT 'F'", ("4.1",)),
                         ("special tinyint(1) NOT NULL DEFAULT 0", ("4.1",)), ("date_start date", ALL),
                         ("date_end date", ALL)],
    "option": [("option_id int PRIMARY KEY", ALL), ("type varchar(32)", ALL), ("sort_order int DEFAULT 0", ALL)],
    "option_description": [("option_id int", ALL), ("language_id int", ALL), ("name varchar(128)", ALL)],
    "option_value_description": [("option_value_id int", ALL), ("language_id int", ALL), ("option_id int", ALL),
                                 ("name varchar(128)", ALL)],
    "product_option": [("product_option_id int PRIMARY KEY", ALL), ("product_id int", ALL), ("option_id int", ALL),
                       ("value text", ALL), ("required tinyint(1)", ALL)],
    "product_option_value": [("product_option_value_id int PRIMARY KEY", ALL), ("product_option_id int", ALL),
                             ("product_id int", ALL), ("option_id int", ALL), ("option_value_id int", ALL),
                             ("quantity int", ALL), ("subtract tinyint(1)", ALL), ("price decimal(15,4)", ALL),
                             ("price_prefix varchar(1)", ALL), ("points int", ALL), ("points_prefix varchar(1)", ALL),
                             ("weight decimal(15,8)", ALL), ("weight_prefix varchar(1)", ALL)],
    "category": [("category_id int PRIMARY KEY", ALL), ("image varchar(255) DEFAULT ''", ALL), ("parent_id int", ALL),
                 ("top tinyint(1) DEFAULT 0", ("3.0", "4.0")), ("`column` int DEFAULT 0", ("3.0", "4.0")),
                 ("sort_order int", ALL), ("status tinyint(1)", ALL)],
    "category_description": [("category_id int", ALL), ("language_id int", ALL), ("name varchar(255)", ALL),
                             ("description text", ALL)],
    "product_to_category": [("product_id int", ALL), ("category_id int", ALL)],
    "customer_group": [("customer_group_id int PRIMARY KEY", ALL), ("approval int", ALL), ("sort_order int", ALL)],
    "customer_group_description": [("customer_group_id int", ALL), ("language_id int", ALL),
                                   ("name varchar(32)", ALL), ("description text", ALL)],
    "customer": [("customer_id int PRIMARY KEY", ALL), ("customer_group_id int", ALL), ("store_id int", ALL),
                 ("language_id int", ALL), ("firstname varchar(32)", ALL), ("lastname varchar(32)", ALL),
                 ("email varchar(96)", ALL), ("telephone varchar(32)", ALL), ("address_id int DEFAULT 0", ("3.0",)),
                 ("newsletter tinyint(1)", ALL), ("status tinyint(1)", ALL), ("date_added datetime", ALL)],
    "address": [("address_id int PRIMARY KEY", ALL), ("customer_id int", ALL), ("firstname varchar(32)", ALL),
                ("lastname varchar(32)", ALL), ("company varchar(60)", ALL), ("address_1 varchar(128)", ALL),
                ("address_2 varchar(128)", ALL), ("city varchar(128)", ALL), ("postcode varchar(10)", ALL),
                ("country_id int", ALL), ("zone_id int", ALL), ("`default` tinyint(1) DEFAULT 0", X)],
    "country": [("country_id int PRIMARY KEY", ALL), ("name varchar(128)", ("3.0", "4.0")),
                ("iso_code_2 varchar(2)", ALL), ("iso_code_3 varchar(3)", ALL), ("status tinyint(1)", ALL)],
    "country_description": [("country_id int", ("4.1",)), ("language_id int", ("4.1",)),
                            ("name varchar(255)", ("4.1",))],
    "zone": [("zone_id int PRIMARY KEY", ALL), ("country_id int", ALL), ("name varchar(128)", ("3.0", "4.0")),
             ("code varchar(32)", ALL), ("status tinyint(1)", ALL)],
    "zone_description": [("zone_id int", ("4.1",)), ("language_id int", ("4.1",)), ("name varchar(255)", ("4.1",))],
    "order": [("order_id int PRIMARY KEY", ALL), ("store_id int", ALL), ("customer_id int", ALL),
              ("customer_group_id int", ALL), ("firstname varchar(32)", ALL), ("lastname varchar(32)", ALL),
              ("email varchar(96)", ALL), ("telephone varchar(32)", ALL),
              *[(f"{p}_{c}", ALL) for p in ("payment", "shipping") for c in (
                  "firstname varchar(32)", "lastname varchar(32)", "company varchar(60)", "address_1 varchar(128)",
                  "address_2 varchar(128)", "city varchar(128)", "postcode varchar(10)", "country varchar(128)",
                  "country_id int", "zone varchar(128)", "zone_id int")],
              ("payment_method text", ALL), ("payment_code varchar(128)", ("3.0",)),
              ("shipping_method text", ALL), ("shipping_code varchar(128)", ("3.0",)), ("comment text", ALL),
              ("total decimal(15,4)", ALL), ("order_status_id int", ALL), ("affiliate_id int", ALL),
              ("commission decimal(15,4)", ALL), ("language_id int", ALL), ("currency_code varchar(3)", ALL),
              ("currency_value decimal(15,8)", ALL), ("ip varchar(40)", ALL), ("user_agent varchar(255)", ALL),
              ("date_added datetime", ALL), ("date_modified datetime", ALL)],
    "order_product": [("order_product_id int AUTO_INCREMENT PRIMARY KEY", ALL), ("order_id int", ALL),
                      ("product_id int", ALL), ("master_id int DEFAULT 0", X), ("name varchar(255)", ALL),
                      ("model varchar(64)", ALL), ("quantity int", ALL), ("price decimal(15,4)", ALL),
                      ("total decimal(15,4)", ALL), ("tax decimal(15,4)", ALL), ("reward int", ALL)],
    "order_option": [("order_option_id int AUTO_INCREMENT PRIMARY KEY", ALL), ("order_id int", ALL),
                     ("order_product_id int", ALL), ("product_option_id int", ALL),
                     ("product_option_value_id int DEFAULT 0", ALL), ("name varchar(255)", ALL), ("value text", ALL),
                     ("type varchar(32)", ALL)],
    "order_total": [("order_total_id int AUTO_INCREMENT PRIMARY KEY", ALL), ("order_id int", ALL),
                    ("extension varchar(255) DEFAULT 'opencart'", X), ("code varchar(32)", ALL),
                    ("title varchar(255)", ALL), ("value decimal(15,4)", ALL), ("sort_order int", ALL)],
    "order_history": [("order_history_id int AUTO_INCREMENT PRIMARY KEY", ALL), ("order_id int", ALL),
                      ("order_status_id int", ALL), ("notify tinyint(1)", ALL), ("comment text", ALL),
                      ("date_added datetime", ALL)],
    "order_status": [("order_status_id int", ALL), ("language_id int", ALL), ("name varchar(32)", ALL)],
    "return": [("return_id int AUTO_INCREMENT PRIMARY KEY", ALL), ("order_id int", ALL), ("product_id int", ALL),
               ("customer_id int", ALL), ("firstname varchar(32)", ALL), ("lastname varchar(32)", ALL),
               ("email varchar(96)", ALL), ("telephone varchar(32)", ALL), ("product varchar(255)", ALL),
               ("model varchar(64)", ALL), ("quantity int", ALL), ("opened tinyint(1)", ALL),
               ("return_reason_id int", ALL), ("return_action_id int", ALL), ("return_status_id int", ALL),
               ("comment text", ALL), ("date_ordered date", ALL), ("date_added datetime", ALL),
               ("date_modified datetime", ALL)],
    "return_reason": [("return_reason_id int", ALL), ("language_id int", ALL), ("name varchar(128)", ALL)],
    "return_action": [("return_action_id int", ALL), ("language_id int", ALL), ("name varchar(64)", ALL)],
    "return_status": [("return_status_id int", ALL), ("language_id int", ALL), ("name varchar(32)", ALL)],
    "tax_rate": [("tax_rate_id int PRIMARY KEY", ALL), ("geo_zone_id int", ALL), ("name varchar(32)", ALL),
                 ("rate decimal(15,4)", ALL), ("type char(1)", ALL)],
    "tax_rate_to_customer_group": [("tax_rate_id int", ALL), ("customer_group_id int", ALL)],
    "tax_rule": [("tax_rule_id int PRIMARY KEY", ALL), ("tax_class_id int", ALL), ("tax_rate_id int", ALL),
                 ("based varchar(10)", ALL), ("priority int", ALL)],
    "geo_zone": [("geo_zone_id int PRIMARY KEY", ALL), ("name varchar(32)", ALL), ("description varchar(255)", ALL)],
    "zone_to_geo_zone": [("zone_to_geo_zone_id int AUTO_INCREMENT PRIMARY KEY", ALL), ("country_id int", ALL),
                         ("zone_id int", ALL), ("geo_zone_id int", ALL)],
}


def ddl(version: str, prefix: str = "oc_") -> list[str]:
    """CREATE TABLE statements of an OpenCart ``version`` schema (the columns ocdata reads)."""
    out = []
    for table, columns in _TABLES.items():
        cols = [c for c, versions in columns if version in versions]
        if cols:
            out.append(f"CREATE TABLE `{prefix}{table}` ({', '.join(cols)}) DEFAULT CHARSET=utf8mb4")
    return out


def _date(text: Any) -> Any:
    return text or None


def rows(engine: Any, version: str) -> dict[str, list[dict[str, Any]]]:
    """The tables' rows for a sandbox engine's store and its orders, as that OpenCart version keeps them."""
    s = engine.store
    lang = s.settings.language_id
    v41, x = version == "4.1", version != "3.0"
    demo = demo_catalog()
    t: dict[str, list[dict[str, Any]]] = {name: [] for name in _TABLES}
    t["setting"] = [{"store_id": 0, "code": "config", "key": k, "value": v} for k, v in (
        ("config_language_catalog" if v41 else "config_language", "en-gb"),
        ("config_weight_class_id", str(s.settings.weight_class_id)))]
    t["language"] = [{"language_id": lang, "name": "English", "code": "en-gb", "status": 1}]
    for p in s.products:
        r = p.record
        row = {"product_id": p.product_id, "model": p.model, "quantity": engine.stock(p.product_id),
               "stock_status_id": r.get("stock_status_id"), "manufacturer_id": r.get("manufacturer_id"),
               "shipping": p.shipping, "price": p.price, "points": p.points, "tax_class_id": p.tax_class_id,
               "date_available": r.get("date_available"), "weight": p.weight, "weight_class_id": p.weight_class_id,
               "length": r.get("length"), "width": r.get("width"), "height": r.get("height"),
               "length_class_id": r.get("length_class_id"), "subtract": p.subtract, "minimum": p.minimum,
               "status": p.status, "date_added": r.get("date_added"), "date_modified": r.get("date_modified")}
        if x:
            row["master_id"] = r.get("master_id") or 0
        if not v41:
            row["sku"] = r.get("sku", "")
        elif r.get("sku"):
            t["product_code"].append({"product_id": p.product_id, "code": "SKU", "value": r["sku"]})
        t["product"].append(row)
        t["product_description"].append({"product_id": p.product_id, "language_id": lang, "name": p.name,
                                         "description": r.get("description", "")})
        for o in p.options:
            t["product_option"].append({"product_option_id": o.product_option_id, "product_id": p.product_id,
                                        "option_id": o.option_id, "value": o.value, "required": o.required})
            if not any(d["option_id"] == o.option_id for d in t["option"]):
                t["option"].append({"option_id": o.option_id, "type": o.type})
                t["option_description"].append({"option_id": o.option_id, "language_id": lang, "name": o.name})
            for v in o.values:
                t["product_option_value"].append({
                    "product_option_value_id": v.product_option_value_id, "product_option_id": o.product_option_id,
                    "product_id": p.product_id, "option_id": o.option_id, "option_value_id": v.option_value_id,
                    "quantity": engine.option_stock(v.product_option_value_id), "subtract": v.subtract,
                    "price": v.price, "price_prefix": v.price_prefix, "points": v.points,
                    "points_prefix": v.points_prefix, "weight": v.weight, "weight_prefix": v.weight_prefix})
                if not any(d["option_value_id"] == v.option_value_id for d in t["option_value_description"]):
                    t["option_value_description"].append({"option_value_id": v.option_value_id, "language_id": lang,
                                                          "option_id": o.option_id, "name": v.name})
        prices = [(d, False) for d in p.discounts] if v41 else []
        if not v41:
            for d in p.specials:
                t["product_special"].append({"product_special_id": d.product_discount_id or None,
                                             "product_id": p.product_id, "customer_group_id": d.customer_group_id,
                                             "priority": d.priority, "price": d.price,
                                             "date_start": _date(d.date_start), "date_end": _date(d.date_end)})
            prices = [(d, False) for d in p.discounts]
        for d, _ in prices:
            row = {"product_discount_id": d.product_discount_id or None, "product_id": p.product_id,
                   "customer_group_id": d.customer_group_id, "quantity": d.quantity, "priority": d.priority,
                   "price": d.price, "date_start": _date(d.date_start), "date_end": _date(d.date_end)}
            if v41:
                row.update(type=d.type, special=d.special)
            t["product_discount"].append(row)
    for table in ("product_special", "product_discount"):
        key = f"{table}_id"
        for row, i in zip(t[table], autoincrement([r[key] or 0 for r in t[table]])):
            row[key] = i  # as AUTO_INCREMENT would, but explicit so insert order does not matter
    t["tax_class"] = [{"tax_class_id": c.tax_class_id, "title": c.title, "description": c.description}
                      for c in s.tax_classes]
    t["tax_rule"] = [{"tax_rule_id": r.tax_rule_id, "tax_class_id": c.tax_class_id, "tax_rate_id": r.tax_rate_id,
                      "based": r.based, "priority": r.priority} for c in s.tax_classes for r in c.rules]
    t["tax_rate"] = [{"tax_rate_id": r.tax_rate_id, "geo_zone_id": r.geo_zone_id, "name": r.name, "rate": r.rate,
                      "type": r.type} for r in s.tax_rates]
    t["tax_rate_to_customer_group"] = [{"tax_rate_id": r.tax_rate_id, "customer_group_id": g}
                                       for r in s.tax_rates for g in r.customer_group_ids]
    t["geo_zone"] = [{"geo_zone_id": g.geo_zone_id, "name": g.name, "description": g.description} for g in s.geo_zones]
    t["zone_to_geo_zone"] = [{"geo_zone_id": g.geo_zone_id, "country_id": c, "zone_id": z}
                             for g in s.geo_zones for c, z in g.members]
    t["weight_class"] = [{"weight_class_id": w.weight_class_id, "value": w.value} for w in s.weight_classes]
    t["weight_class_description"] = [{"weight_class_id": w.weight_class_id, "language_id": lang, "title": w.title,
                                      "unit": w.unit} for w in s.weight_classes]
    t["length_class_description"] = [{"length_class_id": c["length_class_id"], "language_id": lang,
                                      "title": c["title"], "unit": c["unit"]} for c in demo["length_classes"]]
    t["stock_status"] = [{"stock_status_id": c["stock_status_id"], "language_id": lang, "name": c["name"]}
                         for c in demo["stock_statuses"]]
    t["manufacturer"] = [dict(m) for m in demo["manufacturers"]]
    t["category"] = [{"category_id": c["category_id"], "parent_id": c["parent_id"], "sort_order": c["sort_order"],
                      "status": c["status"]} for c in demo["categories"]]
    t["category_description"] = [{"category_id": c["category_id"], "language_id": lang, "name": c["name"],
                                  "description": ""} for c in demo["categories"]]
    own = {p.product_id for p in s.products}
    t["product_to_category"] = [{"product_id": p, "category_id": c} for p, c in demo["product_categories"] if p in own]
    t["customer_group"] = [{"customer_group_id": g.customer_group_id, "approval": int(g.approval),
                            "sort_order": g.sort_order} for g in s.customer_groups]
    t["customer_group_description"] = [{"customer_group_id": g.customer_group_id, "language_id": lang,
                                        "name": g.name, "description": g.description} for g in s.customer_groups]
    for c in s.customers:
        addresses = sorted(c.addresses, key=lambda a: a.address_id)
        default = next((a for a in addresses if a.default), addresses[0] if addresses else None)
        row = {"customer_id": c.customer_id, "customer_group_id": c.customer_group_id, "store_id": 0,
               "language_id": lang, "firstname": c.firstname, "lastname": c.lastname, "email": c.email,
               "telephone": c.telephone, "newsletter": 0, "status": c.status, "date_added": None}
        if not x:
            row["address_id"] = default.address_id if default else 0
        t["customer"].append(row)
        for a in addresses:
            arow = {"address_id": a.address_id, "customer_id": c.customer_id, "firstname": a.firstname,
                    "lastname": a.lastname, "company": a.company, "address_1": a.address_1, "address_2": a.address_2,
                    "city": a.city, "postcode": a.postcode, "country_id": a.country_id, "zone_id": a.zone_id}
            if x:
                arow["default"] = a is default
            t["address"].append(arow)
    for country in s.countries:
        row = {"country_id": country.country_id, "iso_code_2": country.iso_code_2,
               "iso_code_3": country.iso_code_3, "status": country.status}
        if v41:
            t["country_description"].append({"country_id": country.country_id, "language_id": lang,
                                             "name": country.name})
        else:
            row["name"] = country.name
        t["country"].append(row)
        for z in country.zones:
            zrow = {"zone_id": z.zone_id, "country_id": country.country_id, "code": z.code, "status": z.status}
            if v41:
                t["zone_description"].append({"zone_id": z.zone_id, "language_id": lang, "name": z.name})
            else:
                zrow["name"] = z.name
            t["zone"].append(zrow)
    t["order_status"] = [{"order_status_id": o.order_status_id, "language_id": lang, "name": o.name}
                         for o in s.order_statuses]
    t["return_reason"] = [{"return_reason_id": i, "language_id": lang, "name": n}
                          for i, n in ((1, "Dead On Arrival"), (2, "Received Wrong Item"),
                                       (4, "Faulty, please supply details"))]
    t["return_action"] = [{"return_action_id": i, "language_id": lang, "name": n}
                          for i, n in ((1, "Refunded"), (2, "Credit Issued"))]
    t["return_status"] = [{"return_status_id": i, "language_id": lang, "name": n}
                          for i, n in ((1, "Pending"), (2, "Awaiting Products"), (3, "Complete"))]
    for o in engine.orders():
        t["order"].append(_order_row(engine, o, version))
        for p in o.products:
            line = len(t["order_product"]) + 1  # the AUTO_INCREMENT id this line gets
            t["order_option"] += [{"order_id": o.order_id, "order_product_id": line,
                                   "product_option_id": c.product_option_id,
                                   "product_option_value_id": c.product_option_value_id, "name": c.name,
                                   "value": c.value, "type": c.type} for c in p.options]
            row = {"order_id": o.order_id, "product_id": p.product_id, "name": p.name, "model": p.model,
                   "quantity": p.quantity, "price": p.price, "total": p.total, "tax": None, "reward": p.reward}
            if x:
                row["master_id"] = 0
            t["order_product"].append(row)
        for line in o.totals:
            t["order_total"].append({"order_id": o.order_id, "code": line.code, "title": line.title,
                                     "value": line.value, "sort_order": line.sort_order})
        for h in o.history:
            t["order_history"].append({"order_id": o.order_id, "order_status_id": h.order_status_id,
                                       "notify": h.notify, "comment": h.comment, "date_added": h.date_added})
    return t


def _order_row(engine: Any, o: Any, version: str) -> dict[str, Any]:
    row: dict[str, Any] = {
        "order_id": o.order_id, "store_id": o.store_id, "customer_id": o.customer.customer_id,
        "customer_group_id": o.customer.customer_group_id or engine.store.settings.customer_group_id,
        "firstname": o.customer.firstname, "lastname": o.customer.lastname, "email": o.customer.email,
        "telephone": o.customer.telephone, "comment": o.comment, "total": o.total,
        "order_status_id": o.order_status_id, "affiliate_id": o.affiliate_id, "commission": o.commission,
        "language_id": o.language_id, "currency_code": o.currency, "currency_value": o.currency_value,
        "ip": o.ip, "user_agent": o.user_agent, "date_added": o.date_added, "date_modified": o.date_modified,
    }
    for prefix, a in (("payment", o.payment_address), ("shipping", o.shipping_address)):
        country = engine.country(a.country_id) if a else None
        zone = engine.zone(a.zone_id) if a else None
        for c in ("firstname", "lastname", "company", "address_1", "address_2", "city", "postcode"):
            row[f"{prefix}_{c}"] = getattr(a, c) if a else ""
        row[f"{prefix}_country_id"] = a.country_id if a else 0
        row[f"{prefix}_zone_id"] = a.zone_id if a else 0
        row[f"{prefix}_country"] = country.name if country else ""
        row[f"{prefix}_zone"] = zone.name if zone else ""
    for prefix, m in (("payment", o.payment_method), ("shipping", o.shipping_method)):
        if version == "3.0":
            row[f"{prefix}_method"] = m.name if m else ""
            row[f"{prefix}_code"] = m.code if m else ""
        else:  # 4.x: json_encode of the chosen method
            row[f"{prefix}_method"] = json.dumps({"name": m.name, "code": m.code}) if m else ""
    return row


def create(admin: Any, database: str, engine: Any, version: str, prefix: str = "oc_") -> None:
    """Create ``database`` with the ``version`` schema and the engine's store in it."""
    with admin.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS `{database}`")
        cur.execute(f"CREATE DATABASE `{database}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
        cur.execute(f"USE `{database}`")
        for statement in ddl(version, prefix):
            cur.execute(statement)
        for table, table_rows in rows(engine, version).items():
            insert(cur, f"{prefix}{table}", table_rows)


def insert(cur: Any, table: str, table_rows: list[dict[str, Any]]) -> None:
    if not table_rows:
        return
    columns = list(table_rows[0])
    sql = (f"INSERT INTO `{table}` ({', '.join(f'`{c}`' for c in columns)}) "
           f"VALUES ({', '.join(['%s'] * len(columns))})")
    cur.executemany(sql, [tuple(_value(r.get(c)) for c in columns) for r in table_rows])


def _value(v: Any) -> Any:
    if isinstance(v, bool):
        return int(v)
    return v
