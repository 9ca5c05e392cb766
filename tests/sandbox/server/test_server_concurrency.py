"""Sixteen clients running complete spec order flows at once against one sandbox."""

from __future__ import annotations

import threading

import pytest
from conftest import SpecClient
from test_server_spec import DE, JANE, UK, US_CA, prefixed

DESTINATIONS = [UK, US_CA, DE]


def _flow(sandbox, index: int) -> dict:
    client = SpecClient(sandbox)
    address = DESTINATIONS[index % 3]
    quantity = 1 + index % 4
    steps = [
        client.post("api/customer", JANE),
        client.post("api/cart", {"product[0][product_id]": "40", "product[0][quantity]": str(quantity),
                                 "product[1][product_id]": "33", "product[1][quantity]": "1"}),
        client.post("api/payment_address", prefixed(address, "payment_")),
        client.post("api/shipping_address", prefixed(address, "shipping_")),
        client.post("api/shipping_method", {"shipping_method[code]": "flat.flat"}),
    ]
    payment = client.get("api/payment_method/getPaymentMethods").json()["payment_methods"][-1]
    steps.append(client.post("api/payment_method", {"name": payment["name"], "code": payment["code"]}))
    totals = client.get("api/cart/getTotals").json()["totals"]
    confirmed = client.post("api/order", {"order_status_id": "1"}, call="confirm").json()
    return {"steps": [s.json() for s in steps], "totals": totals, "order": confirmed, "key": (index % 3, quantity)}


def test_sixteen_full_order_flows_at_once(rich_sandbox):
    results: list[dict] = [None] * 16  # type: ignore[list-item]
    failures: list[BaseException] = []

    def run(i: int) -> None:
        try:
            results[i] = _flow(rich_sandbox, i)
        except BaseException as exc:  # noqa: BLE001 - a thread's failure (assertions too) is surfaced below
            failures.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert failures == []
    for result in results:
        assert all("success" in step for step in result["steps"]), result["steps"]
        assert "order_id" in result["order"], result["order"]
    order_ids = [r["order"]["order_id"] for r in results]
    assert len(set(order_ids)) == 16
    # same scenario -> same totals, whichever thread ran it; each order stored with its totals
    by_scenario: dict = {}
    for result in results:
        by_scenario.setdefault(result["key"], []).append(result["totals"])
        order = rich_sandbox.engine.order(result["order"]["order_id"])
        assert order.total == pytest.approx(result["totals"][-1]["value"])
        assert [t.title for t in order.totals] == [t["title"] for t in result["totals"]]
    for totals in by_scenario.values():
        assert all(t == totals[0] for t in totals)
    uk_total = next(r["totals"] for r in results if r["key"][0] == 0)
    assert any(t["title"] == "VAT (20%)" for t in uk_total)
