import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # factories.py, fakes.py

from ocdata.cache import Cache  # noqa: E402


@pytest.fixture
def cache(tmp_path):
    c = Cache(tmp_path / "cache.duckdb")
    yield c
    c.close()


@pytest.fixture(autouse=True)
def _default_cache_in_tmp(tmp_path, monkeypatch):
    # no test may touch ~/.cache
    monkeypatch.setenv("OCDATA_CACHE", str(tmp_path / "default.duckdb"))
