"""An embedded OpenCart-compatible store: the engine plus an HTTP server.

``serve()`` starts one in a background thread::

    from ocdata.sandbox import serve
    with serve(store="rich") as sandbox:
        sandbox.url, sandbox.username, sandbox.key   # what a client needs

The client reaches it over HTTP only; see :mod:`ocdata.sandbox.server`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ocdata.sandbox.server import Sandbox, serve

__all__ = ["Sandbox", "serve"]


def __getattr__(name: str) -> Any:
    # imported lazily so that `import ocdata.sandbox.engine` does not start the HTTP stack
    if name in __all__:
        from ocdata.sandbox import server

        return getattr(server, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
