"""Study(stores=...): one grid on several stores, each cached and resumed on its own."""

import warnings
from decimal import Decimal

import pandas as pd
import pytest

from fakes import FakeStore
from ocdata import compare
from ocdata.client import connect
from ocdata.client.errors import OcdataWarning
from ocdata.sandbox import serve
from ocdata.study import STUDY_COLUMNS, Study

CARTS = {"one": "40x1", "mix": "40x1, 30x2"}
DESTS = {f"d{i}": f"GB-Z{i}" for i in range(6)}


class Store(FakeStore):
    default_currency = "USD"
    session_currency = "USD"


class Interrupting(Store):
    """Ctrl-C on its n-th call."""

    def __init__(self, n, **kw):
        super().__init__(**kw)
        self.n = n

    def quote(self, draft):
        with self._lock:
            hit = len(self.calls) + 1 == self.n
        if hit:
            self.calls.append(("interrupted", self.signature(draft)))
            raise KeyboardInterrupt
        return super().quote(draft)


def test_results_carry_the_store_label_url_and_study(cache):
    a, b = Store(), Store(url="http://other.example/", bump=Decimal("1.25"))
    study = Study(stores={"3.0 live": a, "4.1 staging": b}, carts=CARTS, destinations={"London": "GB-LND"},
                  customer_groups=[1, 2], name="versions", cache=cache)
    assert "2 stores" in repr(study) and study.grid().shape[0] == 4
    df = study.run(progress=False)
    expected = list(STUDY_COLUMNS)
    expected.insert(expected.index("store") + 1, "store_url")
    assert list(df.columns) == expected
    assert list(df["store"].cat.categories) == ["3.0 live", "4.1 staging"]
    assert df.groupby("store", observed=True)["store_url"].first().to_dict() == {
        "3.0 live": "http://fake.example/", "4.1 staging": "http://other.example/"}
    assert (df["study"] == "versions").all() and isinstance(df["study"].dtype, pd.CategoricalDtype)
    # each store priced the whole grid: 4 scenarios x 3 methods (GB: flat, item, weight)
    assert df.groupby("store", observed=True).size().to_dict() == {"3.0 live": 12, "4.1 staging": 12}
    item = df[(df["cart"] == "mix") & (df["customer_group_id"] == 1) & (df["quote_code"] == "item.item")]
    assert dict(zip(item["store"].astype(str), item["cost"])) == {"3.0 live": 7.5, "4.1 staging": 8.75}
    assert (study.last_run.scenarios, study.last_run.fetched) == (8, 8)
    assert {k: r.fetched for k, r in study.last_run_by_store.items()} == {"3.0 live": 4, "4.1 staging": 4}
    taxes = study.taxes()
    assert set(taxes["store"]) == {"3.0 live", "4.1 staging"} and "VAT (20%)" in taxes.columns
    assert set(study.totals()["store"]) == {"3.0 live", "4.1 staging"}


def test_each_store_is_cached_under_its_own_identity(cache):
    a, b = Store(), Store(url="http://other.example/")
    study = Study(stores={"a": a, "b": b}, carts=CARTS, destinations=DESTS, name="ids", cache=cache)
    df = study.run(progress=False)
    keys = df.groupby("store", observed=True)["scenario_key"].apply(set)
    assert not keys["a"] & keys["b"]  # same drafts, different stores: different cache entries
    grids = cache.sql("SELECT study_id, count(*) AS n FROM study_scenarios GROUP BY 1 ORDER BY 1")
    assert grids.to_dict("list") == {"study_id": ["ids @ a", "ids @ b"], "n": [12, 12]}
    assert set(study.per_store()) == {"a", "b"} and study.per_store()["b"].store is b
    # a label now pointing at another store is fetched from it, never answered with the old store's prices
    c = Store(url="http://third.example/", bump=Decimal(3))
    again = Study(stores={"a": a, "b": c}, carts=CARTS, destinations=DESTS, name="ids", cache=cache)
    df2 = again.run(progress=False)
    assert {k: (r.from_cache, r.fetched) for k, r in again.last_run_by_store.items()} == {"a": (12, 0),
                                                                                          "b": (0, 12)}
    assert len(c.calls) == 12
    flat = df2[(df2["store"] == "b") & (df2["quote_code"] == "flat.flat")]
    assert (flat["cost"] == 8.0).all() and (flat["store_url"] == "http://third.example/").all()


def test_an_interrupted_study_across_stores_resumes_where_it_stopped(cache):
    first, second = Store(), Interrupting(5, url="http://other.example/", delay=0.002)
    study = Study(stores={"a": first, "b": second}, carts=CARTS, destinations=DESTS, name="resume", cache=cache)
    with pytest.raises(KeyboardInterrupt):
        study.run(concurrency=2, progress=False)
    assert study.last_run.interrupted and study.last_run_by_store["a"].fetched == 12
    done_b = [c for c in second.calls if c[0] != "interrupted"]
    partial = study.results()
    pending = partial[partial["status"] == "pending"]
    assert set(pending["store"]) == {"b"} and len(pending) == 12 - len(done_b)  # unfetched stay visible
    a2, b2 = Store(), Store(url="http://other.example/", delay=0.002)
    resumed = Study(stores={"a": a2, "b": b2}, carts=CARTS, destinations=DESTS, name="resume", cache=cache)
    df = resumed.run(concurrency=2, progress=False)
    assert a2.calls == [] and len(b2.calls) == 12 - len(done_b)  # nothing fetched twice, nothing lost
    assert not set(b2.calls) & set(done_b)
    assert (resumed.last_run.from_cache, resumed.last_run.fetched) == (12 + len(done_b), 12 - len(done_b))
    assert not (df["status"] == "pending").any()
    resumed.run(progress=False)
    assert resumed.last_run.fetched == 0 and resumed.last_run.from_cache == 24


def test_store_warnings_name_their_store(cache):
    study = Study(stores={"quiet": Store(), "chatty": Store(url="http://chatty/", warn="tax rates are cached")},
                  carts={"one": "40x1"}, destinations={"London": "GB-LND"}, name="warn", cache=cache)
    with pytest.warns(OcdataWarning) as caught:
        study.run(progress=False)
    messages = [str(w.message) for w in caught if issubclass(w.category, OcdataWarning)]
    assert messages == ["chatty: tax rates are cached"]
    assert study.last_run.warnings == ["chatty: tax rates are cached"]


def test_bad_store_arguments_are_refused():
    s = Store()
    with pytest.raises(ValueError, match="either store or stores"):
        Study(s, CARTS, DESTS, stores={"a": s})
    with pytest.raises(TypeError, match=r"stores= takes \{label: store\}"):
        Study(stores=[s, s], carts=CARTS, destinations=DESTS)
    with pytest.raises(ValueError, match="stores= is empty"):
        Study(stores={}, carts=CARTS, destinations=DESTS)
    with pytest.raises(ValueError, match="store label ''"):
        Study(stores={"": s}, carts=CARTS, destinations=DESTS)
    with pytest.raises(ValueError, match="store 'b' is None"):
        Study(stores={"a": s, "b": None}, carts=CARTS, destinations=DESTS)
    with pytest.raises(ValueError, match="needs a store"):
        Study(carts=CARTS, destinations=DESTS)


WHAT_IF = """\
extends: rich
key: rich-dearer-flat
shipping:
  - code: flat
    settings: {cost: "7.50"}
"""


def test_a_what_if_store_file_against_its_base_over_http(cache, tmp_path):
    """The README's "what if": the rich store with a dearer flat rate, priced side by side."""
    path = tmp_path / "dearer-flat.yaml"
    path.write_text(WHAT_IF, encoding="utf-8")
    with serve(store="rich") as base_shop, serve(store=str(path)) as what_if_shop:
        base = connect(base_shop.url, base_shop.username, base_shop.key, dialect="spec")
        what_if = connect(what_if_shop.url, what_if_shop.username, what_if_shop.key, dialect="spec")
        try:
            study = Study(stores={"rich": base, "flat 7.50": what_if}, carts={"phone": "40x1"},
                          destinations={"London": "GB-LND", "New York": "US-NY"}, name="what-if", cache=cache)
            with warnings.catch_warnings():
                warnings.simplefilter("error", OcdataWarning)
                d = compare.stores(study.run(concurrency=2, progress=False), baseline="rich")
        finally:
            base.close()
            what_if.close()
    assert (d["offered"] == "both").all() and not d["currency_mismatch"].any()
    changed = d[d["total_delta"].abs() > 0.005]
    assert set(changed["method_key"]) == {"flat"}
    # flat rate 5.00 -> 7.50 to London, where rich charges 20 % VAT on shipping: total +3.00; New York: +2.50
    flat = changed.set_index(changed["destination"].astype(str))
    assert flat.loc["London", "cost_delta"] == 2.5 and flat.loc["London", "total_delta"] == pytest.approx(3.0)
    assert flat.loc["New York", "tax_delta"] == 0 and flat.loc["New York", "total_delta"] == pytest.approx(2.5)
    assert (d.loc[d["method_key"] != "flat", "total_delta"].abs() < 0.005).all()


def test_outcomes_and_errors_say_which_store(cache):
    study = Study(stores={"a": Store(), "b": Store(url="http://b/")}, carts={"one": "40x1"},
                  destinations={"London": "GB-LND", "nowhere": "XX"}, name="outcomes", cache=cache)
    study.run(progress=False)
    outcomes = study.outcomes()
    assert outcomes.groupby(["store", "status"], observed=True).size().to_dict() == {
        ("a", "ok"): 1, ("a", "refused"): 1, ("b", "ok"): 1, ("b", "refused"): 1}
    assert (study.last_run.ok, study.last_run.refused, study.last_run.scenarios) == (2, 2, 4)
    examples = [e for group in study.last_run.errors for e in group.examples]
    assert sorted(examples) == ["a: one / nowhere / group 0", "b: one / nowhere / group 0"]


def test_one_store_under_two_labels_is_asked_once(cache):
    """Same identity, same drafts: the second label's answers are the first's, from the cache."""
    store = Store()
    study = Study(stores={"before": store, "after": store}, carts=CARTS, destinations={"London": "GB-LND"},
                  name="twice", cache=cache)
    df = study.run(progress=False)
    assert len(store.calls) == 2
    assert {k: (r.fetched, r.from_cache) for k, r in study.last_run_by_store.items()} == {"before": (2, 0),
                                                                                        "after": (0, 2)}
    d = compare.stores(df, baseline="before")
    assert (d["offered"] == "both").all() and (d["total_delta"] == 0).all()
