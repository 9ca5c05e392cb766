"""The client's exceptions. Every message says what happened and what to do next.

``should_retry`` says whether the same call may succeed later without changing anything:
True for :class:`TransportError` (no answer, a timeout, a 5xx or 429 after the transport's
retries) and :class:`SessionExpiredError`; False for refusals, protocol breaches and
:class:`OrderStateUnknownError` (an order write is never repeated blindly). A study must not
cache an error with ``should_retry=True`` as the store's answer.
``order_may_exist`` is True only on :class:`OrderStateUnknownError`: the order write reached
(or may have reached) the store, so look before writing again.

Bodies are kept only as a short snippet with secrets removed (:func:`snippet`), so an
exception can be printed in a notebook or logged without leaking the API key, a
session token or a signature.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "OcdataError",
    "ConfigurationError",
    "AuthenticationError",
    "PermissionDeniedError",
    "PermissionError_",
    "ValidationError",
    "NotFoundError",
    "ProtocolError",
    "TransportError",
    "SessionExpiredError",
    "OrderStateUnknownError",
    "UnsupportedOperationError",
    "OcdataWarning",
    "snippet",
]

SNIPPET_CHARS = 200


def snippet(body: Any, limit: int = SNIPPET_CHARS) -> str:
    """A short, single-line, secret-free excerpt of a response body for messages."""
    from .credentials import redact  # late: credentials imports nothing from here at import time

    if body is None:
        return ""
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    flat = " ".join(str(body).split())
    flat = redact(flat)
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


class OcdataError(Exception):
    """Base of every client error.

    ``status`` is the HTTP status (None when no answer), ``body`` a redacted snippet of
    the answer, ``should_retry`` whether repeating the same call may succeed.
    """

    should_retry_default = False
    #: True when an order write may have happened (see :class:`OrderStateUnknownError`)
    order_may_exist = False

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        body: Any = None,
        should_retry: bool | None = None,
        dialect: str | None = None,
        call: str | None = None,
    ) -> None:
        from .credentials import redact

        self.message = redact(message)
        self.status = status
        self.body = snippet(body)
        self.should_retry = self.should_retry_default if should_retry is None else should_retry
        self.dialect = dialect
        self.call = call
        super().__init__(self.message)

    def __str__(self) -> str:
        parts = [self.message]
        where = " ".join(p for p in (self.dialect, self.call) if p)
        if where or self.status is not None:
            parts.append(f"[{where}{' ' if where and self.status is not None else ''}"
                         f"{'HTTP ' + str(self.status) if self.status is not None else ''}]")
        if self.body:
            parts.append(f"store said: {self.body}")
        return " ".join(parts)


class ConfigurationError(OcdataError):
    """Missing or contradictory connection settings (URL, credentials, dialect)."""

    should_retry_default = False


class AuthenticationError(OcdataError):
    """The store rejected the API user name or key."""

    should_retry_default = False


class PermissionDeniedError(OcdataError):
    """The store refused the call: IP not allowed, bad signature, clock skew (4.1 cannot tell which)."""

    should_retry_default = False


PermissionError_ = PermissionDeniedError


class ValidationError(OcdataError):
    """The store rejected the draft. ``fields`` maps the store's field keys to its messages."""

    should_retry_default = False

    def __init__(self, message: str, *, fields: dict[str, str] | None = None, **kw: Any) -> None:
        from .models import text

        self.fields = {str(k): text(v) for k, v in (fields or {}).items()}
        if self.fields and "fix" not in message:
            detail = "; ".join(f"{k}: {v}" for k, v in self.fields.items())
            message = f"{message} ({detail}). Fix these fields in the draft and call again."
        super().__init__(message, **kw)


class NotFoundError(OcdataError):
    """A product, customer, address, country or order the call names does not exist in the store."""

    should_retry_default = False

    def __init__(self, message: str, *, fields: dict[str, str] | None = None, **kw: Any) -> None:
        self.fields = dict(fields or {})
        super().__init__(message, **kw)


class ProtocolError(OcdataError):
    """The answer is not what the dialect promises (non-JSON, HTML error page, unknown shape)."""

    should_retry_default = False


class TransportError(OcdataError):
    """No usable HTTP answer (connection refused, timeout, 5xx or 429 after retries): try again later."""

    should_retry_default = True


class SessionExpiredError(OcdataError):
    """Internal: the store no longer knows the session token; session dialects log in again once."""

    should_retry_default = True


class OrderStateUnknownError(TransportError):
    """A call that writes an order (confirm, order history) may have reached the store but gave
    no usable answer (lost, timed out, 5xx, not JSON, no order id, session refused): the order may
    exist. Never repeated automatically, not even after a re-login. ``order_id`` is known when
    editing an existing order; the message says where to check (Sales > Orders).
    """

    should_retry_default = False
    order_may_exist = True

    def __init__(self, message: str, *, order_id: int | None = None, **kw: Any) -> None:
        self.order_id = order_id
        super().__init__(message, **kw)


class UnsupportedOperationError(OcdataError):
    """The store's API version has no way to do this (e.g. subscriptions on 4.0/3.0)."""

    should_retry_default = False


class OcdataWarning(UserWarning):
    """Something about the store that changes what its numbers mean (shown once per store)."""
