"""Benchmark 1b: where the client's CPU goes per request, in every mode of benchmark 1.

``python -m bench.client_cpu [--quick] [--modes spec,oc41,...] [--scenarios 60] [--no-profile]``

Each mode (:data:`bench.study_throughput.MODES`) prices the first ``--scenarios`` scenarios of
benchmark 1 through ``Study.run(concurrency=1)`` into a fresh cache, against its sandbox store in
its own process with no injected latency, twice: once timed (the client process's CPU time per
request the store answered: ``time.process_time``, which counts only this process, so other
processes' load on the machine inflates it far less than wall time), once under pyinstrument.
The profile's own time per frame is attributed to the innermost known layer on its stack
(:data:`LAYERS`: the HTTP stack, JSON decoding, the dialect's parsing, signing, pydantic model
building, the study and cache hand-off...) and printed as ms per request per layer.

Why it matters: at 20 ms latency and concurrency c, the client's threads share one interpreter
lock, so a request's answer waits while other threads run Python; the efficiency of benchmark 1
falls as c x (CPU ms per request) approaches the round trip.
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
import warnings
from collections import Counter
from pathlib import Path
from typing import Any

from bench.common import SandboxProcess, header, load_average
from bench.scenarios import scenarios, to_draft
from bench.study_throughput import MODES, make_study

#: (layer, path fragments): a frame's own time goes to the first layer whose fragment is in its file
#: path, else to its caller's layer. Order matters: the more specific first.
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("http: requests", ("/requests/",)),
    ("http: urllib3", ("/urllib3/",)),
    ("http: http.client/socket", ("/http/client.py", "/socket.py", "/ssl.py", "/selectors.py")),
    ("json decode", ("/json/",)),
    ("signing (ocdata.client.signing)", ("ocdata/client/signing.py",)),
    ("transport (ocdata.client.transport)", ("ocdata/client/transport.py",)),
    ("dialect parse (dialects/parse.py)", ("ocdata/client/dialects/parse.py",)),
    ("dialect forms (dialects/forms.py)", ("ocdata/client/dialects/forms.py",)),
    ("dialect flow (dialects/*)", ("ocdata/client/dialects/",)),
    ("models / pydantic", ("ocdata/client/models.py", "/pydantic/", "/pydantic_core/")),
    ("store / geo (client)", ("ocdata/client/store.py", "ocdata/client/geo.py")),
    ("cache hand-off (ocdata.cache)", ("ocdata/cache.py",)),
    ("frames (ocdata.frames)", ("ocdata/frames.py",)),
    ("study (ocdata.study)", ("ocdata/study.py",)),
    ("threads / queues", ("/threading.py", "/queue.py", "/concurrent/")),
    ("pandas / numpy / arrow / duckdb", ("/pandas/", "/numpy/", "/pyarrow/", "/duckdb/")),
    ("urllib.parse / email / re / other stdlib", ("/urllib/", "/email/", "/re/", "/python3.11/")),
)


#: Leaf functions where a thread waits rather than computes (pyinstrument samples wall time): the
#: store's answer on the socket, a lock or a queue. Reported apart, not as the client's CPU.
WAITING = "(waiting: socket, locks; not CPU)"
_WAITS = frozenset({"recv_into", "recv", "poll", "select", "wait", "acquire", "sleep", "get", "readinto"})
_WAIT_FILES = ("<built-in>", "/threading.py", "/socket.py", "/selectors.py", "/queue.py")


def _layer(path: str | None, inherited: str) -> str:
    if path:
        for name, fragments in LAYERS:
            if any(f in path for f in fragments):
                return name
    return inherited


def _attribute(frame: Any, inherited: str, out: Counter, parent: Any = None) -> None:
    layer = _layer(frame.file_path, inherited)
    own = frame.time - sum(child.time for child in frame.children)
    if frame.function == "[self]" and parent is not None and parent.function in _WAITS and (
            not parent.file_path or any(f in parent.file_path for f in _WAIT_FILES)):
        layer = WAITING  # a blocking call made from there (pyinstrument books a function's own time as "[self]")
    out[layer] += max(own, 0.0)
    for child in frame.children:
        _attribute(child, layer, out, frame)


def _run(sandbox: SandboxProcess, mode: str, chosen: list, profile: bool) -> tuple[int, float, float, Counter]:
    """Timed: ``Study.run(concurrency=1)`` (its worker thread and the cache's writer thread count in the
    process's CPU time). Profiled: what the study's worker does per scenario, in this thread (pyinstrument
    samples one thread): ``store.quote(draft)`` then ``cache.record_quote(...)`` (the hand-off to the writer)."""
    from ocdata.cache import Cache
    from ocdata.client.store import connect

    spec = MODES[mode]
    store = connect(sandbox.url, sandbox.username, sandbox.key, dialect=spec.dialect, workers=1,
                    pricing=spec.pricing)
    layers: Counter = Counter()
    with tempfile.TemporaryDirectory() as tmp, Cache(Path(tmp) / "cpu.duckdb") as cache, \
            warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sandbox.reset()
        cpu0, wall0 = time.process_time(), time.perf_counter()
        if profile:
            from pyinstrument import Profiler

            drafts = [to_draft(s) for s in chosen]
            profiler = Profiler(interval=0.001, async_mode="disabled")
            profiler.start()
            for draft in drafts:
                cache.record_quote(store, draft, store.quote(draft))
            profiler.stop()
            root = profiler.last_session.root_frame()
            if root is not None:
                _attribute(root, "other", layers)
        else:
            make_study(store, chosen, cache, f"cpu-{mode}").run(concurrency=1, progress=False)
        cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
        requests = sandbox.stats()["requests"]
    store.close()
    return requests, cpu, wall, layers


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="6 scenarios per mode")
    parser.add_argument("--modes", default=",".join(MODES))
    parser.add_argument("--scenarios", type=int, default=60, help="scenarios per mode (every 8th of benchmark 1's)")
    parser.add_argument("--no-profile", action="store_true")
    args = parser.parse_args(argv)
    n = 6 if args.quick else args.scenarios
    logging.getLogger("ocdata.client").setLevel(logging.ERROR)
    header("Benchmark 1b: client CPU per request, per mode and layer (concurrency 1, no latency)", args.quick)
    print(f"load average at the start: {load_average()}")
    print("cpu ms/req = client process CPU time / requests the store answered (Study.run, cache included); "
          "profiled: pyinstrument's own time per layer, ms per request (the profiler's overhead inflates it)")
    for mode in args.modes.split(","):
        spec = MODES[mode]
        chosen = scenarios(False, spec.groups)[::8][:n]
        with SandboxProcess(latency_ms=0, store=spec.store) as sandbox:
            _run(sandbox, mode, chosen[:2], False)  # warm: imports, first connections, the country list
            requests, cpu, wall, _ = _run(sandbox, mode, chosen, False)
            layers: Counter = Counter()
            if not args.no_profile:
                p_requests, _, p_wall, layers = _run(sandbox, mode, chosen, True)
        print(f"\n[{mode}] {len(chosen)} scenarios, {requests} requests ({requests / len(chosen):.2f}/scenario): "
              f"client CPU {cpu * 1000 / requests:.3f} ms/req, wall {wall * 1000 / requests:.3f} ms/req; "
              f"load average {load_average()}")
        if layers:
            waiting = layers.pop(WAITING, 0.0)
            total = sum(layers.values())
            print(f"  profiled {total * 1000 / p_requests:.3f} ms/req of Python and C work, plus "
                  f"{waiting * 1000 / p_requests:.3f} ms/req waiting (wall {p_wall * 1000 / p_requests:.3f}):")
            for name, seconds in layers.most_common():
                if seconds * 1000 / p_requests >= 0.005:
                    print(f"    {name:42} {seconds * 1000 / p_requests:7.3f} ms/req  {seconds / total:5.1%}")
    print(f"\nload average at the end: {load_average()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
