"""PHP semantics the signer and the sandbox share (``ocdata._php``)."""

import pytest

from ocdata._php import body_md5, clean, http_build_query, parse_body, php_float, php_int
from ocdata.sandbox.fronts.base import php_json_encode


@pytest.mark.parametrize(
    ("text", "value"),
    [("12", 12), (" 7x", 7), ("abc", 0), ("", 0), ("1e3", 1000), ("-3", -3), ("2.9", 2), ("1.5e3abc", 1500),
     (".5", 0), ("1e999", 0), ("99999999999999999999", 2**63 - 1), (2.5, 2), (True, 1), ({}, 0), ({0: "a"}, 1)],
)
def test_php_int_casts_like_php8(text, value):
    assert php_int(text) == value


@pytest.mark.parametrize(("text", "value"), [("5.00", 5.0), (".5", 0.5), (" 1e2kg", 100.0), ("x", 0.0), ("", 0.0)])
def test_php_float_casts_like_php8(text, value):
    assert php_float(text) == value


def test_nested_brackets_appends_and_cleaning():
    parsed = parse_body("product[0][option][223][]=8&product[0][option][223][]=9&a.b=%3Cx%3E+&a[=1")
    assert parsed == {"product": {0: {"option": {223: {0: "8", 1: "9"}}}}, "a_b": "<x> ", "a_": "1"}
    cleaned = clean(parsed)
    assert cleaned["a_b"] == "&lt;x&gt;"
    assert http_build_query(cleaned).startswith("product%5B0%5D%5Boption%5D%5B223%5D%5B0%5D=8&")
    # ~ is percent-encoded by PHP's urlencode, unlike Python's quote_plus
    assert http_build_query({"t": "a~b c"}) == "t=a%7Eb+c"
    assert body_md5("") == "d41d8cd98f00b204e9800998ecf8427e"


def test_json_encode_writes_integral_floats_as_php_does():
    assert php_json_encode({"price": 101.0, "vat": 20.445999999999998, "ids": ["40"]}) == \
        '{"price":101,"vat":20.445999999999998,"ids":["40"]}'
