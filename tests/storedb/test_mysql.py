"""The MySQL reader against a real MariaDB holding OpenCart 3.0, 4.0 and 4.1 schemas filled
from sandbox stores (with orders placed through the API client): every frame must equal the
sandbox reader's view of the same store, and bad input must fail clearly."""

from __future__ import annotations

import logging

import pandas as pd
import pytest

import ocdata
from ocdata.client.models import Address, CartLine, Customer, OrderDraft
from ocdata.sandbox import serve
from ocdata.sandbox.engine import load_engine
from ocdata.storedb import FRAMES, from_sandbox
from ocdata.storedb.columns import COLUMNS, PII
from ocdata.storedb.errors import (
    MissingTableError,
    ReadOnlyError,
    SchemaNotFoundError,
    StoreDBConfigError,
    StoreDBConnectionError,
    StoreDBError,
    UnsupportedVersionError,
)
import opencart_db

# schema generation -> the sandbox store of that version
STORES = {"4.1": "rich", "4.0": "oc40", "3.0": "oc30"}
ANN = Customer(firstname="Ann", lastname="Lee", email="ann@example.com", telephone="0123 456")
LA = Address(firstname="Ann", lastname="Lee", address_1="1 Main Street", city="Los Angeles", postcode="90001",
             country="US", zone="CA")
LONDON = Address(firstname="Ann", lastname="Lee", address_1="10 Downing Street", city="London",
                 postcode="SW1A 2AA", country="GB", zone="Greater London")


def _place_orders(engine) -> None:
    """Two orders through the API client (as an analyst's test would), one moved on in its history."""
    with serve(store=engine, dialects=("spec",)) as shop:  # one client for every version's data
        store = ocdata.connect(shop.url, shop.username, shop.key, dialect="spec")
        canon = CartLine(product_id=30, options={226: 16})
        for address, lines, comment in ((LA, (CartLine(product_id=40, quantity=2),), "first"),
                                        (LONDON, (CartLine(product_id=43), canon, CartLine(product_id=33)), "second")):
            draft = OrderDraft(customer=ANN, lines=lines).with_addresses(address)
            option = store.quote(draft).options[0]
            result = store.confirm(draft.with_shipping(option.quote).with_payment(option.payment_methods[0]),
                                   comment=comment)
        store.add_history(result.order_id, 2, "packed")


@pytest.fixture(scope="session")
def dbs(mariadb):
    """{version: (database name, sandbox engine)} — each schema created once per session."""
    admin = mariadb.admin()
    out = {}
    try:
        for version, store in STORES.items():
            engine = load_engine(store)
            _place_orders(engine)
            name = "oc" + version.replace(".", "")
            opencart_db.create(admin, name, engine, version)
            out[version] = (name, engine)
    finally:
        admin.close()
    return out


@pytest.fixture(scope="session")
def readers(mariadb, dbs):
    opened = {v: ocdata.storedb.connect(mariadb.url(name)) for v, (name, _engine) in dbs.items()}
    yield opened
    for r in opened.values():
        r.close()


@pytest.mark.parametrize("version", list(STORES))
def test_detects_the_schema_version(readers, version):
    assert readers[version].version == version


@pytest.mark.parametrize("version", list(STORES))
@pytest.mark.parametrize("kind", FRAMES)
def test_every_frame_equals_the_sandbox_view(readers, dbs, version, kind):
    db, engine = readers[version], dbs[version][1]
    got = db.frame(kind, pii=True)
    want = from_sandbox(engine).frame(kind, pii=True)
    assert list(got.columns) == list(COLUMNS[kind])
    assert [str(t) for t in got.dtypes] == [str(t) for t in want.dtypes]
    if kind == "returns":
        return  # the sandbox keeps none; see test_returns_read_with_their_names
    assert len(got) == len(want) and len(got) > 0 or kind in ("customers",) and version != "4.1"
    pd.testing.assert_frame_equal(got, want, check_exact=False, rtol=1e-9)


def test_frames_carry_what_analysts_join_on(readers):
    db = readers["4.1"]
    products = db.products().set_index("product_id")
    assert products.loc[42, "name"] == 'Apple Cinema 30"'  # HTML escaping undone
    assert products.loc[28, "weight_unit"] == "g" and products.loc[28, "weight_store"] == pytest.approx(0.1464)
    assert products.loc[28, "manufacturer"] == "HTC" and pd.isna(products.loc[49, "master_id"])
    assert products.loc[40, "tax_class"] == "Taxable Goods"
    cats = db.categories().set_index("category_id")
    assert cats.loc[28, "path"] == "Components > Monitors" and cats.loc[28, "level"] == 1
    assert cats.loc[58, "path_ids"] == "34>52>58" and pd.isna(cats.loc[34, "parent_id"])
    options = db.product_options()
    medium = options[(options.product_option_id == 218) & (options.value == "Medium")].iloc[0]
    assert medium.price_delta == 20.0 and medium.points_delta == -2  # the '-' points prefix applied
    text = options[options.product_option_id == 208].iloc[0]
    assert pd.isna(text.product_option_value_id) and text.value == "test" and pd.isna(text.price_delta)


def test_orders_read_back_with_stock_moved(readers, dbs):
    db, engine = readers["4.0"], dbs["4.0"][1]
    orders = db.orders()
    assert len(orders) == 2 and (orders.currency_code == "USD").all()
    assert orders.shipping_iso_code_2.tolist() == ["US", "GB"]
    assert orders.shipping_postcode_prefix.tolist() == ["900", "SW1"]
    assert orders.order_status.tolist() == ["Pending", "Processing"]
    assert orders.shipping_code.str.contains(".", regex=False).all()  # 4.x JSON methods decoded
    lines = db.order_products()
    assert lines.groupby("order_id").size().tolist() == [1, 3]
    options = db.order_options().merge(lines, on=["order_id", "order_product_id"])
    assert options[["product_id", "product_option_id", "product_option_value_id", "value"]].values.tolist() == [
        [30, 226, 16, "Blue"]]
    totals = db.order_totals()
    per_order = totals[totals.code == "total"].set_index("order_id")["value"]
    assert per_order.round(4).tolist() == orders.set_index("order_id")["total"].round(4).tolist()
    history = db.order_history()
    assert history[history.order_id == orders.order_id.iloc[1]].order_status.tolist() == ["Pending", "Processing"]
    iphone = db.products().set_index("product_id").loc[40, "quantity"]
    assert iphone == engine.stock(40) == load_engine("oc40").stock(40) - 2


@pytest.mark.parametrize("version", list(STORES))
def test_pii_stays_out_unless_asked(readers, version):
    db = readers[version]
    for kind in ("customers", "orders", "returns"):
        frame = db.frame(kind)
        assert not set(PII[kind]) & set(frame.columns), kind
        assert set(PII[kind]) <= set(db.frame(kind, pii=True).columns)
    orders = db.orders()
    text = orders.astype(str).to_csv()
    for secret in ("Ann", "Lee", "ann@example.com", "0123 456", "Downing", "SW1A 2AA", "second"):
        assert secret not in text
    assert {"shipping_country", "shipping_zone", "shipping_postcode_prefix", "customer_group_id"} <= set(orders.columns)


def test_returns_read_with_their_names(mariadb, dbs, readers):
    admin = mariadb.admin()
    try:
        with admin.cursor() as cur:
            cur.execute("USE oc30")
            cur.execute("DELETE FROM oc_return")
            opencart_db.insert(cur, "oc_return", [
                {"return_id": 1, "order_id": 1, "product_id": 40, "customer_id": 0, "firstname": "Ann",
                 "lastname": "Lee", "email": "ann@example.com", "telephone": "0123", "product": "iPhone",
                 "model": "product 11", "quantity": 1, "opened": 1, "return_reason_id": 4, "return_action_id": 0,
                 "return_status_id": 2, "comment": "cracked", "date_ordered": "2026-01-02",
                 "date_added": "2026-01-10 09:30:00", "date_modified": "0000-00-00 00:00:00"}])
    finally:
        admin.close()
    returns = readers["3.0"].returns()
    row = returns.iloc[0]
    assert (row.return_reason, row.return_status) == ("Faulty, please supply details", "Awaiting Products")
    assert row.opened
    assert pd.isna(row.return_action_id) and pd.isna(row.customer_id) and pd.isna(row.date_modified)
    assert row.date_added == pd.Timestamp("2026-01-10 09:30:00") and "comment" not in returns.columns
    assert readers["3.0"].returns(pii=True).iloc[0].comment == "cracked"


def test_a_write_is_refused_even_for_root(readers, mariadb, dbs):
    db = readers["4.1"]
    for statement in ("DELETE FROM oc_product", "UPDATE oc_product SET price = 0", "CREATE TABLE oc_x (a int)",
                      "DROP TABLE oc_order"):
        with pytest.raises(ReadOnlyError, match="read-only"):
            db._run(statement)
    admin = mariadb.admin()
    try:
        with admin.cursor() as cur:
            cur.execute("SELECT COUNT(*), MIN(price) FROM oc41.oc_product")
            count, cheapest = cur.fetchone()
        assert count == len(db.products()) == len(dbs["4.1"][1].store.products) and cheapest > 0
    finally:
        admin.close()


def test_a_killed_connection_reopens_read_only(readers, mariadb, caplog):
    db = readers["4.0"]
    own_id = int(db._run("SELECT CONNECTION_ID() AS id")["id"].iloc[0])
    admin = mariadb.admin()
    try:
        admin.cursor().execute(f"KILL {own_id}")
    finally:
        admin.close()
    with caplog.at_level(logging.INFO, logger="ocdata.storedb.mysql"):
        assert len(db.manufacturers()) == 6
    assert "reconnecting" in caplog.text
    assert int(db._run("SELECT CONNECTION_ID() AS id")["id"].iloc[0]) != own_id
    with pytest.raises(ReadOnlyError):
        db._run("DELETE FROM oc_manufacturer")


def test_a_lost_connection_that_cannot_reopen_is_a_connection_error(mariadb, dbs):
    admin = mariadb.admin()
    try:
        with admin.cursor() as cur:
            cur.execute("CREATE USER 'analyst'@'localhost' IDENTIFIED BY 'pw-Secret-123'")
            cur.execute("GRANT SELECT ON oc40.* TO 'analyst'@'localhost'")
        db = ocdata.storedb.connect(mariadb.url("oc40", "analyst", "pw-Secret-123"))
        assert db.version == "4.0" and len(db.geo_zones()) > 0
        own_id = int(db._run("SELECT CONNECTION_ID() AS id")["id"].iloc[0])
        with admin.cursor() as cur:
            cur.execute("DROP USER 'analyst'@'localhost'")
            cur.execute(f"KILL {own_id}")
        with pytest.raises(StoreDBConnectionError) as err:
            db.products()
        assert "connect again" in str(err.value) or "refused the login" in str(err.value)
        assert "pw-Secret-123" not in str(err.value) + repr(db)
    finally:
        admin.close()


def test_password_never_shows(mariadb, dbs):
    url = mariadb.url("oc41", "nobody", "hunter2-Topsecret")
    with pytest.raises(StoreDBConnectionError) as err:
        ocdata.storedb.connect(url)
    text = str(err.value) + repr(err.value)
    assert "refused the login" in text and "hunter2-Topsecret" not in text
    assert "hunter2-Topsecret" not in ocdata.client.credentials.redact(f"dsn {url}")


def test_wrong_prefix_names_the_prefix_found(mariadb, dbs):
    with pytest.raises(SchemaNotFoundError, match="prefix 'oc_'"):
        ocdata.storedb.connect(mariadb.url("oc41"), prefix="shop_")


def test_a_database_without_opencart_says_so(mariadb, dbs):
    admin = mariadb.admin()
    try:
        admin.cursor().execute("CREATE DATABASE IF NOT EXISTS empty_db")
    finally:
        admin.close()
    with pytest.raises(SchemaNotFoundError, match="no OpenCart tables"):
        ocdata.storedb.connect(mariadb.url("empty_db"))
    with pytest.raises(StoreDBConfigError, match="no such database"):
        ocdata.storedb.connect(mariadb.url("no_such_db"))


def test_missing_table_is_named(mariadb, dbs):
    admin = mariadb.admin()
    try:
        with admin.cursor() as cur:
            cur.execute("DROP DATABASE IF EXISTS partial")
            cur.execute("CREATE DATABASE partial")
            cur.execute("USE partial")
            for statement in opencart_db.ddl("4.0"):
                if "`oc_order_total`" not in statement:
                    cur.execute(statement)
    finally:
        admin.close()
    with pytest.raises(MissingTableError, match="table oc_order_total"):
        ocdata.storedb.connect(mariadb.url("partial"))


def test_version_mismatch_and_unknown_versions(mariadb, dbs):
    with pytest.raises(MissingTableError, match="look like 3.0"):
        ocdata.storedb.connect(mariadb.url("oc30"), version="4.1")
    assert ocdata.storedb.connect(mariadb.url("oc41"), version="4.1.0.4").version == "4.1"
    for version in ("2.3.0.2", "5.0", "latest"):
        with pytest.raises(UnsupportedVersionError, match="3.0, 4.0, 4.1"):
            ocdata.storedb.connect(mariadb.url("oc41"), version=version)


def test_unreachable_server_and_bad_urls():
    with pytest.raises(StoreDBConnectionError, match="running and reachable"):
        ocdata.storedb.connect("mysql://root@localhost/oc?unix_socket=/nonexistent/mysqld.sock")
    with pytest.raises(StoreDBConfigError, match="scheme"):
        ocdata.storedb.connect("postgres://u@h/db")
    with pytest.raises(StoreDBConfigError, match="names no database"):
        ocdata.storedb.connect("mysql://u@h/")
    assert issubclass(StoreDBConnectionError, StoreDBError) and issubclass(StoreDBError, ocdata.OcdataError)


def test_language_by_code_and_unknown_language(readers):
    db = readers["4.1"]
    assert db.products(language="en-gb").equals(db.products())
    with pytest.raises(StoreDBConfigError, match="1 \\(en-gb\\)"):
        db.products(language="de-de")


@pytest.mark.parametrize("version", ["3.0", "4.0"])
def test_customers_take_the_default_address(mariadb, dbs, readers, version):
    """3.0 points at it from customer.address_id, 4.x flags it in address.default."""
    database = dbs[version][0]
    admin = mariadb.admin()
    try:
        with admin.cursor() as cur:
            cur.execute(f"USE {database}")
            cur.execute("DELETE FROM oc_customer")
            cur.execute("DELETE FROM oc_address")
            customer = {"customer_id": 7, "customer_group_id": 2, "store_id": 0, "language_id": 1, "firstname": "Bo",
                        "lastname": "Ek", "email": "bo@example.com", "telephone": "555", "newsletter": 1, "status": 1,
                        "date_added": "2025-05-06 07:08:09"}
            if version == "3.0":
                customer["address_id"] = 12
            opencart_db.insert(cur, "oc_customer", [customer])
            home = {"customer_id": 7, "firstname": "Bo", "lastname": "Ek", "company": "", "address_1": "1 Old Road",
                    "address_2": "", "city": "Leeds", "postcode": "LS1 1AA", "country_id": 222, "zone_id": 3608}
            berlin = {**home, "address_1": "Unter den Linden 1", "city": "Berlin", "postcode": "10117",
                      "country_id": 81, "zone_id": 1256}
            rows = [{"address_id": 11, **home}, {"address_id": 12, **berlin}]
            if version == "4.0":
                rows[0]["default"], rows[1]["default"] = 0, 1
            opencart_db.insert(cur, "oc_address", rows)
    finally:
        admin.close()
    try:
        customers = readers[version].customers()
        full = readers[version].customers(pii=True).iloc[0]
    finally:  # the other tests compare this database with its sandbox store, which has no customer
        admin = mariadb.admin()
        try:
            with admin.cursor() as cur:
                cur.execute(f"DELETE FROM {database}.oc_customer")
                cur.execute(f"DELETE FROM {database}.oc_address")
        finally:
            admin.close()
    row = customers.iloc[0]
    assert (row.customer_id, row.customer_group, row.iso_code_2, row.postcode_prefix) == (7, "Wholesale", "DE", "101")
    assert row.zone == "Berlin" and row.newsletter and row.date_added == pd.Timestamp("2025-05-06 07:08:09")
    assert "email" not in customers.columns
    assert (full.email, full.address_1, full.postcode) == ("bo@example.com", "Unter den Linden 1", "10117")
