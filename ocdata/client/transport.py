"""HTTP for every dialect: pooled connections per thread, retries where safe, one hook per request.

* Each thread gets its own :class:`urllib3.PoolManager` (a pool of ``max(workers, 10)``
  connections per store), TLS verified against certifi's roots, no proxy from the
  environment (it would change the client IP the store checks).
* Retries follow an urllib3 :class:`~urllib3.util.retry.Retry` policy per call (capped,
  jittered exponential backoff, ``Retry-After`` honoured up to :data:`RETRY_AFTER_CAP` s),
  driven here rather than inside urllib3 so one **deadline** bounds the whole call:
  ``timeout`` is the budget of a call, every attempt, backoff and body read included.
  A *repeatable* call (a read) is repeated after connect errors, lost answers and
  429/502/503/504; any other call only after a connect error (the request never left this
  machine): a session change or an order write that reached the store is never sent twice.
* With ``politeness`` (``connect(max_concurrency=, max_rps=)``) every attempt, retries
  included, takes a slot and a rate token and waits out a store-wide pause; every 429/503
  pauses the whole store at once (:mod:`ocdata.client.politeness`).
* Answers are read streamed and refused beyond ``max_answer_bytes`` (32 MiB by default), and
  a redirect is refused with the URL to use instead (a POST must not be re-sent elsewhere).
* No cookie is ever kept: a dialect that needs one (oc41 storefront pricing) passes its own
  per-scenario jar and reads ``HttpAnswer.cookies``, parsed from the answer's ``Set-Cookie``
  lines only when asked.
* The hook (``connect(hook=...)``) and the ``ocdata.client`` DEBUG log receive a
  :class:`RequestRecord` per request, with secrets already removed (built only when one of
  them listens).

Why urllib3's ``HTTPConnectionPool.urlopen`` and not ``requests``: at 8-16 concurrent quotes
the client's threads share one interpreter lock, so every millisecond of Python per request
is time the other threads' answers wait. The store URL is parsed once (urllib3's
``parse_url``: quoting, IDNA), the query and form arrive encoded and the headers are built
once per transport, so a request is one dict copy and one ``urlopen``; requests' session,
adapter and ``Response`` layers (cookie jars, hooks, settings merges) did nothing we need.
Client CPU per POST against the sandbox, A/B in one run (bench/RESULTS.md, Issue 14, "the
transport on urllib3"): requests ``Session.post`` 1.53 ms, bare urllib3 ``urlopen`` 0.42 ms,
bare http.client 0.18 ms; ``Transport.request`` 0.53 ms on requests' ``Session.send``, 0.38 ms
here; a whole oc41 study 2.6-2.7 -> 1.5-1.9 ms per request. http.client alone is cheaper
still, but would mean our own pooling, TLS setup and error classification; urllib3 is what
``Retry`` already is.
"""

from __future__ import annotations

import http.cookies
import logging
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Mapping, NamedTuple, Sequence
from urllib.parse import urlencode, urljoin

import certifi
import urllib3
from urllib3.exceptions import ConnectTimeoutError, LocationParseError, NewConnectionError, ReadTimeoutError
from urllib3.exceptions import HTTPError as Urllib3Error
from urllib3.exceptions import ProtocolError as Urllib3ProtocolError
from urllib3.util import make_headers, parse_url
from urllib3.util.retry import Retry

from .credentials import display_url, redact
from .errors import ConfigurationError, OcdataError, ProtocolError, TransportError

if TYPE_CHECKING:
    from .politeness import Politeness

__all__ = ["Transport", "HttpAnswer", "RequestRecord", "Hook", "display_url", "MAX_ANSWER_BYTES", "RETRY_AFTER_CAP"]

log = logging.getLogger("ocdata.client")

USER_AGENT = "ocdata-client/0.1 (+urllib3)"

# urllib3 logs request lines (with api_token / signature) and retried URLs at DEBUG
_THIRD_PARTY_LOGGERS = ("urllib3.connectionpool", "urllib3.connection", "urllib3.util.retry", "urllib3.poolmanager")


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


RETRY_AFTER_CAP = 30.0
"""Longest ``Retry-After`` wait honoured (s); never past the call's deadline either."""

MAX_ANSWER_BYTES = 32 * 1024 * 1024
"""Default cap on an answer's size: a store answer is a few kB, a runaway page must not fill memory."""

RETRY_STATUSES = (429, 502, 503, 504)
# answers the Retry policy may want to repeat: its forcelist, and what it repeats on Retry-After
_RETRY_CANDIDATES = frozenset(RETRY_STATUSES) | Retry.RETRY_AFTER_STATUS_CODES
_THROTTLED = (429, 503)  # a refusal the politeness layer pauses the whole store on
_FORM = "application/x-www-form-urlencoded"
_CHUNK = 64 * 1024


class _Target(NamedTuple):
    """A store URL as it is sent: the pool it goes to and the request target before the query."""

    scheme: str
    host: str
    port: int | None
    origin: str  # scheme://host[:port], for the URL that is shown and the Retry policy
    path: str  # path and the URL's own query
    join: str  # "?" or "&": what comes before an added query


class Transport:
    """HTTP for the dialects. ``timeout`` (s) bounds each call as a whole, retries included;
    ``retries``/``backoff`` shape the urllib3 :class:`Retry` policy of a call;
    ``max_answer_bytes`` caps the size of one answer; ``politeness`` (a
    :class:`~ocdata.client.politeness.Politeness`) is asked before every attempt and told of
    every refusal."""

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
        politeness: Politeness | None = None,
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
        self.politeness = politeness
        # what every request sends (requests' defaults, so a store sees the same client as before)
        self._base_headers = {"User-Agent": user_agent,
                              "Accept-Encoding": make_headers(accept_encoding=True)["accept-encoding"],
                              "Accept": "*/*", "Connection": "keep-alive", **self.headers}
        self._local = threading.local()
        self._all: list[urllib3.PoolManager] = []
        self._all_lock = threading.Lock()
        self._targets: dict[str, _Target] = {}  # store URL -> where and how it is sent (parsed once)

    # ------------------------------------------------------------------ pools
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

    def _pools(self) -> urllib3.PoolManager:
        """This thread's pools: one connection pool of ``max(workers, 10)`` per store, verified
        TLS (certifi's roots, as requests), no proxy from the environment (it would change the
        client IP the store checks), no cookie, no redirect, no retry inside urllib3."""
        manager = getattr(self._local, "manager", None)
        if manager is None:
            manager = urllib3.PoolManager(num_pools=self.pool, maxsize=self.pool, block=False, retries=False,
                                          cert_reqs="CERT_REQUIRED", ca_certs=certifi.where())
            self._local.manager, self._local.by_url = manager, {}
            with self._all_lock:
                self._all.append(manager)
        return manager

    def _pool(self, url: str, target: _Target) -> urllib3.HTTPConnectionPool:
        by_url = getattr(self._local, "by_url", None)
        pool = by_url.get(url) if by_url is not None else None
        if pool is None:
            pool = self._pools().connection_from_host(target.host, target.port, target.scheme)
            self._local.by_url[url] = pool
        return pool

    def _target(self, url: str, dialect: str) -> _Target:
        target = self._targets.get(url)
        if target is not None:
            return target
        try:
            parts = parse_url(url)  # quotes what must be quoted, IDNA-encodes the host
            ok = parts.scheme in ("http", "https") and bool(parts.host)
        except (LocationParseError, ValueError) as exc:
            ok, parts = False, exc
        if not ok:
            reason = f" ({parts})" if isinstance(parts, Exception) else ""
            raise ConfigurationError(f"the store URL {display_url(url)!r} cannot be used{reason}; pass the shop's "
                                     f"address, e.g. https://shop.example/", dialect=dialect) from None
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        target = _Target(parts.scheme, parts.host, parts.port, f"{parts.scheme}://{parts.netloc}", path,
                         "&" if parts.query else "?")
        self._targets[url] = target
        return target

    def close(self) -> None:
        with self._all_lock:
            managers, self._all = self._all, []
        for manager in managers:
            manager.clear()
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
        target = self._target(url, dialect)
        qs = query_string if query_string is not None else (urlencode(list(params)) if params else "")
        path = target.path + target.join + qs if qs else target.path
        full = target.origin + path
        pool = self._pool(url, target)
        hdrs = self._base_headers.copy()
        if headers:
            hdrs.update(headers)
        if body is None and data is not None:
            body = urlencode(list(data))
        encoded = None
        if body is not None:
            encoded = body.encode("utf-8")
            if "Content-Type" not in hdrs:
                hdrs["Content-Type"] = _FORM
            hdrs["Content-Length"] = str(len(encoded))
        elif method not in ("GET", "HEAD"):
            hdrs["Content-Length"] = "0"
        if cookies:
            hdrs["Cookie"] = "; ".join(f"{name}={value}" for name, value in cookies.items())
        sent = len(encoded) if encoded is not None else 0
        shown = redact(full)
        gate = self.politeness
        policy: Retry | None = None  # built when an attempt fails or is refused: most calls need none
        refusals = 0
        started = deadline = 0.0

        def fail(reason: str, exc_type: type = TransportError, **extra: Any) -> OcdataError:
            elapsed = (time.perf_counter() - started) * 1000
            self._emit(RequestRecord(dialect, route, call, method, shown, extra.get("status"), elapsed, sent, 0,
                                     redact(reason)))
            return exc_type(redact(reason), dialect=dialect, call=call or route, **extra)

        while True:
            try:
                if gate is not None:
                    gate.acquire()  # a slot, the end of any store-wide pause, a rate token: per attempt
                try:
                    if not started:  # the call's clock starts when it may go (not while it queues)
                        started = time.perf_counter()
                        deadline = started + self.timeout
                    remaining = deadline - time.perf_counter()
                    if remaining <= 0:
                        raise fail(f"no answer from {display_url(url)} within timeout={self.timeout:g} s (retries "
                                   f"included); the store is slow or unreachable: try again later or raise timeout=")
                    resp = pool.urlopen(method, path, body=encoded, headers=hdrs, retries=False, redirect=False,
                                        assert_same_host=False, timeout=remaining, preload_content=False,
                                        decode_content=True)
                    content = self._read(resp, deadline)
                finally:
                    if gate is not None:
                        gate.release()
            except _TooBig as big:
                raise fail(f"the answer from {display_url(url)} is larger than max_answer_bytes="
                           f"{self.max_answer_bytes} ({big.size}); this is not an API answer — check the store URL, "
                           f"or raise max_answer_bytes= if the store really sends that much", ProtocolError,
                           status=big.status) from None
            except (Urllib3Error, OSError) as exc:
                reason = redact(f"{type(exc).__name__}: {_short_reason(exc)}")
                policy = policy or self.policy(repeatable)
                try:
                    policy = policy.increment(method, full, error=_for_policy(exc))
                except Exception:  # noqa: BLE001 - MaxRetryError or the error re-raised: retries are over
                    hint = ("check that the store URL is right and reachable from this machine"
                            if _is_connect_error(exc) else "the request reached the store but its answer was lost")
                    raise fail(f"no answer from {display_url(url)} ({reason}); {hint}, or raise timeout= "
                               f"(now {self.timeout:g} s for the whole call)") from None
                if not self._backoff(self._wait(policy.get_backoff_time()), deadline):
                    raise fail(f"no answer from {display_url(url)} ({reason}) and no time left to retry within "
                               f"timeout={self.timeout:g} s") from None
                continue
            status = resp.status
            if status in _RETRY_CANDIDATES:
                if gate is not None and status in _THROTTLED:
                    gate.refused(resp.headers, refusals)  # pauses every request to the store, this one's first
                    refusals += 1
                policy = policy or self.policy(repeatable)
                if policy.is_retry(method, status, has_retry_after="Retry-After" in resp.headers):
                    try:
                        retried = policy.increment(method, full, response=resp)
                    except Exception:  # noqa: BLE001 - retries spent: the caller gets this answer
                        retried = None
                    if retried is not None:
                        wait = retried.get_retry_after(resp)
                        if wait is None:
                            wait = retried.get_backoff_time()
                        if self._backoff(self._wait(wait), deadline):
                            policy = retried
                            continue
            break
        elapsed = (time.perf_counter() - started) * 1000
        if self.hook is not None or log.isEnabledFor(logging.DEBUG):
            self._emit(RequestRecord(dialect, route, call, method, shown, status, elapsed, sent, len(content), None))
        answer_headers = resp.headers
        if 300 <= status < 400 and answer_headers.get("Location"):
            moved = urljoin(full, answer_headers["Location"])
            raise ProtocolError(
                f"the store redirected ({status}) to {display_url(moved.split('?', 1)[0])}: use that URL in "
                f"connect(url=...) (API calls are not followed across redirects)",
                status=status, dialect=dialect, call=call or route)
        return HttpAnswer(status=status, headers=answer_headers, text=content.decode("utf-8", "replace"),
                          elapsed_ms=elapsed, url=shown, set_cookie=tuple(answer_headers.getlist("Set-Cookie")))

    def _read(self, resp: urllib3.BaseHTTPResponse, deadline: float) -> bytes:
        """The answer's body, streamed: refused beyond ``max_answer_bytes`` or past the deadline;
        the connection goes back to the pool once the answer is read, and is dropped otherwise."""
        try:
            declared = int(resp.headers.get("Content-Length") or 0)
        except ValueError:
            declared = 0
        try:
            if declared > self.max_answer_bytes:
                raise _TooBig(f"Content-Length {declared}", resp.status)
            parts: list[bytes] = []
            size = 0
            while True:
                # read1: whatever has arrived (a dripping answer gives control back per packet)
                chunk = resp.read1(_CHUNK, decode_content=True)
                if not chunk:
                    break
                size += len(chunk)
                if size > self.max_answer_bytes:
                    raise _TooBig(f"more than {size} bytes", resp.status)
                parts.append(chunk)
                if time.perf_counter() > deadline:
                    raise Urllib3ProtocolError("the answer arrived too slowly: the call's deadline passed "
                                               f"after {size} bytes")
        except BaseException:
            resp.close()  # an answer not read to its end leaves the connection unusable
            resp.release_conn()
            raise
        resp.release_conn()
        return parts[0] if len(parts) == 1 else b"".join(parts)

    def _wait(self, wait: float) -> float:
        """``wait`` s, or longer while the store is paused for everyone (politeness)."""
        return wait if self.politeness is None else max(wait, self.politeness.pause_left())

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


def _is_connect_error(cause: BaseException) -> bool:
    """True when the request provably never reached the store (no connection was made)."""
    return isinstance(cause, (NewConnectionError, ConnectTimeoutError))


def _for_policy(cause: BaseException) -> Exception:
    """The error as urllib3's Retry classifies it: a connect error, else a read error (the
    request may have reached the store)."""
    if isinstance(cause, (NewConnectionError, ConnectTimeoutError, ReadTimeoutError, Urllib3ProtocolError)):
        return cause  # type: ignore[return-value]
    return Urllib3ProtocolError(str(cause))


def _short_reason(exc: BaseException) -> str:
    # urllib3 wraps the root cause (a socket or TLS error); the innermost message is the useful one
    cause: Any = exc
    while getattr(cause, "__context__", None) is not None and not str(cause):
        cause = cause.__context__
    reason = getattr(cause, "reason", None) or cause
    return str(reason)[:160]
