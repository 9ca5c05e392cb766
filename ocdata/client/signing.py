"""OpenCart 4.1 request signing (``tests/recordings/oc41/PROTOCOL.md`` §2).

``signature = base64(HMAC-SHA1(key, string_to_sign))`` over ten newline-terminated fields:
route, call, the API user name, the ``Host`` header (with port unless 80/443), the
script's directory with one trailing slash, store id, language, currency, the MD5 of
PHP's ``http_build_query`` of the parsed and cleaned POST (:func:`ocdata._php.body_md5`),
and the Unix time. The signature travels percent-encoded once in the query string.

A quote signs several calls that share the whole draft and differ only in a few fields of
their own (the chosen shipping method). :class:`PreparedBody` parses, cleans, serialises
and hashes the shared part once and hashes only the call's own fields per call.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import posixpath
from dataclasses import dataclass, field
from typing import Iterable, Sequence
from urllib.parse import quote_plus, urlencode, urlsplit

from ocdata._php import body_md5, clean, http_build_query, parse_pairs

__all__ = ["SignedFields", "PreparedBody", "SignedBody", "http_host", "script_dir", "string_to_sign",
           "string_to_sign_head", "sign"]


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
        head = string_to_sign_head(self.route, self.call, self.username, self.host, self.path, self.store_id,
                                   self.language, self.currency)
        return f"{head}{self.md5}\n{int(self.time)}\n"


def string_to_sign_head(route: str, call: str, username: str, host: str, path: str, store_id: int, language: str,
                        currency: str) -> str:
    """The first eight fields of the string to sign (all but the body MD5 and the time): the
    same for every call of a route and call, so a dialect may compute it once."""
    return "".join(f"{f}\n" for f in (route, call, username, host, path, str(int(store_id)), language, currency))


def string_to_sign(fields: SignedFields, form: Iterable[tuple[str, str]] | str | bytes = ()) -> str:
    """The exact string 4.1 signs, computing the body MD5 from ``form`` when ``fields.md5`` is empty."""
    md5 = fields.md5 or body_md5(form if isinstance(form, (str, bytes)) else list(form))
    return SignedFields(**{**fields.__dict__, "md5": md5}).string_to_sign()


def sign(key: str, message: str) -> str:
    """Base64 HMAC-SHA1 of ``message`` with the API key text used verbatim (not hex-decoded)."""
    digest = hmac.new(key.encode("utf-8"), message.encode("utf-8"), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


@dataclass(frozen=True)
class SignedBody:
    """A POST body ready to send: its pairs, their urlencoded text and the MD5 4.1 signs."""

    pairs: tuple[tuple[str, str], ...]
    text: str
    md5: str


class PreparedBody:
    """Form pairs whose signing work is done once, for many calls that append fields of their own.

    PHP parses ``a=..&b[x]=..`` into an ordered array, ``Request::clean`` rewrites it key by
    key and ``http_build_query`` walks it in order, so when the appended fields' top-level
    keys are new to the shared part, the serialisation of the whole body is the shared
    part's, ``&``, then the appended part's. :meth:`extend` then continues a copy of the
    shared MD5 (and of the urlencoded body) instead of redoing the whole draft; when a key
    collides (PHP would overwrite or merge it in place) it falls back to the full path.
    The bodies of the last few distinct extras are kept: a quote's calls repeat theirs
    (``shipping_method`` then ``payment_methods`` with the same chosen method).
    """

    __slots__ = ("pairs", "_keys", "_md5", "_query", "_text", "_extended")
    _EXTENDED_MAX = 64

    def __init__(self, pairs: Iterable[tuple[str, str]]) -> None:
        self.pairs = tuple(pairs)
        parsed = parse_pairs(self.pairs)
        cleaned = clean(parsed)
        # raw and cleaned top-level keys: a new field must differ from both to leave the order alone
        self._keys = frozenset(parsed) | frozenset(cleaned)
        self._query = http_build_query(cleaned)
        self._md5 = hashlib.md5(self._query.encode("utf-8"))
        self._text = form_text(self.pairs)
        self._extended: dict[tuple[tuple[str, str], ...], SignedBody] = {}

    def extend(self, extra: Sequence[tuple[str, str]] = ()) -> SignedBody:
        """The body of the shared pairs followed by ``extra``."""
        key = tuple(extra)
        try:
            found = self._extended.get(key)
        except TypeError:  # unhashable pairs (lists): nothing to look up
            return self._extend(key)
        if found is None:
            found = self._extend(key)
            if len(self._extended) >= self._EXTENDED_MAX:
                self._extended.clear()
            self._extended[key] = found
        return found

    def _extend(self, extra: tuple[tuple[str, str], ...]) -> SignedBody:
        if not extra:
            return SignedBody(self.pairs, self._text, self._md5.hexdigest())
        pairs = self.pairs + extra
        keys, tail, text = _tail(extra)
        if not self._keys.isdisjoint(keys):
            return SignedBody(pairs, form_text(pairs), body_md5(pairs))
        md5 = self._md5.copy()
        if tail:
            md5.update((("&" if self._query else "") + tail).encode("utf-8"))
        return SignedBody(pairs, self._text + "&" + text if self._text and text else self._text or text,
                          md5.hexdigest())


#: extra pairs -> (their raw and cleaned top-level keys, signed serialisation, urlencoded body);
#: the same chosen methods recur in every call of a quote and across drafts
_TAILS: dict[tuple[tuple[str, str], ...], tuple[frozenset, str, str]] = {}
_TAILS_MAX = 1024


def _tail(extra: tuple[tuple[str, str], ...]) -> tuple[frozenset, str, str]:
    try:
        found = _TAILS.get(extra)
    except TypeError:  # unhashable pairs
        found, extra_key = None, None
    else:
        extra_key = extra
    if found is None:
        parsed = parse_pairs(extra)
        cleaned = clean(parsed)
        found = (frozenset(parsed) | frozenset(cleaned), http_build_query(cleaned), form_text(extra))
        if extra_key is not None:
            if len(_TAILS) >= _TAILS_MAX:
                _TAILS.clear()
            _TAILS[extra_key] = found
    return found


#: ``quote_plus(text, safe="")`` of short texts (field names, ids, codes recur in every body)
_QUOTED: dict[str, str] = {}
_QUOTED_MAX = 4096


def form_text(pairs: Sequence[tuple[str, str]]) -> str:
    """``urllib.parse.urlencode(pairs)``, byte for byte, with each short name and value quoted once
    per process instead of once per call."""
    out = []
    for name, value in pairs:
        if type(name) is not str or type(value) is not str:
            return urlencode(pairs)
        out.append(f"{_quote(name)}={_quote(value)}")
    return "&".join(out)


def _quote(text: str) -> str:
    found = _QUOTED.get(text)
    if found is None:
        found = quote_plus(text, safe="")
        if len(text) <= 128:
            if len(_QUOTED) >= _QUOTED_MAX:
                _QUOTED.clear()
            _QUOTED[text] = found
    return found
