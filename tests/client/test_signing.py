"""OpenCart 4.1 signatures, byte for byte against every recorded request."""

from __future__ import annotations

import json
from urllib.parse import parse_qsl

import pytest

from ocdata.client.signing import SignedFields, http_host, script_dir, sign, string_to_sign

from oc41_transcripts import all_signed

# 034 was deliberately signed over the raw, uncleaned values and refused by the store
RAW_SIGNED = "034-err-sign-raw-values.json"


def _fields(t: dict) -> SignedFields:
    s, q = t["signing"], t["request"]["query"]
    return SignedFields(route=q["route"], call=q.get("call", ""), username=s["username"], host=s["http_host"],
                        path=s["path"], store_id=s["store_id"], language=s["language"], currency=s["currency"],
                        time=s["time"])


def _form(t: dict):
    form = t["request"]["form"]
    return [tuple(p) for p in form] if form is not None else (t["request"]["body"] or "")


@pytest.mark.parametrize("path", all_signed(), ids=lambda p: f"{p.parent.name}/{p.name[:40]}")
def test_recorded_signature_recomputed(path):
    t = json.loads(path.read_text())
    s = t["signing"]
    computed = string_to_sign(_fields(t), _form(t))
    if path.name == RAW_SIGNED:
        # the client signs the cleaned values, which is what the store accepted in 033
        assert computed != s["string_to_sign"]
        return
    assert computed == s["string_to_sign"]
    assert sign(s["key"], computed) == s["signature"]


def test_signing_covers_nested_checkbox_options():
    nested = [p for p in all_signed() if "option%5D%5B223%5D%5B1%5D" in p.read_text()]
    assert nested, "expected a transcript with a checkbox option array"
    for path in nested:
        t = json.loads(path.read_text())
        assert sign(t["signing"]["key"], string_to_sign(_fields(t), _form(t))) == t["signing"]["signature"]


def test_signature_is_percent_encoded_once_in_recorded_queries():
    t = json.loads(all_signed()[0].read_text())
    raw = dict(p.split("=", 1) for p in t["request"]["query_string"].split("&"))
    assert dict(parse_qsl(t["request"]["query_string"]))["signature"] == t["signing"]["signature"]
    assert "+" not in raw["signature"] and "/" not in raw["signature"]


@pytest.mark.parametrize("url,host,directory", [
    ("http://127.0.0.1:8041/", "127.0.0.1:8041", "/"),
    ("http://127.0.0.1:8041/index.php", "127.0.0.1:8041", "/"),
    ("http://localhost:8041/index.php", "localhost:8041", "/"),
    ("https://shop.example.com/shop/index.php", "shop.example.com", "/shop/"),
    ("http://shop.example.com:80/shop/", "shop.example.com", "/shop/"),
    ("https://shop.example.com:8443/a/b/index.php", "shop.example.com:8443", "/a/b/"),
])
def test_host_keeps_non_default_port_and_script_dir_has_one_slash(url, host, directory):
    assert http_host(url) == host
    assert script_dir(url) == directory


def test_worked_example_from_protocol():
    fields = SignedFields(route="api/order", call="customer", username="Default", host="127.0.0.1:8041", path="/",
                          store_id=0, language="en-gb", currency="USD", time=1795813887)
    body = ("customer_id=0&customer_group_id=1&firstname=Jane&lastname=Doe&email=jane.doe%40example.com"
            "&telephone=01234+567890")
    message = string_to_sign(fields, body)
    assert message == ("api/order\ncustomer\nDefault\n127.0.0.1:8041\n/\n0\nen-gb\nUSD\n"
                       "3a94030aeb994cc2e91b041dc2614060\n1795813887\n")
