"""OpenCart's install data, packaged per version: countries, zones and the demo catalogue.

``data/<version>/`` holds, for each OpenCart release the sandbox reproduces (4.1.0.4,
4.0.2.3, 3.0.4.1), the tables a fresh install of that release has, with OpenCart's own ids,
codes and names (they differ between releases: Berlin is ``BE`` on 4.x, ``BER`` on 3.0):

* ``countries.csv`` — every country (``country_id, name, iso_code_2, iso_code_3,
  address_format_id, postcode_required, status, address_format``);
* ``zones.csv`` — every zone (``zone_id, country_id, code, name, status``);
* ``catalog.json`` — the 19 demo products in store-file layout (options and values with
  their price/points/weight deltas, discounts, specials, rewards, stock, ``record``).

They are generated from the reference stores' exports by ``tools/import_demo_data.py`` and
checked against them by ``tests/sandbox/engine/test_demo_data.py``. A store file picks the
catalogue with ``demo_data: "<version>"``; its geography is that version's, or the one
matching ``settings.version`` (see :func:`resolve`). OpenCart's tables have every ISO 3166
country but Sint Maarten (SX), which the sandbox therefore lacks too, as a real store does.

Tables are read once per process (about 4,100 zones per version).
"""

from __future__ import annotations

import copy
import csv
import functools
import json
from pathlib import Path
from typing import Any

from ocdata.sandbox.model import Country, Zone

DATA_DIR = Path(__file__).resolve().parent / "data"
#: packaged versions, newest first
VERSIONS = ("4.1.0.4", "4.0.2.3", "3.0.4.1")


def resolve(version: str) -> str:
    """The packaged version for an OpenCart version: the same release, else the newest
    packaged one of the same major.minor, then of the same major, then the newest."""
    if version in VERSIONS:
        return version
    parts = version.split(".")
    for depth in (2, 1):
        prefix = parts[:depth]
        for packaged in VERSIONS:
            if packaged.split(".")[:depth] == prefix:
                return packaged
    return VERSIONS[0]


def _rows(version: str, name: str) -> list[dict[str, str]]:
    with (DATA_DIR / version / name).open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@functools.lru_cache(maxsize=None)
def countries(version: str) -> tuple[Country, ...]:
    """Every country of that packaged version with its zones (by name), by country_id."""
    by_country: dict[int, list[Zone]] = {}
    with (DATA_DIR / version / "zones.csv").open(encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        if next(reader) != ["zone_id", "country_id", "code", "name", "status"]:
            raise ValueError(f"{version}/zones.csv: unexpected columns")
        for zone_id, country_id, code, name, status in reader:  # ~4,100 rows: no DictReader
            zone = Zone(int(zone_id), int(country_id), code, name, status == "1")
            by_country.setdefault(zone.country_id, []).append(zone)
    out = []
    for r in _rows(version, "countries.csv"):
        country_id = int(r["country_id"])
        zones = sorted(by_country.get(country_id, ()), key=lambda z: (z.name, z.zone_id))
        out.append(Country(
            country_id=country_id,
            name=r["name"],
            iso_code_2=r["iso_code_2"],
            iso_code_3=r["iso_code_3"],
            address_format_id=int(r["address_format_id"] or 0),
            postcode_required=r["postcode_required"] == "1",
            status=r["status"] == "1",
            zones=tuple(zones),
            address_format=r["address_format"],
        ))
    return tuple(sorted(out, key=lambda c: c.country_id))


def products(version: str) -> list[dict[str, Any]]:
    """The demo products of that packaged version as store-file items (a fresh copy the
    caller may change)."""
    return copy.deepcopy(_parsed_catalog(version))


@functools.lru_cache(maxsize=None)
def _parsed_catalog(version: str) -> list[dict[str, Any]]:
    return json.loads((DATA_DIR / version / "catalog.json").read_text(encoding="utf-8"))
