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


# --------------------------------------------------------------------------- PHP's input limits (issue 13)


def test_a_post_keeps_max_input_vars_plus_one_as_add_post_vars_does():
    from ocdata._php import MAX_INPUT_VARS, exceeds_max_input_vars

    body = "&".join(f"v{i}=x" for i in range(5000))
    parsed = parse_body(body)
    assert len(parsed) == MAX_INPUT_VARS + 1 and "v1000" in parsed and "v1001" not in parsed
    assert exceeds_max_input_vars(body) and not exceeds_max_input_vars("&".join(["a[]=1"] * 1000))
    # a query string keeps exactly max_input_vars, empty segments not counted
    query = "&&".join(f"q{i}=1" for i in range(1200))
    assert len(parse_body(query, source="get")) == MAX_INPUT_VARS
    assert not exceeds_max_input_vars("&" * 3000 + "a=1", source="get")


def test_appends_are_numbered_as_php_next_free_element():
    # the next [] index is max(int key) + 1, never below 0, and never goes back down
    parsed = parse_body("a[5]=x&a[]=y&a[-3]=z&a[]=w&b[-2]=1&b[]=2&c[x]=1&c[]=2&a[2]=v&a[]=u")
    assert parsed == {"a": {5: "x", 6: "y", -3: "z", 7: "w", 2: "v", 8: "u"}, "b": {-2: "1", 0: "2"},
                      "c": {"x": "1", 0: "2"}}
    many = parse_body("&".join(["a[]=1"] * 1001))
    assert list(many["a"]) == list(range(1001))


def test_a_name_nested_deeper_than_max_input_nesting_level_drops_its_variable():
    deep = "c" + "[]" * 65
    assert parse_body(f"a=1&c[x]=2&{deep}=3&d=4") == {"a": "1", "d": "4"}
    assert "c" in parse_body("c" + "[]" * 64 + "=1")


def test_signer_md5_covers_what_the_store_registers():
    pairs = [(f"v{i}", "x") for i in range(1500)]
    assert body_md5(pairs) == body_md5("&".join(f"v{i}=x" for i in range(1001)))
    assert body_md5(pairs) == body_md5("&".join(f"v{i}=x" for i in range(1500)))


def test_out_of_range_numeric_strings_cap_like_zend_dval_to_lval_cap():
    assert php_int("1e308") == 2**63 - 1 and php_int("-1e308") == -(2**63)
    assert php_int("1e999") == 0
