"""The study every throughput benchmark runs: carts x destinations x customer groups.

Plain data, so the hand-written baseline (``bench/baseline_requests.py``) and the
ocdata study price exactly the same scenarios on the ``rich`` sandbox store.
10 carts x 17 destinations x 3 groups = 510 scenarios; ``quick`` keeps 2 x 3 x 2 = 12.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import product


@dataclass(frozen=True)
class Line:
    product_id: int
    quantity: int
    options: tuple[tuple[int, str], ...] = ()


@dataclass(frozen=True)
class Destination:
    label: str
    country_id: int
    zone_id: int
    city: str
    postcode: str


@dataclass(frozen=True)
class Scenario:
    cart: tuple[Line, ...]
    destination: Destination
    customer_group_id: int

    @property
    def label(self) -> str:
        lines = "+".join(f"{l.quantity}x{l.product_id}" for l in self.cart)
        return f"{lines} -> {self.destination.label} (group {self.customer_group_id})"


# Products of the rich store: 40 iPhone 10 kg, 48 iPod Classic 1 kg (wholesale prices), 33 Samsung
# 5 kg (wholesale prices), 28 HTC 146 g, 29 Palm 133 g, 31 Nikon 0 kg, 47 HP (required date option),
# 43 MacBook (needs no shipping).
CARTS: tuple[tuple[Line, ...], ...] = (
    (Line(40, 1), Line(48, 1)),
    (Line(33, 1),),
    (Line(28, 3),),
    (Line(31, 2),),
    (Line(48, 5),),
    (Line(33, 3),),
    (Line(29, 1), Line(28, 1)),
    (Line(47, 2, ((225, "2011-04-22"),)),),
    (Line(43, 1),),
    (Line(40, 2), Line(33, 1)),
)

DESTINATIONS: tuple[Destination, ...] = (
    Destination("GB-LDN", 222, 3553, "London", "SW1A 1AA"),
    Destination("GB-MCH", 222, 3554, "Manchester", "M1 1AE"),
    Destination("GB-KNT", 222, 3562, "Canterbury", "CT1 2EH"),
    Destination("GB-LANCS", 222, 3563, "Preston", "PR1 2HE"),
    Destination("GB-CMA", 222, 3955, "Carlisle", "CA3 8QG"),
    Destination("GB-ABN", 222, 3513, "Aberdeen", "AB10 1AB"),
    Destination("US-CA", 223, 3624, "Los Angeles", "90001"),
    Destination("US-NY", 223, 3655, "New York", "10001"),
    Destination("US-TX", 223, 3669, "Austin", "73301"),
    Destination("US-FL", 223, 3630, "Miami", "33101"),
    Destination("US-IL", 223, 3635, "Chicago", "60601"),
    Destination("US-WA", 223, 3674, "Seattle", "98101"),
    Destination("DE-BY", 81, 1255, "Munich", "80331"),
    Destination("DE-BE", 81, 1256, "Berlin", "10115"),
    Destination("DE-HH", 81, 1259, "Hamburg", "20095"),
    Destination("DE-NW", 81, 1263, "Cologne", "50667"),
    Destination("DE-HE", 81, 1260, "Frankfurt", "60311"),
)

GROUPS: tuple[int, ...] = (1, 2, 3)

CUSTOMER = {"firstname": "Jane", "lastname": "Doe", "email": "jane.doe@example.com", "telephone": "01234 567890"}
STREET = "1 High Street"


def scenarios(quick: bool = False, groups: tuple[int, ...] = GROUPS) -> list[Scenario]:
    """Every (cart, destination, group), cart-major; ``quick``: a 12-scenario subset. ``groups``: the
    customer groups the store has (the oc40 and oc30 reference stores know 1 and 2 only)."""
    carts, destinations = (CARTS[:2], DESTINATIONS[::6]) if quick else (CARTS, DESTINATIONS)
    groups = (groups[0], groups[-1]) if quick else groups
    return [Scenario(c, d, g) for c, d, g in product(carts, destinations, groups)]


def to_draft(s: Scenario):
    """The scenario as an ocdata :class:`~ocdata.client.models.OrderDraft` (same fields the baseline posts)."""
    from ocdata.client.models import Address, CartLine, Customer, OrderDraft

    d = s.destination
    address = Address(firstname=CUSTOMER["firstname"], lastname=CUSTOMER["lastname"], address_1=STREET, city=d.city,
                      postcode=d.postcode, country_id=d.country_id, zone_id=d.zone_id)
    lines = tuple(CartLine(product_id=l.product_id, quantity=l.quantity, options=dict(l.options)) for l in s.cart)
    return OrderDraft(customer=Customer(customer_group_id=s.customer_group_id, **CUSTOMER), lines=lines).with_addresses(address)
