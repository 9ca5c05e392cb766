"""The sandbox store over HTTP: routing, PHP-style request parsing, cookies, a threaded server.

One server answers every enabled dialect at once, at ``/index.php?route=…`` and
``/?route=…`` (PHP_SELF is ``/index.php`` either way, oc41 PROTOCOL §1):

* ``route=localisation/country`` (unless ``oc30`` is the only front),
  ``checkout/checkout/country`` / ``account/account/country`` (3.0's, when ``oc30``
  is served) and ``tool/upload`` (with ``oc40`` or ``oc30``) →
  :class:`~ocdata.sandbox.fronts.storefront.StorefrontFront`;
* ``route=api/account/…``, ``api/sale/…``, ``api/localisation/…`` → the ``oc40``
  front when served; with ``oc30`` served, every other ``api/…`` route goes to it
  except ``api/order`` / ``api/subscription`` when ``oc41`` is served too (3.0's
  routes always carry a method: ``api/order/add``). ``oc30`` and ``spec`` both
  own ``api/login``, so one server never carries both;
* other ``route=api/…`` → ``spec`` or ``oc41``. Routes only the ``spec`` dialect has
  (``api/login``, ``api/cart/…``, ``api/customer``, …) go to it. ``api/order`` and
  ``api/subscription`` exist in both: a request carrying ``signature`` in the query
  is an oc41 call, one carrying ``api_token`` (query or POST) a spec call, anything
  else goes to oc41 (which refuses it with its 403). When ``spec`` is not served,
  they all go to oc41, so ``api_token`` gets 4.1's 500 and ``api/login`` its 403
  (transcripts 090–093); an ``oc40``-only server gives them to ``oc40`` (its 404);
* no route → a minimal home page; any other route or path → a 404 HTML page.

Which fronts a server carries: ``dialects=`` or, by default, the store's
(:func:`default_dialects`: its file's ``dialects:`` key, else by its OpenCart
version — 4.1 stores serve ``oc41`` + ``spec``, 4.0 stores ``oc40``, 3.0 stores
``oc30``).

Every response carries ``Access-Control-Allow-Origin: *`` (observed on 4.1) and the
storefront cookies 4.1 sets on every request: ``OCSESSID`` (the request's own id
when it has the format PHP accepts, else a new 26-hex id, unless the front set
one) and ``currency`` (only when the request's cookie is missing or not an enabled
currency, as 4.1 does: transcript 047). A front suppresses a default cookie by
setting it to ``None`` in ``Response.set_cookies``.

Request values are what OpenCart's controllers see: query and POST parsed like
PHP (nested ``a[b][]`` arrays; ``$_POST`` only for form-encoded POST bodies) and
cleaned by ``Request::clean`` (:mod:`ocdata._php`); the client IP is the first
valid IP of the forwarding headers 4.1 trusts (:func:`client_ip`).

PHP's input limits apply before any routing or auth, as on a real store (so a
hostile body costs the same bounded CPU whatever its size): ``max_input_vars``
(1000 per source; a form POST keeps the 1001st, PHP counts after registering),
``max_input_nesting_level`` (64) and ``post_max_size`` (8M: the body is read and
discarded and ``$_POST`` stays empty); what they drop is announced by PHP's startup
warning printed before the answer. What Apache itself refuses gets Apache's error
page, never the standard library's: a body shorter than its ``Content-Length`` (or a
truncated chunk) is a 400 and the store does not act; ``TRACE``/``CONNECT`` a 405
(``TraceEnable Off``); a body over 1 GiB (``LimitRequestBody``) a 413. Any other
method reaches the store, as Apache hands it to PHP.

No request ever gets a Python traceback: an exception in a front is logged on
the ``ocdata.sandbox`` logger (route only — query strings and bodies carry
secrets) and answered with a 500 plain-text PHP-style fatal error.

Server choice: a small HTTP/1.1 server on :mod:`http.server` with one thread per
connection (:class:`socketserver.ThreadingMixIn`), keep-alive and TCP_NODELAY.
werkzeug's threaded dev server would do functionally, but it closes every
connection (``Connection: close``), so each request pays a TCP handshake and a
new thread — it measured about a third slower at 16 concurrent pooled clients —
and it logs every request line (which carries oc41 signatures) and calls
``sys.exit`` when the port is taken. The WSGI application (:class:`SandboxApp`)
runs under any WSGI server too.
"""

from __future__ import annotations

import email.utils
import http.server
import io
import logging
import re
import secrets
import socket
import socketserver
import sys
import threading
import time
from collections.abc import Iterable
from itertools import islice
from http import HTTPStatus
from pathlib import Path
from typing import Any
from urllib.parse import unquote, unquote_plus, urlsplit

from ocdata._php import (
    MAX_INPUT_VARS,
    POST_MAX_SIZE,
    clean,
    form_pairs,
    parse_body,
    parse_pairs,
)
from ocdata.sandbox.apiusers import DEFAULT_USERNAME, ApiUser, ApiUsers, mask
from ocdata.sandbox.fronts import DIALECTS  # every front the sandbox has
from ocdata.sandbox.faults import FaultInjector
from ocdata.sandbox.fronts.base import Request, Response, SessionStore
from ocdata.sandbox.fronts.oc30 import Oc30Front
from ocdata.sandbox.fronts.oc40 import PREFIXES as OC40_PREFIXES
from ocdata.sandbox.fronts.oc40 import Oc40Front
from ocdata.sandbox.fronts.oc41_auth import Oc41Auth
from ocdata.sandbox.fronts.spec import SHARED_ROUTES, SPEC_ROUTES, SpecFront
from ocdata.sandbox.fronts.storefront import CLASSIC_ROUTES
from ocdata.sandbox.fronts.storefront import ROUTE as COUNTRY_ROUTE
from ocdata.sandbox.fronts.storefront import UPLOAD_ROUTE, StorefrontFront

LOG = logging.getLogger("ocdata.sandbox")

#: PHP's ``session.gc_maxlifetime`` default: 3.0's API session data dies after this long idle
OC30_SESSION_TTL = 1440.0
DEFAULT_STORE = "rich"
#: Forwarding headers 4.1.0.4 takes the client IP from, in its order (PROTOCOL §3).
CLIENT_IP_HEADERS = (
    "HTTP_CF_CONNECTING_IP",
    "HTTP_X_FORWARDED_FOR",
    "HTTP_X_REAL_IP",
    "HTTP_X_CLIENT_IP",
    "HTTP_CLIENT_IP",
    "HTTP_X_CLUSTER_CLIENT_IP",
)
SCRIPT_PATHS = frozenset({"/", "/index.php"})
#: Session ids PHP/OpenCart accept from a cookie (``Session::start``).
SESSION_ID = re.compile(r"^[a-zA-Z0-9,\-]{22,52}$")
SESSION_COOKIE_AGE = 86400
CURRENCY_COOKIE_AGE = 30 * 86400
#: Bodies up to PHP's ``post_max_size`` are read and parsed; a larger one (up to
#: Apache's default ``LimitRequestBody``, 1 GiB) is read and discarded, and the script
#: runs with an empty ``$_POST`` and PHP's startup warning, as on a real store.
MAX_BODY = POST_MAX_SIZE
LIMIT_REQUEST_BODY = 1024**3
#: PHP's startup warnings as its default HTML error format prints them (before OpenCart's
#: own handler exists), ahead of whatever the script then answers.
STARTUP_WARNING = (
    "<br />\n<b>Warning</b>:  PHP Request Startup: {message} in <b>Unknown</b> on line <b>0</b><br />\n"
)
VARS_EXCEEDED = "Input variables exceeded {limit}. To increase the limit change max_input_vars in php.ini."
POST_TOO_LARGE = "POST Content-Length of {length} bytes exceeds the limit of {limit} bytes"
CORS = (("Access-Control-Allow-Origin", "*"),)

NOT_FOUND_PAGE = (
    "<!DOCTYPE html>\n<html dir=\"ltr\" lang=\"en\">\n<head><meta charset=\"UTF-8\"/>"
    "<title>The page you requested cannot be found!</title></head>\n<body>\n"
    "<h1>The page you requested cannot be found!</h1>\n"
    "<p>The page you requested cannot be found.</p>\n</body>\n</html>\n"
)
HOME_PAGE = (
    "<!DOCTYPE html>\n<html dir=\"ltr\" lang=\"en\">\n<head><meta charset=\"UTF-8\"/>"
    "<title>{name}</title></head>\n<body>\n<h1>{name}</h1>\n"
    "<p>ocdata sandbox store. API: <code>index.php?route=api/…</code>; countries: "
    "<code>index.php?route=localisation/country&amp;country_id=222</code>.</p>\n</body>\n</html>\n"
)
#: Apache 2.4's error document, for what Apache itself refuses before PHP runs.
APACHE_ERROR_PAGE = (
    '<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">\n<html><head>\n<title>{code} {phrase}</title>\n'
    "</head><body>\n<h1>{phrase}</h1>\n<p>{explain}</p>\n</body></html>\n"
)
APACHE_EXPLAIN = {
    400: "Your browser sent a request that this server could not understand.",
    413: "The requested resource does not allow request data with POST requests, or the amount of data "
    "provided in the request exceeds the capacity limit.",
    431: "Your browser sent a request that this server could not understand.",
    505: "The HTTP version of the request is not supported.",
}
FATAL_ERROR = (
    "<b>Fatal error</b>: Uncaught {kind} in the sandbox store; the details are in the "
    "server log (logger ocdata.sandbox)."
)


# --------------------------------------------------------------------------- request parsing


def _valid_ip(text: str) -> bool:
    text = text.strip()
    if not text:
        return False
    try:
        socket.inet_pton(socket.AF_INET6 if ":" in text else socket.AF_INET, text)
    except (OSError, ValueError):
        return False
    return True


def client_ip(environ: dict[str, Any]) -> str:
    """The client IP as 4.1.0.4 determines it: the first valid IP among
    ``CF-Connecting-IP``, ``X-Forwarded-For`` (its first element), ``X-Real-IP``,
    ``X-Client-IP``, ``Client-IP``, ``X-Cluster-Client-IP``, else the socket peer.

    The headers are trusted blindly, exactly like the real store (any client can
    claim an allow-listed IP, transcripts 025/026).
    """
    for name in CLIENT_IP_HEADERS:
        value = environ.get(name)
        if value:
            candidate = value.split(",")[0].strip() if name == "HTTP_X_FORWARDED_FOR" else value.strip()
            if _valid_ip(candidate):
                return candidate
    return environ.get("REMOTE_ADDR", "")


def _php_cookies(header: str) -> dict[str, str]:
    """``$_COOKIE``: ``;``-separated pairs, values URL-decoded, the first of a name wins
    (at most ``max_input_vars`` of them, as PHP counts)."""
    cookies: dict[str, str] = {}
    for count, part in enumerate(header.split(";", MAX_INPUT_VARS)):
        if count == MAX_INPUT_VARS:
            break
        name, sep, value = part.strip().partition("=")
        if sep and name and name not in cookies:
            cookies[name] = clean(unquote_plus(value))
    return cookies


def _headers(environ: dict[str, Any]) -> dict[str, str]:
    headers = {}
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            headers[key[5:].replace("_", "-").title()] = value
    if environ.get("CONTENT_TYPE"):
        headers["Content-Type"] = environ["CONTENT_TYPE"]
    if environ.get("CONTENT_LENGTH"):
        headers["Content-Length"] = environ["CONTENT_LENGTH"]
    return headers


def _read_body(environ: dict[str, Any]) -> bytes:
    raw = environ.get("ocdata.raw_body")
    if raw is not None:
        return raw
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    stream = environ.get("wsgi.input")
    if stream is None:
        return b""
    if length > 0:
        return stream.read(min(length, MAX_BODY))
    if environ.get("wsgi.input_terminated"):
        return stream.read(MAX_BODY)
    return b""


def _post_form(
    method: str, content_type: str, body: bytes, environ: dict[str, Any], warnings: list[str]
) -> dict[str, Any]:
    """``$_POST``: filled only for POST with a form content type, as PHP does, within
    ``max_input_vars`` (what is dropped is announced in ``warnings``)."""
    if method != "POST" or not body:
        return {}
    from werkzeug.exceptions import RequestEntityTooLarge

    kind = content_type.split(";", 1)[0].strip().lower()
    if kind == "application/x-www-form-urlencoded":
        pairs = form_pairs(body, MAX_INPUT_VARS, source="post")
    elif kind == "multipart/form-data":
        from werkzeug.formparser import parse_form_data

        sub = dict(environ)
        sub["wsgi.input"] = io.BytesIO(body)
        sub["CONTENT_LENGTH"] = str(len(body))
        try:
            _, form, _ = parse_form_data(sub, max_form_parts=MAX_INPUT_VARS + 2)
        except RequestEntityTooLarge:  # PHP keeps the first parts; this keeps none, and warns
            form = None
        pairs = [] if form is None else list(islice(form.items(multi=True), MAX_INPUT_VARS + 1))
        if form is None:
            pairs = [("", "")] * (MAX_INPUT_VARS + 1)
    else:
        return {}
    if len(pairs) > MAX_INPUT_VARS:
        warnings.append(STARTUP_WARNING.format(message=VARS_EXCEEDED.format(limit=MAX_INPUT_VARS)))
    return parse_pairs(pairs)


def build_request(environ: dict[str, Any]) -> Request:
    """The :class:`Request` a front sees for a WSGI environ."""
    method = environ.get("REQUEST_METHOD", "GET").upper()
    warnings: list[str] = []
    query_string = environ.get("QUERY_STRING", "")
    # one pass over the query: one variable past the limit says whether PHP warns
    query_pairs = form_pairs(query_string, MAX_INPUT_VARS + 1, source="get")
    if len(query_pairs) > MAX_INPUT_VARS:
        warnings.append(STARTUP_WARNING.format(message=VARS_EXCEEDED.format(limit=MAX_INPUT_VARS)))
        del query_pairs[MAX_INPUT_VARS:]
    too_large = environ.get("ocdata.post_too_large")
    if too_large is None:
        try:
            too_large = int(environ.get("CONTENT_LENGTH") or 0) if method == "POST" else 0
        except ValueError:
            too_large = 0
        too_large = too_large if too_large > POST_MAX_SIZE else None
    if too_large is not None:
        # PHP reads nothing of such a body: $_POST stays empty and the script still runs
        warnings.append(STARTUP_WARNING.format(message=POST_TOO_LARGE.format(length=too_large, limit=POST_MAX_SIZE)))
        body = b""
    else:
        body = _read_body(environ)
    content_type = environ.get("CONTENT_TYPE", "")
    return Request(
        method=method,
        path=environ.get("PATH_INFO", "") or "/",
        query=clean(parse_pairs(query_pairs)),
        form=clean(_post_form(method, content_type, body, environ, warnings)),
        headers=_headers(environ),
        cookies=_php_cookies(environ.get("HTTP_COOKIE", "")),
        client_ip=client_ip(environ),
        host=environ.get("HTTP_HOST", ""),
        raw_body=body,
        startup_warnings=warnings,
    )


# --------------------------------------------------------------------------- the application


_expiry_cache: dict[int, tuple[int, str]] = {}


def _expires(max_age: int) -> str:
    """The ``expires`` date of a cookie set now (formatted once per second)."""
    now = int(time.time())
    cached = _expiry_cache.get(max_age)
    if cached is None or cached[0] != now:
        cached = (now, email.utils.formatdate(now + max_age, usegmt=True))
        _expiry_cache[max_age] = cached
    return cached[1]


def _cookie(name: str, value: str, max_age: int, same_site: str) -> str:
    return f"{name}={value}; expires={_expires(max_age)}; Max-Age={max_age}; path=/; HttpOnly; SameSite={same_site}"


def default_dialects(engine: Any) -> tuple[str, ...]:
    """The fronts a store is served with by default: its file's ``dialects``, else by version."""
    chosen = tuple(getattr(engine.store, "dialects", ()) or ())
    if chosen:
        return chosen
    major_minor = tuple(engine.version[:2])
    if major_minor == (4, 0):
        return ("oc40",)
    if major_minor < (4, 0):
        return ("oc30",)
    return ("oc41", "spec")


class SandboxApp:
    """The WSGI application: routes requests to the dialect fronts (see the module doc)."""

    def __init__(
        self,
        engine: Any,
        users: ApiUsers,
        *,
        dialects: Iterable[str] | None = None,
        latency_ms: float = 0,
        token_ttl: float = 3600.0,
        session_ttl: float = float(SESSION_COOKIE_AGE),
    ) -> None:
        dialects = default_dialects(engine) if dialects is None else tuple(dialects)
        unknown = set(dialects) - set(DIALECTS)
        if unknown or not dialects:
            raise ValueError(f"dialects must be a non-empty subset of {DIALECTS}, got {dialects}")
        if {"spec", "oc30"} <= set(dialects):
            raise ValueError("spec and oc30 both answer route=api/login: serve them from two sandboxes")
        self.engine = engine
        self.users = users
        self.dialects = dialects
        self.latency_ms = latency_ms
        self.storefront = StorefrontFront(engine, classic=tuple(engine.version[:2]) < (4, 1))
        uploads = self.storefront.uploads
        self._storefront_routes = (CLASSIC_ROUTES if "oc30" in dialects else frozenset()) | (
            frozenset() if dialects == ("oc30",) else frozenset({COUNTRY_ROUTE}))
        if "oc40" in dialects or "oc30" in dialects:
            self._storefront_routes |= {UPLOAD_ROUTE}
        self.oc41 = Oc41Auth(engine, users, SessionStore(session_ttl)) if "oc41" in dialects else None
        self.spec = SpecFront(engine, users, SessionStore(token_ttl)) if "spec" in dialects else None
        # 4.0/3.0: token_ttl is the oc_api_session row's idle life, session_ttl the PHP session's
        self.oc40 = Oc40Front(engine, users, SessionStore(session_ttl), api_ttl=token_ttl,
                                uploads=uploads) if "oc40" in dialects else None
        self.oc30 = (Oc30Front(engine, users, SessionStore(min(session_ttl, OC30_SESSION_TTL)), api_ttl=token_ttl,
                                uploads=uploads)
                     if "oc30" in dialects else None)
        settings = engine.store.settings
        self._default_currency = settings.currency
        self._currencies = frozenset(c.code for c in engine.store.currencies if c.status)
        self._home = HOME_PAGE.format(name=settings.name).encode("utf-8")

    # ---- routing
    def dispatch(self, request: Request) -> Response:
        """The response for one request (never raises)."""
        route = request.query.get("route", "")
        if not isinstance(route, str):
            route = ""
        try:
            if request.path not in SCRIPT_PATHS:
                return Response(NOT_FOUND_PAGE, status=404, content_type="text/html; charset=utf-8")
            if route.startswith("api/"):
                return self._api(request, route)
            if route in self._storefront_routes:
                response = self.storefront.handle(request)
                if self.oc30 is not None:
                    response.set_cookies.update(self.oc30.COOKIES)  # 3.0 sets its language cookie everywhere
                return response
            if route in ("", "common/home"):
                return Response(self._home, content_type="text/html; charset=utf-8")
            return Response(NOT_FOUND_PAGE, status=404, content_type="text/html; charset=utf-8")
        except Exception as exc:  # the store never shows a Python traceback
            LOG.exception("sandbox: unhandled %s answering route %r", type(exc).__name__, route[:100])
            return Response(FATAL_ERROR.format(kind=type(exc).__name__), status=500, content_type="text/html; charset=UTF-8")

    def _api(self, request: Request, route: str) -> Response:
        spec, oc41 = self.spec, self.oc41
        if self.oc40 is not None and (route.startswith(OC40_PREFIXES) or not (spec or oc41 or self.oc30)):
            return self.oc40.handle(request)
        if self.oc30 is not None and (oc41 is None or route not in SHARED_ROUTES):
            return self.oc30.handle(request)
        if spec is not None and "signature" not in request.query:
            if route in SPEC_ROUTES and route not in SHARED_ROUTES:
                return spec.handle(request)
            if "api_token" in request.query or "api_token" in request.form:
                return spec.handle(request)
        if oc41 is not None:
            return oc41.handle(request)
        if spec is not None:
            return spec.handle(request)
        return self.oc40.handle(request)  # type: ignore[union-attr]  # an oc40 server without oc41/spec

    def expire_request_session(self, environ: dict[str, Any]) -> None:
        """Expire the sessions a request names (spec ``api_token``, ``OCSESSID``): fault injection."""
        query = parse_body(environ.get("QUERY_STRING", ""), source="get")
        form = parse_body(environ.get("ocdata.raw_body") or b"")
        cookies = _php_cookies(environ.get("HTTP_COOKIE", ""))
        for front in (self.spec, self.oc41):
            if front is None:
                continue
            for sid in (query.get("api_token"), form.get("api_token"), cookies.get("OCSESSID")):
                if isinstance(sid, str) and sid:
                    front.sessions.drop(sid)

    # ---- cookies
    def _set_cookies(self, request: Request, response: Response) -> list[str]:
        chosen = response.set_cookies
        out: list[str] = []
        if "OCSESSID" in chosen:
            sid = chosen["OCSESSID"]
        else:
            sid = request.cookies.get("OCSESSID")
            if not isinstance(sid, str) or not SESSION_ID.match(sid):
                sid = secrets.token_hex(13)
        if sid:
            out.append(_cookie("OCSESSID", sid, SESSION_COOKIE_AGE, "Strict"))
        if "currency" in chosen:
            currency = chosen["currency"]
        else:
            asked = request.cookies.get("currency")
            currency = None if asked in self._currencies else self._default_currency
        if currency:
            out.append(_cookie("currency", currency, CURRENCY_COOKIE_AGE, "Lax"))
        for name, value in chosen.items():
            if name not in ("OCSESSID", "currency") and value is not None:
                out.append(f"{name}={value}; path=/")
        return out

    # ---- WSGI
    def __call__(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        if self.latency_ms > 0:
            time.sleep(self.latency_ms / 1000.0)
        try:
            request = build_request(environ)
        except Exception as exc:
            LOG.exception("sandbox: could not parse a request (%s)", type(exc).__name__)
            request = None
        if request is None:
            response = Response(FATAL_ERROR.format(kind="RequestError"), status=400, content_type="text/html; charset=UTF-8")
            cookies: list[str] = []
        else:
            response = self.dispatch(request)
            cookies = self._set_cookies(request, response)
        body = response.encoded()
        if request is not None and request.startup_warnings:
            body = "".join(request.startup_warnings).encode("utf-8") + body
        headers = [("Content-Type", response.content_type), ("Content-Length", str(len(body)))]
        headers.extend(CORS)
        headers.extend(response.headers.items())
        headers.extend(("Set-Cookie", c) for c in cookies)
        status = HTTPStatus(response.status)
        start_response(f"{status.value} {status.phrase}", headers)
        return [body]


# --------------------------------------------------------------------------- HTTP server


class _Headers:
    """Request headers: case-insensitive ``get``, ``items`` in arrival order (duplicates joined)."""

    __slots__ = ("_by_name",)

    def __init__(self) -> None:
        self._by_name: dict[str, tuple[str, str]] = {}

    def add(self, name: str, value: str) -> None:
        key = name.lower()
        old = self._by_name.get(key)
        self._by_name[key] = (name, value if old is None else f"{old[1]}, {value}")

    def get(self, name: str, default: str = "") -> str:
        found = self._by_name.get(name.lower())
        return default if found is None else found[1]

    def items(self) -> list[tuple[str, str]]:
        return list(self._by_name.values())


class _Handler(http.server.BaseHTTPRequestHandler):
    """HTTP/1.1 keep-alive handler running the WSGI app in the connection's thread.

    Request line and headers are parsed here instead of by ``http.server`` (which
    runs the ``email`` package's parser: as much CPU as answering a request).
    """

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    timeout = 300  # idle keep-alive connections are closed after this many seconds
    server_version = "ocdata-sandbox"
    sys_version = ""

    def setup(self) -> None:
        super().setup()
        self.server.track(self.connection, True)  # type: ignore[attr-defined]

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.track(self.connection, False)  # type: ignore[attr-defined]

    def parse_request(self) -> bool:
        self.command = None  # type: ignore[assignment]
        self.request_version = "HTTP/1.1"  # error replies get a status line (no HTTP/0.9 here)
        self.close_connection = True
        requestline = str(self.raw_requestline, "iso-8859-1").rstrip("\r\n")
        self.requestline = requestline
        words = requestline.split()
        if not words:
            return False
        if len(words) != 3 or not words[2].startswith("HTTP/"):
            self.send_error(HTTPStatus.BAD_REQUEST, "Bad request syntax")
            return False
        command, path, version = words
        try:
            major, minor = (int(part) for part in version[5:].split(".", 1))
        except ValueError:
            self.send_error(HTTPStatus.BAD_REQUEST, "Bad request version")
            return False
        if major >= 2:
            self.send_error(HTTPStatus.HTTP_VERSION_NOT_SUPPORTED)
            return False
        self.command, self.path, self.request_version = command, path, version
        headers = _Headers()
        for _ in range(101):
            line = self.rfile.readline(65537)
            if len(line) > 65536:
                self.send_error(HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, "Line too long")
                return False
            if line in (b"\r\n", b"\n", b""):
                break
            name, sep, value = str(line, "iso-8859-1").partition(":")
            if sep and name.strip():
                headers.add(name.strip(), value.strip())
        else:
            self.send_error(HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, "Too many headers")
            return False
        self.headers = headers  # type: ignore[assignment]
        connection = headers.get("Connection").lower()
        self.close_connection = connection == "close" or (major, minor) < (1, 1)  # no HTTP/1.0 keep-alive
        if headers.get("Expect").lower() == "100-continue" and (major, minor) >= (1, 1):
            return self.handle_expect_100()
        return True

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        # request lines carry signatures and tokens: never log them
        pass

    def send_error(self, code: int, message: str | None = None, explain: str | None = None,
                   headers: Iterable[tuple[str, str]] = ()) -> None:
        """An Apache-style error page (never the standard library's), then close."""
        status = HTTPStatus(code)
        text = explain or APACHE_EXPLAIN.get(status.value, status.description)
        body = APACHE_ERROR_PAGE.format(code=status.value, phrase=status.phrase, explain=text).encode("latin-1")
        self.close_connection = True
        self.send_response(status.value)
        self.send_header("Content-Type", "text/html; charset=iso-8859-1")
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _not_allowed(self) -> None:
        # TraceEnable Off, as hardened Apache stores run; CONNECT is no proxy here
        self.send_error(
            HTTPStatus.METHOD_NOT_ALLOWED,
            explain=f"The requested method {self.command} is not allowed for this URL.",
            headers=[("Allow", "GET,POST,OPTIONS,HEAD")],
        )

    def __getattr__(self, name: str) -> Any:
        # any other method goes to the store, as Apache hands it to PHP (do_TRACE etc. are set)
        if name.startswith("do_"):
            return self._run
        raise AttributeError(name)

    def _drain(self, length: int) -> bool:
        """Read and discard ``length`` bytes; False if the client stopped sending first."""
        while length > 0:
            chunk = self.rfile.read(min(length, 65536))
            if not chunk:
                return False
            length -= len(chunk)
        return True

    def _incomplete(self) -> None:
        self.send_error(HTTPStatus.BAD_REQUEST, explain="The request body ended before its announced length.")

    def _read_body(self) -> tuple[bytes, int | None] | None:
        """``(body, None)``, or ``(b"", length)`` for a body over ``post_max_size`` (read
        and discarded), or ``None`` once an error has been answered. A body shorter than
        its ``Content-Length`` (or a chunk shorter than its size) is a 400: the store
        never acts on part of a request."""
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks: list[bytes] = []
            size = 0
            while True:
                line = self.rfile.readline(65537)
                try:
                    length = int(line.split(b";")[0].strip(), 16)
                except ValueError:
                    self.send_error(400, explain="Bad chunked body.")
                    return None
                if length < 0:
                    self.send_error(400, explain="Bad chunked body.")
                    return None
                if length == 0:
                    while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                        pass
                    return (b"".join(chunks), None) if size <= MAX_BODY else (b"", size)
                size += length
                if size > LIMIT_REQUEST_BODY:
                    self.send_error(413)
                    return None
                if size > MAX_BODY:
                    chunks.clear()
                    if not self._drain(length):
                        self._incomplete()
                        return None
                else:
                    chunk = self.rfile.read(length)
                    if len(chunk) < length:
                        self._incomplete()
                        return None
                    chunks.append(chunk)
                self.rfile.readline(65537)
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if length < 0:
            self.send_error(400, explain="Bad Content-Length.")
            return None
        if length > LIMIT_REQUEST_BODY:
            self.send_error(413)
            return None
        if length > MAX_BODY:
            if not self._drain(length):
                self._incomplete()
                return None
            return b"", length
        body = self.rfile.read(length) if length > 0 else b""
        if len(body) < length:
            self._incomplete()
            return None
        return body, None

    def _run(self) -> None:
        read = self._read_body()
        if read is None:
            return
        body, too_large = read
        target = self.path
        if not target.startswith("/"):
            parts = urlsplit(target)
            target = (parts.path or "/") + ("?" + parts.query if parts.query else "")
        path, _, query = target.partition("?")
        environ: dict[str, Any] = {
            "REQUEST_METHOD": self.command,
            "SCRIPT_NAME": "",
            "PATH_INFO": unquote(path, "latin-1"),
            "QUERY_STRING": query,
            "CONTENT_TYPE": self.headers.get("Content-Type", ""),
            "CONTENT_LENGTH": str(len(body)),
            "SERVER_NAME": self.server.server_name,  # type: ignore[attr-defined]
            "SERVER_PORT": str(self.server.server_port),  # type: ignore[attr-defined]
            "SERVER_PROTOCOL": self.request_version,
            "REMOTE_ADDR": self.client_address[0],
            "REMOTE_PORT": str(self.client_address[1]),
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(body),
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": True,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
            "ocdata.raw_body": body,
            # for fault injection (ocdata.sandbox.faults), which may cut the connection itself
            "ocdata.connection": self.connection,
            "ocdata.wfile": self.wfile,
        }
        if too_large is not None:
            environ["ocdata.post_too_large"] = too_large
        for name, value in self.headers.items():
            key = "HTTP_" + name.upper().replace("-", "_")
            if key in ("HTTP_CONTENT_TYPE", "HTTP_CONTENT_LENGTH"):
                continue
            environ[key] = environ[key] + "," + value if key in environ else value

        status_line: list[str] = []
        headers: list[tuple[str, str]] = []

        def start_response(status: str, response_headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            status_line[:] = [status]
            headers[:] = response_headers
            return lambda data: None

        data = b"".join(self.server.app(environ, start_response))  # type: ignore[attr-defined]
        if environ.get("ocdata.closed"):  # a fault already answered (or not) and closed
            self.close_connection = True
            return
        head = [f"{self.protocol_version} {status_line[0]}\r\n", f"Date: {self.date_time_string()}\r\n"]
        head += [f"{name}: {value}\r\n" for name, value in headers]
        if self.close_connection:
            head.append("Connection: close\r\n")
        head.append("\r\n")
        payload = "".join(head).encode("latin-1")
        if self.command != "HEAD":
            payload += data
        self.wfile.write(payload)

    def handle_one_request(self) -> None:
        try:
            super().handle_one_request()
        except (ConnectionError, TimeoutError, OSError):
            self.close_connection = True

    do_GET = do_POST = do_HEAD = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _run
    do_TRACE = do_CONNECT = _not_allowed


class _Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    block_on_close = False
    request_queue_size = 128
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], app: Any, family: int) -> None:
        self.address_family = family
        self.app = app
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind resolves the FQDN, which can stall on DNS
        socketserver.TCPServer.server_bind(self)
        self.server_name = self.server_address[0]
        self.server_port = self.server_address[1]

    def track(self, conn: socket.socket, alive: bool) -> None:
        with self._connections_lock:
            if alive:
                self._connections.add(conn)
            else:
                self._connections.discard(conn)

    def close_connections(self) -> None:
        with self._connections_lock:
            conns = list(self._connections)
        for conn in conns:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


# --------------------------------------------------------------------------- public API


def _engine_for(store: Any) -> Any:
    """An engine for a built-in store name, a store file path, a loaded store or an engine."""
    from ocdata.sandbox.engine import Engine
    from ocdata.sandbox.model import StoreConfig

    if isinstance(store, Engine):
        return store
    if store is None:
        store = DEFAULT_STORE
    if not isinstance(store, StoreConfig):
        from ocdata.sandbox import storefile

        store = storefile.load(Path(store) if isinstance(store, Path) else store)
    return Engine(store)


class Sandbox:
    """An embedded OpenCart-compatible store served over HTTP.

    Use :func:`serve` (which starts it) or ``with Sandbox(...) as sandbox:``.
    ``url`` is the base URL ending in ``/``; ``username``/``key`` are the API
    credentials (the key is masked in ``repr``). ``faults`` is the
    :class:`~ocdata.sandbox.faults.FaultInjector` when started with ``faults=`` (its ``log``
    says which request got which fault; ``faults.reset(plan)`` starts over), else None.
    """

    def __init__(
        self,
        store: Any = None,
        *,
        port: int = 0,
        host: str = "127.0.0.1",
        latency_ms: float = 0,
        dialects: Iterable[str] | None = None,
        token_ttl: float = 3600.0,
        session_ttl: float = float(SESSION_COOKIE_AGE),
        username: str = DEFAULT_USERNAME,
        key: str | None = None,
        webhooks: Any = None,
        faults: Any = None,
    ) -> None:
        self.engine = _engine_for(store)
        self.users = ApiUsers()
        self.user: ApiUser = self.users.add(username, key)
        self.app = SandboxApp(
            self.engine,
            self.users,
            dialects=dialects,
            latency_ms=latency_ms,
            token_ttl=token_ttl,
            session_ttl=session_ttl,
        )
        #: the fault injector (``faults.log`` says which request got which fault), or None
        self.faults: FaultInjector | None = None
        if faults is not None:
            self.faults = FaultInjector(self.app, faults)
        self.host = host
        self.port = port
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._stopped = threading.Event()
        self.emitter = None
        if webhooks:
            from ocdata.sandbox.webhooks import Emitter, webhooks_of

            self.emitter = Emitter(self.engine, webhooks_of(webhooks), lambda: self.url)

    def webhook_log(self) -> Any:
        """Every webhook delivery attempt so far as a DataFrame (empty without webhooks)."""
        from ocdata.sandbox.webhooks import delivery_frame

        return delivery_frame(self.emitter.deliveries() if self.emitter else [])

    # ---- credentials and addresses
    @property
    def username(self) -> str:
        return self.user.username

    @property
    def key(self) -> str:
        return self.user.key

    def storedb(self) -> Any:
        """This store's own data (catalog, customers, orders) as :mod:`ocdata.storedb` frames, read live."""
        from ocdata.storedb.sandbox import SandboxStoreDB  # lazily: the HTTP server does not need it

        return SandboxStoreDB(self.engine)

    @property
    def dialects(self) -> tuple[str, ...]:
        return self.app.dialects

    @property
    def latency_ms(self) -> float:
        return self.app.latency_ms

    @latency_ms.setter
    def latency_ms(self, value: float) -> None:
        self.app.latency_ms = value

    @property
    def url(self) -> str:
        host = self.host
        if host in ("", "0.0.0.0"):
            host = "127.0.0.1"
        elif host == "::":
            host = "::1"
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.port}/"

    @property
    def running(self) -> bool:
        return self._server is not None and not self._stopped.is_set()

    # ---- lifecycle
    def start(self) -> Sandbox:
        """Bind the port and serve in a daemon thread (idempotent)."""
        if self._server is not None:
            return self
        info = socket.getaddrinfo(self.host or None, self.port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
        family, _, _, _, address = info[0]
        self._server = _Server((address[0], address[1]), self.faults or self.app, family)
        self.port = self._server.server_port
        self._stopped.clear()
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.2}, name=f"ocdata-sandbox:{self.port}", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop accepting, close open connections and release the port."""
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.close_connections()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        if self.emitter is not None:
            self.emitter.stop()
        self._stopped.set()

    def wait(self) -> None:
        """Block until :meth:`stop` is called (or Ctrl-C, which propagates)."""
        while not self._stopped.wait(0.5):
            pass

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return (
            f"Sandbox(url={self.url!r}, store={self.engine.store.key!r}, dialects={self.dialects}, "
            f"username={self.username!r}, key={mask(self.key)}, {state})"
        )


def serve(
    port: int = 0,
    store: Any = None,
    latency_ms: float = 0,
    dialects: Iterable[str] | None = None,
    host: str = "127.0.0.1",
    faults: Any = None,
    **options: Any,
) -> Sandbox:
    """Start a sandbox store in a background thread and return it.

    ``store`` is a built-in store name (``"stock"``, ``"rich"`` — the default), a
    store file path, a loaded :class:`~ocdata.sandbox.model.StoreConfig` or an
    :class:`~ocdata.sandbox.engine.Engine`. ``latency_ms`` delays every request.
    ``dialects``: the fronts served (any of ``oc41``, ``spec``, ``oc40``, ``oc30``;
    not ``spec`` with ``oc30``); default: the store's (:func:`default_dialects`).
    ``options``: ``token_ttl`` (idle lifetime of a spec ``api_token`` and of a 4.0/3.0
    ``oc_api_session`` row, s), ``session_ttl`` (OCSESSID sessions and 4.0's API session
    data; 3.0's data lives at most 1440 s), ``username``, ``key``, ``webhooks`` (a
    :class:`~ocdata.sandbox.webhooks.Webhook`, a dict of its fields, or a list: every order,
    customer and product change is sent there, signed; see :mod:`ocdata.sandbox.webhooks`).
    ``faults`` injects seeded, reproducible failures (a :class:`~ocdata.sandbox.faults.FaultPlan`,
    dict, YAML/JSON path or inline string, see :mod:`ocdata.sandbox.faults`); ``sandbox.faults.log``
    records them.
    Use it as a context manager to stop it: ``with serve() as sandbox: ...``.
    """
    return Sandbox(store, port=port, host=host, latency_ms=latency_ms, dialects=dialects, faults=faults,
                   **options).start()
