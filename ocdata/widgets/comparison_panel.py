"""``ComparisonPanel(store or study frame)``: pick carts, destinations and groups, compare methods.

The decisions live in :class:`~ocdata.widgets.comparison_model.ComparisonModel`; this module
wires widgets to it. The chart is rendered to PNG into an ``Image`` widget, so it shows
the same in Jupyter, in a saved notebook and in tests without a kernel.
"""

from __future__ import annotations

import html
import io
from typing import Any, Callable, Mapping

import ipywidgets as W
import pandas as pd

from ocdata.widgets.comparison_model import CHARTS, METRICS, ComparisonModel
from ocdata.widgets.messages import Notice, error_notice
from ocdata.widgets.render import frame_html, notice_html

__all__ = ["ComparisonPanel"]

_LIST = W.Layout(width="260px")


class ComparisonPanel(W.VBox):
    """Compare shipping methods over carts x destinations x customer groups.

    ``source``: a connected store (the panel runs a small study per *Run*) or a study
    frame (the panel filters it). Other arguments go to
    :class:`~ocdata.widgets.comparison_model.ComparisonModel`. :attr:`frame` is the last
    result, :attr:`model` the view model.
    """

    def __init__(self, source: Any, *, carts: Mapping[str, Any] | None = None,
                 destinations: Mapping[str, Any] | None = None, customer_groups: Mapping[int, str] | None = None,
                 cache: Any = None, metric: str = "total", concurrency: int = 8, name: str | None = None) -> None:
        self.model = m = ComparisonModel(source, carts=carts, destinations=destinations,
                                         customer_groups=customer_groups, cache=cache, metric=metric,
                                         concurrency=concurrency, name=name)
        self.carts = W.SelectMultiple(description="Carts", rows=5, layout=_LIST)
        self.destinations = W.SelectMultiple(description="Destinations", rows=5, layout=_LIST)
        self.groups = W.SelectMultiple(description="Groups", rows=5, layout=_LIST)
        self.metric = W.Dropdown(description="Cheapest by", options=[(f"{k}: {v}", k) for k, v in METRICS.items()],
                                 value=m.metric, layout=W.Layout(width="420px"))
        self.chart = W.Dropdown(description="Chart", options=[(v, k) for k, v in CHARTS.items()], value="heatmap",
                                layout=W.Layout(width="420px"))
        self.exclude = W.SelectMultiple(description="Leave out", rows=4, layout=_LIST)
        self.new_label = W.Text(description="Label", placeholder="Leeds / bundle", layout=_LIST)
        self.new_spec = W.Text(description="Spec", placeholder="GB-YSW LS1 1AA  or  40x1, 48x2", layout=_LIST)
        self.add_destination_button = W.Button(description="Add destination", icon="plus")
        self.add_cart_button = W.Button(description="Add cart", icon="plus")
        self.run_button = W.Button(description="Run" if m.store is not None else "Show", button_style="primary",
                                   icon="play")
        self.status = W.HTML()
        self.table_html = W.HTML()
        self.image = W.Image(format="png", layout=W.Layout(max_width="900px"))

        self._syncing = False
        self._sync_choices()
        self._wire()
        adding = [W.HBox([self.new_label, self.new_spec, self.add_destination_button, self.add_cart_button])] \
            if m.can_add else []
        super().__init__(children=[
            W.HBox([self.carts, self.destinations, self.groups]), *adding,
            W.HBox([W.VBox([self.metric, self.chart]), self.exclude]), self.run_button, self.status, self.table_html, self.image,
        ])
        self._render()

    @property
    def frame(self) -> pd.DataFrame | None:
        """The study frame of the last run (None before)."""
        return self.model.frame

    @property
    def notice(self) -> Notice | None:
        return self.model.notice

    # ------------------------------------------------------------------ wiring
    def _wire(self) -> None:
        m = self.model

        def on(widget: W.Widget, apply: Callable[[Any], None]) -> None:
            def observer(change: dict) -> None:
                if not self._syncing:
                    self._safely("selection", lambda: apply(change["new"]))
            widget.observe(observer, names="value")

        on(self.carts, lambda v: setattr(m, "selected_carts", list(v)))
        on(self.destinations, lambda v: setattr(m, "selected_destinations", list(v)))
        on(self.groups, lambda v: setattr(m, "selected_groups", list(v)))
        on(self.metric, lambda v: setattr(m, "metric", v))
        on(self.chart, lambda v: None)
        on(self.exclude, lambda v: setattr(m, "excluded_methods", list(v)))
        self.add_cart_button.on_click(lambda _b: self._safely("add cart", lambda: self._add(m.add_cart)))
        self.add_destination_button.on_click(
            lambda _b: self._safely("add destination", lambda: self._add(m.add_destination)))
        self.run_button.on_click(lambda _b: self._run())

    def _add(self, add: Callable[[str, str], bool]) -> None:
        if add(self.new_label.value, self.new_spec.value):
            self.new_label.value = self.new_spec.value = ""
            self._sync_choices()

    def _run(self) -> None:
        idle = self.run_button.description
        self.run_button.description, self.run_button.disabled = "Running…", True
        try:
            self._safely("study", self.model.run)
        finally:
            self.run_button.description, self.run_button.disabled = idle, False

    def _safely(self, action: str, fn: Callable[[], Any]) -> None:
        try:
            fn()
        except Exception as exc:  # noqa: BLE001 - a widget shows a message, never a traceback
            self.model.notice = error_notice(exc, action)
        self._render()

    # ------------------------------------------------------------------ rendering
    def _sync_choices(self) -> None:
        m = self.model
        self._syncing = True
        try:
            self.carts.options = list(m.carts)
            self.carts.value = tuple(m.selected_carts)
            self.destinations.options = list(m.destinations)
            self.destinations.value = tuple(m.selected_destinations)
            self.groups.options = [(f"{name} ({gid})", gid) for gid, name in m.customer_groups.items()]
            self.groups.value = tuple(m.selected_groups)
        finally:
            self._syncing = False

    def _render(self) -> None:
        m = self.model
        self._syncing = True
        try:
            self.exclude.options = m.methods()
            self.exclude.value = tuple(c for c in m.excluded_methods if c in m.methods())
        finally:
            self._syncing = False
        self.status.value = notice_html(m.notice)
        if m.frame is None:
            self.table_html.value = "<div style='color:#666'>Pick carts, destinations and groups, then press " \
                                    f"<i>{html.escape(self.run_button.description)}</i>.</div>"
            self.image.value = b""
            return
        self.table_html.value = frame_html(m.cheapest_table(), f"Cheapest method by {m.metric}",
                                           empty="no scenario")
        self.image.value = _png(m.figure(self.chart.value))


def _png(figure: Any) -> bytes:
    if figure is None:
        return b""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=90)
    return buffer.getvalue()
