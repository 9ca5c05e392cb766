"""The table-driven PHP encoder (``ocdata._php``) and the signing shortcuts give exactly the
bytes of the straightforward per-character encoder they replaced, on hostile input.

4.1 signs the MD5 of ``http_build_query`` of the cleaned POST: one byte of difference is a
403 from a real store, so the fast paths are checked against a reference over many
generated drafts (unicode, ``&=+%#[]~``, nested arrays, empty values, colliding keys).
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode as std_urlencode

import pytest

from ocdata import _php
from ocdata.client.signing import PreparedBody, SignedFields, string_to_sign

_SAFE = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-")


def ref_urlencode(text: str) -> str:
    out = []
    for byte in text.encode("utf-8", errors="surrogateescape"):
        if byte in _SAFE:
            out.append(chr(byte))
        elif byte == 0x20:
            out.append("+")
        else:
            out.append(f"%{byte:02X}")
    return "".join(out)


def ref_http_build_query(data: Mapping[Any, Any]) -> str:
    parts: list[str] = []

    def walk(prefix, value) -> None:
        if isinstance(value, Mapping):
            for key, child in value.items():
                walk(str(key) if prefix is None else f"{prefix}[{key}]", child)
            return
        if isinstance(value, (list, tuple)):
            walk(prefix, dict(enumerate(value)))
            return
        text = _php._scalar(value)
        if text is not None and prefix is not None:
            parts.append(f"{ref_urlencode(prefix)}={ref_urlencode(text)}")

    walk(None, data)
    return "&".join(parts)


def ref_body_md5(pairs) -> str:
    return hashlib.md5(ref_http_build_query(_php.clean(_php.parse_pairs(pairs))).encode()).hexdigest()


ALPHABET = ["a", "B", "0", "9", "_", ".", "-", "~", " ", "&", "=", "+", "%", "#", "[", "]", "<", ">", '"', "'",
            "/", "?", "é", "ß", "€", "中", "😀", "\udcff", "\t", "\n", "\0", "&amp;", "%20", "%E2%82%AC"]


def text(rng: random.Random, max_len: int = 8) -> str:
    return "".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, max_len)))


def name(rng: random.Random) -> str:
    base = rng.choice(["product", "customer", "shipping_method", "a", "0", "-1", text(rng, 4)])
    for _ in range(rng.choice([0, 0, 1, 2, 3])):
        base += "[" + rng.choice(["", "0", "1", "name", "option", text(rng, 3)]) + "]"
    return base


def pairs(rng: random.Random, n: int | None = None, *, sendable: bool = False) -> list[tuple[str, str]]:
    """Form pairs; ``sendable``: without lone surrogates (a body cannot carry them)."""
    out = [(name(rng), text(rng)) for _ in range(rng.randint(0, 12) if n is None else n)]
    return [(k.replace("\udcff", "~"), v.replace("\udcff", "~")) for k, v in out] if sendable else out


def nested(rng: random.Random, depth: int = 0) -> Any:
    roll = rng.random()
    if depth > 3 or roll < 0.5:
        return rng.choice([text(rng), text(rng, 30), "", None, True, False, 0, -7, 1.5])
    if roll < 0.75:
        return [nested(rng, depth + 1) for _ in range(rng.randint(0, 3))]
    return {rng.choice([text(rng, 4), rng.randint(-2, 5)]): nested(rng, depth + 1) for _ in range(rng.randint(0, 4))}


@pytest.mark.parametrize("seed", range(8))
def test_urlencode_matches_reference(seed):
    rng = random.Random(seed)
    for _ in range(400):
        t = text(rng, 40)
        assert _php.urlencode(t) == ref_urlencode(t)
        assert _php.urlencode(t) == ref_urlencode(t)  # the cached answer too
    for byte in range(256):
        t = bytes([byte]).decode("utf-8", errors="surrogateescape")
        assert _php.urlencode(t) == ref_urlencode(t)


def test_urlencode_long_text_is_not_cached_and_still_exact():
    t = "é&=+ " * 100
    assert _php.urlencode(t) == ref_urlencode(t)
    assert t not in _php._URLENCODED


@pytest.mark.parametrize("seed", range(8))
def test_http_build_query_matches_reference(seed):
    rng = random.Random(1000 + seed)
    for _ in range(300):
        data = nested(rng, 0)
        if not isinstance(data, (dict, list)):
            data = {text(rng, 3): data}
        assert _php.http_build_query(data) == ref_http_build_query(data)
        cleaned = _php.clean(_php.parse_pairs(pairs(rng)))
        assert _php.http_build_query(cleaned) == ref_http_build_query(cleaned)
    assert _php.http_build_query("scalar") == ref_http_build_query("scalar") == ""  # type: ignore[arg-type]
    assert _php.http_build_query([]) == "" and _php.http_build_query({"a": {}}) == ""


@pytest.mark.parametrize("seed", range(8))
def test_prepared_body_gives_the_reference_md5_and_body(seed):
    """Shared part + per-call extras (new keys, colliding keys, repeated extras from the cache)."""
    rng = random.Random(2000 + seed)
    for _ in range(60):
        shared = pairs(rng, sendable=True)
        prepared = PreparedBody(shared)
        for _ in range(4):
            extra = pairs(rng, rng.randint(0, 5), sendable=True)
            if rng.random() < 0.3 and shared:
                extra.append((rng.choice(shared)[0], "&é]"))  # collides with the shared part
            for _ in range(2):  # the second time comes from the cache
                signed = prepared.extend(extra)
                whole = shared + extra
                assert signed.md5 == ref_body_md5(whole) == _php.body_md5(whole)
                assert signed.text == std_urlencode(whole)
                assert signed.pairs == tuple(whole)


def test_string_to_sign_is_the_ten_fields():
    fields = SignedFields(route="api/order", call="cart", username="Default", host="shop:8080", path="/",
                          store_id=0, language="en-gb", currency="USD", time=1700000000, md5="abc")
    assert string_to_sign(fields) == "api/order\ncart\nDefault\nshop:8080\n/\n0\nen-gb\nUSD\nabc\n1700000000\n"


@pytest.mark.parametrize("url,currency,store_id", [("http://shop.invalid:8080/shop/index.php", None, 0),
                                                   ("https://shop.invalid/", "EUR", 3)])
def test_signed_query_matches_the_ten_field_reference(url, currency, store_id):
    """The dialect's cached head + MD5 + time signs and sends exactly what SignedFields and the
    standard urlencode give (one call after another, so the second comes from the cache)."""
    from ocdata.client.credentials import Credentials, Secret
    from ocdata.client.dialects.base import DialectConfig
    from ocdata.client.dialects.oc41 import OC41
    from ocdata.client.signing import SignedBody, http_host, script_dir, sign

    creds = Credentials(url=url, username="Dé fault+&", key=Secret("k3y/+=é"))
    dialect = OC41(DialectConfig(base_url=url, credentials=creds, currency=currency, store_id=store_id,
                                 language="en-gb"), transport=None)  # type: ignore[arg-type]
    rng = random.Random(7)
    for call in ("cart", "shipping_method", "cart", "confirm"):
        form = pairs(rng, 6, sendable=True)
        body = PreparedBody(form).extend()
        for given in (form, body):
            fields = SignedFields(route="api/order", call=call, username=creds.username, host=http_host(url),
                                  path=script_dir(url), store_id=store_id, language="en-gb",
                                  currency=currency or "USD", time=1700000123, md5=ref_body_md5(form))
            expected = std_urlencode([("route", "api/order"), ("call", call), ("username", creds.username),
                                      ("store_id", str(store_id)), ("language", "en-gb"),
                                      ("currency", currency or "USD"), ("time", "1700000123"),
                                      ("signature", sign("k3y/+=é", string_to_sign(fields)))])
            assert dialect.signed_query("api/order", call, given, now=1700000123) == expected
            assert isinstance(body, SignedBody)
