"""connect()'s default prices as the checkout does; the one-off approximation is opt-in and says so."""

from __future__ import annotations

import warnings

import pytest

import ocdata.client as oc
from ocdata.client.errors import OcdataWarning

from live_sandbox import LONDON, LOS_ANGELES, draft, start


@pytest.fixture(scope="module")
def sandbox():
    sb = start()
    yield sb
    sb.stop()


def _tax(quote) -> set[str]:
    return {t.title for o in quote.options for t in o.totals if t.code == "tax"}


def test_default_on_4_1_is_storefront_pricing_without_a_warning(sandbox):
    with warnings.catch_warnings():
        warnings.simplefilter("error", OcdataWarning)
        with oc.connect(sandbox.url, sandbox.username, sandbox.key) as store:  # auto: the sandbox answers as 4.1
            assert store.dialect_name == "oc41" and store.pricing == "storefront"
            assert not any("VAT" in t for t in _tax(store.quote(draft(LOS_ANGELES))))
            assert any("VAT" in t for t in _tax(store.quote(draft(LONDON))))


def test_api_pricing_warns_once_what_it_ignores(sandbox):
    with oc.connect(sandbox.url, sandbox.username, sandbox.key, dialect="oc41", pricing="api") as store:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            store.quote(draft(LOS_ANGELES))
            store.quote(draft(LONDON))
        mine = [str(w.message) for w in caught if issubclass(w.category, OcdataWarning)]
        assert len(mine) == 1 and "store's own address" in mine[0] and "customer group" in mine[0]
    assert "ignores the destination" in oc.connect.__doc__


def test_session_dialects_accept_the_default(sandbox):
    with oc.connect(sandbox.url, sandbox.username, sandbox.key, dialect="spec") as store:
        assert store.pricing == "session"
