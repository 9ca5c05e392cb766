"""oc40: refusals and session behaviour only 4.0 has (shared ones: ``test_session_versions.py``)."""

from __future__ import annotations

import pytest

from ocdata.client.errors import UnsupportedOperationError, ValidationError
from scenario import OC40 as V

T = V.transcripts
S01 = V.s01  # 113 login, 114 customer, 115 add 40, 116/117 addresses, 118 cart, 119 list, …
DRAFT = V.draft(S01)


def test_php_warning_before_json_is_tolerated():
    warnings = []

    def cart(d):
        d._warn = warnings.append
        return d.cart(DRAFT)

    cart = V.run([T[113], T[114], T[115], T[116].answered_by(T[74]), T[117], T[118]], cart)
    assert cart.total is not None
    assert any("payment_address_id" in w for w in warnings) and not any("/var/www" in w for w in warnings)


def test_shipping_method_refused_on_save():
    with pytest.raises(ValidationError) as err:
        V.run(S01[:5] + [T[119], T[120].answered_by(T[85])], lambda d: d.cart(DRAFT.with_shipping("flat.flat")))
    assert err.value.fields == {"shipping_method": "Warning: Shipping method required!"}


def test_shipping_method_not_offered_is_refused_without_a_request():
    with pytest.raises(ValidationError) as err:
        V.run(S01[:5] + [T[119]], lambda d: d.cart(DRAFT.with_shipping("ups.ground")))
    assert "flat.flat" in err.value.fields["shipping_method"]


def test_quote_option_that_cannot_be_saved_reports_its_error():
    quote = V.run(S01[:10] + [T[123].answered_by(T[85])] + S01[13:], lambda d: d.quote(DRAFT))
    assert quote.option("item.item").error and quote.option("item.item").totals == ()
    assert quote.option("flat.flat").error is None and quote.option("weight.weight_4").total is not None


@pytest.mark.parametrize("num,fields", [(64, {"product", "customer", "payment_method"}),
                                        (89, {"customer", "shipping_method", "payment_method"}),
                                        (112, {"stock"})])
def test_confirm_refusals_list_every_field(num, fields):
    flow = T.seq("005-008", "010-018")
    draft = V.draft(flow).with_shipping("flat.flat").with_payment("cod.cod")
    with pytest.raises(ValidationError) as err:
        V.run(flow[:-1] + [T[18].answered_by(T[num])],
              lambda d: d.confirm(draft, None, "Reference peer order, please ignore"))
    assert set(err.value.fields) == fields


def test_editing_an_existing_order_is_unsupported():
    flow = T.seq("005-008", "010-016")
    draft = V.draft(flow).with_shipping("flat.flat").with_payment("cod.cod").model_copy(update={"order_id": 3})
    with pytest.raises(UnsupportedOperationError):
        V.run(flow, lambda d: d.confirm(draft, None, ""))


def test_expired_cart_is_rebuilt_on_a_fresh_session():
    """045 then 046: the store deleted the API cart line after 1 h; the client notices and rebuilds."""
    draft = V.draft([T[44]])
    first, second = V.run([T[43], T[44], T[45], T[46], T[43].answered_by(T[47]), T[44], T[45]],
                          lambda d: (d.cart(draft), d.cart(draft)))
    assert [p.product_id for p in second.products] == [40] and second.total == first.total
