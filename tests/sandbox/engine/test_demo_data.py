"""The built-in stores carry OpenCart's install data exactly as the reference stores had it.

The sandbox reads packaged data (``ocdata/sandbox/data/<version>/``), never the recordings;
these tests keep the two from drifting: the packaged files are what
``tools/import_demo_data.py`` makes of ``tests/recordings/*/demo-data/``, and each loaded
built-in store matches the CSV export of its reference store row for row (countries, zones,
products, options, option values, discounts, specials, rewards, weight classes, taxes, geo
zones), checked here independently of the script.
"""

from __future__ import annotations

import csv
import importlib.util
from pathlib import Path

import pytest

from ocdata.sandbox.engine import Engine

ROOT = Path(__file__).resolve().parents[3]
RECORDINGS = ROOT / "tests" / "recordings"
EXPORTS = {
    "stock": RECORDINGS / "oc41" / "demo-data" / "stock",
    "rich": RECORDINGS / "oc41" / "demo-data" / "rich",
    "oc40": RECORDINGS / "oc40" / "demo-data",
    "oc30": RECORDINGS / "oc30" / "demo-data",
}
#: Stock the rich store's export shows after the orders recorded in it (rich-store.md,
#: "Local changes"); the store keeps the stock the recordings started from.
RICH_RECORDED_ORDERS = {28: 3, 40: 1, 48: 1}


def rows(store: str, table: str) -> list[dict[str, str]]:
    with (EXPORTS[store] / f"{table}.csv").open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def names(store: str, table: str, key: str) -> dict[str, dict[str, str]]:
    """``<table>_description`` rows of language 1 (4.x), or the main rows (3.0 keeps names there)."""
    path = EXPORTS[store] / f"{table}_description.csv"
    if not path.exists():
        return {r[key]: r for r in rows(store, table)}
    return {r[key]: r for r in rows(store, f"{table}_description") if r["language_id"] == "1"}


def _flag(text: str) -> bool:
    return text == "1"


def test_packaged_files_are_what_the_import_script_makes_of_the_recordings():
    spec = importlib.util.spec_from_file_location("import_demo_data", ROOT / "tools" / "import_demo_data.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.stale() == [], "run: python tools/import_demo_data.py"


@pytest.mark.parametrize("name", list(EXPORTS))
def test_countries_and_zones_are_opencarts(stores, name):
    store = stores[name]
    countries = {c.country_id: c for c in store.countries}
    exported = rows(name, "country")
    country_names = names(name, "country", "country_id")
    assert len(countries) == len(exported)
    for r in exported:
        c = countries[int(r["country_id"])]
        assert (c.name, c.iso_code_2, c.iso_code_3, c.postcode_required, c.status) == (
            country_names[r["country_id"]]["name"], r["iso_code_2"], r["iso_code_3"],
            _flag(r["postcode_required"]), _flag(r["status"])), r
        if "address_format" in r:  # 3.0 keeps the format text on the country
            assert c.address_format == r["address_format"]
        else:
            assert c.address_format_id == int(r["address_format_id"])
    zones = {z.zone_id: z for c in store.countries for z in c.zones}
    exported = rows(name, "zone")
    zone_names = names(name, "zone", "zone_id")
    assert len(zones) == len(exported)
    for r in exported:
        z = zones[int(r["zone_id"])]
        assert (z.country_id, z.code, z.name, z.status) == (
            int(r["country_id"]), r["code"], zone_names[r["zone_id"]]["name"], _flag(r["status"])), r


@pytest.mark.parametrize("name", list(EXPORTS))
def test_products_are_the_demo_catalogue(stores, name):
    store = stores[name]
    products = {p.product_id: p for p in store.products}
    exported = rows(name, "product")
    product_names = names(name, "product", "product_id")
    assert sorted(products) == sorted(int(r["product_id"]) for r in exported)
    assert len(products) == 19
    for r in exported:
        p = products[int(r["product_id"])]
        quantity = int(r["quantity"]) + (RICH_RECORDED_ORDERS.get(p.product_id, 0) if name == "rich" else 0)
        assert (p.name, p.model, p.price, p.tax_class_id, p.weight, p.weight_class_id, p.quantity, p.minimum,
                p.subtract, p.shipping, p.points, p.status) == (
            product_names[r["product_id"]]["name"], r["model"], float(r["price"]), int(r["tax_class_id"]),
            float(r["weight"]), int(r["weight_class_id"]), quantity, int(r["minimum"]), _flag(r["subtract"]),
            _flag(r["shipping"]), int(r["points"]), _flag(r["status"])), r
        # the columns the engine does not model reach the API as the database has them
        for column in ("length", "width", "height", "length_class_id", "image", "stock_status_id",
                       "manufacturer_id", "date_available", "sku"):
            if column in r and not (column == "image" and r[column] == ""):
                assert p.record[column] == r[column], (p.product_id, column)
    rewards = {}
    for r in rows(name, "product_reward"):
        rewards.setdefault(int(r["product_id"]), {})[int(r["customer_group_id"])] = int(r["points"])
    assert {pid: p.rewards for pid, p in products.items() if p.rewards} == rewards


@pytest.mark.parametrize("name", list(EXPORTS))
def test_options_and_values_with_their_deltas(stores, name):
    products = {p.product_id: p for p in stores[name].products}
    option_rows = {r["option_id"]: r for r in rows(name, "option")}
    option_names = names(name, "option", "option_id")
    exported = rows(name, "product_option")
    assert sum(len(p.options) for p in products.values()) == len(exported)
    for r in exported:
        option = next(o for o in products[int(r["product_id"])].options
                      if o.product_option_id == int(r["product_option_id"]))
        assert (option.option_id, option.name, option.type, option.required, option.value) == (
            int(r["option_id"]), option_names[r["option_id"]]["name"], option_rows[r["option_id"]]["type"],
            _flag(r["required"]), r["value"]), r
    for p in products.values():  # getOptions() order: the option's sort order
        orders = [int(option_rows[str(o.option_id)]["sort_order"]) for o in p.options]
        assert orders == sorted(orders)
    value_names = {r["option_value_id"]: r["name"] for r in rows(name, "option_value_description")}
    exported = rows(name, "product_option_value")
    values = {(p.product_id, o.product_option_id, v.product_option_value_id): v
              for p in products.values() for o in p.options for v in o.values}
    assert len(values) == len(exported)
    for r in exported:
        v = values[(int(r["product_id"]), int(r["product_option_id"]), int(r["product_option_value_id"]))]
        assert (v.option_value_id, v.name, v.quantity, v.subtract, v.price, v.price_prefix, v.points,
                v.points_prefix, v.weight, v.weight_prefix) == (
            int(r["option_value_id"]), value_names[r["option_value_id"]], int(r["quantity"]), _flag(r["subtract"]),
            float(r["price"]), r["price_prefix"], int(r["points"]), r["points_prefix"], float(r["weight"]),
            r["weight_prefix"]), r


def _dates(r: dict[str, str]) -> tuple[str, str]:
    return tuple("" if r[k] == "0000-00-00" else r[k] for k in ("date_start", "date_end"))


@pytest.mark.parametrize("name", list(EXPORTS))
def test_discounts_and_specials_per_customer_group(stores, name):
    store = stores[name]
    unified = store.settings.discount_model == "unified"
    got = {(p.product_id, d.product_discount_id, d.customer_group_id, d.quantity, d.priority, d.price, d.type,
            d.special, d.date_start, d.date_end) for p in store.products for d in p.discounts}
    want = {(int(r["product_id"]), int(r["product_discount_id"]), int(r["customer_group_id"]), int(r["quantity"]),
             int(r["priority"]), float(r["price"]), r["type"] if unified else "F",
             _flag(r["special"]) if unified else False, *_dates(r)) for r in rows(name, "product_discount")}
    assert got == want
    got = {(p.product_id, d.product_discount_id, d.customer_group_id, d.priority, d.price, d.date_start, d.date_end)
           for p in store.products for d in p.specials}
    want = set() if unified else {
        (int(r["product_id"]), int(r["product_special_id"]), int(r["customer_group_id"]), int(r["priority"]),
         float(r["price"]), *_dates(r)) for r in rows(name, "product_special")}
    assert got == want


@pytest.mark.parametrize("name", list(EXPORTS))
def test_weight_classes_taxes_and_geo_zones(stores, name):
    store = stores[name]
    units = {r["weight_class_id"]: r["unit"] for r in rows(name, "weight_class_description")}
    assert {(w.weight_class_id, w.value, w.unit) for w in store.weight_classes} == {
        (int(r["weight_class_id"]), float(r["value"]), units[r["weight_class_id"]]) for r in rows(name, "weight_class")}
    groups = {}
    for r in rows(name, "tax_rate_to_customer_group"):
        groups.setdefault(int(r["tax_rate_id"]), set()).add(int(r["customer_group_id"]))
    assert {(t.tax_rate_id, t.geo_zone_id, t.name, t.rate, t.type, frozenset(t.customer_group_ids))
            for t in store.tax_rates} == {
        (int(r["tax_rate_id"]), int(r["geo_zone_id"]), r["name"], float(r["rate"]), r["type"],
         frozenset(groups[int(r["tax_rate_id"])])) for r in rows(name, "tax_rate")}
    assert {(c.tax_class_id, c.title, r.tax_rule_id, r.tax_rate_id, r.based, r.priority)
            for c in store.tax_classes for r in c.rules} == {
        (int(r["tax_class_id"]), {"9": "Taxable Goods", "10": "Downloadable Products"}[r["tax_class_id"]],
         int(r["tax_rule_id"]), int(r["tax_rate_id"]), r["based"], int(r["priority"])) for r in rows(name, "tax_rule")}
    assert {(g.geo_zone_id, g.name, g.description) for g in store.geo_zones} == {
        (int(r["geo_zone_id"]), r["name"], r["description"]) for r in rows(name, "geo_zone")}
    # "zones: each" lists the UK zones of the store's own release, as zone_to_geo_zone does
    assert {(g.geo_zone_id, c, z) for g in store.geo_zones for c, z in g.members} == {
        (int(r["geo_zone_id"]), int(r["country_id"]), int(r["zone_id"])) for r in rows(name, "zone_to_geo_zone")}
    customer_groups = names(name, "customer_group", "customer_group_id")
    assert {(g.customer_group_id, g.name, g.description) for g in store.customer_groups} == {
        (int(k), r["name"], r["description"]) for k, r in customer_groups.items()}


def test_every_demo_product_can_be_priced(stores):
    """No demo product is "not found" any more (32, 34, 36, 41, 44 and 46 were)."""
    for name in EXPORTS:
        engine = Engine(stores[name])
        for p in stores[name].products:
            assert engine.catalog.product(p.product_id) is not None, (name, p.product_id)
