"""One study over several stores at once: every store's rows, each store at its own limits."""

from __future__ import annotations

import warnings

import pytest

import ocdata
from ocdata.cache import Cache
from ocdata.sandbox import serve

CARTS = {"phone": "40x1", "monitor": "33x1"}
DESTINATIONS = {"LA": "US-CA", "London": "GB-LDN"}


def test_multi_store_study_equals_each_store_alone_and_restores_warnings(tmp_path):
    show, filters = warnings.showwarning, list(warnings.filters)
    with serve(store="rich") as rich, serve(store="stock") as stock:
        stores = [ocdata.connect(rich.url, rich.username, rich.key, dialect="spec", max_concurrency=2),
                  ocdata.connect(stock.url, stock.username, stock.key, dialect="oc41", max_rps=200)]
        with Cache(tmp_path / "multi.duckdb") as cache:
            multi = ocdata.MultiStoreStudy(stores, CARTS, DESTINATIONS, customer_groups=[1], name="chain", cache=cache)
            with pytest.warns(ocdata.OcdataWarning, match="pricing='api'"):  # oc41's warning still reaches the caller
                frame = multi.run(progress=False)
            assert [s.name for s in multi.studies] == [f"chain@127.0.0.1_{rich.port}", f"chain@127.0.0.1_{stock.port}"]
            assert [r.fetched for r in multi.last_runs] == [4, 4]
        with Cache(tmp_path / "alone.duckdb") as cache:
            alone = [ocdata.Study(store, CARTS, DESTINATIONS, customer_groups=[1], cache=cache, name=f"s{i}")
                     .run(progress=False) for i, store in enumerate(stores)]
        for store in stores:
            store.close()
    assert warnings.showwarning is show and warnings.filters == filters  # no recorder left installed
    assert set(frame["store"].astype(str)) == {rich.url + "index.php", stock.url + "index.php"}
    for store_url, single in zip([rich.url + "index.php", stock.url + "index.php"], alone):
        part = frame[frame["store"].astype(str) == store_url].reset_index(drop=True)
        cols = ["scenario_id", "cart", "destination", "quote_code", "cost", "tax", "total", "status"]
        assert part[cols].astype(str).equals(single[cols].astype(str))
    assert str(frame["store"].dtype) == "category" and (frame["status"] == "ok").all()
    # the concurrency per store follows its politeness cap unless given
    assert ocdata.MultiStoreStudy._concurrency(stores[0], None) == 2
    assert ocdata.MultiStoreStudy._concurrency(stores[1], None) == 8
