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


# --------------------------------------------------------------------------- the fast builders against plain ones


def _reference_frames(quotes):
    """The three quote frames built the plain way: one dict per row, Decimals summed exactly,
    every attribute read as an attribute. The fast builders must give exactly these frames."""
    def lines(group, code):
        return [t.value for t in group if t.code == code]

    def last(group, code):
        found = lines(group, code)
        return np.nan if not found or found[-1] is None else float(found[-1])

    def tax(group):
        if not group:
            return np.nan
        return float(sum((v for v in lines(group, "tax") if v is not None), D(0)))

    rows, total_rows, payment_rows = [], [], []
    for i, q in enumerate(quotes):
        cart_tax, own_sub = tax(q.totals), last(q.totals, "sub_total")
        for j, group in enumerate([q] + list(q.options)):
            for t in group.totals:
                total_rows.append(dict(quote=i, option_index=j - 1, code=t.code, title=t.title,
                                       value=np.nan if t.value is None else float(t.value), sort_order=t.sort_order))
            for p in group.payment_methods:
                payment_rows.append(dict(quote=i, option_index=j - 1, code=p.code, name=p.name,
                                         method_code=p.method_code or None, method_name=p.method_name,
                                         sort_order=p.sort_order))
        head = dict(quote=i, dialect=q.dialect or None, pricing=q.pricing, cart_tax=cart_tax)
        if not q.options:
            complete = q.shipping_required is False and not q.shipping_error
            methods = q.payment_methods
            rows.append(dict(head, option_index=-1, method_code=None, quote_code=None, method_name=None, name=None,
                             cost=np.nan, tax_class_id=None, text=None, sort_order=None, sub_total=own_sub,
                             tax=cart_tax if complete else np.nan, shipping_tax=np.nan, cost_with_tax=np.nan,
                             total=last(q.totals, "total") if complete else np.nan,
                             payment_methods=",".join(p.code for p in methods), n_payment_methods=len(methods),
                             status="no_shipping" if complete else "unavailable", error=q.shipping_error or None))
            continue
        for j, o in enumerate(q.options):
            s, methods = o.quote, o.payment_methods or q.payment_methods
            sub = last(o.totals, "sub_total")
            shipping_tax = np.round(tax(o.totals) - cart_tax, 6)
            cost = np.nan if s.cost is None else float(s.cost)
            rows.append(dict(head, option_index=j, method_code=s.method_code, quote_code=s.code,
                             method_name=s.method_name, name=s.name, cost=cost, tax_class_id=s.tax_class_id,
                             text=s.text, sort_order=s.sort_order, sub_total=own_sub if np.isnan(sub) else sub,
                             tax=tax(o.totals), shipping_tax=shipping_tax, cost_with_tax=np.round(cost + shipping_tax, 6),
                             total=last(o.totals, "total"), payment_methods=",".join(p.code for p in methods),
                             n_payment_methods=len(methods), status="error" if o.error else "ok",
                             error=o.error or None))

    def frame(records, kind):
        out = {}
        for name, (dtype, _) in frames.COLUMNS[kind].items():
            values = [r[name] for r in records]
            if dtype == "category":
                seen = list(dict.fromkeys(v for v in values if v is not None))
                out[name] = pd.Categorical(values, categories=pd.Index(seen, dtype="str"))
            elif dtype == "float64":
                out[name] = np.array(values, dtype=np.float64)
            else:
                out[name] = pd.array(values, dtype=dtype)
        return pd.DataFrame(out)

    return (frame(rows, "quotes"), frame(total_rows, "quote_totals"), frame(payment_rows, "quote_payment_methods"))


class _SlotQuote:
    """A shipping quote that is not a pydantic model (no __dict__): read attribute by attribute."""

    __slots__ = ("method_code", "code", "method_name", "name", "cost", "tax_class_id", "text", "sort_order")

    def __init__(self, **kw):
        for k, v in kw.items():
            setattr(self, k, v)


def _varied_quotes(n, seed=3):
    import random

    from ocdata.client.models import PaymentMethod, ShippingQuote

    rng = random.Random(seed)
    names = ["Flat &amp; Fast", "Caf&eacute; Pick-up", "Zone \u00e9t\u00e9", "Weight <b>Based</b>", "Free"]
    texts = ["$5.00", "5,00 \u20ac", "\u00a35.00", "5.00 z\u0142", ""]
    methods = [PaymentMethod(code=f"{c}.{c}", name=f"{c.title()} &amp; Co", method_code=c if k % 2 else "",
                             method_name=c, sort_order=k) for k, c in enumerate(["cod", "bank", "cheque", "free"])]

    def lines(with_shipping):
        out = [TotalLine(code="sub_total", title="Sub-Total", value=D(rng.choice(["100.00", "57.60", "0.00"])),
                         sort_order=1)]
        if with_shipping:
            out.append(TotalLine(code="shipping", title="Ship", value=D(rng.choice(["5.00", "2.50"])), sort_order=3))
        for _ in range(rng.randint(0, 3)):
            out.append(TotalLine(code="tax", title=rng.choice(["VAT (20%)", "Eco &amp; Tax"]),
                                 value=rng.choice([D("11.52"), D("2.00"), D("1.60"), D("0.1000001"), None]),
                                 sort_order=5))
        if rng.random() < 0.9:
            out.append(TotalLine(code="total", title="Total", value=rng.choice([D("123.45"), None]), sort_order=9))
        if rng.random() < 0.1:  # a repeated line: the last one counts
            out.append(TotalLine(code="sub_total", title="Sub-Total", value=D("99.99"), sort_order=1))
        return tuple(out)

    quotes = []
    for i in range(n):
        band = tuple(rng.sample(methods, rng.randint(0, 3)))
        options = []
        for j in range(rng.choice([0, 0, 1, 3, 5])):
            cost = D(rng.choice(["0.00", "5.00", "2.50", "7.125"]))
            kw = dict(method_code=f"m{j % 3}", code=f"m{j % 3}.q{j}", name=rng.choice(names),
                      method_name=rng.choice(["", "Weight"]), cost=cost, tax_class_id=rng.choice([0, 9]),
                      text=rng.choice(texts), sort_order=j)
            sq = _SlotQuote(**kw) if rng.random() < 0.05 else ShippingQuote(**kw)
            pick = rng.random()
            # the same objects as the option before (per band), equal copies, own methods, or none
            payment = band if pick < 0.5 else tuple(m.model_copy() for m in band) if pick < 0.7 else \
                tuple(rng.sample(methods, 2)) if pick < 0.9 else ()
            if rng.random() < 0.1:
                options.append(QuoteOption.model_construct(quote=sq, totals=(), payment_methods=(),
                                                           error=rng.choice(["No stock", ""])))
            else:
                options.append(QuoteOption.model_construct(quote=sq, totals=lines(True) if rng.random() < 0.9 else (),
                                                           payment_methods=payment, error=None))
        quotes.append(Quote.model_construct(
            draft=None, products=(), totals=lines(False) if rng.random() < 0.9 else (), options=tuple(options),
            payment_methods=band if rng.random() < 0.7 else (), shipping_required=rng.choice([True, False, None]),
            shipping_error=rng.choice([None, "", "No shipping to this zone"]),
            pricing=rng.choice(["api", "storefront", "session", None]), dialect=rng.choice(["oc41", "oc30", ""]),
            warnings=(), requests=1))
    return quotes


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_fast_quote_frames_equal_a_plain_reference_builder(seed):
    qs = _varied_quotes(300, seed)
    quotes, totals_, payments = _reference_frames(qs)
    pd.testing.assert_frame_equal(frames.quotes_frame(qs), quotes)
    pd.testing.assert_frame_equal(frames.quote_totals_frame(qs), totals_)
    pd.testing.assert_frame_equal(frames.quote_payment_methods_frame(qs), payments)
    # the cache's chunks: a part of a batch whose reads were made on the whole batch (its
    # categories are the whole batch's: the cache stores text)
    batch = frames._QuoteBatch(qs)
    batch.quotes_frame()
    part, ref = batch.part(100, 200), _reference_frames(qs[100:200])
    pd.testing.assert_frame_equal(part.payments_frame(), ref[2], check_categorical=False)
    pd.testing.assert_frame_equal(part.totals_frame(), ref[1], check_categorical=False)
