"""oc30: recorded refusals map to the client's error classes; a permission error means the
session is gone (one re-login, rebuilt session); the token never leaks."""

from __future__ import annotations

import json
import logging
from dataclasses import replace

import pytest

from ocdata.client.dialects.oc30 import Oc30Dialect
from ocdata.client.errors import AuthenticationError, NotFoundError, PermissionDeniedError, SessionExpiredError, ValidationError
from ocdata.client.models import OrderDraft
from replay import ReplayServer, Transcripts
from scenario import dialect_for, draft_from

T = Transcripts("oc30")
R = Oc30Dialect.ROUTES
S01 = T.scenario("s01")  # 132 login, 133 customer, 134 add 40, 135/136 addresses, 137 cart, 138 list, …
DRAFT = draft_from(S01, R)


def _run(exchanges, action, **config):
    with ReplayServer(exchanges) as srv:
        return action(dialect_for(Oc30Dialect, srv, **config))


@pytest.mark.parametrize("num,cls", [(25, AuthenticationError), (26, AuthenticationError), (27, AuthenticationError),
                                     (60, AuthenticationError), (32, PermissionDeniedError)])
def test_login_refusals(num, cls):
    with pytest.raises(cls):
        _run([T[132].answered_by(T[num])], lambda d: d.cart(OrderDraft()))


def test_unknown_product_is_not_found():
    with pytest.raises(NotFoundError) as err:
        _run([T[132], T[133], T[134].answered_by(T[66])], lambda d: d.cart(DRAFT))
    assert err.value.fields == {"store": "Product can not be bought from the store you have choosen!"}


def test_required_options_are_flattened_per_option():
    with pytest.raises(ValidationError) as err:
        _run([T[132], T[133], T[134].answered_by(T[68])], lambda d: d.cart(DRAFT))
    assert err.value.fields["option_223"] == "Checkbox required!" and len(err.value.fields) == 9


@pytest.mark.parametrize("num,cls,field", [(77, ValidationError, "email"), (79, ValidationError, "telephone"),
                                           (80, NotFoundError, "warning")])
def test_customer_refusals(num, cls, field):
    with pytest.raises(cls) as err:
        _run([T[132], T[133].answered_by(T[num])], lambda d: d.cart(DRAFT))
    assert type(err.value) is cls and field in err.value.fields


@pytest.mark.parametrize("num,field", [(82, "address_1"), (83, "city")])
def test_payment_address_refusals(num, field):
    with pytest.raises(ValidationError) as err:
        _run([T[132], T[133], T[134], T[135].answered_by(T[num])], lambda d: d.cart(DRAFT))
    assert field in err.value.fields


def test_payment_method_refused_on_save():
    ex = S01[:5] + [T[138], T[139], T[141], T[18].answered_by(T[98])]
    with pytest.raises(ValidationError) as err:
        _run(ex, lambda d: d.confirm(DRAFT.with_shipping("flat.flat").with_payment("cod"), None, ""))
    assert err.value.fields == {"payment_method": "Warning: Payment method required!"}


def test_order_add_refusal_is_one_string():
    flow = T.seq("008-011", "013-020")
    draft = draft_from(flow, R).with_shipping("flat.flat").with_payment("cod")
    ex = flow[:-1] + [T[20].answered_by(T[128])]
    with pytest.raises(ValidationError) as err:
        _run(ex, lambda d: d.confirm(draft, None, "Reference peer order, please ignore"))
    assert list(err.value.fields.values()) == [
        "Warning: Products marked with *** are not available in the desired quantity or not in stock!"]


def test_history_for_unknown_order_is_not_found():
    with pytest.raises(NotFoundError):
        _run([T[132], T[21].answered_by(T[101])], lambda d: d.add_history(2, 2, "Payment received"))


@pytest.mark.parametrize("lost_num", [38, 46, 50])  # invalid token, token idle > 1 h, session data expired
def test_permission_error_costs_one_relogin_and_a_rebuilt_session(lost_num):
    lost = T[137].answered_by(T[lost_num])
    relogin = T[132].answered_by(T[148])
    ex = S01[:5] + [lost, relogin] + S01[1:]
    quote = _run(ex, lambda d: d.quote(DRAFT))
    assert [o.quote.code for o in quote.options] == ["flat.flat", "item.item", "weight.weight_4"]
    assert quote.requests == len(ex)


def test_string_shaped_permission_error_is_session_loss_too():
    """shipping/methods says it with a bare string, not an object."""
    message = "Warning: You do not have permission to access the API!"
    lost = replace(T[138], body_text=json.dumps({"error": message}), json={"error": message})
    ex = S01[:6] + [lost, T[132].answered_by(T[148])] + S01[1:]
    quote = _run(ex, lambda d: d.quote(DRAFT))
    assert len(quote.options) == 3


def test_second_loss_is_raised():
    lost = T[137].answered_by(T[46])
    ex = S01[:5] + [lost, T[132].answered_by(T[148])] + S01[1:5] + [lost]
    with pytest.raises(SessionExpiredError):
        _run(ex, lambda d: d.cart(DRAFT))


def test_session_is_replaced_after_24_minutes_idle():
    def idle(d):
        d.cart(DRAFT)
        d.session().last_used -= Oc30Dialect.idle_ttl
        return d.cart(DRAFT)

    ex = S01[:6] + [T[132].answered_by(T[148])] + S01[1:6]
    assert _run(ex, idle).total is not None


def test_country_uses_the_checkout_route():
    country = _run([T[3]], lambda d: d.country(222))
    assert country.iso_code_2 == "GB" and country.zone("LANCS").zone_id == 3563
    assert _run([T[5]], lambda d: d.country(99999)) is None


def test_token_never_leaks(caplog):
    caplog.set_level(logging.DEBUG, logger="ocdata")
    with ReplayServer(S01) as srv:
        d = dialect_for(Oc30Dialect, srv)
        quote = d.quote(DRAFT)
        shown = " ".join([repr(d), repr(d.session()), repr(quote), str(quote.model_dump())])
    assert T[132].issued_token not in shown + caplog.text
    assert all(not r.cookies for r in srv.requests)


def test_probe_recognises_the_empty_array_login_answer():
    from ocdata.client.transport import Transport
    with ReplayServer([T[27]]) as srv:
        d = dialect_for(Oc30Dialect, srv)
        result = Oc30Dialect.probe(d.config, Transport(retries=0))
    assert result.matches and "[]" in result.evidence
    with ReplayServer([T[27].answered_by(T[63])]) as srv:  # HTML 404: not a 3.0 store
        d = dialect_for(Oc30Dialect, srv)
        assert not Oc30Dialect.probe(d.config, Transport(retries=0)).matches
