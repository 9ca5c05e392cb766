"""``store.doctor()``: why a store answers the way it does, in one readable report.

Checks: the store is reachable; which dialect/version answered; clock skew against the
store's ``Date`` header (4.1 refuses signed calls beyond ±450 s); whether the API accepts
this machine (credentials, IP allow-list) and the likely cause when it does not; and the
known behaviours of that version that change an analysis (e.g. 4.1 one-off calls taxing
every destination at the store's address). No order is written.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .dialects.oc41 import MAX_SKEW_S, local_ip
from .dialects.base import SessionDialect
from .errors import AuthenticationError, OcdataError, PermissionDeniedError

if TYPE_CHECKING:
    from .store import Store

__all__ = ["DoctorReport", "Check", "diagnose"]

OK, WARN, FAIL, INFO = "ok", "warn", "fail", "info"
_MARK = {OK: "✓", WARN: "!", FAIL: "✗", INFO: "·"}


@dataclass(frozen=True)
class Check:
    check: str
    status: str
    detail: str


@dataclass
class DoctorReport:
    store: str
    dialect: str
    checks: list[Check] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(c.status != FAIL for c in self.checks)

    @property
    def frame(self):
        import pandas as pd

        return pd.DataFrame([c.__dict__ for c in self.checks], columns=["check", "status", "detail"])

    def __str__(self) -> str:
        lines = [f"ocdata doctor — {self.store} ({self.dialect})"]
        width = max((len(c.check) for c in self.checks), default=0)
        lines += [f"  {_MARK[c.status]} {c.check.ljust(width)}  {c.detail}" for c in self.checks]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        import html

        rows = "".join(f"<tr><td>{_MARK[c.status]}</td><td>{html.escape(c.check)}</td><td>{html.escape(c.detail)}</td></tr>"
                       for c in self.checks)
        return (f"<b>ocdata doctor</b> — {html.escape(self.store)} ({html.escape(self.dialect)})"
                f"<table>{rows}</table>")

    def __repr__(self) -> str:
        return str(self)


def diagnose(store: "Store") -> DoctorReport:
    dialect = store.dialect
    report = DoctorReport(store=store.url, dialect=f"{dialect.name} (OpenCart {dialect.versions})")
    add = report.checks.append

    # reachability + the store's clock, through the unauthenticated storefront endpoint
    before = time.time()
    try:
        route = dialect.country_route  # 3.0 has no localisation/country: its own route answers 200
        answer = dialect.http("GET", route=route, params=[("route", route), ("country_id", "222")])
    except OcdataError as exc:
        add(Check("reachable", FAIL, exc.message))
        return report
    after = time.time()
    add(Check("reachable", OK, f"HTTP {answer.status} in {answer.elapsed_ms:.0f} ms"))
    skew = None
    if answer.server_date is not None:
        # Date has 1 s resolution; compare with the middle of the round trip
        skew = answer.server_date - (before + after) / 2
        limit = MAX_SKEW_S if dialect.name == "oc41" else None
        if limit and abs(skew) > limit:
            add(Check("clock", FAIL, f"this machine's clock is {skew:+.0f} s off the store's; 4.1 refuses signed calls "
                                     f"beyond ±{limit} s — synchronise the clock (NTP)"))
        elif limit and abs(skew) > limit / 2:
            add(Check("clock", WARN, f"skew {skew:+.0f} s (4.1 refuses beyond ±{limit} s)"))
        else:
            add(Check("clock", OK, f"skew {skew:+.1f} s"))
    else:
        add(Check("clock", WARN, "the store sent no Date header; clock skew unknown"))

    # dialect + credentials/IP
    try:
        probe = type(dialect).probe(dialect.config, dialect.transport)
    except OcdataError as exc:
        add(Check("dialect", FAIL, f"{dialect.name} probe failed: {exc.message}"))
        probe = None
    if probe is not None:
        if probe.matches:
            add(Check("dialect", OK, f"{probe.dialect} {probe.version}: {probe.evidence}"))
        else:
            add(Check("dialect", FAIL, f"the store does not answer like {dialect.name} ({probe.evidence}); "
                                       f"try connect(dialect='auto')"))
        refused = probe.status in (400, 401, 403) or "refused" in probe.evidence
        if refused:
            ip = local_ip(store.url)
            if skew is not None and dialect.name == "oc41" and abs(skew) > MAX_SKEW_S:
                cause = f"the clock skew ({skew:+.0f} s)"
            else:
                cause = (f"the API key or user name ({store.username!r}), or this machine's IP {ip} missing from the "
                         f"API user's allow-list (behind NAT the store sees your public IP)")
            add(Check("API access", FAIL, f"refused; likely cause: {cause}"))
        elif probe.matches and isinstance(dialect, SessionDialect):
            # a 4.0/3.0 probe logs in without credentials: only a real login tests the key and the IP
            try:
                dialect.login()
            except (AuthenticationError, PermissionDeniedError) as exc:
                add(Check("API access", FAIL, f"refused: {exc.message}"))
            else:
                add(Check("API access", OK, f"credentials and IP accepted (user {store.username!r})"))
        elif probe.matches:
            add(Check("API access", OK, f"credentials and IP accepted (user {store.username!r})"))
    if dialect.name == "oc41":
        add(Check("pricing", INFO if store.pricing == "storefront" else WARN,
                  f"pricing={store.pricing!r}: " + ("priced like the storefront checkout (session-primed calls)"
                                                    if store.pricing == "storefront" else
                                                    "one-off calls use the store's address for tax and the default "
                                                    "customer group for prices")))
    for behaviour in dialect.known_behaviours:
        add(Check("known behaviour", INFO, behaviour))
    for warning in store.warnings:
        add(Check("warning seen", WARN, warning))
    return report
