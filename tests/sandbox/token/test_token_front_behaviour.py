"""Which fronts a sandbox carries, how one server routes several, and 4.0/3.0 session rules
the recordings show only once (checked here on their own, with the clock and the store moved)."""

from __future__ import annotations

import pytest
import requests
from token_replay import KEY, make_app, store_of

from ocdata.sandbox.engine import Engine
from ocdata.sandbox.fronts.base import Request
from ocdata.sandbox.server import default_dialects, serve
from ocdata.sandbox.storefile import StoreFileError, loads_store


@pytest.mark.parametrize("store,expected", [
    ("stock", ("oc41", "spec")), ("rich", ("oc41", "spec")), ("oc40", ("oc40",)), ("oc30", ("oc30",)),
])
def test_each_built_in_store_gets_the_fronts_of_its_version(store, expected):
    assert default_dialects(Engine(store_of(store))) == expected


def test_a_store_file_names_its_fronts(tmp_path):
    store = loads_store("extends: rich\nkey: mine\ndialects: [oc40, oc41]\n", base_dir=tmp_path)
    assert store.dialects == ("oc40", "oc41")
    with serve(store=store) as sandbox:
        assert sandbox.dialects == ("oc40", "oc41")
        login = requests.post(sandbox.url + "index.php?route=api/account/login",
                              data={"username": sandbox.username, "key": sandbox.key}, timeout=10)
        assert len(login.json()["api_token"]) == 26
    with pytest.raises(StoreFileError, match="dialects"):
        loads_store("extends: rich\ndialects: [oc50]\n", base_dir=tmp_path)
    with pytest.raises(StoreFileError, match="api/login"):
        loads_store("extends: rich\ndialects: [spec, oc30]\n", base_dir=tmp_path)


def test_spec_and_oc30_cannot_share_a_server():
    with pytest.raises(ValueError, match="api/login"):
        serve(store="rich", dialects=("spec", "oc30"))


def _request(route: str, **query: str) -> Request:
    return Request("POST", "/index.php", {"route": route, **query}, {}, {}, {}, "127.0.0.1", "127.0.0.1")


def test_one_server_routes_each_dialect_to_its_front():
    app = make_app("oc30")  # the 3.0 store behind 4.1's and 3.0's fronts at once
    app.__init__(app.engine, app.users, dialects=("oc41", "oc30"))
    assert app.dispatch(_request("api/order", call="cart")).status == 403  # 4.1's refusal of an unsigned call
    assert app.dispatch(_request("api/order/add")).body == {"error": "Warning: You do not have permission to access the API!"}
    assert app.dispatch(_request("api/login")).body == []  # 3.0's failed login
    assert app.dispatch(_request("checkout/checkout/country", country_id="222")).status == 200
    alone = make_app("oc30")
    assert alone.dispatch(_request("localisation/country", country_id="222")).status == 404  # not a 3.0 route


def _login(app, route: str) -> str:
    request = _request(route)
    request.form = {"username": "Default", "key": KEY}
    return app.dispatch(request).body["api_token"]


@pytest.mark.parametrize("dialect,login,cart", [("oc40", "api/account/login", "api/sale/cart"),
                                                ("oc30", "api/login", "api/cart/products")])
def test_a_token_dies_idle_but_its_cookie_still_opens_the_session(dialect, login, cart):
    app = make_app(dialect)
    front = app.oc40 if dialect == "oc40" else app.oc30
    token = _login(app, login)
    assert app.dispatch(_request(cart, api_token=token)).status == 200
    front.sessions.get(token).data["api"].api_touched -= front.api_ttl + 1  # an hour without a query-token call
    refused = app.dispatch(_request(cart, api_token=token))
    assert (refused.status, refused.content_type) == ((500, "text/html; charset=UTF-8") if dialect == "oc40" else
                                                      (200, "application/json"))
    by_cookie = _request(cart)
    by_cookie.cookies = {"OCSESSID": token}  # PROTOCOL §3: the cookie skips the oc_api_session row
    assert "products" in app.dispatch(by_cookie).body


def test_3_0_session_data_lives_24_minutes_and_4_0_a_day():
    oc30, oc40 = make_app("oc30"), make_app("oc40")
    assert oc30.oc30.sessions.ttl == 1440 and oc40.oc40.sessions.ttl == 86400
