"""``ocdata sandbox`` as a user runs it: a subprocess that prints URL, username and key."""

from __future__ import annotations

import subprocess
import sys
from decimal import Decimal

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


def test_cli_serves_the_oc30_store_to_an_auto_detecting_client():
    """``ocdata sandbox --store oc30`` serves 3.0's API, which ``connect(dialect="auto")`` finds and uses."""
    import ocdata

    proc = subprocess.Popen(
        [sys.executable, "-m", "ocdata.cli", "sandbox", "--port", "0", "--store", "oc30"],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        lines = [proc.stdout.readline() for _ in range(5)]
        assert "'oc30' serving dialects oc30" in lines[0]
        fields = dict(line.split(":", 1) for line in lines[1:4])
        store = ocdata.connect(fields["URL"].strip(), fields["Username"].strip(), fields["Key"].strip())
        assert store.dialect_name == "oc30"
        london = ocdata.Address(firstname="Ann", lastname="Lee", address_1="1 Market Street", city="Lancaster",
                                postcode="LA1 1AA", country="GB", zone="Lancashire")
        draft = ocdata.OrderDraft(
            customer=ocdata.Customer(firstname="Ann", lastname="Lee", email="ann@example.com", telephone="01524 000000"),
            lines=[ocdata.CartLine(product_id=40)]).with_addresses(london)
        flat = store.quote(draft).option("flat.flat")
        assert flat.total == Decimal("131.20")  # what the real 3.0 store totals (oc30 transcript 140)
        store.close()
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
