"""The API key, session tokens and request signatures never leave the client's HTTP layer.

A full flow (quote, confirm, history, an error, doctor) runs on every dialect (all four) with a DEBUG
log handler and a hook; every repr, log line, hook record, error message, ``.raw`` and
JSON dump is scanned for the secrets actually used.
"""

from __future__ import annotations

import json
import logging

import pytest

import ocdata.client as oc
import ocdata.client.dialects.base as base_module
import ocdata.client.dialects.oc41 as oc41_module
from ocdata.client.dialects.base import SessionDialect
from ocdata.client.errors import OcdataError

from live_sandbox import LIVE_DIALECTS, LIVE_IDS, LONDON, Recorder, Sandboxes, draft


@pytest.fixture(scope="module")
def sandboxes():
    started = Sandboxes()
    yield started
    started.stop()


@pytest.mark.parametrize("dialect,pricing", LIVE_DIALECTS, ids=LIVE_IDS)
def test_no_secret_in_logs_hooks_reprs_errors_or_raw(sandboxes, dialect, pricing, caplog, monkeypatch):
    sandbox = sandboxes.for_dialect(dialect)
    signatures: list[str] = []
    real_sign = oc41_module.sign

    def recording_sign(key, message):
        signatures.append(real_sign(key, message))
        return signatures[-1]

    monkeypatch.setattr(oc41_module, "sign", recording_sign)
    tokens: list[str] = []  # every api_token a login handed out, replaced sessions included
    real_register = base_module.register_secret

    def recording_register(secret, owner=None):
        tokens.append(secret)
        real_register(secret, owner=owner)

    monkeypatch.setattr(base_module, "register_secret", recording_register)
    caplog.set_level(logging.DEBUG)
    hook = Recorder()
    shown: list[str] = []
    store = oc.connect(sandbox.url, sandbox.username, sandbox.key, dialect=dialect, pricing=pricing, hook=hook)
    d = draft(LONDON)
    quote = store.quote(d)
    option = quote.option("flat.flat")
    result = store.confirm(d.with_shipping(option.quote).with_payment(option.payment_methods[0]))
    store.add_history(result.order_id, 2, "packed")
    errors = []
    for bad in (lambda: store.cart(draft(lines=(oc.CartLine(product_id=99999),))),
                lambda: store.add_history(99999, 1),
                lambda: oc.connect(sandbox.url, sandbox.username, sandbox.key + "x", dialect=dialect).cart(d)):
        with pytest.raises(OcdataError) as err:
            bad()
        errors.append(err.value)
    report = store.doctor()

    secrets = [sandbox.key, *tokens, *signatures]
    assert sandbox.key and (signatures if dialect == "oc41" else tokens), "the flow must have used secrets"

    shown += [caplog.text, repr(store), repr(store.dialect), repr(store.dialect.config), repr(quote), str(quote),
              quote.model_dump_json(), json.dumps(option.model_dump(mode="json")), repr(result), str(report),
              report.frame.to_string(), json.dumps(quote.products[0].raw), json.dumps(result.raw),
              *(repr(r) for r in hook.records), *store.warnings]
    for exc in errors:
        shown += [str(exc), repr(exc), exc.body, exc.message, repr(exc.args)]
    if isinstance(store.dialect, SessionDialect):
        shown.append(repr(store.dialect.session()))
    haystack = "\n".join(shown)
    for secret in secrets:
        assert secret not in haystack
        # the percent-encoded form of a signature is what travels in URLs
        assert secret.replace("+", "%2B").replace("/", "%2F").replace("=", "%3D") not in haystack
    assert any("signature=********" in r.url for r in hook.records) or dialect != "oc41"
    store.close()
