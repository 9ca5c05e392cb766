"""Real client models for data-layer tests, built the way a dialect would (validated),
plus a fast path (``model_construct``) for volume benchmarks."""

from __future__ import annotations

from decimal import Decimal

from ocdata.client.models import (
    CartProduct,
    PaymentMethod,
    Quote,
    QuoteOption,
    SelectedOption,
    ShippingQuote,
    TotalLine,
)

D = Decimal

COD = PaymentMethod(code="cod.cod", name="Cash On Delivery", method_code="cod", sort_order=5)
BANK = PaymentMethod(code="bank_transfer.bank_transfer", name="Bank Transfer", method_code="bank_transfer",
                     sort_order=1)


def totals(sub_total, shipping=None, taxes=(), coupon=None):
    """Total lines in OpenCart's order; ``taxes`` = [(title, value)]; the total is their sum."""
    lines = [TotalLine(code="sub_total", title="Sub-Total", value=D(sub_total), sort_order=1)]
    total = D(sub_total)
    if shipping is not None:
        lines.append(TotalLine(code="shipping", title=shipping[0], value=D(shipping[1]), sort_order=3))
        total += D(shipping[1])
    if coupon is not None:
        lines.append(TotalLine(code="coupon", title="Coupon", value=D(coupon), sort_order=4))
        total += D(coupon)
    for title, value in taxes:
        lines.append(TotalLine(code="tax", title=title, value=D(value), sort_order=5))
        total += D(value)
    lines.append(TotalLine(code="total", title="Total", value=total, sort_order=9))
    return tuple(lines)


def shipping(code, name, cost, tax_class_id=9, sort_order=1, method_name=None):
    method = code.split(".")[0]
    return ShippingQuote(method_code=method, code=code, name=name, method_name=method_name or method.title(),
                         cost=D(cost), tax_class_id=tax_class_id, text=f"${D(cost):.2f}", sort_order=sort_order)


def option(code, name, cost, sub_total, cart_taxes, shipping_taxes, payment=(COD,), error=None):
    """A priced option: tax lines merge cart and shipping taxes by title, like OpenCart."""
    merged: dict[str, Decimal] = {}
    for title, value in list(cart_taxes) + list(shipping_taxes):
        merged[title] = merged.get(title, D(0)) + D(value)
    sq = shipping(code, name, cost)
    if error:
        return QuoteOption(quote=sq, error=error)
    return QuoteOption(quote=sq, totals=totals(sub_total, (name, cost), merged.items()), payment_methods=payment)


def product(product_id=40, name="iPhone", quantity=1, price="101.00", options=()):
    return CartProduct(product_id=product_id, name=name, model=f"product {product_id}", quantity=quantity,
                       options=tuple(SelectedOption(product_option_id=po, product_option_value_id=pov, name=n,
                                                    value=v) for po, pov, n, v in options),
                       price=D(price), total=D(price) * quantity, price_text=f"${price}", in_stock=True,
                       minimum_ok=True, reward=0, points=0, weight=D("1.00"), shipping=True, tax_class_id=9)


def fast_quotes(n_quotes: int, options_per_quote: int = 5):
    """``n_quotes`` quotes of ``options_per_quote`` options each, built without validation (benchmarks)."""
    mc = TotalLine.model_construct
    cart_totals = (mc(code="sub_total", title="Sub-Total", value=D("100.00"), sort_order=1),
                   mc(code="tax", title="VAT (20%)", value=D("20.00"), sort_order=5),
                   mc(code="total", title="Total", value=D("120.00"), sort_order=9))
    options = []
    for i in range(options_per_quote):
        cost = D(5 + i)
        sq = ShippingQuote.model_construct(method_code="weight", code=f"weight.weight_{i}", name=f"Zone {i}",
                                           method_name="Weight Based Shipping", cost=cost, tax_class_id=9,
                                           text=f"${cost}", sort_order=i)
        ot = (mc(code="sub_total", title="Sub-Total", value=D("100.00"), sort_order=1),
              mc(code="shipping", title=f"Zone {i}", value=cost, sort_order=3),
              mc(code="tax", title="VAT (20%)", value=D("20.00") + cost / 5, sort_order=5),
              mc(code="tax", title="Eco Tax (-2.00)", value=D("2.00"), sort_order=5),
              mc(code="total", title="Total", value=D("122.00") + cost * D("1.2"), sort_order=9))
        options.append(QuoteOption.model_construct(quote=sq, totals=ot, payment_methods=(COD, BANK), error=None))
    options = tuple(options)
    return [Quote.model_construct(draft=None, products=(), totals=cart_totals, options=options,
                                  payment_methods=(COD,), shipping_required=True, shipping_error=None,
                                  pricing="api", dialect="oc41", warnings=(), requests=3)
            for _ in range(n_quotes)]
