"""JupyterLab started for one test session, and Debian's Chromium driven by Playwright.

Nothing is downloaded: Playwright drives the system's ``/usr/bin/chromium`` (``.ci/run``
installs it with apt). Without Chromium, Playwright or JupyterLab the browser tests skip
with the reason, except under CI (``CI`` set), where they fail: CI must never skip them.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from browser_env import CHROMIUM, CHROMIUM_FLAGS, require_browser

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / ".artifacts" / "browser"
STARTUP_SECONDS = 60


@dataclass
class Lab:
    """A running JupyterLab: its base URL, token and notebook directory."""

    url: str
    token: str
    root: Path
    log: Path

    def notebook_url(self, name: str) -> str:
        return f"{self.url}lab/tree/{name}?token={self.token}"


def _wait_for_server(runtime: Path, proc: subprocess.Popen, log: Path) -> dict:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"JupyterLab exited ({proc.returncode}):\n{log.read_text()[-3000:]}")
        for info_file in runtime.glob("jpserver-*.json"):
            info = json.loads(info_file.read_text() or "{}")
            if info.get("port"):
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{info['port']}/api/status?token={info['token']}",
                                                timeout=2) as answer:
                        if answer.status == 200:
                            return info
                except OSError:
                    pass
        time.sleep(0.2)
    raise RuntimeError(f"JupyterLab did not answer within {STARTUP_SECONDS}s:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="session")
def lab(tmp_path_factory) -> Iterator[Lab]:
    require_browser()
    base = tmp_path_factory.mktemp("lab")
    root, runtime = base / "notebooks", base / "runtime"
    root.mkdir()
    token = secrets.token_hex(16)
    env = {**os.environ,
           "JUPYTER_RUNTIME_DIR": str(runtime), "JUPYTER_CONFIG_DIR": str(base / "config"),
           "JUPYTER_DATA_DIR": str(base / "data"), "JUPYTERLAB_SETTINGS_DIR": str(base / "settings"),
           "JUPYTERLAB_WORKSPACES_DIR": str(base / "workspaces"), "IPYTHONDIR": str(base / "ipython"),
           "PYTHONWARNINGS": "ignore"}
    # no "Jupyter news?" toast over the widgets (and no fetch of the news feed)
    notification = base / "settings" / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings"
    notification.parent.mkdir(parents=True)
    notification.write_text(json.dumps({"fetchNews": "false", "checkForUpdates": False}))
    # OCDATA_LAB_DISABLE=@jupyter-widgets/jupyterlab-manager shows the test failing without the
    # widget manager (widgets then render as text): a check that the test can fail
    disabled = [name for name in os.environ.get("OCDATA_LAB_DISABLE", "").split(",") if name]
    if disabled:
        page_config = base / "config" / "labconfig" / "page_config.json"
        page_config.parent.mkdir(parents=True)
        page_config.write_text(json.dumps({"disabledExtensions": {name: True for name in disabled}}))
    log = base / "jupyterlab.log"
    command = [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--allow-root", "--port=0",
               f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
               "--LabApp.expose_app_in_browser=True", "--LabApp.news_url=None",
               "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
               "--ServerApp.shutdown_no_activity_timeout=600", "--MappingKernelManager.cull_idle_timeout=0"]
    with log.open("w") as out:
        proc = subprocess.Popen(command, cwd=root, env=env, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
    try:
        info = _wait_for_server(runtime, proc, log)
        yield Lab(f"http://127.0.0.1:{info['port']}/", token, root, log)
    finally:
        # the server and the kernels it started are one process group
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=15)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


@pytest.fixture(scope="session")
def browser(lab) -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS, timeout=30_000)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture()
def page(browser, request) -> Iterator[object]:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(30_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.js_errors = errors
    try:
        yield page
    finally:
        if request.node.rep_call.failed if hasattr(request.node, "rep_call") else False:
            page.screenshot(path=str(ARTIFACTS / f"{request.node.name}-failed.png"))
        context.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)
