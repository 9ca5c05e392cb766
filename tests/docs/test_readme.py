"""The README's Python snippets run as written, in order, and show what they claim.

A new user copies them one after the other: the second must follow the first while its
sandbox is up, and the numbers must be what the checkout charges (destination tax,
customer-group prices), not 4.1's one-off approximation.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import pytest

from ocdata.client.errors import OcdataWarning

README = Path(__file__).resolve().parents[2] / "README.md"


def python_blocks(text: str) -> list[str]:
    return re.findall(r"^```python\n(.*?)^```", text, flags=re.S | re.M)


@pytest.fixture
def readme_namespace(tmp_path, monkeypatch):
    monkeypatch.setenv("OCDATA_CACHE", str(tmp_path / "readme.duckdb"))  # never ~/.cache
    monkeypatch.setenv("MPLBACKEND", "Agg")
    namespace: dict = {"__name__": "__readme__"}
    yield namespace
    shop = namespace.get("shop")
    if shop is not None:
        shop.stop()
    from ocdata import cache

    for c in list(cache._DEFAULTS.values()):
        c.close()
    cache._DEFAULTS.clear()


def test_readme_python_snippets_run_in_order_and_price_like_the_checkout(readme_namespace, capsys):
    blocks = python_blocks(README.read_text(encoding="utf-8"))
    assert len(blocks) >= 2, "the README lost its Python snippets"
    ns = readme_namespace
    with warnings.catch_warnings():
        # a pricing warning would mean the default is the approximation
        warnings.simplefilter("error", OcdataWarning)
        for i, block in enumerate(blocks):
            exec(compile(block, f"README.md python block {i + 1}", "exec"), ns)

    # the first snippet: Los Angeles pays California's sales tax, not UK VAT
    quote = ns["quote"]
    titles = {t.title for option in quote.options for t in option.totals if t.code == "tax"}
    assert titles and not any("VAT" in t for t in titles), titles
    assert ns["order"].order_id > 0

    # the study: every scenario priced, tax follows the destination, Wholesale is not Default
    study, quotes = ns["study"], ns["quotes"]
    assert study.last_run.ok == study.last_run.scenarios == 12
    assert "12 scenarios: 12 ok, 0 refused, 0 failed" in capsys.readouterr().out
    import ocdata

    rates = ocdata.compare.effective_tax(quotes, by=("destination",)).set_index("destination")
    rate = rates["effective_tax_rate"]
    assert 0.20 <= rate["London"] < 0.25  # VAT 20 % and the fixed eco tax
    assert 0.05 < rate["Los Angeles"] < 0.10
    assert rate["Berlin"] == pytest.approx(0.0, abs=1e-9)
    monitor = quotes[quotes["cart"] == "monitor"].groupby("customer_group_id")["sub_total"].max()
    assert monitor[1] == 200.0 and monitor[3] == 180.0  # the rich store's Wholesale special
    assert isinstance(ns["panel"], ocdata.widgets.ComparisonPanel)
    assert isinstance(ns["builder"], ocdata.widgets.OrderBuilder)

    # the same grid on two stores: 3.0's cod is 4.1's cod.cod; 4.1 rich adds pickup, cheques and California's tax
    diff = ns["diff"]
    assert set(diff["store"]) == {"4.1"} and not diff["currency_mismatch"].any()
    assert (diff.loc[diff["method_key"] == "pickup", "offered"] == "store only").all()
    paid = diff[diff["offered"] == "both"].groupby("destination", observed=True)["payments_only_store"].agg(set)
    assert paid.to_dict() == {"London": {"cheque"}, "Los Angeles": {""}}  # rich takes cheques in the UK only
    la = diff[(diff["destination"] == "Los Angeles") & (diff["offered"] == "both")]
    assert len(la) and (la["tax_delta"] > 0).all() and (la["cost_delta"] == 0).all()
