"""A live sandbox store for the widget tests, and stores connected to it."""

from __future__ import annotations

import warnings
from typing import Any, Iterator

import pytest

import ocdata
from ocdata.cache import Cache
from ocdata.client.errors import OcdataWarning
from ocdata.sandbox import serve


@pytest.fixture(scope="session")
def sandbox() -> Iterator[Any]:
    with serve(store="rich") as shop:
        yield shop


def _connect(shop: Any, **options: Any) -> ocdata.Store:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", OcdataWarning)
        return ocdata.connect(shop.url, shop.username, shop.key, **options)


@pytest.fixture(scope="session")
def store(sandbox) -> Iterator[ocdata.Store]:
    """oc41 with storefront pricing: groups and destinations change prices, as in the checkout."""
    with _connect(sandbox, dialect="oc41", pricing="storefront") as s:
        s.countries()  # warm the country cache once for every test
        yield s


@pytest.fixture(scope="session")
def spec_store(sandbox) -> Iterator[ocdata.Store]:
    with _connect(sandbox, dialect="spec") as s:
        yield s


@pytest.fixture()
def memory_cache() -> Iterator[Cache]:
    cache = Cache(":memory:")
    yield cache
    cache.close()


class Wrapped:
    """A live store that records its calls and makes the named ones raise (error injection)."""

    def __init__(self, store: Any, **failures: BaseException) -> None:
        self._store = store
        self._failures = failures
        self.calls: list[str] = []

    def __getattr__(self, name: str) -> Any:
        target = getattr(self._store, name)
        if not callable(target):
            return target

        def call(*args: Any, **kwargs: Any) -> Any:
            self.calls.append(name)
            if name in self._failures:
                raise self._failures[name]
            return target(*args, **kwargs)

        return call


@pytest.fixture()
def wrap():
    return Wrapped
