"""Zone overrides and geo-zone lookups over a store's countries.

A store's countries and zones are OpenCart's own tables for its version (ids, codes, names,
``postcode_required``), packaged in ``data/<version>/`` and read by
:mod:`ocdata.sandbox.installdata`; a store file can add or rename zones with its ``zones``
section (:func:`apply_zone_overrides`). :class:`GeoIndex` answers the ``zone_to_geo_zone``
membership tests tax rates, shipping and payment methods make.
"""

from __future__ import annotations

from ocdata.sandbox.model import Country, GeoZone, Zone


def apply_zone_overrides(countries: tuple[Country, ...], zones: list[Zone]) -> tuple[Country, ...]:
    """Replace (same zone_id) or add zones; a store file uses it to pin its version's data."""
    if not zones:
        return countries
    by_country: dict[int, dict[int, Zone]] = {}
    for z in zones:
        by_country.setdefault(z.country_id, {})[z.zone_id] = z
    out = []
    for c in countries:
        extra = by_country.pop(c.country_id, None)
        if extra:
            kept = [extra.pop(z.zone_id, z) for z in c.zones]
            merged = tuple(sorted(kept + list(extra.values()), key=lambda z: (z.name, z.zone_id)))
            c = Country(c.country_id, c.name, c.iso_code_2, c.iso_code_3, c.address_format_id,
                        c.postcode_required, c.status, merged, c.address_format)
        out.append(c)
    if by_country:
        missing = sorted(by_country)
        raise ValueError(f"zones: country_id {missing[0]} does not exist")
    return tuple(out)


class GeoIndex:
    """Lookups over countries, zones and geo zones (read-only, thread-safe)."""

    def __init__(self, countries: tuple[Country, ...], geo_zones: tuple[GeoZone, ...]) -> None:
        self.countries = {c.country_id: c for c in countries}
        self.zones = {z.zone_id: z for c in countries for z in c.zones}
        self.geo_zones = {g.geo_zone_id: g for g in geo_zones}
        # geo_zone_id -> {(country_id, zone_id)}; zone 0 covers the whole country
        self._members = {g.geo_zone_id: frozenset(g.members) for g in geo_zones}
        #: ``getGeoZones()`` order (by name), which the weight shipping method quotes in
        self.by_name = tuple(sorted(geo_zones, key=lambda g: g.name))

    def contains(self, geo_zone_id: int, country_id: int, zone_id: int) -> bool:
        """``zone_to_geo_zone`` test: ``country_id = c AND (zone_id = z OR zone_id = 0)``."""
        members = self._members.get(geo_zone_id)
        if not members:
            return False
        return (country_id, zone_id) in members or (country_id, 0) in members
