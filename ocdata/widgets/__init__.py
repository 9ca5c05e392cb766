"""Jupyter widgets over the client and the studies.

Each widget is a thin ipywidgets layout over a pure view model that tests drive
without a browser:

* :class:`OrderBuilder` / :class:`OrderBuilderModel` — build, quote and confirm one test order;
"""

from ocdata.widgets.messages import Notice, error_notice
from ocdata.widgets.order_builder import OrderBuilder
from ocdata.widgets.order_model import OrderBuilderModel, format_options, parse_options

__all__ = [
    "OrderBuilder",
    "OrderBuilderModel",
    "Notice",
    "error_notice",
    "parse_options",
    "format_options",
]
