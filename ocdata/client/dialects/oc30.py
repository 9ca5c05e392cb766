"""Dialect ``oc30``: the OpenCart 3.0.x session API (``api/login`` + ``api/<controller>/<method>``).

Login ``POST route=api/login`` (``username``, ``key``) gives a token sent as the
``api_token`` **query** parameter on every call (never a form field or the ``OCSESSID``
cookie the store would also accept). The store keeps the checkout in that session; this
dialect syncs it with each draft by difference, exactly like :mod:`.oc40` (shared code:
:class:`~.checkout.CheckoutSessionDialect`). What is 3.0's own:

* routes use slashes (``api/cart/add``, ``api/shipping/methods``); quotes and payment
  methods are labelled ``title``; payment methods are flat and chosen by the bare code
  (``cod``; a draft's ``cod.cod`` is sent as ``cod``);
* a lost session is a 200 JSON *permission* error (``{"error": {"warning": …}}`` or a bare
  string, depending on the endpoint), not an HTML page; a failed login is ``[]``;
* session *data* expires after ~24 min idle (PHP's ``session.gc_maxlifetime``), API cart
  lines 1 h after being added; every cart, address and currency change drops the chosen
  methods (the dialect re-chooses them), and listing shipping methods drops the chosen one;
* the **payment address is mandatory** — a draft without one uses its shipping address;
* ``order/add`` takes comment, status and affiliate inline and **empties the cart**;
  ``order/history`` wants ``order_id`` in the query string; refusals are one string.

Requests per operation (fresh session; ``n`` cart lines, ``q`` shipping quotes offered;
on a reused session only changed steps are sent):

===================================  =========================================================
operation                            requests
===================================  =========================================================
login (first call of a thread)       1  ``api/login``
sync: currency / customer            1 each, only when set and changed (a change of
                                     registered customer starts a fresh session)
sync: cart                           1 per added line (``api/cart/add``); changes to a cart
                                     whose lines were all added before: 1 bulk ``api/cart/add``
                                     (``product[i][…]`` replaces the whole cart) when that
                                     saves requests, else 1 per ``edit``/``remove`` (+1
                                     ``api/cart/products`` when line ids are not known yet)
sync: payment / shipping address     1 each (``api/payment/address``, ``api/shipping/address``)
sync: shipping / payment method      1 save (+1 list when none was made since the last change)
``cart(draft)``, ``totals(draft)``   sync + 1 ``api/cart/products``
``shipping_methods(draft)``          sync + 1 ``api/shipping/methods``
``payment_methods(draft)``           sync + 1 ``api/payment/methods``
``quote(draft)``                     sync + 1 cart + 1 list + 3 per quote (method, cart,
                                     payment list); a cart needing no shipping: sync + cart +
                                     payment list
``confirm(draft, ...)``              sync (incl. both methods) + 1 cart (order totals) + 1
                                     ``api/order/add`` (``api/order/edit&order_id=N`` when the
                                     draft names an order)
``add_history(...)``                 1 ``api/order/history&order_id=N``
``country(id)``                      1 storefront ``checkout/checkout/country`` (3.0 has no
                                     ``localisation/country``)
``probe``                            1 ``api/login`` without credentials (3.0 answers ``[]``)
===================================  =========================================================
"""

from __future__ import annotations

import re
import time
from typing import Any

from ..errors import AuthenticationError, PermissionDeniedError, ProtocolError
from ..models import Address, CartLine, OrderDraft, PaymentMethod, text
from ..transport import HttpAnswer
from .base import REBUILD, ServerSession
from .checkout import CheckoutSessionDialect, line_key
from .forms import address_fields, history_fields, lines_fields
from .parse import flat_error_fields, scrub

__all__ = ["Oc30Dialect"]

_NO_PERMISSION = re.compile(r"permission to access the API", re.I)


class Oc30Dialect(CheckoutSessionDialect):
    """OpenCart 3.0.x (see the module docstring for the request table)."""

    name = "oc30"
    versions = "3.0.x"
    login_route = "api/login"
    country_route = "checkout/checkout/country"  # 3.0 has no localisation/country
    known_behaviours = (
        "money arrives only as display strings in the session currency; line prices include tax",
        "totals carry no code: codes are inferred from titles and positions",
        "the payment address is mandatory: drafts without one use the shipping address",
        "session data expires after ~24 min idle; API cart lines 1 h after being added",
        "customer groups outside the store's displayed groups are silently replaced by the default",
    )
    ROUTES = {
        "currency": "api/currency",
        "customer": "api/customer",
        "cart": "api/cart/products",
        "cart_add": "api/cart/add",
        "cart_edit": "api/cart/edit",
        "cart_remove": "api/cart/remove",
        "coupon": "api/coupon",
        "payment_address": "api/payment/address",
        "shipping_address": "api/shipping/address",
        "shipping_list": "api/shipping/methods",
        "shipping_save": "api/shipping/method",
        "payment_list": "api/payment/methods",
        "payment_save": "api/payment/method",
        "confirm": "api/order/add",
        "edit": "api/order/edit",
        "history": "api/order/history",
    }
    idle_ttl = 1440.0  # session.gc_maxlifetime default: the session data dies before the 1 h token
    AFFILIATE_IN_SESSION = False  # sent with order/add instead
    CLEARS = {
        "cart": ("shipping", "payment"),
        "currency": ("shipping",),
        "shipping_address": ("shipping",),
        "payment_address": ("payment",),
        "shipping_list": ("shipping",),
    }
    PAYMENT_DEPS = CheckoutSessionDialect.SHIPPING_DEPS + ("payment_address", "shipping_method")

    # ------------------------------------------------------------ login and session loss
    def parse_login(self, answer: HttpAnswer) -> str:
        body = self.json(answer, "login")
        if isinstance(body, dict) and isinstance(body.get("api_token"), str) and body["api_token"]:
            return body["api_token"]
        error = body.get("error") if isinstance(body, dict) else None
        if isinstance(error, dict) and "ip" in error:
            raise PermissionDeniedError(f"the store refuses API logins from this machine's IP ({text(error['ip'])}); "
                                        f"add it under System > Users > API > IP Addresses",
                                        status=answer.status, dialect=self.name, call="login")
        if body == [] or error:
            raise AuthenticationError("the store rejected the API login (3.0 answers [] for a wrong user name or key "
                                      "and for a disabled API user); check the credentials and the API user's status",
                                      status=answer.status, dialect=self.name, call="login")
        raise ProtocolError("the login answer has no api_token", status=answer.status, body=scrub(body),
                            dialect=self.name, call="login")

    def session_lost(self, answer: HttpAnswer, body: Any) -> bool:
        if not isinstance(body, dict) or not body.get("error"):
            return False
        return any(_NO_PERMISSION.search(m) for m in flat_error_fields(body["error"]).values())

    # ------------------------------------------------------------ what differs from 4.0
    def address_form(self, kind: str, address: Address) -> list[tuple[str, str]]:
        return address_fields(address, "", with_address_id=False)

    def _not_shippable(self, body: Any) -> bool:
        return body == []  # shipping/address on a cart with nothing to ship

    def _send_customer(self, session: ServerSession, old: Any, new: tuple | None) -> Any:
        # the cart of a registered customer is keyed by that customer: switching customers needs a new session
        if new is not None and isinstance(old, tuple) and dict(old).get("customer_id") != dict(new).get("customer_id"):
            return REBUILD
        return super()._send_customer(session, old, new)

    def payment_code(self, code: str, offered: dict[str, PaymentMethod]) -> str:
        if code not in offered and code.split(".", 1)[0] in offered:
            return code.split(".", 1)[0]  # a 4.x-style "cod.cod" means 3.0's "cod"
        return code

    def _bulk_replace(self, session: ServerSession, new: tuple[CartLine, ...], removals: list, edits: list,
                      adds: list) -> bool:
        """One ``product[i][…]`` add replaces the cart, but skips option validation: only lines
        this session already added one by one (the store validated them) go that way."""
        if not new or len(removals) + len(edits) + len(adds) < 2:
            return False
        if not all(line_key(line) in session.scratch["validated"] for line in new):
            return False
        self._post(session, "cart_add", lines_fields(new, "product"), kind="cart_add")
        now = time.monotonic()
        session.scratch["cart"] = {line_key(line): line.quantity for line in new}
        session.scratch["added"] = {line_key(line): now for line in new}
        session.scratch["cart_ids"] = {}
        return True

    def _confirm(self, session: ServerSession, draft: OrderDraft, status: int | None, comment: str) -> dict:
        data = [("comment", comment)] if comment else []
        if status:
            data.append(("order_status_id", str(status)))
        if draft.affiliate_id:
            data.append(("affiliate_id", str(draft.affiliate_id)))
        if draft.order_id:
            body = self._post(session, "edit", data, params=[("order_id", str(draft.order_id))], kind="history",
                              writes=True, order_id=draft.order_id)
            return {"order_id": draft.order_id, **(body if isinstance(body, dict) else {})}
        body = self._post(session, "confirm", data, writes=True)
        session.scratch["cart"] = {}  # order/add empties the cart
        session.scratch["added"] = {}
        return body

    def _history_request(self, order_id, status, comment, notify, override):
        return [("order_id", str(order_id))], history_fields(status, comment, notify, override)

    @classmethod
    def login_refusal(cls, body: Any) -> bool:
        return body == [] or (isinstance(body, dict) and "api_token" in body)  # 4.x has no api/login
