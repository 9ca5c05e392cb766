"""``ocdata demo``: a shipping and tax study on the embedded sandbox, end to end.

It starts the sandbox (the ``rich`` store: five shipping methods, a US tax zone, a
Wholesale group), connects with the ``spec`` dialect — whose server session holds the
addresses and customer, so tax follows the destination and prices follow the customer
group, as on OpenCart's storefront — runs 4 carts x 12 destinations in 3 countries x 2
customer groups, prints the cheapest method per destination and the effective tax rates,
and writes the quotes (CSV, Parquet) and a chart (PNG). Amounts are printed with their
currency and ties for cheapest are written out. It ends by saying where the cache is and
what to run next. Run it again and every scenario comes from the DuckDB cache.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ocdata import compare, plots
from ocdata.cache import Cache, default_path
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
        view_columns = _study_quotes_columns(cache)
    echo(f"{len(CARTS)} carts x {len(DESTINATIONS)} destinations x {len(CUSTOMER_GROUPS)} customer groups = "
         f"{report.summary()}.")
    for group in report.errors:
        echo(f"  {group}")
    for message in report.warnings:
        echo(f"warning: {message}")
    echo("")
    echo(summary_text(quotes))
    echo("")
    currency = _currency(quotes, "session_currency")
    echo(f"Test order {order.order_id} confirmed (London, 'iPhone + iPod', cheapest delivery): total "
         f"{_amount(order.total, currency)}, {len(order.products)} product lines; recorded in the cache's "
         f"orders, order_totals and order_products tables.")
    files = write_outputs(quotes, out)
    echo("")
    echo("Wrote " + ", ".join(str(f) for f in files))
    echo("")
    echo(next_steps(db, view_columns=view_columns))
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
    but is not a delivery). Where several methods tie for cheapest, the row is the first in
    the store's order, ``tied`` is True and ``methods`` names them all (``"Flat Rate = Per Item"``).
    """
    delivered = quotes[~quotes["method_code"].isin(exclude)]
    ranked = compare.rank(delivered, on="cost")
    best = ranked[ranked["cheapest"]].sort_values("sort_order", kind="stable")
    keys = ["cart", "destination", "customer_group_id"]
    methods = best.groupby(keys, sort=False)["method_name"].agg(lambda names: " = ".join(dict.fromkeys(names)))
    best = best.drop_duplicates(keys)
    best = best.assign(methods=methods.reindex(pd.MultiIndex.from_frame(best[keys])).to_numpy(),
                       tied=best["n_cheapest"].to_numpy() > 1)
    table = best[keys + ["method_name", "name", "methods", "tied", "cost", "cost_with_tax", "total"]]
    return table.sort_values(keys).reset_index(drop=True)


def summary_text(quotes: pd.DataFrame) -> str:
    """The printed summary: cheapest delivery per destination and effective tax rates."""
    group = CUSTOMER_GROUPS[0]
    best = cheapest_table(quotes)
    best = best[best["customer_group_id"] == group]
    cells = best.assign(cell=best["methods"].astype(str) + " " + best["cost"].map("{:,.2f}".format))
    table = cells.pivot(index="destination", columns="cart", values="cell")
    table = table.reindex(index=list(DESTINATIONS), columns=list(CARTS)).fillna("-")
    currency = _currency(quotes, "currency")
    lines = [f"Cheapest delivery (pickup excluded), cost before tax in {currency or 'the store currency'}, "
             f"customer group {GROUP_NAMES[group]}:", table.to_string()]
    if best["tied"].any():
        lines.append("('A = B': both methods cost the same, the cheapest)")
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
    """Quotes as CSV and Parquet, and the destination x method cost heatmap of one cart and
    customer group (named on the chart; pickup left out, as in the summary) as PNG."""
    csv, parquet, png = out / "quotes.csv", out / "quotes.parquet", out / "shipping-cost-heatmap.png"
    quotes.to_csv(csv, index=False)
    quotes.to_parquet(parquet, index=False)
    cart, group = "iPhone + iPod", CUSTOMER_GROUPS[0]
    subset = quotes[(quotes["cart"] == cart) & (quotes["customer_group_id"] == group)
                    & (quotes["method_code"] != "pickup")]
    currency = _currency(quotes, "currency")
    figure = plots.cost_heatmap(subset, value="cost", index="destination", columns="quote_code",
                                group_names=GROUP_NAMES,
                                title=f"Shipping cost before tax ({currency}), pickup excluded" if currency
                                else "Shipping cost before tax, pickup excluded")
    figure.savefig(png, dpi=110)
    return [csv, parquet, png]


def next_steps(db: Path | str, *, view_columns: set[str] | frozenset[str] = frozenset()) -> str:
    """Where the cache is and what to run next; ``view_columns``: the cache's ``study_quotes``
    columns (a query on that view when it has what the example needs, else on the tables)."""
    where = Path(db).expanduser().resolve() if str(db) != ":memory:" else db
    db_arg = "" if str(where) == str(default_path().expanduser().resolve()) else f" --db {where}"
    study = next((c for c in ("study", "study_id") if c in view_columns), None)
    if study and {"destination", "method_name", "cost", "cart"} <= view_columns:
        shown = ", ".join(c for c in ("destination", "method_name", "cost", "total", "currency") if c in view_columns)
        query = f"SELECT {shown} FROM study_quotes WHERE {study} = 'ocdata-demo' AND cart = 'iPhone' LIMIT 10"
    else:
        query = ("SELECT ss.destination, q.method_name, q.cost, q.total FROM quotes q JOIN study_scenarios ss "
                 "USING (scenario_key) WHERE ss.study_id = 'ocdata-demo' AND ss.cart = 'iPhone' LIMIT 10")
    return "\n".join([
        f"The cache is {where}: every quote, total line and payment method, and the test order "
        f"(orders, order_products).",
        "Next:",
        f"  ocdata sql \"{query}\"{db_arg}",
        f"  ocdata sql \"SELECT order_id, name, quantity, price FROM order_products\"{db_arg}",
        "  ocdata sandbox        # serve the store yourself: prints its URL, API username and key",
        "  jupyter lab notebooks/  # 01-quickstart, 02-shipping-study, 03-widgets (in the ocdata repository)",
    ])


def _study_quotes_columns(cache: Cache) -> frozenset[str]:
    """The columns of the cache's ``study_quotes`` view (none when it has no such view)."""
    try:
        found = cache.sql("SELECT column_name FROM information_schema.columns WHERE table_name = 'study_quotes'")
    except Exception:  # noqa: BLE001 - a closed or foreign cache: suggest the plain tables
        return frozenset()
    return frozenset(found["column_name"].astype(str))


def _currency(quotes: pd.DataFrame, column: str) -> str | None:
    codes = sorted(set(quotes[column].dropna().astype(str))) if column in quotes.columns else []
    return ", ".join(codes) or None


def _amount(value, currency: str | None) -> str:
    return f"{value:,.2f} {currency}" if currency else f"{value:,.2f}"
