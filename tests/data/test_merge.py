"""ocdata merge (newest answer per scenario and store wins, idempotent) and the hive-partitioned Parquet export."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import pytest

import ocdata
from ocdata.cache import Cache, CacheError
from ocdata.cli import main
from ocdata.merge import MERGE_RULES, export_study, merge, read_export, store_slug
from ocdata.sandbox import serve

GRID = {"carts": {"phone": "40x1", "monitor": "33x1"}, "destinations": {"LA": "US-CA", "London": "GB-LDN"}}
DEPENDENTS = ("quotes", "totals", "payment_methods", "cart_products")


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """Two caches of the same study from 'two machines', plus a study only B ran; A's and B's
    answers to one scenario made to differ (B newer), and to another (A newer)."""
    root = tmp_path_factory.mktemp("merge")
    with serve(store="rich") as sb:
        store = ocdata.connect(sb.url, sb.username, sb.key, dialect="spec")
        for name in ("A", "B"):
            with Cache(root / f"{name}.duckdb") as cache:
                ocdata.Study(store, **GRID, name="eu", cache=cache).run(concurrency=2, progress=False)
                if name == "B":
                    ocdata.Study(store, {"camera": "30x1"}, {"Berlin": "DE-BE"}, name="b-only",
                                 cache=cache).run(progress=False)
        store.close()
    keys = duckdb.connect(str(root / "A.duckdb")).sql(
        "SELECT scenario_key FROM study_scenarios ORDER BY scenario_id").fetchall()
    newer_in_b, newer_in_a = keys[0][0], keys[1][0]
    for name, key, bump in (("B", newer_in_b, 500), ("A", newer_in_a, 700)):
        con = duckdb.connect(str(root / f"{name}.duckdb"))
        con.execute("UPDATE scenarios SET fetched_at = fetched_at + INTERVAL 1 HOUR WHERE scenario_key = ?", [key])
        con.execute("UPDATE quotes SET cost = cost + ? WHERE scenario_key = ?", [bump, key])
        con.execute("DELETE FROM totals WHERE scenario_key = ? AND code = 'sub_total'", [key])  # a mark of the source
        events = [("e1", "A"), ("e2", "A")] if name == "A" else [("e2", "B"), ("e3", "B")]
        for event_id, origin in events:
            con.execute("INSERT INTO webhook_events (event_id, type, received_at, payload) VALUES (?, 'order.created', "
                        "now(), ?)", [event_id, origin])
        con.close()
    return root, newer_in_b, newer_in_a


def snapshot(path: Path) -> dict[str, pd.DataFrame]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        tables = [t for (t,) in con.sql("SELECT table_name FROM information_schema.tables").fetchall()
                  if t != "schema_version"]
        return {t: con.sql(f"SELECT * FROM {t} ORDER BY ALL").to_arrow_table().to_pandas() for t in tables}
    finally:
        con.close()


def same(a: dict[str, pd.DataFrame], b: dict[str, pd.DataFrame]) -> None:
    assert a.keys() == b.keys()
    for table in a:
        pd.testing.assert_frame_equal(a[table], b[table], obj=table)


def test_newest_answer_per_scenario_wins_with_its_own_dependent_rows(built, tmp_path):
    root, newer_in_b, newer_in_a = built
    counts = merge([root / "A.duckdb", root / "B.duckdb"], tmp_path / "ALL.duckdb")
    all_ = snapshot(tmp_path / "ALL.duckdb")
    a, b = snapshot(root / "A.duckdb"), snapshot(root / "B.duckdb")
    for key, winner in ((newer_in_b, b), (newer_in_a, a)):
        for table in ("scenarios", *DEPENDENTS):
            got = all_[table][all_[table]["scenario_key"] == key].reset_index(drop=True)
            want = winner[table][winner[table]["scenario_key"] == key].reset_index(drop=True)
            pd.testing.assert_frame_equal(got, want, obj=f"{table} of {key}", check_dtype=False)
    # one answer per scenario; B's own study and every scenario of both are there
    assert not all_["scenarios"]["scenario_key"].duplicated().any()
    assert set(all_["scenarios"]["scenario_key"]) == set(a["scenarios"]["scenario_key"]) | set(
        b["scenarios"]["scenario_key"])
    assert sorted(all_["studies"]["study_id"]) == ["b-only", "eu"]
    assert len(all_["study_scenarios"]) == 5 and len(all_["stores"]) == 1
    assert sorted(all_["webhook_events"]["event_id"]) == ["e1", "e2", "e3"]
    assert all_["webhook_events"].set_index("event_id").loc["e2", "payload"] == "A"  # first copy stays
    assert counts["scenarios"] == 5
    with Cache(tmp_path / "ALL.duckdb", read_only=True) as merged:
        frame = merged.study_frame("eu")
    assert set(frame["status"].astype(str)) == {"ok"}


def test_merge_is_idempotent_and_order_free(built, tmp_path):
    root, _, _ = built
    a, b = root / "A.duckdb", root / "B.duckdb"
    merge([a, b], tmp_path / "once.duckdb")
    merge([a, b], tmp_path / "twice.duckdb")
    merge([a, b], tmp_path / "twice.duckdb")
    merge([b, a], tmp_path / "reversed.duckdb")
    once = snapshot(tmp_path / "once.duckdb")
    same(once, snapshot(tmp_path / "twice.duckdb"))
    reversed_ = snapshot(tmp_path / "reversed.duckdb")
    for table in ("scenarios", *DEPENDENTS, "studies", "study_scenarios", "stores"):
        pd.testing.assert_frame_equal(once[table], reversed_[table], obj=table)
    merge([a, a], tmp_path / "self.duckdb")
    merge([tmp_path / "self.duckdb"], tmp_path / "self.duckdb")  # a cache into itself
    same(snapshot(tmp_path / "self.duckdb"), snapshot(a))


def test_every_table_of_the_schema_has_a_merge_rule(tmp_path):
    with Cache(tmp_path / "fresh.duckdb") as cache:
        base = cache.sql("SELECT table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE'")
        assert set(base["table_name"]) <= set(MERGE_RULES)


def test_cli_merge_and_its_errors(built, tmp_path, capsys):
    root, _, _ = built
    out = tmp_path / "cli.duckdb"
    assert main(["merge", str(root / "A.duckdb"), str(root / "B.duckdb"), "-o", str(out)]) == 0
    assert "scenarios 5" in capsys.readouterr().out
    assert main(["merge", str(tmp_path / "missing.duckdb"), "-o", str(out)]) == 1
    assert "no cache at" in capsys.readouterr().err
    with pytest.raises(CacheError, match="no cache at"):
        merge([tmp_path / "missing.duckdb"], out)


def test_study_exports_as_hive_partitioned_parquet_duckdb_reads_as_one_table(built, tmp_path):
    root, _, _ = built
    merge([root / "A.duckdb", root / "B.duckdb"], tmp_path / "ALL.duckdb")
    out = tmp_path / "parquet"
    with Cache(tmp_path / "ALL.duckdb") as cache:
        expected = cache.study_frame("eu")
        folder = export_study(cache, "eu", out)
        export_study(cache, "eu", out)  # again: replaced, not doubled
        export_study(cache, "b-only", out)
    files = sorted(p.relative_to(out).parts[:3] for p in out.rglob("*.parquet"))
    slug = store_slug(str(expected["store"].iloc[0]))
    day = expected["fetched_at"].min().strftime("%Y-%m-%d")
    assert ("study=eu", f"store={slug}", f"date={day}") in files
    assert folder == out / "study=eu"
    table = duckdb.sql(f"SELECT * FROM read_parquet('{out}/**/*.parquet', hive_partitioning=true)").df()
    assert sorted(table["study"].unique()) == ["b-only", "eu"]
    eu = table[table["study"] == "eu"].sort_values(["scenario_id", "option_index"]).reset_index(drop=True)
    assert len(eu) == len(expected)
    assert list(eu["cost"]) == list(expected.sort_values(["scenario_id", "option_index"])["cost"])
    assert set(eu["store"]) == {slug} and set(eu["store_url"]) == {str(expected["store"].iloc[0])}
    assert str(eu["date"].iloc[0])[:10] == day
    assert len(read_export(out)) == len(table)


def test_store_slug_is_folder_safe():
    assert store_slug("http://127.0.0.1:8041/index.php") == "127.0.0.1_8041"
    assert store_slug("https://shop.example.com/uk/index.php") == "shop.example.com_uk"


def _snapshot_frame(source: str, at: str, names: list[str]) -> pd.DataFrame:
    return pd.DataFrame({"snapshot_at": pd.Series([pd.Timestamp(at)] * len(names), dtype="datetime64[ns]"),
                         "source": source, "product_id": range(1, len(names) + 1), "name": names})


def test_store_database_snapshots_and_own_tables_merge_once_each(tmp_path):
    """storedb_* snapshots are carried whole, once each; a table of the user's own gains the rows it lacks
    (its duplicate rows kept); a table or column only one input has is created in the output."""
    a, b, out = tmp_path / "a.duckdb", tmp_path / "b.duckdb", tmp_path / "out.duckdb"
    with Cache(a) as cache:
        cache.append_table("storedb_products", _snapshot_frame("mysql://shop-a", "2026-12-01", ["Phone", "Phone"]))
        cache.append_table("notes", pd.DataFrame({"k": [1, 1, 2], "v": ["x", "x", "y"]}))
        cache.flush()
    with Cache(b) as cache:
        # the same snapshot read on another machine, plus a later one with a column A never had
        same = _snapshot_frame("mysql://shop-a", "2026-12-01", ["Phone", "Phone"])
        cache.append_table("storedb_products", same.assign(model=pd.Series([None, None], dtype="str")))
        later = _snapshot_frame("mysql://shop-a", "2026-12-02", ["Phone", "Camera", "Tablet"])
        cache.append_table("storedb_products", later.assign(model=["P1", "C1", "T1"]))
        cache.append_table("storedb_orders", _snapshot_frame("mysql://shop-b", "2026-12-02", ["order"]))
        cache.append_table("notes", pd.DataFrame({"k": [2, 3], "v": ["y", "z"]}))
        cache.flush()
    counts = merge([a, b], out)
    assert counts["storedb_products"] == 2 + 3 and counts["storedb_orders"] == 1 and counts["notes"] == 4
    assert merge([b, a], out) == counts  # idempotent
    con = duckdb.connect(str(out), read_only=True)
    try:
        per_snapshot = con.sql("SELECT snapshot_at::DATE::VARCHAR, count(*), count(model) FROM storedb_products "
                               "GROUP BY ALL ORDER BY 1").fetchall()
        notes = con.sql("SELECT k, v FROM notes ORDER BY ALL").fetchall()
    finally:
        con.close()
    assert per_snapshot == [("2026-12-01", 2, 0), ("2026-12-02", 3, 3)]
    assert notes == [(1, "x"), (1, "x"), (2, "y"), (3, "z")]
    with Cache(out) as cache:  # the merged snapshots read back through the storedb API
        assert sorted(ocdata.storedb.snapshots(cache)["frame"]) == ["orders", "products", "products"]
