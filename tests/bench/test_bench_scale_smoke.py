"""The scale benchmarks' ``--quick`` modes run and print their figures (never their timings' values)."""

from __future__ import annotations

import re

from test_bench_smoke import quick, rows


def test_many_stores_reports_each_store_count_and_the_target():
    out = quick("many_stores")
    runs = rows(out, "     ")
    assert [int(r[0]) for r in runs] == [1, 2], out
    for r in runs:
        assert int(r[1]) == 8 * int(r[0]), r  # every store's scenarios
        assert r[4].endswith("x") and r[5].endswith("%"), r
        assert float(r[6]) > 0 and float(r[7]) > 0, r  # requests per scenario, client CPU per scenario
        assert int(r[-2]) == 0, r  # no scenario failed
    assert re.search(r"target >= 90% of N x the single-store rate: N=2: \d+%", out)


def test_throttled_store_polite_run_is_never_refused():
    out = quick("throttled_store")
    (unlimited,) = rows(out, "unlimited ")
    (polite,) = rows(out, "max_rps ")
    assert int(unlimited[3]) > 0 and int(polite[3]) > 0  # requests served
    assert int(polite[4]) == 0 and int(polite[5]) <= 30, polite  # never refused: it kept under the limit
    assert int(polite[-2]) == 0  # no scenario failed


def test_scale_cpu_reports_cpu_per_scenario():
    out = quick("scale_cpu")
    (local,) = rows(out, "spec-local ")
    assert int(local[1]) == 12 and float(local[3]) > 0 and float(local[4]) > 0, local
    assert int(local[-2]) == 0, local
