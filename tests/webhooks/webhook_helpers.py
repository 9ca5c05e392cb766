"""Signed posts and sample events for the webhook tests."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timezone

import requests

from ocdata.webhooks.signing import sign_headers

SECRET = "test-secret-0123456789"


def order_created(event_id: str | None = None, **data) -> dict:
    body = {"order_id": 7, "order_status_id": 1, "currency_code": "GBP", "currency_value": "0.78",
            "total": "129.4000", "products": [{"product_id": 40, "quantity": 1, "price": "101", "total": "101"}]}
    body.update(data)
    return {"id": event_id or f"evt_{uuid.uuid4().hex}", "type": "order.created",
            "created": datetime.now(timezone.utc).isoformat(), "store": {"url": "http://shop.test/"},
            "data": body}


def post(url: str, payload: dict | bytes, *, secret: str = SECRET, now: float | None = None,
         headers: dict | None = None) -> requests.Response:
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    event_id = payload["id"] if isinstance(payload, dict) else "evt_raw_body_0"
    sent = sign_headers(secret, event_id, body, now=now)
    sent.update(headers or {})
    return requests.post(url, data=body, headers=sent, timeout=10)


