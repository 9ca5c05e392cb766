"""A DuckDB cache of everything a store answered: quotes per scenario, orders, request logs.

>>> cache = Cache()                                   # ~/.cache/ocdata/ocdata.duckdb  # doctest: +SKIP
>>> cache.sql("SELECT quote_code, avg(cost) FROM quotes GROUP BY 1")              # doctest: +SKIP
>>> ocdata.cache.sql("SELECT count(*) FROM scenarios")  # the default cache           # doctest: +SKIP

* **Where**: ``Cache(path)`` takes any file path or ``":memory:"``; the default is
  ``$OCDATA_CACHE`` or ``~/.cache/ocdata/ocdata.duckdb`` (``$XDG_CACHE_HOME`` honoured).
* **Schema**: versioned, see :mod:`ocdata.cache_schema` (``schema_version`` table, ordered
  migrations applied on open, never a silent re-creation).
* **Keys**: a scenario is cached under a hash of the store identity (url, dialect,
  store_id, language, currency, pricing mode) and the canonical JSON of its draft
  (sorted keys, ``Decimal`` as a string). ``max_age`` and ``refresh`` decide reuse.
* **Writes**: one writer thread per cache owns every write. Other threads hand it
  results (a queue); it writes them in batches (``batch_size`` items or every
  ``flush_interval`` seconds, and on :meth:`Cache.flush`/:meth:`Cache.close`/exit),
  each batch in one transaction, through DuckDB's native pandas scan
  (``INSERT INTO ... BY NAME SELECT * FROM <registered frame>``), so an interrupted study
  keeps every finished scenario.
* **Processes**: DuckDB lets one process open a file for writing. A second process gets
  :class:`CacheLockedError` saying who holds it; ``Cache(path, read_only=True)`` reads a
  file no process is writing (several readers at once are fine).

Secrets never reach the cache: drafts hold none, errors are redacted, and the request
log keeps route, call, status, timing and sizes but not URLs.
"""

from __future__ import annotations

import atexit
import functools
import hashlib
import json
import os
import queue
import re
import threading
import time
import weakref
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable

import duckdb
import numpy as np
import pandas as pd

from ocdata import frames
from ocdata.cache_schema import LATEST, SchemaError, current_version, migrate
from ocdata.client.credentials import redact
from ocdata.client.models import OrderDraft, OrderResult, Quote

__all__ = [
    "Cache",
    "CacheError",
    "CacheLockedError",
    "CacheReadOnlyError",
    "CallLog",
    "RecordingStore",
    "SchemaError",
    "default_path",
    "default_cache",
    "sql",
    "record_order",
    "record_history",
    "store_identity",
    "store_key",
    "scenario_key",
    "canonical_json",
    "parse_max_age",
]

ENV_CACHE = "OCDATA_CACHE"


class CacheError(RuntimeError):
    """The cache cannot do what was asked; the message says what to do instead."""


class CacheLockedError(CacheError):
    """Another process has the cache file open for writing."""


class CacheReadOnlyError(CacheError):
    """A write was asked of a cache opened with ``read_only=True``."""


# --------------------------------------------------------------------------- identity and keys


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (datetime,)):
        return value.isoformat()
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    raise TypeError(f"cannot put {type(value).__name__} in a cache key")


def canonical_json(value: Any) -> str:
    """Canonical JSON: pydantic models dumped in JSON mode, sorted keys, no spaces, Decimal as string."""
    if hasattr(value, "model_dump"):
        value = value.model_dump(mode="json")
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=_json_default, ensure_ascii=False)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


IDENTITY_FIELDS = ("url", "dialect", "store_id", "language", "currency", "pricing")


def store_identity(store: Any) -> dict[str, Any]:
    """What makes a store's answers differ: url, dialect, store_id, language, currency, pricing mode.

    Reads a :class:`~ocdata.client.store.Store` (``url``, ``dialect_name``, ``pricing`` and the
    dialect's config), a mapping with those keys, or any object with those attributes.
    """
    if isinstance(store, Mapping):
        return {k: store.get(k) for k in IDENTITY_FIELDS}
    ident = getattr(store, "identity", None)
    if isinstance(ident, Mapping):
        return {k: ident.get(k) for k in IDENTITY_FIELDS}
    config = getattr(getattr(store, "dialect", None), "config", None)

    def pick(name: str, *alternatives: str) -> Any:
        for source in (store, config):
            for attr in (name, *alternatives):
                value = getattr(source, attr, None) if source is not None else None
                if value is not None and not callable(value):
                    return value
        return None

    dialect = pick("dialect_name")
    if dialect is None:
        d = getattr(store, "dialect", None)
        dialect = d if isinstance(d, str) else getattr(d, "name", None)
    return {
        "url": pick("url", "base_url"),
        "dialect": dialect,
        "store_id": pick("store_id"),
        "language": pick("language"),
        "currency": pick("currency"),
        "pricing": pick("pricing"),
    }


@functools.lru_cache(maxsize=64)
def _identity_json(values: tuple) -> str:
    return canonical_json(dict(zip(IDENTITY_FIELDS, values)))


def _identity_text(identity: Mapping[str, Any]) -> str:
    return _identity_json(tuple(identity.get(k) for k in IDENTITY_FIELDS))


def store_key(identity: Mapping[str, Any]) -> str:
    """Hash of a store identity (see :func:`store_identity`)."""
    return _digest(_identity_text(identity))


def scenario_key(identity: Mapping[str, Any], draft: OrderDraft | str) -> str:
    """The cache key of one quote request: hash of the store identity and the canonical draft."""
    draft_json = draft if isinstance(draft, str) else canonical_json(draft)
    return _digest(_identity_text(identity) + "\n" + draft_json)


_AGE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d|w)?\s*$")
_AGE_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, None: 1}


def parse_max_age(max_age: Any) -> float | None:
    """``max_age`` in seconds: a number, a ``timedelta``, or text like ``"30m"``, ``"12h"``, ``"7d"``."""
    if max_age is None:
        return None
    if isinstance(max_age, timedelta):
        return max_age.total_seconds()
    if isinstance(max_age, (int, float)) and not isinstance(max_age, bool):
        return float(max_age)
    m = _AGE.match(str(max_age))
    if not m:
        raise ValueError(f"max_age={max_age!r}: give seconds, a timedelta, or text like '30m', '12h', '7d'")
    return float(m.group(1)) * _AGE_UNITS[m.group(2)]


def _now() -> datetime:
    """UTC without tzinfo: what the TIMESTAMP columns hold."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


# --------------------------------------------------------------------------- what the writer receives


@dataclass
class ScenarioRecord:
    """One quote request's outcome, as handed to the writer."""

    key: str
    store_key: str
    draft: str
    quote: Quote | None
    error: str | None = None
    error_type: str | None = None
    retryable: bool = False
    elapsed_ms: float | None = None
    fetched_at: datetime = field(default_factory=_now)


@dataclass
class _StoreRecord:
    key: str
    identity: dict[str, Any]
    seen: datetime = field(default_factory=_now)


@dataclass
class _StudyRecord:
    study_id: str
    store_key: str | None
    definition: str
    scenarios: pd.DataFrame


@dataclass
class _OrderRecord:
    store_key: str | None
    draft: str | None
    result: OrderResult
    comment: str
    at: datetime = field(default_factory=_now)


@dataclass
class _HistoryRecord:
    store_key: str | None
    order_id: int
    status_id: int
    comment: str
    notify: bool
    at: datetime = field(default_factory=_now)


@dataclass
class _CallRecord:
    store_key: str | None
    record: Any
    at: datetime = field(default_factory=_now)


_SCENARIO_TABLES = ("scenarios", "quotes", "totals", "payment_methods", "cart_products")


def _insert(con: duckdb.DuckDBPyConnection, table: str, df: pd.DataFrame) -> None:
    """Append a frame through DuckDB's pandas scan; columns matched by name."""
    if df.empty:
        return
    name = f"_ocdata_batch_{table}"
    con.register(name, df)
    try:
        con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM {name}")
    finally:
        con.unregister(name)


def _delete_keys(con: duckdb.DuckDBPyConnection, tables: Iterable[str], column: str, keys: pd.DataFrame) -> None:
    con.register("_ocdata_keys", keys)
    try:
        for table in tables:
            con.execute(f"DELETE FROM {table} WHERE {column} IN (SELECT {column} FROM _ocdata_keys)")
    finally:
        con.unregister("_ocdata_keys")


def _owned(values: list, n_per_owner: list[int]) -> np.ndarray:
    return np.repeat(np.asarray(values, dtype=object), np.asarray(n_per_owner, dtype=np.int64))


def _write_scenarios(con: duckdb.DuckDBPyConnection, records: list[ScenarioRecord]) -> None:
    latest = {r.key: r for r in records}  # a key fetched twice in one batch: the last answer wins
    records = list(latest.values())
    keys = [r.key for r in records]
    key_frame = pd.DataFrame({"scenario_key": keys})
    con.register("_ocdata_new", key_frame)
    try:
        known = con.execute("SELECT scenario_key FROM scenarios WHERE scenario_key IN "
                            "(SELECT scenario_key FROM _ocdata_new)").fetchall()
    finally:
        con.unregister("_ocdata_new")
    if known:  # a refresh: replace the earlier answer (deleting scans the tables, so only when needed)
        _delete_keys(con, _SCENARIO_TABLES, "scenario_key", pd.DataFrame({"scenario_key": [k for (k,) in known]}))

    _insert(con, "scenarios", pd.DataFrame({
        "scenario_key": keys,
        "store_key": [r.store_key for r in records],
        "draft": [r.draft for r in records],
        "fetched_at": pd.to_datetime([r.fetched_at for r in records]),
        "status": ["ok" if r.quote is not None else "error" for r in records],
        "error": [r.error for r in records],
        "error_type": [r.error_type for r in records],
        "retryable": [bool(r.retryable) for r in records],
        "dialect": [r.quote.dialect if r.quote is not None else None for r in records],
        "pricing": [r.quote.pricing if r.quote is not None else None for r in records],
        "requests": pd.array([r.quote.requests if r.quote is not None else None for r in records], dtype="Int64"),
        "elapsed_ms": [r.elapsed_ms for r in records],
        "warnings": [json.dumps(list(r.quote.warnings)) if r.quote is not None and r.quote.warnings else None
                     for r in records],
    }))

    ok = [r for r in records if r.quote is not None]
    quotes = [r.quote for r in ok]
    ok_keys = np.asarray([r.key for r in ok], dtype=object)
    if quotes:
        qf = frames.quotes_frame(quotes)
        qf.insert(0, "scenario_key", ok_keys[qf["quote"].to_numpy()])
        _insert(con, "quotes", qf.drop(columns=["quote", "dialect", "pricing"]))
        for table, builder in (("totals", frames.quote_totals_frame),
                               ("payment_methods", frames.quote_payment_methods_frame)):
            f = builder(quotes)
            f.insert(0, "scenario_key", ok_keys[f["quote"].to_numpy()])
            _insert(con, table, f.drop(columns=["quote"]))
        products = [p for q in quotes for p in q.products]
        if products:
            pf = frames.products_frame(products)
            pf.insert(0, "scenario_key", _owned([r.key for r in ok], [len(q.products) for q in quotes]))
            _insert(con, "cart_products", pf)

    failed = [r for r in records if r.quote is None]
    if failed:
        # the other columns stay NULL (INSERT ... BY NAME)
        ef = pd.DataFrame({"scenario_key": [r.key for r in failed], "option_index": -1, "n_payment_methods": 0,
                           "status": frames.STATUS_ERROR, "error": [r.error for r in failed]})
        _insert(con, "quotes", ef)


def _write_stores(con: duckdb.DuckDBPyConnection, records: list[_StoreRecord]) -> None:
    for r in {r.key: r for r in records}.values():
        i = r.identity
        updated = con.execute("UPDATE stores SET last_seen = ? WHERE store_key = ? RETURNING store_key",
                              [r.seen, r.key]).fetchall()
        if not updated:
            con.execute("INSERT INTO stores VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        [r.key, i.get("url"), i.get("dialect"), i.get("store_id"), i.get("language"),
                         i.get("currency"), i.get("pricing"), r.seen, r.seen])


def _write_studies(con: duckdb.DuckDBPyConnection, records: list[_StudyRecord]) -> None:
    for r in {r.study_id: r for r in records}.values():
        now = _now()
        created = con.execute("SELECT min(created_at) FROM studies WHERE study_id = ?", [r.study_id]).fetchone()[0]
        con.execute("DELETE FROM studies WHERE study_id = ?", [r.study_id])
        con.execute("DELETE FROM study_scenarios WHERE study_id = ?", [r.study_id])
        con.execute("INSERT INTO studies VALUES (?, ?, ?, ?, ?, ?)",
                    [r.study_id, r.store_key, created or now, now, len(r.scenarios), r.definition])
        df = r.scenarios.copy()
        df.insert(0, "study_id", r.study_id)
        _insert(con, "study_scenarios", df)


def _total_rows(records: list[_OrderRecord]) -> pd.DataFrame:
    rows = [(r.store_key, r.result.order_id, t.code, t.title, None if t.value is None else float(t.value),
             t.sort_order, t.text) for r in records for t in r.result.totals]
    return pd.DataFrame(rows, columns=["store_key", "order_id", "code", "title", "value", "sort_order", "text"])


def _write_orders(con: duckdb.DuckDBPyConnection, records: list[_OrderRecord]) -> None:
    records = list({(r.store_key, r.result.order_id): r for r in records}.values())
    # an edited order (same store and id) replaces what was recorded; its history accumulates
    for r in records:
        for table in ("orders", "order_totals", "order_products"):
            con.execute(f"DELETE FROM {table} WHERE order_id = ? AND store_key IS NOT DISTINCT FROM ?",
                        [r.result.order_id, r.store_key])
    of = frames.orders_frame([r.result for r in records])
    of.insert(0, "store_key", [r.store_key for r in records])
    of["draft"] = [r.draft for r in records]
    of["recorded_at"] = pd.to_datetime([r.at for r in records])
    _insert(con, "orders", of)
    _insert(con, "order_totals", _total_rows(records))
    products = [p for r in records for p in r.result.products]
    if products:
        pf = frames.products_frame(products)
        n = [len(r.result.products) for r in records]
        pf.insert(0, "order_id", _owned([r.result.order_id for r in records], n).astype(np.int64))
        pf.insert(0, "store_key", _owned([r.store_key for r in records], n))
        _insert(con, "order_products", pf)
    _write_history(con, [_HistoryRecord(r.store_key, r.result.order_id, r.result.status_id, r.comment, False, r.at)
                         for r in records])


def _write_history(con: duckdb.DuckDBPyConnection, records: list[_HistoryRecord]) -> None:
    _insert(con, "order_history", pd.DataFrame({
        "store_key": [r.store_key for r in records],
        "order_id": np.asarray([r.order_id for r in records], dtype=np.int64),
        "status_id": np.asarray([r.status_id for r in records], dtype=np.int64),
        "comment": [r.comment for r in records],
        "notify": [bool(r.notify) for r in records],
        "recorded_at": pd.to_datetime([r.at for r in records]),
    }))


def _write_calls(con: duckdb.DuckDBPyConnection, records: list[_CallRecord]) -> None:
    def get(rec: Any, name: str) -> Any:
        return getattr(rec, name, None)

    errors = [get(r.record, "error") for r in records]
    _insert(con, "calls", pd.DataFrame({
        "called_at": pd.to_datetime([r.at for r in records]),
        "store_key": [r.store_key for r in records],
        "dialect": [get(r.record, "dialect") for r in records],
        "route": [get(r.record, "route") for r in records],
        "call": [get(r.record, "call") for r in records],
        "method": [get(r.record, "method") for r in records],
        "status": pd.array([get(r.record, "status") for r in records], dtype="Int64"),
        "elapsed_ms": pd.array([get(r.record, "elapsed_ms") for r in records], dtype="Float64"),
        "bytes_sent": pd.array([get(r.record, "bytes_sent") for r in records], dtype="Int64"),
        "bytes_received": pd.array([get(r.record, "bytes_received") for r in records], dtype="Int64"),
        "error": [redact(e) if e else None for e in errors],
    }))


# written in this order inside one transaction: a study's rows before the scenarios they point to
_WRITERS: dict[type, Callable[[duckdb.DuckDBPyConnection, list], None]] = {
    _StoreRecord: _write_stores,
    _StudyRecord: _write_studies,
    ScenarioRecord: _write_scenarios,
    _OrderRecord: _write_orders,
    _HistoryRecord: _write_history,
    _CallRecord: _write_calls,
}


class _Writer:
    """The one thread that writes: drains the queue into batched transactions."""

    _FLUSH = object()
    _STOP = object()
    _MAX_BATCH = 20_000

    def __init__(self, con: duckdb.DuckDBPyConnection, batch_size: int, interval: float,
                 on_commit: Callable[[int], None] | None) -> None:
        self._con = con
        self._batch_size = max(1, int(batch_size))
        self._interval = float(interval)
        self._on_commit = on_commit
        self._queue: queue.Queue = queue.Queue()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="ocdata-cache-writer", daemon=True)
        self._thread.start()

    def put(self, record: Any) -> None:
        self._raise_error()
        self._queue.put(record)

    def flush(self) -> None:
        done = threading.Event()
        self._queue.put((self._FLUSH, done))
        done.wait()
        self._raise_error()

    def stop(self) -> None:
        if self._thread.is_alive():
            done = threading.Event()
            self._queue.put((self._STOP, done))
            self._thread.join()
        self._raise_error()

    def _raise_error(self) -> None:
        if self._error is not None:
            error, self._error = self._error, None
            raise CacheError(f"writing to the cache failed: {error}; the batch was rolled back "
                             f"(re-run to fetch what it held)") from error

    def _run(self) -> None:
        pending: list[Any] = []
        first = 0.0
        while True:
            timeout = None if not pending else max(0.0, first + self._interval - time.monotonic())
            try:
                item = self._queue.get(timeout=timeout)
            except queue.Empty:
                item = None
            waiters: list[threading.Event] = []
            stop = False
            # take whatever else is already queued: when results arrive faster than one batch
            # commits, batches grow instead of the queue
            while item is not None:
                if isinstance(item, tuple) and len(item) == 2 and item[0] in (self._FLUSH, self._STOP):
                    waiters.append(item[1])
                    stop = stop or item[0] is self._STOP
                else:
                    if not pending:
                        first = time.monotonic()
                    pending.append(item)
                if waiters or len(pending) >= self._MAX_BATCH:
                    break
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    item = None
            due = (waiters or len(pending) >= self._batch_size or time.monotonic() - first >= self._interval)
            if pending and due:
                self._write(pending)
                pending = []
            for waiter in waiters:
                waiter.set()
            if stop:
                return

    def _write(self, items: list[Any]) -> None:
        grouped: dict[type, list] = {kind: [] for kind in _WRITERS}
        for item in items:
            grouped[type(item)].append(item)
        con = self._con
        try:
            con.execute("BEGIN TRANSACTION")
            for kind, records in grouped.items():
                if records:
                    _WRITERS[kind](con, records)
            con.execute("COMMIT")
        except BaseException as exc:  # noqa: BLE001 - reported to the next caller, never lost silently
            try:
                con.execute("ROLLBACK")
            except duckdb.Error:
                pass
            self._error = exc
            return
        if self._on_commit is not None:
            try:
                self._on_commit(len(grouped[ScenarioRecord]))
            except Exception:  # noqa: BLE001 - a progress callback must not stop the writer
                pass


# --------------------------------------------------------------------------- the cache


_OPEN: "weakref.WeakSet[Cache]" = weakref.WeakSet()


@atexit.register
def _close_all() -> None:
    for cache in list(_OPEN):
        try:
            cache.close()
        except Exception:  # noqa: BLE001 - interpreter is exiting; nothing left to tell
            pass


def default_path() -> Path:
    """``$OCDATA_CACHE``, else ``$XDG_CACHE_HOME/ocdata/ocdata.duckdb``, else ``~/.cache/ocdata/ocdata.duckdb``."""
    if os.environ.get(ENV_CACHE):
        return Path(os.environ[ENV_CACHE]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "ocdata" / "ocdata.duckdb"


def _connect(path: str, read_only: bool) -> duckdb.DuckDBPyConnection:
    try:
        return duckdb.connect(path, read_only=read_only)
    except duckdb.IOException as exc:
        text = str(exc)
        if "lock" not in text.lower():
            raise CacheError(f"cannot open the cache {path}: {text}") from exc
        holder = re.search(r"PID (\d+)", text)
        who = f"process {holder.group(1)}" if holder else "another process"
        hint = ("Only one process may have a DuckDB file open for writing, and none may read it meanwhile: "
                "close the cache there (cache.close(), or restart that Jupyter kernel), or use a separate "
                "cache file (Cache('other.duckdb') / OCDATA_CACHE=...). Once no process writes it, any number of "
                "processes can read it with Cache(path, read_only=True).")
        raise CacheLockedError(f"the cache {path} is in use by {who}. {hint}") from exc


class Cache:
    """A DuckDB file (or ``":memory:"``) holding stores, studies, scenarios, quotes, orders and calls.

    ``batch_size``/``flush_interval`` bound how much a crash can lose: finished results
    are committed at least every ``flush_interval`` seconds. ``on_commit(n)`` (optional)
    is called by the writer thread after each committed batch with the number of
    scenarios it held.
    """

    def __init__(self, path: str | os.PathLike | None = None, *, read_only: bool = False, batch_size: int = 64,
                 flush_interval: float = 0.5, on_commit: Callable[[int], None] | None = None) -> None:
        path = str(default_path() if path is None else path)
        self.path = path
        self.read_only = bool(read_only)
        in_memory = path == ":memory:"
        if in_memory and read_only:
            raise CacheError("an in-memory cache cannot be read-only: it would always be empty")
        if not in_memory:
            file = Path(path).expanduser()
            if read_only and not file.exists():
                raise CacheError(f"no cache at {file}: run a study first, or give the right path")
            if not read_only:
                file.parent.mkdir(parents=True, exist_ok=True)
            path = str(file)
        self._con = _connect(path, self.read_only)
        self._lock = threading.Lock()
        self._local = threading.local()
        self._cursors: list[duckdb.DuckDBPyConnection] = []
        self._writer: _Writer | None = None
        self._batch_size = batch_size
        self._flush_interval = flush_interval
        self._on_commit = on_commit
        self._closed = False
        try:
            if self.read_only:
                version = current_version(self._con)
                if version != LATEST:
                    raise SchemaError(f"the cache {path} has schema version {version}, this ocdata uses {LATEST}: "
                                      f"open it once read-write (Cache(path)) to migrate it")
            else:
                migrate(self._con)
        except BaseException:
            self._con.close()
            raise
        _OPEN.add(self)

    def __repr__(self) -> str:
        mode = "read-only" if self.read_only else "read-write"
        return f"<Cache {self.path} {mode}{' closed' if self._closed else ''}>"

    def __enter__(self) -> "Cache":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # ------------------------------------------------------------------ reading
    def _cursor(self) -> duckdb.DuckDBPyConnection:
        if self._closed:
            raise CacheError(f"the cache {self.path} is closed; open a new Cache(...)")
        cur = getattr(self._local, "cursor", None)
        if cur is None:
            # a DuckDB connection object is not thread-safe; each thread reads through its own cursor
            cur = self._con.cursor()
            self._local.cursor = cur
            with self._lock:
                self._cursors.append(cur)
        return cur

    def sql(self, query: str, params: Iterable[Any] | Mapping[str, Any] | None = None) -> pd.DataFrame:
        """Run a query and return the result as a DataFrame (``params`` fill ``?``/``$name``)."""
        cur = self._cursor()
        result = cur.execute(query, params) if params is not None else cur.execute(query)
        return result.df() if result.description else pd.DataFrame()

    def tables(self) -> list[str]:
        """The cache's tables."""
        return self.sql("SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' "
                        "ORDER BY table_name")["table_name"].tolist()

    @property
    def schema_version(self) -> int:
        return int(self.sql("SELECT max(version) AS v FROM schema_version")["v"].iloc[0])

    def export(self, directory: str | os.PathLike) -> dict[str, Path]:
        """Write every table as ``<directory>/<table>.parquet``; returns ``{table: path}``."""
        self.flush()
        out = Path(directory).expanduser()
        out.mkdir(parents=True, exist_ok=True)
        written = {}
        cur = self._cursor()
        for table in self.tables():
            target = out / f"{table}.parquet"
            quoted = str(target).replace("'", "''")
            cur.execute(f"COPY (SELECT * FROM {table}) TO '{quoted}' (FORMAT parquet)")
            written[table] = target
        return written

    def fresh_keys(self, keys: Iterable[str], max_age: Any = None) -> set[str]:
        """The scenario keys already cached with an answer worth reusing.

        A cached answer is reused unless it is older than ``max_age`` or was a retryable
        failure (network error, HTTP 5xx...). A store's own refusal (validation, not found)
        is an answer and is reused.
        """
        keys = list(dict.fromkeys(keys))
        if not keys:
            return set()
        seconds = parse_max_age(max_age)
        cutoff = _now() - timedelta(seconds=seconds) if seconds is not None else datetime(1970, 1, 1)
        cur = self._cursor()
        cur.register("_ocdata_lookup", pd.DataFrame({"scenario_key": keys}))
        try:
            rows = cur.execute(
                "SELECT DISTINCT s.scenario_key FROM scenarios s JOIN _ocdata_lookup k USING (scenario_key) "
                "WHERE NOT coalesce(s.retryable, false) AND s.fetched_at >= ?", [cutoff]).fetchall()
        finally:
            cur.unregister("_ocdata_lookup")
        return {r[0] for r in rows}

    # ------------------------------------------------------------------ writing
    def _put(self, record: Any) -> None:
        if self.read_only:
            raise CacheReadOnlyError(f"the cache {self.path} was opened read-only; open it with "
                                     f"Cache(path) to record results")
        if self._closed:
            raise CacheError(f"the cache {self.path} is closed; open a new Cache(...)")
        with self._lock:
            if self._writer is None:
                self._writer = _Writer(self._con.cursor(), self._batch_size, self._flush_interval, self._on_commit)
        self._writer.put(record)

    def flush(self) -> None:
        """Wait until everything handed to the writer is committed (raises a failed batch's error)."""
        if self._writer is not None:
            self._writer.flush()

    def close(self) -> None:
        """Commit what is pending, stop the writer and close the file. Safe to call twice."""
        if self._closed:
            return
        try:
            if self._writer is not None:
                self._writer.stop()
        finally:
            self._closed = True
            _OPEN.discard(self)
            with self._lock:
                cursors, self._cursors = self._cursors, []
            for cur in cursors:
                try:
                    cur.close()
                except duckdb.Error:
                    pass
            self._con.close()

    def register_store(self, store: Any) -> str:
        """Record a store's identity (first/last seen); returns its key."""
        identity = store_identity(store)
        key = store_key(identity)
        self._put(_StoreRecord(key, identity))
        return key

    def record_quote(self, store: Any, draft: OrderDraft, quote: Quote | None = None, *,
                     error: BaseException | None = None, elapsed_ms: float | None = None) -> str:
        """Hand one quote request's outcome (a ``Quote`` or the exception it raised) to the writer.

        Returns the scenario key. Asynchronous: :meth:`flush` waits for the commit.
        """
        identity = store_identity(store)
        draft_json = canonical_json(draft)
        key = scenario_key(identity, draft_json)
        self._put(self._scenario_record(key, store_key(identity), draft_json, quote, error, elapsed_ms))
        return key

    @staticmethod
    def _scenario_record(key: str, skey: str, draft_json: str, quote: Quote | None, error: BaseException | None,
                         elapsed_ms: float | None) -> ScenarioRecord:
        if quote is None and error is None:
            raise ValueError("record_quote needs a quote or the error it raised")
        if error is None:
            return ScenarioRecord(key, skey, draft_json, quote, elapsed_ms=elapsed_ms)
        retry = getattr(error, "should_retry", None)
        if retry is None:  # not a client error: a bug or an unexpected failure; worth another try
            retry = True
        return ScenarioRecord(key, skey, draft_json, None, error=redact(str(error) or type(error).__name__),
                              error_type=type(error).__name__, retryable=bool(retry), elapsed_ms=elapsed_ms)

    def record_study(self, study_id: str, store: Any, scenarios: pd.DataFrame, definition: Any = None) -> None:
        """Record a study's grid: ``scenarios`` has scenario_id, scenario_key, cart, destination,
        country, zone, customer_group_id. Replaces an earlier grid of the same study."""
        skey = store_key(store_identity(store)) if store is not None else None
        self._put(_StudyRecord(study_id, skey, canonical_json(definition), scenarios))

    def record_order(self, draft: OrderDraft | None, result: OrderResult, *, store: Any = None,
                     comment: str = "") -> None:
        """Record a confirmed order with its draft, totals, products and a first history entry."""
        skey = store_key(store_identity(store)) if store is not None else None
        self._put(_OrderRecord(skey, canonical_json(draft) if draft is not None else None, result, comment))

    def record_history(self, order_id: int, status_id: int, comment: str = "", notify: bool = False, *,
                       store: Any = None) -> None:
        """Record a status change added to an order."""
        skey = store_key(store_identity(store)) if store is not None else None
        self._put(_HistoryRecord(skey, int(order_id), int(status_id), comment, bool(notify)))

    def call_hook(self, store: Any = None) -> "CallLog":
        """A hook for ``ocdata.connect(hook=...)`` logging every HTTP request to the ``calls`` table.

        The store is not known before ``connect`` returns: call ``hook.bind(store)`` after it.
        """
        return CallLog(self, store)

    def recording(self, store: Any) -> "RecordingStore":
        """``store`` with ``confirm``/``add_history`` recorded in the orders tables (everything else passes through)."""
        return RecordingStore(store, self)

    # ------------------------------------------------------------------ studies
    def study_frame(self, study_id: str) -> pd.DataFrame:
        """Every scenario of a study with its quote rows (see :mod:`ocdata.study` for the columns)."""
        from ocdata.study import STUDY_COLUMNS  # the study module documents this frame

        df = self.sql(_STUDY_QUERY, [study_id])
        return frames.conform(df, STUDY_COLUMNS)

    def study_totals(self, study_id: str) -> pd.DataFrame:
        """Every total line of a study's quotes, long form (tax lines keep their titles)."""
        df = self.sql("""
            SELECT ss.scenario_id, t.option_index, q.quote_code, t.code, t.title, t.value, t.sort_order
            FROM study_scenarios ss
            JOIN totals t USING (scenario_key)
            LEFT JOIN quotes q ON q.scenario_key = t.scenario_key AND q.option_index = t.option_index
            WHERE ss.study_id = ?
            ORDER BY ss.scenario_id, t.option_index, t.sort_order""", [study_id])
        return frames.conform(df, {"scenario_id": ("int64", ""), "option_index": ("int64", ""),
                                   "quote_code": ("category", ""), "code": ("category", ""),
                                   "sort_order": ("int64", "")})


_STUDY_QUERY = """
    SELECT st.study_id AS study, sto.url AS store, ss.scenario_id, ss.cart, ss.destination, ss.country, ss.zone,
           ss.customer_group_id, coalesce(q.option_index, -1) AS option_index, q.method_code, q.quote_code,
           q.method_name, q.name, q.cost, q.tax_class_id, q.sort_order, q.sub_total, q.cart_tax, q.tax,
           q.shipping_tax, q.cost_with_tax, q.total, q.payment_methods, coalesce(q.n_payment_methods, 0) AS n_payment_methods,
           coalesce(q.status, 'pending') AS status, q.error, s.dialect, s.pricing, s.fetched_at,
           ss.scenario_key
    FROM study_scenarios ss
    JOIN studies st ON st.study_id = ss.study_id
    LEFT JOIN stores sto ON sto.store_key = st.store_key
    LEFT JOIN scenarios s ON s.scenario_key = ss.scenario_key
    LEFT JOIN quotes q ON q.scenario_key = ss.scenario_key
    WHERE ss.study_id = ?
    ORDER BY ss.scenario_id, option_index
"""


class CallLog:
    """Transport hook writing each request's secret-free record to the ``calls`` table."""

    def __init__(self, cache: Cache, store: Any = None) -> None:
        self.cache = cache
        self.store_key = store_key(store_identity(store)) if store is not None else None

    def bind(self, store: Any) -> "CallLog":
        self.store_key = store_key(store_identity(store))
        return self

    def __call__(self, record: Any) -> None:
        self.cache._put(_CallRecord(self.store_key, record))


class RecordingStore:
    """A store whose ``confirm`` and ``add_history`` are recorded in the cache's orders tables."""

    def __init__(self, store: Any, cache: Cache) -> None:
        self._store = store
        self._cache = cache

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    def __repr__(self) -> str:
        return f"<RecordingStore {self._store!r} -> {self._cache!r}>"

    def confirm(self, draft: OrderDraft, order_status_id: int | None = None, comment: str = "") -> OrderResult:
        result = self._store.confirm(draft, order_status_id, comment)
        self._cache.record_order(draft, result, store=self._store, comment=comment)
        return result

    def add_history(self, order_id: int, order_status_id: int, comment: str = "", notify: bool = False,
                    override: bool = False) -> None:
        self._store.add_history(order_id, order_status_id, comment, notify, override)
        self._cache.record_history(order_id, order_status_id, comment, notify, store=self._store)


# --------------------------------------------------------------------------- module-level helpers

_DEFAULTS: dict[str, Cache] = {}
_DEFAULTS_LOCK = threading.Lock()


def default_cache() -> Cache:
    """The process's cache at :func:`default_path` (opened once, read-write)."""
    path = str(default_path())
    with _DEFAULTS_LOCK:
        cache = _DEFAULTS.get(path)
        if cache is None or cache._closed:
            cache = _DEFAULTS[path] = Cache(path)
        return cache


def sql(query: str, params: Iterable[Any] | Mapping[str, Any] | None = None) -> pd.DataFrame:
    """Query the default cache: ``ocdata.sql("SELECT * FROM quotes LIMIT 5")``."""
    return default_cache().sql(query, params)


def record_order(cache: Cache, draft: OrderDraft | None, result: OrderResult, *, store: Any = None,
                 comment: str = "") -> None:
    """Record a confirmed order (see :meth:`Cache.record_order`)."""
    cache.record_order(draft, result, store=store, comment=comment)


def record_history(cache: Cache, order_id: int, status_id: int, comment: str = "", notify: bool = False, *,
                   store: Any = None) -> None:
    """Record an order status change (see :meth:`Cache.record_history`)."""
    cache.record_history(order_id, status_id, comment, notify, store=store)
