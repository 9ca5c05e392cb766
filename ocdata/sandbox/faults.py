"""Fault injection for the sandbox: seeded, reproducible transport and server failures.

A :class:`FaultPlan` wraps the sandbox's request handling (the WSGI application the
HTTP server runs); the store engine and the dialect fronts never know. Each
:class:`FaultRule` picks requests by route (and oc41/spec ``call=``) and by when, and
does one thing to them. Every injection is logged (:attr:`FaultInjector.log`) with
whether the store acted, so a test can reason about "the store acted but the client
saw an error".

Kinds (``acted`` says whether the store processed the request, so its state may have changed;
an expired session is processed and refused by the store itself):

============== ======= =====================================================================
kind           acted   what the client sees
============== ======= =====================================================================
latency        yes     the real answer after ``ms`` (± ``jitter_ms``, uniform) milliseconds
drop_before    no      the connection closed without an answer
drop_after     yes     the store acted (state changed), then the connection closed, no answer
status         after   an HTTP ``status`` (500, 502, 503, 504) error page as Apache/nginx write
                       it, with ``Retry-After: retry_after`` when given; with ``after=true``
                       the store acted first (a gateway timing out on a slow store)
php_warning    yes     a PHP warning (``<b>Warning</b>: …``) before the real JSON
html_error     no      ``200 text/html``: OpenCart's maintenance page instead of JSON
truncate       yes     the real head (full ``Content-Length``), half the body, then close
drip           yes     the real answer sent in small pieces over ``ms`` milliseconds
expire_session yes     the request's session (spec ``api_token``, ``OCSESSID``) expires first;
                       the store answers its own "expired" error
blocked_ip     no      ``403`` Apache "Forbidden" page (a host-level IP deny)
redirect       no      ``status`` (default 302) to ``location`` (default ``/``)
============== ======= =====================================================================

When (one of, per rule; requests are counted among those the rule's route matches):
``probability`` (each request independently; the draw hashes the seed, the rule, the
request's content without its volatile parts — credentials, token, signature, time — and how many
times that same request was seen, so a run is reproducible whatever the interleaving of
concurrent clients, and a retry gets a fresh draw), ``nth`` (a list: the 3rd and 7th
matching requests, in arrival order) or ``every`` (every k-th). Rules are tried in order;
the first that fires wins. ``route`` is a glob over ``route=`` (``api/cart*``, ``*``);
``call`` matches ``call=`` exactly (``confirm``).

A plan can be given as a Python object, a dict, a YAML/JSON file, or an inline string
(``ocdata sandbox --faults SPEC``): rules separated by ``;``, each a space-separated list
of ``field=value`` (lists comma-separated), ``seed=N`` as its own item::

    seed=7; route=api/cart kind=503 probability=0.1 retry_after=2;
    route=api/order call=confirm kind=drop_after nth=3,7; kind=latency ms=50 jitter_ms=20 every=5

``kind=500|502|503|504`` is short for ``kind=status status=…``. The same plan as YAML::

    seed: 7
    rules:
      - {route: api/cart, kind: status, status: 503, probability: 0.1, retry_after: 2}
      - {route: api/order, call: confirm, kind: drop_after, nth: [3, 7]}
      - {kind: latency, ms: 50, jitter_ms: 20, every: 5}
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import random
import socket
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Literal
from urllib.parse import parse_qsl

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

__all__ = ["FaultInjector", "FaultPlan", "FaultRule", "Injected", "parse_faults"]

Kind = Literal[
    "latency", "drop_before", "drop_after", "status", "php_warning", "html_error", "truncate", "drip",
    "expire_session", "blocked_ip", "redirect",
]
#: Request fields that differ between otherwise identical requests (left out of the draw).
VOLATILE = frozenset({"api_token", "token", "signature", "time", "login_token", "user_token", "key", "password"})
ACTED = {"latency": True, "drop_before": False, "drop_after": True, "php_warning": True, "html_error": False,
         "truncate": True, "drip": True, "expire_session": True, "blocked_ip": False, "redirect": False}


class FaultRule(BaseModel):
    """Which requests get which fault (see the module doc)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Kind
    route: str = "*"
    call: str | None = None
    probability: float | None = Field(default=None, ge=0, le=1)
    nth: tuple[int, ...] = ()
    every: int | None = Field(default=None, ge=1)
    ms: float = Field(default=0, ge=0)
    jitter_ms: float = Field(default=0, ge=0)
    status: int | None = None
    retry_after: int | None = Field(default=None, ge=0)
    after: bool = False
    location: str = "/"
    message: str = 'Undefined array key "fault" in <b>/var/www/opencart/system/engine/loader.php</b> on line <b>1</b>'

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: Any) -> Any:
        if isinstance(data, dict) and str(data.get("kind", "")) in ("500", "502", "503", "504"):
            data = {**data, "status": int(data["kind"]), "kind": "status"}
        return data

    @field_validator("nth", mode="before")
    @classmethod
    def _nth(cls, value: Any) -> Any:
        if isinstance(value, (int, str)):
            value = [v for v in str(value).split(",") if v.strip()]
        return tuple(int(v) for v in value)

    @model_validator(mode="after")
    def _check(self) -> FaultRule:
        whens = sum(x is not None and x != () for x in (self.probability, self.nth or None, self.every))
        if whens > 1:
            raise ValueError("give one of probability, nth, every (none: every matching request)")
        if any(n < 1 for n in self.nth):
            raise ValueError("nth counts matching requests from 1")
        if self.kind == "status":
            if self.status not in (500, 502, 503, 504):
                raise ValueError("kind=status needs status 500, 502, 503 or 504")
        elif self.kind == "redirect":
            if self.status is not None and self.status not in (301, 302, 303, 307, 308):
                raise ValueError("a redirect's status is 301, 302, 303, 307 or 308")
        elif self.status is not None:
            raise ValueError(f"status does not apply to kind={self.kind}")
        return self

    @property
    def acted(self) -> bool:
        """Whether the store processes a request that gets this fault."""
        return self.after if self.kind == "status" else ACTED[self.kind]

    def matches(self, route: str, call: str) -> bool:
        return fnmatch.fnmatchcase(route, self.route) and (self.call is None or self.call == call)


class FaultPlan(BaseModel):
    """A seed and an ordered list of rules; the first rule that fires on a request wins."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    seed: int = 0
    rules: tuple[FaultRule, ...] = ()


@dataclass(frozen=True)
class Injected:
    """One injected fault: the ``seq``-th request the sandbox saw got ``kind`` from ``rule``."""

    seq: int
    method: str
    route: str
    call: str
    kind: str
    rule: int
    acted: bool
    status: int | None
    at: float


def _inline(text: str) -> dict[str, Any]:
    seed = 0
    rules = []
    for item in text.replace("\n", ";").split(";"):
        fields: dict[str, Any] = {}
        for token in item.split():
            name, sep, value = token.partition("=")
            if not sep or not name:
                raise ValueError(f"fault spec: {token!r} is not field=value (in {item.strip()!r})")
            fields[name.strip()] = value.strip()
        if not fields:
            continue
        if set(fields) == {"seed"}:
            seed = int(fields["seed"])
            continue
        for flag in ("after",):
            if flag in fields:
                fields[flag] = fields[flag].lower() in ("1", "true", "yes")
        rules.append(fields)
    return {"seed": seed, "rules": rules}


def parse_faults(spec: Any) -> FaultPlan:
    """A :class:`FaultPlan` from a plan, a dict, a ``.yml``/``.yaml``/``.json`` file path, or an
    inline string (module doc). Raises ``ValueError`` naming what is wrong."""
    if isinstance(spec, FaultPlan):
        return spec
    if isinstance(spec, FaultRule):
        return FaultPlan(rules=(spec,))
    if isinstance(spec, (list, tuple)):
        return FaultPlan(rules=tuple(spec))
    if isinstance(spec, Path) or (isinstance(spec, str) and spec.strip().lower().endswith((".yml", ".yaml", ".json"))):
        path = Path(spec)
        text = path.read_text(encoding="utf-8")
        if path.suffix.lower() == ".json":
            spec = json.loads(text)
        else:
            import yaml

            spec = yaml.safe_load(text) or {}
    elif isinstance(spec, str):
        spec = _inline(spec)
    try:
        return FaultPlan.model_validate(spec)
    except Exception as exc:  # pydantic's ValidationError is a ValueError: keep its field paths
        raise ValueError(f"invalid fault plan: {exc}") from exc


# --------------------------------------------------------------------------- pages

APACHE_PAGE = (
    '<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">\n<html><head>\n<title>{code} {phrase}</title>\n'
    "</head><body>\n<h1>{phrase}</h1>\n<p>{text}</p>\n</body></html>\n"
)
NGINX_PAGE = (
    "<html>\r\n<head><title>{code} {phrase}</title></head>\r\n<body>\r\n<center><h1>{code} {phrase}</h1></center>\r\n"
    "<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
)
PHRASES = {301: "Moved Permanently", 302: "Found", 303: "See Other", 307: "Temporary Redirect",
           308: "Permanent Redirect", 403: "Forbidden", 500: "Internal Server Error", 502: "Bad Gateway",
           503: "Service Unavailable", 504: "Gateway Time-out"}
MAINTENANCE_PAGE = (
    '<!DOCTYPE html>\n<html dir="ltr" lang="en">\n<head><meta charset="UTF-8"/><title>Maintenance</title></head>\n'
    "<body>\n<h1>Maintenance</h1>\n<p>We are currently performing some scheduled maintenance. "
    "We will be back as soon as possible. Please check back soon.</p>\n</body>\n</html>\n"
)


def _page(code: int) -> bytes:
    phrase = PHRASES[code]
    if code in (502, 503, 504):
        return NGINX_PAGE.format(code=code, phrase=phrase).encode()
    text = {403: "You don't have permission to access this resource.",
            500: "The server encountered an internal error or misconfiguration and was unable to complete "
                 "your request."}.get(code, "")
    return APACHE_PAGE.format(code=code, phrase=phrase, text=text).encode()


# --------------------------------------------------------------------------- the wrapper


class _Closed(Exception):
    """The fault closed the connection itself: the server must not answer."""


class FaultInjector:
    """A WSGI application injecting ``plan``'s faults around ``app`` (a ``SandboxApp``).

    The HTTP server passes the connection in the environ (``ocdata.connection``,
    ``ocdata.wfile``) so socket-level faults (drops, truncation, drip) can act on it, and
    reads ``ocdata.closed`` to know the answer was already handled.
    """

    def __init__(self, app: Any, plan: Any, *, sleep: Callable[[float], None] = time.sleep) -> None:
        self.app = app
        self.plan = parse_faults(plan)
        self.log: list[Injected] = []
        self._sleep = sleep
        self._lock = threading.Lock()
        self._seq = 0
        self._matched = [0] * len(self.plan.rules)
        self._seen: dict[tuple[int, str], int] = {}

    # ---- bookkeeping
    def reset(self, plan: Any = None) -> None:
        """Start over: a new plan (``None`` keeps the current one), an empty log, counters at 0."""
        with self._lock:
            if plan is not None:
                self.plan = parse_faults(plan)
            self.log = []
            self._seq = 0
            self._matched = [0] * len(self.plan.rules)
            self._seen = {}

    def injected(self, kind: str | None = None, route: str | None = None) -> list[Injected]:
        """The log, optionally only one kind and/or route."""
        with self._lock:
            return [i for i in self.log if (kind is None or i.kind == kind) and (route is None or i.route == route)]

    @property
    def requests_seen(self) -> int:
        return self._seq

    def _uniform(self, index: int, fingerprint: str) -> float:
        key = (index, fingerprint)
        occurrence = self._seen.get(key, 0)
        self._seen[key] = occurrence + 1
        digest = hashlib.sha256(f"{self.plan.seed}\0{index}\0{occurrence}\0{fingerprint}".encode()).digest()
        return int.from_bytes(digest[:8], "big") / 2**64

    def _choose(self, environ: dict[str, Any]) -> tuple[int, FaultRule | None, int, str, str]:
        query = dict(parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True))
        route, call = query.get("route", ""), query.get("call", "")
        body = environ.get("ocdata.raw_body") or b""
        stable = sorted((k, v) for k, v in query.items() if k not in VOLATILE)
        form = sorted((k, v) for k, v in parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)
                      if k not in VOLATILE) if body and len(body) < 1 << 20 else [len(body)]
        fingerprint = json.dumps([environ.get("REQUEST_METHOD", ""), stable, form])
        with self._lock:
            self._seq += 1
            seq = self._seq
            for index, rule in enumerate(self.plan.rules):
                if not rule.matches(route, call):
                    continue
                self._matched[index] += 1
                n = self._matched[index]
                if rule.probability is not None:
                    fire = self._uniform(index, fingerprint) < rule.probability
                elif rule.nth:
                    fire = n in rule.nth
                elif rule.every is not None:
                    fire = n % rule.every == 0
                else:
                    fire = True
                if fire:
                    return seq, rule, index, route, call
        return seq, None, -1, route, call

    # ---- WSGI
    def __call__(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        seq, rule, index, route, call = self._choose(environ)
        if rule is None:
            return self.app(environ, start_response)
        status = rule.status if rule.kind in ("status", "redirect") else None
        if rule.kind == "redirect":
            status = status or 302
        elif rule.kind == "blocked_ip":
            status = 403
        with self._lock:
            self.log.append(Injected(seq, environ.get("REQUEST_METHOD", ""), route, call, rule.kind, index,
                                     rule.acted, status, time.time()))
        try:
            return self._inject(rule, status, environ, start_response, seq)
        except _Closed:
            environ["ocdata.closed"] = True
            return []

    def _inject(self, rule: FaultRule, status: int | None, environ: dict[str, Any], start_response: Any,
                seq: int) -> list[bytes]:
        kind = rule.kind
        if kind == "latency":
            rng = random.Random(f"{self.plan.seed}:{seq}")
            self._sleep(max(0.0, rule.ms + rng.uniform(-rule.jitter_ms, rule.jitter_ms)) / 1000)
            return self.app(environ, start_response)
        if kind == "drop_before":
            self._drop(environ)
        if kind in ("blocked_ip", "html_error", "redirect") or (kind == "status" and not rule.after):
            return self._answer(rule, status, environ, start_response)
        if kind == "expire_session":
            expire = getattr(self.app, "expire_request_session", None)
            if expire is not None:
                expire(environ)
            return self.app(environ, start_response)
        # the store acts; the fault is applied to its answer
        head: list[Any] = []

        def capture(status_line: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            head[:] = [status_line, headers]
            return lambda data: None

        body = b"".join(self.app(environ, capture))
        status_line, headers = head
        if kind == "drop_after":
            self._drop(environ)
        if kind == "status":
            return self._answer(rule, status, environ, start_response)
        if kind == "php_warning":
            body = f"<b>Warning</b>: {rule.message}".encode() + body
            headers = [(k, str(len(body)) if k.lower() == "content-length" else v) for k, v in headers]
            start_response(status_line, headers)
            return [body]
        # truncate / drip write to the socket themselves
        self._send_raw(environ, status_line, headers, body, rule)
        raise _Closed

    def _answer(self, rule: FaultRule, status: int | None, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        if rule.kind == "html_error":
            body, status_line = MAINTENANCE_PAGE.encode(), "200 OK"
        else:
            assert status is not None
            body, status_line = (b"" if rule.kind == "redirect" else _page(status)), f"{status} {PHRASES[status]}"
        headers = [("Content-Type", "text/html; charset=UTF-8" if rule.kind == "html_error" else "text/html; charset=iso-8859-1"),
                   ("Content-Length", str(len(body)))]
        if rule.kind == "redirect":
            headers.append(("Location", rule.location))
        if rule.retry_after is not None:
            headers.append(("Retry-After", str(rule.retry_after)))
        start_response(status_line, headers)
        return [body]

    @staticmethod
    def _drop(environ: dict[str, Any]) -> None:
        conn: socket.socket | None = environ.get("ocdata.connection")
        if conn is not None:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        raise _Closed

    def _send_raw(self, environ: dict[str, Any], status_line: str, headers: list[tuple[str, str]], body: bytes,
                  rule: FaultRule) -> None:
        wfile = environ.get("ocdata.wfile")
        if wfile is None:  # not under the sandbox's HTTP server: nothing to cut
            self._drop(environ)
        head = f"HTTP/1.1 {status_line}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers) + "Connection: close\r\n\r\n"
        try:
            wfile.write(head.encode("latin-1"))
            if rule.kind == "truncate":
                wfile.write(body[: len(body) // 2])
                wfile.flush()
            else:  # drip: about 20 pieces over rule.ms
                step = max(1, -(-len(body) // 20))
                pieces = [body[start : start + step] for start in range(0, len(body), step)] or [b""]
                wfile.flush()
                for piece in pieces:
                    self._sleep(rule.ms / 1000 / len(pieces))  # before each piece: the last byte comes after ms
                    wfile.write(piece)
                    wfile.flush()
        except OSError:
            pass
        self._drop(environ)
