"""OpenCart 4.1 signatures, byte for byte against every recorded request."""

from __future__ import annotations

import hashlib
import json
from urllib.parse import parse_qsl, urlencode

import pytest

from ocdata._php import body_md5, clean, http_build_query, parse_pairs
from ocdata.client import signing
from ocdata.client.signing import PreparedBody, SignedFields, http_host, script_dir, sign, string_to_sign

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


# ---------------------------------------------------------------- prepared bodies (one draft, many calls)


def _top_level_splits(pairs: list[tuple[str, str]]) -> list[int]:
    """Indexes where a new top-level key starts and none of the rest appeared before."""
    def base(name: str) -> str:
        return name.split("[", 1)[0]

    cuts = []
    for i in range(1, len(pairs)):
        if not {base(n) for n, _ in pairs[:i]} & {base(n) for n, _ in pairs[i:]}:
            cuts.append(i)
    return cuts


def _recorded_forms() -> list[list[tuple[str, str]]]:
    forms = []
    for path in all_signed():
        form = json.loads(path.read_text())["request"]["form"]
        if form and path.name != RAW_SIGNED:
            forms.append([tuple(p) for p in form])
    return forms


def test_prepared_body_extends_every_recorded_form_without_redoing_the_shared_part(monkeypatch):
    forms = _recorded_forms()
    assert len(forms) > 50
    checked = 0
    for pairs in forms:
        for cut in _top_level_splits(pairs):
            prepared = PreparedBody(pairs[:cut])
            expected_md5, expected_text = body_md5(pairs), urlencode(pairs)
            # the shared part is never re-parsed: the full path is not even reachable
            monkeypatch.setattr(signing, "body_md5", lambda *a: pytest.fail("fell back to the full body"))
            got = prepared.extend(pairs[cut:])
            monkeypatch.undo()
            assert (got.md5, got.text, got.pairs) == (expected_md5, expected_text, tuple(pairs))
            checked += 1
    assert checked > 200


def test_prepared_body_on_its_own_and_empty():
    pairs = [("customer_id", "0"), ("firstname", " Jane & <Jo> ")]
    assert PreparedBody(pairs).extend().md5 == body_md5(pairs)
    assert PreparedBody([]).extend(pairs).md5 == body_md5(pairs)
    assert PreparedBody([]).extend().md5 == body_md5("")  # 035: a GET signs md5('')


@pytest.mark.parametrize("extra", [
    [("firstname", "John")],                       # PHP overwrites the earlier value in place
    [("product[0][quantity]", "3")],               # merges into an existing array
    [("product[][product_id]", "33")],             # appends to it with the next index
    [("shipping.method", "x"), ("shipping_method", "y")],  # '.' becomes '_': one key after parsing
    [("a\t", "2")],                                # trimmed to 'a' by Request::clean, which the shared part holds
])
def test_prepared_body_falls_back_when_keys_collide(extra):
    shared = [("customer_id", "0"), ("firstname", "Jane"), ("product[0][product_id]", "40"),
              ("product[0][quantity]", "1"), ("shipping_method", "z"), ("a", "1")]
    got = PreparedBody(shared).extend(extra)
    assert got.md5 == body_md5(shared + extra)
    naive = hashlib.md5((http_build_query(clean(parse_pairs(shared))) + "&"
                         + http_build_query(clean(parse_pairs(extra)))).encode()).hexdigest()
    assert got.md5 != naive  # concatenating would have signed the wrong body
