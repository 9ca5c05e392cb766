"""Storefront JSON the API clients use: ``route=localisation/country`` (no auth).

``GET index.php?route=localisation/country&country_id=N`` answers, like a
4.1.0.4 store (oc41 transcripts 086–089), the country row merged with its
description row and a ``zone`` list of the enabled zones ordered by name, every
value a string (PHP's MySQL driver returns strings), keys in the database's
column order — ``zone`` first because 4.1 builds the array as
``['zone' => …] + $country_info``. An unknown or disabled country answers ``[]``
(PHP's empty array), still 200.

Stores of other versions (``classic=True``) answer the older shape: 4.0 (oc40
§5.11) ``country_id, name, iso_code_2, iso_code_3, address_format,
postcode_required, zone, status`` with zones ``zone_id, country_id, name, code,
status`` and the address-format text instead of ``address_format_id``/
``language_id``; 3.0 (oc30 §5.11) has no ``localisation/country`` route at all
(404: the server does not route it here) and serves that shape at
``checkout/checkout/country`` and ``account/account/country``
(:data:`CLASSIC_ROUTES`).
"""

from __future__ import annotations

import threading
from typing import Any

from ocdata.sandbox.fronts.base import Request, Response, php_json_encode
from ocdata._php import php_int

ROUTE = "localisation/country"
#: 3.0's country routes (same answer as 4.0's ``localisation/country``)
CLASSIC_ROUTES = frozenset({"checkout/checkout/country", "account/account/country"})


def _flag(value: bool) -> str:
    return "1" if value else "0"


class StorefrontFront:
    """Answers the storefront routes API clients need."""

    def __init__(self, engine: Any, *, classic: bool = False) -> None:
        self.engine = engine
        self.classic = classic
        self._cache: dict[int, bytes] = {}
        self._lock = threading.Lock()

    def country_payload(self, country_id: int) -> dict[str, Any] | list:
        """The JSON value for a country id (``[]`` when unknown or disabled)."""
        country = self.engine.country(country_id) if country_id > 0 else None
        if country is None or not country.status:
            return []
        language_id = str(self.engine.store.settings.language_id)
        zones = sorted((z for z in country.zones if z.status), key=lambda z: (z.name.lower(), z.zone_id))
        if self.classic:
            return {
                "country_id": str(country.country_id),
                "name": country.name,
                "iso_code_2": country.iso_code_2,
                "iso_code_3": country.iso_code_3,
                "address_format": country.address_format,
                "postcode_required": _flag(country.postcode_required),
                "zone": [
                    {"zone_id": str(z.zone_id), "country_id": str(z.country_id), "name": z.name, "code": z.code,
                     "status": _flag(z.status)}
                    for z in zones
                ],
                "status": _flag(country.status),
            }
        return {
            "zone": [
                {
                    "zone_id": str(z.zone_id),
                    "country_id": str(z.country_id),
                    "code": z.code,
                    "status": _flag(z.status),
                    "language_id": language_id,
                    "name": z.name,
                }
                for z in zones
            ],
            "country_id": str(country.country_id),
            "iso_code_2": country.iso_code_2,
            "iso_code_3": country.iso_code_3,
            "address_format_id": str(country.address_format_id),
            "postcode_required": _flag(country.postcode_required),
            "status": _flag(country.status),
            "language_id": language_id,
            "name": country.name,
        }

    def handle(self, request: Request) -> Response:
        country_id = php_int(request.query.get("country_id", 0))
        body = self._cache.get(country_id)
        if body is None:
            body = php_json_encode(self.country_payload(country_id)).encode("utf-8")
            # countries are immutable store data: serialise each once
            with self._lock:
                if len(self._cache) < 4096:
                    self._cache[country_id] = body
        return Response(body)
