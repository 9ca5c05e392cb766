"""Countries, zones and geo zones with OpenCart's ids.

Where the ids come from:

* **Countries**: ``data/countries.csv`` = OpenCart's stock install table (``country_id``,
  ISO codes, ``postcode_required``, English name as OpenCart stores it). A country that
  ``pycountry`` knows but OpenCart's table lacks (e.g. SX) gets ``1000 + ISO numeric``.
* **Zones of 222 (UK), 223 (US), 81 (DE)**: ``data/zones.csv``, copied from the oc41
  reference store (storefront ``localisation/country`` answers), i.e. OpenCart's ids.
* **Zones of every other country**: the top-level subdivisions ``pycountry`` lists for
  it, sorted by ISO 3166-2 code; the n-th (1-based) gets
  ``zone_id = 100000 + country_id * 1000 + n`` and ``code`` = the part after the dash.
  These ids do not collide with OpenCart's (< 5000) and stay stable for one pycountry
  release; a store file can pin or rename zones with its ``zones`` section.
"""

from __future__ import annotations

import csv
import functools
from pathlib import Path

from ocdata.sandbox.model import Country, GeoZone, Zone

#: Countries whose zones come from ``data/zones.csv`` (OpenCart's own ids).
OPENCART_ZONE_COUNTRIES = frozenset({222, 223, 81})
GENERATED_ZONE_BASE = 100000
GENERATED_COUNTRY_BASE = 1000
DATA_DIR = Path(__file__).resolve().parent / "data"


def _data_rows(name: str) -> list[dict[str, str]]:
    text = (DATA_DIR / name).read_text(encoding="utf-8")
    return list(csv.DictReader(text.splitlines()))


def generated_zone_id(country_id: int, rank: int) -> int:
    """Id of the ``rank``-th (1-based) pycountry subdivision of a country."""
    return GENERATED_ZONE_BASE + country_id * 1000 + rank


@functools.lru_cache(maxsize=1)
def base_countries() -> tuple[Country, ...]:
    """Every country with its zones, sorted by country_id (built once per process)."""
    import pycountry

    zones_by_country: dict[int, list[Zone]] = {}
    for row in _data_rows("zones.csv"):
        zone = Zone(int(row["zone_id"]), int(row["country_id"]), row["code"], row["name"], row["status"] == "1")
        zones_by_country.setdefault(zone.country_id, []).append(zone)

    rows = _data_rows("countries.csv")
    known = {row["iso_code_2"] for row in rows}
    entries = [
        (int(r["country_id"]), r["name"], r["iso_code_2"], r["iso_code_3"], r["postcode_required"] == "1")
        for r in rows
    ]
    for c in pycountry.countries:
        if c.alpha_2 not in known:
            entries.append((GENERATED_COUNTRY_BASE + int(c.numeric), c.name, c.alpha_2, c.alpha_3, False))

    top_level: dict[str, list] = {}
    for sub in pycountry.subdivisions:
        if sub.parent_code is None:
            top_level.setdefault(sub.country_code, []).append(sub)

    countries = []
    for country_id, name, iso2, iso3, postcode_required in sorted(entries):
        if country_id in OPENCART_ZONE_COUNTRIES:
            zones = zones_by_country.get(country_id, [])
        else:
            subs = sorted(top_level.get(iso2, []), key=lambda s: s.code)
            zones = [
                Zone(generated_zone_id(country_id, n), country_id, s.code.split("-", 1)[1], s.name)
                for n, s in enumerate(subs, start=1)
            ]
            zones.sort(key=lambda z: z.name)
        countries.append(Country(country_id, name, iso2, iso3, 1, postcode_required, True, tuple(zones)))
    return tuple(countries)


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
            merged = tuple(sorted(kept + list(extra.values()), key=lambda z: z.name))
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
