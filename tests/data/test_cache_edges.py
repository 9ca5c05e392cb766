"""Cache edges (issue 13, item 8): every failure of the file is a ``CacheError`` that says what
to do, Caches sharing a file in one process work together, and a read-only cache serves a
fully cached study."""

from __future__ import annotations

import os
import shutil
import threading

import duckdb
import pytest

from fakes import FakeStore
from ocdata.cache import Cache, CacheError, CacheReadOnlyError, SchemaError
from ocdata.client.models import Address, CartLine, OrderDraft
from ocdata.study import Study

STORE = {"url": "http://shop.example/", "dialect": "spec"}


def drafts(n: int) -> list[OrderDraft]:
    return [OrderDraft(lines=[CartLine(product_id=40 + i, quantity=1)], shipping_address=Address(country="GB", zone="LND"))
            for i in range(n)]


def test_threads_creating_the_same_new_file_all_get_it(tmp_path):
    for trial in range(4):
        path = tmp_path / f"new{trial}.duckdb"
        errors: list[BaseException] = []
        caches: list[Cache] = []
        gate = threading.Barrier(4)

        def open_it() -> None:
            gate.wait()
            try:
                caches.append(Cache(path))
            except BaseException as exc:  # noqa: BLE001 - collected for the assertion
                errors.append(exc)

        threads = [threading.Thread(target=open_it) for _ in range(4)]
        [t.start() for t in threads]
        [t.join() for t in threads]
        assert errors == [] and len(caches) == 4
        versions = caches[0].sql("SELECT count(*) AS n FROM schema_version")["n"].iloc[0]
        assert versions == caches[0].schema_version  # migrated exactly once
        for c in caches:
            c.close()


def test_two_caches_on_one_file_write_concurrently_without_losing_a_batch(tmp_path):
    a = Cache(tmp_path / "w.duckdb", batch_size=1, flush_interval=0)
    b = Cache(tmp_path / "w.duckdb", batch_size=1, flush_interval=0)
    work = drafts(3)
    errors: list[BaseException] = []

    def record(cache: Cache) -> None:
        try:
            for _ in range(15):
                for d in work:
                    cache.record_quote(STORE, d, error=RuntimeError("store down"))
                cache.flush()
        except BaseException as exc:  # noqa: BLE001 - collected for the assertion
            errors.append(exc)

    threads = [threading.Thread(target=record, args=(c,)) for c in (a, b)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert errors == []
    assert a.sql("SELECT count(DISTINCT scenario_key) AS n FROM scenarios")["n"].iloc[0] == 3
    a.close()
    assert b.sql("SELECT count(*) AS n FROM stores")["n"].iloc[0] >= 0  # b still works after a closed
    b.close()
    with Cache(tmp_path / "w.duckdb", read_only=True) as r:  # the file was released by both
        assert r.sql("SELECT count(DISTINCT scenario_key) AS n FROM scenarios")["n"].iloc[0] == 3


def test_read_only_then_read_write_in_one_process_is_a_clear_error(tmp_path):
    Cache(tmp_path / "c.duckdb").close()
    with Cache(tmp_path / "c.duckdb", read_only=True):
        with pytest.raises(CacheError, match="open read-only in this process"):
            Cache(tmp_path / "c.duckdb")
    with Cache(tmp_path / "c.duckdb") as rw, Cache(tmp_path / "c.duckdb", read_only=True) as ro:
        rw.register_store(STORE)
        rw.flush()
        assert len(ro.sql("SELECT * FROM stores")) == 1
        with pytest.raises(CacheReadOnlyError):
            ro.record_quote(STORE, drafts(1)[0], error=RuntimeError("x"))


@pytest.mark.parametrize("offset", [0, 8, 4096, 8192, 12288])
def test_a_corrupt_file_is_a_cache_error_saying_what_to_do(tmp_path, offset):
    good = tmp_path / "good.duckdb"
    with Cache(good) as c:
        c.record_quote(STORE, drafts(1)[0], error=RuntimeError("x"))
    bad = tmp_path / f"bad{offset}.duckdb"
    shutil.copy(good, bad)
    with open(bad, "r+b") as f:
        f.seek(offset)
        f.write(os.urandom(64))
    with pytest.raises(CacheError, match="delete the file") as info:
        with Cache(bad) as c:
            c.sql("SELECT * FROM scenarios")
            c.fresh_keys(["x"])
    assert not isinstance(info.value, duckdb.Error)


def test_missing_table_or_column_is_named_at_open(tmp_path):
    for damage, named in (("DROP TABLE quotes", "table quotes"),
                          ("ALTER TABLE scenarios DROP COLUMN warnings", "column scenarios.warnings")):
        path = tmp_path / f"{named.split()[1]}.duckdb"
        Cache(path).close()
        con = duckdb.connect(str(path))
        con.execute(damage)
        con.close()
        for read_only in (False, True):
            with pytest.raises(SchemaError, match=f"damaged: {named} missing") as info:
                Cache(path, read_only=read_only)
            assert isinstance(info.value, CacheError) and "delete the file" in str(info.value)


def test_paths_that_cannot_be_a_cache_are_cache_errors(tmp_path):
    (tmp_path / "regular").write_text("x")
    with pytest.raises(CacheError, match="regular file"):
        Cache(tmp_path / "regular" / "sub" / "c.duckdb")
    with pytest.raises(CacheError, match="it is a folder"):
        Cache(tmp_path)
    (tmp_path / "empty.duckdb").write_bytes(b"")
    with pytest.raises(CacheError, match="damaged or not a DuckDB file"):
        Cache(tmp_path / "empty.duckdb")


def test_a_bad_query_is_a_cache_error_listing_the_tables(cache):
    with pytest.raises(CacheError, match="The cache's tables: .*quotes"):
        cache.sql("SELECT * FROM no_such_table")


def test_read_only_cache_serves_a_fully_cached_study_and_fails_only_to_fetch(tmp_path):
    path = tmp_path / "study.duckdb"
    carts, dests = {"one": "40x1"}, {"London": "GB-LND", "CA": "US-CA"}
    with Cache(path) as rw:
        first = Study(FakeStore(), carts, dests, name="s", cache=rw).run(progress=False)
    store = FakeStore()
    with Cache(path, read_only=True) as ro:
        study = Study(store, carts, dests, name="s", cache=ro)
        again = study.run(progress=False)
        assert store.calls == [] and study.last_run.from_cache == 2
        assert again.drop(columns=["fetched_at"]).equals(first.drop(columns=["fetched_at"]))
        bigger = Study(store, carts, {**dests, "Berlin": "DE-BER"}, name="s", cache=ro)
        with pytest.raises(CacheReadOnlyError, match="study 's' with this grid is not in the read-only cache"):
            bigger.run(progress=False)
        assert store.calls == []  # nothing fetched that could not be kept
    with Cache(path) as rw:  # the grid is recorded, one scenario's answer is not
        rw.sql("DELETE FROM scenarios WHERE scenario_key = (SELECT min(scenario_key) FROM scenarios)")
    with Cache(path, read_only=True) as ro:
        with pytest.raises(CacheReadOnlyError, match="1 of 2 scenarios are not in the read-only cache"):
            Study(store, carts, dests, name="s", cache=ro).run(progress=False)
        assert store.calls == []


def test_a_failed_write_reports_its_own_cause_not_the_aborted_transaction(tmp_path):
    """DuckDB refuses the second frame (a column the table lacks); unregistering the frame inside the
    aborted transaction fails as well, and that second error must not hide the first."""
    import pandas as pd

    from ocdata.cache import Cache, CacheError

    with Cache(tmp_path / "c.duckdb") as cache:
        cache.append_table("notes", pd.DataFrame({"k": [1]}))
        cache.flush()
        cache.append_table("notes", pd.DataFrame({"k": [2], "extra": ["x"]}))
        with pytest.raises(CacheError) as caught:
            cache.flush()
    message = str(caught.value)
    assert "extra" in message and "transaction is aborted" not in message.lower()
