"""OrderBuilder driven like a user would: widget values and button clicks, no browser."""

from __future__ import annotations

from ocdata.client.errors import TransportError
from ocdata.widgets import OrderBuilder


def fill_london(w: OrderBuilder, product_id: int = 48, quantity: int = 2, options: str = "") -> None:
    w.product_id.value = product_id
    w.quantity.value = quantity
    w.options.value = options
    w.add_button.click()
    w.country.value = 222
    w.zone.value = 3553
    w.postcode.value = "SW1A 1AA"


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
    assert [label for label, _ in w.lines.options] == ["1. 2 × product #48"]
    w.quote_button.click()
    assert w.notice.level == "success"
    html = w.quote_html.value
    for text in ("iPod Classic", "weight.weight_4", "Free Shipping", "Cheque / Money Order"):
        assert text in html
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
    assert w.result is not None and w.result.order_id > 0
    assert f"Order #{w.result.order_id} created" in w.status.value
    assert f"Order #{w.result.order_id}" in w.order_html.value
    assert w.confirm_button.disabled and "already order" in w.confirm_button.tooltip
    assert w.confirm_button.description == "Confirm order"


def test_editing_after_a_quote_asks_for_a_new_one(store):
    w = OrderBuilder(store)
    fill_london(w)
    w.quote_button.click()
    w.postcode.value = "EC1A 1BB"
    assert "get a new quote before confirming" in w.quote_html.value
    assert w.confirm_button.disabled
    assert w.draft.shipping_address.postcode == "EC1A 1BB" and w.draft.shipping_method is None
    w.quote_button.click()
    assert not w.confirm_button.disabled


def test_store_error_shows_a_message_and_keeps_the_form(store):
    w = OrderBuilder(store)
    fill_london(w, product_id=42, quantity=2)
    w.quote_button.click()
    assert "The store refused the quote" in w.status.value
    assert "line 1, option 217: Select required!" in w.status.value
    assert "Traceback" not in w.status.value
    assert w.draft.lines[0].product_id == 42 and w.lines.options
    assert w.quote_button.description == "Get quote" and not w.quote_button.disabled


def test_options_text_and_known_products(store):
    w = OrderBuilder(store, products={30: "Canon EOS 5D"})
    assert w.known_products.options == (("Canon EOS 5D (#30)", 30),)
    w.options.value = "226=x=y"
    w.product_id.value = 30
    w.add_button.click()
    assert w.lines.options == (("1. 1 × Canon EOS 5D (#30) [226=x=y]", 0),)
    w.lines.value = 0
    w.remove_button.click()
    assert w.lines.options == ()
    fill_london(w, product_id=30, quantity=1, options="226=16")
    assert w.options.value == ""  # cleared once the line is added
    w.quote_button.click()
    assert "Select: Blue" in w.quote_html.value
    # a product priced once can be picked again with the options last used
    w.known_products.value = 30
    assert (w.product_id.value, w.options.value) == (30, "226=16")


def test_bad_options_are_explained(store):
    w = OrderBuilder(store)
    w.product_id.value = 42
    w.options.value = "217"
    w.add_button.click()
    assert "This product line cannot be added." in w.status.value
    assert "write product_option_id=value" in w.status.value
    assert w.lines.options == ()


def test_network_failure_on_confirm(store, wrap):
    w = OrderBuilder(wrap(store, confirm=TransportError("connection reset")))
    fill_london(w, product_id=48, quantity=1)
    w.quote_button.click()
    w.confirm_button.click()
    assert "No answer from the store for the confirm." in w.status.value
    assert w.result is None and not w.confirm_button.disabled
