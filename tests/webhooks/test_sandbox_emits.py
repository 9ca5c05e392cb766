"""The sandbox sends every change to its webhooks: sandbox -> receiver -> DuckDB -> DataFrame."""

from __future__ import annotations

import http.server
import json
import threading

import jsonschema
import pytest

import ocdata
from ocdata import Address, CartLine, Customer, OrderDraft
from ocdata.sandbox import serve
from ocdata.sandbox.model import Customer as StoreCustomer
from ocdata.sandbox.webhooks import Webhook
from ocdata.webhooks import serve as receive
from ocdata.webhooks.payload import SCHEMA_PATH

from webhook_helpers import SECRET

DRAFT = OrderDraft(
    customer=Customer(firstname="Ann", lastname="Lee", email="ann@example.com"),
    lines=[CartLine(product_id=40, quantity=2)],
    shipping_address=Address(country="GB", zone="Greater London", firstname="Ann", lastname="Lee",
                             address_1="1 Main St", city="London", postcode="SW1A 1AA"),
)


def _confirm(store):
    quote = store.quote(DRAFT)
    option = quote.options[0]
    return quote, store.confirm(DRAFT.model_copy(update={"shipping_method": option.quote,
                                                         "payment_method": option.payment_methods[0]}))


@pytest.mark.parametrize("dialect", ["spec", "oc41"])
def test_orders_customers_and_products_arrive_in_duckdb_as_a_frame(db, dialect):
    with receive(SECRET, db=db) as receiver, serve(store="rich", webhooks=Webhook(receiver.url, SECRET)) as shop:
        store = ocdata.connect(shop.url, shop.username, shop.key, dialect=dialect)
        quote, order = _confirm(store)
        store.add_history(order.order_id, 5, comment="shipped")
        customer_id = shop.engine.add_customer(StoreCustomer(0, 1, "Bo", "Day", "bo@example.com"))
        shop.engine.update_product(33, price=150.0, quantity=3)
        assert shop.emitter.flush(timeout=20)
        log = shop.webhook_log()
    frame = ocdata.events(db=db)
    assert frame["type"].tolist() == ["order.created", "order.updated", "customer.registered", "product.updated"]
    assert set(log["outcome"]) == {"delivered"} and len(log) == 4
    created, updated, customer, product = (json.loads(p) for p in frame["payload"])
    assert created["data"]["order_id"] == order.order_id == updated["data"]["order_id"]
    assert float(created["data"]["total"]) == pytest.approx(float(order.total), abs=0.005)
    assert [(p["product_id"], p["quantity"]) for p in created["data"]["products"]] == [(40, 2)]
    assert (created["data"]["shipping_country"], created["data"]["shipping_zone"]) == ("GB", "LDN")
    assert created["data"]["shipping_method"] == quote.options[0].quote.code
    assert (updated["data"]["previous_order_status_id"], updated["data"]["order_status_id"],
            updated["data"]["comment"]) == (order.status_id, 5, "shipped")
    assert customer["data"]["customer_id"] == customer_id
    assert (product["data"]["product_id"], product["data"]["price"], product["data"]["quantity"],
            sorted(product["data"]["changed"])) == (33, "150.0000", 3, ["price", "quantity"])
    # no names, e-mails or street lines travel
    assert "Ann" not in frame["payload"].str.cat() and "example.com" not in frame["payload"].str.cat()
    validator = jsonschema.Draft202012Validator(json.loads(SCHEMA_PATH.read_text()))
    for payload in frame["payload"]:
        validator.validate(json.loads(payload))


def test_an_endpoint_gets_only_the_event_types_it_asked_for(db):
    with receive(SECRET, db=db) as receiver, serve(
            store="rich", webhooks={"url": receiver.url, "secret": SECRET, "events": ("product.updated",)}) as shop:
        _confirm(ocdata.connect(shop.url, shop.username, shop.key, dialect="spec"))
        shop.engine.update_product(40, status=False)
        assert shop.emitter.flush(timeout=20)
    assert ocdata.events(db=db)["type"].tolist() == ["product.updated"]


class _Flaky(http.server.BaseHTTPRequestHandler):
    """503 with Retry-After for the first two deliveries, then hands over to the real receiver's logic."""

    answers: list[int] = []
    hang = threading.Event()

    def log_message(self, *args):
        pass

    def do_POST(self):
        self.rfile.read(int(self.headers["Content-Length"]))
        status = self.answers.pop(0) if self.answers else 200
        if status == 0:  # a receiver that never answers
            self.hang.wait(30)
            status = 200
        self.send_response(status)
        if status == 503:
            self.send_header("Retry-After", "0")
        self.send_header("Content-Length", "0")
        self.end_headers()


@pytest.fixture
def flaky():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Flaky)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    _Flaky.hang.set()
    server.shutdown()
    server.server_close()
    _Flaky.hang.clear()


def test_failed_deliveries_are_retried_with_backoff_and_logged(flaky):
    _Flaky.answers = [503, 500, 200]
    url = f"http://127.0.0.1:{flaky.server_port}/"
    with serve(store="rich", webhooks=Webhook(url, SECRET, backoff=0.01, max_backoff=0.05)) as shop:
        shop.engine.update_product(40, price=1.0)
        assert shop.emitter.flush(timeout=20)
        log = shop.webhook_log()
    assert log["outcome"].tolist() == ["retry", "retry", "delivered"]
    assert log["status"].tolist() == [503, 500, 200]
    assert log["attempt"].tolist() == [1, 2, 3] and log["event_id"].nunique() == 1


def test_a_refusal_that_retrying_cannot_fix_is_final(flaky):
    _Flaky.answers = [401]
    url = f"http://127.0.0.1:{flaky.server_port}/"
    with serve(store="rich", webhooks=Webhook(url, SECRET, backoff=0.01)) as shop:
        shop.engine.update_product(40, price=1.0)
        assert shop.emitter.flush(timeout=20)
        assert shop.webhook_log()["outcome"].tolist() == ["failed"]


def test_a_dead_receiver_never_blocks_the_stores_answers(flaky):
    _Flaky.answers = [0] * 50  # every delivery hangs until the test ends
    url = f"http://127.0.0.1:{flaky.server_port}/"
    with serve(store="rich", webhooks=Webhook(url, SECRET, timeout=30)) as shop:
        store = ocdata.connect(shop.url, shop.username, shop.key, dialect="spec", timeout=10)
        for _ in range(3):  # each confirm queues an event the receiver never acknowledges
            _, order = _confirm(store)
            assert order.order_id
        assert not shop.emitter.flush(timeout=0.2)
    # the undelivered events are logged, not lost silently
    _Flaky.hang.set()


def test_a_closed_port_is_retried_then_given_up():
    with serve(store="rich", webhooks=Webhook("http://127.0.0.1:9/", SECRET, max_attempts=3, backoff=0.01,
                                              timeout=1)) as shop:
        shop.engine.update_product(40, price=1.0)
        assert shop.emitter.flush(timeout=20)
        log = shop.webhook_log()
    assert log["outcome"].tolist() == ["retry", "retry", "failed"]
    assert log["error"].str.contains("ConnectionError").all()


def test_webhook_config_is_checked_and_masks_its_secret():
    with pytest.raises(ValueError, match="unknown webhook event"):
        Webhook("http://x/", SECRET, events=("order.deleted",))
    with pytest.raises(ValueError, match="http://"):
        Webhook("ftp://x/", SECRET)
    assert SECRET not in repr(Webhook("http://x/", SECRET))
