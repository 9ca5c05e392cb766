"""Starting the embedded sandbox store for live client tests."""

from __future__ import annotations

import threading
from typing import Any

from ocdata.client.models import Address, CartLine, Customer, OrderDraft
from ocdata.client.transport import RequestRecord
from ocdata.sandbox import serve


def start(**options: Any):
    """``ocdata.sandbox.serve`` with the rich store unless another is named."""
    return serve(store=options.pop("store", "rich"), **options)


#: every dialect the client speaks, with the pricing its live tests use
LIVE_DIALECTS = [("spec", "api"), ("oc41", "storefront"), ("oc41", "api"), ("oc40", "api"), ("oc30", "api")]
LIVE_IDS = ["spec", "oc41-storefront", "oc41-api", "oc40", "oc30"]


class Sandboxes:
    """Rich-store sandboxes serving every dialect, started on first use: one carries oc41, spec
    and oc40, another oc30 (3.0 and the seed file both answer ``route=api/login``). The same
    store data behind every dialect lets one test body expect the same answers from each."""

    def __init__(self, **options: Any) -> None:
        self.options = options
        self._started: dict[str, Any] = {}

    def for_dialect(self, dialect: str):
        group = "oc30" if dialect == "oc30" else "main"
        if group not in self._started:
            served = ("oc30",) if group == "oc30" else ("oc41", "spec", "oc40")
            self._started[group] = start(dialects=served, **self.options)
        return self._started[group]

    def stop(self) -> None:
        for sandbox in self._started.values():
            sandbox.stop()


class Recorder:
    """A connect(hook=...) that keeps every request record (thread-safe)."""

    def __init__(self) -> None:
        self.records: list[RequestRecord] = []
        self._lock = threading.Lock()

    def __call__(self, record: RequestRecord) -> None:
        with self._lock:
            self.records.append(record)

    def clear(self) -> None:
        with self._lock:
            self.records.clear()

    def calls(self) -> list[str]:
        return [r.call or r.route for r in self.records]


JANE = Customer(firstname="Jane", lastname="Doe", email="jane.doe@example.com", telephone="01234 567890")
LOS_ANGELES = Address(firstname="Jane", lastname="Doe", address_1="1 Main Street", city="Los Angeles",
                      postcode="90001", country="US", zone="CA")
LONDON = Address(firstname="Jane", lastname="Doe", address_1="10 Downing Street", city="London",
                 postcode="SW1A 2AA", country="GB", zone="Greater London")


def draft(address: Address = LOS_ANGELES, lines=(CartLine(product_id=40), CartLine(product_id=33))) -> OrderDraft:
    return OrderDraft(customer=JANE, lines=tuple(lines)).with_addresses(address)
