"""Stores that keep the whole checkout in the API session: OpenCart 4.0 and 3.0.

Customer, cart lines, coupon, addresses, affiliate and the chosen methods live in the
server session; :class:`CheckoutSessionDialect` brings that session in line with a draft
step by step (:meth:`~.base.SessionDialect.sync`), reads the cart back, lists and chooses
methods, and confirms. The versions differ in routes, in which changes make the store drop
the chosen methods, and in a few request shapes; :mod:`.oc40` and :mod:`.oc30` declare those.
Cart lines are matched to the store's ``cart_id`` by product and options
(:func:`match_cart_ids`), since edits and removals name lines by that id.
"""

from __future__ import annotations

import abc
import time
from typing import Any, Callable, ClassVar, Iterable

from ..errors import NotFoundError, ProtocolError, SessionExpiredError, ValidationError
from ..models import (
    Address,
    Cart,
    CartLine,
    CartProduct,
    OrderDraft,
    OrderResult,
    PaymentMethod,
    Quote,
    QuoteOption,
    ShippingQuote,
    TotalLine,
)
from ..transport import HttpAnswer
from .base import MISSING, REBUILD, PaymentLookup, ServerSession, SessionDialect, SyncStep
from .forms import customer_fields, line_fields, payment_address
from .parse import (cart_problems, flat_error_fields, parse_payment_methods, parse_products, require_id, scrub,
                    totals_wire)

__all__ = ["CheckoutSessionDialect", "line_key", "merged_lines", "match_cart_ids"]

# --------------------------------------------------------------------------- cart lines


def line_key(line: CartLine) -> tuple:
    """What makes two draft lines one store cart line: product, options, subscription plan."""
    opts = tuple(sorted(
        (int(k), tuple(sorted(str(x) for x in v)) if isinstance(v, (list, tuple)) else str(v).strip())
        for k, v in line.options.items()
    ))
    return (line.product_id, opts, line.subscription_plan_id)


def merged_lines(lines: Iterable[CartLine]) -> tuple[CartLine, ...]:
    """Draft lines with duplicates merged (the store adds the quantities of identical lines)."""
    order: dict[tuple, CartLine] = {}
    for line in lines:
        key = line_key(line)
        if key in order:
            order[key] = order[key].model_copy(update={"quantity": order[key].quantity + line.quantity})
        else:
            order[key] = line
    return tuple(order.values())


_VALUE_ID_TYPES = {"select", "radio", "checkbox", "image"}


def _matches(key: tuple, product: CartProduct, strict: bool) -> bool:
    pid, opts, _plan = key
    if product.product_id != pid:
        return False
    if not strict:
        return True
    listed: dict[int, Any] = {}
    for o in product.options:
        if o.type in _VALUE_ID_TYPES:
            listed.setdefault(o.product_option_id, []).append(str(o.product_option_value_id))
        else:
            listed[o.product_option_id] = (o.type, o.value)
    for poid, want in opts:
        got = listed.get(poid)
        if got is None:
            continue  # the store drops options it does not know; nothing to compare
        if isinstance(got, list):
            if sorted(got) != sorted(want if isinstance(want, tuple) else (want,)):
                return False
        elif got[0] != "file" and got[1].strip() != str(want):
            return False  # 4.0 lists a file option by file name, not by the upload code sent
    return True


def match_cart_ids(keys: Iterable[tuple], products: Iterable[CartProduct]) -> dict[tuple, str]:
    """Cart ids (``cart_id``) of the listed products that hold each line key."""
    pool = [p for p in products if isinstance(p.raw, dict) and p.raw.get("cart_id") not in (None, "")]
    found: dict[tuple, str] = {}
    for strict in (True, False):
        for key in keys:
            if key in found:
                continue
            for p in pool:
                if _matches(key, p, strict):
                    found[key] = str(p.raw["cart_id"])
                    pool.remove(p)
                    break
    return found


# --------------------------------------------------------------------------- the session checkout


class CheckoutSessionDialect(SessionDialect):
    """The operations of a store that keeps the whole checkout in the API session.

    Session lifetime (idle expiry, confirmed sessions) is the base's; this adds the API cart's
    own expiry (``CART_TTL``). What each version declares:

    ``ROUTES`` (operation -> route), ``idle_ttl`` (s a token survives unused), ``CLEARS``
    (which store-side changes drop the chosen methods: ``{"cart": ("shipping", "payment")}``),
    :meth:`address_form`, :meth:`payment_code`, :meth:`_store_error`, :meth:`_confirm`,
    :meth:`_history_request`.
    """

    ROUTES: ClassVar[dict[str, str]] = {}
    CART_TTL: ClassVar[float] = 3600.0  # API cart lines are deleted this long after being added
    CLEARS: ClassVar[dict[str, tuple[str, ...]]] = {}
    AFFILIATE_IN_SESSION: ClassVar[bool] = True
    SHIPPING_DEPS: ClassVar[tuple[str, ...]] = ("currency", "customer", "cart", "coupon", "shipping_address")
    PAYMENT_DEPS: ClassVar[tuple[str, ...]] = SHIPPING_DEPS + ("payment_address", "affiliate", "shipping_method")

    # ------------------------------------------------------------ session lifetime
    def login(self) -> ServerSession:
        session = super().login()
        session.scratch.update(cart={}, added={}, cart_ids={}, validated=set())
        return session

    def session_stale(self, session: ServerSession) -> bool:
        """Idle too long (the base rule), or holding cart lines the store is about to delete."""
        if super().session_stale(session):
            return True
        added = session.scratch.get("added")
        return bool(added) and time.monotonic() - min(added.values()) > self.CART_TTL - self.ttl_margin

    def _post(self, session: ServerSession, op: str, data: list[tuple[str, str]], *, kind: str | None = None,
              params: list[tuple[str, str]] | None = None, writes: bool = False, order_id: int | None = None) -> Any:
        route = self.ROUTES[op]
        answer, body = self.call(session, "POST", route, data=data, params=params or [], call=op, writes=writes,
                                 order_id=order_id)
        self._store_error(body, op, answer, kind or op)
        return body

    def _get(self, session: ServerSession, op: str) -> tuple[HttpAnswer, Any]:
        return self.call(session, "GET", self.ROUTES[op], call=op)

    def _cleared(self, session: ServerSession, change: str) -> None:
        """The store dropped chosen (and listed) methods because of ``change``."""
        for what in self.CLEARS.get(change, ()):
            session.scratch.pop(f"held_{what}", None)
            session.scratch.pop(f"{what}_sig", None)
            session.snapshot.pop(f"{what}_method", None)

    # ------------------------------------------------------------ sync steps
    def sync_steps(self, draft: OrderDraft) -> list[SyncStep]:
        pay_addr = payment_address(draft)
        steps = []
        if self.config.currency:
            steps.append(SyncStep("currency", self.config.currency, self._send_currency))
        steps += [
            SyncStep("customer", tuple(customer_fields(draft.customer)) if draft.customer else None,
                     self._send_customer),
            SyncStep("cart", merged_lines(draft.lines), self._send_cart),
            SyncStep("coupon", draft.coupon or None, self._send_coupon),
            SyncStep("payment_address", tuple(self.address_form("payment", pay_addr)) if pay_addr else None,
                     self._send_address("payment")),
            SyncStep("shipping_address", tuple(self.address_form("shipping", draft.shipping_address))
                     if draft.shipping_address else None, self._send_address("shipping")),
        ]
        if self.AFFILIATE_IN_SESSION:
            steps.append(SyncStep("affiliate", draft.affiliate_id or None, self._send_affiliate))
        steps += [
            SyncStep("shipping_method", draft.shipping_code, self._send_shipping_method, self.SHIPPING_DEPS),
            SyncStep("payment_method", draft.payment_code, self._send_payment_method, self.PAYMENT_DEPS),
        ]
        return steps

    def _send_currency(self, session: ServerSession, old: Any, new: str) -> None:
        self._post(session, "currency", [("currency", new)])
        self._cleared(session, "currency")

    def _send_customer(self, session: ServerSession, old: Any, new: tuple | None) -> Any:
        if new is None:
            return None if old is None or old is MISSING else REBUILD  # no call removes a customer
        self._post(session, "customer", list(new))
        return None

    def _send_coupon(self, session: ServerSession, old: Any, new: str | None) -> None:
        if new is None:
            if old in (None, MISSING):
                return
            # an empty code removes the coupon; the store may still call it invalid, so its answer is not checked
            self.call(session, "POST", self.ROUTES["coupon"], data=[("coupon", "")], call="coupon")
            return
        self._post(session, "coupon", [("coupon", new)])

    def _send_affiliate(self, session: ServerSession, old: Any, new: int | None) -> None:
        if new is None and old in (None, MISSING):
            return
        self._post(session, "affiliate", [("affiliate_id", str(new or 0))])

    def _send_address(self, kind: str) -> Callable[[ServerSession, Any, Any], Any]:
        def send(session: ServerSession, old: Any, new: tuple | None) -> Any:
            if new is None:
                return None if old in (None, MISSING) else REBUILD  # no call removes an address
            op = f"{kind}_address"
            answer, body = self.call(session, "POST", self.ROUTES[op], data=list(new), call=op)
            if self._not_shippable(body) and kind == "shipping":
                # nothing in the cart ships: the store keeps no shipping address; re-send after a cart change
                session.scratch["shipping_address_unset"] = True
                return None
            self._store_error(body, op, answer, op)
            if kind == "shipping":
                session.scratch.pop("shipping_address_unset", None)
            self._cleared(session, op)
            return None
        return send

    def _not_shippable(self, body: Any) -> bool:
        """The store's answer to a shipping address for a cart with nothing to ship."""
        return isinstance(body, dict) and isinstance(body.get("error"), dict) and set(body["error"]) == {"warning"}

    def _send_cart(self, session: ServerSession, old: Any, new: tuple[CartLine, ...]) -> None:
        have: dict[tuple, int] = session.scratch["cart"]
        want = {line_key(line): line for line in new}
        removals = [k for k in have if k not in want]
        edits = [k for k in want if k in have and have[k] != want[k].quantity]
        adds = [k for k in want if k not in have]
        if not (removals or edits or adds):
            return
        if not self._bulk_replace(session, new, removals, edits, adds):
            self._change_lines(session, want, removals, edits, adds)
        self._cleared(session, "cart")
        if session.scratch.pop("shipping_address_unset", None):
            session.snapshot.pop("shipping_address", None)  # the cart may ship now: send the address again

    def _change_lines(self, session: ServerSession, want: dict[tuple, CartLine], removals: list[tuple],
                      edits: list[tuple], adds: list[tuple]) -> None:
        """One request per removed, edited and added line; removals and decreases name the
        store's cart id, listed first when not known yet."""
        have: dict[tuple, int] = session.scratch["cart"]
        needs_ids = removals + [k for k in edits if want[k].quantity < have[k]]
        if any(k not in session.scratch["cart_ids"] for k in needs_ids):
            self._fetch_cart(session, None)  # learn the cart ids (and check the cart is still there)
        ids: dict[tuple, str] = session.scratch["cart_ids"]
        for k in removals:
            self._post(session, "cart_remove", [("key", ids[k])])
            del have[k], ids[k]
            session.scratch["added"].pop(k, None)
        for k in edits:
            if k in ids:
                self._post(session, "cart_edit", [("key", ids[k]), ("quantity", str(want[k].quantity))])
            else:  # adding the same product and options again raises that line's quantity
                extra = want[k].model_copy(update={"quantity": want[k].quantity - have[k]})
                self._post(session, "cart_add", line_fields(extra), kind="cart_add")
            have[k] = want[k].quantity
        for k in adds:
            self._post(session, "cart_add", line_fields(want[k]), kind="cart_add")
            have[k] = want[k].quantity
            session.scratch["validated"].add(k)
            session.scratch["added"][k] = time.monotonic()

    def _bulk_replace(self, session: ServerSession, new: tuple[CartLine, ...], removals: list, edits: list,
                      adds: list) -> bool:
        """Replace the whole cart in one request where the version allows it (3.0)."""
        return False

    # ------------------------------------------------------------ methods
    def _sig(self, session: ServerSession, deps: tuple[str, ...]) -> tuple:
        return tuple(session.snapshot.get(k) for k in deps)

    def _list_shipping(self, session: ServerSession) -> tuple[tuple[ShippingQuote, ...], str | None, tuple[str, ...]]:
        """``(quotes, store error, per-method problems)``; remembers the list for ``.save``."""
        answer, body = self._get(session, "shipping_list")
        self._cleared(session, "shipping_list")
        if isinstance(body, dict) and body.get("error"):
            session.scratch["quotes"] = {}
            return (), "; ".join(flat_error_fields(body["error"]).values()), ()
        quotes, problems = self.read_shipping(body.get("shipping_methods") if isinstance(body, dict) else None)
        session.scratch["quotes"] = {q.code: q for q in quotes}
        session.scratch["shipping_sig"] = self._sig(session, self.SHIPPING_DEPS)
        return quotes, None, problems

    def _list_payment(self, session: ServerSession) -> tuple[PaymentMethod, ...]:
        answer, body = self._get(session, "payment_list")
        self._cleared(session, "payment_list")
        if isinstance(body, dict) and body.get("error"):
            raise ValidationError("the store offers no payment method for this draft", status=answer.status,
                                  fields={"payment_method": "; ".join(flat_error_fields(body["error"]).values())},
                                  body=answer.text, dialect=self.name, call="payment_methods")
        methods = parse_payment_methods(body.get("payment_methods") if isinstance(body, dict) else None)
        session.scratch["payments"] = {m.code: m for m in methods}
        session.scratch["payment_sig"] = self._sig(session, self.PAYMENT_DEPS)
        return methods

    def _send_shipping_method(self, session: ServerSession, old: Any, new: str | None) -> Any:
        if new is None:
            return None if session.scratch.get("held_shipping") is None else REBUILD  # cannot be unset
        if session.scratch.get("shipping_sig") != self._sig(session, self.SHIPPING_DEPS):
            self._list_shipping(session)  # .save only accepts a quote of the session's latest list
        quotes = session.scratch.get("quotes") or {}
        if new not in quotes:
            raise ValidationError(
                f"shipping method {new!r} is not offered for this draft", status=None,
                fields={"shipping_method": f"offered: {', '.join(quotes) or 'none'}"},
                dialect=self.name, call="shipping_method")
        self._post(session, "shipping_save", [("shipping_method", new)])
        session.scratch["held_shipping"] = quotes[new]  # the store's cart now titles a total line with its name
        session.snapshot.pop("payment_method", None)  # the payment list depends on the shipping choice
        return None

    def payment_code(self, code: str, offered: dict[str, PaymentMethod]) -> str:
        """The code to send for a draft's payment method (versions differ in what they accept)."""
        return code

    def _send_payment_method(self, session: ServerSession, old: Any, new: str | None) -> Any:
        if new is None:
            return None  # a chosen payment method changes no price; it is replaced at confirm
        if session.scratch.get("payment_sig") != self._sig(session, self.PAYMENT_DEPS):
            self._list_payment(session)
        offered = session.scratch.get("payments") or {}
        code = self.payment_code(new, offered)
        if code not in offered:
            raise ValidationError(
                f"payment method {new!r} is not offered for this draft",
                fields={"payment_method": f"offered: {', '.join(offered) or 'none'}"},
                dialect=self.name, call="payment_method")
        self._post(session, "payment_save", [("payment_method", code)])
        return None

    # ------------------------------------------------------------ reading the cart
    def _fetch_cart(self, session: ServerSession, draft: OrderDraft | None) -> Cart:
        answer, body = self._get(session, "cart")
        if not isinstance(body, dict) or body.get("totals") is None or body.get("products") is None:
            self._store_error(body, "cart", answer, "cart")
            raise ProtocolError("the cart answer has no totals or no products; is this really the store's API?",
                                status=answer.status, body=answer.text, dialect=self.name, call="cart")
        self.learn_decimals(body.get("totals"))
        order = [l.product_id for l in draft.lines] if draft else None
        products = parse_products(body.get("products"), self.decimals, order=order)
        have: dict[tuple, int] = session.scratch["cart"]
        listed: dict[int, int] = {}
        for p in products:
            listed[p.product_id] = listed.get(p.product_id, 0) + p.quantity
        expected: dict[int, int] = {}
        for (pid, _o, _p), qty in have.items():
            expected[pid] = expected.get(pid, 0) + qty
        if listed != expected:
            # API cart lines vanish 1 h after being added; the session's cart is no longer the draft's
            raise SessionExpiredError("the store's API cart no longer holds the lines sent to it (cart expiry)",
                                      dialect=self.name, call="cart")
        session.scratch["cart_ids"] = match_cart_ids(have, products)
        held = session.scratch.get("held_shipping")
        totals = totals_wire(body.get("totals"), shipping_title=held.name if held else None, decimals=self.decimals)
        required = body.get("shipping_required")
        if not isinstance(required, bool):
            required = any(p.shipping for p in products) if products else False
        return Cart(products=products, totals=totals, shipping_required=required, pricing="session",
                    dialect=self.name, warnings=cart_problems(body.get("error")), raw=scrub(body))

    # ------------------------------------------------------------ operations
    def cart(self, draft: OrderDraft) -> Cart:
        return self.run(draft, lambda s: self._fetch_cart(s, draft), skip=("payment_method",))

    def totals(self, draft: OrderDraft) -> tuple[TotalLine, ...]:
        return self.cart(draft).totals

    def shipping_listing(self, draft: OrderDraft) -> tuple[tuple[ShippingQuote, ...], tuple[str, ...]]:
        def op(session: ServerSession) -> tuple[tuple[ShippingQuote, ...], tuple[str, ...]]:
            quotes, error, problems = self._list_shipping(session)
            if error:
                raise ValidationError("the store lists no shipping method for this draft",
                                      fields={"shipping_method": error}, dialect=self.name,
                                      call="shipping_methods")
            return quotes, problems
        return self.run(draft, op, skip=("shipping_method", "payment_method"))

    def payment_methods(self, draft: OrderDraft) -> tuple[PaymentMethod, ...]:
        return self.run(draft, self._list_payment, skip=("payment_method",))

    def _keeps_shipping_choice(self, session: ServerSession, draft: OrderDraft) -> bool:
        """True when syncing ``draft`` leaves the session's chosen shipping method in place
        (no change the version answers by dropping it)."""
        if session.scratch.get("held_shipping") is None:
            return False
        clearing = {k for k, what in self.CLEARS.items() if "shipping" in what}
        for step in self.sync_steps(draft):
            if step.key in clearing:
                held = session.snapshot.get(step.key, MISSING)
                if held is MISSING or held[0] != step.state:
                    return False
        return True

    def quote(self, draft: OrderDraft, *, payment_methods: PaymentLookup = "per_band") -> Quote:
        """Every quote priced on the session. Payment methods are listed once per quote whatever
        ``payment_methods`` says: before 4.1, cod, bank transfer and cheque honour a minimum
        order total, so the list can change with the shipping cost."""
        start = self.requests_made
        bands = self.payment_bands(payment_methods)
        bare = draft.with_shipping(None).with_payment(None)
        current = getattr(self._local, "session", None)
        if current is not None and self._keeps_shipping_choice(current, bare):
            # the no-shipping cart needs a session without a chosen method, and none can be unset:
            # start afresh now rather than after sending changes to a session that must go anyway
            self.forget_session()

        def op(session: ServerSession) -> Quote:
            base = self._fetch_cart(session, draft)
            warnings = list(base.warnings)
            options: list[QuoteOption] = []
            shipping_error: str | None = None
            base_payments: tuple[PaymentMethod, ...] = ()
            if base.shipping_required and draft.shipping_address is not None:
                quotes, shipping_error, problems = self._list_shipping(session)
                warnings += problems
                for q in quotes:
                    step = draft.with_shipping(q.code).with_payment(None)
                    try:
                        session = self.sync(session, step, skip=("payment_method",))
                        cart = self._fetch_cart(session, draft)
                        payments = bands.methods(cart.totals, lambda: self._list_payment(session))
                    except ValidationError as exc:
                        options.append(QuoteOption(quote=q, error=exc.message))
                        continue
                    options.append(QuoteOption(quote=q, totals=cart.totals, payment_methods=payments))
            else:
                if base.shipping_required:
                    warnings.append("the cart needs shipping but the draft has no shipping address: no quotes")
                try:
                    base_payments = self._list_payment(session)
                except ValidationError as exc:
                    warnings.append(exc.fields.get("payment_method", exc.message))
            return Quote(draft=draft, products=base.products, totals=base.totals, options=tuple(options),
                         payment_methods=base_payments, shipping_required=base.shipping_required,
                         shipping_error=shipping_error, pricing="session", dialect=self.name,
                         warnings=tuple(warnings), requests=self.requests_made - start)

        return self.run(bare, op, skip=("payment_method",))

    def confirm(self, draft: OrderDraft, order_status_id: int | None = None, comment: str = "") -> OrderResult:
        def op(session: ServerSession) -> OrderResult:
            cart = self._fetch_cart(session, draft)
            body = self._confirm(session, draft, order_status_id, comment or draft.comment)
            session.confirmed = True  # its order/cart state now belongs to the confirmed order
            if not isinstance(body, dict):
                raise ProtocolError(f"confirm answered {type(body).__name__}, not an object with an order_id",
                                    body=body, dialect=self.name, call="confirm")
            order_id = require_id(body.get("order_id"), "order_id", dialect=self.name, call="confirm", body=body)
            points = body.get("points")
            return OrderResult(order_id=order_id,
                               status_id=order_status_id or self.config.default_order_status_id,
                               totals=cart.totals, products=cart.products,
                               points=int(points) if isinstance(points, (int, str)) and str(points).isdigit() else None,
                               dialect=self.name, raw=scrub(body))

        # a lost answer to the confirm call must not be repeated on a new session (it may have written)
        return self.run(draft, op)

    def add_history(self, order_id: int, order_status_id: int, comment: str = "", notify: bool = False,
                    override: bool = False) -> None:
        def op(session: ServerSession) -> None:
            params, data = self._history_request(order_id, order_status_id, comment, notify, override)
            body = self._post(session, "history", data, params=params, kind="history", writes=True, order_id=order_id)
            if not isinstance(body, dict):
                raise ProtocolError(f"the order history call answered {type(body).__name__}, not an object",
                                    body=body, dialect=self.name, call="history")
        self.run(None, op)

    # ------------------------------------------------------------ version specifics
    @abc.abstractmethod
    def address_form(self, kind: str, address: Address) -> list[tuple[str, str]]:
        """The fields of ``kind`` (``"payment"``/``"shipping"``) address posted to the store."""

    @abc.abstractmethod
    def _confirm(self, session: ServerSession, draft: OrderDraft, status: int | None, comment: str) -> dict:
        """Write the order held by ``session``; the store's answer (with ``order_id``)."""

    @abc.abstractmethod
    def _history_request(self, order_id: int, status: int, comment: str, notify: bool, override: bool
                         ) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
        """``(query params, form)`` of an order history call."""

    def _store_error(self, body: Any, op: str, answer: HttpAnswer, kind: str) -> None:
        """Raise the store's refusal in ``body`` as the client's error class."""
        if not isinstance(body, dict) or not body.get("error"):
            if isinstance(body, (dict, list)):
                return
            raise ProtocolError(f"{op}: unexpected answer", status=answer.status, body=answer.text,
                                dialect=self.name, call=op)
        key = _STRING_ERROR_KEY.get(kind, "warning")
        missing = _NOT_FOUND.get(kind)
        if missing:
            fields = flat_error_fields(body["error"], default_key=key)
            if missing[1](fields):
                raise NotFoundError(f"the store has no such {missing[0]} ({'; '.join(fields.values())}); check the "
                                    f"id in the draft", fields=fields, status=answer.status, body=answer.text,
                                    dialect=self.name, call=op)
        self.raise_for_error(body, op, answer, default_key=key)


# which field a bare string error belongs to, per operation
_STRING_ERROR_KEY = {
    "shipping_save": "shipping_method",
    "payment_save": "payment_method",
    "comment": "comment",
    "coupon": "coupon",
    "currency": "currency",
    "affiliate": "affiliate_id",
    "history": "order_id",
    "confirm": "warning",
}

# which refusals mean "the thing named does not exist" (the store words them differently per version)
_NOT_FOUND: dict[str, tuple[str, Callable[[dict[str, str]], bool]]] = {
    "cart_add": ("product", lambda f: set(f) <= {"warning", "store"}),
    "customer": ("customer", lambda f: set(f) == {"warning"} and "group" not in f["warning"].lower()),
    "history": ("order", lambda f: True),
    "affiliate_id": ("affiliate", lambda f: True),
}
