"""Where the URL, API user name and key come from, and how secrets are kept out of sight.

Precedence, first found wins per setting: the arguments to :func:`ocdata.connect`, the
environment (``OCDATA_URL``, ``OCDATA_API_USERNAME``, ``OCDATA_API_KEY``, ``OCDATA_PROFILE``),
then a profile of the config file ``~/.config/ocdata/config.toml`` (``OCDATA_CONFIG``
overrides the path)::

    default = "shop"          # optional; else the profile named "default"

    [profiles.shop]
    url = "https://shop.example.com/"
    username = "Default"
    key = "…"

Secrets (the key, session tokens, request signatures) are masked in every repr and
removed from text by :func:`redact` before anything is logged, raised or stored.
"""

from __future__ import annotations

import os
import re
import threading
import tomllib
from collections import deque
from dataclasses import dataclass
from pathlib import Path

from .errors import ConfigurationError

__all__ = ["Secret", "Credentials", "resolve_credentials", "redact", "register_secret", "mask", "config_path"]

ENV_URL = "OCDATA_URL"
ENV_USERNAME = "OCDATA_API_USERNAME"
ENV_KEY = "OCDATA_API_KEY"
ENV_PROFILE = "OCDATA_PROFILE"
ENV_CONFIG = "OCDATA_CONFIG"

_MASK = "********"

# query/form/JSON fields whose values are secret wherever they appear
_SECRET_FIELD = re.compile(
    r"""(?ix)
    (?P<pre>(?:^|[?&\s"',{;])(?:api_token|token|key|signature|oc_sessid|ocsessid)
        (?:"?\s*[:=]\s*"?|%3D))
    (?P<val>[^&\s"',;}]+)
    """
)

_lock = threading.Lock()
_known: deque[str] = deque(maxlen=4096)


def mask(secret: str | None) -> str:
    """Masked form for display: never more than the last 3 characters of a long secret."""
    if not secret:
        return "<none>"
    return _MASK + secret[-3:] if len(secret) >= 24 else _MASK


def register_secret(value: str | None) -> None:
    """Remember a secret value (key, token) so :func:`redact` removes it from any text."""
    if value and len(value) >= 6:
        with _lock:
            if value not in _known:
                _known.append(value)


def redact(text: str) -> str:
    """``text`` with every known secret value and every secret-named field value masked."""
    if not text:
        return text
    with _lock:
        known = sorted(_known, key=len, reverse=True)
    for value in known:
        if value in text:
            text = text.replace(value, _MASK)
    return _SECRET_FIELD.sub(lambda m: m.group("pre") + _MASK, text)


class Secret:
    """A string that never shows itself in ``repr``/``str``; use :meth:`reveal` to send it."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value
        register_secret(value)

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return f"Secret({mask(self._value)!r})"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __bool__(self) -> bool:
        return bool(self._value)

    def __reduce__(self):  # pickling would write the key into caches/notebooks
        raise TypeError("Secret values cannot be pickled")


@dataclass(frozen=True)
class Credentials:
    url: str
    username: str
    key: Secret
    source: str = "arguments"

    def __repr__(self) -> str:
        return f"Credentials(url={self.url!r}, username={self.username!r}, key={self.key!r}, source={self.source!r})"


def config_path() -> Path:
    return Path(os.environ.get(ENV_CONFIG) or Path.home() / ".config" / "ocdata" / "config.toml")


def _profile(name: str | None) -> tuple[dict, str]:
    path = config_path()
    if not path.is_file():
        if name:
            raise ConfigurationError(f"profile {name!r} asked for but {path} does not exist; create it or unset {ENV_PROFILE}")
        return {}, ""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigurationError(f"cannot read {path}: {exc}; fix the TOML syntax") from None
    profiles = data.get("profiles", {})
    chosen = name or data.get("default") or ("default" if "default" in profiles else None)
    if chosen is None:
        return {}, ""
    if chosen not in profiles:
        raise ConfigurationError(
            f"profile {chosen!r} not found in {path}; known profiles: {sorted(profiles) or 'none'}"
        )
    return dict(profiles[chosen]), f"{path}[{chosen}]"


def resolve_credentials(
    url: str | None = None, username: str | None = None, key: str | None = None, *, profile: str | None = None
) -> Credentials:
    """Combine arguments, environment and config profile into :class:`Credentials`."""
    sources = []
    env = os.environ
    prof, prof_name = _profile(profile or env.get(ENV_PROFILE))

    def pick(arg, env_name, prof_key):
        if arg:
            sources.append("arguments")
            return arg
        if env.get(env_name):
            sources.append("environment")
            return env[env_name]
        if prof.get(prof_key):
            sources.append(prof_name)
            return str(prof[prof_key])
        return None

    url_v = pick(url, ENV_URL, "url")
    user_v = pick(username, ENV_USERNAME, "username")
    key_v = pick(key, ENV_KEY, "key")
    missing = [n for n, v in (("url", url_v), ("username", user_v), ("key", key_v)) if not v]
    if missing:
        raise ConfigurationError(
            f"missing {', '.join(missing)}: pass them to ocdata.connect(), set {ENV_URL}/{ENV_USERNAME}/{ENV_KEY}, "
            f"or add a profile to {config_path()}"
        )
    return Credentials(url=str(url_v), username=str(user_v), key=Secret(str(key_v)),
                       source="+".join(dict.fromkeys(sources)))
