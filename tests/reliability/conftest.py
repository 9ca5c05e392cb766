"""Reliability tests: the client, studies and cache against a sandbox injecting seeded faults.

Default size fits CI (about a minute); ``OCDATA_FULL_RELIABILITY=1`` runs the issue's full
size (a 1,000-scenario study).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from ocdata.client.errors import OcdataError

# the live-sandbox and replay helpers of the client tests
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "client"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

FULL = os.environ.get("OCDATA_FULL_RELIABILITY", "").strip() not in ("", "0", "false", "no")

#: every fault kind the sandbox injects, with the parameters a study can live with
KINDS = ("drop_before", "drop_after", "500", "502", "503", "504", "php_warning", "html_error", "truncate",
         "expire_session", "blocked_ip", "redirect", "drip", "latency")


def fault_plan(seed: int, probability: float, route: str = "*", call: str | None = None) -> dict:
    """Every kind on ``route``, together firing on about ``probability`` of the requests."""
    share = probability / len(KINDS)
    rules = []
    for kind in KINDS:
        rule = {"kind": kind, "route": route, "probability": share}
        if call:
            rule["call"] = call
        if kind in ("drip", "latency"):
            rule["ms"] = 5
        rules.append(rule)
    return {"seed": seed, "rules": rules}


def named_errors() -> set[str]:
    """The names of every class of ocdata's error hierarchy."""
    out, todo = set(), [OcdataError]
    while todo:
        cls = todo.pop()
        out.add(cls.__name__)
        todo.extend(cls.__subclasses__())
    return out


@pytest.fixture(autouse=True)
def _default_cache_in_tmp(tmp_path, monkeypatch):
    monkeypatch.setenv("OCDATA_CACHE", str(tmp_path / "default.duckdb"))
