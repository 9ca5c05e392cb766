"""What the order builder knows of a store's products: names, options and their values.

OpenCart's API has no call that lists products or their options, so a :class:`Catalogue`
comes from one of two places:

* a **store file** (the sandbox's YAML format, ``extends: rich`` and all):
  ``Catalogue.from_store_file("rich")`` knows every product, its options' types and values;
* the **store's own answers**: the builder prices a product alone when it is added
  (:meth:`Catalogue.learn`): an unknown id is refused there, a missing required option is
  named by the store ("Radio required!"), and the options of a priced line come back with
  their names and types. What was learnt this way is marked ``complete=False``: the store
  named the options but not the values it would accept.

:meth:`ProductInfo.check` refuses malformed options before any request: unknown option
ids, a value that is not one of a select/radio option's values, text for a checkbox,
dates and times not in OpenCart's formats, missing required options.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Union

__all__ = ["Catalogue", "ProductInfo", "OptionInfo", "OptionChoice", "CHOICE_TYPES", "TEXT_TYPES"]

OptionValue = Union[int, str, list[int]]

CHOICE_TYPES = ("select", "radio")
"""One value id among the option's values (a dropdown)."""
TEXT_TYPES = ("text", "textarea", "date", "time", "datetime", "file")
"""Free text (dates and times in OpenCart's formats; a file option takes an upload code)."""

_FORMATS = {
    "date": (re.compile(r"^\d{4}-\d{2}-\d{2}$"), "a date like 2026-12-03"),
    "time": (re.compile(r"^\d{1,2}:\d{2}(:\d{2})?$"), "a time like 14:30"),
    "datetime": (re.compile(r"^\d{4}-\d{2}-\d{2}[ T]\d{1,2}:\d{2}(:\d{2})?$"), "a date and time like 2026-12-03 14:30"),
}
_REQUIRED = re.compile(r"^(?:product_\d+_)?option_(\d+)$")


@dataclass(frozen=True)
class OptionChoice:
    """One value of a select, radio or checkbox option."""

    value_id: int
    name: str
    price: float = 0.0
    price_prefix: str = "+"

    @property
    def label(self) -> str:
        """``"Red"``, or ``"Large (+15.00)"`` when the value changes the price."""
        if not self.price:
            return self.name
        return f"{self.name} ({self.price_prefix}{self.price:.2f})"


@dataclass(frozen=True)
class OptionInfo:
    """A product option: ``type`` is OpenCart's (select, radio, checkbox, text, textarea, date,
    time, datetime, file; ``""`` when the store named the option without saying)."""

    product_option_id: int
    name: str
    type: str = ""
    required: bool = False
    values: tuple[OptionChoice, ...] = ()
    default: str = ""

    @property
    def kind(self) -> str:
        """How a form asks for it: ``choice`` (dropdown), ``multi`` (checkboxes) or ``text``."""
        if self.type in CHOICE_TYPES:
            return "choice"
        if self.type == "checkbox":
            return "multi"
        return "text"

    @property
    def label(self) -> str:
        return f"{self.name}{' *' if self.required else ''}"

    def problem(self, value: OptionValue | None) -> str | None:
        """Why ``value`` is not acceptable for this option (None when it is)."""
        where = f"option {self.product_option_id} ({self.name})"
        empty = value is None or value == "" or value == []
        if empty:
            return f"{where} is required" if self.required else None
        ids = {v.value_id: v for v in self.values}
        if self.kind == "choice":
            if isinstance(value, list) or not _is_id(value):
                return f"{where} takes one value id: {_listing(self.values)}"
            if self.values and int(value) not in ids:
                return f"{where} has no value {value}: {_listing(self.values)}"
        elif self.kind == "multi":
            chosen = value if isinstance(value, list) else [value]
            if not all(_is_id(v) for v in chosen):
                return f"{where} takes value ids, e.g. {self.product_option_id}=[{self.values[0].value_id if self.values else 8}]"
            unknown = [v for v in chosen if self.values and int(v) not in ids]
            if unknown:
                return f"{where} has no value {', '.join(str(v) for v in unknown)}: {_listing(self.values)}"
        else:
            if isinstance(value, list):
                return f"{where} takes text, not a list of values"
            pattern = _FORMATS.get(self.type)
            if pattern and not pattern[0].match(str(value)):
                return f"{where} needs {pattern[1]}, not {value!r}"
        return None


@dataclass(frozen=True)
class ProductInfo:
    """A product: its id, name and options (``complete``: every option and value is known)."""

    product_id: int
    name: str
    options: tuple[OptionInfo, ...] = ()
    complete: bool = True

    @property
    def label(self) -> str:
        return f"{self.name} (#{self.product_id})"

    def option(self, product_option_id: int) -> OptionInfo | None:
        return next((o for o in self.options if o.product_option_id == product_option_id), None)

    def check(self, options: Mapping[int, OptionValue]) -> list[str]:
        """Every reason ``options`` would be refused for this product, in option order."""
        problems = []
        for key in options:
            if self.option(int(key)) is None and self.complete:
                known = ", ".join(f"{o.product_option_id} ({o.name})" for o in self.options) or "none"
                problems.append(f"{self.name} has no option {key}; its options: {known}")
        for opt in self.options:
            problem = opt.problem(options.get(opt.product_option_id))
            if problem:
                problems.append(problem)
        return problems


class Catalogue(Mapping[int, ProductInfo]):
    """Products by id. Read-only for its users; :meth:`learn` adds what a store's answer tells."""

    def __init__(self, products: Mapping[int, ProductInfo] | None = None, *, complete: bool = False) -> None:
        self._products: dict[int, ProductInfo] = dict(products or {})
        #: True when this catalogue lists *every* product (a store file): other ids are unknown
        self.complete = complete

    def __getitem__(self, product_id: int) -> ProductInfo:
        return self._products[int(product_id)]

    def __iter__(self) -> Iterator[int]:
        return iter(self._products)

    def __len__(self) -> int:
        return len(self._products)

    def __repr__(self) -> str:
        return f"<Catalogue: {len(self)} products{' (complete)' if self.complete else ''}>"

    @classmethod
    def from_names(cls, names: Mapping[int, str]) -> Catalogue:
        """Products known by name only (options learnt from the store as they are priced)."""
        return cls({int(pid): ProductInfo(int(pid), str(name), complete=False) for pid, name in names.items()})

    @classmethod
    def from_store_file(cls, name_or_path: str | Path) -> Catalogue:
        """Every enabled product of a store file (``"rich"``, ``"stock"``, or a YAML path)."""
        from ocdata.sandbox.storefile import load_store  # a store description, read as data

        return cls.from_store_config(load_store(name_or_path))

    @classmethod
    def from_store_config(cls, store: Any) -> Catalogue:
        products = {}
        for p in store.products:
            if not p.status:
                continue
            options = tuple(
                OptionInfo(o.product_option_id, html.unescape(o.name), o.type, bool(o.required),
                           tuple(OptionChoice(v.product_option_value_id, html.unescape(v.name), float(v.price),
                                              v.price_prefix) for v in o.values), o.value)
                for o in p.options)
            products[p.product_id] = ProductInfo(p.product_id, html.unescape(p.name), options)
        return cls(products, complete=True)

    # ------------------------------------------------------------------ learning from answers
    def add(self, info: ProductInfo) -> None:
        """Know ``info`` (a complete entry is never replaced by a partial one)."""
        old = self._products.get(info.product_id)
        if old is not None and old.complete and not info.complete:
            return
        self._products[info.product_id] = info

    def learn(self, product_id: int, *, name: str | None = None, fields: Mapping[str, str] | None = None,
              selected: tuple[Any, ...] = ()) -> ProductInfo:
        """Record what a store answer says of ``product_id``: its name, the options it named as
        required (``fields`` of a refusal: ``product_0_option_218: "Radio required!"``) and the
        options of a priced line (``selected``: :class:`~ocdata.client.models.SelectedOption`)."""
        old = self._products.get(int(product_id))
        if old is not None and old.complete:
            return old
        options = {o.product_option_id: o for o in (old.options if old else ())}
        for key, message in (fields or {}).items():
            m = _REQUIRED.match(key)
            if m and message.endswith(" required!"):
                oid = int(m.group(1))
                options[oid] = replace(options.get(oid, OptionInfo(oid, "")), name=html.unescape(message[:-10]),
                                       required=True)
        for s in selected:
            oid = int(s.product_option_id)
            known = options.get(oid, OptionInfo(oid, html.unescape(s.name)))
            options[oid] = replace(known, name=known.name or html.unescape(s.name), type=s.type or known.type)
        title = html.unescape(name) if name else (old.name if old else f"product #{product_id}")
        info = ProductInfo(int(product_id), title, tuple(options.values()), complete=False)
        self._products[int(product_id)] = info
        return info


def _is_id(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return value > 0
    return isinstance(value, str) and value.isdigit() and int(value) > 0


def _listing(values: tuple[OptionChoice, ...]) -> str:
    if not values:
        return "the store did not say which"
    return ", ".join(f"{v.value_id} = {v.name}" for v in values)

