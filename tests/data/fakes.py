"""A small store that answers ``quote(draft)`` with real :class:`Quote` models by fixed rules,
so studies and comparisons can be checked against numbers computed by hand.

Rules (all amounts exact):

* prices: product 40 costs 100.00, product 30 costs 80.00; customer group 2 pays 90 %.
* tax on products and on taxable shipping: GB "VAT (20%)" 20 %; DE "MwSt (19%)" 19 %;
  US-CA "CA Tax (8%)" 8 % on products only (shipping untaxed); other US zones: none.
* shipping: ``flat.flat`` 5.00 everywhere (taxable); ``item.item`` 2.50 per item, not to
  the US; ``weight.weight_<country>`` 3.00 + 1.00 per item, GB only.
* payment: ``cod.cod`` except in DE; ``bank_transfer.bank_transfer`` everywhere.
* country "XX" is refused (ValidationError); a country in ``fail`` raises TransportError.
"""

from __future__ import annotations

import threading
import time
from decimal import Decimal

from ocdata.client.errors import OcdataWarning, TransportError, ValidationError
from ocdata.client.models import PaymentMethod, Quote, QuoteOption, ShippingQuote, TotalLine

D = Decimal
PRICES = {40: D("100.00"), 30: D("80.00")}
TAX = {("GB", None): ("VAT (20%)", D("0.20"), True), ("DE", None): ("MwSt (19%)", D("0.19"), True),
       ("US", "CA"): ("CA Tax (8%)", D("0.08"), False)}
COD = PaymentMethod(code="cod.cod", name="Cash On Delivery", method_code="cod", sort_order=5)
BANK = PaymentMethod(code="bank_transfer.bank_transfer", name="Bank Transfer", method_code="bank_transfer",
                     sort_order=1)


def _r(x: Decimal) -> Decimal:
    return x.quantize(D("0.01"))


class FakeStore:
    url = "http://fake.example/"
    dialect_name = "fake"
    pricing = "session"
    store_id = 0
    language = "en-gb"
    currency = "USD"

    def __init__(self, fail: set[str] = frozenset(), delay: float = 0.0, warn: str | None = None,
                 url: str | None = None, bump: Decimal = D(0)):
        self.fail = set(fail)
        self.delay = delay
        self.warn = warn
        self.bump = bump  # added to every shipping cost: "another store"
        if url:
            self.url = url
        self.calls: list[tuple] = []
        self._lock = threading.Lock()
        self.in_flight = 0
        self.max_in_flight = 0

    @staticmethod
    def signature(draft) -> tuple:
        a = draft.shipping_address
        return (tuple((l.product_id, l.quantity) for l in draft.lines), a.country, a.zone,
                draft.customer.customer_group_id)

    def quote(self, draft) -> Quote:
        with self._lock:
            self.calls.append(self.signature(draft))
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            if self.delay:
                time.sleep(self.delay)
            if self.warn:
                import warnings

                warnings.warn(self.warn, OcdataWarning)
            return self._quote(draft)
        finally:
            with self._lock:
                self.in_flight -= 1

    def _quote(self, draft) -> Quote:
        a = draft.shipping_address
        country, zone = (a.country or "").upper(), a.zone
        if country == "XX":
            raise ValidationError("Please select a country!", fields={"country": "Please select a country!"})
        if country in self.fail:
            raise TransportError("connection refused by fake.example", should_retry=True)
        factor = D("0.9") if draft.customer.customer_group_id == 2 else D(1)
        items = sum(l.quantity for l in draft.lines)
        sub = _r(sum(PRICES[l.product_id] * factor * l.quantity for l in draft.lines))
        title, rate, ship_taxed = TAX.get((country, zone)) or TAX.get((country, None)) or (None, D(0), False)
        methods = [("flat.flat", "Flat Shipping Rate", D("5.00"), 1)]
        if country != "US":
            methods.append(("item.item", "Per Item Shipping Rate", D("2.50") * items, 2))
        if country == "GB":
            methods.append((f"weight.weight_{country.lower()}", "UK Shipping", D("3.00") + items, 3))
        payments = (BANK,) if country == "DE" else (BANK, COD)
        cart_tax = _r(sub * rate)

        def lines(shipping=None):
            out = [TotalLine(code="sub_total", title="Sub-Total", value=sub, sort_order=1)]
            tax = cart_tax
            total = sub
            if shipping is not None:
                name, cost = shipping
                out.append(TotalLine(code="shipping", title=name, value=cost, sort_order=3))
                total += cost
                if ship_taxed:
                    tax += _r(cost * rate)
            if title and tax:
                out.append(TotalLine(code="tax", title=title, value=tax, sort_order=5))
            out.append(TotalLine(code="total", title="Total", value=total + tax, sort_order=9))
            return tuple(out)

        options = []
        for code, name, cost, order in methods:
            cost = cost + self.bump
            sq = ShippingQuote(method_code=code.split(".")[0], code=code, name=name, cost=cost, tax_class_id=9,
                               text=f"${cost}", sort_order=order)
            options.append(QuoteOption(quote=sq, totals=lines((name, cost)), payment_methods=payments))
        return Quote(draft=draft, totals=lines(), options=tuple(options), payment_methods=payments,
                     shipping_required=True, pricing="session", dialect="fake", requests=3,
                     warnings=(self.warn,) if self.warn else ())
