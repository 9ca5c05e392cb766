"""ComparisonModel: studies run against the live rich sandbox, cheapest methods, filters and failures."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from matplotlib.figure import Figure

from ocdata.cache import Cache
from ocdata.client.models import Address, CartLine
from ocdata.widgets.comparison_model import ComparisonModel, parse_destination_text


def ipods(store, cache, **kw) -> ComparisonModel:
    model = ComparisonModel(store, cache=cache, **kw)
    model.selected_carts = ["2 iPod Classic"]
    model.selected_destinations = ["London", "New York"]
    model.selected_groups = [1, 3]
    return model


def cheapest(model: ComparisonModel) -> dict[tuple[str, int], list[tuple[str, float]]]:
    table = model.cheapest_table()
    out: dict[tuple[str, int], list[tuple[str, float]]] = {}
    for row in table.itertuples():
        out.setdefault((row.destination, row.customer_group_id), []).append((row.quote_code, row.total))
    return out


def test_defaults_offer_demo_carts_destinations_and_groups(store, memory_cache):
    model = ComparisonModel(store, cache=memory_cache)
    assert model.carts["2 iPod Classic"] == (CartLine(product_id=48, quantity=2),)
    assert model.destinations["London"] == Address(country="GB", zone="LDN", postcode="SW1A 1AA")
    assert model.selected_carts == list(model.carts) and model.selected_groups == [1]
    assert model.frame is None and model.cheapest_table().empty and model.figure() is None


def test_cheapest_method_per_scenario(store, memory_cache):
    model = ipods(store, memory_cache)
    frame = model.run()
    assert frame is model.frame and model.notice.title == "Compared 4 scenario(s)."
    assert set(frame["quote_code"].dropna()) >= {"free.free", "weight.weight_4", "weight.weight_5", "pickup.pickup"}
    # like the demo, pickup is a collection, not a delivery: left out of "cheapest" by default, and said so
    assert model.excluded_methods == ["pickup"]
    assert "Left out of the comparison: Pickup (pickup) (a collection from the store, not a delivery)" in \
        model.excluded_text()
    best = cheapest(model)
    assert best[("London", 1)] == [("free.free", 242.0)]
    # Wholesale pays 90.00 a unit: under the 200.00 free-shipping threshold; flat and item tie at 5.00
    assert best[("London", 3)] == [("flat.flat", 226.0), ("item.item", 226.0)]
    assert best[("New York", 1)] == [("flat.flat", 205.0), ("item.item", 205.0)]
    assert model.cheapest_table()["n_methods"].tolist()[0] == 4  # London g1 without pickup: flat, weight, item, free
    table = model.shown_table()
    assert table.loc[0, "method_name"] == "Free Shipping" and table.loc[0, "customer_group"] == "Default"
    # asked for, pickup (free) wins everywhere
    model.excluded_methods = []
    assert cheapest(model)[("London", 1)] == [("free.free", 242.0), ("pickup.pickup", 242.0)]
    assert cheapest(model)[("New York", 1)] == [("pickup.pickup", 200.0)]
    assert model.excluded_text() == "Every shipping method is compared, collection methods included."


def test_metric_changes_what_cheapest_means(store, memory_cache):
    model = ipods(store, memory_cache)
    model.selected_destinations = ["California"]
    model.selected_groups = [1]
    model.excluded_methods = ["pickup.pickup"]
    model.run()
    model.metric = "cost_with_tax"
    by_tax = cheapest(model)[("California", 1)]
    model.metric = "cost"
    by_cost = cheapest(model)[("California", 1)]
    assert [c for c, _ in by_cost] == ["flat.flat", "item.item"]
    assert [c for c, _ in by_tax] == ["flat.flat", "item.item"]
    with pytest.raises(ValueError, match="metric 'price'"):
        model.metric = "price"


def test_unpriceable_scenario_is_reported_not_dropped(store, memory_cache):
    model = ipods(store, memory_cache)
    # studies fill a missing postcode; one the store refuses (over 10 characters) stays refused
    assert model.add_destination("Berlin, bad postcode", "DE-BE 12345678901")
    model.selected_destinations = ["Berlin, bad postcode", "New York"]
    model.selected_groups = [1]
    model.run()
    assert model.notice.level == "warning"
    assert model.notice.title == "1 of 2 scenario(s) could not be priced."
    # 4.1 runs the address step silently inside shipping_methods, so this is what the store says
    assert model.notice.details == ("2 iPod Classic → Berlin, bad postcode (Default): "
                                    "Warning: Shipping address required!",)
    table = model.cheapest_table()
    row = table[table["destination"] == "Berlin, bad postcode"].iloc[0]
    assert row["status"] == "unavailable" and row["quote_code"] is None and math.isnan(row["total"])
    assert row["n_methods"] == 0


def test_adding_choices_validates_them(store, memory_cache):
    model = ComparisonModel(store, cache=memory_cache)
    assert not model.add_cart("bad", "40 by 2")
    assert model.notice.title == "This cart cannot be added."
    assert model.add_cart("bundle", "40x1, 48x2")
    assert model.carts["bundle"] == (CartLine(product_id=40), CartLine(product_id=48, quantity=2))
    assert model.selected_carts[-1] == "bundle"
    assert not model.add_destination("x", "  ")
    assert model.add_destination("", "GB-YSW LS1 1AA")
    assert model.destinations["GB-YSW LS1 1AA"] == Address(country="GB", zone="YSW", postcode="LS1 1AA")
    assert parse_destination_text("US-CA") == Address(country="US", zone="CA")


def test_empty_selection_is_explained_until_it_is_made(store, memory_cache):
    model = ComparisonModel(store, cache=memory_cache)
    model.select(destinations=[], groups=[])
    assert model.run() is None
    assert model.notice.details == ("Pick at least one destination.", "Pick at least one customer group.")
    model.select(groups=[1])
    assert model.notice.details == ("Pick at least one destination.",)
    model.select(destinations=["London"])
    assert model.notice is None


def test_study_failure_is_a_notice_and_keeps_previous_results(store):
    cache = Cache(":memory:")
    model = ipods(store, cache)
    model.selected_destinations = ["New York"]
    first = model.run()
    cache.close()
    assert model.run() is None
    assert model.notice.level == "error" and model.notice.title.startswith("The study failed")
    assert model.frame is first


def test_a_study_frame_is_filtered_not_re_run(store, memory_cache):
    frame = ipods(store, memory_cache).run()
    model = ComparisonModel(frame, customer_groups={3: "Wholesale"})
    assert list(model.carts) == ["2 iPod Classic"] and list(model.destinations) == ["London", "New York"]
    assert model.customer_groups == {1: "group 1", 3: "Wholesale"}
    assert not model.can_add and not model.add_cart("x", "40x1")
    model.selected_groups = [3]
    model.selected_destinations = ["New York"]
    out = model.run()
    assert set(out["customer_group_id"]) == {3} and set(out["destination"].astype(str)) == {"New York"}
    assert model.notice.title == "Compared 1 scenario(s)."


def test_not_a_store_nor_a_frame():
    with pytest.raises(TypeError, match="needs a connected store or a study frame"):
        ComparisonModel(None)


def test_charts_compare_one_cart_with_names_and_currency(store, memory_cache):
    model = ipods(store, memory_cache)
    model.selected_carts = ["iPhone", "2 iPod Classic"]
    model.run()
    assert model.money.unit == "$"
    assert model.chart_carts() == ["iPhone", "2 iPod Classic"] and model.chart_cart == "iPhone"
    model.chart_cart = "2 iPod Classic"
    heat = model.figure()
    ax = heat.axes[0]
    assert isinstance(heat, Figure) and ax.get_title() == ("Order total ($), cart '2 iPod Classic', by destination "
                                                           "and shipping method")
    # methods by name (wrapped to the cell), in the store's order
    assert sorted(t.get_text().replace("\n", " ") for t in ax.get_xticklabels()) == [
        "Flat Rate", "Free Shipping", "Per Item", "Weight Based Shipping"]
    # one row per destination and group: every cell is one scenario's price, never a mean over carts
    assert [t.get_text() for t in ax.get_yticklabels()] == ["London · Default", "London · Wholesale",
                                                            "New York · Default", "New York · Wholesale"]
    cells = [t.get_text() for t in ax.texts]
    assert "$242.00" in cells and "$226.00 tie" in cells and all(c.startswith("$") or c == "n/a" for c in cells)
    assert heat.axes[-1].get_ylabel() == "total ($)"
    tax = model.figure("tax")
    legend = tax.axes[0].get_legend()
    assert [t.get_text() for t in legend.get_texts()] == ["tax on shipping", "Default: products", "Wholesale: products"]
    assert legend.get_bbox_to_anchor().x0 >= tax.axes[0].get_window_extent().x1 - 1  # beside the bars, not on them
    with pytest.raises(ValueError, match="chart 'pie'"):
        model.figure("pie")
    assert isinstance(model.pivot_table(), pd.DataFrame)
    assert "pickup.pickup" not in model.pivot_table().columns


def test_a_run_can_be_cancelled_and_resumed(store, memory_cache):
    import threading

    model = ipods(store, memory_cache)
    cancel = threading.Event()
    cancel.set()
    job = model.begin_run(cancel=cancel)
    with pytest.raises(BaseException) as caught:
        job()
    assert model.finish_run(None, caught.value) is None
    assert model.notice.level == "warning" and model.notice.title.startswith("Run cancelled.")
    assert model.frame is None
    assert model.run() is not None and model.notice.title == "Compared 4 scenario(s)."
