"""The example notebooks: they re-run to their stored outputs (nbval) and hold no secrets."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"
REQUIRED = ("01-quickstart.ipynb", "02-shipping-study.ipynb", "03-widgets.ipynb", "05-tax-by-destination.ipynb",
            "06-test-orders.ipynb", "07-catalog-to-study.ipynb")
REQUIRED += ("04-what-changes.ipynb",)
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
TEXT_REPR = re.compile(r"\b(OrderBuilder|ComparisonPanel|VBox|HBox)\(children=")

SECRET_PATTERNS = {
    "256-hex API key (or any 64+ hex run)": re.compile(r"(?<![0-9A-Fa-f])[0-9A-Fa-f]{64,}(?![0-9A-Fa-f])"),
    "api_token value": re.compile(r"api_token\W{1,4}[A-Za-z0-9]{8,}"),
    "oc41 signature": re.compile(r"signature\W{1,4}[A-Za-z0-9%+/=_-]{16,}"),
    "session cookie": re.compile(r"OCSESSID\W{1,4}[A-Za-z0-9,-]{16,}"),
    "key argument": re.compile(r"\bkey\s*=\s*['\"][0-9A-Fa-f]{16,}"),
}
VOLATILE_PATTERNS = {
    "sandbox URL with a port": re.compile(r"(127\.0\.0\.1|localhost):\d{2,5}"),
    "progress bar": re.compile(r"\d+/\d+ \[\d\d:\d\d<"),
}


def _notebooks() -> list[Path]:
    return sorted(NOTEBOOKS.glob("*.ipynb"))


def _outputs_text(path: Path) -> str:
    """Every stored output of a notebook as one string (what nbval compares)."""
    book = json.loads(path.read_text(encoding="utf-8"))
    return json.dumps([cell.get("outputs", []) for cell in book["cells"] if cell["cell_type"] == "code"])


def test_required_notebooks_exist_and_are_executed():
    names = [p.name for p in _notebooks()]
    assert set(REQUIRED) <= set(names)
    for path in _notebooks():
        book = json.loads(path.read_text(encoding="utf-8"))
        code = [c for c in book["cells"] if c["cell_type"] == "code"]
        assert code and all(c.get("execution_count") for c in code), f"{path.name} has cells never executed"
        compared = [c for c in code if c["outputs"] and "NBVAL_IGNORE_OUTPUT" not in "".join(c["source"])]
        assert compared, f"{path.name}: nbval would compare nothing"
        assert not any(o.get("output_type") == "error" for c in code for o in c["outputs"]), path.name


def test_analyses_open_with_their_question_and_end_with_their_answer():
    for name in ("05-tax-by-destination.ipynb", "06-test-orders.ipynb"):
        cells = json.loads((NOTEBOOKS / name).read_text(encoding="utf-8"))["cells"]
        assert "**Question.**" in "".join(cells[0]["source"]), name
        answer = next(i for i, c in enumerate(cells) if "".join(c["source"]).startswith("## Answer"))
        printed = cells[answer + 1]
        assert printed["cell_type"] == "code" and any(o.get("output_type") == "stream" for o in printed["outputs"])
        assert all(c["cell_type"] == "markdown" for c in cells[answer + 2:]), name


@pytest.mark.parametrize("path", _notebooks(), ids=lambda p: p.name)
def test_saved_widgets_carry_their_state_not_a_text_repr(path):
    """A saved notebook draws its widgets before it is run: every widget output has its state
    in the notebook's metadata, and its text fallback is a sentence, not ipywidgets' repr."""
    book = json.loads(path.read_text(encoding="utf-8"))
    outputs = [o for c in book["cells"] if c["cell_type"] == "code" for o in c["outputs"]]
    views = [o["data"][WIDGET_VIEW]["model_id"] for o in outputs if WIDGET_VIEW in o.get("data", {})]
    state = book["metadata"].get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    assert all(model_id in state for model_id in views), path.name
    assert not TEXT_REPR.search(json.dumps(outputs)), path.name


@pytest.mark.parametrize("kind, pattern", list(SECRET_PATTERNS.items()))
def test_patterns_catch_what_they_are_for(kind, pattern):
    samples = {
        "256-hex API key (or any 64+ hex run)": "key " + "a1" * 128,
        "api_token value": '"api_token": "3f9c2a7d5e1b4c8a"',
        "oc41 signature": "signature=Zm9vYmFyYmF6cXV4cXV1eA%3D%3D",
        "session cookie": "OCSESSID=5e2a9b8c7d6e5f4a3b2c1d0e9f",
        "key argument": "connect(url, 'Default', key='9f86d081884c7d659a2feaa0c55ad015')",
    }
    assert pattern.search(samples[kind])


@pytest.mark.parametrize("path", _notebooks(), ids=lambda p: p.name)
def test_notebooks_hold_no_secrets_or_volatile_output(path):
    raw = path.read_text(encoding="utf-8")
    for kind, pattern in SECRET_PATTERNS.items():
        match = pattern.search(raw)
        assert match is None, f"{path.name} contains a {kind}: {match.group(0)[:12]}…"
    outputs = _outputs_text(path)
    for kind, pattern in VOLATILE_PATTERNS.items():
        match = pattern.search(outputs)
        assert match is None, f"{path.name} output contains a {kind}: {match.group(0)}"


def test_notebooks_rerun_to_their_stored_outputs():
    """``pytest --nbval notebooks/`` in a subprocess: every cell re-runs and matches its stored output."""
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "--nbval", "--nbval-current-env", "-p", "no:cacheprovider", "-q",
         "--timeout", "240", str(NOTEBOOKS)],
        cwd=ROOT, capture_output=True, text=True, timeout=280,
    )
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-2000:]
    assert re.search(r"\b(\d+) passed\b", proc.stdout)
    assert "failed" not in proc.stdout.splitlines()[-1]
