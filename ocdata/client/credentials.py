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
import weakref
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from .errors import ConfigurationError

__all__ = ["Secret", "Credentials", "resolve_credentials", "redact", "register_secret", "mask", "config_path",
           "display_url"]

ENV_URL = "OCDATA_URL"
ENV_USERNAME = "OCDATA_API_USERNAME"
ENV_KEY = "OCDATA_API_KEY"
ENV_PROFILE = "OCDATA_PROFILE"
ENV_CONFIG = "OCDATA_CONFIG"

_MASK = "********"

# query/form fields (``key=…``, ``key%3D…``) and JSON members (``"key": "…"``) whose values are
# secret wherever they appear; prose such as "missing username, key: pass them…" is left alone
_SECRET_FIELD = re.compile(
    r"""(?ix)
    (?P<pre>(?:(?:^|[?&\s,{;])(?:api_token|token|key|signature|oc_sessid|ocsessid)(?:\s*=\s*|%3D))
          |(?:["'](?:api_token|token|key|signature|oc_sessid|ocsessid)["']\s*:\s*["']))
    (?P<val>[^&\s"',;}]+)
    """
)

# a value shorter than this is masked only as a whole token ("sesame", not the "sesame" in "sesames")
_WHOLE_TOKEN_BELOW = 16
_TOKEN_EDGE = r"[A-Za-z0-9_\-]"

_lock = threading.Lock()
# values of live credential objects (Secret, a session's token): never forgotten while their owner lives
_owned: dict[str, int] = {}
# values registered without an owner (e.g. one request's signature): the most recent 4096
_recent: deque[str] = deque(maxlen=4096)
_version = 0
_compiled: tuple[int, list[str], "re.Pattern[str] | None"] = (-1, [], None)


def display_url(url: str) -> str:
    """``url`` as it may be shown or stored: without a user name and password (``user:pw@``)."""
    try:
        parts = urlsplit(url)
    except ValueError:  # not a URL at all: show it without anything before an "@"
        return url.rsplit("@", 1)[-1] if "@" in url else url
    if "@" not in parts.netloc:
        return url
    host = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))


def mask(secret: str | None) -> str:
    """Masked form for display: never more than the last 3 characters of a long secret."""
    if not secret:
        return "<none>"
    return _MASK + secret[-3:] if len(secret) >= 24 else _MASK


def _release(value: str) -> None:
    global _version
    with _lock:
        left = _owned.get(value, 0) - 1
        if left > 0:
            _owned[value] = left
        else:
            _owned.pop(value, None)
            _recent.append(value)  # still masked for a while: it may sit in text made before
        _version += 1


def register_secret(value: str | None, owner: object | None = None) -> None:
    """Remember a secret value (key, token, signature) so :func:`redact` removes it from any text.

    With an ``owner`` (a :class:`Secret`, a server session) the value is kept as long as the owner
    lives, however many other secrets come and go; without one, among the 4096 most recent."""
    global _version
    if not value or len(value) < 6:
        return
    with _lock:
        if owner is not None:
            _owned[value] = _owned.get(value, 0) + 1
        elif value in _owned or value in _recent:
            return
        else:
            _recent.append(value)
        _version += 1
    if owner is not None:
        weakref.finalize(owner, _release, value)


def _known() -> tuple[list[str], "re.Pattern[str] | None"]:
    """Long secrets (replaced wherever they occur) and one pattern for the short ones (whole tokens)."""
    global _compiled
    with _lock:
        if _compiled[0] == _version:
            return _compiled[1], _compiled[2]
        values = sorted(set(_owned) | set(_recent), key=len, reverse=True)
        version = _version
    long_ = [v for v in values if len(v) >= _WHOLE_TOKEN_BELOW]
    short = [re.escape(v) for v in values if len(v) < _WHOLE_TOKEN_BELOW]
    pattern = re.compile(rf"(?<!{_TOKEN_EDGE})(?:{'|'.join(short)})(?!{_TOKEN_EDGE})") if short else None
    with _lock:
        _compiled = (version, long_, pattern)
    return long_, pattern


def redact(text: str) -> str:
    """``text`` with every known secret value and every secret-named field value masked."""
    if not text:
        return text
    long_, short = _known()
    for value in long_:
        if value in text:
            text = text.replace(value, _MASK)
    if short is not None:
        text = short.sub(_MASK, text)
    return _SECRET_FIELD.sub(lambda m: m.group("pre") + _MASK, text)


class Secret:
    """A string that never shows itself in ``repr``/``str``; use :meth:`reveal` to send it."""

    __slots__ = ("_value", "__weakref__")

    def __init__(self, value: str) -> None:
        self._value = value
        register_secret(value, owner=self)  # masked for as long as this object lives

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
        return (f"Credentials(url={display_url(self.url)!r}, username={self.username!r}, key={self.key!r}, "
                f"source={self.source!r})")


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
