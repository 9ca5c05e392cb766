"""Quote studies: price a grid of carts x destinations x customer groups, cached and resumable.

>>> study = Study(store, carts={"phone": "40x1", "two phones": "40x2"},
...               destinations={"London": "GB-LDN", "Berlin": {"country": "DE", "zone": "BER"}},
...               customer_groups=[1, 2], name="eu-shipping")                     # doctest: +SKIP
>>> df = study.run(concurrency=8)                                                  # doctest: +SKIP
>>> study.last_run                       # RunReport(from_cache=0, fetched=8, failed=0, ...)  # doctest: +SKIP

**The returned frame** (:data:`STUDY_COLUMNS`) has one row per scenario x shipping quote:
the scenario (``scenario_id``, ``cart``, ``destination``, ``country``, ``zone``,
``customer_group_id``), the shipping quote (``method_code``, ``quote_code``, ``name``),
``cost`` (before tax, OpenCart's cost), ``tax`` (all tax lines with that quote chosen),
``cart_tax`` (tax of the cart alone) and ``shipping_tax`` (what the quote adds: tax -
cart_tax), ``sub_total``, ``total``, the ``payment_methods`` offered, and
``status``/``error``. Tax stays one number per row so frames of stores with different
tax titles line up; every tax line with its title is in :meth:`Study.totals` (long) and
:meth:`Study.taxes` (one column per title). A scenario the store refused or that failed
on the network is a row with ``status="error"`` and the message: it never aborts the study.
``status`` is ``ok``, ``error``, ``unavailable`` (no quote offered), ``no_shipping`` (the
cart ships nothing) or ``pending`` (not fetched yet, e.g. after an interruption).

**Caching and resume**: every finished scenario is committed to the cache (see
:mod:`ocdata.cache`) within ``flush_interval`` seconds by the cache's writer thread, so
re-running an interrupted study fetches only what is missing. ``refresh=True`` fetches
everything again; ``max_age`` ("12h", seconds, timedelta) re-fetches older answers.

**YAML** (:meth:`Study.from_yaml`)::

    name: eu-shipping                  # the study's id in the cache (default: derived from the grid)
    store: {url: "http://shop/", dialect: spec}   # optional: ocdata.connect(**store) when no store is given
    customer: {firstname: Ann, lastname: Lee, email: ann@example.com}   # optional
    customer_groups: [1, 2]            # optional; omitted = the customer's own group
    carts:                             # label: cart
      phone: "40x1"                    #   "product_id x quantity", comma-separated
      phone and camera:
        - {product_id: 40, quantity: 1}
        - {product_id: 30, quantity: 1, options: {226: 15}}
    destinations:                      # label: destination
      London: GB-LDN                   #   "COUNTRY-ZONE" (ISO country, store zone code) or "COUNTRY"
      Berlin: {country: DE, zone: BER, postcode: "10115", city: Berlin}

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

import json
import re
import threading
import time
import warnings
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import pandas as pd

from ocdata import frames
from ocdata.cache import Cache, _digest, canonical_json, default_cache, scenario_key, store_identity, store_key
from ocdata.client.errors import OcdataWarning
from ocdata.client.models import Address, CartLine, Customer, OrderDraft

__all__ = ["Study", "Scenario", "RunReport", "STUDY_COLUMNS", "parse_cart", "parse_destination"]

STUDY_COLUMNS: dict[str, tuple[str, str]] = {
    "study": ("category", "study name (its id in the cache)"),
    "store": ("category", "store URL"),
    "scenario_id": ("int64", "position of the scenario in the grid"),
    "cart": ("category", "cart label"),
    "destination": ("category", "destination label"),
    "country": ("category", "ISO country code (or store country id) of the destination"),
    "zone": ("category", "zone code (or store zone id) of the destination; empty: none"),
    "customer_group_id": ("int64", "customer group priced (0: the store's default)"),
    **{k: v for k, v in frames.QUOTE_COLUMNS.items() if k not in ("quote", "dialect", "pricing", "text")},
    "status": ("category", "ok, error, unavailable, no_shipping or pending"),
    "dialect": ("category", "wire dialect"),
    "pricing": ("category", "api, storefront or session"),
    "fetched_at": ("datetime64[us]", "when the store answered (UTC)"),
    "scenario_key": ("str", "cache key: hash of store identity and draft"),
    **frames.CURRENCY_COLUMNS,  # which currency cost and the totals are in (see ocdata.frames)
}
"""Columns of :meth:`Study.run`'s frame: ``{column: (dtype, meaning)}``."""

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
    """What the last :meth:`Study.run` did."""

    scenarios: int = 0
    from_cache: int = 0
    fetched: int = 0
    failed: int = 0
    seconds: float = 0.0
    interrupted: bool = False
    warnings: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- parsing the grid

_LINE = re.compile(r"^\s*(\d+)\s*(?:[x*:]\s*(\d+))?\s*$")


def _line(spec: Any) -> CartLine:
    if isinstance(spec, CartLine):
        return spec
    if isinstance(spec, bool):
        raise TypeError("a cart line cannot be a bool")
    if isinstance(spec, int):
        return CartLine(product_id=spec)
    if isinstance(spec, Mapping):
        return CartLine(**spec)
    if isinstance(spec, tuple) and 1 <= len(spec) <= 2:
        return CartLine(product_id=int(spec[0]), quantity=int(spec[1]) if len(spec) > 1 else 1)
    if isinstance(spec, str):
        m = _LINE.match(spec)
        if m:
            return CartLine(product_id=int(m.group(1)), quantity=int(m.group(2) or 1))
    raise ValueError(f"cannot read a cart line from {spec!r}: use CartLine(...), a dict, (product_id, quantity) "
                     f"or 'product_id x quantity'")


def parse_cart(spec: Any) -> tuple[CartLine, ...]:
    """A cart from a CartLine, a list of lines, a dict, ``(product_id, qty)``, ``"40x2, 28"`` or JSON text."""
    if isinstance(spec, str):
        text = spec.strip()
        if text.startswith("["):
            return parse_cart(json.loads(text))
        return tuple(_line(part) for part in text.split(",") if part.strip())
    if isinstance(spec, tuple) and spec and all(isinstance(x, CartLine) for x in spec):
        return spec  # already a parsed cart (what this function returns)
    if isinstance(spec, (CartLine, Mapping, int, tuple)):
        return (_line(spec),)
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
        return Address(**spec)
    if isinstance(spec, str):
        country, _, zone = _split_destination(spec)
        return Address(country=country, zone=zone or None)
    raise ValueError(f"cannot read a destination from {spec!r}: use Address(...), a dict or 'COUNTRY-ZONE'")


def _split_destination(text: str) -> tuple[str, str, str]:
    parts = re.split(r"[-/]", text.strip(), maxsplit=1)
    return parts[0].strip(), "", parts[1].strip() if len(parts) > 1 else ""


def _destination_label(a: Address) -> str:
    country = a.country.upper() if a.country else str(a.country_id)
    zone = a.zone or (str(a.zone_id) if a.zone_id else "")
    label = f"{country}-{zone}" if zone else country
    return f"{label} {a.postcode}" if a.postcode else label


def _labelled(items: Any, parse, label) -> list[tuple[str, Any]]:
    if isinstance(items, Mapping):
        return [(str(k), parse(v)) for k, v in items.items()]
    if isinstance(items, (str, Address)):
        items = [items]
    parsed = [parse(v) for v in items]
    return [(label(v), v) for v in parsed]


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
        self.customer = Customer(**customer) if isinstance(customer, Mapping) else (customer or DEFAULT_CUSTOMER)
        if scenarios is None:
            if carts is None or destinations is None:
                raise ValueError("a Study needs carts and destinations (or scenarios=...)")
            cart_items = _labelled(carts, parse_cart, _cart_label)
            dest_items = _labelled(destinations, parse_destination, _destination_label)
            groups = list(customer_groups) if customer_groups is not None else [None]
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
        unknown = set(spec) - {"name", "store", "customer", "customer_groups", "carts", "destinations"}
        if unknown:
            raise ValueError(f"{path}: unknown keys {sorted(unknown)}")
        if store is None:
            if not spec.get("store"):
                raise ValueError(f"{path} has no 'store:' section; pass store=ocdata.connect(...)")
            from ocdata.client import connect

            store = connect(**spec["store"])
        return cls(store, spec.get("carts"), spec.get("destinations"), spec.get("customer_groups"),
                   name=spec.get("name"), cache=cache, customer=spec.get("customer"))

    # ------------------------------------------------------------------ the grid
    @property
    def cache(self) -> Cache:
        if self._cache is None:
            self._cache = default_cache()
        return self._cache

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
            max_age: Any = None) -> pd.DataFrame:
        """Quote every scenario not already cached and return the study's frame (:data:`STUDY_COLUMNS`).

        At most ``concurrency`` quote calls are in flight. ``progress`` shows a tqdm bar
        (a widget in Jupyter). Interrupting (Ctrl-C) lets the calls in flight finish,
        commits every finished scenario, then re-raises; run again to resume.
        """
        if self.stores is not None:
            return self._run_stores(concurrency=concurrency, progress=progress, refresh=refresh, max_age=max_age)
        store, cache = self.store, self.cache
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

        cached = set() if refresh else cache.fresh_keys(keys, max_age)
        todo: dict[str, int] = {}  # key -> first scenario with it (two identical drafts are fetched once)
        for i, k in enumerate(keys):
            if k not in cached and k not in todo:
                todo[k] = i
        report = RunReport(scenarios=len(keys), from_cache=sum(1 for k in keys if k in cached))
        self.last_run = report
        started = time.monotonic()
        caught: list[warnings.WarningMessage] = []
        try:
            with warnings.catch_warnings(record=True) as caught:
                # the store warns from worker threads; collected here and shown once below
                warnings.simplefilter("always")
                self._fetch(store, cache, skey, todo, drafts, draft_json, keys, report, concurrency, progress)
        finally:
            report.seconds = time.monotonic() - started
            cache.flush()
            report.warnings = self._warnings(cache, keys, caught)
            for message in report.warnings:
                warnings.warn(message, OcdataWarning, stacklevel=2)
        return self.results()

    def _fetch(self, store: Any, cache: Cache, skey: str, todo: dict[str, int], drafts: list[OrderDraft],
               draft_json: list[str], keys: list[str], report: RunReport, concurrency: int, progress: bool) -> None:
        from tqdm.auto import tqdm

        lock = threading.Lock()

        def one(i: int) -> None:
            t0 = time.perf_counter()
            quote = error = None
            try:
                quote = store.quote(drafts[i])
            except Exception as exc:  # noqa: BLE001 - a failing scenario is a row, never the end of the study
                error = exc
            elapsed = (time.perf_counter() - t0) * 1000
            cache._put(cache._scenario_record(keys[i], skey, draft_json[i], quote, error, elapsed))
            with lock:
                report.fetched += 1
                report.failed += error is not None

        pending = iter(todo.values())
        in_flight: set[Future] = set()
        bar = tqdm(total=len(keys), initial=report.from_cache, disable=not progress, desc=self.name,
                   unit="scenario", leave=True)
        pool = ThreadPoolExecutor(max_workers=max(1, int(concurrency)), thread_name_prefix="ocdata-study")
        try:
            while True:
                while len(in_flight) < 2 * max(1, concurrency):
                    i = next(pending, None)
                    if i is None:
                        break
                    in_flight.add(pool.submit(one, i))
                if not in_flight:
                    break
                done, in_flight = wait(in_flight, return_when=FIRST_COMPLETED)
                for future in done:
                    future.result()  # re-raises KeyboardInterrupt/SystemExit from a worker
                    bar.update(1)
        except BaseException:
            report.interrupted = True
            for future in in_flight:
                future.cancel()
            raise
        finally:
            pool.shutdown(wait=True, cancel_futures=True)  # calls in flight finish and hand over their result
            bar.close()

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
        return frames.with_currency(self.cache.study_frame(self.name), self.store)

    def totals(self) -> pd.DataFrame:
        """Every total line of every scenario's quotes, long form (``option_index`` -1: the cart alone)."""
        if self.stores is not None:
            return self._stacked(Study.totals)
        return self.cache.study_totals(self.name)

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
        cache = self.cache
        return {label: Study(store, name=f"{self.name} @ {label}", cache=cache, customer=self.customer,
                             scenarios=self.scenarios)
                for label, store in self.stores.items()}

    def _run_stores(self, **options: Any) -> pd.DataFrame:
        self.last_run_by_store = {}
        total = RunReport()
        self.last_run = total
        for label, study in self.per_store().items():
            caught: list[warnings.WarningMessage] = []
            try:
                with warnings.catch_warnings(record=True) as caught:
                    warnings.simplefilter("always")
                    study.run(**options)
            finally:
                report = study.last_run
                if report is not None:
                    report.warnings = [f"{label}: {w}" for w in report.warnings]
                    self.last_run_by_store[label] = report
                    _add_report(total, report)
                for w in caught:  # each store's warnings, said once and named by its label
                    prefix = f"{label}: " if issubclass(w.category, OcdataWarning) else ""
                    warnings.warn(f"{prefix}{w.message}", w.category, stacklevel=3)
        return self.results()

    def _stacked(self, part) -> pd.DataFrame:
        """``part(study)`` of each store's study, stacked: ``store`` is the label, ``store_url`` the URL."""
        pieces = []
        for label, study in self.per_store().items():
            df = part(study)
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


def _present(value: Any) -> bool:
    if value is None:
        return False
    try:
        return not pd.isna(value)
    except (TypeError, ValueError):
        return True
