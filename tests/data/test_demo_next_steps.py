"""The demo's closing commands are valid SQL on the cache it wrote, with or without a study_quotes view."""

from __future__ import annotations

import shlex

from ocdata.cache import Cache
from ocdata.demo import _study_quotes_columns, next_steps


def _queries(text: str) -> list[str]:
    return [shlex.split(line)[2] for line in text.splitlines() if line.strip().startswith("ocdata sql")]


def test_next_steps_query_the_tables_or_the_study_quotes_view(tmp_path):
    db = tmp_path / "c.duckdb"
    with Cache(db) as cache:
        assert _study_quotes_columns(cache) == frozenset()
        plain = next_steps(db, view_columns=_study_quotes_columns(cache))
        assert "JOIN study_scenarios" in plain and f"--db {db.resolve()}" in plain
        for query in _queries(plain):
            cache.sql(query)  # raises on a wrong table or column
        cache.sql("CREATE VIEW study_quotes AS SELECT ss.study_id AS study, ss.cart, ss.destination, "
                  "q.method_name, q.cost, q.total FROM quotes q JOIN study_scenarios ss USING (scenario_key)")
        columns = _study_quotes_columns(cache)
        viewed = next_steps(db, view_columns=columns)
        assert "FROM study_quotes WHERE study = 'ocdata-demo'" in viewed and "currency" not in _queries(viewed)[0]
        for query in _queries(viewed):
            cache.sql(query)
    assert "ocdata sandbox" in viewed and "notebooks/" in viewed
