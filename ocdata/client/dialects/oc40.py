"""Dialect ``oc40``: the OpenCart 4.0.2.x session API (``api/account/login`` + ``api/sale/*``).

Login ``POST route=api/account/login`` (``username``, ``key``) gives a token that travels
as the ``api_token`` **query** parameter on every call (never a form field, never the
``OCSESSID`` cookie fallback the store also accepts). One server session per thread holds
customer, cart, addresses and methods; it is brought in line with each draft by sending
only what changed (:meth:`SessionDialect.sync`). The store forgets a token after 60 min
without use (answering an HTML 500 page) and deletes API cart lines 1 h after they were
added, silently: the session is replaced proactively before either can bite, and a lost
session found on the wire costs one re-login plus a replay of the draft.

Requests per operation (fresh session; ``n`` cart lines, ``q`` shipping quotes offered;
on a reused session only changed steps are sent):

===================================  =========================================================
operation                            requests
===================================  =========================================================
login (first call of a thread)       1  ``api/account/login``
sync: currency / customer            1 each, only when set and changed
sync: cart                           1 per added/changed/removed line (``cart.add`` / ``.edit``
                                     / ``.remove``); +1 ``api/sale/cart`` when the ids of lines
                                     to edit or remove are not known yet
sync: payment / shipping address     1 each (``api/sale/payment_address``, ``shipping_address``)
sync: shipping / payment method      1 save (+1 list when none was made since the last change)
``cart(draft)``, ``totals(draft)``   sync + 1 ``api/sale/cart``
``shipping_methods(draft)``          sync + 1 ``api/sale/shipping_method``
``payment_methods(draft)``           sync + 1 ``api/sale/payment_method``
``quote(draft)``                     sync + 1 cart + 1 list + 3 per quote (save, cart, payment
                                     list); a cart needing no shipping: sync + cart + payment
                                     list. On 4.0 a chosen shipping method cannot be unset, so
                                     a quote on a session that holds one starts a fresh session
``confirm(draft, ...)``              sync (incl. both methods) + 1 cart (order totals) + 1
                                     ``order.comment`` when commenting + 1 ``order.confirm``;
                                     the session is dropped afterwards (a second confirm on it
                                     would *edit* that order)
``add_history(...)``                 1 ``api/sale/order.addHistory``
``probe``                            1 ``api/account/login`` without credentials
===================================  =========================================================

4.0 answers money only as display strings in the session currency (line prices and the
shipping ``text`` include tax, the ``Sub-Total`` does not); totals carry no code, so the
code is inferred (:func:`~.parse.total_code`; the readers of those "formatted" answers live in
:mod:`.parse`); the session checkout itself is shared with :mod:`.oc30`
(:class:`~.checkout.CheckoutSessionDialect`).
"""

from __future__ import annotations

import re
from typing import Any

from ..errors import AuthenticationError, PermissionDeniedError, ProtocolError, UnsupportedOperationError
from ..models import OrderDraft, text
from ..transport import HttpAnswer
from .base import ServerSession
from .checkout import CheckoutSessionDialect
from .forms import address_fields, history_fields
from .parse import scrub

__all__ = ["Oc40Dialect"]

# --------------------------------------------------------------------------- the 4.0 dialect


_SESSION_FATAL = re.compile(r"session", re.I)
_IP_REFUSED = re.compile(r"\bIP\b")


class Oc40Dialect(CheckoutSessionDialect):
    """OpenCart 4.0.2.x (see the module docstring for the request table)."""

    name = "oc40"
    versions = "4.0.2.x"
    login_route = "api/account/login"
    known_behaviours = (
        "money arrives only as display strings in the session currency; line prices include tax",
        "totals carry no code: codes are inferred from titles and positions",
        "a chosen shipping method cannot be unset: such a session is replaced",
        "a second confirm on a session edits the same order: sessions are dropped after confirm",
        "API cart lines vanish 1 h after being added; tokens after 60 min idle",
    )
    ROUTES = {
        "currency": "api/localisation/currency",
        "customer": "api/sale/customer",
        "cart": "api/sale/cart",
        "cart_add": "api/sale/cart.add",
        "cart_edit": "api/sale/cart.edit",
        "cart_remove": "api/sale/cart.remove",
        "coupon": "api/sale/coupon",
        "affiliate": "api/sale/affiliate",
        "payment_address": "api/sale/payment_address",
        "shipping_address": "api/sale/shipping_address",
        "shipping_list": "api/sale/shipping_method",
        "shipping_save": "api/sale/shipping_method.save",
        "payment_list": "api/sale/payment_method",
        "payment_save": "api/sale/payment_method.save",
        "comment": "api/sale/order.comment",
        "confirm": "api/sale/order.confirm",
        "history": "api/sale/order.addHistory",
    }
    idle_ttl = 3600.0

    def parse_login(self, answer: HttpAnswer) -> str:
        body = self.json(answer, "login")
        if isinstance(body, dict) and isinstance(body.get("api_token"), str) and body["api_token"]:
            return body["api_token"]
        error = text(body.get("error")) if isinstance(body, dict) else ""
        if error and _IP_REFUSED.search(error):
            raise PermissionDeniedError(f"the store refuses API logins from this machine's IP ({error}); add it under "
                                        f"System > Users > API > IP addresses", status=answer.status,
                                        dialect=self.name, call="login")
        if error:
            raise AuthenticationError(f"the store rejected the API user name or key ({error}); check the credentials "
                                      f"and that the API user is enabled", status=answer.status,
                                      dialect=self.name, call="login")
        raise ProtocolError("the login answer has no api_token", status=answer.status, body=scrub(body),
                            dialect=self.name, call="login")

    def session_lost(self, answer: HttpAnswer, body: Any) -> bool:
        # 4.0 dies before its permission check: an HTML fatal about the uninitialised session, status 500
        return body is None and answer.status >= 500 and bool(_SESSION_FATAL.search(answer.text or ""))

    def address_form(self, kind: str, address) -> list[tuple[str, str]]:
        return [(f"{kind}_address_id", str(address.address_id))] + address_fields(address, "", with_address_id=False)

    def _confirm(self, session: ServerSession, draft: OrderDraft, status: int | None, comment: str) -> dict:
        if draft.order_id:
            raise UnsupportedOperationError(
                "OpenCart 4.0.2.x cannot load an existing order into an API session (order.load is disabled); "
                "edit the order in the admin or confirm a new one", dialect=self.name, call="confirm")
        if comment:
            self._post(session, "comment", [("comment", comment)])
        data = [("order_status_id", str(status))] if status else []
        return self._post(session, "confirm", data, writes=True)

    def _history_request(self, order_id, status, comment, notify, override):
        return [], history_fields(status, comment, notify, override, order_id=order_id)
