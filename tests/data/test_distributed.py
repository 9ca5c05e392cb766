"""Study.run(executor=...): scenarios quoted elsewhere, answers written by the driver alone, same frame."""

from __future__ import annotations

import pickle
from concurrent.futures import ThreadPoolExecutor

import pytest

import ocdata
from ocdata.cache import Cache
from ocdata.client.errors import ConfigurationError
from ocdata.distributed import StoreRecipe, executor_slots, quote_chunk
from ocdata.sandbox import serve

CARTS = {"phone": "40x1", "monitor": "33x1", "two phones": "40x2"}
DESTINATIONS = {"Los Angeles": "US-CA", "London": "GB-LDN", "Berlin": "DE-BE"}


@pytest.fixture(scope="module")
def sandbox():
    with serve(store="rich") as sb:
        yield sb


def _study(store, cache, name="dist"):
    return ocdata.Study(store, CARTS, DESTINATIONS, customer_groups=[1], name=name, cache=cache)


def _same(a, b):
    drop = ["fetched_at"]
    a = a.drop(columns=drop).reset_index(drop=True)
    b = b.drop(columns=drop).reset_index(drop=True)
    assert a.equals(b), (a.compare(b) if a.shape == b.shape else (a.shape, b.shape))


def _local(sandbox, tmp_path, **kw):
    store = ocdata.connect(sandbox.url, sandbox.username, sandbox.key, dialect="spec", **kw)
    with Cache(tmp_path / "local.duckdb") as cache:
        frame = _study(store, cache).run(concurrency=4, progress=False)
    store.close()
    return frame


def test_recipe_carries_no_key_and_pickles(sandbox):
    store = ocdata.connect(sandbox.url, sandbox.username, sandbox.key, dialect="spec", max_concurrency=4, max_rps=50)
    recipe = StoreRecipe.of(store)
    data = pickle.dumps(recipe)
    assert sandbox.key.encode() not in data
    assert (recipe.dialect, recipe.max_concurrency, recipe.max_rps) == ("spec", 4, 50.0)
    with pytest.raises(TypeError, match="cannot be pickled"):
        pickle.dumps(store.dialect.config.credentials)  # a Store cannot be shipped by mistake
    store.close()


def test_worker_without_a_key_says_how_to_give_it_one(sandbox, monkeypatch):
    monkeypatch.delenv("OCDATA_API_KEY", raising=False)
    monkeypatch.setenv("OCDATA_CONFIG", "/nonexistent/config.toml")
    recipe = StoreRecipe(url=sandbox.url + "index.php", username="nobody-else", dialect="spec")
    with pytest.raises(ConfigurationError, match="hand_over_key"):
        quote_chunk(recipe, 1, 1, [])


def test_thread_executor_run_equals_local_run_and_splits_the_budget(sandbox, tmp_path, monkeypatch):
    expected = _local(sandbox, tmp_path, max_concurrency=4)
    monkeypatch.setenv("OCDATA_API_KEY", sandbox.key)  # how a worker finds the key: its own environment
    store = ocdata.connect(sandbox.url, sandbox.username, sandbox.key, dialect="spec", max_concurrency=4)
    with ThreadPoolExecutor(2) as pool, Cache(tmp_path / "driver.duckdb") as cache:
        assert executor_slots(pool) == 2
        study = _study(store, cache)
        frame = study.run(concurrency=4, progress=False, executor=pool)
        assert study.last_run.fetched == 9 and study.last_run.failed == 0
        again = _study(store, cache).run(concurrency=4, progress=False, executor=pool)
    _same(frame, expected)
    _same(again, expected)  # the second run came from the cache
    from ocdata import distributed

    mine = {share: s for (recipe, share), s in distributed._STORES.items() if recipe.url == store.url}
    assert set(mine) == {2}  # each of the 2 tasks in flight had half the store's budget
    assert mine[2].politeness.max_concurrency == 2
    store.close()


def test_dask_local_cluster_run_equals_local_run(sandbox, tmp_path):
    distributed = pytest.importorskip("dask.distributed")
    expected = _local(sandbox, tmp_path)
    store = ocdata.connect(sandbox.url, sandbox.username, sandbox.key, dialect="spec", max_concurrency=4)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                  worker_dashboard_address=None) as cluster, distributed.Client(cluster) as client:
        ocdata.distributed.hand_over_key(client, store)  # in memory, to the running workers
        with Cache(tmp_path / "driver.duckdb") as cache:
            study = _study(store, cache)
            frame = study.run(concurrency=4, progress=False, executor=client.get_executor())
            assert study.last_run.fetched == 9 and study.last_run.failed == 0
            worker_pids = set(client.run(lambda: __import__("os").getpid()).values())
            caps = client.run(lambda: [s.politeness.max_concurrency
                                       for s in __import__("ocdata.distributed").distributed._STORES.values()])
    _same(frame, expected)
    assert len(worker_pids) == 2 and __import__("os").getpid() not in worker_pids
    # the quotes were made on the workers, each with half the store's budget of 4 requests in flight
    assert sum(len(c) for c in caps.values()) >= 1 and all(cap == 2 for c in caps.values() for cap in c)
    store.close()
