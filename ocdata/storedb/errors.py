"""Errors of the store-database reader, in the project's :class:`~ocdata.client.errors.OcdataError` tree.

Every message says what to do next. Messages pass through the same redactor as the
API client's, so a database password registered by :func:`ocdata.storedb.connect`
never appears in them.
"""

from __future__ import annotations

from ocdata.client.errors import ConfigurationError, OcdataError

__all__ = [
    "StoreDBError",
    "StoreDBConfigError",
    "StoreDBConnectionError",
    "SchemaNotFoundError",
    "MissingTableError",
    "UnsupportedVersionError",
    "ReadOnlyError",
]


class StoreDBError(OcdataError):
    """Base of every store-database error."""


class StoreDBConfigError(StoreDBError, ConfigurationError):
    """The connection URL or an argument cannot be used (scheme, missing database, unknown language)."""


class StoreDBConnectionError(StoreDBError):
    """The database could not be reached, refused the login, or the connection was lost."""

    should_retry_default = True


class SchemaNotFoundError(StoreDBError):
    """No OpenCart tables with the given prefix in this database (wrong prefix or database)."""


class MissingTableError(StoreDBError):
    """The schema lacks a table or column ocdata reads (a partial copy, or a modified store)."""


class UnsupportedVersionError(StoreDBError):
    """The schema version asked for (or detected) is not one ocdata knows how to read."""


class ReadOnlyError(StoreDBError):
    """The session refused a write: the reader is read-only by construction."""
