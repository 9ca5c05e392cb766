"""Benchmark 1: study throughput against the physical limit and against a hand-written script.

``python -m bench.study_throughput [--quick] [--modes spec,oc41,oc41-storefront,oc40,oc30]
[--concurrency 1,4,8,16] [--baseline-every 5]``

The study (``bench.scenarios``: 10 carts x 17 destinations x the store's customer groups:
510 scenarios on the rich store, 340 on the oc40/oc30 reference stores, which know groups
1 and 2 only) runs through ``ocdata.study.Study(...).run(concurrency=c)`` against a sandbox
store (its own process, ``bench.server``) with 20 ms of latency injected per request, in
each *mode* (a dialect and its pricing: :data:`MODES`), each concurrency with a fresh cache
(so every scenario is fetched).

The baseline is ``bench/baseline_requests.py``, the script a user writes with plain
``requests`` (sequential, a login per scenario, a new connection per request, every
quote's totals fetched one by one). It runs every ``--baseline-every``-th scenario
(102 of 510, all carts represented) and its time per scenario is extrapolated to the
whole study; the output says so.

Figures: requests per scenario (counted by the store; the client's hook count is
shown as a cross-check), wall time, scenarios/s, speed-up over the baseline, and
efficiency = ideal / wall, where ideal = requests x latency / concurrency (the time the
round trips alone need when ``concurrency`` of them are always in flight). Where the rest
goes: ``rtt ms`` is the mean round trip the client measured (its hook), ``store ms`` the
mean time the store's application spent on a request beyond the injected latency (its
work, and its wait for its interpreter lock behind the other requests in flight); what
remains of a round trip is the client's and the loopback's.
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import threading
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import baseline_requests
from bench.common import Counted, SandboxProcess, header, load_average
from bench.scenarios import CUSTOMER, Scenario, scenarios, to_draft

LATENCY_MS = 20.0
QUICK_LATENCY_MS = 5.0
#: Targets at 20 ms latency (RESULTS.md, issue 14): efficiency per concurrency, speed-up at 8 and 16.
TARGET_SPEEDUP = 10.0
TARGET_EFFICIENCY = {8: 0.90, 16: 0.80}


@dataclass(frozen=True)
class Mode:
    """A dialect and pricing mode the sandbox serves, with the store that serves it."""

    dialect: str
    pricing: str
    store: str
    groups: tuple[int, ...]


#: Every dialect and pricing mode the sandbox serves; the baseline script of the same name.
MODES = {
    "spec": Mode("spec", "api", "rich", (1, 2, 3)),
    "oc41": Mode("oc41", "api", "rich", (1, 2, 3)),
    "oc41-storefront": Mode("oc41", "storefront", "rich", (1, 2, 3)),
    "oc40": Mode("oc40", "api", "oc40", (1, 2)),
    "oc30": Mode("oc30", "api", "oc30", (1, 2)),
}


@dataclass
class Run:
    label: str
    scenarios: int
    requests: int
    wall_s: float
    concurrency: int = 1
    client_requests: int | None = None
    failed: int = 0
    server_cpu_s: float = 0.0
    by_route: dict[str, int] | None = None
    store_app_s: float = 0.0  # the store application's time, injected latency included
    round_trip_ms: float | None = None  # mean, as the client measured it

    def store_ms(self, latency_ms: float) -> float:
        """Mean time the store spent on a request beyond the injected latency."""
        return self.store_app_s * 1000 / self.requests - latency_ms

    @property
    def per_scenario(self) -> float:
        return self.requests / self.scenarios

    @property
    def rate(self) -> float:
        return self.scenarios / self.wall_s

    def ideal_s(self, latency_ms: float) -> float:
        return self.requests * latency_ms / 1000 / self.concurrency

    def efficiency(self, latency_ms: float) -> float:
        return self.ideal_s(latency_ms) / self.wall_s


def make_study(store: Any, chosen: list[Scenario], cache: Any, name: str) -> Any:
    """An ocdata Study over exactly the benchmark's scenarios (same drafts the baseline posts)."""
    from ocdata.client.models import Customer
    from ocdata.study import Scenario as StudyScenario
    from ocdata.study import Study

    cells = []
    for i, s in enumerate(chosen):
        draft = to_draft(s)
        cells.append(StudyScenario(i, "+".join(f"{l.product_id}x{l.quantity}" for l in s.cart), s.destination.label,
                                   draft.lines, draft.shipping_address, s.customer_group_id))
    return Study(store, scenarios=cells, cache=cache, name=name, customer=Customer(**CUSTOMER))


def connect(sandbox: SandboxProcess, dialect: str, workers: int, hook: Any = None, pricing: str = "api") -> Any:
    from ocdata.client.store import connect as ocdata_connect

    # pricing given explicitly: oc41's default is changing; the session dialects ignore it
    return ocdata_connect(sandbox.url, sandbox.username, sandbox.key, dialect=dialect, workers=workers, hook=hook,
                          pricing=pricing)


class RoundTrips:
    """A ``connect(hook=...)`` counting requests and summing their round trips (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.count = 0
        self.total_ms = 0.0

    def __call__(self, record: Any) -> None:
        with self._lock:
            self.count += 1
            self.total_ms += record.elapsed_ms

    @property
    def mean_ms(self) -> float:
        return self.total_ms / self.count if self.count else 0.0


def run_ocdata(sandbox: SandboxProcess, mode: str, chosen: list[Scenario], concurrency: int) -> Run:
    """The study at one concurrency, into a fresh cache, counted on both sides."""
    from ocdata.cache import Cache

    sent = RoundTrips()
    dialect = MODES[mode].dialect
    store = connect(sandbox, dialect, concurrency, hook=sent, pricing=MODES[mode].pricing)
    with tempfile.TemporaryDirectory() as tmp, Cache(Path(tmp) / "study.duckdb") as cache, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # oc41's api-pricing notice: known, and the same for every run
        study = make_study(store, chosen, cache, f"bench-{mode}-{concurrency}")
        with Counted(sandbox) as counted:
            df = study.run(concurrency=concurrency, progress=False)
        app_s = sandbox.stats()["app_s"]  # nothing was sent since the block ended
        failed = study.last_run.failed + study.last_run.refused
    store.close()
    if len(df) < len(chosen):
        raise RuntimeError(f"the study returned {len(df)} rows for {len(chosen)} scenarios")
    return Run(f"ocdata {mode}", len(chosen), counted.requests, counted.wall_s, concurrency, sent.count, failed,
               counted.server_cpu_s, counted.by_route, app_s, sent.mean_ms)


def run_baseline(sandbox: SandboxProcess, dialect: str, chosen: list[Scenario]) -> Run:
    with Counted(sandbox) as counted:
        rows = baseline_requests.run(sandbox.url, sandbox.username, sandbox.key, chosen, dialect)
    app_s = sandbox.stats()["app_s"]
    if not rows:
        raise RuntimeError("the baseline priced nothing")
    return Run(f"baseline {dialect}", len(chosen), counted.requests, counted.wall_s, 1, None, 0,
               counted.server_cpu_s, counted.by_route, app_s)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="12 scenarios (8 on oc40/oc30), 5 ms latency")
    parser.add_argument("--modes", default=",".join(MODES), help=f"any of {', '.join(MODES)}")
    parser.add_argument("--dialects", help=argparse.SUPPRESS)  # the former name of --modes
    parser.add_argument("--concurrency", default="1,4,8,16")
    parser.add_argument("--baseline-every", type=int, default=5, help="baseline on every N-th scenario")
    parser.add_argument("--latency-ms", type=float, default=None)
    args = parser.parse_args(argv)
    latency = args.latency_ms if args.latency_ms is not None else (QUICK_LATENCY_MS if args.quick else LATENCY_MS)
    modes = (args.dialects or args.modes).split(",")
    unknown = [m for m in modes if m not in MODES]
    if unknown:
        parser.error(f"unknown mode(s) {unknown}; use {', '.join(MODES)}")
    levels = [int(c) for c in args.concurrency.split(",")]
    # oc41's pricing="api" notice would repeat for every run
    logging.getLogger("ocdata.client").setLevel(logging.ERROR)
    header(f"Benchmark 1: study throughput, {latency:g} ms latency per request", args.quick)
    print(f"load average at the start: {load_average()}")
    print(f"baseline: bench/baseline_requests.py on every {4 if args.quick else args.baseline_every}th scenario, "
          f"extrapolated per scenario to the whole study")
    print(f"efficiency = (requests x {latency:g} ms / concurrency) / wall time; rtt ms = mean round trip (client); "
          f"store ms = mean time in the store beyond the {latency:g} ms")
    summary = []
    for mode in modes:
        spec = MODES[mode]
        chosen = scenarios(args.quick, spec.groups)
        subset = chosen[:: 4 if args.quick else args.baseline_every]
        with SandboxProcess(latency_ms=latency, store=spec.store) as sandbox:
            base = run_baseline(sandbox, mode, subset)
            base_full_s = base.wall_s / base.scenarios * len(chosen)
            print(f"\n[{mode}] dialect {spec.dialect}, pricing {spec.pricing}, store {spec.store!r}, "
                  f"{len(chosen)} scenarios; load average {load_average()}")
            print(f"{'run':24} {'conc':>4} {'req/scen':>8} {'(client)':>8} {'wall s':>8} {'scen/s':>7} "
                  f"{'speed-up':>8} {'ideal s':>8} {'efficiency':>10} {'srv CPU':>7} {'rtt ms':>6} {'store ms':>8} "
                  f"{'failed':>6}")
            print(f"{base.label:24} {1:4d} {base.per_scenario:8.2f} {'':>8} {base_full_s:8.2f} {base.rate:7.2f} "
                  f"{1.0:7.1f}x {base.ideal_s(latency) / base.scenarios * len(chosen):8.2f} "
                  f"{base.efficiency(latency):10.0%} {base.server_cpu_s / base.wall_s:7.0%} {'':>6} "
                  f"{base.store_ms(latency):8.2f} {0:6d}"
                  f"   (measured on {base.scenarios} scenarios in {base.wall_s:.2f} s)")
            for c in levels:
                r = run_ocdata(sandbox, mode, chosen, c)
                speedup = r.rate / base.rate
                print(f"{r.label:24} {c:4d} {r.per_scenario:8.2f} {r.client_requests / r.scenarios:8.2f} "
                      f"{r.wall_s:8.2f} {r.rate:7.2f} {speedup:7.1f}x {r.ideal_s(latency):8.2f} "
                      f"{r.efficiency(latency):10.0%} {r.server_cpu_s / r.wall_s:7.0%} {r.round_trip_ms:6.2f} "
                      f"{r.store_ms(latency):8.2f} {r.failed:6d}")
                if c in TARGET_EFFICIENCY:
                    summary.append((mode, c, speedup, r.efficiency(latency)))
            print(f"requests per scenario by route ({mode}, ocdata, last run): "
                  + ", ".join(f"{k.removeprefix('api/')} {v / r.scenarios:.2f}"
                              for k, v in sorted(r.by_route.items(), key=lambda kv: (-kv[1], kv[0]))))
            print(f"requests per scenario by route ({mode}, baseline): "
                  + ", ".join(f"{k.removeprefix('api/')} {v / base.scenarios:.2f}"
                              for k, v in sorted(base.by_route.items(), key=lambda kv: (-kv[1], kv[0]))))
    print(f"\nload average at the end: {load_average()}")
    for mode, c, speedup, eff in summary:
        target = TARGET_EFFICIENCY[c]
        print(f"targets at concurrency {c} ({mode}): speed-up {speedup:.1f}x (target >= {TARGET_SPEEDUP:g}x: "
              f"{'met' if speedup >= TARGET_SPEEDUP else 'MISSED'}), efficiency {eff:.0%} "
              f"(target >= {target:.0%}: {'met' if eff >= target else 'MISSED'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
