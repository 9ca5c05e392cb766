"""Charts of study comparisons. Each returns a :class:`matplotlib.figure.Figure` built
without pyplot (no global state, safe under the Agg backend and in threads); Jupyter
displays a returned Figure, ``fig.savefig(path)`` writes it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from ocdata import compare

__all__ = ["cost_heatmap", "delta_bars", "tax_rate_chart"]


def cost_heatmap(df: pd.DataFrame, value: str = "cost", index: str = "destination", columns: str = "quote_code",
                 aggfunc: str = "mean", title: str | None = None) -> Figure:
    """Destination x method heatmap of ``value``; a method not offered is a hatched "n/a" cell."""
    table = compare.pivot(df, values=value, index=index, columns=columns, aggfunc=aggfunc)
    data = table.to_numpy(dtype=float)
    fig = Figure(figsize=(1.6 + 1.3 * max(1, data.shape[1]), 1.2 + 0.5 * max(1, data.shape[0])),
                 layout="constrained")
    ax = fig.add_subplot()
    masked = np.ma.masked_invalid(data)
    image = ax.imshow(masked, cmap="viridis_r", aspect="auto")
    ax.set_facecolor("#dddddd")
    ax.patch.set_hatch("///")
    ax.set_xticks(range(data.shape[1]), [str(c) for c in table.columns], rotation=30, ha="right")
    ax.set_yticks(range(data.shape[0]), [str(i) for i in table.index])
    finite = data[np.isfinite(data)]
    middle = (finite.min() + finite.max()) / 2 if finite.size else 0
    for (r, c), v in np.ndenumerate(data):
        ax.text(c, r, "n/a" if not np.isfinite(v) else f"{v:,.2f}", ha="center", va="center", fontsize=8,
                color="black" if not np.isfinite(v) or v < middle else "white")
    fig.colorbar(image, ax=ax, label=value)
    ax.set_title(title or f"{aggfunc} {value} by {index} and {columns}")
    return fig


def delta_bars(deltas: pd.DataFrame, value: str = "delta", by: str = "destination", hue: str = "quote_code",
               aggfunc: str = "mean", title: str | None = None) -> Figure:
    """Grouped bars of :func:`ocdata.compare.deltas` output (``value``: ``delta`` or ``delta_pct``)."""
    table = deltas.groupby([by, hue], dropna=False, observed=True)[value].agg(aggfunc).unstack(hue)
    return _grouped_bars(table, ylabel=value, title=title or f"{value} against the baseline by {by}",
                         zero_line=True)


def tax_rate_chart(tax: pd.DataFrame, by: str = "destination", hue: str = "customer_group_id",
                   title: str | None = None) -> Figure:
    """Effective tax rate per destination and customer group, from :func:`ocdata.compare.effective_tax`.

    Bars: the rate on products; dots: the rate on shipping (tax on shipping shown apart).
    """
    products = tax.pivot_table(index=by, columns=hue, values="product_tax_rate", aggfunc="mean", dropna=False)
    shipping = tax.pivot_table(index=by, columns=hue, values="shipping_tax_rate", aggfunc="mean", dropna=False)
    fig = _grouped_bars(products * 100, ylabel="tax rate (%)", title=title or "Effective tax rate",
                        legend_title=f"{hue} (bars: products)")
    ax = fig.axes[0]
    positions = _positions(products.shape)
    for j in range(shipping.shape[1]):
        ax.scatter(positions[:, j], shipping.iloc[:, j].reindex(products.index).to_numpy() * 100, color="black",
                   marker="D", s=18, zorder=3, label="shipping" if j == 0 else None)
    ax.legend(title=f"{hue} (bars: products)", fontsize=8)
    return fig


def _positions(shape: tuple[int, int]) -> np.ndarray:
    rows, cols = shape
    width = 0.8 / max(1, cols)
    return np.arange(rows)[:, None] - 0.4 + width * (np.arange(cols)[None, :] + 0.5)


def _grouped_bars(table: pd.DataFrame, ylabel: str, title: str, zero_line: bool = False,
                  legend_title: str | None = None) -> Figure:
    rows, cols = table.shape
    fig = Figure(figsize=(max(5.0, 1.0 + 0.9 * rows * max(1, cols) / 2), 4), layout="constrained")
    ax = fig.add_subplot()
    width = 0.8 / max(1, cols)
    positions = _positions(table.shape)
    for j, column in enumerate(table.columns):
        values = table[column].to_numpy(dtype=float)
        ax.bar(positions[:, j], np.nan_to_num(values), width=width, label=str(column))
        for x, v in zip(positions[:, j], values):
            if not np.isfinite(v):
                ax.text(x, 0, "n/a", ha="center", va="bottom", fontsize=7, rotation=90)
    ax.set_xticks(range(rows), [str(i) for i in table.index], rotation=30, ha="right")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    if zero_line:
        ax.axhline(0, color="black", linewidth=0.8)
    if cols:
        ax.legend(title=legend_title or str(table.columns.name or ""), fontsize=8)
    return fig
