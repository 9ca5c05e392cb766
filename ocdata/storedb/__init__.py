"""The store's own data — catalog, customers, orders, returns, tax — read from its database.

>>> db = ocdata.storedb.connect("mysql://analyst:pw@db-replica/shop")       # doctest: +SKIP
>>> db.products(); db.orders(); db.categories()                             # doctest: +SKIP

OpenCart's API exposes none of this, but analysts have read access to the store's
MySQL/MariaDB database (often a replica). :func:`connect` reads it through a read-only
session (:mod:`ocdata.storedb.mysql`); :func:`from_sandbox` (or ``serve(...).storedb()``)
gives the same frames for the embedded sandbox (:mod:`ocdata.storedb.sandbox`). Columns
and dtypes: :data:`ocdata.storedb.columns.COLUMNS`.
"""

from ocdata.storedb.columns import COLUMNS
from ocdata.storedb.errors import (
    MissingTableError,
    ReadOnlyError,
    SchemaNotFoundError,
    StoreDBConfigError,
    StoreDBConnectionError,
    StoreDBError,
    UnsupportedVersionError,
)
from ocdata.storedb.mysql import MySQLStoreDB, connect
from ocdata.storedb.reader import FRAMES, StoreDB
from ocdata.storedb.sandbox import SandboxStoreDB, from_sandbox
from ocdata.storedb.snapshot import read_snapshot, snapshot, snapshots
from ocdata.storedb.studies import carts_from, in_category, with_products

__all__ = [
    "connect", "from_sandbox", "snapshot", "snapshots", "read_snapshot", "carts_from", "in_category",
    "with_products", "StoreDB", "MySQLStoreDB", "SandboxStoreDB", "FRAMES", "COLUMNS",
    "StoreDBError", "StoreDBConfigError", "StoreDBConnectionError", "SchemaNotFoundError", "MissingTableError",
    "UnsupportedVersionError", "ReadOnlyError",
]
