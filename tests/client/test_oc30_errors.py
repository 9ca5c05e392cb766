"""oc30: refusals and session behaviour only 3.0 has (shared ones: ``test_session_versions.py``)."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from ocdata.client.errors import ValidationError
from scenario import OC30 as V

T = V.transcripts
S01 = V.s01  # 132 login, 133 customer, 134 add 40, 135/136 addresses, 137 cart, 138 list, …
DRAFT = V.draft(S01)


def test_payment_method_refused_on_save():
    ex = S01[:5] + [T[138], T[139], T[141], T[18].answered_by(T[98])]
    with pytest.raises(ValidationError) as err:
        V.run(ex, lambda d: d.confirm(DRAFT.with_shipping("flat.flat").with_payment("cod"), None, ""))
    assert err.value.fields == {"payment_method": "Warning: Payment method required!"}


def test_order_add_refusal_is_one_string():
    flow = T.seq("008-011", "013-020")
    draft = V.draft(flow).with_shipping("flat.flat").with_payment("cod")
    with pytest.raises(ValidationError) as err:
        V.run(flow[:-1] + [T[20].answered_by(T[128])],
              lambda d: d.confirm(draft, None, "Reference peer order, please ignore"))
    assert list(err.value.fields.values()) == [
        "Warning: Products marked with *** are not available in the desired quantity or not in stock!"]


def test_string_shaped_permission_error_is_session_loss_too():
    """shipping/methods says it with a bare string, not an object."""
    message = "Warning: You do not have permission to access the API!"
    lost = replace(T[138], body_text=json.dumps({"error": message}), json={"error": message})
    quote = V.run(S01[:6] + [lost, T[132].answered_by(T[148])] + S01[1:], lambda d: d.quote(DRAFT))
    assert len(quote.options) == 3


def test_country_uses_the_checkout_route():
    country = V.run([T[3]], lambda d: d.country(222))
    assert country.iso_code_2 == "GB" and country.zone("LANCS").zone_id == 3563
    assert V.run([T[5]], lambda d: d.country(99999)) is None
