"""The sandbox serves the store-database frames offline: documented dtypes, live orders and stock,
category paths, privacy defaults."""

from __future__ import annotations

import pandas as pd
import pytest

import ocdata
from ocdata.client.models import Address, CartLine, Customer, OrderDraft
from ocdata.storedb import FRAMES, SandboxStoreDB, StoreDBConfigError, from_sandbox
from ocdata.storedb.columns import COLUMNS, PII, postcode_prefix
from ocdata.storedb.reader import _categories


@pytest.mark.parametrize("store", ["stock", "oc40", "oc30"])
def test_every_frame_has_its_documented_columns_and_dtypes(store):
    db = from_sandbox(store)
    assert db.version == {"stock": "4.1", "rich": "4.1", "oc40": "4.0", "oc30": "3.0"}[store]
    for kind in FRAMES:
        frame = db.frame(kind, pii=True)
        spec = COLUMNS[kind]
        assert list(frame.columns) == list(spec), kind
        for column, (dtype, _meaning) in spec.items():
            assert str(frame[column].dtype) == dtype, (kind, column, frame[column].dtype)
        assert not set(PII[kind]) & set(db.frame(kind).columns)


def test_an_empty_store_gives_empty_frames_with_their_dtypes():
    from dataclasses import replace

    from ocdata.sandbox.engine import Engine
    from ocdata.sandbox.storefile import load_store

    store = replace(load_store("stock"), products=(), customers=(), geo_zones=(), tax_rates=(), tax_classes=())
    db = SandboxStoreDB(Engine(store))
    for kind in FRAMES:
        frame = db.frame(kind, pii=True)
        if kind not in ("categories", "manufacturers", "customer_groups"):  # demo data / the store's groups
            assert frame.empty, kind
        assert [str(t) for t in frame.dtypes] == [d for d, _ in COLUMNS[kind].values()], kind


def test_serve_handle_reads_live_orders_and_stock():
    with ocdata.sandbox.serve(store="rich") as shop:
        db = shop.storedb()
        assert isinstance(db, SandboxStoreDB) and db.orders().empty
        before = db.products().set_index("product_id").loc[40, "quantity"]
        store = ocdata.connect(shop.url, shop.username, shop.key, dialect="spec")
        draft = OrderDraft(customer=Customer(firstname="Ann", lastname="Lee", email="ann@example.com"),
                           lines=(CartLine(product_id=40, quantity=3),)).with_addresses(
            Address(firstname="Ann", lastname="Lee", address_1="1 Main Street", city="Los Angeles",
                    postcode="90001", country="US", zone="CA"))
        option = store.quote(draft).option("flat.flat")
        result = store.confirm(draft.with_shipping(option.quote).with_payment(option.payment_methods[0]))
        orders = db.orders()
        assert orders.order_id.tolist() == [result.order_id]
        row = orders.iloc[0]
        assert (row.shipping_iso_code_2, row.shipping_zone, row.shipping_postcode_prefix) == ("US", "California", "900")
        assert row.shipping_code == "flat.flat" and row.total == pytest.approx(float(result.totals[-1].value))
        assert pd.isna(row.customer_id)  # a guest
        assert db.products().set_index("product_id").loc[40, "quantity"] == before - 3
        lines = db.order_products()
        assert lines[["product_id", "quantity", "price"]].values.tolist() == [[40, 3, 101.0]]
        assert db.order_totals().code.tolist()[-1] == "total"


def test_specials_and_discounts_follow_the_schema_generation():
    rich, oc30 = from_sandbox("rich"), from_sandbox("oc30")
    # 4.1: one product_discount table, specials are rows flagged special (ids run over both)
    assert set(rich.product_specials().type) == {"F", "S"}
    assert set(rich.product_discounts().product_discount_id).isdisjoint(rich.product_specials().product_special_id)
    # 3.0: a product_special table of fixed prices
    specials = oc30.product_specials()
    assert (specials.type == "F").all() and specials.product_special_id.is_unique
    model = sorted((p.product_id, d.price) for p in oc30.store.products for d in p.specials)
    assert sorted(zip(specials.product_id, specials.price)) == model and len(model) > 0


def test_category_paths_levels_and_a_cycle_that_cannot_loop():
    cats = from_sandbox("rich").categories().set_index("category_id")
    assert cats.loc[28, ["path", "path_ids", "level"]].tolist() == ["Components > Monitors", "25>28", 1]
    assert cats.loc[24, "name"] == "Phones & PDAs"
    broken = pd.DataFrame({"category_id": [1, 2, 3], "parent_id": [2, 1, 9], "name": ["a", "b", "c"]})
    out = _categories(broken)
    assert out.path.tolist() == ["b > a", "a > b", "c"] and out.level.tolist() == [1, 1, 0]


def test_postcode_prefix_and_language_errors():
    assert postcode_prefix(pd.Series(["sw1a 2aa", " 90001", None, "D-10115"])).tolist() == ["SW1", "900", "", "D-1"]
    db = from_sandbox("stock")
    assert db.products(language="en-gb").equals(db.products(language=1))
    with pytest.raises(StoreDBConfigError, match="one language"):
        db.products(language="de-de")
    with pytest.raises(ValueError, match="unknown frame"):
        db.frame("invoices")
