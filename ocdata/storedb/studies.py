"""From the catalog to a study and back: carts built from product frames, quotes joined to
product and category attributes.

>>> cams = ocdata.storedb.in_category(db, "Cameras")                       # doctest: +SKIP
>>> carts = ocdata.storedb.carts_from(cams, quantity=[1, 3], options=db.product_options())  # doctest: +SKIP
>>> quotes = ocdata.Study(store, carts=carts, destinations=[...]).run()    # doctest: +SKIP
>>> ocdata.storedb.with_products(quotes, carts, db)                        # doctest: +SKIP
"""

from __future__ import annotations

import datetime as _dt
import warnings
from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

from ocdata.client.errors import OcdataWarning
from ocdata.client.models import CartLine

__all__ = ["carts_from", "in_category", "with_products", "PRODUCT_ATTRIBUTES"]

#: text-like option types and what a cart sends when the option has no default text
_PLACEHOLDER = {"text": "ocdata", "textarea": "ocdata", "date": None, "time": "12:00", "datetime": None}

#: product columns :func:`with_products` adds (renamed ``product_<column>``)
PRODUCT_ATTRIBUTES = ("name", "model", "sku", "price", "tax_class_id", "tax_class", "weight", "weight_unit",
                      "weight_store", "manufacturer")


def in_category(db: Any, category: int | str | Iterable[int | str], *, subcategories: bool = True,
                products: pd.DataFrame | None = None, enabled_only: bool = True) -> pd.DataFrame:
    """The products listed in a category (by id, name or path such as ``"Components > Monitors"``;
    several allowed), with its subcategories unless ``subcategories=False``."""
    cats = db.categories()
    wanted = [category] if isinstance(category, (int, str)) else list(category)
    ids: set[int] = set()
    for item in wanted:
        if isinstance(item, str):
            key = item.casefold()
            hit = cats[(cats["name"].str.casefold() == key) | (cats["path"].str.casefold() == key)]
        else:
            hit = cats[cats["category_id"] == int(item)]
        if hit.empty:
            raise ValueError(f"no category {item!r} in the store; its categories: "
                             f"{', '.join(cats['path'].head(20))}{' …' if len(cats) > 20 else ''}")
        ids.update(int(i) for i in hit["category_id"])
    if subcategories:
        parts = cats["path_ids"].str.split(">")
        ids.update(int(c) for c, path in zip(cats["category_id"], parts) if ids & {int(p) for p in path})
    links = db.product_categories()
    product_ids = set(links.loc[links["category_id"].isin(ids), "product_id"].astype(int))
    frame = db.products() if products is None else products
    frame = frame[frame["product_id"].isin(product_ids)]
    if enabled_only:
        frame = frame[frame["status"].fillna(False).astype(bool)]
    return frame.reset_index(drop=True)


def _option_choice(rows: pd.DataFrame, today: str, quantity: int) -> Any:
    """What a cart line of ``quantity`` sends for one required option (None: it cannot be filled in)."""
    first = rows.iloc[0]
    kind = first["type"]
    if kind in ("select", "radio", "checkbox"):
        values = rows.dropna(subset=["product_option_value_id"])
        if values.empty:
            return None
        in_stock = values[(values["quantity"].fillna(0) >= quantity) | ~values["subtract"].fillna(False).astype(bool)]
        pick = int((in_stock if not in_stock.empty else values)["product_option_value_id"].iloc[0])
        return [pick] if kind == "checkbox" else pick
    if kind in _PLACEHOLDER:
        default = first["value"] if isinstance(first["value"], str) else ""
        if default:
            return default
        return _PLACEHOLDER[kind] or (today if kind == "date" else f"{today} 12:00")
    return None  # file uploads need an upload code the API cannot make


def carts_from(products: pd.DataFrame, *, quantity: int | Iterable[int] = 1, options: pd.DataFrame | None = None,
               label: str = "{name} x{quantity}", enabled_only: bool = True) -> dict[str, tuple[CartLine, ...]]:
    """One single-product cart per product row (and per quantity), ready for ``ocdata.Study(carts=...)``.

    ``products`` is a products frame, filtered as you like (``in_category``, ``weight_store``
    bands…). ``options`` (``db.product_options()``) fills each *required* option with its
    first value with stock (a text-like option with its default text), so the store accepts
    the line (in stock for the cart's quantity when a value is); products whose required
    options cannot be filled (a file upload) are left out
    with a warning. Without ``options`` lines carry none and the store refuses products that
    need one. A quantity below the product's ``minimum`` is raised to it. ``label`` is formatted
    with the row's columns and ``quantity``; duplicate labels get `` #<product_id>``.
    """
    quantities = [quantity] if isinstance(quantity, int) else [int(q) for q in quantity]
    if not quantities or min(quantities) < 1:
        raise ValueError("quantity must be a positive int or a list of them")
    if "product_id" not in products.columns:
        raise ValueError("carts_from needs a products frame (db.products()) with a product_id column")
    rows = products
    if enabled_only and "status" in rows.columns:
        rows = rows[rows["status"].fillna(False).astype(bool)]
    today = _dt.date.today().isoformat()
    required: dict[int, list[tuple[int, pd.DataFrame]]] = {}
    if options is not None and len(options):
        wanted = options[options["required"].fillna(False).astype(bool)]
        for (product_id, option_id), group in wanted.groupby(["product_id", "product_option_id"], sort=True):
            required.setdefault(int(product_id), []).append((int(option_id), group))
    skipped: list[str] = []
    carts: dict[str, tuple[CartLine, ...]] = {}
    for row in rows.to_dict("records"):
        product_id = int(row["product_id"])
        minimum = row.get("minimum")
        for q in quantities:
            qty = max(q, int(minimum)) if minimum is not None and not pd.isna(minimum) else q
            picked = {option_id: _option_choice(group, today, qty) for option_id, group in required.get(product_id, [])}
            if any(v is None for v in picked.values()):
                skipped.append(f"{row.get('name', product_id)} ({product_id})")
                break
            name = label.format(**{**row, "quantity": qty})
            if name in carts:
                name = f"{name} #{product_id}"
            carts[name] = (CartLine(product_id=product_id, quantity=qty, options=picked),)
    if skipped:
        warnings.warn(f"left out products whose required options a cart cannot fill (file uploads): "
                      f"{', '.join(skipped)}", OcdataWarning, stacklevel=2)
    return carts


def _cart_lines(carts: Any) -> pd.DataFrame:
    from ocdata.study import parse_cart

    if hasattr(carts, "scenarios"):  # a Study
        carts = {s.cart: s.lines for s in carts.scenarios}
    if not isinstance(carts, Mapping):
        raise ValueError("carts must be {label: cart} (what Study(carts=...) was given) or the Study itself")
    rows = [{"cart": str(label), "line": i, "product_id": line.product_id, "quantity": line.quantity}
            for label, cart in carts.items() for i, line in enumerate(parse_cart(cart))]
    return pd.DataFrame(rows, columns=["cart", "line", "product_id", "quantity"])


def with_products(quotes: pd.DataFrame, carts: Any, db: Any) -> pd.DataFrame:
    """The quotes frame with each cart's products and their catalog attributes.

    One row per quote row and cart line (a single-product cart keeps one row per quote):
    ``line``, ``product_id``, ``quantity`` of the line; ``product_<attribute>`` for
    :data:`PRODUCT_ATTRIBUTES` (list price, tax class, weight… from ``db.products()``);
    ``product_categories`` (the category paths it is listed in, ``" | "``-joined); and the
    cart's ``cart_quantity``, ``cart_weight`` (sum of quantity × ``weight_store``, options not
    included) and ``cart_list_price`` (sum of quantity × base price). A cart of n lines repeats
    its quote n times: count quotes on ``line == 0``.
    """
    if "cart" not in quotes.columns:
        raise ValueError("the quotes frame has no 'cart' column: pass what Study.run() returned")
    lines = _cart_lines(carts)
    products = db.products()[["product_id", *PRODUCT_ATTRIBUTES]]
    cats = db.categories()[["category_id", "path"]]
    links = db.product_categories().merge(cats, on="category_id", how="left")
    paths = links.sort_values("path").groupby("product_id")["path"].agg(" | ".join).rename("categories")
    attrs = products.merge(paths, left_on="product_id", right_index=True, how="left")
    attrs = attrs.rename(columns={c: f"product_{c}" for c in (*PRODUCT_ATTRIBUTES, "categories")})
    lines = lines.merge(attrs, on="product_id", how="left")
    lines["_weight"] = lines["quantity"] * lines["product_weight_store"]
    lines["_price"] = lines["quantity"] * lines["product_price"]
    per_cart = lines.groupby("cart").agg(cart_quantity=("quantity", "sum"), cart_weight=("_weight", "sum"),
                                         cart_list_price=("_price", "sum"))
    lines = lines.drop(columns=["_weight", "_price"]).merge(per_cart, left_on="cart", right_index=True)
    left = quotes.assign(cart=quotes["cart"].astype("str"))
    missing = set(left["cart"]) - set(lines["cart"])
    if missing:
        raise ValueError(f"carts {sorted(missing)[:5]} of the quotes are not in the carts given; pass the same "
                         f"carts the study ran (or the Study)")
    out = left.merge(lines, on="cart", how="left", sort=False)
    if isinstance(quotes["cart"].dtype, pd.CategoricalDtype):
        out["cart"] = out["cart"].astype("category")
    return out
