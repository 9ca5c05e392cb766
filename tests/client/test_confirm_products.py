"""A confirmed order carries its product lines on every dialect, and the cache records them."""

from __future__ import annotations

from decimal import Decimal

import pytest

import ocdata.client as oc
from ocdata.cache import Cache

from live_sandbox import LONDON, Recorder, draft, start


@pytest.fixture(scope="module")
def sandbox():
    sb = start()
    yield sb
    sb.stop()


@pytest.mark.parametrize("dialect", ["spec", "oc41"])
def test_confirm_returns_the_ordered_products_and_the_cache_keeps_them(sandbox, dialect, tmp_path):
    hook = Recorder()
    d = draft(LONDON, lines=(oc.CartLine(product_id=40, quantity=2), oc.CartLine(product_id=48)))
    with oc.connect(sandbox.url, sandbox.username, sandbox.key, dialect=dialect, hook=hook, timeout=10) as store, \
            Cache(tmp_path / "c.duckdb") as cache:
        option = store.quote(d).option("flat.flat")
        result = cache.recording(store).confirm(d.with_shipping(option.quote).with_payment(option.payment_methods[0]))
        cache.flush()
        lines = cache.sql("SELECT order_id, line, product_id, name, quantity, price FROM order_products "
                          "ORDER BY line")
    placed = sandbox.engine.order(result.order_id)
    assert [(p.product_id, p.quantity) for p in result.products] == [(40, 2), (48, 1)]
    assert [p.product_id for p in placed.products] == [40, 48]
    assert lines["order_id"].tolist() == [result.order_id] * 2
    assert lines["product_id"].tolist() == [40, 48] and lines["quantity"].tolist() == [2, 1]
    assert lines["name"].tolist() == ["iPhone", "iPod Classic"]
    assert result.products[0].price == Decimal("101.00")
