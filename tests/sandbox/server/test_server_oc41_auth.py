"""The recorded 4.1.0.4 authentication exchanges, replayed over HTTP against the sandbox.

Each transcript is re-signed with the sandbox's key and the current time, keeping what
the recording did wrong (tampered signature, skewed clock, spoofed IP, wrong key, raw
values signed, missing port in the signed host, unescaped ``+``, username case). The
answer must have the recorded status, content type and body: exactly for refusals and
crashes, by the oc41 replay rules (volatile ids/stock by type) for accepted calls.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import importlib.util
import sys
import time
from urllib.parse import quote, urlencode

import pytest
import requests
from conftest import OC41_TRANSCRIPTS, REPO, load_transcript, oc41_call

from ocdata import _php

AUTH_CASES = [f"{n:03d}" for n in range(21, 41)] + ["123", "124"]
SEED_CASES = ["090", "091", "092", "093"]
TIME_SKEW = {"022": 500, "023": -460, "024": -440}


def _replay_rules():
    """The oc41 front tests' comparison rules (one definition, shared)."""
    path = REPO / "tests" / "sandbox" / "oc41" / "oc41_replay.py"
    spec = importlib.util.spec_from_file_location("_oc41_replay_rules", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


RULES = _replay_rules()


def _sign(key: str, lines: list[str]) -> str:
    message = "".join(line + "\n" for line in lines)
    return base64.b64encode(hmac.new(key.encode(), message.encode(), hashlib.sha1).digest()).decode()


def resend(sandbox, number: str) -> requests.Response:
    """Send transcript ``number`` again, re-signed for this sandbox and this moment."""
    tr = load_transcript(number)
    req, signing = tr["request"], tr["signing"]
    port = sandbox.url.rstrip("/").rsplit(":", 1)[1]
    recorded_key = load_transcript("001")["signing"]["key"]
    key = sandbox.key if signing["key"] == recorded_key else signing["key"]
    signed_host = signing["http_host"].replace(":8041", f":{port}")
    sent_host = signed_host if signing["http_host"].startswith("localhost") else f"127.0.0.1:{port}"
    body_md5 = hashlib.md5(signing["post_http_build_query"].encode()).hexdigest()
    unescaped_plus = "+" in req["query"]["signature"] and "%2B" not in req["query_string"]

    def signature_at(when: int) -> str:
        return _sign(key, [req["query"]["route"], req["query"]["call"], signing["username"], signed_host, "/",
                           str(signing["store_id"]), signing["language"], signing["currency"], body_md5, str(when)])

    now = int(time.time()) + TIME_SKEW.get(number, 0)
    signature = signature_at(now)
    if unescaped_plus:  # find a moment inside the window whose signature contains '+'
        now = next(t for t in range(now, now - 400, -1) if "+" in signature_at(t))
        signature = signature_at(now)
    if req["query"]["signature"] != signing["signature"]:  # the recording tampered with it
        signature = ("B" if signature[0] == "A" else "A") + signature[1:]
    query = {k: v for k, v in req["query"].items() if k != "signature"}
    query["time"] = str(now)
    url = sandbox.url.rstrip("/") + req["path"] + "?" + urlencode(query) + "&signature="
    url += signature if unescaped_plus else quote(signature, safe="")
    headers = dict(req.get("headers") or {})
    headers["Host"] = sent_host
    return requests.request(req["method"], url, data=req["body"].encode() if req["body"] else None, headers=headers, timeout=30)


def assert_as_recorded(response: requests.Response, number: str) -> None:
    rec = load_transcript(number)["response"]
    assert response.status_code == rec["status"]
    assert response.headers["Content-Type"] == rec["content_type"]
    if rec["status"] != 200 or not rec["content_type"].startswith("application/json"):
        assert response.text == rec["body_text"]
    else:
        RULES.assert_same_json(response.json(), rec["json"])


def test_the_replayed_cases_cover_every_auth_transcript():
    titles = {p.name[:3] for p in OC41_TRANSCRIPTS.glob("*.json")}
    assert set(AUTH_CASES + SEED_CASES) <= titles
    assert {load_transcript(n)["response"]["status"] for n in AUTH_CASES} == {200, 403}


@pytest.mark.parametrize("number", AUTH_CASES)
def test_auth_transcript_answers_as_recorded(stock_sandbox, number):
    assert_as_recorded(resend(stock_sandbox, number), number)


def test_an_identical_signed_request_can_be_replayed(stock_sandbox):
    """039/040: no nonce — the same request twice inside the window is accepted twice."""
    first, second = resend(stock_sandbox, "039"), resend(stock_sandbox, "039")
    assert first.status_code == second.status_code == 200
    assert_as_recorded(second, "040")


@pytest.mark.parametrize("number", SEED_CASES)
def test_seed_style_requests_get_the_oc41_answers_when_only_oc41_is_served(oc41_only_sandbox, number):
    tr = load_transcript(number)
    req = tr["request"]
    url = oc41_only_sandbox.url.rstrip("/") + req["path"] + "?" + urlencode(req["query"])
    response = requests.request(req["method"], url, data=req["body"] or None,
                                headers={"Content-Type": "application/x-www-form-urlencoded"}, timeout=30)
    assert_as_recorded(response, number)
    if number != "090":  # the 500 crash happens before the session starts: no cookies
        assert "Set-Cookie" not in response.headers


def test_refusals_carry_the_storefront_cookies(stock_sandbox):
    response = resend(stock_sandbox, "021")
    assert response.status_code == 403
    assert set(response.cookies.keys()) == {"OCSESSID", "currency"}
    assert len(response.cookies["OCSESSID"]) == 26


def test_every_failed_check_is_refused_the_same_way(stock_sandbox):
    """Disabled user and a key with the right length but wrong content: same 403."""
    stock_sandbox.user.status = False
    try:
        refused = oc41_call(stock_sandbox, "customer", [("firstname", "Jo")])
    finally:
        stock_sandbox.user.status = True
    assert refused.status_code == 403 and refused.headers["Content-Type"] == "text/html; charset=utf-8"
    assert refused.text == '{"error":"You do not have permission to access this page."}'
    assert oc41_call(stock_sandbox, "customer", [("firstname", "Jo")]).status_code == 200


def test_accepted_calls_are_logged_without_secrets(stock_sandbox):
    before = len(stock_sandbox.app.oc41.history)
    oc41_call(stock_sandbox, "foo")
    api_id, call, ip, when = stock_sandbox.app.oc41.history[-1]
    assert len(stock_sandbox.app.oc41.history) == before + 1
    assert (api_id, call, ip) == (stock_sandbox.user.api_id, "foo", "127.0.0.1")
    assert abs(when - time.time()) < 60


def test_unknown_call_reaches_the_controller(stock_sandbox):
    response = oc41_call(stock_sandbox, "foo", route="api/subscription")
    assert response.status_code == 200 and response.json() == {"error": "API call not found"}


def test_api_token_requests_go_to_the_spec_dialect_when_it_is_served(stock_sandbox):
    """Shared route ``api/order``: ``api_token`` (no ``signature``) means spec."""
    tr = load_transcript("092")["request"]
    url = stock_sandbox.url + "index.php?" + urlencode(tr["query"])
    response = requests.post(url, data=tr["body"], headers={"Content-Type": "application/x-www-form-urlencoded"}, timeout=30)
    assert response.status_code == 401
    assert response.headers["Content-Type"] == "application/json"
    assert "api_token" in response.json()["error"]


def _signed_query(sandbox, call: str, body: str) -> tuple[dict[str, str], str]:
    now = int(time.time())
    query = {"route": "api/order", "call": call, "username": sandbox.username, "store_id": "0",
             "language": "en-gb", "currency": "USD", "time": str(now)}
    host = sandbox.url.split("/")[2]
    lines = ["api/order", call, sandbox.username, host, "/", "0", "en-gb", "USD",
             hashlib.md5(_php.http_build_query(_php.clean(_php.parse_body(body))).encode()).hexdigest(), str(now)]
    return query, _sign(sandbox.key, lines)


def test_a_doubly_encoded_signature_is_accepted(stock_sandbox):
    """The server URL-decodes the signature once more (PROTOCOL §2.4): %252B works too."""
    query, signature = _signed_query(stock_sandbox, "foo", "")
    twice = quote(quote(signature, safe=""), safe="")
    response = requests.get(stock_sandbox.url + "index.php?" + urlencode(query) + "&signature=" + twice, timeout=30)
    assert response.status_code == 200 and response.json() == {"error": "API call not found"}


def test_a_multipart_body_is_signed_over_its_parsed_fields(stock_sandbox):
    """PHP fills $_POST from multipart too; the signature covers the parsed, cleaned fields."""
    fields = {"customer_id": "0", "firstname": "Jo & Co", "lastname": "Doe", "email": "jo@example.com"}
    query, signature = _signed_query(stock_sandbox, "customer", urlencode(fields))
    url = stock_sandbox.url + "index.php?" + urlencode(query) + "&signature=" + quote(signature, safe="")
    response = requests.post(url, files={k: (None, v) for k, v in fields.items()}, timeout=30)
    assert response.status_code == 200
    assert response.json() == {"success": "You have successfully modified customers"}
