"""OrderBuilderModel against the live rich sandbox: drafts, quotes, confirmations and error notices."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ocdata.client.errors import NotFoundError, OrderStateUnknownError, TransportError
from ocdata.client.models import CartLine, PaymentMethod, ShippingQuote
from ocdata.widgets.catalog import Catalogue
from ocdata.widgets.messages import field_label
from ocdata.widgets.money import Money
from ocdata.widgets.order_model import OrderBuilderModel, format_options, parse_options

CINEMA_OPTIONS = ("208=some text; 209=more text; 217=4; 218=5; 219=2011-02-20; 220=2011-02-20 22:25; "
                  "221=22:25; 222=abc; 223=8,9")


def london(model: OrderBuilderModel, *lines: tuple[int, int]) -> OrderBuilderModel:
    model.set_country("GB", "LDN")
    model.postcode = "SW1A 1AA"
    for product_id, quantity in lines:
        assert model.add_line(product_id, quantity)
    return model


# --------------------------------------------------------------------------- options text


def test_parse_options_reads_ids_checkbox_lists_and_text():
    assert parse_options("217=4; 223=8,9\n208= some text ") == {217: 4, 223: [8, 9], 208: "some text"}
    assert parse_options("223=[8]") == {223: [8]}
    assert parse_options("208=a, b") == {208: "a, b"}  # commas in text stay text
    assert parse_options("  ") == {}


@pytest.mark.parametrize("text, message", [
    ("217", "write product_option_id=value"),
    ("abc=4", "write product_option_id=value"),
    ("217=", "has no value"),
    ("223=[8,x]", "checkbox values must be value ids"),
])
def test_parse_options_names_the_bad_pair(text, message):
    with pytest.raises(ValueError, match=message):
        parse_options(text)


def test_format_options_round_trips():
    options = {217: 4, 223: [8], 208: "hello world"}
    assert format_options(options) == "217=4; 223=[8]; 208=hello world"
    assert parse_options(format_options(options)) == options


def test_field_labels_speak_in_draft_terms():
    assert field_label("product_0_option_218") == "line 1, option 218"
    assert field_label("product_2_product") == "line 3"
    assert field_label("payment_method") == "payment method"


# --------------------------------------------------------------------------- building drafts


def test_problems_list_what_is_missing_until_the_draft_builds(store):
    model = OrderBuilderModel(store)
    assert model.build() is None and model.draft is None
    assert model.problems() == ["Add at least one product line.", "Choose a destination country."]
    assert model.notice.level == "error"
    model.set_country("GB")
    assert "Choose a region (zone) of United Kingdom." in model.problems()
    assert "Enter a postcode: United Kingdom requires one." in model.problems()
    model.set_country("GB", "Greater London")
    model.postcode = "SW1A 1AA"
    model.add_line(48, 2)
    model.email = "nobody"
    assert model.problems() == ["Enter the customer's e-mail address."]


def test_draft_carries_store_ids_group_and_lines(store):
    model = london(OrderBuilderModel(store))
    model.customer_group_id = 3
    assert model.add_line(42, 2, CINEMA_OPTIONS)
    draft = model.build()
    assert draft.customer.customer_group_id == 3
    assert draft.shipping_address.country_id == 222 and draft.shipping_address.zone_id == 3553
    assert draft.payment_address == draft.shipping_address
    assert draft.lines == (CartLine(product_id=42, quantity=2, options={
        208: "some text", 209: "more text", 217: 4, 218: 5, 219: "2011-02-20", 220: "2011-02-20 22:25",
        221: "22:25", 222: "abc", 223: [8, 9]}),)
    assert draft.shipping_method is None and draft.payment_method is None


def test_changing_country_drops_a_zone_of_the_old_one(store):
    model = london(OrderBuilderModel(store))
    assert model.zone_id == 3553
    model.set_country("US")
    assert model.zone_id is None
    model.set_country(223, "CA")
    assert model.zone_id == 3624
    assert ("California", 3624) in model.zone_choices()


def test_invalid_lines_are_refused_with_a_message(store):
    model = OrderBuilderModel(store)
    assert not model.add_line(None)
    assert not model.add_line(40, 0)
    assert model.notice.details == ("the quantity must be at least 1",)
    assert not model.add_line(42, 1, "217")
    assert model.lines == []


# --------------------------------------------------------------------------- quotes


def test_quote_offers_every_priced_method_and_picks_defaults(store):
    model = london(OrderBuilderModel(store), (48, 2))
    quote = model.refresh_quote()
    codes = [code for _, code in model.shipping_choices()]
    assert codes == ["flat.flat", "weight.weight_4", "item.item", "free.free", "pickup.pickup"]
    assert model.shipping_code == "flat.flat"
    assert [c for _, c in model.payment_choices()] == ["bank_transfer.bank_transfer", "cheque.cheque", "cod.cod"]
    assert model.notice.level == "success" and "5 shipping method(s) to United Kingdom" in model.notice.title
    assert model.catalog[48].name == "iPod Classic"
    table = model.shipping_table()
    weight = table[table["quote_code"] == "weight.weight_4"].iloc[0]
    assert weight["cost"] == 8.0 and weight["total"] == float(quote.option("weight.weight_4").total)
    assert model.products_table()["total"].tolist() == [200.0]


def test_selecting_methods_puts_the_quoted_objects_in_the_draft(store):
    model = london(OrderBuilderModel(store), (48, 1))
    model.refresh_quote()
    model.select_shipping("weight.weight_4")
    model.select_payment("cheque.cheque")
    assert isinstance(model.draft.shipping_method, ShippingQuote)
    assert model.draft.shipping_code == "weight.weight_4" and model.draft.shipping_method.cost == Decimal("4.00")
    assert isinstance(model.draft.payment_method, PaymentMethod) and model.draft.payment_code == "cheque.cheque"
    model.select_payment("nope.nope")
    assert model.notice.level == "error" and model.draft.payment_code == "cheque.cheque"


def test_payment_follows_the_destination(store):
    model = london(OrderBuilderModel(store), (48, 1))
    model.refresh_quote()
    model.select_payment("cheque.cheque")
    model.set_country("US", "NY")
    model.refresh_quote()
    # cheque is UK-only in the rich store: the choice falls back to the first offered
    assert "cheque.cheque" not in [c for _, c in model.payment_choices()]
    assert model.payment_code == "bank_transfer.bank_transfer"
    assert "weight.weight_5" in [c for _, c in model.shipping_choices()]


def test_customer_group_changes_prices(store):
    model = london(OrderBuilderModel(store), (48, 1))
    default = model.refresh_quote().products[0].price
    model.customer_group_id = 3
    wholesale = model.refresh_quote().products[0].price
    assert (default, wholesale) == (Decimal("100.00"), Decimal("90.00"))


def test_store_refusal_is_a_notice_beside_its_field_and_the_draft_is_kept(store):
    # the catalogue cannot know stock: 3 red cameras pass the form's checks, the store refuses them
    model = london(OrderBuilderModel(store, catalog="rich"))
    assert model.add_line(30, 3, {226: 15})
    assert model.refresh_quote() is None
    notice = model.notice
    assert notice.level == "error" and "refused the quote" in notice.title
    assert notice.details == ("line 1, option 226: Option not available in the desired quantity or not in stock!",)
    assert not any("check the cart" in d for d in notice.details)
    assert "Traceback" not in notice.text
    assert model.field_errors() == {"lines": notice.details[0]}
    assert model.quote_error is notice
    assert model.draft is not None and model.draft.lines[0].product_id == 30
    assert model.quote is None and model.shipping_choices() == []
    # fixing the lines drops the complaint; a successful quote drops the failure
    model.remove_line(0)
    assert model.field_errors() == {}
    assert model.add_line(30, 1, {226: 16})
    assert model.refresh_quote() is not None and model.quote_error is None


def test_store_refusal_of_a_field_stays_until_that_field_changes(spec_store):
    model = london(OrderBuilderModel(spec_store, catalog="rich"), (40, 1))
    model.set_field("postcode", "12345678901")
    assert model.refresh_quote() is None
    assert model.field_errors() == {"postcode": "postcode: Postcode must be between 2 and 10 characters for this "
                                                "country!"}
    model.set_field("city", "Leeds")
    assert "postcode" in model.field_errors()
    model.set_field("postcode", "LS1 1AA")
    assert model.field_errors() == {}


def test_unknown_product_is_refused_at_add_by_the_store(store, wrap):
    wrapped = wrap(store)
    model = london(OrderBuilderModel(wrapped))
    assert not model.add_line(99999, 1)
    assert model.notice.title == "This product line cannot be added."
    assert model.notice.details == ("the store has no product 99999: Warning: Product could not be found!",)
    assert model.lines == [] and wrapped.calls == ["countries", "cart"]
    # a product the store knows is learnt (name, the options it requires) and added
    assert not model.add_line(42, 1)
    assert "option 218: Radio required!" in model.notice.details
    assert model.product(42).option(218).required and not model.product(42).complete
    assert model.add_line(40, 1) and model.product(40).name == "iPhone"


def test_unknown_product_is_refused_against_a_catalogue_without_a_request(store, wrap):
    wrapped = wrap(store)
    model = OrderBuilderModel(wrapped, catalog=Catalogue.from_store_file("rich"))
    assert not model.add_line(99999, 1)
    assert model.notice.details == ("the store has no product 99999 (its catalogue lists 19 products)",)  # OpenCart's whole demo catalogue
    assert wrapped.calls == []


@pytest.mark.parametrize("product_id, quantity, options, problem", [
    (30, 1, "226=abc", "option 226 (Select) takes one value id: 15 = Red, 16 = Blue"),
    (30, 1, "226=x=y", "option 226 (Select) takes one value id: 15 = Red, 16 = Blue"),
    (30, 1, "226=17", "option 226 (Select) has no value 17: 15 = Red, 16 = Blue"),
    (30, 1, "", "option 226 (Select) is required"),
    (30, 1, "226=16; 999=1", "Canon EOS 5D has no option 999; its options: 226 (Select)"),
    (30, 0, "226=16", "the quantity must be at least 1"),
    (30, -2, "226=16", "the quantity must be at least 1"),
    (30, "2.5", "226=16", "the quantity must be at least 1"),
    ("abc", 1, "", "enter a product id (a positive whole number)"),
    (47, 1, "225=22/04/2011", "option 225 (Delivery Date) needs a date like 2026-12-03, not '22/04/2011'"),
    (42, 1, "218=5; 223=abc; 217=4", "option 223 (Checkbox) takes value ids, e.g. 223=[8]"),
])
def test_malformed_lines_are_refused_before_any_request(store, wrap, product_id, quantity, options, problem):
    wrapped = wrap(store)
    model = OrderBuilderModel(wrapped, catalog="rich")
    assert not model.add_line(product_id, quantity, options)
    assert any(problem in d for d in model.notice.details), model.notice.details
    assert model.lines == [] and wrapped.calls == []


def test_catalogue_describes_options_as_the_store_has_them():
    cinema = Catalogue.from_store_file("rich")[42]
    kinds = {o.product_option_id: (o.type, o.kind, o.required) for o in cinema.options}
    assert kinds[217] == ("select", "choice", True) and kinds[223] == ("checkbox", "multi", True)
    assert kinds[208] == ("text", "text", True) and kinds[219] == ("date", "text", True)
    assert [v.label for v in cinema.option(217).values] == ["Green (+1.00)", "Yellow (+2.00)", "Blue (+3.00)",
                                                            "Red (+4.00)"]
    assert cinema.check(parse_options(CINEMA_OPTIONS)) == []


def test_options_are_labelled_by_name_once_known(store):
    model = london(OrderBuilderModel(store, catalog="rich"))
    assert model.add_line(30, 1, {226: 16})
    assert model.line_choices() == [("1. 1 × Canon EOS 5D (#30) [Select: Blue]", 0)]


def test_incomplete_notice_goes_once_the_draft_is_complete(store):
    model = OrderBuilderModel(store)
    model.set_country("GB", "LDN")
    model.add_line(40, 1)
    model.build()
    assert model.notice.details == ("Enter a postcode: United Kingdom requires one.",)
    model.set_field("postcode", "SW1A 1AA")
    model.build()
    assert model.notice.level == "info" and "complete" in model.notice.title
    assert "postcode" not in model.notice.text


def test_amounts_carry_the_store_currency(store):
    model = london(OrderBuilderModel(store), (48, 1))
    model.refresh_quote()
    assert model.money == Money("$", "")
    assert model.shipping_choices()[0][0] == "Flat Shipping Rate — $5.00 (order total $130.00)"
    assert OrderBuilderModel(store, money=Money("", " €", "EUR")).money(1234.5) == "1,234.50 €"


def test_quote_split_for_a_worker_thread_takes_late_answers(store):
    model = london(OrderBuilderModel(store), (48, 1))
    base = model.begin_quote()
    quote = store.quote(base)
    model.postcode = "EC1A 1BB"  # edited while the store was answering
    model.finish_quote(base, quote)
    assert model.quote is quote and not model.quote_is_current
    model.cancel_quote()
    assert model.notice.level == "warning" and "cancelled" in model.notice.title


def test_network_failure_is_a_notice(sandbox, wrap, store):
    model = london(OrderBuilderModel(wrap(store, quote=TransportError("connection refused"))), (48, 1))
    assert model.refresh_quote() is None
    assert model.notice.title == "No answer from the store for the quote."
    assert model.draft.lines == (CartLine(product_id=48, quantity=1),)


def test_country_list_failure_leaves_empty_choices(wrap, store):
    model = OrderBuilderModel(wrap(store, countries=TransportError("timed out")))
    assert model.country_choices() == []
    assert model.notice.title == "No answer from the store for the country list."


# --------------------------------------------------------------------------- confirm


def test_confirm_needs_a_current_quote_and_methods(store, wrap):
    wrapped = wrap(store)
    model = london(OrderBuilderModel(wrapped), (48, 1))
    assert model.confirm() is None
    assert model.notice.details == ("Quote the draft first: the form changed since the last quote (or there is none).",)
    model.refresh_quote()
    model.select_shipping(None)
    assert model.confirm_problems() == ["Choose a shipping method."]
    model.select_shipping("flat.flat")
    model.add_line(40, 1)
    assert not model.quote_is_current
    assert model.confirm() is None
    assert "confirm" not in wrapped.calls
    model.comment = "a comment does not change prices"
    model.remove_line(1)
    assert model.quote_is_current and model.confirm_problems() == []


def test_confirm_creates_the_order_once(store, wrap):
    wrapped = wrap(store)
    model = london(OrderBuilderModel(wrapped), (48, 1))
    model.comment = "widget test"
    model.refresh_quote()
    model.select_shipping("weight.weight_4")
    model.select_payment("cheque.cheque")
    expected = model.quote.option("weight.weight_4").total
    result = model.confirm()
    assert result is model.result and result.order_id > 0 and result.total == expected
    assert model.notice.title == f"Order #{result.order_id} created (status 1), total ${expected:.2f}."
    assert model.draft.comment == "widget test"
    assert model.confirm() is None and "already order" in model.notice.details[0]
    assert wrapped.calls.count("confirm") == 1
    # a changed draft is a new order, after a new quote
    model.add_line(40, 1)
    model.refresh_quote()
    second = model.confirm()
    assert second.order_id != result.order_id and wrapped.calls.count("confirm") == 2


def test_lost_confirm_answer_warns_that_the_order_may_exist(store, wrap):
    model = london(OrderBuilderModel(wrap(store, confirm=OrderStateUnknownError("read timed out"))), (48, 1))
    model.refresh_quote()
    assert model.confirm() is None
    assert "the order may exist" in model.notice.title
    assert model.notice.details[0].startswith("Check the store's order list")
    assert model.result is None and model.draft.shipping_code == "flat.flat"


def test_confirm_refusal_keeps_quote_and_draft(store, wrap):
    refusal = NotFoundError("order 77 not found", fields={"order_id": "Warning: Order could not be found!"})
    model = london(OrderBuilderModel(wrap(store, confirm=refusal)), (48, 1))
    quote = model.refresh_quote()
    model.confirm()
    assert model.notice.details == ("order id: Warning: Order could not be found!",)
    assert model.quote is quote and model.quote_is_current


def test_spec_dialect_builds_and_confirms_too(spec_store):
    model = london(OrderBuilderModel(spec_store))
    assert not model.add_line(30, 1, "226=")
    assert model.add_line(30, 1, "226=16")
    model.refresh_quote()
    assert model.products_table()["options"].tolist() == ["Select: Blue"]
    model.select_shipping("item.item")
    result = model.confirm()
    assert result is not None and result.total == model.quote.option("item.item").total
