"""How fast a large OpenCart table reaches a DataFrame: PyMySQL (what ocdata.storedb uses) vs connectorx.

    python -m bench.storedb_read [--rows 300000]

Starts a private MariaDB (temporary data directory, 127.0.0.1 on a free port, never the system
service), fills an ``oc_order_product`` table with ``--rows`` rows from MariaDB's sequence engine,
and reads it whole, best of 3, each way:

* ``pymysql fetchall``: ocdata's path — one ``fetchall`` in a read-only transaction, DECIMAL as
  float, dates as text, then ``DataFrame.from_records`` (:meth:`MySQLStoreDB._run`);
* ``pymysql + typed``: the same plus the cast to the documented dtypes (``order_products`` frame);
* ``connectorx arrow`` / ``connectorx pandas``: ``connectorx.read_sql`` (Rust, straight to Arrow).
"""

from __future__ import annotations

import argparse
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

SQL = ("SELECT order_product_id, order_id, product_id, name, model, quantity, price, total, tax, reward "
       "FROM oc_order_product")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _best(fn, runs: int = 3) -> tuple[float, int]:
    best, n = float("inf"), 0
    for _ in range(runs):
        t = time.perf_counter()
        n = len(fn())
        best = min(best, time.perf_counter() - t)
    return best, n


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=300_000)
    args = parser.parse_args()
    import pymysql

    base = Path(tempfile.mkdtemp(prefix="ocdata-bench-db-"))
    port = _free_port()
    subprocess.run(["mariadb-install-db", f"--datadir={base / 'data'}", "--auth-root-authentication-method=normal",
                    "--skip-test-db", "--user=root"], check=True, capture_output=True, timeout=120)
    proc = subprocess.Popen(["mariadbd", "--no-defaults", f"--datadir={base / 'data'}", f"--socket={base / 's.sock'}",
                             "--bind-address=127.0.0.1", f"--port={port}", "--user=root", "--skip-log-bin",
                             f"--log-error={base / 'err.log'}", "--innodb-buffer-pool-size=256M"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                admin = pymysql.connect(user="root", unix_socket=str(base / "s.sock"), autocommit=True)
                break
            except pymysql.err.OperationalError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise
                time.sleep(0.1)
        with admin.cursor() as cur:
            cur.execute("CREATE DATABASE bench")
            cur.execute("CREATE USER 'bench'@'127.0.0.1' IDENTIFIED BY 'bench'")
            cur.execute("GRANT SELECT ON bench.* TO 'bench'@'127.0.0.1'")
            cur.execute("USE bench")
            cur.execute("CREATE TABLE oc_order_product (order_product_id int PRIMARY KEY, order_id int, product_id int,"
                        " name varchar(255), model varchar(64), quantity int, price decimal(15,4),"
                        " total decimal(15,4), tax decimal(15,4), reward int)")
            cur.execute(f"INSERT INTO oc_order_product SELECT seq, seq DIV 3, seq % 50, CONCAT('Product ', seq % 50),"
                        f" CONCAT('Model ', seq % 50), 1 + seq % 5, 100 + seq % 7, (1 + seq % 5) * (100 + seq % 7),"
                        f" 20, seq % 3 FROM seq_1_to_{args.rows}")
        admin.close()

        from ocdata.storedb.columns import typed
        from ocdata.storedb.mysql import MySQLStoreDB, parse_url

        url = f"mysql://bench:bench@127.0.0.1:{port}/bench"
        reader = MySQLStoreDB.__new__(MySQLStoreDB)  # the connection part only: this table is no full schema
        reader._args, reader.reconnect, reader._con = parse_url(url), True, None
        import threading

        reader._lock = threading.RLock()
        reader._open()
        import connectorx as cx

        rows = []
        for label, fn in (
            ("pymysql fetchall", lambda: reader._run(SQL)),
            ("pymysql + typed", lambda: typed(reader._run(SQL), "order_products")),
            ("connectorx arrow", lambda: cx.read_sql(url, SQL, return_type="arrow")),
            ("connectorx pandas", lambda: cx.read_sql(url, SQL, return_type="pandas")),
        ):
            seconds, n = _best(fn)
            rows.append((label, n, seconds))
        reader.close()
        print(f"{'path':20} {'rows':>8} {'best s':>8} {'rows/s':>10}")
        for label, n, seconds in rows:
            print(f"{label:20} {n:8d} {seconds:8.2f} {n / seconds:10.0f}")
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
