"""Signing and verifying webhook deliveries (HMAC-SHA256 over the timestamp and the raw body).

A delivery carries three headers::

    X-Ocdata-Event-Id:  the event's id (also in the body)
    X-Ocdata-Timestamp: Unix seconds when it was signed
    X-Ocdata-Signature: v1=<hex HMAC-SHA256(secret, "<timestamp>." + raw body)>

Signing the timestamp with the body lets the receiver refuse an old delivery replayed with
its original signature; the event id lets it refuse the same event twice. Several ``v1=``
values separated by commas are accepted, so a secret can be rotated without downtime.
"""

from __future__ import annotations

import hashlib
import hmac
import time

from ocdata.client.credentials import Secret

__all__ = [
    "HEADER_ID", "HEADER_TIMESTAMP", "HEADER_SIGNATURE", "DEFAULT_WINDOW", "signature", "sign_headers",
    "verify_signature", "timestamp_ok",
]

HEADER_ID = "X-Ocdata-Event-Id"
HEADER_TIMESTAMP = "X-Ocdata-Timestamp"
HEADER_SIGNATURE = "X-Ocdata-Signature"
#: seconds a signed delivery stays acceptable either side of the receiver's clock
DEFAULT_WINDOW = 300


def _key(secret: Secret | str) -> bytes:
    return (secret.reveal() if isinstance(secret, Secret) else secret).encode("utf-8")


def signature(secret: Secret | str, timestamp: int | str, body: bytes) -> str:
    """``v1=<hex>`` for ``body`` signed at ``timestamp``."""
    mac = hmac.new(_key(secret), str(timestamp).encode("ascii") + b"." + body, hashlib.sha256)
    return "v1=" + mac.hexdigest()


def sign_headers(secret: Secret | str, event_id: str, body: bytes, now: float | None = None) -> dict[str, str]:
    """The headers a delivery of ``body`` needs."""
    ts = int(time.time() if now is None else now)
    return {
        "Content-Type": "application/json",
        HEADER_ID: event_id,
        HEADER_TIMESTAMP: str(ts),
        HEADER_SIGNATURE: signature(secret, ts, body),
    }


def verify_signature(secret: Secret | str, timestamp: str, body: bytes, header: str) -> bool:
    """Whether one of the header's ``v1=`` values signs ``timestamp`` + ``body`` (constant time)."""
    if not timestamp or not timestamp.isdigit() or len(timestamp) > 12:
        return False
    expected = signature(secret, timestamp, body)
    ok = False
    for part in (header or "").split(","):
        ok |= hmac.compare_digest(part.strip().encode("ascii", "replace"), expected.encode("ascii"))
    return ok


def timestamp_ok(timestamp: str, window: float = DEFAULT_WINDOW, now: float | None = None) -> bool:
    """Whether a (verified) timestamp is within ``window`` seconds of now, either side."""
    now = time.time() if now is None else now
    return abs(now - int(timestamp)) <= window
