"""Frames say which currency their amounts are in: the store's default (cost) and the session's (totals)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ocdata import frames
from ocdata.client import connect
from ocdata.sandbox import serve
from ocdata.study import STUDY_COLUMNS, Study

GBP_STORE = "extends: rich\nkey: gbp-default\nsettings: {currency: GBP}\n"


@pytest.fixture(scope="module")
def sandbox():
    with serve(store="rich") as sb:
        yield sb


@pytest.mark.parametrize("dialect", ["spec", "oc41"])
def test_default_currency_is_the_stores_own(sandbox, tmp_path, dialect):
    with connect(sandbox.url, sandbox.username, sandbox.key, dialect=dialect) as store:
        assert store.default_currency == "USD" and store.session_currency == "USD"
    path = tmp_path / "gbp.yaml"
    path.write_text(GBP_STORE)
    with serve(store=str(path)) as gbp, connect(gbp.url, gbp.username, gbp.key, dialect=dialect) as store:
        assert store.default_currency == "GBP"
        # 4.1 ignores a requested currency (amounts stay in the default one); so does the OpenAPI file
        assert store.session_currency == "GBP"


def test_session_currency_is_the_chosen_one_where_the_dialect_sends_it():
    # no request is made: the session currency of a 4.0/3.0 session is the one connect() chose
    for dialect in ("oc40", "oc30"):
        store = connect("http://127.0.0.1:9/", "u", "k", dialect=dialect, currency="eur")
        assert store.session_currency == "EUR"


def test_study_frame_carries_both_currencies(sandbox, cache):
    with connect(sandbox.url, sandbox.username, sandbox.key, dialect="spec") as store:
        study = Study(store, {"phone": "40x1"}, {"LA": "US-CA", "London": "GB-LND"}, [1], name="cur", cache=cache)
        df = study.run(concurrency=2, progress=False)
        quote = store.quote(study.draft(study.scenarios[0]))
    assert list(df.columns) == list(STUDY_COLUMNS)
    assert df["currency"].tolist() == ["USD"] * len(df) and df["session_currency"].tolist() == ["USD"] * len(df)
    assert isinstance(df["currency"].dtype, pd.CategoricalDtype)
    q = frames.to_frame(quote, store=store)
    assert set(q["currency"]) == {"USD"} and set(q["session_currency"]) == {"USD"}
    assert "currency" not in frames.to_frame(quote).columns


def test_two_currencies_never_add_up():
    df = pd.DataFrame({"cost": [5.0], "shipping_tax": [1.0], "cost_with_tax": [6.0]})
    same = frames.with_currency(df, currency="usd")
    assert same[["currency", "session_currency"]].values.tolist() == [["USD", "USD"]]
    assert same["cost_with_tax"].tolist() == [6.0]
    mixed = frames.with_currency(df, currency="USD", session_currency="EUR")
    assert mixed[["currency", "session_currency"]].values.tolist() == [["USD", "EUR"]]
    assert np.isnan(mixed["cost_with_tax"][0]) and df["cost_with_tax"][0] == 6.0
    unknown = frames.with_currency(df)
    assert unknown["currency"].isna().all() and unknown["session_currency"].isna().all()


def test_column_docs_name_each_money_columns_currency():
    docs = frames.QUOTE_COLUMNS
    assert "default currency" in docs["cost"][1]
    for name in ("sub_total", "cart_tax", "tax", "shipping_tax", "total", "text"):
        assert "session currency" in docs[name][1], name
    assert set(frames.CURRENCY_COLUMNS) == {"currency", "session_currency"}


def test_an_unreachable_store_leaves_the_currency_unknown_and_is_asked_once():
    calls = []
    store = connect("http://127.0.0.1:9/", "u", "k", dialect="spec", hook=calls.append, timeout=1, retries=0)
    assert store.default_currency is None and store.default_currency is None
    assert len(calls) == 1
