"""OpenCart 4.1 request signing (``../shared/opencart/oc41/PROTOCOL.md`` §2).

``signature = base64(HMAC-SHA1(key, string_to_sign))`` over ten newline-terminated fields:
route, call, the API user name, the ``Host`` header (with port unless 80/443), the
script's directory with one trailing slash, store id, language, currency, the MD5 of
PHP's ``http_build_query`` of the parsed and cleaned POST (:func:`ocdata._php.body_md5`),
and the Unix time. The signature travels percent-encoded once in the query string.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import posixpath
from dataclasses import dataclass, field
from typing import Iterable
from urllib.parse import urlsplit

from ocdata._php import body_md5

__all__ = ["SignedFields", "http_host", "script_dir", "string_to_sign", "sign"]


def http_host(url: str) -> str:
    """The ``Host`` header a client sends for ``url``: the port only when not the scheme default."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    port = parts.port
    default = {"http": 80, "https": 443}.get(parts.scheme)
    return f"{host}:{port}" if port and port != default else host


def script_dir(url: str) -> str:
    """``dirname(PHP_SELF)`` + ``/``: ``/`` for ``/index.php`` or ``/``, ``/shop/`` for ``/shop/index.php``."""
    path = urlsplit(url).path or "/"
    if not path.endswith(".php"):
        path = path.rstrip("/") + "/index.php"  # PHP_SELF is the front controller even when posting to "/"
    directory = posixpath.dirname(path)
    return directory.rstrip("/") + "/"


@dataclass(frozen=True)
class SignedFields:
    route: str
    call: str
    username: str
    host: str
    path: str
    store_id: int
    language: str
    currency: str
    time: int
    md5: str = field(default="")

    def string_to_sign(self) -> str:
        fields = (self.route, self.call, self.username, self.host, self.path, str(int(self.store_id)),
                  self.language, self.currency, self.md5, str(int(self.time)))
        return "".join(f"{f}\n" for f in fields)


def string_to_sign(fields: SignedFields, form: Iterable[tuple[str, str]] | str | bytes = ()) -> str:
    """The exact string 4.1 signs, computing the body MD5 from ``form`` when ``fields.md5`` is empty."""
    md5 = fields.md5 or body_md5(form if isinstance(form, (str, bytes)) else list(form))
    return SignedFields(**{**fields.__dict__, "md5": md5}).string_to_sign()


def sign(key: str, message: str) -> str:
    """Base64 HMAC-SHA1 of ``message`` with the API key text used verbatim (not hex-decoded)."""
    digest = hmac.new(key.encode("utf-8"), message.encode("utf-8"), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")
