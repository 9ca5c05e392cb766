"""HTTP for every dialect: pooled sessions per thread, retries where safe, one hook per request.

* Each thread gets its own pair of :class:`requests.Session` objects (connection pool of
  ``max(workers, 10)``): one retries connect errors and 502/503/504 with exponential backoff
  and jitter, for calls that are safe to repeat; the other retries only connect errors
  (the request never left this machine), for calls that write orders.
* No cookie is ever kept by the sessions: a dialect that needs one (oc41 storefront pricing)
  passes its own per-scenario jar and reads ``HttpAnswer.cookies``, parsed from the answer's
  ``Set-Cookie`` lines only when asked (stores set cookies on every answer; requests would
  parse them into two jars per answer).
* The hook (``connect(hook=...)``) and the ``ocdata.client`` DEBUG log receive a
  :class:`RequestRecord` per request, with secrets already removed.
* Requests are prepared here, not by ``Session.request``: the store URL is normalised by
  requests once per URL, the query and form arrive encoded, and the session keeps no
  cookies or settings to merge, so per request only the headers are put together and
  ``Session.send`` (adapters, retries, hooks) does the rest. That is a fifth of the
  client's CPU per request, which at 8 concurrent quotes is time other threads wait for
  the interpreter lock.
"""

from __future__ import annotations

import http.cookiejar
import http.cookies
import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence
from urllib.parse import urlencode, urlsplit

import requests
from requests.adapters import HTTPAdapter
from requests.cookies import RequestsCookieJar
from requests.structures import CaseInsensitiveDict
from requests.utils import get_encoding_from_headers
from urllib3.util.retry import Retry

from .credentials import redact
from .errors import TransportError

__all__ = ["Transport", "HttpAnswer", "RequestRecord", "Hook"]

log = logging.getLogger("ocdata.client")

USER_AGENT = "ocdata-client/0.1 (+python-requests)"

# urllib3 logs request lines (with api_token / signature) and retried URLs at DEBUG
_THIRD_PARTY_LOGGERS = ("urllib3.connectionpool", "urllib3.connection", "urllib3.util.retry", "urllib3.poolmanager",
                        "requests")


class _RedactingFilter(logging.Filter):
    """Rewrites a log record whose text carries a secret; a logger filter, so it runs for every handler."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken record is the logging module's business
            return True
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        return True


_FILTER = _RedactingFilter()
for _name in _THIRD_PARTY_LOGGERS:
    if _FILTER not in logging.getLogger(_name).filters:
        logging.getLogger(_name).addFilter(_FILTER)


@dataclass(frozen=True)
class RequestRecord:
    """What the hook sees of one HTTP request. No secret is ever in here."""

    dialect: str
    route: str
    call: str | None
    method: str
    url: str  # redacted
    status: int | None
    elapsed_ms: float
    bytes_sent: int
    bytes_received: int
    error: str | None = None


Hook = Callable[[RequestRecord], None]


@dataclass
class HttpAnswer:
    status: int
    headers: Mapping[str, str]
    text: str
    elapsed_ms: float
    url: str  # redacted
    set_cookie: tuple[str, ...] = field(default=(), repr=False)  # the raw Set-Cookie lines

    @property
    def cookies(self) -> dict[str, str]:
        """The cookies this answer sets, by name."""
        jar: http.cookies.SimpleCookie = http.cookies.SimpleCookie()
        for line in self.set_cookie:
            try:
                jar.load(line)
            except http.cookies.CookieError:
                continue  # a malformed cookie is the store's problem, not a reason to lose the answer
        return {name: morsel.value for name, morsel in jar.items()}

    @property
    def content_type(self) -> str:
        return self.headers.get("Content-Type", "")

    @property
    def server_date(self) -> float | None:
        """The store's clock from the ``Date`` header (epoch seconds), if sent."""
        from email.utils import parsedate_to_datetime

        value = self.headers.get("Date")
        if not value:
            return None
        try:
            return parsedate_to_datetime(value).timestamp()
        except (TypeError, ValueError):
            return None


class _NoCookies(http.cookiejar.DefaultCookiePolicy):
    def set_ok(self, cookie, request):  # noqa: D401 - policy hook
        return False

    def return_ok(self, cookie, request):
        return False


class _KeepNothingJar(RequestsCookieJar):
    """The sessions' jar: keeps no cookie, and skips parsing every answer's ``Set-Cookie`` headers
    only to have the policy refuse them (a tenth of the client's CPU per request). Each answer's
    own cookies (``HttpAnswer.cookies``) are still read."""

    def extract_cookies(self, response, request):  # noqa: D401 - CookieJar hook
        return None


class _Adapter(HTTPAdapter):
    """requests' adapter minus the cookie jar of each response (``HttpAnswer.cookies`` reads
    ``Set-Cookie`` itself); ``build_response`` is requests' documented hook for that."""

    def build_response(self, req: requests.PreparedRequest, resp: Any) -> requests.Response:
        response = requests.Response()
        response.status_code = getattr(resp, "status", None)
        response.headers = CaseInsensitiveDict(getattr(resp, "headers", {}))
        response.encoding = get_encoding_from_headers(response.headers)
        response.raw = resp
        response.reason = resp.reason
        response.url = req.url.decode("utf-8") if isinstance(req.url, bytes) else req.url
        response.request = req
        response.connection = self
        return response


def _set_cookie_lines(resp: requests.Response) -> tuple[str, ...]:
    headers = getattr(resp.raw, "headers", None)
    if hasattr(headers, "getlist"):
        return tuple(headers.getlist("Set-Cookie"))
    line = resp.headers.get("Set-Cookie")
    return (line,) if line else ()


class Transport:
    def __init__(
        self,
        *,
        timeout: float = 30,
        workers: int = 8,
        retries: int = 3,
        backoff: float = 0.3,
        hook: Hook | None = None,
        user_agent: str = USER_AGENT,
    ) -> None:
        self.timeout = timeout
        self.pool = max(int(workers), 10)
        self.retries = retries
        self.backoff = backoff
        self.hook = hook
        self.user_agent = user_agent
        self._local = threading.local()
        self._all: list[requests.Session] = []
        self._all_lock = threading.Lock()
        self._urls: dict[str, str] = {}  # store URL -> as requests normalises it (IDNA host, quoting)

    # ------------------------------------------------------------------ sessions
    def _make(self, repeatable: bool) -> requests.Session:
        if repeatable:
            retry = Retry(
                total=self.retries, connect=self.retries, read=self.retries, status=self.retries, other=0,
                allowed_methods=None, status_forcelist=(502, 503, 504), backoff_factor=self.backoff,
                backoff_jitter=self.backoff, raise_on_status=False, respect_retry_after_header=True,
            )
        else:
            # only errors raised before the request reached the server are safe to repeat
            retry = Retry(total=self.retries, connect=self.retries, read=0, status=0, other=0,
                          allowed_methods=None, backoff_factor=self.backoff, backoff_jitter=self.backoff,
                          raise_on_status=False)
        s = requests.Session()
        s.cookies = _KeepNothingJar(policy=_NoCookies())
        s.trust_env = False  # a proxy from the environment would change the client IP the store checks
        s.headers["User-Agent"] = self.user_agent
        adapter = _Adapter(pool_connections=self.pool, pool_maxsize=self.pool, max_retries=retry)
        s.mount("http://", adapter)
        s.mount("https://", adapter)
        with self._all_lock:
            self._all.append(s)
        return s

    def _session(self, repeatable: bool) -> requests.Session:
        name = "repeatable" if repeatable else "once"
        s = getattr(self._local, name, None)
        if s is None:
            s = self._make(repeatable)
            setattr(self._local, name, s)
        return s

    def close(self) -> None:
        with self._all_lock:
            sessions, self._all = self._all, []
        for s in sessions:
            s.close()
        self._local = threading.local()

    # ------------------------------------------------------------------ requests
    def request(
        self,
        method: str,
        url: str,
        *,
        params: Sequence[tuple[str, str]] | None = None,
        data: Sequence[tuple[str, str]] | None = None,
        body: str | None = None,
        headers: Mapping[str, str] | None = None,
        cookies: Mapping[str, str] | None = None,
        dialect: str = "",
        route: str = "",
        call: str | None = None,
        repeatable: bool = True,
        query_string: str | None = None,
    ) -> HttpAnswer:
        """Send one request. ``query_string`` (already encoded) wins over ``params``, and ``body``
        (an already urlencoded form) over ``data``.

        Raises :class:`TransportError` when no answer arrived; the caller turns that into
        :class:`~ocdata.client.errors.OrderStateUnknownError` for calls that write.
        """
        qs = query_string if query_string is not None else urlencode(list(params or ()))
        base = self._urls.get(url)
        if base is None:
            prepared_url = requests.PreparedRequest()
            prepared_url.prepare_url(url, None)
            base = self._urls[url] = prepared_url.url
        full = base + (("&" if "?" in base else "?") + qs if qs else "")
        if body is None and data is not None:
            body = urlencode(list(data))
        shown = redact(full)
        session = self._session(repeatable)
        prepared = _prepared(session, method, full, body, headers, cookies)
        started = time.perf_counter()
        try:
            resp = session.send(prepared, timeout=self.timeout, allow_redirects=False)
        except requests.RequestException as exc:
            elapsed = (time.perf_counter() - started) * 1000
            reason = redact(f"{type(exc).__name__}: {_short_reason(exc)}")
            self._emit(RequestRecord(dialect, route, call, method, shown, None, elapsed,
                                     len(body or ""), 0, reason))
            raise TransportError(
                f"no answer from {urlsplit(url).netloc} ({reason}); check that the store URL is right and "
                f"reachable from this machine, or raise timeout= (now {self.timeout} s)",
                dialect=dialect, call=call or route,
            ) from None
        elapsed = (time.perf_counter() - started) * 1000
        content = resp.content
        answer = HttpAnswer(
            status=resp.status_code, headers=resp.headers, text=content.decode("utf-8", "replace"),
            elapsed_ms=elapsed, url=shown, set_cookie=_set_cookie_lines(resp),
        )
        self._emit(RequestRecord(dialect, route, call, method, shown, resp.status_code, elapsed,
                                 len(body or ""), len(content), None))
        return answer

    def _emit(self, record: RequestRecord) -> None:
        log.debug("%s %s %s -> %s in %.1f ms (%d B)%s", record.dialect, record.method, record.url,
                  record.status, record.elapsed_ms, record.bytes_received,
                  f" error={record.error}" if record.error else "")
        if self.hook is not None:
            self.hook(record)


def _prepared(session: requests.Session, method: str, url: str, body: str | None,
              headers: Mapping[str, str] | None, cookies: Mapping[str, str] | None) -> requests.PreparedRequest:
    """What ``session.request`` would send for an encoded URL and form, without re-parsing them."""
    hdrs = CaseInsensitiveDict(session.headers)
    if headers:
        hdrs.update(headers)
    encoded = None
    if body is not None:
        encoded = body.encode("utf-8")
        hdrs.setdefault("Content-Type", "application/x-www-form-urlencoded")
        hdrs["Content-Length"] = str(len(encoded))
    elif method not in ("GET", "HEAD"):
        hdrs["Content-Length"] = "0"
    if cookies:
        hdrs["Cookie"] = "; ".join(f"{name}={value}" for name, value in cookies.items())
    prepared = requests.PreparedRequest()
    prepared.method, prepared.url, prepared.headers, prepared.body = method, url, hdrs, encoded
    prepared.hooks = {"response": []}
    return prepared


def _short_reason(exc: Exception) -> str:
    # urllib3 wraps the root cause several levels deep; the innermost message is the useful one
    cause: Any = exc
    while getattr(cause, "__context__", None) is not None and not str(cause):
        cause = cause.__context__
    reason = getattr(cause, "reason", None) or cause
    return str(reason)[:160]
