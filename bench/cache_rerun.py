"""Benchmark 2: the same study re-run from the DuckDB cache, as a fraction of the first run.

``python -m bench.cache_rerun [--quick] [--dialect spec] [--concurrency 8]``

First run: the benchmark study (510 scenarios) at 20 ms latency per request, into a
new cache file. Re-run: the cache file closed and opened again (as in a new notebook
session), a new ``Study`` over the same scenarios, ``run()`` again. The store counts
the requests of the re-run (it must get none) and the re-run's frame must equal the
first run's.
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
import warnings
from pathlib import Path

from bench.common import Counted, SandboxProcess, header
from bench.scenarios import scenarios
from bench.study_throughput import LATENCY_MS, QUICK_LATENCY_MS, connect, make_study

TARGET_FRACTION = 0.02


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="12 scenarios, 5 ms latency")
    parser.add_argument("--dialect", default="spec")
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args(argv)
    latency = QUICK_LATENCY_MS if args.quick else LATENCY_MS
    chosen = scenarios(args.quick)
    logging.getLogger("ocdata.client").setLevel(logging.ERROR)
    warnings.simplefilter("ignore")
    header(f"Benchmark 2: {len(chosen)}-scenario study re-run from the DuckDB cache ({args.dialect}, "
           f"concurrency {args.concurrency}, {latency:g} ms latency)", args.quick)
    from ocdata.cache import Cache

    with SandboxProcess(latency_ms=latency) as sandbox, tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "study.duckdb"
        store = connect(sandbox, args.dialect, args.concurrency)
        with Cache(path) as cache, Counted(sandbox) as first:
            first_df = make_study(store, chosen, cache, "bench-cache").run(concurrency=args.concurrency,
                                                                            progress=False)
        with Counted(sandbox) as again:
            start = time.perf_counter()
            with Cache(path) as cache:  # reopened: nothing of the first run is in memory
                study = make_study(store, chosen, cache, "bench-cache")
                again_df = study.run(concurrency=args.concurrency, progress=False)
                report = study.last_run
            rerun_s = time.perf_counter() - start
        store.close()
    same = first_df.drop(columns=["fetched_at"]).equals(again_df.drop(columns=["fetched_at"]))
    fraction = rerun_s / first.wall_s
    print(f"{'run':30} {'wall s':>8} {'store requests':>15} {'rows':>6} {'from cache':>11}")
    print(f"{'first run (fetched)':30} {first.wall_s:8.3f} {first.requests:15d} {len(first_df):6d} {0:11d}")
    print(f"{'re-run (cache reopened)':30} {rerun_s:8.3f} {again.requests:15d} {len(again_df):6d} "
          f"{report.from_cache:11d}")
    print(f"re-run frame identical to the first run's (fetched_at aside): {same}")
    print(f"re-run wall time = {fraction:.2%} of the first run's (target < {TARGET_FRACTION:.0%}: "
          f"{'met' if fraction < TARGET_FRACTION else 'MISSED'})")
    return 0 if same and again.requests == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
