import subprocess
import sys
import textwrap
import time
from datetime import timedelta

import duckdb
import pandas as pd
import pytest

from factories import option, product, totals
from fakes import FakeStore
from ocdata import cache as cache_mod
from ocdata.cache import Cache, CacheError, CacheLockedError, CacheReadOnlyError, SchemaError
from ocdata.cache_schema import LATEST, MIGRATIONS, migrate
from ocdata.client.errors import (
    AuthenticationError,
    PermissionDeniedError,
    ProtocolError,
    TransportError,
    ValidationError,
)
from ocdata.client.models import Address, CartLine, Customer, OrderDraft, OrderResult, Quote
from ocdata.client.transport import RequestRecord

CUSTOMER = Customer(firstname="A", lastname="B", email="a@example.com")


def draft(country="GB", zone="LND", qty=1):
    a = Address(country=country, zone=zone)
    return OrderDraft(customer=CUSTOMER, lines=(CartLine(product_id=40, quantity=qty),), shipping_address=a,
                      payment_address=a)


def quote(d):
    return Quote(draft=d, products=(product(),), totals=totals("100.00", taxes=[("VAT (20%)", "20.00")]),
                 options=(option("flat.flat", "Flat", "5.00", "100.00", [("VAT (20%)", "20.00")],
                                 [("VAT (20%)", "1.00")]),),
                 dialect="spec", pricing="session", requests=4, warnings=("store-address tax",))


def test_fresh_cache_has_every_migration_and_table(cache):
    assert cache.schema_version == LATEST
    versions = cache.sql("SELECT version FROM schema_version ORDER BY version")["version"].tolist()
    assert versions == [m.version for m in MIGRATIONS]
    assert {"stores", "studies", "study_scenarios", "scenarios", "quotes", "totals", "payment_methods",
            "cart_products", "orders", "order_totals", "order_products", "order_history", "calls"} <= set(cache.tables())


def test_migration_from_version_1_keeps_data(tmp_path):
    path = tmp_path / "old.duckdb"
    con = duckdb.connect(str(path))
    assert migrate(con, target=1) == [1]
    con.execute("INSERT INTO scenarios (scenario_key, store_key, status) VALUES ('k1', 's1', 'ok')")
    con.close()
    with pytest.raises(SchemaError, match="read-write"):
        Cache(path, read_only=True)
    with Cache(path) as c:
        assert c.schema_version == LATEST
        assert c.sql("SELECT scenario_key FROM scenarios")["scenario_key"].tolist() == ["k1"]
        assert "orders" in c.tables()
        assert c.sql("SELECT count(*) n FROM schema_version")["n"][0] == len(MIGRATIONS)


def test_refuses_foreign_and_newer_databases(tmp_path):
    foreign = tmp_path / "foreign.duckdb"
    con = duckdb.connect(str(foreign))
    con.execute("CREATE TABLE mine (x INT)")
    con.close()
    with pytest.raises(SchemaError, match="not an ocdata cache"):
        Cache(foreign)
    newer = tmp_path / "newer.duckdb"
    Cache(newer).close()
    con = duckdb.connect(str(newer))
    con.execute("INSERT INTO schema_version (version) VALUES (?)", [LATEST + 1])
    con.close()
    with pytest.raises(SchemaError, match="newer"):
        Cache(newer)


def test_keys_are_canonical_and_depend_on_store_identity():
    store = FakeStore()
    ident = cache_mod.store_identity(store)
    assert ident == {"url": "http://fake.example/", "dialect": "fake", "store_id": 0, "language": "en-gb",
                     "currency": "USD", "pricing": "session"}
    d1 = draft()
    d2 = OrderDraft.model_validate(d1.model_dump())  # same content, new object
    assert cache_mod.scenario_key(ident, d1) == cache_mod.scenario_key(ident, d2)
    assert cache_mod.scenario_key(ident, d1) != cache_mod.scenario_key(ident, draft(qty=2))
    assert cache_mod.scenario_key(ident, d1) != cache_mod.scenario_key({**ident, "currency": "EUR"}, d1)
    assert cache_mod.canonical_json({"b": 1, "a": __import__("decimal").Decimal("1.10")}) == '{"a":"1.10","b":1}'


def test_quote_round_trip(cache):
    store, d = FakeStore(), draft()
    key = cache.record_quote(store, d, quote(d), elapsed_ms=12.5)
    cache.flush()
    s = cache.sql("SELECT * FROM scenarios")
    assert s["scenario_key"].tolist() == [key]
    assert s[["status", "dialect", "pricing", "requests"]].iloc[0].tolist() == ["ok", "spec", "session", 4]
    assert OrderDraft.model_validate_json(s["draft"][0]) == d
    q = cache.sql("SELECT quote_code, cost, tax, shipping_tax, cost_with_tax, total FROM quotes")
    assert q.iloc[0].tolist() == ["flat.flat", 5.0, 21.0, 1.0, 6.0, 126.0]
    t = cache.sql("SELECT option_index, code, value FROM totals ORDER BY option_index, sort_order")
    assert t.values.tolist()[:3] == [[-1, "sub_total", 100.0], [-1, "tax", 20.0], [-1, "total", 120.0]]
    assert cache.sql("SELECT count(*) n FROM cart_products")["n"][0] == 1
    assert cache.sql("SELECT option_index, code FROM payment_methods").values.tolist() == [[0, "cod.cod"]]


def test_fresh_keys_honour_max_age_and_retryable_failures(cache):
    store = FakeStore()
    ok_key = cache.record_quote(store, draft(), quote(draft()))
    refused = cache.record_quote(store, draft("XX"), error=ValidationError("Please select a country!"))
    flaky = cache.record_quote(store, draft("FR"), error=TransportError("timed out", should_retry=True))
    cache.flush()
    assert cache.fresh_keys([ok_key, refused, flaky, "unknown"]) == {ok_key, refused}
    cache.sql("UPDATE scenarios SET fetched_at = fetched_at - INTERVAL 2 HOUR WHERE scenario_key = ?", [ok_key])
    assert cache.fresh_keys([ok_key, refused], max_age="1h") == {refused}
    assert cache.fresh_keys([ok_key, refused], max_age=timedelta(hours=3)) == {ok_key, refused}
    assert cache.fresh_keys([ok_key], max_age=3 * 3600) == {ok_key}
    err = cache.sql("SELECT q.status, q.error, s.error_type, s.retryable, s.status FROM quotes q "
                    "JOIN scenarios s USING (scenario_key) WHERE scenario_key = ?", [refused]).iloc[0].tolist()
    assert err[0] == "refused" and err[1].startswith("Please select a country!")
    assert err[2:] == ["ValidationError", False, "refused"]
    assert cache.sql("SELECT status, retryable FROM scenarios WHERE scenario_key = ?",
                     [flaky]).iloc[0].tolist() == ["failed", True]
    # retry_errors: a refusal is asked again too; an answer is still reused
    assert cache.fresh_keys([ok_key, refused, flaky], retry_errors=True) == {ok_key}


@pytest.mark.parametrize("error", [AuthenticationError("bad key"), PermissionDeniedError("IP not allowed"),
                                   ProtocolError("not JSON"), RuntimeError("bug")])
def test_caller_refusals_are_no_answer_and_protocol_errors_fail(cache, error):
    store = FakeStore()
    if isinstance(error, (AuthenticationError, PermissionDeniedError)):
        with pytest.raises(ValueError, match="not cached"):
            cache.record_quote(store, draft(), error=error)
        cache.flush()
        assert cache.sql("SELECT count(*) n FROM scenarios")["n"][0] == 0
        return
    key = cache.record_quote(store, draft(), error=error)
    cache.flush()
    assert cache.sql("SELECT status FROM scenarios")["status"].tolist() == ["failed"]
    assert cache.fresh_keys([key]) == set()


def test_parse_max_age():
    assert cache_mod.parse_max_age("30m") == 1800 and cache_mod.parse_max_age("7d") == 7 * 86400
    with pytest.raises(ValueError):
        cache_mod.parse_max_age("soon")


def test_writer_commits_on_its_own_within_the_interval(tmp_path):
    commits = []
    c = Cache(tmp_path / "c.duckdb", batch_size=1000, flush_interval=0.1, on_commit=commits.append)
    try:
        c.record_quote(FakeStore(), draft(), quote(draft()))
        assert _wait_for(lambda: commits == [1])
        assert c.sql("SELECT count(*) n FROM scenarios")["n"][0] == 1
    finally:
        c.close()


def _wait_for(condition, seconds=5.0):
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.02)
    return condition()


def test_sql_reads_this_processs_own_writes_before_the_interval(tmp_path):
    commits = []
    with Cache(tmp_path / "c.duckdb", flush_interval=60, on_commit=commits.append) as c:
        c.record_quote(FakeStore(), draft(), quote(draft()))
        assert c.sql("SELECT count(*) n FROM scenarios")["n"][0] == 1  # committed for the read
        assert commits == [1]


def test_an_on_commit_callback_can_read_the_cache(tmp_path):
    seen = []
    c = Cache(tmp_path / "c.duckdb", flush_interval=60)
    c._on_commit = lambda n: seen.append(int(c.sql("SELECT count(*) n FROM scenarios")["n"][0]))
    c.record_quote(FakeStore(), draft(), quote(draft()))
    c.flush()  # the callback runs in the writer thread: its read must not wait for that thread
    c.close()
    assert seen == [1]


def test_writer_commits_a_full_batch_without_waiting_for_the_interval(tmp_path):
    commits = []
    c = Cache(tmp_path / "c.duckdb", batch_size=3, flush_interval=60, on_commit=commits.append)
    for qty in (1, 2):
        c.record_quote(FakeStore(), draft(qty=qty), quote(draft(qty=qty)))
    time.sleep(0.3)
    assert commits == []  # 2 < batch_size, and the interval is a minute away
    c.record_quote(FakeStore(), draft(qty=3), quote(draft(qty=3)))
    assert _wait_for(lambda: commits == [3])
    c.record_quote(FakeStore(), draft(qty=4), quote(draft(qty=4)))
    c.close()  # commits the last, partial batch
    assert commits == [3, 1]
    with Cache(tmp_path / "c.duckdb", read_only=True) as r:
        assert r.sql("SELECT count(*) n FROM scenarios")["n"][0] == 4


def test_refetch_replaces_previous_answer(cache):
    store, d = FakeStore(), draft()
    cache.record_quote(store, d, error=TransportError("timed out", should_retry=True))
    cache.flush()
    cache.record_quote(store, d, quote(d))
    cache.flush()
    assert cache.sql("SELECT status FROM scenarios")["status"].tolist() == ["ok"]
    assert cache.sql("SELECT status FROM quotes")["status"].tolist() == ["ok"]


def test_failed_batch_is_reported(cache, monkeypatch):
    def boom(con, records):
        raise RuntimeError("disk full")

    monkeypatch.setitem(cache_mod._WRITERS, cache_mod.ScenarioRecord, boom)
    cache.record_quote(FakeStore(), draft(), quote(draft()))
    with pytest.raises(CacheError, match="disk full"):
        cache.flush()
    monkeypatch.undo()
    assert cache.sql("SELECT count(*) n FROM scenarios")["n"][0] == 0


def test_export_writes_every_table_as_parquet(cache, tmp_path):
    cache.record_quote(FakeStore(), draft(), quote(draft()))
    written = cache.export(tmp_path / "out")
    assert set(written) == set(cache.tables())
    assert len(pd.read_parquet(written["quotes"])) == 1
    assert list(pd.read_parquet(written["totals"]).columns)[:3] == ["scenario_key", "option_index", "code"]


def test_orders_and_history_are_recorded(cache):
    store, d = FakeStore(), draft()
    result = OrderResult(order_id=41, status_id=1, totals=totals("100", ("Flat", "5"), [("VAT (20%)", "21")]),
                         products=(product(),), dialect="spec")

    class Confirming:
        url, dialect_name, pricing = "http://fake.example/", "fake", "session"

        def confirm(self, draft, order_status_id=None, comment=""):
            return result

        def add_history(self, order_id, status_id, comment="", notify=False, override=False):
            self.history = (order_id, status_id)

    recording = cache.recording(Confirming())
    assert recording.confirm(d, comment="test order") is result
    recording.add_history(41, 5, "shipped", True)
    cache_mod.record_order(cache, d, result.model_copy(update={"order_id": 42}), store=store)
    cache.flush()
    orders = cache.sql("SELECT order_id, total, tax, draft FROM orders ORDER BY order_id")
    assert orders["order_id"].tolist() == [41, 42] and orders["total"].tolist() == [126.0, 126.0]
    assert OrderDraft.model_validate_json(orders["draft"][0]) == d
    h = cache.sql("SELECT order_id, status_id, comment, notify FROM order_history ORDER BY order_id, recorded_at")
    assert h.values.tolist() == [[41, 1, "test order", False], [41, 5, "shipped", True], [42, 1, "", False]]
    assert cache.sql("SELECT count(*) n FROM order_totals WHERE order_id = 41")["n"][0] == 4
    assert cache.sql("SELECT product_id FROM order_products WHERE order_id = 41")["product_id"].tolist() == [40]


def test_call_log_keeps_no_secret(cache):
    hook = cache.call_hook().bind(FakeStore())
    hook(RequestRecord(dialect="spec", route="api/cart", call="cart", method="POST",
                       url="http://shop/index.php?route=api/cart&api_token=abcdef0123456789abcdef01",
                       status=200, elapsed_ms=12.0, bytes_sent=100, bytes_received=400,
                       error="bad answer for token=abcdef0123456789abcdef01"))
    cache.flush()
    calls = cache.sql("SELECT * FROM calls")
    assert calls[["route", "call", "status", "bytes_received"]].iloc[0].tolist() == ["api/cart", "cart", 200, 400]
    assert "abcdef0123456789abcdef01" not in calls.to_csv()
    assert calls["store_key"][0] == cache_mod.store_key(cache_mod.store_identity(FakeStore()))


def test_read_only_cache_refuses_writes_and_missing_files(tmp_path):
    Cache(tmp_path / "c.duckdb").close()
    with Cache(tmp_path / "c.duckdb", read_only=True) as r:
        with pytest.raises(CacheReadOnlyError):
            r.record_quote(FakeStore(), draft(), quote(draft()))
    with pytest.raises(CacheError, match="no cache"):
        Cache(tmp_path / "missing.duckdb", read_only=True)


_HOLDER = textwrap.dedent("""
    import sys
    from ocdata.cache import Cache
    c = Cache(sys.argv[1], read_only=sys.argv[2] == "ro")
    print("open", flush=True)
    sys.stdin.readline()
""")


def _hold(path, mode):
    p = subprocess.Popen([sys.executable, "-c", _HOLDER, str(path), mode], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, text=True)
    assert p.stdout.readline().strip() == "open"
    return p


def test_second_process_gets_a_clear_message(tmp_path):
    path = tmp_path / "c.duckdb"
    Cache(path).close()
    writer = _hold(path, "rw")
    try:
        with pytest.raises(CacheLockedError) as info:
            Cache(path)
        assert f"process {writer.pid}" in str(info.value) and "read_only=True" in str(info.value)
        with pytest.raises(CacheLockedError):
            Cache(path, read_only=True)
    finally:
        writer.communicate("\n", timeout=30)
    reader = _hold(path, "ro")  # readers share the file
    try:
        with Cache(path, read_only=True) as r:
            assert r.schema_version == LATEST
    finally:
        reader.communicate("\n", timeout=30)


def test_module_sql_uses_the_default_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("OCDATA_CACHE", str(tmp_path / "dflt" / "x.duckdb"))
    assert cache_mod.default_path() == tmp_path / "dflt" / "x.duckdb"
    df = cache_mod.sql("SELECT count(*) AS n FROM scenarios")
    assert df["n"][0] == 0 and (tmp_path / "dflt" / "x.duckdb").exists()
    assert cache_mod.default_cache() is cache_mod.default_cache()
    cache_mod.default_cache().record_quote(FakeStore(), draft(), quote(draft()))
    # a study's open default cache answers, pending writes included
    assert cache_mod.sql("SELECT count(*) AS n FROM scenarios")["n"][0] == 1
    cache_mod.default_cache().close()


_WRITE = textwrap.dedent("""
    import sys
    from ocdata.cache import Cache
    with Cache(sys.argv[1]) as c:
        c.sql("INSERT INTO stores (store_key, url) VALUES ('other', 'http://other/')")
""")


def test_module_sql_keeps_no_lock_between_calls(tmp_path, monkeypatch):
    """A notebook's ocdata.sql() must not lock the cache: another process writes between two calls."""
    path = tmp_path / "shared.duckdb"
    monkeypatch.setenv("OCDATA_CACHE", str(path))
    assert cache_mod.sql("SELECT count(*) AS n FROM stores")["n"][0] == 0
    done = subprocess.run([sys.executable, "-c", _WRITE, str(path)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert cache_mod.sql("SELECT url FROM stores")["url"].tolist() == ["http://other/"]


def _table(c, table, order):
    df = c.sql(f"SELECT * EXCLUDE (scenario_key) FROM {table} ORDER BY {order}")
    return df.drop(columns=[x for x in ("fetched_at", "elapsed_ms") if x in df.columns])


_ORDER = {"scenarios": "draft", "quotes": "cost, option_index, status", "totals": "value, option_index, sort_order",
          "payment_methods": "option_index, code", "cart_products": "line, product_id"}


def _quotes(n):
    out = []
    for i in range(n):
        d = draft(qty=i + 1)
        out.append(Quote(draft=d, products=(product(), product(30, "Canon", 1, "80.00")),
                         totals=totals("100.00", taxes=[("VAT (20%)", "20.00")]),
                         options=(option("flat.flat", "Flat", str(5 + i), "100.00", [("VAT (20%)", "20.00")],
                                         [("VAT (20%)", "1.00")]),
                                  option("item.item", "Item", "2.50", "100.00", [], [], error="down")),
                         dialect="spec", pricing="session", requests=4))
    return out


@pytest.mark.parametrize("with_frame", [False, True])
def test_record_quotes_stores_what_record_quote_stores(tmp_path, monkeypatch, with_frame):
    from ocdata.frames import to_frame

    monkeypatch.setattr(cache_mod, "_CHUNK", 2)  # 5 quotes: three bulk records
    qs, store = _quotes(5), FakeStore()
    with Cache(tmp_path / "one.duckdb") as one, Cache(tmp_path / "bulk.duckdb", on_commit=(commits := []).append) as bulk:
        keys = [one.record_quote(store, q.draft, q, elapsed_ms=1.0) for q in qs]
        assert bulk.record_quotes(store, qs, frame=to_frame(qs) if with_frame else None) == keys
        one.flush(), bulk.flush()
        assert sum(commits) == 5
        for table, order in _ORDER.items():
            pd.testing.assert_frame_equal(_table(one, table, order), _table(bulk, table, order), check_dtype=False)
        assert bulk.sql("SELECT count(*) n FROM quotes")["n"][0] == 10
        assert bulk.sql("SELECT line FROM cart_products ORDER BY scenario_key, line")["line"].tolist() == [0, 1] * 5


def test_record_quotes_writes_the_totals_from_the_frames_own_read(tmp_path, monkeypatch):
    from ocdata import frames
    from ocdata.frames import to_frame

    monkeypatch.setattr(cache_mod, "_CHUNK", 2)
    qs, store = _quotes(5), FakeStore()
    frame = to_frame(qs)
    batch = frames.built_from(frame, qs)
    assert batch is not None and frames.built_from(frame, list(reversed(qs))) is None
    assert frames.built_from(frame.copy(), qs) is None and frames.built_from(frame, _quotes(5)) is None
    to_frame(qs[:2])  # only the latest frame keeps its builder (memory)
    assert frames.built_from(frame, qs) is None
    frame = to_frame(qs)
    batch = frames.built_from(frame, qs)
    reads, original = [], frames._Read.__init__

    def counting(self, objects, attrs):
        reads.append(attrs)
        original(self, objects, attrs)

    monkeypatch.setattr(frames._Read, "__init__", counting)
    with Cache(tmp_path / "one.duckdb") as one, Cache(tmp_path / "bulk.duckdb") as bulk:
        keys = [one.record_quote(store, q.draft, q) for q in qs]
        one.flush()  # its writer builds quotes frames of its own: they must not evict the user's frame's builder
        assert frames.built_from(frame, qs) is batch
        reads.clear()
        assert bulk.record_quotes(store, qs, frame=frame) == keys
        bulk.flush()
        assert frames._TOTAL_LINE_ATTRS not in reads  # no total line read again
        one.flush()
        for table in ("totals", "quotes", "payment_methods"):
            pd.testing.assert_frame_equal(_table(one, table, _ORDER[table]), _table(bulk, table, _ORDER[table]),
                                          check_dtype=False)


def test_record_quotes_keeps_the_last_answer_of_a_repeated_scenario(cache, monkeypatch):
    from ocdata.frames import to_frame

    monkeypatch.setattr(cache_mod, "_CHUNK", 2)
    a, b, c = _quotes(3)
    again = b.model_copy(update={"options": b.options[:1]})
    qs = [a, b, c, again]
    keys = cache.record_quotes(FakeStore(), qs, frame=to_frame(qs))
    assert keys[1] == keys[3] and len(set(keys)) == 3
    cache.flush()
    rows = cache.sql("SELECT scenario_key, count(*) n FROM quotes GROUP BY 1")
    assert dict(zip(rows["scenario_key"], rows["n"])) == {keys[0]: 2, keys[1]: 1, keys[2]: 2}
    assert cache.sql("SELECT count(*) n FROM scenarios")["n"][0] == 3
    # and a later batch answering it again replaces it
    cache.record_quotes(FakeStore(), [b])
    cache.flush()
    assert cache.sql("SELECT count(*) n FROM quotes WHERE scenario_key = ?", [keys[1]])["n"][0] == 2


def test_record_quotes_refuses_a_frame_of_other_quotes(cache):
    from ocdata.frames import to_frame

    qs = _quotes(3)
    with pytest.raises(ValueError, match="to_frame"):
        cache.record_quotes(FakeStore(), qs, frame=to_frame(qs[:2]))
    with pytest.raises(ValueError, match="3 quotes, 2 keys"):
        cache.record_quotes(FakeStore(), qs, keys=["k1", "k2"])


def test_record_quote_takes_the_key_and_draft_json_a_caller_has(cache, monkeypatch):
    d = draft()
    text = cache_mod.canonical_json(d)
    monkeypatch.setattr(cache_mod, "canonical_json", lambda value: pytest.fail("canonical JSON computed again"))
    assert cache.record_quote(FakeStore(), d, quote(d), key="given-key", draft_json=text) == "given-key"
    cache.flush()
    assert cache.sql("SELECT scenario_key, draft FROM scenarios").values.tolist() == [["given-key", text]]


def test_a_batch_whose_frames_fail_is_rolled_back_whole(cache, monkeypatch):
    from ocdata import frames

    def broken(self):
        raise RuntimeError("no totals today")

    monkeypatch.setattr(frames._QuoteBatch, "totals_frame", broken)
    cache.record_quotes(FakeStore(), _quotes(2))
    with pytest.raises(CacheError, match="no totals today"):
        cache.flush()
    monkeypatch.undo()
    assert cache.sql("SELECT (SELECT count(*) FROM scenarios) + (SELECT count(*) FROM quotes) AS n")["n"][0] == 0
    cache.record_quotes(FakeStore(), _quotes(2))  # the writer is still there
    cache.flush()
    assert cache.sql("SELECT count(*) n FROM quotes")["n"][0] == 4


def test_migration_3_drops_the_key_indexes_and_keeps_data(tmp_path):
    path = tmp_path / "v2.duckdb"
    con = duckdb.connect(str(path))
    assert migrate(con, target=2) == [1, 2]
    con.execute("INSERT INTO quotes (scenario_key, option_index, cost) VALUES ('k1', 0, 5.0)")
    assert {r[0] for r in con.execute("SELECT index_name FROM duckdb_indexes()").fetchall()} == {
        "quotes_key", "scenarios_key"}
    con.close()
    with Cache(path) as c:
        assert c.schema_version == LATEST
        assert c.sql("SELECT index_name FROM duckdb_indexes()").empty
        assert c.sql("SELECT scenario_key, cost FROM quotes").values.tolist() == [["k1", 5.0]]


def test_sql_gives_text_as_str_even_when_every_value_is_null(cache):
    cache.record_quote(FakeStore(), draft(), quote(draft()))
    cache.flush()
    df = cache.sql("SELECT * FROM quotes")
    assert str(df["error"].dtype) == "str" and df["error"].isna().all()
    assert str(df["quote_code"].dtype) == "str" and str(df["cost"].dtype) == "float64"
    mixed = cache.sql("SELECT 1::BIGINT AS i, NULL::BIGINT AS n, true AS b, TIMESTAMP '2024-01-02' AS t, "
                      "'a'::ENUM('a', 'b') AS e, NULL::VARCHAR AS s")
    assert [str(t) for t in mixed.dtypes] == ["int64", "Int64", "bool", "datetime64[us]", "category", "str"]


def test_scenario_status_migration_upgrades_a_version_3_cache(tmp_path):
    """A v3 file said 'error' for every failed scenario: refusals and failures are told apart by
    'retryable', a refusal of the caller (wrong key) is dropped so the next run asks again, and
    study_quotes reads quotes with their scenario labels."""
    path = tmp_path / "v3.duckdb"
    con = duckdb.connect(str(path))
    assert migrate(con, target=3) == [1, 2, 3]
    con.execute("INSERT INTO stores (store_key, url, dialect) VALUES ('s1', 'http://shop/', 'spec')")
    con.execute("INSERT INTO studies (study_id, store_key, n_scenarios) VALUES ('st', 's1', 4)")
    rows = [("ok", "ok", None, False), ("refused", "error", "ValidationError", False),
            ("failed", "error", "TransportError", True), ("badkey", "error", "AuthenticationError", False)]
    for i, (key, status, error_type, retryable) in enumerate(rows):
        con.execute("INSERT INTO study_scenarios VALUES ('st', ?, ?, ?, 'London', 'GB', 'LND', 1)", [i, key, f"c{i}"])
        con.execute("INSERT INTO scenarios (scenario_key, store_key, status, error, error_type, retryable, fetched_at) "
                    "VALUES (?, 's1', ?, ?, ?, ?, now())",
                    [key, status, f"{error_type}!" if error_type else None, error_type, retryable])
        con.execute("INSERT INTO quotes (scenario_key, option_index, quote_code, cost, status, error, "
                    "n_payment_methods) VALUES (?, ?, ?, ?, ?, ?, 0)",
                    [key, 0 if status == "ok" else -1, "flat.flat" if status == "ok" else None,
                     5.0 if status == "ok" else None, status, f"{error_type}!" if error_type else None])
    con.close()
    with Cache(path) as c:
        assert c.schema_version == LATEST
        got = c.sql("SELECT scenario_key, status, retryable FROM scenarios ORDER BY scenario_key").values.tolist()
        assert got == [["failed", "failed", True], ["ok", "ok", False], ["refused", "refused", False]]
        assert c.sql("SELECT scenario_key, status FROM quotes ORDER BY scenario_key").values.tolist() == \
            [["failed", "failed"], ["ok", "ok"], ["refused", "refused"]]
        # the failure and the dropped refusal of the caller are fetched again; the refusal is an answer
        assert c.fresh_keys(["ok", "refused", "failed", "badkey"]) == {"ok", "refused"}
        view = c.sql("SELECT study, store, cart, destination, customer_group_id, quote_code, status, scenario_status, "
                     "coalesce(error_type, '-') FROM study_quotes ORDER BY scenario_id").values.tolist()
        assert view[0] == ["st", "http://shop/", "c0", "London", 1, "flat.flat", "ok", "ok", "-"]
        assert view[1][6:] == ["refused", "refused", "ValidationError"]
        assert view[3][6:] == ["pending", "pending", "-"]  # the wrong key's scenario: not answered
        outcomes = c.study_outcomes("st")
        assert outcomes["status"].astype(str).tolist() == ["ok", "refused", "failed", "pending"]
