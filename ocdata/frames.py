"""Client results as tidy pandas DataFrames with fixed, documented columns.

Every builder returns the same columns with the same dtypes whatever it is given,
including nothing (an empty frame), so frames concatenate and load into DuckDB
without surprises. Conventions:

* money is ``float64`` (the client keeps ``Decimal``; a frame is for analysis),
* ids are ``int64`` (``Int64``, pandas' nullable int64, where a row may have none),
* codes (method/quote/total codes, status, dialect) are ``category``,
* free text is pandas' ``str`` dtype, flags are ``boolean`` (nullable).

One row per natural unit: a quote row is one shipping quote of one
:class:`~ocdata.client.models.Quote` (a quote the store offered nothing for is still
one row, with ``option_index`` -1 and a ``status`` saying why). Column names and
dtypes live in the ``*_COLUMNS`` mappings below; ``describe(kind)`` prints them.

Builders read model attributes directly and never re-validate, so a million quote
rows take a few seconds (they build one list per column, not a frame per row).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

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
    "cost": ("float64", "shipping cost before tax (OpenCart's 'cost')"),
    "tax_class_id": ("Int64", "tax class of the shipping cost (0: untaxed)"),
    "text": ("str", "the store's formatted cost (with tax when the store displays prices so)"),
    "sort_order": ("Int64", "the store's sort order of the shipping method"),
    "sub_total": ("float64", "products before tax (the 'sub_total' line)"),
    "cart_tax": ("float64", "tax of the cart alone, before shipping (from Quote.totals)"),
    "tax": ("float64", "sum of every 'tax' line with this shipping quote chosen"),
    "shipping_tax": ("float64", "tax - cart_tax: the tax this shipping quote adds"),
    "cost_with_tax": ("float64", "cost + shipping_tax: what the shipping costs the customer"),
    "total": ("float64", "order total with this shipping quote (the 'total' line)"),
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
    "value": ("float64", "amount"),
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
    "price": ("float64", "unit price before tax (with option prices)"),
    "total": ("float64", "line total before tax"),
    "price_text": ("str", "the store's formatted unit price"),
    "total_text": ("str", "the store's formatted line total"),
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
    "value": ("float64", "amount"),
    "sort_order": ("int64", "the store's order of the lines"),
    "text": ("str", "the store's formatted amount"),
}

SHIPPING_QUOTE_COLUMNS: dict[str, tuple[str, str]] = {
    "method_code": ("category", "shipping extension code"),
    "quote_code": ("category", "the code sent back to the store"),
    "method_name": ("str", "shipping extension title"),
    "name": ("str", "quote title"),
    "cost": ("float64", "cost before tax"),
    "tax_class_id": ("Int64", "tax class of the cost"),
    "text": ("str", "the store's formatted cost"),
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
    "sub_total": ("float64", "products before tax"),
    "shipping": ("float64", "the shipping line"),
    "tax": ("float64", "sum of the tax lines"),
    "total": ("float64", "order total"),
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


def describe(kind: str) -> pd.DataFrame:
    """The documented columns of a frame kind (``"quotes"``, ``"products"``...)."""
    spec = COLUMNS[kind]
    return pd.DataFrame(
        {"column": list(spec), "dtype": [d for d, _ in spec.values()], "meaning": [m for _, m in spec.values()]}
    )


# --------------------------------------------------------------------------- building


_ARROW = {"str": pa.string(), "Int64": pa.int64(), "boolean": pa.bool_(), "category": pa.string()}
_PANDAS = {pa.int64(): pd.Int64Dtype(), pa.bool_(): pd.BooleanDtype(),
           pa.string(): pd.StringDtype("pyarrow", na_value=np.nan)}.get  # pandas' "str" even when all null


def _column(values: Sequence[Any], dtype: str) -> Any:
    # Arrow builds nullable columns from Python lists several times faster than pandas does
    if dtype == "float64":
        return _floats(values)
    if dtype == "int64":
        return np.asarray(values, dtype=np.int64) if len(values) else np.empty(0, np.int64)
    if isinstance(values, pd.api.extensions.ExtensionArray | pd.Series):
        return values
    if not len(values):  # Arrow gives object columns for empty input
        return pd.Categorical(pd.array([], dtype="str")) if dtype == "category" else pd.array([], dtype=dtype)
    arr = pa.array(values, type=_ARROW[dtype])
    if dtype == "category":
        return arr.dictionary_encode().to_pandas()
    return arr.to_pandas(types_mapper=_PANDAS)


def _floats(values: Sequence[Any]) -> np.ndarray:
    """Decimals (or None) as float64. Amounts repeat a lot (the same cost for many
    destinations), so each distinct value is converted once."""
    if isinstance(values, np.ndarray):
        return values.astype(np.float64, copy=False)
    memo: dict[Any, float] = {None: np.nan}
    get, add = memo.get, memo.setdefault
    # a hit costs one hash; 0.0 is falsy and simply converted again
    return np.array([get(v) or add(v, float(v)) for v in values], dtype=np.float64)


def _frame(columns: Mapping[str, Sequence[Any]], spec: Mapping[str, tuple[str, str]]) -> pd.DataFrame:
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


_ZERO = Decimal(0)


def _f(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def _joined(items: Iterable[Any]) -> str:
    return ",".join(p.code for p in items)


_PER_QUOTE = ("quote", "dialect", "pricing", "cart_tax")
_DERIVED = ("shipping_tax", "cost_with_tax")


def _quote_rows(quotes: Sequence[Quote]) -> dict[str, Any]:
    """The quote columns: the hot loop of a study.

    Appends to one list per column (no tuple per row: a million GC-tracked tuples
    would trigger the cyclic collector over and over); money stays ``Decimal`` until
    one vectorised conversion per column; what is constant per quote is collected once
    per quote and repeated.
    """
    cols: dict[str, Any] = {name: [] for name in QUOTE_COLUMNS if name not in _PER_QUOTE + _DERIVED}
    (a_option, a_method, a_code, a_method_name, a_name, a_cost, a_tax_class, a_text, a_sort, a_sub, a_tax,
     a_total, a_pm, a_npm, a_status, a_error) = (list_.append for list_ in cols.values())
    q_dialect: list[Any] = []
    q_pricing: list[Any] = []
    q_cart_tax: list[Any] = []
    q_rows: list[int] = []
    joined: dict[int, str] = {}  # id(tuple of payment methods) -> codes; the tuples outlive this call

    def codes(methods: tuple) -> str:
        text = joined.get(id(methods))
        if text is None:
            text = joined[id(methods)] = ",".join([p.code for p in methods])
        return text

    for q in quotes:
        cart_sub = cart_total = cart_tax = None
        if q.totals:
            cart_tax = _ZERO
            for t in q.totals:
                code = t.code
                if code == "tax":
                    if t.value is not None:
                        cart_tax = t.value if cart_tax is _ZERO else cart_tax + t.value
                elif code == "sub_total":
                    cart_sub = t.value
                elif code == "total":
                    cart_total = t.value
        quote_pm = q.payment_methods
        q_dialect.append(q.dialect or None)
        q_pricing.append(q.pricing)
        q_cart_tax.append(cart_tax)
        options = q.options
        if not options:
            # the cart's own numbers; tax/total only when this is a complete order (no shipping needed)
            complete = q.shipping_required is False and not q.shipping_error
            q_rows.append(1)
            a_option(-1)
            for add in (a_method, a_code, a_method_name, a_name, a_cost, a_tax_class, a_text, a_sort):
                add(None)
            a_sub(cart_sub), a_tax(cart_tax if complete else None), a_total(cart_total if complete else None)
            a_pm(codes(quote_pm)), a_npm(len(quote_pm))
            a_status(STATUS_NO_SHIPPING if complete else STATUS_UNAVAILABLE), a_error(q.shipping_error)
            continue
        q_rows.append(len(options))
        for oi, o in enumerate(options):
            sq = o.quote
            sub = total = tax = None
            if o.totals:
                tax = _ZERO
                for t in o.totals:
                    code = t.code
                    if code == "tax":
                        if t.value is not None:
                            tax = t.value if tax is _ZERO else tax + t.value
                    elif code == "sub_total":
                        sub = t.value
                    elif code == "total":
                        total = t.value
            pm = o.payment_methods or quote_pm
            a_pm(codes(pm)), a_npm(len(pm))
            a_option(oi)
            a_method(sq.method_code), a_code(sq.code), a_method_name(sq.method_name), a_name(sq.name)
            a_cost(sq.cost), a_tax_class(sq.tax_class_id), a_text(sq.text), a_sort(sq.sort_order)
            a_sub(cart_sub if sub is None else sub), a_tax(tax), a_total(total)
            if o.error:
                a_status(STATUS_ERROR), a_error(o.error)
            else:
                a_status(STATUS_OK), a_error(None)
    counts = np.asarray(q_rows, dtype=np.int64)
    cols["quote"] = np.repeat(np.arange(len(q_rows), dtype=np.int64), counts)
    cols["dialect"] = np.repeat(np.asarray(q_dialect, dtype=object), counts).tolist()
    cols["pricing"] = np.repeat(np.asarray(q_pricing, dtype=object), counts).tolist()
    cols["cart_tax"] = np.repeat(_floats(q_cart_tax), counts)
    # sums are new Decimal objects: converting each directly beats looking each up
    cols["tax"] = np.asarray(cols["tax"], dtype=np.float64) if cols["tax"] else np.empty(0)
    return cols


def _as_list(value: Any, kind: type) -> list:
    if isinstance(value, kind):
        return [value]
    return list(value)


def quotes_frame(quotes: Quote | Iterable[Quote]) -> pd.DataFrame:
    """One row per (quote, shipping quote); see :data:`QUOTE_COLUMNS`.

    A quote with no shipping quote is one row with ``option_index`` -1: ``status``
    ``no_shipping`` (the cart ships nothing; the row has the cart's totals) or
    ``unavailable`` (``error`` holds the store's message, if it sent one).
    """
    cols = _quote_rows(_as_list(quotes, Quote))
    cols["shipping_tax"] = cols["cost_with_tax"] = np.full(len(cols["quote"]), np.nan)
    df = _frame(cols, QUOTE_COLUMNS)
    _derive_shipping_tax(df)
    return df


def _derive_shipping_tax(df: pd.DataFrame) -> None:
    # rounded: 23.4 - 20.0 is 3.3999999999999986 in binary floating point
    tax = np.round(df["tax"].to_numpy() - df["cart_tax"].to_numpy(), 6)
    tax[df["option_index"].to_numpy() < 0] = np.nan
    df["shipping_tax"] = tax
    df["cost_with_tax"] = np.round(df["cost"].to_numpy() + tax, 6)


def _groups(quotes: Sequence[Quote], attr: str) -> tuple[np.ndarray, np.ndarray, list]:
    """(quote, option_index, items) per cart (-1) and per shipping quote, as parallel columns.

    Parallel lists rather than a tuple per group: millions of tuples would keep the
    cyclic garbage collector busy.
    """
    qidx: list[int] = []
    oidx: list[int] = []
    items: list[Sequence[Any]] = []
    for qi, q in enumerate(quotes):
        qidx.append(qi), oidx.append(-1), items.append(getattr(q, attr))
        for oi, o in enumerate(q.options):
            qidx.append(qi), oidx.append(oi), items.append(getattr(o, attr))
    lengths = np.fromiter(map(len, items), dtype=np.int64, count=len(items))
    return (np.repeat(np.asarray(qidx, dtype=np.int64), lengths),
            np.repeat(np.asarray(oidx, dtype=np.int64), lengths),
            [x for group in items for x in group])


def quote_totals_frame(quotes: Quote | Iterable[Quote]) -> pd.DataFrame:
    """Every total line of every quote, long form (one row per line); see :data:`QUOTE_TOTAL_COLUMNS`.

    ``option_index`` -1 rows are the cart's own totals (no shipping chosen). Tax lines
    keep their titles, so one column per tax is a pivot away::

        t = quote_totals_frame(q); t[t.code == "tax"].pivot_table(
            index=["quote", "option_index"], columns="title", values="value", aggfunc="sum")
    """
    qcol, ocol, lines = _groups(_as_list(quotes, Quote), "totals")
    cols = {"quote": qcol, "option_index": ocol, "code": [t.code for t in lines],
            "title": [t.title for t in lines], "value": [t.value for t in lines],
            "sort_order": [t.sort_order for t in lines]}
    return _frame(cols, QUOTE_TOTAL_COLUMNS)


def quote_payment_methods_frame(quotes: Quote | Iterable[Quote]) -> pd.DataFrame:
    """Payment methods offered per quote and shipping quote; see :data:`QUOTE_PAYMENT_COLUMNS`."""
    qcol, ocol, methods = _groups(_as_list(quotes, Quote), "payment_methods")
    cols = {"quote": qcol, "option_index": ocol, "code": [p.code for p in methods],
            "name": [p.name for p in methods], "method_code": [p.method_code or None for p in methods],
            "method_name": [p.method_name for p in methods], "sort_order": [p.sort_order for p in methods]}
    return _frame(cols, QUOTE_PAYMENT_COLUMNS)


def _transpose(rows: list[tuple], spec: Mapping[str, Any]) -> dict[str, list]:
    if not rows:
        return {name: [] for name in spec}
    return dict(zip(spec, (list(c) for c in zip(*rows))))


def _option_texts(options: tuple) -> tuple[str, str]:
    if not options:
        return "", ""
    return ("; ".join([f"{o.name}: {o.value}" for o in options]),
            ",".join([str(o.product_option_value_id) for o in options]))


def products_frame(products: Cart | Iterable[CartProduct]) -> pd.DataFrame:
    """One row per cart line, options flattened into text; see :data:`PRODUCT_COLUMNS`."""
    if isinstance(products, Cart):
        products = products.products
    ps = list(products)
    texts = [_option_texts(p.options) for p in ps]
    cols = {"line": np.arange(len(ps), dtype=np.int64), "options": [t[0] for t in texts],
            "option_value_ids": [t[1] for t in texts]}
    for name in PRODUCT_COLUMNS:
        if name not in cols:
            cols[name] = [getattr(p, name) for p in ps]
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


def to_frame(result: Any, kind: str | None = None) -> pd.DataFrame:
    """Any client result (or a list of them) as its tidy frame.

    ``Quote``/quotes -> :func:`quotes_frame`; ``Cart`` -> :func:`products_frame` (its
    totals: ``to_frame(cart.totals)``); lists of ``CartProduct``, ``TotalLine``,
    ``ShippingQuote``, ``PaymentMethod``; ``OrderResult``/results -> :func:`orders_frame`.
    A ``QuoteOption`` gives its shipping quote and totals as a one-row quotes frame.
    ``kind`` (a key of :data:`COLUMNS`) picks the builder explicitly; it is needed for an
    empty list, whose type cannot be guessed.
    """
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
