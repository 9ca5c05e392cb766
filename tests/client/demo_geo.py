"""Countries and zones of real OpenCart installs, from ``tests/recordings/<dialect>/demo-data/``.

:func:`country_source` is a :class:`~ocdata.client.geo.Geo` fetch function answering from those
tables exactly as the storefront's country route would (4.x keeps names in ``*_description``).
"""

from __future__ import annotations

import csv
import functools
from pathlib import Path
from typing import Callable

from ocdata.client.models import Country, Zone, text

DATA = Path(__file__).resolve().parents[1] / "recordings"
FOLDERS = {"oc41": DATA / "oc41" / "demo-data" / "stock", "oc40": DATA / "oc40" / "demo-data",
           "oc30": DATA / "oc30" / "demo-data"}


def _rows(folder: Path, table: str) -> list[dict[str, str]]:
    with open(folder / f"{table}.csv", encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _names(folder: Path, table: str, key: str) -> dict[str, str]:
    path = folder / f"{table}_description.csv"
    if not path.exists():
        return {}
    return {r[key]: r["name"] for r in _rows(folder, f"{table}_description") if r.get("language_id", "1") == "1"}


@functools.lru_cache(maxsize=None)
def countries(version: str) -> dict[int, Country]:
    """Every country of that version's demo install with its zones, by country_id."""
    folder = FOLDERS[version]
    country_names, zone_names = _names(folder, "country", "country_id"), _names(folder, "zone", "zone_id")
    zones: dict[int, list[Zone]] = {}
    for r in _rows(folder, "zone"):
        zones.setdefault(int(r["country_id"]), []).append(Zone(
            zone_id=int(r["zone_id"]), country_id=int(r["country_id"]), code=r["code"],
            name=text(r.get("name") or zone_names[r["zone_id"]]), status=r["status"] == "1"))
    return {int(r["country_id"]): Country(
        country_id=int(r["country_id"]), name=text(r.get("name") or country_names[r["country_id"]]),
        iso_code_2=r["iso_code_2"], iso_code_3=r["iso_code_3"], status=r["status"] == "1",
        zones=tuple(sorted(zones.get(int(r["country_id"]), []), key=lambda z: z.name)))
        for r in _rows(folder, "country")}


def country_source(version: str, calls: list[int] | None = None) -> Callable[[int], Country | None]:
    """A ``Geo`` fetch over that version's tables; ``calls`` collects the ids asked for."""
    table = countries(version)

    def fetch(country_id: int) -> Country | None:
        if calls is not None:
            calls.append(country_id)
        return table.get(country_id)

    return fetch
