"""Installed shipping/payment/total extensions with their setting strings cast once.

Extension settings stay the strings OpenCart keeps in ``oc_setting`` (their PHP types
leak into answers), but every quote reads them as numbers. :func:`installed` casts each
setting the way PHP does once, when the engine is built, and orders the enabled
extensions the way OpenCart runs them, so pricing reads ints, floats and the weight
extension's parsed rate tables (``"1:4.00,5:8.00"``) instead of re-parsing per request.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ocdata._php import php_float, php_int
from ocdata.sandbox.model import Extension


#: One ``<limit>:<cost>`` pair of a weight rate table: the limit as PHP compares it, the
#: cost string as the quote serialises it (``""`` when the pair has no cost) and as a number.
RateStep = tuple[float, str, float]


def rate_table(text: str) -> tuple[RateStep, ...]:
    """``explode(',', $rates)`` then ``explode(':', $rate)`` of the weight extension."""
    steps = []
    for pair in text.split(","):
        limit, colon, cost = pair.partition(":")
        cost = cost if colon else ""
        steps.append((php_float(limit), cost, php_float(cost)))
    return tuple(steps)


@dataclass(frozen=True)
class Installed:
    """An enabled extension: its record plus every setting cast as PHP casts it."""

    ext: Extension
    sort_order: int
    ints: dict[str, int] = field(repr=False)
    floats: dict[str, float] = field(repr=False)
    rate_tables: dict[str, tuple[RateStep, ...]] = field(repr=False)

    @property
    def code(self) -> str:
        return self.ext.code

    def as_int(self, key: str) -> int:
        """``(int)$setting`` (0 when unset)."""
        return self.ints.get(key, 0)

    def as_float(self, key: str) -> float:
        """``(float)$setting`` (0.0 when unset)."""
        return self.floats.get(key, 0.0)

    def raw(self, key: str, default: str = "") -> str:
        return self.ext.settings.get(key, default)

    def rates(self, key: str) -> tuple[RateStep, ...]:
        """The parsed rate table of a ``<geo_zone_id>_rate`` setting (an unset one parses as ``""``)."""
        table = self.rate_tables.get(key)
        return table if table is not None else _EMPTY_TABLE


_EMPTY_TABLE = rate_table("")


def installed(extensions: tuple[Extension, ...]) -> tuple[Installed, ...]:
    """The enabled extensions in the order OpenCart runs and lists them: by sort order,
    equal sort orders in store order (a stable sort)."""
    prepared = [
        Installed(
            ext,
            php_int(ext.sort_order),
            {k: php_int(v) for k, v in ext.settings.items()},
            {k: php_float(v) for k, v in ext.settings.items()},
            {k: rate_table(v) for k, v in ext.settings.items() if k.endswith("_rate")},
        )
        for ext in extensions
        if ext.status
    ]
    prepared.sort(key=lambda e: e.sort_order)
    return tuple(prepared)
