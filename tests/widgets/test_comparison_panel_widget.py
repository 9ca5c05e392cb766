"""ComparisonPanel driven through its widgets: selections, Run, metric, leaving methods out, errors."""

from __future__ import annotations

from ocdata.cache import Cache
from ocdata.widgets import ComparisonPanel

PNG = b"\x89PNG\r\n\x1a\n"


def small(panel: ComparisonPanel) -> ComparisonPanel:
    panel.carts.value = ("2 iPod Classic",)
    panel.destinations.value = ("London", "California")
    panel.groups.value = (1,)
    return panel


def test_run_shows_the_cheapest_table_and_a_chart(store, memory_cache):
    panel = small(ComparisonPanel(store, cache=memory_cache))
    assert panel.image.value == b"" and "press <i>Run</i>" in panel.table_html.value
    panel.run_button.click()
    assert panel.notice.title == "Compared 2 scenario(s)."
    assert "Cheapest method by total" in panel.table_html.value
    assert "free.free" in panel.table_html.value and "pickup.pickup" in panel.table_html.value
    assert bytes(panel.image.value).startswith(PNG)
    assert panel.run_button.description == "Run" and not panel.run_button.disabled
    assert set(panel.exclude.options) == {"flat.flat", "weight.weight_4", "weight.weight_5", "item.item",
                                          "free.free", "pickup.pickup"}


def test_leaving_out_a_method_and_changing_the_metric_reuse_the_results(store, memory_cache):
    panel = small(ComparisonPanel(store, cache=memory_cache))
    panel.run_button.click()
    frame, image = panel.frame, bytes(panel.image.value)
    panel.exclude.value = ("pickup.pickup",)
    assert "pickup.pickup" not in panel.table_html.value
    panel.metric.value = "cost"
    assert "Cheapest method by cost" in panel.table_html.value
    panel.chart.value = "tax"
    assert bytes(panel.image.value).startswith(PNG) and bytes(panel.image.value) != image
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


def test_errors_show_as_messages(store):
    cache = Cache(":memory:")
    panel = small(ComparisonPanel(store, cache=cache))
    panel.groups.value = ()
    panel.run_button.click()
    assert "Pick at least one customer group." in panel.status.value
    panel.groups.value = (1,)
    cache.close()
    panel.run_button.click()
    assert "The study failed" in panel.status.value and "Traceback" not in panel.status.value


def test_panel_over_a_study_frame(store, memory_cache):
    runner = small(ComparisonPanel(store, cache=memory_cache))
    runner.run_button.click()
    panel = ComparisonPanel(runner.frame)
    assert panel.run_button.description == "Show"
    assert all(child is not panel.new_label for child in panel.children)
    panel.destinations.value = ("California",)
    panel.run_button.click()
    assert "California" in panel.table_html.value and "London" not in panel.table_html.value
