"""Webhooks: order, customer and product events from a store into the DuckDB cache.

:func:`serve` starts a receiver (``ocdata events serve`` on the command line) that verifies
each delivery (:mod:`.signing`), validates it (:mod:`.payload`, JSON Schema in
``payload.schema.json``) and stores it once (:mod:`.storage`); :func:`events` reads them back
as a DataFrame, and ``ocdata sql`` sees the ``webhook_events`` table. The sandbox sends
them (``serve(webhooks=...)``), and so does the OpenCart extension in
``extras/opencart-webhooks`` on a real store.
"""

from .payload import EVENT_TYPES, json_schema, parse_event
from .receiver import Outcome, Receiver, serve
from .signing import sign_headers, signature, verify_signature
from .storage import EVENT_COLUMNS, EventLog, events

__all__ = [
    "EVENT_TYPES", "EVENT_COLUMNS", "EventLog", "Outcome", "Receiver", "events", "json_schema", "parse_event",
    "serve", "sign_headers", "signature", "verify_signature",
]
