"""Each built-in store file expresses its reference store; bad files fail with a named key."""

from __future__ import annotations

import pytest

from ocdata.sandbox.engine import AddressRef, Engine
from ocdata.sandbox.storefile import StoreFileError, dump_store, load_store, loads_store


def _products(store):
    return {p.product_id: p for p in store.products}


def test_stock_store_is_the_oc41_demo(stores):
    s = stores["stock"]
    assert (s.settings.version, s.settings.country_id, s.settings.zone_id) == ("4.1.0.4", 222, 3563)
    assert (s.settings.discount_model, s.settings.fixed_tax, s.settings.checkout_payment_address) == ("unified", "line", False)
    p = _products(s)
    assert (p[42].name, p[42].minimum, p[42].points, p[42].rewards) == ("Apple Cinema 30&quot;", 2, 400, {1: 100})
    assert [(d.quantity, d.type, d.price) for d in p[42].discounts] == [(10, "P", 88.0), (20, "P", 77.0), (30, "P", 66.0)]
    assert [o.product_option_id for o in p[42].options] == [218, 223, 208, 217, 209, 222, 219, 221, 220]
    assert (p[28].weight, p[28].weight_class_id, p[49].quantity, p[43].shipping, p[47].subtract) == (146.4, 2, 0, False, False)
    assert [(e.code, e.settings) for e in s.shipping] == [("flat", {"cost": "5.00", "tax_class_id": "9", "geo_zone_id": "0"})]
    assert [e.code for e in s.payment] == ["free_checkout", "cod"]
    assert [(r.tax_rate_id, r.type, r.customer_group_ids) for r in s.tax_rates] == [(86, "P", (1,)), (87, "F", (1,))]
    uk_vat = next(g for g in s.geo_zones if g.geo_zone_id == 3)
    assert len(uk_vat.members) == 107 and (222, 0) not in uk_vat.members
    assert [c.code for c in s.currencies if c.status] == ["GBP", "USD", "EUR"]


def test_rich_store_adds_methods_taxes_and_wholesale_prices(stores):
    s = stores["rich"]
    assert [e.code for e in sorted(s.shipping, key=lambda e: int(e.sort_order))] == ["flat", "weight", "item", "free", "pickup"]
    assert sorted(e.code for e in s.payment) == ["bank_transfer", "cheque", "cod", "free_checkout"]
    assert s.settings.checkout_payment_address is True
    rates = {r.tax_rate_id: r for r in s.tax_rates}
    assert rates[88].rate == 8.25 and rates[86].customer_group_ids == (1, 3)
    weight = next(e for e in s.shipping if e.code == "weight")
    assert weight.settings["4_rate"] == "1:4.00,5:8.00,10:12.00,100:30.00"
    p = _products(s)
    assert [(d.quantity, d.type, d.price, d.special) for d in p[48].discounts] == [(1, "F", 90.0, True), (5, "F", 80.0, False)]
    assert [(d.quantity, d.type) for d in p[33].discounts] == [(1, "S"), (3, "P")]
    engine = Engine(s)
    assert engine.in_geo_zone(6, AddressRef(223, 3624)) and not engine.in_geo_zone(6, AddressRef(223, 3655))


@pytest.mark.parametrize("name,version", [("oc40", "4.0.2.3"), ("oc30", "3.0.4.1")])
def test_classic_stores(stores, name, version):
    s = stores[name]
    assert (s.settings.version, s.settings.discount_model, s.settings.fixed_tax) == (version, "classic", "unit")
    p = _products(s)
    assert [(sp.customer_group_id, sp.price) for sp in p[40].specials] == [(2, 85.0)]
    assert [sp.price for sp in p[42].specials] == [90.0] and [d.type for d in p[42].discounts] == ["F", "F", "F"]
    assert (p[32].name, p[32].weight) == ("iPod Touch", 5.0)
    assert [g.name for g in s.customer_groups] == ["Default", "Wholesale"]
    weight = next(e for e in s.shipping if e.code == "weight")
    assert weight.settings["4_rate"] == "1:4.00,5:7.50,10:11.00,25:16.00,100:30.00"
    berlin = Engine(s).zone(1256)
    assert berlin.code == ("BER" if name == "oc30" else "BE")


def test_geo_ids(stores):
    engine = Engine(stores["stock"])
    uk = engine.country(222)
    assert (uk.iso_code_2, uk.postcode_required, len(uk.zones)) == ("GB", True, 107)
    assert engine.zone(3563).code == "LANCS" and engine.zone(3624).name == "California"
    # OpenCart's own table everywhere, not only for the reference countries: France is
    # country 74 (OpenCart names it "France, Metropolitan") with its departments as zones
    fr = engine.country(74)
    assert (fr.iso_code_2, fr.name, fr.postcode_required) == ("FR", "France, Metropolitan", True)
    paris = engine.zone(1189)
    assert (paris.country_id, paris.code, paris.name) == (74, "75", "Paris")
    assert len(fr.zones) == 96 and not any(z.code == "ARA" for z in fr.zones)
    assert engine.country(9999) is None
    assert not any(c.iso_code_2 == "SX" for c in stores["stock"].countries)  # OpenCart has no Sint Maarten


def test_dump_roundtrip(stores):
    for name in ("rich", "oc30"):
        again = loads_store(dump_store(stores[name]), key=name)
        assert again == stores[name]


@pytest.mark.parametrize(
    "patch,message",
    [
        ("settings: {version: '4.1.0.4', currency: XXX}", "settings.currency"),
        ("settings: {discount_model: fancy}", "settings.discount_model"),
        ("settings: {colour: red}", "settings.colour: unknown key"),
        ("bogus: 1", "bogus: unknown section"),
        ("tax_rates: [{tax_rate_id: 86, type: X}]", "tax_rates[0].type"),
        ("shipping: [{code: flat, settings: {cost: 5.0}}]", "shipping[0].settings.cost"),
        ("shipping: [{code: teleport}]", "shipping[1].code"),
        ("shipping: [{code: flat, settings: {speed: '1'}}]", "shipping[0].settings.speed"),
        ("products: [{product_id: 42, options: [{product_option_id: 1, option_id: 1, name: X, type: slider}]}]",
         "products[11].options[0].type"),
        ("products: [{product_id: 28, price: cheap}]", "products[0].price"),
        ("tax_classes: [{tax_class_id: 9, rules: [{tax_rule_id: 1, tax_rate_id: 999, based: shipping}]}]",
         "tax_classes[0].rules[0].tax_rate_id"),
        ("geo_zones: [{geo_zone_id: 9, name: X, members: [[99999, 0]]}]", "members"),
        ("demo_data: '4.1'", "demo_data: '4.1' is not a packaged OpenCart release"),
    ],
)
def test_bad_files_name_the_key(tmp_path, patch, message):
    path = tmp_path / "bad.yaml"
    path.write_text(f"extends: stock\n{patch}\n", encoding="utf-8")
    with pytest.raises(StoreFileError) as err:
        load_store(path)
    assert message in str(err.value)


def test_products_change_the_demo_catalogue_item_by_item_and_dump_back(stores):
    store = loads_store(
        "extends: stock\nkey: mine\nproducts:\n"
        "  - {product_id: 49, delete: true}\n"
        "  - {product_id: 40, price: 120.0, quantity: 5}\n"
        "  - {product_id: 100, name: Gift box, model: GB-1, price: 10.0, tax_class_id: 9, quantity: 3}\n",
        key="mine")
    p = _products(store)
    assert 49 not in p and len(p) == 19
    stock40 = _products(stores["stock"])[40]
    assert (p[40].price, p[40].quantity, p[40].weight, p[40].record) == (120.0, 5, stock40.weight, stock40.record)
    assert (p[100].name, p[100].price, p[100].options) == ("Gift box", 10.0, ())
    assert loads_store(dump_store(store), key="mine") == store  # the deleted demo product stays deleted


def test_without_demo_data_a_store_has_its_own_products_and_its_versions_geography():
    text = """
settings: {version: "3.0.4.1", currency: USD, country_id: 81, zone_id: 1256, customer_group_id: 1}
currencies: [{currency_id: 2, code: USD, title: US Dollar, symbol_left: "$", symbol_right: "", decimal_place: 2, value: 1.0}]
weight_classes: [{weight_class_id: 1, title: Kilogram, unit: kg, value: 1.0}]
customer_groups: [{customer_group_id: 1, name: Default}]
products: [{product_id: 1, name: Thing, model: T, price: 1.0}]
"""
    store = loads_store(text, key="bare")
    assert [p.product_id for p in store.products] == [1] and store.demo_data == ""
    assert store.geography == "3.0.4.1" and Engine(store).zone(1256).code == "BER"


def test_unreadable_and_malformed_files(tmp_path):
    with pytest.raises(StoreFileError, match="cannot read"):
        load_store(tmp_path / "missing.yaml")
    (tmp_path / "x.yaml").write_text("settings: [unclosed", encoding="utf-8")
    with pytest.raises(StoreFileError, match="not valid YAML"):
        load_store(tmp_path / "x.yaml")


def test_analyst_copy_changes_prices(tmp_path):
    """A copied store with a new flat cost and VAT rate quotes the new numbers."""
    path = tmp_path / "mine.yaml"
    path.write_text(
        "extends: stock\nkey: mine\n"
        "shipping: [{code: flat, settings: {cost: '7.50'}}]\n"
        "tax_rates: [{tax_rate_id: 86, name: VAT (17.5%), rate: 17.5}]\n",
        encoding="utf-8",
    )
    engine = Engine(load_store(path))
    ctx = engine.default_context()
    from ocdata.sandbox.engine import LineIn

    products = engine.products([LineIn(40, 1)], ctx)
    (flat,) = engine.shipping_methods(products, AddressRef(222, 3553), ctx)
    assert (flat.quotes[0].cost_raw, flat.quotes[0].text) == ("7.50", "$10.81")  # 7.50 + 1.3125 + 2.00
