"""``ocdata demo``, ``ocdata study`` and ``ocdata sql`` end to end, as a user runs them."""

from __future__ import annotations

import shlex
import socket
import subprocess
import sys
import textwrap

import pandas as pd
import pytest

from ocdata.sandbox import serve


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ocdata(*args: str, timeout: float = 180) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ocdata.cli", *args], capture_output=True, text=True,
                          timeout=timeout)


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    base = tmp_path_factory.mktemp("demo")
    port = str(_free_port())
    args = ("demo", "--out", str(base / "out"), "--db", str(base / "cache.duckdb"), "--port", port,
            "--no-progress")
    first = ocdata(*args)
    second = ocdata(*args)
    return base, first, second


def test_demo_writes_outputs_and_summary(demo_run):
    base, first, _ = demo_run
    assert first.returncode == 0, first.stderr
    out = first.stdout
    assert ("4 carts x 12 destinations x 2 customer groups = 96 scenarios: 96 ok, 0 refused, 0 failed; "
            "0 from cache, 96 fetched") in out
    assert "dialect 'spec'" in out and "tax follows the destination" in out
    assert "Cheapest delivery" in out and "Effective tax rate" in out
    # the rich store's free shipping (UK, sub-total >= 200) wins for the iPhone + iPod cart in London
    london = next(line for line in out.splitlines() if line.startswith("London"))
    assert "Free Shipping 0.00" in london
    quotes = pd.read_parquet(base / "out" / "quotes.parquet")
    assert quotes["scenario_id"].nunique() == 96
    assert set(quotes["country"].astype(str)) == {"GB", "US", "DE"}
    assert set(quotes["customer_group_id"]) == {1, 3}
    assert len(pd.read_csv(base / "out" / "quotes.csv")) == len(quotes)
    png = (base / "out" / "shipping-cost-heatmap.png").read_bytes()
    assert png.startswith(b"\x89PNG")
    # destination tax: California pays its 8.25 % on the iPhone, Germany pays nothing
    ca = quotes[(quotes["destination"] == "Los Angeles") & (quotes["cart"] == "iPhone")
                & (quotes["customer_group_id"] == 1) & (quotes["method_code"] == "pickup")]
    assert ca["cart_tax"].iloc[0] == pytest.approx(8.33, abs=0.005)
    de = quotes[(quotes["country"] == "DE")]
    assert (de["tax"].fillna(0) == 0).all()
    # Wholesale special on the SyncMaster: 180.00 instead of 200.00
    wholesale = quotes[(quotes["cart"] == "SyncMaster monitor") & (quotes["customer_group_id"] == 3)]
    assert set(wholesale["sub_total"].round(2)) == {180.0}


def test_demo_rerun_comes_from_cache(demo_run):
    base, _, second = demo_run
    assert second.returncode == 0, second.stderr
    assert "96 from cache, 0 fetched" in second.stdout


def test_sql_reads_the_demo_cache(demo_run):
    base, *_ = demo_run
    done = ocdata("sql", "SELECT count(*) AS n FROM scenarios", "--db", str(base / "cache.duckdb"), "--csv")
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["n", "96"]
    orders = ocdata("sql", "SELECT order_id, total FROM orders", "--db", str(base / "cache.duckdb"), "--csv")
    assert orders.stdout.splitlines()[1].endswith(",245.2")  # the demo's test order, recorded
    bad = ocdata("sql", "SELECT nope FROM scenarios", "--db", str(base / "cache.duckdb"))
    assert bad.returncode == 1 and "nope" in bad.stderr and "Traceback" not in bad.stderr


def test_demo_on_a_taken_port_says_what_to_do(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        done = ocdata("demo", "--out", str(tmp_path), "--db", str(tmp_path / "c.duckdb"), "--port", port)
    assert done.returncode == 1
    assert "pass --port" in done.stderr and "Traceback" not in done.stderr


def test_study_command_runs_a_yaml_study_against_a_store(tmp_path, monkeypatch):
    spec = tmp_path / "study.yml"
    spec.write_text(textwrap.dedent("""
        name: cli-study
        customer_groups: [1]
        carts:
          phone: "40x1"
        destinations:
          London: GB-LDN
          Berlin: DE-BE
    """))
    with serve(store="rich") as shop:
        monkeypatch.setenv("OCDATA_API_KEY", shop.key)
        args = ("study", str(spec), "--url", shop.url, "--username", shop.username, "--dialect", "spec",
                "--db", str(tmp_path / "c.duckdb"), "--out", str(tmp_path / "q.csv"), "--no-progress")
        first = ocdata(*args)
        second = ocdata(*args)
    assert first.returncode == 0, first.stderr
    assert "2 scenarios: 2 ok, 0 refused, 0 failed; 0 from cache, 2 fetched" in first.stdout
    assert "2 scenarios: 2 ok, 0 refused, 0 failed; 2 from cache, 0 fetched" in second.stdout
    assert shop.key not in first.stdout + first.stderr
    frame = pd.read_csv(tmp_path / "q.csv")
    assert set(frame["destination"]) == {"London", "Berlin"}


def test_study_command_reports_a_bad_file_without_traceback(tmp_path):
    bad = tmp_path / "bad.yml"
    bad.write_text("carts: [unclosed")
    done = ocdata("study", str(bad), "--url", "http://127.0.0.1:9/")
    assert done.returncode == 1 and "cannot read" in done.stderr and "Traceback" not in done.stderr



def test_demo_names_currency_ties_and_what_to_run_next(demo_run):
    base, first, _ = demo_run
    out = first.stdout
    assert "cost before tax in USD" in out
    assert "total 245.20 USD, 2 product lines" in out
    # Flat Rate and Per Item both cost 5.00 for two items to Los Angeles: the tie is written out
    la = next(line for line in out.splitlines() if line.startswith("Los Angeles"))
    assert "Flat Rate = Per Item 5.00" in la
    db = str((base / "cache.duckdb").resolve())
    assert f"The cache is {db}" in out
    steps = out[out.index("Next:"):].splitlines()
    assert any(s.strip().startswith("ocdata sandbox") for s in steps)
    assert any("notebooks/" in s for s in steps)
    queries = [s.strip() for s in steps if s.strip().startswith("ocdata sql")]
    assert len(queries) == 2 and all(q.endswith(f"--db {db}") for q in queries)
    for command in queries:  # every suggested query runs as printed
        done = ocdata(*shlex.split(command)[1:])
        assert done.returncode == 0, (command, done.stderr)
        assert len(done.stdout.splitlines()) > 2
    quotes = pd.read_parquet(base / "out" / "quotes.parquet")
    assert set(quotes["currency"].astype(str)) == {"USD"} == set(quotes["session_currency"].astype(str))


def test_demo_order_products_are_recorded(demo_run):
    base, *_ = demo_run
    lines = ocdata("sql", "SELECT product_id, name, quantity FROM order_products ORDER BY line", "--db",
                   str(base / "cache.duckdb"), "--csv")
    assert lines.returncode == 0, lines.stderr
    assert [line for line in lines.stdout.splitlines() if line][1:] == ["40,iPhone,1", "48,iPod Classic,1"]
