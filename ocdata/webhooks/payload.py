"""What a webhook delivery carries: one JSON object per event, validated with pydantic.

Every delivery is an envelope ``{"id", "type", "created", "store", "data"}``; ``type`` picks
the shape of ``data``:

==========================  =====================================================================
``order.created``           an order got its first status (OpenCart's first ``addHistory``)
``order.updated``           a later status change (``addHistory`` again, or an edited order)
``customer.registered``     a customer account was created
``product.updated``         a product was added or changed (price, stock, status ...)
==========================  =====================================================================

Payloads carry ids, groups, money and geography, never names, e-mails, telephones or street
lines: they are written to caches and notebooks. Money is a decimal (a JSON number or a
numeric string, as PHP may send either) in the store's default currency, as OpenCart stores
it; an order's ``currency_code``/``currency_value`` say what the customer saw
(``total * currency_value`` in ``currency_code``). The JSON Schema of this format is ``payload.schema.json``
next to this module (:func:`json_schema` builds it; a test keeps the file equal to it); the
sandbox and the OpenCart extension in ``extras/opencart-webhooks`` both send it.
"""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

__all__ = [
    "EVENT_TYPES", "Event", "StoreRef", "OrderCreated", "OrderUpdated", "CustomerRegistered",
    "ProductUpdated", "OrderData", "OrderStatusData", "CustomerData", "ProductData", "parse_event",
    "json_schema", "SCHEMA_PATH",
]

EVENT_TYPES = ("order.created", "order.updated", "customer.registered", "product.updated")
SCHEMA_PATH = Path(__file__).with_name("payload.schema.json")

Id = Annotated[int, Field(ge=0)]
Money = Annotated[Decimal, Field(allow_inf_nan=False, max_digits=20, decimal_places=6)]


class _Model(BaseModel):
    # unknown fields are refused: a sender that drifts from the format is told so, not half-stored
    model_config = ConfigDict(extra="forbid", frozen=True)


class StoreRef(_Model):
    """The OpenCart store that sent the event."""

    url: Annotated[str, Field(min_length=1, max_length=500)]
    store_id: Id = 0
    version: Annotated[str | None, Field(max_length=20)] = None


class OrderLine(_Model):
    product_id: Id
    model: Annotated[str, Field(max_length=255)] = ""
    quantity: Annotated[int, Field(ge=0)]
    price: Money
    total: Money
    tax: Money | None = Field(default=None, description="tax per unit, when the sender knows it")


class OrderTotal(_Model):
    code: Annotated[str, Field(max_length=64)]
    title: Annotated[str, Field(max_length=255)] = ""
    value: Money
    sort_order: int = 0


class OrderData(_Model):
    order_id: Annotated[int, Field(ge=1)]
    order_status_id: Id
    order_status: Annotated[str | None, Field(max_length=64)] = None
    customer_id: Id = 0
    customer_group_id: Id = 0
    currency_code: Annotated[str, Field(pattern=r"^[A-Z]{3}$")]
    currency_value: Money = Decimal(1)
    total: Money
    shipping_method: Annotated[str | None, Field(max_length=128)] = None
    payment_method: Annotated[str | None, Field(max_length=128)] = None
    shipping_country: Annotated[str | None, Field(pattern=r"^[A-Z]{2}$")] = None
    shipping_zone: Annotated[str | None, Field(max_length=32)] = None
    payment_country: Annotated[str | None, Field(pattern=r"^[A-Z]{2}$")] = None
    payment_zone: Annotated[str | None, Field(max_length=32)] = None
    products: list[OrderLine] = []
    totals: list[OrderTotal] = []


class OrderStatusData(_Model):
    order_id: Annotated[int, Field(ge=1)]
    order_status_id: Id
    order_status: Annotated[str | None, Field(max_length=64)] = None
    previous_order_status_id: Id | None = None
    comment: Annotated[str, Field(max_length=10_000)] = ""
    notify: bool = False
    total: Money | None = None
    currency_code: Annotated[str | None, Field(pattern=r"^[A-Z]{3}$")] = None


class CustomerData(_Model):
    customer_id: Annotated[int, Field(ge=1)]
    customer_group_id: Id
    store_id: Id = 0
    status: bool = True
    newsletter: bool = False
    country: Annotated[str | None, Field(pattern=r"^[A-Z]{2}$")] = None
    zone: Annotated[str | None, Field(max_length=32)] = None


class ProductData(_Model):
    product_id: Annotated[int, Field(ge=1)]
    model: Annotated[str, Field(max_length=255)] = ""
    sku: Annotated[str, Field(max_length=64)] = ""
    price: Money
    quantity: int
    status: bool
    tax_class_id: Id = 0
    weight: Money = Decimal(0)
    weight_class_id: Id = 0
    changed: list[Annotated[str, Field(max_length=64)]] = Field(
        default=[], description="fields that changed, when the sender knows; empty for a new product")


class _Envelope(_Model):
    id: Annotated[str, Field(pattern=r"^[A-Za-z0-9_.:-]{8,100}$",
                             description="unique per event; the receiver stores each id once")]
    created: Annotated[datetime, Field(description="when the store emitted it (ISO 8601 with offset)")]
    store: StoreRef


class OrderCreated(_Envelope):
    type: Literal["order.created"]
    data: OrderData


class OrderUpdated(_Envelope):
    type: Literal["order.updated"]
    data: OrderStatusData


class CustomerRegistered(_Envelope):
    type: Literal["customer.registered"]
    data: CustomerData


class ProductUpdated(_Envelope):
    type: Literal["product.updated"]
    data: ProductData


Event = Annotated[Union[OrderCreated, OrderUpdated, CustomerRegistered, ProductUpdated],
                  Field(discriminator="type")]
_ADAPTER: TypeAdapter[Any] = TypeAdapter(Event)


def parse_event(payload: bytes | str | dict) -> OrderCreated | OrderUpdated | CustomerRegistered | ProductUpdated:
    """Validate one delivery's JSON (raises :class:`pydantic.ValidationError`)."""
    if isinstance(payload, dict):
        return _ADAPTER.validate_python(payload)
    return _ADAPTER.validate_json(payload)


def json_schema() -> dict[str, Any]:
    """The JSON Schema of a delivery (what ``payload.schema.json`` holds)."""
    schema = _ADAPTER.json_schema()
    schema = {"$schema": "https://json-schema.org/draft/2020-12/schema",
              "$id": "https://ocdata.invalid/webhooks/payload.schema.json",
              "title": "ocdata webhook delivery", **schema}
    return schema


def dump_schema() -> str:
    return json.dumps(json_schema(), indent=2, sort_keys=True) + "\n"
