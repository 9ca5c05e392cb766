"""How long ``ocdata.sandbox.serve()`` takes to start (every test fixture pays it).

``python -m bench.sandbox_start [--repeat 15]`` prints one JSON line: the import time, the first
``serve()`` start per built-in store in a fresh process (loading its release's country/zone
table and demo catalogue once), and the median start of further ``serve(store="rich")`` calls.
Only the start is timed (``stop()`` waits for the server thread's poll interval).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args(argv)
    start = time.perf_counter()
    from ocdata.sandbox import serve

    imported = time.perf_counter() - start
    first = {}
    for store in ("rich", "stock", "oc40", "oc30"):
        t = time.perf_counter()
        shop = serve(store=store)
        first[store] = round((time.perf_counter() - t) * 1000, 1)
        shop.stop()
    warm = []
    for _ in range(args.repeat):
        t = time.perf_counter()
        shop = serve(store="rich")
        warm.append(time.perf_counter() - t)
        shop.stop()
    print(json.dumps({"import_s": round(imported, 3), "first_start_ms": first,
                      "warm_start_rich_median_ms": round(statistics.median(warm) * 1000, 1)}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
