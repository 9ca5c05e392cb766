"""Benchmark (scale): one study over N stores — does throughput scale with the number of stores?

``python -m bench.many_stores [--quick] [--stores 1,4,8] [--latency-ms 50] [--cap 4] [--scenarios 60]
[--dialect spec]``

N sandbox stores, each in its own process (``bench.server``) with ``--latency-ms`` injected
per request, are connected with a per-store politeness cap (``connect(max_concurrency=cap)``)
and studied at once by one :class:`ocdata.MultiStoreStudy` (``--scenarios`` scenarios of
``bench.scenarios`` per store, a fresh cache per run). A store's throughput is bounded by its
cap and latency, so the study's should be N times one store's: the target is >= 90 % of
N x the single-store rate for N = 1, 4, 8.

Figures: wall time, scenarios/s, the share of N x the single-store rate, requests per
scenario (counted by the stores), the client's CPU per scenario and its share of one core
(this process: the stores run elsewhere), the stores' CPU, ``fetch s`` (the longest of the
stores' fetch phases, ``RunReport.seconds``; the rest of the wall time is setting the studies
up in the cache and reading the frame back) and the load average at the start of each run
(the machine is shared).
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
from bench.scenarios import CUSTOMER, scenarios, to_draft

TARGET = 0.90


def make_study(store, chosen: list, cache, name: str):
    """An ocdata Study over exactly these benchmark scenarios (the drafts ``bench.scenarios`` posts)."""
    from ocdata.client.models import Customer
    from ocdata.study import Scenario as StudyScenario
    from ocdata.study import Study

    cells = []
    for i, s in enumerate(chosen):
        draft = to_draft(s)
        cells.append(StudyScenario(i, "+".join(f"{l.product_id}x{l.quantity}" for l in s.cart), s.destination.label,
                                   draft.lines, draft.shipping_address, s.customer_group_id))
    return Study(store, scenarios=cells, cache=cache, name=name, customer=Customer(**CUSTOMER))


def run(stores: list[SandboxProcess], chosen: list, cap: int, dialect: str, workdir: Path) -> dict:
    import ocdata
    from ocdata.cache import Cache

    clients = [ocdata.connect(s.url, s.username, s.key, dialect=dialect, max_concurrency=cap, workers=cap)
               for s in stores]
    template = make_study(clients[0], chosen, None, "template")
    for s in stores:
        s.reset()
    cpu0 = [s.stats()["cpu_s"] for s in stores]
    load = os.getloadavg()[0]
    with Cache(workdir / f"many-{len(stores)}.duckdb") as cache:
        multi = ocdata.MultiStoreStudy(clients, name=f"many{len(stores)}", cache=cache, customer=template.customer,
                                       scenarios=template.scenarios)
        c0, t0 = time.process_time(), time.perf_counter()
        frame = multi.run(progress=False)
        wall, client_cpu = time.perf_counter() - t0, time.process_time() - c0
        fetching = max(r.seconds for r in multi.last_runs)
    stats = [s.stats() for s in stores]
    for c in clients:
        c.close()
    n = len(stores) * len(chosen)
    return {"stores": len(stores), "scenarios": n, "wall": wall, "rate": n / wall,
            "requests": sum(s["requests"] for s in stats), "client_cpu": client_cpu, "fetching": fetching,
            "server_cpu": sum(s["cpu_s"] - c for s, c in zip(stats, cpu0)),
            "failed": int((~frame.drop_duplicates("scenario_key")["status"].astype(str).isin(ANSWERED)).sum()),
            "load": load}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke run: 1 and 2 stores, 8 scenarios, 10 ms")
    parser.add_argument("--stores", default="1,4,8")
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--cap", type=int, default=4, help="per-store max_concurrency (and the study's per store)")
    parser.add_argument("--scenarios", type=int, default=60, help="scenarios per store")
    parser.add_argument("--dialect", default="spec")
    args = parser.parse_args(argv)
    counts = [1, 2] if args.quick else [int(x) for x in args.stores.split(",")]
    latency = 10.0 if args.quick else args.latency_ms
    per_store = 8 if args.quick else args.scenarios
    chosen = scenarios()[::3][:per_store]
    header("Benchmark (scale): one study over N stores", args.quick)
    print(f"{per_store} scenarios per store ({args.dialect}), {latency:g} ms per request, per-store max_concurrency "
          f"{args.cap}; each store its own process")
    warnings.simplefilter("ignore")  # oc41's pricing notice, once per store
    stores = [SandboxProcess(latency_ms=latency) for _ in range(max(counts))]
    try:
        with tempfile.TemporaryDirectory() as tmp:
            rows = [run(stores[:n], chosen, args.cap, args.dialect, Path(tmp)) for n in counts]
    finally:
        for s in stores:
            s.close()
    single = next((r["rate"] for r in rows if r["stores"] == 1), None)
    print(f"{'stores':>6} {'scen':>5} {'wall s':>7} {'scen/s':>7} {'x 1 store':>9} {'of N x 1':>8} {'req/scen':>8} "
          f"{'client CPU ms/scen':>18} {'client core':>11} {'stores CPU s':>12} {'fetch s':>7} {'failed':>6} {'load':>5}")
    for r in rows:
        share = r["rate"] / (r["stores"] * single) if single else float("nan")
        print(f"{r['stores']:>6} {r['scenarios']:>5} {r['wall']:>7.2f} {r['rate']:>7.2f} "
              f"{r['rate'] / single if single else float('nan'):>8.2f}x {share:>7.0%} "
              f"{r['requests'] / r['scenarios']:>8.2f} {r['client_cpu'] * 1000 / r['scenarios']:>18.2f} "
              f"{r['client_cpu'] / r['wall']:>10.0%} {r['server_cpu']:>12.2f} {r['fetching']:>7.2f} {r['failed']:>6} {r['load']:>5.1f}")
    if single:
        verdicts = [f"N={r['stores']}: {r['rate'] / (r['stores'] * single):.0%}" for r in rows if r["stores"] > 1]
        met = all(r["rate"] >= TARGET * r["stores"] * single for r in rows)
        print(f"target >= {TARGET:.0%} of N x the single-store rate: {', '.join(verdicts)} "
              f"({'met' if met else 'MISSED'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
