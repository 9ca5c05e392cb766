"""The cache's DuckDB schema as ordered migrations.

A database records the migrations applied to it in ``schema_version`` (one row per
version). Opening a cache applies the missing ones in order, each in its own
transaction; nothing is ever dropped and re-created silently. A database written by a
newer ocdata, or a DuckDB file that is not an ocdata cache, is refused.

Append new migrations to :data:`MIGRATIONS`; never edit one that has shipped.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import duckdb

__all__ = ["Migration", "MIGRATIONS", "LATEST", "current_version", "migrate", "check", "CacheError", "SchemaError"]


class CacheError(RuntimeError):
    """The cache cannot do what was asked; the message says what to do instead."""


class SchemaError(CacheError):
    """The database's schema cannot be used by this version of ocdata."""


@dataclass(frozen=True)
class Migration:
    version: int
    description: str
    statements: tuple[str, ...]


# Columns shared by the tables that hold products (a scenario's cart, an order's lines).
_PRODUCT_COLUMNS = """
    line BIGINT, product_id BIGINT, name VARCHAR, model VARCHAR, quantity BIGINT, options VARCHAR,
    option_value_ids VARCHAR, price DOUBLE, total DOUBLE, price_text VARCHAR, total_text VARCHAR,
    in_stock BOOLEAN, minimum_ok BOOLEAN, reward BIGINT, points BIGINT, weight DOUBLE, shipping BOOLEAN,
    tax_class_id BIGINT, subscription_plan_id BIGINT"""

# error classes of a store refusing the caller rather than a scenario (ocdata.study_schema.STOP_ERRORS)
_STOP_ERRORS = "'AuthenticationError', 'PermissionDeniedError', 'ConfigurationError'"

MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "stores, studies, scenarios and what each scenario's quote returned", (
        # store_key: hash of the store identity (url, dialect, store_id, language, currency, pricing)
        """CREATE TABLE stores (
            store_key VARCHAR NOT NULL, url VARCHAR, dialect VARCHAR, store_id BIGINT, language VARCHAR,
            currency VARCHAR, pricing VARCHAR, first_seen TIMESTAMP, last_seen TIMESTAMP)""",
        # one row per fetched quote request; scenario_key = hash(store identity, canonical draft)
        """CREATE TABLE scenarios (
            scenario_key VARCHAR NOT NULL, store_key VARCHAR NOT NULL, draft VARCHAR, fetched_at TIMESTAMP,
            status VARCHAR, error VARCHAR, error_type VARCHAR, retryable BOOLEAN, dialect VARCHAR,
            pricing VARCHAR, requests BIGINT, elapsed_ms DOUBLE, warnings VARCHAR)""",
        """CREATE TABLE quotes (
            scenario_key VARCHAR NOT NULL, option_index BIGINT, method_code VARCHAR, quote_code VARCHAR,
            method_name VARCHAR, name VARCHAR, cost DOUBLE, tax_class_id BIGINT, text VARCHAR,
            sort_order BIGINT, sub_total DOUBLE, cart_tax DOUBLE, tax DOUBLE, shipping_tax DOUBLE, cost_with_tax DOUBLE,
            total DOUBLE, payment_methods VARCHAR, n_payment_methods BIGINT, status VARCHAR, error VARCHAR)""",
        """CREATE TABLE totals (
            scenario_key VARCHAR NOT NULL, option_index BIGINT, code VARCHAR, title VARCHAR, value DOUBLE,
            sort_order BIGINT)""",
        """CREATE TABLE payment_methods (
            scenario_key VARCHAR NOT NULL, option_index BIGINT, code VARCHAR, name VARCHAR,
            method_code VARCHAR, method_name VARCHAR, sort_order BIGINT)""",
        f"CREATE TABLE cart_products (scenario_key VARCHAR NOT NULL, {_PRODUCT_COLUMNS})",
        """CREATE TABLE studies (
            study_id VARCHAR NOT NULL, store_key VARCHAR, created_at TIMESTAMP, updated_at TIMESTAMP,
            n_scenarios BIGINT, definition VARCHAR)""",
        """CREATE TABLE study_scenarios (
            study_id VARCHAR NOT NULL, scenario_id BIGINT NOT NULL, scenario_key VARCHAR NOT NULL,
            cart VARCHAR, destination VARCHAR, country VARCHAR, zone VARCHAR, customer_group_id BIGINT)""",
        "CREATE INDEX scenarios_key ON scenarios (scenario_key)",
        "CREATE INDEX quotes_key ON quotes (scenario_key)",
    )),
    Migration(2, "confirmed test orders, their history, and the client's request log", (
        """CREATE TABLE orders (
            store_key VARCHAR, order_id BIGINT NOT NULL, draft VARCHAR, status_id BIGINT, dialect VARCHAR,
            sub_total DOUBLE, shipping DOUBLE, tax DOUBLE, total DOUBLE, points BIGINT, n_products BIGINT,
            recorded_at TIMESTAMP)""",
        """CREATE TABLE order_totals (
            store_key VARCHAR, order_id BIGINT NOT NULL, code VARCHAR, title VARCHAR, value DOUBLE,
            sort_order BIGINT, text VARCHAR)""",
        f"CREATE TABLE order_products (store_key VARCHAR, order_id BIGINT NOT NULL, {_PRODUCT_COLUMNS})",
        """CREATE TABLE order_history (
            store_key VARCHAR, order_id BIGINT NOT NULL, status_id BIGINT, comment VARCHAR, notify BOOLEAN,
            recorded_at TIMESTAMP)""",
        # the transport hook's RequestRecord minus the URL: no secret can reach this table
        """CREATE TABLE calls (
            called_at TIMESTAMP, store_key VARCHAR, dialect VARCHAR, route VARCHAR, call VARCHAR, method VARCHAR,
            status BIGINT, elapsed_ms DOUBLE, bytes_sent BIGINT, bytes_received BIGINT, error VARCHAR)""",
    )),
    # An ART index on a 32-character key costs every insert (about 0.6 s per million quote rows),
    # must fit in memory, and serves only point lookups; the cache's joins and deletes by key
    # are hash joins, and a point lookup scans the compressed key column in milliseconds.
    Migration(3, "no index on scenario_key: bulk writes without index upkeep", (
        "DROP INDEX IF EXISTS quotes_key",
        "DROP INDEX IF EXISTS scenarios_key",
    )),
    # One row per webhook event, stored once: the primary key is what refuses a replayed id.
    Migration(4, "webhook events received from stores", (
        """CREATE TABLE webhook_events (
            event_id VARCHAR PRIMARY KEY, type VARCHAR NOT NULL, created_at TIMESTAMP, received_at TIMESTAMP,
            store_url VARCHAR, store_id BIGINT, order_id BIGINT, order_status_id BIGINT, customer_id BIGINT,
            product_id BIGINT, total DOUBLE, currency VARCHAR, payload VARCHAR)""",
    )),
    # A scenario is ok, refused (the store refused this scenario: an answer, cached) or failed (no usable
    # answer: fetched again by the next run). Rows written before said 'error' for both; 'retryable' told
    # them apart. Refusals of the caller (bad key, IP, signature, clock) are no answer about a scenario:
    # they are dropped, so the next run fetches those scenarios again.
    # (version 4 is main's webhook_events table, merged from another branch: this one follows it)
    Migration(5, "scenario status ok/refused/failed; caller refusals dropped; the study_quotes view", (
        f"""DELETE FROM quotes WHERE scenario_key IN (
            SELECT scenario_key FROM scenarios WHERE status = 'error' AND error_type IN ({_STOP_ERRORS}))""",
        f"DELETE FROM scenarios WHERE status = 'error' AND error_type IN ({_STOP_ERRORS})",
        """UPDATE scenarios SET status = CASE WHEN coalesce(retryable, false) THEN 'failed' ELSE 'refused' END
           WHERE status = 'error'""",
        """UPDATE quotes SET status = s.status FROM scenarios s
           WHERE quotes.scenario_key = s.scenario_key AND quotes.status = 'error' AND quotes.option_index = -1
             AND s.status IN ('refused', 'failed')""",
        # what `ocdata sql` users join by hand otherwise: quotes with the labels of their study's scenarios
        """CREATE VIEW study_quotes AS
           SELECT st.study_id AS study, sto.url AS store, ss.scenario_id, ss.cart, ss.destination, ss.country,
                  ss.zone, ss.customer_group_id, coalesce(q.option_index, -1) AS option_index, q.method_code,
                  q.quote_code, q.method_name, q.name, q.cost, q.tax_class_id, q.sort_order, q.sub_total,
                  q.cart_tax, q.tax, q.shipping_tax, q.cost_with_tax, q.total, q.payment_methods,
                  coalesce(q.n_payment_methods, 0) AS n_payment_methods, coalesce(q.status, 'pending') AS status,
                  coalesce(q.error, s.error) AS error, coalesce(s.status, 'pending') AS scenario_status,
                  s.error_type, s.dialect, s.pricing, s.fetched_at, ss.scenario_key
           FROM study_scenarios ss
           JOIN studies st ON st.study_id = ss.study_id
           LEFT JOIN stores sto ON sto.store_key = st.store_key
           LEFT JOIN scenarios s ON s.scenario_key = ss.scenario_key
           LEFT JOIN quotes q ON q.scenario_key = ss.scenario_key""",
    )),
)

LATEST = MIGRATIONS[-1].version


def current_version(con: duckdb.DuckDBPyConnection) -> int | None:
    """The schema version of an open database; None for a database without any table."""
    tables = {r[0] for r in con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'").fetchall()}
    if "schema_version" in tables:
        return con.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchall()[0][0]
    if tables:
        raise SchemaError(f"this DuckDB file has tables ({', '.join(sorted(tables)[:5])}...) but no "
                          f"schema_version: it is not an ocdata cache; use another path")
    return None


def migrate(con: duckdb.DuckDBPyConnection, target: int = LATEST) -> list[int]:
    """Apply the missing migrations up to ``target`` in order; returns the versions applied."""
    version = current_version(con)
    if version is None:
        con.execute("CREATE TABLE schema_version (version INTEGER NOT NULL, description VARCHAR, "
                    "applied_at TIMESTAMP DEFAULT current_timestamp)")
        version = 0
    if version > LATEST:
        raise SchemaError(f"this cache has schema version {version}, newer than this ocdata knows ({LATEST}); "
                          f"upgrade ocdata or use another cache path")
    applied = []
    for m in MIGRATIONS:
        if version < m.version <= target:
            con.execute("BEGIN TRANSACTION")
            try:
                for statement in m.statements:
                    con.execute(statement)
                con.execute("INSERT INTO schema_version (version, description) VALUES (?, ?)",
                            [m.version, m.description])
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise
            applied.append(m.version)
    return applied


@functools.lru_cache(maxsize=None)
def expected_columns(version: int = LATEST) -> dict[str, frozenset[str]]:
    """Each table's columns at ``version``, from the migrations applied to an empty database."""
    con = duckdb.connect(":memory:")
    try:
        migrate(con, version)
        rows = con.execute("SELECT table_name, column_name FROM information_schema.columns "
                           "WHERE table_schema = 'main'").fetchall()
    finally:
        con.close()
    out: dict[str, set[str]] = {}
    for table, column in rows:
        out.setdefault(table, set()).add(column)
    return {table: frozenset(columns) for table, columns in out.items()}


def check(con: duckdb.DuckDBPyConnection, where: str = "the cache") -> None:
    """Raise :class:`SchemaError` naming what is missing if a table or column of the current
    schema is gone (a file edited by hand or by another tool)."""
    rows = con.execute("SELECT table_name, column_name FROM information_schema.columns "
                       "WHERE table_schema = 'main'").fetchall()
    have: dict[str, set[str]] = {}
    for table, column in rows:
        have.setdefault(table, set()).add(column)
    missing = []
    for table, columns in sorted(expected_columns().items()):
        if table not in have:
            missing.append(f"table {table}")
        else:
            missing.extend(f"column {table}.{c}" for c in sorted(columns - have[table]))
    if missing:
        raise SchemaError(f"{where} is damaged: {', '.join(missing[:5])}{' ...' if len(missing) > 5 else ''} "
                          f"missing although its schema_version says {LATEST}. It only holds fetched results: "
                          f"delete the file (a re-run fetches them again) or use another path")
