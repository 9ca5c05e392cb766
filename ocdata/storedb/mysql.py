"""Read an OpenCart MySQL/MariaDB database (or a replica), read-only, into the store-database frames.

``connect("mysql://user:pw@host/db")`` (or ``mysql://user@localhost/db?unix_socket=/run/mysqld/mysqld.sock``)
opens one PyMySQL connection and:

* makes the session **read-only** before anything else runs (``SET SESSION TRANSACTION
  READ ONLY`` as the connection's init command, checked through
  ``@@transaction_read_only``), and reads every frame inside ``START TRANSACTION READ
  ONLY`` … ``COMMIT`` (one consistent snapshot per frame, no lingering transaction on a
  replica). Even a user with every privilege cannot write through it; the server refuses.
* detects the **schema generation** from the tables themselves: ``<prefix>country_description``
  exists only in 4.1, ``<prefix>product.master_id`` in 4.0 and 4.1; else 3.0. The
  differences it reads around: 4.1 keeps country/zone names in ``*_description`` tables, the
  SKU in ``product_code`` and specials as ``product_discount`` rows flagged ``special`` (with
  F/S/P types); 4.x orders store the payment/shipping method as JSON, 3.0 as a name plus a
  ``*_code`` column; 3.0 finds a customer's default address through ``customer.address_id``,
  4.x through ``address.default``.
* checks every table and column it reads exists before the first read, so a wrong prefix,
  a partial copy or an unknown version is a clear error, not a SQL error halfway.

Rows come back through the driver in one ``fetchall`` and become a DataFrame in one
``from_records`` call (DECIMAL arrives as float, DATE/DATETIME as text parsed in bulk).
The password is a :class:`~ocdata.client.credentials.Secret`: never in a repr, a log or an error.
"""

from __future__ import annotations

import logging
import re
import threading
import urllib.parse
from typing import Any

import pandas as pd

from ocdata.client.credentials import Secret
from ocdata.storedb.errors import (
    MissingTableError,
    ReadOnlyError,
    SchemaNotFoundError,
    StoreDBConfigError,
    StoreDBConnectionError,
    StoreDBError,
    UnsupportedVersionError,
)
from ocdata.storedb.reader import StoreDB

__all__ = ["MySQLStoreDB", "connect", "VERSIONS", "parse_url"]

LOG = logging.getLogger(__name__)

#: schema generations this module reads
VERSIONS = ("3.0", "4.0", "4.1")
_SCHEMES = ("mysql", "mariadb", "mysql+pymysql", "mariadb+pymysql")
# server error codes: the connection is gone (and can be re-opened) / a read-only refusal
_LOST = {2006, 2013, 2055}
_UNREACHABLE = {2002, 2003, 2005}
_READ_ONLY = {1792, 1290, 1036}


def parse_url(url: str) -> dict[str, Any]:
    """Connection arguments from ``mysql://user:password@host:port/database?unix_socket=…&charset=…``."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme.lower() not in _SCHEMES:
        raise StoreDBConfigError(
            f"cannot read a database URL with scheme {parts.scheme!r}: use mysql://user:password@host:port/database "
            f"(or ?unix_socket=/path/to/mysqld.sock for a local socket)")
    database = urllib.parse.unquote(parts.path.lstrip("/"))
    if not database:
        raise StoreDBConfigError("the database URL names no database: add it as the path, mysql://user@host/<database>")
    query = dict(urllib.parse.parse_qsl(parts.query))
    unknown = set(query) - {"unix_socket", "charset", "ssl_ca", "ssl_cert", "ssl_key", "connect_timeout"}
    if unknown:
        raise StoreDBConfigError(f"unknown database URL options {sorted(unknown)}: known are unix_socket, charset, "
                                 f"ssl_ca, ssl_cert, ssl_key, connect_timeout")
    password = urllib.parse.unquote(parts.password) if parts.password is not None else ""
    args: dict[str, Any] = {
        "host": parts.hostname or "localhost",
        "port": parts.port or 3306,
        "user": urllib.parse.unquote(parts.username or ""),
        "password": Secret(password),
        "database": database,
        "charset": query.pop("charset", "utf8mb4"),
    }
    if "connect_timeout" in query:
        args["connect_timeout"] = float(query.pop("connect_timeout"))
    args.update(query)
    return args


def _display(args: dict[str, Any]) -> str:
    socket = args.get("unix_socket")
    where = f"{args['host']} (socket {socket})" if socket else f"{args['host']}:{args['port']}"
    return f"mysql://{args['user']}@{where}/{args['database']}"


def normalise_version(version: str) -> str:
    """``"4.1.0.4"`` → ``"4.1"``; :class:`UnsupportedVersionError` for anything ocdata cannot read."""
    text = str(version).strip()
    m = re.match(r"^(\d+)\.(\d+)", text)
    short = f"{m.group(1)}.{m.group(2)}" if m else text
    if short not in VERSIONS:
        raise UnsupportedVersionError(
            f"OpenCart schema version {version!r} is not one ocdata reads ({', '.join(VERSIONS)}, any patch "
            f"release of them); pass version='auto' to detect it, or the nearest of those if your store's tables "
            f"match it")
    return short


# --------------------------------------------------------------------------- the SQL, per generation


def _queries(v: str, pii: bool) -> dict[str, tuple[str, dict[str, set[str]]]]:
    """``{frame: (sql with {t:name} table placeholders, {table: columns it reads})}`` for version ``v``."""
    x = v != "3.0"
    v41 = v == "4.1"
    need: dict[str, dict[str, set[str]]] = {}

    def q(kind: str, sql: str, uses: dict[str, str]) -> None:
        need[kind] = {t: set(cols.split()) for t, cols in uses.items()}
        QUERIES[kind] = sql

    QUERIES: dict[str, str] = {}
    country_name = "cd.name" if v41 else "c.name"
    country_join = ("LEFT JOIN {t:country_description} cd ON cd.country_id = c.country_id AND cd.language_id = %(lang)s"
                    if v41 else "")
    zone_name = "zd.name" if v41 else "z.name"
    zone_join = ("LEFT JOIN {t:zone_description} zd ON zd.zone_id = z.zone_id AND zd.language_id = %(lang)s"
                 if v41 else "")
    names_41 = {"country_description": "country_id language_id name", "zone_description": "zone_id language_id name"}

    sku = ("(SELECT pc.value FROM {t:product_code} pc WHERE pc.product_id = p.product_id AND pc.code = 'SKU' "
           "ORDER BY pc.product_code_id LIMIT 1)") if v41 else "p.sku"
    q("products", f"""
        SELECT p.product_id, {'p.master_id' if x else 'NULL'} AS master_id, pd.name, pd.description, p.model,
               {sku} AS sku, p.price, p.tax_class_id, tc.title AS tax_class, p.weight, p.weight_class_id,
               wcd.unit AS weight_unit, wc.value AS weight_class_value,
               (SELECT sw.value FROM {{t:weight_class}} sw WHERE sw.weight_class_id = %(weight_class_id)s)
                   AS store_weight_value,
               p.length, p.width, p.height, p.length_class_id, lcd.unit AS length_unit, p.quantity, p.minimum,
               p.subtract, p.shipping, p.points, p.status, p.stock_status_id, ss.name AS stock_status,
               p.manufacturer_id, m.name AS manufacturer, p.date_available, p.date_added, p.date_modified
        FROM {{t:product}} p
        LEFT JOIN {{t:product_description}} pd ON pd.product_id = p.product_id AND pd.language_id = %(lang)s
        LEFT JOIN {{t:tax_class}} tc ON tc.tax_class_id = p.tax_class_id
        LEFT JOIN {{t:weight_class}} wc ON wc.weight_class_id = p.weight_class_id
        LEFT JOIN {{t:weight_class_description}} wcd
               ON wcd.weight_class_id = p.weight_class_id AND wcd.language_id = %(lang)s
        LEFT JOIN {{t:length_class_description}} lcd
               ON lcd.length_class_id = p.length_class_id AND lcd.language_id = %(lang)s
        LEFT JOIN {{t:stock_status}} ss ON ss.stock_status_id = p.stock_status_id AND ss.language_id = %(lang)s
        LEFT JOIN {{t:manufacturer}} m ON m.manufacturer_id = p.manufacturer_id
        ORDER BY p.product_id""", {
        "product": "product_id model price tax_class_id weight weight_class_id length width height length_class_id "
                   "quantity minimum subtract shipping points status stock_status_id manufacturer_id date_available "
                   "date_added date_modified" + (" master_id" if x else "") + ("" if v41 else " sku"),
        "product_description": "product_id language_id name description",
        "tax_class": "tax_class_id title", "weight_class": "weight_class_id value",
        "weight_class_description": "weight_class_id language_id unit",
        "length_class_description": "length_class_id language_id unit",
        "stock_status": "stock_status_id language_id name", "manufacturer": "manufacturer_id name",
        **({"product_code": "product_id code value product_code_id"} if v41 else {}),
    })
    dates = "date_start, date_end"
    if v41:
        q("product_specials", f"""
            SELECT product_discount_id AS product_special_id, product_id, customer_group_id, priority, type, price,
                   {dates} FROM {{t:product_discount}} WHERE special = 1 ORDER BY product_discount_id""",
          {"product_discount": "product_discount_id product_id customer_group_id priority type price special "
                               "date_start date_end"})
        q("product_discounts", f"""
            SELECT product_discount_id, product_id, customer_group_id, quantity, priority, type, price, {dates}
            FROM {{t:product_discount}} WHERE special = 0 ORDER BY product_discount_id""",
          {"product_discount": "product_discount_id product_id customer_group_id quantity priority type price "
                               "special date_start date_end"})
    else:
        q("product_specials", f"""
            SELECT product_special_id, product_id, customer_group_id, priority, 'F' AS type, price, {dates}
            FROM {{t:product_special}} ORDER BY product_special_id""",
          {"product_special": "product_special_id product_id customer_group_id priority price date_start date_end"})
        q("product_discounts", f"""
            SELECT product_discount_id, product_id, customer_group_id, quantity, priority, 'F' AS type, price, {dates}
            FROM {{t:product_discount}} ORDER BY product_discount_id""",
          {"product_discount": "product_discount_id product_id customer_group_id quantity priority price "
                               "date_start date_end"})
    q("product_options", """
        SELECT po.product_id, po.product_option_id, po.option_id, od.name AS `option`, o.type, po.required,
               pov.product_option_value_id, pov.option_value_id, COALESCE(ovd.name, po.value) AS value,
               pov.quantity, pov.subtract, pov.price, pov.price_prefix, pov.points, pov.points_prefix,
               pov.weight, pov.weight_prefix
        FROM {t:product_option} po
        JOIN {t:option} o ON o.option_id = po.option_id
        LEFT JOIN {t:option_description} od ON od.option_id = po.option_id AND od.language_id = %(lang)s
        LEFT JOIN {t:product_option_value} pov ON pov.product_option_id = po.product_option_id
        LEFT JOIN {t:option_value_description} ovd
               ON ovd.option_value_id = pov.option_value_id AND ovd.language_id = %(lang)s
        ORDER BY po.product_id, po.product_option_id, pov.product_option_value_id""", {
        "product_option": "product_option_id product_id option_id value required", "option": "option_id type",
        "option_description": "option_id language_id name",
        "product_option_value": "product_option_value_id product_option_id option_value_id quantity subtract price "
                                "price_prefix points points_prefix weight weight_prefix",
        "option_value_description": "option_value_id language_id name",
    })
    q("categories", """
        SELECT c.category_id, c.parent_id, cd.name, c.sort_order, c.status
        FROM {t:category} c
        LEFT JOIN {t:category_description} cd ON cd.category_id = c.category_id AND cd.language_id = %(lang)s
        ORDER BY c.category_id""",
      {"category": "category_id parent_id sort_order status", "category_description": "category_id language_id name"})
    q("product_categories",
      "SELECT product_id, category_id FROM {t:product_to_category} ORDER BY product_id, category_id",
      {"product_to_category": "product_id category_id"})
    q("manufacturers", "SELECT manufacturer_id, name, sort_order FROM {t:manufacturer} ORDER BY manufacturer_id",
      {"manufacturer": "manufacturer_id name sort_order"})
    q("customer_groups", """
        SELECT cg.customer_group_id, cgd.name, cgd.description, cg.approval, cg.sort_order
        FROM {t:customer_group} cg
        LEFT JOIN {t:customer_group_description} cgd
               ON cgd.customer_group_id = cg.customer_group_id AND cgd.language_id = %(lang)s
        ORDER BY cg.customer_group_id""",
      {"customer_group": "customer_group_id approval sort_order",
       "customer_group_description": "customer_group_id language_id name description"})

    def postcode(column: str, alias: str) -> str:
        # only the prefix leaves the server unless PII is asked for
        if pii:
            return f"{column} AS {alias}"
        return f"UPPER(LEFT(REPLACE({column}, ' ', ''), 3)) AS {alias}_prefix"

    default_address = ("a.address_id = c.address_id" if not x else
                       "a.address_id = (SELECT a2.address_id FROM {t:address} a2 WHERE a2.customer_id = c.customer_id "
                       "ORDER BY a2.`default` DESC, a2.address_id LIMIT 1)")
    customer_pii = (", c.firstname, c.lastname, c.email, c.telephone, a.company, a.address_1, a.address_2, a.city"
                    if pii else "")
    q("customers", f"""
        SELECT c.customer_id, c.customer_group_id, cgd.name AS customer_group, c.store_id, c.language_id, c.status,
               c.newsletter, c.date_added, a.country_id, c2.iso_code_2, a.zone_id, {zone_name} AS zone,
               {postcode('a.postcode', 'postcode')}{customer_pii}
        FROM {{t:customer}} c
        LEFT JOIN {{t:customer_group_description}} cgd
               ON cgd.customer_group_id = c.customer_group_id AND cgd.language_id = %(lang)s
        LEFT JOIN {{t:address}} a ON {default_address}
        LEFT JOIN {{t:country}} c2 ON c2.country_id = a.country_id
        LEFT JOIN {{t:zone}} z ON z.zone_id = a.zone_id
        {zone_join}
        ORDER BY c.customer_id""", {
        "customer": "customer_id customer_group_id store_id language_id status newsletter date_added firstname "
                    "lastname email telephone" + ("" if x else " address_id"),
        "customer_group_description": "customer_group_id language_id name",
        "address": "address_id customer_id country_id zone_id postcode company address_1 address_2 city"
                   + (" default" if x else ""),
        "country": "country_id iso_code_2", "zone": "zone_id" + ("" if v41 else " name"),
        **({"zone_description": names_41["zone_description"]} if v41 else {}),
    })

    def method(column: str, field: str) -> str:
        if not x:
            return f"o.{column}" if field == "name" else f"o.{column.replace('method', 'code')}"
        fallback = f"o.{column}" if field == "name" else "''"
        return (f"CASE WHEN JSON_VALID(o.{column}) THEN JSON_UNQUOTE(JSON_EXTRACT(o.{column}, '$.{field}')) "
                f"ELSE {fallback} END")

    address_cols = "firstname lastname company address_1 address_2 city postcode country country_id zone zone_id"
    order_pii = ""
    if pii:
        order_pii = ", o.firstname, o.lastname, o.email, o.telephone, o.comment, o.ip, o.user_agent, " + ", ".join(
            f"o.{p}_{c}" for p in ("payment", "shipping")
            for c in ("firstname", "lastname", "company", "address_1", "address_2", "city"))
    q("orders", f"""
        SELECT o.order_id, o.store_id, o.customer_id, o.customer_group_id, o.order_status_id, os.name AS order_status,
               o.total, o.currency_code, o.currency_value,
               {method('payment_method', 'name')} AS payment_method, {method('payment_method', 'code')} AS payment_code,
               {method('shipping_method', 'name')} AS shipping_method,
               {method('shipping_method', 'code')} AS shipping_code,
               o.payment_country_id, o.payment_country, pc.iso_code_2 AS payment_iso_code_2, o.payment_zone_id,
               o.payment_zone, {postcode('o.payment_postcode', 'payment_postcode')},
               o.shipping_country_id, o.shipping_country, sc.iso_code_2 AS shipping_iso_code_2, o.shipping_zone_id,
               o.shipping_zone, {postcode('o.shipping_postcode', 'shipping_postcode')},
               o.affiliate_id, o.commission, o.language_id, o.date_added, o.date_modified{order_pii}
        FROM {{t:order}} o
        LEFT JOIN {{t:order_status}} os ON os.order_status_id = o.order_status_id AND os.language_id = %(lang)s
        LEFT JOIN {{t:country}} pc ON pc.country_id = o.payment_country_id
        LEFT JOIN {{t:country}} sc ON sc.country_id = o.shipping_country_id
        ORDER BY o.order_id""", {
        "order": "order_id store_id customer_id customer_group_id order_status_id total currency_code currency_value "
                 "payment_method shipping_method affiliate_id commission language_id date_added date_modified "
                 "firstname lastname email telephone comment ip user_agent "
                 + " ".join(f"{p}_{c}" for p in ("payment", "shipping") for c in address_cols.split())
                 + ("" if x else " payment_code shipping_code"),
        "order_status": "order_status_id language_id name", "country": "country_id iso_code_2",
    })
    q("order_products", """
        SELECT order_product_id, order_id, product_id, name, model, quantity, price, total, tax, reward
        FROM {t:order_product} ORDER BY order_product_id""",
      {"order_product": "order_product_id order_id product_id name model quantity price total tax reward"})
    q("order_options", """
        SELECT order_option_id, order_id, order_product_id, product_option_id, product_option_value_id, name, value,
               type
        FROM {t:order_option} ORDER BY order_option_id""",
      {"order_option": "order_option_id order_id order_product_id product_option_id product_option_value_id name "
                       "value type"})
    q("order_totals", """
        SELECT order_total_id, order_id, code, title, value, sort_order FROM {t:order_total} ORDER BY order_total_id""",
      {"order_total": "order_total_id order_id code title value sort_order"})
    q("order_history", """
        SELECT oh.order_history_id, oh.order_id, oh.order_status_id, os.name AS order_status, oh.notify, oh.comment,
               oh.date_added
        FROM {t:order_history} oh
        LEFT JOIN {t:order_status} os ON os.order_status_id = oh.order_status_id AND os.language_id = %(lang)s
        ORDER BY oh.order_history_id""",
      {"order_history": "order_history_id order_id order_status_id notify comment date_added",
       "order_status": "order_status_id language_id name"})
    return_pii = ", r.firstname, r.lastname, r.email, r.telephone, r.comment" if pii else ""
    q("returns", f"""
        SELECT r.return_id, r.order_id, r.product_id, r.customer_id, r.product, r.model, r.quantity, r.opened,
               r.return_reason_id, rr.name AS return_reason, r.return_action_id, ra.name AS return_action,
               r.return_status_id, rs.name AS return_status, r.date_ordered, r.date_added, r.date_modified{return_pii}
        FROM {{t:return}} r
        LEFT JOIN {{t:return_reason}} rr ON rr.return_reason_id = r.return_reason_id AND rr.language_id = %(lang)s
        LEFT JOIN {{t:return_action}} ra ON ra.return_action_id = r.return_action_id AND ra.language_id = %(lang)s
        LEFT JOIN {{t:return_status}} rs ON rs.return_status_id = r.return_status_id AND rs.language_id = %(lang)s
        ORDER BY r.return_id""", {
        "return": "return_id order_id product_id customer_id product model quantity opened return_reason_id "
                  "return_action_id return_status_id date_ordered date_added date_modified firstname lastname email "
                  "telephone comment",
        "return_reason": "return_reason_id language_id name", "return_action": "return_action_id language_id name",
        "return_status": "return_status_id language_id name",
    })
    q("tax_rates", """
        SELECT tr.tax_rate_id, tr.name, tr.rate, tr.type, tr.geo_zone_id, gz.name AS geo_zone, t2g.customer_group_id
        FROM {t:tax_rate} tr
        LEFT JOIN {t:geo_zone} gz ON gz.geo_zone_id = tr.geo_zone_id
        LEFT JOIN {t:tax_rate_to_customer_group} t2g ON t2g.tax_rate_id = tr.tax_rate_id
        ORDER BY tr.tax_rate_id, t2g.customer_group_id""",
      {"tax_rate": "tax_rate_id name rate type geo_zone_id", "geo_zone": "geo_zone_id name",
       "tax_rate_to_customer_group": "tax_rate_id customer_group_id"})
    q("tax_rules", """
        SELECT r.tax_rule_id, r.tax_class_id, tc.title AS tax_class, r.tax_rate_id, r.based, r.priority
        FROM {t:tax_rule} r LEFT JOIN {t:tax_class} tc ON tc.tax_class_id = r.tax_class_id
        ORDER BY r.tax_rule_id""",
      {"tax_rule": "tax_rule_id tax_class_id tax_rate_id based priority", "tax_class": "tax_class_id title"})
    q("geo_zones", f"""
        SELECT gz.geo_zone_id, gz.name, gz.description, z2g.country_id, c.iso_code_2, {country_name} AS country,
               z2g.zone_id, z.code AS zone_code, {zone_name} AS zone
        FROM {{t:geo_zone}} gz
        LEFT JOIN {{t:zone_to_geo_zone}} z2g ON z2g.geo_zone_id = gz.geo_zone_id
        LEFT JOIN {{t:country}} c ON c.country_id = z2g.country_id
        LEFT JOIN {{t:zone}} z ON z.zone_id = z2g.zone_id
        {country_join} {zone_join}
        ORDER BY gz.geo_zone_id, z2g.country_id, z2g.zone_id""", {
        "geo_zone": "geo_zone_id name description", "zone_to_geo_zone": "geo_zone_id country_id zone_id",
        "country": "country_id iso_code_2" + ("" if v41 else " name"),
        "zone": "zone_id code" + ("" if v41 else " name"),
        **(names_41 if v41 else {}),
    })
    return {k: (QUERIES[k], need[k]) for k in QUERIES}


#: tables :func:`connect` reads besides the frames' (settings and languages)
_BASE_NEEDS = {"setting": {"store_id", "key", "value"}, "language": {"language_id", "code", "status"}}


# --------------------------------------------------------------------------- the reader


class MySQLStoreDB(StoreDB):
    """Frames of an OpenCart database, read through one read-only PyMySQL connection.

    Use :func:`connect`. Thread-safe (reads are serialised on the connection); ``close()``
    or a ``with`` block releases it.
    """

    def __init__(self, args: dict[str, Any], prefix: str = "oc_", version: str = "auto", *,
                 reconnect: bool = True) -> None:
        if not re.fullmatch(r"[A-Za-z0-9_]*", prefix):
            raise StoreDBConfigError(f"table prefix {prefix!r} may only hold letters, digits and '_' (e.g. 'oc_')")
        wanted = "auto" if version in (None, "auto") else normalise_version(version)
        self._args = dict(args)
        self.prefix = prefix
        self.reconnect = reconnect
        self._lock = threading.RLock()
        self._con: Any = None
        self._open()
        try:
            self._columns = self._schema()
            self.version = self._detect() if wanted == "auto" else wanted
            self._sql = {False: _queries(self.version, False), True: _queries(self.version, True)}
            self._check()
            self._settings = self._read_settings()
        except BaseException:
            self.close()
            raise

    def __repr__(self) -> str:
        state = "closed" if self._con is None else f"schema={getattr(self, 'version', '?')}"
        return f"<MySQLStoreDB {_display(self._args)} prefix={self.prefix!r} {state}>"

    # ---- connection
    def _open(self) -> None:
        try:
            import pymysql
        except ImportError:
            raise StoreDBConfigError("reading a store database needs PyMySQL: pip install 'ocdata[storedb]'") from None
        from pymysql.constants import FIELD_TYPE
        from pymysql.converters import conversions

        conv = dict(conversions)
        for t in (FIELD_TYPE.DECIMAL, FIELD_TYPE.NEWDECIMAL):
            conv[t] = float
        for t in (FIELD_TYPE.DATE, FIELD_TYPE.DATETIME, FIELD_TYPE.TIMESTAMP, FIELD_TYPE.TIME):
            conv[t] = str  # "0000-00-00" and friends: parsed (to NaT) in bulk by pandas
        args = {k: v for k, v in self._args.items() if k not in ("password",)}
        try:
            self._con = pymysql.connect(
                password=self._args["password"].reveal(), conv=conv, autocommit=True,
                init_command="SET SESSION TRANSACTION READ ONLY", connect_timeout=args.pop("connect_timeout", 10),
                **args)
        except pymysql.err.MySQLError as exc:
            raise self._connection_error(exc, "cannot connect to") from None
        self._verify_read_only()

    def _verify_read_only(self) -> None:
        for variable in ("@@session.transaction_read_only", "@@session.tx_read_only"):
            try:
                with self._con.cursor() as cur:
                    cur.execute(f"SELECT {variable}")
                    (value,) = cur.fetchone()
            except Exception:  # noqa: BLE001 - older servers know only one of the two names
                continue
            if int(value) == 1:
                return
        self.close()
        raise ReadOnlyError(f"{_display(self._args)} did not make the session read-only; ocdata will not read "
                            f"through a session that could write. Use MySQL >= 5.6.5 or MariaDB >= 10.0")

    def _connection_error(self, exc: Exception, doing: str) -> StoreDBError:
        code = exc.args[0] if exc.args else None
        text = exc.args[1] if len(exc.args) > 1 else str(exc)
        where = _display(self._args)
        if code == 1045:
            return StoreDBConnectionError(f"{where} refused the login ({text}); check the user and password",
                                          should_retry=False)
        if code == 1049:
            return StoreDBConfigError(f"{where}: no such database ({text}); check the database name in the URL")
        if code in _UNREACHABLE or code in _LOST:
            return StoreDBConnectionError(f"{doing} {where}: {text}. Check the server is running and reachable "
                                          f"(host, port or unix_socket), then connect again")
        return StoreDBConnectionError(f"{doing} {where}: {text}")

    def close(self) -> None:
        con, self._con = self._con, None
        if con is not None:
            try:
                con.close()
            except Exception:  # noqa: BLE001 - closing a dead connection has nothing left to report
                pass

    def _run(self, sql: str, params: dict[str, Any] | None = None) -> pd.DataFrame:
        """One read inside a read-only transaction; a lost connection is re-opened once (reads repeat safely)."""
        import pymysql

        with self._lock:
            for attempt in (0, 1):
                if self._con is None:
                    raise StoreDBConnectionError(f"the connection to {_display(self._args)} is closed; call "
                                                 f"ocdata.storedb.connect(...) again", should_retry=False)
                try:
                    with self._con.cursor() as cur:
                        cur.execute("START TRANSACTION READ ONLY")
                        try:
                            cur.execute(sql, params)
                            rows = cur.fetchall()
                            columns = [d[0] for d in cur.description or ()]
                        finally:
                            cur.execute("COMMIT")
                    return pd.DataFrame.from_records(list(rows), columns=columns)
                except pymysql.err.MySQLError as exc:
                    code = exc.args[0] if exc.args else None
                    if code in _READ_ONLY:
                        raise ReadOnlyError(f"{_display(self._args)} refused a write: this connection is read-only "
                                            f"(ocdata only reads the store's database)") from None
                    lost = code in _LOST or isinstance(exc, pymysql.err.InterfaceError)
                    if lost and attempt == 0 and self.reconnect:
                        LOG.info("storedb: connection to %s lost (%s); reconnecting once", _display(self._args), code)
                        self._reopen()
                        continue
                    if lost:
                        raise StoreDBConnectionError(
                            f"lost the connection to {_display(self._args)} ({exc.args[-1] if exc.args else exc}); "
                            f"check the server, then connect again") from None
                    raise StoreDBError(f"{_display(self._args)} refused a query ({code}: "
                                       f"{exc.args[1] if len(exc.args) > 1 else exc})") from None
        raise AssertionError("unreachable")

    def _reopen(self) -> None:
        self.close()
        self._open()

    # ---- schema
    def _table(self, name: str) -> str:
        return f"`{self.prefix}{name}`"

    def _schema(self) -> dict[str, set[str]]:
        like = self.prefix.replace("\\", "\\\\").replace("_", "\\_").replace("%", "\\%") + "%"
        df = self._run("SELECT TABLE_NAME AS t, COLUMN_NAME AS c FROM information_schema.COLUMNS "
                       "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME LIKE %(like)s", {"like": like})
        out: dict[str, set[str]] = {}
        n = len(self.prefix)
        for table, column in zip(df.get("t", []), df.get("c", [])):
            out.setdefault(str(table)[n:], set()).add(str(column).lower())
        return out

    def _detect(self) -> str:
        if "product" not in self._columns:
            found = self._run("SELECT TABLE_NAME AS t FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()")
            prefixes = sorted({str(t)[: -len("product_description")] for t in found.get("t", [])
                               if str(t).endswith("product_description")})
            hint = (f"tables here use the prefix {', '.join(repr(p) for p in prefixes)}: pass prefix=..."
                    if prefixes else "this database holds no OpenCart tables: check the database name in the URL")
            raise SchemaNotFoundError(f"no table {self.prefix}product in {_display(self._args)}; {hint}")
        if "country_description" in self._columns:
            return "4.1"
        if "master_id" in self._columns["product"]:
            return "4.0"
        return "3.0"

    def _check(self) -> None:
        need: dict[str, set[str]] = {t: set(c) for t, c in _BASE_NEEDS.items()}
        for _sql, uses in self._sql[True].values():
            for table, cols in uses.items():
                need.setdefault(table, set()).update(cols)
        missing = []
        for table, cols in sorted(need.items()):
            have = self._columns.get(table)
            if have is None:
                missing.append(f"table {self.prefix}{table}")
            else:
                missing += [f"{self.prefix}{table}.{c}" for c in sorted(cols - have)]
        if missing:
            detected = self._detect() if "product" in self._columns else "?"
            raise MissingTableError(
                f"{_display(self._args)} read as an OpenCart {self.version} schema lacks "
                f"{', '.join(missing[:12])}{' …' if len(missing) > 12 else ''}. The tables look like {detected}: "
                f"pass version='auto' (or the right version), or copy the whole schema if this is a partial copy")

    def _read_settings(self) -> dict[str, str]:
        df = self._run(f"SELECT `key`, value FROM {self._table('setting')} WHERE store_id = 0 AND `key` IN "
                       f"('config_language', 'config_language_catalog', 'config_weight_class_id')")
        return dict(zip(df.get("key", []), df.get("value", [])))

    def _language_id(self, language: int | str | None) -> int:
        langs = self._run(f"SELECT language_id, code, status FROM {self._table('language')} ORDER BY language_id")
        ids = dict(zip(langs["code"].astype(str).str.lower(), langs["language_id"].astype(int)))
        if language is None:
            code = self._settings.get("config_language_catalog") or self._settings.get("config_language") or ""
            if code.lower() in ids:
                return ids[code.lower()]
            enabled = langs[langs["status"].astype(int) == 1]
            if not enabled.empty:
                return int(enabled["language_id"].iloc[0])
            raise StoreDBConfigError(f"{_display(self._args)} has no enabled language; pass language=<id or code>")
        if isinstance(language, str) and language.lower() in ids:
            return ids[language.lower()]
        if not isinstance(language, str) and int(language) in ids.values():
            return int(language)
        known = ", ".join(f"{lid} ({code})" for code, lid in ids.items())
        raise StoreDBConfigError(f"language {language!r} is not in this store; its languages: {known}")

    def _raw(self, kind: str, language_id: int, pii: bool = True) -> pd.DataFrame:
        sql, _uses = self._sql[bool(pii)][kind]
        sql = re.sub(r"\{t:([a-z_]+)\}", lambda m: self._table(m.group(1)), sql)
        params = {"lang": language_id, "weight_class_id": int(self._settings.get("config_weight_class_id") or 0)}
        return self._run(sql, params)


def connect(url: str, prefix: str = "oc_", version: str = "auto", *, reconnect: bool = True) -> MySQLStoreDB:
    """Open a store's MySQL/MariaDB database read-only: ``connect("mysql://user:pw@host/db")``.

    ``prefix`` is OpenCart's ``DB_PREFIX`` (``oc_`` by default); ``version`` is ``"auto"``
    (detected from the tables) or ``"3.0"``/``"4.0"``/``"4.1"`` (patch versions accepted).
    A lost connection is re-opened once per read unless ``reconnect=False``. Errors:
    :class:`~ocdata.storedb.errors.StoreDBError` subclasses, each saying what to do.
    """
    return MySQLStoreDB(parse_url(url), prefix, version, reconnect=reconnect)

