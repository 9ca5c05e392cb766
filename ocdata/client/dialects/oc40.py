"""Dialect ``oc40``: the OpenCart 4.0.2.x session API (``api/account/login`` + ``api/sale/*``).

(Session handling, request table: see the class docstring below.)

The module-level ``*_wire`` helpers read the "formatted" answers that both 4.0 and
3.0 give (money only as display strings, totals without codes, HTML-escaped text,
PHP notices glued in front of the JSON); :mod:`.oc30` reuses them.
"""

from __future__ import annotations

import html
import json
import re
from decimal import Decimal
from typing import Any, Iterable

from ..errors import ProtocolError
from ..models import CartProduct, PaymentMethod, SelectedOption, ShippingQuote, TotalLine, money, text

# --------------------------------------------------------------------------- formatted wire (4.0 and 3.0)

_JSON_START = re.compile(r"[\[{]")
_TAG = re.compile(r"<[^>]+>")
_SERVER_PATH = re.compile(r"\s+in\s+/\S+(?:\s+on line\s+\d+)?")


def split_php_notices(body: str) -> tuple[list[str], Any]:
    """``(notices, decoded JSON)`` for an answer that may start with PHP warnings.

    OpenCart echoes warnings (``config_error_display=1``) before the controller's JSON:
    ``<b>Warning</b>: Undefined array key "payment_address_id" in <b>/var/www/…</b> on line
    <b>109</b>{"success":…}``. Notices come back tag-free and without the server path.
    Raises :class:`ValueError` when no JSON document ends the body.
    """
    stripped = body.strip()
    if stripped[:1] in ("{", "["):
        return [], json.loads(stripped)
    for attempt, m in enumerate(_JSON_START.finditer(stripped)):
        if attempt > 50:
            break
        try:
            data = json.loads(stripped[m.start() :])
        except ValueError:
            continue
        prefix = html.unescape(_TAG.sub("", stripped[: m.start()]))
        notices = [_SERVER_PATH.sub("", line).strip() for line in prefix.splitlines()]
        return [n for n in notices if n], data
    raise ValueError("no JSON document in the answer")


def parse_money_text(value: str, *, decimals: int = 2, decimal_point: str = ".", thousand_point: str = ",") -> Decimal:
    """An amount from a store's display string (``"$1,088.00"``, ``"96.66€"``, ``"$-5.00"``).

    OpenCart formats ``symbol_left + number_format(amount) + symbol_right`` in the
    session currency with the language's separators (en-gb: ``.`` and ``,``).
    """
    s = html.unescape(str(value))
    number = re.compile(
        r"\d[\d" + re.escape(thousand_point) + r"]*(?:" + re.escape(decimal_point) + r"\d+)?"
    ).search(s)
    if not number:
        raise ValueError(f"no amount in {value!r}")
    digits = number.group(0).replace(thousand_point, "").replace(decimal_point, ".")
    negative = "-" in s[: number.start()]
    amount = money(("-" if negative else "") + digits, decimals)
    assert amount is not None
    return amount


# Display titles of the core total extensions in en-gb (catalog/language/en-gb/extension/total/*).
_TOTAL_TITLES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^Sub-Total$"), "sub_total"),
    (re.compile(r"^Total$"), "total"),
    (re.compile(r"^Coupon \("), "coupon"),
    (re.compile(r"^Reward Points \("), "reward"),
    (re.compile(r"^(?:Gift Certificate|Voucher) \("), "voucher"),
    (re.compile(r"^Store Credit$"), "credit"),
    (re.compile(r"^Handling Fee$"), "handling"),
    (re.compile(r"^Low Order Fee$"), "low_order_fee"),
)


def total_code(title: str, position: int, count: int, shipping_title: str | None) -> str:
    """The total extension that produced a ``{title, text}`` line (4.0/3.0 send no code).

    The store sorts lines by the extensions' sort order, so the first is the sub-total
    and the last the grand total; the shipping line is titled with the chosen quote's
    name; the core extensions have fixed en-gb titles; what remains is one line per
    tax rate, titled with the rate's name (which the store owner chooses).
    """
    if position == count - 1:
        return "total"
    if shipping_title is not None and title == shipping_title:
        return "shipping"
    for pattern, code in _TOTAL_TITLES:
        if pattern.search(title):
            return code
    return "sub_total" if position == 0 else "tax"


def totals_wire(items: Iterable[dict[str, Any]], *, shipping_title: str | None = None, decimals: int = 2,
                **separators: str) -> tuple[TotalLine, ...]:
    """``totals`` of a 4.0/3.0 cart answer as :class:`TotalLine` (``sort_order`` = position, from 1)."""
    items = list(items)
    wanted = text(shipping_title) if shipping_title is not None else None
    out = []
    for i, item in enumerate(items):
        title = text(item.get("title"))
        shown = item.get("text")
        out.append(
            TotalLine(
                code=total_code(title, i, len(items), wanted),
                title=title,
                value=None if shown in (None, "") else parse_money_text(shown, decimals=decimals, **separators),
                sort_order=i + 1,
                text=shown,
                raw=item,
            )
        )
    return tuple(out)


def _int(value: Any, default: int = 0) -> int:
    if value in (None, "", False):
        return default
    try:
        return int(str(value).strip())
    except ValueError:
        return default


def product_wire(item: dict[str, Any]) -> CartProduct:
    """One ``products[]`` entry of ``api/sale/cart`` (4.0) or ``api/cart/products`` (3.0).

    Both send the line price/total only as display strings in the session currency,
    **including tax** — kept in ``price_text``/``total_text``; ``price``/``total`` (ex-tax
    numbers) stay ``None`` because these versions never send them.
    """
    options = tuple(
        SelectedOption(
            product_option_id=_int(o.get("product_option_id")),
            product_option_value_id=_int(o.get("product_option_value_id")),
            name=text(o.get("name")),
            value=text(o.get("value")),
            type=str(o.get("type") or ""),
            raw=o,
        )
        for o in item.get("option") or ()
    )
    shipping = item.get("shipping")
    return CartProduct(
        product_id=_int(item.get("product_id")),
        name=text(item.get("name")),
        model=text(item.get("model")),
        quantity=_int(item.get("quantity")),
        options=options,
        price_text=item.get("price"),
        total_text=item.get("total"),
        in_stock=item.get("stock") if isinstance(item.get("stock"), bool) else None,
        minimum_ok=item.get("minimum") if isinstance(item.get("minimum"), bool) else None,
        reward=_int(item.get("reward")) if item.get("reward") not in (None, "") else None,
        shipping=None if shipping is None else bool(_int(shipping)),
        raw=item,
    )


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


def expect_object(data: Any, call: str, dialect: str) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise ProtocolError(
            f"{call} answered {type(data).__name__} where a JSON object was expected; "
            f"check that the store really runs the {dialect} API",
            body=data,
            dialect=dialect,
            call=call,
        )
    return data


def shipping_methods_wire(methods: Any, *, name_key: str = "name", decimals: int = 2
                          ) -> tuple[tuple[ShippingQuote, ...], tuple[str, ...]]:
    """``(quotes, problems)`` from a ``shipping_methods`` object.

    Keyed by extension, each with a ``quote`` object keyed by sub-code; 4.0 calls the
    labels ``name``, 3.0 ``title`` (``name_key``). ``cost`` is ex-tax in the store's
    default currency and arrives as a string, float or int depending on the extension;
    ``text`` is the tax-inclusive display string. 3.0 sends ``[]`` when nothing ships.
    A method whose ``error`` is a message contributes that message to ``problems``.
    """
    if not methods:
        return (), ()
    if not isinstance(methods, dict):
        raise ValueError(f"shipping_methods is a {type(methods).__name__}")
    groups = sorted(methods.items(), key=lambda kv: _int(kv[1].get("sort_order")))  # stable for equal orders
    quotes: list[ShippingQuote] = []
    problems: list[str] = []
    for key, group in groups:
        method_name = text(group.get(name_key))
        if group.get("error"):
            problems.append(f"{method_name or key}: {text(group['error'])}")
        for sub, q in (group.get("quote") or {}).items():
            code = str(q.get("code") or f"{key}.{sub}")
            quotes.append(
                ShippingQuote(
                    method_code=str(group.get("code") or key),
                    code=code,
                    name=text(q.get(name_key)),
                    method_name=method_name,
                    cost=money(q.get("cost") or 0, decimals),
                    tax_class_id=_int(q.get("tax_class_id")),
                    text=str(q.get("text") or ""),
                    sort_order=_int(group.get("sort_order")),
                    raw=q,
                )
            )
    return tuple(quotes), tuple(problems)


def payment_methods_wire(methods: Any) -> tuple[PaymentMethod, ...]:
    """4.0 ``payment_methods``: extensions each with an ``option`` object; the option code
    (``cod.cod``) is what ``payment_method.save`` takes."""
    if not methods:
        return ()
    if not isinstance(methods, dict):
        raise ValueError(f"payment_methods is a {type(methods).__name__}")
    out: list[PaymentMethod] = []
    for key, group in sorted(methods.items(), key=lambda kv: _int(kv[1].get("sort_order"))):
        for sub, opt in (group.get("option") or {}).items():
            out.append(
                PaymentMethod(
                    code=str(opt.get("code") or f"{key}.{sub}"),
                    name=text(opt.get("name")),
                    method_code=str(group.get("code") or key),
                    method_name=text(group.get("name")),
                    sort_order=_int(group.get("sort_order")),
                    raw=opt,
                )
            )
    return tuple(out)
