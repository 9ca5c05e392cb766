"""Load, validate and dump store description files (YAML).

A store file describes one OpenCart store with OpenCart's own ids. Built-in stores live
in ``ocdata/sandbox/stores/``: ``stock`` (oc41 demo store), ``rich`` (oc41 rich
configuration), ``oc40`` and ``oc30``. ``load_store("rich")`` or ``load_store(path)``.
``stock.yaml`` starts with a commented walk-through of every section.

Top-level keys (all optional except ``settings``)::

    key:            store name used in logs (default: file stem)
    description:    free text
    demo_data:      an OpenCart release ("4.1.0.4", "4.0.2.3", "3.0.4.1") whose install
                    data the store starts from: its full country/zone table and its 19
                    demo products (``ocdata/sandbox/data/<release>/``, see
                    :mod:`ocdata.sandbox.installdata`); ``products`` then merge over the
                    demo products item by item (as with ``extends``) and ``zones`` over
                    the zones. Without it the store has only its listed products and the
                    countries/zones of the packaged release matching ``settings.version``
    dialects:       the fronts ``serve()`` gives this store by default, e.g. ``[oc40]``
                    (default: by ``settings.version`` — 4.1: ``[oc41, spec]``, 4.0: ``[oc40]``,
                    3.0: ``[oc30]``); ``spec`` and ``oc30`` exclude each other
    extends:        another store (built-in name or path, relative to this file);
                    ``settings`` merge key by key, list sections merge item by item on
                    their id (an item with an existing id is merged over it — nested
                    mappings such as ``settings`` key by key, lists replaced — a new id is
                    appended, ``delete: true`` removes it)
    settings:       config_* values (see ``model.Settings``; ids as ints, lists as lists)
    currencies:     [{currency_id, code, title, symbol_left, symbol_right, decimal_place, value, status}]
    weight_classes: [{weight_class_id, title, unit, value}]
    zones:          [{zone_id, country_id, code, name, status}]   add or replace zones of
                    OpenCart's table
    geo_zones:      [{geo_zone_id, name, description, members}]  members: list of
                    [country_id, zone_id] pairs (zone 0 = whole country) or
                    {country_id: 222, zones: each} = every zone of the country listed one by one
    tax_rates:      [{tax_rate_id, geo_zone_id, name, rate, type: P|F, customer_group_ids}]
    tax_classes:    [{tax_class_id, title, description, rules: [{tax_rule_id, tax_rate_id, based, priority}]}]
    customer_groups, customers (with addresses), affiliates, subscription_plans, coupons,
    order_statuses: as the ``model`` dataclasses
    products:       [{product_id, name, model, price, tax_class_id, weight, weight_class_id,
                     quantity, minimum, subtract, shipping, points, status, rewards: {group: points},
                     options: [...], discounts: [...], specials: [...], subscriptions: [...],
                     record: {other DB columns as strings}}]
    shipping / payment / totals:
                    [{code, status, sort_order, settings: {key: "string"}, text: {...}}]
                    settings are OpenCart's setting values without the ``<type>_<code>_``
                    prefix, written as quoted strings because their exact text reaches
                    the API (``cost: "5.00"``).

Errors raise :class:`StoreFileError` naming the offending key path
(``products[3].options[0].type: must be one of ...``).
"""

from __future__ import annotations

import dataclasses
import types
import typing
from pathlib import Path
from typing import Any

import yaml

from ocdata.sandbox import geo as _geo
from ocdata.sandbox import installdata as _install
from ocdata.sandbox import model as m
from ocdata.sandbox.fronts import DIALECTS
from ocdata.sandbox.payment import PAYMENT_CODES
from ocdata.sandbox.payment import SETTING_KEYS as PAYMENT_KEYS
from ocdata.sandbox.shipping import SETTING_KEYS as SHIPPING_KEYS
from ocdata.sandbox.shipping import SHIPPING_CODES
from ocdata.sandbox.totals import SETTING_KEYS as TOTAL_KEYS
from ocdata.sandbox.totals import TOTAL_CODES

STORES_DIR = Path(__file__).resolve().parent / "stores"
BUILTIN = ("stock", "rich", "oc40", "oc30")

#: list sections and the key that identifies their items (for ``extends`` merging)
SECTIONS: dict[str, tuple[type, str]] = {
    "currencies": (m.Currency, "code"),
    "weight_classes": (m.WeightClass, "weight_class_id"),
    "zones": (m.Zone, "zone_id"),
    "geo_zones": (m.GeoZone, "geo_zone_id"),
    "tax_rates": (m.TaxRate, "tax_rate_id"),
    "tax_classes": (m.TaxClass, "tax_class_id"),
    "customer_groups": (m.CustomerGroup, "customer_group_id"),
    "customers": (m.Customer, "customer_id"),
    "affiliates": (m.Affiliate, "customer_id"),
    "products": (m.Product, "product_id"),
    "subscription_plans": (m.SubscriptionPlan, "subscription_plan_id"),
    "shipping": (m.Extension, "code"),
    "payment": (m.Extension, "code"),
    "totals": (m.Extension, "code"),
    "coupons": (m.Coupon, "coupon_id"),
    "order_statuses": (m.OrderStatus, "order_status_id"),
}
TOP_KEYS = {"key", "description", "extends", "demo_data", "settings", "dialects", *SECTIONS}


class StoreFileError(ValueError):
    """A store description that cannot be used; the message names the bad key."""


# --------------------------------------------------------------------------- loading


def store_path(name_or_path: str | Path) -> Path:
    """The file of a built-in store name, or the given path."""
    text = str(name_or_path)
    if text in BUILTIN:
        return STORES_DIR / f"{text}.yaml"
    return Path(text)


def load_store(name_or_path: str | Path) -> m.StoreConfig:
    """Load and validate a built-in store (``"stock"``, ``"rich"``, ``"oc40"``,
    ``"oc30"``) or a YAML file."""
    path = store_path(name_or_path)
    raw = _read_merged(path, seen=())
    return build_store(raw, default_key=path.stem)


def loads_store(text: str, key: str = "custom", base_dir: Path | None = None) -> m.StoreConfig:
    """Load a store description from YAML text (``extends`` resolves against ``base_dir``)."""
    raw = _parse(text, key)
    if "extends" in raw:
        raw = _resolve_extends(raw, base_dir or Path.cwd(), seen=())
    return build_store(raw, default_key=key)


#: libyaml's safe loader when PyYAML was built with it (same results, several times faster)
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _parse(text: str, where: str) -> dict[str, Any]:
    try:
        data = yaml.load(text, Loader=_LOADER)  # noqa: S506 - a safe loader
    except yaml.YAMLError as exc:
        raise StoreFileError(f"{where}: not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise StoreFileError(f"{where}: a store file must be a mapping of sections")
    return data


def _read_merged(path: Path, seen: tuple[Path, ...]) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise StoreFileError(f"{path}: cannot read store file ({exc.strerror})") from None
    raw = _parse(text, str(path))
    if "extends" in raw:
        raw = _resolve_extends(raw, path.parent, seen + (path.resolve(),))
    return raw


def _resolve_extends(raw: dict[str, Any], base_dir: Path, seen: tuple[Path, ...]) -> dict[str, Any]:
    parent_name = raw["extends"]
    if not isinstance(parent_name, str):
        raise StoreFileError("extends: must be a store name or a path")
    parent_path = STORES_DIR / f"{parent_name}.yaml" if parent_name in BUILTIN else base_dir / parent_name
    if parent_path.resolve() in seen:
        raise StoreFileError(f"extends: {parent_name} extends itself")
    parent = _read_merged(parent_path, seen)
    return merge(parent, {k: v for k, v in raw.items() if k != "extends"})


def merge(parent: dict[str, Any], child: dict[str, Any]) -> dict[str, Any]:
    """``extends`` semantics: settings per key, list sections per item id."""
    out = dict(parent)
    out.pop("key", None)
    for section, value in child.items():
        if section == "settings":
            if not isinstance(value, dict):
                raise StoreFileError("settings: must be a mapping")
            out["settings"] = {**(parent.get("settings") or {}), **value}
        elif section in SECTIONS and isinstance(value, list) and isinstance(parent.get(section), list):
            out[section] = _merge_items(section, parent[section], value)
        else:
            out[section] = value
    return out


def _merge_items(section: str, parent: list[Any], child: list[Any]) -> list[Any]:
    """Child items merged over the parent's with the same id, new ids appended,
    ``delete: true`` items removed (a ``delete`` of an absent id is kept, so that it
    still applies to a base added later, such as ``demo_data`` products)."""
    id_key = SECTIONS[section][1]
    items: list[Any] = [dict(item) if isinstance(item, dict) else item for item in parent]
    index = {item.get(id_key): n for n, item in enumerate(items) if isinstance(item, dict)}
    for n, item in enumerate(child):
        if not isinstance(item, dict) or id_key not in item:
            raise StoreFileError(f"{section}[{n}]: needs '{id_key}' to merge with the parent store")
        if item[id_key] in index:
            position = index[item[id_key]]
            replace = item.get("delete") or items[position].get("delete")
            items[position] = dict(item) if replace else _merge_item(items[position], item)
        else:
            index[item[id_key]] = len(items)
            items.append(dict(item))
    return items


def _merge_item(parent: dict[str, Any], child: dict[str, Any]) -> dict[str, Any]:
    """Child keys win; mappings (settings, text, record, rewards) merge key by key, lists replace."""
    out = dict(parent)
    for key, value in child.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = {**out[key], **value}
        else:
            out[key] = value
    return out


# --------------------------------------------------------------------------- building


def build_store(raw: dict[str, Any], default_key: str = "custom") -> m.StoreConfig:
    """Validate a parsed store description and build the :class:`StoreConfig`."""
    unknown = sorted(set(raw) - TOP_KEYS)
    if unknown:
        raise StoreFileError(f"{unknown[0]}: unknown section (expected one of {', '.join(sorted(TOP_KEYS))})")
    if "settings" not in raw:
        raise StoreFileError("settings: missing")
    settings = _convert(m.Settings, raw["settings"], "settings")
    demo_data = raw.get("demo_data") or ""
    if demo_data and (not isinstance(demo_data, str) or demo_data not in _install.VERSIONS):
        raise StoreFileError(f"demo_data: {demo_data!r} is not a packaged OpenCart release "
                             f"(one of {', '.join(_install.VERSIONS)})")
    geography = demo_data or _install.resolve(settings.version)
    sections: dict[str, tuple] = {}
    for name, (cls, id_key) in SECTIONS.items():
        items = raw.get(name) or []
        if not isinstance(items, list):
            raise StoreFileError(f"{name}: must be a list")
        if name == "products" and demo_data:
            items = _merge_items(name, _install.products(demo_data), items)
        # deleted items (see _merge_items) are left out here
        items = [i for i in items if not (isinstance(i, dict) and i.get("delete"))]
        built = []
        seen: set = set()
        for n, item in enumerate(items):
            path = f"{name}[{n}]"
            if name == "geo_zones":
                item = _geo_zone_item(item, path)
            obj = _convert(cls, item, path)
            ident = getattr(obj, id_key)
            if ident in seen:
                raise StoreFileError(f"{path}.{id_key}: duplicate {id_key} {ident!r}")
            seen.add(ident)
            built.append(obj)
        sections[name] = tuple(built)
    try:
        countries = _geo.apply_zone_overrides(_install.countries(geography), list(sections.pop("zones")))
    except ValueError as exc:
        raise StoreFileError(str(exc)) from None
    # "each" members need the zone list, so expand them now
    country_zones = {c.country_id: c.zones for c in countries}
    geo_zones = tuple(
        dataclasses.replace(g, members=_expand_members(g, country_zones)) for g in sections.pop("geo_zones")
    )
    store = m.StoreConfig(
        key=str(raw.get("key") or default_key),
        dialects=_dialects(raw.get("dialects")),
        settings=settings,
        countries=countries,
        geo_zones=geo_zones,
        description=str(raw.get("description") or ""),
        geography=geography,
        demo_data=demo_data,
        **sections,
    )
    _check_references(store)
    return store


def _dialects(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not value or not all(isinstance(d, str) and d in DIALECTS for d in value):
        raise StoreFileError(f"dialects: must be a non-empty list of {', '.join(DIALECTS)}, got {value!r}")
    if {"spec", "oc30"} <= set(value):
        raise StoreFileError("dialects: spec and oc30 both answer route=api/login; choose one")
    return tuple(value)


_EACH = -1  # placeholder zone id for {country_id, zones: each}


def _geo_zone_item(item: Any, path: str) -> Any:
    if not isinstance(item, dict):
        return item
    members = item.get("members", [])
    if not isinstance(members, list):
        raise StoreFileError(f"{path}.members: must be a list")
    pairs = []
    for n, member in enumerate(members):
        where = f"{path}.members[{n}]"
        if isinstance(member, dict):
            extra = set(member) - {"country_id", "zone_id", "zones"}
            if extra:
                raise StoreFileError(f"{where}.{sorted(extra)[0]}: unknown key (country_id, zone_id or zones: each)")
            if member.get("zones") not in (None, "each"):
                raise StoreFileError(f"{where}.zones: only 'each' is supported")
            zone = _EACH if member.get("zones") == "each" else member.get("zone_id", 0)
            pairs.append([_int(member.get("country_id"), f"{where}.country_id"), _int(zone, f"{where}.zone_id")])
        elif isinstance(member, list) and len(member) == 2:
            pairs.append([_int(member[0], f"{where}[0]"), _int(member[1], f"{where}[1]")])
        else:
            raise StoreFileError(f"{where}: expected [country_id, zone_id] or {{country_id, zones: each}}")
    return {**item, "members": pairs}


def _expand_members(g: m.GeoZone, country_zones: dict[int, tuple[m.Zone, ...]]) -> tuple[tuple[int, int], ...]:
    out: list[tuple[int, int]] = []
    for country_id, zone_id in g.members:
        if zone_id == _EACH:
            if country_id not in country_zones:
                raise StoreFileError(f"geo_zones[{g.geo_zone_id}].members: country_id {country_id} does not exist")
            out.extend((country_id, z.zone_id) for z in country_zones[country_id])
        else:
            out.append((country_id, zone_id))
    return tuple(out)


def _int(value: Any, path: str) -> int:
    if isinstance(value, bool):
        raise StoreFileError(f"{path}: expected an integer, got {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    raise StoreFileError(f"{path}: expected an integer, got {value!r}")


def _float(value: Any, path: str) -> float:
    if isinstance(value, bool):
        raise StoreFileError(f"{path}: expected a number, got {value!r}")
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            pass
    raise StoreFileError(f"{path}: expected a number, got {value!r}")


def _bool(value: Any, path: str) -> bool:
    if isinstance(value, bool):
        return value
    if value in (0, 1, "0", "1"):
        return bool(int(value))
    raise StoreFileError(f"{path}: expected true/false (or 1/0), got {value!r}")


def _str(value: Any, path: str, *, setting: bool = False) -> str:
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    if setting and isinstance(value, float):
        raise StoreFileError(f"{path}: write this setting as a quoted string (e.g. \"5.00\"): "
                             "its exact text reaches the API")
    if isinstance(value, (int, float)):
        return str(value)
    raise StoreFileError(f"{path}: expected text, got {value!r}")


_HINTS_CACHE: dict[type, dict[str, Any]] = {}


def _hints(cls: type) -> dict[str, Any]:
    if cls not in _HINTS_CACHE:
        _HINTS_CACHE[cls] = typing.get_type_hints(cls)
    return _HINTS_CACHE[cls]


def _convert(cls: type, data: Any, path: str) -> Any:
    if not isinstance(data, dict):
        raise StoreFileError(f"{path}: expected a mapping")
    hints = _hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    allowed = set(fields) - ({"key", "countries", "geo_zones", "description", "settings", "dialects"} if cls is m.StoreConfig else set())
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise StoreFileError(f"{path}.{unknown[0]}: unknown key (expected one of {', '.join(sorted(allowed))})")
    kwargs = {}
    for name, f in fields.items():
        if name not in data:
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                raise StoreFileError(f"{path}.{name}: missing")
            continue
        kwargs[name] = _value(hints[name], data[name], f"{path}.{name}", setting=(cls is m.Extension and name == "settings"))
    obj = cls(**kwargs)
    _check_item(obj, path)
    return obj


def _value(tp: Any, value: Any, path: str, setting: bool = False) -> Any:
    origin = typing.get_origin(tp)
    if tp is int:
        return _int(value, path)
    if tp is float:
        return _float(value, path)
    if tp is bool:
        return _bool(value, path)
    if tp is str:
        return _str(value, path)
    if tp is Any:
        return value
    if dataclasses.is_dataclass(tp):
        return _convert(tp, value, path)
    if origin is tuple:
        args = typing.get_args(tp)
        if value is None:
            return ()
        if not isinstance(value, list):
            raise StoreFileError(f"{path}: expected a list")
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_value(args[0], v, f"{path}[{n}]") for n, v in enumerate(value))
        if len(value) != len(args):
            raise StoreFileError(f"{path}: expected {len(args)} items")
        return tuple(_value(a, v, f"{path}[{n}]") for n, (a, v) in enumerate(zip(args, value)))
    if origin is dict:
        key_t, val_t = typing.get_args(tp)
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise StoreFileError(f"{path}: expected a mapping")
        return {
            _value(key_t, k, f"{path}.{k}"): (
                _str(v, f"{path}.{k}", setting=True) if setting else _value(val_t, v, f"{path}.{k}")
            )
            for k, v in value.items()
        }
    if origin in (typing.Union, types.UnionType):
        return value
    raise StoreFileError(f"{path}: unsupported type {tp}")


def _one_of(value: str, allowed: tuple[str, ...] | set[str], path: str) -> None:
    if value not in allowed:
        raise StoreFileError(f"{path}: must be one of {', '.join(sorted(allowed))}, got {value!r}")


def _check_item(obj: Any, path: str) -> None:
    if isinstance(obj, m.Settings):
        _one_of(obj.discount_model, m.DISCOUNT_MODELS, f"{path}.discount_model")
        _one_of(obj.fixed_tax, m.FIXED_TAX_MODES, f"{path}.fixed_tax")
        _one_of(obj.tax_default, ("shipping", "payment", ""), f"{path}.tax_default")
        _one_of(obj.tax_customer, ("shipping", "payment", ""), f"{path}.tax_customer")
        if not obj.version[:1].isdigit():
            raise StoreFileError(f"{path}.version: expected an OpenCart version like \"4.1.0.4\"")
        if obj.next_order_id < 1:
            raise StoreFileError(f"{path}.next_order_id: must be at least 1")
    elif isinstance(obj, m.TaxRate):
        _one_of(obj.type, ("P", "F"), f"{path}.type")
    elif isinstance(obj, m.TaxRule):
        _one_of(obj.based, ("shipping", "payment", "store"), f"{path}.based")
    elif isinstance(obj, m.ProductOption):
        _one_of(obj.type, m.OPTION_TYPES, f"{path}.type")
        if obj.values and obj.type not in m.CHOICE_OPTION_TYPES:
            raise StoreFileError(f"{path}.values: a {obj.type} option takes free text, not values")
    elif isinstance(obj, m.OptionValue):
        for prefix in ("price_prefix", "points_prefix", "weight_prefix"):
            _one_of(getattr(obj, prefix), ("+", "-"), f"{path}.{prefix}")
    elif isinstance(obj, m.Discount):
        _one_of(obj.type, ("F", "S", "P"), f"{path}.type")
    elif isinstance(obj, m.Coupon):
        _one_of(obj.type, ("P", "F"), f"{path}.type")
    elif isinstance(obj, m.WeightClass):
        if obj.value <= 0:
            raise StoreFileError(f"{path}.value: must be positive")


def _check_extensions(exts: tuple[m.Extension, ...], section: str, codes: tuple[str, ...], keys: dict) -> None:
    for n, ext in enumerate(exts):
        path = f"{section}[{n}]"
        _one_of(ext.code, codes, f"{path}.code")
        allowed = keys.get(ext.code, set())
        for key in ext.settings:
            if section == "shipping" and ext.code == "weight":
                head, _, tail = key.partition("_")
                if head.isdigit() and tail in ("rate", "status"):
                    continue
            if key not in allowed:
                raise StoreFileError(
                    f"{path}.settings.{key}: unknown setting for {ext.code} "
                    f"(expected one of {', '.join(sorted(allowed)) or 'none'})"
                )


def _check_references(store: m.StoreConfig) -> None:
    s = store.settings
    groups = {g.customer_group_id for g in store.customer_groups}
    geo_ids = {g.geo_zone_id for g in store.geo_zones}
    rate_ids = {r.tax_rate_id for r in store.tax_rates}
    codes = {c.code for c in store.currencies}
    weight_ids = {w.weight_class_id for w in store.weight_classes}
    if s.currency not in codes:
        raise StoreFileError(f"settings.currency: {s.currency!r} is not in currencies")
    if s.customer_group_id not in groups:
        raise StoreFileError(f"settings.customer_group_id: group {s.customer_group_id} is not in customer_groups")
    if s.weight_class_id not in weight_ids:
        raise StoreFileError(f"settings.weight_class_id: {s.weight_class_id} is not in weight_classes")
    countries = {c.country_id: c for c in store.countries}
    if s.country_id not in countries:
        raise StoreFileError(f"settings.country_id: country {s.country_id} does not exist")
    for n, rate in enumerate(store.tax_rates):
        if rate.geo_zone_id not in geo_ids:
            raise StoreFileError(f"tax_rates[{n}].geo_zone_id: geo zone {rate.geo_zone_id} is not in geo_zones")
        for g in rate.customer_group_ids:
            if g not in groups:
                raise StoreFileError(f"tax_rates[{n}].customer_group_ids: group {g} is not in customer_groups")
    for n, tax_class in enumerate(store.tax_classes):
        for k, rule in enumerate(tax_class.rules):
            if rule.tax_rate_id not in rate_ids:
                raise StoreFileError(f"tax_classes[{n}].rules[{k}].tax_rate_id: rate {rule.tax_rate_id} is not in tax_rates")
    for n, g in enumerate(store.geo_zones):
        for country_id, _zone in g.members:
            if country_id not in countries:
                raise StoreFileError(f"geo_zones[{n}].members: country_id {country_id} does not exist")
    plans = {p.subscription_plan_id for p in store.subscription_plans}
    for n, p in enumerate(store.products):
        path = f"products[{n}]"
        if p.weight_class_id not in weight_ids:
            raise StoreFileError(f"{path}.weight_class_id: {p.weight_class_id} is not in weight_classes")
        for k, d in enumerate(p.discounts + p.specials):
            if d.customer_group_id not in groups:
                raise StoreFileError(f"{path}.discounts[{k}].customer_group_id: group {d.customer_group_id} is not in customer_groups")
        for k, sub in enumerate(p.subscriptions):
            if sub.subscription_plan_id not in plans:
                raise StoreFileError(f"{path}.subscriptions[{k}].subscription_plan_id: plan {sub.subscription_plan_id} is not in subscription_plans")
        seen_values: set[int] = set()
        for k, o in enumerate(p.options):
            for j, v in enumerate(o.values):
                if v.product_option_value_id in seen_values:
                    raise StoreFileError(f"{path}.options[{k}].values[{j}].product_option_value_id: duplicate")
                seen_values.add(v.product_option_value_id)
    all_values = [v.product_option_value_id for p in store.products for o in p.options for v in o.values]
    if len(all_values) != len(set(all_values)):
        raise StoreFileError("products: a product_option_value_id is used by two products")
    for n, c in enumerate(store.customers):
        if c.customer_group_id not in groups:
            raise StoreFileError(f"customers[{n}].customer_group_id: group {c.customer_group_id} is not in customer_groups")
    _check_extensions(store.shipping, "shipping", SHIPPING_CODES, SHIPPING_KEYS)
    _check_extensions(store.payment, "payment", PAYMENT_CODES, PAYMENT_KEYS)
    _check_extensions(store.totals, "totals", TOTAL_CODES, TOTAL_KEYS)
    for section in ("shipping", "payment"):
        for n, ext in enumerate(getattr(store, section)):
            gid = ext.settings.get("geo_zone_id", "0")
            if gid not in ("", "0") and gid.isdigit() and int(gid) not in geo_ids:
                raise StoreFileError(f"{section}[{n}].settings.geo_zone_id: geo zone {gid} is not in geo_zones")


# --------------------------------------------------------------------------- dumping


def to_dict(store: m.StoreConfig) -> dict[str, Any]:
    """The store as plain data in store-file layout (countries left out and only zones
    that differ from OpenCart's: they come from the packaged install data; products in
    full, with ``delete`` items for demo products the store removed)."""

    def plain(obj: Any) -> Any:
        if dataclasses.is_dataclass(obj):
            return {f.name: plain(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
        if isinstance(obj, (list, tuple)):
            return [plain(v) for v in obj]
        if isinstance(obj, dict):
            return {k: plain(v) for k, v in obj.items()}
        return obj

    out: dict[str, Any] = {"key": store.key, "description": store.description}
    if store.demo_data:
        out["demo_data"] = store.demo_data
    out["settings"] = plain(store.settings)
    base = {z.zone_id: z for c in _install.countries(store.geography or _install.resolve(store.settings.version))
            for z in c.zones}
    out["zones"] = [plain(z) for c in store.countries for z in c.zones if base.get(z.zone_id) != z]
    for name in SECTIONS:
        if name != "zones":
            out[name] = plain(getattr(store, name))
    if store.demo_data:
        kept = {p.product_id for p in store.products}
        out["products"] += [{"product_id": p["product_id"], "delete": True}
                            for p in _install.products(store.demo_data) if p["product_id"] not in kept]
    return out


def dump_store(store: m.StoreConfig) -> str:
    """YAML text that :func:`loads_store` reads back into an equal store."""
    return yaml.safe_dump(to_dict(store), sort_keys=False, allow_unicode=True, width=120)


#: Alias used by the sandbox server (``storefile.load(name_or_path)``).
load = load_store
