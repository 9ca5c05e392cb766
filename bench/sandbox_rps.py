"""Benchmark 4: requests per second the sandbox serves at 16 concurrent clients, no latency.

``python -m bench.sandbox_rps [--quick] [--clients 16] [--seconds 8]``

Each client is a thread with its own keep-alive connection (:class:`KeepAlive`) replaying the benchmark
study (``bench.scenarios``) through the same routes a study uses (the baseline's
calls, ``bench.baseline_requests``), until the time is up. The store runs in its own
process (``bench.server``), which counts what it answered and reports its CPU time:
``CPU ms per request`` gives the store's capacity on one core whatever the load
generator manages, and it is compared with the most benchmark 1 asks of it
(concurrency 16 / 20 ms latency = 800 requests/s).
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import json
import sys
import threading
import time
from typing import Any
from urllib.parse import urlencode, urlsplit

from bench.baseline_requests import QUOTERS
from bench.common import Counted, SandboxProcess, header
from bench.scenarios import scenarios

#: The most requests per second benchmark 1 can ask for: 16 clients, each waiting 20 ms per request.
STUDY_DEMAND_RPS = 16 / 0.020


class KeepAlive:
    """The ``requests.get``/``post`` calls the baseline makes, over one keep-alive ``http.client`` connection.

    ``requests`` costs the client about a millisecond of CPU per request; 16 such clients in
    one process saturate its interpreter long before the store, so the load generator
    speaks HTTP/1.1 with the standard library's lighter client.
    """

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)

    def _send(self, method: str, url: str, params: dict[str, Any], data: dict[str, Any] | None) -> "KeepAlive.Answer":
        path = urlsplit(url).path + "?" + urlencode(params)
        body = urlencode(data) if data is not None else None
        headers = {"Content-Type": "application/x-www-form-urlencoded"} if body is not None else {}
        self.conn.request(method, path, body=body, headers=headers)
        response = self.conn.getresponse()
        return KeepAlive.Answer(response.status, response.read())

    def get(self, url: str, params: dict[str, Any], timeout: float = 30) -> "KeepAlive.Answer":
        return self._send("GET", url, params, None)

    def post(self, url: str, params: dict[str, Any], data: dict[str, Any], timeout: float = 30) -> "KeepAlive.Answer":
        return self._send("POST", url, params, data)

    def close(self) -> None:
        self.conn.close()

    class Answer:
        def __init__(self, status: int, body: bytes) -> None:
            self.status_code = status
            self.body = body

        def json(self) -> Any:
            return json.loads(self.body)


def load(store: SandboxProcess, dialect: str, clients: int, seconds: float) -> tuple[Counted, int]:
    """``clients`` threads replaying scenarios for ``seconds``; returns the server's count and the errors seen."""
    quoter = QUOTERS[dialect]
    work = scenarios()
    deadline = time.perf_counter() + seconds
    errors = [0]
    lock = threading.Lock()
    start = threading.Barrier(clients + 1)

    def client(offset: int) -> None:
        conn = KeepAlive(store.url)
        start.wait()
        try:
            for s in itertools.islice(itertools.cycle(work), offset, None):
                if time.perf_counter() >= deadline:
                    return
                try:
                    ok = bool(quoter(conn, store.url, store.username, store.key, s))
                except (OSError, http.client.HTTPException, ValueError, KeyError, TypeError):
                    ok = False  # no answer, not JSON, or not the documented shape
                if not ok:
                    with lock:
                        errors[0] += 1
                    conn.close()
                    conn = KeepAlive(store.url)
        finally:
            conn.close()

    threads = [threading.Thread(target=client, args=(i * 31,)) for i in range(clients)]
    for t in threads:
        t.start()
    with Counted(store) as counted:
        start.wait()
        for t in threads:
            t.join()
    return counted, errors[0]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one second per dialect")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=8.0)
    args = parser.parse_args(argv)
    seconds = 1.0 if args.quick else args.seconds
    header("Benchmark 4: sandbox requests/s at %d concurrent clients, no injected latency" % args.clients, args.quick)
    print(f"{'dialect':8} {'requests':>9} {'wall s':>7} {'req/s':>8} {'server CPU ms/req':>18} "
          f"{'server CPU use':>15} {'capacity req/s':>15} {'x study demand':>15} {'failed scenarios':>17}")
    with SandboxProcess(latency_ms=0) as store:
        for dialect in ("spec", "oc41"):
            counted, failed = load(store, dialect, args.clients, seconds)
            rps = counted.requests / counted.wall_s
            cpu_ms = 1000 * counted.server_cpu_s / max(counted.requests, 1)
            capacity = 1000 / cpu_ms if cpu_ms else float("inf")
            print(f"{dialect:8} {counted.requests:9d} {counted.wall_s:7.2f} {rps:8.0f} {cpu_ms:18.3f} "
                  f"{counted.server_cpu_s / counted.wall_s:14.0%} {capacity:15.0f} {rps / STUDY_DEMAND_RPS:14.1f}x "
                  f"{failed:17d}")
    print(f"study demand: at most {STUDY_DEMAND_RPS:.0f} req/s (concurrency 16, 20 ms latency per request); "
          "'x study demand' = served req/s / that")
    return 0


if __name__ == "__main__":
    sys.exit(main())
