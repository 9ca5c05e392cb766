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
import errno
import os
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
    try:
        return handler(args)
    except KeyboardInterrupt:
        # a study commits every finished scenario before re-raising: say how to resume
        print(f"ocdata {args.command}: interrupted; finished scenarios are in the cache, run it again to resume.",
              file=sys.stderr)
        return 130
    except BrokenPipeError:
        # output piped into `head` and the like: stop quietly, as Unix tools do
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141


# --------------------------------------------------------------------------- sandbox


@command(
    "sandbox",
    "Serve the embedded sandbox store over HTTP until Ctrl-C.",
    arg("--port", type=int, default=0, help="TCP port (default: any free port)"),
    arg("--store", default="rich", metavar="NAME|FILE", help="built-in store name (stock, rich) or a store file"),
    arg("--latency-ms", type=float, default=0, metavar="MS", help="delay added to every request"),
    arg("--host", default="127.0.0.1", help="interface to listen on (default 127.0.0.1)"),
    arg("--webhook", action="append", default=[], metavar="URL",
        help="send order, customer and product events to URL (repeatable; see `ocdata events serve`)"),
    arg("--webhook-secret", default=None, metavar="S",
        help="shared secret for --webhook (default: $OCDATA_WEBHOOK_SECRET)"),
)
def sandbox(args: argparse.Namespace) -> int:
    from ocdata.sandbox import serve

    hooks = []
    if args.webhook:
        secret = args.webhook_secret or os.environ.get("OCDATA_WEBHOOK_SECRET")
        if not secret:
            print("ocdata sandbox: --webhook needs --webhook-secret or $OCDATA_WEBHOOK_SECRET "
                  "(the receiver's secret)", file=sys.stderr)
            return 2
        hooks = [{"url": url, "secret": secret} for url in args.webhook]
    try:
        server = serve(port=args.port, store=args.store, latency_ms=args.latency_ms, host=args.host,
                       webhooks=hooks)
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


# --------------------------------------------------------------------------- demo, study, sql


def _cache_path(value: str | None) -> str:
    from ocdata.cache import default_path

    return value or str(default_path())


@command(
    "demo",
    "Run a shipping and tax study on the embedded sandbox and write its outputs.",
    arg("--out", default="ocdata-demo", metavar="DIR", help="where quotes (CSV, Parquet) and the chart go"),
    arg("--db", default=None, metavar="PATH", help="DuckDB cache (default: ~/.cache/ocdata/ocdata.duckdb)"),
    arg("--port", type=int, default=None, help="sandbox port (default 8099; a re-run on it uses the cache)"),
    arg("--concurrency", type=int, default=8, help="quotes in flight at once"),
    arg("--latency-ms", type=float, default=0, metavar="MS", help="delay the sandbox adds to each request"),
    arg("--no-progress", action="store_true", help="no progress bar"),
)
def demo(args: argparse.Namespace) -> int:
    from pathlib import Path

    from ocdata import demo as demo_module

    port = demo_module.DEFAULT_PORT if args.port is None else args.port
    try:
        demo_module.run_demo(Path(args.out), _cache_path(args.db), port=port, concurrency=args.concurrency,
                             progress=not args.no_progress, latency_ms=args.latency_ms)
    except OSError as exc:
        if exc.errno not in (errno.EADDRINUSE, errno.EACCES):
            raise
        print(f"ocdata demo: cannot listen on port {port} ({exc.strerror}); pass --port with a free one.",
              file=sys.stderr)
        return 1
    return 0


@command(
    "study",
    "Run a study described in a YAML file against a store (see ocdata.study for the format).",
    arg("file", metavar="FILE.yml"),
    arg("--url", default=None, help="store URL (default: the file's store:, then $OCDATA_URL)"),
    arg("--username", default=None, help="API username (default: $OCDATA_API_USERNAME)"),
    arg("--dialect", default=None, help="spec, oc41, oc40, oc30 or auto"),
    arg("--pricing", default=None, choices=("api", "storefront"), help="oc41 pricing mode"),
    arg("--db", default=None, metavar="PATH", help="DuckDB cache (default: ~/.cache/ocdata/ocdata.duckdb)"),
    arg("--out", default=None, metavar="FILE", help="also write the quotes to FILE (.csv or .parquet)"),
    arg("--concurrency", type=int, default=8, help="quotes in flight at once"),
    arg("--refresh", action="store_true", help="fetch every scenario again, ignoring the cache"),
    arg("--no-progress", action="store_true", help="no progress bar"),
)
def study(args: argparse.Namespace) -> int:
    import yaml

    from ocdata.cache import Cache
    from ocdata.client import OcdataError, connect
    from ocdata.study import Study

    try:
        with open(args.file, encoding="utf-8") as fh:
            spec = yaml.safe_load(fh) or {}
    except (OSError, yaml.YAMLError) as exc:
        print(f"ocdata study: cannot read {args.file}: {exc}", file=sys.stderr)
        return 1
    options = dict(spec.get("store") or {}) if isinstance(spec, dict) else {}
    for name in ("url", "username", "dialect", "pricing"):
        if getattr(args, name):
            options[name] = getattr(args, name)
    try:
        with connect(**options) as store, Cache(_cache_path(args.db)) as cache:
            plan = Study.from_yaml(args.file, store, cache=cache)
            frame = plan.run(concurrency=args.concurrency, progress=not args.no_progress, refresh=args.refresh)
            report = plan.last_run
    except (OcdataError, ValueError, TypeError) as exc:
        print(f"ocdata study: {exc}", file=sys.stderr)
        return 1
    print(f"study {plan.name!r}: {report.scenarios} scenarios, {report.from_cache} from cache, "
          f"{report.fetched} fetched, {report.failed} failed; {len(frame)} quote rows")
    if args.out:
        frame.to_parquet(args.out, index=False) if args.out.endswith(".parquet") else frame.to_csv(args.out,
                                                                                                    index=False)
        print(f"wrote {args.out}")
    return 0 if report.failed == 0 else 3


@command(
    "sql",
    "Query the DuckDB cache and print the result.",
    arg("query", metavar="SQL"),
    arg("--db", default=None, metavar="PATH", help="DuckDB cache (default: ~/.cache/ocdata/ocdata.duckdb)"),
    arg("--csv", action="store_true", help="print CSV instead of a table"),
)
def sql(args: argparse.Namespace) -> int:
    import duckdb

    from ocdata.cache import Cache, CacheError

    path = _cache_path(args.db)
    try:
        with Cache(path, read_only=True) as cache:
            frame = cache.sql(args.query)
    except (CacheError, duckdb.Error) as exc:
        print(f"ocdata sql: {exc}", file=sys.stderr)
        return 1
    print(frame.to_csv(index=False) if args.csv else frame.to_string(index=False))
    return 0


# --------------------------------------------------------------------------- events


@command(
    "events",
    "Receive webhook events from a store into the cache (`ocdata events serve`).",
    arg("action", choices=("serve",), help="serve: run the receiver until Ctrl-C"),
    arg("--port", type=int, default=8765, help="TCP port (default 8765; 0 = any free port)"),
    arg("--host", default="127.0.0.1", help="interface to listen on (default 127.0.0.1)"),
    arg("--secret", default=None, metavar="S",
        help="shared secret, 16+ characters (default: $OCDATA_WEBHOOK_SECRET, else a random one printed once)"),
    arg("--db", default=None, metavar="PATH", help="DuckDB cache (default: ~/.cache/ocdata/ocdata.duckdb)"),
    arg("--window", type=float, default=300, metavar="SECONDS", help="clock difference accepted (default 300)"),
)
def events(args: argparse.Namespace) -> int:
    from ocdata.webhooks import serve as receive

    secret = args.secret or os.environ.get("OCDATA_WEBHOOK_SECRET")
    try:
        receiver = receive(secret, db=_cache_path(args.db), port=args.port, host=args.host, window=args.window)
    except (OSError, ValueError) as exc:
        print(f"ocdata events: cannot start: {exc}", file=sys.stderr)
        return 1
    print(f"Receiving webhook events at {receiver.url}")
    print(f"Cache:  {receiver.db}")
    if not secret:  # printing a generated secret once is the point: the store needs it
        print(f"Secret: {receiver.secret.reveal()}  (configure it on the store; or pass --secret next time)")
    print("Press Ctrl-C to stop.", flush=True)
    try:
        receiver.wait()
    except KeyboardInterrupt:
        pass
    finally:
        receiver.stop()
    print(f"Stopped; {sum(o.status == 200 for o in receiver.outcomes)} events stored. "
          f"Read them with: ocdata sql \"SELECT type, count(*) FROM webhook_events GROUP BY 1\"")
    return 0


# --------------------------------------------------------------------------- merge


@command(
    "merge",
    "Combine caches written on several machines: the newest answer per scenario and store wins (idempotent).",
    arg("inputs", nargs="+", metavar="CACHE", help="DuckDB caches to merge (read only)"),
    arg("-o", "--output", required=True, metavar="PATH", help="the merged cache (created, or merged into)"),
)
def merge(args: argparse.Namespace) -> int:
    import duckdb

    from ocdata.cache import CacheError
    from ocdata.merge import merge as merge_caches

    try:
        counts = merge_caches(args.inputs, args.output)
    except (CacheError, duckdb.Error) as exc:
        print(f"ocdata merge: {exc}", file=sys.stderr)
        return 1
    print(f"Merged {len(args.inputs)} cache(s) into {args.output}: "
          + ", ".join(f"{t} {n}" for t, n in counts.items() if t != "schema_version" and n))
    return 0


if __name__ == "__main__":
    sys.exit(main())
