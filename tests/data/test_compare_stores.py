"""compare.stores: the same grid on two stores, checked against the FakeStore rules (fakes.py) by hand.

The "3.0" store answers like OpenCart 3.0 does: payment methods by bare code (``cod``, not 4.x's
``cod.cod``), shipping methods without a method-level code, titles of its own.
"""

import warnings
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from fakes import FakeStore
from ocdata import compare
from ocdata.cache import Cache
from ocdata.client.errors import OcdataWarning, TransportError
from ocdata.study import Study

CARTS = {"one": "40x1", "mix": "40x1, 30x2"}
DESTS = {"London": "GB-LND", "CA": "US-CA", "Berlin": "DE-BER"}


class Store(FakeStore):
    """A FakeStore that knows its currencies and can answer in another version's words."""

    def __init__(self, *, currency="USD", session_currency=None, pricing="session", dialect="oc41",
                 drop=(), only_in=None, oc30_names=False, no_codes=False, no_shipping_to=(), **kw):
        super().__init__(**kw)
        self.default_currency = currency
        self.session_currency = session_currency or currency
        self.pricing = pricing
        self.dialect_name = dialect
        self.drop = set(drop)            # (country, quote_code) never offered
        self.only_in = only_in           # {quote_code: country}: an extra method offered there only
        self.oc30_names = oc30_names
        self.no_codes = no_codes
        self.no_shipping_to = set(no_shipping_to)

    def _quote(self, draft):
        q = super()._quote(draft)
        country = draft.shipping_address.country.upper()
        options = [o for o in q.options if (country, o.quote.code) not in self.drop]
        if country in self.no_shipping_to:
            options = []
        if self.only_in:
            for code, where in self.only_in.items():
                if where == country:
                    extra = options[0].quote.model_copy(update={"code": code, "method_code": code.split(".")[0],
                                                                "name": "Pick up from the shop", "cost": Decimal(0),
                                                                "sort_order": 9})
                    # free: the totals are the cart's own
                    options.append(options[0].model_copy(update={"quote": extra, "totals": q.totals}))
        if self.oc30_names:
            options = [self._as_oc30(o) for o in options]
        if self.no_codes:
            options = [self._without_codes(o) for o in options]
        return q.model_copy(update={"options": tuple(options), "pricing": self.pricing, "dialect": self.dialect_name})

    @staticmethod
    def _without_codes(option):
        return option.model_copy(update={"quote": option.quote.model_copy(update={"code": "", "method_code": ""})})

    @staticmethod
    def _as_oc30(option):
        pays = tuple(p.model_copy(update={"code": p.method_code}) for p in option.payment_methods)  # cod.cod -> cod
        title = {"flat.flat": "Flat Rate Shipping (3.0)"}.get(option.quote.code, option.quote.name)
        quote = option.quote.model_copy(update={"name": title, "method_name": ""})
        return option.model_copy(update={"quote": quote, "payment_methods": pays})


@pytest.fixture
def cache():
    with Cache(":memory:", flush_interval=0.01) as c:  # these tests compare frames: no file needed
        yield c


def _run(cache, name="cmp", groups=(1,), dests=DESTS, **stores):
    study = Study(stores=stores, carts=CARTS, destinations=dests, customer_groups=list(groups), name=name,
                  cache=cache)
    return study.run(progress=False)


def _row(frame, **where):
    mask = np.ones(len(frame), dtype=bool)
    for k, v in where.items():
        mask &= (frame[k].astype(object) == v).to_numpy()
    rows = frame[mask]
    assert len(rows) == 1, (where, len(rows))
    return rows.iloc[0]


def test_normalised_codes_and_keys():
    assert compare.normalise_code("cod.cod") == compare.normalise_code("cod") == "cod"
    assert compare.normalise_code(" Flat.Flat ") == "flat"
    assert compare.normalise_code("weight.weight_4") == "weight.weight_4"
    assert compare.normalise_code("") is None and compare.normalise_code(None) is None
    frame = pd.DataFrame({"quote_code": ["flat.flat", "", None, None, None],
                          "method_code": ["flat", "item", "", None, None],
                          "method_name": ["Flat Rate", "Per Item", "Weight Based Shipping", "", None],
                          "name": ["Flat Shipping Rate", "x", "UK Shipping  (Weight: 5.29kg)", "Pick&amp;up", None]})
    assert compare.method_keys(frame).tolist() == [
        "flat", "item", "title:weight based shipping/uk shipping", "title:pick&up", None]
    # a row sent without any code takes the key its title has where a store did send one
    frame = pd.DataFrame({"quote_code": ["weight.weight_4", "weight.weight_5", "", "", ""],
                          "method_code": ["weight", "weight", "", "", ""],
                          "method_name": ["Weight Based Shipping"] * 5,
                          "name": ["UK Shipping  (Weight: 1.00kg)", "US Shipping", "UK Shipping (Weight: 5.29kg)",
                                   "EU Shipping", "US Shipping"]})
    assert compare.method_keys(frame).tolist() == [
        "weight.weight_4", "weight.weight_5", "weight.weight_4",
        "title:weight based shipping/eu shipping", "weight.weight_5"]


def test_differently_named_methods_meet_on_one_key_and_keep_both_names(cache):
    df = _run(cache, **{"4.1": Store(), "3.0": Store(url="http://oc30/", oc30_names=True, dialect="oc30")})
    d = compare.stores(df, baseline="4.1")
    assert (d["store"] == "3.0").all() and (d["baseline"] == "4.1").all()
    # 2 carts: London 3 methods, CA 1 (flat), Berlin 2 (flat, item) -> 12 rows, all offered on both
    assert len(d) == 12 and (d["offered"] == "both").all()
    flat = _row(d, cart="one", destination="London", method_key="flat")
    assert (flat["baseline_quote_code"], flat["quote_code"]) == ("flat.flat", "flat.flat")
    assert (flat["baseline_name"], flat["name"]) == ("Flat Shipping Rate", "Flat Rate Shipping (3.0)")
    # cod.cod (4.1) and cod (3.0) are the same payment method: nothing offered on one side only
    assert flat["baseline_payment_methods"] == "bank_transfer.bank_transfer,cod.cod"
    assert flat["payment_methods"] == "bank_transfer,cod"
    assert (d["payments_only_baseline"] == "").all() and (d["payments_only_store"] == "").all()
    assert (d["total_delta"] == 0).all() and (d["cost_delta"] == 0).all()


def test_a_store_that_sends_titles_without_codes_meets_the_coded_methods(cache):
    df = _run(cache, coded=Store(), titled=Store(url="http://titled/", no_codes=True))
    d = compare.stores(df, baseline="coded")
    assert len(d) == 12 and (d["offered"] == "both").all() and (d["total_delta"] == 0).all()
    weight = _row(d, cart="mix", destination="London", method_key="weight.weight_gb")
    assert weight["baseline_quote_code"] == "weight.weight_gb" and weight["quote_code"] == ""
    assert weight["name"] == weight["baseline_name"] == "UK Shipping"


def test_methods_offered_on_one_store_only(cache):
    other = Store(url="http://other/", drop={("GB", "item.item")}, only_in={"pickup.pickup": "DE"},
                  no_shipping_to={"US"})
    df = _run(cache, base=Store(), other=other)
    d = compare.stores(df, baseline="base")
    item = _row(d, cart="one", destination="London", method_key="item")
    assert (item["offered"], item["baseline_status"], item["status"]) == ("baseline only", "ok", "unavailable")
    assert item["baseline_cost"] == 2.5 and np.isnan(item["cost"]) and np.isnan(item["cost_delta"])
    assert pd.isna(item["quote_code"]) and item["baseline_quote_code"] == "item.item"
    pickup = _row(d, cart="mix", destination="Berlin", method_key="pickup")
    assert (pickup["offered"], pickup["baseline_status"], pickup["status"]) == ("store only", "unavailable", "ok")
    assert pickup["cost"] == 0 and np.isnan(pickup["baseline_cost"]) and pickup["name"] == "Pick up from the shop"
    # nothing offered to the US on the other store: the baseline's flat rate is "baseline only" there
    ca = d[d["destination"] == "CA"]
    assert len(ca) == 2 and (ca["offered"] == "baseline only").all() and (ca["status"] == "unavailable").all()
    # the same method on both keeps "both"
    assert _row(d, cart="one", destination="London", method_key="flat")["offered"] == "both"
    s = compare.stores_summary(d).set_index(["destination", "method_key"])
    assert s.loc[("London", "item"), ["scenarios", "both", "baseline_only", "store_only"]].tolist() == [2, 0, 2, 0]
    assert s.loc[("Berlin", "pickup"), ["store_only", "both"]].tolist() == [2, 0]
    assert s.loc[("London", "flat"), "both"] == 2


def test_differences_worked_out_by_hand(cache):
    df = _run(cache, groups=(1, 2), base=Store(), dearer=Store(url="http://dearer/", bump=Decimal("1.25")))
    d = compare.stores(df, baseline="base")
    # mix cart (100 + 2 x 80 = 260) to London, item.item: 3 items x 2.50 = 7.50 -> 8.75 on the dearer store;
    # VAT 20 % on products and shipping: 52.00 + 1.50 = 53.50 -> 52.00 + 1.75 = 53.75; total 321.00 -> 322.50
    row = _row(d, cart="mix", destination="London", customer_group_id=1, method_key="item")
    assert (row["baseline_cost"], row["cost"], row["cost_delta"]) == (7.5, 8.75, 1.25)
    assert (row["baseline_tax"], row["tax"]) == (53.5, 53.75) and row["tax_delta"] == pytest.approx(0.25)
    assert (row["baseline_total"], row["total"]) == (321.0, 322.5) and row["total_delta"] == pytest.approx(1.5)
    assert row["total_delta_pct"] == pytest.approx(1.5 / 321 * 100)
    assert row["sub_total_delta"] == 0
    # California taxes products only: the dearer shipping adds no tax; group 2 pays 90 % of 100 + 8 % tax
    ca = _row(d, cart="one", destination="CA", customer_group_id=2, method_key="flat")
    assert (ca["baseline_total"], ca["total"], ca["tax_delta"]) == (90 + 7.2 + 5, 90 + 7.2 + 6.25, 0)
    s = compare.stores_summary(d).set_index(["destination", "method_key"])
    # Berlin flat: 4 scenarios, 5.00 -> 6.25 plus 19 % MwSt on the 1.25: 1.4875 -> 1.49 every time
    berlin = s.loc[("Berlin", "flat")]
    assert (berlin["scenarios"], berlin["both"], berlin["changed"]) == (4, 4, 4)
    assert berlin["cost_delta_mean"] == pytest.approx(1.25)
    assert berlin["total_delta_min"] == pytest.approx(1.49) and berlin["total_delta_max"] == pytest.approx(1.49)
    assert berlin["currency"] == "USD" and berlin["method"] == "Flat Shipping Rate"


class Failing(Store):
    def _quote(self, draft):
        if draft.shipping_address.country.upper() == "DE":
            raise TransportError("connection reset by other.example", should_retry=True)
        return super()._quote(draft)


def test_a_failure_on_one_store_is_unknown_never_not_offered(cache):
    df = _run(cache, base=Store(), other=Failing(url="http://other/"))
    d = compare.stores(df, baseline="base")
    berlin = d[d["destination"] == "Berlin"]
    # the baseline's methods for Berlin stay, each "unknown" with the other store's error
    assert len(berlin) == 4 and (berlin["offered"] == "unknown").all()
    assert (berlin["status"] == "failed").all() and berlin["error"].str.contains("connection reset").all()
    assert berlin["total_delta"].isna().all()
    s = compare.stores_summary(d).set_index(["destination", "method_key"])
    assert s.loc[("Berlin", "flat"), ["unknown", "both"]].tolist() == [2, 0]


def test_amounts_in_different_currencies_are_refused_or_flagged(cache):
    df = _run(cache, dests={"London": "GB-LND"}, us=Store(), eu=Store(url="http://eu/", currency="EUR"))
    with pytest.raises(ValueError, match=r"store 'eu' in EUR, baseline 'us' in USD.*currency_mismatch='flag'"):
        compare.stores(df, baseline="us")
    d = compare.stores(df, baseline="us", currency_mismatch="flag")
    assert d["currency_mismatch"].all() and (d["offered"] == "both").all()
    assert d["cost_delta"].isna().all() and d["tax_delta"].isna().all() and d["total_delta"].isna().all()
    assert (d["baseline_cost"] > 0).all() and (d["cost"] > 0).all()  # the amounts stay, in their own currency
    # only the session currency differs: cost (default currency) is still compared, the totals are not
    df = _run(cache, name="session", dests={"London": "GB-LND"}, us=Store(),
              gbp=Store(url="http://gbp/", session_currency="GBP"))
    with pytest.raises(ValueError, match="sub_total, tax, total: store 'gbp' in GBP"):
        compare.stores(df, baseline="us")
    d = compare.stores(df, baseline="us", currency_mismatch="flag")
    assert (d["cost_delta"] == 0).all() and d["total_delta"].isna().all()
    # an unknown currency is not assumed to match
    df = _run(cache, name="unknown", dests={"London": "GB-LND"}, us=Store(),
              dunno=Store(url="http://x/", currency=None))
    with pytest.raises(ValueError, match="store 'dunno' in an unknown currency"):
        compare.stores(df, baseline="us")
    with pytest.raises(ValueError, match="no \\['currency', 'session_currency'\\] column"):
        compare.stores(df.drop(columns=["currency", "session_currency"]), baseline="us")


def test_a_pricing_mode_difference_is_warned(cache):
    df = _run(cache, dests={"London": "GB-LND"}, old=Store(), new=Store(url="http://new/", pricing="api"))
    with pytest.warns(OcdataWarning, match="connect 'new' with pricing='storefront'"):
        compare.stores(df, baseline="old")
    df = _run(cache, name="same", dests={"London": "GB-LND"}, old=Store(), new=Store(url="http://new/"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        compare.stores(df, baseline="old")


def test_several_stores_against_one_baseline_and_bad_input(cache):
    df = _run(cache, dests={"London": "GB-LND"}, a=Store(), b=Store(url="http://b/", bump=Decimal(1)),
              c=Store(url="http://c/", bump=Decimal(2)))
    d = compare.stores(df, baseline="a")
    assert list(d["store"].cat.categories) == ["b", "c"]
    flat = d[(d["method_key"] == "flat") & (d["cart"] == "one")]
    assert dict(zip(flat["store"].astype(str), flat["cost_delta"])) == {"b": 1.0, "c": 2.0}
    with pytest.raises(ValueError, match=r"baseline 'z' is not a store of the frame; its stores: \['a', 'b', 'c'\]"):
        compare.stores(df, baseline="z")
    with pytest.raises(ValueError, match="compares two or more"):
        compare.stores(df[df["store"] == "a"], baseline="a")
    with pytest.raises(ValueError, match="needs a 'store' column"):
        compare.stores(df.drop(columns=["store"]), baseline="a")
    twice = pd.concat([df, df.assign(study="another")], ignore_index=True)
    with pytest.raises(ValueError, match="store 'a' has several rows for cart='one'.*filter the frame on 'study'"):
        compare.stores(twice, baseline="a")
    with pytest.raises(ValueError, match="currency_mismatch='ignore'"):
        compare.stores(df, baseline="a", currency_mismatch="ignore")


def test_chart_of_what_changes(cache):
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    from ocdata import plots

    dearer = Store(url="http://dearer/", bump=Decimal("1.25"), only_in={"pickup.pickup": "DE"})
    fewer = Store(url="http://fewer/", drop={("GB", "item.item")})
    df = _run(cache, base=Store(), dearer=dearer, fewer=fewer)
    fig = plots.store_deltas(compare.stores(df, baseline="base"), value="cost_delta")
    assert isinstance(fig, Figure)
    panels = [ax for ax in fig.axes if ax.get_title()]
    assert [ax.get_title() for ax in panels] == ["dearer against base", "fewer against base"]
    texts = {ax.get_title(): [t.get_text() for t in ax.texts] for ax in panels}
    # rows London, CA, Berlin; columns flat, item, weight, pickup (the stores' order)
    assert texts["dearer against base"] == ["+1.25", "+1.25", "+1.25", "n/a",
                                            "+1.25", "n/a", "n/a", "n/a",
                                            "+1.25", "+1.25", "n/a", "only on\ndearer"]
    assert texts["fewer against base"][:3] == ["0.00", "only on\nbase", "0.00"]
    fills = {p.get_facecolor()[:3] for ax in panels for p in ax.patches}  # one-store cells: plain fills
    assert len(fills) == 2
    colorbar = fig.axes[-1]
    assert colorbar.get_ylabel() == "shipping cost before tax (USD): store minus base"
    labels = [t.get_text() for t in panels[0].get_xticklabels()]
    assert labels[:2] == ["Flat Shipping\nRate\nflat", "Per Item\nShipping Rate\nitem"]
