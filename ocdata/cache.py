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
  results (a queue; :meth:`Cache.record_quotes` hands many at once); it commits what is
  pending once ``batch_size`` scenarios are or ``flush_interval`` seconds after the
  first (and on :meth:`Cache.flush`/:meth:`Cache.close`/exit, and before
  :meth:`Cache.sql` reads), taking everything queued by then into that one transaction,
  so an interrupted study keeps every finished scenario. A batch costs tens of ms of
  CPU whatever its size (building frames, one insert per table, the commit) while the
  study's threads wait for the interpreter lock, so the default interval is 2 s: a
  crash (not an interrupt or an exception, which commit everything) loses at most the
  last 2 s of answers, and a study commits a few large batches rather than many small ones. A batch builds each table's rows for all its scenarios at once and appends
  them with one Arrow insert per table (``INSERT INTO ... BY NAME SELECT * FROM <table>``),
  the next table's rows being built while DuckDB appends the last.
* **Processes**: DuckDB lets one process open a file for writing. A second process gets
  :class:`CacheLockedError` saying who holds it; ``Cache(path, read_only=True)`` reads a
  file no process is writing (several readers at once are fine).

Secrets never reach the cache: drafts hold none, errors are redacted, and the request
log keeps route, call, status, timing and sizes but not URLs.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import hashlib
import json
import os
import queue
import re
import threading
import time
import weakref
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from operator import attrgetter
from pathlib import Path
from typing import Any, Callable, TypeVar

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from ocdata import frames
from ocdata.cache_schema import LATEST, MIGRATIONS, CacheError, SchemaError, check, current_version, migrate
from ocdata.client.credentials import redact
from ocdata.client.models import OrderDraft, OrderResult, Quote
from ocdata.study_schema import (
    OUTCOME_COLUMNS,
    STATUS_FAILED,
    STATUS_OK,
    STATUS_REFUSED,
    STUDY_COLUMNS,
    classify,
)

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
    "using_default",
    "reading_default",
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
    return _store_key(tuple(identity.get(k) for k in IDENTITY_FIELDS))


@functools.lru_cache(maxsize=64)
def _store_key(values: tuple) -> str:
    return _digest(_identity_json(values))


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
    status: str = STATUS_OK  # ok, refused or failed (ocdata.study_schema)


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


@dataclass
class _QuotesRecord:
    """Many finished scenarios at once (:meth:`Cache.record_quotes`); keys are distinct."""

    keys: list[str]
    store_key: str
    drafts: list[str]
    quotes: list[Quote]
    frame: pd.DataFrame | None = None  # rows of frames.quotes_frame(...) for these quotes
    frame_offset: int = 0  # the frame's ``quote`` of the first of these quotes
    elapsed_ms: list[float | None] | None = None
    fetched_at: datetime = field(default_factory=_now)
    batch: Any = None  # the frames._QuoteBatch that built ``frame``, for these quotes (its total lines read)


# the cache's own tables (written only by the record_* methods)
_OWN_TABLES = frozenset({"schema_version"} | {t for m in MIGRATIONS for s in m.statements
                                              for t in re.findall(r"CREATE TABLE (?:IF NOT EXISTS )?(\w+)", s)})
_SCENARIO_TABLES = ("scenarios", "quotes", "totals", "payment_methods", "cart_products")
_CHUNK = 20_000  # scenarios per bulk record: about 100,000 quote rows and 600,000 total lines


def _insert(con: duckdb.DuckDBPyConnection, table: str, data: pd.DataFrame | pa.Table) -> None:
    """Append a frame (or Arrow table) through DuckDB's native scan; columns matched by name."""
    if not len(data):
        return
    name = f"_ocdata_batch_{table}"
    with _registered(con, name, data):
        con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM {name}")


@contextlib.contextmanager
def _registered(con: duckdb.DuckDBPyConnection, name: str, data: Any) -> Iterator[str]:
    """``data`` visible to SQL as ``name`` for the block. When the block fails, the transaction is
    aborted and unregistering fails too: the block's error is the one reported, not that one."""
    con.register(name, data)
    try:
        yield name
    except BaseException:
        with contextlib.suppress(duckdb.Error):
            con.unregister(name)
        raise
    con.unregister(name)


def _delete_keys(con: duckdb.DuckDBPyConnection, tables: Iterable[str], column: str,
                 keys: pd.DataFrame | pa.Table) -> None:
    with _registered(con, "_ocdata_keys", keys):
        for table in tables:
            con.execute(f"DELETE FROM {table} WHERE {column} IN (SELECT {column} FROM _ocdata_keys)")


def _owned(values: list, n_per_owner: list[int]) -> np.ndarray:
    return np.repeat(np.asarray(values, dtype=object), np.asarray(n_per_owner, dtype=np.int64))


def _keyed(frame: pd.DataFrame, keys: pa.Array, owner: np.ndarray, drop: tuple[str, ...] = ()) -> pa.Table:
    """``frame`` as Arrow with ``scenario_key`` first: ``keys[owner]``, dictionary-encoded
    (a key repeats on every row of its scenario; DuckDB reads the dictionary as is)."""
    table = pa.Table.from_pandas(frame, columns=[c for c in frame.columns if c not in drop], preserve_index=False)
    index = pa.array(np.asarray(owner, dtype=np.int32))
    return table.add_column(0, "scenario_key", pa.DictionaryArray.from_arrays(index, keys))


def _quote_rows(frame: pd.DataFrame, keep: np.ndarray, offset: int = 0) -> pd.DataFrame:
    """The rows of a quotes frame whose ``quote`` - ``offset`` is in ``keep`` (sorted), renumbered 0.."""
    quote = frame["quote"].to_numpy() - offset
    rows = np.isin(quote, keep)
    out = frame[rows].reset_index(drop=True)
    out["quote"] = np.searchsorted(keep, quote[rows])
    return out


def _check_quotes_frame(frame: pd.DataFrame, quotes: list[Quote]) -> None:
    """A frame given to :meth:`Cache.record_quotes` must be the quotes frame of its quotes."""
    missing = [c for c in frames.QUOTE_COLUMNS if c not in frame.columns]
    rows = sum(len(q.options) or 1 for q in quotes)
    quote = frame["quote"].to_numpy() if not missing else np.empty(0)
    if missing or len(frame) != rows or (rows and (quote[-1] != len(quotes) - 1 or (np.diff(quote) < 0).any())):
        raise ValueError(f"record_quotes(frame=...) takes to_frame(quotes) of the same quotes ({rows} rows); "
                         f"got {len(frame)} rows" + (f" without {missing}" if missing else ""))


@dataclass
class _Segment:
    """Scenarios written together: one row each in ``scenarios``, and their quotes' rows."""

    keys: list[str]
    store_keys: list[str] | str
    drafts: list[str]
    quotes: list[Quote | None]
    fetched_at: list[datetime] | datetime
    elapsed_ms: list[float | None] | None = None
    errors: list[str | None] | None = None
    error_types: list[str | None] | None = None
    retryable: list[bool] | None = None
    frame: pd.DataFrame | None = None
    frame_offset: int = 0
    statuses: list[str] | None = None  # per scenario when some were refused or failed
    batch: Any = None  # frames._QuoteBatch of exactly ``quotes``, when the frame's builder is known

    @classmethod
    def of_records(cls, records: list[ScenarioRecord]) -> "_Segment":
        records = list({r.key: r for r in records}.values())  # a key fetched twice: the last answer wins
        return cls([r.key for r in records], [r.store_key for r in records], [r.draft for r in records],
                   [r.quote for r in records], [r.fetched_at for r in records], [r.elapsed_ms for r in records],
                   [r.error for r in records], [r.error_type for r in records], [bool(r.retryable) for r in records],
                   statuses=[r.status for r in records])

    @classmethod
    def of_bulk(cls, r: _QuotesRecord) -> "_Segment":
        return cls(r.keys, r.store_key, r.drafts, r.quotes, r.fetched_at, r.elapsed_ms, frame=r.frame,
                   frame_offset=r.frame_offset, batch=r.batch)

    def without(self, keys: set[str]) -> "_Segment":
        """This segment minus the scenarios of ``keys`` (answered again later in the same batch)."""
        keep = [i for i, k in enumerate(self.keys) if k not in keys]
        if len(keep) == len(self.keys):
            return self

        def pick(values: Any) -> Any:
            return [values[i] for i in keep] if isinstance(values, list) else values

        frame = _quote_rows(self.frame, np.asarray(keep), self.frame_offset) if self.frame is not None else None
        return _Segment(pick(self.keys), pick(self.store_keys), pick(self.drafts), pick(self.quotes),
                        pick(self.fetched_at), pick(self.elapsed_ms), pick(self.errors), pick(self.error_types),
                        pick(self.retryable), frame, statuses=pick(self.statuses))

    def _column(self, values: list | Any, arrow_type: pa.DataType) -> pa.Array:
        if isinstance(values, list):
            return pa.array(values, type=arrow_type)
        return pa.array([values], type=arrow_type).take(pa.array(np.zeros(len(self.keys), dtype=np.int32)))

    def scenarios(self) -> pa.Table:
        n, quotes = len(self.keys), self.quotes
        nothing = [None] * n
        answered = all(q is not None for q in quotes)

        def of_quote(attr: str) -> list:
            if answered:
                return list(map(attrgetter(attr), quotes))
            return [getattr(q, attr) if q is not None else None for q in quotes]

        return pa.table({
            "scenario_key": pa.array(self.keys, pa.string()),
            "store_key": self._column(self.store_keys, pa.string()),
            "draft": pa.array(self.drafts, pa.string()),
            "fetched_at": self._column(self.fetched_at, pa.timestamp("us")),
            "status": self._column(STATUS_OK, pa.string()) if answered else pa.array(self._statuses(), pa.string()),
            "error": pa.array(self.errors or nothing, pa.string()),
            "error_type": pa.array(self.error_types or nothing, pa.string()),
            "retryable": pa.array(self.retryable or [False] * n, pa.bool_()),
            "dialect": pa.array(of_quote("dialect"), pa.string()),
            "pricing": pa.array(of_quote("pricing"), pa.string()),
            "requests": pa.array(of_quote("requests"), pa.int64()),
            "elapsed_ms": pa.array(self.elapsed_ms or nothing, pa.float64()),
            "warnings": pa.array([json.dumps(list(w)) if w else None for w in of_quote("warnings")], pa.string()),
        })

    def _statuses(self) -> list[str]:
        if self.statuses is not None:
            return self.statuses
        return [STATUS_OK if q is not None else STATUS_FAILED if r else STATUS_REFUSED
                for q, r in zip(self.quotes, self.retryable or [False] * len(self.quotes))]

    def rows(self) -> Iterator[tuple[str, pa.Table]]:
        """``(table, rows)`` to append, table by table."""
        yield "scenarios", self.scenarios()
        ok = [i for i, q in enumerate(self.quotes) if q is not None]
        if ok:
            quotes = [self.quotes[i] for i in ok] if len(ok) < len(self.quotes) else self.quotes
            keys = pa.array([self.keys[i] for i in ok] if len(ok) < len(self.keys) else self.keys, pa.string())
            batch = self.batch if self.batch is not None and len(ok) == len(self.quotes) else frames._QuoteBatch(quotes)
            tf = batch.totals_frame()  # first: its read of the total lines serves the quotes frame's sums
            if self.frame is not None:  # only scenario records have failures, and never a frame
                qf, owner = self.frame, self.frame["quote"].to_numpy() - self.frame_offset
            else:
                qf = batch.quotes_frame()
                owner = qf["quote"].to_numpy()
            yield "quotes", _keyed(qf, keys, owner, drop=("quote", "dialect", "pricing"))
            del qf
            yield "totals", _keyed(tf, keys, tf["quote"].to_numpy(), drop=("quote",))
            del tf
            pf = batch.payments_frame()
            yield "payment_methods", _keyed(pf, keys, pf["quote"].to_numpy(), drop=("quote",))
            del pf, batch
            n_products = np.fromiter(map(len, map(_PRODUCTS, quotes)), np.int64, count=len(quotes))
            if n_products.any():
                products = frames.products_frame([p for q in quotes for p in q.products])
                first = np.repeat(np.cumsum(n_products) - n_products, n_products)
                products["line"] = np.arange(len(products), dtype=np.int64) - first  # the position in its cart
                yield "cart_products", _keyed(products, keys, np.repeat(np.arange(len(quotes)), n_products))
        failed = [i for i, q in enumerate(self.quotes) if q is None]
        if failed:
            # the other columns stay NULL (INSERT ... BY NAME)
            yield "quotes", pa.table({
                "scenario_key": pa.array([self.keys[i] for i in failed], pa.string()),
                "option_index": pa.array(np.full(len(failed), -1, dtype=np.int64)),
                "n_payment_methods": pa.array(np.zeros(len(failed), dtype=np.int64)),
                "status": pa.array([self._statuses()[i] for i in failed], pa.string()),
                "error": pa.array([self.errors[i] for i in failed], pa.string()),
            })


def _segments(items: list[ScenarioRecord | _QuotesRecord]) -> list[_Segment]:
    """Consecutive scenario records together, bulk records each as they come; a scenario
    answered in several keeps its last answer only."""
    segments: list[_Segment] = []
    records: list[ScenarioRecord] = []
    for item in items:
        if isinstance(item, ScenarioRecord):
            records.append(item)
            continue
        if records:
            segments.append(_Segment.of_records(records))
            records = []
        segments.append(_Segment.of_bulk(item))
    if records:
        segments.append(_Segment.of_records(records))
    later: set[str] = set()
    for i in range(len(segments) - 1, -1, -1):
        keys = segments[i].keys
        segments[i] = segments[i].without(later)
        later.update(keys)
    return segments


def _write_scenarios(con: duckdb.DuckDBPyConnection, items: list[ScenarioRecord | _QuotesRecord]) -> None:
    segments = _segments(items)
    keys = pa.table({"scenario_key": pa.array([k for s in segments for k in s.keys], pa.string())})
    with _registered(con, "_ocdata_new", keys):
        known = con.execute("SELECT scenario_key FROM scenarios WHERE scenario_key IN "
                            "(SELECT scenario_key FROM _ocdata_new)").fetchall()
    if known:  # a refresh: replace the earlier answer (deleting scans the tables, so only when needed)
        _delete_keys(con, _SCENARIO_TABLES, "scenario_key", pa.table({"scenario_key": [k for (k,) in known]}))
    rows = (table_rows for segment in segments for table_rows in segment.rows())
    _pipelined(rows, lambda table_rows: _insert(con, *table_rows))


_Item = TypeVar("_Item")


def _pipelined(produce: Iterator[_Item], consume: Callable[[_Item], None], ahead: int = 2) -> None:
    """``consume`` each item of ``produce`` while another thread produces the next ones.

    Building the frames is Python (it holds the GIL); DuckDB's insert releases it, so on
    two cores the next table is built while this one is appended. At most ``ahead``
    items wait (memory). An exception on either side stops both and is raised here.
    """
    handoff: queue.Queue = queue.Queue(maxsize=ahead)
    stop = threading.Event()
    done = object()

    def hand(item: Any) -> None:
        while not stop.is_set():
            try:
                handoff.put(item, timeout=0.05)
                return
            except queue.Full:
                continue

    def run() -> None:
        try:
            for item in produce:
                if stop.is_set():
                    return
                hand((item,))
            hand(done)
        except BaseException as exc:  # noqa: BLE001 - raised in the consuming thread
            hand(exc)

    producer = threading.Thread(target=run, name="ocdata-cache-frames", daemon=True)
    producer.start()
    try:
        while True:
            got = handoff.get()
            if got is done:
                return
            if isinstance(got, BaseException):
                raise got
            consume(got[0])
    finally:
        stop.set()
        producer.join()


_PRODUCTS = attrgetter("products")


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
    _QuotesRecord: _write_scenarios,  # with single records, in the order they came
    _OrderRecord: _write_orders,
    _HistoryRecord: _write_history,
    _CallRecord: _write_calls,
}


# ---- tables outside the cache's own schema (Cache.append_table): created from the data's columns
@dataclass
class _TableRecord:
    table: str
    data: Any  # pd.DataFrame | pa.Table


def _write_tables(con: duckdb.DuckDBPyConnection, records: list[_TableRecord]) -> None:
    for r in records:
        with _registered(con, "_ocdata_append", r.data):
            con.execute(f"CREATE TABLE IF NOT EXISTS {r.table} AS SELECT * FROM _ocdata_append LIMIT 0")
        _insert(con, r.table, r.data)  # the name was checked to be a plain identifier


_WRITERS[_TableRecord] = _write_tables


class _Writer:
    """The one thread that writes: drains the queue into batched transactions."""

    _FLUSH = object()
    _STOP = object()
    _MAX_BATCH = 50_000  # scenarios in one transaction at most (memory)

    def __init__(self, con: duckdb.DuckDBPyConnection, batch_size: int, interval: float,
                 on_commit: Callable[[int], None] | None, write_lock: threading.Lock | None = None) -> None:
        self._con = con
        # Caches on one file in one process share its connection; their writers take turns so
        # their transactions never conflict (a conflict would lose a whole batch)
        self._write_lock = write_lock or threading.Lock()
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
        if threading.current_thread() is self._thread:
            return  # an on_commit callback reading the cache: this thread has just committed
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
        size = 0  # scenarios (a bulk record counts its scenarios) and other results pending
        first = 0.0
        while True:
            timeout = None if not pending else max(0.0, first + self._interval - time.monotonic())
            try:
                item = self._queue.get(timeout=timeout)
            except queue.Empty:
                item = None
            waiters: list[threading.Event] = []
            stop = False
            # take everything already queued: when results arrive faster than a batch commits,
            # the next batch holds all of them instead of the queue growing
            while item is not None:
                if isinstance(item, tuple) and len(item) == 2 and item[0] in (self._FLUSH, self._STOP):
                    waiters.append(item[1])
                    stop = stop or item[0] is self._STOP
                else:
                    if not pending:
                        first = time.monotonic()
                    pending.append(item)
                    size += len(item.keys) if isinstance(item, _QuotesRecord) else 1
                if waiters or size >= self._MAX_BATCH:
                    break
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    item = None
            due = waiters or size >= self._batch_size or time.monotonic() - first >= self._interval
            if pending and due:
                self._write(pending)
                pending, size = [], 0
            for waiter in waiters:
                waiter.set()
            if stop:
                return

    def _write(self, items: list[Any]) -> None:
        grouped: dict[Callable, list] = {writer: [] for writer in _WRITERS.values()}
        scenarios = 0
        for item in items:
            grouped[_WRITERS[type(item)]].append(item)
            scenarios += len(item.keys) if isinstance(item, _QuotesRecord) else isinstance(item, ScenarioRecord)
        con = self._con
        with self._write_lock:
            try:
                con.execute("BEGIN TRANSACTION")
                for writer, records in grouped.items():
                    if records:
                        writer(con, records)
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
                self._on_commit(scenarios)
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


DAMAGED_HINT = ("It only holds fetched results: delete the file (a re-run fetches them again) or use "
                "another path (Cache('other.duckdb') / OCDATA_CACHE=...).")


def _open_error(path: str, exc: BaseException) -> CacheError:
    """A :class:`CacheError` saying what to do, for an error opening or reading the cache file."""
    text = str(exc)
    if isinstance(exc, CacheError):
        return exc
    if isinstance(exc, duckdb.IOException) and "lock" in text.lower():
        holder = re.search(r"PID (\d+)", text)
        who = f"process {holder.group(1)}" if holder else "another process"
        hint = ("Only one process may have a DuckDB file open for writing, and none may read it meanwhile: "
                "close the cache there (cache.close(), or restart that Jupyter kernel), or use a separate "
                "cache file (Cache('other.duckdb') / OCDATA_CACHE=...). Once no process writes it, any number of "
                "processes can read it with Cache(path, read_only=True).")
        return CacheLockedError(f"the cache {path} is in use by {who}. {hint}")
    if "not a valid duckdb database" in text.lower() or "corrupt" in text.lower() or "checksum" in text.lower():
        return CacheError(f"the cache {path} is damaged or not a DuckDB file ({text.splitlines()[0]}). {DAMAGED_HINT}")
    if isinstance(exc, (NotADirectoryError, FileExistsError)):
        return CacheError(f"cannot create the cache {path}: a part of the path is a regular file, not a folder "
                          f"({exc.strerror}: {exc.filename}); give a path inside a folder")
    if isinstance(exc, IsADirectoryError) or "is a directory" in text.lower():
        return CacheError(f"cannot open the cache {path}: it is a folder; give a file path such as "
                          f"{Path(path) / 'ocdata.duckdb'}")
    if isinstance(exc, PermissionError) or "permission denied" in text.lower():
        return CacheError(f"cannot open the cache {path}: permission denied ({text.splitlines()[0]}); give a path "
                          f"you can write, or open it with Cache(path, read_only=True)")
    return CacheError(f"cannot open the cache {path}: {text.splitlines()[0] if text else type(exc).__name__}. "
                      f"{DAMAGED_HINT}")


def _connect(path: str, read_only: bool) -> duckdb.DuckDBPyConnection:
    try:
        return duckdb.connect(path, read_only=read_only)
    except duckdb.Error as exc:
        raise _open_error(path, exc) from exc


@dataclass
class _SharedFile:
    """One DuckDB connection per cache file per process, shared by every ``Cache`` on it.

    DuckDB allows one database instance per file per process anyway; sharing it makes a
    second ``Cache`` on the file (a notebook cell run twice, two studies) a cheap view of the
    same data, lets opening threads create and migrate a new file exactly once, and lets the
    writers serialise their transactions (``write_lock``) instead of conflicting.
    """

    con: duckdb.DuckDBPyConnection
    read_only: bool
    users: int = 0
    write_lock: threading.Lock = field(default_factory=threading.Lock)


_FILES: dict[str, _SharedFile] = {}
_FILES_LOCK = threading.Lock()


def _acquire(path: str, read_only: bool) -> _SharedFile:
    """The shared connection for ``path`` (opened, migrated or checked if new here)."""
    key = os.path.realpath(path)
    with _FILES_LOCK:
        shared = _FILES.get(key)
        if shared is not None:
            if shared.read_only and not read_only:
                raise CacheError(f"the cache {path} is open read-only in this process; close that Cache first "
                                 f"(or open this one with read_only=True too)")
            shared.users += 1
            return shared
        con = _connect(path, read_only)
        try:
            if read_only:
                version = current_version(con)
                if version != LATEST:
                    raise SchemaError(f"the cache {path} has schema version {version}, this ocdata uses {LATEST}: "
                                      f"open it once read-write (Cache(path)) to migrate it")
            else:
                migrate(con)
            check(con, f"the cache {path}")
        except BaseException as exc:
            con.close()
            if isinstance(exc, duckdb.Error):
                raise _open_error(path, exc) from exc
            raise
        shared = _SharedFile(con, read_only, users=1)
        _FILES[key] = shared
        return shared


def _release(path: str, shared: _SharedFile) -> None:
    key = os.path.realpath(path)
    with _FILES_LOCK:
        shared.users -= 1
        if shared.users > 0:
            return
        if _FILES.get(key) is shared:
            del _FILES[key]
    shared.con.close()


class Cache:
    """A DuckDB file (or ``":memory:"``) holding stores, studies, scenarios, quotes, orders and calls.

    ``batch_size``/``flush_interval`` bound how much a crash can lose: finished results
    are committed once ``batch_size`` scenarios are pending, and at least every
    ``flush_interval`` seconds (a shorter interval costs CPU: each commit has a fixed
    cost of tens of ms). :meth:`sql` commits what is pending before it reads, so this
    process always reads its own writes. ``on_commit(n)`` (optional)
    is called by the writer thread after each committed batch with the number of
    scenarios it held.
    """

    def __init__(self, path: str | os.PathLike | None = None, *, read_only: bool = False, batch_size: int = 1000,
                 flush_interval: float = 2.0, on_commit: Callable[[int], None] | None = None) -> None:
        path = str(default_path() if path is None else path)
        self.path = path
        self.read_only = bool(read_only)
        in_memory = path == ":memory:"
        if in_memory and read_only:
            raise CacheError("an in-memory cache cannot be read-only: it would always be empty")
        self._shared: _SharedFile | None = None
        if not in_memory:
            file = Path(path).expanduser()
            if read_only and not file.exists():
                raise CacheError(f"no cache at {file}: run a study first, or give the right path")
            if not read_only:
                try:
                    file.parent.mkdir(parents=True, exist_ok=True)
                except OSError as exc:
                    raise _open_error(str(file), exc) from exc
            path = str(file)
            self._shared = _acquire(path, self.read_only)
            self._con = self._shared.con
        else:
            self._con = _connect(path, False)
            try:
                migrate(self._con)
            except BaseException:
                self._con.close()
                raise
        self._file_path = path
        self._lock = threading.Lock()
        self._local = threading.local()
        self._cursors: list[duckdb.DuckDBPyConnection] = []
        self._writer: _Writer | None = None
        self._batch_size = batch_size
        self._flush_interval = flush_interval
        self._on_commit = on_commit
        self._closed = False
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
        """Run a query and return the result as a DataFrame (``params`` fill ``?``/``$name``).

        What this process handed the writer is committed first (read your own writes)."""
        cur = self._cursor()
        writer = self._writer
        if writer is not None:
            writer.flush()
        try:
            result = cur.sql(query, params=params) if params is not None else cur.sql(query)
            table = result.to_arrow_table() if result is not None else None
        except duckdb.Error as exc:
            text = str(exc)
            if "corrupt" in text.lower() or "checksum" in text.lower() or isinstance(exc, duckdb.IOException):
                raise _open_error(self.path, exc) from exc
            raise CacheError(f"the query failed: {text}. The cache's tables: {', '.join(self._table_names())}") from exc
        return _frame_of(cur, table) if table is not None else pd.DataFrame()

    def _table_names(self) -> list[str]:
        try:
            return [r[0] for r in self._cursor().execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' ORDER BY 1").fetchall()]
        except duckdb.Error:
            return []

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

    def fresh_keys(self, keys: Iterable[str], max_age: Any = None, *, retry_errors: bool = False) -> set[str]:
        """The scenario keys already cached with an answer worth reusing.

        A cached answer is reused unless it is older than ``max_age`` or the scenario
        ``failed`` (network error, HTTP 5xx, unreadable answer...): a failure is never an
        answer. A store's refusal of the scenario (validation, not found) is reused
        unless ``retry_errors``.
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
                "WHERE NOT coalesce(s.retryable, false) AND s.status <> ? AND (s.status = ? OR NOT ?) "
                "AND s.fetched_at >= ?", [STATUS_FAILED, STATUS_OK, bool(retry_errors), cutoff]).fetchall()
        except duckdb.Error as exc:
            raise _open_error(self.path, exc) from exc
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
                self._writer = _Writer(self._con.cursor(), self._batch_size, self._flush_interval, self._on_commit,
                                       self._shared.write_lock if self._shared is not None else None)
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
            if self._shared is not None:
                _release(self._file_path, self._shared)
            else:
                self._con.close()

    def append_table(self, table: str, data: pd.DataFrame | pa.Table) -> None:
        """Append rows to a table of your own (created from the data's columns on first use;
        later rows are matched by column name) through the writer and its Arrow bulk insert.
        Asynchronous like ``record_*``: :meth:`flush` waits for the commit."""
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", table) or table in _OWN_TABLES:
            raise CacheError(f"cannot append to {table!r}: use a new table name of letters, digits and '_' "
                             f"(the cache's own tables are written by its record_* methods)")
        self._put(_TableRecord(table, data))

    def register_store(self, store: Any) -> str:
        """Record a store's identity (first/last seen); returns its key."""
        identity = store_identity(store)
        key = store_key(identity)
        if self.read_only and not self.sql("SELECT 1 FROM stores WHERE store_key = ?", [key]).empty:
            return key  # already known: only its last_seen would change, which a reader need not write
        self._put(_StoreRecord(key, identity))
        return key

    def record_quote(self, store: Any, draft: OrderDraft, quote: Quote | None = None, *,
                     error: BaseException | None = None, elapsed_ms: float | None = None,
                     key: str | None = None, draft_json: str | None = None) -> str:
        """Hand one quote request's outcome (a ``Quote`` or the exception it raised) to the writer.

        Returns the scenario key. Asynchronous: :meth:`flush` waits for the commit. A
        caller that already has the draft's :func:`canonical_json` and its
        :func:`scenario_key` (a study computes them to look the cache up) passes them as
        ``draft_json`` and ``key``: they cost more than the rest of this call.
        """
        identity = store_identity(store)
        if draft_json is None:
            draft_json = canonical_json(draft)
        if key is None:
            key = scenario_key(identity, draft_json)
        self._put(self._scenario_record(key, store_key(identity), draft_json, quote, error, elapsed_ms))
        return key

    def record_quotes(self, store: Any, quotes: Sequence[Quote], *, drafts: Sequence[OrderDraft] | None = None,
                      keys: Sequence[str] | None = None, draft_json: Sequence[str] | None = None,
                      frame: pd.DataFrame | None = None, elapsed_ms: Sequence[float | None] | None = None
                      ) -> list[str]:
        """Hand many answered quote requests to the writer at once; returns their scenario keys.

        What :meth:`record_quote` does for each quote, in one item: the writer builds
        each table's rows for all of them together and appends them in one insert per
        table. ``drafts`` default to each quote's own ``Quote.draft``; ``draft_json`` and
        ``keys`` as for :meth:`record_quote`. ``frame`` is ``to_frame(quotes)`` when the
        caller has it already: written as it is rather than built again. A key given
        twice keeps its last quote. Asynchronous: :meth:`flush` waits for the commit.
        """
        quotes = list(quotes)
        n = len(quotes)
        identity = store_identity(store)
        if draft_json is None:
            draft_json = [canonical_json(d) for d in (drafts if drafts is not None else [q.draft for q in quotes])]
        if keys is None:
            keys = [scenario_key(identity, j) for j in draft_json]
        draft_json, keys = list(draft_json), list(keys)
        elapsed = list(elapsed_ms) if elapsed_ms is not None else None
        if len(keys) != n or len(draft_json) != n or (elapsed is not None and len(elapsed) != n):
            raise ValueError(f"record_quotes: {n} quotes, {len(keys)} keys, {len(draft_json)} drafts"
                             + (f", {len(elapsed)} elapsed_ms" if elapsed is not None else ""))
        if frame is not None:
            _check_quotes_frame(frame, quotes)
        # the frame's builder has read every total line already: the totals table is written from that read
        built = frames.built_from(frame, quotes) if frame is not None else None
        given, last = keys, dict(zip(keys, range(n)))
        if len(last) < n:  # the same scenario twice: its last answer wins, as in one batch of record_quote
            keep = sorted(last.values())
            if frame is not None:
                frame = _quote_rows(frame, np.asarray(keep))
            keys, draft_json, quotes = [keys[i] for i in keep], [draft_json[i] for i in keep], [quotes[i] for i in keep]
            elapsed = [elapsed[i] for i in keep] if elapsed is not None else None
            built = None
        skey = store_key(identity)
        first_rows = np.searchsorted(frame["quote"].to_numpy(), np.arange(0, len(quotes) + _CHUNK, _CHUNK)) \
            if frame is not None else None
        # in chunks: the writer's frames stay small, and it starts on the first while the caller hands the rest
        for c, start in enumerate(range(0, len(quotes), _CHUNK)):
            stop = start + _CHUNK
            part = frame.iloc[first_rows[c]:first_rows[c + 1]] if frame is not None else None
            self._put(_QuotesRecord(keys[start:stop], skey, draft_json[start:stop], quotes[start:stop], part, start,
                                    elapsed[start:stop] if elapsed is not None else None,
                                    batch=built.part(start, stop) if built is not None else None))
        return given

    @staticmethod
    def _scenario_record(key: str, skey: str, draft_json: str, quote: Quote | None, error: BaseException | None,
                         elapsed_ms: float | None) -> ScenarioRecord:
        if quote is None and error is None:
            raise ValueError("record_quote needs a quote or the error it raised")
        if error is None:
            return ScenarioRecord(key, skey, draft_json, quote, elapsed_ms=elapsed_ms)
        status = classify(error)
        if status == "stop":
            raise ValueError(f"{type(error).__name__} is the store refusing the caller, not an answer about this "
                             f"scenario: it is not cached (fix the credentials, IP or clock and fetch again)")
        return ScenarioRecord(key, skey, draft_json, None, error=redact(str(error) or type(error).__name__),
                              error_type=type(error).__name__, retryable=status == STATUS_FAILED,
                              elapsed_ms=elapsed_ms, status=status)

    def record_study(self, study_id: str, store: Any, scenarios: pd.DataFrame, definition: Any = None) -> None:
        """Record a study's grid: ``scenarios`` has scenario_id, scenario_key, cart, destination,
        country, zone, customer_group_id. Replaces an earlier grid of the same study."""
        skey = store_key(store_identity(store)) if store is not None else None
        if self.read_only:
            if self._has_study(study_id, scenarios):
                return  # the same grid is already recorded: a read-only cache can serve it as is
            raise CacheReadOnlyError(f"study {study_id!r} with this grid is not in the read-only cache {self.path}: "
                                     f"open it with Cache(path) to run it")
        self._put(_StudyRecord(study_id, skey, canonical_json(definition), scenarios))

    def _has_study(self, study_id: str, scenarios: pd.DataFrame) -> bool:
        have = self.sql("SELECT scenario_id, scenario_key FROM study_scenarios WHERE study_id = ? "
                        "ORDER BY scenario_id", [study_id])
        want = scenarios[["scenario_id", "scenario_key"]].sort_values("scenario_id")
        return (len(have) == len(want) and have["scenario_id"].astype("int64").tolist() == want["scenario_id"].astype("int64").tolist()
                and have["scenario_key"].astype(str).tolist() == want["scenario_key"].astype(str).tolist())

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
        """Every scenario of a study with its quote rows (columns: :data:`~ocdata.study_schema.STUDY_COLUMNS`)."""
        df = self.sql("SELECT * FROM study_quotes WHERE study = ? ORDER BY scenario_id, option_index", [study_id])
        return frames.conform(df[[c for c in STUDY_COLUMNS if c in df.columns]], STUDY_COLUMNS)

    def study_outcomes(self, study_id: str) -> pd.DataFrame:
        """One row per scenario of a study: its status (ok, refused, failed, pending) and error."""
        df = self.sql("""
            SELECT ss.scenario_id, ss.cart, ss.destination, ss.customer_group_id,
                   coalesce(s.status, 'pending') AS status, s.error_type, s.error, s.fetched_at, ss.scenario_key
            FROM study_scenarios ss LEFT JOIN scenarios s USING (scenario_key)
            WHERE ss.study_id = ? ORDER BY ss.scenario_id""", [study_id])
        return frames.conform(df, OUTCOME_COLUMNS)

    def studies(self) -> pd.DataFrame:
        """The studies in the cache: name, store, scenarios per status, last update."""
        return self.sql("""
            SELECT st.study_id AS study, sto.url AS store, sto.dialect, sto.pricing, st.n_scenarios AS scenarios,
                   count(*) FILTER (WHERE s.status = 'ok') AS ok,
                   count(*) FILTER (WHERE s.status = 'refused') AS refused,
                   count(*) FILTER (WHERE s.status = 'failed') AS failed,
                   count(*) FILTER (WHERE s.status IS NULL) AS pending,
                   st.updated_at
            FROM studies st
            LEFT JOIN stores sto ON sto.store_key = st.store_key
            LEFT JOIN study_scenarios ss ON ss.study_id = st.study_id
            LEFT JOIN scenarios s ON s.scenario_key = ss.scenario_key
            GROUP BY ALL ORDER BY st.updated_at DESC, st.study_id""")

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


_STR = pd.StringDtype("pyarrow", na_value=np.nan)
_TEXT = {pa.string(): _STR, pa.large_string(): _STR, pa.string_view(): _STR}


def _frame_of(con: duckdb.DuckDBPyConnection, table: pa.Table) -> pd.DataFrame:
    """A result as DuckDB's ``.df()`` gives it, except that text is pandas' ``str`` even when
    every value is NULL (``.df()`` gives ``object`` then). Text and dictionary columns go
    through Arrow (several times faster than ``.df()`` for text); the others through
    DuckDB's own conversion, so their dtypes are ``.df()``'s."""
    by_arrow = [pa.types.is_dictionary(f.type) or f.type in _TEXT for f in table.schema]
    if not any(by_arrow):
        return con.from_arrow(table).df()
    others = [i for i, arrow in enumerate(by_arrow) if not arrow]
    rest = con.from_arrow(table.select(others)).df() if others else None
    columns = {i: table.column(i).to_pandas(types_mapper=_TEXT.get) if arrow else rest.iloc[:, others.index(i)]
               for i, arrow in enumerate(by_arrow)}
    df = pd.DataFrame(columns, copy=False)
    df.columns = table.column_names
    return df


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


_OPENED_FOR_USE: set[str] = set()  # default caches opened by using_default(), closed by its last user
_USERS: dict[str, int] = {}


def default_cache() -> Cache:
    """The process's cache at :func:`default_path` (opened once, read-write, kept open)."""
    path = str(default_path())
    with _DEFAULTS_LOCK:
        _OPENED_FOR_USE.discard(path)  # asked for by name: the caller keeps it open
        return _default(path)


def _default(path: str) -> Cache:
    cache = _DEFAULTS.get(path)
    if cache is None or cache._closed:
        cache = _DEFAULTS[path] = Cache(path)
    return cache


@contextlib.contextmanager
def using_default() -> Iterator[Cache]:
    """The default cache for a while (a study's run): the open one, or opened read-write and
    committed and closed when its last user is done, so a Jupyter kernel does not keep other
    processes (``ocdata study``, another kernel) from writing it between runs."""
    path = str(default_path())
    with _DEFAULTS_LOCK:
        opened = path not in _DEFAULTS or _DEFAULTS[path]._closed
        cache = _default(path)
        if opened:
            _OPENED_FOR_USE.add(path)
        _USERS[path] = _USERS.get(path, 0) + 1
    try:
        yield cache
    finally:
        with _DEFAULTS_LOCK:
            _USERS[path] -= 1
            close = _USERS[path] == 0 and path in _OPENED_FOR_USE
            if close:
                _OPENED_FOR_USE.discard(path)
                _DEFAULTS.pop(path, None)
        if close:
            cache.close()


@contextlib.contextmanager
def reading_default() -> Iterator[Cache]:
    """The default cache for a few reads: this process's open one (pending writes committed
    first), else the file opened read-only and closed after (created or migrated first when
    needed), so reading never locks it for other processes."""
    path = str(default_path())
    with _DEFAULTS_LOCK:
        open_cache = _DEFAULTS.get(path)
    if open_cache is not None and not open_cache._closed:
        open_cache.flush()
        yield open_cache
        return
    if path != ":memory:" and not Path(path).expanduser().exists():
        Cache(path).close()  # a first read: an empty cache, as a study would create
    try:
        reader = Cache(path, read_only=True)
    except SchemaError:
        Cache(path).close()  # an older schema: migrate once, then read
        reader = Cache(path, read_only=True)
    with reader:
        yield reader


def sql(query: str, params: Iterable[Any] | Mapping[str, Any] | None = None) -> pd.DataFrame:
    """Query the default cache: ``ocdata.sql("SELECT * FROM study_quotes LIMIT 5")``.

    The file is opened read-only for the query and closed again (:func:`reading_default`), so a
    notebook calling this never keeps other processes from writing the cache.
    """
    with reading_default() as cache:
        return cache.sql(query, params)


def record_order(cache: Cache, draft: OrderDraft | None, result: OrderResult, *, store: Any = None,
                 comment: str = "") -> None:
    """Record a confirmed order (see :meth:`Cache.record_order`)."""
    cache.record_order(draft, result, store=store, comment=comment)


def record_history(cache: Cache, order_id: int, status_id: int, comment: str = "", notify: bool = False, *,
                   store: Any = None) -> None:
    """Record an order status change (see :meth:`Cache.record_history`)."""
    cache.record_history(order_id, status_id, comment, notify, store=store)
