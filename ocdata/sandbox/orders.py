"""Orders and live stock (``catalog/model/checkout/order.php``), behind one lock.

``add_history`` follows ``addHistory``: moving an order from a status outside
processing+complete into one of them subtracts stock (products and option values with
``subtract``); moving it back out restocks. Status 0 ("missing order") is neither.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as _dt
import threading

from ocdata.sandbox.model import StoreConfig
from ocdata.sandbox.records import Order, OrderHistory, OrderIn


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S")


class OrderBook:
    """Orders, their history and the stock they move. All methods are thread-safe."""

    def __init__(self, store: StoreConfig) -> None:
        s = store.settings
        self._active = frozenset(s.processing_status) | frozenset(s.complete_status)
        self._void_status_id = s.void_status_id
        self._default_currency = s.currency
        self._currency_values = {c.code: c.value for c in store.currencies}
        self._lock = threading.RLock()
        self._orders: dict[int, Order] = {}
        self._next_id = s.next_order_id
        self.product_stock: dict[int, int] = {p.product_id: p.quantity for p in store.products}
        self.option_stock: dict[int, int] = {
            v.product_option_value_id: v.quantity for p in store.products for o in p.options for v in o.values
        }
        self._product_subtract = {p.product_id: p.subtract for p in store.products}
        self._option_subtract = {
            v.product_option_value_id: v.subtract for p in store.products for o in p.options for v in o.values
        }

    # ---- reads
    def get(self, order_id: int) -> Order | None:
        with self._lock:
            order = self._orders.get(order_id)
            return copy.deepcopy(order) if order is not None else None

    def all(self) -> list[Order]:
        with self._lock:
            return [copy.deepcopy(o) for _, o in sorted(self._orders.items())]

    # ---- writes
    def create(self, data: OrderIn) -> int:
        """``addOrder`` (status 0) then ``addHistory`` with the posted status."""
        with self._lock:
            order_id = self._next_id
            self._next_id += 1
            self._orders[order_id] = self._build(order_id, data, _now())
            self.add_history(order_id, data.order_status_id)
            return order_id

    def edit(self, order_id: int, data: OrderIn) -> bool:
        """4.1 ``confirm`` on an existing order: void it (if it had a status), replace its
        content, then apply the posted status. ``False`` (nothing written) if unknown."""
        with self._lock:
            order = self._orders.get(order_id)
            if order is None:
                return False
            if order.order_status_id:
                self.add_history(order_id, self._void_status_id, "", True)
            current = self._orders[order_id]
            rebuilt = self._build(order_id, data, current.date_added)
            rebuilt.order_status_id = current.order_status_id
            rebuilt.history = current.history
            rebuilt.stock_subtracted = current.stock_subtracted
            self._orders[order_id] = rebuilt
            self.add_history(order_id, data.order_status_id)
            return True

    def add_history(
        self, order_id: int, order_status_id: int, comment: str = "", notify: bool = False, override: bool = False
    ) -> bool:
        with self._lock:
            order = self._orders.get(order_id)
            if order is None:
                return False
            old = order.order_status_id
            if old not in self._active and order_status_id in self._active:
                self._move_stock(order, -1)
                order.stock_subtracted = True
            order.order_status_id = order_status_id
            order.date_modified = _now()
            order.history.append(OrderHistory(order_status_id, comment, bool(notify), order.date_modified))
            if old in self._active and order_status_id not in self._active:
                self._move_stock(order, +1)
                order.stock_subtracted = False
            return True

    # ---- helpers
    def _move_stock(self, order: Order, sign: int) -> None:
        for line in order.products:
            if self._product_subtract.get(line.product_id):
                self.product_stock[line.product_id] = self.product_stock.get(line.product_id, 0) + sign * line.quantity
            for option in line.options:
                pov = option.product_option_value_id
                if pov and self._option_subtract.get(pov):
                    self.option_stock[pov] = self.option_stock.get(pov, 0) + sign * line.quantity

    def _build(self, order_id: int, data: OrderIn, date_added: str) -> Order:
        """An order holds every :class:`OrderIn` field (copied, so later changes to the
        input do not reach it) plus what the store assigns."""
        posted = {f.name: getattr(data, f.name) for f in dataclasses.fields(OrderIn)}
        ships = any(p.shipping for p in data.products)  # else no shipping address/method is kept
        currency = data.currency or self._default_currency
        posted.update(
            order_status_id=0,  # addHistory sets the posted status
            customer=copy.deepcopy(data.customer),
            products=list(data.products),
            totals=list(data.totals),
            payment_address=copy.deepcopy(data.payment_address),
            shipping_address=copy.deepcopy(data.shipping_address) if ships else None,
            shipping_method=data.shipping_method if ships else None,
            currency=currency,
        )
        return Order(
            order_id=order_id,
            total=next((t.value for t in data.totals if t.code == "total"), 0.0),
            currency_value=self._currency_values.get(currency, 1.0),
            date_added=date_added,
            date_modified=_now(),
            **posted,
        )
