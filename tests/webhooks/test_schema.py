"""The payload format: the committed JSON Schema is the models' schema, and it judges as they do."""

from __future__ import annotations

import json

import jsonschema
import pydantic
import pytest

from ocdata.webhooks.payload import SCHEMA_PATH, dump_schema, parse_event

from webhook_helpers import order_created


def test_the_committed_schema_is_the_models_schema():
    assert SCHEMA_PATH.read_text() == dump_schema(), "regenerate: python -c 'from ocdata.webhooks.payload import " \
                                                     "SCHEMA_PATH, dump_schema; SCHEMA_PATH.write_text(dump_schema())'"


@pytest.mark.parametrize("change, valid", [
    ({}, True),
    ({"type": "order.deleted"}, False),
    ({"id": "short"}, False),
    ({"data": {"order_id": 0, "order_status_id": 1, "currency_code": "GBP", "total": "1"}}, False),
    ({"data": {"order_id": 1, "order_status_id": 1, "currency_code": "GBP", "total": 12.5}}, True),
    ({"data": {"order_id": 1, "order_status_id": 1, "currency_code": "GBP", "total": "12.5", "email": "x"}}, False),
])
def test_schema_and_models_agree(change, valid):
    event = {**order_created(), **change}
    validator = jsonschema.Draft202012Validator(json.loads(SCHEMA_PATH.read_text()))
    assert validator.is_valid(event) is valid
    if valid:
        parse_event(event)
    else:
        with pytest.raises(pydantic.ValidationError):
            parse_event(event)
