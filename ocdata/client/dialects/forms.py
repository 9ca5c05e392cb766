"""Draft -> OpenCart form fields, shared by the dialects that use the same field names.

Every function returns an ordered list of ``(name, value)`` pairs (PHP bracket syntax for
arrays); ``prefix`` selects ``payment_``/``shipping_`` address fields (4.1) or none (4.0).
"""

from __future__ import annotations

from decimal import Decimal

from ..models import Address, CartLine, Customer, OrderDraft, PaymentMethod, ShippingQuote, SubscriptionDraft

Pairs = list[tuple[str, str]]

__all__ = ["Pairs", "payment_address", "customer_fields", "address_fields", "line_fields", "lines_fields", "option_fields",
           "shipping_method_fields", "payment_method_fields", "nonempty_number", "confirm_fields", "history_fields",
           "subscription_fields", "subscription_history_fields"]


def payment_address(draft: OrderDraft) -> Address | None:
    """The payment address every dialect sends: the draft's own, else its shipping address.

    A store with ``config_checkout_payment_address`` on (4.x) and every 3.0 store offer no
    payment method without one, which a shipping-only draft would otherwise get. The draft
    itself is left as it is: it is what caches key results by.
    """
    return draft.payment_address if draft.payment_address is not None else draft.shipping_address


def customer_fields(c: Customer) -> Pairs:
    pairs = [("customer_id", str(c.customer_id)), ("customer_group_id", str(c.customer_group_id)),
             ("firstname", c.firstname), ("lastname", c.lastname), ("email", c.email), ("telephone", c.telephone)]
    pairs += [(f"custom_field[{k}]", v) for k, v in sorted(c.custom_field.items())]
    return pairs


def address_fields(a: Address, prefix: str = "", *, with_address_id: bool = True) -> Pairs:
    """Address fields; ``a`` must be resolved to store ids (the Store does that)."""
    if a.country_id is None:
        raise ValueError("address not resolved to store ids; pass it through Store (country codes are resolved there)")
    p = prefix
    pairs = []
    if with_address_id:
        pairs.append((f"{p}address_id", str(a.address_id)))
    pairs += [(f"{p}firstname", a.firstname), (f"{p}lastname", a.lastname), (f"{p}company", a.company),
              (f"{p}address_1", a.address_1), (f"{p}address_2", a.address_2), (f"{p}city", a.city),
              (f"{p}postcode", a.postcode), (f"{p}country_id", str(a.country_id)), (f"{p}zone_id", str(a.zone_id or 0))]
    pairs += [(f"{p}custom_field[{k}]", v) for k, v in sorted(a.custom_field.items())]
    return pairs


def option_fields(prefix: str, options: dict) -> Pairs:
    pairs: Pairs = []
    for poid, value in sorted(options.items()):
        if isinstance(value, (list, tuple)):
            pairs += [(f"{prefix}[{poid}][{j}]", str(v)) for j, v in enumerate(value)]
        else:
            pairs.append((f"{prefix}[{poid}]", str(value)))
    return pairs


def line_fields(line: CartLine, prefix: str = "") -> Pairs:
    """One line as ``product_id``, ``quantity``, ``option[..]`` (``prefix`` e.g. ``product[0]``)."""
    name = (lambda f: f"{prefix}[{f}]") if prefix else (lambda f: f)
    pairs = [(name("product_id"), str(line.product_id)), (name("quantity"), str(line.quantity))]
    pairs += option_fields(name("option"), line.options)
    if line.subscription_plan_id is not None:
        pairs.append((name("subscription_plan_id"), str(line.subscription_plan_id)))
    return pairs


def lines_fields(lines, field: str = "product") -> Pairs:
    pairs: Pairs = []
    for i, line in enumerate(lines):
        pairs += line_fields(line, f"{field}[{i}]")
    return pairs


def nonempty_number(value: Decimal | int, *, places: int) -> str:
    """A number PHP's ``empty()`` accepts even when zero: ``0`` -> ``"0.00"`` (4.1 refuses ``"0"``)."""
    if isinstance(value, int):
        return str(value) if value else "0." + "0" * max(places, 1)
    return f"{value:.{max(places, 1)}f}" if value == 0 else str(value)


def shipping_method_fields(q: ShippingQuote, prefix: str = "shipping_method", *, decimals: int = 2) -> Pairs:
    return [(f"{prefix}[name]", q.name), (f"{prefix}[code]", q.code),
            (f"{prefix}[cost]", nonempty_number(q.cost, places=decimals)),
            (f"{prefix}[tax_class_id]", nonempty_number(q.tax_class_id, places=1))]


def payment_method_fields(p: PaymentMethod, prefix: str = "payment_method") -> Pairs:
    return [(f"{prefix}[name]", p.name), (f"{prefix}[code]", p.code)]


def _flag(value: bool) -> str:
    return "1" if value else "0"


def confirm_fields(order_id: int | None, status: int, comment: str) -> Pairs:
    """A confirm call's own fields: ``order_id`` only when an existing order is edited."""
    pairs: Pairs = [("order_id", str(order_id))] if order_id else []
    return pairs + [("order_status_id", str(status)), ("comment", comment)]


def history_fields(status: int, comment: str, notify: bool, override: bool, *, order_id: int | None = None) -> Pairs:
    """An order history entry; ``order_id`` is left out when the version wants it in the query (3.0)."""
    pairs: Pairs = [] if order_id is None else [("order_id", str(order_id))]
    return pairs + [("order_status_id", str(status)), ("comment", comment), ("notify", _flag(notify)),
                    ("override", _flag(override))]


def subscription_fields(d: SubscriptionDraft, methods: Pairs = ()) -> Pairs:
    """A subscription draft as 4.1's ``api/subscription`` takes it (the seed file copies it);
    ``methods`` are the chosen shipping/payment method fields, which the versions spell differently."""
    pairs: Pairs = [("customer_id", str(d.customer_id)), ("payment_address_id", str(d.payment_address_id)),
                    ("shipping_address_id", str(d.shipping_address_id))]
    pairs += lines_fields(d.lines)
    pairs += methods
    if d.subscription_plan_id is not None:
        pairs.append(("subscription_plan_id", str(d.subscription_plan_id)))
    if d.subscription_id is not None:
        pairs.append(("subscription_id", str(d.subscription_id)))
    return pairs


def subscription_history_fields(subscription_id: int, status: int, comment: str, notify: bool) -> Pairs:
    return [("subscription_id", str(subscription_id)), ("subscription_status_id", str(status)), ("comment", comment),
            ("notify", _flag(notify))]
