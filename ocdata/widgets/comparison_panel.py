"""``ComparisonPanel(store or study frame)``: pick carts, destinations and groups, compare methods.

The decisions live in :class:`~ocdata.widgets.comparison_model.ComparisonModel`; this module
wires widgets to it. A run goes to a worker thread (the notebook stays responsive, *Cancel*
stops it between scenarios); :meth:`ComparisonPanel.wait` waits for it from code. Charts are
inline SVG: sharp at any size, their text searchable, the same in Jupyter and a saved notebook.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import ipywidgets as W
import pandas as pd

from ocdata.widgets.comparison_model import CHARTS, COLLECTION_METHODS, METRICS, ComparisonModel
from ocdata.widgets.messages import Notice, error_notice
from ocdata.widgets.money import Money
from ocdata.widgets.render import figure_svg, frame_html, notice_html, static_html
from ocdata.widgets.tasks import Runner

__all__ = ["ComparisonPanel"]

_LIST = W.Layout(width="250px")
_LABELS = {"description_width": "110px"}


def _named(widget: W.Widget, name: str) -> W.Widget:
    widget.add_class(f"ocdata-{name}")
    return widget


def _titled(title: str, widget: W.Widget) -> W.VBox:
    """A list with its title above it (a description beside a list box gets cut)."""
    return W.VBox([W.HTML(f"<b>{html.escape(title)}</b>"), widget])


class ComparisonPanel(W.VBox):
    """Compare shipping methods over carts x destinations x customer groups.

    ``source``: a connected store (the panel runs a small study per *Run*) or a study
    frame (the panel filters it). Other arguments go to
    :class:`~ocdata.widgets.comparison_model.ComparisonModel` (``exclude`` defaults to the
    collection methods, e.g. in-store pickup). :attr:`frame` is the last result,
    :attr:`model` the view model.
    """

    def __init__(self, source: Any, *, carts: Mapping[str, Any] | None = None,
                 destinations: Mapping[str, Any] | None = None, customer_groups: Mapping[int, str] | None = None,
                 cache: Any = None, metric: str = "total", concurrency: int = 8, name: str | None = None,
                 exclude: Sequence[str] | None = COLLECTION_METHODS, money: Money | None = None,
                 background: bool = True) -> None:
        self.model = m = ComparisonModel(source, carts=carts, destinations=destinations,
                                         customer_groups=customer_groups, cache=cache, metric=metric,
                                         concurrency=concurrency, name=name, exclude=exclude, money=money)
        self.runner = Runner(background=background)
        self.run_label = "Run" if m.store is not None else "Show"
        self.carts = _named(W.SelectMultiple(rows=5, layout=_LIST), "carts")
        self.destinations = _named(W.SelectMultiple(rows=5, layout=_LIST), "destinations")
        self.groups = _named(W.SelectMultiple(rows=5, layout=_LIST), "groups")
        self.metric = _named(W.Dropdown(description="Cheapest by", options=[(v, k) for k, v in METRICS.items()],
                                        value=m.metric, layout=W.Layout(width="460px"), style=_LABELS), "metric")
        self.chart = _named(W.Dropdown(description="Chart", options=[(v, k) for k, v in CHARTS.items()],
                                       value="heatmap", layout=W.Layout(width="460px"), style=_LABELS), "chart")
        self.chart_cart = _named(W.Dropdown(description="Chart cart", options=[], value=None,
                                            layout=W.Layout(width="460px"), style=_LABELS), "chart-cart")
        self.exclude = _named(W.SelectMultiple(rows=4, layout=W.Layout(width="300px")), "exclude")
        self.excluded_html = _named(W.HTML(), "excluded")
        self.new_label = _named(W.Text(description="Label", placeholder="Leeds / bundle", layout=_LIST,
                                       style={"description_width": "50px"}), "new-label")
        self.new_spec = _named(W.Text(description="Spec", placeholder="GB-YSW LS1 1AA  or  40x1, 48x2",
                                      layout=W.Layout(width="300px"), style={"description_width": "50px"}),
                               "new-spec")
        self.add_destination_button = _named(W.Button(description="Add destination", icon="plus",
                                                      layout=W.Layout(width="auto")), "add-destination")
        self.add_cart_button = _named(W.Button(description="Add cart", icon="plus"), "add-cart")
        self.run_button = _named(W.Button(description=self.run_label, button_style="primary", icon="play"), "run")
        self.cancel_button = _named(W.Button(description="Cancel", icon="times", disabled=True), "cancel")
        self.status = _named(W.HTML(), "status")
        self.table_html = _named(W.HTML(), "cheapest")
        self.chart_html = _named(W.HTML(), "chart-html")

        self._syncing = False
        self._sync_choices()
        self._wire()
        adding = [W.HBox([self.new_label, self.new_spec, self.add_destination_button, self.add_cart_button])] \
            if m.can_add else []
        super().__init__(children=[
            W.HBox([_titled("Carts", self.carts), _titled("Destinations", self.destinations),
                    _titled("Customer groups", self.groups)]), *adding,
            W.HBox([W.VBox([self.metric, self.chart, self.chart_cart]), _titled("Leave out", self.exclude)]),
            self.excluded_html, W.HBox([self.run_button, self.cancel_button]), self.status, self.table_html,
            self.chart_html,
        ])
        self.add_class("ocdata-comparison-panel")
        self._render()

    @property
    def frame(self) -> pd.DataFrame | None:
        """The study frame of the last run (None before)."""
        return self.model.frame

    @property
    def notice(self) -> Notice | None:
        return self.model.notice

    @property
    def chart_svg(self) -> str:
        """The chart shown, as SVG markup (``""`` when there is none)."""
        return self.chart_html.value

    def wait(self, timeout: float | None = 120) -> bool:
        """Block until a running study has finished (for scripts and tests)."""
        return self.runner.wait(timeout)

    def __repr__(self) -> str:
        return ("ComparisonPanel: compare shipping methods over carts x destinations x customer groups. "
                "Run the cell (or trust the notebook) to use it.")

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        bundle = super()._repr_mimebundle_(**kwargs) or {}
        bundle["text/plain"] = repr(self)
        bundle["text/html"] = static_html("Comparison panel", self.model.notice, self.table_html.value)
        return bundle

    # ------------------------------------------------------------------ wiring
    def _wire(self) -> None:
        m = self.model

        def on(widget: W.Widget, apply: Callable[[Any], None]) -> None:
            def observer(change: dict) -> None:
                if not self._syncing:
                    self._safely("selection", lambda: apply(change["new"]))
            widget.observe(observer, names="value")

        on(self.carts, lambda v: m.select(carts=v))
        on(self.destinations, lambda v: m.select(destinations=v))
        on(self.groups, lambda v: m.select(groups=v))
        on(self.metric, lambda v: setattr(m, "metric", v))
        on(self.chart, lambda v: None)
        on(self.chart_cart, lambda v: setattr(m, "chart_cart", v))
        on(self.exclude, lambda v: setattr(m, "excluded_methods", list(v)))
        self.add_cart_button.on_click(lambda _b: self._safely("add cart", lambda: self._add(m.add_cart)))
        self.add_destination_button.on_click(
            lambda _b: self._safely("add destination", lambda: self._add(m.add_destination)))
        self.run_button.on_click(lambda _b: self._run())
        self.cancel_button.on_click(lambda _b: self._cancel())

    def _add(self, add: Callable[[str, str], bool]) -> None:
        if add(self.new_label.value, self.new_spec.value):
            self.new_label.value = self.new_spec.value = ""
            self._sync_choices()

    def _run(self) -> None:
        m = self.model
        job = m.begin_run(cancel=None)
        if job is None:
            self._render()
            return

        def work(cancel: Any) -> Any:
            return m.begin_run(cancel=cancel)()

        def done(frame: Any, error: BaseException | None) -> None:
            self._safely("study", lambda: m.finish_run(frame, error))

        self.run_button.description, self.run_button.disabled = "Running…", True
        self.cancel_button.disabled = False
        m.notice = Notice("info", "Running the comparison… (Cancel stops it; priced scenarios stay cached)")
        self.status.value = notice_html(m.notice)
        if not self.runner.start("study", work, done):
            m.notice = Notice("warning", "A comparison is still running.")
        self._render()

    def _cancel(self) -> None:
        if self.runner.cancel():
            self.model.cancelled()
        self._render()

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
        busy = self.runner.busy
        self.run_button.description = "Running…" if busy else self.run_label
        self.run_button.disabled = busy
        self.cancel_button.disabled = not busy
        self._syncing = True
        try:
            methods = m.methods()
            if list(self.exclude.options) != methods:
                self.exclude.options = methods
            self.exclude.value = tuple(c for c in m.excluded_methods if c in [v for _, v in methods])
            carts = m.chart_carts()
            if list(self.chart_cart.options) != carts:
                self.chart_cart.options = carts
            self.chart_cart.value = m.chart_cart if m.chart_cart in carts else None
            self.chart_cart.layout.display = None if self.chart.value == "heatmap" else "none"
        finally:
            self._syncing = False
        self.excluded_html.value = f"<div style='color:#555'>{html.escape(m.excluded_text())}</div>"
        self.status.value = notice_html(m.notice)
        if m.frame is None:
            self.table_html.value = ("<div style='color:#666'>Pick carts, destinations and groups, then press "
                                     f"<i>{html.escape(self.run_label)}</i>.</div>")
            self.chart_html.value = ""
            return
        self.table_html.value = frame_html(
            m.shown_table(), f"Cheapest method per scenario by {METRICS[m.metric]} — amounts in {m.money.unit}",
            empty="no scenario", money=m.money, headers=dict(_HEADERS))
        self.chart_html.value = figure_svg(m.figure(self.chart.value), max_width="900px")


_HEADERS = {"customer_group": "customer group", "method_name": "cheapest method", "name": "quote",
            "cost": "shipping before tax", "cost_with_tax": "shipping with tax", "total": "order total",
            "n_methods": "methods compared"}
