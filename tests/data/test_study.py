import os
import signal
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import pandas as pd
import pytest

from fakes import FakeStore
from ocdata.cache import Cache
from ocdata.client.errors import AuthenticationError, OcdataWarning
from ocdata.client.models import Address, CartLine
from ocdata.study import OUTCOME_COLUMNS, STUDY_COLUMNS, Study, parse_cart, parse_destination

CARTS = {"one": "40x1", "mix": "40x1, 30x2"}
DESTS = {"London": "GB-LND", "CA": "US-CA", "Berlin": "DE-BER", "bad": "XX"}


def test_grid_is_carts_x_destinations_x_groups():
    s = Study(FakeStore(), CARTS, DESTS, [1, 2], name="g")
    g = s.grid()
    assert len(g) == 2 * 4 * 2 and g["scenario_id"].tolist() == list(range(16))
    assert g.iloc[0][["cart", "destination", "country", "zone", "customer_group_id"]].tolist() == \
        ["one", "London", "GB", "LND", 1]
    assert g.iloc[-1][["cart", "destination", "customer_group_id"]].tolist() == ["mix", "bad", 2]
    d = s.draft(s.scenarios[3])
    assert d.customer.customer_group_id == 2 and d.shipping_address == d.payment_address
    assert d.shipping_address.address_1 and d.shipping_address.city  # placeholders stores accept
    assert [(l.product_id, l.quantity) for l in s.draft(s.scenarios[8]).lines] == [(40, 1), (30, 2)]


def test_cart_and_destination_shorthands():
    assert parse_cart("40x2, 28") == (CartLine(product_id=40, quantity=2), CartLine(product_id=28))
    assert parse_cart([(40, 3), {"product_id": 30, "options": {"226": 15}}])[1].options == {226: 15}
    assert parse_cart('[{"product_id": 40}]') == (CartLine(product_id=40),)
    assert parse_destination("US/CA") == Address(country="US", zone="CA")
    assert parse_destination("DE").zone is None
    with pytest.raises(ValueError):
        parse_cart("forty")
    s = Study(FakeStore(), ["40x1", [(40, 1), (30, 2)]], ["GB-LND", Address(country="US", zone="CA", postcode="90001")])
    assert [x.cart for x in s.scenarios] == ["40x1", "40x1", "40x1+30x2", "40x1+30x2"]
    assert [x.destination for x in s.scenarios][:2] == ["GB-LND", "US-CA 90001"]
    assert s.name.startswith("study-") and s.name == Study(FakeStore(), ["40x1", [(40, 1), (30, 2)]],
                                                           ["GB-LND", Address(country="US", zone="CA",
                                                                              postcode="90001")]).name


def test_from_frame_and_yaml(tmp_path):
    df = pd.DataFrame({"cart": ["a", None], "lines": ["40x1", "30x2"], "country": ["GB", "US"],
                       "zone": ["LND", "CA"], "customer_group_id": [1, None]})
    s = Study.from_frame(df, FakeStore(), name="f")
    assert [(x.cart, x.destination, x.customer_group_id) for x in s.scenarios] == \
        [("a", "GB-LND", 1), ("30x2", "US-CA", None)]
    path = tmp_path / "s.yaml"
    path.write_text(textwrap.dedent("""
        name: from-yaml
        customer_groups: [1, 2]
        customer: {firstname: Ann, lastname: Lee, email: ann@example.com}
        carts:
          phone: "40x1"
          phone and camera:
            - {product_id: 40, quantity: 1}
            - {product_id: 30, quantity: 1, options: {226: 15}}
        destinations:
          London: GB-LND
          Berlin: {country: DE, zone: BER, postcode: "10115", city: Berlin}
    """))
    y = Study.from_yaml(path, FakeStore())
    assert y.name == "from-yaml" and len(y.scenarios) == 8
    assert y.scenarios[4].lines[1].options == {226: 15}
    assert y.draft(y.scenarios[2]).shipping_address.city == "Berlin"
    assert y.customer.firstname == "Ann"
    path.write_text("carts: {a: '40'}\ndestinations: {b: GB}\n")
    with pytest.raises(ValueError, match="store"):
        Study.from_yaml(path)


def test_run_returns_documented_frame_with_errors_as_rows(cache):
    store = FakeStore()
    s = Study(store, CARTS, DESTS, [1, 2], name="run", cache=cache)
    df = s.run(progress=False)
    assert list(df.columns) == list(STUDY_COLUMNS)
    for name, (dtype, _) in STUDY_COLUMNS.items():
        assert dtype == "category" and isinstance(df[name].dtype, pd.CategoricalDtype) or str(df[name].dtype) == dtype, name
    report = s.last_run
    assert (report.fetched, report.ok, report.refused, report.failed, report.from_cache) == (16, 12, 4, 0, 0)
    bad = df[df["destination"] == "bad"]
    assert len(bad) == 4 and (bad["status"] == "refused").all() and (bad["scenario_status"] == "refused").all()
    assert bad["error"].str.contains("select a country").all() and (bad["error_type"] == "ValidationError").all()
    assert (df.loc[df["destination"] != "bad", "scenario_status"] == "ok").all()
    # hand-computed: mix cart (100 + 2 x 80 = 260) to London for group 2 (90 %) by item.item (3 items x 2.50)
    row = df[(df["cart"] == "mix") & (df["destination"] == "London") & (df["customer_group_id"] == 2)
             & (df["quote_code"] == "item.item")].iloc[0]
    assert (row["sub_total"], row["cost"], row["cart_tax"], row["shipping_tax"], row["total"]) == \
        (234.0, 7.5, 46.8, 1.5, 234.0 + 7.5 + 46.8 + 1.5)
    assert row["payment_methods"] == "bank_transfer.bank_transfer,cod.cod"
    assert df.groupby("scenario_id").size().to_dict()[2] == 1  # US: flat only
    assert (df["store"] == "http://fake.example/").all() and (df["study"] == "run").all()


def test_rerun_uses_cache_refresh_and_retryable_failures(cache):
    store = FakeStore(fail={"DE"})
    s = Study(store, CARTS, DESTS, name="resume", cache=cache)
    first = s.run(progress=False)
    assert (s.last_run.fetched, s.last_run.refused, s.last_run.failed) == (8, 2, 2)
    assert (first.loc[first["destination"] == "Berlin", "status"] == "failed").all()
    store.fail = set()
    second = s.run(progress=False)
    # the network failures are fetched again, the store's refusals (XX) are answers
    assert (s.last_run.from_cache, s.last_run.fetched, s.last_run.failed) == (6, 2, 0)
    assert (s.last_run.refused, s.last_run.refused_from_cache) == (2, 2)
    assert (second.loc[second["destination"] == "Berlin", "status"] == "ok").all()
    assert len(second) > len(first)
    s.run(progress=False)
    assert (s.last_run.from_cache, s.last_run.fetched) == (8, 0)
    s.run(progress=False, refresh=True)
    assert s.last_run.fetched == 8
    cache.sql("UPDATE scenarios SET fetched_at = fetched_at - INTERVAL 3 DAY")
    s.run(progress=False, max_age="1d")
    assert s.last_run.fetched == 8
    assert len(store.calls) == 8 + 2 + 8 + 8


def test_concurrent_run_equals_sequential_and_bounds_in_flight(tmp_path):
    dests = {f"d{i}": f"GB-Z{i}" for i in range(10)}
    seq_store, par_store = FakeStore(delay=0.002), FakeStore(delay=0.01)
    with Cache(tmp_path / "a.duckdb") as a, Cache(tmp_path / "b.duckdb") as b:
        seq = Study(seq_store, CARTS, dests, [1, 2], name="x", cache=a).run(concurrency=1, progress=False)
        par = Study(par_store, CARTS, dests, [1, 2], name="x", cache=b).run(concurrency=4, progress=False)
    drop = ["fetched_at"]
    pd.testing.assert_frame_equal(seq.drop(columns=drop), par.drop(columns=drop))
    assert seq_store.max_in_flight == 1 and 1 < par_store.max_in_flight <= 4


class InterruptingStore(FakeStore):
    """Raises KeyboardInterrupt (as Ctrl-C would) on its n-th call."""

    def __init__(self, n, **kw):
        super().__init__(**kw)
        self.n = n

    def quote(self, draft):
        with self._lock:
            hit = len(self.calls) + 1 == self.n
        if hit:
            self.calls.append(("interrupted", self.signature(draft)))
            raise KeyboardInterrupt
        return super().quote(draft)


def test_interrupted_study_keeps_finished_scenarios_and_resumes(cache):
    dests = {f"d{i}": f"GB-Z{i}" for i in range(12)}
    first = InterruptingStore(7, delay=0.005)
    s = Study(first, CARTS, dests, name="ki", cache=cache)
    with pytest.raises(KeyboardInterrupt):
        s.run(concurrency=3, progress=False)
    assert s.last_run.interrupted
    finished = [c for c in first.calls if c[0] != "interrupted"]
    partial = s.results()
    assert (partial["status"] == "pending").sum() == 24 - len(finished)  # unfetched scenarios stay visible
    second = FakeStore()
    s.store = second
    done = s.run(concurrency=3, progress=False)
    assert s.last_run.from_cache == len(finished)  # nothing lost
    assert not set(second.calls) & set(finished)   # nothing fetched twice
    assert len(second.calls) + len(finished) == 24
    assert not (done["status"] == "pending").any()


class CtrlCStore(FakeStore):
    """Sends this process a real Ctrl-C (the main thread's KeyboardInterrupt) during its n-th call,
    then answers that call and every call already in flight."""

    def __init__(self, n, **kw):
        super().__init__(**kw)
        self.n = n
        self.answered: list[tuple] = []

    def quote(self, draft):
        with self._lock:
            hit = len(self.calls) + 1 == self.n
        if hit:
            import _thread

            _thread.interrupt_main()
            self.delay = 0.2  # the calls in flight take a while yet
        answer = super().quote(draft)
        with self._lock:
            self.answered.append(self.signature(draft))
        return answer


def test_ctrl_c_mid_run_loses_no_answered_scenario_with_a_long_commit_interval(tmp_path):
    # answers are committed in large batches (every 60 s here): Ctrl-C in the caller's thread lets the
    # calls in flight finish and commits every scenario the store answered before raising
    dests = {f"d{i}": f"GB-Z{i}" for i in range(40)}
    store = CtrlCStore(9, delay=0.01)
    with Cache(tmp_path / "c.duckdb", flush_interval=60) as cache:
        s = Study(store, CARTS, dests, name="ctrl-c", cache=cache)
        with pytest.raises(KeyboardInterrupt):
            s.run(concurrency=4, progress=False)
        # the run raised only once the calls in flight were answered and handed to the cache
        assert store.in_flight == 0 and s.last_run.interrupted and s.last_run.fetched == len(store.answered)
        assert 9 <= len(store.answered) < 80
        assert (s.outcomes()["status"] == "ok").sum() == len(store.answered)
    with Cache(tmp_path / "c.duckdb") as cache:  # reopened: what was committed
        again = FakeStore()
        s = Study(again, CARTS, dests, name="ctrl-c", cache=cache)
        s.run(concurrency=4, progress=False)
        assert s.last_run.from_cache == len(store.answered)
        assert not set(again.calls) & set(store.answered) and len(again.calls) == 80 - len(store.answered)


def test_an_error_outside_the_quote_call_ends_the_run_with_it_and_keeps_what_was_recorded(cache, monkeypatch):
    store = FakeStore(delay=0.005)
    real = Cache._scenario_record
    seen = []

    def record(*args):
        seen.append(args[0])
        if len(seen) == 5:
            raise RuntimeError("boom while recording")
        return real(*args)

    monkeypatch.setattr(Cache, "_scenario_record", staticmethod(record))
    dests = {f"d{i}": f"GB-Z{i}" for i in range(20)}
    s = Study(store, CARTS, dests, name="crash", cache=cache)
    with pytest.raises(RuntimeError, match="boom while recording"):
        s.run(concurrency=3, progress=False)
    assert s.last_run.interrupted and s.last_run.fetched == len(seen) - 1 < 40
    outcomes = s.outcomes()
    assert (outcomes["status"] == "ok").sum() == len(seen) - 1  # every recorded answer was committed


_KILLED_RUN = textwrap.dedent("""
    import sys
    sys.path.insert(0, sys.argv[2])
    from fakes import FakeStore
    from ocdata.cache import Cache
    from ocdata.study import Study

    committed = []
    def on_commit(n):
        committed.append(n)
        print("committed", sum(committed), flush=True)

    cache = Cache(sys.argv[1], batch_size=4, flush_interval=0.05, on_commit=on_commit)
    dests = {f"d{i}": f"GB-Z{i}" for i in range(40)}
    Study(FakeStore(delay=0.02), {"one": "40x1"}, dests, name="killed", cache=cache).run(concurrency=2, progress=False)
    print("finished", flush=True)
""")


def test_sigkilled_study_keeps_committed_batches(tmp_path):
    path = tmp_path / "k.duckdb"
    p = subprocess.Popen([sys.executable, "-c", _KILLED_RUN, str(path), str(Path(__file__).parent)],
                         stdout=subprocess.PIPE, text=True)
    committed = 0
    for line in p.stdout:
        if line.startswith("committed"):
            committed = int(line.split()[1])
            if committed >= 8:
                break
    os.kill(p.pid, signal.SIGKILL)
    p.wait(timeout=30)
    assert committed >= 8
    with Cache(path) as cache:
        store = FakeStore()
        s = Study(store, {"one": "40x1"}, {f"d{i}": f"GB-Z{i}" for i in range(40)}, name="killed", cache=cache)
        s.run(progress=False)
        assert s.last_run.from_cache >= committed
        assert s.last_run.from_cache + s.last_run.fetched == 40
        assert len(store.calls) == s.last_run.fetched


def test_store_warnings_appear_once_per_study(cache):
    s = Study(FakeStore(warn="4.1 one-off calls price tax at the store address"), CARTS, DESTS, name="w",
              cache=cache)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        s.run(progress=False)
    mine = [w for w in caught if issubclass(w.category, OcdataWarning)]
    assert [str(w.message) for w in mine] == ["4.1 one-off calls price tax at the store address"]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        s.run(progress=False)  # all from cache: the answers still carry the warning
    assert len([w for w in caught if issubclass(w.category, OcdataWarning)]) == 1
    assert s.last_run.warnings == ["4.1 one-off calls price tax at the store address"]


def test_progress_bar_shows_or_stays_silent(cache, capsys):
    Study(FakeStore(), CARTS, {"London": "GB-LND"}, name="quiet", cache=cache).run(progress=False)
    out = capsys.readouterr()
    assert out.out == "" and out.err == ""
    Study(FakeStore(), CARTS, {"Paris": "FR-75"}, name="loud", cache=cache).run(progress=True)
    assert "2/2" in capsys.readouterr().err


def test_totals_and_tax_columns(cache):
    s = Study(FakeStore(), {"one": "40x1"}, {"London": "GB-LND", "CA": "US-CA"}, name="tax", cache=cache)
    s.run(progress=False)
    t = s.totals()
    assert set(t["code"]) == {"sub_total", "shipping", "tax", "total"}
    wide = s.taxes()
    assert list(wide.columns) == ["scenario_id", "quote_code", "CA Tax (8%)", "VAT (20%)"]
    london_flat = wide[(wide["scenario_id"] == 0) & (wide["quote_code"] == "flat.flat")].iloc[0]
    assert london_flat["VAT (20%)"] == 21.0 and pd.isna(london_flat["CA Tax (8%)"])


def test_parsed_cart_is_accepted_again_and_addresses_get_placeholders(cache):
    cart = parse_cart("40x2, 28")
    assert parse_cart(cart) == cart  # parse_cart's own output round-trips (widgets pass it back)
    study = Study(FakeStore(), carts={"c": cart}, destinations={"London": "GB-LDN"}, cache=cache)
    draft = study.draft(study.scenarios[0])
    address = draft.shipping_address
    # UK stores refuse an address without postcode, street or city: the study fills them in
    assert address.postcode and address.address_1 and address.city
    kept = Study(FakeStore(), carts={"c": cart},
                 destinations={"L": {"country": "GB", "zone": "LDN", "postcode": "SW1A 2AA"}}, cache=cache)
    assert kept.draft(kept.scenarios[0]).shipping_address.postcode == "SW1A 2AA"


def test_refusals_count_in_the_summary_and_retry_errors_asks_again(cache):
    store = FakeStore()
    s = Study(store, CARTS, {"London": "GB-LND", "bad": "XX"}, name="refusals", cache=cache)
    s.run(progress=False)
    assert s.last_run.summary() == "4 scenarios: 2 ok, 2 refused, 0 failed; 0 from cache, 4 fetched"
    assert not s.last_run.complete
    [group] = s.last_run.errors
    assert (group.status, group.error_type, group.count) == ("refused", "ValidationError", 2)
    assert group.examples == ("one / bad / group 0", "mix / bad / group 0")
    s.run(progress=False)  # a refusal is the scenario's answer: served from the cache, and still counted
    assert s.last_run.summary() == "4 scenarios: 2 ok, 2 refused (all from cache), 0 failed; 4 from cache, 0 fetched"
    calls = len(store.calls)
    s.run(progress=False, retry_errors=True)
    assert len(store.calls) == calls + 2 and s.last_run.fetched == 2 and s.last_run.refused_from_cache == 0
    outcomes = s.outcomes()
    assert list(outcomes.columns) == list(OUTCOME_COLUMNS)
    assert outcomes["status"].astype(str).tolist() == ["ok", "refused", "ok", "refused"]


class KeyRefusingStore(FakeStore):
    """Refuses the API key (as a store does for a wrong key) until ``key_ok`` is set."""

    key_ok = False

    def quote(self, draft):
        if not self.key_ok:
            with self._lock:
                self.calls.append(("refused", self.signature(draft)))
            raise AuthenticationError("the store rejected the API key: check OCDATA_API_KEY")
        return super().quote(draft)


def test_a_wrong_key_stops_the_run_and_caches_nothing(cache):
    store = KeyRefusingStore(delay=0.001)
    dests = {f"d{i}": f"GB-Z{i}" for i in range(10)}
    s = Study(store, CARTS, dests, name="wrong-key", cache=cache)
    with pytest.raises(AuthenticationError, match="API key") as caught:
        s.run(concurrency=2, progress=False)
    assert "nothing was cached" in " ".join(getattr(caught.value, "__notes__", []))
    assert len(store.calls) < 20  # stopped early, not one refusal per scenario
    assert s.last_run.pending == 20 and s.last_run.interrupted
    assert cache.sql("SELECT count(*) n FROM scenarios")["n"][0] == 0
    store.key_ok = True  # the key fixed: everything is fetched, nothing served from the cache
    s.run(concurrency=2, progress=False)
    assert (s.last_run.from_cache, s.last_run.fetched, s.last_run.ok) == (0, 20, 20)


_WRITE_OTHER = textwrap.dedent("""
    import sys
    from ocdata.cache import Cache
    with Cache(sys.argv[1]) as c:
        c.sql("INSERT INTO stores (store_key, url) VALUES ('other', 'http://other/')")
""")


def test_a_study_on_the_default_cache_does_not_lock_it_between_runs(tmp_path, monkeypatch):
    """A notebook's study (no cache given) opens the default cache for its run only: `ocdata study`
    in a terminal can write it in between, and the notebook still reads its results."""
    path = tmp_path / "kernel.duckdb"
    monkeypatch.setenv("OCDATA_CACHE", str(path))
    s = Study(FakeStore(), CARTS, {"London": "GB-LND"}, name="kernel")
    first = s.run(progress=False)
    done = subprocess.run([sys.executable, "-c", _WRITE_OTHER, str(path)], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    pd.testing.assert_frame_equal(s.results(), first)
    assert (s.outcomes()["status"] == "ok").all()
    s.run(progress=False)
    assert s.last_run.from_cache == 2
    import ocdata

    assert ocdata.sql("SELECT url FROM stores ORDER BY url")["url"].tolist() == ["http://fake.example/",
                                                                                "http://other/"]
