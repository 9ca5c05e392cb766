"""The ``oc41`` dialect front: OpenCart 4.1.0.4's ``api/order`` and ``api/subscription``.

The server authenticates the request (``fronts/oc41_auth.py``) and hands it here. This
front reproduces what a real 4.1.0.4 store answers, quirks included
(``tests/recordings/oc41/PROTOCOL.md`` §4–§8, ``SESSION-MODE.md``):

* every call opens a storefront session and answers ``Set-Cookie: OCSESSID=…`` (plus
  ``currency=…`` unless the client already sent that currency cookie);
* a call that sends an ``OCSESSID`` back runs in that session: posted cart lines are
  added to the lines already there, and prices/taxes use the customer group and
  addresses the previous call stored (see :mod:`.oc41_steps`);
* a call without one is priced for the store address and the default group;
* the ``currency`` query parameter is ignored; a ``currency`` cookie only changes
  the ``*_text`` strings;
* an unknown ``call`` answers 200 ``{"error":"API call not found"}``.
"""

from __future__ import annotations

from ocdata.sandbox.engine import Engine
from ocdata.sandbox.fronts import oc41_order, oc41_subscription
from ocdata.sandbox.fronts import oc41_wire as w
from ocdata.sandbox.fronts.base import Request, Response, SessionStore
from ocdata.sandbox.fronts.oc41_steps import Call, CartIds
from ocdata.sandbox.fronts.oc41_subscription import Crash

__all__ = ["Oc41Front"]

_ROUTES = {
    "api/order": oc41_order.CALLS,
    "api/subscription": oc41_subscription.CALLS,
}


class Oc41Front:
    """Answers authenticated ``route=api/order|api/subscription`` requests."""

    def __init__(self, engine: Engine, sessions: SessionStore) -> None:
        self.engine = engine
        self.sessions = sessions
        self.cart_ids = CartIds()
        # the DB-row part of api/cart's product rows depends on the product only
        self.db_rows = {p.product_id: w.db_columns(p) for p in engine.store.products}

    def handle(self, request: Request) -> Response:
        route = request.query.get("route", "api/order")
        calls = _ROUTES.get(route, oc41_order.CALLS)
        name = request.query.get("call", "")
        session = self.sessions.get(request.cookies.get("OCSESSID")) or self.sessions.create()
        with session.lock:
            state = Call(self.engine, self.cart_ids, self.db_rows, request, session, name)
            handler = calls.get(name)
            result = handler(state) if handler else {"error": w.CALL_NOT_FOUND}
            currency = state.currency
        cookies = {"OCSESSID": session.id}
        if request.cookies.get("currency") != currency:
            cookies["currency"] = currency
        if isinstance(result, Crash):
            return Response(result.text, 200, "text/html; charset=UTF-8", set_cookies=cookies)
        body = w.json_or_prefixed(result, state.warnings)
        return Response(body, 200, "application/json", set_cookies=cookies)
