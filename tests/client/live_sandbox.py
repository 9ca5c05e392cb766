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
