"""ComparisonPanel driven through its widgets: selections, Run, metric, leaving methods out, errors."""

from __future__ import annotations

import threading

from ocdata.cache import Cache
from ocdata.widgets import ComparisonPanel


def small(panel: ComparisonPanel) -> ComparisonPanel:
    panel.carts.value = ("2 iPod Classic",)
    panel.destinations.value = ("London", "California")
    panel.groups.value = (1,)
    return panel


def run(panel: ComparisonPanel) -> None:
    panel.run_button.click()
    assert panel.wait()


def test_run_shows_the_cheapest_table_and_a_chart(store, memory_cache):
    panel = small(ComparisonPanel(store, cache=memory_cache))
    assert panel.chart_svg == "" and "press <i>Run</i>" in panel.table_html.value
    assert "Left out of the comparison: pickup" in panel.excluded_html.value
    run(panel)
    assert panel.notice.title == "Compared 2 scenario(s)."
    table = panel.table_html.value
    assert "Cheapest method per scenario by order total" in table and "amounts in $" in table
    assert "Free Shipping" in table and "$242.00" in table and "Pickup" not in table
    assert "free.free" not in table  # names, not codes
    assert panel.chart_svg.startswith("<div class='ocdata-chart'") and "<svg" in panel.chart_svg
    assert "Flat Rate" in panel.chart_svg and "$242.00" in panel.chart_svg  # text kept as text in the SVG
    assert panel.run_button.description == "Run" and not panel.run_button.disabled
    assert {v: k for k, v in panel.exclude.options} == {
        "flat": "Flat Rate (flat)", "weight": "Weight Based Shipping (weight)", "item": "Per Item (item)",
        "free": "Free Shipping (free)", "pickup": "Pickup (pickup)"}
    assert panel.exclude.value == ("pickup",)
    assert "Pickup (pickup) (a collection from the store, not a delivery)" in panel.excluded_html.value


def test_hint_names_the_run_button_even_while_running(store, memory_cache):
    release = threading.Event()

    class Slow:
        def __init__(self, inner):
            self.inner = inner

        def quote(self, draft, **kw):
            release.wait(10)
            return self.inner.quote(draft, **kw)

        def __getattr__(self, name):
            return getattr(self.inner, name)

    panel = small(ComparisonPanel(Slow(store), cache=memory_cache, concurrency=1))
    panel.run_button.click()
    assert panel.run_button.description == "Running…" and not panel.cancel_button.disabled
    panel.destinations.value = ("London",)  # the kernel is free: selections still answer
    assert "press <i>Run</i>" in panel.table_html.value and "Running…" not in panel.table_html.value
    panel.cancel_button.click()
    assert "Run cancelled." in panel.status.value and panel.run_button.description == "Run"
    release.set()
    assert panel.wait()
    assert panel.frame is None  # the cancelled run's result is dropped


def test_leaving_out_a_method_and_changing_the_metric_reuse_the_results(store, memory_cache):
    panel = small(ComparisonPanel(store, cache=memory_cache))
    run(panel)
    frame, chart = panel.frame, panel.chart_svg
    panel.exclude.value = ()
    assert "Pickup" in panel.table_html.value
    assert "Every shipping method is compared" in panel.excluded_html.value
    panel.metric.value = "cost"
    assert "Cheapest method per scenario by shipping cost before tax" in panel.table_html.value
    panel.chart.value = "tax"
    assert "Effective tax rate" in panel.chart_svg and panel.chart_svg != chart
    assert panel.chart_cart.layout.display == "none"
    assert panel.frame is frame  # nothing was re-run


def test_adding_a_destination_selects_it(store, memory_cache):
    panel = ComparisonPanel(store, cache=memory_cache)
    panel.new_label.value = "Leeds"
    panel.new_spec.value = "GB-YSW LS1 1AA"
    panel.add_destination_button.click()
    assert "Leeds" in panel.destinations.options and "Leeds" in panel.destinations.value
    assert panel.new_spec.value == ""
    panel.new_spec.value = "not a cart"
    panel.add_cart_button.click()
    assert "This cart cannot be added." in panel.status.value and panel.new_spec.value == "not a cart"


def test_errors_show_as_messages_and_go_when_fixed(store):
    cache = Cache(":memory:")
    panel = small(ComparisonPanel(store, cache=cache))
    panel.groups.value = ()
    panel.run_button.click()
    assert "Pick at least one customer group." in panel.status.value
    panel.groups.value = (1,)
    assert "Nothing to compare yet" not in panel.status.value
    cache.close()
    run(panel)
    assert "The study failed" in panel.status.value and "Traceback" not in panel.status.value


def test_panel_over_a_study_frame(store, memory_cache):
    runner = small(ComparisonPanel(store, cache=memory_cache))
    run(runner)
    panel = ComparisonPanel(runner.frame)
    assert panel.run_button.description == "Show"
    assert all(child is not panel.new_label for child in panel.children)
    panel.destinations.value = ("California",)
    run(panel)
    assert "California" in panel.table_html.value and "London" not in panel.table_html.value
