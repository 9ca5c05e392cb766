"""Each benchmark's ``--quick`` mode runs and prints its figures (never its timings' values)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
NUM = r"[\d,]+(?:\.\d+)?"


def quick(name: str, timeout: float = 120) -> str:
    done = subprocess.run([sys.executable, "-m", f"bench.{name}", "--quick"], cwd=REPO, capture_output=True,
                          text=True, timeout=timeout, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.startswith("== Benchmark"), done.stdout
    assert "machine: " in done.stdout and " CPUs (" in done.stdout
    return done.stdout


def rows(out: str, prefix: str) -> list[list[str]]:
    return [line.split() for line in out.splitlines() if line.startswith(prefix)]


def test_sandbox_rps_serves_both_dialects_without_failures():
    out = quick("sandbox_rps")
    for dialect in ("spec", "oc41"):
        (row,) = rows(out, dialect + " ")
        requests, failed = int(row[1]), int(row[-1])
        assert requests > 0 and failed == 0, row
        assert re.fullmatch(NUM, row[3]) and re.fullmatch(NUM, row[4]), row  # req/s, server CPU ms/req
        assert row[7].endswith("x"), row  # multiple of the study's demand
    assert "study demand: at most 800 req/s" in out


def test_frames_cache_pipeline_keeps_every_row():
    out = quick("frames_cache")
    steps = {"to_frame(quotes)": 20_000, "DuckDB write": 20_000, "grouped query": 20_000, "read back": 20_000}
    for step, expected in steps.items():
        (line,) = [l for l in out.splitlines() if l.startswith(step)]
        name, n_rows, seconds, rate, *_ = re.split(r"\s{2,}", line.strip())
        assert int(n_rows.replace(",", "")) == expected, line
        assert re.fullmatch(NUM, seconds) and re.fullmatch(NUM, rate), line
    assert re.search(rf"the cache write also stored: {NUM} totals rows, {NUM} payment_methods rows", out)
    assert re.search(rf"end to end \(all steps\): {NUM} s .*peak memory {NUM} MB", out)


MODES = ("spec", "oc41", "oc41-storefront", "oc40", "oc30")


def test_study_throughput_reports_every_mode_and_concurrency_with_matching_counts():
    out = quick("study_throughput", timeout=300)  # five modes, three sandbox stores
    for mode in MODES:
        (base,) = rows(out, f"baseline {mode} ")
        assert float(base[3]) > 0, base  # requests per scenario, counted by the store
        runs = rows(out, f"ocdata {mode} ")
        assert [int(r[2]) for r in runs] == [1, 4, 8, 16]
        for r in runs:
            server, client = float(r[3]), float(r[4])
            assert server > 0 and server == client, r  # the store counted what the client's hook saw
            assert r[7].endswith("x") and r[9].endswith("%"), r  # speed-up, efficiency
            # the mean round trip includes the 5 ms injected and the store's own time beyond it
            assert float(r[11]) > 5.0 + float(r[12]) and float(r[12]) > 0, r
            assert int(r[-1]) == 0, r  # no scenario failed
        # the per-route counts of the last run add up to its requests per scenario
        (line,) = [l for l in out.splitlines() if l.startswith(f"requests per scenario by route ({mode}, ocdata")]
        per_route = [float(x) for x in re.findall(r" (\d+\.\d+)(?:,|$)", line)]
        assert abs(sum(per_route) - float(runs[-1][3])) < 0.05 * len(per_route), line
    for c in (8, 16):
        found = re.findall(rf"targets at concurrency {c} \(([\w-]+)\): speed-up", out)
        assert found == list(MODES), found
    assert "extrapolated per scenario to the whole study" in out
    assert "load average at the start: " in out


def test_client_cpu_attributes_each_modes_cpu_to_layers():
    done = subprocess.run([sys.executable, "-m", "bench.client_cpu", "--quick", "--modes", "spec,oc41-storefront"],
                          cwd=REPO, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    for mode in ("spec", "oc41-storefront"):
        (line,) = [l for l in out.splitlines() if l.startswith(f"[{mode}] 6 scenarios, ")]
        assert re.search(rf"client CPU {NUM} ms/req, wall {NUM} ms/req", line), line
    assert out.count("profiled ") == 2 and "http: " in out and "signing (ocdata.client.signing)" in out


def test_cache_rerun_needs_no_request_and_gives_the_same_frame():
    out = quick("cache_rerun")
    (first,) = rows(out, "first run (fetched)")
    (rerun,) = rows(out, "re-run (cache reopened)")
    assert int(first[-3]) > 0 and int(rerun[-3]) == 0, (first, rerun)  # requests the store answered
    assert int(rerun[-2]) == int(first[-2]) and int(rerun[-1]) == 12, rerun  # same rows, all 12 from the cache
    assert "identical to the first run's (fetched_at aside): True" in out
    assert re.search(r"re-run wall time = [\d.]+% of the first run's", out)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(pytest.main([__file__, "-q"]))
