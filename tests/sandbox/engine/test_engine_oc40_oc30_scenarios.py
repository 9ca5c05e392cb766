"""The oc40 and oc30 quote scenarios (S01-S11) replayed through the engine.

Those APIs keep the order in a session: each scenario is a sequence of calls (customer,
cart adds, addresses, method choices) followed by reads. The walker below keeps the same
state and, at every read, compares the engine's formatted totals, line prices, quotes and
payment methods with the recording. Both peers were recorded on the same data, so this
also checks that 4.0's classic specials and per-unit Eco Tax are modelled.
"""

from __future__ import annotations

import re

import pytest

from conftest import SHARED, address_from, form, load_transcript, response_json, shared_path

from ocdata.sandbox.engine import AddressRef, LineIn, ShippingChoice

SCENARIO = re.compile(r"^\d+-(s\d\d)-(.+)\.json$")


def _scenarios(dialect: str) -> list[str]:
    folder = SHARED / dialect / "transcripts"
    if not folder.exists():
        return []
    return sorted({m.group(1) for p in folder.iterdir() if (m := SCENARIO.match(p.name))})


def _lines(post: dict) -> LineIn:
    option = {}
    for oid, value in (post.get("option") or {}).items():
        option[int(oid)] = [value[k] for k in sorted(value, key=int)] if isinstance(value, dict) else value
    return LineIn(int(post["product_id"]), int(post.get("quantity", 1)), option)


def _replay(dialect: str, scenario: str, engine) -> int:
    folder = shared_path(dialect, "transcripts")
    steps = sorted(p for p in folder.iterdir() if (m := SCENARIO.match(p.name)) and m.group(1) == scenario)
    group = None
    lines: list[LineIn] = []
    ship_to: AddressRef | None = None
    pay_to: AddressRef | None = None
    listed: dict[str, dict] = {}
    chosen: ShippingChoice | None = None
    checks = 0
    for path in steps:
        step = SCENARIO.match(path.name).group(2)
        t = load_transcript(path)
        body = response_json(t)
        post = form(t)
        ok = isinstance(body, dict) and "success" in body
        ctx = engine.context(customer_group_id=group, tax_shipping_address=ship_to or engine.store_address(),
                             tax_payment_address=pay_to)
        products = engine.products(lines, ctx)
        if step == "customer" and ok:
            group = int(post.get("customer_group_id") or 0) or None
        elif step.startswith("cart-add") and ok:
            lines.append(_lines(post))
        elif step == "shipping-address" and ok:
            ship_to = address_from({f"s_{k}": v for k, v in post.items()}, "s_").ref()
        elif step == "payment-address" and ok:
            pay_to = address_from({f"p_{k}": v for k, v in post.items()}, "p_").ref()
        elif step.startswith(("ship-save-", "ship-method-")) and ok:
            code = post["shipping_method"]
            q = listed[code]
            chosen = ShippingChoice(code, q.get("name", q.get("title")), float(q["cost"]), int(q["tax_class_id"]))
        elif step == "shipping-methods" and isinstance(body, dict) and "shipping_methods" in body:
            # 3.0 answers an empty list when there is nothing to ship to
            shippable = ship_to is not None and engine.needs_shipping(products)
            methods = engine.shipping_methods(products, ship_to, ctx) if shippable else []
            want = body["shipping_methods"]
            assert [m.code for m in methods] == list(want)
            for m in methods:
                assert m.sort_order_raw == want[m.code]["sort_order"]
                for q in m.quotes:
                    w = want[m.code]["quote"][q.code.split(".", 1)[1]]
                    assert (q.code, q.name, q.cost_raw, q.tax_class_id_raw, q.text) == (
                        w["code"], w.get("name", w.get("title")), w["cost"], w["tax_class_id"], w["text"])
                    listed[q.code] = w
            checks += 1
        elif step.startswith("cart") and isinstance(body, dict) and "totals" in body:
            totals = engine.totals(products, ctx, shipping=chosen)
            assert [(t.title, engine.format_money(t.value)) for t in totals] == [
                (t["title"], t["text"]) for t in body["totals"]]
            for want, got in zip(body["products"], products):
                assert int(want["product_id"]) == got.product_id
                unit = engine.with_tax(got.price, got.tax_class_id, ctx)
                assert (engine.format_money(unit), engine.format_money(unit * got.quantity)) == (
                    want["price"], want["total"])
            checks += 1
        elif step.startswith("payment-methods") and isinstance(body, dict) and "payment_methods" in body:
            totals = engine.totals(products, ctx, shipping=chosen)
            methods = engine.payment_methods(products, totals, payment_address=pay_to, shipping=chosen, ctx=ctx)
            assert [(m.code, m.sort_order_raw) for m in methods] == [
                (code, m["sort_order"]) for code, m in body["payment_methods"].items()]
            checks += 1
    return checks


@pytest.mark.parametrize("scenario", _scenarios("oc40") or ["s01"])
def test_oc40_scenario(scenario, engine_for):
    assert _replay("oc40", scenario, engine_for("oc40")) > 0


@pytest.mark.parametrize("scenario", _scenarios("oc30") or ["s01"])
def test_oc30_scenario(scenario, engine_for):
    assert _replay("oc30", scenario, engine_for("oc30")) > 0
