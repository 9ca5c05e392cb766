"""Caches from several machines combined into one, and studies handed to other engines as Parquet.

``ocdata merge A.duckdb B.duckdb -o ALL.duckdb`` (:func:`merge`): every input is
attached read-only to the output cache (created if missing, or merged into) and combined
there by SQL — no row passes through Python:

* **scenarios** — the newest answer per scenario and store wins (``scenarios.fetched_at``;
  the scenario key already hashes the store's identity). A scenario's quotes, totals,
  payment methods and cart products come from the winning source only, never a mix.
* **studies** — the newest grid per study wins (``studies.updated_at``), with its
  ``study_scenarios``.
* **stores** — one row per store: earliest ``first_seen``, latest ``last_seen``.
* **orders** — newest record per store and order id wins, with its totals and products;
  **order_history** and **calls** (logs) — every distinct row once.
* **webhook_events** — by ``event_id`` (an event is stored once; the first copy stays).
* **storedb_<frame>** (store-database snapshots, :mod:`ocdata.storedb.snapshot`) — every
  snapshot once: a source's rows of a ``(source, snapshot_at)`` the output lacks are added whole.
* **tables of your own** (:meth:`Cache.append_table`) — the source's rows the output does not
  already hold (a multiset difference: duplicate rows within one input stay).

Tables only an input has are created in the output; a column only an input has is added.
On a tie the output's row stays, so merging is **idempotent**: merging A into itself, or
the same inputs twice, gives the same cache. Inputs must be at the output's schema version
(open an older cache once with ``Cache(path)`` to migrate it).

:func:`export_study` writes a study as **hive-partitioned Parquet**,
``<dir>/study=<name>/store=<host_port>/date=<YYYY-MM-DD>/*.parquet`` (the standard
``key=value`` folder layout Spark, Hive, Trino, Polars and DuckDB read as one table; the
partition columns are in the folder names, not in the files):
``duckdb.sql("SELECT * FROM read_parquet('dir/**/*.parquet', hive_partitioning=true)")``.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path
from typing import Iterable
from urllib.parse import urlsplit

import pandas as pd

from ocdata.cache import Cache, CacheError

__all__ = ["merge", "export_study", "MERGE_RULES", "store_slug"]

# table -> how its rows combine; every table of the schema must have a rule
MERGE_RULES: dict[str, str] = {
    "schema_version": "own",
    "stores": "first/last seen per store_key",
    "scenarios": "newest fetched_at per scenario_key, with its dependent rows",
    "quotes": "from the winning scenario's source",
    "totals": "from the winning scenario's source",
    "payment_methods": "from the winning scenario's source",
    "cart_products": "from the winning scenario's source",
    "studies": "newest updated_at per study_id, with its study_scenarios",
    "study_scenarios": "from the winning study's source",
    "orders": "newest recorded_at per (store_key, order_id), with its totals and products",
    "order_totals": "from the winning order's source",
    "order_products": "from the winning order's source",
    "order_history": "distinct rows",
    "calls": "distinct rows",
    "webhook_events": "first per event_id",
}

_SCENARIO_DEPENDENTS = ("quotes", "totals", "payment_methods", "cart_products")
_ORDER_DEPENDENTS = ("order_totals", "order_products")


def _quote_path(path: Path) -> str:
    return str(path).replace("'", "''")


def _catalog(catalog: str) -> str:
    """The ``table_catalog`` of the output (``main``) or of an attached input, for information_schema."""
    return "current_database()" if catalog == "main" else f"'{catalog}'"


def _columns(cache: Cache, table: str, catalog: str = "main") -> dict[str, str]:
    """``{column: DuckDB type}`` of a table, in order; empty when the catalog has no such table."""
    rows = cache.sql(f"SELECT column_name, data_type FROM information_schema.columns WHERE table_catalog = "
                     f"{_catalog(catalog)} AND table_schema = 'main' AND table_name = ? ORDER BY ordinal_position",
                     [table])
    return dict(rows.itertuples(index=False, name=None))


def _cols(names: list[str], prefix: str = "") -> str:
    return ", ".join(f'{prefix}"{c}"' for c in names)


def merge(inputs: Iterable[str | os.PathLike], output: str | os.PathLike) -> dict[str, int]:
    """Merge the caches ``inputs`` into ``output`` (created when missing); returns rows per table after.

    See the module docstring for the rules. Each input is merged in one transaction.
    """
    out_path = Path(output).expanduser().resolve()
    sources = [Path(p).expanduser().resolve() for p in inputs]
    for src in sources:
        if not src.is_file():
            raise CacheError(f"no cache at {src}: give the path of an ocdata DuckDB file")
    with Cache(out_path) as cache:
        # views (study_quotes) are derived from the tables: nothing of theirs to merge
        tables = [t for t in _base_tables(cache, "main") if t in MERGE_RULES]
        columns = {t: list(_columns(cache, t)) for t in tables}
        for src in dict.fromkeys(sources):
            if src == out_path:
                continue  # merging a cache into itself changes nothing
            _merge_one(cache, src, tables, columns)
        return {t: int(cache.sql(f'SELECT count(*) AS n FROM "{t}"')["n"].iloc[0]) for t in _base_tables(cache, "main")}


def _base_tables(cache: Cache, catalog: str) -> list[str]:
    return cache.sql(f"SELECT table_name FROM information_schema.tables WHERE table_catalog = {_catalog(catalog)} "
                     f"AND table_schema = 'main' AND table_type = 'BASE TABLE' ORDER BY 1")["table_name"].tolist()


def _merge_one(cache: Cache, src: Path, tables: list[str], columns: dict[str, list[str]]) -> None:
    cache.sql(f"ATTACH '{_quote_path(src)}' AS src (READ_ONLY)")
    try:
        version = cache.sql("SELECT max(version) AS v FROM src.schema_version")["v"].iloc[0]
        if int(version) != cache.schema_version:
            raise CacheError(f"{src} has schema version {version}, the output {cache.schema_version}: open it once "
                             f"with ocdata.Cache(path) (same ocdata version) to migrate it, then merge")
        src_tables = set(_base_tables(cache, "src"))
        cache.sql("BEGIN TRANSACTION")
        try:
            _merge_sql(cache, columns, src_tables)
            for table in sorted(src_tables - set(MERGE_RULES)):
                _merge_other(cache, src, table)
            cache.sql("COMMIT")
        except BaseException:
            cache.sql("ROLLBACK")
            raise
    finally:
        cache.sql("DETACH src")


def _merge_sql(cache: Cache, columns: dict[str, list[str]], src_tables: set[str]) -> None:
    def run(sql: str) -> None:
        cache.sql(sql)

    def winners(table: str, key: str, stamp: str, name: str) -> None:
        # keys whose newest source row is newer than the output's, or that the output lacks
        keys = [k.strip() for k in key.split(",")]
        run(f"""CREATE OR REPLACE TEMP TABLE {name} AS
                SELECT {_cols(keys, 's.')}, s.stamp
                FROM (SELECT {key}, max({stamp}) AS stamp FROM src.{table} GROUP BY ALL) s
                LEFT JOIN (SELECT {key}, max({stamp}) AS stamp, true AS present FROM main.{table} GROUP BY ALL) o
                       ON {_match(key, 's', 'o')}
                WHERE o.present IS NULL OR s.stamp > o.stamp""")

    def replace(table: str, key: str, name: str, newest: str | None = None) -> None:
        cols = columns[table]
        run(f"DELETE FROM main.{table} t WHERE EXISTS (SELECT 1 FROM {name} w WHERE {_match(key, 't', 'w')})")
        only_newest = f" AND t.{newest} IS NOT DISTINCT FROM w.stamp" if newest else ""
        run(f"""INSERT INTO main.{table} ({_cols(cols)})
                SELECT {_cols(cols, 't.')} FROM src.{table} t JOIN {name} w ON {_match(key, 't', 'w')}{only_newest}""")

    def distinct(table: str) -> None:
        cols = columns[table]
        run(f"INSERT INTO main.{table} ({_cols(cols)}) SELECT {_cols(cols)} FROM src.{table} "
            f"EXCEPT SELECT {_cols(cols)} FROM main.{table}")

    if "scenarios" in src_tables:
        winners("scenarios", "scenario_key", "fetched_at", "_w_scenarios")
        for table in _SCENARIO_DEPENDENTS:
            replace(table, "scenario_key", "_w_scenarios")
        replace("scenarios", "scenario_key", "_w_scenarios", newest="fetched_at")
    if "studies" in src_tables:
        winners("studies", "study_id", "updated_at", "_w_studies")
        replace("study_scenarios", "study_id", "_w_studies")
        replace("studies", "study_id", "_w_studies", newest="updated_at")
    if "orders" in src_tables:
        winners("orders", "store_key, order_id", "recorded_at", "_w_orders")
        for table in _ORDER_DEPENDENTS:
            replace(table, "store_key, order_id", "_w_orders")
        replace("orders", "store_key, order_id", "_w_orders", newest="recorded_at")
    if "stores" in src_tables:
        cols = columns["stores"]
        identity = [c for c in cols if c not in ("store_key", "first_seen", "last_seen")]
        run(f"""CREATE OR REPLACE TEMP TABLE _w_stores AS
                SELECT store_key, {', '.join(f'arg_max("{c}", last_seen) AS "{c}"' for c in identity)},
                       min(first_seen) AS first_seen, max(last_seen) AS last_seen
                FROM (SELECT * FROM main.stores UNION ALL BY NAME SELECT * FROM src.stores) GROUP BY store_key""")
        run("DELETE FROM main.stores")
        run(f"INSERT INTO main.stores ({_cols(cols)}) SELECT {_cols(cols)} FROM _w_stores")
    for table in ("order_history", "calls"):
        if table in src_tables:
            distinct(table)
    if "webhook_events" in src_tables:
        cols = columns["webhook_events"]
        run(f"INSERT INTO main.webhook_events ({_cols(cols)}) SELECT {_cols(cols)} FROM src.webhook_events "
            f"ON CONFLICT (event_id) DO NOTHING")


def _merge_other(cache: Cache, src: Path, table: str) -> None:
    """A table outside the schema: a store-database snapshot table or one of the user's own."""
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", table):
        raise CacheError(f"{src} has a table named {table!r}, which ocdata.merge cannot carry: rename or drop it")
    types = _columns(cache, table, "src")
    have = _columns(cache, table)
    if not have:  # only the input has it
        cache.sql(f'CREATE TABLE main."{table}" AS SELECT * FROM src."{table}" LIMIT 0')
        have = types
    for column, kind in types.items():
        if column not in have:  # an input written by a newer snapshot or a wider frame
            cache.sql(f'ALTER TABLE main."{table}" ADD COLUMN "{column}" {kind}')
    cols = _cols(list(types))
    if table.startswith("storedb_") and {"source", "snapshot_at"} <= set(types):
        # a snapshot is added whole or not at all: never half of one next to the other half
        cache.sql(f'INSERT INTO main."{table}" ({cols}) SELECT {cols} FROM src."{table}" s '
                  f'WHERE NOT EXISTS (SELECT 1 FROM main."{table}" o WHERE o.source IS NOT DISTINCT FROM s.source '
                  f'AND o.snapshot_at IS NOT DISTINCT FROM s.snapshot_at)')
    else:
        cache.sql(f'INSERT INTO main."{table}" ({cols}) SELECT {cols} FROM src."{table}" '
                  f'EXCEPT ALL SELECT {cols} FROM main."{table}"')


def _match(key: str, a: str, b: str) -> str:
    """``a.k1 IS NOT DISTINCT FROM b.k1 AND ...`` for a comma-separated key (NULL store_key matches NULL)."""
    return " AND ".join(f"{a}.{k.strip()} IS NOT DISTINCT FROM {b}.{k.strip()}" for k in key.split(","))


# ----------------------------------------------------------------------------- Parquet export

def store_slug(url: str) -> str:
    """A folder-safe name for a store URL: ``http://127.0.0.1:8041/index.php`` -> ``127.0.0.1_8041``."""
    parts = urlsplit(url or "")
    host = (parts.hostname or "") + (f"_{parts.port}" if parts.port else "")
    path = parts.path.rsplit("/index.php", 1)[0].strip("/")
    slug = re.sub(r"[^A-Za-z0-9._-]+", "_", f"{host}_{path}" if path else host).strip("_")
    return slug or "unknown"


def export_study(cache: Cache, study: str, directory: str | os.PathLike) -> Path:
    """Write ``study``'s answered rows to ``directory`` as hive-partitioned Parquet (study/store/date).

    One row per scenario x shipping quote (the columns of :meth:`Study.run`'s frame; ``store``
    becomes the partition ``store=<host_port>``, the URL stays as ``store_url``; ``date`` is the
    UTC day the store answered). Scenarios not fetched yet (``pending``) have no date and are
    left out. An earlier export of the same study in ``directory`` is replaced; other studies
    there are kept. Returns the study's folder.
    """
    frame = cache.study_frame(study)
    if frame.empty:
        raise CacheError(f"no study {study!r} in {cache.path}: run it first, or check the name "
                         f"(cache.sql('SELECT study_id FROM studies'))")
    frame = frame[frame["fetched_at"].notna()].copy()
    frame.insert(2, "store_url", frame.pop("store").astype(str))
    frame["study"] = frame["study"].astype(str)
    frame["store"] = frame["store_url"].map(store_slug)
    frame["date"] = frame["fetched_at"].dt.strftime("%Y-%m-%d")
    root = Path(directory).expanduser()
    target = root / f"study={study}"
    if target.exists():
        shutil.rmtree(target)
    root.mkdir(parents=True, exist_ok=True)
    if frame.empty:
        return target
    cur = cache._cursor()  # a read cursor of this thread; the frame goes through DuckDB's Arrow scan
    cur.register("_ocdata_export", frame)
    try:
        cur.execute(f"COPY _ocdata_export TO '{_quote_path(root)}' (FORMAT parquet, PARTITION_BY (study, store, date), "
                    f"OVERWRITE_OR_IGNORE true)")
    finally:
        cur.unregister("_ocdata_export")
    return target


def read_export(directory: str | os.PathLike) -> pd.DataFrame:
    """Every study exported to ``directory``, read back as one table through DuckDB's hive partitioning."""
    import duckdb

    pattern = _quote_path(Path(directory).expanduser() / "**" / "*.parquet")
    return duckdb.sql(f"SELECT * FROM read_parquet('{pattern}', hive_partitioning=true)").df()
