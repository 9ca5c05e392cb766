"""Shared fixtures for the sandbox HTTP server tests: running sandboxes, oc41 signing,
spec login and the OpenAPI response validator.

Every sandbox here is a real HTTP server on a free loopback port (``serve()``), so
the tests exercise sockets, parsing and routing exactly as a client would.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import pytest
import requests
import yaml

from ocdata import _php
from ocdata.sandbox import Sandbox, serve

REPO = Path(__file__).resolve().parents[3]
SHARED = REPO / "tests" / "recordings"
OC41_TRANSCRIPTS = SHARED / "oc41" / "transcripts"
SEED_OPENAPI = SHARED / "seed-openapi.yml"


# --------------------------------------------------------------------------- sandboxes


@pytest.fixture(scope="module")
def stock_sandbox() -> Iterator[Sandbox]:
    """Both dialects on the ``stock`` store (the demo data the oc41 transcripts were recorded on)."""
    with serve(store="stock") as sandbox:
        yield sandbox


@pytest.fixture(scope="module")
def rich_sandbox() -> Iterator[Sandbox]:
    """Both dialects on the ``rich`` store (extra shipping/payment methods, California tax)."""
    with serve(store="rich") as sandbox:
        yield sandbox


@pytest.fixture(scope="module")
def oc41_only_sandbox() -> Iterator[Sandbox]:
    """Only the oc41 dialect: seed-style requests get 4.1's own 403/500 answers."""
    with serve(store="stock", dialects=("oc41",)) as sandbox:
        yield sandbox


@pytest.fixture
def http() -> Iterator[requests.Session]:
    with requests.Session() as session:
        yield session


# --------------------------------------------------------------------------- oc41 signing


def oc41_signature(
    key: str,
    *,
    route: str,
    call: str,
    username: str,
    host: str,
    store_id: str = "0",
    language: str = "en-gb",
    currency: str = "USD",
    body: str | bytes = "",
    time_: int,
) -> str:
    """base64 HMAC-SHA1 over 4.1.0.4's ten-line string (PROTOCOL.md §2), computed here
    independently of the server code."""
    lines = [route, call, username, host, "/", str(int(store_id)), language, currency, _php.body_md5(body), str(time_)]
    message = "".join(line + "\n" for line in lines)
    return base64.b64encode(hmac.new(key.encode(), message.encode(), hashlib.sha1).digest()).decode()


def oc41_url(sandbox: Sandbox, query: dict[str, str], signature: str | None, *, escape_signature: bool = True) -> str:
    """``index.php?…`` with the signature percent-encoded once (or left raw)."""
    qs = urlencode(query)
    if signature is not None:
        qs += "&signature=" + (quote(signature, safe="") if escape_signature else signature)
    return sandbox.url + "index.php?" + qs


def oc41_call(
    sandbox: Sandbox,
    call: str,
    pairs: list[tuple[str, str]] | None = None,
    *,
    route: str = "api/order",
    session: requests.Session | None = None,
) -> requests.Response:
    """A correctly signed oc41 call (POST, form body)."""
    body = urlencode(pairs or [])
    host = sandbox.url.split("/")[2]
    now = int(time.time())
    query = {"route": route, "call": call, "username": sandbox.username, "store_id": "0", "language": "en-gb",
             "currency": "USD", "time": str(now)}
    sig = oc41_signature(sandbox.key, route=route, call=call, username=sandbox.username, host=host, body=body, time_=now)
    return (session or requests).post(
        oc41_url(sandbox, query, sig), data=body, headers={"Content-Type": "application/x-www-form-urlencoded"}, timeout=30
    )


def load_transcript(number: str, folder: Path = OC41_TRANSCRIPTS) -> dict[str, Any]:
    (path,) = folder.glob(f"{number}-*.json")
    return json.loads(path.read_text(encoding="utf-8"))


# --------------------------------------------------------------------------- spec dialect


def spec_url(sandbox: Sandbox, route: str, **params: str) -> str:
    return sandbox.url + "index.php?" + urlencode({"route": route, **params})


def spec_login(sandbox: Sandbox, session: requests.Session | None = None) -> str:
    """Log in with the sandbox's credentials and return the ``api_token``."""
    response = (session or requests).post(
        spec_url(sandbox, "api/login"), data={"username": sandbox.username, "key": sandbox.key}, timeout=30
    )
    assert response.status_code == 200, response.text
    return response.json()["api_token"]


class SpecClient:
    """A tiny spec-dialect caller holding one token (tests only)."""

    def __init__(self, sandbox: Sandbox, session: requests.Session | None = None) -> None:
        self.sandbox = sandbox
        self.http = session or requests.Session()
        self.token = spec_login(sandbox, self.http)

    def get(self, route: str, **params: str) -> requests.Response:
        return self.http.get(spec_url(self.sandbox, route, api_token=self.token, **params), timeout=30)

    def post(self, route: str, data: Any = None, **params: str) -> requests.Response:
        return self.http.post(spec_url(self.sandbox, route, api_token=self.token, **params), data=data or {}, timeout=30)


# --------------------------------------------------------------------------- OpenAPI validation


class OpenApi:
    """Validates response bodies against ``seed-openapi.yml``'s declared schemas.

    ``$ref``s resolve inside the file. The file's ``oneOf`` alternatives are all open
    objects (no ``required``, no ``additionalProperties: false``), so *every* body
    matches several of them and a literal ``oneOf`` rejects every response; ``check``
    therefore validates against the declared schema with ``oneOf`` read as
    ``anyOf`` **and** strictly against the one alternative the body is meant to be
    (``branch``, e.g. ``"SuccessResponse"``), which catches wrong field types.
    """

    def __init__(self, path: Path = SEED_OPENAPI) -> None:
        from openapi_schema_validator import OAS30Validator

        self.doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        self._validator = OAS30Validator
        self._relaxed = _one_of_as_any_of(self.doc)

    def schema(self, path: str, method: str, status: int) -> dict[str, Any]:
        return self.doc["paths"][path][method]["responses"][str(status)]["content"]["application/json"]["schema"]

    def _validate(self, root: dict[str, Any], pointer: str, body: Any) -> None:
        from referencing import Registry, Resource
        from referencing.jsonschema import DRAFT4

        resource = Resource(contents=root, specification=DRAFT4)
        registry = Registry().with_resource("urn:seed", resource)
        validator = self._validator({"$ref": "urn:seed#" + pointer}, registry=registry)
        validator.validate(body)

    def check(self, path: str, method: str, status: int, body: Any, branch: str | int | None = None) -> None:
        """``branch``: a component name, or the index of an inline ``oneOf`` alternative."""
        pointer = "/paths/" + path.replace("~", "~0").replace("/", "~1") + f"/{method}/responses/{status}/content/application~1json/schema"
        self._validate(self._relaxed, pointer, body)
        if isinstance(branch, str):
            self._validate(self.doc, "/components/schemas/" + branch, body)
        elif isinstance(branch, int):
            self._validate(self.doc, pointer + f"/oneOf/{branch}", body)

    def strict(self, path: str, method: str, status: int, body: Any) -> None:
        """The declared schema exactly as written (literal ``oneOf``)."""
        pointer = "/paths/" + path.replace("~", "~0").replace("/", "~1") + f"/{method}/responses/{status}/content/application~1json/schema"
        self._validate(self.doc, pointer, body)


def _one_of_as_any_of(node: Any) -> Any:
    if isinstance(node, dict):
        return {("anyOf" if k == "oneOf" else k): _one_of_as_any_of(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_one_of_as_any_of(v) for v in node]
    return copy.deepcopy(node)


@pytest.fixture(scope="session")
def openapi() -> OpenApi:
    return OpenApi()
