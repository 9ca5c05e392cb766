"""Webhook events in the DuckDB cache: each event id stored once, readable by any process.

The receiver opens the cache file for each delivery and closes it right after the commit,
so ``ocdata sql`` and studies in other processes can open it between deliveries (DuckDB
lets one process write a file at a time). An answer of 200 is sent only after the commit:
what was acknowledged survives a restart, and the primary key on ``event_id`` refuses the
same event again, across restarts too.
"""

from __future__ import annotations

import threading
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable

import duckdb
import pandas as pd

from ocdata.cache import CacheError, CacheLockedError, _connect, default_path
from ocdata.cache_schema import migrate

from .payload import EVENT_TYPES

__all__ = ["EventLog", "EVENT_COLUMNS", "events"]

#: columns of :func:`events` (and of the ``webhook_events`` table), in order
EVENT_COLUMNS = {
    "event_id": "string", "type": "string", "created_at": "datetime64[us]", "received_at": "datetime64[us]",
    "store_url": "string", "store_id": "Int64", "order_id": "Int64", "order_status_id": "Int64",
    "customer_id": "Int64", "product_id": "Int64", "total": "float64", "currency": "string", "payload": "string",
}


def _utc(value: datetime) -> datetime:
    return (value.astimezone(timezone.utc) if value.tzinfo else value).replace(tzinfo=None)


def _row(event: Any, raw: bytes, received_at: datetime) -> dict[str, Any]:
    data = event.data
    total = getattr(data, "total", None)
    currency = getattr(data, "currency_code", None)
    return {
        "event_id": event.id, "type": event.type, "created_at": _utc(event.created), "received_at": received_at,
        "store_url": event.store.url, "store_id": event.store.store_id,
        "order_id": getattr(data, "order_id", None), "order_status_id": getattr(data, "order_status_id", None),
        "customer_id": getattr(data, "customer_id", None), "product_id": getattr(data, "product_id", None),
        "total": float(total) if total is not None else None, "currency": currency,
        "payload": raw.decode("utf-8"),
    }


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.reindex(columns=list(EVENT_COLUMNS))
    return frame.astype(EVENT_COLUMNS)


class EventLog:
    """The ``webhook_events`` table of one cache file.

    ``busy_timeout``: how long :meth:`add` waits for another process that has the file open
    before giving up with :class:`~ocdata.cache.CacheLockedError` (the receiver then answers
    503 with ``Retry-After``, and the sender tries again).
    """

    def __init__(self, path: str | Path | None = None, *, busy_timeout: float = 2.0) -> None:
        self.path = str(Path(path).expanduser()) if path is not None else str(default_path())
        if self.path == ":memory:":
            raise CacheError("webhook events need a cache file (they must survive a restart), not ':memory:'")
        self.busy_timeout = busy_timeout
        self._lock = threading.Lock()  # one writer per process; DuckDB serialises processes by file lock

    def _open(self, read_only: bool) -> duckdb.DuckDBPyConnection:
        deadline = time.monotonic() + self.busy_timeout
        while True:
            try:
                return _connect(self.path, read_only)
            except CacheLockedError:
                if time.monotonic() >= deadline:
                    raise
                time.sleep(0.05)

    def add(self, event: Any, raw: bytes) -> bool:
        """Store one validated event with its raw JSON; ``False`` if its id is already stored."""
        row = pd.DataFrame([_row(event, raw, _utc(datetime.now(timezone.utc)))])
        with self._lock:
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            con = self._open(read_only=False)
            try:
                migrate(con)
                con.register("incoming", _typed(row))
                stored = con.execute("INSERT INTO webhook_events SELECT * FROM incoming "
                                     "ON CONFLICT DO NOTHING RETURNING event_id").fetchall()
                return bool(stored)
            finally:
                con.close()

    def frame(self, types: str | Iterable[str] | None = None, since: datetime | str | None = None) -> pd.DataFrame:
        """Stored events, oldest first (see :func:`events`)."""
        where, params = _filters(types, since)
        if not Path(self.path).exists():
            return _typed(pd.DataFrame())
        con = self._open(read_only=True)
        try:
            tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
            if "webhook_events" not in tables:
                return _typed(pd.DataFrame())
            result = con.execute(f"SELECT * FROM webhook_events {where} ORDER BY received_at, event_id", params)
            return _typed(result.df())
        finally:
            con.close()


def _filters(types: str | Iterable[str] | None, since: datetime | str | None) -> tuple[str, list[Any]]:
    clauses, params = [], []
    if types is not None:
        wanted = [types] if isinstance(types, str) else list(types)
        unknown = sorted(set(wanted) - set(EVENT_TYPES))
        if unknown:
            raise ValueError(f"unknown event type(s) {unknown}: use {', '.join(EVENT_TYPES)}")
        clauses.append("type IN (SELECT unnest(?))")
        params.append(wanted)
    if since is not None:
        moment = datetime.fromisoformat(since) if isinstance(since, str) else since
        clauses.append("created_at >= ?")
        params.append(_utc(moment))
    return ("WHERE " + " AND ".join(clauses) if clauses else ""), params


def events(types: str | Iterable[str] | None = None, since: datetime | str | None = None, *,
           db: str | Path | None = None) -> pd.DataFrame:
    """Webhook events stored in the cache as a DataFrame (one row per event).

    ``types``: one type or several (``"order.created"``...); ``since``: events created at or
    after this moment. Columns: :data:`EVENT_COLUMNS` (``payload`` is the raw JSON; times UTC).
    """
    return EventLog(db).frame(types, since)
