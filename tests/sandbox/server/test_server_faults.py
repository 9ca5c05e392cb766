"""Fault injection over HTTP (``ocdata.sandbox.faults``): every kind as a client sees it, whether
the store acted (the log says so, and the cart proves it), schedules, seeded draws, and the
plan's three forms (object, file, inline string)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest
import requests
from conftest import REPO, SpecClient, spec_url

from ocdata.sandbox import Sandbox, serve
from ocdata.sandbox.faults import FaultInjector, FaultPlan, FaultRule, parse_faults

ADD = {"product_id": "33", "quantity": "1"}


@pytest.fixture(scope="module")
def faulty() -> Iterator[Sandbox]:
    with serve(store="rich", faults=FaultPlan()) as sandbox:
        yield sandbox


@pytest.fixture
def shop(faulty) -> Sandbox:
    """The module's sandbox with an empty plan; a test sets its own after logging in."""
    faulty.faults.reset(FaultPlan())
    return faulty


def arm(shop: Sandbox, spec: str) -> None:
    shop.faults.reset(spec)


def cart(client: SpecClient) -> list[int]:
    return [p["quantity"] for p in client.get("api/cart/getProducts").json()["products"]]


def test_drop_before_the_store_acts(shop):
    client = SpecClient(shop)
    arm(shop, "route=api/cart/addProduct kind=drop_before nth=1")
    with pytest.raises(requests.ConnectionError):
        client.post("api/cart/addProduct", ADD)
    assert cart(client) == []
    (entry,) = shop.faults.log
    assert (entry.kind, entry.route, entry.acted, entry.status) == ("drop_before", "api/cart/addProduct", False, None)


def test_drop_after_the_store_acted(shop):
    client = SpecClient(shop)
    arm(shop, "route=api/cart/addProduct kind=drop_after nth=1")
    with pytest.raises(requests.ConnectionError):
        client.post("api/cart/addProduct", ADD)
    assert cart(client) == [1]  # state changed, no answer
    assert [e.acted for e in shop.faults.injected("drop_after")] == [True]


@pytest.mark.parametrize("code", [500, 502, 503, 504])
def test_status_pages_with_retry_after_and_nothing_done(shop, code):
    client = SpecClient(shop)
    arm(shop, f"route=api/cart/* kind={code} retry_after=3 nth=1")
    answer = client.post("api/cart/addProduct", ADD)
    assert answer.status_code == code and answer.headers["Retry-After"] == "3"
    assert answer.headers["Content-Type"].startswith("text/html") and f"<title>{code} " in answer.text
    assert ("nginx" in answer.text) == (code != 500)
    assert cart(client) == []


def test_a_gateway_timeout_after_the_store_acted(shop):
    client = SpecClient(shop)
    arm(shop, "route=api/cart/addProduct kind=status status=504 after=true nth=1")
    assert client.post("api/cart/addProduct", ADD).status_code == 504
    assert cart(client) == [1]
    assert shop.faults.log[0].acted is True and shop.faults.log[0].status == 504


def test_php_warning_before_the_json(shop):
    client = SpecClient(shop)
    arm(shop, "route=api/cart/addProduct kind=php_warning nth=1")
    answer = client.post("api/cart/addProduct", ADD)
    assert answer.text.startswith("<b>Warning</b>: Undefined array key")
    assert json.loads(answer.text[answer.text.index("{"):]) == {"success": "Success: You have modified your shopping cart!"}
    assert int(answer.headers["Content-Length"]) == len(answer.content)
    assert cart(client) == [1]


def test_html_error_page_instead_of_json(shop):
    client = SpecClient(shop)
    arm(shop, "route=api/cart/getProducts kind=html_error nth=1")
    answer = client.get("api/cart/getProducts")
    assert answer.status_code == 200 and answer.headers["Content-Type"].startswith("text/html")
    assert "Maintenance" in answer.text
    with pytest.raises(ValueError):
        answer.json()


def test_truncated_body_after_the_store_acted(shop):
    client = SpecClient(shop)
    arm(shop, "route=api/cart/addProduct kind=truncate nth=1")
    with pytest.raises(requests.RequestException):
        client.post("api/cart/addProduct", ADD)
    raw = requests.post(spec_url(shop, "api/cart/addProduct", api_token=client.token), data=ADD, timeout=30)
    assert raw.status_code == 200  # only the first one was cut
    assert cart(client) == [2]


def test_slow_drip_delivers_the_whole_answer_late(shop):
    client = SpecClient(shop)
    arm(shop, "route=api/cart/getTotals kind=drip ms=400 nth=1")
    started = time.monotonic()
    answer = client.get("api/cart/getTotals")
    assert time.monotonic() - started >= 0.35  # a lower bound: the answer cannot come sooner
    assert [t["title"] for t in answer.json()["totals"]] == ["Sub-Total", "Total"]


def test_latency_delays_the_real_answer(shop):
    client = SpecClient(shop)
    arm(shop, "kind=latency ms=300 jitter_ms=50 nth=1")
    started = time.monotonic()
    assert client.post("api/cart/addProduct", ADD).json()["success"]
    assert time.monotonic() - started >= 0.24


def test_expired_session_gets_the_stores_own_answer(shop):
    client = SpecClient(shop)
    client.post("api/cart/addProduct", ADD)
    arm(shop, "route=api/cart/getProducts kind=expire_session nth=1")
    answer = client.get("api/cart/getProducts")
    assert answer.status_code == 401 and "expired" in answer.json()["error"]
    assert client.get("api/cart/getTotals").status_code == 401  # the session is really gone


def test_blocked_ip_and_redirect(shop):
    client = SpecClient(shop)
    arm(shop, "route=api/cart/addProduct kind=blocked_ip nth=1; route=api/cart/getTotals kind=redirect location=/maintenance nth=1")
    blocked = client.post("api/cart/addProduct", ADD)
    assert blocked.status_code == 403 and "<title>403 Forbidden</title>" in blocked.text
    moved = client.http.get(spec_url(shop, "api/cart/getTotals", api_token=client.token), allow_redirects=False, timeout=30)
    assert moved.status_code == 302 and moved.headers["Location"] == "/maintenance"
    assert cart(client) == []
    assert [(e.kind, e.status) for e in shop.faults.log] == [("blocked_ip", 403), ("redirect", 302)]


def test_schedules_count_the_requests_a_rule_matches(shop):
    client = SpecClient(shop)
    arm(shop, "route=api/cart/getTotals kind=503 every=3; route=api/cart/getProducts kind=502 nth=2,4")
    codes = [client.get("api/cart/getTotals").status_code for _ in range(7)]
    assert codes == [200, 200, 503, 200, 200, 503, 200]
    codes = [client.get("api/cart/getProducts").status_code for _ in range(5)]
    assert codes == [200, 502, 200, 502, 200]
    assert [e.seq for e in shop.faults.log] == [3, 6, 9, 11]


def _draws(seed: int, requests_: list[tuple[str, bytes]]) -> list[bool]:
    calls: list[bool] = []

    def app(environ, start_response):
        calls.append(True)
        start_response("200 OK", [("Content-Length", "0")])
        return [b""]

    injector = FaultInjector(app, {"seed": seed, "rules": [{"kind": "503", "probability": 0.3}]})
    out = []
    for query, body in requests_:
        before = len(calls)
        injector({"REQUEST_METHOD": "POST", "QUERY_STRING": query, "ocdata.raw_body": body}, lambda *a: None)
        out.append(len(calls) == before)
    return out


def test_probability_is_seeded_and_independent_of_interleaving_and_tokens():
    reqs = [(f"route=api/cart&api_token=t{i}", f"product_id={i % 40}&quantity=1".encode()) for i in range(400)]
    first = _draws(7, reqs)
    assert first == _draws(7, reqs)  # reproducible
    assert first != _draws(8, reqs)
    assert 0.2 < sum(first) / len(first) < 0.4
    # the draw ignores the token and the order of distinct requests ...
    tokens_changed = [(q.replace("api_token=t", "api_token=u"), b) for q, b in reqs]
    assert _draws(7, tokens_changed) == first
    distinct = [(f"route=api/cart&api_token=x", f"product_id={i}&quantity=1".encode()) for i in range(100)]
    forward, backward = _draws(7, distinct), _draws(7, distinct[::-1])
    assert forward == backward[::-1]
    # ... but a retry of the same request gets a fresh draw
    same = [("route=api/cart", b"product_id=1")] * 50
    assert len(set(_draws(7, same))) == 2


def test_plans_from_objects_files_and_inline_strings(tmp_path):
    inline = parse_faults("seed=7; route=api/cart kind=503 probability=0.1 retry_after=2;"
                          " route=api/order call=confirm kind=drop_after nth=3,7; kind=latency ms=50 jitter_ms=20 every=5")
    as_object = FaultPlan(seed=7, rules=(
        FaultRule(route="api/cart", kind="status", status=503, probability=0.1, retry_after=2),
        FaultRule(route="api/order", call="confirm", kind="drop_after", nth=(3, 7)),
        FaultRule(kind="latency", ms=50, jitter_ms=20, every=5),
    ))
    assert inline == as_object
    (tmp_path / "plan.yml").write_text(
        "seed: 7\nrules:\n  - {route: api/cart, kind: status, status: 503, probability: 0.1, retry_after: 2}\n"
        "  - {route: api/order, call: confirm, kind: drop_after, nth: [3, 7]}\n"
        "  - {kind: latency, ms: 50, jitter_ms: 20, every: 5}\n")
    (tmp_path / "plan.json").write_text(as_object.model_dump_json())
    assert parse_faults(tmp_path / "plan.yml") == as_object == parse_faults(str(tmp_path / "plan.json"))
    assert as_object.rules[1].matches("api/order", "confirm") and not as_object.rules[1].matches("api/order", "cart")


@pytest.mark.parametrize("bad", ["kind=explode", "kind=503 nth=1 every=2", "kind=status status=404", "kind=503 probability=2",
                                 "kind=latency status=503", "route=api/cart", "kind=503 oops"])
def test_bad_plans_are_refused_with_a_reason(bad):
    with pytest.raises(ValueError, match="fault"):
        parse_faults(bad)


def test_cli_serves_with_faults():
    proc = subprocess.Popen(
        [sys.executable, "-m", "ocdata.cli", "sandbox", "--port", "0", "--store", "stock", "--faults", "seed=1; kind=503 nth=1"],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        lines = [proc.stdout.readline() for _ in range(6)]
        url = next(line.split(":", 1)[1].strip() for line in lines if line.startswith("URL:"))
        assert any(line.startswith("Faults:   1 rule(s), seed 1") for line in lines)
        assert requests.get(url, timeout=30).status_code == 503
        assert requests.get(url, timeout=30).status_code == 200
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        proc.stdout.close()
        proc.stderr.close()
