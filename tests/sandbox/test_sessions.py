"""The sandbox's session store: expiry, adoption of client ids, bounded growth."""

import time

from ocdata.sandbox.fronts.base import SessionStore, php_json_encode


def test_expired_session_is_gone_and_live_one_is_touched():
    # generous margins: a loaded CI machine may oversleep by tens of milliseconds
    store = SessionStore(ttl=0.6)
    old = store.create()
    live = store.create()
    time.sleep(0.4)
    assert store.get(live.id) is live  # touching keeps it alive past the first ttl
    time.sleep(0.4)
    assert store.get(old.id) is None
    assert store.get(live.id) is live


def test_sweep_bounds_growth_of_one_off_sessions():
    store = SessionStore(ttl=0.01)
    store.SWEEP_EVERY = 10
    for _ in range(9):
        store.create()
    time.sleep(0.02)
    store.create()
    assert len(store) == 1


def test_client_chosen_id_is_adopted():
    store = SessionStore()
    assert store.create("0123456789abcdef0123456789").id == "0123456789abcdef0123456789"
    assert store.get("0123456789abcdef0123456789") is not None
    assert store.get(None) is None and store.get("") is None


def test_php_json_encode_escapes_like_php():
    assert php_json_encode({"a": "x/y", "b": "96.66€"}) == '{"a":"x\\/y","b":"96.66\\u20ac"}'


def test_session_repr_hides_its_id():
    session = SessionStore().create()
    assert session.id not in repr(session)


def test_posted_customer_and_address_read_like_php():
    from ocdata.sandbox.records import AddressIn, CustomerIn

    form = {"customer_id": "7x", "firstname": {"0": "array"}, "lastname": "Lee", "custom_field": {"1": "a"},
            "shipping_city": "Leeds", "shipping_country_id": "222", "shipping_zone_id": "3608",
            "shipping_address_id": "5"}
    customer = CustomerIn.posted(form)
    assert (customer.customer_id, customer.firstname, customer.lastname, customer.custom_field) == \
        (7, "", "Lee", {"1": "a"})
    address = AddressIn.posted(form, "shipping_")
    assert (address.city, address.country_id, address.zone_id, address.address_id) == ("Leeds", 222, 3608, 0)
    assert AddressIn.posted(form, "shipping_", with_id=True).address_id == 5
