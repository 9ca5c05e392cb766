"""A study under ~10 % injected faults (spec dialect, seeded): every scenario ends as the
fault-free run's quote or a named error, a re-run fetches only the failed ones, the same seed
injects the same faults, and nothing secret is written anywhere.

Sequential (``concurrency=1``) so that the request sequence, hence the injection, is exactly
reproducible: with several workers the client's session reuse depends on scheduling.
"""

from __future__ import annotations

import logging
import warnings
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest
from conftest import FULL, KINDS, fault_plan, named_errors

from ocdata.cache import Cache
from ocdata.client import connect
from ocdata.sandbox import serve
from ocdata.study import Study

SEED = 4  # at the default size this seed hits every defect issue 13 named (a doubled cart, a raw 302, cached 5xx)
PROBABILITY = 0.10
CARTS = {"phone": "40x1", "two phones": "40x2", "monitor": "33x1", "laptop": "43x1", "screen": "47x1",
         "mix": "28x1, 40x1", "nanos": "36x3", "imac": "41x1", "vaio": "46x1", "tabs": "49x2"}
STATES = ["CA", "NY", "TX", "WA", "FL", "IL", "PA", "OH", "GA", "NC", "MI", "NJ", "VA", "AZ", "MA", "TN", "IN",
          "MO", "MD", "WI", "CO", "MN", "SC", "AL", "LA", "KY", "OR", "OK", "CT", "UT", "IA", "NV", "AR", "MS",
          "KS", "NM", "NE", "ID", "WV", "HI", "NH", "ME", "MT", "RI", "DE", "SD", "ND", "AK", "VT", "WY"]
if FULL:  # 10 carts x 50 destinations x 2 groups = 1,000 scenarios
    carts, states = CARTS, STATES
else:  # 4 x 10 x 2 = 80
    carts, states = dict(list(CARTS.items())[:4]), STATES[:10]
DESTINATIONS = {f"US-{s}": f"US-{s}" for s in states}
GROUPS = [1, 3]
COMPARED = ["scenario_id", "option_index", "quote_code", "cost", "sub_total", "cart_tax", "tax", "shipping_tax",
            "total", "n_payment_methods", "status"]


def _study(sandbox, cache: Cache, hook=None) -> tuple[Study, object]:
    store = connect(sandbox.url, sandbox.username, sandbox.key, dialect="spec", hook=hook)
    if hook is not None:
        hook.bind(store)
    return Study(store, carts, DESTINATIONS, GROUPS, name="reliability", cache=cache), store


class Runs:
    """What the module's runs produced (computed once)."""

    baseline: pd.DataFrame
    faulty: pd.DataFrame
    faulty_report: object
    faulty_scenarios: pd.DataFrame
    rerun: pd.DataFrame
    rerun_report: object
    log: list
    replay_log: list
    tokens: set[str]
    key: str
    cache_path: Path
    texts: list[str]


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> Runs:
    out = Runs()
    tmp = tmp_path_factory.mktemp("reliability")
    with serve(store="rich") as clean, Cache(tmp / "baseline.duckdb") as cache:
        study, store = _study(clean, cache)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out.baseline = study.run(concurrency=1, progress=False)
        store.close()

    records: list[logging.LogRecord] = []
    handler = logging.Handler(logging.DEBUG)
    handler.emit = records.append  # type: ignore[method-assign]
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    caught: list = []
    try:
        with serve(store="rich", faults=fault_plan(SEED, PROBABILITY)) as faulty:
            out.key = faulty.key
            out.tokens = set()
            sessions = faulty.app.spec.sessions
            create = sessions.create

            def recording_create(sid=None):
                session = create(sid)
                out.tokens.add(session.id)
                return session

            sessions.create = recording_create  # every api_token the store issues
            out.cache_path = tmp / "faulty.duckdb"
            with Cache(out.cache_path) as cache, warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                hook = cache.call_hook()
                study, store = _study(faulty, cache, hook)
                out.faulty = study.run(concurrency=1, progress=False)
                out.faulty_report = study.last_run
                out.faulty_scenarios = cache.sql("SELECT scenario_key, status, error_type, retryable FROM scenarios")
                out.log = list(faulty.faults.log)
                faulty.faults.reset({"rules": []})  # the store recovers; a re-run fetches what failed
                out.rerun = study.run(concurrency=1, progress=False)
                out.rerun_report = study.last_run
                store.close()
        with serve(store="rich", faults=fault_plan(SEED, PROBABILITY)) as replay, Cache(tmp / "replay.duckdb") as cache:
            study, store = _study(replay, cache)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                study.run(concurrency=1, progress=False)
            out.replay_log = list(replay.faults.log)
            store.close()
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
    out.texts = [r.getMessage() for r in records] + [str(w.message) for w in caught]
    out.texts += [str(e) for e in out.faulty["error"].dropna()] + [str(w) for w in out.faulty_report.warnings]
    return out


def _ok_rows(frame: pd.DataFrame, scenario_ids) -> pd.DataFrame:
    rows = frame[frame["scenario_id"].isin(scenario_ids)][COMPARED].copy()
    for column in ("quote_code", "status"):
        rows[column] = rows[column].astype(object)
    return rows.sort_values(["scenario_id", "option_index"]).reset_index(drop=True)


def test_faults_were_injected_at_the_planned_rate_and_of_every_kind(runs):
    requests_seen = len(runs.log) / PROBABILITY  # rough: the log is ~10 % of the requests
    assert requests_seen > 0
    kinds = Counter(i.kind if i.kind != "status" else str(i.status) for i in runs.log)
    if FULL:
        assert set(kinds) == set(KINDS), kinds
    assert len(runs.log) >= (20 if not FULL else 400)
    assert any(i.acted for i in runs.log) and any(not i.acted for i in runs.log)


def test_the_same_seed_injects_the_same_faults(runs):
    def shape(log):
        return [(i.seq, i.route, i.call, i.kind, i.status) for i in log]

    assert shape(runs.replay_log) == shape(runs.log)


def test_every_failed_scenario_is_a_named_error(runs):
    failed = runs.faulty_scenarios[runs.faulty_scenarios["status"] != "ok"]
    assert set(failed["error_type"]) <= named_errors(), Counter(failed["error_type"])


def test_every_answered_scenario_equals_the_fault_free_run(runs):
    ok = runs.faulty.groupby("scenario_id")["status"].agg(lambda s: (s == "ok").all())
    ids = ok[ok].index
    assert len(ids) > 0
    pd.testing.assert_frame_equal(_ok_rows(runs.faulty, ids), _ok_rows(runs.baseline, ids))


def test_a_rerun_fetches_only_the_failed_scenarios_and_ends_fault_free(runs):
    # the cache's answers (ok, or refused by the store) are reused; failed and never-fetched scenarios are not
    keys = set(runs.faulty["scenario_key"])
    answered = runs.faulty_scenarios[runs.faulty_scenarios["status"].isin(["ok", "refused"])]
    assert runs.rerun_report.fetched == len(keys - set(answered["scenario_key"])) > 0
    everyone = runs.baseline["scenario_id"].unique()
    pd.testing.assert_frame_equal(_ok_rows(runs.rerun, everyone), _ok_rows(runs.baseline, everyone))


def test_nothing_secret_is_written_during_the_faulty_study(runs):
    assert len(runs.tokens) >= 2  # the faults made the client log in again
    secrets = {runs.key, *runs.tokens}
    raw = runs.cache_path.read_bytes()
    for secret in secrets:
        assert secret.encode() not in raw
    with Cache(runs.cache_path, read_only=True) as cache:
        for table in cache.tables():
            text = cache.sql(f"SELECT * FROM {table}").to_csv()
            for secret in secrets:
                assert secret not in text, table
    for text in runs.texts:
        for secret in secrets:
            assert secret not in text
