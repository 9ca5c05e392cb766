"""oc40: recorded refusals map to the client's error classes; session loss costs exactly one
re-login and a rebuilt session; the token never leaks."""

from __future__ import annotations

import logging
import time

import pytest

from ocdata.client.dialects.oc40 import Oc40Dialect
from ocdata.client.errors import (
    AuthenticationError,
    NotFoundError,
    PermissionDeniedError,
    SessionExpiredError,
    UnsupportedOperationError,
    ValidationError,
)
from ocdata.client.models import OrderDraft
from replay import ReplayServer, Transcripts
from scenario import dialect_for, draft_from

T = Transcripts("oc40")
R = Oc40Dialect.ROUTES
S01 = T.scenario("s01")  # 113 login, 114 customer, 115 add 40, 116/117 addresses, 118 cart, 119 list, …
DRAFT = draft_from(S01, R)


def _run(exchanges, action, **config):
    with ReplayServer(exchanges) as srv:
        d = dialect_for(Oc40Dialect, srv, **config)
        return action(d)


@pytest.mark.parametrize("num,cls", [(22, AuthenticationError), (23, AuthenticationError),
                                     (52, AuthenticationError), (28, PermissionDeniedError)])
def test_login_refusals(num, cls):
    login = T[113].answered_by(T[num])
    with pytest.raises(cls) as err:
        _run([login], lambda d: d.cart(OrderDraft()))
    assert "be467708c5b9ae11441eda27cd" not in str(err.value)


def test_unknown_product_is_not_found():
    ex = [T[113], T[114], T[115].answered_by(T[58])]
    with pytest.raises(NotFoundError) as err:
        _run(ex, lambda d: d.cart(DRAFT.model_copy(update={"payment_address": None, "shipping_address": None})))
    assert err.value.fields == {"warning": "Warning: Product could not be found!"}


def test_missing_required_options_name_each_option():
    ex = [T[113], T[114], T[115].answered_by(T[61])]
    with pytest.raises(ValidationError) as err:
        _run(ex, lambda d: d.cart(DRAFT))
    assert err.value.fields["option_218"] == "Radio required!"
    assert err.value.fields["option_220"] == "Date & Time required!"  # unescaped
    assert len(err.value.fields) == 9


@pytest.mark.parametrize("num,cls,fields", [
    (69, ValidationError, {"firstname", "lastname", "email"}),
    (70, ValidationError, {"firstname", "email"}),
    (71, NotFoundError, {"warning"}),
    (72, ValidationError, {"warning"}),  # unknown customer group: a validation problem, not a missing customer
])
def test_customer_refusals(num, cls, fields):
    ex = [T[113], T[114].answered_by(T[num])]
    with pytest.raises(cls) as err:
        _run(ex, lambda d: d.cart(DRAFT))
    assert type(err.value) is cls and set(err.value.fields) >= fields


@pytest.mark.parametrize("num,field", [(73, "address_1"), (75, "city"), (76, "postcode")])
def test_address_refusals_carry_the_store_fields(num, field):
    ex = [T[113], T[114], T[115], T[116], T[117].answered_by(T[num])]
    with pytest.raises(ValidationError) as err:
        _run(ex, lambda d: d.cart(DRAFT))
    assert field in err.value.fields


def test_php_warning_before_json_is_tolerated():
    warnings = []
    ex = [T[113], T[114], T[115], T[116].answered_by(T[74]), T[117], T[118]]
    with ReplayServer(ex) as srv:
        d = dialect_for(Oc40Dialect, srv)
        d._warn = warnings.append
        cart = d.cart(DRAFT)
    assert cart.total is not None
    assert any("payment_address_id" in w for w in warnings) and not any("/var/www" in w for w in warnings)


def test_shipping_method_refused_on_save():
    ex = S01[:5] + [T[119], T[120].answered_by(T[85])]
    with pytest.raises(ValidationError) as err:
        _run(ex, lambda d: d.cart(DRAFT.with_shipping("flat.flat")))
    assert err.value.fields == {"shipping_method": "Warning: Shipping method required!"}


def test_shipping_method_not_offered_is_refused_without_a_request():
    with pytest.raises(ValidationError) as err:
        _run(S01[:5] + [T[119]], lambda d: d.cart(DRAFT.with_shipping("ups.ground")))
    assert "flat.flat" in err.value.fields["shipping_method"]


def test_quote_option_that_cannot_be_saved_reports_its_error():
    ex = S01[:10] + [T[123].answered_by(T[85])] + S01[13:]
    quote = _run(ex, lambda d: d.quote(DRAFT))
    assert quote.option("item.item").error and quote.option("item.item").totals == ()
    assert quote.option("flat.flat").error is None and quote.option("weight.weight_4").total is not None


@pytest.mark.parametrize("num,fields", [(64, {"product", "customer", "payment_method"}),
                                        (89, {"customer", "shipping_method", "payment_method"}),
                                        (112, {"stock"})])
def test_confirm_refusals_list_every_field(num, fields):
    flow = T.seq("005-008", "010-018")
    draft = draft_from(flow, R).with_shipping("flat.flat").with_payment("cod.cod")
    ex = flow[:-1] + [T[18].answered_by(T[num])]
    with pytest.raises(ValidationError) as err:
        _run(ex, lambda d: d.confirm(draft, None, "Reference peer order, please ignore"))
    assert set(err.value.fields) == fields


@pytest.mark.parametrize("num", [90, 91])
def test_history_for_unknown_order_is_not_found(num):
    ex = [T[113], T[19].answered_by(T[num])]
    with pytest.raises(NotFoundError) as err:
        _run(ex, lambda d: d.add_history(3, 2, "Payment received"))
    assert err.value.fields == {"order_id": "Warning: Order could not be found!"}


def test_editing_an_existing_order_is_unsupported():
    flow = T.seq("005-008", "010-016")
    draft = draft_from(flow, R).with_shipping("flat.flat").with_payment("cod.cod").model_copy(update={"order_id": 3})
    with pytest.raises(UnsupportedOperationError):
        _run(flow, lambda d: d.confirm(draft, None, ""))


# ---------------------------------------------------------------- session loss


def test_session_loss_costs_one_relogin_and_a_rebuilt_session():
    """Token dies after the addresses (HTML 500, 041): log in again, replay the draft, carry on."""
    lost = T[118].answered_by(T[41])
    relogin = T[113].answered_by(T[129])  # a new token; the replay insists the client switches to it
    ex = S01[:5] + [lost, relogin] + S01[1:]
    quote = _run(ex, lambda d: d.quote(DRAFT))
    assert [o.quote.code for o in quote.options] == ["flat.flat", "item.item", "weight.weight_4"]
    assert quote.requests == len(ex)


def test_second_loss_right_after_relogin_is_raised():
    lost = T[118].answered_by(T[41])
    ex = S01[:5] + [lost, T[113].answered_by(T[129])] + S01[1:5] + [lost]
    with pytest.raises(SessionExpiredError) as err:
        _run(ex, lambda d: d.cart(DRAFT))
    assert "allow-list" in str(err.value)


def test_expired_cart_is_rebuilt_on_a_fresh_session():
    """045 then 046: the store deleted the API cart line after 1 h; the client notices and rebuilds."""
    draft = draft_from([T[44]], R)
    ex = [T[43], T[44], T[45], T[46], T[43].answered_by(T[47]), T[44], T[45]]

    def twice(d):
        first = d.cart(draft)
        second = d.cart(draft)
        return first, second

    first, second = _run(ex, twice)
    assert [p.product_id for p in second.products] == [40] and second.total == first.total


def test_idle_session_is_replaced_before_the_store_rejects_it():
    draft = DRAFT

    def idle(d):
        d.cart(draft)
        d.session().last_used -= Oc40Dialect.idle_ttl  # an hour without calls
        return d.cart(draft)

    ex = S01[:6] + [T[113].answered_by(T[129])] + S01[1:6]
    cart = _run(ex, idle)
    assert cart.total is not None


def test_no_cookie_fallback_and_token_never_leaks(caplog):
    token = T[113].issued_token
    caplog.set_level(logging.DEBUG, logger="ocdata")
    with ReplayServer(S01) as srv:
        d = dialect_for(Oc40Dialect, srv)
        quote = d.quote(DRAFT)
        session = d.session()
        shown = " ".join([repr(d), repr(session), repr(quote), repr(quote.options[0]), str(quote.model_dump())])
    assert all(not r.cookies for r in srv.requests)  # the replay also rejects the token as cookie or field
    assert token not in shown and token not in caplog.text
    assert session.token == token  # …it is only held where it is needed


def test_token_absent_from_errors_raised_mid_session():
    lost = T[118].answered_by(T[41])
    ex = S01[:5] + [lost, T[113].answered_by(T[129])] + S01[1:5] + [lost]
    with pytest.raises(SessionExpiredError) as err:
        _run(ex, lambda d: d.cart(DRAFT))
    text = f"{err.value} {err.value.body!r} {err.value.__cause__!r}"
    assert T[113].issued_token not in text and T[129].issued_token not in text


def test_probe_logs_in_without_credentials():
    from ocdata.client.transport import Transport
    with ReplayServer([T[24]]) as srv:
        d = dialect_for(Oc40Dialect, srv)
        result = Oc40Dialect.probe(d.config, Transport(retries=0))
    assert result.matches and result.version == "4.0.2.x" and "error" in result.evidence
    with ReplayServer([T[24].answered_by(T[55])]) as srv:  # a store without api/account/login: HTML 404
        d = dialect_for(Oc40Dialect, srv)
        assert not Oc40Dialect.probe(d.config, Transport(retries=0)).matches
