"""Study inputs say what is wrong, and where, before any request."""

from __future__ import annotations

import textwrap

import pytest

from fakes import FakeStore
from ocdata.client.models import CartLine
from ocdata.cli import main
from ocdata.study import Study, StudyInputError, parse_cart, parse_customer_groups, parse_options


@pytest.mark.parametrize("cart, says", [
    ("40*1", "write 'product_id x quantity', e.g. '40x1'"),
    ("40x0", "quantity must be 1 or more, e.g. '40x1'"),
    ("40x1, 30x", "write 'product_id x quantity'"),
    ([{"product_id": 40, "quantity": 0}], "quantity must be 1 or more"),
    ([{"product_id": 40, "qty": 2}], "unknown keys ['qty']"),
    ([{"product_id": 30, "options": "226"}], "write product_option_id=value, e.g. 217=4"),
    ([{"product_id": 30, "options": {"size": 15}}], "'size' is not a product_option_id"),
    ([{"product_id": 30, "options": {223: ["a"]}}], "checkbox option 223 takes value ids"),
    ("30x1 [226]", "write product_option_id=value"),
])
def test_bad_carts_are_refused_naming_the_cart_and_how_to_write_it(cart, says):
    store = FakeStore()
    with pytest.raises(StudyInputError) as info:
        Study(store, {"phone": "40x1", "odd one": cart}, {"London": "GB-LDN"})
    message = str(info.value)
    assert message.startswith("cart 'odd one': ") and says in message, message
    assert "pydantic" not in message and "input_value" not in message
    assert store.calls == []


def test_cart_text_with_options_and_customer_groups_as_text():
    assert parse_cart("30x1 [226=15; 223=8,9], 40x2") == (
        CartLine(product_id=30, options={226: 15, 223: [8, 9]}), CartLine(product_id=40, quantity=2))
    assert parse_cart("40X3") == (CartLine(product_id=40, quantity=3),)
    assert parse_options("208=some text") == {208: "some text"}
    assert parse_customer_groups("1,3") == parse_customer_groups("1 3") == parse_customer_groups([1, "3"]) == [1, 3]
    assert parse_customer_groups(None) == [None]
    with pytest.raises(ValueError, match=r"write the ids, e.g. \[1, 3\] or 1,3"):
        parse_customer_groups("Default, Wholesale")


@pytest.mark.parametrize("destination, says", [
    ({"country": "DE", "zone_id": "Berlin"}, "zone_id: Input should be a valid integer"),
    ({"country": "DE", "town": "Berlin"}, "town: unknown field"),
    ({}, "needs country_id or an ISO country code"),
    ("", "write 'COUNTRY-ZONE'"),
])
def test_bad_destinations_name_the_destination_and_the_field(destination, says):
    with pytest.raises(StudyInputError) as info:
        Study(FakeStore(), {"phone": "40x1"}, {"London": "GB-LDN", "Berlin": destination})
    message = str(info.value)
    assert message.startswith("destination 'Berlin': ") and says in message, message
    assert "errors.pydantic.dev" not in message


def test_yaml_errors_name_the_file_and_the_cart(tmp_path):
    path = tmp_path / "s.yml"
    path.write_text(textwrap.dedent("""\
        customer_groups: 1,3
        carts:
          phone: 40x1
          bundle:
            - {product_id: 40, quantity: 1}
            - {product_id: 30, quantity: 0}
        destinations: {London: GB-LDN}
    """))
    with pytest.raises(StudyInputError) as info:
        Study.from_yaml(path, FakeStore())
    assert str(info.value).startswith(f"{path}: cart 'bundle': cart line ") and "quantity must be 1" in str(info.value)
    path.write_text("customer_groups: 1,3\ncarts: {phone: 40x1}\ndestinations: {London: GB-LDN}\n")
    assert [s.customer_group_id for s in Study.from_yaml(path, FakeStore()).scenarios] == [1, 3]
    path.write_text("carts: {phone: 40x1}\ndestination: {London: GB-LDN}\n")
    with pytest.raises(StudyInputError, match="unknown keys \\['destination'\\]"):
        Study.from_yaml(path, FakeStore())
    path.write_text("carts: {phone: 40x1}\ndestinations: {London: GB-LDN}\ncustomer: {firstname: Ann}\n")
    with pytest.raises(StudyInputError, match="customer: lastname: Field required"):
        Study.from_yaml(path, FakeStore())


def test_cli_refuses_a_bad_study_file_before_connecting(tmp_path, capsys, monkeypatch):
    path = tmp_path / "s.yml"
    path.write_text("carts: {phone: '40*1'}\ndestinations: {London: GB-LDN}\n")
    monkeypatch.setenv("OCDATA_API_KEY", "k")
    # nothing listens on port 9: a connection attempt would fail differently
    code = main(["study", str(path), "--url", "http://127.0.0.1:9/", "--username", "u", "--db",
                 str(tmp_path / "c.duckdb")])
    err = capsys.readouterr().err
    assert code == 1 and "cart 'phone'" in err and "'40x1'" in err and "no answer" not in err
    assert len(err.strip().splitlines()) == 1
