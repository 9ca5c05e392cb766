"""What the HTTP server hands a dialect front, and what the front hands back.

The server (``ocdata/sandbox/server.py``) owns sockets, routing, PHP-style body
parsing, latency injection and the sessions; a front owns one dialect's wire
semantics (which checks run, which error shapes and messages come back) over
the shared :class:`~ocdata.sandbox.engine.Engine`.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass
class Request:
    """One HTTP request as a front sees it.

    ``form`` is the POST body parsed and cleaned the way PHP/OpenCart does it
    (nested ``a[b][c]`` keys become nested dicts, every key and value
    HTML-escaped and trimmed), see :mod:`ocdata._php`, within PHP's input limits
    (``max_input_vars``, ``post_max_size``: what they dropped is announced in
    ``startup_warnings``).
    """

    method: str
    path: str
    query: dict[str, str]
    form: dict[str, Any]
    headers: dict[str, str]
    cookies: dict[str, str]
    client_ip: str
    host: str
    raw_body: bytes = b""
    #: PHP startup warnings (input limits) a real store prints before the script's output
    startup_warnings: list[str] = field(default_factory=list)


@dataclass
class Response:
    """A response in OpenCart's shape.

    ``body`` is a JSON-able object (serialised the way PHP's ``json_encode``
    does) or ``str``/``bytes`` sent verbatim (HTML error pages, stack traces).
    """

    body: Any
    status: int = 200
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)
    set_cookies: dict[str, str] = field(default_factory=dict)

    def encoded(self) -> bytes:
        if isinstance(self.body, bytes):
            return self.body
        if isinstance(self.body, str):
            return self.body.encode("utf-8")
        return php_json_encode(self.body).encode("utf-8")


#: Types ``php_json_value`` passes through unchanged (checked by exact type: the bulk of
#: an answer is strings, and skipping a call per leaf halves the walk).
_JSON_LEAVES = frozenset({str, int, bool, type(None)})


def php_json_value(obj: Any) -> Any:
    """``obj`` with every float that has no fractional part made an ``int``, as PHP's
    ``json_encode`` writes it (``101.0`` -> ``101``) without ``JSON_PRESERVE_ZERO_FRACTION``,
    which OpenCart never sets."""
    if type(obj) in _JSON_LEAVES:
        return obj
    if isinstance(obj, float):
        return int(obj) if obj.is_integer() and abs(obj) < 1e15 else obj
    if isinstance(obj, dict):
        return {k: v if type(v) in _JSON_LEAVES else php_json_value(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [v if type(v) in _JSON_LEAVES else php_json_value(v) for v in obj]
    return obj


def php_json_encode(obj: Any) -> str:
    """``json_encode`` as PHP 8 writes it: no spaces, ``/`` escaped, unicode escaped,
    integral floats as integers (:func:`php_json_value`)."""
    text = json.dumps(php_json_value(obj), separators=(",", ":"), ensure_ascii=True)
    return text.replace("/", "\\/")


class Front(Protocol):
    """A dialect front: answers the requests routed to it."""

    def handle(self, request: Request) -> Response: ...


@dataclass
class Session:
    """Server-side session data (OpenCart's ``$this->session->data``)."""

    id: str = field(repr=False)  # the spec dialect's api_token: a secret
    data: dict[str, Any] = field(default_factory=dict, repr=False)
    touched: float = field(default_factory=time.monotonic)
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False)


class SessionStore:
    """Thread-safe sessions keyed by id, expiring after ``ttl`` seconds idle.

    OpenCart session ids are 26 lowercase hex characters.
    """

    #: expired sessions are swept every this many creations, so a long run of
    #: one-off calls (each opens a session, as 4.1 does) does not grow without bound
    SWEEP_EVERY = 1024

    def __init__(self, ttl: float = 3600.0) -> None:
        self.ttl = ttl
        self._sessions: dict[str, Session] = {}
        self._lock = threading.Lock()
        self._created = 0

    def create(self, sid: str | None = None) -> Session:
        """A new session; ``sid`` adopts a client-chosen id as PHP does for a well-formed unknown id."""
        session = Session(sid or secrets.token_hex(13))
        with self._lock:
            self._sessions[session.id] = session
            self._created += 1
            if self._created % self.SWEEP_EVERY == 0:
                self._sweep(time.monotonic())
        return session

    def _sweep(self, now: float) -> None:
        stale = [k for k, v in self._sessions.items() if now - v.touched > self.ttl]
        for key in stale:
            del self._sessions[key]

    def __len__(self) -> int:
        with self._lock:
            return len(self._sessions)

    def get(self, sid: str | None) -> Session | None:
        """The live session with that id, or ``None`` if unknown or expired."""
        if not sid:
            return None
        now = time.monotonic()
        with self._lock:
            session = self._sessions.get(sid)
            if session is None:
                return None
            if now - session.touched > self.ttl:
                del self._sessions[sid]
                return None
            session.touched = now
            return session

    def drop(self, sid: str) -> None:
        with self._lock:
            self._sessions.pop(sid, None)

    def expire_all(self) -> None:
        """Forget every session (tests use it to simulate expiry)."""
        with self._lock:
            self._sessions.clear()
