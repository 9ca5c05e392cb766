"""The sandbox's per-request fast paths give exactly what the plain PHP reproductions give."""

from __future__ import annotations

from ocdata import _php
from ocdata.sandbox.fronts.oc41_auth import _form_query


def test_oc41_signed_body_is_http_build_query_of_the_cleaned_post() -> None:
    body = ("customer[firstname]=Ann+%3Cb%3E&product[0][product_id]=40&product[0][option][227]=x~y"
            "&product[]=z&a.b=%C3%A9&n[ 1]=1&n[1]=2&empty[]=&deep[a][b][c]=%26")
    form = _php.clean(_php.parse_body(body))
    assert _form_query(form) == _php.http_build_query(form)
    # a leaf that is not a string (never from a parsed form) falls back to the full encoder
    odd = {"a": {"b": ["x", True, None]}, "c": 1}
    assert _form_query(odd) == _php.http_build_query(odd) == "a%5Bb%5D%5B0%5D=x&a%5Bb%5D%5B1%5D=1&c=1"


def test_memos_repeat_answers_and_never_keep_long_strings() -> None:
    long_value = "v" * (_php._MEMO_MAX_LEN + 1)
    body = f"name=%3Ca%3E&list[]=1&list[]=2&big={long_value}"
    first = _php.clean(_php.parse_body(body))
    second = _php.clean(_php.parse_body(body))
    assert first == second == {"name": "&lt;a&gt;", "list": {0: "1", 1: "2"}, "big": long_value}
    assert f"big={long_value}" not in _php._SEGMENTS and long_value not in _php._CLEANED
    assert _php._SEGMENTS["name=%3Ca%3E"] == ("name", "<a>") and _php._NAME_KEYS["list[]"] == ("list", None)


def test_trailing_ampersand_and_query_limits_count_as_before() -> None:
    assert _php.form_pairs("a=1&", source="post") == [("a", "1")]
    assert _php.form_pairs("&&", source="post") == [("", ""), ("", "")]
    query = "&".join(["", *(f"v{i}=1" for i in range(1001))])  # empty segments are skipped, not counted
    assert len(_php.form_pairs(query, 1000, source="get")) == 1000
    assert _php.exceeds_max_input_vars(query, source="get")
    assert not _php.exceeds_max_input_vars(query.rsplit("&", 1)[0], source="get")
