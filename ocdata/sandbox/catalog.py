"""Cart lines priced the way OpenCart's ``Cart\\Cart::getProducts()`` prices them.

* Identical lines (same product, options and subscription plan) merge, as ``cart->add``
  merges them; lines come back ordered by product id (the cart table is read in key order).
* Price = base price (or the subscription plan's price) + option prices, then the
  customer group's discount row:

  - ``unified`` (4.1): rows of the group with ``quantity`` <= the product's quantity in
    the cart (summed over its lines), best = largest quantity, then lowest priority, then
    lowest price; F = fixed unit price (+ options), S = subtract from the base price,
    P = percent off base + options. The ``special`` flag plays no part.
  - ``classic`` (3.0/4.0): a quantity discount row replaces the base price, a special
    (lowest priority, then lowest price) replaces it again.

* Points = (product points + option points) × quantity when the product has points;
  reward = the group's reward points × quantity; weight = (product + option weights)
  × quantity in the product's weight class.
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Callable

from ocdata.sandbox.model import (
    CHOICE_OPTION_TYPES,
    Discount,
    OptionValue,
    Product,
    ProductOption,
    StoreConfig,
    SubscriptionPlan,
)
from ocdata.sandbox.records import CartOption, CartProduct, CartSubscription, LineIn, PricingContext

MSG_PRODUCT_NOT_FOUND = "Warning: Product could not be found!"
MSG_OPTION_NOT_FOUND = "Option could not be found!"
MSG_OPTION_REQUIRED = "%s required!"
MSG_SUBSCRIPTION = "Subscription Plan is not valid!"
MSG_STOCK = "Product not available in the desired quantity or not in stock!"
MSG_OPTION_STOCK = "Option not available in the desired quantity or not in stock!"
MSG_MINIMUM = "Minimum order amount for %s is %s!"

_TIME = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")
_DATETIME = re.compile(r"^(\d{4}-\d{2}-\d{2})[ T](\d{1,2}):(\d{2})(?::(\d{2}))?$")


def php_empty(value: object) -> bool:
    """PHP ``empty()``: ``""``, ``"0"``, 0, 0.0, null, false and ``[]`` are empty.

    The one definition for the engine and the fronts (posted option values, form fields).
    """
    if value is None or value is False:
        return True
    if isinstance(value, str):
        return value in ("", "0")
    if isinstance(value, (int, float)):
        return value == 0
    if isinstance(value, (dict, list, tuple)):
        return len(value) == 0
    return False


def normalise_text_option(option_type: str, value: str) -> str:
    """Date/time values as MySQL returns them (``22:25`` -> ``22:25:00``)."""
    if option_type == "time":
        m = _TIME.match(value)
        if m:
            return f"{int(m.group(1)):02d}:{m.group(2)}:{m.group(3) or '00'}"
    elif option_type == "datetime":
        m = _DATETIME.match(value)
        if m:
            return f"{m.group(1)} {int(m.group(2)):02d}:{m.group(3)}:{m.group(4) or '00'}"
    return value


def _date_ok(start: str, end: str, today: str) -> bool:
    if start and start != "0000-00-00" and start > today:
        return False
    if end and end != "0000-00-00" and end <= today:
        return False
    return True


class Catalog:
    """Product lookups and line pricing for one store (read-only except for stock reads)."""

    def __init__(
        self,
        store: StoreConfig,
        product_stock: Callable[[int], int],
        option_stock: Callable[[int], int],
    ) -> None:
        self.store = store
        self.unified = store.settings.discount_model == "unified"
        # 4.1 reads a line's options back from typed columns (times gain seconds); 4.0/3.0 echo the posted text
        major_minor = tuple(int(p) for p in store.settings.version.split(".")[:2] if p.isdigit())
        self._typed_times = major_minor >= (4, 1)
        self.products = {p.product_id: p for p in store.products}
        self._options = {
            p.product_id: {o.product_option_id: o for o in p.options} for p in store.products
        }
        self._values = {
            (o.product_option_id, v.product_option_value_id): v
            for p in store.products
            for o in p.options
            for v in o.values
        }
        self._product_values = {
            p.product_id: {v.product_option_value_id: v for o in p.options for v in o.values} for p in store.products
        }
        self._plans = {sp.subscription_plan_id: sp for sp in store.subscription_plans}
        self._product_stock = product_stock
        self._option_stock = option_stock

    # ---- lookups
    def product(self, product_id: int) -> Product | None:
        p = self.products.get(product_id)
        return p if p is not None and p.status else None

    def option(self, product_id: int, product_option_id: int) -> ProductOption | None:
        return self._options.get(product_id, {}).get(product_option_id)

    def option_value(self, product_id: int, product_option_value_id: int) -> OptionValue | None:
        """A value of any of the product's options (OpenCart looks values up by product)."""
        return self._product_values.get(product_id, {}).get(product_option_value_id)

    def plan(self, subscription_plan_id: int) -> SubscriptionPlan | None:
        """An enabled subscription plan, or ``None``."""
        plan = self._plans.get(subscription_plan_id)
        return plan if plan is not None and plan.status else None

    def subscription_plans(self, product: Product, customer_group_id: int) -> list[int]:
        """Plan ids offered for the product to that group (enabled plans only)."""
        return [
            s.subscription_plan_id
            for s in product.subscriptions
            if s.customer_group_id == customer_group_id and self.plan(s.subscription_plan_id) is not None
        ]

    # ---- validation of one line (cart->add checks)
    def check_line(self, line: LineIn, ctx: PricingContext) -> dict[str, str]:
        product = self.product(line.product_id)
        if product is None:
            return {"product": MSG_PRODUCT_NOT_FOUND}
        errors: dict[str, str] = {}
        options = self._options[product.product_id]
        for product_option_id, value in line.option.items():
            option = options.get(product_option_id)
            if option is None:
                errors[f"option_{product_option_id}"] = MSG_OPTION_NOT_FOUND
                continue
            if option.type in CHOICE_OPTION_TYPES and not php_empty(value):
                ids = value if isinstance(value, list) else [value]
                if option.type != "checkbox" and isinstance(value, list):
                    errors[f"option_{product_option_id}"] = MSG_OPTION_NOT_FOUND
                    continue
                for v in ids:
                    if self._value(product_option_id, v) is None:
                        errors[f"option_{product_option_id}"] = MSG_OPTION_NOT_FOUND
                        break
        for option in product.options:
            key = f"option_{option.product_option_id}"
            if option.required and key not in errors and php_empty(line.option.get(option.product_option_id)):
                errors[key] = MSG_OPTION_REQUIRED % option.name
        plans = self.subscription_plans(product, ctx.customer_group_id)
        if plans and line.subscription_plan_id not in plans:
            errors["subscription"] = MSG_SUBSCRIPTION
        return errors

    def _value(self, product_option_id: int, value: object) -> OptionValue | None:
        try:
            vid = int(str(value).strip())
        except ValueError:
            return None
        return self._values.get((product_option_id, vid))

    # ---- pricing
    def price_lines(self, lines: list[LineIn], ctx: PricingContext) -> list[CartProduct]:
        merged: list[tuple[int, LineIn, int]] = []  # (first index, line, quantity)
        positions: dict[tuple, int] = {}
        for index, line in enumerate(lines):
            if line.quantity <= 0 or self.product(line.product_id) is None:
                continue
            key = (line.product_id, _option_key(line.option), line.subscription_plan_id)
            if key in positions:
                first, kept, qty = merged[positions[key]]
                merged[positions[key]] = (first, kept, qty + line.quantity)
            else:
                positions[key] = len(merged)
                merged.append((index, line, line.quantity))
        per_product: dict[int, int] = {}
        for _i, line, qty in merged:
            per_product[line.product_id] = per_product.get(line.product_id, 0) + qty
        today = _dt.date.today().isoformat()
        priced = [
            self._price(index, line, qty, per_product[line.product_id], ctx, today)
            for index, line, qty in merged
        ]
        priced.sort(key=lambda p: (p.product_id, p.index))
        return priced

    def _price(
        self, index: int, line: LineIn, quantity: int, product_total: int, ctx: PricingContext, today: str
    ) -> CartProduct:
        product = self.products[line.product_id]
        options = self._options[product.product_id]
        option_price = 0
        option_points = 0
        option_weight = 0
        stock = True
        chosen: list[CartOption] = []
        for product_option_id, value in line.option.items():
            option = options.get(product_option_id)
            if option is None or php_empty(value):
                continue
            if option.type in ("select", "radio"):
                values = [] if isinstance(value, list) else [value]
            elif option.type == "checkbox":
                values = value if isinstance(value, list) else []
            else:
                text = value if isinstance(value, str) else ""
                chosen.append(
                    CartOption(product_option_id, 0, option.option_id, 0, option.name,
                               normalise_text_option(option.type, text) if self._typed_times else text, option.type,
                               price_prefix="", points_prefix="", weight_prefix="")
                )
                continue
            for raw in values:
                v = self._value(product_option_id, raw)
                if v is None:
                    continue
                option_price = _apply(option_price, v.price_prefix, v.price)
                option_points = _apply(option_points, v.points_prefix, v.points)
                option_weight = _apply(option_weight, v.weight_prefix, v.weight)
                live = self._option_stock(v.product_option_value_id)
                if v.subtract and (not live or live < quantity):
                    stock = False
                chosen.append(_cart_option(option, v, live))

        subscription = None
        price = product.price
        if line.subscription_plan_id:
            subscription = self._subscription(product, line.subscription_plan_id, ctx.customer_group_id)
            if subscription is not None:
                price = subscription.trial_price if subscription.trial_status else subscription.price

        unit = self._unit_price(product, price, option_price, product_total, ctx.customer_group_id, today)

        live_stock = self._product_stock(product.product_id)
        if not live_stock or live_stock < quantity:
            stock = False
        reward = product.rewards.get(ctx.customer_group_id, 0)
        points = (product.points + option_points) * quantity if product.points else 0
        return CartProduct(
            index=index,
            product_id=product.product_id,
            name=product.name,
            model=product.model,
            quantity=quantity,
            options=tuple(chosen),
            subscription_plan_id=line.subscription_plan_id if subscription is not None else 0,
            subscription=subscription,
            price=unit,
            total=unit * quantity,
            reward=reward * quantity,
            points=points,
            weight=(product.weight + option_weight) * quantity,
            weight_class_id=product.weight_class_id,
            tax_class_id=product.tax_class_id,
            shipping=product.shipping,
            subtract=product.subtract,
            minimum=product.minimum,
            stock=live_stock,
            stock_status=stock,
            minimum_status=product.minimum <= product_total,
            product=product,
        )

    def _unit_price(
        self, product: Product, price: float, option_price: float, quantity: int, group: int, today: str
    ) -> float:
        if self.unified:
            row = _best_discount(product.discounts, group, quantity, today, by_quantity=True)
            if row is None:
                return price + option_price
            if row.type == "F":
                return row.price + option_price
            if row.type == "S":
                return (price - row.price) + option_price
            full = price + option_price
            return full - full * row.price / 100
        row = _best_discount(product.discounts, group, quantity, today, by_quantity=True)
        if row is not None:
            price = row.price
        special = _best_discount(product.specials, group, None, today, by_quantity=False)
        if special is not None:
            price = special.price
        return price + option_price

    def _subscription(self, product: Product, plan_id: int, group: int) -> CartSubscription | None:
        plan = self.plan(plan_id)
        if plan is None:
            return None
        for s in product.subscriptions:
            if s.subscription_plan_id == plan_id and s.customer_group_id == group:
                return CartSubscription(
                    plan.subscription_plan_id, plan.name, plan.frequency, plan.cycle, plan.duration,
                    s.price, s.trial_price, plan.trial_frequency, plan.trial_cycle, plan.trial_duration,
                    plan.trial_status,
                )
        return None

    # ---- stock / minimum errors of priced lines
    def line_errors(self, product: CartProduct, *, check_minimum: bool, stock_checkout: bool) -> dict[str, str]:
        """``option_<id>`` for subtracting option values short of stock, then ``product``
        for product stock (unless checkout beyond stock is allowed) or the minimum."""
        errors: dict[str, str] = {}
        if not stock_checkout:
            for option in product.options:
                if option.product_option_value_id and option.subtract:
                    live = self._option_stock(option.product_option_value_id)
                    if not live or live < product.quantity:
                        errors[f"option_{option.product_option_id}"] = MSG_OPTION_STOCK
            if not product.stock or product.stock < product.quantity:
                errors["product"] = MSG_STOCK
        if check_minimum and not product.minimum_status and "product" not in errors:
            errors["product"] = MSG_MINIMUM % (product.name, product.minimum)
        return errors


def _apply(total, prefix: str, amount):
    if prefix == "+":
        return total + amount
    if prefix == "-":
        return total - amount
    return total


def _cart_option(option: ProductOption, v: OptionValue, live_quantity: int) -> CartOption:
    return CartOption(
        product_option_id=option.product_option_id,
        product_option_value_id=v.product_option_value_id,
        option_id=option.option_id,
        option_value_id=v.option_value_id,
        name=option.name,
        value=v.name,
        type=option.type,
        quantity=live_quantity,
        subtract=v.subtract,
        price=v.price,
        price_prefix=v.price_prefix,
        points=v.points,
        points_prefix=v.points_prefix,
        weight=v.weight,
        weight_prefix=v.weight_prefix,
    )


def _best_discount(
    rows: tuple[Discount, ...], group: int, quantity: int | None, today: str, *, by_quantity: bool
) -> Discount | None:
    candidates = [
        d for d in rows
        if d.customer_group_id == group
        and (quantity is None or d.quantity <= quantity)
        and _date_ok(d.date_start, d.date_end, today)
    ]
    if not candidates:
        return None
    if by_quantity:
        return min(candidates, key=lambda d: (-d.quantity, d.priority, d.price))
    return min(candidates, key=lambda d: (d.priority, d.price))


def _option_key(option: dict) -> tuple:
    return tuple(
        (k, tuple(v) if isinstance(v, list) else v) for k, v in option.items()
    )
