"""``OrderBuilder(store)``: a form to build, quote and confirm one test order in Jupyter.

All decisions live in :class:`~ocdata.widgets.order_model.OrderBuilderModel`; this module
only copies widget values into the model and renders the model back. Drive it from code
like a user would: set a widget's ``.value``, call a button's ``.click()``.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Callable, Iterator, Mapping

import ipywidgets as W

from ocdata.client.models import OrderDraft, OrderResult, Quote
from ocdata.widgets.messages import Notice, error_notice
from ocdata.widgets.order_model import OrderBuilderModel, StoreLike
from ocdata.widgets.render import frame_html, notice_html

__all__ = ["OrderBuilder"]

_WIDE = W.Layout(width="320px")
_NARROW = W.Layout(width="150px")


class OrderBuilder(W.VBox):
    """Build a test order: customer, products, destination; quote it; pick methods; confirm it.

    ``store`` is a connected :class:`~ocdata.client.store.Store`. ``customer_groups`` maps
    group ids to names (OpenCart's API cannot list them; the demo store's are the default),
    ``products`` maps product ids to names to offer in the product picker (products priced
    in a quote are added to it), ``order_status_id`` the status confirm sends (None: the
    connection's default). :attr:`draft` is the order as built so far,
    :attr:`result` the confirmed order (None until then), :attr:`model` the view model.
    """

    def __init__(self, store: StoreLike, *, customer_groups: Mapping[int, str] | None = None,
                 products: Mapping[int, str] | None = None, order_status_id: int | None = None) -> None:
        self.model = OrderBuilderModel(store, customer_groups=customer_groups, products=products)
        self.order_status_id = order_status_id
        self._syncing = False
        m = self.model

        # customer
        self.group = W.Dropdown(description="Group", options=[(n, i) for i, n in m.customer_groups.items()],
                                value=m.customer_group_id, layout=_WIDE)
        self.firstname = W.Text(value=m.firstname, description="First name", layout=_WIDE)
        self.lastname = W.Text(value=m.lastname, description="Last name", layout=_WIDE)
        self.email = W.Text(value=m.email, description="E-mail", layout=_WIDE)

        # products
        self.known_products = W.Dropdown(description="Known", options=m.product_choices(), value=None,
                                         layout=_WIDE)
        self.product_id = W.BoundedIntText(value=0, min=0, max=2**31 - 1, description="Product id", layout=_WIDE)
        self.quantity = W.BoundedIntText(value=1, min=1, max=100000, description="Quantity", layout=_WIDE)
        self.options = W.Text(description="Options", placeholder="217=4; 223=[8,9]; 208=text",
                              layout=W.Layout(width="480px"))
        self.add_button = W.Button(description="Add product", icon="plus")
        self.lines = W.Select(description="Lines", options=[], rows=4, layout=W.Layout(width="640px"))
        self.remove_button = W.Button(description="Remove line", icon="trash")

        # destination
        self.country = W.Dropdown(description="Country", options=[], value=None, layout=_WIDE)
        self.zone = W.Dropdown(description="Zone", options=[], value=None, layout=_WIDE)
        self.city = W.Text(value=m.city, description="City", layout=_WIDE)
        self.postcode = W.Text(value=m.postcode, description="Postcode", layout=_WIDE)
        self.address_1 = W.Text(value=m.address_1, description="Address", layout=_WIDE)

        # quote and confirm
        self.quote_button = W.Button(description="Get quote", button_style="primary", icon="calculator")
        self.quote_html = W.HTML()
        self.shipping = W.Dropdown(description="Shipping", options=[], value=None, layout=W.Layout(width="480px"))
        self.payment = W.Dropdown(description="Payment", options=[], value=None, layout=_WIDE)
        self.comment = W.Text(description="Comment", layout=W.Layout(width="480px"))
        self.confirm_button = W.Button(description="Confirm order", button_style="danger", icon="check")
        self.status = W.HTML()
        self.order_html = W.HTML()

        self._wire()
        with self._quiet():
            self.country.options = m.country_choices()
            self.country.value = None
        super().__init__(children=[
            W.HTML("<b>Customer</b>"), W.HBox([self.group, self.firstname]), W.HBox([self.lastname, self.email]),
            W.HTML("<b>Products</b>"), W.HBox([self.known_products, self.product_id]),
            W.HBox([self.quantity, self.add_button]), self.options, W.HBox([self.lines, self.remove_button]),
            W.HTML("<b>Destination</b>"), W.HBox([self.country, self.zone]), W.HBox([self.city, self.postcode]),
            self.address_1,
            W.HBox([self.quote_button]), self.quote_html,
            W.HBox([self.shipping, self.payment]), self.comment,
            W.HBox([self.confirm_button]), self.status, self.order_html,
        ])
        self._render()

    # ------------------------------------------------------------------ public state
    @property
    def draft(self) -> OrderDraft | None:
        """The order draft as last built from the form (kept when the store refuses it)."""
        return self.model.draft

    @property
    def result(self) -> OrderResult | None:
        """The confirmed order, once :attr:`confirm_button` succeeded."""
        return self.model.result

    @property
    def quote(self) -> Quote | None:
        return self.model.quote

    @property
    def notice(self) -> Notice | None:
        return self.model.notice

    # ------------------------------------------------------------------ wiring
    @contextmanager
    def _quiet(self) -> Iterator[None]:
        """Programmatic option/value updates must not loop back into the model."""
        previous, self._syncing = self._syncing, True
        try:
            yield
        finally:
            self._syncing = previous

    def _on(self, widget: W.Widget, handler: Callable[[Any], None], action: str) -> None:
        def observer(change: dict) -> None:
            if not self._syncing:
                self._safely(action, lambda: handler(change["new"]))

        widget.observe(observer, names="value")

    def _wire(self) -> None:
        m = self.model

        def setter(attr: str) -> Callable[[Any], None]:
            def apply(value: Any) -> None:
                setattr(m, attr, value if value is not None else "")
                self._changed()
            return apply

        self._on(self.group, lambda v: (setattr(m, "customer_group_id", v), self._changed()), "customer group")
        for attr in ("firstname", "lastname", "email", "city", "postcode", "address_1", "comment"):
            self._on(getattr(self, attr), setter(attr), attr)
        self._on(self.country, lambda v: (m.set_country(v), self._changed()), "country")
        self._on(self.zone, lambda v: (m.set_country(m.country_id, v), self._changed()), "zone")
        self._on(self.known_products, self._pick_known, "product")
        self._on(self.shipping, lambda v: (m.select_shipping(v), self._render()), "shipping method")
        self._on(self.payment, lambda v: (m.select_payment(v), self._render()), "payment method")
        self.add_button.on_click(lambda _b: self._safely("add product", self._add_line))
        self.remove_button.on_click(lambda _b: self._safely("remove line", self._remove_line))
        self.quote_button.on_click(lambda _b: self._busy(self.quote_button, "Quoting…", "quote",
                                                         m.refresh_quote))
        self.confirm_button.on_click(lambda _b: self._busy(
            self.confirm_button, "Confirming…", "confirm", lambda: m.confirm(self.order_status_id)))

    def _safely(self, action: str, fn: Callable[[], Any]) -> None:
        # the model already turns store errors into notices; this catches everything else
        try:
            fn()
        except Exception as exc:  # noqa: BLE001 - a widget shows a message, never a traceback
            self.model.notice = error_notice(exc, action)
        self._render()

    def _busy(self, button: W.Button, label: str, action: str, fn: Callable[[], Any]) -> None:
        idle, button.description, button.disabled = button.description, label, True
        try:
            self._safely(action, fn)
        finally:
            button.description, button.disabled = idle, False
            self._render()

    def _changed(self) -> None:
        self.model.build()
        self._render()

    def _pick_known(self, product_id: int | None) -> None:
        if product_id is None:
            return
        known = self.model.catalog[product_id]
        with self._quiet():
            self.product_id.value = product_id
            self.options.value = known.options

    def _add_line(self) -> None:
        if self.model.add_line(self.product_id.value, self.quantity.value, self.options.value):
            with self._quiet():
                self.options.value = ""
            self.model.build()

    def _remove_line(self) -> None:
        if self.lines.value is not None:
            self.model.remove_line(self.lines.value)
            self.model.build()

    # ------------------------------------------------------------------ rendering
    def _render(self) -> None:
        m = self.model
        with self._quiet():
            self.lines.options = m.line_choices()
            self.lines.value = None
            _set_choices(self.known_products, m.product_choices(), None)
            _set_choices(self.zone, m.zone_choices(), m.zone_id)
            if self.country.value != m.country_id:
                self.country.value = m.country_id
            _set_choices(self.shipping, m.shipping_choices(), m.shipping_code)
            _set_choices(self.payment, m.payment_choices(), m.payment_code)
        current = m.quote_is_current
        stale = "" if current or m.quote is None else (
            "<div style='color:#8a5a00'>The form changed since this quote: get a new quote before confirming."
            "</div>")
        self.quote_html.value = stale + (
            frame_html(m.products_table(), "Products", empty="no quote yet")
            + frame_html(m.shipping_table(), "Shipping methods", highlight=m.shipping_code, key="quote_code",
                         empty="no quote yet")
            + frame_html(m.payment_table(), "Payment methods (with the chosen shipping)", empty="none offered")
            if m.quote is not None else "<div style='color:#666'>No quote yet: fill the form and press "
                                        "<i>Get quote</i>.</div>")
        problems = m.confirm_problems()
        self.confirm_button.disabled = bool(problems)
        self.confirm_button.tooltip = problems[0] if problems else "Create this order in the store"
        self.status.value = notice_html(m.notice)
        if m.result is not None:
            from ocdata.frames import totals_frame

            self.order_html.value = frame_html(totals_frame(m.result.totals)[["title", "value"]],
                                               f"Order #{m.result.order_id}")
        else:
            self.order_html.value = ""


def _set_choices(dropdown: W.Dropdown, options: list[tuple[str, Any]], value: Any) -> None:
    if list(dropdown.options) != options:
        dropdown.options = options
    values = [v for _, v in options]
    dropdown.value = value if value in values else None
