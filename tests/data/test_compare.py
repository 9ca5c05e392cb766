"""Comparisons checked against numbers worked out by hand from the FakeStore rules (fakes.py)."""

from decimal import Decimal

import matplotlib
import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from fakes import FakeStore
from ocdata import compare, plots
from ocdata.study import Study

matplotlib.use("Agg")

CARTS = {"one": "40x1", "mix": "40x1, 30x2"}
DESTS = {"London": "GB-LND", "CA": "US-CA", "Berlin": "DE-BER", "bad": "XX"}


@pytest.fixture
def df(cache):
    return Study(FakeStore(), CARTS, DESTS, [1, 2], name="cmp", cache=cache).run(progress=False)


def _row(frame, **where):
    mask = np.ones(len(frame), dtype=bool)
    for k, v in where.items():
        mask &= (frame[k] == v).to_numpy()
    rows = frame[mask]
    assert len(rows) == 1, where
    return rows.iloc[0]


def test_complete_adds_unavailable_and_error_rows(df):
    full = compare.complete(df)
    # 16 scenarios x 3 methods, none dropped
    assert len(full) == 48
    assert full.groupby("scenario_id").size().eq(3).all()
    ca_item = _row(full, scenario_id=2, quote_code="item.item")  # one, CA, group 1
    assert ca_item["status"] == "unavailable" and np.isnan(ca_item["cost"])
    bad = full[full["destination"] == "bad"]
    assert len(bad) == 12 and (bad["status"] == "refused").all() and bad["error"].notna().all()
    assert set(bad["quote_code"]) == {"flat.flat", "item.item", "weight.weight_gb"}


def test_rank_and_cheapest(df):
    r = compare.rank(df)
    london = r[r["scenario_id"] == 0].set_index("quote_code")
    # one item to London: item 2.50 < weight 3 + 1 = 4.00 < flat 5.00
    assert london["rank"].to_dict() == {"flat.flat": 3, "item.item": 1, "weight.weight_gb": 2}
    assert london["cheapest"].to_dict() == {"flat.flat": False, "item.item": True, "weight.weight_gb": False}
    mix_london = r[r["scenario_id"] == 8].set_index("quote_code")
    # three items: weight 3 + 3 = 6.00 < item 7.50, flat 5.00 cheapest
    assert mix_london["rank"].tolist() == [1, 3, 2]
    ca = r[r["scenario_id"] == 2].set_index("quote_code")
    assert ca["rank"].isna().tolist() == [False, True, True] and ca["cheapest"].tolist() == [True, False, False]
    assert not r.loc[r["destination"] == "bad", "cheapest"].any()


def test_deltas_against_a_method(df):
    d = compare.deltas(df, {"method": "flat.flat"})
    row = _row(d, scenario_id=8, quote_code="item.item")  # 7.50 vs 5.00
    assert (row["baseline_cost"], row["delta"], row["delta_pct"]) == (5.0, 2.5, 50.0)
    row = _row(d, scenario_id=0, quote_code="weight.weight_gb")  # 4.00 vs 5.00
    assert (row["delta"], row["delta_pct"]) == (-1.0, -20.0)
    assert np.isnan(_row(d, scenario_id=2, quote_code="item.item")["delta"])  # unavailable stays, NaN
    assert len(d) == 48


def test_deltas_against_a_customer_group_on_totals(df):
    d = compare.deltas(df, {"customer_group_id": 1}, on="total")
    # one phone to Berlin by flat: group 1 pays 100 + 5 + 19 % of 105 = 124.95; group 2: 90 + 5 + 19 % of 95 = 113.05
    row = _row(d, cart="one", destination="Berlin", customer_group_id=2, quote_code="flat.flat")
    assert row["baseline_total"] == 124.95 and row["total"] == 113.05
    assert row["delta"] == pytest.approx(-11.90) and row["delta_pct"] == pytest.approx(-11.90 / 124.95 * 100)
    assert _row(d, cart="one", destination="Berlin", customer_group_id=1, quote_code="flat.flat")["delta"] == 0


def test_deltas_against_another_store(cache):
    a = Study(FakeStore(), CARTS, {"London": "GB-LND"}, name="store-a", cache=cache).run(progress=False)
    b = Study(FakeStore(url="http://other.example/", bump=Decimal("1.25")), CARTS, {"London": "GB-LND"},
              name="store-b", cache=cache).run(progress=False)
    both = pd.concat([a, b], ignore_index=True)
    d = compare.deltas(both, {"store": "http://fake.example/"})
    row = _row(d, store="http://other.example/", cart="one", quote_code="item.item")
    assert (row["baseline_cost"], row["cost"], row["delta"], row["delta_pct"]) == (2.5, 3.75, 1.25, 50.0)
    assert (d.loc[d["store"] == "http://fake.example/", "delta"] == 0).all()
    with pytest.raises(ValueError, match="no row matches"):
        compare.deltas(both, {"store": "http://nowhere/"})


def test_zero_baseline_gives_no_percentage():
    frame = pd.DataFrame({"scenario_id": [0, 0], "destination": ["x", "x"], "quote_code": ["free.free", "flat.flat"],
                          "cost": [0.0, 5.0], "status": ["ok", "ok"], "error": [None, None]})
    d = compare.deltas(frame, {"method": "free.free"})
    assert d.set_index("quote_code")["delta"].to_dict() == {"free.free": 0.0, "flat.flat": 5.0}
    assert d["delta_pct"].isna().all()


def test_shipping_cost_before_and_with_tax(df):
    s = compare.shipping_costs(df)
    row = _row(s, scenario_id=4, quote_code="flat.flat")  # Berlin: 5.00 + 19 % = 0.95
    assert (row["cost"], row["shipping_tax"], row["cost_with_tax"]) == (5.0, 0.95, 5.95)
    row = _row(s, scenario_id=2, quote_code="flat.flat")  # California: shipping untaxed
    assert (row["cost"], row["shipping_tax"], row["cost_with_tax"]) == (5.0, 0.0, 5.0)


def test_effective_tax_rate_by_destination_and_group(df):
    t = compare.effective_tax(df).set_index(["destination", "customer_group_id"])
    # California, group 1: carts 100 + 260 = 360 at 8 % = 28.80; shipping (flat 5.00 twice) untaxed
    ca = t.loc[("CA", 1)]
    assert (ca["sub_total"], ca["cart_tax"], ca["shipping_cost"], ca["shipping_tax"]) == (360.0, 28.8, 10.0, 0.0)
    assert ca["product_tax_rate"] == pytest.approx(0.08) and ca["shipping_tax_rate"] == 0
    assert ca["effective_tax_rate"] == pytest.approx(28.8 / 370)
    # London, group 2: carts 90 + 234 = 324, VAT 64.80; shipping 5 + 2.5 + 4 + 5 + 7.5 + 6 = 30, VAT 6.00
    gb = t.loc[("London", 2)]
    assert (gb["sub_total"], gb["cart_tax"], gb["shipping_cost"], gb["shipping_tax"]) == \
        (324.0, pytest.approx(64.8), 30.0, pytest.approx(6.0))
    assert gb["taxable"] == pytest.approx(3 * 324 + 30)  # each cart priced once per method
    assert gb["effective_tax_rate"] == pytest.approx(0.2)
    assert t.loc[("bad", 1)].isna().all()  # kept, with nothing to say
    per = compare.effective_tax(df, per_method=True).set_index(["destination", "customer_group_id", "quote_code"])
    assert per.loc[("Berlin", 1, "item.item"), "shipping_cost"] == 10.0  # 2.50 + 7.50
    assert np.isnan(per.loc[("Berlin", 1, "weight.weight_gb"), "shipping_cost"])


def test_pivot_keeps_missing_cells(df):
    p = compare.pivot(df, values="cost", index="destination", columns="quote_code", aggfunc="mean")
    assert list(p.index) == ["Berlin", "CA", "London", "bad"]
    assert p.loc["London", "weight.weight_gb"] == pytest.approx((4 + 6) / 2)
    assert np.isnan(p.loc["CA", "item.item"]) and p.loc["bad"].isna().all()
    s = compare.pivot(df, values="cost", aggfunc="sum")
    assert np.isnan(s.loc["CA", "item.item"]) and s.loc["Berlin", "item.item"] == 20.0


def test_charts_return_figures(df):
    heat = plots.cost_heatmap(df)
    assert isinstance(heat, Figure)
    texts = [t.get_text() for t in heat.axes[0].texts]
    assert texts.count("n/a") == 1 + 2 + 3 and "5.00" in texts  # Berlin: weight; CA: item, weight; bad: all
    bars = plots.delta_bars(compare.deltas(df, {"method": "flat.flat"}))
    assert isinstance(bars, Figure) and len(bars.axes[0].patches) == 4 * 3
    rates = plots.tax_rate_chart(compare.effective_tax(df))
    heights = sorted(round(p.get_height(), 6) for p in rates.axes[0].patches)
    assert heights == [0, 0, 8, 8, 19, 19, 20, 20]
    for fig in (heat, bars, rates):
        fig.savefig(__import__("io").BytesIO(), format="png")
