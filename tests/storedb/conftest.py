"""A private MariaDB server for the store-database tests: one per session, on a temporary
data directory and socket, never the system service.

Without the MariaDB binaries the tests skip locally (``apt-get install -y mariadb-server``)
but fail when ``CI`` is set, so CI can never skip them silently.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

START_TIMEOUT = 60.0


def _binary(name: str) -> str | None:
    return shutil.which(name) or next((str(p) for p in (Path("/usr/sbin") / name, Path("/usr/bin") / name)
                                       if p.exists()), None)


@dataclass
class Server:
    socket: str
    process: subprocess.Popen

    def url(self, database: str, user: str = "root", password: str = "") -> str:
        auth = f"{user}:{password}" if password else user
        return f"mysql://{auth}@localhost/{database}?unix_socket={self.socket}"

    def admin(self):
        """A read-write root connection (to build schemas; the code under test never gets one)."""
        import pymysql

        return pymysql.connect(user="root", unix_socket=self.socket, autocommit=True, charset="utf8mb4")


@pytest.fixture(scope="session")
def mariadb(tmp_path_factory) -> Server:
    install, daemon = _binary("mariadb-install-db"), _binary("mariadbd")
    if not install or not daemon:
        reason = "MariaDB is not installed (apt-get install -y mariadb-server): the store-database tests need it"
        if os.environ.get("CI"):
            pytest.fail(f"{reason}; CI must run them (.ci/run installs it)")
        pytest.skip(reason)
    base = tmp_path_factory.mktemp("mariadb")
    # a unix socket path must stay short (108 bytes)
    sock_dir = Path(os.environ.get("TMPDIR", "/tmp")) / f"ocdb-{os.getpid()}"
    sock_dir.mkdir(exist_ok=True)
    socket, datadir, log = sock_dir / "mysqld.sock", base / "data", base / "error.log"
    subprocess.run([install, f"--datadir={datadir}", "--auth-root-authentication-method=normal", "--skip-test-db",
                    "--user=root"], check=True, capture_output=True, timeout=120)
    process = subprocess.Popen(
        [daemon, "--no-defaults", f"--datadir={datadir}", f"--socket={socket}", "--skip-networking", "--user=root",
         f"--pid-file={base / 'mariadbd.pid'}", f"--log-error={log}", "--innodb-buffer-pool-size=32M",
         "--skip-log-bin", "--innodb-flush-log-at-trx-commit=0", "--character-set-server=utf8mb4",
         "--collation-server=utf8mb4_unicode_ci"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    server = Server(str(socket), process)
    deadline = time.monotonic() + START_TIMEOUT
    try:
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"mariadbd exited with {process.returncode}: {_tail(log)}")
            try:
                server.admin().close()
                break
            except Exception:  # noqa: BLE001 - not accepting connections yet
                if time.monotonic() > deadline:
                    raise RuntimeError(f"mariadbd not ready after {START_TIMEOUT:.0f}s: {_tail(log)}") from None
                time.sleep(0.1)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        shutil.rmtree(sock_dir, ignore_errors=True)


def _tail(log: Path) -> str:
    try:
        return " | ".join(log.read_text(errors="replace").splitlines()[-5:])
    except OSError:
        return "(no log)"
