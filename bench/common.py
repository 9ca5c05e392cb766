"""What every benchmark shares: the sandbox process, the machine description, small timers."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path
from typing import Any, Iterator

REPO = Path(__file__).resolve().parents[1]

#: Packages whose versions a result depends on.
PACKAGES = ("ocdata", "pandas", "numpy", "pyarrow", "duckdb", "pydantic", "requests", "urllib3", "psutil")


class SandboxProcess:
    """A sandbox store in a child process (``bench.server``), with its request counter.

    ``with SandboxProcess(latency_ms=20) as store: store.url, store.stats()``
    """

    def __init__(self, *, latency_ms: float = 0, store: str = "rich", throttle_rps: float = 0) -> None:
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "bench.server", "--store", store, "--latency-ms", str(latency_ms),
             "--throttle-rps", str(throttle_rps)],
            cwd=REPO, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1,
        )
        first = self._proc.stdout.readline() if self._proc.stdout else ""
        if not first:
            self._proc.wait(timeout=10)
            raise RuntimeError(f"the sandbox process exited with {self._proc.returncode} before serving")
        info = json.loads(first)
        self.url: str = info["url"]
        self.username: str = info["username"]
        self.key: str = info["key"]
        self.latency_ms = latency_ms

    def _ask(self, command: str) -> dict[str, Any]:
        assert self._proc.stdin is not None and self._proc.stdout is not None
        self._proc.stdin.write(command + "\n")
        self._proc.stdin.flush()
        return json.loads(self._proc.stdout.readline())

    def stats(self) -> dict[str, Any]:
        """``requests`` answered since the last reset, ``by_route``, and the process's ``cpu_s``."""
        return self._ask("stats")

    def reset(self) -> None:
        self._ask("reset")

    def set_latency(self, ms: float) -> None:
        self._ask(f"latency {ms}")
        self.latency_ms = ms

    def close(self) -> None:
        if self._proc.poll() is None:
            try:
                assert self._proc.stdin is not None
                self._proc.stdin.write("quit\n")
                self._proc.stdin.flush()
                self._proc.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired):
                self._proc.kill()
                self._proc.wait()

    def __enter__(self) -> "SandboxProcess":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"SandboxProcess(url={self.url!r}, latency_ms={self.latency_ms})"


class Counted:
    """Server-side request count and CPU time over a ``with`` block."""

    def __init__(self, store: SandboxProcess) -> None:
        self.store = store
        self.requests = 0
        self.by_route: dict[str, int] = {}
        self.server_cpu_s = 0.0
        self.wall_s = 0.0

    def __enter__(self) -> "Counted":
        self.store.reset()
        self._cpu0 = self.store.stats()["cpu_s"]
        self._t0 = time.perf_counter()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.wall_s = time.perf_counter() - self._t0
        stats = self.store.stats()
        self.requests = stats["requests"]
        self.by_route = stats["by_route"]
        self.server_cpu_s = stats["cpu_s"] - self._cpu0


@contextmanager
def timed() -> Iterator[dict[str, float]]:
    """``with timed() as t: ...`` then ``t["s"]`` is the wall time in seconds."""
    out: dict[str, float] = {}
    start = time.perf_counter()
    try:
        yield out
    finally:
        out["s"] = time.perf_counter() - start


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def memory_total() -> str:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    return "unknown"


def machine() -> str:
    """One line naming the machine and the versions the figures depend on."""
    versions = []
    for name in PACKAGES:
        try:
            versions.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            continue
    return (f"machine: {os.cpu_count()} CPUs ({cpu_model()}), {memory_total()} RAM, "
            f"Python {platform.python_version()}; " + ", ".join(versions))


def load_average() -> str:
    """The 1, 5 and 15 minute load averages (the machine is shared: quote a figure with its load)."""
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "unknown"


def header(title: str, quick: bool) -> None:
    print(f"== {title}{' (--quick: smoke run, figures not representative)' if quick else ''}")
    print(machine())
