import time
from decimal import Decimal

import duckdb
import numpy as np
import pandas as pd
import pytest

from factories import BANK, COD, fast_quotes, option, product, shipping, totals
from ocdata import frames
from ocdata.client.models import Cart, OrderResult, Quote, QuoteOption, TotalLine

D = Decimal


def _quote(**kw):
    base = dict(draft=None, totals=totals("100.00", taxes=[("VAT (20%)", "20.00")]), payment_methods=(COD,),
                shipping_required=True, pricing="api", dialect="oc41")
    base.update(kw)
    return Quote.model_construct(**base)


def _check(df, kind):
    spec = frames.COLUMNS[kind]
    assert list(df.columns) == list(spec)
    for name, (dtype, _) in spec.items():
        assert str(df[name].dtype) == dtype or (dtype == "category" and isinstance(df[name].dtype, pd.CategoricalDtype)), name


@pytest.mark.parametrize("kind", sorted(frames.COLUMNS))
def test_empty_frames_have_documented_columns_and_dtypes(kind):
    df = frames.to_frame([], kind=kind)
    assert len(df) == 0
    _check(df, kind)
    _check(frames.empty_frame(kind), kind)


def test_quote_rows_one_per_shipping_quote_with_tax_split():
    q = _quote(options=(
        option("flat.flat", "Flat", "5.00", "100.00", [("VAT (20%)", "20.00")], [("VAT (20%)", "1.00")],
               payment=(BANK, COD)),
        option("item.item", "Item", "2.50", "100.00", [("VAT (20%)", "20.00")], [("VAT (20%)", "0.50")]),
    ))
    df = frames.to_frame(q)
    _check(df, "quotes")
    assert df["quote_code"].tolist() == ["flat.flat", "item.item"]
    assert df["cost"].tolist() == [5.0, 2.5]
    assert df["cart_tax"].tolist() == [20.0, 20.0]
    assert df["tax"].tolist() == [21.0, 20.5]
    assert df["shipping_tax"].tolist() == [1.0, 0.5]
    assert df["cost_with_tax"].tolist() == [6.0, 3.0]
    assert df["total"].tolist() == [126.0, 123.0]
    assert df["payment_methods"].tolist() == ["bank_transfer.bank_transfer,cod.cod", "cod.cod"]
    assert df["n_payment_methods"].tolist() == [2, 1]
    assert (df["status"] == "ok").all() and df["error"].isna().all()


def test_two_tax_lines_sum_and_php_float_rounding_is_exact():
    q = _quote(totals=totals("57.60", taxes=[("VAT (20%)", "11.52"), ("Eco Tax (-2.00)", "2.00")]),
               options=(option("flat.flat", "Flat", "8.00", "57.60",
                               [("VAT (20%)", "11.52"), ("Eco Tax (-2.00)", "2.00")], [("VAT (20%)", "1.60")]),))
    row = frames.quotes_frame([q]).iloc[0]
    assert row["tax"] == 15.12 and row["cart_tax"] == 13.52 and row["shipping_tax"] == 1.6


def test_quote_without_options_is_one_explicit_row():
    unavailable = _quote(options=(), shipping_error="No shipping to Mars")
    shipless = _quote(options=(), shipping_required=False)
    df = frames.quotes_frame([unavailable, shipless])
    assert df["option_index"].tolist() == [-1, -1]
    assert df["status"].tolist() == ["unavailable", "no_shipping"]
    assert df["error"].iloc[0] == "No shipping to Mars"
    assert np.isnan(df["total"].iloc[0]) and df["total"].iloc[1] == 120.0
    assert df["quote"].tolist() == [0, 1]
    assert df["quote_code"].isna().all()


def test_option_error_row_keeps_method_and_message():
    q = _quote(options=(option("ups.ups", "UPS", "0", "100", [], [], error="UPS is not answering"),))
    row = frames.quotes_frame(q).iloc[0]
    assert row["status"] == "error" and row["error"] == "UPS is not answering" and row["quote_code"] == "ups.ups"
    assert np.isnan(row["tax"])


def test_long_totals_and_payment_methods():
    q = _quote(options=(option("flat.flat", "Flat", "5.00", "100.00", [("VAT (20%)", "20.00")],
                               [("VAT (20%)", "1.00")], payment=(BANK, COD)),))
    t = frames.quote_totals_frame([q, q])
    _check(t, "quote_totals")
    assert len(t) == 2 * (3 + 4)
    cart = t[(t["quote"] == 1) & (t["option_index"] == -1)]
    assert cart["code"].tolist() == ["sub_total", "tax", "total"]
    assert t.loc[(t["option_index"] == 0) & (t["code"] == "tax"), "value"].tolist() == [21.0, 21.0]
    p = frames.quote_payment_methods_frame(q)
    _check(p, "quote_payment_methods")
    assert p[["option_index", "code"]].values.tolist() == [[-1, "cod.cod"], [0, "bank_transfer.bank_transfer"],
                                                           [0, "cod.cod"]]


def test_products_flatten_options():
    cart = Cart(products=(product(40, "iPhone", 2, "101.00"),
                          product(30, "Canon EOS 5D", 1, "80.00", options=[(226, 15, "Select", "Red")])),
                totals=totals("282.00"))
    df = frames.to_frame(cart)
    _check(df, "products")
    assert df["options"].tolist() == ["", "Select: Red"]
    assert df["option_value_ids"].tolist() == ["", "15"]
    assert df["total"].tolist() == [202.0, 80.0]
    assert df["line"].tolist() == [0, 1]
    _check(frames.to_frame(cart.totals), "totals")


def test_shipping_payment_orders_and_dispatch_errors():
    s = frames.to_frame([shipping("flat.flat", "Flat", "5.00")])
    _check(s, "shipping_quotes")
    assert s["quote_code"].tolist() == ["flat.flat"]
    _check(frames.to_frame([COD, BANK]), "payment_methods")
    order = OrderResult(order_id=7, status_id=1, totals=totals("100", ("Flat", "5"), [("VAT (20%)", "21")]),
                        products=(product(),), dialect="spec")
    o = frames.to_frame(order)
    _check(o, "orders")
    assert o.iloc[0][["order_id", "sub_total", "shipping", "tax", "total", "n_products"]].tolist() == \
        [7, 100.0, 5.0, 21.0, 126.0, 1]
    with pytest.raises(ValueError, match="kind="):
        frames.to_frame([])
    with pytest.raises(TypeError):
        frames.to_frame(3)
    one = frames.to_frame(QuoteOption(quote=shipping("flat.flat", "Flat", "5")))
    assert one["quote_code"].tolist() == ["flat.flat"]


def test_describe_lists_every_column():
    d = frames.describe("quotes")
    assert d["column"].tolist() == list(frames.QUOTE_COLUMNS)
    assert d["meaning"].str.len().gt(0).all()


def test_100k_quote_rows_frame_write_and_group_quickly():
    """A per-row DataFrame or re-validation would take minutes; columns take about a second."""
    quotes = fast_quotes(20_000, 5)
    t0 = time.perf_counter()
    df = frames.quotes_frame(quotes)
    con = duckdb.connect()
    con.execute("CREATE TABLE q AS SELECT * FROM df")
    out = con.execute("SELECT quote_code, avg(cost) c, count(*) n FROM q GROUP BY 1 ORDER BY 1").df()
    elapsed = time.perf_counter() - t0
    assert len(df) == 100_000
    assert out["n"].tolist() == [20_000] * 5 and out["c"].tolist() == [5.0, 6.0, 7.0, 8.0, 9.0]
    assert elapsed < 5, elapsed


def test_error_column_is_text_even_when_no_row_has_an_error():
    ok = frames.quotes_frame([_quote(options=(option("flat.flat", "Flat", "5.00", "100.00", [], []),))])
    assert str(ok["error"].dtype) == "str" and ok["error"].isna().all()
    blank = frames.quotes_frame([_quote(options=(option("ups.ups", "UPS", "0", "100", [], [], error=""),))])
    assert str(blank["error"].dtype) == "str" and blank["error"].isna().all()  # an empty message is no message
    assert blank["status"].tolist() == ["ok"]


def test_tax_sums_equal_the_decimal_sums_converted_once():
    def taxed(*values):
        return _quote(options=(QuoteOption(quote=shipping("flat.flat", "Flat", "0"), totals=tuple(
            TotalLine(code="tax", title=f"T{i}", value=D(v), sort_order=5) for i, v in enumerate(values))),))

    cents = frames.quotes_frame([taxed("0.1", "0.2"), taxed("11.52", "2.00", "1.60")])
    assert cents["tax"].tolist() == [0.3, 15.12]  # adding the floats gives 0.30000000000000004
    # more than six decimals (summed as Decimal): adding the floats gives 0.8000004000000001
    fine = frames.quotes_frame([taxed("0.1000001", "0.7000003"), taxed("0.1", "0.2")])
    assert fine["tax"].tolist() == [0.8000004, 0.3]


def test_codes_and_statuses_keep_the_order_they_appear_in():
    qs = [_quote(options=()), _quote(options=(option("item.item", "Item", "2.50", "100", [], []),
                                               option("flat.flat", "Flat", "5.00", "100", [], [], error="down")))]
    df = frames.quotes_frame(qs)
    assert list(df["status"].cat.categories) == ["unavailable", "ok", "error"]
    assert list(df["quote_code"].cat.categories) == ["item.item", "flat.flat"]
    assert df["quote_code"].tolist()[1:] == ["item.item", "flat.flat"] and pd.isna(df["quote_code"].iloc[0])
    assert df["tax_class_id"].tolist()[1:] == [9, 9] and pd.isna(df["tax_class_id"].iloc[0])


def test_many_quotes_give_the_same_rows_as_each_alone():
    qs = [_quote(options=(option("flat.flat", "Flat", str(5 + i % 3), "100.00", [("VAT (20%)", "20.00")],
                                 [("VAT (20%)", str(1 + i % 3))], payment=(BANK, COD) if i % 2 else (COD,)),
                          option("item.item", "Item", "2.50", "100.00", [], [], error="down" if i % 4 else None)))
          for i in range(12)] + [_quote(options=(), shipping_required=False)]
    for build in (frames.quotes_frame, frames.quote_totals_frame, frames.quote_payment_methods_frame):
        together = build(qs).astype({"quote": "int64"})
        alone = pd.concat([build([q]).assign(quote=i) for i, q in enumerate(qs)], ignore_index=True)
        pd.testing.assert_frame_equal(together.astype(str), alone.astype(str))


def test_products_repeat_and_options_flatten_per_line():
    plain, optioned = product(40, "iPhone", 2, "101.00"), product(30, "Canon", 1, "80.00",
                                                                    options=[(226, 15, "Select", "Red")])
    df = frames.products_frame([plain, optioned, plain])
    _check(df, "products")
    assert df["options"].tolist() == ["", "Select: Red", ""] and df["price"].tolist() == [101.0, 80.0, 101.0]
    assert df["in_stock"].tolist() == [True, True, True] and df["reward"].tolist() == [0, 0, 0]


def test_payment_methods_shared_by_options_give_each_option_its_rows():
    # the client hands the options of one band the same method objects; other options their own
    shared, other = (BANK, COD), (COD,)
    qs = [_quote(payment_methods=pm, options=tuple(
              option(f"m{j}.m{j}", f"M{j}", "1.00", "100.00", [], [], payment=p) for j, p in enumerate(opts)))
          for pm, opts in [(shared, [shared, shared, other, shared]), ((), [other, other]), (other, [shared]),
                           (shared, [(), shared])]]
    p = frames.quote_payment_methods_frame(qs)
    expected = [(i, j - 1, m.code, m.name, m.sort_order) for i, q in enumerate(qs)
                for j, group in enumerate([q.payment_methods] + [o.payment_methods for o in q.options]) for m in group]
    got = list(zip(p["quote"], p["option_index"], p["code"].astype(str), p["name"].astype(str), p["sort_order"]))
    assert got == expected
    many = frames.quote_payment_methods_frame(qs * 3)
    assert len(many) == 3 * len(expected) and many["code"].astype(str).tolist() == [e[2] for e in expected] * 3
