"""ISO codes and typos -> store ids, against OpenCart's real country/zone tables of each version.

The tables are ``tests/recordings/<dialect>/demo-data/`` (see DEMO-DATA.md): 4.1 codes Berlin ``BE``,
3.0 ``BER``; the UK zones are OpenCart's own (``LDN`` = Greater London), not ISO 3166-2's.
"""

from __future__ import annotations

import pytest

import ocdata.client as oc
from ocdata.client.errors import NotFoundError, ValidationError
from ocdata.client.geo import Geo, iso2, suggest_countries
from ocdata.client.models import Address

from demo_geo import countries, country_source
from live_sandbox import start

VERSIONS = ["oc41", "oc40", "oc30"]


def geo(version: str, calls: list[int] | None = None) -> Geo:
    return Geo(country_source(version, calls), workers=1)


def resolved(g: Geo, country: str, zone: str | None = None) -> tuple[int, str]:
    a = g.resolve(Address(country=country, zone=zone))
    names = {z.zone_id: z.name for z in g.country(a.country_id).zones}
    return a.country_id, names.get(a.zone_id, "")


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("country, zone, country_id, name", [
    ("GB", "LND", 222, "Greater London"),        # ISO "London, City of": OpenCart's code is LDN
    ("GB", "GB-LND", 222, "Greater London"),
    ("GB-LND", None, 222, "Greater London"),      # one ISO 3166-2 code for both
    ("GB", "MAN", 222, "Greater Manchester"),     # ISO Manchester
    ("GB", "EDH", 222, "Edinburgh"),              # ISO "Edinburgh, City of"
    ("GB", "GLG", 222, "Glasgow"),                # ISO "Glasgow City"
    ("GB", "CRF", 222, "Cardiff"),                # ISO "Cardiff [Caerdydd GB-CRD]"
    ("GB", "LAN", 222, "Lancashire"),
    ("GB", "LDN", 222, "Greater London"),         # the store's own code
    ("GB", "greater london", 222, "Greater London"),
    ("UK", "LDN", 222, "Greater London"),         # ISO's reserved alias
    ("DE", "DE-BE", 81, "Berlin"),
    ("DE", "BY", 81, "Bayern"),
    ("DE", "Baden-Wurttemberg", 81, "Baden-Württemberg"),
    ("FR", "75", 74, "Paris"),                    # OpenCart's department code
    ("FR", "FR-75C", 74, "Paris"),                # ISO's since 2019, matched by name
    ("US", "US-CA", 223, "California"),
    ("USA", "NY", 223, "New York"),
    ("CN", "Hainan", 44, "Hainan"),
])
def test_iso_and_store_codes_resolve_to_the_stores_zone(version, country, zone, country_id, name):
    assert resolved(geo(version), country, zone) == (country_id, name)


def test_zone_ids_are_the_versions_own():
    assert geo("oc30").resolve(Address(country="FR", zone="75")).zone_id == 1189
    for version in VERSIONS:
        assert geo(version).resolve(Address(country="DE", zone="DE-BE")).zone_id == 1256
    # each version's own Berlin code resolves; the other version's code is refused with Berlin first
    assert resolved(geo("oc41"), "DE", "BE")[1] == resolved(geo("oc30"), "DE", "BER")[1] == "Berlin"
    with pytest.raises(ValidationError) as err:
        geo("oc41").resolve(Address(country="DE", zone="BER"))
    assert "did you mean BE=Berlin" in str(err.value)


@pytest.mark.parametrize("version", ["oc41", "oc30"])
def test_a_code_the_store_and_iso_give_different_zones_is_refused_as_ambiguous(version):
    # OpenCart's China HA is Hainan; ISO 3166-2 CN-HA is Henan (the store's HE)
    with pytest.raises(ValidationError) as err:
        geo(version).resolve(Address(country="CN", zone="HA"))
    message = str(err.value)
    assert "ambiguous" in message and "Hainan" in message and "HE=Henan" in message
    assert err.value.fields == {"zone": "ambiguous zone 'HA'"}
    # UK: OpenCart's CON is Conwy, ISO's GB-CON Cornwall
    with pytest.raises(ValidationError, match="CORN=Cornwall"):
        geo(version).resolve(Address(country="GB", zone="GB-CON"))


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("country, typo, first", [
    ("GB", "LDNN", "LDN=Greater London"),
    ("GB", "Greter London", "LDN=Greater London"),
    ("GB", "Lancashre", "LANCS=Lancashire"),
    ("GB", "Yorkshire West", "YSW=West Yorkshire"),
    ("US", "Califronia", "CA=California"),
    ("US", "NYY", "NY=New York"),
    ("DE", "Berln", None),  # Berlin, with the version's code
    ("FR", "Pariss", "75=Paris"),
])
def test_unknown_zone_suggests_the_closest_zones_first(version, country, typo, first):
    g = geo(version)
    with pytest.raises(ValidationError) as err:
        g.resolve(Address(country=country, zone=typo))
    suggestions = g.suggest_zones(g.by_iso(country), typo)
    berlin = "BE=Berlin" if version != "oc30" else "BER=Berlin"
    assert suggestions[0] == (first or berlin)
    assert len(suggestions) <= 5
    message = str(err.value)
    assert f"no zone {typo!r}" in message and f"did you mean {suggestions[0]}" in message
    assert err.value.fields == {"zone": f"unknown zone {typo!r}"}
    # never the alphabetical head of the list
    assert "Aberdeen" not in message


def test_an_iso_code_for_a_place_the_store_has_no_zone_for_says_so():
    with pytest.raises(ValidationError) as err:
        geo("oc41").resolve(Address(country="GB", zone="GB-LDS"))
    assert "ISO 3166-2 GB-LDS is Leeds, which this store has no zone for" in str(err.value)


@pytest.mark.parametrize("typo, first", [
    ("Grmany", "DE (Germany)"),
    ("Untied Kingdom", "GB (United Kingdom)"),
    ("England", "GB (United Kingdom)"),
    ("GER", "DE (Germany)"),
    ("Frnace", "FR (France)"),
    ("Holland", "NL (Netherlands)"),
    ("Deutchland", "DE (Germany)"),
])
def test_unknown_country_suggests_the_closest_countries_without_asking_the_store(typo, first):
    calls: list[int] = []
    g = geo("oc41", calls)
    with pytest.raises(ValidationError) as err:
        g.resolve(Address(country=typo, zone="X"))
    assert suggest_countries(typo)[0] == first
    assert f"did you mean {first}" in str(err.value)
    assert err.value.fields == {"country": f"unknown country {typo!r}"}
    assert calls == [], "a misspelt country must not scan the store's 400 country ids"


def test_country_aliases_and_codes():
    assert iso2("UK") == "GB" and iso2("el") == "GR" and iso2("deu") == "DE" and iso2("Germany") == "DE"
    assert suggest_countries("UK")[0] == "GB (United Kingdom)"  # what a suggestion list offers for it
    assert iso2("XK") == "XK"  # OpenCart's Kosovo, not in ISO 3166-1
    with pytest.raises(ValidationError):
        iso2("ZZ")
    assert suggest_countries("ZZ") == []


def test_resolution_is_cached_per_zone_text():
    calls: list[int] = []
    g = geo("oc41", calls)
    for _ in range(3):
        g.resolve(Address(country="GB", zone="GB-LND"))
    assert calls == [222]


def test_a_country_the_store_lacks_names_the_field():
    table = dict(countries("oc41"))
    g = Geo(lambda i: None if i == 81 else table.get(i), workers=1)
    import ocdata.client.geo as geo_module

    limit = geo_module.SCAN_LIMIT
    geo_module.SCAN_LIMIT = 5  # keep the renumbered-store scan short
    try:
        with pytest.raises(NotFoundError) as err:
            g.resolve(Address(country="DE", zone="BE"))
    finally:
        geo_module.SCAN_LIMIT = limit
    assert err.value.fields == {"country": "DE"}


@pytest.fixture(scope="module")
def sandbox():
    sb = start()
    yield sb
    sb.stop()


@pytest.mark.parametrize("dialect", ["spec", "oc41"])
def test_live_sandbox_resolves_iso_codes_and_suggests(sandbox, dialect):
    with oc.connect(sandbox.url, sandbox.username, sandbox.key, dialect=dialect, timeout=10) as store:
        london = store.address(Address(country="GB-LND"))
        assert (london.country_id, london.zone_id) == (222, 3553)
        berlin = store.address(Address(country="DE", zone="DE-BE"))
        assert (berlin.country_id, berlin.zone_id) == (81, 1256)
        with pytest.raises(ValidationError) as err:
            store.address(Address(country="GB", zone="LDNN"))
        assert "did you mean LDN=Greater London" in str(err.value)
        with pytest.raises(ValidationError, match=r"did you mean GB \(United Kingdom\)"):
            store.address(Address(country="Untied Kingdom"))
