"""An embedded OpenCart-compatible store: the engine plus an HTTP server.

``serve()`` starts one in a background thread::

    from ocdata.sandbox import serve
    with serve(store="rich") as sandbox:
        sandbox.url, sandbox.username, sandbox.key   # what a client needs

The client reaches it over HTTP only; see :mod:`ocdata.sandbox.server`. ``serve(faults=...)``
injects seeded failures (:mod:`ocdata.sandbox.faults`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ocdata.sandbox.faults import FaultPlan, FaultRule
    from ocdata.sandbox.server import Sandbox, serve

__all__ = ["Sandbox", "serve", "FaultPlan", "FaultRule"]


def __getattr__(name: str) -> Any:
    # imported lazily so that `import ocdata.sandbox.engine` does not start the HTTP stack
    if name in ("FaultPlan", "FaultRule"):
        from ocdata.sandbox import faults

        return getattr(faults, name)
    if name in __all__:
        from ocdata.sandbox import server

        return getattr(server, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
