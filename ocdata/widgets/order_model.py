"""The order builder's view model: form state -> :class:`OrderDraft` -> quote -> confirmed order.

Pure Python (no ipywidgets), so tests drive it without a browser; :class:`OrderBuilder`
only wires widgets to it. The model never raises for a store error: every call records
a :class:`~ocdata.widgets.messages.Notice` in :attr:`OrderBuilderModel.notice` and keeps
the draft it had built.

Rules it enforces before talking to the store:

* a product line needs a product the store has (checked against the :class:`Catalogue`:
  a store file lists every product, otherwise the store prices the product alone once),
  a quantity of at least 1, and options its product accepts (value ids of select/radio/checkbox
  options, dates and times in OpenCart's formats, every required option);
* a draft needs at least one product line, the customer's name and e-mail, a country,
  a zone when the country has zones, and a postcode when the country requires one;
* confirming needs a quote of the draft *as it stands* (so the prices on screen are the
  prices confirmed), a shipping method when the cart ships, and a payment method;
* a draft that was confirmed is not confirmed again until it changes (no double orders
  from a second click).

Messages follow the form: "the draft is incomplete" disappears as soon as it is complete, a
store's refusal is shown beside the fields it names (:meth:`OrderBuilderModel.field_errors`)
until those fields change. Quoting is split in :meth:`~OrderBuilderModel.begin_quote` /
:meth:`~OrderBuilderModel.finish_quote` around the store call so the widget can run the call on
a worker thread; :meth:`~OrderBuilderModel.refresh_quote` does all three in one go.
"""

from __future__ import annotations

import re
from typing import Any, Mapping, Protocol

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
from ocdata.client.errors import NotFoundError, OcdataError, ValidationError
from ocdata.study import OptionValue, format_options, parse_options
from ocdata.widgets.catalog import Catalogue, ProductInfo
from ocdata.widgets.messages import Notice, error_notice, field_label
from ocdata.widgets.money import UNKNOWN, Money, infer_money

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

    def cart(self, draft: OrderDraft) -> Any: ...

    def confirm(self, draft: OrderDraft, order_status_id: int | None = None, comment: str = "") -> OrderResult: ...


# options text: parse_options/format_options live with the other cart shorthands in ocdata.study

# --------------------------------------------------------------------------- the model


#: form fields a store error can be shown beside, and the error keys (after the address prefix) they own
FIELDS = ("lines", "customer", "firstname", "lastname", "email", "country", "zone", "postcode", "city", "address_1",
          "shipping", "payment")
_FIELD_KEYS = {"firstname": "firstname", "lastname": "lastname", "email": "email", "telephone": "customer",
               "customer_group": "customer", "customer": "customer", "country": "country", "zone": "zone",
               "postcode": "postcode", "city": "city", "address_1": "address_1", "shipping_method": "shipping",
               "payment_method": "payment", "product": "lines", "option": "lines", "subscription": "lines",
               "quantity": "lines"}
_ADDRESS_PREFIX = re.compile(r"^(payment|shipping)_(?!method$)")


def error_field(key: str) -> str:
    """The form field a store error key belongs to (``product_0_option_226`` -> ``lines``)."""
    if key.startswith("product_"):
        return "lines"
    return _FIELD_KEYS.get(_ADDRESS_PREFIX.sub("", key), "")


class OrderBuilderModel:
    """Form state for one test order and the calls that quote and confirm it.

    Fields the form edits are plain attributes (``firstname``, ``country_id``,
    ``postcode``, …; :meth:`set_field` also drops the store's complaint about that field);
    product lines change through :meth:`add_line` / :meth:`remove_line`.
    :meth:`build` turns the fields into :attr:`draft` (kept when later input is invalid or
    a store call fails), :meth:`refresh_quote` prices it, :meth:`select_shipping` /
    :meth:`select_payment` pick methods among those quoted, :meth:`confirm` creates the order.

    ``catalog`` is what the builder knows of the store's products (a :class:`Catalogue`, a
    store file name such as ``"rich"``, or None: learn from the store); ``products`` adds
    names (``{40: "iPhone"}``) for the product picker; ``money`` how amounts are written
    (None: read from the store's formatted totals).
    """

    def __init__(self, store: StoreLike, *, customer_groups: Mapping[int, str] | None = None,
                 products: Mapping[int, str] | None = None, catalog: Catalogue | str | None = None,
                 money: Money | None = None) -> None:
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
        if isinstance(catalog, str):
            catalog = Catalogue.from_store_file(catalog)
        self.catalog: Catalogue = catalog if catalog is not None else Catalogue()
        for pid, name in (products or {}).items():
            if int(pid) not in self.catalog:
                self.catalog.add(ProductInfo(int(pid), str(name), complete=False))
        self.money: Money = money or UNKNOWN
        self._money_given = money is not None

        self.draft: OrderDraft | None = None
        self.quote: Quote | None = None
        self.shipping_code: str | None = None
        self.payment_code: str | None = None
        self.result: OrderResult | None = None
        self.notice: Notice | None = None
        #: the last quote's failure (None after a quote succeeded), shown where the quote would be
        self.quote_error: Notice | None = None
        #: the store's complaints by form field (see :data:`FIELDS`), until that field changes
        self.store_errors: dict[str, list[str]] = {}
        self._quoted_base: OrderDraft | None = None
        self._confirmed: OrderDraft | None = None
        self._countries: tuple[Country, ...] | None = None
        self._options_used: dict[int, dict[int, OptionValue]] = {}

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

    # ------------------------------------------------------------------ fields
    def set_field(self, name: str, value: Any) -> None:
        """Set a form field (``firstname``, ``postcode``, …) and drop the store's complaint about it."""
        setattr(self, name, value if value is not None else "")
        self.store_errors.pop(name, None)

    def field_errors(self) -> dict[str, str]:
        """The store's last complaints by form field (:data:`FIELDS`), one text per field."""
        return {f: "; ".join(messages) for f, messages in self.store_errors.items() if messages}

    def _record_store_errors(self, exc: BaseException) -> None:
        self.store_errors = {}
        fields = getattr(exc, "fields", None) or {}
        for key, message in fields.items():
            if key == "warning" and len(fields) > 1:
                continue  # OpenCart's generic "check the cart" next to the line errors
            target = error_field(key) or ("lines" if isinstance(exc, NotFoundError) else "")
            if target:
                self.store_errors.setdefault(target, []).append(f"{field_label(key)}: {message}")

    # ------------------------------------------------------------------ lines
    def product(self, product_id: int | None) -> ProductInfo | None:
        """What the builder knows of a product (None: nothing yet)."""
        return self.catalog.get(int(product_id)) if product_id else None

    def options_used(self, product_id: int) -> dict[int, OptionValue]:
        """The options last added with ``product_id`` (to offer them again)."""
        return dict(self._options_used.get(int(product_id), {}))

    def line_problems(self, product_id: Any, quantity: Any, options: str | Mapping[int, OptionValue] = ""
                      ) -> tuple[CartLine | None, list[str]]:
        """The line the input makes and why it cannot be added, checked without calling the store."""
        problems: list[str] = []
        pid = _positive_int(product_id)
        if pid is None:
            problems.append("enter a product id (a positive whole number)")
        qty = _whole(quantity)
        if qty is None or qty < 1:
            problems.append("the quantity must be at least 1")
        try:
            parsed = parse_options(options) if isinstance(options, str) else {int(k): v for k, v in options.items()}
        except ValueError as exc:
            problems.append(_first_line(exc))
            parsed = None
        if pid is not None:
            known = self.catalog.get(pid)
            if known is None and self.catalog.complete:
                problems.append(f"the store has no product {pid} (its catalogue lists {len(self.catalog)} products)")
            elif known is not None and parsed is not None:
                problems.extend(known.check(parsed))
        if problems or pid is None or qty is None or parsed is None:
            return None, problems
        try:
            return CartLine(product_id=pid, quantity=qty, options=parsed), []
        except ValueError as exc:
            return None, [_first_line(exc)]

    def add_line(self, product_id: int | None, quantity: int = 1, options: str | Mapping[int, OptionValue] = "",
                 ) -> bool:
        """Append a product line; False (with an error notice) when the input is not a valid line.

        Checked before any request (:meth:`line_problems`); a line the catalogue cannot vouch
        for (a product it does not list, or lists without its option values) is priced alone
        (one cart request) so the store says whether the product exists, which options it
        requires and whether it accepts the values given.
        """
        line, problems = self.line_problems(product_id, quantity, options)
        known = self.catalog.get(line.product_id) if line is not None else None
        if line is not None and (known is None or not known.complete) and hasattr(self.store, "cart"):
            # the catalogue cannot vouch for this line: the store prices it alone (one cart request)
            problems = self._probe(line)
            if not problems:
                line, problems = self.line_problems(product_id, quantity, options)
        if line is None or problems:
            self.notice = Notice("error", "This product line cannot be added.", tuple(problems))
            return False
        self.lines.append(line)
        self._options_used[line.product_id] = dict(line.options)
        self.store_errors.pop("lines", None)
        self.notice = Notice("info", f"Added {self.line_label(line)}.")
        return True

    def _probe(self, line: CartLine) -> list[str]:
        """Ask the store about a product it has not priced for this builder yet; the problems it names."""
        try:
            cart = self.store.cart(OrderDraft(lines=(line,)))
        except NotFoundError as exc:
            return [f"the store has no product {line.product_id}: {_store_text(exc)}"]
        except ValidationError as exc:
            self.catalog.learn(line.product_id, fields=exc.fields)
            return [f"{_probe_label(k)}: {m}" for k, m in exc.fields.items() if k != "warning"] or [_store_text(exc)]
        except OcdataError as exc:
            return [f"the store could not check product {line.product_id}: {_store_text(exc)}"]
        for product in getattr(cart, "products", ()):
            if product.product_id == line.product_id:
                self.catalog.learn(product.product_id, name=product.name, selected=product.options)
        if not self._money_given:
            self.money = infer_money(getattr(cart, "totals", ())) if not self.money.known else self.money
        return []

    def remove_line(self, index: int) -> None:
        if 0 <= index < len(self.lines):
            self.lines.pop(index)
            self.store_errors.pop("lines", None)

    def line_label(self, line: CartLine) -> str:
        known = self.catalog.get(line.product_id)
        name = known.label if known else f"product #{line.product_id}"
        opts = f" [{self.options_label(line)}]" if line.options else ""
        return f"{line.quantity} × {name}{opts}"

    def options_label(self, line: CartLine) -> str:
        """A line's options by name (``Select: Blue``) where the catalogue knows them, else as typed."""
        known = self.catalog.get(line.product_id)
        parts = []
        for oid, value in line.options.items():
            option = known.option(oid) if known else None
            if option is None:
                parts.append(f"{oid}={format_options({oid: value}).split('=', 1)[1]}")
                continue
            names = {v.value_id: v.name for v in option.values}
            values = value if isinstance(value, list) else [value]
            shown = ", ".join(names.get(int(v), str(v)) if str(v).isdigit() else str(v) for v in values)
            parts.append(f"{option.name}: {shown}")
        return "; ".join(parts)

    def line_choices(self) -> list[tuple[str, int]]:
        return [(f"{i + 1}. {self.line_label(line)}", i) for i, line in enumerate(self.lines)]

    def product_choices(self) -> list[tuple[str, int]]:
        """Products the builder knows (its catalogue, names given, products priced in a quote)."""
        return [(p.label, p.product_id) for p in sorted(self.catalog.values(), key=lambda p: p.name.casefold())]

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
            self.notice = Notice("error", INCOMPLETE, tuple(problems))
            return None
        if self.notice is not None and self.notice.title == INCOMPLETE:
            # the form became complete: the list of what was missing must not stay on screen
            self.notice = Notice("info", "The draft is complete: press Get quote.")
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
        matches the draft), the notice says why and :meth:`field_errors` where.
        """
        base = self.begin_quote()
        if base is None:
            return None
        try:
            quote = self.store.quote(base)
        except Exception as exc:  # noqa: BLE001 - shown in the widget instead of a traceback
            return self.finish_quote(base, None, exc)
        return self.finish_quote(base, quote)

    def begin_quote(self) -> OrderDraft | None:
        """The draft to send to the store's quote, or None (with the notice saying why)."""
        if self.build() is None:
            return None
        return self._base_draft()

    def finish_quote(self, base: OrderDraft, quote: Quote | None, error: BaseException | None = None
                     ) -> Quote | None:
        """Take the store's answer (``quote``) or failure (``error``) for ``base``."""
        if error is not None or quote is None:
            self.quote, self._quoted_base = None, None
            self.notice = self.quote_error = error_notice(error or RuntimeError("no answer"), "quote")
            self._record_store_errors(error)
            self.build()
            return None
        self.quote, self._quoted_base, self.quote_error = quote, base, None
        self.store_errors = {}
        if not self._money_given:
            self.money = infer_money([*quote.totals, *(t for o in quote.options for t in o.totals)])
        for product in quote.products:
            self.catalog.learn(product.product_id, name=product.name, selected=product.options)
        offered = [o.quote.code for o in quote.options if not o.error]
        if self.shipping_code not in offered:
            self.shipping_code = offered[0] if offered else None
        self._repick_payment()
        self.build()
        self.notice = self._quote_notice(quote, offered)
        return quote

    def cancel_quote(self) -> None:
        """The user gave up waiting: the form stays as it is, the answer will be ignored."""
        self.notice = Notice("warning", "Quote cancelled: nothing changed. Press Get quote to ask again.")

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
        money = self.money
        return [(f"{o.quote.name} — {money(o.quote.cost)} (order total {money(o.total)})", o.quote.code)
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
        # payment methods by name, as the checkout lists them (the frame keeps their codes)
        names = {o.quote.code: ", ".join(m.name for m in o.payment_methods) for o in self.quote.options}
        df = df.assign(payment_methods=[names.get(c, "") for c in df["quote_code"].astype(object)])
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
        draft = self.begin_confirm()
        if draft is None:
            return None
        try:
            result = self.store.confirm(draft, order_status_id)
        except Exception as exc:  # noqa: BLE001 - shown in the widget instead of a traceback
            return self.finish_confirm(draft, None, exc)
        return self.finish_confirm(draft, result)

    def begin_confirm(self) -> OrderDraft | None:
        """The draft to confirm, or None (with the notice saying what must happen first)."""
        problems = self.confirm_problems()
        if problems:
            self.notice = Notice("error", "The order cannot be confirmed yet.", tuple(problems))
            return None
        return self.build()

    def finish_confirm(self, draft: OrderDraft, result: OrderResult | None, error: BaseException | None = None
                       ) -> OrderResult | None:
        if error is not None or result is None:
            self.notice = error_notice(error or RuntimeError("no answer"), "confirm")
            self._record_store_errors(error)
            return None
        self.result, self._confirmed = result, draft
        self.notice = Notice("success", f"Order #{result.order_id} created (status {result.status_id}), "
                                        f"total {self.money(result.total)}.")
        return result

    def cancel_confirm(self) -> None:
        """Stop waiting for a confirm: the order may still be created by the store."""
        self.notice = Notice("warning", "Stopped waiting for the confirm: the store may still create the order.",
                             ("Check the store's order list before confirming again.",))


INCOMPLETE = "The draft is incomplete."


def _positive_int(value: Any) -> int | None:
    number = _whole(value)
    return number if number is not None and number > 0 else None


def _whole(value: Any) -> int | None:
    """An int from an int or a string of digits; None for anything else (3.5, "3x", True)."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.fullmatch(r"\s*-?\d+\s*", value):
        return int(value)
    return None


def _store_text(exc: BaseException) -> str:
    fields = getattr(exc, "fields", None) or {}
    return "; ".join(m for k, m in fields.items() if k != "warning") or str(exc).splitlines()[0]


def _probe_label(key: str) -> str:
    """A probe prices the product alone as line 1: name the option, not the line."""
    label = field_label(key)
    return label.removeprefix("line 1, ") if label != "line 1" else "product"


def _first_line(exc: Exception) -> str:
    """A pydantic or ValueError message without pydantic's URL footer."""
    errors = getattr(exc, "errors", None)
    if callable(errors):
        try:
            return "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in errors())
        except Exception:  # noqa: BLE001
            pass
    return str(exc).splitlines()[0]
