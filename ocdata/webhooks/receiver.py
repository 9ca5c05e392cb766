"""An HTTP receiver for webhook deliveries: verify, validate, store once, answer.

``serve()`` starts one in a background thread (``ocdata events serve`` runs it in the
foreground)::

    with ocdata.webhooks.serve(secret="s3cret", db="events.duckdb") as receiver:
        receiver.url            # give this URL and the secret to the store
        ocdata.events(db="events.duckdb")

Each refusal has its own status, and nothing is stored for any of them:

======  ====================================================================================
200     stored (``{"status": "stored", "id": ...}``)
400     the body is not UTF-8 JSON, or its ``id`` differs from the ``X-Ocdata-Event-Id`` header
401     missing or wrong signature
403     timestamp outside the window (an old delivery replayed, or the sender's clock is off)
404     not the receiver's path
405     not a POST
409     this event id is already stored (a sender retrying an acknowledged delivery can stop)
411     no Content-Length
413     body larger than ``max_bytes``
415     not ``application/json``
422     valid JSON that is not a delivery of a known type (the field errors are in the answer)
503     the cache file is held by another process (``Retry-After`` says when to try again)
======  ====================================================================================

The signature is checked on the raw bytes before anything is parsed.
"""

from __future__ import annotations

import http.server
import json
import logging
import secrets as _secrets
import socketserver
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pydantic

from ocdata.cache import CacheError, CacheLockedError
from ocdata.client.credentials import Secret, mask

from .payload import parse_event
from .signing import DEFAULT_WINDOW, HEADER_ID, HEADER_SIGNATURE, HEADER_TIMESTAMP, timestamp_ok, verify_signature
from .storage import EventLog

__all__ = ["Receiver", "serve", "Outcome"]

log = logging.getLogger("ocdata.webhooks")

MAX_BYTES = 1 << 20


@dataclass(frozen=True)
class Outcome:
    """What the receiver answered one delivery (kept in :attr:`Receiver.outcomes`)."""

    status: int
    code: str
    event_id: str | None = None
    detail: str = ""
    at: float = field(default_factory=time.time)


class _Refused(Exception):
    def __init__(self, status: int, code: str, detail: str, **headers: str) -> None:
        super().__init__(detail)
        self.status, self.code, self.detail, self.headers = status, code, detail, headers


class Receiver:
    """Receives signed deliveries at ``url`` and stores them in the cache file ``db``."""

    def __init__(self, secret: str | Secret | None = None, *, db: str | Path | None = None, port: int = 0,
                 host: str = "127.0.0.1", path: str = "/", window: float = DEFAULT_WINDOW,
                 max_bytes: int = MAX_BYTES) -> None:
        value = secret.reveal() if isinstance(secret, Secret) else secret
        if value is not None and len(value) < 16:
            raise ValueError("a webhook secret needs at least 16 characters (omit it to get a random one)")
        self.secret = Secret(value or _secrets.token_urlsafe(32))
        self.log = EventLog(db)
        self.host, self.port, self.path = host, port, "/" + path.strip("/")
        self.window, self.max_bytes = float(window), int(max_bytes)
        self.outcomes: list[Outcome] = []
        self._outcomes_lock = threading.Lock()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def db(self) -> str:
        return self.log.path

    @property
    def url(self) -> str:
        host = "127.0.0.1" if self.host in ("", "0.0.0.0") else self.host
        return f"http://{host}:{self.port}{self.path if self.path != '/' else '/'}"

    # ---- one delivery
    def refuse_size(self) -> tuple[int, dict[str, Any], dict]:
        """The 413 for a body announced larger than ``max_bytes`` (not read at all)."""
        detail = f"a delivery may have at most {self.max_bytes} bytes"
        with self._outcomes_lock:
            self.outcomes.append(Outcome(413, "too_large", None, detail))
        return 413, {"error": "too_large", "detail": detail}, {}

    def handle(self, method: str, path: str, headers: Any, body: bytes | None) -> tuple[int, dict[str, Any], dict]:
        """Decide one delivery: ``(status, answer JSON, extra headers)``. Stores it when accepted."""
        try:
            event_id = self._accept(method, path, headers, body)
            outcome = Outcome(200, "stored", event_id)
            answer, extra = {"status": "stored", "id": event_id}, {}
        except _Refused as r:
            outcome = Outcome(r.status, r.code, headers.get(HEADER_ID) if headers else None, r.detail)
            answer, extra = {"error": r.code, "detail": r.detail}, r.headers
        except Exception as exc:  # answer 500 (the sender retries) rather than drop the connection
            log.exception("webhook receiver failed")
            outcome = Outcome(500, "internal_error", headers.get(HEADER_ID) if headers else None, type(exc).__name__)
            answer, extra = {"error": "internal_error", "detail": "the receiver failed; try again"}, {}
        with self._outcomes_lock:
            self.outcomes.append(outcome)
        log.info("webhook %s -> %s %s", outcome.event_id, outcome.status, outcome.code)
        return outcome.status, answer, extra

    def _accept(self, method: str, path: str, headers: Any, body: bytes | None) -> str:
        if path.split("?", 1)[0].rstrip("/") != self.path.rstrip("/"):
            raise _Refused(404, "not_found", f"deliveries go to {self.path}")
        if method != "POST":
            raise _Refused(405, "method_not_allowed", "deliveries are POSTed", Allow="POST")
        if body is None:
            raise _Refused(411, "length_required", "send a Content-Length")
        if len(body) > self.max_bytes:
            raise _Refused(413, "too_large", f"a delivery may have at most {self.max_bytes} bytes")
        if (headers.get("Content-Type") or "").split(";")[0].strip().lower() != "application/json":
            raise _Refused(415, "unsupported_media_type", "send Content-Type: application/json")
        stamp = (headers.get(HEADER_TIMESTAMP) or "").strip()
        if not verify_signature(self.secret, stamp, body, headers.get(HEADER_SIGNATURE) or ""):
            raise _Refused(401, "bad_signature", f"{HEADER_SIGNATURE} does not sign {HEADER_TIMESTAMP} and the "
                                                 "body with this receiver's secret: check the secret configured "
                                                 "on the store")
        if not timestamp_ok(stamp, self.window):
            raise _Refused(403, "stale_timestamp", f"{HEADER_TIMESTAMP} is more than {self.window:g} s from the "
                                                   "receiver's clock: a replayed delivery, or a clock to set right")
        try:
            payload = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError):
            raise _Refused(400, "malformed_json", "the body is not UTF-8 JSON") from None
        try:
            event = parse_event(payload if isinstance(payload, dict) else body)
        except pydantic.ValidationError as exc:
            errors = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'body'}: {e['msg']}" for e in exc.errors()[:10])
            raise _Refused(422, "invalid_event", errors) from None
        header_id = headers.get(HEADER_ID)
        if header_id is not None and header_id != event.id:
            raise _Refused(400, "id_mismatch", f"{HEADER_ID} ({header_id}) is not the body's id ({event.id})")
        try:
            stored = self.log.add(event, body)
        except CacheLockedError:
            raise _Refused(503, "busy", "the cache is held by another process; try again", **{"Retry-After": "2"})
        except CacheError as exc:
            raise _Refused(503, "storage_error", str(exc), **{"Retry-After": "30"}) from None
        if not stored:
            raise _Refused(409, "duplicate", f"event {event.id} is already stored")
        return event.id

    # ---- lifecycle
    def start(self) -> "Receiver":
        if self._server is None:
            self._server = _Server((self.host, self.port), self)
            self.port = self._server.server_port
            self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.2},
                                            name=f"ocdata-webhooks:{self.port}", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
            if self._thread is not None:
                self._thread.join(timeout=5)

    def wait(self) -> None:
        while self._thread is not None and self._thread.is_alive():
            self._thread.join(0.5)

    def __enter__(self) -> "Receiver":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "running" if self._server is not None else "stopped"
        return f"Receiver(url={self.url!r}, db={self.db!r}, secret={mask(self.secret.reveal())}, {state})"


class _Handler(http.server.BaseHTTPRequestHandler):
    server: "_Server"
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the receiver logs outcomes itself
        pass

    def _answer(self) -> None:
        receiver = self.server.receiver
        length = self.headers.get("Content-Length")
        body: bytes | None = None
        if length is not None:
            try:
                n = int(length)
            except ValueError:
                n = -1
            if n < 0:
                self._send(400, {"error": "bad_length", "detail": "Content-Length is not a size"}, {})
                return
            if n > receiver.max_bytes:  # refuse before reading it
                self.close_connection = True
                status, answer, extra = receiver.refuse_size()
                self._send(status, answer, extra)
                return
            body = self.rfile.read(n)
            if len(body) < n:
                self.close_connection = True
                return
        status, answer, extra = receiver.handle(self.command, self.path, self.headers, body)
        self._send(status, answer, extra)

    def _send(self, status: int, answer: dict, extra: dict) -> None:
        data = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in extra.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    do_POST = do_GET = do_PUT = do_DELETE = do_PATCH = _answer


class _Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], receiver: Receiver) -> None:
        self.receiver = receiver
        super().__init__(address, _Handler)


def serve(secret: str | Secret | None = None, *, db: str | Path | None = None, port: int = 0,
          host: str = "127.0.0.1", **options: Any) -> Receiver:
    """Start a :class:`Receiver` in a background thread (a context manager that stops it).

    ``secret``: the shared secret (at least 16 characters; a random one when omitted, read it
    from ``receiver.secret.reveal()``); ``db``: the cache file (default: the ocdata cache);
    ``options``: ``path``, ``window`` (seconds of clock difference accepted), ``max_bytes``.
    """
    return Receiver(secret, db=db, port=port, host=host, **options).start()
