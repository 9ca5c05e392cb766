"""Build client drafts from recorded scenario flows, and a dialect wired to a replay server.

The recorded ``sNN`` flows (login, customer, cart adds, addresses, cart, quotes…) are
what a checkout page of a real store did; the drafts here carry the same inputs, so a
correct client must send exactly those requests.
"""

from __future__ import annotations

import re
from decimal import Decimal

from ocdata.client.credentials import Credentials, Secret
from ocdata.client.dialects.base import DialectConfig
from ocdata.client.models import Address, CartLine, Customer, OrderDraft
from ocdata.client.transport import Transport
from replay import TEST_API_KEY, Exchange, ReplayServer, money

_OPTION = re.compile(r"^option\[(\d+)\](\[\d*\])?$")


def _value(v: str):
    return int(v) if v.isdigit() else v


def customer_from(ex: Exchange) -> Customer:
    f = dict(ex.form)
    return Customer(customer_id=int(f["customer_id"]), customer_group_id=int(f["customer_group_id"]),
                    firstname=f["firstname"], lastname=f["lastname"], email=f["email"], telephone=f["telephone"])


def line_from(ex: Exchange) -> CartLine:
    options: dict = {}
    product_id = quantity = None
    for k, v in ex.form:
        if k == "product_id":
            product_id = int(v)
        elif k == "quantity":
            quantity = int(v)
        elif m := _OPTION.match(k):
            poid = int(m.group(1))
            if m.group(2):
                options.setdefault(poid, []).append(int(v))
            else:
                options[poid] = _value(v)
    return CartLine(product_id=product_id, quantity=quantity, options=options)


def address_from(ex: Exchange) -> Address:
    f = {k: v for k, v in ex.form if not k.endswith("address_id")}
    return Address(firstname=f["firstname"], lastname=f["lastname"], company=f.get("company", ""),
                   address_1=f["address_1"], address_2=f.get("address_2", ""), city=f["city"],
                   postcode=f.get("postcode", ""), country_id=int(f["country_id"]), zone_id=int(f["zone_id"]))


def draft_from(flow: list[Exchange], routes: dict[str, str]) -> OrderDraft:
    """The draft whose sync produces ``flow``'s customer, cart-add and address requests."""
    by = lambda op: [e for e in flow if e.route == routes[op]]  # noqa: E731
    customer = by("customer")
    pay, ship = by("payment_address"), by("shipping_address")
    return OrderDraft(
        customer=customer_from(customer[0]) if customer else None,
        lines=tuple(line_from(e) for e in by("cart_add")),
        payment_address=address_from(pay[0]) if pay else None,
        shipping_address=address_from(ship[0]) if ship else None,
    )


def dialect_for(cls, server: ReplayServer, **config):
    cfg = DialectConfig(base_url=server.base_url + "index.php",
                        credentials=Credentials(url=server.base_url, username="Default", key=Secret(TEST_API_KEY)),
                        **config)
    return cls(cfg, Transport(retries=0))


def recorded_totals(ex: Exchange) -> list[tuple[str, Decimal]]:
    """``(title, amount)`` of a recorded cart answer, read independently of the client's parser."""
    return [(r["title"].replace("&quot;", '"').replace("&amp;", "&"), Decimal(money(r["text"])))
            for r in ex.json["totals"]]
