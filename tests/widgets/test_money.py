"""Amounts written with the store's currency, read from the store's own formatted totals."""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace as Line

import pytest

from ocdata.widgets.money import UNKNOWN, Money, infer_money


@pytest.mark.parametrize("text, value, money, shown", [
    ("$123.20", Decimal("123.20"), Money("$", ""), "$1,234.50"),
    ("1.234,50€", Decimal("1234.50"), Money("", "€"), "1,234.50€"),
    ("£5.00", 5.0, Money("£", ""), "£1,234.50"),
    ("-$2.00", Decimal("-2.00"), Money("$", ""), "$1,234.50"),
])
def test_currency_is_read_from_a_formatted_total(text, value, money, shown):
    assert infer_money([Line(text=text, value=value)]) == money
    assert money(1234.5) == shown


def test_lines_without_a_symbol_leave_the_currency_unknown():
    assert infer_money([Line(text="12.00", value=12.0), Line(text=None, value=1.0)]) == UNKNOWN
    assert infer_money([], code="EUR").unit == "EUR"
    assert UNKNOWN.unit == "store currency" and UNKNOWN(5) == "5.00"


def test_missing_amounts_and_negatives():
    dollars = Money("$", "")
    assert dollars(None) == "—" and dollars(float("nan")) == "—"
    assert dollars(-2) == "-$2.00"
