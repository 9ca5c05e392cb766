"""OpenCart 4.1.0.4's API authentication, wrapped around the oc41 controller.

Reproduces ``tests/recordings/oc41/PROTOCOL.md`` §1–§3 and §8 (not needed at
run time): every call to ``route=api/order`` or ``route=api/subscription`` is
authenticated on its own, in this order —

1. the route is ``api/`` + one of the two allowed controllers;
2. all eight query parameters are present (``route call username store_id
   language currency time signature``; PHP ``isset``, so empty values count);
3. an enabled API user has that name (case-insensitive lookup);
4. the client IP (see :func:`ocdata.sandbox.server.client_ip`: forwarding headers
   are trusted blindly, as the real store does) is on that user's allow-list;
5. ``time`` is within ±450 s of the server clock;
6. ``base64(HMAC-SHA1(key, string))`` equals the ``signature`` query value after
   one *more* URL-decoding (``rawurldecode``: a ``+`` already turned into a space
   by query parsing stays a space and fails, as in transcript 032), compared in
   constant time. The signed string is ten newline-terminated lines: route,
   call, the user name **as stored**, the ``Host`` header as received, the script
   directory (``/``), ``(int)store_id``, language, currency, the MD5 of
   ``http_build_query`` over the parsed and cleaned POST, ``(int)time``.

Every refusal is the same 403 with a JSON body but ``text/html; charset=utf-8``.
Only then does the request reach the business controller
``ocdata.sandbox.fronts.oc41.Oc41Front`` (imported on first use, so this
wrapper does not depend on it at import time).

Quirk kept on purpose: a request with an ``api_token`` *query* parameter on any
``api/…`` route crashes the real store before authentication (legacy session
code queries the dropped ``oc_api_session`` table) with a 500 plain-text stack
trace and no session cookie (transcripts 091–093); :func:`api_token_crash`
answers that. When the server also serves the ``spec`` dialect, such requests
are routed to it instead and never reach this wrapper (see
:mod:`ocdata.sandbox.server`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import importlib
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote

from ocdata._php import http_build_query, php_int, urlencode
from ocdata.sandbox.apiusers import ApiUser, ApiUsers
from ocdata.sandbox.fronts.base import Request, Response, SessionStore

ALLOWED_ROUTES = frozenset({"api/order", "api/subscription"})
REQUIRED_PARAMS = ("route", "call", "username", "store_id", "language", "currency", "time", "signature")
TIME_WINDOW_S = 450
#: ``dirname($_SERVER['PHP_SELF'])`` + "/" for a store at the web root; PHP_SELF is
#: ``/index.php`` whether the client posted to ``/`` or ``/index.php`` (transcript 036).
SCRIPT_DIR = "/"

PERMISSION_DENIED = '{"error":"You do not have permission to access this page."}'
HTML_UTF8 = "text/html; charset=utf-8"

#: Body of the 500 a 4.1.0.4 store answers to any ``api/…`` request carrying
#: ``api_token`` (verbatim from transcripts 091–093).
API_TOKEN_CRASH = (
    "Error: Error: Table 'oc41.oc_api_session' doesn't exist<br/>Error No: 1146<br/>"
    "DELETE FROM `oc_api_session` WHERE TIMESTAMPADD(HOUR, 1, `date_modified`) < NOW()\n"
    "File: /var/www/opencart/system/library/db/mysqli.php\nLine: 122\n\n"
    "Backtrace: 0\nFile: /var/www/opencart/system/library/db.php\nLine: 54\n"
    "Class: Opencart\\System\\Library\\DB\\MySQLi\nFunction: query\n\n"
    "Backtrace: 1\nFile: /var/www/opencart/catalog/model/setting/api.php\nLine: 120\n"
    "Class: Opencart\\System\\Library\\DB\nFunction: query\n\n"
    "Backtrace: 2\nFile: /var/www/opencart/system/engine/loader.php\nLine: 351\n"
    "Class: Opencart\\Catalog\\Model\\Setting\\Api\nFunction: cleanSessions\n\n"
    "Backtrace: 3\nFile: /var/www/opencart/system/engine/proxy.php\nLine: 91\n"
    "Class: Opencart\\System\\Engine\\Loader\nFunction: Opencart\\System\\Engine\\{closure}\n\n"
    "Backtrace: 4\nFile: /var/www/opencart/catalog/controller/startup/session.php\nLine: 24\n"
    "Class: Opencart\\System\\Engine\\Proxy\nFunction: __call\n\n"
    "Backtrace: 5\nFile: /var/www/opencart/system/engine/action.php\nLine: 96\n"
    "Class: Opencart\\Catalog\\Controller\\Startup\\Session\nFunction: index\n\n"
    "Backtrace: 6\nFile: /var/www/opencart/system/framework.php\nLine: 224\n"
    "Class: Opencart\\System\\Engine\\Action\nFunction: execute\n\n"
    "Backtrace: 7\nFile: /var/www/opencart/index.php\nLine: 21\nFunction: require_once\n\n"
)

def permission_denied() -> Response:
    """The one refusal a 4.1.0.4 store gives for every authentication failure."""
    return Response(PERMISSION_DENIED, status=403, content_type=HTML_UTF8)


def api_token_crash() -> Response:
    """The 500 a 4.1.0.4 store answers to ``api_token`` on an ``api/…`` route.

    The session startup dies before it sets any cookie, so the server's default
    ``OCSESSID``/``currency`` cookies are suppressed (``None`` values).
    """
    return Response(
        API_TOKEN_CRASH,
        status=500,
        content_type="text/html; charset=UTF-8",
        set_cookies={"OCSESSID": None, "currency": None},  # type: ignore[dict-item]
    )


#: ``urlencode`` of the short names and values every call repeats (field names, the
#: customer, the cart's ids): the signed body is re-encoded on every call. Bounded: cleared
#: when full, and long strings are never kept.
_ENCODED: dict[str, str] = {}
_ENCODED_MAX = 20000
_ENCODED_MAX_LEN = 256


def _encoded(text: str) -> str:
    found = _ENCODED.get(text)
    if found is None:
        found = urlencode(text)
        if len(text) <= _ENCODED_MAX_LEN:
            if len(_ENCODED) >= _ENCODED_MAX:
                _ENCODED.clear()
            _ENCODED[text] = found
    return found


def _form_query(form: dict[Any, Any]) -> str:
    """``http_build_query`` of a parsed and cleaned ``$_POST`` (string leaves, nested arrays).

    The encoded name of ``a[b]`` is that of ``a`` + ``%5B`` + that of ``b`` + ``%5D``, so each
    key is encoded once (:func:`_encoded`) and never re-joined and re-encoded per leaf. Any
    other leaf type falls back to :func:`ocdata._php.http_build_query`.
    """
    parts: list[str] = []

    def walk(prefix: str | None, array: dict[Any, Any]) -> bool:
        for key, child in array.items():
            name = _encoded(key if type(key) is str else str(key))
            if prefix is not None:
                name = f"{prefix}%5B{name}%5D"
            if type(child) is str:
                parts.append(f"{name}={_encoded(child)}")
            elif type(child) is not dict or not walk(name, child):
                return False
        return True

    return "&".join(parts) if walk(None, form) else http_build_query(form)


def string_to_sign(request: Request, user: ApiUser) -> str:
    """The ten newline-terminated lines 4.1.0.4 signs (PROTOCOL §2.1)."""
    q = request.query
    body_md5 = hashlib.md5(_form_query(request.form).encode("utf-8")).hexdigest()
    fields = (
        q["route"],
        q["call"],
        user.username,
        request.host,
        SCRIPT_DIR,
        str(php_int(q["store_id"])),
        q["language"],
        q["currency"],
        body_md5,
        str(php_int(q["time"])),
    )
    return "".join(f"{field}\n" for field in fields)


def sign(key: str, message: str) -> str:
    """``base64_encode(hash_hmac('sha1', message, key, true))``."""
    digest = hmac.new(key.encode("utf-8"), message.encode("utf-8", "surrogateescape"), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


class Oc41Auth:
    """Authenticates oc41 API calls, then hands them to the business controller.

    ``front_factory`` builds the controller on first use (default: import
    ``ocdata.sandbox.fronts.oc41`` and construct ``Oc41Front(engine, sessions)``);
    ``clock`` returns the server time in seconds (tests may shift it).
    """

    def __init__(
        self,
        engine: Any,
        users: ApiUsers,
        sessions: SessionStore,
        *,
        front_factory: Callable[[], Any] | None = None,
        clock: Callable[[], float] = time.time,
        history_size: int = 1000,
    ) -> None:
        self.engine = engine
        self.users = users
        self.sessions = sessions
        self.clock = clock
        self._front_factory = front_factory or self._import_front
        self._front: Any = None
        self._front_lock = threading.Lock()
        #: ``oc_api_history``: (api_id, call, ip, unix time) of accepted calls, newest last.
        self.history: deque[tuple[int, str, str, int]] = deque(maxlen=history_size)

    def _import_front(self) -> Any:
        module = importlib.import_module("ocdata.sandbox.fronts.oc41")
        return module.Oc41Front(self.engine, self.sessions)

    @property
    def front(self) -> Any:
        """The oc41 business controller, created on first use."""
        if self._front is None:
            with self._front_lock:
                if self._front is None:
                    self._front = self._front_factory()
        return self._front

    def authenticate(self, request: Request) -> ApiUser | None:
        """The API user if the request passes every check of PROTOCOL §3, else ``None``."""
        q = request.query
        if q.get("route") not in ALLOWED_ROUTES:
            return None
        for name in REQUIRED_PARAMS:
            if not isinstance(q.get(name), str):
                return None
        user = self.users.find(q["username"])
        if user is None or not user.allows(request.client_ip):
            return None
        if abs(int(self.clock()) - php_int(q["time"])) > TIME_WINDOW_S:
            return None
        expected = sign(user.key, string_to_sign(request, user))
        given = unquote(q["signature"], errors="surrogateescape")
        if not hmac.compare_digest(expected.encode("ascii"), given.encode("utf-8", "surrogateescape")):
            return None
        return user

    def handle(self, request: Request) -> Response:
        if "api_token" in request.query:
            return api_token_crash()
        user = self.authenticate(request)
        if user is None:
            return permission_denied()
        self.history.append((user.api_id, request.query["call"], request.client_ip, int(self.clock())))
        return self.front.handle(request)
