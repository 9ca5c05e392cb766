"""Every figure of ``Store.quote`` for a fixed set of drafts, as JSON, to compare two versions of the
oc41 quote flow on a real OpenCart 4.1.0.4 store (``tools/real_store.sh``; not run by the tests).

    python tools/oc41_quote_dump.py URL USER KEY > new.json
    PYTHONPATH=/tmp/ocdata-main python tools/oc41_quote_dump.py URL USER KEY > old.json   # the code before
    diff old.json new.json        # only the "requests" counts may differ

The drafts cover UK / US (California, New York) / German destinations, the Default and Wholesale
customer groups, taxed and untaxed (tax class 100) products, free quotes (pickup, UK free shipping),
several quotes per destination, a coupon (``OCDATA10``, made by real_store.sh) and a cart that ships
nothing. Costs, tax, totals lines, payment methods and errors are dumped as the store's strings/Decimals.
"""

from __future__ import annotations

import json
import sys

import ocdata
from ocdata import Address, CartLine, Customer, OrderDraft

PLACES = {
    "UK": dict(city="London", postcode="SW1A 1AA", country_id=222, zone_id=3553),
    "CA": dict(city="Cupertino", postcode="95014", country_id=223, zone_id=3624),
    "NY": dict(city="New York", postcode="10001", country_id=223, zone_id=3655),
    "DE": dict(city="Berlin", postcode="10115", country_id=81, zone_id=1256),
}
CARTS = {
    "monitor": [CartLine(product_id=33, quantity=1)],
    "ipod5+phone": [CartLine(product_id=48, quantity=5), CartLine(product_id=40, quantity=1)],
    "untaxed": [CartLine(product_id=45, quantity=1)],
    "mixed": [CartLine(product_id=45, quantity=1), CartLine(product_id=28, quantity=2)],
    "shipless": [CartLine(product_id=43, quantity=1)],
}


def drafts():
    for place, where in PLACES.items():
        for group in (1, 3):
            for cart, lines in CARTS.items():
                for coupon in (None, "OCDATA10"):
                    if coupon and (group != 1 or cart not in ("monitor", "mixed")):
                        continue
                    address = Address(firstname="Jane", lastname="Doe", address_1="1 Main Street", **where)
                    customer = Customer(customer_group_id=group, firstname="Jane", lastname="Doe",
                                        email="jane.doe@example.com", telephone="0123")
                    name = f"{place}/group{group}/{cart}" + (f"/{coupon}" if coupon else "")
                    yield name, OrderDraft(customer=customer, lines=tuple(lines), shipping_address=address,
                                           payment_address=address, coupon=coupon)


def money(v):
    return None if v is None else str(v)


def totals(lines):
    return [[t.code, t.title, money(t.value)] for t in lines or ()]


def payments(methods):
    return [[m.code, m.name] for m in methods or ()]


def dump(quote) -> dict:
    return {
        "products": [[p.product_id, p.name, p.quantity, money(p.price), money(p.total)] for p in quote.products],
        "totals": totals(quote.totals),
        "shipping_required": quote.shipping_required,
        "shipping_error": quote.shipping_error,
        "payment_methods": payments(quote.payment_methods),
        "options": [{"code": o.quote.code, "name": o.quote.name, "cost": money(o.quote.cost),
                     "tax_class_id": o.quote.tax_class_id, "text": o.quote.text, "totals": totals(o.totals),
                     "payment_methods": payments(o.payment_methods), "error": o.error} for o in quote.options],
        "warnings": list(quote.warnings),
        "requests": quote.requests,
    }


def main(url: str, user: str, key: str) -> None:
    store = ocdata.connect(url, user, key, dialect="oc41")
    out = {}
    for name, draft in drafts():
        try:
            out[name] = dump(store.quote(draft))
        except ocdata.OcdataError as exc:
            out[name] = {"error": type(exc).__name__, "message": str(exc)}
    json.dump(out, sys.stdout, indent=1, sort_keys=True)
    print()


if __name__ == "__main__":
    main(*sys.argv[1:4])
