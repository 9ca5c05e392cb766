"""PHP's form handling and rounding, reproduced where OpenCart's wire behaviour depends on it.

OpenCart 4.1 signs (and the sandbox verifies) the MD5 of ``http_build_query``
applied to the *parsed and cleaned* ``$_POST`` array, not the raw body
(``tests/recordings/oc41/PROTOCOL.md`` §2.3). Every OpenCart version also
HTML-escapes and trims all input before controllers see it. Both the client's
signer and the sandbox's server use this module so they agree byte for byte, and both
round amounts as PHP's ``round()`` does (:func:`pre_round`).
"""

from __future__ import annotations

import hashlib
import re
from decimal import ROUND_HALF_UP, Decimal
from collections.abc import Iterable, Mapping
from itertools import islice
from typing import Any, Union
from urllib.parse import unquote

PhpValue = Union[str, "PhpArray"]
PhpArray = dict  # insertion-ordered, keys are int or str as in PHP arrays

_TRIM = " \t\n\r\0\x0b"
_SAFE = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-")


_INT_KEY = re.compile(r"^(0|-?[1-9][0-9]*)$")
_INT64 = (-(2**63), 2**63 - 1)

#: php.ini ``max_input_vars`` (default 1000). PHP counts GET, POST and cookie variables
#: separately; for a form-encoded POST ``add_post_vars`` registers a variable *then*
#: counts it, so the 1001st is kept and the rest dropped with a startup warning
#: ("Input variables exceeded 1000…"); the script still runs.
ROUND_PRECISION = 15
"""Significant digits PHP's ``round()`` (8.3 and earlier) keeps before rounding to the places asked."""


def pre_round(amount: Decimal) -> Decimal:
    """The first step of PHP's ``round()``: the amount to :data:`ROUND_PRECISION` significant digits
    (half-up), so float noise such as ``53.294999999999995`` rounds as ``53.295`` does."""
    if len(amount.as_tuple().digits) <= ROUND_PRECISION:
        return amount
    return amount.quantize(Decimal(1).scaleb(amount.adjusted() - ROUND_PRECISION + 1), rounding=ROUND_HALF_UP)


MAX_INPUT_VARS = 1000
#: php.ini ``max_input_nesting_level`` (default 64): a deeper ``a[b][c]…`` name is dropped.
MAX_INPUT_NESTING_LEVEL = 64
#: php.ini ``post_max_size`` (default 8M): a larger body leaves ``$_POST`` empty, with a
#: startup warning ("POST Content-Length of N bytes exceeds the limit of 8388608 bytes").
POST_MAX_SIZE = 8 * 1024 * 1024


def php_key(key: str | int) -> str | int:
    """PHP array-key normalisation: canonical decimal integer strings become ints."""
    # only a digit or '-' can start an integer key: most keys are names and skip the regex
    if isinstance(key, str) and key and key[0] in _INT_START and _INT_KEY.match(key):
        value = int(key)
        if -(2**63) <= value < 2**63:
            return value
    return key


_INT_START = frozenset("-0123456789")


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


# Memos of the pure per-field steps (decoding a segment, splitting a name, cleaning a string):
# requests repeat the same field names and most values. Bounded: emptied when full, and
# long strings are never kept (a hostile body costs its own parse, not memory).
_MEMO_SIZE = 20000
_MEMO_MAX_LEN = 256
_NAME_KEYS: dict[str, tuple[str | int | None, ...]] = {}
_SEGMENTS: dict[str, tuple[str, str]] = {}
_CLEANED: dict[str, str] = {}


def _memo(memo: dict[Any, Any], key: Any, value: Any) -> None:
    if len(memo) >= _MEMO_SIZE:
        memo.clear()
    memo[key] = value


def _name_keys(name: str) -> tuple[str | int | None, ...]:
    """The array keys a bracketed name registers (``None`` for ``[]``), empty if it registers nothing."""
    split = _split_name(name)
    if split is None:
        return ()
    base, subs = split
    return (php_key(base), *(None if sub is None else php_key(sub) for sub in subs))


def parse_pairs(pairs: Iterable[tuple[str, str]]) -> PhpArray:
    """Build ``$_POST`` from decoded name/value pairs, as ``php_register_variable`` does.

    Linear in the input: each array's next ``[]`` index is tracked as PHP's
    ``nNextFreeElement`` is, instead of recomputed from its keys (which made a body
    of ``a[]=`` pairs quadratic). A name nested deeper than
    :data:`MAX_INPUT_NESTING_LEVEL` drops its whole top-level variable, as PHP does.
    ``max_input_vars`` is applied where the pairs are split (:func:`form_pairs`).
    """
    result: PhpArray = {}
    # id(array) -> (array, nNextFreeElement); the array is held so its id is never reused.
    # An array absent here has never had an int key: its next free index is 0.
    next_free: dict[int, tuple[PhpArray, int]] = {}
    for name, value in pairs:
        if "[" not in name:  # a plain name (most of them): one key in the top array
            base = name.lstrip(" ")
            if not base:
                continue
            if "." in base or " " in base:
                base = base.replace(".", "_").replace(" ", "_")
            key = php_key(base)
            if type(key) is int:
                entry = next_free.get(id(result))
                if key >= (0 if entry is None else entry[1]):
                    next_free[id(result)] = (result, key + 1)
            result[key] = value
            continue
        keys = _NAME_KEYS.get(name)
        if keys is None:
            keys = _name_keys(name)
            if len(name) <= _MEMO_MAX_LEN:
                _memo(_NAME_KEYS, name, keys)
        if not keys:
            continue
        if len(keys) > MAX_INPUT_NESTING_LEVEL + 1:
            result.pop(keys[0], None)
            continue
        target = result
        last = len(keys) - 1
        for i, key in enumerate(keys):
            if key is None or type(key) is int:
                entry = next_free.get(id(target))
                free = 0 if entry is None else entry[1]
                if key is None:
                    key = free
                    if key > _INT64[1]:
                        break  # "the next element is already occupied": PHP drops the variable
                if key >= free:
                    next_free[id(target)] = (target, key + 1)
            if i == last:
                target[key] = value
            else:
                child = target.get(key)
                if type(child) is not dict:
                    child = {}
                    target[key] = child
                target = child
    return result


def _unquote_plus(text: str) -> str:
    """``urllib.parse.unquote_plus`` (UTF-8, invalid bytes replaced), without its calls for plain text."""
    if "+" in text:
        text = text.replace("+", " ")
    return unquote(text) if "%" in text else text


def form_pairs(body: str | bytes, max_vars: int | None = MAX_INPUT_VARS, *, source: str = "post") -> list[tuple[str, str]]:
    """The decoded ``name=value`` pairs PHP registers from a form-encoded body or query.

    ``source="post"`` (``add_post_vars``): every ``&``-separated segment counts, an empty
    one too, and the segment that exceeds ``max_vars`` is still registered (PHP counts
    after registering). ``source="get"`` (query strings, ``php_default_treat_data``):
    empty segments are skipped and at most ``max_vars`` are kept. Stops reading at the
    limit, so the cost is bounded whatever the body's size. ``max_vars=None``: no limit.
    """
    if isinstance(body, bytes):
        body = body.decode("utf-8", errors="surrogateescape")
    if not body:
        return []
    keep = None if max_vars is None else (max_vars + 1 if source == "post" else max_vars)
    # split at most keep times (bounded cost); the segment after the last split is the unread rest
    parts = body.split("&") if keep is None else body.split("&", keep)
    if keep is not None and len(parts) > keep:
        if source != "post" and "" in parts[:keep]:
            parts = _segments(body, keep)  # skipped empty segments do not count: read on
        else:
            del parts[keep:]
    elif not parts[-1]:
        parts.pop()  # a trailing '&' ends the body: no empty segment after it
    pairs: list[tuple[str, str]] = []
    append = pairs.append
    post = source == "post"
    for part in parts:
        if part or post:
            pair = _SEGMENTS.get(part)
            if pair is None:
                name, _, value = part.partition("=")
                pair = (_unquote_plus(name), _unquote_plus(value))
                if len(part) <= _MEMO_MAX_LEN:
                    _memo(_SEGMENTS, part, pair)
            append(pair)
    return pairs


def _segments(body: str, keep: int) -> list[str]:
    """The first ``keep`` non-empty ``&``-separated segments of ``body``, read one by one."""
    parts: list[str] = []
    start, end = 0, len(body)
    while start < end and len(parts) < keep:
        amp = body.find("&", start)
        if amp < 0:
            amp = end
        if amp > start:
            parts.append(body[start:amp])
        start = amp + 1
    return parts


def exceeds_max_input_vars(body: str | bytes, *, source: str = "post") -> bool:
    """Whether PHP would drop variables of this body or query (and say so in a warning)."""
    if source == "post":
        return len(form_pairs(body, MAX_INPUT_VARS, source="post")) > MAX_INPUT_VARS
    return len(form_pairs(body, MAX_INPUT_VARS + 1, source="get")) > MAX_INPUT_VARS


def parse_body(body: str | bytes, max_vars: int | None = MAX_INPUT_VARS, *, source: str = "post") -> PhpArray:
    """Parse an ``application/x-www-form-urlencoded`` body (or, ``source="get"``, a query
    string) into a PHP-style array, with PHP's ``max_input_vars`` (see :func:`form_pairs`)."""
    return parse_pairs(form_pairs(body, max_vars, source=source))


def clean_value(value: str) -> str:
    """OpenCart's ``Request::clean`` for a scalar: ``trim(htmlspecialchars($v, ENT_COMPAT))``."""
    cleaned = _CLEANED.get(value)
    if cleaned is None:
        # html.escape(value, quote=False), inlined
        cleaned = (value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
                   .strip(_TRIM))
        if len(value) <= _MEMO_MAX_LEN:
            _memo(_CLEANED, value, cleaned)
    return cleaned


def clean(data: Any) -> Any:
    """OpenCart's ``Request::clean``, applied recursively to keys and values."""
    kind = type(data)
    if kind is str:
        return clean_value(data)
    if kind is dict or isinstance(data, Mapping):
        out: PhpArray = {}
        for key, value in data.items():
            new_key = php_key(clean_value(key)) if isinstance(key, str) else key
            if new_key in out:
                del out[new_key]  # a key cleaned into an earlier one moves to the end, as PHP's unset+set
            out[new_key] = clean_value(value) if type(value) is str else clean(value)
        return out
    if isinstance(data, str):
        return clean_value(data)
    return data


#: PHP ``urlencode`` of each byte, indexed by the byte
_QUOTED = tuple(chr(b) if b in _SAFE else "+" if b == 0x20 else f"%{b:02X}" for b in range(256))
_SAFE_BYTES = bytes(sorted(_SAFE))
#: Encodings of short texts (field names, ids, codes repeat in every signed call); cleared when full
_URLENCODED: dict[str, str] = {}
_URLENCODED_MAX = 4096
_URLENCODED_LEN = 128


def urlencode(text: str) -> str:
    """PHP ``urlencode``: only ``A-Za-z0-9_.-`` are kept; space becomes ``+``."""
    found = _URLENCODED.get(text)
    if found is not None:
        return found
    data = text.encode("utf-8", errors="surrogateescape")
    # one table look-up per byte, in C; a text of safe bytes only is its own encoding
    encoded = "".join(map(_QUOTED.__getitem__, data)) if data.translate(None, _SAFE_BYTES) else data.decode("ascii")
    if len(text) <= _URLENCODED_LEN:
        if len(_URLENCODED) >= _URLENCODED_MAX:
            _URLENCODED.clear()
        _URLENCODED[text] = encoded
    return encoded


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
    if isinstance(data, (Mapping, list, tuple)):
        _build_query(parts, None, data)
    return "&".join(parts)


def _build_query(parts: list[str], prefix: str | None, value: Any) -> None:
    """Append ``value``'s ``name=value`` pairs; ``prefix`` is already urlencoded (PHP's
    ``urlencode`` works byte by byte, so ``a[b]``'s encoding is ``a``'s, ``%5B``, ``b``'s, ``%5D``)."""
    items = value.items() if isinstance(value, Mapping) else enumerate(value)
    for key, child in items:
        name = urlencode(str(key)) if prefix is None else f"{prefix}%5B{urlencode(str(key))}%5D"
        if isinstance(child, (Mapping, list, tuple)):
            _build_query(parts, name, child)
        else:
            text = _scalar(child)
            if text is not None:
                parts.append(f"{name}={urlencode(text)}")


def body_md5(pairs_or_body: Iterable[tuple[str, str]] | str | bytes) -> str:
    """MD5 hex of the cleaned, re-serialised POST: what OpenCart 4.1 signs."""
    if isinstance(pairs_or_body, (str, bytes)):
        parsed = parse_body(pairs_or_body)
    else:  # the store registers at most max_input_vars + 1 POST variables and signs those
        parsed = parse_pairs(islice(pairs_or_body, MAX_INPUT_VARS + 1))
    return hashlib.md5(http_build_query(clean(parsed)).encode("utf-8")).hexdigest()


# PHP 8's leading-numeric prefix of a string: "12abc" -> 12, " 1.5e3x" -> 1500.0, ".5" -> 0.5
_NUMERIC_PREFIX = re.compile(r"[ \t\n\r\v\f]*[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


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

    A numeric string out of the 64-bit range is capped (``"1e308"`` → ``PHP_INT_MAX``,
    ``zend_dval_to_lval_cap``); infinity and NaN cast to 0, as PHP 7+ does on 64-bit builds.
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
        number = float(text)
        if number != number or abs(number) == float("inf"):
            return 0
        return min(max(int(number), _INT64[0]), _INT64[1])
    if isinstance(value, float):
        return int(value) if value == value and abs(value) != float("inf") else 0
    return 1 if value else 0
