"""Dialect ``oc30``: the OpenCart 3.0.x session API (``api/login`` + ``api/<controller>/<method>``).

(Session handling, request table: see the class docstring below.)
"""

from __future__ import annotations

from typing import Any

from ..models import PaymentMethod, text
from .oc40 import _int


def payment_methods_wire(methods: Any) -> tuple[PaymentMethod, ...]:
    """3.0 ``payment_methods``: flat ``{ext: {code, title, terms, sort_order}}``; the bare
    extension code (``cod``) is what ``api/payment/method`` takes (``cod.cod`` is refused)."""
    if not methods:
        return ()
    if not isinstance(methods, dict):
        raise ValueError(f"payment_methods is a {type(methods).__name__}")
    return tuple(
        PaymentMethod(
            code=str(m.get("code") or key),
            name=text(m.get("title")),
            method_code=str(m.get("code") or key),
            method_name=text(m.get("title")),
            sort_order=_int(m.get("sort_order")),
            raw=m,
        )
        for key, m in sorted(methods.items(), key=lambda kv: _int(kv[1].get("sort_order")))
    )
