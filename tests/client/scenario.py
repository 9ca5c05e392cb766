"""Build client drafts from recorded scenario flows, and a dialect wired to a replay server.

The recorded ``sNN`` flows (login, customer, cart adds, addresses, cart, quotes…) are
what a checkout page of a real store did; the drafts here carry the same inputs, so a
correct client must send exactly those requests. :class:`Recorded` describes one
login-session version (4.0, 3.0) so tests that hold for both are written once and
parametrised over :data:`SESSION_VERSIONS`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Callable

from ocdata.client.credentials import Credentials, Secret
from ocdata.client.dialects.base import DialectConfig
from ocdata.client.dialects.oc30 import Oc30Dialect
from ocdata.client.dialects.oc40 import Oc40Dialect
from ocdata.client.dialects.parse import parse_shipping_methods
from ocdata.client.models import Address, CartLine, Customer, OrderDraft
from ocdata.client.transport import Transport
from replay import TEST_API_KEY, Exchange, ReplayServer, Transcripts, money

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


def recorded_payment_codes(answer: dict) -> list[str]:
    """Codes a recorded ``payment_methods`` answer offers: 4.x nests them in ``option``, 3.0 does not."""
    return [o["code"] for m in answer["payment_methods"].values()
            for o in (m["option"].values() if "option" in m else (m,))]


@dataclass(frozen=True)
class Recorded:
    """One login-session version: its dialect, its recordings, and the facts in which they differ.

    Numbers are transcript numbers of that version's recordings.
    """

    dialect: type
    bare_payment_codes: bool  # 3.0 lists and takes "cod"; 4.0 "cod.cod"
    product_flags: frozenset[str]  # the optional CartProduct flags its cart answers carry
    method_label: str  # key of a shipping method's display name
    relogin: int  # a login answer that issues a fresh token
    lost: tuple[int, ...]  # answers meaning "this session is gone"
    order_flow: tuple[str, ...]  # login .. order confirm
    history: int  # order history for the confirmed order
    order_id: int
    order_points: int | None
    currency_flow: str  # login, currency EUR, cart add, cart
    edit_flow: tuple[int, int, str]  # login, add product 40, then list / edit to 3 / list / remove / list
    probe: tuple[int, int, str]  # credential-less login, an answer from elsewhere, evidence shown on a match
    transcripts: Transcripts = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "transcripts", Transcripts(self.name))

    @property
    def name(self) -> str:
        return self.dialect.name

    @property
    def routes(self) -> dict[str, str]:
        return self.dialect.ROUTES

    @property
    def s01(self) -> list[Exchange]:
        """login, customer, cart add, payment address, shipping address, cart, shipping list, …"""
        return self.transcripts.scenario("s01")

    def __getitem__(self, num: int) -> Exchange:
        return self.transcripts[num]

    def payment_code(self, method: str) -> str:
        return method if self.bare_payment_codes else f"{method}.{method}"

    def draft(self, flow: list[Exchange]) -> OrderDraft:
        return draft_from(flow, self.routes)

    def run(self, exchanges: list[Exchange], action: Callable[[Any], Any], **config: Any) -> Any:
        """``action(dialect)`` against a replay of ``exchanges``."""
        with ReplayServer(exchanges) as srv:
            return action(dialect_for(self.dialect, srv, **config))

    def live(self, sandbox: Any, action: Callable[[Any], Any], **config: Any) -> Any:
        """``action(dialect)`` against a live sandbox serving this version's store and front."""
        cfg = DialectConfig(base_url=sandbox.url + "index.php",
                            credentials=Credentials(url=sandbox.url, username=sandbox.username,
                                                    key=Secret(sandbox.key)), **config)
        dialect = self.dialect(cfg, Transport(retries=0))
        try:
            return action(dialect)
        finally:
            dialect.close()

    def quote_exchanges(self, tag: str) -> list[Exchange]:
        """Scenario ``tag`` as the client replays it: S10's cart ships nothing, so the client skips
        listing shipping methods the recording still asked for."""
        return [e for e in self.transcripts.scenario(tag)
                if not (tag == "s10" and e.route == self.routes["shipping_list"])]

    def cart_answers(self) -> list[Exchange]:
        return [e for e in self.transcripts
                if e.route == self.routes["cart"] and isinstance(e.json, dict) and "totals" in e.json]

    def shipping_title(self, ex: Exchange) -> str | None:
        """The quote name a ``…-cart-<ext>_<sub>`` answer was taken under (from its scenario's list)."""
        stem = ex.name.split("-cart-", 1)
        if len(stem) < 2 or "_" not in stem[1]:
            return None
        code = stem[1].replace("_", ".", 1)
        scenario = ex.name.split("-")[1]
        listing = next(e for e in self.transcripts.scenario(scenario) if e.route == self.routes["shipping_list"])
        return next(q.name for q in parse_shipping_methods(listing.json["shipping_methods"]) if q.code == code)


OC40 = Recorded(Oc40Dialect, bare_payment_codes=False, product_flags=frozenset({"minimum_ok"}), method_label="name",
                relogin=129, lost=(41,), order_flow=("005-008", "010-018"), history=19, order_id=3,
                order_points=800, currency_flow="047-050", edit_flow=(54, 65, "098-102"), probe=(24, 55, "error"))
OC30 = Recorded(Oc30Dialect, bare_payment_codes=True, product_flags=frozenset({"shipping"}), method_label="title",
                # invalid token, token idle > 1 h, session data expired
                relogin=148, lost=(38, 46, 50), order_flow=("008-011", "013-020"), history=21, order_id=2,
                order_points=None, currency_flow="055-058", edit_flow=(62, 73, "109-113"), probe=(27, 63, "[]"))
SESSION_VERSIONS = [OC40, OC30]
