"""Fixtures of the webhook tests: a temporary cache and a receiver on it."""

from __future__ import annotations

import pytest

from ocdata.webhooks import serve
from webhook_helpers import SECRET


@pytest.fixture
def db(tmp_path):
    return str(tmp_path / "cache.duckdb")


@pytest.fixture
def receiver(db):
    with serve(SECRET, db=db) as r:
        yield r
