"""Benchmarks of ocdata against the embedded sandbox store (see ``bench/RESULTS.md``).

Each benchmark is one command, ``python -m bench.<name>`` (``--quick`` for a smoke run),
that prints its figures next to the baseline measured in the same run.
"""
