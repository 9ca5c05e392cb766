"""The ``ocdata`` command line.

Each subcommand is one function registered with :func:`command`; its arguments
are declared in the decorator::

    @command("hello", "Say hello.", arg("--name", default="world"))
    def hello(args) -> int:
        print("hello", args.name)
        return 0
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

Handler = Callable[[argparse.Namespace], int]


@dataclass(frozen=True)
class _Arg:
    flags: tuple[str, ...]
    options: dict[str, Any]


@dataclass(frozen=True)
class _Command:
    name: str
    help: str
    args: tuple[_Arg, ...]
    handler: Handler


_COMMANDS: dict[str, _Command] = {}


def arg(*flags: str, **options: Any) -> _Arg:
    """An argument of a subcommand (``argparse.add_argument`` parameters)."""
    return _Arg(flags, options)


def command(name: str, help: str, *args: _Arg) -> Callable[[Handler], Handler]:
    """Register ``ocdata <name>``: the decorated function gets the parsed args and returns the exit code."""

    def register(handler: Handler) -> Handler:
        _COMMANDS[name] = _Command(name, help, args, handler)
        return handler

    return register


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ocdata", description="Study an OpenCart store: carts, quotes, tax and totals.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for spec in _COMMANDS.values():
        child = sub.add_parser(spec.name, help=spec.help, description=spec.help)
        for a in spec.args:
            child.add_argument(*a.flags, **a.options)
        child.set_defaults(_handler=spec.handler)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = getattr(args, "_handler", None)
    if handler is None:
        parser.print_help()
        return 2
    return handler(args)


# --------------------------------------------------------------------------- sandbox


@command(
    "sandbox",
    "Serve the embedded sandbox store over HTTP until Ctrl-C.",
    arg("--port", type=int, default=0, help="TCP port (default: any free port)"),
    arg("--store", default="rich", metavar="NAME|FILE", help="built-in store name (stock, rich) or a store file"),
    arg("--latency-ms", type=float, default=0, metavar="MS", help="delay added to every request"),
    arg("--host", default="127.0.0.1", help="interface to listen on (default 127.0.0.1)"),
)
def sandbox(args: argparse.Namespace) -> int:
    from ocdata.sandbox import serve

    try:
        server = serve(port=args.port, store=args.store, latency_ms=args.latency_ms, host=args.host)
    except (OSError, ValueError, LookupError) as exc:
        print(f"ocdata sandbox: cannot start: {exc}", file=sys.stderr)
        return 1
    # the user needs the key to configure a client: printing it is the point here
    print(f"Sandbox store {server.engine.store.key!r} serving dialects {', '.join(server.dialects)}")
    print(f"URL:      {server.url}")
    print(f"Username: {server.username}")
    print(f"Key:      {server.key}")
    print("Press Ctrl-C to stop.", flush=True)
    try:
        server.wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    print("Sandbox stopped.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
