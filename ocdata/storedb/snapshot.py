"""Store-database frames into the DuckDB cache, stamped with when and from where they were read.

>>> ocdata.storedb.snapshot(db)                          # every frame, default cache  # doctest: +SKIP
>>> ocdata.sql("SELECT source, snapshot_at, count(*) FROM storedb_products GROUP BY ALL")   # doctest: +SKIP
>>> ocdata.storedb.read_snapshot("products")             # the latest one, typed      # doctest: +SKIP

Each frame goes to a table ``storedb_<frame>`` (``storedb_products``, ``storedb_orders`` …)
with three leading columns: ``snapshot_at`` (UTC start of the :func:`snapshot` call: the
frames of one call share it, so they join), ``read_at`` (UTC time this frame was read) and
``source`` (the database it came from, without credentials). Snapshots accumulate, so a table holds
the store's history; :func:`read_snapshot` picks one. Tables are created with every
documented column (PII columns too, empty unless a snapshot asked for ``pii=True``), so
later snapshots always fit. Writes go through the cache's writer and its Arrow bulk insert
(:meth:`ocdata.cache.Cache.append_table`).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timezone
from typing import Any

import pandas as pd

from ocdata.storedb.columns import COLUMNS, empty, typed

__all__ = ["snapshot", "read_snapshot", "snapshots", "table_name", "source_of"]


def table_name(kind: str) -> str:
    """The cache table of a frame: ``storedb_<frame>``."""
    if kind not in COLUMNS:
        raise ValueError(f"unknown frame {kind!r}; frames: {', '.join(COLUMNS)}")
    return f"storedb_{kind}"


def source_of(db: Any) -> str:
    """A credential-free name of a reader's database (``mysql://user@host:3306/shop prefix=oc_``)."""
    text = repr(db).strip("<>")
    return text.split(" ", 1)[1] if " " in text else text


def _utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def _cache(cache: Any) -> Any:
    if cache is None:
        from ocdata.cache import default_cache

        return default_cache()
    return cache


def snapshot(db: Any, cache: Any = None, kinds: Iterable[str] | None = None, *, pii: bool = False,
             language: int | str | None = None) -> pd.DataFrame:
    """Read frames from ``db`` and append them to the cache; returns one row per frame written
    (``frame``, ``table``, ``rows``, ``snapshot_at``, ``read_at``, ``source``). Waits for the commit."""
    from ocdata.storedb.reader import FRAMES

    cache = _cache(cache)
    source = source_of(db)
    started = _utcnow()
    written = []
    for kind in kinds or FRAMES:
        table = table_name(kind)
        frame = db.frame(kind, pii=pii, language=language)
        at = _utcnow()
        full = empty(kind, pii=True)
        full = pd.concat([full, frame], ignore_index=True) if len(frame) else full
        full = full.astype(empty(kind, pii=True).dtypes.to_dict())  # concat must not widen dtypes
        full.insert(0, "source", pd.Series([source] * len(full), dtype="str"))
        full.insert(0, "read_at", pd.Series([at] * len(full), dtype="datetime64[ns]"))
        full.insert(0, "snapshot_at", pd.Series([started] * len(full), dtype="datetime64[ns]"))
        cache.append_table(table, full)
        written.append({"frame": kind, "table": table, "rows": len(frame), "snapshot_at": started,
                        "read_at": at, "source": source})
    cache.flush()
    return pd.DataFrame(written)


def snapshots(cache: Any = None) -> pd.DataFrame:
    """Every snapshot in the cache: ``frame``, ``source``, ``snapshot_at``, ``rows``."""
    cache = _cache(cache)
    tables = [t for t in cache.tables() if t.startswith("storedb_") and t[len("storedb_"):] in COLUMNS]
    if not tables:
        return pd.DataFrame({"frame": pd.Series(dtype="str"), "source": pd.Series(dtype="str"),
                             "snapshot_at": pd.Series(dtype="datetime64[ns]"), "rows": pd.Series(dtype="int64")})
    union = " UNION ALL ".join(
        f"SELECT '{t[len('storedb_'):]}' AS frame, source, snapshot_at, count(*) AS rows FROM {t} "
        f"GROUP BY source, snapshot_at" for t in tables)
    return cache.sql(f"SELECT * FROM ({union}) ORDER BY snapshot_at, frame").reset_index(drop=True)


def read_snapshot(kind: str, cache: Any = None, *, source: str | None = None,
                  at: Any = None, pii: bool = False) -> pd.DataFrame:
    """One snapshot of a frame, with its documented dtypes: the latest (of ``source``, if given),
    or the latest taken at or before ``at``. Empty (with the columns) when there is none."""
    cache = _cache(cache)
    table = table_name(kind)
    if table not in cache.tables():
        return empty(kind, pii=pii)
    where, params = [], []
    if source is not None:
        where.append("source = ?")
        params.append(source)
    if at is not None:
        where.append("snapshot_at <= ?")
        params.append(pd.Timestamp(at).to_pydatetime())
    cond = " AND ".join(where) or "TRUE"
    df = cache.sql(f"SELECT * FROM {table} WHERE {cond} AND snapshot_at = "
                   f"(SELECT max(snapshot_at) FROM {table} WHERE {cond})", params * 2)
    return typed(df, kind, pii=pii, unescape=False)
