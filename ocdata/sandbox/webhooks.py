"""The sandbox sends webhooks: each engine change becomes a signed delivery to every endpoint.

``serve(webhooks=[Webhook(url, secret)])`` (or ``ocdata sandbox --webhook URL --webhook-secret S``)
attaches an :class:`Emitter`. A change only queues its event (the store's answer never waits
for a receiver); one thread per endpoint delivers in order, re-signing each attempt, and
retries timeouts, connection errors, 408, 429 and 5xx with capped, jittered exponential
backoff (``Retry-After`` honoured up to the cap). 2xx and 409 (already stored) end an event;
another 4xx is final. Every attempt is in :attr:`Emitter.log` (``Sandbox.webhook_log()`` as
a DataFrame).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import queue
import random
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any, Callable, Iterable

import requests

from ocdata.client.credentials import Secret, mask
from ocdata.webhooks.payload import EVENT_TYPES, parse_event
from ocdata.webhooks.signing import sign_headers

__all__ = ["Webhook", "Delivery", "Emitter", "webhooks_of", "delivery_frame"]

log = logging.getLogger("ocdata.sandbox.webhooks")

_RETRY_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})


@dataclass(frozen=True)
class Webhook:
    """One endpoint: where to send, the shared secret, which event types, and the retry policy."""

    url: str
    secret: Secret
    events: tuple[str, ...] = EVENT_TYPES
    timeout: float = 5.0
    max_attempts: int = 6
    backoff: float = 0.5
    max_backoff: float = 30.0

    def __post_init__(self) -> None:
        if not isinstance(self.secret, Secret):
            object.__setattr__(self, "secret", Secret(str(self.secret)))
        unknown = sorted(set(self.events) - set(EVENT_TYPES))
        if unknown:
            raise ValueError(f"unknown webhook event type(s) {unknown}: use {', '.join(EVENT_TYPES)}")
        if not self.url.startswith(("http://", "https://")):
            raise ValueError(f"a webhook URL starts with http:// or https://, not {self.url!r}")

    def delay(self, attempt: int, retry_after: str | None = None) -> float:
        """Seconds before attempt ``attempt + 1``: doubling from ``backoff``, jittered, capped."""
        if retry_after and retry_after.strip().isdigit():
            return min(float(retry_after), self.max_backoff)
        return min(self.max_backoff, self.backoff * 2 ** (attempt - 1)) * random.uniform(0.5, 1.0)

    def __repr__(self) -> str:
        return f"Webhook(url={self.url!r}, secret={mask(self.secret.reveal())}, events={self.events})"


def webhooks_of(value: Any) -> list[Webhook]:
    """``serve(webhooks=...)``: a :class:`Webhook`, a dict of its fields, or a list of either."""
    if value is None:
        return []
    items = value if isinstance(value, (list, tuple)) else [value]
    return [w if isinstance(w, Webhook) else Webhook(**w) for w in items]


@dataclass(frozen=True)
class Delivery:
    """One delivery attempt. ``outcome``: delivered, duplicate, retry, failed or dropped."""

    event_id: str
    type: str
    url: str
    attempt: int
    outcome: str
    status: int | None = None
    error: str = ""
    elapsed_ms: float = 0.0
    at: datetime = field(default_factory=lambda: datetime.now(timezone.utc))


def _money(value: float | None) -> str | None:
    return None if value is None else str(Decimal(repr(float(value))).quantize(Decimal("0.0001")))


class _Endpoint:
    """A queue and a delivery thread for one webhook."""

    def __init__(self, hook: Webhook, record: Callable[[Delivery], None], size: int) -> None:
        self.hook = hook
        self.record = record
        self.queue: queue.Queue[tuple[str, str, bytes] | None] = queue.Queue(maxsize=size)
        self.session = requests.Session()
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, name=f"ocdata-webhook:{hook.url}", daemon=True)
        self.thread.start()

    def put(self, event_id: str, kind: str, body: bytes) -> None:
        try:
            self.queue.put_nowait((event_id, kind, body))
        except queue.Full:  # never block the store: say what was lost instead
            self.record(Delivery(event_id, kind, self.hook.url, 0, "dropped", error="queue full"))

    def _run(self) -> None:
        while True:
            item = self.queue.get()
            try:
                if item is None:
                    return
                self._deliver(*item)
            finally:
                self.queue.task_done()

    def _deliver(self, event_id: str, kind: str, body: bytes) -> None:
        hook = self.hook
        for attempt in range(1, hook.max_attempts + 1):
            started = time.monotonic()
            status, error, retry_after = None, "", None
            try:
                answer = self.session.post(hook.url, data=body, timeout=hook.timeout, allow_redirects=False,
                                           headers=sign_headers(hook.secret, event_id, body))
                status, retry_after = answer.status_code, answer.headers.get("Retry-After")
                if 300 <= status < 400:
                    error = f"redirected to {answer.headers.get('Location', '?')}: configure that URL"
            except requests.RequestException as exc:
                error = type(exc).__name__
            elapsed = (time.monotonic() - started) * 1000
            if status is not None and 200 <= status < 300:
                outcome = "delivered"
            elif status == 409:
                outcome = "duplicate"
            elif (status is None or status in _RETRY_STATUSES) and attempt < hook.max_attempts:
                outcome = "retry"
            else:
                outcome = "failed"
            self.record(Delivery(event_id, kind, hook.url, attempt, outcome, status, error, elapsed))
            if outcome != "retry":
                return
            if self.stopping.wait(hook.delay(attempt, retry_after)):
                self.record(Delivery(event_id, kind, hook.url, attempt, "dropped", error="sandbox stopped"))
                return

    def stop(self, timeout: float) -> None:
        self.stopping.set()
        try:
            self.queue.put(None, timeout=timeout)
        except queue.Full:
            pass
        self.thread.join(timeout)
        self.session.close()


class Emitter:
    """Turns an engine's changes into webhook deliveries (see the module docstring)."""

    def __init__(self, engine: Any, webhooks: Iterable[Webhook], store_url: Callable[[], str], *,
                 queue_size: int = 10_000) -> None:
        self.engine = engine
        self.store_url = store_url
        self.log: list[Delivery] = []
        self._log_lock = threading.Lock()
        self._endpoints = [_Endpoint(w, self._record, queue_size) for w in webhooks]
        engine.subscribe(self.on_change)

    def _record(self, delivery: Delivery) -> None:
        with self._log_lock:
            self.log.append(delivery)
        if delivery.outcome in ("failed", "dropped"):
            log.warning("webhook %s %s to %s %s: %s", delivery.type, delivery.event_id, delivery.url,
                        delivery.outcome, delivery.error or delivery.status)

    # ---- engine changes -> payloads
    def on_change(self, kind: str, info: dict[str, Any]) -> None:
        wanted = [e for e in self._endpoints if kind in e.hook.events]
        if not wanted:
            return
        data = getattr(self, "_" + kind.replace(".", "_"))(info)
        if data is None:
            return
        envelope = {
            "id": f"evt_{uuid.uuid4().hex}", "type": kind,
            "created": datetime.now(timezone.utc).isoformat(timespec="milliseconds"),
            "store": {"url": self.store_url(), "store_id": 0,
                      "version": self.engine.settings.version},
            "data": data,
        }
        parse_event(envelope)  # the sandbox must never send what a receiver would refuse
        body = json.dumps(envelope, separators=(",", ":")).encode()
        for endpoint in wanted:
            endpoint.put(envelope["id"], kind, body)

    def _place(self, address: Any) -> tuple[str | None, str | None]:
        if address is None or not address.country_id:
            return None, None
        country = self.engine.country(address.country_id)
        zone = self.engine.zone(address.zone_id) if address.zone_id else None
        return (country.iso_code_2 if country else None), (zone.code if zone else None)

    def _order_created(self, info: dict[str, Any]) -> dict[str, Any] | None:
        order = self.engine.order(info["order_id"])
        if order is None:
            return None
        ship_country, ship_zone = self._place(order.shipping_address)
        pay_country, pay_zone = self._place(order.payment_address)
        return {
            "order_id": order.order_id, "order_status_id": order.order_status_id,
            "order_status": self.engine.order_status_name(order.order_status_id),
            "customer_id": order.customer.customer_id,
            "customer_group_id": order.customer.customer_group_id or self.engine.settings.customer_group_id,
            "currency_code": order.currency, "currency_value": _money(order.currency_value),
            "total": _money(order.total),
            "shipping_method": order.shipping_method.code if order.shipping_method else None,
            "payment_method": order.payment_method.code if order.payment_method else None,
            "shipping_country": ship_country, "shipping_zone": ship_zone,
            "payment_country": pay_country, "payment_zone": pay_zone,
            "products": [{"product_id": p.product_id, "model": p.model, "quantity": p.quantity,
                          "price": _money(p.price), "total": _money(p.total)} for p in order.products],
            "totals": [{"code": t.code, "title": t.title, "value": _money(t.value), "sort_order": t.sort_order} for t in order.totals],
        }

    def _order_updated(self, info: dict[str, Any]) -> dict[str, Any] | None:
        order = self.engine.order(info["order_id"])
        if order is None:
            return None
        return {
            "order_id": order.order_id, "order_status_id": order.order_status_id,
            "order_status": self.engine.order_status_name(order.order_status_id),
            "previous_order_status_id": info.get("previous_status_id"),
            "comment": info.get("comment", ""), "notify": bool(info.get("notify")),
            "total": _money(order.total), "currency_code": order.currency,
        }

    def _customer_registered(self, info: dict[str, Any]) -> dict[str, Any] | None:
        customer = self.engine.customer(info["customer_id"])
        if customer is None:
            return None
        country, zone = self._place(customer.addresses[0] if customer.addresses else None)
        return {"customer_id": customer.customer_id, "customer_group_id": customer.customer_group_id,
                "store_id": 0, "status": bool(customer.status),
                "country": country, "zone": zone}

    def _product_updated(self, info: dict[str, Any]) -> dict[str, Any] | None:
        product = self.engine.catalog.products.get(info["product_id"])
        if product is None:
            return None
        return {"product_id": product.product_id, "model": product.model, "sku": str(product.record.get("sku", "")),
                "price": _money(product.price), "quantity": self.engine.stock(product.product_id),
                "status": bool(product.status), "tax_class_id": product.tax_class_id,
                "weight": _money(product.weight), "weight_class_id": product.weight_class_id,
                "changed": list(info.get("changed", []))}

    # ---- lifecycle
    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until every queued event is delivered or given up; ``False`` on timeout."""
        deadline = time.monotonic() + timeout
        for endpoint in self._endpoints:
            while endpoint.queue.unfinished_tasks:
                if time.monotonic() >= deadline:
                    return False
                time.sleep(0.02)
        return True

    def stop(self, timeout: float = 2.0) -> None:
        """Stop delivering: events still queued or waiting for a retry are logged as dropped."""
        for endpoint in self._endpoints:
            endpoint.stop(timeout)

    def deliveries(self) -> list[Delivery]:
        """A copy of the delivery log (one entry per attempt)."""
        with self._log_lock:
            return list(self.log)


def delivery_frame(deliveries: Iterable[Delivery]):
    """Delivery attempts as a DataFrame, one row each."""
    import pandas as pd

    columns = [f.name for f in dataclasses.fields(Delivery)]
    return pd.DataFrame([dataclasses.astuple(d) for d in deliveries], columns=columns)
