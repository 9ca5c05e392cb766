"""`ocdata events serve` and `ocdata sandbox --webhook` from a terminal."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import ocdata

from webhook_helpers import SECRET, order_created, post


def test_events_serve_stores_until_ctrl_c_and_says_how_to_read_them(tmp_path):
    db = tmp_path / "cache.duckdb"
    proc = subprocess.Popen([sys.executable, "-m", "ocdata.cli", "events", "serve", "--port", "0", "--db", str(db),
                             "--secret", SECRET], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        first = proc.stdout.readline()
        assert first.startswith("Receiving webhook events at http://127.0.0.1:")
        url = first.split(" at ", 1)[1].strip()
        assert post(url, order_created()).status_code == 200
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert SECRET not in first + out  # a secret given on the command line is not echoed
    assert "1 events stored" in out and "webhook_events" in out
    assert len(ocdata.events(db=db)) == 1


def test_events_serve_prints_a_generated_secret_once(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "OCDATA_WEBHOOK_SECRET"}
    proc = subprocess.Popen([sys.executable, "-m", "ocdata.cli", "events", "serve", "--port", "0", "--db",
                             str(tmp_path / "c.duckdb")], stdout=subprocess.PIPE, text=True, env=env)
    try:
        lines = [proc.stdout.readline() for _ in range(3)]
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=30)
    secret = lines[2].split()[1]
    assert lines[2].startswith("Secret: ") and len(secret) >= 32


def test_sandbox_webhook_needs_a_secret():
    env = {k: v for k, v in os.environ.items() if k != "OCDATA_WEBHOOK_SECRET"}
    done = subprocess.run([sys.executable, "-m", "ocdata.cli", "sandbox", "--webhook", "http://127.0.0.1:9/"],
                          capture_output=True, text=True, timeout=60, env=env)
    assert done.returncode == 2 and "--webhook-secret" in done.stderr
