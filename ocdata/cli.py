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
import re
import sys
import warnings
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
    epilog: str | None = None


_COMMANDS: dict[str, _Command] = {}


def arg(*flags: str, **options: Any) -> _Arg:
    """An argument of a subcommand (``argparse.add_argument`` parameters)."""
    return _Arg(flags, options)


def command(name: str, help: str, *args: _Arg, epilog: str | None = None) -> Callable[[Handler], Handler]:
    """Register ``ocdata <name>``: the decorated function gets the parsed args and returns the exit code."""

    def register(handler: Handler) -> Handler:
        _COMMANDS[name] = _Command(name, help, args, handler, epilog)
        return handler

    return register


_ENVIRONMENT = """\
environment:
  OCDATA_URL, OCDATA_API_USERNAME, OCDATA_API_KEY  the store and its API user (--url, --username, --key)
  OCDATA_PROFILE  a profile of ~/.config/ocdata/config.toml (--profile)
  OCDATA_CACHE    the DuckDB cache file (--db; default ~/.cache/ocdata/ocdata.duckdb)
"""


_DB_HELP = "DuckDB cache (default: $OCDATA_CACHE, ~/.cache/ocdata/ocdata.duckdb)"


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("ocdata")
    except PackageNotFoundError:  # run from a source tree without installing
        from ocdata import __version__

        return __version__


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ocdata", description="Study an OpenCart store: carts, quotes, tax and totals.",
                                     epilog=_ENVIRONMENT, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"ocdata {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for spec in _COMMANDS.values():
        child = sub.add_parser(spec.name, help=spec.help, description=spec.help, epilog=spec.epilog or _ENVIRONMENT,
                               formatter_class=argparse.RawDescriptionHelpFormatter)
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
    warnings.showwarning = _show_warning
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
    except Exception as exc:  # noqa: BLE001 - known failures become one line; anything else is a bug: traceback
        message = _one_line(exc)
        if message is None:
            raise
        print(f"ocdata {args.command}: {message}", file=sys.stderr)
        return 1


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    # a terminal user needs the message, not the Python source line that raised it
    text = " ".join(str(message).split())
    print(f"warning: {text}", file=sys.stderr if file is None else file)


def _one_line(exc: BaseException) -> str | None:
    """A known failure as one line saying what to do; None for anything else (a bug: keep its traceback)."""
    cache = sys.modules.get("ocdata.cache")
    if cache is not None and isinstance(exc, cache.CacheLockedError):
        path = re.search(r"the cache (.+?) is in use", str(exc))
        holder = re.search(r"PID (\d+)", str(exc.__cause__ or "")) or re.search(r"process (\d+)", str(exc))
        who = f"process {holder.group(1)}" if holder else "another process"
        return (f"the cache {path.group(1) if path else ''} is in use by {who}; close it there, or pass --db PATH "
                f"(or set OCDATA_CACHE) to use another cache file").replace("cache  is", "cache is")
    schema = sys.modules.get("ocdata.cache_schema")
    if cache is not None and isinstance(exc, cache.CacheError) or schema is not None and isinstance(
            exc, schema.SchemaError):
        return " ".join(str(exc).split())
    errors = sys.modules.get("ocdata.client.errors")
    if errors is not None and isinstance(exc, errors.OcdataError):
        notes = " ".join(getattr(exc, "__notes__", ()))
        return " ".join(f"{exc} {notes}".split())
    return None


#: what every command that talks to a store accepts (the key is better left to OCDATA_API_KEY:
#: a command line is visible to other users of the machine)
_STORE_ARGS = (
    arg("--url", default=None, help="store URL (default: $OCDATA_URL, then the profile)"),
    arg("--username", default=None, help="API username (default: $OCDATA_API_USERNAME)"),
    arg("--key", default=None, help="API key (default: $OCDATA_API_KEY, which other users cannot see in ps)"),
    arg("--profile", default=None, help="profile of ~/.config/ocdata/config.toml (default: $OCDATA_PROFILE)"),
    arg("--dialect", default=None, help="spec, oc41, oc40, oc30 or auto (default: auto)"),
    arg("--pricing", default=None, choices=("storefront", "api"),
        help="oc41 only: storefront (default: what the checkout charges) or api (one-off calls: store-address "
             "tax, default-group prices)"),
)


def _store_options(args: argparse.Namespace, base: dict | None = None) -> dict:
    """connect() keywords: ``base`` (e.g. a study file's store:) overridden by the command line."""
    options = dict(base or {})
    for name in ("url", "username", "key", "profile", "dialect", "pricing"):
        if getattr(args, name, None):
            options[name] = getattr(args, name)
    return options


# --------------------------------------------------------------------------- sandbox


def sandbox_exports(url: str, username: str, key: str) -> str:
    """``export OCDATA_...`` lines for a POSIX shell."""
    import shlex

    return "\n".join(f"export {name}={shlex.quote(value)}" for name, value in
                     (("OCDATA_URL", url), ("OCDATA_API_USERNAME", username), ("OCDATA_API_KEY", key)))


@command(
    "sandbox",
    "Serve the embedded sandbox store over HTTP until Ctrl-C.",
    arg("--port", type=int, default=0, help="TCP port (default: any free port)"),
    arg("--store", default="rich", metavar="NAME|FILE",
        help="built-in store name (stock, rich, oc40, oc30) or a store file"),
    arg("--latency-ms", type=float, default=0, metavar="MS", help="delay added to every request"),
    arg("--host", default="127.0.0.1", help="interface to listen on (default 127.0.0.1)"),
    arg("--webhook", action="append", default=[], metavar="URL",
        help="send order, customer and product events to URL (repeatable; see `ocdata events serve`)"),
    arg("--webhook-secret", default=None, metavar="S",
        help="shared secret for --webhook (default: $OCDATA_WEBHOOK_SECRET)"),
    arg("--dialects", default=None, metavar="LIST",
        help="fronts to serve, comma-separated: oc41, spec, oc40, oc30 (default: the store's; "
             "4.1 stores oc41,spec, the oc40/oc30 stores their own)"),
    arg("--faults", default=None, metavar="SPEC|FILE",
        help="inject seeded faults: an inline spec or a YAML/JSON file (format: ocdata/sandbox/faults.py)"),
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
    dialects = [d.strip() for d in args.dialects.split(",") if d.strip()] if args.dialects else None
    try:
        server = serve(port=args.port, store=args.store, latency_ms=args.latency_ms, host=args.host,
                       dialects=dialects, webhooks=hooks, faults=args.faults)
    except (OSError, ValueError, LookupError) as exc:
        print(f"ocdata sandbox: cannot start: {exc}", file=sys.stderr)
        return 1
    # the user needs the key to configure a client: printing it is the point here
    print(f"Sandbox store {server.engine.store.key!r} serving dialects {', '.join(server.dialects)}")
    print(f"URL:      {server.url}")
    print(f"Username: {server.username}")
    print(f"Key:      {server.key}")
    if server.faults is not None:
        print(f"Faults:   {len(server.faults.plan.rules)} rule(s), seed {server.faults.plan.seed}")
    print("Press Ctrl-C to stop.")
    print("\nIn another shell, paste these lines, then run e.g. `ocdata doctor` or `ocdata study FILE.yml`:")
    print(sandbox_exports(server.url, server.username, server.key), flush=True)
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
    arg("--db", default=None, metavar="PATH", help=_DB_HELP),
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
        result = demo_module.run_demo(Path(args.out), _cache_path(args.db), port=port, concurrency=args.concurrency,
                                      progress=not args.no_progress, latency_ms=args.latency_ms)
    except OSError as exc:
        if exc.errno not in (errno.EADDRINUSE, errno.EACCES):
            raise
        print(f"ocdata demo: cannot listen on port {port} ({exc.strerror}); pass --port with a free one.",
              file=sys.stderr)
        return 1
    return 0 if result.failed == result.refused == 0 else 3


_STUDY_EPILOG = """\
exit status:
  0  every scenario priced (ok)
  3  the study ran but some scenarios were refused by the store or failed (see the lines above;
     failed ones are fetched again by the next run, refused ones with --retry-errors)
  1  the study could not run: bad file, missing credentials, a store refusing this client
     (API key, IP, clock), a locked cache
  130  interrupted: finished scenarios are cached, run it again to resume

""" + _ENVIRONMENT

#: error groups printed after a study's summary
_SHOWN_ERRORS = 5


@command(
    "study",
    "Run a study described in a YAML file against a store (see ocdata.study for the format).",
    arg("file", metavar="FILE.yml"),
    *_STORE_ARGS,
    arg("--db", default=None, metavar="PATH", help=_DB_HELP),
    arg("--out", default=None, metavar="FILE", help="also write the quotes to FILE (.csv or .parquet)"),
    arg("--concurrency", type=int, default=8, help="quotes in flight at once"),
    arg("--refresh", action="store_true", help="fetch every scenario again, ignoring the cache"),
    arg("--retry-errors", action="store_true", help="ask the store again about scenarios it refused before"),
    arg("--no-progress", action="store_true", help="no progress bar"),
    epilog=_STUDY_EPILOG,
)
def study(args: argparse.Namespace) -> int:
    import yaml

    from ocdata.cache import Cache
    from ocdata.client import connect
    from ocdata.study import Study

    try:
        with open(args.file, encoding="utf-8") as fh:
            spec = yaml.safe_load(fh) or {}
    except (OSError, yaml.YAMLError) as exc:
        print(f"ocdata study: cannot read {args.file}: {' '.join(str(exc).split())}", file=sys.stderr)
        return 1
    options = _store_options(args, spec.get("store") if isinstance(spec, dict) else None)
    try:
        Study.from_yaml(args.file, store=_NO_STORE)  # the file's mistakes first, before any request
        with connect(**options) as store, Cache(_cache_path(args.db)) as cache:
            plan = Study.from_yaml(args.file, store, cache=cache)
            frame = plan.run(concurrency=args.concurrency, progress=not args.no_progress, refresh=args.refresh,
                             retry_errors=args.retry_errors)
            report = plan.last_run
    except (ValueError, TypeError) as exc:
        print(f"ocdata study: {exc}", file=sys.stderr)
        return 1
    print(f"study {plan.name!r}: {report.summary()}; {len(frame)} quote rows")
    for group in report.errors[:_SHOWN_ERRORS]:
        print(f"  {group}")
    if len(report.errors) > _SHOWN_ERRORS:
        print(f"  ... {len(report.errors) - _SHOWN_ERRORS} more kinds of error: ocdata sql \"SELECT cart, destination, "
              f"scenario_status, error FROM study_quotes WHERE study = '{plan.name}' AND scenario_status <> 'ok'\"")
    if report.refused:
        print("  refused scenarios are cached as the store's answer: --retry-errors asks again")
    if args.out:
        frame.to_parquet(args.out, index=False) if args.out.endswith(".parquet") else frame.to_csv(args.out,
                                                                                                    index=False)
        print(f"wrote {args.out}")
    return 0 if report.complete else 3


class _NoStore:
    """Stands in for a store while a study file is only checked (never asked anything)."""

    url = "about:check"


_NO_STORE = _NoStore()


@command(
    "doctor",
    "Check a store: reachable, which dialect and version, clock skew, credentials and IP, known behaviours.",
    arg("url_arg", nargs="?", metavar="URL", help="store URL (default: --url, $OCDATA_URL, the profile)"),
    *_STORE_ARGS,
)
def doctor(args: argparse.Namespace) -> int:
    from ocdata.client import connect

    if args.url_arg:
        args.url = args.url or args.url_arg
    with connect(**_store_options(args)) as store:
        report = store.doctor()
    print(report)
    return 0 if report.ok else 3


@command(
    "studies",
    "List the studies in the cache: store, scenarios ok/refused/failed/pending, last run.",
    arg("--db", default=None, metavar="PATH", help=_DB_HELP),
    arg("--csv", action="store_true", help="print CSV instead of a table"),
)
def studies(args: argparse.Namespace) -> int:
    from ocdata.cache import Cache

    with Cache(_cache_path(args.db), read_only=True) as cache:
        frame = cache.studies()
    if frame.empty:
        print("no study in this cache yet: run `ocdata study FILE.yml` or `ocdata demo`")
        return 0
    print(frame.to_csv(index=False) if args.csv else frame.to_string(index=False))
    return 0


@command(
    "sql",
    "Query the DuckDB cache and print the result (study_quotes: every quote with its study, cart, destination, "
    "group and store; also studies, scenarios, quotes, totals, orders, calls).",
    arg("query", metavar="SQL"),
    arg("--db", default=None, metavar="PATH", help=_DB_HELP),
    arg("--csv", action="store_true", help="print CSV instead of a table"),
)
def sql(args: argparse.Namespace) -> int:
    import duckdb

    from ocdata.cache import Cache

    path = _cache_path(args.db)
    try:
        with Cache(path, read_only=True) as cache:
            frame = cache.sql(args.query)
    except duckdb.Error as exc:
        print(f"ocdata sql: {' '.join(str(exc).split())}", file=sys.stderr)
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
