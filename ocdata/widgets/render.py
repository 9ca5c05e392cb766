"""HTML for the widgets' read-only areas (tables, notices), shared by every widget."""

from __future__ import annotations

import html

import pandas as pd

from ocdata.widgets.messages import Notice

__all__ = ["frame_html", "notice_html"]


def frame_html(df: pd.DataFrame, caption: str, *, highlight: str | None = None, key: str | None = None,
               empty: str = "nothing yet") -> str:
    """A compact HTML table of ``df`` (money to 2 decimals, missing values blank).

    The row whose ``key`` column equals ``highlight`` is shown bold (the chosen method).
    """
    title = f"<div style='font-weight:600;margin-top:6px'>{html.escape(caption)}</div>"
    if df.empty:
        return f"{title}<div style='color:#666'>{html.escape(empty)}</div>"
    head = "".join(f"<th style='text-align:left;padding:2px 8px'>{html.escape(str(c))}</th>" for c in df.columns)
    key_at = df.columns.get_loc(key) if key is not None and key in df.columns else None
    rows = []
    for record in df.itertuples(index=False, name=None):
        cells = "".join(f"<td style='padding:2px 8px'>{html.escape(_cell(v))}</td>" for v in record)
        chosen = key_at is not None and highlight is not None and str(record[key_at]) == highlight
        style = " class='ocdata-chosen' style='font-weight:bold;background:#eef5ff'" if chosen else ""
        rows.append(f"<tr{style}>{cells}</tr>")
    return (f"{title}<table class='ocdata-table' style='border-collapse:collapse'>"
            f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>")


def _cell(value: object) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)


def notice_html(notice: Notice | None) -> str:
    return notice.html() if notice is not None else ""
