"""Quote studies: price a grid of carts x destinations x customer groups, cached and resumable.

>>> study = Study(store, carts={"phone": "40x1", "two phones": "40x2"},
...               destinations={"London": "GB-LDN", "Berlin": {"country": "DE", "zone": "BER"}},
...               customer_groups=[1, 2], name="eu-shipping")                     # doctest: +SKIP
>>> df = study.run(concurrency=8)                                                  # doctest: +SKIP
>>> study.last_run.summary()      # '8 scenarios: 8 ok, 0 refused, 0 failed; 0 from cache, 8 fetched'  # doctest: +SKIP

**The returned frame** (:data:`STUDY_COLUMNS`) has one row per scenario x shipping quote:
the scenario (``scenario_id``, ``cart``, ``destination``, ``country``, ``zone``,
``customer_group_id``), the shipping quote (``method_code``, ``quote_code``, ``name``),
``cost`` (before tax, OpenCart's cost), ``tax`` (all tax lines with that quote chosen),
``cart_tax`` (tax of the cart alone) and ``shipping_tax`` (what the quote adds: tax -
cart_tax), ``sub_total``, ``total``, the ``payment_methods`` offered, and
``status``/``scenario_status``/``error_type``/``error``. Tax stays one number per row so frames of stores with different
tax titles line up; every tax line with its title is in :meth:`Study.totals` (long) and
:meth:`Study.taxes` (one column per title).

**Every scenario ends ok, refused or failed** (:mod:`ocdata.study_schema`;
:meth:`Study.outcomes` has one row per scenario with the error class and message). A
refused or failed scenario is one row carrying that status and the message: it never
aborts the study. ``refused`` (the store refused this scenario: validation, unknown
product or zone) is cached as the scenario's answer; ``retry_errors=True`` asks again.
``failed`` (network, timeout, HTTP 5xx, an unreadable answer) is never an answer: the
next run fetches it again. A store refusing the *caller* (API key, IP, signature, clock)
stops the run with that error and caches nothing. Row ``status`` values of priced
scenarios: ``ok``, ``unavailable`` (no quote offered), ``no_shipping`` (the cart ships
nothing), ``error`` (one shipping quote's own error); ``pending``: not fetched yet.

**Caching and resume**: every finished scenario is committed to the cache (see
:mod:`ocdata.cache`) within ``flush_interval`` seconds (2 s by default) by the cache's
writer thread, and all of them when the run ends, is interrupted (Ctrl-C) or raises, so
re-running an interrupted study fetches only what is missing. ``refresh=True`` fetches
everything again; ``max_age`` ("12h", seconds, timedelta) re-fetches older answers.

**YAML** (:meth:`Study.from_yaml`)::

    name: eu-shipping                  # the study's id in the cache (default: derived from the grid)
    store: {url: "http://shop/", dialect: spec}   # optional: ocdata.connect(**store) when no store is given
    customer: {firstname: Ann, lastname: Lee, email: ann@example.com}   # optional
    customer_groups: [1, 2]            # optional ("1,2" too); omitted = the customer's own group
    carts:                             # label: cart
      phone: "40x1"                    #   "product_id x quantity", comma-separated (quantity >= 1)
      camera: "30x1 [226=15]"          #   options in brackets: product_option_id=value_id; ...
      phone and camera:
        - {product_id: 40, quantity: 1}
        - {product_id: 30, quantity: 1, options: {226: 15}}
    destinations:                      # label: destination
      London: GB-LDN                   #   "COUNTRY-ZONE" (ISO country, store zone code) or "COUNTRY"
      Berlin: {country: DE, zone: BER, postcode: "10115", city: Berlin}

A cart, destination, group or customer that cannot be read raises :class:`StudyInputError`
naming it (``cart 'phone': ...``) and saying how to write it, before any request.

Addresses only need a country (and zone): empty name, street and city are filled with
placeholders the stores accept, since shipping and tax depend on country and zone (and
postcode, where given).

**Across stores**: ``Study(stores={"3.0 live": s1, "4.1 staging": s2}, carts=..., ...)``
prices the same grid on each store (one after the other, ``concurrency`` calls in flight
on each). Its frame stacks the stores' frames: ``store`` is the label, ``store_url`` the
store's URL, ``study`` the study's name; :func:`ocdata.compare.stores` compares them. In
the cache each store is a study of its own, ``"<name> @ <label>"``, whose scenarios are
keyed by that store's identity, so each store resumes and caches on its own.
"""

from __future__ import annotations

import contextlib
import json
import re
import threading
import time
import warnings
from contextlib import contextmanager
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Union

import pandas as pd
from pydantic import ValidationError as PydanticValidationError

from ocdata import frames
from ocdata.cache import (
    Cache,
    CacheReadOnlyError,
    _digest,
    canonical_json,
    default_cache,
    reading_default,
    scenario_key,
    store_identity,
    store_key,
    using_default,
)
from ocdata.client.errors import OcdataWarning
from ocdata.client.models import Address, CartLine, Customer, OrderDraft
from ocdata.study_schema import (
    OUTCOME_COLUMNS,
    STATUS_FAILED,
    STATUS_OK,
    STATUS_PENDING,
    STATUS_REFUSED,
    STUDY_COLUMNS,
    classify,
)

__all__ = ["Study", "Scenario", "RunReport", "STUDY_COLUMNS", "OUTCOME_COLUMNS", "StudyInputError", "parse_cart",
           "parse_destination", "parse_customer_groups", "parse_options", "format_options", "error_groups"]

DEFAULT_CUSTOMER = Customer(firstname="Study", lastname="Shopper", email="study@example.com",
                            telephone="5550100")

# stores validate these fields (a UK/DE address needs a postcode) though stock shipping and tax depend
# only on country and zone; a destination that gives a postcode keeps its own
_PLACEHOLDER = {"address_1": "1 Study Street", "city": "Study City", "postcode": "00000"}


@dataclass(frozen=True)
class Scenario:
    """One cell of the grid: a cart, a destination, a customer group."""

    scenario_id: int
    cart: str
    destination: str
    lines: tuple[CartLine, ...]
    address: Address
    customer_group_id: int | None = None

    @property
    def country(self) -> str:
        a = self.address
        return a.country.upper() if a.country else str(a.country_id)

    @property
    def zone(self) -> str:
        a = self.address
        return a.zone if a.zone else ("" if not a.zone_id else str(a.zone_id))


@dataclass
class RunReport:
    """What the last :meth:`Study.run` did, counted in scenarios of the grid.

    ``ok + refused + failed + pending == scenarios``. ``from_cache`` scenarios were answered
    by the cache (``refused_from_cache`` of them refusals), ``fetched`` requests were sent
    (identical scenarios share one). ``errors`` groups the refused and failed scenarios
    by error (see :func:`error_groups`).
    """

    scenarios: int = 0
    ok: int = 0
    refused: int = 0
    failed: int = 0
    pending: int = 0
    from_cache: int = 0
    refused_from_cache: int = 0
    fetched: int = 0
    seconds: float = 0.0
    interrupted: bool = False
    warnings: list[str] = field(default_factory=list)
    errors: list["ErrorGroup"] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        """Every scenario was priced: nothing refused, failed or pending."""
        return self.ok == self.scenarios

    def summary(self) -> str:
        """``"12 scenarios: 0 ok, 12 refused (all from cache), 0 failed; 12 from cache, 0 fetched"``."""
        cached = self.refused_from_cache
        refused = f"{self.refused} refused" + (
            f" ({'all' if cached == self.refused else cached} from cache)" if cached else "")
        pending = f", {self.pending} pending" if self.pending else ""
        return (f"{self.scenarios} scenarios: {self.ok} ok, {refused}, {self.failed} failed{pending}; "
                f"{self.from_cache} from cache, {self.fetched} fetched")


@dataclass(frozen=True)
class ErrorGroup:
    """Scenarios that ended with the same status and error: how many, and which first."""

    status: str
    error_type: str
    error: str
    count: int
    examples: tuple[str, ...]

    def __str__(self) -> str:
        more = f", +{self.count - len(self.examples)} more" if self.count > len(self.examples) else ""
        return (f"{self.status} x{self.count}: {self.error_type}: {self.error} "
                f"(e.g. {'; '.join(self.examples)}{more})")


def error_groups(outcomes: pd.DataFrame, examples: int = 3) -> list[ErrorGroup]:
    """The refused and failed scenarios of :meth:`Study.outcomes`, grouped by error, most frequent first."""
    bad = outcomes[outcomes["status"].astype(str).isin([STATUS_REFUSED, STATUS_FAILED])]
    groups = []
    for (status, error_type, error), rows in bad.groupby(
            [bad["status"].astype(str), bad["error_type"].astype(str), bad["error"].fillna("").astype(str)],
            sort=False):
        labels = tuple(f"{r.cart} / {r.destination} / group {r.customer_group_id}"
                       for r in rows.head(examples).itertuples())
        groups.append(ErrorGroup(status, error_type, error, len(rows), labels))
    return sorted(groups, key=lambda g: -g.count)


_NOT_CONNECTED = object()  # a study read from a file before its store is connected


# --------------------------------------------------------------------------- parsing the grid

OptionValue = Union[int, str, list[int]]

_LINE = re.compile(r"^\s*(\d+)\s*(?:[x×]\s*(\d+))?\s*(?:\[(.*)\])?\s*$", re.I | re.S)
_ID = re.compile(r"^\d+$")
_HOW_LINE = ("write 'product_id x quantity', e.g. '40x1' (several lines: '40x1, 30x2'; options in brackets: "
             "'30x1 [226=15]')")
_HOW_OPTIONS = ("write options as {product_option_id: value_id}, e.g. {226: 15} (checkbox: {223: [8, 9]}, text: "
                "{208: 'some text'}) or as text '226=15; 223=8,9'")


class StudyInputError(ValueError):
    """A cart, destination, customer group or customer of a study cannot be read; the message
    names it and says how to write it. Raised before any request."""


def parse_options(text: str) -> dict[int, OptionValue]:
    """Options typed as ``"217=4; 223=8,9; 208=some text"`` -> ``{217: 4, 223: [8, 9], 208: "some text"}``.

    Pairs are separated by ``;`` or new lines; the key is the ``product_option_id``. A
    number is a value id, numbers separated by commas (or ``[8]``) are checkbox value
    ids, anything else is text. Raises ``ValueError`` with a message naming the bad pair.
    """
    options: dict[int, OptionValue] = {}
    for raw in re.split(r"[;\n]", text or ""):
        pair = raw.strip()
        if not pair:
            continue
        key, sep, value = pair.partition("=")
        key, value = key.strip(), value.strip()
        if not sep or not _ID.match(key):
            raise ValueError(f"option {pair!r}: write product_option_id=value, e.g. 217=4")
        if not value:
            raise ValueError(f"option {key} has no value")
        bracketed = value.startswith("[") and value.endswith("]")
        inner = value[1:-1] if bracketed else value
        parts = [p.strip() for p in inner.split(",")]
        if bracketed or (len(parts) > 1 and all(_ID.match(p) for p in parts)):
            if not all(_ID.match(p) for p in parts):
                raise ValueError(f"option {key}: checkbox values must be value ids, e.g. {key}=[8,9]")
            options[int(key)] = [int(p) for p in parts]
        elif _ID.match(value):
            options[int(key)] = int(value)
        else:
            options[int(key)] = value
    return options


def format_options(options: Mapping[int, OptionValue]) -> str:
    """The inverse of :func:`parse_options` (lists always bracketed, so they parse back as lists)."""
    parts = []
    for key, value in options.items():
        if isinstance(value, list):
            value = "[" + ",".join(str(v) for v in value) + "]"
        parts.append(f"{key}={value}")
    return "; ".join(parts)


def _options(value: Any, product_id: Any) -> dict[int, OptionValue]:
    where = f"options of product {product_id}"
    if value is None:
        return {}
    if isinstance(value, str):
        try:
            return parse_options(value)
        except ValueError as exc:
            raise ValueError(f"{where}: {exc}") from None
    if not isinstance(value, Mapping):
        raise ValueError(f"{where}: {value!r} is not an option map; {_HOW_OPTIONS}")
    out: dict[int, OptionValue] = {}
    for key, v in value.items():
        if isinstance(key, bool) or not (isinstance(key, int) or isinstance(key, str) and _ID.match(key.strip())):
            raise ValueError(f"{where}: {key!r} is not a product_option_id (a number); {_HOW_OPTIONS}")
        if isinstance(v, bool) or v is None or v == "" or not isinstance(v, (int, str, list, tuple)):
            raise ValueError(f"{where}: option {key} has no usable value ({v!r}); {_HOW_OPTIONS}")
        if isinstance(v, (list, tuple)):
            if not v or not all(isinstance(x, int) and not isinstance(x, bool) or isinstance(x, str) and _ID.match(x)
                                for x in v):
                raise ValueError(f"{where}: checkbox option {key} takes value ids, e.g. {{{key}: [8, 9]}}")
            v = [int(x) for x in v]
        out[int(key)] = v
    return out


def _positive(value: Any, what: str, spec: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, str)) or not str(value).strip().isdigit():
        raise ValueError(f"cart line {spec!r}: {what} must be a whole number; {_HOW_LINE}")
    number = int(value)
    if number < 1:
        raise ValueError(f"cart line {spec!r}: {what} must be 1 or more, e.g. '40x1'" if what == "the quantity"
                         else f"cart line {spec!r}: {what} must be 1 or more; {_HOW_LINE}")
    return number


def _line(spec: Any) -> CartLine:
    if isinstance(spec, CartLine):
        if spec.quantity < 1:
            raise ValueError(f"cart line of product {spec.product_id}: the quantity must be 1 or more, e.g. '40x1'")
        return spec
    if isinstance(spec, bool):
        raise ValueError(f"cannot read a cart line from {spec!r}; {_HOW_LINE}")
    if isinstance(spec, int):
        return CartLine(product_id=_positive(spec, "the product_id", spec))
    if isinstance(spec, Mapping):
        unknown = set(spec) - {"product_id", "quantity", "options", "subscription_plan_id"}
        if unknown or "product_id" not in spec:
            raise ValueError(f"cart line {dict(spec)!r}: a line is {{product_id: 40, quantity: 1, options: "
                             f"{{226: 15}}}}" + (f"; unknown keys {sorted(map(str, unknown))}" if unknown else
                                                 "; product_id is missing"))
        fields: dict[str, Any] = {"product_id": _positive(spec["product_id"], "the product_id", dict(spec)),
                                  "quantity": _positive(spec.get("quantity", 1), "the quantity", dict(spec)),
                                  "options": _options(spec.get("options"), spec["product_id"])}
        if spec.get("subscription_plan_id") is not None:
            fields["subscription_plan_id"] = _positive(spec["subscription_plan_id"], "subscription_plan_id",
                                                       dict(spec))
        return CartLine(**fields)
    if isinstance(spec, tuple) and 1 <= len(spec) <= 2:
        return CartLine(product_id=_positive(spec[0], "the product_id", spec),
                        quantity=_positive(spec[1], "the quantity", spec) if len(spec) > 1 else 1)
    if isinstance(spec, str):
        m = _LINE.match(spec)
        if m:
            product = _positive(m.group(1), "the product_id", spec)
            quantity = _positive(m.group(2) or "1", "the quantity", spec)
            options = _options(m.group(3), product) if m.group(3) is not None else {}
            return CartLine(product_id=product, quantity=quantity, options=options)
        raise ValueError(f"cannot read the cart line {spec.strip()!r}: {_HOW_LINE}")
    raise ValueError(f"cannot read a cart line from {spec!r}: use CartLine(...), a dict, (product_id, quantity) "
                     f"or 'product_id x quantity'")


def parse_cart(spec: Any) -> tuple[CartLine, ...]:
    """A cart from a CartLine, a list of lines, a dict, ``(product_id, qty)``, ``"40x2, 28"`` or JSON text.

    A text line is ``product_id x quantity`` with options in brackets (``"30x1 [226=15]"``,
    see :func:`parse_options`). Raises ``ValueError`` saying how to write what it cannot read
    (a quantity below 1, ``40*1``, an option map that is not ``{product_option_id: value}``).
    """
    if isinstance(spec, str):
        text = spec.strip()
        if text.startswith("["):
            try:
                return parse_cart(json.loads(text))
            except json.JSONDecodeError as exc:
                raise ValueError(f"cannot read the cart {text!r} as JSON ({exc.msg}); {_HOW_LINE}") from None
        lines = tuple(_line(part) for part in re.split(r",(?![^\[]*\])", text) if part.strip())
        if not lines:
            raise ValueError(f"the cart {spec!r} is empty; {_HOW_LINE}")
        return lines
    if isinstance(spec, tuple) and spec and all(isinstance(x, CartLine) for x in spec):
        return tuple(_line(x) for x in spec)  # already a parsed cart (what this function returns)
    if isinstance(spec, (CartLine, Mapping, int, tuple)):
        return (_line(spec),)
    if spec is None or isinstance(spec, (float, bool)):
        raise ValueError(f"cannot read a cart from {spec!r}; {_HOW_LINE}")
    lines = tuple(_line(item) for item in spec)
    if not lines:
        raise ValueError("a cart needs at least one line")
    return lines


def _cart_label(lines: Sequence[CartLine]) -> str:
    return "+".join(f"{line.product_id}x{line.quantity}" for line in lines)


def parse_destination(spec: Any) -> Address:
    """An address from an Address, a dict of Address fields, or ``"GB-LDN"``/``"US/CA"``/``"DE"``."""
    if isinstance(spec, Address):
        return spec
    if isinstance(spec, Mapping):
        try:
            return Address(**spec)
        except TypeError as exc:  # keys that are not strings
            raise ValueError(f"cannot read the destination {dict(spec)!r}: {exc}") from None
        except PydanticValidationError as exc:
            raise ValueError(f"cannot read the destination {dict(spec)!r}: {_readable(exc)}; "
                             f"{_HOW_DESTINATION}") from None
    if isinstance(spec, str) and spec.strip():
        country, _, zone = _split_destination(spec)
        if not country:
            raise ValueError(f"cannot read the destination {spec!r}: {_HOW_DESTINATION}")
        return Address(country=country, zone=zone or None)
    raise ValueError(f"cannot read a destination from {spec!r}: {_HOW_DESTINATION} (or an Address)")


_HOW_DESTINATION = ("write 'COUNTRY-ZONE' (ISO country, store zone code), e.g. 'GB-LDN', 'US-CA' or 'DE', or a "
                    "mapping {country: DE, zone: BE, postcode: '10115'}")


def _readable(exc: PydanticValidationError) -> str:
    """A pydantic error as ``field: message; ...`` (no URLs, no input dump)."""
    parts = []
    for error in exc.errors():
        where = ".".join(str(x) for x in error.get("loc", ()))
        message = error.get("msg", "invalid").removeprefix("Value error, ")
        if error.get("type") == "extra_forbidden":
            message = "unknown field"
        parts.append(f"{where}: {message}" if where else message)
    return "; ".join(parts)


def parse_customer_groups(spec: Any) -> list[int | None]:
    """Customer group ids from a list, one id, or text ``"1,3"``/``"1 3"``; None: the customer's own."""
    if spec is None:
        return [None]
    items: list[Any]
    if isinstance(spec, str):
        items = [x for x in re.split(r"[\s,;]+", spec.strip()) if x]
    elif isinstance(spec, (int, str)) or isinstance(spec, bool):
        items = [spec]
    else:
        try:
            items = list(spec)
        except TypeError:
            items = [spec]
    groups = []
    for item in items:
        if isinstance(item, bool) or not (isinstance(item, int) or isinstance(item, str) and item.strip().isdigit()):
            raise ValueError(f"customer_groups: {item!r} is not a customer group id; write the ids, e.g. [1, 3] "
                             f"or 1,3 (OpenCart: Customers > Customer Groups)")
        groups.append(int(item))
    if not groups:
        raise ValueError("customer_groups is empty; write the ids, e.g. [1, 3], or leave it out for the customer's own")
    return groups


def _split_destination(text: str) -> tuple[str, str, str]:
    parts = re.split(r"[-/]", text.strip(), maxsplit=1)
    return parts[0].strip(), "", parts[1].strip() if len(parts) > 1 else ""


def _destination_label(a: Address) -> str:
    country = a.country.upper() if a.country else str(a.country_id)
    zone = a.zone or (str(a.zone_id) if a.zone_id else "")
    label = f"{country}-{zone}" if zone else country
    return f"{label} {a.postcode}" if a.postcode else label


def _labelled(items: Any, parse, label, kind: str) -> list[tuple[str, Any]]:
    """``[(label, parsed)]``; an item that cannot be read raises naming its label (or position)."""
    if items is None:
        raise ValueError(f"the study has no {kind}s; give them as {{label: {kind}}}")
    if isinstance(items, Mapping):
        named = [(str(k), v) for k, v in items.items()]
    else:
        if isinstance(items, (str, Address)):
            items = [items]
        elif not isinstance(items, Iterable):
            raise ValueError(f"cannot read the {kind}s from {items!r}; give them as {{label: {kind}}}")
        named = [(None, v) for v in items]
    out = []
    for i, (name, value) in enumerate(named):
        try:
            parsed = parse(value)
        except (ValueError, TypeError) as exc:
            where = f"{kind} {name!r}" if name is not None else f"{kind} #{i + 1}"
            raise StudyInputError(f"{where}: {exc}") from None
        out.append((name if name is not None else label(parsed), parsed))
    if not out:
        raise ValueError(f"the study has no {kind}s")
    return out


def _customer(spec: Any) -> Customer:
    if spec is None:
        return DEFAULT_CUSTOMER
    if isinstance(spec, Customer):
        return spec
    if not isinstance(spec, Mapping):
        raise StudyInputError(f"customer: {spec!r} is not a customer; write {{firstname: Ann, lastname: Lee, "
                              f"email: ann@example.com}}")
    try:
        return Customer(**spec)
    except PydanticValidationError as exc:
        raise StudyInputError(f"customer: {_readable(exc)}") from None


def _complete(address: Address, customer: Customer) -> Address:
    update = {k: v for k, v in _PLACEHOLDER.items() if not getattr(address, k)}
    if not address.firstname:
        update["firstname"] = customer.firstname
    if not address.lastname:
        update["lastname"] = customer.lastname
    return address.model_copy(update=update) if update else address


# --------------------------------------------------------------------------- the study


class Study:
    """A grid of quote scenarios against one store. See the module docstring for formats.

    ``carts``: ``{label: cart}`` or a list of carts (a cart: ``"40x2, 28"``, a CartLine, a
    dict, ``(product_id, quantity)`` or a list of those). ``destinations``: ``{label:
    destination}`` or a list (``"GB-LDN"``, a dict of Address fields, an Address).
    ``customer_groups``: group ids to price each cart/destination for (None: the
    customer's own). ``cache``: a :class:`~ocdata.cache.Cache` (None: the default cache).
    """

    def __init__(self, store: Any = None, carts: Any = None, destinations: Any = None,
                 customer_groups: Iterable[int] | None = None, *, name: str | None = None,
                 cache: Cache | None = None, customer: Customer | Mapping[str, Any] | None = None,
                 scenarios: Sequence[Scenario] | None = None, stores: Mapping[str, Any] | None = None) -> None:
        self.stores = _store_labels(store, stores)
        self.store = store
        self.customer = _customer(customer)
        if scenarios is None:
            if carts is None or destinations is None:
                raise ValueError("a Study needs carts and destinations (or scenarios=...)")
            cart_items = _labelled(carts, parse_cart, _cart_label, "cart")
            dest_items = _labelled(destinations, parse_destination, _destination_label, "destination")
            try:
                groups = parse_customer_groups(customer_groups)
            except ValueError as exc:
                raise StudyInputError(str(exc)) from None
            scenarios = [
                Scenario(0, cart_label, dest_label, lines, address, group)
                for cart_label, lines in cart_items
                for dest_label, address in dest_items
                for group in groups
            ]
            scenarios = [Scenario(i, s.cart, s.destination, s.lines, s.address, s.customer_group_id)
                         for i, s in enumerate(scenarios)]
        if not scenarios:
            raise ValueError("the study has no scenario")
        self.scenarios: list[Scenario] = list(scenarios)
        self._cache = cache
        self.name = name or f"study-{_digest(canonical_json(self._definition()))[:10]}"
        self.last_run: RunReport | None = None
        self.last_run_by_store: dict[str, RunReport] = {}  # across stores: each store's own report

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_frame(cls, df: pd.DataFrame, store: Any, *, name: str | None = None, cache: Cache | None = None,
                   customer: Customer | Mapping[str, Any] | None = None) -> "Study":
        """One scenario per row: ``lines`` (a cart, see :func:`parse_cart`) and ``country`` are
        required; ``cart``, ``destination`` (labels), ``zone``, ``postcode``, ``city``,
        ``address_1`` and ``customer_group_id`` are optional."""
        missing = {"lines", "country"} - set(df.columns)
        if missing:
            raise ValueError(f"Study.from_frame needs columns {sorted(missing)}; see its docstring")
        scenarios = []
        for i, row in enumerate(df.to_dict("records")):
            lines = parse_cart(row["lines"])
            fields = {k: row[k] for k in ("country", "zone", "postcode", "city", "address_1")
                      if k in row and _present(row[k])}
            address = Address(**{k: str(v) for k, v in fields.items()})
            group = row.get("customer_group_id")
            scenarios.append(Scenario(
                i, str(row["cart"]) if _present(row.get("cart")) else _cart_label(lines),
                str(row["destination"]) if _present(row.get("destination")) else _destination_label(address),
                lines, address, int(group) if _present(group) else None))
        return cls(store, name=name, cache=cache, customer=customer, scenarios=scenarios)

    @classmethod
    def from_yaml(cls, path: str | Path, store: Any = None, *, cache: Cache | None = None) -> "Study":
        """A study from a YAML file (format in the module docstring)."""
        import yaml

        spec = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        if not isinstance(spec, Mapping):
            raise StudyInputError(f"{path}: a study file is a mapping with carts: and destinations: (see "
                                  f"examples/study.yml), not a {type(spec).__name__}")
        known = ("name", "store", "customer", "customer_groups", "carts", "destinations")
        unknown = set(spec) - set(known)
        if unknown:
            raise StudyInputError(f"{path}: unknown keys {sorted(map(str, unknown))}; a study file has "
                                  f"{', '.join(known)}")
        missing = [k for k in ("carts", "destinations") if not spec.get(k)]
        if missing:
            raise StudyInputError(f"{path}: no {' and no '.join(missing)}; see examples/study.yml")
        try:
            plan = cls(_NOT_CONNECTED, spec["carts"], spec["destinations"], spec.get("customer_groups"),
                       name=None if spec.get("name") is None else str(spec["name"]), cache=cache,
                       customer=spec.get("customer"))
        except StudyInputError as exc:
            raise StudyInputError(f"{path}: {exc}") from None
        if store is None:  # the file is read first: its mistakes are told before any request
            if not spec.get("store"):
                raise ValueError(f"{path} has no 'store:' section; pass store=ocdata.connect(...)")
            from ocdata.client import connect

            store = connect(**spec["store"])
        plan.store = store
        return plan

    # ------------------------------------------------------------------ the grid
    @property
    def cache(self) -> Cache:
        """The study's cache; without one given, the default cache (:func:`~ocdata.cache.default_cache`,
        then kept open). Runs and reads of a study without a cache open the default cache only while
        they need it, so a notebook does not lock it for other processes between them."""
        return self._cache if self._cache is not None else default_cache()

    def _using(self, write: bool):
        if self._cache is not None:
            return contextlib.nullcontext(self._cache)
        return using_default() if write else reading_default()

    def draft(self, scenario: Scenario) -> OrderDraft:
        """The order draft quoted for a scenario."""
        customer = self.customer
        if scenario.customer_group_id is not None:
            customer = customer.model_copy(update={"customer_group_id": int(scenario.customer_group_id)})
        address = _complete(scenario.address, customer)
        return OrderDraft(customer=customer, lines=scenario.lines, shipping_address=address,
                          payment_address=address)

    def grid(self) -> pd.DataFrame:
        """The scenarios as a frame (no store call)."""
        return pd.DataFrame({
            "scenario_id": [s.scenario_id for s in self.scenarios],
            "cart": [s.cart for s in self.scenarios],
            "destination": [s.destination for s in self.scenarios],
            "country": [s.country for s in self.scenarios],
            "zone": [s.zone for s in self.scenarios],
            "customer_group_id": [self._group(s) for s in self.scenarios],
        })

    def _group(self, s: Scenario) -> int:
        return int(s.customer_group_id if s.customer_group_id is not None else self.customer.customer_group_id)

    def _definition(self) -> list[dict[str, Any]]:
        return [{"cart": s.cart, "destination": s.destination, "lines": [line.model_dump(mode="json")
                                                                        for line in s.lines],
                 "address": s.address.model_dump(mode="json", exclude_defaults=True),
                 "customer_group_id": s.customer_group_id} for s in self.scenarios]

    def __repr__(self) -> str:
        where = f" on each of {len(self.stores)} stores {list(self.stores)}" if self.stores is not None else ""
        return f"<Study {self.name!r}: {len(self.scenarios)} scenarios{where}>"

    # ------------------------------------------------------------------ running
    def run(self, concurrency: int = 8, progress: bool = True, refresh: bool = False,
            max_age: Any = None, retry_errors: bool = False, executor: Executor | None = None) -> pd.DataFrame:
        """Quote every scenario not already cached and return the study's frame (:data:`STUDY_COLUMNS`).

        At most ``concurrency`` quote calls are in flight. ``progress`` shows a tqdm bar
        (a widget in Jupyter). A scenario the store refused is cached as its answer and
        counted as ``refused`` (``retry_errors=True`` asks the store again); one that
        failed (network, 5xx, unreadable answer) is fetched again by every run until it
        is answered. The store refusing the caller (API key, IP, signature, clock:
        :data:`~ocdata.study_schema.STOP_ERRORS`) stops the run with that error and
        caches nothing for it. Interrupting (Ctrl-C) lets the calls in flight finish,
        commits every finished scenario, then re-raises; run again to resume.
        ``executor`` (any :class:`concurrent.futures.Executor`, e.g. Dask's
        ``client.get_executor()``) quotes on its workers instead of threads here; the
        answers come back to this process, which alone writes the cache (see
        :mod:`ocdata.distributed`).
        :attr:`last_run` counts what happened (:class:`RunReport`).
        """
        if self.stores is not None:
            return self._run_stores(concurrency=concurrency, progress=progress, refresh=refresh, max_age=max_age,
                                    retry_errors=retry_errors, executor=executor)
        with self._using(write=True) as cache:
            return self._run(cache, concurrency, progress, refresh, max_age, retry_errors, executor)

    def _run(self, cache: Cache, concurrency: int, progress: bool, refresh: bool, max_age: Any,
             retry_errors: bool, executor: Executor | None = None) -> pd.DataFrame:
        store = self.store
        identity = store_identity(store)
        skey = store_key(identity)
        drafts = [self.draft(s) for s in self.scenarios]
        draft_json = [canonical_json(d) for d in drafts]
        keys = [scenario_key(identity, j) for j in draft_json]
        grid = self.grid()
        grid.insert(1, "scenario_key", keys)
        cache.register_store(store)
        cache.record_study(self.name, store, grid, self._definition())
        cache.flush()

        cached = set() if refresh else cache.fresh_keys(keys, max_age, retry_errors=retry_errors)
        todo: dict[str, int] = {}  # key -> first scenario with it (two identical drafts are fetched once)
        for i, k in enumerate(keys):
            if k not in cached and k not in todo:
                todo[k] = i
        if todo and cache.read_only:  # fail before fetching anything that could not be kept
            raise CacheReadOnlyError(f"{len(todo)} of {len(keys)} scenarios are not in the read-only cache "
                                     f"{cache.path}: open it with Cache(path) to fetch them")
        report = RunReport(scenarios=len(keys), from_cache=sum(1 for k in keys if k in cached))
        self.last_run = report
        started = time.monotonic()
        caught: list[warnings.WarningMessage] = []
        try:
            with _recording_warnings() as caught:
                # the store warns from worker threads; collected here and shown once below
                if executor is None:
                    self._fetch(store, cache, skey, todo, drafts, draft_json, keys, report, concurrency, progress)
                else:
                    from ocdata.distributed import fetch_on

                    fetch_on(executor, self, store, cache, skey, todo, drafts, draft_json, keys, report,
                             concurrency, progress)
        finally:
            report.seconds = time.monotonic() - started
            cache.flush()
            self._count(report, cached, cache)
            report.warnings = self._warnings(cache, keys, caught)
            for message in report.warnings:
                warnings.warn(message, OcdataWarning, stacklevel=3)  # the caller of run()
        return frames.with_currency(cache.study_frame(self.name), store)

    def _count(self, report: RunReport, cached: set[str], cache: Cache) -> None:
        outcomes = cache.study_outcomes(self.name)
        status = outcomes["status"].astype(str)
        report.ok = int((status == STATUS_OK).sum())
        report.refused = int((status == STATUS_REFUSED).sum())
        report.failed = int((status == STATUS_FAILED).sum())
        report.pending = int((status == STATUS_PENDING).sum())
        report.refused_from_cache = int(((status == STATUS_REFUSED) & outcomes["scenario_key"].isin(cached)).sum())
        report.errors = error_groups(outcomes)

    def _fetch(self, store: Any, cache: Cache, skey: str, todo: dict[str, int], drafts: list[OrderDraft],
               draft_json: list[str], keys: list[str], report: RunReport, concurrency: int, progress: bool) -> None:
        from tqdm.auto import tqdm

        # ``concurrency`` threads each take the next scenario until none is left: no future, work item
        # or wake-up of this thread per scenario (they cost the study's threads the interpreter lock)
        lock = threading.Lock()
        pending = iter(todo.values())
        halt = threading.Event()  # take no further scenario: interrupted, the caller refused, a worker crashed
        stop: list[BaseException] = []  # the store refusing the caller (see study_schema.STOP_ERRORS)
        crashed: list[BaseException] = []  # anything else a worker raised outside store.quote

        def work() -> None:
            try:
                while not halt.is_set():
                    with lock:
                        i = next(pending, None)
                    if i is None:
                        return
                    t0 = time.perf_counter()
                    quote = error = None
                    try:
                        quote = store.quote(drafts[i])
                    except Exception as exc:  # noqa: BLE001 - a failing scenario is a row, never the end of the study
                        error = exc
                    if error is not None and classify(error) == "stop":
                        with lock:
                            stop.append(error)
                        halt.set()
                        return
                    elapsed = (time.perf_counter() - t0) * 1000
                    cache._put(cache._scenario_record(keys[i], skey, draft_json[i], quote, error, elapsed))
                    with lock:
                        report.fetched += 1
            except BaseException as exc:  # noqa: BLE001 - raised by the run, in the caller's thread
                with lock:
                    crashed.append(exc)
                halt.set()

        threads = [threading.Thread(target=work, name=f"ocdata-study-{n}", daemon=True)
                   for n in range(max(1, min(int(concurrency), len(todo))))]
        bar = tqdm(total=len(keys), initial=report.from_cache, disable=not progress, desc=self.name,
                   unit="scenario", leave=True)
        shown = 0
        try:
            for thread in threads:
                thread.start()
            for thread in threads:
                while thread.is_alive():
                    thread.join(0.1)  # wakes to move the bar (and lets Ctrl-C in)
                    if report.fetched > shown:
                        bar.update(report.fetched - shown)
                        shown = report.fetched
        except BaseException:
            report.interrupted = True
            raise
        finally:
            halt.set()
            for thread in threads:
                thread.join()  # calls in flight finish and hand over their result
            if report.fetched > shown:
                bar.update(report.fetched - shown)
            bar.close()
        if crashed:
            report.interrupted = True
            raise crashed[0]
        if stop:
            report.interrupted = True
            error = stop[0]
            note = ("the study stopped: the store refuses this client, not a scenario, so nothing was cached for "
                    "it; fix this and run the study again (finished scenarios are kept)")
            if hasattr(error, "add_note"):
                error.add_note(note)
            raise error

    @staticmethod
    def _warnings(cache: Cache, keys: list[str], caught: list) -> list[str]:
        messages = [str(w.message) for w in caught if issubclass(w.category, OcdataWarning)]
        cached = cache.sql(
            "SELECT DISTINCT warnings FROM scenarios WHERE warnings IS NOT NULL AND scenario_key IN "
            "(SELECT unnest(?::VARCHAR[]))", [list(dict.fromkeys(keys))])
        for text in cached["warnings"]:
            messages.extend(json.loads(text))
        return list(dict.fromkeys(messages))

    # ------------------------------------------------------------------ results
    def results(self) -> pd.DataFrame:
        """The study's frame from the cache, without calling the store (unfetched: ``pending``)
        beyond learning its default currency once."""
        if self.stores is not None:
            return self._stacked(Study.results)
        with self._using(write=False) as cache:
            return frames.with_currency(cache.study_frame(self.name), self.store)

    def outcomes(self) -> pd.DataFrame:
        """One row per scenario: ``status`` (ok, refused, failed, pending), ``error_type`` and ``error``
        (:data:`OUTCOME_COLUMNS`), from the cache."""
        if self.stores is not None:
            return self._stacked(Study.outcomes)
        with self._using(write=False) as cache:
            return cache.study_outcomes(self.name)

    def totals(self) -> pd.DataFrame:
        """Every total line of every scenario's quotes, long form (``option_index`` -1: the cart alone)."""
        if self.stores is not None:
            return self._stacked(Study.totals)
        with self._using(write=False) as cache:
            return cache.study_totals(self.name)

    def taxes(self) -> pd.DataFrame:
        """One row per scenario x shipping quote, one column per tax title (summed per title)."""
        t = self.totals()
        t = t[(t["code"] == "tax") & (t["option_index"] >= 0)]
        index = (["store"] if self.stores is not None else []) + ["scenario_id", "quote_code"]
        if t.empty:
            return pd.DataFrame(columns=index)
        wide = t.pivot_table(index=index, columns="title", values="value", aggfunc="sum", observed=True)
        wide.columns = [str(c) for c in wide.columns]
        return wide.reset_index()


    # ------------------------------------------------------------------ across stores
    def per_store(self) -> dict[str, "Study"]:
        """Across stores: ``{label: the study of that store}`` (named ``"<name> @ <label>"`` in the
        cache, sharing this study's grid and cache). A one-store study: ``{}``."""
        if self.stores is None:
            return {}
        return {label: Study(store, name=f"{self.name} @ {label}", cache=self._cache, customer=self.customer,
                             scenarios=self.scenarios)
                for label, store in self.stores.items()}

    def _run_stores(self, **options: Any) -> pd.DataFrame:
        self.last_run_by_store = {}
        total = RunReport()
        self.last_run = total
        results = {}
        for label, study in self.per_store().items():
            caught: list[warnings.WarningMessage] = []
            try:
                with warnings.catch_warnings(record=True) as caught:
                    warnings.simplefilter("always")
                    results[label] = study.run(**options)
            finally:
                report = study.last_run
                if report is not None:
                    report.warnings = [f"{label}: {w}" for w in report.warnings]
                    report.errors = [ErrorGroup(g.status, g.error_type, g.error, g.count,
                                                tuple(f"{label}: {e}" for e in g.examples)) for g in report.errors]
                    self.last_run_by_store[label] = report
                    _add_report(total, report)
                for w in caught:  # each store's warnings, said once and named by its label
                    prefix = f"{label}: " if issubclass(w.category, OcdataWarning) else ""
                    warnings.warn(f"{prefix}{w.message}", w.category, stacklevel=3)
        return self._stack(results)

    def _stacked(self, part) -> pd.DataFrame:
        """``part(study)`` of each store's study, stacked (see :meth:`_stack`)."""
        return self._stack({label: part(study) for label, study in self.per_store().items()})

    def _stack(self, parts: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
        """Each store's frame, stacked: ``store`` is the label, ``store_url`` the store's URL."""
        pieces = []
        for label, df in parts.items():
            df = df.copy()
            url = df.pop("store").astype(object) if "store" in df.columns else None
            df.insert(0, "store", label)
            if url is not None:
                df.insert(1, "store_url", pd.Series(url, dtype="str"))
            if "study" in df.columns:
                df["study"] = self.name
            pieces.append(df)
        categorical = {c for df in pieces for c in df.columns if isinstance(df[c].dtype, pd.CategoricalDtype)}
        out = pd.concat(pieces, ignore_index=True)
        if "study" in out.columns:  # the study first, as in one store's frame
            out = out[["study"] + [c for c in out.columns if c != "study"]]
        for c in categorical - {"store"}:
            if not isinstance(out[c].dtype, pd.CategoricalDtype):
                out[c] = out[c].astype("category")
        out["store"] = pd.Categorical(out["store"], categories=list(self.stores or {}))
        if "study" in out.columns:
            out["study"] = out["study"].astype("category")
        return out


def _store_labels(store: Any, stores: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if stores is None:
        if store is None:
            raise ValueError("a Study needs a store (or stores={label: store, ...} to compare stores)")
        return None
    if store is not None:
        raise ValueError("give either store or stores={label: store, ...}, not both")
    if not isinstance(stores, Mapping):
        raise TypeError("stores= takes {label: store}, e.g. {'3.0 live': s1, '4.1 staging': s2}: "
                        "the labels name the stores in the results")
    if not stores:
        raise ValueError("stores= is empty: give {label: store, ...}")
    for label, value in stores.items():
        if not isinstance(label, str) or not label.strip():
            raise ValueError(f"store label {label!r}: use a non-empty text label such as '4.1 staging'")
        if value is None:
            raise ValueError(f"store {label!r} is None: give a store from ocdata.connect(...)")
    return dict(stores)


def _add_report(total: RunReport, part: RunReport) -> None:
    """One store's report added into the study's: counts and seconds add up, flags or, lists join."""
    for f in fields(RunReport):
        mine, theirs = getattr(total, f.name), getattr(part, f.name)
        if isinstance(mine, bool):
            setattr(total, f.name, mine or theirs)
        elif isinstance(mine, (int, float)):
            setattr(total, f.name, mine + theirs)
        elif isinstance(mine, list):
            mine.extend(theirs)


_CAPTURE_LOCK = threading.Lock()
_CAPTURE: dict[str, Any] = {"depth": 0, "manager": None, "log": []}


@contextmanager
def _recording_warnings() -> Iterator[list]:
    """``warnings.catch_warnings(record=True)`` that runs in several threads at once can share
    (:class:`~ocdata.multistore.MultiStoreStudy`): ``catch_warnings`` swaps process-wide state,
    and threads restoring it out of order would leave a recorder installed for good. The
    first run in installs it, the last one out removes it; each gets what was raised meanwhile."""
    with _CAPTURE_LOCK:
        if _CAPTURE["depth"] == 0:
            manager = warnings.catch_warnings(record=True)
            _CAPTURE["log"] = manager.__enter__()
            _CAPTURE["manager"] = manager
            warnings.simplefilter("always")
        _CAPTURE["depth"] += 1
        log = _CAPTURE["log"]
        start = len(log)
    caught: list = []
    try:
        yield caught
    finally:
        with _CAPTURE_LOCK:
            caught.extend(log[start:])
            _CAPTURE["depth"] -= 1
            if _CAPTURE["depth"] == 0:
                _CAPTURE["manager"].__exit__(None, None, None)
                _CAPTURE["manager"], _CAPTURE["log"] = None, []


def _present(value: Any) -> bool:
    if value is None:
        return False
    try:
        return not pd.isna(value)
    except (TypeError, ValueError):
        return True
