"""Where credentials come from, and that the key never shows."""

from __future__ import annotations

import pickle

import pytest

from ocdata.client.credentials import Secret, mask, redact, register_secret, resolve_credentials
from ocdata.client.errors import ConfigurationError

KEY = "f" * 40 + "SECRETKEYTAIL"


@pytest.fixture(autouse=True)
def clean_env(monkeypatch, tmp_path):
    for name in ("OCDATA_URL", "OCDATA_API_USERNAME", "OCDATA_API_KEY", "OCDATA_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("OCDATA_CONFIG", str(tmp_path / "config.toml"))
    return tmp_path / "config.toml"


def test_arguments_win_over_environment(monkeypatch):
    monkeypatch.setenv("OCDATA_URL", "http://env/")
    monkeypatch.setenv("OCDATA_API_USERNAME", "EnvUser")
    monkeypatch.setenv("OCDATA_API_KEY", KEY)
    c = resolve_credentials(url="http://arg/")
    assert (c.url, c.username, c.key.reveal()) == ("http://arg/", "EnvUser", KEY)
    assert c.source == "arguments+environment"


def test_config_profiles(clean_env, monkeypatch):
    clean_env.write_text(f'default = "shop"\n[profiles.shop]\nurl = "http://shop/"\nusername = "Default"\nkey = "{KEY}"\n'
                         f'[profiles.other]\nurl = "http://other/"\nusername = "U2"\nkey = "{KEY}2"\n')
    assert resolve_credentials().url == "http://shop/"
    assert resolve_credentials(profile="other").username == "U2"
    monkeypatch.setenv("OCDATA_PROFILE", "other")
    assert resolve_credentials().url == "http://other/"
    with pytest.raises(ConfigurationError, match="known profiles"):
        resolve_credentials(profile="nope")


def test_missing_settings_say_where_to_put_them():
    with pytest.raises(ConfigurationError) as err:
        resolve_credentials(url="http://x/")
    message = str(err.value)
    assert "username, key" in message and "OCDATA_API_KEY" in message and "config.toml" in message


def test_key_is_masked_everywhere():
    c = resolve_credentials("http://x/", "Default", KEY)
    for shown in (repr(c), str(c), repr(c.key), str(c.key), f"{c.key}"):
        assert KEY not in shown and "SECRETKEYTAIL" not in shown
    assert mask(KEY).endswith("AIL") and len(mask("short")) == 8
    with pytest.raises(TypeError):
        pickle.dumps(Secret(KEY))


def test_redact_removes_known_values_and_secret_fields():
    register_secret("tok3n-value-123")
    text = ('GET /index.php?route=api/x&api_token=abc123&signature=Zm9v%2B%3D&time=1 key=hunter2 '
            '{"api_token":"zzz"} tok3n-value-123')
    out = redact(text)
    for secret in ("abc123", "Zm9v", "hunter2", "zzz", "tok3n-value-123"):
        assert secret not in out
    assert "route=api/x" in out and "time=1" in out
