"""OrderBuilder driven like a user would: widget values and button clicks, no browser."""

from __future__ import annotations

import threading

import ipywidgets as W

from ocdata.client.errors import TransportError
from ocdata.widgets import OrderBuilder


def fill_london(w: OrderBuilder, product_id: int = 48, quantity: int = 2, options: str = "") -> None:
    w.product_id.value = str(product_id)
    w.quantity.value = quantity
    w.options.value = options
    w.add_button.click()
    w.country.value = 222
    w.zone.value = 3553
    w.postcode.value = "SW1A 1AA"


def quote(w: OrderBuilder) -> None:
    w.quote_button.click()
    assert w.wait()


def test_form_is_filled_from_the_store(store):
    w = OrderBuilder(store)
    assert ("United Kingdom (GB)", 222) in w.country.options
    assert w.zone.options == () and w.zone.value is None
    w.country.value = 223
    assert ("California", 3624) in w.zone.options
    assert w.group.options == (("Default", 1), ("Retail", 2), ("Wholesale", 3))
    assert w.confirm_button.disabled
    assert "No quote yet" in w.quote_html.value


def test_quote_and_confirm_through_the_widgets(store):
    w = OrderBuilder(store)
    fill_london(w)
    assert [label for label, _ in w.lines.options] == ["1. 2 × iPod Classic (#48)"]
    quote(w)
    assert w.notice.level == "success"
    html = w.quote_html.value
    for text in ("iPod Classic", "UK Shipping", "Free Shipping", "$200.00", "amounts in $",
                 "Bank Transfer, Cheque / Money Order, Cash On Delivery"):
        assert text in html
    assert "bank_transfer.bank_transfer," not in html  # payment methods by name, not as codes
    assert [code for _, code in w.shipping.options][:2] == ["flat.flat", "weight.weight_4"]
    assert w.shipping.value == "flat.flat" and w.payment.value == "bank_transfer.bank_transfer"
    assert not w.confirm_button.disabled

    w.shipping.value = "weight.weight_4"
    w.payment.value = "cheque.cheque"
    assert w.draft.shipping_code == "weight.weight_4" and w.draft.payment_code == "cheque.cheque"
    # the chosen method's row is the highlighted one
    chosen = w.quote_html.value.split("class='ocdata-chosen'")[1].split("</tr>")[0]
    assert "weight.weight_4" in chosen

    w.confirm_button.click()
    assert w.wait()
    assert w.result is not None and w.result.order_id > 0
    assert f"Order #{w.result.order_id} created" in w.status.value
    assert f"Order #{w.result.order_id}" in w.order_html.value
    assert w.confirm_button.disabled and "already order" in w.confirm_button.tooltip
    assert w.confirm_button.description == "Confirm order"


def test_editing_after_a_quote_asks_for_a_new_one(store):
    w = OrderBuilder(store)
    fill_london(w)
    quote(w)
    w.postcode.value = "EC1A 1BB"
    assert "get a new quote before confirming" in w.quote_html.value
    assert w.confirm_button.disabled
    assert w.draft.shipping_address.postcode == "EC1A 1BB" and w.draft.shipping_method is None
    quote(w)
    assert not w.confirm_button.disabled


def test_incomplete_message_goes_when_the_postcode_is_typed(store):
    w = OrderBuilder(store)
    w.product_id.value = "48"
    w.add_button.click()
    w.country.value = 222
    w.zone.value = 3553
    assert "Enter a postcode: United Kingdom requires one." in w.status.value
    w.postcode.value = "SW1A 1AA"
    assert "Enter a postcode" not in w.status.value and "The draft is complete" in w.status.value


def test_store_error_shows_beside_its_field_and_keeps_the_form(store):
    w = OrderBuilder(store, catalog="rich")
    w.product_id.value = "30"
    w.option_controls[226].value = 15  # Red: 2 in stock
    w.quantity.value = 3
    w.add_button.click()
    fill_london(w, product_id=0, quantity=1)  # destination only: product 0 is refused, nothing added
    quote(w)
    assert "The store refused the quote" in w.status.value
    assert "Option not available in the desired quantity" in w.errors["lines"].value
    assert w.errors["postcode"].value == ""
    assert "The last quote failed" in w.quote_html.value and "No quote yet" not in w.quote_html.value
    assert "Traceback" not in w.status.value
    assert w.draft.lines[0].product_id == 30 and w.lines.options
    assert w.quote_button.description == "Get quote" and not w.quote_button.disabled
    w.lines.value = 0
    w.remove_button.click()
    assert w.errors["lines"].value == ""


def test_options_come_from_the_catalogue(store):
    w = OrderBuilder(store, catalog="rich")
    w.known_products.value = 42
    assert w.product_id.value == "42"
    controls = w.option_controls
    assert isinstance(controls[217], W.Dropdown)  # select
    assert isinstance(controls[218], W.Dropdown)  # radio
    assert all(isinstance(c, W.Checkbox) for c in controls[223])  # checkbox
    assert isinstance(controls[219], W.Text) and controls[219].placeholder == "2011-02-20"  # date, store default
    assert w.options.layout.display == "none"  # no typed options where the catalogue knows them all
    controls[217].value = 4
    controls[218].value = 5
    controls[223][0].value = True
    for oid, text in {208: "hello", 209: "more", 222: "abc", 219: "2026-12-03", 221: "10:30",
                      220: "2026-12-03 10:30"}.items():
        controls[oid].value = text
    w.add_button.click()
    assert w.model.lines[0].options[223] == [8] and w.model.lines[0].options[217] == 4
    assert "Select: Red" in w.lines.options[0][0]


def test_unknown_product_and_bad_options_are_refused_at_add(store, wrap):
    wrapped = wrap(store)
    w = OrderBuilder(wrapped, catalog="rich")
    w.product_id.value = "99999"
    w.add_button.click()
    assert "the store has no product 99999" in w.status.value and w.lines.options == ()
    w.product_id.value = "30"
    w.add_button.click()  # the option's dropdown left at "— choose —"
    assert "option 226 (Select) is required" in w.status.value and w.lines.options == ()
    w.quantity.value = 0
    w.option_controls[226].value = 16
    w.add_button.click()
    assert "the quantity must be at least 1" in w.status.value
    assert "quote" not in wrapped.calls and "cart" not in wrapped.calls


def test_typed_options_without_a_catalogue_are_checked_by_the_store(store, wrap):
    wrapped = wrap(store)
    w = OrderBuilder(wrapped, products={30: "Canon EOS 5D"})
    assert w.known_products.options[1:] == (("Canon EOS 5D (#30)", 30),)
    for typed in ("226=abc", "226=x=y"):
        w.product_id.value = "30"
        w.options.value = typed
        w.add_button.click()
        assert "option 226: Option could not be found!" in w.status.value and w.lines.options == ()
    assert wrapped.calls.count("cart") == 2 and "quote" not in wrapped.calls
    fill_london(w, product_id=30, quantity=1, options="226=16")
    assert w.options.value == ""  # cleared once the line is added
    quote(w)
    assert "Select: Blue" in w.quote_html.value
    # a product priced once can be picked again with the options last used
    w.known_products.value = 30
    assert w.product_id.value == "30"


def test_quote_runs_off_the_main_thread_and_can_be_cancelled(store, wrap):
    release = threading.Event()

    class Slow:
        def __init__(self, inner):
            self.inner = inner

        def quote(self, draft):
            release.wait(10)
            return self.inner.quote(draft)

        def __getattr__(self, name):
            return getattr(self.inner, name)

    w = OrderBuilder(Slow(store))
    fill_london(w)
    w.quote_button.click()  # returns at once: the kernel stays free for the page
    assert w.quote_button.disabled and w.quote_button.description == "Quote…"
    assert not w.cancel_button.disabled and "Waiting for the store" in w.status.value
    w.cancel_button.click()
    assert "Quote cancelled" in w.status.value and not w.quote_button.disabled
    release.set()
    assert w.wait()
    assert w.quote is None and "Quote cancelled" in w.status.value  # the late answer is dropped
    quote(w)
    assert w.quote is not None and w.cancel_button.disabled


def test_network_failure_on_confirm(store, wrap):
    w = OrderBuilder(wrap(store, confirm=TransportError("connection reset")))
    fill_london(w, product_id=48, quantity=1)
    quote(w)
    w.confirm_button.click()
    assert w.wait()
    assert "No answer from the store for the confirm." in w.status.value
    assert w.result is None and not w.confirm_button.disabled


def test_text_fallback_is_not_a_widget_repr(store):
    w = OrderBuilder(store)
    bundle = w._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert bundle["text/plain"].startswith("OrderBuilder: a form") and "children=" not in bundle["text/plain"]
    assert "run this cell" in bundle["text/html"]
