"""The README's "what if" store file works as documented: it extends rich, and the study sees it."""

import re
import warnings
from pathlib import Path

import pytest

import ocdata

README = Path(__file__).resolve().parents[2] / "README.md"


def test_readme_store_example_serves_and_prices(tmp_path):
    text = README.read_text(encoding="utf-8")
    block = re.search(r"```yaml\n(# my-store.yaml.*?)```", text, re.S).group(1)
    path = tmp_path / "my-store.yaml"
    path.write_text(block, encoding="utf-8")
    with ocdata.sandbox.serve(store=str(path)) as shop, warnings.catch_warnings():
        warnings.simplefilter("ignore", ocdata.OcdataWarning)
        store = ocdata.connect(shop.url, shop.username, shop.key, dialect="spec")
        study = ocdata.Study(store, carts={"phone": "40x1"}, destinations={"Berlin": "DE-BE", "London": "GB-LDN"},
                             cache=ocdata.Cache(":memory:"))
        quotes = study.run(progress=False).set_index(["destination", "quote_code"])
    # flat rate is now 7.50; Germany pays 19 % on the iPhone (101.00) and on taxable shipping
    assert quotes.loc[("Berlin", "flat.flat"), "cost"] == 7.5
    assert quotes.loc[("Berlin", "flat.flat"), "tax"] == pytest.approx(round((101 + 7.5) * 0.19, 2))
    assert quotes.loc[("Berlin", "pickup.pickup"), "tax"] == pytest.approx(19.19)
    # the UK keeps VAT + Eco Tax from rich
    assert quotes.loc[("London", "flat.flat"), "tax"] == pytest.approx((101 + 7.5) * 0.2 + 2 + 2)
