"""What a study's scenario came to, and the columns of a study's frame.

Shared by the cache (which stores a status per scenario) and the study (which reports
them), so both sit above this module and neither imports the other's internals.

A scenario's ``status``:

* ``ok`` — the store priced it (its rows may still say ``unavailable`` or ``no_shipping``:
  that is the store's answer);
* ``refused`` — the store refused *this scenario* (validation, an unknown product or
  zone): a property of the scenario, cached like an answer; ``retry_errors=True`` asks again;
* ``failed`` — no usable answer (network, timeout, HTTP 5xx, a non-JSON or PHP-warning
  answer, an unexpected exception): never served from the cache as an answer, the next
  run fetches it again;
* ``pending`` — not fetched yet.

Errors that are not about a scenario — the store rejecting the API user or key, the IP,
the signature or the clock (:data:`STOP_ERRORS`) — are never recorded as a scenario's
answer: they stop the run (:func:`classify` returns ``"stop"``).
"""

from __future__ import annotations

from ocdata import frames
from ocdata.client.errors import (
    AuthenticationError,
    ConfigurationError,
    OcdataError,
    PermissionDeniedError,
    ProtocolError,
    SessionExpiredError,
)

__all__ = ["STATUS_OK", "STATUS_REFUSED", "STATUS_FAILED", "STATUS_PENDING", "SCENARIO_STATUSES",
           "STOP_ERRORS", "classify", "STUDY_COLUMNS", "OUTCOME_COLUMNS"]

STATUS_OK = "ok"
STATUS_REFUSED = "refused"
STATUS_FAILED = "failed"
STATUS_PENDING = "pending"
SCENARIO_STATUSES = (STATUS_OK, STATUS_REFUSED, STATUS_FAILED, STATUS_PENDING)

#: the store refuses the caller, not the scenario: the run stops and nothing is cached
STOP_ERRORS: tuple[type[BaseException], ...] = (AuthenticationError, PermissionDeniedError, ConfigurationError)


def classify(error: BaseException) -> str:
    """``"refused"``, ``"failed"`` or ``"stop"`` for the exception a scenario's quote raised.

    ``should_retry`` (the client's verdict) decides between failed and refused; a
    protocol error (the store answered something unreadable) and any exception that is
    not a client error (a bug, an unexpected failure) count as failed.
    """
    if isinstance(error, STOP_ERRORS):
        return "stop"
    if not isinstance(error, OcdataError) or isinstance(error, (ProtocolError, SessionExpiredError)):
        return STATUS_FAILED
    return STATUS_FAILED if error.should_retry else STATUS_REFUSED


STUDY_COLUMNS: dict[str, tuple[str, str]] = {
    "study": ("category", "study name (its id in the cache)"),
    "store": ("category", "store URL"),
    "scenario_id": ("int64", "position of the scenario in the grid"),
    "cart": ("category", "cart label"),
    "destination": ("category", "destination label"),
    "country": ("category", "ISO country code (or store country id) of the destination"),
    "zone": ("category", "zone code (or store zone id) of the destination; empty: none"),
    "customer_group_id": ("int64", "customer group priced (0: the store's default)"),
    **{k: v for k, v in frames.QUOTE_COLUMNS.items() if k not in ("quote", "dialect", "pricing", "text")},
    "status": ("category", "the row: ok, unavailable, no_shipping, error (a shipping quote's own error); "
                           "the scenario: refused, failed or pending"),
    "scenario_status": ("category", "the scenario: ok, refused, failed or pending (see ocdata.study_schema)"),
    "error_type": ("category", "error class when the scenario was refused or failed, e.g. ValidationError"),
    "dialect": ("category", "wire dialect"),
    "pricing": ("category", "api, storefront or session"),
    "fetched_at": ("datetime64[us]", "when the store answered (UTC)"),
    "scenario_key": ("str", "cache key: hash of store identity and draft"),
    **frames.CURRENCY_COLUMNS,  # which currency cost and the totals are in (see ocdata.frames)
}
"""Columns of :meth:`ocdata.study.Study.run`'s frame: ``{column: (dtype, meaning)}``."""

OUTCOME_COLUMNS: dict[str, tuple[str, str]] = {
    "scenario_id": ("int64", "position of the scenario in the grid"),
    "cart": ("category", "cart label"),
    "destination": ("category", "destination label"),
    "customer_group_id": ("int64", "customer group priced"),
    "status": ("category", "ok, refused, failed or pending"),
    "error_type": ("category", "error class when refused or failed"),
    "error": ("str", "the store's (or the network's) message when refused or failed"),
    "fetched_at": ("datetime64[us]", "when the store answered (UTC)"),
    "scenario_key": ("str", "cache key"),
}
"""Columns of :meth:`ocdata.study.Study.outcomes`: one row per scenario."""
