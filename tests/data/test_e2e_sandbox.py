"""A study against the embedded sandbox store over HTTP, with the spec session dialect."""

import pytest

from ocdata import compare
from ocdata.client import connect
from ocdata.sandbox import serve
from ocdata.study import Study


@pytest.fixture(scope="module")
def sandbox():
    with serve(store="rich") as sb:
        yield sb


def test_study_against_the_sandbox(sandbox, cache):
    hook = cache.call_hook()
    store = connect(sandbox.url, sandbox.username, sandbox.key, dialect="spec", hook=hook)
    hook.bind(store)
    try:
        study = Study(store, {"phone": "40x1", "two phones": "40x2"},
                      {"California": "US-CA", "New York": "US-NY", "Nowhere": "US-ZZ"}, [1, 2],
                      name="sandbox", cache=cache)
        df = study.run(concurrency=4, progress=False)
        report = study.last_run
        assert (report.fetched, report.ok, report.refused, report.failed) == (12, 8, 4, 0)  # US-ZZ: no such zone
        ok = df[df["status"] == "ok"]
        assert set(ok["destination"]) == {"California", "New York"}
        assert (ok["dialect"] == "spec").all() and (ok["pricing"] == "session").all()
        # the rich store taxes California (8.25 %) for group 1 only; New York is untaxed
        ca1 = ok[(ok["destination"] == "California") & (ok["customer_group_id"] == 1)]
        ny = ok[ok["destination"] == "New York"]
        assert (ca1["cart_tax"] > 0).all() and (ny["tax"] == 0).all()
        assert ((ok["sub_total"] + ok["cost"] + ok["tax"] - ok["total"]).abs() < 0.011).all()
        # iPhone 101.00 ex tax: 8.25 % of 101 = 8.3325 -> 8.33; of 202 = 16.665 -> 16.67
        assert sorted(set(ca1["cart_tax"])) == [8.33, 16.67] and sorted(set(ca1["sub_total"])) == [101.0, 202.0]
        rates = compare.effective_tax(df).set_index(["destination", "customer_group_id"])
        assert rates.loc[("New York", 1), "product_tax_rate"] == 0
        assert rates.loc[("Nowhere", 1)].isna().all()
        again = Study(store, {"phone": "40x1", "two phones": "40x2"},
                      {"California": "US-CA", "New York": "US-NY", "Nowhere": "US-ZZ"}, [1, 2],
                      name="sandbox", cache=cache)
        again.run(progress=False)
        assert (again.last_run.from_cache, again.last_run.fetched) == (12, 0)
        cache.flush()
        calls = cache.sql("SELECT count(*) n, count(DISTINCT route) routes FROM calls").iloc[0]
        assert calls["n"] > 12 and calls["routes"] > 3
    finally:
        store.close()
