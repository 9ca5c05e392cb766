"""API users of the sandbox store (OpenCart's ``oc_api`` + ``oc_api_ip`` tables).

Each user has a name, a key of 256 lowercase hex characters (what OpenCart's
installer generates), a status and an IP allow-list (loopback by default).
Both dialects authenticate against these users: ``oc41`` signs every call with
the key, ``spec`` logs in with it to obtain an ``api_token``.

Keys are secrets: they never appear in reprs, and lookups compare them in
constant time.
"""

from __future__ import annotations

import hmac
import ipaddress
import secrets
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field

DEFAULT_USERNAME = "Default"
DEFAULT_IPS: tuple[str, ...] = ("127.0.0.1", "::1")


def generate_key() -> str:
    """A new API key: 256 lowercase hex characters, like OpenCart's installer."""
    return secrets.token_hex(128)


def mask(secret: str) -> str:
    """A secret for display: none of its characters, only its length."""
    return f"********({len(secret)} chars)" if secret else "<none>"


def _normal_ip(ip: str) -> str:
    try:
        return ipaddress.ip_address(ip.strip()).compressed
    except ValueError:
        return ip.strip()


@dataclass
class ApiUser:
    """One API user. ``key`` is never shown by ``repr``."""

    api_id: int
    username: str
    key: str = field(repr=False)
    status: bool = True
    ips: set[str] = field(default_factory=lambda: set(DEFAULT_IPS))

    def __post_init__(self) -> None:
        self.ips = {_normal_ip(ip) for ip in self.ips}

    def __repr__(self) -> str:
        return (
            f"ApiUser(api_id={self.api_id}, username={self.username!r}, key={mask(self.key)}, "
            f"status={self.status}, ips={sorted(self.ips)})"
        )

    def allows(self, ip: str) -> bool:
        """Whether ``ip`` is on this user's allow-list (exact match, as ``oc_api_ip``)."""
        return ip in self.ips or _normal_ip(ip) in self.ips

    def key_matches(self, key: str) -> bool:
        return hmac.compare_digest(self.key.encode("utf-8"), key.encode("utf-8", "surrogateescape"))


class ApiUsers:
    """The store's API users; thread-safe.

    ``find`` matches names case-insensitively (MySQL's default collation does),
    and returns the user with the name *as stored*, which is what the oc41
    signature covers (PROTOCOL §1, transcripts 123/124).
    """

    def __init__(self) -> None:
        self._users: dict[int, ApiUser] = {}
        self._lock = threading.Lock()

    def add(
        self,
        username: str = DEFAULT_USERNAME,
        key: str | None = None,
        *,
        status: bool = True,
        ips: Iterable[str] = DEFAULT_IPS,
    ) -> ApiUser:
        """Create a user (a fresh key unless one is given) and return it."""
        with self._lock:
            if any(u.username.lower() == username.lower() for u in self._users.values()):
                raise ValueError(f"API user {username!r} already exists")
            api_id = max(self._users, default=0) + 1
            user = ApiUser(api_id, username, key or generate_key(), status, set(ips))
            self._users[api_id] = user
            return user

    def find(self, username: str, *, enabled_only: bool = True) -> ApiUser | None:
        """The user named ``username`` (any case), or ``None``."""
        wanted = username.lower()
        for user in list(self._users.values()):
            if user.username.lower() == wanted and (user.status or not enabled_only):
                return user
        return None

    def get(self, api_id: int) -> ApiUser | None:
        return self._users.get(api_id)

    def __iter__(self):
        return iter(list(self._users.values()))

    def __len__(self) -> int:
        return len(self._users)

    def __repr__(self) -> str:
        return f"ApiUsers({[u.username for u in self._users.values()]})"
