"""Benchmark (scale): the client's CPU per scenario — when does one machine stop being enough?

``python -m bench.scale_cpu [--quick] [--dialects spec,oc41] [--scenarios 102] [--no-dask]``

The store runs in its own process (``bench.server``, 5 ms per request), so this process's
CPU time (``time.process_time``: every thread, DuckDB's included) is the client's. Per
dialect, one study of ``--scenarios`` scenarios runs at concurrency 4:

* ``local``: ``Study.run`` in this process (quotes and cache writes here);
* ``dask driver`` / ``dask workers``: the same study with ``executor=`` a Dask ``LocalCluster``
  of 2 worker processes (1 thread each): the driver's CPU (shipping drafts, receiving quotes,
  writing the cache) and the workers' CPU (quoting), each per scenario.

A process quotes on one core at most (the interpreter lock), so one process tops out near
``1000 / (CPU ms per scenario)`` scenarios a second; the README turns these figures into
when to go wider.
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
from bench.scenarios import scenarios
from bench.many_stores import make_study


def measure(store: SandboxProcess, dialect: str, chosen: list, workdir: Path, executor=None, client=None) -> dict:
    import ocdata
    from ocdata.cache import Cache

    connection = ocdata.connect(store.url, store.username, store.key, dialect=dialect, workers=4)
    store.reset()
    label = f"{dialect}-{'dask' if executor else 'local'}"
    workers0 = client.run(time.process_time) if client else {}
    load = os.getloadavg()[0]
    with Cache(workdir / f"{label}.duckdb") as cache:
        study = make_study(connection, chosen, cache, label)
        c0, t0 = time.process_time(), time.perf_counter()
        study.run(concurrency=4, progress=False, executor=executor)
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        failed = study.last_run.failed
    workers1 = client.run(time.process_time) if client else {}
    connection.close()
    requests = store.stats()["requests"]
    n = len(chosen)
    return {"label": label, "n": n, "wall": wall, "cpu_ms": cpu * 1000 / n, "req": requests / n,
            "workers_ms": sum(workers1[w] - workers0[w] for w in workers1) * 1000 / n if client else None,
            "failed": failed, "load": load}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke run: 12 scenarios, spec only, no Dask")
    parser.add_argument("--dialects", default="spec,oc41")
    parser.add_argument("--scenarios", type=int, default=102)
    parser.add_argument("--no-dask", action="store_true")
    args = parser.parse_args(argv)
    dialects = ["spec"] if args.quick else args.dialects.split(",")
    chosen = scenarios()[::5][:12 if args.quick else args.scenarios]
    header("Benchmark (scale): client CPU per scenario", args.quick)
    print(f"{len(chosen)} scenarios, 5 ms per request, concurrency 4; the store in its own process")
    warnings.simplefilter("ignore")
    rows = []
    store = SandboxProcess(latency_ms=5)
    cluster = client = None
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for dialect in dialects:
                rows.append(measure(store, dialect, chosen, Path(tmp)))
            if not (args.quick or args.no_dask):
                import ocdata
                from dask.distributed import Client, LocalCluster

                cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
                client = Client(cluster)
                os.environ["OCDATA_API_KEY"] = store.key  # the workers' own environment is how they find it
                for dialect in dialects:
                    connection = ocdata.connect(store.url, store.username, store.key, dialect=dialect)
                    ocdata.distributed.hand_over_key(client, connection)
                    connection.close()
                    measure(store, dialect, chosen[:8], Path(tmp), client.get_executor(), client)  # warm the workers
                    rows.append(measure(store, dialect, chosen, Path(tmp), client.get_executor(), client))
    finally:
        if client is not None:
            client.close()
        if cluster is not None:
            cluster.close()
        store.close()
    print(f"{'run':<12} {'scen':>5} {'wall s':>7} {'req/scen':>8} {'driver CPU ms/scen':>18} "
          f"{'workers CPU ms/scen':>19} {'one core: scen/s':>16} {'failed':>6} {'load':>5}")
    for r in rows:
        workers = f"{r['workers_ms']:.1f}" if r["workers_ms"] is not None else "-"
        quoting = r["workers_ms"] if r["workers_ms"] is not None else r["cpu_ms"]
        print(f"{r['label']:<12} {r['n']:>5} {r['wall']:>7.2f} {r['req']:>8.2f} {r['cpu_ms']:>18.1f} {workers:>19} "
              f"{1000 / quoting:>16.0f} {r['failed']:>6} {r['load']:>5.1f}")
    print("one core: scen/s = 1000 / the CPU ms per scenario of the process that quotes (this one, or the workers)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
