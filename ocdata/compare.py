"""Comparisons over study frames: ranks, deltas against a baseline, effective tax, pivots.

Every function takes a frame shaped like :meth:`ocdata.study.Study.run`'s (several
studies' frames concatenated work too: ``study``/``store`` columns tell them apart) and
first makes every (scenario, shipping method) pair explicit with :func:`complete`: a
method a destination is not offered becomes a row with ``status="unavailable"``, a
scenario the store refused (or that failed) gives each method a row with
``status="refused"`` (``"failed"``) and its message. Nothing is dropped; numbers of such rows are NaN.

Methods are identified by ``quote_code`` (``"flat.flat"``, ``"weight.weight_5"``).
:func:`rank` says when methods tie (``tied``, ``n_cheapest``), so a tie for cheapest is never
reported as one method winning. Amounts keep the frame's ``currency``/``session_currency``
columns (see :mod:`ocdata.frames`).

**Across stores** (a ``Study(stores=...)`` frame, or stores' frames concatenated):
:func:`stores` lines each store up against a baseline store per scenario and method, matched
on :func:`method_keys` (the same on every OpenCart version: 4.x's ``cod.cod`` is 3.0's ``cod``),
says where each method is offered, and subtracts amounts only in one currency;
:func:`stores_summary` sums that up by destination and method.
"""

from __future__ import annotations

import html
import re
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ocdata.client.errors import OcdataWarning
from ocdata.frames import STATUS_NO_SHIPPING, STATUS_OK, STATUS_UNAVAILABLE

__all__ = ["complete", "rank", "deltas", "effective_tax", "shipping_costs", "pivot", "SCENARIO_COLUMNS",
           "stores", "stores_summary", "method_keys", "normalise_code", "OFFERED"]

SCENARIO_COLUMNS = ("study", "store", "scenario_id", "scenario_key", "cart", "destination", "country", "zone",
                    "customer_group_id", "sub_total", "cart_tax", "dialect", "pricing", "fetched_at",
                    "scenario_status", "error_type")
"""Columns that describe a scenario (the same on each of its rows)."""

_METHOD_COLUMNS = ("method_code", "quote_code", "method_name", "name", "sort_order")
_MATCH = ("study", "store", "cart", "destination", "customer_group_id", "quote_code")
_ALIASES = {"method": "quote_code", "group": "customer_group_id", "customer_group": "customer_group_id"}


def _present(df: pd.DataFrame, names: Sequence[str]) -> list[str]:
    return [c for c in names if c in df.columns]


def _scenario_keys(df: pd.DataFrame) -> list[str]:
    keys = _present(df, ("study", "store", "scenario_id"))
    if "scenario_id" not in keys:
        raise ValueError("a comparison needs a study frame (with scenario_id); see ocdata.study.Study.run")
    return keys


def _plain(df: pd.DataFrame) -> pd.DataFrame:
    """Categoricals as plain values: merges and group-bys on categories drop or invent rows."""
    out = df.copy()
    for c in out.columns:
        if isinstance(out[c].dtype, pd.CategoricalDtype):
            out[c] = out[c].astype(out[c].cat.categories.dtype)
    return out


def complete(df: pd.DataFrame) -> pd.DataFrame:
    """Every scenario x every method its store offered anywhere in the frame, one row each.

    Rows the frame lacks are added with ``status="unavailable"`` (the store offered other
    methods but not this one) or, for a scenario that has no method at all because it
    failed, the scenario's own status and error. Carts that ship nothing keep their
    single ``no_shipping`` row. Sorted by scenario then method order.
    """
    df = _plain(df)
    if "quote_code" not in df.columns:
        raise ValueError("complete() needs quote rows (a quote_code column)")
    scen_keys = _scenario_keys(df)
    store_keys = _present(df, ("store",)) or _present(df, ("study",))
    scen_cols = _present(df, SCENARIO_COLUMNS)

    has_method = df["quote_code"].notna().to_numpy()
    status = df["status"].to_numpy()
    methods = (df.loc[has_method, store_keys + _present(df, _METHOD_COLUMNS)]
               .drop_duplicates(store_keys + ["quote_code"]))
    # a cart that ships nothing has no method to be unavailable: it keeps its single row
    shipless = df.loc[~has_method & (status == STATUS_NO_SHIPPING), scen_keys].drop_duplicates()
    scenarios = _anti_join(df[scen_cols].drop_duplicates(scen_keys), shipless, scen_keys)
    # what a scenario without any quote row says about itself (error, unavailable, pending)
    bare = (df.loc[~has_method & (status != STATUS_NO_SHIPPING), scen_keys + ["status", "error"]]
            .drop_duplicates(scen_keys).rename(columns={"status": "_status", "error": "_error"}))

    if store_keys:
        grid = scenarios.merge(methods, on=store_keys, how="inner")
    else:
        grid = scenarios.merge(methods, how="cross")
    value_cols = [c for c in df.columns if c not in scen_cols and c not in _METHOD_COLUMNS]
    full = grid.merge(df.loc[has_method, scen_keys + ["quote_code"] + value_cols],
                      on=scen_keys + ["quote_code"], how="left")
    full = full.merge(bare, on=scen_keys, how="left")
    missing = full["status"].isna()
    full.loc[missing, "status"] = full.loc[missing, "_status"].fillna(STATUS_UNAVAILABLE)
    full.loc[missing, "error"] = full.loc[missing, "_error"]
    if "option_index" in full.columns:
        full.loc[missing, "option_index"] = -1
    if "n_payment_methods" in full.columns:
        full.loc[missing, "n_payment_methods"] = 0
    full = full.drop(columns=["_status", "_error"])

    # rows without a method that were not expanded: no_shipping carts, stores that offered nothing anywhere
    kept = _anti_join(df.loc[~has_method], full[scen_keys].drop_duplicates(), scen_keys)
    out = pd.concat([full, kept], ignore_index=True) if len(kept) else full
    order = scen_keys + _present(out, ("sort_order", "quote_code"))
    out = out.sort_values(order, kind="stable", na_position="last").reset_index(drop=True)
    return out[[c for c in df.columns if c in out.columns]]


def _anti_join(left: pd.DataFrame, right: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    if right.empty:
        return left
    flag = left[keys].merge(right[keys].drop_duplicates(), on=keys, how="left", indicator=True)["_merge"]
    return left[(flag == "left_only").to_numpy()]


def rank(df: pd.DataFrame, on: str = "cost") -> pd.DataFrame:
    """Each method's rank within its scenario by ``on`` (1 = cheapest; ties share the rank),
    a ``cheapest`` flag, ``tied`` (another method of the scenario has the same ``on``) and
    ``n_cheapest`` (how many methods share the cheapest ``on``: more than 1 is a tie for
    cheapest). Unavailable/failed rows: rank NA, cheapest and tied False."""
    out = complete(df)
    scen_keys = _scenario_keys(out)
    ok = (out["status"] == STATUS_OK) & out[on].notna()
    groups = [out[k] for k in scen_keys]
    ranks = out[on].where(ok).groupby(groups, dropna=False).rank(method="min")
    out["rank"] = pd.array(ranks.round().astype("Float64"), dtype="Int64")
    out["cheapest"] = (out["rank"] == 1).fillna(False).astype(bool)
    same = ranks.groupby(groups + [ranks], dropna=False).transform("size")
    out["tied"] = (ok & (same > 1)).to_numpy(dtype=bool)
    out["n_cheapest"] = out["cheapest"].groupby(groups, dropna=False).transform("sum").astype("int64")
    return out


def _baseline_columns(baseline: Mapping[str, Any]) -> dict[str, Any]:
    cols = {_ALIASES.get(k, k): v for k, v in baseline.items()}
    if not cols:
        raise ValueError("baseline needs at least one column, e.g. {'method': 'flat.flat'}")
    return cols


def deltas(df: pd.DataFrame, baseline: Mapping[str, Any], on: str = "cost",
           match: Sequence[str] | None = None) -> pd.DataFrame:
    """Each row's ``on`` against the baseline row it matches: ``baseline_<on>``, ``delta``
    (row - baseline) and ``delta_pct`` (delta / baseline x 100; NA when the baseline is 0 or missing).

    ``baseline`` selects the baseline rows by column values: ``{"method": "flat.flat"}``
    (alias of ``quote_code``), ``{"customer_group_id": 1}`` (alias ``group``),
    ``{"store": url}``, ``{"study": name}``... A row is compared with the baseline row
    equal on ``match``: by default study, store, cart, destination, customer group and
    method, minus the baseline's own columns (comparing stores or studies drops both
    ``study`` and ``store``, since each store has its own study).
    """
    out = complete(df)
    base_cols = _baseline_columns(baseline)
    for c in base_cols:
        if c not in out.columns:
            raise ValueError(f"baseline column {c!r} is not in the frame")
    if match is None:
        drop = set(base_cols)
        if drop & {"store", "study"}:
            drop |= {"store", "study"}
        match = [c for c in _MATCH if c in out.columns and c not in drop]
    match = list(match)
    selected = np.ones(len(out), dtype=bool)
    for c, v in base_cols.items():
        selected &= (out[c] == v).fillna(False).to_numpy()
    base = out.loc[selected, match + [on]]
    if base.empty:
        raise ValueError(f"no row matches the baseline {dict(baseline)}")
    if base.duplicated(match).any():
        raise ValueError(f"the baseline {dict(baseline)} matches several rows per {match}; "
                         f"add columns to the baseline or to match=")
    name = f"baseline_{on}"
    out = out.merge(base.rename(columns={on: name}), on=match, how="left")
    out["delta"] = out[on] - out[name]
    with np.errstate(divide="ignore", invalid="ignore"):
        pct = out["delta"] / out[name].where(out[name] != 0) * 100
    out["delta_pct"] = pct
    return out


def shipping_costs(df: pd.DataFrame) -> pd.DataFrame:
    """Per scenario and method: ``cost`` (before tax), ``shipping_tax``, ``cost_with_tax``, status."""
    out = complete(df)
    cols = _present(out, ("study", "store", "scenario_id", "cart", "destination", "country", "zone",
                          "customer_group_id", "quote_code", "name", "cost", "shipping_tax", "cost_with_tax",
                          "status", "error"))
    return out[cols]


def effective_tax(df: pd.DataFrame, by: Sequence[str] = ("destination", "customer_group_id"),
                  per_method: bool = False) -> pd.DataFrame:
    """Effective tax rates per ``by`` group (and per method with ``per_method=True``).

    * ``product_tax_rate`` = cart tax / sub-total (each scenario counted once),
    * ``shipping_tax_rate`` = tax on shipping / shipping cost (tax on shipping shown apart),
    * ``effective_tax_rate`` = tax / taxable amount (sub-total + shipping cost), over the
      priced quotes: the rate a customer pays on the whole order.

    Sums before ratios, so groups weigh scenarios by their amounts. Groups where nothing
    could be priced stay, with NaN rates.
    """
    full = complete(df)
    by = list(by)
    scen_keys = _scenario_keys(full)
    keys = by + (["quote_code"] if per_method else [])
    ok = full["status"] == STATUS_OK
    priced = full.assign(cost=full["cost"].where(ok), shipping_tax=full["shipping_tax"].where(ok),
                         tax=full["tax"].where(ok), taxable=(full["sub_total"] + full["cost"]).where(ok))
    ship = priced.groupby(keys, dropna=False)[["cost", "shipping_tax", "tax", "taxable"]].sum(min_count=1)
    # cart numbers: once per scenario (each method row repeats them); a cart shipping nothing counts too
    has_cart = full["status"].isin([STATUS_OK, STATUS_NO_SHIPPING])
    cart_rows = full.assign(sub_total=full["sub_total"].where(has_cart), cart_tax=full["cart_tax"].where(has_cart))
    if not per_method:
        cart_rows = cart_rows.groupby(scen_keys + by, dropna=False)[["sub_total", "cart_tax"]].max().reset_index()
    carts = cart_rows.groupby(keys, dropna=False)[["sub_total", "cart_tax"]].sum(min_count=1)
    out = carts.join(ship, how="outer").rename(columns={"cost": "shipping_cost"})
    with np.errstate(divide="ignore", invalid="ignore"):
        out["product_tax_rate"] = out["cart_tax"] / out["sub_total"].where(out["sub_total"] != 0)
        out["shipping_tax_rate"] = out["shipping_tax"] / out["shipping_cost"].where(out["shipping_cost"] != 0)
        out["effective_tax_rate"] = out["tax"] / out["taxable"].where(out["taxable"] != 0)
    cols = ["sub_total", "cart_tax", "product_tax_rate", "shipping_cost", "shipping_tax", "shipping_tax_rate",
            "taxable", "tax", "effective_tax_rate"]
    return out[cols].reset_index()


def pivot(df: pd.DataFrame, values: str = "cost", index: str | Sequence[str] = "destination",
          columns: str | Sequence[str] = "quote_code", aggfunc: str = "mean") -> pd.DataFrame:
    """A ``index`` x ``columns`` table of ``values`` over the completed frame: a method a
    destination is not offered stays as a NaN cell, never a missing row or column."""
    full = complete(df)
    index = [index] if isinstance(index, str) else list(index)
    columns = [columns] if isinstance(columns, str) else list(columns)
    grouped = full.groupby(index + columns, dropna=False, sort=True)[values].agg(aggfunc)
    if aggfunc in ("sum", "count", "size"):
        # a group of NaN only sums to 0; keep "no value" visible
        has_value = full.groupby(index + columns, dropna=False, sort=True)[values].count() > 0
        grouped = grouped.where(has_value)
    table = grouped.unstack(columns)
    return table


# --------------------------------------------------------------------------- across stores
OFFERED = ("both", "baseline only", "store only", "neither", "unknown")
"""Values of :func:`stores`' ``offered`` column: where the method was offered for the scenario;
``unknown`` when either store failed (or was not asked) for the scenario."""

_STORE_MATCH = ("cart", "destination", "customer_group_id")
_STORE_AMOUNTS = ("cost", "sub_total", "tax", "total")
_AMOUNT_CURRENCY = {"cost": "currency", "cost_with_tax": "currency"}  # every other amount: session_currency
_SIDE_COLUMNS = ("scenario_id", "quote_code", "method_code", "method_name", "name", "sort_order", "status", "error",
                 "payment_methods", "currency", "session_currency", "dialect", "pricing")
_PRESENT_STATUSES = {STATUS_OK}
_ABSENT_STATUSES = {STATUS_UNAVAILABLE, STATUS_NO_SHIPPING}


def normalise_code(code: Any) -> str | None:
    """A method code as a key that is the same on every OpenCart version: trimmed, lower case,
    HTML entities decoded, and ``ext.ext`` as ``ext`` (4.x's payment ``cod.cod`` is 3.0's ``cod``;
    shipping ``flat.flat`` is ``flat``, ``weight.weight_4`` stays). None for no code."""
    if code is None or (isinstance(code, float) and np.isnan(code)) or code is pd.NA:
        return None
    text = html.unescape(str(code)).strip().lower()
    if not text:
        return None
    head, dot, tail = text.partition(".")
    return head if dot and head == tail else text


def _short_name(name: Any) -> str:
    """A quote title without what varies per cart: 'UK Shipping  (Weight: 5.29kg)' -> 'uk shipping'."""
    text = html.unescape(str(name)) if isinstance(name, str) else ""
    text = re.sub(r"\s*\([^)]*\)\s*$", "", text)
    return " ".join(text.split()).lower()


def method_keys(df: pd.DataFrame) -> pd.Series:
    """Each row's shipping method as a key that matches across stores and versions
    (:func:`normalise_code` of ``quote_code``, else of ``method_code``). A row whose store sent
    no code (3.0/4.0 answers carry titles without codes in places) takes the key of the rows
    with the same title that have one (anywhere in the frame, when that title means one key),
    else a title key (``"title:flat rate/flat shipping rate"``). Rows without a method: None."""
    def column(name: str) -> list:
        return df[name].astype(object).tolist() if name in df.columns else [None] * len(df)

    codes, methods = column("quote_code"), column("method_code")
    titles = [(_short_name(m), _short_name(n)) for m, n in zip(column("method_name"), column("name"))]
    keys = [normalise_code(c) or normalise_code(m) for c, m in zip(codes, methods)]
    # what each title means where a store did send a code: (method, quote) title, quote title, method title
    lookups: list[dict] = [{}, {}, {}]
    for key, (method, quote) in zip(keys, titles):
        if key is None:
            continue
        for lookup, title in zip(lookups, ((method, quote), quote, method)):
            if title and title != ("", ""):
                lookup.setdefault(title, set()).add(key)
    out = []
    for key, (method, quote) in zip(keys, titles):
        if key is None and (method or quote):
            for lookup, title in zip(lookups, ((method, quote), quote, method)):
                found = lookup.get(title) if title else None
                if found and len(found) == 1:
                    key = next(iter(found))
                    break
            else:
                key = "title:" + "/".join(w for w in (method, quote) if w)
        out.append(key)
    return pd.Series(out, index=df.index, dtype=object, name="method_key")


def _payment_keys(value: Any) -> frozenset[str] | None:
    if not isinstance(value, str):
        return None
    return frozenset(k for k in (normalise_code(part) for part in value.split(",")) if k)


def _store_order(df: pd.DataFrame) -> list[Any]:
    present = set(df["store"].dropna())
    if isinstance(df["store"].dtype, pd.CategoricalDtype):
        return [c for c in df["store"].cat.categories if c in present]
    return list(pd.unique(df["store"].dropna()))


def _side(part: pd.DataFrame, match: list[str], label: Any,
          amounts: Sequence[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One store's rows keyed by scenario and method key, and its scenarios without a method."""
    cols = match + ["method_key"] + _present(part, _SIDE_COLUMNS + ("country", "zone")) + list(amounts)
    rows = part.loc[part["method_key"].notna(), cols]
    dup = rows.duplicated(match + ["method_key"], keep=False)
    if dup.any():
        first = rows[dup].iloc[0]
        where = ", ".join(f"{c}={first[c]!r}" for c in match + ["method_key"])
        raise ValueError(f"store {label!r} has several rows for {where}: compare one study per store "
                         f"(filter the frame on 'study'), or methods whose codes only differ in case")
    bare = part.loc[part["method_key"].isna(), cols].drop_duplicates(match)
    bare = _anti_join(bare, rows[match].drop_duplicates(), match)
    return rows, bare


def stores(df: pd.DataFrame, baseline: Any, *, amounts: Sequence[str] = _STORE_AMOUNTS,
           currency_mismatch: str = "raise") -> pd.DataFrame:
    """What changes from the ``baseline`` store to each other store of the frame, per scenario and method.

    ``df`` is a study's frame across stores (``Study(stores=...)``, ``store`` = label) or
    several stores' frames concatenated. Scenarios match on cart, destination and customer
    group; methods on :func:`method_keys`, so 4.0's ``cod.cod`` meets 3.0's ``cod`` and a
    method sent without a code meets its title, and both stores' codes and names are kept
    (``baseline_quote_code``/``quote_code``, ``baseline_name``/``name``).

    One row per other store x scenario x method offered on either store (a scenario with no
    method on either store: one row, ``method_key`` None). Columns: ``store``, ``baseline``,
    the scenario, ``method_key``, ``offered`` (:data:`OFFERED`: both, baseline only, store
    only, neither, or unknown when a store failed for the scenario: a failure is never read as
    "not offered"), ``baseline_status``/``status`` and errors, for each of ``amounts``
    ``baseline_<a>``, ``<a>`` and ``<a>_delta`` (store - baseline), ``total_delta_pct``, the
    payment methods with ``payments_only_baseline``/``payments_only_store`` (normalised keys,
    comma-separated), currencies, dialects and pricing modes.

    Money is compared in one currency only: ``cost`` in ``currency``, the total lines in
    ``session_currency``. Where the two stores' currencies differ (or one is unknown),
    ``currency_mismatch="raise"`` (default) refuses with the stores and currencies named;
    ``"flag"`` compares what is offered, leaves those differences NaN and sets
    ``currency_mismatch``. Stores priced differently (4.1's ``pricing="api"`` taxes the store's
    own address) get a warning: part of their tax difference is the pricing mode.
    """
    if currency_mismatch not in ("raise", "flag"):
        raise ValueError(f"currency_mismatch={currency_mismatch!r}: use 'raise' or 'flag'")
    if "store" not in df.columns:
        raise ValueError("stores() needs a 'store' column: a Study(stores={label: store, ...}) frame, "
                         "or several stores' frames concatenated")
    missing = [c for c in ("cart", "destination", "status") if c not in df.columns]
    if missing:
        raise ValueError(f"stores() needs a study frame; missing columns {missing}")
    amounts = list(amounts)
    absent = [a for a in amounts if a not in df.columns]
    if absent:
        raise ValueError(f"amounts {absent} are not columns of the frame")
    needed = sorted({_AMOUNT_CURRENCY.get(a, "session_currency") for a in amounts} - set(df.columns))
    if needed:
        raise ValueError(f"the frame has no {needed} column: without them amounts of different currencies "
                         f"could be subtracted; build it with Study.run or ocdata.frames.with_currency")
    labels = _store_order(df)
    if baseline not in labels:
        raise ValueError(f"baseline {baseline!r} is not a store of the frame; its stores: {labels}")
    if len(labels) < 2:
        raise ValueError(f"the frame holds one store ({labels}); stores() compares two or more")

    order = _store_order(df)
    df = _plain(df)
    df["method_key"] = method_keys(df)
    match = [c for c in _STORE_MATCH if c in df.columns]
    sides = {label: _side(df[(df["store"] == label).to_numpy()], match, label, amounts) for label in labels}
    out = [_pair(sides[baseline], sides[label], match, amounts) .assign(store=label, baseline=baseline)
           for label in labels if label != baseline]
    result = pd.concat(out, ignore_index=True)
    result = _check_currencies(result, amounts, baseline, currency_mismatch)
    _warn_pricing(result, baseline)
    return _arrange(result, match, amounts, order, baseline)


def _pair(base: tuple[pd.DataFrame, pd.DataFrame], other: tuple[pd.DataFrame, pd.DataFrame], match: list[str],
          amounts: list[str]) -> pd.DataFrame:
    (b_rows, b_bare), (o_rows, o_bare) = base, other
    keys = match + ["method_key"]
    prefixed = {c: f"baseline_{c}" for c in b_rows.columns if c not in keys}
    rows = b_rows.rename(columns=prefixed).merge(o_rows, on=keys, how="outer")
    # scenarios without any method on one side: their status (error, unavailable...) applies to every method
    for bare, prefix in ((b_bare, "baseline_"), (o_bare, "")):
        info = bare[match + ["status", "error"]].rename(columns={"status": "_status", "error": "_error"})
        rows = rows.merge(info, on=match, how="left")
        status, error = f"{prefix}status", f"{prefix}error"
        fill = rows[status].isna() & rows["_status"].notna()
        rows.loc[fill, status] = rows.loc[fill, "_status"]
        rows.loc[fill, error] = rows.loc[fill, "_error"]
        rows = rows.drop(columns=["_status", "_error"])
    # a scenario with methods on a store, but not this one: not offered there
    for prefix, side_rows in (("baseline_", b_rows), ("", o_rows)):
        has = rows[match].merge(side_rows[match].drop_duplicates().assign(_has=True), on=match, how="left")["_has"]
        fill = rows[f"{prefix}status"].isna().to_numpy() & has.fillna(False).astype(bool).to_numpy()
        rows.loc[fill, f"{prefix}status"] = STATUS_UNAVAILABLE
    # scenarios without a method on either store: one row each (no shipping, failures, nothing offered)
    both_bare = b_bare.rename(columns=prefixed).merge(o_bare, on=match, how="outer", suffixes=("", "_o"))
    both_bare = both_bare.drop(columns=[c for c in both_bare.columns if c.endswith("_o")])
    both_bare = _anti_join(both_bare, rows[match].drop_duplicates(), match)
    # the scenario's own description, from whichever store has it
    out = pd.concat([rows, both_bare], ignore_index=True) if len(both_bare) else rows
    for c in ("scenario_id", "country", "zone"):
        if f"baseline_{c}" in out.columns:
            base_c = out.pop(f"baseline_{c}")
            out[c] = base_c.combine_first(out[c]) if c in out.columns else base_c
    return out


def _offered(base_status: pd.Series, status: pd.Series) -> pd.Series:
    b, o = base_status.astype(object), status.astype(object)
    b_ok, o_ok = b.isin(_PRESENT_STATUSES), o.isin(_PRESENT_STATUSES)
    b_no, o_no = b.isin(_ABSENT_STATUSES), o.isin(_ABSENT_STATUSES)
    values = np.select([b_ok & o_ok, b_ok & o_no, b_no & o_ok, b_no & o_no],
                       ["both", "baseline only", "store only", "neither"], default="unknown")
    return pd.Series(pd.Categorical(values, categories=list(OFFERED)), index=status.index)


def _check_currencies(out: pd.DataFrame, amounts: list[str], baseline: Any, mode: str) -> pd.DataFrame:
    out["currency_mismatch"] = False
    problems = []
    for column in dict.fromkeys(_AMOUNT_CURRENCY.get(a, "session_currency") for a in amounts):
        mine, theirs = out[f"baseline_{column}"].astype(object), out[column].astype(object)
        uses = [a for a in amounts if _AMOUNT_CURRENCY.get(a, "session_currency") == column]
        valued = np.zeros(len(out), dtype=bool)
        for a in uses:
            valued |= (out[f"baseline_{a}"].notna() & out[a].notna()).to_numpy()
        differ = valued & ~((mine == theirs) & mine.notna()).to_numpy()
        if differ.any():
            for store, b_cur, o_cur in (out.loc[differ, ["store"]].assign(b=mine[differ], o=theirs[differ])
                                        .drop_duplicates().itertuples(index=False)):
                problems.append(f"{', '.join(uses)}: store {store!r} in {_currency_name(o_cur)}, "
                                f"baseline {baseline!r} in {_currency_name(b_cur)}")
            out.loc[differ, "currency_mismatch"] = True
            for a in uses:
                out.loc[differ, f"_{a}_void"] = True
    if problems and mode == "raise":
        raise ValueError("amounts in different currencies are not subtracted: " + "; ".join(problems) +
                         ". Connect both stores in one currency (connect(currency=...) on 4.0/3.0 sets the "
                         "session currency; cost is always the store's default), or pass "
                         "currency_mismatch='flag' to compare what is offered and leave those differences empty")
    for a in amounts:
        delta = out[a] - out[f"baseline_{a}"]
        void = out.pop(f"_{a}_void") if f"_{a}_void" in out.columns else None
        if void is not None:
            delta = delta.where(void.isna())
        out[f"{a}_delta"] = delta
    if "total" in amounts:
        with np.errstate(divide="ignore", invalid="ignore"):
            base = out["baseline_total"]
            out["total_delta_pct"] = out["total_delta"] / base.where(base != 0) * 100
    return out


def _currency_name(code: Any) -> str:
    return str(code) if isinstance(code, str) and code else "an unknown currency"


def _warn_pricing(out: pd.DataFrame, baseline: Any) -> None:
    if "pricing" not in out.columns or "baseline_pricing" not in out.columns:
        return
    pairs = out[["store", "baseline_pricing", "pricing"]].dropna().drop_duplicates()
    for store, b, o in pairs.itertuples(index=False):
        if b != o and "api" in (b, o):
            api_store = store if o == "api" else baseline
            warnings.warn(f"store {store!r} was priced with pricing={o!r}, baseline {baseline!r} with {b!r}: "
                          f"pricing='api' (4.1's one-off calls) taxes the store's own address and prices the "
                          f"default customer group, so part of the tax and total differences is the pricing mode; "
                          f"connect {api_store!r} with pricing='storefront' to price like the checkout",
                          OcdataWarning, stacklevel=3)


def _arrange(out: pd.DataFrame, match: list[str], amounts: list[str], order: list[Any], baseline: Any) -> pd.DataFrame:
    out["offered"] = _offered(out["baseline_status"], out["status"])
    b_pay = out["baseline_payment_methods"].map(_payment_keys) if "baseline_payment_methods" in out.columns else None
    o_pay = out["payment_methods"].map(_payment_keys) if "payment_methods" in out.columns else None
    if b_pay is not None and o_pay is not None:
        both = out["offered"] == "both"
        out["payments_only_baseline"] = [",".join(sorted(b - o)) if ok else None
                                         for ok, b, o in zip(both, b_pay, o_pay)]
        out["payments_only_store"] = [",".join(sorted(o - b)) if ok else None for ok, b, o in zip(both, b_pay, o_pay)]
    # rows in the baseline's grid order, methods in the stores' order
    sort = pd.concat([out.get("baseline_sort_order", pd.Series(np.nan, index=out.index)),
                      out.get("sort_order", pd.Series(np.nan, index=out.index))], axis=1).min(axis=1)
    out["_store_pos"] = out["store"].map({s: i for i, s in enumerate(order)})
    out["_sort"] = sort
    keys = ["_store_pos"] + (["scenario_id"] if "scenario_id" in out.columns else match) + ["_sort", "method_key"]
    out = out.sort_values(keys, kind="stable", na_position="last").reset_index(drop=True)
    scenario = [c for c in ("scenario_id", "cart", "destination", "country", "zone", "customer_group_id")
                if c in out.columns]
    pairs = [c for base in ("quote_code", "method_code", "method_name", "name") for c in (f"baseline_{base}", base)]
    money = [c for a in amounts for c in (f"baseline_{a}", a, f"{a}_delta")] + (
        ["total_delta_pct"] if "total" in amounts else [])
    rest = ["baseline_payment_methods", "payment_methods", "payments_only_baseline", "payments_only_store",
            "baseline_currency", "currency", "baseline_session_currency", "session_currency", "currency_mismatch",
            "baseline_dialect", "dialect", "baseline_pricing", "pricing", "baseline_error", "error"]
    cols = (["store", "baseline"] + scenario + ["method_key"] + pairs + ["offered", "baseline_status", "status"]
            + money + rest)
    out = out[[c for c in cols if c in out.columns]]
    out["store"] = pd.Categorical(out["store"], categories=[s for s in order if s != baseline])
    if "scenario_id" in out.columns:
        out["scenario_id"] = out["scenario_id"].astype("Int64")
    return out


def stores_summary(diff: pd.DataFrame, by: Sequence[str] = ("destination", "method_key")) -> pd.DataFrame:
    """:func:`stores`' rows summed up per other store and ``by`` (default: destination and
    method): ``method`` (its name), how many scenarios it was offered on both stores, on the
    baseline only, on the store only, on neither, unknown (a store failed); how many of those
    offered on both changed in total; the mean cost and total differences and the smallest and
    largest total difference, with the currencies they are in."""
    by = list(by)
    keys = ["store", "baseline"] + by
    d = _plain(diff)
    names = [c for c in ("method_name", "baseline_method_name", "name", "baseline_name") if c in d.columns]
    titles = d[names].astype(object).map(lambda v: re.sub(r"\s*\([^)]*\)\s*$", "", html.unescape(v)).strip()
                                          if isinstance(v, str) and v.strip() else None)
    d["method"] = titles.bfill(axis=1).iloc[:, 0] if names else None
    d["method"] = d["method"].fillna(d["method_key"]) if "method_key" in d.columns else d["method"]
    for value in OFFERED:
        d[value.replace(" ", "_")] = (d["offered"].astype(object) == value).astype("int64")
    g = d.groupby(keys, dropna=False, sort=False)
    out = g.agg(method=("method", "first"), scenarios=("offered", "size"),
                **{v.replace(" ", "_"): (v.replace(" ", "_"), "sum") for v in OFFERED})
    if "total_delta" in d.columns:
        d["_changed"] = (d["total_delta"].abs() > 0.005).astype("int64")
        out["changed"] = g["_changed"].sum()
    for a, stats in (("cost_delta", ("mean",)), ("total_delta", ("mean", "min", "max"))):
        if a in d.columns:
            for stat in stats:
                out[f"{a}_{stat}"] = g[a].agg(stat)
    for c in ("currency", "session_currency"):
        if c in d.columns:
            out[c] = g[c].agg(lambda s: ", ".join(sorted({str(v) for v in s.dropna()})) or None)
    return out.reset_index()
