"""HTTP for every dialect: pooled sessions per thread, retries where safe, one hook per request.

* Each thread gets its own :class:`requests.Session` (connection pool of ``max(workers, 10)``).
* Retries follow an urllib3 :class:`~urllib3.util.retry.Retry` policy per call (capped,
  jittered exponential backoff, ``Retry-After`` honoured up to :data:`RETRY_AFTER_CAP` s),
  driven here rather than inside urllib3 so one **deadline** bounds the whole call:
  ``timeout`` is the budget of a call, every attempt, backoff and body read included.
  A *repeatable* call (a read) is repeated after connect errors, lost answers and
  429/502/503/504; any other call only after a connect error (the request never left this
  machine): a session change or an order write that reached the store is never sent twice.
* Answers are read streamed and refused beyond ``max_answer_bytes`` (32 MiB by default), and
  a redirect is refused with the URL to use instead (a POST must not be re-sent elsewhere).
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
from urllib.parse import urlencode, urljoin

import requests
from requests.adapters import HTTPAdapter
from requests.cookies import RequestsCookieJar
from requests.structures import CaseInsensitiveDict
from requests.utils import get_encoding_from_headers
import urllib3.exceptions
from urllib3.exceptions import ConnectTimeoutError, MaxRetryError, NewConnectionError, ReadTimeoutError
from urllib3.exceptions import ProtocolError as Urllib3ProtocolError
from urllib3.util.retry import Retry

from .credentials import display_url, redact
from .errors import ConfigurationError, OcdataError, ProtocolError, TransportError

__all__ = ["Transport", "HttpAnswer", "RequestRecord", "Hook", "display_url", "MAX_ANSWER_BYTES", "RETRY_AFTER_CAP"]

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


RETRY_AFTER_CAP = 30.0
"""Longest ``Retry-After`` wait honoured (s); never past the call's deadline either."""

MAX_ANSWER_BYTES = 32 * 1024 * 1024
"""Default cap on an answer's size: a store answer is a few kB, a runaway page must not fill memory."""

RETRY_STATUSES = (429, 502, 503, 504)
_CHUNK = 64 * 1024


class Transport:
    """HTTP for the dialects. ``timeout`` (s) bounds each call as a whole, retries included;
    ``retries``/``backoff`` shape the urllib3 :class:`Retry` policy of a call;
    ``max_answer_bytes`` caps the size of one answer."""

    def __init__(
        self,
        *,
        timeout: float = 30,
        workers: int = 8,
        retries: int = 3,
        backoff: float = 0.3,
        hook: Hook | None = None,
        user_agent: str = USER_AGENT,
        max_answer_bytes: int = MAX_ANSWER_BYTES,
        retry_after_cap: float = RETRY_AFTER_CAP,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.timeout = float(timeout)
        self.pool = max(int(workers), 10)
        self.retries = int(retries)
        self.backoff = backoff
        self.hook = hook
        self.user_agent = user_agent
        self.max_answer_bytes = int(max_answer_bytes)
        self.retry_after_cap = float(retry_after_cap)
        self.headers = dict(headers or {})  # sent with every request (e.g. a shop's basic auth)
        self._local = threading.local()
        self._all: list[requests.Session] = []
        self._all_lock = threading.Lock()
        self._urls: dict[str, str] = {}  # store URL -> as requests normalises it (IDNA host, quoting)

    # ------------------------------------------------------------------ sessions
    def policy(self, repeatable: bool) -> Retry:
        """The retry policy of one call: a read may be repeated after any failure without an
        answer and after 429/502/503/504; anything else only after a connect error."""
        n = self.retries
        return Retry(
            total=n, connect=n, read=n if repeatable else 0, status=n if repeatable else 0, other=0, redirect=0,
            allowed_methods=None, status_forcelist=RETRY_STATUSES if repeatable else (),
            backoff_factor=self.backoff, backoff_jitter=self.backoff, raise_on_status=False,
            respect_retry_after_header=True, retry_after_max=self.retry_after_cap,
        )

    def _make(self) -> requests.Session:
        s = requests.Session()
        s.cookies = _KeepNothingJar(policy=_NoCookies())
        s.trust_env = False  # a proxy from the environment would change the client IP the store checks
        s.headers["User-Agent"] = self.user_agent
        s.headers.update(self.headers)
        # urllib3 makes one attempt; :meth:`request` drives the retries against the call's deadline
        adapter = _Adapter(pool_connections=self.pool, pool_maxsize=self.pool,
                           max_retries=Retry(total=0, redirect=0, raise_on_status=False))
        s.mount("http://", adapter)
        s.mount("https://", adapter)
        with self._all_lock:
            self._all.append(s)
        return s

    def _session(self, repeatable: bool = True) -> requests.Session:
        s = getattr(self._local, "session", None)
        if s is None:
            s = self._local.session = self._make()
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
        """Send one request within ``timeout``. ``query_string`` (already encoded) wins over
        ``params``, and ``body`` (an already urlencoded form) over ``data``. ``repeatable``:
        the call may be sent again after it reached the store (reads); otherwise it is
        repeated only after a connect error.

        Returns the last answer (a 5xx too, once retries are spent). Raises
        :class:`TransportError` when no answer arrived in time, :class:`ProtocolError` for a
        redirect or an answer over ``max_answer_bytes``; the caller turns either into
        :class:`~ocdata.client.errors.OrderStateUnknownError` for calls that write.
        """
        qs = query_string if query_string is not None else urlencode(list(params or ()))
        base = self._urls.get(url)
        if base is None:
            prepared_url = requests.PreparedRequest()
            try:
                prepared_url.prepare_url(url, None)
            except (requests.RequestException, ValueError) as exc:
                raise ConfigurationError(f"the store URL {display_url(url)!r} cannot be used ({exc}); pass the "
                                         f"shop's address, e.g. https://shop.example/", dialect=dialect) from None
            base = self._urls[url] = prepared_url.url
        full = base + (("&" if "?" in base else "?") + qs if qs else "")
        if body is None and data is not None:
            body = urlencode(list(data))
        shown = redact(full)
        where = display_url(url)
        session = self._session()
        prepared = _prepared(session, method, full, body, headers, cookies)
        policy = self.policy(repeatable)
        started = time.perf_counter()
        deadline = started + self.timeout
        sent = len(body or "")

        def fail(reason: str, exc_type: type = TransportError, **extra: Any) -> OcdataError:
            elapsed = (time.perf_counter() - started) * 1000
            self._emit(RequestRecord(dialect, route, call, method, shown, extra.get("status"), elapsed, sent, 0,
                                     redact(reason)))
            return exc_type(redact(reason), dialect=dialect, call=call or route, **extra)

        while True:
            remaining = deadline - time.perf_counter()
            if remaining <= 0:
                raise fail(f"no answer from {where} within timeout={self.timeout:g} s (retries included); "
                           f"the store is slow or unreachable: try again later or raise timeout=")
            try:
                resp = session.send(prepared, timeout=remaining, allow_redirects=False, stream=True)
                content = self._read(resp, deadline)
            except _TooBig as big:
                raise fail(f"the answer from {where} is larger than max_answer_bytes={self.max_answer_bytes} "
                           f"({big.size}); this is not an API answer — check the store URL, or raise "
                           f"max_answer_bytes= if the store really sends that much", ProtocolError,
                           status=big.status) from None
            except (requests.exceptions.InvalidURL, requests.exceptions.InvalidSchema,
                    requests.exceptions.MissingSchema) as exc:
                raise fail(f"the store URL {where} cannot be used ({_short_reason(exc)}); pass the shop's address, "
                           f"e.g. https://shop.example/", ConfigurationError) from None
            except requests.RequestException as exc:
                cause = _root(exc)
                reason = redact(f"{type(exc).__name__}: {_short_reason(exc)}")
                try:
                    policy = policy.increment(method, full, error=_for_policy(cause))
                except Exception:  # noqa: BLE001 - MaxRetryError or the error re-raised: retries are over
                    connect = _is_connect_error(cause)
                    hint = ("check that the store URL is right and reachable from this machine"
                            if connect else "the request reached the store but its answer was lost")
                    raise fail(f"no answer from {where} ({reason}); {hint}, or raise timeout= "
                               f"(now {self.timeout:g} s for the whole call)") from None
                if not self._backoff(policy.get_backoff_time(), deadline):
                    raise fail(f"no answer from {where} ({reason}) and no time left to retry within "
                               f"timeout={self.timeout:g} s") from None
                continue
            status = resp.status_code
            if policy.is_retry(method, status, has_retry_after="Retry-After" in resp.headers):
                try:
                    retried = policy.increment(method, full, response=resp.raw)
                except Exception:  # noqa: BLE001 - retries spent: the caller gets this answer
                    retried = None
                if retried is not None:
                    wait = retried.get_retry_after(resp.raw)
                    if wait is None:
                        wait = retried.get_backoff_time()
                    if self._backoff(wait, deadline):
                        policy = retried
                        continue
            break
        elapsed = (time.perf_counter() - started) * 1000
        self._emit(RequestRecord(dialect, route, call, method, shown, status, elapsed, sent, len(content), None))
        if 300 <= status < 400 and resp.headers.get("Location"):
            target = urljoin(full, resp.headers["Location"])
            raise ProtocolError(
                f"the store redirected ({status}) to {display_url(target.split('?', 1)[0])}: use that URL in "
                f"connect(url=...) (API calls are not followed across redirects)",
                status=status, dialect=dialect, call=call or route)
        return HttpAnswer(
            status=status, headers=resp.headers, text=content.decode("utf-8", "replace"),
            elapsed_ms=elapsed, url=shown, set_cookie=_set_cookie_lines(resp),
        )

    def _read(self, resp: requests.Response, deadline: float) -> bytes:
        """The answer's body, streamed: refused beyond ``max_answer_bytes`` or past the deadline."""
        try:
            declared = int(resp.headers.get("Content-Length") or 0)
        except ValueError:
            declared = 0
        if declared > self.max_answer_bytes:
            resp.close()
            raise _TooBig(f"Content-Length {declared}", resp.status_code)
        parts: list[bytes] = []
        size = 0
        raw = resp.raw
        try:
            while True:
                # read1: whatever has arrived (a dripping answer gives control back per packet)
                try:
                    chunk = raw.read1(_CHUNK, decode_content=True)
                except (ReadTimeoutError, Urllib3ProtocolError, urllib3.exceptions.DecodeError, OSError) as exc:
                    raise requests.exceptions.ConnectionError(exc) from None
                if not chunk:
                    break
                size += len(chunk)
                if size > self.max_answer_bytes:
                    raise _TooBig(f"more than {size} bytes", resp.status_code)
                parts.append(chunk)
                if time.perf_counter() > deadline:
                    raise requests.exceptions.Timeout("the answer arrived too slowly: the call's deadline passed "
                                                      f"after {size} bytes")
        except BaseException:
            resp.close()
            raise
        return b"".join(parts)

    @staticmethod
    def _backoff(wait: float, deadline: float) -> bool:
        """Sleep ``wait`` s before a retry; False (no sleep) when that would pass the deadline."""
        if time.perf_counter() + wait >= deadline:
            return False
        if wait > 0:
            time.sleep(wait)
        return True

    def _emit(self, record: RequestRecord) -> None:
        log.debug("%s %s %s -> %s in %.1f ms (%d B)%s", record.dialect, record.method, record.url,
                  record.status, record.elapsed_ms, record.bytes_received,
                  f" error={record.error}" if record.error else "")
        if self.hook is not None:
            self.hook(record)


class _TooBig(Exception):
    def __init__(self, size: str, status: int | None) -> None:
        super().__init__(size)
        self.size, self.status = size, status


def _root(exc: BaseException) -> BaseException:
    """The urllib3/socket error under requests' and urllib3's wrappers."""
    cause: BaseException = exc
    for _ in range(6):
        if isinstance(cause, MaxRetryError) and cause.reason is not None:
            cause = cause.reason
        elif isinstance(cause, requests.RequestException) and cause.args and isinstance(cause.args[0], BaseException):
            cause = cause.args[0]
        else:
            break
    return cause


def _is_connect_error(cause: BaseException) -> bool:
    """True when the request provably never reached the store (no connection was made)."""
    return isinstance(cause, (NewConnectionError, ConnectTimeoutError))


def _for_policy(cause: BaseException) -> Exception:
    """The error as urllib3's Retry classifies it: a connect error, else a read error (the
    request may have reached the store)."""
    if _is_connect_error(cause):
        return cause  # type: ignore[return-value]
    if isinstance(cause, (ReadTimeoutError, Urllib3ProtocolError)):
        return cause  # type: ignore[return-value]
    return Urllib3ProtocolError(str(cause))


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
    prepared._cookies = RequestsCookieJar()  # requests reads it when an answer is a redirect
    return prepared


def _short_reason(exc: Exception) -> str:
    # urllib3 wraps the root cause several levels deep; the innermost message is the useful one
    cause: Any = exc
    while getattr(cause, "__context__", None) is not None and not str(cause):
        cause = cause.__context__
    reason = getattr(cause, "reason", None) or cause
    return str(reason)[:160]
