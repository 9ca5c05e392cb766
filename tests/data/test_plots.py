"""Charts an analyst can read: currencies on axes, methods and groups by name, ties visible,
legends beside the bars; and compare.rank's tie flags."""

from __future__ import annotations

import matplotlib
import numpy as np
import pandas as pd
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.patches import Rectangle

from ocdata import compare, plots

matplotlib.use("Agg")

METHODS = {  # quote_code: (method_name, quote title, sort_order)
    "flat.flat": ("Flat Rate", "Flat Shipping Rate", 1),
    "weight.weight_4": ("Weight Based Shipping", "UK Shipping (Weight: 1.00kg)", 2),
    "weight.weight_5": ("Weight Based Shipping", "US Shipping (Weight: 1.00kg)", 2),
    "item.item": ("Per Item", "Per Item Shipping Rate", 3),
}
# (cart, destination, group) -> {quote_code: cost}; London ties flat and item at 5.00 for cart "a"
COSTS = {
    ("a", "London", 1): {"flat.flat": 5.0, "weight.weight_4": 7.0, "item.item": 5.0},
    ("a", "Boston", 1): {"flat.flat": 5.0, "weight.weight_5": 4.0, "item.item": 2.5},
    ("a", "London", 3): {"flat.flat": 5.0, "weight.weight_4": 6.0, "item.item": 4.0},
    ("a", "Boston", 3): {"flat.flat": 5.0, "weight.weight_5": 3.0, "item.item": 2.5},
    ("b", "London", 1): {"flat.flat": 5.0, "weight.weight_4": 9.0, "item.item": 10.0},
    ("b", "Boston", 1): {"flat.flat": 5.0, "weight.weight_5": 8.0, "item.item": 5.0},
    ("b", "London", 3): {"flat.flat": 5.0, "weight.weight_4": 8.0, "item.item": 10.0},
    ("b", "Boston", 3): {"flat.flat": 5.0, "weight.weight_5": 7.0, "item.item": 5.0},
}
GROUPS = {1: "Default", 3: "Wholesale"}


def study_frame(costs=COSTS, currency="EUR") -> pd.DataFrame:
    rows = []
    for sid, ((cart, dest, group), quotes) in enumerate(costs.items()):
        for code, cost in quotes.items():
            method, title, order = METHODS[code]
            tax = 0.2 * cost if dest == "London" else 0.0
            rows.append({"study": "s", "store": "http://x/", "scenario_id": sid, "cart": cart, "destination": dest,
                         "customer_group_id": group, "method_code": code.split(".")[0], "quote_code": code,
                         "method_name": method, "name": title, "sort_order": order, "cost": cost,
                         "sub_total": 100.0, "cart_tax": 20.0 if dest == "London" else 0.0,
                         "tax": (20.0 if dest == "London" else 0.0) + tax, "shipping_tax": tax,
                         "cost_with_tax": cost + tax, "total": 100.0 + cost + tax + (20.0 if dest == "London" else 0),
                         "status": "ok", "error": None, "currency": currency, "session_currency": currency})
    df = pd.DataFrame(rows)
    for c in ("cart", "destination", "quote_code", "method_code", "status", "currency", "session_currency"):
        df[c] = df[c].astype("category")
    return df


def rendered(fig):
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    return canvas.get_renderer()


def texts(ax) -> list[str]:
    return [t.get_text() for t in ax.texts]


def test_rank_flags_ties_for_cheapest():
    r = compare.rank(study_frame())
    london = r[r["scenario_id"] == 0].set_index("quote_code")
    assert london.loc["flat.flat", "rank"] == london.loc["item.item", "rank"] == 1
    assert london["cheapest"].to_dict() == {"flat.flat": True, "item.item": True, "weight.weight_4": False,
                                            "weight.weight_5": False}
    assert london["tied"].to_dict() == {"flat.flat": True, "item.item": True, "weight.weight_4": False,
                                        "weight.weight_5": False}  # weight_5: not offered in London
    assert (london["n_cheapest"] == 2).all()
    boston = r[r["scenario_id"] == 1].set_index("quote_code")
    assert not boston["tied"].any() and (boston["n_cheapest"] == 1).all()
    assert boston.loc["weight.weight_4", "status"] == "unavailable" and not boston.loc["weight.weight_4", "tied"]
    # a tie below the cheapest is a tie too, not a tie for cheapest
    b = r[(r["scenario_id"] == 4)].set_index("quote_code")  # cart b, London: flat 5 < weight 9 < item 10
    assert not b["tied"].any()


def test_heatmap_names_currency_methods_cart_and_group():
    df = study_frame()
    one = df[(df["cart"] == "a") & (df["customer_group_id"] == 3)]
    fig = plots.cost_heatmap(one, group_names=GROUPS)
    ax = fig.axes[0]
    assert fig.axes[-1].get_ylabel() == "shipping cost before tax (EUR)"  # the colour bar
    title = ax.get_title()
    assert "(EUR)" in title and "cart 'a', customer group Wholesale" in title
    ticks = [t.get_text() for t in ax.get_xticklabels()]
    assert ticks[0].startswith("Flat Rate") and ticks[0].endswith("flat.flat")
    assert any(t.startswith("Weight Based\nShipping: UK") and t.endswith("weight.weight_4") for t in ticks)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["London", "Boston"]  # the frame's order


def test_heatmap_outlines_the_cheapest_and_writes_ties():
    df = study_frame()
    fig = plots.cost_heatmap(df[(df["cart"] == "a") & (df["customer_group_id"] == 1)], group_names=GROUPS)
    ax = fig.axes[0]
    cells = texts(ax)
    assert cells.count("5.00 tie") == 2 and "2.50" in cells and "7.00" in cells
    outlined = [p for p in ax.patches if isinstance(p, Rectangle) and not p.get_fill()]
    assert len(outlined) == 3  # London: flat and item; Boston: item
    assert "'tie'" in fig.get_supxlabel()


def test_heatmap_facets_by_cart_and_group():
    fig = plots.cost_heatmap(study_frame(), group_names=GROUPS)
    panels = [ax for ax in fig.axes if ax.get_title()]
    assert sorted(ax.get_title() for ax in panels) == [
        "cart 'a', customer group Default", "cart 'a', customer group Wholesale",
        "cart 'b', customer group Default", "cart 'b', customer group Wholesale"]
    assert "(EUR)" in fig.get_suptitle()
    wholesale_a = next(ax for ax in panels if ax.get_title() == "cart 'a', customer group Wholesale")
    assert "6.00" in texts(wholesale_a) and "7.00" not in texts(wholesale_a)


def test_heatmap_keeps_its_old_call_shapes():
    df = study_frame()
    fig = plots.cost_heatmap(df[df["cart"] == "b"], "cost_with_tax", "destination", "method_name", "mean", "T")
    assert fig.get_suptitle() == "T"
    assert fig.axes[-1].get_ylabel() == "shipping cost with tax (EUR)"


def _overlaps(a, b) -> bool:
    return a.x0 < b.x1 and b.x0 < a.x1 and a.y0 < b.y1 and b.y0 < a.y1


def _assert_legend_clear_of_bars(fig):
    renderer = rendered(fig)
    ax = fig.axes[0]
    legend = ax.get_legend().get_window_extent(renderer)
    bars = [p.get_window_extent(renderer) for p in ax.patches if p.get_height() != 0]
    assert bars and not any(_overlaps(legend, b) for b in bars)
    assert legend.x0 >= ax.get_window_extent(renderer).x1  # beside the plot, not on it


def test_tax_chart_names_groups_and_keeps_its_legend_off_the_bars():
    df = study_frame()
    tax = compare.effective_tax(df)
    fig = plots.tax_rate_chart(tax, group_names=GROUPS)
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert labels == ["tax on shipping", "Default: products", "Wholesale: products"]
    _assert_legend_clear_of_bars(fig)
    # without names: the group id, said to be one
    unnamed = [t.get_text() for t in plots.tax_rate_chart(tax).axes[0].get_legend().get_texts()]
    assert "customer group 1: products" in unnamed


def test_delta_bars_name_methods_with_codes_and_the_currency():
    d = compare.deltas(study_frame(), baseline={"method": "flat.flat"})
    fig = plots.delta_bars(d)
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["Flat Rate (flat.flat)", "Weight Based Shipping: UK Shipping (weight.weight_4)",
                      "Weight Based Shipping: US Shipping (weight.weight_5)", "Per Item (item.item)"]
    assert ax.get_ylabel().endswith("(EUR)") and "shipping cost before tax" in ax.get_ylabel()
    _assert_legend_clear_of_bars(fig)
    pct = plots.delta_bars(d, value="delta_pct")
    assert pct.axes[0].get_ylabel().endswith("(%)")
    groups = plots.delta_bars(compare.deltas(study_frame(), baseline={"group": 1}), hue="customer_group_id",
                              group_names=GROUPS)
    assert [t.get_text() for t in groups.axes[0].get_legend().get_texts()] == ["Default", "Wholesale"]


def test_mixed_currencies_are_named_not_hidden():
    df = pd.concat([study_frame(currency="EUR").assign(store="http://eu/"),
                    study_frame(currency="USD").assign(store="http://us/")], ignore_index=True)
    assert plots.currency_of(df) == "EUR, USD"
    assert plots.axis_label("total", "GBP") == "order total (GBP)"
    assert plots.currency_of(df.drop(columns=["currency", "session_currency"])) is None


def test_charts_save_as_png(tmp_path):
    df = study_frame()
    for name, fig in {"heat": plots.cost_heatmap(df, group_names=GROUPS),
                      "tax": plots.tax_rate_chart(compare.effective_tax(df), group_names=GROUPS),
                      "delta": plots.delta_bars(compare.deltas(df, baseline={"method": "flat.flat"}))}.items():
        fig.savefig(tmp_path / f"{name}.png", dpi=60)
        assert (tmp_path / f"{name}.png").stat().st_size > 5000
    assert np.isfinite(compare.rank(df)["rank"].astype(float)).any()


def test_group_names_come_from_the_frame_when_it_has_them_and_missing_names_stay_codes():
    df = study_frame()
    df["customer_group"] = df["customer_group_id"].map(GROUPS)
    fig = plots.cost_heatmap(df[df["cart"] == "a"])
    assert sorted(ax.get_title() for ax in fig.axes if ax.get_title()) == [
        "cart 'a', customer group Default", "cart 'a', customer group Wholesale"]
    unnamed = df.assign(method_name=np.nan, name=np.nan)
    assert plots.method_labels(unnamed, ["flat.flat"]) == {"flat.flat": "flat.flat"}


def test_heatmap_without_facets_says_what_it_averages():
    fig = plots.cost_heatmap(study_frame(), facet=())
    assert len([ax for ax in fig.axes if ax.get_title()]) == 1
    assert fig.axes[0].get_title().endswith("mean over 2 carts, mean over 2 customer groups")
