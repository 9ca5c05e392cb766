"""One 4.1.0.4 API request: the session it runs in and the sub-controllers both routes share.

OpenCart 4.1.0.4's ``api/order`` and ``api/subscription`` calls are chains of small
controllers (``api/customer``, ``api/cart``, ``api/payment_address`` ...) that each
read their own POST fields and write ``$this->session->data``. The session is a fresh
one for every call that does not send an ``OCSESSID`` cookie back, which is what makes
the API look stateless. :class:`Call` reproduces that: it holds the session data and
offers each sub-controller as a method; the route modules list, per call, the chain
(:func:`chain`) they run in 4.1.0.4's order.

Quirk (PROTOCOL.md §4, SESSION-MODE.md): the pricing context — customer group and the
tax addresses — is primed at request start from the session *before* any posted field
is applied. A one-off call therefore prices for the store default group and the store
address; a call carrying a cookie prices for what the previous call stored (the tax
address "lags one call").

Session keys (``session.data``): ``cart`` (list of :class:`CartRow`), ``customer``
(:class:`CustomerIn`), ``customer_logged`` (customer id logged in by the subscription
API), ``payment_address``/``shipping_address`` (:class:`AddressIn`),
``shipping_method`` (:class:`ShippingChoice`), ``payment_method`` (:class:`PaymentChoice`),
``affiliate_id``, ``coupon``, ``reward``, ``currency``.
"""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ocdata.sandbox.engine import (
    AddressIn,
    CartProduct,
    CustomerIn,
    Engine,
    LineIn,
    PaymentChoice,
    PricingContext,
    ShippingChoice,
    TotalLine,
)
from ocdata.sandbox.fronts import oc41_wire as w
from ocdata.sandbox.fronts.base import Request, Session
from ocdata.sandbox.model import CHOICE_OPTION_TYPES, Product
from ocdata.sandbox.records import posted_text

#: What 4.1.0.4 answers for each :meth:`Engine.shipping_gap`.
_SHIPPING_GAPS = {"no_shipping": w.NO_SHIPPING_PRODUCTS, "address": w.SHIPPING_ADDRESS_REQUIRED}


@dataclass
class CartRow:
    """A row of OpenCart's ``oc_cart`` for this session."""

    cart_id: int
    product_id: int
    quantity: int
    option: dict[Any, Any]
    subscription_plan_id: int = 0
    #: ``json_encode($option)`` as the cart table stores it: rows with equal text merge
    option_json: str = field(default="", repr=False)

    def __post_init__(self) -> None:
        if not self.option_json:
            self.option_json = _option_json(self.option)

    def line(self) -> LineIn:
        option: dict[int, str | list[str]] = {}
        for key, value in self.option.items():
            option[w.php_int(key)] = [str(v) for v in value.values()] if isinstance(value, dict) else value
        return LineIn(self.product_id, self.quantity, option, self.subscription_plan_id)


class CartIds:
    """``oc_cart.cart_id``: one auto-increment shared by every session of a store."""

    def __init__(self, start: int = 1) -> None:
        self._ids = itertools.count(start)
        self._lock = threading.Lock()

    def next(self) -> int:
        with self._lock:
            return next(self._ids)


def _header(request: Request, name: str) -> str:
    lower = name.lower()
    for key, value in request.headers.items():
        if key.lower() == lower:
            return value
    return ""


def client_ip(request: Request) -> str:
    """``oc_get_ip()``: the first forwarding header present wins, else the socket address."""
    for name in ("CF-Connecting-IP", "X-Forwarded-For", "X-Real-IP", "X-Client-IP", "Client-IP", "X-Cluster-Client-IP"):
        value = _header(request, name)
        if value:
            return value.split(",")[0].strip()
    return request.client_ip


class Call:
    """The state of one request: engine, posted form, session data and primed pricing."""

    def __init__(
        self,
        engine: Engine,
        cart_ids: CartIds,
        db_rows: dict[int, tuple[tuple[str, Any], ...]],
        request: Request,
        session: Session,
        call: str,
    ) -> None:
        self.engine = engine
        self.settings = engine.store.settings
        self.cart_ids = cart_ids
        self.db_rows = db_rows  # product_id -> oc41_wire.db_columns(product), built once per front
        self.request = request
        self.post: dict[Any, Any] = request.form or {}
        self.data = session.data
        self.call = call
        self.data.setdefault("cart", [])
        self.store_id = w.php_int(request.query.get("store_id", "0"))
        self.warnings: list[str] = []
        self.currency = self._prime_currency()
        self.ctx = self._prime_context()
        self._products: list[CartProduct] | None = None

    # ------------------------------------------------------------------ request start
    def _prime_currency(self) -> str:
        """``startup/currency``: session currency, else the ``currency`` cookie, else the
        store default. The signed ``currency`` query parameter plays no part (046)."""
        code = self.data.get("currency", "")
        if not code or self.engine.currency(code) is None:
            cookie = self.request.cookies.get("currency", "")
            code = cookie if cookie and self.engine.currency(cookie) is not None else self.settings.currency
        self.data["currency"] = code
        return code

    def _prime_context(self) -> PricingContext:
        """``startup/customer`` + ``startup/tax``, run before the controller: the group
        and tax addresses come from what the session held when the request arrived."""
        customer: CustomerIn | None = self.data.get("customer")
        return self.engine.session_context(
            customer_group_id=customer.customer_group_id if customer else None,
            shipping_address=self.data.get("shipping_address"),
            payment_address=self.data.get("payment_address"),
        )

    # ------------------------------------------------------------------ lookups
    def product(self, product_id: int) -> Product | None:
        """``model_catalog_product->getProduct``; a store_id other than 0 has no products
        (4.1.0.4 honours ``store_id``, 048)."""
        if self.store_id != 0:
            return None
        return self.engine.product(product_id)

    def money(self, value: float) -> str:
        return self.engine.format_money(value, self.currency)

    def products(self) -> list[CartProduct]:
        """``cart->getProducts()`` over the session cart; rows whose product is gone or
        whose quantity is not positive are deleted from the cart, as OpenCart does (073)."""
        if self._products is None:
            rows: list[CartRow] = self.data["cart"]
            alive = [r for r in rows if r.quantity > 0 and self.product(r.product_id) is not None]
            if len(alive) != len(rows):
                self.data["cart"] = alive
            self._products = self.engine.products([r.line() for r in alive], self.ctx) if alive else []
        return self._products

    def cart_row(self, p: CartProduct) -> CartRow:
        return self.data["cart"][p.index]

    def has_shipping(self) -> bool:
        return self.engine.needs_shipping(self.products())

    def add_to_cart(self, product_id: int, quantity: int, option: dict, plan: int) -> None:
        """``cart->add``: the same product with the same options and plan adds up."""
        key = _option_json(option)
        for row in self.data["cart"]:
            if row.product_id == product_id and row.subscription_plan_id == plan and row.option_json == key:
                row.quantity += quantity
                break
        else:
            self.data["cart"].append(CartRow(self.cart_ids.next(), product_id, quantity, option, plan, key))
        self._products = None

    # ------------------------------------------------------------------ shaped output
    def product_rows(self) -> list[dict[str, Any]]:
        """``api/cart.getProducts``: rows in cart-table order (ascending product_id)."""
        rows = []
        for p in self.products():
            row = self.cart_row(p)
            unit = self.engine.with_tax(p.price, p.tax_class_id, self.ctx)
            rows.append(
                w.product_row(
                    p,
                    self.db_rows[p.product_id],
                    cart_id=row.cart_id,
                    subscription_text=w.subscription_text(p, self.money),
                    price_text=self.money(unit),
                    total_text=self.money(unit * p.quantity),
                )
            )
        return rows

    def total_lines(self) -> list[TotalLine]:
        customer: CustomerIn | None = self.data.get("customer")
        return self.engine.totals(
            self.products(),
            self.ctx,
            shipping=self.data.get("shipping_method"),  # the engine drops it when nothing ships
            coupon=self.data.get("coupon"),
            reward=self.data.get("reward"),
            customer_id=customer.customer_id if customer else 0,
        )

    def total_rows(self) -> list[dict[str, Any]]:
        return [w.total_row(t, self.money(t.value)) for t in self.total_lines()]

    def with_cart(self, output: dict[str, Any], *, totals: bool = True) -> dict[str, Any]:
        """Append ``products``, ``totals`` and ``shipping_required`` to an answer."""
        output["products"] = self.product_rows()
        if totals:
            output["totals"] = self.total_rows()
        output["shipping_required"] = self.has_shipping()
        return output

    def confirm_errors(self, route_errors: dict[str, str] | None = None) -> dict[str, str]:
        """The checks both routes' ``confirm`` run, in 4.1.0.4's order: customer, the
        route's own (``route_errors``), products, stock and minimum, payment address,
        shipping address and method (unset from the session when nothing ships),
        payment method."""
        errors: dict[str, str] = {}
        if "customer" not in self.data:
            errors["customer"] = w.CUSTOMER_REQUIRED
        errors.update(route_errors or {})
        products = self.products()
        if not products:
            errors["product"] = w.CONFIRM_PRODUCT_REQUIRED
        stock_ok = all(p.stock_status for p in products) or self.settings.stock_checkout
        if not stock_ok or not all(p.minimum_status for p in products):
            errors["product"] = w.CONFIRM_STOCK
        if self.settings.checkout_payment_address and "payment_address" not in self.data:
            errors["payment_address"] = w.PAYMENT_ADDRESS_REQUIRED
        if self.has_shipping():
            if "shipping_address" not in self.data:
                errors["shipping_address"] = w.SHIPPING_ADDRESS_REQUIRED
            if "shipping_method" not in self.data:
                errors["shipping_method"] = w.SHIPPING_METHOD_REQUIRED
        else:
            self.data.pop("shipping_address", None)
            self.data.pop("shipping_method", None)
        if "payment_method" not in self.data:
            errors["payment_method"] = w.PAYMENT_METHOD_REQUIRED
        return errors

    # ------------------------------------------------------------------ api/customer
    def customer_step(self) -> dict[str, Any]:
        """``api/customer``: validate the posted customer; on success store it."""
        customer = CustomerIn.posted(self.post)
        errors = self.engine.validate_customer(customer)
        if errors:
            return {"error": errors}
        if not customer.customer_group_id:
            customer.customer_group_id = self.settings.customer_group_id
        self.data["customer"] = customer
        return {"success": w.CUSTOMER_SUCCESS}

    # ------------------------------------------------------------------ api/cart
    def cart_step(self) -> dict[str, Any]:
        """``api/cart``: validate posted ``product[i]`` lines one by one and add each to
        the session cart while no error has been seen (094/095). Stock is checked
        against the posted quantities of that product, minimum only on ``confirm``."""
        errors: dict[str, str] = {}
        lines = self.post.get("product")
        posted = list(lines.items()) if isinstance(lines, dict) else []
        for key, raw in posted:
            raw = raw if isinstance(raw, dict) else {}
            product_id = w.php_int(raw.get("product_id", 0))
            quantity = w.php_int(raw.get("quantity", 0))
            option = w.php_array_filter(raw.get("option")) if "option" in raw else {}
            plan = w.php_int(raw.get("subscription_plan_id", 0))
            prefix = f"product_{w.php_int(key)}"
            product = self.product(product_id)
            if product is not None:
                self._check_options(product, option, raw.get("quantity"), f"{prefix}_option_", errors, warn=True)
                total = sum(
                    w.php_num(other.get("quantity"))
                    for _, other in posted
                    if isinstance(other, dict) and _same_id(other.get("product_id"), raw.get("product_id"))
                )
                stock = self.engine.stock(product.product_id)
                if not self.settings.stock_checkout and (not stock or stock < total):
                    errors[f"{prefix}_product"] = w.PRODUCT_STOCK
                if self.call == "confirm" and product.minimum > total:
                    errors[f"{prefix}_product"] = w.MINIMUM.format(product.name, product.minimum)
                if not self._plan_ok(product, plan):
                    errors[f"{prefix}_subscription"] = w.SUBSCRIPTION_INVALID
            else:
                errors[f"{prefix}_product"] = w.PRODUCT_NOT_FOUND
            if not errors:
                self.add_to_cart(product_id, quantity, option, plan)
        if errors:
            errors["warning"] = w.CART_WARNING
            return {"error": errors}
        return {"success": w.CART_SUCCESS}

    def product_add_step(self) -> dict[str, Any]:
        """``api/cart.addProduct``: one product from ``product_id``/``quantity``/``option``;
        error keys are unindexed (``option_<id>``, ``warning``, ``subscription``)."""
        product_id = w.php_int(self.post.get("product_id", 0))
        quantity = w.php_int(self.post["quantity"]) if "quantity" in self.post else 1
        option = w.php_array_filter(self.post.get("option")) if "option" in self.post else {}
        plan = w.php_int(self.post.get("subscription_plan_id", 0))
        product = self.product(product_id)
        errors: dict[str, str] = {}
        if product is None:
            return {"error": {"warning": w.PRODUCT_NOT_FOUND}}
        in_cart = self.products()
        option_qty: dict[int, float] = {}
        for p in in_cart:
            if p.product_id == product.product_id:
                for o in p.options:
                    if o.product_option_value_id:
                        option_qty[o.product_option_value_id] = option_qty.get(o.product_option_value_id, 0) + p.quantity
        self._check_options(product, option, quantity, "option_", errors, warn=False, in_cart=option_qty)
        total = sum(p.quantity for p in in_cart if p.product_id == product.product_id)
        stock = self.engine.stock(product.product_id)
        if not self.settings.stock_checkout and (not stock or stock < total + quantity):
            errors["warning"] = w.PRODUCT_STOCK
        if not self._plan_ok(product, plan):
            errors["subscription"] = w.SUBSCRIPTION_INVALID
        if errors:
            return {"error": errors}
        self.add_to_cart(product.product_id, quantity, option, plan)
        return {"success": w.CART_SUCCESS}

    def _check_options(
        self,
        product: Product,
        option: dict,
        quantity: Any,
        prefix: str,
        errors: dict[str, str],
        *,
        warn: bool,
        in_cart: dict[int, float] | None = None,
    ) -> None:
        """Posted options first (unknown option / value / option stock), then every
        required option of the product in its sort order (067)."""
        for key, value in option.items():
            poid = w.php_int(key)
            po = self.engine.product_option(product.product_id, poid)
            if po is None:
                errors[f"{prefix}{poid}"] = w.OPTION_NOT_FOUND
                continue
            if po.type not in CHOICE_OPTION_TYPES:
                continue
            for raw_value in w.php_values(value):
                # getOptionValue(product_id, id) looks the value up across the whole product
                pov = self.engine.option_value(product.product_id, w.php_int(raw_value))
                if pov is None:
                    if warn:
                        self.warnings.append(w.OPTION_VALUE_WARNING)
                    errors[f"{prefix}{poid}"] = w.OPTION_NOT_FOUND
                    continue
                if not pov.subtract or self.settings.stock_checkout:
                    continue
                stock = self.engine.option_stock(pov.product_option_value_id)
                if in_cart is None:
                    if not stock or stock < w.php_num(quantity):
                        errors[f"{prefix}{poid}"] = w.OPTION_STOCK
                elif stock < in_cart.get(pov.product_option_value_id, 0) + w.php_num(quantity):
                    errors[f"{prefix}{poid}"] = w.OPTION_STOCK
        for po in product.options:
            if po.required and w.php_empty(_lookup(option, po.product_option_id)):
                errors[f"{prefix}{po.product_option_id}"] = w.OPTION_REQUIRED.format(po.name)

    def _plan_ok(self, product: Product, plan: int) -> bool:
        group = self.ctx.customer_group_id
        plans = {s.subscription_plan_id for s in product.subscriptions if s.customer_group_id == group}
        return not plans or (plan != 0 and plan in plans)

    # ------------------------------------------------------------------ addresses
    def _address_step(self, kind: str, success: str) -> dict[str, Any]:
        """Validate the posted ``<kind>_*`` address; store it on success. Error keys
        carry the ``<kind>_`` prefix."""
        prefix = f"{kind}_"
        address = AddressIn.posted(self.post, prefix)
        errors = self.engine.validate_address(address)
        if errors:
            return {"error": {prefix + k: v for k, v in errors.items()}}
        self.data[f"{kind}_address"] = address
        return {"success": success}

    def payment_address_step(self) -> dict[str, Any]:
        """``api/payment_address``: always validated (059), stored on success."""
        return self._address_step("payment", w.PAYMENT_ADDRESS_SUCCESS)

    def shipping_address_step(self) -> dict[str, Any]:
        """``api/shipping_address``: refused when nothing in the cart ships (062)."""
        if not self.has_shipping():
            return {"error": {"warning": w.NO_SHIPPING_PRODUCTS}}
        return self._address_step("shipping", w.SHIPPING_ADDRESS_SUCCESS)

    # ------------------------------------------------------------------ shipping
    def shipping_method_step(self) -> dict[str, Any]:
        """``api/shipping_method``: the posted method is trusted as is (064) but each of
        its four fields must pass PHP ``empty()``, so ``0``/``"0"`` is refused while
        ``"0.00"`` passes (063, rich 011). A refusal keeps the session's previous method."""
        posted = self.post.get("shipping_method")
        method = posted if isinstance(posted, dict) else {}
        error = None
        if self.has_shipping():
            if "customer" not in self.data:
                error = w.CUSTOMER_REQUIRED
            if "shipping_address" not in self.data:
                error = w.SHIPPING_ADDRESS_REQUIRED
            if any(w.php_empty(method.get(k)) for k in ("name", "code", "cost", "tax_class_id")):
                error = w.SHIPPING_METHOD_REQUIRED
        else:
            error = w.NO_SHIPPING_PRODUCTS
        if error:
            return {"error": error}
        self.data["shipping_method"] = ShippingChoice(
            code=posted_text(method.get("code")),
            name=posted_text(method.get("name")),
            cost=w.php_num(method.get("cost")),
            tax_class_id=w.php_int(method.get("tax_class_id")),
        )
        return {"success": w.SHIPPING_METHOD_SUCCESS}

    def shipping_methods_list(self) -> dict[str, Any]:
        """``api/shipping_method.getShippingMethods``: the last failing check wins."""
        error = None if "customer" in self.data else w.CUSTOMER_REQUIRED
        address = self.data.get("shipping_address")
        gap = self.engine.shipping_gap(self.products(), address)
        if gap:
            error = _SHIPPING_GAPS[gap]
        if error:
            return {"error": error}
        methods = self.engine.shipping_methods(self.products(), address, self.ctx, currency=self.currency)
        if not methods:
            return {"error": w.NO_SHIPPING_OPTIONS}
        return {"shipping_methods": w.shipping_methods_object(methods)}

    # ------------------------------------------------------------------ payment
    def payment_method_step(self) -> dict[str, Any]:
        """``api/payment_method``: name and code must be non-empty; not checked against
        the methods on offer (096)."""
        posted = self.post.get("payment_method")
        method = posted if isinstance(posted, dict) else {}
        error = None
        if "customer" not in self.data:
            error = w.CUSTOMER_REQUIRED
        if self.settings.checkout_payment_address and "payment_address" not in self.data:
            error = w.PAYMENT_ADDRESS_REQUIRED
        if w.php_empty(method.get("name")) or w.php_empty(method.get("code")):
            error = w.PAYMENT_METHOD_REQUIRED
        if error:
            return {"error": error}
        self.data["payment_method"] = PaymentChoice(code=posted_text(method.get("code")), name=posted_text(method.get("name")))
        return {"success": w.PAYMENT_METHOD_SUCCESS}

    def payment_methods_list(self) -> dict[str, Any]:
        """``api/payment_method.getPaymentMethods``: the last failing check wins."""
        error = None
        if "customer" not in self.data:
            error = w.CUSTOMER_REQUIRED
        if self.settings.checkout_payment_address and "payment_address" not in self.data:
            error = w.PAYMENT_ADDRESS_REQUIRED
        shipping = None
        if self.has_shipping():
            if "shipping_address" not in self.data:
                error = w.SHIPPING_ADDRESS_REQUIRED
            shipping = self.data.get("shipping_method")
            if shipping is None:
                error = w.SHIPPING_METHOD_REQUIRED
        if error:
            return {"error": error}
        methods = self.engine.payment_methods(
            self.products(),
            self.total_lines(),
            payment_address=self.data.get("payment_address"),
            shipping=shipping,
            ctx=self.ctx,
        )
        if not methods:
            return {"error": w.NO_PAYMENT_OPTIONS}
        return {"payment_methods": w.payment_methods_object(methods)}

    # ------------------------------------------------------------------ affiliate, total hooks
    def affiliate_step(self) -> dict[str, Any]:
        """``api/affiliate``: 0/absent clears it (010), an unknown id is refused (011)."""
        affiliate_id = w.php_int(self.post.get("affiliate_id", 0))
        if affiliate_id:
            affiliate = self.engine.affiliate(affiliate_id)
            if affiliate is None:  # unknown or disabled
                return {"error": w.AFFILIATE_NOT_FOUND}
            self.data["affiliate_id"] = affiliate_id
        else:
            self.data.pop("affiliate_id", None)
        return {"success": w.AFFILIATE_SUCCESS}

    def total_hooks(self) -> dict[str, dict[str, Any]]:
        """The API hooks of the enabled total extensions (coupon, reward), in sort order.

        Each reads its own POST field; an absent field leaves the session alone.
        """
        results: dict[str, dict[str, Any]] = {}
        for code in self.engine.total_codes:
            if code == "coupon":
                results["coupon"] = self._coupon_hook()
            elif code == "reward":
                results["reward"] = self._reward_hook()
        return results

    def _coupon_hook(self) -> dict[str, Any]:
        if "coupon" not in self.post:
            return {}
        code = posted_text(self.post.get("coupon"))
        if not code:
            self.data.pop("coupon", None)
            return {}
        customer: CustomerIn | None = self.data.get("customer")
        message = self.engine.check_coupon(code, self.products(), customer_id=customer.customer_id if customer else 0)
        if message:
            self.data.pop("coupon", None)
            return {"error": message}
        self.data["coupon"] = code
        return {"success": w.COUPON_SUCCESS}

    def _reward_hook(self) -> dict[str, Any]:
        if "reward" not in self.post:
            return {}
        points = w.php_int(self.post.get("reward"))
        if not points:
            self.data.pop("reward", None)
            return {}
        customer: CustomerIn | None = self.data.get("customer")
        info = self.engine.customer(customer.customer_id) if customer and customer.customer_id else None
        available = info.reward_points if info else 0
        maximum = sum(p.points for p in self.products())
        error = None
        if points > available:
            error = w.REWARD_POINTS.format(points)
        elif points > maximum:
            error = w.REWARD_MAXIMUM.format(maximum)
        if error:
            self.data.pop("reward", None)
            return {"error": error}
        self.data["reward"] = points
        return {"success": w.REWARD_SUCCESS}


def _option_json(option: dict) -> str:
    return json.dumps(option, sort_keys=False, default=str)




def _lookup(option: dict, product_option_id: int) -> Any:
    if product_option_id in option:
        return option[product_option_id]
    return option.get(str(product_option_id))


def _same_id(a: Any, b: Any) -> bool:
    """PHP ``==`` between two posted ids (numeric strings compare as numbers)."""
    if isinstance(a, str) and isinstance(b, str):
        try:
            return float(a) == float(b)
        except ValueError:
            return a == b
    return a == b


# --------------------------------------------------------------------------- call chains
@dataclass(frozen=True)
class Step:
    """One sub-controller of a chain. ``stops``: a faulty posted line ends the call
    with this step's error object; ``answers``: its output is the call's answer."""

    run: Callable[[Call], Any]
    stops: bool = False
    answers: bool = False


def answer(run: Callable[[Call], Any]) -> Step:
    return Step(run, answers=True)


#: ``api/cart`` as most calls run it: a faulty line ends the call with the cart's errors.
CART = Step(Call.cart_step, stops=True)


def chain(*steps: Step | Callable[[Call], Any], cart: bool = False, totals: bool = True) -> Callable[[Call], Any]:
    """A call that runs ``steps`` in order and answers with the ``answer`` step's output
    (``{}`` when none), with the cart attached (:meth:`Call.with_cart`) when ``cart``."""
    plan = tuple(s if isinstance(s, Step) else Step(s) for s in steps)

    def run(c: Call) -> Any:
        out: Any = {}
        for step in plan:
            result = step.run(c)
            if step.stops and "error" in result:
                return result
            if step.answers:
                out = result
        return c.with_cart(out, totals=totals) if cart else out

    return run
