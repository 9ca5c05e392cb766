"""PHP's form handling, reproduced where OpenCart's wire behaviour depends on it.

OpenCart 4.1 signs (and the sandbox verifies) the MD5 of ``http_build_query``
applied to the *parsed and cleaned* ``$_POST`` array, not the raw body
(``tests/recordings/oc41/PROTOCOL.md`` §2.3). Every OpenCart version also
HTML-escapes and trims all input before controllers see it. Both the client's
signer and the sandbox's server use this module so they agree byte for byte.
"""

from __future__ import annotations

import hashlib
import html
import re
from collections.abc import Iterable, Mapping
from typing import Any, Union
from urllib.parse import unquote_plus

PhpValue = Union[str, "PhpArray"]
PhpArray = dict  # insertion-ordered, keys are int or str as in PHP arrays

_TRIM = " \t\n\r\0\x0b"
_SAFE = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-")


_INT_KEY = re.compile(r"^(0|-?[1-9][0-9]*)$")


def php_key(key: str | int) -> str | int:
    """PHP array-key normalisation: canonical decimal integer strings become ints."""
    if isinstance(key, str) and _INT_KEY.match(key):
        value = int(key)
        if -(2**63) <= value < 2**63:
            return value
    return key


def _next_index(arr: PhpArray) -> int:
    ints = [k for k in arr if isinstance(k, int)]
    return max(ints) + 1 if ints and max(ints) >= 0 else 0


def _split_name(name: str) -> tuple[str, list[str | None]] | None:
    """Split ``a[b][]`` into ``("a", ["b", None])`` as ``php_register_variable`` does."""
    name = name.lstrip(" ")
    if not name:
        return None
    bracket = name.find("[")
    base = name if bracket < 0 else name[:bracket]
    subs: list[str | None] = []
    if bracket >= 0:
        rest = name[bracket:]
        while rest.startswith("["):
            close = rest.find("]")
            if close < 0:
                if not subs:
                    # an unmatched '[' in the base name becomes '_' and the rest is literal
                    base = base + "_" + rest[1:]
                break
            inner = rest[1:close]
            subs.append(None if inner == "" else inner)
            rest = rest[close + 1 :]
    base = base.replace(".", "_").replace(" ", "_")
    if not base:
        return None
    return base, subs


def parse_pairs(pairs: Iterable[tuple[str, str]]) -> PhpArray:
    """Build ``$_POST`` from decoded name/value pairs, as PHP does."""
    result: PhpArray = {}
    for name, value in pairs:
        split = _split_name(name)
        if split is None:
            continue
        base, subs = split
        keys: list[str | int | None] = [php_key(base)] + [None if s is None else php_key(s) for s in subs]
        target = result
        for i, key in enumerate(keys):
            last = i == len(keys) - 1
            if key is None:
                key = _next_index(target)
            if last:
                target[key] = value
            else:
                child = target.get(key)
                if not isinstance(child, dict):
                    child = {}
                    target[key] = child
                target = child
    return result


def parse_body(body: str | bytes) -> PhpArray:
    """Parse an ``application/x-www-form-urlencoded`` body into a PHP-style array."""
    if isinstance(body, bytes):
        body = body.decode("utf-8", errors="surrogateescape")
    pairs = []
    for part in body.split("&"):
        if not part:
            continue
        name, _, value = part.partition("=")
        pairs.append((unquote_plus(name), unquote_plus(value)))
    return parse_pairs(pairs)


def clean_value(value: str) -> str:
    """OpenCart's ``Request::clean`` for a scalar: ``trim(htmlspecialchars($v, ENT_COMPAT))``."""
    return html.escape(value, quote=False).replace('"', "&quot;").strip(_TRIM)


def clean(data: Any) -> Any:
    """OpenCart's ``Request::clean``, applied recursively to keys and values."""
    if isinstance(data, Mapping):
        out: PhpArray = {}
        for key, value in data.items():
            new_key = php_key(clean_value(key)) if isinstance(key, str) else key
            out.pop(new_key, None)
            out[new_key] = clean(value)
        return out
    if isinstance(data, str):
        return clean_value(data)
    return data


def urlencode(text: str) -> str:
    """PHP ``urlencode``: only ``A-Za-z0-9_.-`` are kept; space becomes ``+``."""
    out = []
    for byte in text.encode("utf-8", errors="surrogateescape"):
        if byte in _SAFE:
            out.append(chr(byte))
        elif byte == 0x20:
            out.append("+")
        else:
            out.append(f"%{byte:02X}")
    return "".join(out)


def _scalar(value: Any) -> str | None:
    if value is None:
        return None
    if value is True:
        return "1"
    if value is False:
        return "0"
    return str(value)


def http_build_query(data: Mapping[Any, Any]) -> str:
    """PHP ``http_build_query`` (RFC 1738 flavour) of a nested array."""
    parts: list[str] = []

    def walk(prefix: str | None, value: Any) -> None:
        if isinstance(value, Mapping):
            for key, child in value.items():
                name = str(key) if prefix is None else f"{prefix}[{key}]"
                walk(name, child)
            return
        if isinstance(value, (list, tuple)):
            walk(prefix, {i: v for i, v in enumerate(value)})
            return
        text = _scalar(value)
        if text is not None and prefix is not None:
            parts.append(f"{urlencode(prefix)}={urlencode(text)}")

    walk(None, data)
    return "&".join(parts)


def body_md5(pairs_or_body: Iterable[tuple[str, str]] | str | bytes) -> str:
    """MD5 hex of the cleaned, re-serialised POST: what OpenCart 4.1 signs."""
    if isinstance(pairs_or_body, (str, bytes)):
        parsed = parse_body(pairs_or_body)
    else:
        parsed = parse_pairs(pairs_or_body)
    return hashlib.md5(http_build_query(clean(parsed)).encode("utf-8")).hexdigest()


# PHP 8's leading-numeric prefix of a string: "12abc" -> 12, " 1.5e3x" -> 1500.0, ".5" -> 0.5
_NUMERIC_PREFIX = re.compile(r"[ \t\n\r\v\f]*[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_INT64 = (-(2**63), 2**63 - 1)


def php_float(value: Any) -> float:
    """PHP's ``(float)`` cast: a string's leading numeric part, else 0.0; a non-empty array is 1."""
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        match = _NUMERIC_PREFIX.match(value)
        return float(match.group(0)) if match else 0.0
    return 1.0 if value else 0.0


def php_int(value: Any) -> int:
    """PHP's ``(int)`` cast (``"12abc"`` → 12, ``"1e3"`` → 1000, ``"2.9"`` → 2, ``"x"`` → 0).

    Infinity and NaN cast to 0, as PHP 7+ does on 64-bit builds.
    """
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        match = _NUMERIC_PREFIX.match(value)
        if not match:
            return 0
        text = match.group(0).strip()
        if text.lstrip("+-").isdigit():
            return min(max(int(text), _INT64[0]), _INT64[1])
        value = float(text)
    if isinstance(value, float):
        return int(value) if value == value and abs(value) != float("inf") else 0
    return 1 if value else 0
