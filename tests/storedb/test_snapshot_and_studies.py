"""Snapshots into the DuckDB cache, carts built from the catalog, quotes joined to products."""

from __future__ import annotations

import time

import pandas as pd
import pytest

import ocdata
from ocdata.cache import Cache, CacheError
from ocdata.client.errors import OcdataWarning
from ocdata.storedb import carts_from, from_sandbox, in_category, read_snapshot, snapshot, snapshots


@pytest.fixture
def cache():
    c = Cache(":memory:")
    yield c
    c.close()


def test_snapshot_round_trips_every_frame_with_its_read_time(cache):
    db = from_sandbox("rich")
    written = snapshot(db, cache)
    assert written.frame.tolist() == list(ocdata.storedb.FRAMES) and written.snapshot_at.nunique() == 1
    assert (written.read_at >= written.snapshot_at).all() and written.source.iloc[0] == "sandbox:rich schema=4.1"
    for kind in ("products", "categories", "geo_zones", "returns"):
        pd.testing.assert_frame_equal(read_snapshot(kind, cache), db.frame(kind))
    assert set(cache.tables()) >= {"storedb_products", "storedb_orders"}


def test_snapshots_accumulate_and_pii_stays_out(cache):
    db = from_sandbox("rich")
    first = snapshot(db, cache, ["customers"]).snapshot_at.iloc[0]
    time.sleep(0.01)
    snapshot(db, cache, ["customers", "products"], pii=True)
    listing = snapshots(cache)
    assert listing[listing.frame == "customers"].shape[0] == 2
    stored = cache.sql("SELECT * FROM storedb_customers ORDER BY snapshot_at")
    assert stored.email.isna().tolist() == [True, False]  # only the pii=True snapshot holds e-mails
    old = read_snapshot("customers", cache, at=first, pii=True)
    assert old.email.tolist() == [""] and old.postcode_prefix.tolist() == ["M11"]
    assert read_snapshot("customers", cache, pii=True).email.tolist() == ["sub.tester@example.com"]
    assert read_snapshot("orders", Cache(":memory:")).empty


def test_cache_refuses_appending_to_its_own_tables(cache):
    with pytest.raises(CacheError, match="own tables"):
        cache.append_table("quotes", pd.DataFrame({"a": [1]}))
    with pytest.raises(CacheError, match="letters"):
        cache.append_table("x; DROP TABLE quotes", pd.DataFrame({"a": [1]}))


def test_in_category_includes_subcategories():
    db = from_sandbox("rich")
    assert sorted(in_category(db, "Components").product_id) == [33, 42]  # listed under Monitors
    assert in_category(db, "Components", subcategories=False).empty
    assert sorted(in_category(db, ["Cameras", 57]).product_id) == [30, 31, 49]
    with pytest.raises(ValueError, match="no category 'Toys'"):
        in_category(db, "Toys")


def test_carts_fill_required_options_and_leave_out_what_cannot_be_filled():
    db = from_sandbox("rich")
    products = db.products()
    with pytest.warns(OcdataWarning, match="Apple Cinema 30"):  # a required file upload
        carts = carts_from(products[products.product_id.isin([30, 35, 42, 40])], quantity=[1, 2],
                           options=db.product_options())
    assert list(carts) == ["Canon EOS 5D x1", "Canon EOS 5D x2", "Product 8 x1", "Product 8 x2", "iPhone x1",
                           "iPhone x2"]
    assert carts["Canon EOS 5D x1"][0].options == {226: 15}
    assert carts["Product 8 x1"][0].options == {224: 13}  # 'Small' is out of stock: the first value in stock
    assert carts["iPhone x2"][0].quantity == 2 and carts["iPhone x2"][0].options == {}
    three = carts_from(products[products.product_id == 30], quantity=3, options=db.product_options())
    assert three["Canon EOS 5D x3"][0].options == {226: 16}  # 2 red in stock: blue for a cart of 3
    bigger = carts_from(products[products.product_id == 40].assign(minimum=5), quantity=1)
    assert [line.quantity for cart in bigger.values() for line in cart] == [5]


def test_a_study_of_catalog_carts_joins_back_to_products(cache):
    with ocdata.sandbox.serve(store="rich") as shop:
        db = shop.storedb()
        store = ocdata.connect(shop.url, shop.username, shop.key, dialect="spec")
        carts = carts_from(in_category(db, "Cameras"), quantity=[1, 3], options=db.product_options())
        study = ocdata.Study(store, carts=carts, destinations={"London": "GB-LDN"}, cache=cache)
        quotes = study.run(progress=False)
    joined = db.with_products(quotes, study)
    assert len(joined) == len(quotes) and (joined.line == 0).all()
    assert set(joined.product_name) == {"Canon EOS 5D", "Nikon D300"}
    three = joined[joined.cart == "Nikon D300 x3"].iloc[0]
    assert three.cart_list_price == pytest.approx(3 * 80.0) and three.product_tax_class == "Taxable Goods"
    assert three.cart_weight == pytest.approx(3 * three.product_weight_store)
    assert "Cameras" in three.product_categories
    with pytest.raises(ValueError, match="not in the carts given"):
        ocdata.storedb.with_products(quotes, {"other": "40x1"}, db)
