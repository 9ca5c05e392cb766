"""Synthetic, realistic :class:`~ocdata.client.models.Quote` objects for the frames/cache benchmark.

Each quote is what the rich sandbox store answers for one scenario: 2 products, five
shipping quotes (flat, weight, item, free, pickup), each with its five total lines
(sub-total, shipping, two taxes, total) and two or three payment methods. Built with
the models' validating constructors, so the values are exactly what a study holds.
"""

from __future__ import annotations

import random
from decimal import Decimal

from ocdata.client.models import (
    Address,
    CartLine,
    CartProduct,
    Customer,
    OrderDraft,
    PaymentMethod,
    Quote,
    QuoteOption,
    ShippingQuote,
    TotalLine,
)

_SHIPPING = (
    ("flat", "flat.flat", "Flat Shipping Rate", "Flat Rate", 9),
    ("weight", "weight.weight_4", "UK Shipping (Weight: 11.00kg)", "Weight Based Shipping", 9),
    ("item", "item.item", "Per Item Shipping Rate", "Per Item", 9),
    ("free", "free.free", "Free Shipping", "Free Shipping", 0),
    ("pickup", "pickup.pickup", "Pickup From Store", "Pickup", 0),
)
_PAYMENTS = (("bank_transfer", "Bank Transfer"), ("cheque", "Cheque / Money Order"), ("cod", "Cash On Delivery"))


def _money(value: float) -> Decimal:
    return Decimal(f"{value:.2f}")


def _totals(sub: Decimal, shipping: Decimal | None, vat_rate: Decimal) -> tuple[TotalLine, ...]:
    lines = [TotalLine(code="sub_total", title="Sub-Total", value=sub, sort_order=1)]
    taxable = sub + (shipping or 0)
    if shipping is not None:
        lines.append(TotalLine(code="shipping", title="Shipping", value=shipping, sort_order=3))
    vat = _money(float(taxable * vat_rate))
    eco = Decimal("4.00")
    lines.append(TotalLine(code="tax", title="VAT (20%)", value=vat, sort_order=5))
    lines.append(TotalLine(code="tax", title="Eco Tax (-2.00)", value=eco, sort_order=5))
    lines.append(TotalLine(code="total", title="Total", value=taxable + vat + eco, sort_order=9))
    return tuple(lines)


def make_quote(rng: random.Random, index: int) -> Quote:
    """One scenario's quote: five priced shipping options."""
    qty = rng.randint(1, 5)
    price = _money(rng.choice((80, 100, 101, 200, 279.99)))
    sub = price * qty + Decimal("100.00")
    vat = Decimal("0.2") if rng.random() < 0.6 else Decimal("0")
    draft = OrderDraft(
        customer=Customer(customer_group_id=rng.choice((1, 2, 3)), firstname="Jane", lastname="Doe", email="jane@example.com"),
        lines=(CartLine(product_id=40, quantity=qty), CartLine(product_id=48, quantity=1)),
        shipping_address=Address(country_id=222, zone_id=3513 + index % 100, city="London", postcode="SW1A 1AA"),
    )
    products = (
        CartProduct(product_id=40, name="iPhone", model="product 11", quantity=qty, price=price, total=price * qty),
        CartProduct(product_id=48, name="iPod Classic", model="product 20", quantity=1, price=Decimal("100.00"), total=Decimal("100.00")),
    )
    payments = tuple(PaymentMethod(code=f"{c}.{c}", name=n, method_code=c, method_name=n, sort_order=i)
                     for i, (c, n) in enumerate(_PAYMENTS[: rng.choice((2, 3))], start=2))
    options = []
    for sort, (method, code, name, method_name, tax_class) in enumerate(_SHIPPING, start=1):
        cost = _money(rng.choice((0, 2.5, 5, 7.5, 11, 12, 18, 30))) if tax_class else Decimal("0.00")
        quote = ShippingQuote(method_code=method, code=code, name=name, method_name=method_name, cost=cost,
                              tax_class_id=tax_class, text=f"${cost}", sort_order=sort)
        options.append(QuoteOption(quote=quote, totals=_totals(sub, cost, vat), payment_methods=payments))
    return Quote(draft=draft, products=products, totals=_totals(sub, None, vat), options=tuple(options),
                 payment_methods=payments, shipping_required=True, pricing="session", dialect="spec", requests=9)


def quotes(n_rows: int, distinct: int = 2000, seed: int = 7) -> list[Quote]:
    """``n_rows // 5`` quotes (five rows each), cycling over ``distinct`` distinct Quote objects.

    A study's quotes stream into the cache scenario by scenario; holding a million rows'
    worth of distinct pydantic objects at once (about 9 objects per row) is not what a
    study does, and would measure the models' memory, not the frame pipeline's.
    """
    rng = random.Random(seed)
    pool = [make_quote(rng, i) for i in range(min(distinct, max(1, n_rows // 5)))]
    return [pool[i % len(pool)] for i in range(n_rows // 5)]
