"""``OrderBuilder(store)``: a form to build, quote and confirm one test order in Jupyter.

All decisions live in :class:`~ocdata.widgets.order_model.OrderBuilderModel`; this module
only copies widget values into the model and renders the model back. Drive it from code
like a user would: set a widget's ``.value``, call a button's ``.click()``, then
:meth:`OrderBuilder.wait` for the store's answer (quotes and confirms run on a worker
thread so the notebook stays responsive and *Cancel* works).
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import ipywidgets as W

from ocdata.client.models import OrderDraft, OrderResult, Quote
from ocdata.widgets.catalog import Catalogue, OptionInfo
from ocdata.widgets.messages import Notice, error_notice
from ocdata.widgets.money import Money
from ocdata.widgets.order_model import OrderBuilderModel, StoreLike, parse_options
from ocdata.widgets.render import frame_html, notice_html, static_html
from ocdata.widgets.tasks import Runner

__all__ = ["OrderBuilder"]

_WIDE = W.Layout(width="340px")
_LABELS = {"description_width": "110px"}
_NO_CHOICE = ("— choose —", None)
_TEXT_HINTS = {"date": "YYYY-MM-DD", "time": "HH:MM", "datetime": "YYYY-MM-DD HH:MM", "file": "upload code"}


def _named(widget: W.Widget, name: str) -> W.Widget:
    """A CSS class per control (``ocdata-postcode``): stable hooks for styling and browser tests."""
    widget.add_class(f"ocdata-{name}")
    return widget


class OrderBuilder(W.VBox):
    """Build a test order: customer, products, destination; quote it; pick methods; confirm it.

    ``store`` is a connected :class:`~ocdata.client.store.Store`. ``catalog`` is what the
    form knows of the store's products: a :class:`~ocdata.widgets.catalog.Catalogue` or a
    store file (``"rich"``) gives every product with its options (dropdowns, checkboxes and
    text boxes); None learns products from the store as they are added (options then typed
    as ``217=4; 223=[8,9]; 208=text``). ``customer_groups`` maps group ids to names (OpenCart's
    API cannot list them), ``products`` maps ids to names for the product picker,
    ``order_status_id`` is the status confirm sends. :attr:`draft` is the order as built so
    far, :attr:`result` the confirmed order, :attr:`model` the view model.
    """

    def __init__(self, store: StoreLike, *, customer_groups: Mapping[int, str] | None = None,
                 products: Mapping[int, str] | None = None, catalog: Catalogue | str | None = None,
                 order_status_id: int | None = None, money: Money | None = None, background: bool = True) -> None:
        self.model = OrderBuilderModel(store, customer_groups=customer_groups, products=products, catalog=catalog,
                                       money=money)
        self.order_status_id = order_status_id
        self.runner = Runner(background=background)
        self._syncing = False
        self._cancelled: Callable[[], None] = lambda: None
        self._restore: Callable[[], None] = lambda: None
        m = self.model

        def text(name: str, label: str, value: str = "", **kw: Any) -> W.Text:
            return _named(W.Text(value=value, description=label, layout=_WIDE, style=_LABELS, **kw), name)

        self.errors: dict[str, W.HTML] = {}

        # customer
        self.group = _named(W.Dropdown(description="Customer group", options=[(n, i) for i, n in
                                                                               m.customer_groups.items()],
                                       value=m.customer_group_id, layout=_WIDE, style=_LABELS), "group")
        self.firstname = text("firstname", "First name", m.firstname)
        self.lastname = text("lastname", "Last name", m.lastname)
        self.email = text("email", "E-mail", m.email)

        # products
        self.known_products = _named(W.Dropdown(description="Product", options=[_NO_CHOICE], value=None,
                                                layout=W.Layout(width="420px"), style=_LABELS), "known-products")
        self.product_id = text("product-id", "or product id", placeholder="e.g. 40")
        self.quantity = _named(W.IntText(value=1, description="Quantity", layout=W.Layout(width="200px"),
                                         style=_LABELS), "quantity")
        self.option_controls: dict[int, Any] = {}
        self.option_box = _named(W.VBox([]), "option-box")
        self.options = _named(W.Text(description="Options (text)", placeholder="217=4; 223=[8,9]; 208=text",
                                     layout=W.Layout(width="520px"), style=_LABELS), "options")
        self.add_button = _named(W.Button(description="Add product", icon="plus"), "add")
        self.lines = _named(W.Select(description="Lines", options=[], rows=4, layout=W.Layout(width="640px"),
                                     style=_LABELS), "lines")
        self.remove_button = _named(W.Button(description="Remove line", icon="trash"), "remove")

        # destination
        self.country = _named(W.Dropdown(description="Country", options=[], value=None, layout=_WIDE, style=_LABELS),
                              "country")
        self.zone = _named(W.Dropdown(description="Region / zone", options=[], value=None, layout=_WIDE,
                                      style=_LABELS), "zone")
        self.city = text("city", "City", m.city)
        self.postcode = text("postcode", "Postcode", m.postcode)
        self.address_1 = text("address_1", "Address", m.address_1)

        # quote and confirm
        self.quote_button = _named(W.Button(description="Get quote", button_style="primary", icon="calculator"),
                                   "quote")
        self.cancel_button = _named(W.Button(description="Cancel", icon="times", disabled=True,
                                             tooltip="Stop waiting for the store"), "cancel")
        self.quote_html = _named(W.HTML(), "quote-html")
        self.shipping = _named(W.Dropdown(description="Shipping", options=[], value=None,
                                          layout=W.Layout(width="560px"), style=_LABELS), "shipping")
        self.payment = _named(W.Dropdown(description="Payment", options=[], value=None, layout=_WIDE,
                                         style=_LABELS), "payment")
        self.comment = _named(W.Text(description="Comment", layout=W.Layout(width="560px"), style=_LABELS), "comment")
        self.confirm_button = _named(W.Button(description="Confirm order", button_style="danger", icon="check"),
                                     "confirm")
        self.status = _named(W.HTML(), "status")
        self.order_html = _named(W.HTML(), "order-html")

        self._wire()
        with self._quiet():
            self.country.options = m.country_choices()
            self.country.value = None
        field = self._field
        super().__init__(children=[
            W.HTML("<b>Customer</b>"), W.HBox([self.group, field(self.firstname, "firstname")]),
            W.HBox([field(self.lastname, "lastname"), field(self.email, "email")]),
            W.HTML("<b>Products</b>"), W.HBox([self.known_products, self.product_id]),
            self.option_box, self.options, W.HBox([self.quantity, self.add_button]),
            W.HBox([self.lines, W.VBox([self.remove_button, self._error("lines")])]),
            W.HTML("<b>Destination</b>"), W.HBox([field(self.country, "country"), field(self.zone, "zone")]),
            W.HBox([field(self.city, "city"), field(self.postcode, "postcode")]), field(self.address_1, "address_1"),
            W.HBox([self.quote_button, self.cancel_button]), self.status, self.quote_html,
            W.HBox([field(self.shipping, "shipping"), field(self.payment, "payment")]), self.comment,
            W.HBox([self.confirm_button]), self.order_html,
        ])
        self.add_class("ocdata-order-builder")
        self._show_options()
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

    def wait(self, timeout: float | None = 60) -> bool:
        """Block until a running quote or confirm has finished (for scripts and tests)."""
        return self.runner.wait(timeout)

    def __repr__(self) -> str:
        # what a notebook shows where widgets cannot be drawn (an untrusted notebook, a plain console)
        return (f"OrderBuilder: a form to quote and confirm a test order ({len(self.model.lines)} line(s)). "
                f"Run the cell (or trust the notebook) to use it.")

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        bundle = super()._repr_mimebundle_(**kwargs) or {}
        bundle["text/plain"] = repr(self)
        bundle["text/html"] = static_html("Order builder", self.model.notice, self.quote_html.value)
        return bundle

    # ------------------------------------------------------------------ wiring
    def _error(self, name: str) -> W.HTML:
        widget = self.errors.get(name)
        if widget is None:
            widget = self.errors[name] = _named(W.HTML(layout=W.Layout(max_width="420px")), f"error-{name}")
        return widget

    def _field(self, widget: W.Widget, name: str) -> W.Box:
        return W.HBox([widget, self._error(name)])

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
                m.set_field(attr, value)
                self._changed()
            return apply

        self._on(self.group, lambda v: (setattr(m, "customer_group_id", v), self._changed()), "customer group")
        for attr in ("firstname", "lastname", "email", "city", "postcode", "address_1", "comment"):
            self._on(getattr(self, attr), setter(attr), attr)
        self._on(self.country, lambda v: (m.store_errors.pop("country", None), m.set_country(v), self._changed()),
                 "country")
        self._on(self.zone, lambda v: (m.store_errors.pop("zone", None), m.set_country(m.country_id, v),
                                       self._changed()), "zone")
        self._on(self.known_products, self._pick_known, "product")
        self._on(self.product_id, lambda v: self._show_options(), "product id")
        self._on(self.shipping, lambda v: (m.store_errors.pop("shipping", None), m.select_shipping(v)),
                 "shipping method")
        self._on(self.payment, lambda v: (m.store_errors.pop("payment", None), m.select_payment(v)),
                 "payment method")
        self.add_button.on_click(lambda _b: self._safely("add product", self._add_line))
        self.remove_button.on_click(lambda _b: self._safely("remove line", self._remove_line))
        self.quote_button.on_click(lambda _b: self._start_quote())
        self.confirm_button.on_click(lambda _b: self._start_confirm())
        self.cancel_button.on_click(lambda _b: self._cancel())

    def _safely(self, action: str, fn: Callable[[], Any]) -> None:
        # the model already turns store errors into notices; this catches everything else
        try:
            fn()
        except Exception as exc:  # noqa: BLE001 - a widget shows a message, never a traceback
            self.model.notice = error_notice(exc, action)
        self._render()

    # ------------------------------------------------------------------ store calls off the main thread
    def _start(self, button: W.Button, label: str, begin: Callable[[], Any], call: Callable[[Any], Any],
               finish: Callable[[Any, Any, BaseException | None], Any], cancelled: Callable[[], None]) -> None:
        request = begin()
        if request is None:
            self._render()
            return
        idle = button.description

        def restore() -> None:
            button.description = idle
            self.cancel_button.disabled = True
            self._cancelled = cancelled

        def done(result: Any, error: BaseException | None) -> None:
            restore()
            self._safely(label, lambda: finish(request, result, error))

        button.description, button.disabled, self.cancel_button.disabled = f"{label.capitalize()}…", True, False
        self._cancelled, self._restore = cancelled, restore
        self.model.notice = Notice("info", f"Waiting for the store's {label}…")
        self.status.value = notice_html(self.model.notice)
        if not self.runner.start(label, lambda _cancel: call(request), done):
            restore()
            self.model.notice = Notice("warning", f"The store is still answering the {self.runner.label}.")
            self._render()

    def _start_quote(self) -> None:
        m = self.model
        self._start(self.quote_button, "quote", m.begin_quote, m.store.quote, m.finish_quote, m.cancel_quote)

    def _start_confirm(self) -> None:
        m = self.model
        self._start(self.confirm_button, "confirm", m.begin_confirm,
                    lambda draft: m.store.confirm(draft, self.order_status_id), m.finish_confirm, m.cancel_confirm)

    def _cancel(self) -> None:
        if self.runner.cancel():
            self._cancelled()
            self._restore()
        self._render()

    # ------------------------------------------------------------------ products and options
    def _changed(self) -> None:
        self.model.build()

    def _pick_known(self, product_id: int | None) -> None:
        if product_id is None:
            return
        with self._quiet():
            self.product_id.value = str(product_id)
        self._show_options(self.model.options_used(product_id))

    def _current_product(self) -> Any:
        text = (self.product_id.value or "").strip()
        return self.model.product(int(text)) if text.isdigit() and int(text) > 0 else None

    def _show_options(self, values: Mapping[int, Any] | None = None) -> None:
        """One control per option of the chosen product, as the catalogue describes it."""
        product = self._current_product()
        values = values or {}
        self.option_controls = {}
        rows = []
        for option in product.options if product is not None else ():
            control = self._option_control(option, values.get(option.product_option_id))
            self.option_controls[option.product_option_id] = control
            rows.append(control if not isinstance(control, list) else
                        W.HBox([W.Label(option.label, layout=W.Layout(width="110px")), *control]))
        self.option_box.children = rows
        # typed options only where the catalogue cannot describe every option of the product
        self.options.layout.display = "none" if product is not None and product.complete else None
        if product is not None and product.complete:
            self.options.value = ""

    def _option_control(self, option: OptionInfo, value: Any) -> Any:
        name = f"option-{option.product_option_id}"
        if option.kind == "choice" and option.values:
            choices = [_NO_CHOICE] + [(v.label, v.value_id) for v in option.values]
            chosen = value if value in [v for _, v in choices] else None
            return _named(W.Dropdown(description=option.label, options=choices, value=chosen, layout=_WIDE,
                                     style=_LABELS), name)
        if option.kind == "multi" and option.values:
            picked = set(value if isinstance(value, list) else [])
            return [_named(W.Checkbox(description=v.label, value=v.value_id in picked, indent=False,
                                      layout=W.Layout(width="auto"), ), f"{name}-{v.value_id}")
                    for v in option.values]
        hint = _TEXT_HINTS.get(option.type, option.type or "value")
        return _named(W.Text(description=option.label, value="" if value is None else str(value),
                             placeholder=option.default or hint, layout=_WIDE, style=_LABELS), name)

    def _chosen_options(self) -> dict[int, Any]:
        product = self._current_product()
        chosen: dict[int, Any] = {}
        for oid, control in self.option_controls.items():
            option = product.option(oid) if product is not None else None
            if isinstance(control, list):
                ids = [v.value_id for v, box in zip(option.values, control) if box.value] if option else []
                if ids:
                    chosen[oid] = ids
            elif control.value not in (None, ""):
                chosen[oid] = control.value.strip() if isinstance(control.value, str) else control.value
        return chosen

    def _add_line(self) -> None:
        typed = self.options.value if self.options.layout.display != "none" else ""
        options: Any = self._chosen_options()
        if typed.strip():
            try:
                options = {**options, **parse_options(typed)}
            except ValueError:
                options = typed  # the model names the bad pair
        if self.model.add_line(self.product_id.value, self.quantity.value, options):
            with self._quiet():
                self.options.value = ""
            self.model.build()
        self._show_options(self._chosen_options() or None)

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
            _set_choices(self.known_products, [_NO_CHOICE, *m.product_choices()], self.known_products.value)
            _set_choices(self.zone, m.zone_choices(), m.zone_id)
            if self.country.value != m.country_id:
                self.country.value = m.country_id
            _set_choices(self.shipping, m.shipping_choices(), m.shipping_code)
            _set_choices(self.payment, m.payment_choices(), m.payment_code)
        busy = self.runner.busy
        self.quote_button.disabled = busy
        if m.quote is not None:
            stale = "" if m.quote_is_current else (
                "<div style='color:#8a5a00'>The form changed since this quote: get a new quote before "
                "confirming.</div>")
            money = m.money
            self.quote_html.value = stale + (
                frame_html(m.products_table(), "Products", empty="none", money=money,
                           headers={"product_id": "id", "name": "product", "price": "unit price"})
                + frame_html(_shown(m.shipping_table()), f"Shipping methods (amounts in {money.unit})",
                             highlight=m.shipping_code, key="quote_code", empty="none offered", money=money,
                             headers={"quote_code": "code", "name": "method", "cost": "cost before tax",
                                      "tax": "tax (order)", "total": "order total", "payment_methods": "payment"})
                + frame_html(m.payment_table(), "Payment methods (with the chosen shipping)", empty="none offered",
                             headers={"code": "code", "name": "payment method"}))
        elif m.quote_error is not None:
            self.quote_html.value = ("<div class='ocdata-quote-failed' style='color:#a12622'>The last quote failed: "
                                     f"{html.escape(m.quote_error.title)} Fix what is marked and press "
                                     "<i>Get quote</i> again.</div>")
        else:
            self.quote_html.value = ("<div style='color:#666'>No quote yet: fill the form and press "
                                     "<i>Get quote</i>.</div>")
        problems = m.confirm_problems()
        self.confirm_button.disabled = bool(problems) or busy
        self.confirm_button.tooltip = problems[0] if problems else "Create this order in the store"
        self.status.value = notice_html(m.notice)
        errors = m.field_errors()
        for name, widget in self.errors.items():
            message = errors.get(name, "")
            widget.value = (f"<span class='ocdata-field-error' style='color:#a12622'>⚠ {html.escape(message)}</span>"
                            if message else "")
        if m.result is not None:
            from ocdata.frames import totals_frame

            self.order_html.value = frame_html(totals_frame(m.result.totals)[["title", "value"]],
                                               f"Order #{m.result.order_id}", money=m.money,
                                               headers={"title": "total line", "value": "amount"})
        else:
            self.order_html.value = ""


def _set_choices(dropdown: W.Dropdown, options: list[tuple[str, Any]], value: Any) -> None:
    if list(dropdown.options) != options:
        dropdown.options = options
    values = [v for _, v in options]
    dropdown.value = value if value in values else None


def _shown(table: Any) -> Any:
    """The shipping table as read: names first, the code last, no empty error column."""
    columns = [c for c in ("name", "cost", "tax", "total", "payment_methods", "status", "error", "quote_code")
               if c in table.columns and not (c == "error" and table[c].isna().all())]
    return table[columns]
