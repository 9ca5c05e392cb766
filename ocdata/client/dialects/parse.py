"""Normalising OpenCart answers into domain models; shared by every dialect.

OpenCart sends ids and quantities as strings, amounts as strings, ints or unrounded PHP
floats, names HTML-escaped, ``title`` or ``name`` depending on the version, payment
``option`` objects nested in methods, and products in database order. These helpers
accept every variant seen in the recorded transcripts and return stable, typed models.
"""

from __future__ import annotations

import functools
import html
import json
import re
from decimal import Decimal
from typing import Any, Callable, Iterable

from ..credentials import redact
from ..errors import ProtocolError
from ..models import (
    CartProduct,
    Country,
    PaymentMethod,
    SelectedOption,
    ShippingQuote,
    TotalLine,
    Zone,
    money,
    text,
)

__all__ = [
    "decode_json",
    "as_int",
    "require_id",
    "amount",
    "rows",
    "as_bool",
    "parse_products",
    "parse_totals",
    "parse_shipping_methods",
    "parse_payment_methods",
    "parse_country",
    "scrub",
    "TOTAL_CODES_BY_TITLE",
    "code_from_title",
    "parse_money_text",
    "total_code",
    "totals_wire",
    "cart_problems",
    "flat_error_fields",
]

_NOTICE = re.compile(r"<b>(?P<kind>[^<]+)</b>:\s*(?P<msg>.*?)\s+in\s+<b>(?P<file>[^<]+)</b>\s+on line\s+<b>(?P<line>\d+)</b>",
                     re.S)


def decode_json(body: str, *, warn: Callable[[str], None], dialect: str, call: str, status: int | None = None) -> Any:
    """Parse a store answer, tolerating PHP notices printed before the JSON.

    A prefix before the first ``{``/``[`` is reported through ``warn`` naming the notice;
    an answer without JSON raises :class:`ProtocolError` with a short redacted snippet.
    """
    stripped = body.strip()
    try:
        return json.loads(stripped)
    except ValueError:
        pass
    except RecursionError:
        raise ProtocolError("the store's answer is JSON nested too deeply to be an API answer; check the store URL",
                            status=status, body=body[:200], dialect=dialect, call=call) from None
    starts = [i for i in (stripped.find("{"), stripped.find("[")) if i > 0]
    for start in sorted(starts):
        try:
            value = json.loads(stripped[start:])
        except ValueError:
            continue
        except RecursionError:
            break
        prefix = stripped[:start]
        m = _NOTICE.search(prefix)
        notice = (f"PHP {m['kind'].strip()}: {text(m['msg']).strip()} ({m['file'].rsplit('/', 1)[-1]} line {m['line']})"
                  if m else " ".join(re.sub(r"<[^>]+>", "", prefix).split())[:160])
        warn(f"{dialect} {call}: the store printed a PHP notice before its JSON answer, parsed anyway — {redact(notice)}")
        return value
    raise ProtocolError(
        "the store answered with something that is not JSON (an HTML page or a PHP error); "
        "check the store URL points at the shop's index.php and read the store's error log",
        status=status, body=body, dialect=dialect, call=call,
    )


def as_int(value: Any, default: int | None = 0) -> int | None:
    """A lenient integer (``"3"``, ``3``, ``"3.0"``); ``default`` for anything else (never raises)."""
    if value is None or value == "" or isinstance(value, bool) and not value:
        return default
    try:
        return int(value)
    except (TypeError, ValueError, OverflowError):
        try:
            return int(float(value))
        except (TypeError, ValueError, OverflowError):
            return default


_ID = re.compile(r"^\s*\+?0*([1-9][0-9]{0,17})\s*$")


def require_id(value: Any, field: str, *, dialect: str, call: str, body: Any = None) -> int:
    """A positive record id as the store sends it (``3`` or ``"3"``); anything else (``"abc"``,
    ``null``, ``2.7``, ``0``, ``1e400``) is a :class:`ProtocolError` naming ``field``."""
    if isinstance(value, int) and not isinstance(value, bool) and 0 < value < 10**18:
        return value
    if isinstance(value, str) and (m := _ID.match(value)):
        return int(m.group(1))
    raise ProtocolError(f"the store's answer has {field}={str(value)[:40]!r}, not a record id",
                        body=body, dialect=dialect, call=call)


def amount(value: Any, field: str, decimals: int = 2) -> Decimal | None:
    """:func:`~ocdata.client.models.money`, refusing what is not an amount (``"abc"``, ``Infinity``,
    ``NaN``, ``1e400``) with a :class:`ProtocolError` naming ``field``."""
    try:
        return money(value, decimals)
    except ValueError:
        raise ProtocolError(f"the store's answer has {field}={str(value)[:40]!r}, not an amount") from None


def rows(raw: Any, field: str) -> list:
    """The items of a list (or id-keyed object) answer field; ``None`` is empty, any other type
    (a string, a number) a :class:`ProtocolError` naming ``field``."""
    if raw is None:
        return []
    if isinstance(raw, dict):
        return list(raw.values())
    if isinstance(raw, list):
        return raw
    raise ProtocolError(f"the store's answer has {field} as {type(raw).__name__} {str(raw)[:40]!r}, not a list")


def _objects(raw: Any, field: str) -> list[dict]:
    """:func:`rows` whose every item is an object (an item of another type is a ProtocolError)."""
    items = rows(raw, field)
    for item in items:
        if not isinstance(item, dict):
            raise ProtocolError(f"the store's answer has an item of {field} that is {str(item)[:40]!r}, not an object")
    return items


def as_bool(value: Any) -> bool | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value.strip() not in ("", "0", "false")
    return bool(value)


_SECRET_KEYS = frozenset({"api_token", "token", "key", "signature"})


def scrub(raw: Any) -> Any:
    """A raw answer with secret-bearing keys masked (login answers carry ``api_token``).

    Parts without such keys are returned as they are, not copied (every cart answer
    passes through here and almost none carries a secret).
    """
    if isinstance(raw, dict):
        masked = {k: "********" if k in _SECRET_KEYS else scrub(v) for k, v in raw.items()
                  if k in _SECRET_KEYS or isinstance(v, (dict, list))}
        if all(masked[k] is raw[k] for k in masked):
            return raw
        return {**raw, **masked}
    if isinstance(raw, list):
        items = [scrub(v) for v in raw]
        return raw if all(a is b for a, b in zip(items, raw)) else items
    return raw


def _options(raw_options: Iterable[dict]) -> tuple[SelectedOption, ...]:
    out = [
        SelectedOption(
            product_option_id=as_int(o.get("product_option_id")),
            product_option_value_id=as_int(o.get("product_option_value_id")),
            name=text(o.get("name")),
            value=text(o.get("value")),
            type=str(o.get("type") or ""),
            raw=o,
        )
        for o in raw_options or ()
        if isinstance(o, dict)
    ]
    return tuple(sorted(out, key=lambda o: (o.product_option_id, o.product_option_value_id, o.value)))


def _amount_or_text(value: Any, decimals: int) -> tuple[Decimal | None, str | None]:
    """4.1 sends numbers, 4.0/3.0 formatted strings (``$122.00``); keep each where it belongs."""
    if value is None or isinstance(value, bool):
        return None, None
    if isinstance(value, (int, float)):
        return amount(value, "products[].price/total", decimals), None
    s = str(value).strip()
    try:
        return money(s, decimals), None
    except ValueError:
        return None, text(s)


def parse_products(raw: Any, decimals: int = 2, order: list[int] | None = None) -> tuple[CartProduct, ...]:
    """Cart products in a stable order: the draft's line order when ``order`` (product ids) is given,
    else by product id; ties broken by options so repeated products keep a fixed order."""
    items: list[CartProduct] = []
    for p in _objects(raw, "products"):  # some versions key products by cart id
        price, price_text = _amount_or_text(p.get("price"), decimals)
        total, total_text = _amount_or_text(p.get("total"), decimals)
        stock = p.get("stock_status") if "stock_status" in p and isinstance(p.get("stock_status"), bool) else p.get("stock")
        items.append(
            CartProduct(
                product_id=require_id(p.get("product_id"), "products[].product_id", dialect="", call="products"),
                name=text(p.get("name")),
                model=text(p.get("model")),
                quantity=_quantity(p.get("quantity")),
                options=_options(p.get("option") or ()),
                price=price,
                total=total,
                price_text=text(p["price_text"]) if p.get("price_text") is not None else price_text,
                total_text=text(p["total_text"]) if p.get("total_text") is not None else total_text,
                in_stock=stock if isinstance(stock, bool) else None,
                minimum_ok=(p.get("minimum_status") if isinstance(p.get("minimum_status"), bool)
                            else p.get("minimum") if isinstance(p.get("minimum"), bool) else None),
                reward=as_int(p.get("reward"), None),
                points=as_int(p.get("points"), None),
                weight=_weight(p.get("weight")),
                shipping=as_bool(p.get("shipping")),
                tax_class_id=as_int(p.get("tax_class_id"), None),
                subscription_plan_id=as_int(p.get("subscription_plan_id"), None) or None,
                raw=p,
            )
        )
    rank = {pid: i for i, pid in enumerate(dict.fromkeys(order or ()))}
    items.sort(key=lambda c: (rank.get(c.product_id, len(rank)), c.product_id,
                              tuple((o.product_option_id, o.product_option_value_id, o.value) for o in c.options)))
    return tuple(items)


def _quantity(value: Any) -> int:
    """A cart line's quantity: a whole number of items (``2``, ``"2"``); else a ProtocolError."""
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 10**9:
        return value
    if isinstance(value, str) and value.strip().isdigit() and len(value.strip()) < 10:
        return int(value)
    raise ProtocolError(f"the store's answer has products[].quantity={str(value)[:40]!r}, not a number of items")


def _weight(value: Any) -> Decimal | None:
    try:
        return money(value, 8)
    except ValueError:
        return None  # a weight the store cannot state changes no price


# Display titles of the core total extensions in en-gb (catalog/language/en-gb/extension/total/*):
# 4.0, 3.0 and the seed file send total lines without the code of the extension behind them.
TOTAL_CODES_BY_TITLE: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^sub-?total$", re.I), "sub_total"),
    (re.compile(r"^total$", re.I), "total"),
    (re.compile(r"^coupon\b", re.I), "coupon"),
    (re.compile(r"^reward points\b", re.I), "reward"),
    (re.compile(r"^(?:gift certificate|voucher)\b", re.I), "voucher"),
    (re.compile(r"^store credit\b", re.I), "credit"),
    (re.compile(r"^handling fee$", re.I), "handling"),
    (re.compile(r"^low order fee$", re.I), "low_order_fee"),
)


def parse_totals(raw: Any, decimals: int = 2, code_for: Callable[[str, int], str] | None = None,
                 value_of_text: Callable[[str], Decimal] | None = None) -> tuple[TotalLine, ...]:
    """Total lines sorted by ``sort_order`` (position when absent).

    Missing ``code`` (older versions) comes from ``code_for(title, index)`` or the stock title
    table; a missing ``value`` from ``value_of_text(text)`` when given.
    """
    out = []
    for i, t in enumerate(_objects(raw, "totals")):
        title = text(t.get("title") if t.get("title") is not None else t.get("name"))
        code = t.get("code") or (code_for(title, i) if code_for else code_from_title(title))
        value = t.get("value")
        value_ = amount(value, f"totals[{i}].value", decimals) if not isinstance(value, bool) else None
        shown = text(t["text"]) if t.get("text") is not None else None
        if value_ is None and shown and value_of_text is not None:
            try:
                value_ = value_of_text(shown)
            except ValueError:
                raise ProtocolError(f"the store's answer has totals[{i}].text={shown[:40]!r}, not an amount") from None
        if value_ is None:
            raise ProtocolError(f"the store's answer has totals[{i}] ({title[:40]!r}) without an amount")
        out.append(TotalLine(code=str(code), title=title, value=value_, sort_order=as_int(t.get("sort_order"), i),
                             text=shown, raw=t))
    return tuple(sorted(out, key=lambda t: t.sort_order))


def code_from_title(title: str) -> str:
    """The stock OpenCart code for a total line titled ``title`` (``"other"`` when unknown)."""
    for pattern, code in TOTAL_CODES_BY_TITLE:
        if pattern.search(title):
            return code
    return "other"


# --------------------------------------------------------------------------- formatted answers (4.0, 3.0, spec)


@functools.lru_cache(maxsize=None)
def _amount_pattern(decimal_point: str, thousand_point: str) -> re.Pattern[str]:
    """The number in a display string with these separators (a handful of languages per process)."""
    return re.compile(r"\d[\d" + re.escape(thousand_point) + r"]*(?:" + re.escape(decimal_point) + r"\d+)?")


def parse_money_text(value: str, *, decimals: int = 2, decimal_point: str = ".", thousand_point: str = ",") -> Decimal:
    """An amount from a store's display string (``"$1,088.00"``, ``"96.66€"``, ``"$-5.00"``).

    OpenCart formats ``symbol_left + number_format(amount) + symbol_right`` in the
    session currency with the language's separators (en-gb: ``.`` and ``,``).
    """
    s = html.unescape(str(value))
    number = _amount_pattern(decimal_point, thousand_point).search(s)
    if not number:
        raise ValueError(f"no amount in {value!r}")
    digits = number.group(0).replace(thousand_point, "").replace(decimal_point, ".")
    negative = "-" in s[: number.start()]
    amount = money(("-" if negative else "") + digits, decimals)
    assert amount is not None
    return amount


def total_code(title: str, position: int, count: int, shipping_title: str | None) -> str:
    """The total extension that produced a ``{title, text}`` line (4.0, 3.0 and spec send no code).

    The store sorts lines by the extensions' sort order, so the first is the sub-total
    and the last the grand total; the shipping line is titled with the chosen quote's
    name; the core extensions have fixed en-gb titles; what remains is one line per
    tax rate, titled with the rate's name (which the store owner chooses).
    """
    if position == count - 1:
        return "total"
    if shipping_title is not None and title == shipping_title:
        return "shipping"
    code = code_from_title(title)
    if code != "other":
        return code
    return "sub_total" if position == 0 else "tax"


def totals_wire(items: Iterable[dict[str, Any]] | None, *, shipping_title: str | None = None, decimals: int = 2,
                **separators: str) -> tuple[TotalLine, ...]:
    """``totals`` without codes (4.0, 3.0, spec): codes from :func:`total_code`, values from ``value``
    or else read from ``text``.

    ``sort_order`` is the line's position (the store already sorted by its extensions' order).
    """
    lines = _objects(items, "totals")
    wanted = text(shipping_title) if shipping_title is not None else None
    return parse_totals(lines, decimals, code_for=lambda title, i: total_code(title, i, len(lines), wanted),
                        value_of_text=lambda shown: parse_money_text(shown, decimals=decimals, **separators))


def cart_problems(error: Any) -> tuple[str, ...]:
    """Messages of the ``error`` object a cart answer carries next to its data (stock, minimum)."""
    if not error:
        return ()
    if isinstance(error, str):
        return (text(error),)
    out: list[str] = []
    values = error.values() if isinstance(error, dict) else error
    for v in values:
        if isinstance(v, (list, tuple)):
            out.extend(text(x) for x in v)
        elif isinstance(v, dict):
            out.extend(text(x) for x in v.values())
        else:
            out.append(text(v))
    return tuple(out)


def flat_error_fields(error: Any, *, default_key: str = "warning") -> dict[str, str]:
    """An ``error`` value (string, object, or 3.0's nested ``option`` object) as ``{field: message}``.

    Nested objects are flattened with an underscore (3.0 ``{"option": {"218": …}}`` becomes
    ``option_218``, the key 4.0 uses for the same error).
    """
    if isinstance(error, str):
        return {default_key: text(error)}
    out: dict[str, str] = {}
    if isinstance(error, dict):
        for key, value in error.items():
            if isinstance(value, dict):
                for sub, msg in flat_error_fields(value).items():
                    out[f"{key}_{sub}"] = msg
            elif isinstance(value, (list, tuple)):
                out[str(key)] = "; ".join(text(v) for v in value)
            else:
                out[str(key)] = text(value)
    elif isinstance(error, (list, tuple)):
        out[default_key] = "; ".join(text(v) for v in error)
    return out


# --------------------------------------------------------------------------- methods


def parse_shipping_methods(raw: Any, decimals: int = 2, *, problems: list[str] | None = None
                           ) -> tuple[ShippingQuote, ...]:
    """Flatten ``{ext: {code, name|title, quote: {key: {...}}, sort_order, error}}`` (object or list)
    into one :class:`ShippingQuote` per quote, ordered by method sort order then code.

    A method that reports an ``error`` offers no quote; its message is appended to
    ``problems`` (``"shipping method <name>: <error>"``, ready to be a quote warning).
    """
    if isinstance(raw, dict):
        methods: Iterable[tuple[Any, Any]] = raw.items()
    elif isinstance(raw, list):
        methods = ((None, m) for m in raw)
    else:  # an answer without a list and without an error would silently offer nothing
        raise ProtocolError(f"the store's answer has shipping_methods={str(raw)[:40] if raw is not None else 'null'} "
                            f"and no error: neither quotes nor a refusal")
    out = []
    for key, m in methods:
        if not isinstance(m, dict):
            raise ProtocolError(f"the store's answer has shipping_methods entry {str(m)[:40]!r}, not an object")
        method_name = text(m.get("name") if m.get("name") is not None else m.get("title"))
        if m.get("error"):
            if problems is not None:
                label = m.get("name") or m.get("title") or m.get("code") or key
                problems.append(f"shipping method {text(label)}: {text(m['error'])}")
            continue
        for q in _objects(m.get("quote"), "shipping_methods[].quote"):
            code = str(q.get("code") or "")
            if q.get("cost") in (None, "") or isinstance(q.get("cost"), bool):
                raise ProtocolError(f"the store's answer has shipping_methods quote {code or '?'} without a cost "
                                    f"(cost={q.get('cost')!r}); it cannot be priced")
            out.append(
                ShippingQuote(
                    method_code=str(m.get("code") or code.split(".", 1)[0]),
                    code=code,
                    name=text(q.get("name") if q.get("name") is not None else q.get("title")),
                    method_name=method_name,
                    cost=amount(q.get("cost"), f"shipping_methods[{code}].cost", decimals),
                    tax_class_id=as_int(q.get("tax_class_id"), 0),
                    text=text(q.get("text")),
                    sort_order=as_int(m.get("sort_order"), 0),
                    raw=q,
                )
            )
    return tuple(sorted(out, key=lambda q: (q.sort_order, q.method_code, q.code)))


def parse_payment_methods(raw: Any) -> tuple[PaymentMethod, ...]:
    """Payment methods: 4.x nests the code to send back in ``option``; 3.0/spec give it flat."""
    if raw is None:
        raise ProtocolError("the store's answer has no payment_methods and no error: neither methods nor a refusal")
    out = []
    for m in _objects(raw, "payment_methods"):
        mname = text(m.get("name") if m.get("name") is not None else m.get("title"))
        mcode = str(m.get("code") or "")
        options = m.get("option")
        options = options.values() if isinstance(options, dict) else (options or ())
        nested = [o for o in options if isinstance(o, dict)]
        if nested:
            for o in nested:
                out.append(PaymentMethod(code=str(o.get("code") or mcode), name=text(o.get("name")) or mname,
                                         method_code=mcode, method_name=mname,
                                         sort_order=as_int(m.get("sort_order"), 0), raw=m))
        else:
            out.append(PaymentMethod(code=mcode, name=mname, method_code=mcode.split(".", 1)[0], method_name=mname,
                                     sort_order=as_int(m.get("sort_order"), 0), raw=m))
    return tuple(sorted(out, key=lambda p: (p.sort_order, p.code)))


def parse_country(raw: Any) -> Country | None:
    """The storefront ``localisation/country`` answer; ``[]`` (unknown id) gives None."""
    if not isinstance(raw, dict) or not raw.get("country_id"):
        return None
    cid = as_int(raw.get("country_id"))
    zones = tuple(
        sorted(
            (Zone(zone_id=as_int(z.get("zone_id")), country_id=as_int(z.get("country_id"), cid), code=text(z.get("code")),
                  name=text(z.get("name")), status=as_bool(z.get("status", "1")), raw=z)
             for z in raw.get("zone") or () if isinstance(z, dict)),
            key=lambda z: z.zone_id,
        )
    )
    return Country(country_id=cid, name=text(raw.get("name")), iso_code_2=str(raw.get("iso_code_2") or ""),
                   iso_code_3=str(raw.get("iso_code_3") or ""), postcode_required=bool(as_bool(raw.get("postcode_required"))),
                   status=bool(as_bool(raw.get("status", "1"))), address_format_id=as_int(raw.get("address_format_id")),
                   zones=zones, raw={k: v for k, v in raw.items() if k != "zone"})
