"""Without Chromium the browser tests skip locally and fail under CI (so CI never skips them)."""

from __future__ import annotations

import pytest
from browser_env import missing, require_browser

ABSENT = "/nonexistent/chromium"


def test_missing_chromium_is_named():
    assert missing(ABSENT) == f"{ABSENT} not found (apt-get install -y chromium)"


def test_missing_chromium_skips_locally(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="need Chromium, Playwright and JupyterLab"):
        require_browser(ABSENT)


def test_missing_chromium_fails_under_ci(monkeypatch):
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="browser tests cannot run under CI"):
        require_browser(ABSENT)
