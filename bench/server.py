"""A sandbox store in a process of its own, counting the requests it answers.

The benchmarks run the store in a separate process, as a real store is: in the
client's process it would share the client's interpreter lock, and the benchmark
would measure the two fighting over it rather than the round trips.

``python -m bench.server [--store rich] [--latency-ms 20]`` prints one JSON line
(``url``, ``username``, ``key``) and then answers one command per stdin line with
one JSON line: ``stats`` (requests answered, per route/call, the seconds the store's
application spent on them — injected latency included — and the process's CPU seconds),
``reset`` (zero the counters), ``latency <ms>``, ``quit``. ``--throttle-rps R`` puts a
rate limiter in front of the store (:class:`ThrottlingApp`: 429 + ``Retry-After`` beyond R
requests a second; ``stats`` then also has ``refused`` and ``max_1s``).
:class:`bench.common.SandboxProcess` drives it.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from collections import Counter
from typing import Any
from urllib.parse import parse_qsl


class CountingApp:
    """WSGI wrapper that counts every request by ``route`` (and ``call``) before it is answered,
    and sums the time the application took (the injected latency, then parsing, the dialect's
    work and waiting for the interpreter lock behind the other requests in flight)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self._lock = threading.Lock()
        self.by_route: Counter[str] = Counter()
        self.app_s = 0.0

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        started = time.perf_counter()
        query = dict(parse_qsl(environ.get("QUERY_STRING", "")))
        key = query.get("route", "")
        if "call" in query:
            key += "&call=" + query["call"]
        answer = self.inner(environ, start_response)  # the sandbox answers a list: all work is done here
        spent = time.perf_counter() - started
        with self._lock:
            self.by_route[key] += 1
            self.app_s += spent
        return answer

    def stats(self) -> dict[str, Any]:
        with self._lock:
            routes, app_s = dict(self.by_route), self.app_s
        return {"requests": sum(routes.values()), "by_route": routes, "app_s": app_s, "cpu_s": time.process_time()}

    def reset(self) -> None:
        with self._lock:
            self.by_route.clear()
            self.app_s = 0.0


class ThrottlingApp:
    """WSGI wrapper of a store that throttles, as a rate-limiting proxy in front of a shop does:
    beyond ``rps`` requests in the last second it answers ``429`` with ``Retry-After`` (the
    request never reaches the shop). Counts the refusals and keeps the served requests' times
    (``max_1s``: the most served in any one-second window)."""

    def __init__(self, inner: Any, rps: float, retry_after: int = 1) -> None:
        self.inner, self.rps, self.retry_after = inner, float(rps), int(retry_after)
        self._lock = threading.Lock()
        self._recent: list[float] = []
        self.served: list[float] = []
        self.refused = 0

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        now = time.monotonic()
        with self._lock:
            self._recent = [t for t in self._recent if t > now - 1.0]
            refuse = len(self._recent) >= self.rps
            if refuse:
                self.refused += 1
            else:
                self._recent.append(now)
                self.served.append(now)
        if refuse:
            environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))  # keep-alive: read the body
            body = b"Too Many Requests"
            start_response("429 Too Many Requests", [("Content-Type", "text/plain"), ("Retry-After", str(self.retry_after)),
                                                     ("Content-Length", str(len(body)))])
            return [body]
        return self.inner(environ, start_response)

    def stats(self) -> dict[str, Any]:
        with self._lock:
            served = sorted(self.served)
        most, j = 0, 0
        for i, t in enumerate(served):
            while served[j] <= t - 1.0:
                j += 1
            most = max(most, i - j + 1)
        return {"refused": self.refused, "max_1s": most}

    def reset(self) -> None:
        with self._lock:
            self.served.clear()
            self._recent.clear()
            self.refused = 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", default="rich")
    parser.add_argument("--latency-ms", type=float, default=0)
    parser.add_argument("--throttle-rps", type=float, default=0, help="answer 429 beyond this many requests a second")
    args = parser.parse_args(argv)

    from ocdata.sandbox.server import Sandbox

    sandbox = Sandbox(args.store, latency_ms=args.latency_ms)
    app = sandbox.app
    counter = CountingApp(app)
    throttle = ThrottlingApp(counter, args.throttle_rps) if args.throttle_rps else None
    sandbox.app = throttle or counter  # the HTTP server is built from sandbox.app in start()
    sandbox.start()
    # a throwaway key of a loopback-only store, handed to the parent process over a pipe
    print(json.dumps({"url": sandbox.url, "username": sandbox.username, "key": sandbox.key}), flush=True)
    try:
        for line in sys.stdin:
            command, _, value = line.strip().partition(" ")
            if command == "stats":
                answer: dict[str, Any] = {**counter.stats(), **(throttle.stats() if throttle else {})}
            elif command == "reset":
                counter.reset()
                if throttle:
                    throttle.reset()
                answer = {"ok": True}
            elif command == "latency":
                app.latency_ms = float(value)
                answer = {"ok": True, "latency_ms": app.latency_ms}
            elif command == "quit":
                break
            else:
                answer = {"error": f"unknown command {command!r}"}
            print(json.dumps(answer), flush=True)
    finally:
        sandbox.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
