"""Money and weight formatting the way OpenCart's ``Cart\\Currency``/``Cart\\Weight`` do it."""

from __future__ import annotations

import functools
from decimal import ROUND_HALF_UP, Decimal

from ocdata._php import pre_round
from ocdata.sandbox.model import Currency, WeightClass


def php_round(value: float, places: int = 0) -> float:
    """PHP ``round()`` (8.2 and earlier): half away from zero on the shortest decimal repr (so
    1.005 -> 1.01), after PHP's pre-rounding to 15 significant digits (so 20.294999999999998,
    8.25 % of 246 in floats, -> 20.3, as a real 4.1.0.4 store's checkout shows such amounts)."""
    d = pre_round(Decimal(repr(float(value))))
    q = Decimal(1).scaleb(-places)
    rounded = abs(d).quantize(q, rounding=ROUND_HALF_UP)
    return float(rounded if d >= 0 else -rounded)


def number_format(value: float, decimals: int = 0, decimal_point: str = ".", thousands: str = ",") -> str:
    """PHP ``number_format()`` (rounds half away from zero, groups thousands)."""
    rounded = php_round(value, decimals)
    text = f"{abs(rounded):,.{decimals}f}"
    if thousands != "," or decimal_point != ".":
        text = text.replace(",", "\0").replace(".", decimal_point).replace("\0", thousands)
    # PHP 8 never prints "-0.00": the sign is kept only for amounts that stay negative after rounding
    return ("-" if rounded < 0 else "") + text


# Pure in (value, currency) and called for every price, total and quote text; a study
# formats the same few hundred amounts over and over, and Decimal rounding is the cost.
@functools.lru_cache(maxsize=8192)
def format_money(value: float, currency: Currency) -> str:
    """``currency->format($number, $code)``: convert at the currency's value, round, add symbols.

    Negative amounts come out as ``$-5.00`` (the sign sits after the left symbol, as in PHP).
    """
    factor = currency.value
    amount = float(value) * factor if factor else float(value)
    amount = php_round(amount, currency.decimal_place)
    return (
        currency.symbol_left
        + number_format(amount, currency.decimal_place)
        + currency.symbol_right
    )


def convert_weight(value: float, from_class: WeightClass | None, to_class: WeightClass | None) -> float:
    """``weight->convert``: unknown classes count as value 1, same class is returned unchanged."""
    if from_class is to_class or (
        from_class is not None and to_class is not None and from_class.weight_class_id == to_class.weight_class_id
    ):
        return value
    f = from_class.value if from_class is not None else 1.0
    t = to_class.value if to_class is not None else 1.0
    return value * (t / f)


def format_weight(value: float, weight_class: WeightClass | None) -> str:
    """``weight->format($value, $class)``: two decimals plus the class unit (``"11.00kg"``)."""
    return number_format(value, 2) + (weight_class.unit if weight_class is not None else "")
