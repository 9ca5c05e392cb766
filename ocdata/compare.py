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
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ocdata.frames import STATUS_NO_SHIPPING, STATUS_OK, STATUS_UNAVAILABLE

__all__ = ["complete", "rank", "deltas", "effective_tax", "shipping_costs", "pivot", "SCENARIO_COLUMNS"]

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
