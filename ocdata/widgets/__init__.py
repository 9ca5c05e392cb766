"""Jupyter widgets over the client and the studies.

Each widget is a thin ipywidgets layout over a pure view model that tests drive
without a browser:

* :class:`OrderBuilder` / :class:`OrderBuilderModel` — build, quote and confirm one test order;
* :class:`ComparisonPanel` / :class:`ComparisonModel` — carts x destinations x groups: the
  cheapest shipping method per scenario and a chart.

Store errors never surface as tracebacks: they become a :class:`Notice` shown in the widget,
and beside the form field they concern. Store calls run on a worker thread (a *Cancel* button
stops waiting); ``widget.wait()`` waits for them from code. :class:`Catalogue` is what the
order builder knows of a store's products (OpenCart's API cannot list them).
"""

from ocdata.widgets.catalog import Catalogue, OptionInfo, ProductInfo
from ocdata.widgets.comparison_model import ComparisonModel
from ocdata.widgets.comparison_panel import ComparisonPanel
from ocdata.widgets.messages import Notice, error_notice
from ocdata.widgets.money import Money, infer_money
from ocdata.widgets.order_builder import OrderBuilder
from ocdata.widgets.order_model import OrderBuilderModel, format_options, parse_options

__all__ = [
    "OrderBuilder",
    "OrderBuilderModel",
    "ComparisonPanel",
    "ComparisonModel",
    "Notice",
    "error_notice",
    "parse_options",
    "format_options",
    "Catalogue",
    "ProductInfo",
    "OptionInfo",
    "Money",
    "infer_money",
]
