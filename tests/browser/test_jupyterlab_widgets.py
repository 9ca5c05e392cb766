"""The widgets as an analyst sees them: JupyterLab in Chromium, driven through the page.

A notebook that builds both widgets against the sandbox is run in JupyterLab; the test then
uses the page as a person would (dropdowns, text boxes, buttons) and asserts on what the page
shows. Screenshots go to ``tests/.artifacts/browser/`` (git-ignored).
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / ".artifacts" / "browser"

pytestmark = pytest.mark.timeout(170)

SETUP = """\
import warnings
warnings.simplefilter("ignore")
import ocdata
from ocdata.cache import Cache
from ocdata.widgets import ComparisonPanel, OrderBuilder

shop = ocdata.sandbox.serve(store="rich")
store = ocdata.connect(shop.url, shop.username, shop.key, pricing="storefront")
builder = OrderBuilder(store, catalog="rich")
builder"""

PANEL = """\
panel = ComparisonPanel(store, cache=Cache(":memory:"))
panel"""

UNTRUSTED_TEXT = re.compile(r"(OrderBuilder|ComparisonPanel|VBox)\(children=")


def _notebook(*cells: str) -> dict:
    return {"cells": [{"cell_type": "code", "execution_count": None, "id": f"c{i}", "metadata": {}, "outputs": [],
                       "source": source} for i, source in enumerate(cells)],
            "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}},
            "nbformat": 4, "nbformat_minor": 5}


def _open(page, lab, name: str) -> None:
    page.goto(lab.notebook_url(name))
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60_000)
    # the kernel is up before cells are run (run-all on a starting kernel can be dropped)
    page.wait_for_function(
        "() => window.jupyterapp && window.jupyterapp.shell.currentWidget"
        " && window.jupyterapp.shell.currentWidget.sessionContext"
        " && window.jupyterapp.shell.currentWidget.sessionContext.session"
        " && window.jupyterapp.shell.currentWidget.sessionContext.session.kernel"
        " && window.jupyterapp.shell.currentWidget.sessionContext.session.kernel.status === 'idle'",
        timeout=60_000)


def _outputs_text(page) -> str:
    return "\n".join(page.locator(".jp-OutputArea-output").all_inner_texts()).replace("\xa0", " ")


def _texts(locator) -> list[str]:
    """Texts as a reader sees them (ipywidgets writes option labels with non-breaking spaces)."""
    return [t.replace("\xa0", " ") for t in locator.all_inner_texts()]


def _select(page, css: str, label: str) -> None:
    options = page.locator(f"{css} select option")
    options.first.wait_for(state="attached")
    page.wait_for_function("([css, label]) => [...document.querySelectorAll(css + ' select option')]"
                           ".some(o => o.textContent.replace(/\\u00a0/g, ' ') === label)", arg=[css, label])
    index = _texts(options).index(label)
    page.locator(f"{css} select").select_option(index=index)


def _type(page, css: str, text: str) -> None:
    box = page.locator(f"{css} input")
    box.fill(text)
    box.press("Enter")  # IntText and friends send their value on Enter/blur


def _click(page, css: str) -> None:
    page.locator(f"button{css}").click()


def test_order_builder_and_comparison_panel_in_jupyterlab(lab, page):
    (lab.root / "analyst.ipynb").write_text(json.dumps(_notebook(SETUP, PANEL)))
    _open(page, lab, "analyst.ipynb")
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")

    # both outputs are live widgets, not their text or HTML fallback (what a missing widget manager shows)
    outputs = page.locator(".jp-OutputArea-output")
    page.locator(".ocdata-comparison-panel, .ocdata-static, .jp-OutputArea-output:has-text('ComparisonPanel')"
                 ).last.wait_for(timeout=90_000)
    builder = page.locator(".ocdata-order-builder")
    panel = page.locator(".ocdata-comparison-panel")
    assert builder.count() == 1 and panel.count() == 1, (
        "the widgets did not render (widget manager missing?); the page shows: " + _outputs_text(page)[:300])
    assert outputs.count() == 2
    shown = _outputs_text(page)
    assert not UNTRUSTED_TEXT.search(shown) and "Run the cell" not in shown, shown[:500]
    assert "Error displaying widget" not in shown

    # -- malformed input is refused at "Add product", before any request
    status = page.locator(".ocdata-order-builder .ocdata-status")
    _type(page, ".ocdata-product-id", "99999")
    _click(page, ".ocdata-add")
    page.wait_for_function("() => document.querySelector('.ocdata-order-builder .ocdata-status')"
                           ".innerText.includes('the store has no product 99999')")
    assert page.locator(".ocdata-lines select option").count() == 0

    # -- a product with a required option, from the store's catalogue: a dropdown of its values
    _select(page, ".ocdata-known-products", "Canon EOS 5D (#30)")
    page.locator(".ocdata-option-226 select").wait_for()
    choices = _texts(page.locator(".ocdata-option-226 select option"))
    assert choices == ["— choose —", "Red", "Blue"]
    _select(page, ".ocdata-option-226", "Red")
    _type(page, ".ocdata-quantity", "3")  # only 2 red ones in stock: the store will refuse the quote
    _click(page, ".ocdata-add")
    lines = page.locator(".ocdata-lines select option")
    lines.first.wait_for(state="attached")
    assert _texts(lines) == ["1. 3 × Canon EOS 5D (#30) [Select: Red]"]

    # -- destination: country -> its zones, postcode; the "incomplete" message follows the form
    _select(page, ".ocdata-country", "United Kingdom (GB)")
    _select(page, ".ocdata-zone", "Greater London")
    page.wait_for_function("() => document.querySelector('.ocdata-order-builder .ocdata-status')"
                           ".innerText.includes('Enter a postcode')")
    _type(page, ".ocdata-postcode", "SW1A 1AA")
    page.wait_for_function("() => !document.querySelector('.ocdata-order-builder .ocdata-status')"
                           ".innerText.includes('Enter a postcode')")

    # -- a store error, shown beside the field it concerns
    _click(page, ".ocdata-quote")
    lines_error = page.locator(".ocdata-error-lines")
    page.wait_for_function("() => document.querySelector('.ocdata-error-lines').innerText.includes('not available')",
                           timeout=30_000)
    assert "option 226: Option not available in the desired quantity" in lines_error.inner_text()
    assert "The store refused the quote" in status.inner_text()
    assert "The last quote failed" in page.locator(".ocdata-quote-html").inner_text()
    builder.screenshot(path=str(ARTIFACTS / "order-builder-store-error.png"))

    # -- fix it: one blue camera; quote: every shipping method with its totals
    page.locator(".ocdata-lines select").select_option(index=0)
    _click(page, ".ocdata-remove")
    page.wait_for_function("() => document.querySelector('.ocdata-error-lines').innerText.trim() === ''")
    _select(page, ".ocdata-known-products", "Canon EOS 5D (#30)")
    _select(page, ".ocdata-option-226", "Blue")
    _type(page, ".ocdata-quantity", "1")
    _click(page, ".ocdata-add")
    page.wait_for_function("() => document.querySelector('.ocdata-lines select').innerText"
                           ".replace(/\\u00a0/g, ' ').includes('Select: Blue')")
    _click(page, ".ocdata-quote")
    page.wait_for_function("() => document.querySelector('.ocdata-order-builder .ocdata-status')"
                           ".innerText.includes('Quoted 4 shipping method(s) to United Kingdom')", timeout=30_000)
    quote = page.locator(".ocdata-quote-html")
    methods = quote.locator("table").nth(1).locator("tbody tr")
    rows = [r.split("\t") for r in methods.all_inner_texts()]
    assert [r[0] for r in rows] == ["Flat Shipping Rate", "UK Shipping (Weight: 0.00kg)", "Per Item Shipping Rate",
                                    "Pickup From Store"]
    assert all(re.fullmatch(r"\$\d+\.\d\d", r[3]) for r in rows), rows  # order total, with the currency
    assert page.locator(".ocdata-shipping select option").count() == 4
    builder.screenshot(path=str(ARTIFACTS / "order-builder-quote.png"))

    # -- confirm a test order and see its id
    confirm = page.locator("button.ocdata-confirm")
    assert confirm.is_enabled()
    confirm.click()
    page.wait_for_function("() => /Order #\\d+ created/.test(document.querySelector("
                           "'.ocdata-order-builder .ocdata-status').innerText)", timeout=30_000)
    order_id = re.search(r"Order #(\d+) created", status.inner_text()).group(1)
    assert f"Order #{order_id}" in page.locator(".ocdata-order-html").inner_text()
    assert page.locator("button.ocdata-confirm").is_disabled()  # no second order from a second click
    builder.screenshot(path=str(ARTIFACTS / "order-builder-confirmed.png"))

    # -- a small comparison: its table and its chart
    page.locator(".ocdata-carts select").select_option(["iPhone"])
    page.locator(".ocdata-destinations select").select_option(["London", "California"])
    assert "Left out of the comparison: pickup" in page.locator(".ocdata-excluded").inner_text()
    _click(page, ".ocdata-run")
    page.wait_for_function("() => document.querySelector('.ocdata-comparison-panel .ocdata-status')"
                           ".innerText.includes('Compared 2 scenario(s)')", timeout=60_000)
    table = page.locator(".ocdata-cheapest table")
    table.wait_for()
    assert "amounts in $" in page.locator(".ocdata-cheapest").inner_text()
    cells = [r.split("\t") for r in table.locator("tbody tr").all_inner_texts()]
    assert [(c[0], c[1], c[3]) for c in cells] == [("iPhone", "London", "Per Item"), ("iPhone", "California",
                                                                                        "Per Item")]
    chart = page.locator(".ocdata-chart-html svg")
    chart.wait_for()
    assert "Flat Rate" in page.locator(".ocdata-chart-html").inner_html()
    assert "$131.20" in page.locator(".ocdata-chart-html").inner_html()
    box = chart.bounding_box()
    assert box["width"] > 300 and box["height"] > 150, box
    assert page.locator(".ocdata-chart-html img").count() == 0  # no raster image (and no broken-image icon)
    assert "Running…" not in page.locator(".ocdata-cheapest").inner_text()
    panel.screenshot(path=str(ARTIFACTS / "comparison-panel.png"))
    assert not page.js_errors, page.js_errors


def test_saved_notebook_shows_no_text_repr_before_it_is_run(lab, page):
    shutil.copy(ROOT / "notebooks" / "06-test-orders.ipynb", lab.root / "saved.ipynb")
    page.goto(lab.notebook_url("saved.ipynb"))
    page.wait_for_selector(".jp-Notebook .jp-OutputArea-output", timeout=60_000)
    page.locator(".ocdata-static, .ocdata-order-builder").first.wait_for(timeout=30_000)
    shown = _outputs_text(page)
    assert not UNTRUSTED_TEXT.search(shown), shown[:500]
    page.screenshot(path=str(ARTIFACTS / "saved-notebook.png"))
