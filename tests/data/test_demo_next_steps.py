"""The demo's closing commands are valid SQL on the cache it wrote (its study_quotes view)."""

from __future__ import annotations

import shlex

from ocdata.cache import Cache
from ocdata.demo import _study_quotes_columns, next_steps


def _queries(text: str) -> list[str]:
    return [shlex.split(line)[2] for line in text.splitlines() if line.strip().startswith("ocdata sql")]


def test_next_steps_query_the_study_quotes_view(tmp_path):
    db = tmp_path / "c.duckdb"
    with Cache(db) as cache:
        columns = _study_quotes_columns(cache)
        assert {"study", "cart", "destination", "method_name", "total"} <= columns
        text = next_steps(db, view_columns=columns)
        assert "FROM study_quotes WHERE study = 'ocdata-demo'" in text and f"--db {db.resolve()}" in text
        for query in _queries(text):
            cache.sql(query)  # raises on a wrong table or column
    assert "ocdata sandbox" in text and "notebooks/" in text


def test_next_steps_fall_back_to_the_tables_without_the_view(tmp_path):
    db = tmp_path / "c.duckdb"
    with Cache(db) as cache:
        plain = next_steps(db, view_columns=frozenset())
        assert "JOIN study_scenarios" in plain
        for query in _queries(plain):
            cache.sql(query)
