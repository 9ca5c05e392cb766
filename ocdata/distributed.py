"""A study's scenarios on other processes or machines: ``Study.run(executor=...)``.

>>> from dask.distributed import Client                                        # doctest: +SKIP
>>> client = Client("tcp://scheduler:8786")        # or Client(LocalCluster(...))  # doctest: +SKIP
>>> ocdata.distributed.hand_over_key(client, store)  # or OCDATA_API_KEY on every worker  # doctest: +SKIP
>>> study.run(executor=client.get_executor(), concurrency=16)                  # doctest: +SKIP

Any :class:`concurrent.futures.Executor` works (Dask's ``client.get_executor()``, a
``ProcessPoolExecutor``, a ``ThreadPoolExecutor``). The driver — the process calling
``run`` — looks the cache up, ships chunks of the scenarios still to fetch as tasks, and
**alone writes the cache** as the quotes come back (workers never open it: a DuckDB file
has one writer). What crosses to a worker is picklable and secret-free:

* a :class:`StoreRecipe` — URL, API user name, dialect, store id, language, currency,
  pricing, timeout, retries and the politeness budget — **never the API key**. Each worker
  process connects once per recipe and reuses that store (its connection pool, resolved
  countries) for every later task. The key is resolved *on the worker*, like
  ``ocdata.connect`` does: ``OCDATA_API_KEY`` / a config profile on that machine, or a key
  handed over in memory by :func:`hand_over_key` (Dask's ``client.run``: sent once to the
  running workers over the cluster's connections, held in their memory, never part of a task,
  a result or anything Dask may spill to disk). ``Store`` keeps its key in a
  :class:`~ocdata.client.credentials.Secret`, which refuses pickling, so a store cannot be
  shipped by mistake;
* the scenarios' drafts (customer, lines, addresses: no secret).

What comes back per scenario: the :class:`~ocdata.client.models.Quote` (or the error, made
picklable), the time it took and when the store answered; the driver turns them into the
same cache records a local run writes, so the study's frame is the same.

**Politeness across workers**: the store's budget (``connect(max_concurrency=, max_rps=)``)
is *divided*: the driver keeps at most ``S`` tasks in flight (``S`` = the executor's
worker slots, capped by ``concurrency``) and each task's store gets ``1/S`` of the budget
(:meth:`~ocdata.client.politeness.Politeness.share`), so however the tasks land on workers
the sum stays within the budget. A shared token service (one limiter every worker asks) would
let a busy worker use an idle one's share, but costs a round trip to that service per request
and is one more thing to run and lose; dividing needs nothing but the recipe. A 429/503 pauses
only the worker that saw it (each backs off on its own, bounded, as a single process does).

Errors of the caller rather than a scenario (no key on a worker, wrong key, IP not allowed)
stop the run on the driver with the worker's message; nothing is cached for them.
"""

from __future__ import annotations

import math
import os
import pickle
import re
import threading
import time
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from ocdata.client.credentials import Secret, resolve_credentials
from ocdata.client.errors import ConfigurationError, OcdataError
from ocdata.study_schema import classify

if TYPE_CHECKING:  # pragma: no cover
    from ocdata.cache import Cache
    from ocdata.client.models import OrderDraft
    from ocdata.client.store import Store
    from ocdata.study import RunReport, Study

__all__ = ["StoreRecipe", "hand_over_key", "fetch_on", "executor_slots", "RemoteError"]



@dataclass(frozen=True)
class StoreRecipe:
    """How to connect to a store again in another process: everything but the key."""

    url: str
    username: str
    dialect: str
    store_id: int = 0
    language: str = "en-gb"
    currency: str | None = None
    pricing: str = "api"
    timeout: float = 30.0
    retries: int = 3
    default_order_status_id: int = 1
    max_concurrency: int | None = None
    max_rps: float | None = None
    profile: str | None = None

    @classmethod
    def of(cls, store: "Store") -> "StoreRecipe":
        config = store.dialect.config
        politeness = store.politeness
        transport = store.transport
        profile = re.search(r"\[([^\]]+)\]$", config.credentials.source or "")
        return cls(url=config.base_url, username=config.credentials.username, dialect=store.dialect.name,
                   store_id=config.store_id, language=config.language, currency=config.currency,
                   pricing=config.pricing, timeout=float(getattr(transport, "timeout", 30.0)),
                   retries=int(getattr(transport, "retries", 3)),
                   default_order_status_id=config.default_order_status_id,
                   max_concurrency=politeness.max_concurrency if politeness else None,
                   max_rps=politeness.max_rps if politeness else None,
                   profile=profile.group(1) if profile else None)

    def connect(self, share: int = 1, workers: int = 8) -> "Store":
        """A store from this recipe in this process, with ``1/share`` of the politeness budget.
        The key comes from :func:`hand_over_key`, else ``OCDATA_API_KEY`` or the profile."""
        from ocdata.client.politeness import Politeness
        from ocdata.client.store import connect

        key = _KEYS.get((self.url, self.username))
        if key is None:
            try:
                key = resolve_credentials(self.url, self.username, None, profile=self.profile).key
            except ConfigurationError:
                raise ConfigurationError(
                    f"no API key for {self.username!r} at {self.url} on this worker (pid {os.getpid()}): set "
                    f"OCDATA_API_KEY or a config profile on every worker, or call "
                    f"ocdata.distributed.hand_over_key(client, store) once before the run") from None
        budget = Politeness(self.max_concurrency, self.max_rps) if (self.max_concurrency or self.max_rps) else None
        part = budget.share(share) if budget is not None else None
        return connect(self.url, self.username, key.reveal(), dialect=self.dialect, store_id=self.store_id,
                       language=self.language, currency=self.currency, timeout=self.timeout, pricing=self.pricing,
                       workers=workers, retries=self.retries, default_order_status_id=self.default_order_status_id,
                       max_concurrency=part.max_concurrency if part else None,
                       max_rps=part.max_rps if part else None)


# ----------------------------------------------------------------------------- worker side

_KEYS: dict[tuple[str, str], Secret] = {}
_STORES: dict[tuple[StoreRecipe, int], "Store"] = {}
_STORES_LOCK = threading.Lock()


def _remember_key(url: str, username: str, key: str) -> bool:
    _KEYS[(url, username)] = Secret(key)
    with _STORES_LOCK:  # a store built with an older key must not be reused
        for recipe_share in [k for k in _STORES if (k[0].url, k[0].username) == (url, username)]:
            _STORES.pop(recipe_share).close()
    return True


def hand_over_key(client: Any, store: "Store") -> None:
    """Give the Dask cluster's running workers ``store``'s API key, in memory.

    ``client.run`` sends it once over the cluster's connections to every worker now running;
    it is kept in the worker processes' memory only (never in a task, a result, a pickle on
    disk or Dask's spill files). Workers started later do not have it: call again, or give
    the workers ``OCDATA_API_KEY``/a profile instead.
    """
    recipe = StoreRecipe.of(store)
    client.run(_remember_key, recipe.url, recipe.username, store.dialect.config.credentials.key.reveal())


def _store_for(recipe: StoreRecipe, share: int, threads: int) -> "Store":
    with _STORES_LOCK:
        store = _STORES.get((recipe, share))
        if store is None:
            store = _STORES[(recipe, share)] = recipe.connect(share, workers=max(threads, 8))
        return store


class RemoteError(OcdataError):
    """An error raised on a worker that could not travel back as itself; its message and retry flag did."""

    def __init__(self, message: str, *, type_name: str = "Exception", should_retry: bool | None = True) -> None:
        super().__init__(message, should_retry=should_retry)
        self.type_name = type_name


def _portable(error: BaseException) -> BaseException:
    try:
        pickle.loads(pickle.dumps(error))
        return error
    except Exception:  # noqa: BLE001 - anything unpicklable travels as its text
        return RemoteError(f"{type(error).__name__}: {error}", type_name=type(error).__name__,
                           should_retry=getattr(error, "should_retry", True))


def quote_chunk(recipe: StoreRecipe, share: int, threads: int, drafts: list["OrderDraft"]) -> list[tuple]:
    """Worker task: quote ``drafts`` with ``threads`` threads; ``(quote, error, elapsed_ms, fetched_at)`` each."""
    store = _store_for(recipe, share, threads)

    def one(draft: "OrderDraft") -> tuple:
        t0 = time.perf_counter()
        quote = error = None
        try:
            quote = store.quote(draft)
        except Exception as exc:  # noqa: BLE001 - a failing scenario is a row, as in a local run
            error = _portable(exc)
        elapsed = (time.perf_counter() - t0) * 1000
        return quote, error, elapsed, datetime.now(timezone.utc).replace(tzinfo=None)

    if threads <= 1 or len(drafts) <= 1:
        return [one(d) for d in drafts]
    with ThreadPoolExecutor(max_workers=min(threads, len(drafts)), thread_name_prefix="ocdata-task") as pool:
        return list(pool.map(one, drafts))


# ----------------------------------------------------------------------------- driver side

def executor_slots(executor: Executor) -> int:
    """How many tasks ``executor`` runs at once: a Dask client's total threads, a pool's workers."""
    client = getattr(executor, "_client", None)
    if client is not None and hasattr(client, "nthreads"):
        return max(1, sum(client.nthreads().values()))
    n = getattr(executor, "_max_workers", None)
    return max(1, int(n)) if n else (os.cpu_count() or 1)


def fetch_on(executor: Executor, study: "Study", store: "Store", cache: "Cache", skey: str, todo: dict[str, int],
             drafts: list["OrderDraft"], draft_json: list[str], keys: list[str], report: "RunReport",
             concurrency: int, progress: bool) -> None:
    """What :meth:`Study.run` does with ``executor=``: the scenarios of ``todo`` quoted by its workers,
    at most ``concurrency`` quote calls in flight in all, recorded in ``cache`` here."""
    from tqdm.auto import tqdm

    recipe = StoreRecipe.of(store)
    concurrency = max(1, int(concurrency))
    slots = min(executor_slots(executor), concurrency)
    threads = max(1, concurrency // slots)
    pending = list(todo.values())
    size = max(1, min(threads * 4, math.ceil(len(pending) / slots))) if pending else 1
    chunks = iter([pending[i:i + size] for i in range(0, len(pending), size)])
    in_flight: dict[Future, list[int]] = {}
    bar = tqdm(total=len(keys), initial=report.from_cache, disable=not progress, desc=study.name,
               unit="scenario", leave=True)
    try:
        while True:
            while len(in_flight) < slots:
                chunk = next(chunks, None)
                if chunk is None:
                    break
                future = executor.submit(quote_chunk, recipe, slots, threads, [drafts[i] for i in chunk])
                in_flight[future] = chunk
            if not in_flight:
                break
            done, _ = wait(list(in_flight), return_when=FIRST_COMPLETED)
            for future in done:
                chunk = in_flight.pop(future)
                answers = future.result()  # a task that failed as a whole (no key on the worker) stops the run
                # the store refusing this client (key, IP, clock) is no scenario's answer: the run stops
                stop = next((e for _, e, _, _ in answers if e is not None and classify(e) == "stop"), None)
                if stop is not None:
                    raise stop
                for i, (quote, error, elapsed, fetched_at) in zip(chunk, answers):
                    record = cache._scenario_record(keys[i], skey, draft_json[i], quote, error, elapsed)
                    cache._put(replace(record, fetched_at=fetched_at))
                    report.fetched += 1
                bar.update(len(chunk))
    except BaseException:
        report.interrupted = True
        for future in in_flight:
            future.cancel()
        raise
    finally:
        bar.close()
