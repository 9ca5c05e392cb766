"""``ocdata sandbox`` as a user runs it: a subprocess that prints URL, username and key."""

from __future__ import annotations

import subprocess
import sys

import requests
from conftest import REPO


def test_cli_prints_credentials_that_work():
    proc = subprocess.Popen(
        [sys.executable, "-m", "ocdata.cli", "sandbox", "--port", "0", "--store", "stock", "--latency-ms", "1"],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        lines = [proc.stdout.readline() for _ in range(5)]
        fields = dict(line.split(":", 1) for line in lines[1:4])
        url, username, key = (fields[k].strip() for k in ("URL", "Username", "Key"))
        assert "stock" in lines[0] and "oc41, spec" in lines[0]
        assert url.startswith("http://127.0.0.1:") and url.endswith("/")
        assert username == "Default" and len(key) == 256
        assert "Ctrl-C" in lines[4]
        login = requests.post(url + "index.php?route=api/login", data={"username": username, "key": key}, timeout=30)
        assert login.status_code == 200 and login.json()["api_token"]
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        proc.stdout.close()
        proc.stderr.close()


def test_cli_without_a_command_prints_help():
    done = subprocess.run([sys.executable, "-m", "ocdata.cli"], cwd=REPO, capture_output=True, text=True, timeout=60,
                          check=False)
    assert done.returncode == 2 and "sandbox" in done.stdout


def test_cli_reports_an_unknown_store():
    done = subprocess.run([sys.executable, "-m", "ocdata.cli", "sandbox", "--store", "/no/such/store.yaml"],
                          cwd=REPO, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 1 and "cannot start" in done.stderr
