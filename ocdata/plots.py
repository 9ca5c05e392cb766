"""Charts of study comparisons. Each returns a :class:`matplotlib.figure.Figure` built
without pyplot (no global state, safe under the Agg backend and in threads); Jupyter
displays a returned Figure, ``fig.savefig(path)`` writes it.

What an analyst reads off them is spelled out: amount axes name their currency (the
frame's ``currency`` column for a quote's cost, ``session_currency`` for totals and tax;
see :mod:`ocdata.frames`), shipping methods appear by name (``"Weight Based Shipping"``,
with the quote code beneath or in the legend), customer groups by name when
``group_names`` gives them, a heatmap says which cart and customer group each panel
shows (one panel per cart and group when the frame holds several), the cheapest method
of each row is outlined and a tie for cheapest is written out, and legends sit beside
the plot, never over the bars.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from ocdata import compare

__all__ = ["cost_heatmap", "delta_bars", "tax_rate_chart", "store_deltas", "method_labels", "axis_label",
           "currency_of"]

_VALUE_LABELS = {
    "cost": "shipping cost before tax",
    "cost_with_tax": "shipping cost with tax",
    "shipping_tax": "tax on shipping",
    "tax": "tax",
    "cart_tax": "tax on products",
    "sub_total": "products before tax",
    "total": "order total",
}
# the quote's own cost is in the store's default currency; every total line in the session's
_DEFAULT_CURRENCY_VALUES = {"cost", "baseline_cost"}
_METHOD_COLUMNS = {"quote_code", "method_code", "method_name", "name"}
_GROUP = "customer_group_id"


# --------------------------------------------------------------------------- labels
def _codes_of(df: pd.DataFrame, column: str) -> list[str]:
    if column not in df.columns:
        return []
    values = df[column].dropna()
    return [str(v) for v in pd.unique(values.astype(str))] if len(values) else []


def currency_of(df: pd.DataFrame, value: str = "cost") -> str | None:
    """The currency ``value`` is in, read from the frame's currency columns: ``"USD"``,
    ``"EUR, USD"`` when the frame mixes stores, None when the frame does not say."""
    column = "currency" if value in _DEFAULT_CURRENCY_VALUES or "session_currency" not in df.columns \
        else "session_currency"
    codes = sorted(set(_codes_of(df, column)))
    return ", ".join(codes) if codes else None


def axis_label(value: str, currency: str | None = None) -> str:
    """``"shipping cost before tax (USD)"``: what ``value`` is and its currency (when known)."""
    text = _VALUE_LABELS.get(value, value.replace("_", " "))
    return f"{text} ({currency})" if currency else text


def _short_title(name: str) -> str:
    """A quote title without what varies per cart: 'UK Shipping (Weight: 10.00kg)' -> 'UK Shipping'."""
    return re.sub(r"\s*\([^)]*\)\s*$", "", name).strip() or name


def method_labels(df: pd.DataFrame, codes: Sequence[Any] | None = None, *, with_code: bool = True) -> dict[str, str]:
    """``{quote_code: label}``: the method's name (``"Weight Based Shipping"``), its quote's
    title where one method offers several quotes (``"Weight Based Shipping: UK Shipping"``),
    and the code on a second line with ``with_code``. Codes the frame does not name keep the code."""
    codes = [str(c) for c in (codes if codes is not None else _codes_of(df, "quote_code"))]
    names: dict[str, tuple[str, str]] = {}
    if "quote_code" in df.columns:
        cols = [c for c in ("quote_code", "method_name", "name") if c in df.columns]
        known = df.loc[df["quote_code"].notna(), cols].astype(object).fillna("").astype(str)
        known = known.drop_duplicates("quote_code")
        for row in known.itertuples(index=False):
            d = row._asdict()
            names[d["quote_code"]] = (d.get("method_name") or "", _short_title(d.get("name") or ""))
    method_counts = pd.Series([names[c][0] for c in codes if c in names and names[c][0]]).value_counts()
    labels = {}
    for code in codes:
        method, title = names.get(code, ("", ""))
        label = method or title or code
        if method and method_counts.get(method, 0) > 1 and title and title != method:
            label = f"{method}: {title}"
        labels[code] = f"{label}\n{code}" if with_code and label != code else label
    return labels


def _group_label(group: Any, names: Mapping[Any, str] | None) -> str:
    if names:
        for key in (group, _as_int(group), str(group)):
            if key in names:
                return str(names[key])
    return f"customer group {group}"


def _as_int(value: Any) -> Any:
    try:
        return int(value)
    except (TypeError, ValueError):
        return value


def _group_names(df: pd.DataFrame, given: Mapping[Any, str] | None) -> Mapping[Any, str] | None:
    """``given``, else the frame's own ``customer_group`` names when it has that column."""
    if given or _GROUP not in df.columns or "customer_group" not in df.columns:
        return given
    pairs = df[[_GROUP, "customer_group"]].dropna().drop_duplicates(_GROUP)
    return {_as_int(g): str(name) for g, name in pairs.itertuples(index=False)} or None


def _labels(values: Sequence[Any], column: str | None, df: pd.DataFrame,
            group_names: Mapping[Any, str] | None, *, with_code: bool) -> list[str]:
    if column == "quote_code":
        named = method_labels(df, values, with_code=with_code)
        return [named[str(v)] for v in values]
    if column == _GROUP:
        names = _group_names(df, group_names)
        return [_group_label(v, names) for v in values]
    return [str(v) for v in values]


def _in_order(found: Sequence[Any], df: pd.DataFrame, column: str) -> list[Any]:
    """``found`` in the order the frame first lists them (a study's grid order), the rest after."""
    if column not in df.columns:
        return list(found)
    seen = [v for v in pd.unique(df[column].dropna()) if v in set(found)]
    return seen + [v for v in found if v not in set(seen)]


def _legend_beside(ax, **kw: Any):
    """The legend right of the axes (constrained layout makes room): never over the data."""
    return ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0, fontsize=8, **kw)


# --------------------------------------------------------------------------- heatmap
def cost_heatmap(df: pd.DataFrame, value: str = "cost", index: str = "destination", columns: str = "quote_code",
                 aggfunc: str = "mean", title: str | None = None, *, currency: str | None = None,
                 group_names: Mapping[Any, str] | None = None, facet: Sequence[str] | str | None = None,
                 mark_cheapest: bool | None = None) -> Figure:
    """Destination x method heatmap of ``value``; a method not offered is a hatched "n/a" cell.

    One panel per cart and customer group the frame holds (``facet``: the columns to
    split by; default ``cart`` and ``customer_group_id`` when they take several values),
    each titled with its cart and group (``group_names``: ``{1: "Default"}``). The colour
    bar names the currency (``currency``, default: the frame's). With ``mark_cheapest``
    (default when the columns are methods) the lowest cell of each row is outlined and,
    when several methods share it, marked "tie".
    """
    facets = _facets(df, facet, index, columns)
    keys = _facet_keys(df, facets)
    table = compare.pivot(df, values=value, index=facets + [index], columns=columns, aggfunc=aggfunc)
    method_cols = _codes_order(table.columns, df, columns)
    table = table.reindex(columns=method_cols)
    if mark_cheapest is None:
        mark_cheapest = columns in _METHOD_COLUMNS
    currency = currency or currency_of(df, value)
    # wrapped to the cell's width, read horizontally: "Weight Based / Shipping: UK / Shipping / weight.weight_4"
    column_labels = ["\n".join(textwrap.fill(part, 18) for part in label.split("\n"))
                     for label in _labels(list(table.columns), columns, df, group_names, with_code=True)]

    panels = [(key, _panel(table, facets, key, df, index)) for key in keys]
    rows = max(len(p.index) for _, p in panels) if panels else 1
    n_cols = max(1, len(table.columns))
    width = 2.4 + 1.35 * n_cols
    fig = Figure(figsize=(width * min(2, len(panels)) if len(panels) > 1 else width,
                      (1.4 + 0.42 * rows) * ((len(panels) + 1) // 2 if len(panels) > 1 else 1) + 0.6),
                 layout="constrained")
    grid = fig.subplots(nrows=(len(panels) + 1) // 2 if len(panels) > 1 else 1,
                        ncols=2 if len(panels) > 1 else 1, squeeze=False)
    finite = table.to_numpy(dtype=float)
    finite = finite[np.isfinite(finite)]
    vmin, vmax = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    image = None
    tie_seen = False
    panel_titles = []
    for ax, (key, panel) in zip(grid.flat, panels):
        data = panel.to_numpy(dtype=float)
        image = ax.imshow(np.ma.masked_invalid(data), cmap="viridis_r", aspect="auto", vmin=vmin, vmax=vmax)
        ax.set_facecolor("#dddddd")
        ax.patch.set_hatch("///")
        ax.set_xticks(range(data.shape[1]), column_labels, fontsize=7.5)
        ax.set_yticks(range(data.shape[0]), [str(i) for i in panel.index])
        middle = (vmin + vmax) / 2
        ties = _row_minima(data) if mark_cheapest else {}
        for (r, c), v in np.ndenumerate(data):
            text = "n/a" if not np.isfinite(v) else f"{v:,.2f}"
            if (r, c) in ties:
                ax.add_patch(Rectangle((c - 0.5, r - 0.5), 1, 1, fill=False, edgecolor="#d62728", linewidth=2.2))
                if ties[(r, c)] > 1:
                    text += " tie"
                    tie_seen = True
            ax.text(c, r, text, ha="center", va="center", fontsize=8,
                    color="black" if not np.isfinite(v) or v < middle else "white")
        panel_titles.append((ax, _panel_title(key, facets, df, group_names)))
    for ax in list(grid.flat)[len(panels):]:
        ax.set_visible(False)
    if image is not None:
        fig.colorbar(image, ax=list(grid.flat)[:len(panels)], label=axis_label(value, currency))
    if title is None:
        across = "shipping method" if columns in _METHOD_COLUMNS else columns
        title = f"{axis_label(value, currency)} by {index} and {across}" + ("" if aggfunc == "mean" else f" ({aggfunc})")
    if len(panel_titles) == 1:  # one chart: its own title, what it shows beneath
        ax, shows = panel_titles[0]
        ax.set_title(f"{title}\n{shows}" if shows else title)
    else:
        fig.suptitle(title)
        for ax, shows in panel_titles:
            ax.set_title(shows, fontsize=9)
    if mark_cheapest:
        note = "Outlined: the cheapest method in each row" + ("; 'tie': several methods share it" if tie_seen else "")
        fig.supxlabel(note, fontsize=8)
    return fig


def _facets(df: pd.DataFrame, facet: Sequence[str] | str | None, index: str, columns: str) -> list[str]:
    if facet is not None:
        return [facet] if isinstance(facet, str) else list(facet)
    return [c for c in ("cart", _GROUP) if c in df.columns and c not in (index, columns)
            and df[c].nunique(dropna=True) > 1]


def _facet_keys(df: pd.DataFrame, facets: list[str]) -> list[tuple]:
    if not facets:
        return [()]
    keys = df[facets].drop_duplicates()
    return [tuple(row) for row in keys.itertuples(index=False)]


def _panel(table: pd.DataFrame, facets: list[str], key: tuple, df: pd.DataFrame, index: str) -> pd.DataFrame:
    """The rows of ``table`` for one facet key, indexed by ``index`` alone, in the frame's order."""
    if facets:
        mask = np.ones(len(table), dtype=bool)
        for level, k in enumerate(key):
            mask &= (table.index.get_level_values(level) == k)
        table = table[mask]
        table.index = table.index.get_level_values(-1)
    return table.reindex(_in_order(list(table.index), df, index))


def _codes_order(found: pd.Index, df: pd.DataFrame, column: str) -> list[Any]:
    """Methods in the store's order (sort_order, then code) when the frame has it."""
    if column in _METHOD_COLUMNS and column in df.columns and "sort_order" in df.columns:
        order = (df.loc[df[column].notna(), [column, "sort_order"]].astype({column: str})
                 .groupby(column, observed=True)["sort_order"].min())
        return sorted(found, key=lambda c: (order.get(str(c), np.inf), str(c)))
    return list(found)


def _row_minima(data: np.ndarray) -> dict[tuple[int, int], int]:
    """``{(row, col): n}`` for each row's lowest finite cells; n = how many share it."""
    out = {}
    for r, row in enumerate(data):
        finite = np.isfinite(row)
        if not finite.any():
            continue
        low = row[finite].min()
        cells = np.flatnonzero(finite & np.isclose(row, low, rtol=0, atol=0.005))
        for c in cells:
            out[(r, int(c))] = len(cells)
    return out


def _panel_title(key: tuple, facets: list[str], df: pd.DataFrame, group_names: Mapping[Any, str] | None) -> str:
    given = dict(zip(facets, key))
    parts = {}
    for column in ("cart", _GROUP):  # cart first, then group; a single cart or group is named too
        if column in given:
            parts[column] = given.pop(column)
        elif column in df.columns and df[column].nunique(dropna=True) == 1:
            parts[column] = df[column].dropna().iloc[0]
    parts.update(given)
    bits = []
    for column, v in parts.items():
        if column == "cart":
            bits.append(f"cart {v!r}")
        elif column == _GROUP:
            label = _group_label(v, _group_names(df, group_names))
            bits.append(label if label.startswith("customer group") else f"customer group {label}")
        else:
            bits.append(f"{column} {v}")
    for column, what in (("cart", "carts"), (_GROUP, "customer groups")):  # facet=() averages over them
        if column not in parts and column in df.columns and df[column].nunique() > 1:
            bits.append(f"mean over {df[column].nunique()} {what}")
    return ", ".join(bits)


# --------------------------------------------------------------------------- bars
def delta_bars(deltas: pd.DataFrame, value: str = "delta", by: str = "destination", hue: str = "quote_code",
               aggfunc: str = "mean", title: str | None = None, *, currency: str | None = None,
               group_names: Mapping[Any, str] | None = None) -> Figure:
    """Grouped bars of :func:`ocdata.compare.deltas` output (``value``: ``delta`` or ``delta_pct``).

    Methods appear by name with their code in the legend; customer groups by ``group_names``.
    """
    table = deltas.groupby([by, hue], dropna=False, observed=True)[value].agg(aggfunc).unstack(hue)
    table = table.reindex(index=_in_order(list(table.index), deltas, by),
                          columns=_codes_order(table.columns, deltas, hue))
    on = next((c[len("baseline_"):] for c in deltas.columns if c.startswith("baseline_")), "cost")
    if value == "delta_pct":
        ylabel = f"{axis_label(on)}\nagainst the baseline (%)"
    else:
        ylabel = f"{axis_label(on)}\nagainst the baseline" + (
            f" ({c})" if (c := currency or currency_of(deltas, on)) else "")
    labels = _labels(list(table.columns), hue, deltas, group_names, with_code=False)
    if hue == "quote_code":
        labels = [f"{label} ({code})" if label != str(code) else label for label, code in zip(labels, table.columns)]
    return _grouped_bars(table, ylabel=ylabel, title=title or f"{value} against the baseline by {by}",
                         zero_line=True, labels=labels, legend_title=_legend_title(hue))


def tax_rate_chart(tax: pd.DataFrame, by: str = "destination", hue: str = "customer_group_id",
                   title: str | None = None, *, group_names: Mapping[Any, str] | None = None) -> Figure:
    """Effective tax rate per destination and customer group, from :func:`ocdata.compare.effective_tax`.

    Bars: the rate on products; dots: the rate on shipping (tax on shipping shown apart).
    Groups appear by ``group_names`` (``{1: "Default", 3: "Wholesale"}``).
    """
    products = tax.pivot_table(index=by, columns=hue, values="product_tax_rate", aggfunc="mean", dropna=False,
                               observed=True)
    shipping = tax.pivot_table(index=by, columns=hue, values="shipping_tax_rate", aggfunc="mean", dropna=False,
                               observed=True)
    products = products.reindex(index=_in_order(list(products.index), tax, by))
    labels = _labels(list(products.columns), hue, tax, group_names, with_code=False)
    fig = _grouped_bars(products * 100, ylabel="tax rate (%)", title=title or "Effective tax rate",
                        labels=[f"{label}: products" for label in labels], legend=False)
    ax = fig.axes[0]
    positions = _positions(products.shape)
    for j in range(shipping.shape[1]):
        ax.scatter(positions[:, j], shipping.iloc[:, j].reindex(products.index).to_numpy() * 100, color="black",
                   marker="D", s=18, zorder=3, label="tax on shipping" if j == 0 else None)
    _legend_beside(ax, title=f"{_legend_title(hue)} (bars: products)")
    return fig


def _legend_title(column: str) -> str:
    return {"quote_code": "shipping method", _GROUP: "customer group"}.get(column, column)


def _positions(shape: tuple[int, int]) -> np.ndarray:
    rows, cols = shape
    width = 0.8 / max(1, cols)
    return np.arange(rows)[:, None] - 0.4 + width * (np.arange(cols)[None, :] + 0.5)


def _grouped_bars(table: pd.DataFrame, ylabel: str, title: str, zero_line: bool = False,
                  legend_title: str | None = None, labels: Sequence[str] | None = None,
                  legend: bool = True) -> Figure:
    rows, cols = table.shape
    fig = Figure(figsize=(min(16.0, max(6.5, 3.5 + 0.25 * rows * max(1, cols))), 4.4), layout="constrained")
    ax = fig.add_subplot()
    width = 0.8 / max(1, cols)
    positions = _positions(table.shape)
    labels = list(labels) if labels is not None else [str(c) for c in table.columns]
    for j, column in enumerate(table.columns):
        values = table[column].to_numpy(dtype=float)
        ax.bar(positions[:, j], np.nan_to_num(values), width=width, label=labels[j])
        for x, v in zip(positions[:, j], values):
            if not np.isfinite(v):
                ax.text(x, 0, "n/a", ha="center", va="bottom", fontsize=7, rotation=90)
    ax.set_xticks(range(rows), [str(i) for i in table.index], rotation=30, ha="right")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    if zero_line:
        ax.axhline(0, color="black", linewidth=0.8)
    if cols and legend:
        _legend_beside(ax, title=legend_title or str(table.columns.name or ""))
    return fig


# --------------------------------------------------------------------------- across stores
_ONLY_STORE, _ONLY_BASELINE = "#cfe8d5", "#f8d9b8"


def store_deltas(diff: pd.DataFrame, value: str = "total_delta", index: str = "destination",
                 columns: str = "method_key", aggfunc: str = "mean", title: str | None = None, *,
                 currency: str | None = None) -> Figure:
    """What changes from the baseline store, from :func:`ocdata.compare.stores`: one panel per
    other store, ``index`` x method, each cell the ``aggfunc`` of ``value`` (store minus
    baseline: red dearer, blue cheaper, white unchanged). A method offered on one store only
    says so ("only on 4.1") instead of a number; "failed": a store could not price it; "n/a":
    offered on neither. Methods appear by name with their key beneath; the colour bar names the
    currency.
    """
    d = compare._plain(diff)
    if d.empty:
        raise ValueError("nothing to chart: the comparison has no rows")
    baseline = str(d["baseline"].iloc[0])
    stores = ([s for s in diff["store"].cat.categories if s in set(d["store"])]
              if isinstance(diff["store"].dtype, pd.CategoricalDtype) else list(pd.unique(d["store"])))
    d = d[d[columns].notna()] if columns in d.columns else d
    rows = list(pd.unique(d[index]))
    cols = list(pd.unique(d[columns]))
    labels = ["\n".join(textwrap.fill(part, 16) for part in label.split("\n"))
              for label in _store_method_labels(d, cols, columns)]
    amount = value[:-len("_delta")] if value.endswith("_delta") else value
    currency = currency or currency_of(d, amount)
    tables, cell_texts = [], []
    for store in stores:
        part = d[d["store"] == store]
        table = (part.groupby([index, columns], sort=False)[value].agg(aggfunc).unstack(columns)
                 .reindex(index=rows, columns=cols))
        offered = part.groupby([index, columns], sort=False)["offered"].agg(lambda s: set(s.astype(str)))
        texts = np.full(table.shape, "n/a", dtype=object)
        for (r, c), v in np.ndenumerate(table.to_numpy(dtype=float)):
            seen = offered.get((rows[r], cols[c]), set())
            if np.isfinite(v):
                texts[r, c] = ("0.00" if abs(v) < 0.005 else f"{v:+,.2f}") + ("*" if seen - {"both"} else "")
            elif seen == {"store only"}:
                texts[r, c] = f"only on\n{store}"
            elif seen == {"baseline only"}:
                texts[r, c] = f"only on\n{baseline}"
            elif "unknown" in seen:
                texts[r, c] = "failed"
        tables.append(table)
        cell_texts.append(texts)
    values = np.concatenate([t.to_numpy(dtype=float).ravel() for t in tables])
    values = values[np.isfinite(values)]
    limit = max(float(np.abs(values).max()) if values.size else 0.0, 0.01)
    width = 2.6 + 1.3 * max(1, len(cols))
    fig = Figure(figsize=(width, (1.3 + 0.45 * len(rows)) * len(stores) + 0.9), layout="constrained")
    axes = fig.subplots(nrows=len(stores), ncols=1, squeeze=False)[:, 0]
    image = None
    starred = False
    for ax, store, table, texts in zip(axes, stores, tables, cell_texts):
        data = table.to_numpy(dtype=float)
        image = ax.imshow(np.ma.masked_invalid(data), cmap="RdBu_r", vmin=-limit, vmax=limit, aspect="auto")
        ax.set_facecolor("#eeeeee")
        ax.patch.set_hatch("///")
        ax.set_xticks(range(len(cols)), labels, fontsize=7.5)
        ax.set_yticks(range(len(rows)), [str(r) for r in rows])
        for (r, c), text in np.ndenumerate(texts):
            v = data[r, c]
            starred |= text.endswith("*")
            if text.startswith("only on"):  # a plain fill, not the hatch of "n/a": the text stays readable
                fill = _ONLY_STORE if text.endswith(f"\n{store}") else _ONLY_BASELINE
                ax.add_patch(Rectangle((c - 0.5, r - 0.5), 1, 1, facecolor=fill, edgecolor="white", zorder=2))
            ax.text(c, r, text, ha="center", va="center", fontsize=7.5 if "\n" in text else 8, zorder=3,
                    color="white" if np.isfinite(v) and abs(v) > 0.6 * limit else "black")
        ax.set_title(f"{store} against {baseline}", fontsize=9)
    if image is not None:
        fig.colorbar(image, ax=list(axes), label=f"{axis_label(amount, currency)}: store minus {baseline}")
    fig.suptitle(title or f"What changes from {baseline}: {axis_label(amount)} by {index} and shipping method"
                 + ("" if aggfunc == "mean" else f" ({aggfunc})"))
    note = ("Red: dearer than the baseline; blue: cheaper. Green: offered on the store only; "
            "orange: on the baseline only")
    if starred:
        note += "; *: offered on one store only for some of the cell's scenarios"
    fig.supxlabel(note, fontsize=8)
    return fig


def _store_method_labels(d: pd.DataFrame, keys: list[Any], column: str) -> list[str]:
    """A method's name from either store ("Weight Based Shipping"), with its quote's title where
    one method has several keys ("Weight Based Shipping: UK Shipping"), and the key beneath."""
    def first(rows: pd.DataFrame, names: tuple[str, ...]) -> str:
        for name in names:
            if name in rows.columns:
                found = [v for v in rows[name] if isinstance(v, str) and v.strip()]
                if found:
                    return _short_title(found[0])
        return ""

    found = {}
    for key in keys:
        rows = d[d[column] == key]
        found[key] = (first(rows, ("method_name", "baseline_method_name")), first(rows, ("name", "baseline_name")))
    counts = pd.Series([m for m, _ in found.values() if m]).value_counts()
    labels = []
    for key in keys:
        method, title = found[key]
        label = method or title or str(key)
        if method and counts.get(method, 0) > 1 and title and title != method:
            label = f"{method}: {title}"
        labels.append(f"{label}\n{key}" if label != str(key) else label)
    return labels
