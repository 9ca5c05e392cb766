"""Benchmark (issue 14): the study's own CPU per scenario, without the quotes' HTTP.

``python -m bench.study_cpu [--modes spec,oc41] [--scenarios 102] [--concurrency 1,8] [--repeat 3] [--profile]``

The quotes of ``--scenarios`` of benchmark 1's scenarios are fetched once from a sandbox in
its own process; then ``Study.run`` runs again and again into fresh caches against a store
whose ``quote`` hands back those quotes (no request, no parsing). This process's CPU time
(``time.process_time``: every thread, the cache's writer and DuckDB included) per scenario is
then what the study costs on top of its quotes: the grid and keys, the cache look-up, the
thread pool, the progress bar, the hand-off to the writer, the writer's rows and inserts and
the frame read back at the end. A local run's CPU is ``store.quote``'s plus this.

``--dask``: the same with ``executor=`` through :mod:`ocdata.distributed` (the driver's own path:
chunks, the answers turned into records): a thread pool whose tasks quote with the replaying
store and hand their answers back pickled (each answer pickled and unpickled, as a Dask worker's
result crosses to the driver; the unpickling is the driver's, the pickling a worker's).
``--profile``: one more run under pyinstrument (every thread), its heaviest functions printed.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from bench.common import SandboxProcess, header, load_average
from bench.scenarios import scenarios
from bench.study_throughput import MODES, connect, make_study


class Replay:
    """A store whose ``quote`` returns a quote fetched earlier for the same draft (everything else: the store's)."""

    def __init__(self, store: Any, answers: dict[str, Any]) -> None:
        self._store = store
        self._answers = answers

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    def quote(self, draft: Any) -> Any:
        answer = self._answers[draft.model_dump_json()]
        if isinstance(answer, BaseException):
            raise answer
        return answer


def fetch_answers(sandbox: SandboxProcess, mode: str, chosen: list) -> tuple[Any, dict[str, Any]]:
    from ocdata.cache import Cache

    spec = MODES[mode]
    store = connect(sandbox, spec.dialect, 4, pricing=spec.pricing)
    answers: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp, Cache(Path(tmp) / "fetch.duckdb") as cache:
        study = make_study(store, chosen, cache, "fetch")
        for scenario in study.scenarios:
            draft = study.draft(scenario)
            try:
                answers[draft.model_dump_json()] = store.quote(draft)
            except Exception as exc:  # noqa: BLE001 - a refusal is replayed as one
                answers[draft.model_dump_json()] = exc
    return store, answers


class PickledPool(ThreadPoolExecutor):
    """A thread pool whose tasks' results come back through pickle, as from another process."""

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Any:
        import pickle

        def task() -> Any:
            return pickle.loads(pickle.dumps(fn(*args, **kwargs)))

        return super().submit(task)


def run_once(store: Any, chosen: list, concurrency: int, executor: Any = None, profile: bool = False) -> tuple[float, Any]:
    from ocdata.cache import Cache

    with tempfile.TemporaryDirectory() as tmp, Cache(Path(tmp) / "study.duckdb") as cache:
        study = make_study(store, chosen, cache, "cpu")
        profiler = None
        if profile:
            from pyinstrument import Profiler

            profiler = Profiler(interval=0.0005, async_mode="disabled")
            profiler.start()
        c0 = time.process_time()
        study.run(concurrency=concurrency, progress=False, executor=executor)
        cache.close()
        cpu = time.process_time() - c0
        if profiler is not None:
            profiler.stop()
        assert study.last_run.fetched == len({study.draft(s).model_dump_json() for s in study.scenarios})
    return cpu, profiler


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--modes", default="spec,oc41")
    parser.add_argument("--scenarios", type=int, default=102)
    parser.add_argument("--concurrency", default="1,8")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--dask", action="store_true", help="also through ocdata.distributed (a thread pool)")
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args(argv)
    header("Benchmark (issue 14): the study's own CPU per scenario (quotes replayed, no HTTP)", False)
    warnings.simplefilter("ignore")
    for mode in args.modes.split(","):
        spec = MODES[mode]
        chosen = scenarios(False, spec.groups)[::5][:args.scenarios]
        with SandboxProcess(latency_ms=0, store=spec.store) as sandbox:
            store, answers = fetch_answers(sandbox, mode, chosen)
            replay = Replay(store, answers)
            run_once(replay, chosen[:4], 1)  # warm: imports
            runs = [(f"c={c}", int(c), None) for c in args.concurrency.split(",")]
            if args.dask:
                import ocdata.distributed

                ocdata.distributed._store_for = lambda recipe, share, threads: replay  # the workers' store
                runs.append(("executor", 8, PickledPool(2)))
            for label, concurrency, executor in runs:
                figures = [run_once(replay, chosen, concurrency, executor)[0] * 1000 / len(chosen)
                           for _ in range(args.repeat)]
                print(f"[{mode}] {label:9} {len(chosen)} scenarios: study CPU ms/scenario "
                      f"{' '.join(f'{f:.2f}' for f in figures)} (min {min(figures):.2f}); "
                      f"load {load_average()}", flush=True)
                if args.profile:
                    _, profiler = run_once(replay, chosen, concurrency, executor, profile=True)
                    print(profiler.output_text(unicode=False, color=False, show_all=False, timeline=False))
                if executor is not None:
                    executor.shutdown()
            store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
