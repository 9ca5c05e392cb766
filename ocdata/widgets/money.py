"""Amounts with their currency, as the store writes them (``$1,234.50``, ``1.234,50€``).

OpenCart's answers carry numbers and, beside them, the store's formatted text
(``{"value": 123.2, "text": "$123.20"}``). :func:`infer_money` reads the currency's symbol
and its side from such a pair, so a widget shows every amount the way the store's own
checkout would, without asking the analyst which currency the store uses.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

__all__ = ["Money", "infer_money", "UNKNOWN"]

_NUMBER = re.compile(r"-?[\d.,\s\u00a0]*\d")


@dataclass(frozen=True)
class Money:
    """A currency's symbol and where it goes; ``code`` (ISO 4217) when known."""

    left: str = ""
    right: str = ""
    code: str = ""

    @property
    def unit(self) -> str:
        """What an axis or a column header says: ``$``, ``€``, ``USD`` or ``store currency``."""
        return (self.left or self.right).strip() or self.code or "store currency"

    @property
    def known(self) -> bool:
        return bool(self.left or self.right or self.code)

    def __call__(self, value: Any) -> str:
        """``value`` formatted with two decimals and the currency (``—`` when missing)."""
        if value is None:
            return "—"
        try:
            number = float(value)
        except (TypeError, ValueError):
            return str(value)
        if math.isnan(number):
            return "—"
        sign = "-" if number < 0 else ""
        body = f"{abs(number):,.2f}"
        if self.left or self.right:
            return f"{sign}{self.left}{body}{self.right}"
        return f"{sign}{body} {self.code}".rstrip()


UNKNOWN = Money()
"""Amounts of a store whose currency is not known yet: two decimals, no symbol."""


def infer_money(lines: Iterable[Any], code: str = "") -> Money:
    """The currency of the first line whose ``text`` writes its ``value`` (a total line, a
    product's ``price``/``price_text`` pair...). Returns :data:`UNKNOWN` (with ``code``) if none does."""
    for line in lines:
        text = getattr(line, "text", None)
        value = getattr(line, "value", None)
        if not isinstance(text, str) or value is None or not isinstance(value, (int, float, Decimal)):
            continue
        m = _NUMBER.search(text)
        if not m:
            continue
        left, right = text[:m.start()].replace("-", ""), text[m.end():]
        if left.strip() or right.strip():
            return Money(left.strip(), right.strip(), code)
    return Money(code=code)
