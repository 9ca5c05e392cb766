"""The OpenCart extension (extras/opencart-webhooks): valid PHP, the events it registers per
version, and its deliveries accepted by ocdata's receiver, run with php-cli against a harness."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import zipfile
from pathlib import Path

import jsonschema
import pytest

import ocdata
from ocdata.webhooks import serve as receive
from ocdata.webhooks.payload import SCHEMA_PATH

from webhook_helpers import SECRET

EXTRA = Path(__file__).resolve().parents[2] / "extras" / "opencart-webhooks"
SRC = EXTRA / "src"
PHP = shutil.which("php")

if PHP is None:
    if os.environ.get("CI"):
        raise RuntimeError("php-cli is required in CI (.ci/run installs php-cli)")
    pytest.skip("php-cli is not installed (apt-get install php-cli)", allow_module_level=True)

ORDER = {"order_id": "12", "order_status_id": "1", "order_status": "Pending", "customer_id": "0",
         "customer_group_id": "1", "currency_code": "EUR", "currency_value": "0.78460002", "total": "129.4000",
         "shipping_method": {"name": "Flat Shipping Rate", "code": "flat.flat"},
         "payment_method": {"name": "Cash On Delivery", "code": "cod.cod"},
         "shipping_iso_code_2": "GB", "shipping_zone_code": "LDN", "payment_iso_code_2": "GB",
         "payment_zone_code": "LDN", "firstname": "Ann", "email": "ann@example.com"}
PRODUCTS = [{"product_id": "40", "model": "product 11", "quantity": "1", "price": "101.0000", "total": "101.0000",
             "tax": "20.2000", "name": "iPhone"}]
TOTALS = [{"code": "sub_total", "title": "Sub-Total", "value": "101.0000", "sort_order": "1"},
          {"code": "tax", "title": "VAT (20%)", "value": "21.2000", "sort_order": "5"},
          {"code": "total", "title": "Total", "value": "129.4000", "sort_order": "9"}]
PRODUCT = {"product_id": "33", "model": "Product 6", "sku": "", "price": "200.0000", "quantity": "950",
           "status": "1", "tax_class_id": "9", "weight": "5.00000000", "weight_class_id": "1"}


def run(tmp_path: Path, calls: list[dict], *, version: str = "4.1.0.4", url: str = "http://127.0.0.1:9/",
        fixtures: dict | None = None, events: list[str] | None = None) -> dict:
    ext = tmp_path / "extension"
    if not ext.exists():
        ext.mkdir()
        (ext / "ocdata_webhooks").symlink_to(SRC)
    scenario = {
        "version": version, "dir_extension": str(ext), "dir_storage": str(tmp_path / "storage"),
        "settings": {"module_ocdata_webhooks_status": 1, "module_ocdata_webhooks_url": url,
                     "module_ocdata_webhooks_secret": SECRET,
                     "module_ocdata_webhooks_events": events or ["order.created", "order.updated",
                                                                 "customer.registered", "product.updated"],
                     "config_url": "http://shop.test/", "config_store_id": 0, "config_customer_group_id": 1},
        "fixtures": fixtures or {"orders": {"12": ORDER}, "order_products": {"12": PRODUCTS},
                                 "order_totals": {"12": TOTALS}, "products": {"33": PRODUCT}},
        "calls": calls,
    }
    path = tmp_path / "scenario.json"
    path.write_text(json.dumps(scenario))
    done = subprocess.run([PHP, str(EXTRA / "tests" / "harness.php"), str(path)], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0 and not done.stderr, done.stdout + done.stderr
    return json.loads(done.stdout)


def order_calls(before: str, after: str) -> list[dict]:
    return [{"action": "catalog.orderBefore", "args": [12, int(after)],
             "fixtures": {"orders": {"12": {"order_status_id": before}}}},
            {"action": "catalog.orderAfter", "args": [12, int(after), "packed", True],
             "fixtures": {"orders": {"12": {"order_status_id": after}}}}]


def test_every_php_file_passes_php_lint():
    files = sorted(SRC.rglob("*.php")) + [EXTRA / "tests" / "harness.php"]
    assert len(files) >= 6
    for file in files:
        done = subprocess.run([PHP, "-l", str(file)], capture_output=True, text=True, timeout=30)
        assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("version, order_trigger, product_trigger", [
    ("4.0.2.3", "catalog/model/checkout/order/addHistory/after", "admin/model/catalog/product/editProduct/after"),
    ("4.1.0.4", "catalog/model/checkout/order.addHistory/after", "admin/model/catalog/product.editProduct/after"),
])
def test_install_registers_the_events_in_the_versions_spelling_and_uninstall_removes_them(
        tmp_path, version, order_trigger, product_trigger):
    report = run(tmp_path, [{"action": "module.install"}, {"action": "module.uninstall"}], version=version)
    log = report["log"]
    assert log[0] == ["deleteEventByCode", "ocdata_webhooks"]  # a re-install never doubles an event
    added = [entry[1] for entry in log if entry[0] == "addEvent"]
    triggers = {e["trigger"]: e["action"] for e in added}
    assert triggers[order_trigger] == "extension/ocdata_webhooks/event/webhooks.orderAfter"
    assert triggers[product_trigger] == "extension/ocdata_webhooks/event/webhooks.productAfter"
    assert all(e["code"] == "ocdata_webhooks" and e["status"] == 1 for e in added) and len(added) == 7
    assert log[-2:] == [["deleteEventByCode", "ocdata_webhooks"], ["deleteSetting", "module_ocdata_webhooks"]]


def test_events_from_the_extension_land_in_duckdb_and_match_the_schema(tmp_path):
    db = str(tmp_path / "cache.duckdb")
    with receive(SECRET, db=db) as receiver:
        calls = order_calls("0", "1") + order_calls("1", "5") + [
            {"action": "catalog.customerAfter", "args": [{"customer_group_id": 2, "newsletter": 1}], "output": 31},
            {"action": "admin.productBefore", "args": [33]},
            {"action": "admin.productAfter", "args": [33, {}],
             "fixtures": {"products": {"33": {"price": "180.0000", "quantity": "940"}}}},
            {"action": "admin.productBefore", "args": [33]},
            {"action": "admin.productAfter", "args": [33, {}]},  # saved unchanged: nothing sent
        ]
        report = run(tmp_path, calls, url=receiver.url)
    assert report["queue"] == []
    assert [o.status for o in receiver.outcomes] == [200, 200, 200, 200]
    frame = ocdata.events(db=db)
    assert frame["type"].tolist() == ["order.created", "order.updated", "customer.registered", "product.updated"]
    created, updated, customer, product = (json.loads(p) for p in frame["payload"])
    assert created["data"] == {
        "order_id": 12, "order_status_id": 1, "order_status": "Pending", "customer_id": 0, "customer_group_id": 1,
        "currency_code": "EUR", "currency_value": "0.7846", "total": "129.4000", "shipping_method": "flat.flat",
        "payment_method": "cod.cod", "shipping_country": "GB", "shipping_zone": "LDN", "payment_country": "GB",
        "payment_zone": "LDN",
        "products": [{"product_id": 40, "model": "product 11", "quantity": 1, "price": "101.0000",
                      "total": "101.0000", "tax": "20.2000"}],
        "totals": [{"code": "sub_total", "title": "Sub-Total", "value": "101.0000", "sort_order": 1},
                   {"code": "tax", "title": "VAT (20%)", "value": "21.2000", "sort_order": 5},
                   {"code": "total", "title": "Total", "value": "129.4000", "sort_order": 9}]}
    assert created["store"] == {"url": "http://shop.test/", "store_id": 0, "version": "4.1.0.4"}
    assert (updated["data"]["previous_order_status_id"], updated["data"]["order_status_id"],
            updated["data"]["comment"], updated["data"]["notify"]) == (1, 5, "packed", True)
    assert (customer["data"]["customer_id"], customer["data"]["customer_group_id"],
            customer["data"]["newsletter"]) == (31, 2, True)
    assert (product["data"]["price"], product["data"]["quantity"], product["data"]["changed"]) == (
        "180.0000", 940, ["price", "quantity"])
    assert "Ann" not in frame["payload"].str.cat() and "example.com" not in frame["payload"].str.cat()
    validator = jsonschema.Draft202012Validator(json.loads(SCHEMA_PATH.read_text()))
    for payload in frame["payload"]:
        validator.validate(json.loads(payload))


def test_an_order_without_a_status_sends_nothing_and_unselected_events_are_not_sent(tmp_path):
    db = str(tmp_path / "cache.duckdb")
    with receive(SECRET, db=db) as receiver:
        run(tmp_path, order_calls("0", "0") + [
            {"action": "catalog.customerAfter", "args": [{}], "output": 5}], url=receiver.url,
            events=["order.created"])
    assert receiver.outcomes == [] and ocdata.events(db=db).empty


def test_a_dead_receiver_queues_the_delivery_and_the_next_event_sends_it_first(tmp_path):
    first = run(tmp_path, order_calls("0", "1"))  # nothing listens on port 9
    assert len(first["queue"]) == 1
    db = str(tmp_path / "cache.duckdb")
    with receive(SECRET, db=db) as receiver:
        # the queued delivery waits for its backoff: make it due, as time passing would
        queued = next((tmp_path / "storage" / "ocdata_webhooks" / "queue").glob("*.json"))
        item = json.loads(queued.read_text())
        queued.write_text(json.dumps({**item, "next_at": 0}))
        second = run(tmp_path, order_calls("1", "5"), url=receiver.url)
    assert second["queue"] == []
    assert ocdata.events(db=db)["type"].tolist() == ["order.created", "order.updated"]


def test_a_wrong_secret_is_refused_by_the_receiver_and_not_retried(tmp_path):
    db = str(tmp_path / "cache.duckdb")
    with receive("another-secret-0123456789", db=db) as receiver:
        report = run(tmp_path, order_calls("0", "1"), url=receiver.url)
    assert [o.status for o in receiver.outcomes] == [401]
    assert report["queue"] == [] and ocdata.events(db=db).empty


@pytest.mark.parametrize("post, errors", [
    ({"module_ocdata_webhooks_url": "http://127.0.0.1:8765/", "module_ocdata_webhooks_secret": SECRET,
      "module_ocdata_webhooks_events": ["order.created"]}, []),
    ({"module_ocdata_webhooks_url": "ftp://x", "module_ocdata_webhooks_secret": "short",
      "module_ocdata_webhooks_events": ["order.deleted"]}, {"url": "error_url", "secret": "error_secret",
                                                            "events": "error_events"}),
])
def test_the_settings_form_validates(tmp_path, post, errors):
    assert run(tmp_path, [{"action": "module.validate", "args": post}])["results"] == [errors]


def test_the_package_is_what_opencarts_installer_expects(tmp_path):
    import importlib.util

    spec = importlib.util.spec_from_file_location("build", EXTRA / "build.py")
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)
    target = build.build(tmp_path)
    assert target.name == "ocdata_webhooks.ocmod.zip"
    with zipfile.ZipFile(target) as archive:
        names = set(archive.namelist())
        info = json.loads(archive.read("install.json"))
    assert {"install.json", "admin/controller/module/ocdata_webhooks.php", "catalog/controller/event/webhooks.php",
            "admin/controller/event/webhooks.php", "system/library/sender.php"} <= names
    assert set(info) >= {"name", "version", "author", "link"} and all(info.values())
    assert build.build(tmp_path / "again").read_bytes() == target.read_bytes()
