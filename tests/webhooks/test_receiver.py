"""The receiver: each delivery verified, validated and stored exactly once; each refusal its own status."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pandas as pd
import pytest
import requests

import ocdata
from ocdata.cache import Cache
from ocdata.webhooks import EVENT_COLUMNS, serve
from ocdata.webhooks.signing import HEADER_SIGNATURE, signature

from webhook_helpers import SECRET, order_created, post


def test_a_signed_delivery_is_stored_with_typed_columns_and_its_raw_json(receiver, db):
    event = order_created()
    answer = post(receiver.url, event)
    assert answer.status_code == 200 and answer.json() == {"status": "stored", "id": event["id"]}
    frame = ocdata.events(db=db)
    assert list(frame.columns) == list(EVENT_COLUMNS)
    assert {c: str(t) for c, t in frame.dtypes.items()} == {
        c: str(pd.Series([], dtype=t).dtype) for c, t in EVENT_COLUMNS.items()}
    row = frame.iloc[0]
    assert (row.event_id, row.type, row.order_id, row.order_status_id, row.total, row.currency) == (
        event["id"], "order.created", 7, 1, 129.4, "GBP")
    assert json.loads(row.payload) == event


def test_the_same_event_id_is_stored_once_and_refused_with_409(receiver, db):
    event = order_created()
    assert post(receiver.url, event).status_code == 200
    again = post(receiver.url, event)
    assert again.status_code == 409 and again.json()["error"] == "duplicate"
    assert len(ocdata.events(db=db)) == 1


@pytest.mark.parametrize("case, status, code", [
    ("wrong secret", 401, "bad_signature"),
    ("no signature", 401, "bad_signature"),
    ("body changed after signing", 401, "bad_signature"),
    ("stale timestamp", 403, "stale_timestamp"),
    ("future timestamp", 403, "stale_timestamp"),
    ("not json", 400, "malformed_json"),
    ("deeply nested json", 400, "malformed_json"),
    ("unknown type", 422, "invalid_event"),
    ("missing field", 422, "invalid_event"),
    ("extra field", 422, "invalid_event"),
    ("money not a number", 422, "invalid_event"),
    ("header id differs", 400, "id_mismatch"),
    ("text/plain", 415, "unsupported_media_type"),
])
def test_each_refusal_has_its_own_status_and_stores_nothing(receiver, db, case, status, code):
    event = order_created()
    url = receiver.url
    if case == "wrong secret":
        answer = post(url, event, secret="another-secret-value-1")
    elif case == "no signature":
        answer = post(url, event, headers={HEADER_SIGNATURE: ""})
    elif case == "body changed after signing":
        body = json.dumps(event).encode()
        headers = {"Content-Type": "application/json", "X-Ocdata-Timestamp": str(int(time.time())),
                   HEADER_SIGNATURE: signature(SECRET, int(time.time()), body)}
        answer = requests.post(url, data=body.replace(b"129.4000", b"1.0000"), headers=headers, timeout=10)
    elif case == "stale timestamp":
        answer = post(url, event, now=time.time() - 301)
    elif case == "future timestamp":
        answer = post(url, event, now=time.time() + 301)
    elif case == "not json":
        answer = post(url, b"{not json")
    elif case == "deeply nested json":
        answer = post(url, b"[" * 100_000 + b"]" * 100_000)
    elif case == "unknown type":
        answer = post(url, {**event, "type": "order.deleted"})
    elif case == "missing field":
        answer = post(url, {**event, "data": {k: v for k, v in event["data"].items() if k != "total"}})
    elif case == "extra field":
        answer = post(url, {**event, "data": {**event["data"], "email": "ann@example.com"}})
    elif case == "money not a number":
        answer = post(url, {**event, "data": {**event["data"], "total": "Infinity"}})
    elif case == "header id differs":
        answer = post(url, event, headers={"X-Ocdata-Event-Id": "evt_someone_else"})
    else:
        answer = post(url, event, headers={"Content-Type": "text/plain"})
    assert answer.status_code == status, answer.text
    assert answer.json()["error"] == code
    assert ocdata.events(db=db).empty
    assert receiver.outcomes[-1].status == status


def test_invalid_event_names_the_field(receiver):
    event = order_created()
    answer = post(receiver.url, {**event, "data": {**event["data"], "currency_code": "pounds"}})
    assert answer.status_code == 422 and "data.currency_code" in answer.json()["detail"]


def test_an_oversized_body_is_refused_before_it_is_read(db):
    with serve(SECRET, db=db, max_bytes=1000) as small:
        answer = post(small.url, order_created(products=[{"product_id": i, "quantity": 1, "price": "1", "total": "1"}
                                                         for i in range(1, 200)]))
    assert answer.status_code == 413
    assert ocdata.events(db=db).empty


def test_other_methods_and_paths(db):
    with serve(SECRET, db=db, path="/hooks/opencart") as r:
        assert r.url.endswith("/hooks/opencart")
        assert requests.get(r.url, timeout=5).status_code == 405
        assert post(r.url.replace("/hooks/opencart", "/other"), order_created()).status_code == 404
        assert post(r.url, order_created()).status_code == 200


def test_what_was_acknowledged_survives_a_restart_and_stays_refused_as_duplicate(db):
    event = order_created()
    with serve(SECRET, db=db) as first:
        assert post(first.url, event).status_code == 200
    with serve(SECRET, db=db) as second:
        assert post(second.url, event).status_code == 409
        assert post(second.url, order_created()).status_code == 200
    assert ocdata.events(db=db)["event_id"].iloc[0] == event["id"]
    assert len(ocdata.events(db=db)) == 2


def test_events_are_a_cache_table_that_other_processes_read_between_deliveries(receiver, db):
    assert post(receiver.url, order_created()).status_code == 200
    # another process reads the file while the receiver runs (it holds it only during a delivery)
    out = subprocess.run([sys.executable, "-m", "ocdata.cli", "sql", "--db", db, "--csv",
                          "SELECT type, order_id FROM webhook_events"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["type,order_id", "order.created,7"]
    assert post(receiver.url, order_created(order_id=8)).status_code == 200
    with Cache(db, read_only=True) as cache:
        assert sorted(cache.sql("SELECT order_id FROM webhook_events")["order_id"]) == [7, 8]


def test_events_filters_by_type_and_time(receiver, db):
    post(receiver.url, order_created())
    post(receiver.url, {**order_created(), "type": "order.updated",
                        "data": {"order_id": 7, "order_status_id": 5, "previous_order_status_id": 1}})
    assert ocdata.events("order.updated", db=db)["order_status_id"].tolist() == [5]
    assert len(ocdata.events(["order.created", "order.updated"], db=db)) == 2
    assert ocdata.events(since="2999-01-01T00:00:00+00:00", db=db).empty
    with pytest.raises(ValueError, match="unknown event type"):
        ocdata.events("order.deleted", db=db)


def test_no_cache_yet_gives_an_empty_typed_frame(tmp_path):
    frame = ocdata.events(db=tmp_path / "none.duckdb")
    assert frame.empty and list(frame.columns) == list(EVENT_COLUMNS)


def test_the_secret_never_shows(receiver):
    assert SECRET not in repr(receiver)
    answer = post(receiver.url, order_created(), secret="another-secret-value-1")
    assert SECRET not in answer.text


def test_a_short_secret_is_refused_and_a_missing_one_is_generated(db):
    with pytest.raises(ValueError, match="16 characters"):
        serve("short", db=db)
    with serve(None, db=db) as r:
        generated = r.secret.reveal()
        assert len(generated) >= 32
        assert post(r.url, order_created(), secret=generated).status_code == 200
