"""``ocdata demo``: a shipping and tax study on the embedded sandbox, end to end.

It starts the sandbox (the ``rich`` store: five shipping methods, a US tax zone, a
Wholesale group), connects with the ``spec`` dialect — whose server session holds the
addresses and customer, so tax follows the destination and prices follow the customer
group, as on OpenCart's storefront — runs 4 carts x 12 destinations in 3 countries x 2
customer groups, prints the cheapest method per destination and the effective tax rates,
and writes the quotes (CSV, Parquet) and a chart (PNG). Run it again and every scenario
comes from the DuckDB cache.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ocdata import compare, plots
from ocdata.cache import Cache
from ocdata.client import connect
from ocdata.client.errors import OcdataWarning
from ocdata.sandbox import serve
from ocdata.study import Study

#: carts on the rich store: weight-rate breaks, the free-shipping threshold (200.00), Wholesale prices
CARTS = {
    "iPhone": "40x1",
    "iPhone + iPod": "40x1, 48x1",
    "5 iPods": "48x5",
    "SyncMaster monitor": "33x1",
}
#: 12 destinations in 3 countries, as ISO country + OpenCart zone code
DESTINATIONS = {
    "London": "GB-LDN",
    "Manchester": "GB-MCH",
    "Leeds": "GB-YSW",
    "Lancashire": "GB-LANCS",
    "Los Angeles": "US-CA",
    "New York": "US-NY",
    "Portland": "US-OR",
    "Austin": "US-TX",
    "Berlin": "DE-BE",
    "Munich": "DE-BY",
    "Hamburg": "DE-HH",
    "Cologne": "DE-NW",
}
#: Default (1) and Wholesale (3)
CUSTOMER_GROUPS = (1, 3)
GROUP_NAMES = {1: "Default", 3: "Wholesale"}
DIALECT = "spec"
#: the cache keys answers by store URL, so the demo's sandbox keeps one address across runs
DEFAULT_PORT = 8099


@dataclass
class DemoResult:
    """What the demo produced: the quotes frame, the run report and the files written."""

    quotes: pd.DataFrame
    from_cache: int
    fetched: int
    failed: int
    files: list[Path]
    refused: int = 0


def run_demo(out: Path, db: Path | str, *, port: int = DEFAULT_PORT, concurrency: int = 8, progress: bool = True,
             latency_ms: float = 0, echo=print) -> DemoResult:
    """Run the demo study into ``out`` with its cache at ``db``; ``echo`` prints the summary.

    The sandbox listens on ``port``; a re-run on the same port is served from the cache.
    """
    out.mkdir(parents=True, exist_ok=True)
    with serve(store="rich", port=port, latency_ms=latency_ms) as shop, Cache(db) as cache:
        echo(f"Sandbox store 'rich' at {shop.url} — dialect {DIALECT!r}: tax follows the destination "
             f"and prices follow the customer group.")
        calls = cache.call_hook()
        store = connect(shop.url, shop.username, shop.key, dialect=DIALECT, workers=concurrency, hook=calls)
        calls.bind(store)
        with store:
            study = Study(store, carts=CARTS, destinations=DESTINATIONS, customer_groups=CUSTOMER_GROUPS,
                          name="ocdata-demo", cache=cache)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", OcdataWarning)  # the report below lists them once
                quotes = study.run(concurrency=concurrency, progress=progress)
            report = study.last_run
            order = confirm_test_order(cache.recording(store), study, quotes)
    echo(f"{len(CARTS)} carts x {len(DESTINATIONS)} destinations x {len(CUSTOMER_GROUPS)} customer groups = "
         f"{report.summary()}.")
    for group in report.errors:
        echo(f"  {group}")
    for message in report.warnings:
        echo(f"warning: {message}")
    echo("")
    echo(summary_text(quotes))
    echo("")
    echo(f"Test order {order.order_id} confirmed (London, 'iPhone + iPod', cheapest delivery): total "
         f"{order.total:,.2f}; recorded in the cache's orders tables.")
    files = write_outputs(quotes, out)
    echo("")
    echo("Wrote " + ", ".join(str(f) for f in files))
    return DemoResult(quotes, report.from_cache, report.fetched, report.failed, files, report.refused)


def confirm_test_order(store, study: Study, quotes: pd.DataFrame):
    """Confirm one scenario's order with its cheapest delivery and first payment method."""
    best = cheapest_table(quotes)
    row = best[(best["cart"] == "iPhone + iPod") & (best["destination"] == "London")
               & (best["customer_group_id"] == CUSTOMER_GROUPS[0])].iloc[0]
    scenario = next(s for s in study.scenarios if (s.cart, s.destination, s.customer_group_id)
                    == ("iPhone + iPod", "London", CUSTOMER_GROUPS[0]))
    draft = study.draft(scenario)
    quote = store.quote(draft)
    option = next(o for o in quote.options if o.quote.name == row["name"])
    draft = draft.model_copy(update={"shipping_method": option.quote,
                                     "payment_method": option.payment_methods[0]})
    return store.confirm(draft, comment="ocdata demo test order")


def cheapest_table(quotes: pd.DataFrame, *, exclude: tuple[str, ...] = ("pickup",)) -> pd.DataFrame:
    """Per cart, destination and group: the cheapest offered method and its cost before tax.

    ``exclude`` drops method codes first (by default in-store pickup, which costs nothing
    but is not a delivery).
    """
    delivered = quotes[~quotes["method_code"].isin(exclude)]
    ranked = compare.rank(delivered, on="cost")
    best = ranked[ranked["cheapest"]].sort_values("sort_order", kind="stable")
    best = best.drop_duplicates(["cart", "destination", "customer_group_id"])
    table = best[["cart", "destination", "customer_group_id", "method_name", "name", "cost", "cost_with_tax",
                  "total"]]
    return table.sort_values(["cart", "destination", "customer_group_id"]).reset_index(drop=True)


def summary_text(quotes: pd.DataFrame) -> str:
    """The printed summary: cheapest delivery per destination and effective tax rates."""
    group = CUSTOMER_GROUPS[0]
    best = cheapest_table(quotes)
    best = best[best["customer_group_id"] == group]
    cells = best.assign(cell=best["method_name"].astype(str) + " " + best["cost"].map("{:,.2f}".format))
    table = cells.pivot(index="destination", columns="cart", values="cell")
    table = table.reindex(index=list(DESTINATIONS), columns=list(CARTS)).fillna("-")
    lines = [f"Cheapest delivery (pickup excluded), cost before tax, customer group {GROUP_NAMES[group]}:",
             table.to_string()]
    tax = compare.effective_tax(quotes, by=("destination", "customer_group_id"))
    rates = tax.pivot(index="destination", columns="customer_group_id", values="effective_tax_rate")
    rates = rates.rename(columns=GROUP_NAMES).reindex(list(DESTINATIONS))
    shipping = tax[tax["customer_group_id"] == group].set_index("destination")["shipping_tax_rate"]
    rates["tax on shipping"] = shipping.reindex(rates.index)
    rates.columns.name = None
    lines += ["", "Effective tax rate (tax / taxable amount, all carts and methods) by destination and group:",
              rates.to_string(float_format=lambda v: f"{v:.1%}")]
    full = compare.complete(quotes)
    gaps = full[full["status"] != "ok"].groupby("status", observed=True).size()
    if len(gaps):
        lines += ["", "Kept as explicit rows: " + ", ".join(f"{n} {s}" for s, n in gaps.items())
                  + " (scenario x method pairs a destination is not offered, or errors)"]
    return "\n".join(lines)


def write_outputs(quotes: pd.DataFrame, out: Path) -> list[Path]:
    """Quotes as CSV and Parquet, and the destination x method cost heatmap as PNG."""
    csv, parquet, png = out / "quotes.csv", out / "quotes.parquet", out / "shipping-cost-heatmap.png"
    quotes.to_csv(csv, index=False)
    quotes.to_parquet(parquet, index=False)
    cart = "iPhone + iPod"
    subset = quotes[(quotes["cart"] == cart) & (quotes["customer_group_id"] == CUSTOMER_GROUPS[0])]
    figure = plots.cost_heatmap(subset, value="cost", index="destination", columns="method_name",
                                title=f"Shipping cost before tax, {cart!r} cart")
    figure.savefig(png, dpi=110)
    return [csv, parquet, png]
