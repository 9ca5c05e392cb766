"""Secrets stay masked however long the process runs, and masking leaves ordinary words alone (issue 13)."""

from __future__ import annotations

import gc
import secrets as _secrets

import pytest

import ocdata.client as oc
from ocdata.client.credentials import Secret, redact, register_secret
from ocdata.client.dialects.base import ServerSession
from ocdata.client.models import CartLine
from ocdata.client.errors import AuthenticationError, ConfigurationError, PermissionDeniedError

from faults import FaultProxy, always
from live_sandbox import Recorder, draft, start


@pytest.fixture(scope="module")
def sandbox():
    sb = start()
    yield sb
    sb.stop()


def test_a_live_key_is_masked_after_thousands_of_logins(sandbox):
    key = "live-" + _secrets.token_hex(24)
    echo = (200, '{"error": "API key %s is not valid"}' % key)
    with FaultProxy(sandbox.url, always("api/login", echo)) as proxy:
        store = oc.connect(proxy.url, "Default", key, dialect="spec", timeout=3)
        for i in range(5000):  # 5,000 logins' tokens, long gone
            register_secret(f"token-{i:032d}")
        gc.collect()
        with pytest.raises(AuthenticationError) as err:
            store.quote(draft())
        store.close()
    shown = f"{err.value} {err.value.body} {err.value!r} {err.value.message}"
    assert key not in shown and "is not valid" in shown


def test_a_live_session_token_outlives_thousands_of_other_secrets():
    session = ServerSession(token="tok-" + _secrets.token_hex(20))
    register_secret(session.token, owner=session)
    for i in range(5000):
        register_secret(f"other-{i:032d}")
    assert session.token not in redact(f"token {session.token} refused")


def test_short_secrets_are_masked_only_as_whole_tokens():
    keep = Secret("sesame")
    assert redact("open sesame, now") == "open ********, now"
    assert redact("sesames and sesameseed stay") == "sesames and sesameseed stay"
    assert keep.reveal() == "sesame"


def test_the_missing_settings_message_is_not_mangled(monkeypatch, tmp_path):
    for name in ("OCDATA_URL", "OCDATA_API_USERNAME", "OCDATA_API_KEY", "OCDATA_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("OCDATA_CONFIG", str(tmp_path / "none.toml"))
    Secret("set")  # too short to be registered: a 3-letter key must not mask every "set"
    with pytest.raises(ConfigurationError) as err:
        oc.connect("http://shop.example/")
    assert "missing username, key: pass them to ocdata.connect(), set OCDATA_URL/OCDATA_API_USERNAME/OCDATA_API_KEY" \
        in str(err.value)


def test_prose_around_secret_names_is_left_alone():
    assert redact("the key: set it in the profile") == "the key: set it in the profile"
    assert redact("api_token=abc123&route=x") == "api_token=********&route=x"
    assert redact('{"key": "abcdef123"}') == '{"key": "********"}'


def test_a_signature_echoed_in_a_403_is_masked(sandbox):
    echo = (403, '{"error": "You do not have permission to access this page.", "debug": "bad hmac {signature}"}')
    with FaultProxy(sandbox.url, always("api/order:cart", echo)) as proxy:
        store = oc.connect(proxy.url, sandbox.username, sandbox.key, dialect="oc41", timeout=3)
        with pytest.raises(PermissionDeniedError) as err:
            store.cart(draft())
        store.close()
    shown = f"{err.value} {err.value.body}"
    assert "bad hmac ********" in shown


def test_a_password_in_the_store_url_is_never_shown_or_stored(sandbox):
    password = "pw-" + _secrets.token_hex(6)
    url = sandbox.url.replace("http://", f"http://shopper:{password}@")
    hook = Recorder()
    store = oc.connect(url, sandbox.username, sandbox.key, dialect="spec", hook=hook, timeout=3)
    try:
        store.quote(draft())
        from ocdata.cache import store_identity

        shown = [repr(store), store.url, store.dialect.config.base_url, repr(store.dialect.config),
                 repr(store.dialect.config.credentials), str(store_identity(store)), *map(repr, hook.records)]
        with pytest.raises(Exception) as err:
            store.cart(draft(lines=(CartLine(product_id=999_999),)))
        shown.append(str(err.value))
    finally:
        store.close()
    assert all(password not in s and "shopper:" not in s for s in shown)
    assert store.url.startswith("http://127.0.0.1:")
    assert store.transport.headers["Authorization"].startswith("Basic ")
