"""The order builder's view model: form state -> :class:`OrderDraft` -> quote -> confirmed order.

Pure Python (no ipywidgets), so tests drive it without a browser; :class:`OrderBuilder`
only wires widgets to it. The model never raises for a store error: every call records
a :class:`~ocdata.widgets.messages.Notice` in :attr:`OrderBuilderModel.notice` and keeps
the draft it had built.

Rules it enforces before talking to the store:

* a draft needs at least one product line, the customer's name and e-mail, a country,
  a zone when the country has zones, and a postcode when the country requires one;
* confirming needs a quote of the draft *as it stands* (so the prices on screen are the
  prices confirmed), a shipping method when the cart ships, and a payment method;
* a draft that was confirmed is not confirmed again until it changes (no double orders
  from a second click).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Mapping, Protocol

import pandas as pd

from ocdata import frames
from ocdata.client.models import (
    Address,
    CartLine,
    Country,
    Customer,
    OrderDraft,
    OrderResult,
    PaymentMethod,
    Quote,
    QuoteOption,
    ShippingQuote,
)
from ocdata.study import OptionValue, format_options, parse_options
from ocdata.widgets.messages import Notice, error_notice

__all__ = [
    "OrderBuilderModel",
    "StoreLike",
    "DEFAULT_CUSTOMER_GROUPS",
    "parse_options",
    "format_options",
    "OptionValue",
]


DEFAULT_CUSTOMER_GROUPS: dict[int, str] = {1: "Default", 2: "Retail", 3: "Wholesale"}
"""OpenCart's demo customer groups; OpenCart's API cannot list a store's groups, so pass your own."""


class StoreLike(Protocol):
    """What the view model needs of a :class:`~ocdata.client.store.Store`."""

    def countries(self) -> tuple[Country, ...]: ...

    def quote(self, draft: OrderDraft) -> Quote: ...

    def confirm(self, draft: OrderDraft, order_status_id: int | None = None, comment: str = "") -> OrderResult: ...


# options text: parse_options/format_options live with the other cart shorthands in ocdata.study

# --------------------------------------------------------------------------- the model


@dataclass(frozen=True)
class KnownProduct:
    """A product the builder has seen priced: its name and the options last used with it."""

    product_id: int
    name: str
    options: str = ""


def _money(value: Decimal | None) -> str:
    return "—" if value is None else f"{value:.2f}"


class OrderBuilderModel:
    """Form state for one test order and the calls that quote and confirm it.

    Fields the form edits are plain attributes (``firstname``, ``country_id``,
    ``postcode``, …); product lines change through :meth:`add_line` / :meth:`remove_line`.
    :meth:`build` turns the fields into :attr:`draft` (kept when later input is invalid or
    a store call fails), :meth:`refresh_quote` prices it, :meth:`select_shipping` /
    :meth:`select_payment` pick methods among those quoted, :meth:`confirm` creates the order.
    """

    def __init__(self, store: StoreLike, *, customer_groups: Mapping[int, str] | None = None,
                 products: Mapping[int, str] | None = None) -> None:
        self.store = store
        self.customer_groups: dict[int, str] = dict(customer_groups or DEFAULT_CUSTOMER_GROUPS)
        self.customer_group_id: int = next(iter(self.customer_groups))
        self.firstname = "Test"
        self.lastname = "Customer"
        self.email = "test.customer@example.com"
        self.telephone = ""
        self.address_1 = "1 Test Street"
        self.city = "Test City"
        self.postcode = ""
        self.country_id: int | None = None
        self.zone_id: int | None = None
        self.comment = ""
        self.lines: list[CartLine] = []
        self.catalog: dict[int, KnownProduct] = {
            int(pid): KnownProduct(int(pid), name) for pid, name in (products or {}).items()}

        self.draft: OrderDraft | None = None
        self.quote: Quote | None = None
        self.shipping_code: str | None = None
        self.payment_code: str | None = None
        self.result: OrderResult | None = None
        self.notice: Notice | None = None
        self._quoted_base: OrderDraft | None = None
        self._confirmed: OrderDraft | None = None
        self._countries: tuple[Country, ...] | None = None

    # ------------------------------------------------------------------ geography
    def countries(self) -> tuple[Country, ...]:
        """The store's enabled countries (fetched once; empty, with an error notice, if that fails)."""
        if self._countries is None:
            try:
                self._countries = tuple(sorted(self.store.countries(), key=lambda c: c.name.casefold()))
            except Exception as exc:  # noqa: BLE001 - shown in the widget instead of a traceback
                self.notice = error_notice(exc, "country list")
                return ()
        return self._countries

    def country(self) -> Country | None:
        for c in self.countries():
            if c.country_id == self.country_id:
                return c
        return None

    def country_choices(self) -> list[tuple[str, int]]:
        """``(label, country_id)`` for a dropdown, by name."""
        return [(f"{c.name} ({c.iso_code_2})", c.country_id) for c in self.countries()]

    def zone_choices(self) -> list[tuple[str, int]]:
        """``(label, zone_id)`` of the chosen country's zones, by name."""
        country = self.country()
        if country is None:
            return []
        return [(z.name, z.zone_id) for z in sorted(country.zones, key=lambda z: z.name.casefold())]

    def set_country(self, country: int | str | None, zone: int | str | None = None) -> None:
        """Choose the destination by store id or ISO code; ``zone`` by id, code or name.

        The zone is cleared when it does not belong to the new country.
        """
        found = None
        if country is not None:
            for c in self.countries():
                if c.country_id == country or (isinstance(country, str) and country.upper() in (
                        c.iso_code_2.upper(), c.iso_code_3.upper())):
                    found = c
                    break
            if found is None:
                self.notice = Notice("error", f"The store has no country {country!r}.")
                return
        self.country_id = found.country_id if found else None
        zone_ids = {z.zone_id for z in found.zones} if found else set()
        if zone is not None and found is not None:
            if isinstance(zone, int):
                self.zone_id = zone if zone in zone_ids else None
            else:
                try:
                    self.zone_id = found.zone(zone).zone_id
                except KeyError:
                    self.zone_id = None
                    self.notice = Notice("error", f"{found.name} has no zone {zone!r}.")
        elif self.zone_id not in zone_ids:
            self.zone_id = None

    # ------------------------------------------------------------------ lines
    def add_line(self, product_id: int | None, quantity: int = 1, options: str | Mapping[int, OptionValue] = "",
                 ) -> bool:
        """Append a product line; False (with an error notice) when the input is not a valid line."""
        try:
            if product_id is None or int(product_id) <= 0:
                raise ValueError("enter a product id (a positive number)")
            if int(quantity) < 1:
                raise ValueError("the quantity must be at least 1")
            parsed = parse_options(options) if isinstance(options, str) else dict(options)
            line = CartLine(product_id=int(product_id), quantity=int(quantity), options=parsed)
        except ValueError as exc:
            self.notice = Notice("error", "This product line cannot be added.", (_first_line(exc),))
            return False
        self.lines.append(line)
        self.notice = Notice("info", f"Added {self.line_label(line)}.")
        return True

    def remove_line(self, index: int) -> None:
        if 0 <= index < len(self.lines):
            self.lines.pop(index)

    def line_label(self, line: CartLine) -> str:
        known = self.catalog.get(line.product_id)
        name = f"{known.name} (#{line.product_id})" if known else f"product #{line.product_id}"
        opts = f" [{format_options(line.options)}]" if line.options else ""
        return f"{line.quantity} × {name}{opts}"

    def line_choices(self) -> list[tuple[str, int]]:
        return [(f"{i + 1}. {self.line_label(line)}", i) for i, line in enumerate(self.lines)]

    def product_choices(self) -> list[tuple[str, int]]:
        """Products seen so far (given at construction or priced in a quote)."""
        return [(f"{p.name} (#{p.product_id})", p.product_id) for p in sorted(
            self.catalog.values(), key=lambda p: p.name.casefold())]

    # ------------------------------------------------------------------ drafts
    def problems(self) -> list[str]:
        """What keeps the form from being a draft, in the order a user would fix it."""
        found = []
        if not self.lines:
            found.append("Add at least one product line.")
        if not self.firstname.strip() or not self.lastname.strip():
            found.append("Enter the customer's first and last name.")
        if "@" not in self.email:
            found.append("Enter the customer's e-mail address.")
        country = self.country()
        if country is None:
            found.append("Choose a destination country.")
        else:
            if country.zones and self.zone_id is None:
                found.append(f"Choose a region (zone) of {country.name}.")
            if country.postcode_required and not self.postcode.strip():
                found.append(f"Enter a postcode: {country.name} requires one.")
        return found

    def _base_draft(self) -> OrderDraft:
        customer = Customer(customer_group_id=self.customer_group_id, firstname=self.firstname.strip(),
                            lastname=self.lastname.strip(), email=self.email.strip(),
                            telephone=self.telephone.strip())
        address = Address(firstname=customer.firstname, lastname=customer.lastname, address_1=self.address_1,
                          city=self.city, postcode=self.postcode.strip(), country_id=self.country_id,
                          zone_id=self.zone_id or 0)
        # the comment stays out: it does not change prices, so editing it must not make the quote stale
        return OrderDraft(customer=customer, lines=tuple(self.lines)).with_addresses(address)

    def build(self) -> OrderDraft | None:
        """Rebuild :attr:`draft` from the fields; None (draft kept, error notice) when incomplete."""
        problems = self.problems()
        if problems:
            self.notice = Notice("error", "The draft is incomplete.", tuple(problems))
            return None
        base = self._base_draft()
        draft = base.with_shipping(self._chosen_shipping(base)).with_payment(self._chosen_payment(base))
        self.draft = draft.model_copy(update={"comment": self.comment}) if self.comment else draft
        return self.draft

    @property
    def quote_is_current(self) -> bool:
        """True when the shown quote prices the form as it stands now."""
        return (self.quote is not None and not self.problems()
                and self._base_draft() == self._quoted_base)

    def _chosen_option(self, base: OrderDraft | None = None) -> QuoteOption | None:
        if self.quote is None or self.shipping_code is None:
            return None
        if base is not None and base != self._quoted_base:
            return None
        for option in self.quote.options:
            if option.quote.code == self.shipping_code and not option.error:
                return option
        return None

    def _chosen_shipping(self, base: OrderDraft) -> ShippingQuote | None:
        option = self._chosen_option(base)
        return option.quote if option else None

    def _chosen_payment(self, base: OrderDraft) -> PaymentMethod | None:
        if base != self._quoted_base:
            return None
        for method in self.payment_methods():
            if method.code == self.payment_code:
                return method
        return None

    # ------------------------------------------------------------------ quote
    def refresh_quote(self) -> Quote | None:
        """Quote the draft: every shipping method with its totals and payment methods.

        Keeps the chosen shipping/payment codes when still offered, else picks the first
        offered ones. On a store error the previous quote is dropped (it no longer
        matches the draft) and the notice says why.
        """
        if self.build() is None:
            return None
        base = self._base_draft()
        try:
            quote = self.store.quote(base)
        except Exception as exc:  # noqa: BLE001 - shown in the widget instead of a traceback
            self.quote, self._quoted_base = None, None
            self.notice = error_notice(exc, "quote")
            self.build()
            return None
        self.quote, self._quoted_base = quote, base
        for product in quote.products:
            line_opts = next((format_options(line.options) for line in base.lines
                              if line.product_id == product.product_id), "")
            self.catalog[product.product_id] = KnownProduct(product.product_id, product.name, line_opts)
        offered = [o.quote.code for o in quote.options if not o.error]
        if self.shipping_code not in offered:
            self.shipping_code = offered[0] if offered else None
        self._repick_payment()
        self.build()
        self.notice = self._quote_notice(quote, offered)
        return quote

    def _quote_notice(self, quote: Quote, offered: list[str]) -> Notice:
        country = self.country()
        where = country.name if country else "the destination"
        details = tuple(quote.warnings)
        if quote.options and not offered:
            return Notice("error", f"No shipping method could be priced for {where}.",
                          tuple(f"{o.quote.code}: {o.error}" for o in quote.options) + details)
        if not quote.options and quote.shipping_required is not False:
            reason = quote.shipping_error or "the store offered no shipping method"
            return Notice("error", f"No shipping to {where}: {reason}", details)
        if not quote.options:
            return Notice("success", "Quoted: the cart needs no shipping.", details)
        return Notice("warning" if details else "success",
                      f"Quoted {len(offered)} shipping method(s) to {where}.", details)

    def _repick_payment(self) -> None:
        codes = [m.code for m in self.payment_methods()]
        if self.payment_code not in codes:
            self.payment_code = codes[0] if codes else None

    def shipping_choices(self) -> list[tuple[str, str]]:
        """``(label, code)`` of the quoted shipping methods the store priced, with cost and order total."""
        if self.quote is None:
            return []
        return [(f"{o.quote.name} — {_money(o.quote.cost)} (total {_money(o.total)})", o.quote.code)
                for o in self.quote.options if not o.error]

    def payment_methods(self) -> tuple[PaymentMethod, ...]:
        """Payment methods offered with the chosen shipping method (the cart's own when none ships)."""
        if self.quote is None:
            return ()
        option = self._chosen_option()
        if option is not None and option.payment_methods:
            return option.payment_methods
        return self.quote.payment_methods

    def payment_choices(self) -> list[tuple[str, str]]:
        return [(m.name, m.code) for m in self.payment_methods()]

    def select_shipping(self, code: str | None) -> None:
        """Choose a quoted shipping method by code (payment re-picked if no longer offered)."""
        if code is not None and code not in [c for _, c in self.shipping_choices()]:
            self.notice = Notice("error", f"Shipping method {code!r} is not among the quoted ones.")
            return
        self.shipping_code = code
        self._repick_payment()
        self.build()

    def select_payment(self, code: str | None) -> None:
        if code is not None and code not in [m.code for m in self.payment_methods()]:
            self.notice = Notice("error", f"Payment method {code!r} is not offered with this shipping method.")
            return
        self.payment_code = code
        self.build()

    # ------------------------------------------------------------------ tables
    def products_table(self) -> pd.DataFrame:
        """The quoted cart lines: product, options as the store names them, quantity, prices."""
        products = self.quote.products if self.quote else ()
        df = frames.products_frame(products)
        return df[["product_id", "name", "options", "quantity", "price", "total"]]

    def shipping_table(self) -> pd.DataFrame:
        """Every quoted shipping method: cost, tax, order total, payment methods offered, errors."""
        if self.quote is None:
            return frames.empty_frame("quotes")[["quote_code", "name", "cost", "tax", "total",
                                                 "payment_methods", "status", "error"]]
        df = frames.quotes_frame(self.quote)
        return df[["quote_code", "name", "cost", "tax", "total", "payment_methods", "status", "error"]]

    def payment_table(self) -> pd.DataFrame:
        """The payment methods offered with the chosen shipping method."""
        return frames.payment_methods_frame(self.payment_methods())[["code", "name"]]

    # ------------------------------------------------------------------ confirm
    def confirm_problems(self) -> list[str]:
        """What must happen before :meth:`confirm` may call the store."""
        problems = self.problems()
        if problems:
            return problems
        if not self.quote_is_current:
            return ["Quote the draft first: the form changed since the last quote (or there is none)."]
        assert self.quote is not None
        if self.quote.options and self._chosen_option() is None:
            return ["Choose a shipping method."]
        if self.quote.shipping_required is not False and not self.quote.options:
            return ["The store offers no shipping method for this draft, so it cannot be ordered."]
        if not self.payment_methods():
            return ["The store offers no payment method for this draft, so it cannot be ordered."]
        if self._chosen_payment(self._base_draft()) is None:
            return ["Choose a payment method."]
        if self.result is not None and self._confirmed == self.build():
            return [f"This draft is already order #{self.result.order_id}; change it to create another order."]
        return []

    def confirm(self, order_status_id: int | None = None) -> OrderResult | None:
        """Create the order from the quoted draft and the chosen methods; the result is kept in :attr:`result`."""
        problems = self.confirm_problems()
        if problems:
            self.notice = Notice("error", "The order cannot be confirmed yet.", tuple(problems))
            return None
        draft = self.build()
        assert draft is not None
        try:
            result = self.store.confirm(draft, order_status_id)
        except Exception as exc:  # noqa: BLE001 - shown in the widget instead of a traceback
            self.notice = error_notice(exc, "confirm")
            return None
        self.result, self._confirmed = result, draft
        self.notice = Notice("success", f"Order #{result.order_id} created (status {result.status_id}), "
                                        f"total {_money(result.total)}.")
        return result


def _first_line(exc: Exception) -> str:
    """A pydantic or ValueError message without pydantic's URL footer."""
    errors = getattr(exc, "errors", None)
    if callable(errors):
        try:
            return "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in errors())
        except Exception:  # noqa: BLE001
            pass
    return str(exc).splitlines()[0]
