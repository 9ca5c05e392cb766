"""The command line as a terminal user meets it: versions, credentials, exit codes, one-line errors."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import warnings
from dataclasses import dataclass
from pathlib import Path

import pytest

from ocdata.cli import main, sandbox_exports
from ocdata.sandbox import serve

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "study.yml"


@dataclass
class Done:
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def ocdata(capsys, monkeypatch):
    """``ocdata ARGS`` in this process (a process per call costs seconds of imports), with ``env`` as
    its only OCDATA_* environment."""

    def run(*args: str, env: dict | None = None) -> Done:
        for name in [k for k in os.environ if k.startswith("OCDATA_")]:
            monkeypatch.delenv(name)
        for name, value in (env or {}).items():
            monkeypatch.setenv(name, value)
        capsys.readouterr()
        shown = warnings.showwarning
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("default")
                code = main(list(args))
        except SystemExit as exc:  # --version, --help
            code = exc.code
        finally:
            warnings.showwarning = shown
        out = capsys.readouterr()
        return Done(code, out.out, out.err)

    return run


@pytest.fixture(scope="module")
def shop():
    with serve(store="rich") as s:
        yield s


@pytest.fixture
def env(shop, tmp_path):
    return {"OCDATA_URL": shop.url, "OCDATA_API_USERNAME": shop.username, "OCDATA_API_KEY": shop.key,
            "OCDATA_CACHE": str(tmp_path / "cache.duckdb")}


def test_version_and_help_name_the_environment(ocdata):
    done = ocdata("--version")
    assert done.returncode == 0 and done.stdout.strip().startswith("ocdata ")
    helped = ocdata("study", "--help")
    for name in ("OCDATA_URL", "OCDATA_API_USERNAME", "OCDATA_API_KEY", "OCDATA_CACHE", "--retry-errors", "--key",
                 "--profile", "exit status"):
        assert name in helped.stdout, name
    assert "--url" in ocdata("doctor", "--help").stdout


def test_sandbox_prints_lines_a_shell_can_paste(tmp_path):
    text = sandbox_exports("http://127.0.0.1:1/", "Default", "k3y'with quote")
    script = tmp_path / "env.sh"
    script.write_text(text + '\nprintf "%s|%s|%s" "$OCDATA_URL" "$OCDATA_API_USERNAME" "$OCDATA_API_KEY"\n')
    out = subprocess.run(["sh", str(script)], capture_output=True, text=True, check=True).stdout
    assert out == "http://127.0.0.1:1/|Default|k3y'with quote"
    p = subprocess.Popen([sys.executable, "-m", "ocdata.cli", "sandbox"], stdout=subprocess.PIPE, text=True)
    try:
        lines = []
        for line in p.stdout:
            lines.append(line)
            if line.startswith("export OCDATA_API_KEY="):
                break
    finally:
        p.terminate()
        p.wait(timeout=30)
    exports = [line for line in lines if line.startswith("export OCDATA_")]
    assert [line.split("=")[0] for line in exports] == ["export OCDATA_URL", "export OCDATA_API_USERNAME",
                                                        "export OCDATA_API_KEY"]


def test_example_study_runs_and_reads_back_without_hashes(ocdata, env, shop):
    first = ocdata("study", str(EXAMPLE), "--no-progress", env=env)
    assert first.returncode == 0, first.stderr
    assert "24 scenarios: 24 ok, 0 refused, 0 failed; 0 from cache, 24 fetched" in first.stdout
    assert shop.key not in first.stdout + first.stderr
    listed = ocdata("studies", "--csv", env=env)
    assert listed.returncode == 0, listed.stderr
    header, row = listed.stdout.splitlines()[:2]
    assert header.startswith("study,store,dialect,pricing,scenarios,ok,refused,failed,pending")
    assert row.startswith("example-shipping,") and ",oc41,storefront,24,24,0,0,0," in row
    read = ocdata("sql", "SELECT destination, customer_group_id, min(total) AS t FROM study_quotes "
                         "WHERE cart = 'monitor' AND quote_code = 'pickup.pickup' GROUP BY ALL ORDER BY ALL",
                  "--csv", env=env)
    rows = [line.split(",") for line in read.stdout.splitlines()[1:] if line]
    berlin = {int(g): float(t) for d, g, t in rows if d == "Berlin"}
    assert berlin == {1: 200.0, 3: 180.0}  # no tax in Germany; the Wholesale special
    london = {int(g): float(t) for d, g, t in rows if d == "London"}
    assert london[1] > 200.0  # UK VAT


def test_wrong_key_fails_in_one_line_and_caches_nothing(ocdata, env):
    study = textwrap.dedent("""\
        name: key-check
        carts: {phone: "40x1"}
        destinations: {London: GB-LDN, Berlin: DE-BE}
    """)
    path = Path(env["OCDATA_CACHE"]).with_name("key.yml")
    path.write_text(study)
    wrong = ocdata("study", str(path), "--key", "0" * 64, "--no-progress", env=env)
    assert wrong.returncode == 1
    assert "check the API key" in wrong.stderr and "nothing was cached" in wrong.stderr
    assert "Traceback" not in wrong.stderr and len(wrong.stderr.strip().splitlines()) == 1
    fixed = ocdata("study", str(path), "--no-progress", env=env)
    assert fixed.returncode == 0, fixed.stderr
    assert "2 scenarios: 2 ok, 0 refused, 0 failed; 0 from cache, 2 fetched" in fixed.stdout


def test_refusals_are_reported_grouped_counted_and_retried(ocdata, env):
    path = Path(env["OCDATA_CACHE"]).with_name("refused.yml")
    path.write_text(textwrap.dedent("""\
        name: refusals
        carts: {phone: "40x1", monitor: "33x1"}
        destinations: {London: GB-LDN, Nowhere: US-ZZ}
    """))
    first = ocdata("study", str(path), "--no-progress", "--pricing", "api", env=env)
    assert first.returncode == 3, first.stderr
    assert "4 scenarios: 2 ok, 2 refused, 0 failed; 0 from cache, 4 fetched" in first.stdout
    group = [line for line in first.stdout.splitlines() if line.startswith("  refused x2: ValidationError:")]
    assert len(group) == 1 and "phone / Nowhere" in group[0] and "monitor / Nowhere" in group[0]
    # a warning is one line saying what to do, never the Python source line that raised it
    warned = [line for line in first.stderr.splitlines() if line.strip()]
    assert warned and all(line.startswith("warning: oc41 pricing='api'") for line in warned), first.stderr
    again = ocdata("study", str(path), "--no-progress", "--pricing", "api", env=env)
    assert again.returncode == 3
    assert "4 scenarios: 2 ok, 2 refused (all from cache), 0 failed; 4 from cache, 0 fetched" in again.stdout
    retried = ocdata("study", str(path), "--no-progress", "--pricing", "api", "--retry-errors", env=env)
    assert "2 from cache, 2 fetched" in retried.stdout


_HOLD = "import sys, time; from ocdata.cache import Cache; c = Cache(sys.argv[1]); print('open', flush=True); " \
        "sys.stdin.readline()"


def test_a_locked_cache_is_one_line_naming_the_holder_and_the_way_out(ocdata, env):
    path = env["OCDATA_CACHE"]
    holder = subprocess.Popen([sys.executable, "-c", _HOLD, path], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              text=True)
    try:
        assert holder.stdout.readline().strip() == "open"
        done = ocdata("studies", env=env)
    finally:
        holder.communicate("\n", timeout=30)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    line = done.stderr.strip()
    assert len(line.splitlines()) == 1
    assert f"process {holder.pid}" in line and "--db" in line and "OCDATA_CACHE" in line


def test_doctor_takes_the_url_as_an_argument(ocdata, env, shop):
    env = {k: v for k, v in env.items() if k != "OCDATA_URL"}
    done = ocdata("doctor", shop.url, env=env)
    assert done.returncode == 0, done.stderr
    assert "oc41" in done.stdout and "credentials and IP accepted" in done.stdout
    refused = ocdata("doctor", shop.url, "--key", "0" * 64, env=env)
    assert refused.returncode == 3 and "API access" in refused.stdout
