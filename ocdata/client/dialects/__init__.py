"""The wire dialects and how ``dialect="auto"`` picks one.

``oc41`` (OpenCart 4.1, signed, stateless), ``spec`` (the seed OpenAPI file), ``oc40`` and
``oc30`` (OpenCart 4.0 / 3.0 login sessions). Modules are imported on first use so a
dialect under construction cannot break the others.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from ..errors import ConfigurationError, OcdataError, ProtocolError
from .base import Dialect, DialectConfig, ProbeResult, SessionDialect

if TYPE_CHECKING:
    from ..transport import Transport

__all__ = ["NAMES", "AUTO_ORDER", "dialect_class", "detect", "Dialect", "SessionDialect", "DialectConfig", "ProbeResult"]

NAMES = ("oc41", "spec", "oc40", "oc30")
# cheapest and least intrusive first: oc41's probe is one signed no-op; the others log in
AUTO_ORDER = ("oc41", "spec", "oc40", "oc30")


def dialect_class(name: str) -> type[Dialect]:
    """The :class:`Dialect` subclass registered under ``name``."""
    if name not in NAMES:
        raise ConfigurationError(f"unknown dialect {name!r}; use one of {', '.join(NAMES)} or 'auto'")
    module = importlib.import_module(f"{__name__}.{name}")
    for value in vars(module).values():
        if isinstance(value, type) and issubclass(value, Dialect) and getattr(value, "name", None) == name \
                and not getattr(value, "__abstractmethods__", None):
            return value
    raise ConfigurationError(f"dialect {name!r} is not available in this version of ocdata")


def detect(config: DialectConfig, transport: "Transport") -> tuple[type[Dialect], list[ProbeResult]]:
    """Probe the store with each dialect in :data:`AUTO_ORDER`; the first match wins.

    Returns the class and every probe result (for ``doctor``). A dialect that cannot be
    loaded or whose probe fails with an error is skipped.
    """
    results: list[ProbeResult] = []
    for name in AUTO_ORDER:
        try:
            cls = dialect_class(name)
        except ConfigurationError:
            continue
        try:
            result = cls.probe(config, transport)
        except OcdataError as exc:
            result = ProbeResult(dialect=name, matches=False, evidence=f"{type(exc).__name__}: {exc.message}",
                                 status=exc.status)
            if exc.status is None and not isinstance(exc, ProtocolError) or \
                    exc.status is not None and 300 <= exc.status < 400:
                results.append(result)
                raise  # unreachable, or redirected elsewhere: no point trying the other dialects
        results.append(result)
        if result.matches:
            return cls, results
    tried = "; ".join(f"{r.dialect}: {r.evidence}" for r in results)
    raise ConfigurationError(f"could not tell which OpenCart API this store speaks ({tried}); check the URL points at "
                             f"the shop's index.php, or pass dialect='oc41'|'spec'|'oc40'|'oc30'")
