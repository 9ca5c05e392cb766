"""Order totals: OpenCart's ``total`` extensions run in sort order over one running total.

Each extension appends its lines and may add to the per-rate ``taxes`` map that the
``tax`` extension turns into one line per rate (rates with a positive amount only).
The lines are finally ordered like PHP's ``array_multisort($sort_order, $totals)``:
by sort order, then — for equal sort orders — by the line itself (extension, code,
title, value), which is why ``Eco Tax (-2.00)`` precedes ``VAT (20%)``.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable
from dataclasses import dataclass, field

from ocdata.sandbox.extensions import Installed
from ocdata.sandbox.model import Coupon, Customer, TaxRate
from ocdata.sandbox.records import CartProduct, ShippingChoice, TotalLine
from ocdata.sandbox.tax import get_rates

TOTAL_CODES = ("sub_total", "reward", "shipping", "coupon", "tax", "credit", "voucher", "handling",
               "low_order_fee", "total")

TITLES = {
    "sub_total": "Sub-Total",
    "reward": "Reward Points (%s)",
    "coupon": "Coupon (%s)",
    "credit": "Store Credit",
    "handling": "Handling Fee",
    "low_order_fee": "Low Order Fee",
    "total": "Total",
}

MSG_COUPON = "Warning: Coupon is either invalid, expired or reached its usage limit!"


@dataclass
class TotalState:
    """What the total extensions read and write while they run."""

    products: list[CartProduct]
    rates: dict[int, tuple[TaxRate, ...]]
    rate_names: dict[int, str]
    shipping: ShippingChoice | None
    needs_shipping: bool
    coupon: Coupon | None
    reward: int | None
    customer: Customer | None
    fixed_tax: str
    lines: list[tuple[TotalLine, int]] = field(default_factory=list)  # (line, insertion order)
    taxes: dict[int, float] = field(default_factory=dict)
    total: float = 0

    def add(self, ext: Installed, code: str, title: str, value: float) -> None:
        self.lines.append((TotalLine(code, title, value, ext.sort_order), len(self.lines)))

    def add_taxes(self, value: float, tax_class_id: int) -> None:
        for rate_id, amount in get_rates(value, tax_class_id, self.rates).items():
            self.taxes[rate_id] = self.taxes.get(rate_id, 0) + amount

    def remove_percent_taxes(self, value: float, tax_class_id: int) -> None:
        for rate in self.rates.get(tax_class_id, ()):
            if rate.type == "P" and rate.tax_rate_id in self.taxes:
                self.taxes[rate.tax_rate_id] -= value / 100 * rate.rate


def sub_total(products: list[CartProduct]) -> float:
    total = 0
    for p in products:
        total += p.total
    return total


def cart_taxes(products: list[CartProduct], rates: dict[int, tuple[TaxRate, ...]], fixed_tax: str) -> dict[int, float]:
    """``cart->getTaxes()``: per-unit rate amounts × quantity; with ``fixed_tax: line``
    (4.1) a fixed-amount rate counts once per cart line instead of once per unit."""
    taxes: dict[int, float] = {}
    for p in products:
        if not p.tax_class_id:
            continue
        per_unit = get_rates(p.price, p.tax_class_id, rates)
        for rate in rates.get(p.tax_class_id, ()):
            if rate.tax_rate_id not in per_unit:
                continue
            amount = per_unit.pop(rate.tax_rate_id)
            line_amount = amount if (rate.type == "F" and fixed_tax == "line") else amount * p.quantity
            taxes[rate.tax_rate_id] = taxes.get(rate.tax_rate_id, 0) + line_amount
    return taxes


def coupon_problem(coupon: Coupon | None, products: list[CartProduct], customer_id: int) -> str | None:
    """``None`` when the coupon applies to this cart, else OpenCart's warning."""
    if coupon is None or not coupon.status:
        return MSG_COUPON
    today = _dt.date.today().isoformat()
    if coupon.date_start and coupon.date_start != "0000-00-00" and coupon.date_start > today:
        return MSG_COUPON
    if coupon.date_end and coupon.date_end != "0000-00-00" and coupon.date_end <= today:
        return MSG_COUPON
    if coupon.total > sub_total(products):
        return MSG_COUPON
    if coupon.logged and not customer_id:
        return MSG_COUPON
    if coupon.product_ids and not any(p.product_id in coupon.product_ids for p in products):
        return MSG_COUPON
    return None


def _sub_total(ext: Installed, s: TotalState) -> None:
    value = sub_total(s.products)
    s.add(ext, "sub_total", ext.ext.text.get("title", TITLES["sub_total"]), value)
    s.total += value


def _reward(ext: Installed, s: TotalState) -> None:
    if not s.reward or s.customer is None or s.reward > s.customer.reward_points:
        return
    points_total = 0
    for p in s.products:
        if p.points:
            points_total += p.points
    if not points_total:
        return
    discount_total = 0
    for p in s.products:
        discount = 0
        if p.points:
            discount = p.total * (s.reward / points_total)
            if p.tax_class_id:
                s.remove_percent_taxes(p.total - (p.total - discount), p.tax_class_id)
        discount_total += discount
    s.add(ext, "reward", TITLES["reward"] % s.reward, -discount_total)
    s.total -= discount_total


def _shipping(ext: Installed, s: TotalState) -> None:
    if not (s.needs_shipping and s.shipping is not None):
        return
    s.add(ext, "shipping", s.shipping.name, s.shipping.cost)
    if s.shipping.tax_class_id:
        s.add_taxes(s.shipping.cost, s.shipping.tax_class_id)
    s.total += s.shipping.cost


def _coupon(ext: Installed, s: TotalState) -> None:
    c = s.coupon
    if c is None:
        return
    eligible = [p for p in s.products if not c.product_ids or p.product_id in c.product_ids]
    base = sub_total(eligible)
    discount_value = min(c.discount, base) if c.type == "F" else c.discount
    discount_total = 0
    for p in eligible:
        if c.type == "F":
            discount = discount_value * (p.total / base) if base else 0
        else:
            discount = p.total / 100 * discount_value
        if p.tax_class_id:
            s.remove_percent_taxes(p.total - (p.total - discount), p.tax_class_id)
        discount_total += discount
    if c.shipping and s.shipping is not None and s.needs_shipping:
        if s.shipping.tax_class_id:
            s.remove_percent_taxes(s.shipping.cost, s.shipping.tax_class_id)
        discount_total += s.shipping.cost
    if discount_total > s.total:
        discount_total = s.total
    if discount_total > 0:
        s.add(ext, "coupon", TITLES["coupon"] % c.code, -discount_total)
        s.total -= discount_total


def _tax(ext: Installed, s: TotalState) -> None:
    for rate_id, value in s.taxes.items():
        if value > 0:
            s.add(ext, "tax", s.rate_names.get(rate_id, ""), value)
            s.total += value


def _credit(ext: Installed, s: TotalState) -> None:
    balance = s.customer.credit if s.customer is not None else 0.0
    if balance:
        credit = min(balance, s.total)
        if credit > 0:
            s.add(ext, "credit", TITLES["credit"], -credit)
            s.total -= credit


def _voucher(ext: Installed, s: TotalState) -> None:
    """The sandbox sells no gift vouchers, so there is never a voucher to redeem."""


def _fee(code: str, applies: Callable[[float, float], bool]) -> Callable[[Installed, TotalState], None]:
    def run(ext: Installed, s: TotalState) -> None:
        fee = ext.as_float("fee")
        threshold = ext.as_float("total")
        base = sub_total(s.products)
        if not applies(base, threshold):
            return
        s.add(ext, code, TITLES[code], fee)
        tax_class_id = ext.as_int("tax_class_id")
        if tax_class_id:
            s.add_taxes(fee, tax_class_id)
        s.total += fee

    return run


def _total(ext: Installed, s: TotalState) -> None:
    s.add(ext, "total", TITLES["total"], max(0, s.total))


RUNNERS: dict[str, Callable[[Installed, TotalState], None]] = {
    "sub_total": _sub_total,
    "reward": _reward,
    "shipping": _shipping,
    "coupon": _coupon,
    "tax": _tax,
    "credit": _credit,
    "voucher": _voucher,
    "handling": _fee("handling", lambda base, threshold: base > threshold and base > 0),
    "low_order_fee": _fee("low_order_fee", lambda base, threshold: bool(base) and base < threshold),
    "total": _total,
}

SETTING_KEYS: dict[str, set[str]] = {
    "shipping": {"estimator"},
    "handling": {"fee", "total", "tax_class_id"},
    "low_order_fee": {"fee", "total", "tax_class_id"},
}


def compute(extensions: tuple[Installed, ...], state: TotalState) -> list[TotalLine]:
    """Run the enabled total extensions (``extensions`` come in sort order) and return
    the lines in OpenCart's order."""
    state.taxes = cart_taxes(state.products, state.rates, state.fixed_tax)
    for ext in extensions:
        RUNNERS[ext.code](ext, state)
    ordered = sorted(
        state.lines,
        key=lambda item: (item[0].sort_order, item[0].extension, item[0].code, item[0].title, item[0].value, item[1]),
    )
    return [line for line, _ in ordered]
