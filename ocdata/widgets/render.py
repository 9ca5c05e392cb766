"""HTML for the widgets' read-only areas (tables, notices, charts), shared by every widget."""

from __future__ import annotations

import html
import io
from collections.abc import Callable, Mapping
from typing import Any

import pandas as pd

from ocdata.widgets.messages import Notice

__all__ = ["frame_html", "notice_html", "figure_svg", "static_html", "AMOUNT_COLUMNS"]

AMOUNT_COLUMNS = frozenset({"price", "total", "cost", "tax", "value", "cost_with_tax", "sub_total", "cart_tax",
                            "shipping_tax", "shipping_cost", "taxable"})
"""Columns that hold money: shown with the store's currency when a ``money`` formatter is given."""


def frame_html(df: pd.DataFrame, caption: str, *, highlight: str | None = None, key: str | None = None,
               empty: str = "nothing yet", money: Callable[[Any], str] | None = None,
               headers: Mapping[str, str] | None = None) -> str:
    """A compact HTML table of ``df`` (numbers to 2 decimals, amounts with ``money``, missing values blank).

    The row whose ``key`` column equals ``highlight`` is shown bold (the chosen method);
    ``headers`` renames columns for display.
    """
    title = f"<div style='font-weight:600;margin-top:6px'>{html.escape(caption)}</div>"
    if df.empty:
        return f"{title}<div style='color:#666'>{html.escape(empty)}</div>"
    names = dict(headers or {})
    head = "".join(f"<th style='text-align:left;padding:2px 8px'>{html.escape(str(names.get(c, c)))}</th>"
                   for c in df.columns)
    key_at = df.columns.get_loc(key) if key is not None and key in df.columns else None
    amounts = [money is not None and str(c) in AMOUNT_COLUMNS for c in df.columns]
    rows = []
    for record in df.itertuples(index=False, name=None):
        cells = "".join(f"<td style='padding:2px 8px'>{html.escape(_cell(v, money if is_amount else None))}</td>"
                        for v, is_amount in zip(record, amounts))
        chosen = key_at is not None and highlight is not None and str(record[key_at]) == highlight
        style = " class='ocdata-chosen' style='font-weight:bold;background:#eef5ff'" if chosen else ""
        rows.append(f"<tr{style}>{cells}</tr>")
    return (f"{title}<table class='ocdata-table' style='border-collapse:collapse'>"
            f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>")


def _cell(value: object, money: Callable[[Any], str] | None = None) -> str:
    if value is None or (not isinstance(value, (str, list, tuple)) and pd.isna(value)):
        return ""
    if money is not None and isinstance(value, (int, float)) and not isinstance(value, bool):
        return money(value)
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)


def notice_html(notice: Notice | None) -> str:
    return notice.html() if notice is not None else ""


def figure_svg(figure: Any, *, max_width: str = "100%") -> str:
    """A matplotlib Figure as inline SVG (sharp at any zoom, text kept as text); ``""`` for None."""
    if figure is None:
        return ""
    import matplotlib

    buffer = io.StringIO()
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "ocdata"}):
        figure.savefig(buffer, format="svg", bbox_inches="tight")
    svg = buffer.getvalue()
    svg = svg[svg.index("<svg"):]  # drop the XML prolog and doctype: inline in HTML
    svg = svg.replace("<svg ", '<svg style="max-width:100%;height:auto" ', 1)
    return f"<div class='ocdata-chart' style='max-width:{max_width};overflow-x:auto'>{svg}</div>"


def static_html(title: str, notice: Notice | None, body: str = "") -> str:
    """What a notebook shows of a widget where widgets cannot be drawn (not yet run, untrusted)."""
    return (f"<div class='ocdata-static' style='border:1px dashed #bbb;padding:6px'><b>{html.escape(title)}</b>"
            "<div style='color:#666'>Interactive form: run this cell (or trust the notebook) to use it.</div>"
            f"{notice_html(notice)}{body}</div>")
