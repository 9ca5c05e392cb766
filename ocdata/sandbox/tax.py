"""OpenCart's ``Cart\\Tax``: which rates apply where, and what they charge.

Semantics (``system/library/cart/tax.php``): a rate applies to a tax class through a
rule whose ``based`` address (shipping / payment / store) lies in the rate's geo zone,
and only for the customer groups linked to the rate. Rates are collected per class in
rule-priority order, keyed by rate id (the same rate reached through two rules counts
once). Percentage rates are all taken of the same base amount — priorities order the
lines but never compound. Fixed (F) rates add their amount as is.
"""

from __future__ import annotations

import threading

from ocdata.sandbox.geo import GeoIndex
from ocdata.sandbox.model import StoreConfig, TaxRate
from ocdata.sandbox.records import AddressRef

BASED = ("shipping", "payment", "store")


class TaxIndex:
    """Resolves rates for (group, addresses) once and caches the answer."""

    def __init__(self, store: StoreConfig, geo: GeoIndex) -> None:
        self._geo = geo
        self.rates = {r.tax_rate_id: r for r in store.tax_rates}
        rules: dict[str, list[tuple[int, int, int, TaxRate]]] = {b: [] for b in BASED}
        for tax_class in store.tax_classes:
            for rule in tax_class.rules:
                rate = self.rates.get(rule.tax_rate_id)
                if rate is not None and rule.based in rules:
                    rules[rule.based].append((rule.priority, rule.tax_rule_id, tax_class.tax_class_id, rate))
        # the rate query is ORDER BY priority; rule id settles ties deterministically
        self._rules = {b: sorted(v, key=lambda t: (t[0], t[1])) for b, v in rules.items()}
        self._cache: dict[tuple, dict[int, tuple[TaxRate, ...]]] = {}
        self._lock = threading.Lock()

    def resolve(
        self,
        customer_group_id: int,
        shipping: AddressRef | None,
        payment: AddressRef | None,
        store: AddressRef,
    ) -> dict[int, tuple[TaxRate, ...]]:
        """tax_class_id -> applicable rates, as ``setShippingAddress``/``setPaymentAddress``/
        ``setStoreAddress`` leave them."""
        key = (customer_group_id, shipping, payment, store)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        by_class: dict[int, dict[int, TaxRate]] = {}
        for based, address in zip(BASED, (shipping, payment, store)):
            if address is None:
                continue
            for _priority, _rule_id, tax_class_id, rate in self._rules[based]:
                if customer_group_id not in rate.customer_group_ids:
                    continue
                if not self._geo.contains(rate.geo_zone_id, address.country_id, address.zone_id):
                    continue
                by_class.setdefault(tax_class_id, {})[rate.tax_rate_id] = rate
        resolved = {cid: tuple(rates.values()) for cid, rates in by_class.items()}
        with self._lock:
            if len(self._cache) > 4096:
                self._cache.clear()
            self._cache[key] = resolved
        return resolved


def get_rates(value: float, tax_class_id: int, rates: dict[int, tuple[TaxRate, ...]]) -> dict[int, float]:
    """``tax->getRates($value, $tax_class_id)``: rate id -> amount for one ``value``."""
    out: dict[int, float] = {}
    for rate in rates.get(tax_class_id, ()):
        amount = out.get(rate.tax_rate_id, 0)
        if rate.type == "F":
            amount += rate.rate
        elif rate.type == "P":
            amount += value / 100 * rate.rate
        out[rate.tax_rate_id] = amount
    return out


def calculate(value: float, tax_class_id: int, rates: dict[int, tuple[TaxRate, ...]], enabled: bool = True) -> float:
    """``tax->calculate($value, $tax_class_id, $calculate)``: value plus every rate's amount."""
    if not tax_class_id or not enabled:
        return value
    amount = 0
    for tax in get_rates(value, tax_class_id, rates).values():
        amount += tax
    return value + amount
