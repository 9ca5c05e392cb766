"""Compare ``Store.quote`` (oc41, pricing="storefront") with what a real OpenCart 4.1.0.4 storefront
checkout shows (``tools/real_store.sh``; not run by the tests).

    python tools/oc41_checkout_compare.py URL USER KEY

For each draft of ``tools/oc41_quote_dump.py`` (but the cart that ships nothing) and each quote the
client lists, a guest checkout in a browser session of its own: add the lines to the cart, register
as a guest (group, both addresses), apply the coupon, list the shipping methods, choose the quote,
list the payment methods, and read the confirm step's totals. Compared with the quote's option: the
listed ``text`` (tax included), each totals line's title and amount (``$1,234.56`` as the page shows
it), and the payment method codes. Prints one line per difference and a summary; exits 1 on any.
"""

from __future__ import annotations

import html
import re
import sys
from decimal import Decimal

import requests

import ocdata
from oc41_quote_dump import drafts

TOTAL_ROW = re.compile(r"<tr>\s*<td[^>]*><strong>(.*?)</strong></td>\s*<td[^>]*>(.*?)</td>\s*</tr>", re.S)


def money(value: Decimal) -> str:
    return f"${value.quantize(Decimal('0.01')):,}"


def checkout(url: str, d, code: str) -> dict:
    s = requests.Session()
    base = url.rstrip("/") + "/index.php"

    def post(route: str, data=None) -> requests.Response:
        return s.post(base, params={"route": route, "language": "en-gb"}, data=data or {}, timeout=30)

    s.get(base, timeout=30)
    for line in d.lines:
        post("checkout/cart.add", {"product_id": line.product_id, "quantity": line.quantity}).raise_for_status()
    a, c = d.shipping_address, d.customer
    form = {"account": 0, "customer_group_id": c.customer_group_id, "firstname": c.firstname,
            "lastname": c.lastname, "email": c.email, "telephone": c.telephone, "address_match": 1}
    for prefix in ("payment_", "shipping_"):
        form.update({f"{prefix}firstname": a.firstname, f"{prefix}lastname": a.lastname,
                     f"{prefix}address_1": a.address_1, f"{prefix}city": a.city, f"{prefix}postcode": a.postcode,
                     f"{prefix}country_id": a.country_id, f"{prefix}zone_id": a.zone_id})
    saved = post("checkout/register.save", form).json()
    assert "error" not in saved and "redirect" not in saved, saved
    if d.coupon:
        applied = post("extension/opencart/checkout/coupon.save", {"coupon": d.coupon}).json()
        assert "error" not in applied, applied
    listed = post("checkout/shipping_method.quote").json()
    texts = {q["code"]: q["text"] for m in listed.get("shipping_methods", {}).values() for q in m["quote"].values()}
    chosen = post("checkout/shipping_method.save", {"shipping_method": code}).json()
    assert "error" not in chosen, chosen
    payments = post("checkout/payment_method.getMethods").json()
    codes = [o["code"] for m in payments.get("payment_methods", {}).values() for o in m["option"].values()]
    page = post("checkout/confirm.confirm").text
    totals = [(html.unescape(t).strip(), html.unescape(v).strip()) for t, v in TOTAL_ROW.findall(page)]
    return {"text": texts.get(code), "totals": totals, "payments": codes}


def main(url: str, user: str, key: str) -> int:
    store = ocdata.connect(url, user, key, dialect="oc41")
    compared = differences = 0
    for name, d in drafts():
        if "shipless" in name:
            continue
        quote = store.quote(d)
        for option in quote.options:
            shown = checkout(url, d, option.quote.code)
            ours = {"text": option.quote.text, "totals": [(t.title, money(t.value)) for t in option.totals],
                    "payments": [m.code for m in option.payment_methods]}
            compared += 1
            for field in ("text", "totals", "payments"):
                if ours[field] != shown[field]:
                    differences += 1
                    print(f"{name} {option.quote.code} {field}: ocdata {ours[field]} != checkout {shown[field]}")
    print(f"{compared} quotes compared with the storefront checkout, {differences} differences")
    return 1 if differences else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
