"""Helpers for the engine tests: reference transcripts turned into engine inputs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ocdata._php import clean, parse_pairs
from ocdata.sandbox.engine import AddressIn, CustomerIn, Engine, LineIn, PaymentChoice, ShippingChoice
from ocdata.sandbox.storefile import load_store

SHARED = Path(__file__).resolve().parents[2] / "recordings"


def shared_path(*parts: str) -> Path:
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"reference material {path} not available")
    return path


def load_transcript(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def response_json(transcript: dict):
    """The JSON body (OpenCart may print PHP warnings before it), or ``None``."""
    text = transcript["response"]["body_text"]
    start = min((i for i in (text.find("{"), text.find("[")) if i >= 0), default=-1)
    if start < 0:
        return None
    try:
        return json.loads(text[start:])
    except ValueError:
        return None


def form(transcript: dict) -> dict:
    """The POST body as OpenCart's controllers see it (nested, HTML-escaped)."""
    return clean(parse_pairs([tuple(p) for p in transcript["request"].get("form") or []]))


def lines_from(post: dict) -> list[LineIn]:
    lines = []
    products = post.get("product") or {}
    for _key, item in sorted(products.items(), key=lambda kv: int(kv[0])):
        option = {}
        for oid, value in (item.get("option") or {}).items():
            option[int(oid)] = [value[k] for k in sorted(value, key=int)] if isinstance(value, dict) else value
        lines.append(
            LineIn(int(item["product_id"]), int(item.get("quantity", 1)), option, int(item.get("subscription_plan_id", 0)))
        )
    return lines


def address_from(post: dict, prefix: str) -> AddressIn | None:
    if f"{prefix}country_id" not in post:
        return None
    get = lambda k: post.get(f"{prefix}{k}", "")  # noqa: E731
    return AddressIn(
        firstname=get("firstname"), lastname=get("lastname"), company=get("company"), address_1=get("address_1"),
        address_2=get("address_2"), city=get("city"), postcode=get("postcode"),
        country_id=int(get("country_id") or 0), zone_id=int(get("zone_id") or 0),
    )


def shipping_from(post: dict) -> ShippingChoice | None:
    m = post.get("shipping_method")
    if not isinstance(m, dict) or not all(m.get(k) not in (None, "", "0") for k in ("name", "code", "cost", "tax_class_id")):
        return None  # 4.1 refuses a method with an empty() field
    return ShippingChoice(m["code"], m["name"], float(m["cost"]), int(m["tax_class_id"]))


def payment_from(post: dict) -> PaymentChoice | None:
    m = post.get("payment_method")
    if not isinstance(m, dict) or not m.get("code"):
        return None
    return PaymentChoice(m["code"], m["name"])


def customer_from(post: dict) -> CustomerIn:
    return CustomerIn(
        customer_id=int(post.get("customer_id") or 0), customer_group_id=int(post.get("customer_group_id") or 0),
        firstname=post.get("firstname", ""), lastname=post.get("lastname", ""), email=post.get("email", ""),
        telephone=post.get("telephone", ""),
    )


@pytest.fixture(scope="session")
def stores():
    """Each built-in store loaded once (StoreConfig is immutable; build engines per test)."""
    return {name: load_store(name) for name in ("stock", "rich", "oc40", "oc30")}


@pytest.fixture
def engine_for(stores):
    """A fresh engine (own orders and stock) over a built-in store."""
    return lambda name: Engine(stores[name])
