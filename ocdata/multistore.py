"""One study over several stores at once, each store at its own pace.

>>> stores = [ocdata.connect(url, user, key, max_concurrency=4, max_rps=20) for url, user, key in shops]  # doctest: +SKIP
>>> multi = ocdata.MultiStoreStudy(stores, carts={"phone": "40x1"}, destinations={"LA": "US-CA"})     # doctest: +SKIP
>>> df = multi.run()          # one frame: every store's rows, ``store`` says whose              # doctest: +SKIP

Each store gets its own :class:`~ocdata.study.Study` of the same grid (named
``<name>@<host_port>`` in the cache, resumable and cached as any study) and its own
thread pool: ``concurrency`` quote calls in flight *per store* (default: the store's
``max_concurrency`` when it has one, else 8). The stores' politeness limits are theirs alone
(:mod:`ocdata.client.politeness`), so a slow or throttling store never holds the others back,
and the study's throughput is the sum of the stores'. All of them write through the one
cache's writer thread. Past what one process's CPU can drive (README, "Scale"), give
``executor=`` (see :mod:`ocdata.distributed`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pandas as pd

from ocdata import frames
from ocdata.cache import Cache, _digest, canonical_json
from ocdata.study import STUDY_COLUMNS, RunReport, Scenario, Study

__all__ = ["MultiStoreStudy"]


class MultiStoreStudy:
    """The same grid (``carts`` x ``destinations`` x ``customer_groups``, as for :class:`Study`) over ``stores``."""

    def __init__(self, stores: Sequence[Any], carts: Any = None, destinations: Any = None,
                 customer_groups: Iterable[int] | None = None, *, name: str | None = None, cache: Cache | None = None,
                 customer: Any = None, scenarios: Sequence[Scenario] | None = None) -> None:
        from ocdata.merge import store_slug

        if not stores:
            raise ValueError("MultiStoreStudy needs at least one store")
        groups = list(customer_groups) if customer_groups is not None else None
        first = Study(stores[0], carts, destinations, groups, cache=cache, customer=customer, scenarios=scenarios)
        self.name = name or f"multi-{_digest(canonical_json(first._definition()))[:10]}"
        slugs = [store_slug(s.url) for s in stores]
        if len(set(slugs)) < len(slugs):  # two front controllers on one host: number them
            slugs = [f"{slug}-{i}" for i, slug in enumerate(slugs)]
        self.studies: list[Study] = [
            Study(store, name=f"{self.name}@{slug}", cache=cache, customer=first.customer,
                  scenarios=first.scenarios)
            for store, slug in zip(stores, slugs)
        ]
        self.last_runs: list[RunReport | None] = []

    def __repr__(self) -> str:
        return f"<MultiStoreStudy {self.name!r}: {len(self.studies[0].scenarios)} scenarios x {len(self.studies)} stores>"

    @staticmethod
    def _concurrency(store: Any, concurrency: int | Mapping[str, int] | None) -> int:
        if isinstance(concurrency, Mapping):
            concurrency = concurrency.get(store.url)
        if concurrency is not None:
            return int(concurrency)
        politeness = getattr(store, "politeness", None)
        return politeness.max_concurrency if politeness is not None and politeness.max_concurrency else 8

    def run(self, concurrency: int | Mapping[str, int] | None = None, progress: bool = True, **options: Any
            ) -> pd.DataFrame:
        """Run every store's study at once and return their frames as one (:data:`~ocdata.study.STUDY_COLUMNS`).

        ``concurrency``: quote calls in flight per store (an int, ``{store url: n}``, or None for
        each store's ``max_concurrency``, else 8). ``options`` go to each :meth:`Study.run`
        (``refresh``, ``max_age``, ``executor``...). A store failing as a whole (its run raised)
        does not stop the others; the first such error is raised once all have finished.
        """
        def one(study: Study) -> BaseException | None:
            try:
                study.run(concurrency=self._concurrency(study.store, concurrency), progress=progress, **options)
            except Exception as exc:  # noqa: BLE001 - raised below, after the other stores finished
                return exc
            return None

        with ThreadPoolExecutor(max_workers=len(self.studies), thread_name_prefix="ocdata-store") as pool:
            errors = list(pool.map(one, self.studies))
        self.last_runs = [s.last_run for s in self.studies]
        for error in errors:
            if error is not None:
                raise error
        return self.results()

    def results(self) -> pd.DataFrame:
        """Every store's study frame from the cache, one after the other."""
        parts = [s.results() for s in self.studies]
        return frames.conform(pd.concat([p.astype({c: object for c in p.columns if p[c].dtype == "category"})
                                         for p in parts], ignore_index=True), STUDY_COLUMNS)
