"""Wire shapes of OpenCart 4.1.0.4's API answers: messages, PHP value coercions, JSON rows.

Everything here is presentation: how a 4.1.0.4 store spells its messages and which
PHP types leak into its JSON (ids and quantities as strings, computed amounts as
numbers, DB decimals as ``"1.0000"``). The references are
``tests/recordings/oc41/PROTOCOL.md`` §5/§8 and the recorded transcripts.
"""

from __future__ import annotations

from typing import Any

from ocdata._php import php_float as php_num  # noqa: F401  (the oc41 steps read them from here)
from ocdata._php import php_int  # noqa: F401
from ocdata.sandbox.catalog import php_empty
from ocdata.sandbox.engine import CartOption, CartProduct, PaymentMethod, ShippingMethod, TotalLine
from ocdata.sandbox.fronts.base import php_json_encode
from ocdata.sandbox.fronts.messages import (  # noqa: F401  (the oc41 steps read them from here)
    AFFILIATE_NOT_FOUND,
    AFFILIATE_SUCCESS,
    CALL_NOT_FOUND,
    CART_SUCCESS,
    CART_WARNING,
    CONFIRM_STOCK,
    COUPON_SUCCESS,
    CUSTOMER_REQUIRED,
    CUSTOMER_SUCCESS,
    MINIMUM,
    NO_PAYMENT_OPTIONS,
    NO_SHIPPING_OPTIONS,
    NO_SHIPPING_PRODUCTS,
    OPTION_REQUIRED,
    ORDER_NOT_FOUND,
    ORDER_SUCCESS,
    PAYMENT_ADDRESS_REQUIRED,
    PAYMENT_ADDRESS_SUCCESS,
    PAYMENT_METHOD_REQUIRED,
    PAYMENT_METHOD_SUCCESS,
    PRODUCT_NOT_FOUND,
    REWARD_MAXIMUM,
    REWARD_POINTS,
    REWARD_SUCCESS,
    SHIPPING_ADDRESS_REQUIRED,
    SHIPPING_ADDRESS_SUCCESS,
    SHIPPING_METHOD_REQUIRED,
    SHIPPING_METHOD_SUCCESS,
    SUBSCRIPTION_REQUIRED,
)
from ocdata.sandbox.model import Product

# --------------------------------------------------------------------------- messages (en-gb)
# Observed in transcripts unless marked [src?] (read from source/guessed, not observed); the texts other
# fronts answer too live in :mod:`.messages`.
PRODUCT_STOCK = "Product not available in the desired quantity or not in stock!"
OPTION_NOT_FOUND = "Option could not be found!"
OPTION_STOCK = "Option not available in the desired quantity or not in stock!"
SUBSCRIPTION_INVALID = "Subscription Plan is not valid!"  # [src?]
CONFIRM_PRODUCT_REQUIRED = "Warning: Products required!"  # [src?] empty cart on confirm
SUBSCRIPTION_PLAN_REQUIRED = "Warning: Subscription plan required!"  # [src?]
REWARD_NONE = "Warning: Please enter the amount of reward points to use!"  # [src?]

#: What PHP prints (display_errors on) when 4.1.0.4's api/cart reads the stock of an
#: option value that does not exist: ``getOptionValue()`` returns ``[]`` and line 124
#: reads ``['quantity']`` from it before checking (transcript 068).
OPTION_VALUE_WARNING = (
    '<b>Warning</b>: Undefined array key "quantity" in '
    "<b>/var/www/opencart/catalog/controller/api/cart.php</b> on line <b>124</b>"
)

#: The uncaught TypeError 4.1.0.4 prints for every subscription ``confirm`` that passes
#: validation: the controller calls ``editSubscription()`` (it only adds when
#: ``subscription_plan_id`` is 0, which fails validation), whose query escapes a null
#: (transcript 085; HTTP 200, ``text/html; charset=UTF-8``).
SUBSCRIPTION_CONFIRM_TRACE = (
    "Error: Opencart\\System\\Library\\DB::escape(): Argument #1 ($value) must be of type string, "
    "null given, called in /var/www/opencart/catalog/model/checkout/subscription.php on line 153\n"
    "File: /var/www/opencart/system/library/db.php\nLine: 64\n\n"
    "Backtrace: 0\nFile: /var/www/opencart/catalog/model/checkout/subscription.php\nLine: 153\n"
    "Class: Opencart\\System\\Library\\DB\nFunction: escape\n\n"
    "Backtrace: 1\nFile: /var/www/opencart/system/engine/loader.php\nLine: 351\n"
    "Class: Opencart\\Catalog\\Model\\Checkout\\Subscription\nFunction: editSubscription\n\n"
    "Backtrace: 2\nFile: /var/www/opencart/system/engine/proxy.php\nLine: 91\n"
    "Class: Opencart\\System\\Engine\\Loader\nFunction: Opencart\\System\\Engine\\{closure}\n\n"
    "Backtrace: 3\nFile: /var/www/opencart/catalog/controller/api/subscription.php\nLine: 391\n"
    "Class: Opencart\\System\\Engine\\Proxy\nFunction: __call\n\n"
    "Backtrace: 4\nFile: /var/www/opencart/catalog/controller/api/subscription.php\nLine: 40\n"
    "Class: Opencart\\Catalog\\Controller\\Api\\Subscription\nFunction: confirm\n\n"
    "Backtrace: 5\nFile: /var/www/opencart/system/engine/action.php\nLine: 96\n"
    "Class: Opencart\\Catalog\\Controller\\Api\\Subscription\nFunction: index\n\n"
    "Backtrace: 6\nFile: /var/www/opencart/system/framework.php\nLine: 275\n"
    "Class: Opencart\\System\\Engine\\Action\nFunction: execute\n\n"
    "Backtrace: 7\nFile: /var/www/opencart/index.php\nLine: 21\nFunction: require_once\n\n"
)

# --------------------------------------------------------------------------- PHP coercions
def php_array_filter(value: Any) -> dict:
    """``array_filter((array)$v)``: drop empty entries (nested arrays are kept whole)."""
    if isinstance(value, dict):
        return {k: v for k, v in value.items() if not php_empty(v)}
    if php_empty(value):
        return {}
    return {0: value}


def php_values(value: Any) -> list[Any]:
    """The values of a PHP array (a dict parsed from a form), or ``[value]`` for a scalar."""
    if isinstance(value, dict):
        return list(value.values())
    if isinstance(value, (list, tuple)):
        return list(value)
    return [value]


def json_or_prefixed(body: dict, warnings: list[str]) -> Any:
    """The body for a :class:`~ocdata.sandbox.fronts.base.Response` (which encodes it
    like PHP), or text with PHP warnings printed before its JSON."""
    return "".join(warnings) + php_json_encode(body) if warnings else body


# --------------------------------------------------------------------------- rows
def _dec(value: float, places: int) -> str:
    """A MySQL DECIMAL column as PHP receives it (``"30.0000"``)."""
    return f"{value:.{places}f}"


def option_row(option: CartOption) -> dict[str, Any]:
    """One ``option[]`` element of a product row, with the PHP types the cart returns.

    Choice options merge the DB row (all strings) into the cart's fields; text-like
    options carry literal zeros and empty prefixes.
    """
    if option.product_option_value_id:
        return {
            "value": option.value,
            "product_option_id": option.product_option_id,
            "product_option_value_id": str(option.product_option_value_id),
            "option_id": str(option.option_id),
            "name": option.name,
            "type": option.type,
            "option_value_id": str(option.option_value_id),
            "quantity": str(option.quantity),
            "subtract": "1" if option.subtract else "0",
            "price": _dec(option.price, 4),
            "price_prefix": option.price_prefix,
            "points": str(option.points),
            "points_prefix": option.points_prefix,
            "weight": _dec(option.weight, 8),
            "weight_prefix": option.weight_prefix,
        }
    return {
        "value": option.value,
        "product_option_id": option.product_option_id,
        "product_option_value_id": 0,
        "option_value_id": 0,
        "quantity": 0,
        "subtract": 0,
        "price": 0,
        "price_prefix": "",
        "points": 0,
        "points_prefix": "",
        "weight": 0,
        "weight_prefix": "",
        "option_id": str(option.option_id),
        "name": option.name,
        "type": option.type,
    }


#: The product DB row's columns in the order ``SELECT *`` returns them (after the
#: cart's own fields); values come from ``Product.record`` when present.
_RECORD_COLUMNS = (
    "product_id", "store_id", "master_id", "model", "location", "variant", "override",
    "stock_status_id", "manufacturer_id", "shipping", "tax_class_id", "date_available",
    "weight_class_id", "length", "width", "height", "length_class_id", "subtract", "minimum",
    "rating", "sort_order", "status", "date_added", "date_modified", "language_id", "name",
    "description", "tag", "meta_title", "meta_description", "meta_keyword",
)


#: Keys ``api/cart`` writes before the DB row (the row's columns of the same name lose).
_CART_KEYS = frozenset({
    "subscription_plan_id", "subscription", "image", "option", "price_text", "total_text", "cart_id",
    "download", "quantity", "minimum_status", "stock", "stock_status", "price", "total", "reward",
    "points", "weight",
})


def db_columns(product: Product) -> tuple[tuple[str, Any], ...]:
    """The part of a product row that comes from the product's DB row: the
    ``SELECT *`` columns (from ``Product.record``, else a stock install's values), then
    the record's other columns, minus the keys the cart fields hold. It depends on the
    product only, so the front builds it once per product."""
    record = product.record or {}
    fallback: dict[str, Any] = {
        "product_id": str(product.product_id),
        "store_id": "0",
        "master_id": "0",
        "model": product.model,
        "location": "",
        "variant": "",
        "override": "",
        "stock_status_id": "0",
        "manufacturer_id": "0",
        "shipping": "1" if product.shipping else "0",
        "tax_class_id": str(product.tax_class_id),
        "date_available": "",
        "weight_class_id": str(product.weight_class_id),
        "length": _dec(0, 8),
        "width": _dec(0, 8),
        "height": _dec(0, 8),
        "length_class_id": "1",
        "subtract": "1" if product.subtract else "0",
        "minimum": str(product.minimum),
        "rating": "0",
        "sort_order": "0",
        "status": "1" if product.status else "0",
        "date_added": "",
        "date_modified": "",
        "language_id": "1",
        "name": product.name,
        "description": "",
        "tag": "",
        "meta_title": product.name,
        "meta_description": "",
        "meta_keyword": "",
    }
    columns = {c: record[c] if c in record else fallback[c] for c in _RECORD_COLUMNS if c not in _CART_KEYS}
    for column, value in record.items():
        if column not in _CART_KEYS:
            columns.setdefault(column, value)
    return tuple(columns.items())


def product_row(
    p: CartProduct,
    db_row: tuple[tuple[str, Any], ...],
    *,
    cart_id: int,
    subscription_text: str,
    price_text: str,
    total_text: str,
) -> dict[str, Any]:
    """One element of ``products[]`` (``api/cart.getProducts``), keys in PHP's order.

    ``['subscription_plan_id', 'subscription'] + [image, option, price_text, total_text]
    + cart fields + the product's DB row`` (``db_row`` = :func:`db_columns` of
    ``p.product``): PHP's array union keeps the first occurrence, which is why cart
    values (quantity, price, weight...) win over the DB row's columns of the same name.
    """
    row: dict[str, Any] = {
        "subscription_plan_id": p.subscription.subscription_plan_id if p.subscription else 0,
        "subscription": subscription_text,
        "image": p.product.record.get("image", ""),
        "option": [option_row(o) for o in p.options],
        "price_text": price_text,
        "total_text": total_text,
        "cart_id": str(cart_id),
        "download": [],
        "quantity": str(p.quantity),
        "minimum_status": bool(p.minimum_status),
        "stock": str(p.stock),
        "stock_status": bool(p.stock_status),
        "price": p.price,
        "total": p.total,
        "reward": p.reward,
        "points": p.points,
        "weight": p.weight,
    }
    row.update(db_row)
    return row


def total_row(line: TotalLine, text: str) -> dict[str, Any]:
    """One ``totals[]`` element: ``['text' => ...] + $total``."""
    return {
        "text": text,
        "extension": line.extension,
        "code": line.code,
        "title": line.title,
        "value": line.value,
        "sort_order": line.sort_order,
    }


def shipping_methods_object(methods: list[ShippingMethod]) -> dict[str, Any]:
    """``shipping_methods`` keyed by extension; quotes keyed by the part after the dot,
    ``cost``/``tax_class_id`` with the PHP types the extension produced (4.0's shape too:
    the ``oc40`` front answers it)."""
    out: dict[str, Any] = {}
    for m in methods:
        quotes = {}
        for q in m.quotes:
            key = q.code.split(".", 1)[1] if "." in q.code else q.code
            quotes[key] = {
                "code": q.code,
                "name": q.name,
                "cost": q.cost_raw,
                "tax_class_id": q.tax_class_id_raw,
                "text": q.text,
            }
        out[m.code] = {
            "code": m.code,
            "name": m.name,
            "quote": quotes,
            "sort_order": m.sort_order_raw,
            "error": m.error,
        }
    return out


def payment_methods_object(methods: list[PaymentMethod]) -> dict[str, Any]:
    """``payment_methods`` keyed by extension, each with its ``option`` object (4.0's too)."""
    out: dict[str, Any] = {}
    for m in methods:
        options = {}
        for code, name in m.options:
            key = code.split(".", 1)[1] if "." in code else code
            options[key] = {"code": code, "name": name}
        out[m.code] = {"code": m.code, "name": m.name, "option": options, "sort_order": m.sort_order_raw}
    return out


#: ``catalog/language/en-gb/api/cart.php`` subscription descriptions [src?]
_SUB_TRIAL = "{} every {} {}(s) for {} payment(s) then "
_SUB_DURATION = "{} every {} {}(s) for {} payment(s)"
_SUB_CANCEL = "{} every {} {}(s) until canceled"
_FREQUENCY = {"day": "Day", "week": "Week", "semi_month": "Semi Month", "month": "Month", "year": "Year"}


def subscription_text(p: CartProduct, money) -> str:
    """The ``subscription`` description of a cart line (``""`` without a plan)."""
    s = p.subscription
    if s is None:
        return ""
    text = ""
    if s.trial_status:
        text += _SUB_TRIAL.format(
            money(s.trial_price), s.trial_cycle, _FREQUENCY.get(s.trial_frequency, s.trial_frequency), s.trial_duration
        )
    frequency = _FREQUENCY.get(s.frequency, s.frequency)
    if s.duration:
        text += _SUB_DURATION.format(money(s.price), s.cycle, frequency, s.duration)
    else:
        text += _SUB_CANCEL.format(money(s.price), s.cycle, frequency)
    return text
