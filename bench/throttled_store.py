"""Benchmark (scale): a store that throttles — per-store politeness against a rate limiter.

``python -m bench.throttled_store [--quick] [--limit-rps 40] [--latency-ms 10] [--scenarios 40]
[--concurrency 8] [--dialect spec]``

The sandbox store runs in its own process behind a rate limiter (``bench.server
--throttle-rps``: beyond ``--limit-rps`` requests in the last second it answers ``429`` with
``Retry-After: 1``, as a rate-limiting proxy in front of a shop does). The same study runs
three times against it, each with a fresh cache:

1. ``unlimited``: ``connect()`` without limits, ``concurrency`` threads: the store refuses
   what exceeds its limit; the transport waits the ``Retry-After`` of each refused read
   (per request) and the politeness layer is absent;
2. ``max_concurrency``: ``connect(max_concurrency=concurrency)`` (the same threads, capped):
   the transport tells politeness of every refusal, so the first 429 pauses every request
   to the store (``Retry-After``, at most 30 s) while the refused read is repeated;
3. ``max_rps``: ``connect(max_rps=share x limit)`` (``--share``, 0.9): the client keeps under the limit and
   the store refuses nothing.

Figures: wall time, scenarios/s, requests the store served, refusals (429) it sent, the refusals
politeness saw (every one the limited runs received: each attempt of the transport goes through it), the
most it served in any one-second window, failed scenarios, and the load average.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import warnings
from pathlib import Path

from bench.common import SandboxProcess, header

#: a scenario's row statuses that mean the store answered it (anything else: error/failed/refused/pending)
ANSWERED = ("ok", "unavailable", "no_shipping")
from bench.scenarios import scenarios
from bench.many_stores import make_study


def run(store: SandboxProcess, label: str, chosen: list, dialect: str, concurrency: int, workdir: Path,
        **limits) -> dict:
    import ocdata
    from ocdata.cache import Cache

    client = ocdata.connect(store.url, store.username, store.key, dialect=dialect, workers=concurrency, **limits)
    store.reset()
    load = os.getloadavg()[0]
    with Cache(workdir / f"{label}.duckdb") as cache:
        study = make_study(client, chosen, cache, label)
        t0 = time.perf_counter()
        frame = study.run(concurrency=concurrency, progress=False)
        wall = time.perf_counter() - t0
    stats = store.stats()
    politeness = client.politeness
    client.close()
    failed = int((~frame.drop_duplicates("scenario_key")["status"].astype(str).isin(ANSWERED)).sum())
    return {"label": label, "wall": wall, "rate": len(chosen) / wall, "served": stats["requests"],
            "refused": stats["refused"], "max_1s": stats["max_1s"], "failed": failed, "load": load,
            "paused": politeness.paused_s if politeness else 0.0,
            "seen": politeness.throttled if politeness else 0}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke run: 8 scenarios, limit 30 req/s")
    parser.add_argument("--limit-rps", type=float, default=40.0)
    parser.add_argument("--latency-ms", type=float, default=10.0)
    parser.add_argument("--scenarios", type=int, default=40)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--dialect", default="spec")
    parser.add_argument("--share", type=float, default=0.9, help="max_rps of the polite run, as a share of the limit")
    args = parser.parse_args(argv)
    limit = 30.0 if args.quick else args.limit_rps
    share = 0.8 if args.quick else args.share  # the smoke run keeps more margin: the loopback's jitter bunches arrivals
    chosen = scenarios()[::3][:8 if args.quick else args.scenarios]
    header("Benchmark (scale): a store that throttles", args.quick)
    print(f"{len(chosen)} scenarios ({args.dialect}), {args.latency_ms:g} ms per request, the store refuses (429, "
          f"Retry-After: 1) beyond {limit:g} requests a second; concurrency {args.concurrency}")
    warnings.simplefilter("ignore")
    store = SandboxProcess(latency_ms=args.latency_ms, throttle_rps=limit)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            rows = [run(store, "unlimited", chosen, args.dialect, args.concurrency, Path(tmp)),
                    run(store, "max_concurrency", chosen, args.dialect, args.concurrency, Path(tmp),
                        max_concurrency=args.concurrency),
                    run(store, "max_rps", chosen, args.dialect, args.concurrency, Path(tmp),
                        max_rps=share * limit)]
    finally:
        store.close()
    print(f"{'run':<16} {'wall s':>7} {'scen/s':>7} {'served':>7} {'429 sent':>8} {'max/1s':>6} "
          f"{'429 seen by politeness':>22} {'paused s':>8} {'failed':>6} {'load':>5}")
    for r in rows:
        print(f"{r['label']:<16} {r['wall']:>7.2f} {r['rate']:>7.2f} {r['served']:>7} {r['refused']:>8} "
              f"{r['max_1s']:>6} {r['seen']:>22} {r['paused']:>8.1f} {r['failed']:>6} {r['load']:>5.1f}")
    polite = rows[-1]
    print(f"max_rps={share * limit:g}: {polite['refused']} refusals, at most {polite['max_1s']} requests served in any "
          f"second (limit {limit:g})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
