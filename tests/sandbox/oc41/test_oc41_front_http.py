"""The recorded 4.1.0.4 business exchanges replayed over HTTP against a served sandbox.

Each request is re-signed with the sandbox's own key and the current time (PROTOCOL
§2: HMAC-SHA1 over ten newline-terminated fields, the 9th being the MD5 of the cleaned
and re-serialised POST), sent with the recorded body and headers, and its answer
compared with the recording by the same rules as the in-process replay.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from http.cookies import SimpleCookie
from urllib.parse import quote, urlencode

import pytest
import requests
from oc41_replay import Exchange, Replayer, assert_same_answer, load

from ocdata import _php
from ocdata.sandbox.fronts.base import Response
from ocdata.sandbox.storefile import load_store
from ocdata.sandbox.server import serve

FOLDERS = {"transcripts": "stock", "transcripts-rich": "rich", "transcripts-session": "rich"}
SIGNED = ("route", "call", "username", "store_id", "language", "currency")


def signature(key: str, ex: Exchange, pairs: list[tuple[str, str]], username: str, host: str, now: int) -> str:
    q = ex.query
    fields = [q["route"], q["call"], username, host, "/", str(int(q["store_id"])), q["language"], q["currency"]]
    fields += [_php.body_md5(pairs), str(now)]
    message = "".join(f"{f}\n" for f in fields)
    return base64.b64encode(hmac.new(key.encode(), message.encode(), hashlib.sha1).digest()).decode()


class HttpSender:
    """Sends one recorded exchange to the sandbox, re-signed, and returns a Response."""

    def __init__(self, sandbox) -> None:
        self.sandbox = sandbox
        self.http = requests.Session()
        self.host = sandbox.url.split("//", 1)[1].rstrip("/")

    def __call__(self, ex: Exchange, cookies: dict[str, str], pairs: list[tuple[str, str]]) -> Response:
        now = int(time.time())
        query = {k: ex.query[k] for k in SIGNED} | {"username": self.sandbox.username, "time": str(now)}
        if "code" in ex.query:
            query["code"] = ex.query["code"]
        query["signature"] = signature(self.sandbox.key, ex, pairs, self.sandbox.username, self.host, now)
        url = f"{self.sandbox.url}index.php?{urlencode(query, quote_via=quote)}"
        headers = {k: v for k, v in (ex.request.get("headers") or {}).items() if k.lower() not in ("host", "content-length")}
        if cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
        # the recorded body byte for byte, unless an order id had to be translated
        body = ex.request.get("body") or None
        if pairs != ex.pairs:
            body = "&".join(f"{quote(k, safe='[]')}={quote(v, safe='')}" for k, v in pairs)
        answer = self.http.request(ex.request.get("method", "POST"), url, data=body, headers=headers)
        self.http.cookies.clear()  # only the cookies the recording sent go back
        jar = SimpleCookie()
        for raw in answer.raw.headers.getlist("Set-Cookie"):
            jar.load(raw)
        return Response(
            answer.content,
            answer.status_code,
            answer.headers["Content-Type"],
            set_cookies={name: morsel.value for name, morsel in jar.items()},
        )


@pytest.mark.parametrize("folder", list(FOLDERS))
def test_recorded_exchanges_answer_the_same_over_http(folder):
    with serve(store=load_store(FOLDERS[folder]), dialects=("oc41",)) as sandbox:
        send = HttpSender(sandbox)
        replay = Replayer(send)
        for ex in load(folder):
            assert_same_answer(replay.send(ex), ex, replay.order_ids)
