"""Is the browser stack here? Chromium (Debian's), Playwright and JupyterLab — or why not."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("OCDATA_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update"]


def missing(chromium: str = CHROMIUM) -> str | None:
    """Why the browser tests cannot run here (None: they can)."""
    if not (Path(chromium).exists() or shutil.which(chromium)):
        return f"{chromium} not found (apt-get install -y chromium)"
    for module, extra in (("playwright.sync_api", "playwright"), ("jupyterlab", "jupyterlab"),
                          ("jupyterlab_widgets", "jupyterlab_widgets")):
        try:
            __import__(module)
        except ImportError:
            return f"{extra} is not installed (pip install -e '.[test]')"
    return None


def require_browser(chromium: str = CHROMIUM) -> None:
    """Skip (locally) or fail (under CI) when the browser stack is missing."""
    reason = missing(chromium)
    if reason is None:
        return
    if os.environ.get("CI"):
        pytest.fail(f"browser tests cannot run under CI: {reason}", pytrace=False)
    pytest.skip(f"browser tests need Chromium, Playwright and JupyterLab: {reason}")
