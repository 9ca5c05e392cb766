"""Client results as tidy pandas DataFrames with fixed, documented columns.

Every builder returns the same columns with the same dtypes whatever it is given,
including nothing (an empty frame), so frames concatenate and load into DuckDB
without surprises. Conventions:

* money is ``float64`` (the client keeps ``Decimal``; a frame is for analysis),
* ids are ``int64`` (``Int64``, pandas' nullable int64, where a row may have none),
* codes (method/quote/total codes, status, dialect) are ``category``,
* free text is pandas' ``str`` dtype, flags are ``boolean`` (nullable),
* amounts come in two currencies (OpenCart's own split): a shipping quote's ``cost`` is ex-tax
  in the store's **default currency**; formatted ``text``, total lines (sub-total, tax, total)
  and 4.0/3.0 product prices are in the **session currency** (the default one unless
  ``connect(currency=...)`` on 4.0/3.0). :func:`with_currency` (or ``to_frame(..., store=)``, or a
  study's frame) adds both codes as ``currency`` and ``session_currency`` columns
  (:data:`CURRENCY_COLUMNS`); each money column's meaning below names its currency.

One row per natural unit: a quote row is one shipping quote of one
:class:`~ocdata.client.models.Quote` (a quote the store offered nothing for is still
one row, with ``option_index`` -1 and a ``status`` saying why). Column names and
dtypes live in the ``*_COLUMNS`` mappings below; ``describe(kind)`` prints them.

Builders read model attributes directly and never re-validate: each attribute once, into
one array per column (no dict or tuple per row), text and amounts converted once per
distinct value, so a million quote rows take a few seconds.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable, Iterator, Mapping, Sequence
from decimal import Decimal
from operator import attrgetter, is_, itemgetter
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ocdata.client.models import (
    Cart,
    CartProduct,
    OrderResult,
    PaymentMethod,
    Quote,
    QuoteOption,
    ShippingQuote,
    TotalLine,
)

__all__ = [
    "to_frame",
    "quotes_frame",
    "quote_totals_frame",
    "quote_payment_methods_frame",
    "products_frame",
    "totals_frame",
    "shipping_quotes_frame",
    "payment_methods_frame",
    "orders_frame",
    "empty_frame",
    "conform",
    "with_currency",
    "CURRENCY_COLUMNS",
    "describe",
    "COLUMNS",
    "QUOTE_COLUMNS",
    "QUOTE_TOTAL_COLUMNS",
    "QUOTE_PAYMENT_COLUMNS",
    "PRODUCT_COLUMNS",
    "TOTAL_COLUMNS",
    "SHIPPING_QUOTE_COLUMNS",
    "PAYMENT_METHOD_COLUMNS",
    "ORDER_COLUMNS",
    "STATUS_OK",
    "STATUS_UNAVAILABLE",
    "STATUS_NO_SHIPPING",
    "STATUS_ERROR",
]

STATUS_OK = "ok"
"""The store priced this shipping quote."""
STATUS_UNAVAILABLE = "unavailable"
"""The store offered no shipping quote (for this method, or at all) to this destination."""
STATUS_NO_SHIPPING = "no_shipping"
"""The cart needs no shipping: the row carries the cart's own totals."""
STATUS_ERROR = "error"
"""The store (or the network) answered this quote, option or scenario with an error."""

# (dtype, meaning) per column, in frame order -------------------------------------------

QUOTE_COLUMNS: dict[str, tuple[str, str]] = {
    "quote": ("int64", "position of the Quote among those given (0 for a single quote)"),
    "option_index": ("int64", "position of the shipping quote in Quote.options; -1: no quote offered"),
    "dialect": ("category", "wire dialect that carried the quote (oc41, oc40, oc30, spec)"),
    "pricing": ("category", "how prices were obtained: api, storefront or session"),
    "method_code": ("category", "shipping extension code, e.g. 'weight'"),
    "quote_code": ("category", "the code sent back to the store, e.g. 'weight.weight_4'"),
    "method_name": ("str", "shipping extension title, e.g. 'Weight Based Shipping'"),
    "name": ("str", "quote title, e.g. 'United Kingdom Shipping'"),
    "cost": ("float64", "shipping cost before tax (OpenCart's 'cost'), in the store's default currency"),
    "tax_class_id": ("Int64", "tax class of the shipping cost (0: untaxed)"),
    "text": ("str", "the store's formatted cost (with tax when the store displays prices so), session currency"),
    "sort_order": ("Int64", "the store's sort order of the shipping method"),
    "sub_total": ("float64", "products before tax (the 'sub_total' line), session currency"),
    "cart_tax": ("float64", "tax of the cart alone, before shipping (from Quote.totals), session currency"),
    "tax": ("float64", "sum of every 'tax' line with this shipping quote chosen, session currency"),
    "shipping_tax": ("float64", "tax - cart_tax: the tax this shipping quote adds, session currency"),
    "cost_with_tax": ("float64", "cost + shipping_tax: what the shipping costs the customer (NaN after "
                                 "with_currency when the two currencies differ: it would add both)"),
    "total": ("float64", "order total with this shipping quote (the 'total' line), session currency"),
    "payment_methods": ("str", "payment method codes offered with it, comma-separated, store order"),
    "n_payment_methods": ("int64", "how many payment methods were offered"),
    "status": ("category", "ok, unavailable, no_shipping or error (see STATUS_*)"),
    "error": ("str", "the store's (or the network's) message when status is not ok"),
}

QUOTE_TOTAL_COLUMNS: dict[str, tuple[str, str]] = {
    "quote": ("int64", "position of the Quote among those given"),
    "option_index": ("int64", "shipping quote the totals belong to; -1: the cart's own totals"),
    "code": ("category", "total extension code: sub_total, shipping, tax, coupon, total..."),
    "title": ("str", "line title as the store shows it, e.g. 'VAT (20%)'"),
    "value": ("float64", "amount, session currency"),
    "sort_order": ("int64", "the store's order of the lines"),
}

QUOTE_PAYMENT_COLUMNS: dict[str, tuple[str, str]] = {
    "quote": ("int64", "position of the Quote among those given"),
    "option_index": ("int64", "shipping quote they were offered with; -1: offered for the cart"),
    "code": ("category", "payment code sent back to the store, e.g. 'cod.cod'"),
    "name": ("str", "title"),
    "method_code": ("category", "payment extension code, e.g. 'cod'"),
    "method_name": ("str", "payment extension title"),
    "sort_order": ("int64", "the store's sort order"),
}

PRODUCT_COLUMNS: dict[str, tuple[str, str]] = {
    "line": ("int64", "position of the product in the cart"),
    "product_id": ("int64", "product id"),
    "name": ("str", "product name"),
    "model": ("str", "product model"),
    "quantity": ("int64", "quantity"),
    "options": ("str", "selected options flattened: 'Size: Large; Colour: Red' (store order)"),
    "option_value_ids": ("str", "product_option_value_id per option, comma-separated (0: text option)"),
    "price": ("float64", "unit price before tax (with option prices), session currency"),
    "total": ("float64", "line total before tax, session currency"),
    "price_text": ("str", "the store's formatted unit price, session currency"),
    "total_text": ("str", "the store's formatted line total, session currency"),
    "in_stock": ("boolean", "enough stock for the quantity"),
    "minimum_ok": ("boolean", "quantity meets the product minimum"),
    "reward": ("Int64", "reward points earned"),
    "points": ("Int64", "points needed to buy with points"),
    "weight": ("float64", "line weight in the store's weight class"),
    "shipping": ("boolean", "the product needs shipping"),
    "tax_class_id": ("Int64", "tax class"),
    "subscription_plan_id": ("Int64", "subscription plan, if any"),
}

TOTAL_COLUMNS: dict[str, tuple[str, str]] = {
    "code": ("category", "total extension code: sub_total, shipping, tax, coupon, total..."),
    "title": ("str", "line title as the store shows it"),
    "value": ("float64", "amount, session currency"),
    "sort_order": ("int64", "the store's order of the lines"),
    "text": ("str", "the store's formatted amount, session currency"),
}

SHIPPING_QUOTE_COLUMNS: dict[str, tuple[str, str]] = {
    "method_code": ("category", "shipping extension code"),
    "quote_code": ("category", "the code sent back to the store"),
    "method_name": ("str", "shipping extension title"),
    "name": ("str", "quote title"),
    "cost": ("float64", "cost before tax, in the store's default currency"),
    "tax_class_id": ("Int64", "tax class of the cost"),
    "text": ("str", "the store's formatted cost, session currency"),
    "sort_order": ("Int64", "the store's sort order"),
}

PAYMENT_METHOD_COLUMNS: dict[str, tuple[str, str]] = {
    "code": ("category", "payment code sent back to the store"),
    "name": ("str", "title"),
    "method_code": ("category", "payment extension code"),
    "method_name": ("str", "payment extension title"),
    "sort_order": ("int64", "the store's sort order"),
}

ORDER_COLUMNS: dict[str, tuple[str, str]] = {
    "order_id": ("int64", "the store's order id"),
    "status_id": ("int64", "order status id after confirm"),
    "dialect": ("category", "wire dialect"),
    "sub_total": ("float64", "products before tax, session currency"),
    "shipping": ("float64", "the shipping line, session currency"),
    "tax": ("float64", "sum of the tax lines, session currency"),
    "total": ("float64", "order total, session currency"),
    "points": ("Int64", "reward points"),
    "n_products": ("int64", "number of product lines"),
}

COLUMNS: dict[str, dict[str, tuple[str, str]]] = {
    "quotes": QUOTE_COLUMNS,
    "quote_totals": QUOTE_TOTAL_COLUMNS,
    "quote_payment_methods": QUOTE_PAYMENT_COLUMNS,
    "products": PRODUCT_COLUMNS,
    "totals": TOTAL_COLUMNS,
    "shipping_quotes": SHIPPING_QUOTE_COLUMNS,
    "payment_methods": PAYMENT_METHOD_COLUMNS,
    "orders": ORDER_COLUMNS,
}
"""Every frame kind's columns: ``{kind: {column: (dtype, meaning)}}``."""

CURRENCY_COLUMNS: dict[str, tuple[str, str]] = {
    "currency": ("category", "the store's default currency (ISO 4217 code): cost is in it"),
    "session_currency": ("category", "the session's currency: text, total lines (sub_total, cart_tax, tax, "
                                     "shipping_tax, total, value) and 4.0/3.0 prices are in it"),
}
"""The columns :func:`with_currency` appends: which currency each money column is in."""


def describe(kind: str) -> pd.DataFrame:
    """The documented columns of a frame kind (``"quotes"``, ``"products"``...)."""
    spec = COLUMNS[kind]
    return pd.DataFrame(
        {"column": list(spec), "dtype": [d for d, _ in spec.values()], "meaning": [m for _, m in spec.values()]}
    )


# --------------------------------------------------------------------------- building
#
# A million quote rows are some ten million model attributes. Each is read once, by a C
# loop where one exists (``map``/``attrgetter`` into ``np.fromiter``), into one array per
# column: no dict or tuple per row. Text that repeats (codes, titles, names) is interned
# to integer codes as it is read, so a categorical is its codes and a text column is
# built by Arrow from the distinct strings; a Decimal amount is converted to float once
# per distinct value (amounts repeat: the same cost for many destinations).


_ARROW = {"str": pa.string(), "Int64": pa.int64(), "boolean": pa.bool_(), "category": pa.string()}
_PANDAS = {pa.int64(): pd.Int64Dtype(), pa.bool_(): pd.BooleanDtype(),
           pa.string(): pd.StringDtype("pyarrow", na_value=np.nan)}.get  # pandas' "str" even when all null


class _Coded:
    """A text column as codes into its distinct values, in order of first appearance (-1: missing)."""

    __slots__ = ("codes", "values")

    def __init__(self, codes: np.ndarray, values: list[str]) -> None:
        self.codes = codes
        self.values = values

    def __len__(self) -> int:
        return len(self.codes)

    def take(self, index: np.ndarray) -> _Coded:
        return _Coded(self.codes[index], self.values)

    def compact(self) -> _Coded:
        """Only the values in use, numbered in order of first appearance (for a few values)."""
        firsts = [(int(np.argmax(hit)), k) for k in range(len(self.values)) if (hit := self.codes == k).any()]
        order = [k for _, k in sorted(firsts)]
        if order == list(range(len(self.values))):
            return self
        remap = np.full(len(self.values) + 1, -1, dtype=np.int32)  # [-1] stays missing
        remap[order] = np.arange(len(order), dtype=np.int32)
        return _Coded(remap[self.codes], [self.values[k] for k in order])

    def categorical(self) -> pd.Categorical:
        return pd.Categorical.from_codes(self.codes, categories=pd.Index(self.values, dtype="str"), validate=False)

    def strings(self) -> pa.Array:
        missing = self.codes < 0
        index = pa.array(self.codes, mask=missing if missing.any() else None)
        return pa.array(self.values, type=pa.string()).take(index)


class _Intern(dict):
    """value -> code, numbered in order of first appearance; the preset ``missing`` values map to -1."""

    __slots__ = ("_preset",)

    def __init__(self, missing: tuple = (None,)) -> None:
        super().__init__(dict.fromkeys(missing, -1))
        self._preset = len(self)

    def __missing__(self, key: Any) -> int:
        code = self[key] = len(self) - self._preset
        return code

    def distinct(self) -> list:
        return list(self)[self._preset:]


def _coded(values: Iterable[Any], n: int = -1, missing: tuple = (None,)) -> _Coded:
    seen = _Intern(missing)
    codes = np.fromiter(map(seen.__getitem__, values), np.int32, count=n)
    return _Coded(codes, seen.distinct())


class _Amounts(dict):
    """Decimal -> float, each distinct amount converted once."""

    __slots__ = ()

    def __missing__(self, key: Any) -> float:
        value = self[key] = float(key)
        return value


def _amounts(values: Iterable[Any], n: int = -1) -> tuple[np.ndarray, _Amounts]:
    memo = _Amounts({None: np.nan})
    return np.fromiter(map(memo.__getitem__, values), np.float64, count=n), memo


def _floats(values: Iterable[Any]) -> np.ndarray:
    """Decimals (or None) as float64."""
    if isinstance(values, np.ndarray):
        return values.astype(np.float64, copy=False)
    return _amounts(values, len(values) if isinstance(values, Sequence) else -1)[0]


_MICRO = Decimal("0.000001")
_MICROS_LIMIT = Decimal(10) ** 8


def _whole_micros(amounts: Iterable[Any]) -> bool:
    """Every amount a whole number of millionths below 10^8 in size: then sums of their
    millionths in float64 are exact integers (below 2^53 for up to 90 lines)."""
    for a in amounts:
        if a is None:
            continue
        if isinstance(a, Decimal):
            if not a.is_finite() or abs(a) >= _MICROS_LIMIT or a % _MICRO:
                return False
        elif not (isinstance(a, int) and abs(a) < _MICROS_LIMIT):
            return False
    return True


def _column(values: Any, dtype: str) -> Any:
    if dtype == "float64":
        return _floats(values)
    if dtype == "int64":
        return np.asarray(values, dtype=np.int64) if len(values) else np.empty(0, np.int64)
    if isinstance(values, pd.api.extensions.ExtensionArray | pd.Series):
        return values
    if not len(values):  # Arrow gives object columns for empty input
        return pd.Categorical(pd.array([], dtype="str")) if dtype == "category" else pd.array([], dtype=dtype)
    if isinstance(values, _Coded):
        if dtype == "category":
            return values.categorical()
        values = values.strings()
    # Arrow builds nullable columns from Python lists several times faster than pandas does
    arr = values if isinstance(values, pa.Array) else pa.array(values, type=_ARROW[dtype])
    if dtype == "category":
        return arr.dictionary_encode().to_pandas()
    return arr.to_pandas(types_mapper=_PANDAS)


def _frame(columns: Mapping[str, Any], spec: Mapping[str, tuple[str, str]]) -> pd.DataFrame:
    return pd.DataFrame({name: _column(columns[name], dtype) for name, (dtype, _) in spec.items()}, copy=False)


def empty_frame(kind: str) -> pd.DataFrame:
    """An empty frame of a kind, with its columns and dtypes."""
    spec = COLUMNS[kind]
    return _frame({name: [] for name in spec}, spec)


def conform(df: pd.DataFrame, spec: Mapping[str, tuple[str, str]] | str) -> pd.DataFrame:
    """Cast the columns of ``df`` named in ``spec`` to their documented dtypes (in place order kept).

    Used on frames read back from DuckDB, which knows VARCHAR, not ``category``.
    """
    if isinstance(spec, str):
        spec = COLUMNS[spec]
    out = {}
    for name in df.columns:
        col = df[name]
        if name in spec:
            dtype = spec[name][0]
            if dtype == "int64" and col.isna().any():
                dtype = "Int64"
            if dtype == "category":
                if not isinstance(col.dtype, pd.CategoricalDtype):
                    col = col.astype("category")
            elif str(col.dtype) != dtype:
                col = col.astype(dtype)
        out[name] = col
    return pd.DataFrame(out, index=df.index, copy=False)


def with_currency(df: pd.DataFrame, store: Any = None, *, currency: str | None = None,
                  session_currency: str | None = None) -> pd.DataFrame:
    """``df`` with :data:`CURRENCY_COLUMNS` appended: the store's default currency and its session currency.

    Give a connected :class:`~ocdata.client.store.Store` (its ``default_currency`` and
    ``session_currency``) or the codes; the session currency defaults to the default one.
    An unknown code is a missing value. Where the two differ, ``cost_with_tax`` (cost in
    one, tax in the other) becomes NaN rather than a sum of two currencies.
    """
    if store is not None:
        currency = currency or getattr(store, "default_currency", None)
        session_currency = session_currency or getattr(store, "session_currency", None)
    currency = currency.upper() if currency else None
    session_currency = session_currency.upper() if session_currency else currency
    out = df.copy()
    for name, code in (("currency", currency), ("session_currency", session_currency)):
        out[name] = pd.Categorical([code] * len(out), categories=pd.Index([code] if code else [], dtype="str"))
    if currency and session_currency and currency != session_currency and "cost_with_tax" in out.columns:
        out["cost_with_tax"] = np.nan
    return out


def _f(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def _as_list(value: Any, kind: type) -> list:
    if isinstance(value, kind):
        return [value]
    return list(value)


def _interned(objects: Sequence, attrs: tuple[str, ...]) -> tuple[np.ndarray, list]:
    """Each object's index into the distinct ``attrgetter(*attrs)`` values, and those values."""
    n = len(objects)
    seen = _Intern(())
    try:
        # a pydantic model's fields live in its __dict__: reading them there skips the attribute
        # protocol (type lookup, descriptor check), a third of the cost of a read
        values = map(itemgetter(*attrs), map(_DICT, objects))
        return np.fromiter(map(seen.__getitem__, values), np.int32, count=n), seen.distinct()
    except (AttributeError, KeyError):  # slots, properties, class attributes: read them as attributes
        seen = _Intern(())
        values = map(attrgetter(*attrs), objects)
        return np.fromiter(map(seen.__getitem__, values), np.int32, count=n), seen.distinct()


_DICT = attrgetter("__dict__")


def _pick(objects: Sequence, index: np.ndarray) -> list:
    return list(map(objects.__getitem__, index.tolist()))


def _repeated_groups(groups: list, lengths: np.ndarray) -> np.ndarray | None:
    """Which groups hold the very objects of the group before them (the client hands one band's
    payment methods to each of its options): a bool per group, None when none does. Only a group
    whose first object is its predecessor's is compared further (by identity, then equality)."""
    candidates = np.flatnonzero((lengths[1:] == lengths[:-1]) & (lengths[1:] > 0)) + 1
    if not len(candidates):
        return None
    at = candidates.tolist()
    same = [g[0] is p[0] and g == p for g, p in zip(map(groups.__getitem__, at), map(groups.__getitem__, (candidates - 1).tolist()))]
    if not any(same):
        return None
    repeated = np.zeros(len(groups), dtype=bool)
    repeated[candidates] = same
    return repeated


class _Read:
    """Some attributes of many objects, read in one pass as each object's index into the
    distinct combinations: objects repeat a lot (the same VAT line, shipping quote or
    payment method for thousands of scenarios), so each column is then built from the
    few distinct values and indexed."""

    def __init__(self, objects: Sequence, attrs: tuple[str, ...]) -> None:
        self.attrs = attrs
        self.ids, self.rows = _interned(objects, attrs)  # rows: tuples; bare values for a single attribute

    def part(self, start: int, stop: int) -> "_Read":
        """The same read for objects ``start:stop`` only (the distinct rows are shared)."""
        out = object.__new__(_Read)
        out.attrs, out.ids, out.rows = self.attrs, self.ids[start:stop], self.rows
        return out

    def values(self, attr: str) -> list:
        """The distinct rows' values of ``attr``."""
        if len(self.attrs) == 1:
            return self.rows
        j = self.attrs.index(attr)
        return [row[j] for row in self.rows]

    def coded(self, attr: str, missing: tuple = (None,)) -> _Coded:
        distinct = _coded(self.values(attr), len(self.rows), missing)
        return _Coded(distinct.codes[self.ids], distinct.values)

    def amounts(self, attr: str) -> tuple[np.ndarray, _Amounts]:
        """float64 per object, and the distinct amounts (Decimal -> float)."""
        floats, memo = _amounts(self.values(attr), len(self.rows))
        return floats[self.ids], memo

    def ints(self, attr: str) -> np.ndarray:
        return np.fromiter(self.values(attr), np.int64, count=len(self.rows))[self.ids]

    def column(self, attr: str, dtype: str) -> Any:
        """``attr`` per object, ready for a column of ``dtype``."""
        if dtype == "float64":
            return self.amounts(attr)[0]
        if dtype == "int64":
            return self.ints(attr)
        if dtype in ("str", "category"):
            return self.coded(attr)
        return pa.array(self.values(attr), type=_ARROW[dtype]).take(pa.array(self.ids))


class _Items:
    """The items (total lines, payment methods) of many groups, flattened once."""

    def __init__(self, groups: list[tuple], shared: bool = False) -> None:
        """``shared``: a group may hold the very objects of the group before it (payment
        methods): those are kept, and read, once."""
        self.lengths = np.fromiter(map(len, groups), np.int64, count=len(groups))
        self._owner: np.ndarray | None = None
        self._reads: dict[tuple[str, ...], _Read] = {}
        # items: every group's objects, or only those of the groups repeating none, with ``source``
        # (int32 per item of every group) giving each item's place among them
        self.source: np.ndarray | None = None
        repeated = _repeated_groups(groups, self.lengths) if shared else None
        if repeated is None:
            self.items: Sequence = [x for g in groups for x in g]
            return
        kept = np.flatnonzero(~repeated)
        self.items = [x for g in map(groups.__getitem__, kept.tolist()) for x in g]
        n_groups = len(groups)
        kept_lengths = self.lengths[kept]
        kept_starts = np.zeros(n_groups, dtype=np.int64)
        kept_starts[kept] = np.cumsum(kept_lengths) - kept_lengths
        head = np.maximum.accumulate(np.where(repeated, 0, np.arange(n_groups)))  # a run's first group
        starts = np.cumsum(self.lengths) - self.lengths
        owner = self.owner
        self.source = (kept_starts[head][owner] + (np.arange(len(owner)) - starts[owner])).astype(np.int32)

    @property
    def owner(self) -> np.ndarray:
        """Each item's group (built when needed: cheap, and 8 bytes an item to keep)."""
        if self._owner is None:
            self._owner = np.repeat(np.arange(len(self.lengths), dtype=np.int64), self.lengths)
        return self._owner

    def release(self) -> None:
        """Drop what is cheap to build again (while a frame keeps its builder for the cache)."""
        self._owner = None

    def read(self, *attrs: str) -> _Read:
        """``attrs`` of every item; a wider read already made serves a narrower one."""
        done = self.read_already(*attrs)
        if done is None:
            done = self._reads[attrs] = _Read(self.items, attrs)
            if self.source is not None:
                done.ids = done.ids[self.source]
        return done

    def read_already(self, *attrs: str) -> _Read | None:
        for read_attrs, done in self._reads.items():
            if set(attrs) <= set(read_attrs):
                return done
        return None

    def part(self, first: int, last: int) -> "_Items":
        """Groups ``first:last`` only, with the reads made so far."""
        starts = np.concatenate(([0], np.cumsum(self.lengths)))
        i0, i1 = int(starts[first]), int(starts[last])
        out = object.__new__(_Items)
        out.lengths, out._owner = self.lengths[first:last], None
        if self.source is None:
            out.items, out.source = _Window(self.items, i0, i1), None
        else:
            out.items, out.source = self.items, self.source[i0:i1]
        out._reads = {attrs: r.part(i0, i1) for attrs, r in self._reads.items()}
        return out


class _Window(Sequence):
    """``items[start:stop]`` without copying it (a chunk of a batch, read only if a read is missing)."""

    __slots__ = ("_items", "_start", "_stop")

    def __init__(self, items: Sequence, start: int, stop: int) -> None:
        self._items, self._start, self._stop = items, start, stop

    def __len__(self) -> int:
        return self._stop - self._start

    def __getitem__(self, i: Any) -> Any:
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        if not -len(self) <= i < len(self):
            raise IndexError(i)
        return self._items[self._start + (i % len(self))]

    def __iter__(self) -> Iterator:
        return map(self._items.__getitem__, range(self._start, self._stop))


class _NoOption:
    """Stands for the shipping quote of a quote that was offered none: its row has no
    method and no cost, and the quote's shipping error as its error."""

    __slots__ = ("error",)
    quote = SimpleNamespace(method_code=None, code=None, method_name=None, name=None, cost=None, tax_class_id=0,
                            text=None, sort_order=0)
    totals: tuple = ()
    payment_methods: tuple = ()

    def __init__(self, error: str | None) -> None:
        self.error = error


_SUB_TOTAL, _TAX, _TOTAL = 1, 2, 3
_LINE_KIND = {"sub_total": _SUB_TOTAL, "tax": _TAX, "total": _TOTAL}
_STATUSES = [STATUS_OK, STATUS_ERROR, STATUS_NO_SHIPPING, STATUS_UNAVAILABLE]
_OPTIONS, _QUOTE, _ERROR = attrgetter("options"), attrgetter("quote"), attrgetter("error")
_SHIPPING_QUOTE_ATTRS = ("method_code", "code", "method_name", "name", "cost", "tax_class_id", "text", "sort_order")


def _joined(codes: pa.Array, lengths: np.ndarray) -> pa.Array:
    """Consecutive runs of ``lengths`` codes, each run comma-separated."""
    offsets = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    return pc.binary_join(pa.LargeListArray.from_arrays(pa.array(offsets), codes), ",")


class _QuoteBatch:
    """Quotes flattened once for the three quote frames (the cache writes all three).

    A *group* carries total lines and payment methods. In frame order, each quote has
    its own group (option_index -1: the cart, no shipping chosen) then one per option.
    """

    def __init__(self, quotes: Sequence[Quote]) -> None:
        self.quotes = quotes
        nq = len(quotes)
        self.n_options = np.fromiter(map(len, map(_OPTIONS, quotes)), np.int64, count=nq)
        per_quote = self.n_options + 1
        self.group_quote = np.repeat(np.arange(nq, dtype=np.int64), per_quote)
        self.own_group = np.cumsum(per_quote) - per_quote  # each quote's own group
        self.group_option = (np.arange(len(self.group_quote), dtype=np.int64)
                             - np.repeat(self.own_group, per_quote) - 1)
        self._totals: _Items | None = None
        self._payments: _Items | None = None
        self._sums: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None

    def _groups(self, attr: str) -> list[tuple]:
        get = attrgetter(attr)
        return [get(x) for q in self.quotes for x in (q, *q.options)]

    @property
    def totals(self) -> _Items:
        if self._totals is None:
            self._totals = _Items(self._groups("totals"))
        return self._totals

    @property
    def payments(self) -> _Items:
        if self._payments is None:
            self._payments = _Items(self._groups("payment_methods"), shared=True)
        return self._payments

    def part(self, start: int, stop: int) -> "_QuoteBatch":
        """The batch of quotes ``start:stop``, keeping what was read already (the total lines)."""
        out = _QuoteBatch(self.quotes[start:stop])
        if self._totals is not None:
            n_groups = len(self.group_quote)
            first = int(self.own_group[start]) if start < len(self.quotes) else n_groups
            last = int(self.own_group[stop]) if stop < len(self.quotes) else n_groups
            out._totals = self._totals.part(first, last)
        if self._payments is not None:
            n_groups = len(self.group_quote)
            first = int(self.own_group[start]) if start < len(self.quotes) else n_groups
            last = int(self.own_group[stop]) if stop < len(self.quotes) else n_groups
            out._payments = self._payments.part(first, last)
        return out

    def sums(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per group: its sub_total line, the sum of its tax lines (NaN: a group without
        totals), its total line (NaN: no such line; the last one when repeated)."""
        if self._sums is not None:
            return self._sums
        t = self.totals
        n_groups, owner = len(t.lengths), t.owner
        # every column of the totals table in one pass (about what code and value alone cost): the
        # cache writes that table from the same read when given this batch's frame
        wide = t.read(*_TOTAL_LINE_ATTRS)
        code = wide.coded("code")
        value, amounts = wide.amounts("value")
        kind = np.array([_LINE_KIND.get(c, 0) for c in code.values] + [0], dtype=np.int8)[code.codes]
        sub, total = np.full(n_groups, np.nan), np.full(n_groups, np.nan)
        for target, k in ((sub, _SUB_TOTAL), (total, _TOTAL)):
            lines = np.flatnonzero(kind == k)
            target[owner[lines]] = value[lines]  # a repeated line: the last one wins
        lines = np.flatnonzero((kind == _TAX) & ~np.isnan(value))
        if _whole_micros(amounts):
            # summed in exact integer millionths, so 11.52 + 2.00 + 1.60 is 15.12 as it is for Decimal
            tax = np.bincount(owner[lines], weights=np.rint(value[lines] * 1e6), minlength=n_groups) / 1e6
        else:
            tax = np.zeros(n_groups)
            exact: dict[int, Decimal] = {}
            for i, g in zip(lines.tolist(), owner[lines].tolist()):
                v = t.items[i].value
                exact[g] = exact[g] + v if g in exact else v
            for g, v in exact.items():
                tax[g] = float(v)
        tax[t.lengths == 0] = np.nan
        self._sums = (sub, tax, total)
        return self._sums

    def quote_columns(self) -> dict[str, Any]:
        """The columns of :data:`QUOTE_COLUMNS`: one row per option, or one per quote offered none."""
        quotes, nq = self.quotes, len(self.quotes)
        per_quote = np.maximum(self.n_options, 1)
        quote = np.repeat(np.arange(nq, dtype=np.int64), per_quote)
        n = len(quote)
        option_index = np.arange(n, dtype=np.int64) - np.repeat(np.cumsum(per_quote) - per_quote, per_quote)
        shipless_q = self.n_options == 0
        shipless = np.repeat(shipless_q, per_quote)
        option_index[shipless] = -1
        rows = [o for q in quotes for o in (q.options or (_NoOption(q.shipping_error),))]
        sqs = list(map(_QUOTE, rows))
        own = self.own_group[quote]
        group = own + 1 + option_index  # the row's option's group; the quote's own when offered none

        sub, tax, total = self.sums()
        cart_tax, row_sub, row_tax, row_total = tax[own], sub[group], tax[group], total[group]
        row_sub = np.where(np.isnan(row_sub), sub[own], row_sub)
        error = _coded(map(_ERROR, rows), n, (None, ""))  # an empty message is no message
        status = np.where(error.codes >= 0, 1, 0)
        if shipless_q.any():
            # the cart's own numbers; tax/total only when they are a complete order (no shipping needed)
            complete = np.repeat(np.fromiter((q.shipping_required is False and not q.shipping_error for q in quotes),
                                             bool, count=nq), per_quote)
            row_tax[shipless & ~complete] = np.nan
            row_total[shipless & ~complete] = np.nan
            status[shipless] = np.where(complete[shipless], 2, 3)
        sq = _Read(sqs, _SHIPPING_QUOTE_ATTRS)
        cost = sq.amounts("cost")[0]
        # rounded: 23.4 - 20.0 is 3.3999999999999986 in binary floating point
        shipping_tax = np.round(row_tax - cart_tax, 6)
        shipping_tax[shipless] = np.nan

        # the payment methods offered with each row: its option's, else its quote's own
        p = self.payments
        offered = np.where(p.lengths[group] > 0, group, own)
        n_offered = p.lengths[offered]
        # all of them read once (the cache writes its payment_methods table from the same read) when
        # options share their band's methods; only the codes otherwise
        codes = p.read(*(_PAYMENT_ATTRS if p.source is not None else ("code",))).coded("code")
        nullable = pd.arrays.IntegerArray
        return {
            "quote": quote,
            "option_index": option_index,
            "dialect": _coded(map(attrgetter("dialect"), quotes), nq, (None, "")).take(quote),
            "pricing": _coded(map(attrgetter("pricing"), quotes), nq).take(quote),
            "method_code": sq.coded("method_code"),
            "quote_code": sq.coded("code"),
            "method_name": sq.coded("method_name"),
            "name": sq.coded("name"),
            "cost": cost,
            "tax_class_id": nullable(sq.ints("tax_class_id"), shipless),
            "text": sq.coded("text"),
            "sort_order": nullable(sq.ints("sort_order"), shipless.copy()),
            "sub_total": row_sub,
            "cart_tax": cart_tax,
            "tax": row_tax,
            "shipping_tax": shipping_tax,
            "cost_with_tax": np.round(cost + shipping_tax, 6),
            "total": row_total,
            "payment_methods": _joined(codes.strings(), p.lengths).take(pa.array(offered)),
            "n_payment_methods": n_offered,
            "status": _Coded(status.astype(np.int32), _STATUSES).compact(),
            "error": error,
        }

    def totals_columns(self) -> dict[str, Any]:
        t = self.totals
        lines = t.read(*_TOTAL_LINE_ATTRS)
        return {"quote": self.group_quote[t.owner], "option_index": self.group_option[t.owner],
                "code": lines.coded("code"), "title": lines.coded("title"), "value": lines.amounts("value")[0],
                "sort_order": lines.ints("sort_order")}

    def payment_columns(self) -> dict[str, Any]:
        p = self.payments
        methods = p.read(*_PAYMENT_ATTRS)
        return {"quote": self.group_quote[p.owner], "option_index": self.group_option[p.owner],
                "code": methods.coded("code"), "name": methods.coded("name"),
                "method_code": methods.coded("method_code", (None, "")), "method_name": methods.coded("method_name"),
                "sort_order": methods.ints("sort_order")}

    def quotes_frame(self) -> pd.DataFrame:
        return _frame(self.quote_columns(), QUOTE_COLUMNS)

    def keep_for(self, frame: pd.DataFrame) -> None:
        """Remember this batch as ``frame``'s builder (see :func:`built_from`)."""
        self._sums = None  # only the total lines' read is wanted later
        for items in (self._totals, self._payments):
            if items is not None:
                items.release()
        _BUILT.clear()  # the latest frame only: a kept builder costs ~150 MB per million rows
        _BUILT[id(frame)] = (weakref.ref(frame, lambda _, key=id(frame): _BUILT.pop(key, None)), self)

    def totals_frame(self) -> pd.DataFrame:
        return _frame(self.totals_columns(), QUOTE_TOTAL_COLUMNS)

    def payments_frame(self) -> pd.DataFrame:
        return _frame(self.payment_columns(), QUOTE_PAYMENT_COLUMNS)


_TOTAL_LINE_ATTRS = ("code", "title", "value", "sort_order")
_PAYMENT_ATTRS = ("code", "name", "method_code", "method_name", "sort_order")
#: id(quotes frame) -> (a weak reference to it, the batch that built it), for the latest quotes frame
#: built, while it lives (``to_frame(quotes)`` then ``Cache.record_quotes(..., frame=...)``)
_BUILT: dict[int, tuple[weakref.ref, _QuoteBatch]] = {}


def built_from(frame: pd.DataFrame, quotes: Sequence[Quote]) -> _QuoteBatch | None:
    """The batch that built ``frame`` (a :func:`quotes_frame`) from exactly these quote objects, if
    it is still alive: the cache then writes the total lines from the read the frame was made with."""
    known = _BUILT.get(id(frame))
    if known is None or known[0]() is not frame:
        return None
    batch = known[1]
    if len(batch.quotes) != len(quotes) or not all(map(is_, batch.quotes, quotes)):
        return None
    return batch


def quotes_frame(quotes: Quote | Iterable[Quote]) -> pd.DataFrame:
    """One row per (quote, shipping quote); see :data:`QUOTE_COLUMNS`.

    A quote with no shipping quote is one row with ``option_index`` -1: ``status``
    ``no_shipping`` (the cart ships nothing; the row has the cart's totals) or
    ``unavailable`` (``error`` holds the store's message, if it sent one).
    """
    batch = _QuoteBatch(_as_list(quotes, Quote))
    frame = batch.quotes_frame()
    batch.keep_for(frame)  # the user's frames only: the cache's writer builds its own and must not evict them
    return frame


def quote_totals_frame(quotes: Quote | Iterable[Quote]) -> pd.DataFrame:
    """Every total line of every quote, long form (one row per line); see :data:`QUOTE_TOTAL_COLUMNS`.

    ``option_index`` -1 rows are the cart's own totals (no shipping chosen). Tax lines
    keep their titles, so one column per tax is a pivot away::

        t = quote_totals_frame(q); t[t.code == "tax"].pivot_table(
            index=["quote", "option_index"], columns="title", values="value", aggfunc="sum")
    """
    return _QuoteBatch(_as_list(quotes, Quote)).totals_frame()


def quote_payment_methods_frame(quotes: Quote | Iterable[Quote]) -> pd.DataFrame:
    """Payment methods offered per quote and shipping quote; see :data:`QUOTE_PAYMENT_COLUMNS`."""
    return _QuoteBatch(_as_list(quotes, Quote)).payments_frame()


def _transpose(rows: list[tuple], spec: Mapping[str, Any]) -> dict[str, list]:
    if not rows:
        return {name: [] for name in spec}
    return dict(zip(spec, (list(c) for c in zip(*rows))))


def _option_texts(options: tuple) -> tuple[str, str]:
    if not options:
        return "", ""
    return ("; ".join([f"{o.name}: {o.value}" for o in options]),
            ",".join([str(o.product_option_value_id) for o in options]))


_PRODUCT_ATTRS = tuple(c for c in PRODUCT_COLUMNS if c not in ("line", "options", "option_value_ids"))


def products_frame(products: Cart | Iterable[CartProduct]) -> pd.DataFrame:
    """One row per cart line, options flattened into text; see :data:`PRODUCT_COLUMNS`."""
    if isinstance(products, Cart):
        products = products.products
    ps = list(products)
    read = _Read(ps, _PRODUCT_ATTRS)
    options = list(map(attrgetter("options"), ps))
    texts = [_option_texts(o) for o in options] if any(options) else None
    cols = {"line": np.arange(len(ps), dtype=np.int64),
            "options": _coded([t[0] for t in texts] if texts else [""] * len(ps), len(ps)),
            "option_value_ids": _coded([t[1] for t in texts] if texts else [""] * len(ps), len(ps))}
    for name in _PRODUCT_ATTRS:
        cols[name] = read.column(name, PRODUCT_COLUMNS[name][0])
    return _frame(cols, PRODUCT_COLUMNS)


def totals_frame(totals: Iterable[TotalLine]) -> pd.DataFrame:
    """One row per total line; see :data:`TOTAL_COLUMNS`."""
    rows = [(t.code, t.title, _f(t.value), t.sort_order, t.text) for t in totals]
    return _frame(_transpose(rows, TOTAL_COLUMNS), TOTAL_COLUMNS)


def shipping_quotes_frame(quotes: Iterable[ShippingQuote]) -> pd.DataFrame:
    """One row per shipping quote; see :data:`SHIPPING_QUOTE_COLUMNS`."""
    rows = [(s.method_code, s.code, s.method_name, s.name, _f(s.cost), s.tax_class_id, s.text, s.sort_order)
            for s in quotes]
    return _frame(_transpose(rows, SHIPPING_QUOTE_COLUMNS), SHIPPING_QUOTE_COLUMNS)


def payment_methods_frame(methods: Iterable[PaymentMethod]) -> pd.DataFrame:
    """One row per payment method; see :data:`PAYMENT_METHOD_COLUMNS`."""
    rows = [(p.code, p.name, p.method_code or None, p.method_name, p.sort_order) for p in methods]
    return _frame(_transpose(rows, PAYMENT_METHOD_COLUMNS), PAYMENT_METHOD_COLUMNS)


def _sum_code(totals: Iterable[TotalLine], code: str) -> float | None:
    found = [float(t.value) for t in totals if t.code == code and t.value is not None]
    return sum(found) if found else None


def orders_frame(results: OrderResult | Iterable[OrderResult]) -> pd.DataFrame:
    """One row per confirmed order; see :data:`ORDER_COLUMNS`."""
    rows = []
    for r in _as_list(results, OrderResult):
        tax = _sum_code(r.totals, "tax")
        rows.append((r.order_id, r.status_id, r.dialect or None, _sum_code(r.totals, "sub_total"),
                     _sum_code(r.totals, "shipping"), 0.0 if tax is None and r.totals else tax,
                     _sum_code(r.totals, "total"), r.points, len(r.products)))
    return _frame(_transpose(rows, ORDER_COLUMNS), ORDER_COLUMNS)


_BY_ITEM_TYPE = {
    Quote: quotes_frame,
    CartProduct: products_frame,
    TotalLine: totals_frame,
    ShippingQuote: shipping_quotes_frame,
    PaymentMethod: payment_methods_frame,
    OrderResult: orders_frame,
}

_KIND_BUILDERS = {
    "quotes": quotes_frame,
    "quote_totals": quote_totals_frame,
    "quote_payment_methods": quote_payment_methods_frame,
    "products": products_frame,
    "totals": totals_frame,
    "shipping_quotes": shipping_quotes_frame,
    "payment_methods": payment_methods_frame,
    "orders": orders_frame,
}


def to_frame(result: Any, kind: str | None = None, *, store: Any = None) -> pd.DataFrame:
    """Any client result (or a list of them) as its tidy frame.

    ``store``: the :class:`~ocdata.client.store.Store` that answered; its currencies are
    appended as ``currency``/``session_currency`` (:func:`with_currency`).

    ``Quote``/quotes -> :func:`quotes_frame`; ``Cart`` -> :func:`products_frame` (its
    totals: ``to_frame(cart.totals)``); lists of ``CartProduct``, ``TotalLine``,
    ``ShippingQuote``, ``PaymentMethod``; ``OrderResult``/results -> :func:`orders_frame`.
    A ``QuoteOption`` gives its shipping quote and totals as a one-row quotes frame.
    ``kind`` (a key of :data:`COLUMNS`) picks the builder explicitly; it is needed for an
    empty list, whose type cannot be guessed.
    """
    df = _to_frame(result, kind)
    return with_currency(df, store) if store is not None else df


def _to_frame(result: Any, kind: str | None) -> pd.DataFrame:
    if kind is not None:
        if kind not in _KIND_BUILDERS:
            raise ValueError(f"unknown frame kind {kind!r}; one of {sorted(_KIND_BUILDERS)}")
        return _KIND_BUILDERS[kind](result)
    if isinstance(result, Cart):
        return products_frame(result)
    if isinstance(result, QuoteOption):
        return quotes_frame(Quote.model_construct(draft=None, options=(result,), totals=(), payment_methods=(),
                                                  dialect="", pricing=None, shipping_error=None,
                                                  shipping_required=None))
    for item_type, builder in _BY_ITEM_TYPE.items():
        if isinstance(result, item_type):
            return builder([result])
    items = list(result) if isinstance(result, Iterable) and not isinstance(result, (str, bytes)) else None
    if items is None:
        raise TypeError(f"to_frame() does not know {type(result).__name__}")
    if not items:
        raise ValueError("to_frame() of an empty list needs kind=..., one of " + ", ".join(sorted(_KIND_BUILDERS)))
    for item_type, builder in _BY_ITEM_TYPE.items():
        if isinstance(items[0], item_type):
            return builder(items)
    raise TypeError(f"to_frame() does not know lists of {type(items[0]).__name__}")
