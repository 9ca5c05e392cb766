"""Storefront JSON the API clients use, no auth: countries with their zones and ``tool/upload``.

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

``POST route=tool/upload`` (served with the 4.0 and 3.0 fronts) takes a multipart
``file`` and answers ``{"code", "success"}`` (oc40 004, oc30 007); the code is what a
File option posts, and 4.0's cart shows the file's name for it.
"""

from __future__ import annotations

import io
import secrets
import threading
from typing import Any

from ocdata._php import php_int
from ocdata.sandbox.fronts.base import Request, Response, php_json_encode

ROUTE = "localisation/country"
#: the storefront upload a required File option's code comes from (no API token)
UPLOAD_ROUTE = "tool/upload"
UPLOAD_OK = "Your file was successfully uploaded!"
#: 3.0's country routes (same answer as 4.0's ``localisation/country``)
CLASSIC_ROUTES = frozenset({"checkout/checkout/country", "account/account/country"})


def _flag(value: bool) -> str:
    return "1" if value else "0"


def _file_name(request: Request) -> str:
    """The name of the multipart ``file`` field of a request, if any."""
    kind = request.headers.get("Content-Type", "")
    if not kind.lower().startswith("multipart/form-data") or not request.raw_body:
        return ""
    from werkzeug.formparser import parse_form_data

    environ = {"REQUEST_METHOD": "POST", "CONTENT_TYPE": kind, "CONTENT_LENGTH": str(len(request.raw_body)),
               "wsgi.input": io.BytesIO(request.raw_body)}
    _, _, files = parse_form_data(environ)
    upload = files.get("file")
    return upload.filename or "" if upload is not None else ""


class StorefrontFront:
    """Answers the storefront routes API clients need."""

    def __init__(self, engine: Any, *, classic: bool = False, uploads: dict[str, str] | None = None) -> None:
        self.engine = engine
        self.classic = classic
        #: upload code -> file name (``oc_upload``), shared with the fronts that show a File option's name
        self.uploads: dict[str, str] = {} if uploads is None else uploads
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

    def upload(self, request: Request) -> Response:
        """``tool/upload``: a posted ``file`` answers a new upload code (3.0: 40 hex, 4.x: 32).
        The sandbox keeps the file's name only (what a 4.0 cart shows for a File option)."""
        code = secrets.token_hex(20 if self.engine.version < (4, 0) else 16)
        with self._lock:
            if len(self.uploads) < 65536:
                self.uploads[code] = _file_name(request) or "upload"
        return Response({"code": code, "success": UPLOAD_OK})

    def handle(self, request: Request) -> Response:
        if request.query.get("route") == UPLOAD_ROUTE:
            return self.upload(request)
        country_id = php_int(request.query.get("country_id", 0))
        body = self._cache.get(country_id)
        if body is None:
            body = php_json_encode(self.country_payload(country_id)).encode("utf-8")
            # countries are immutable store data: serialise each once
            with self._lock:
                if len(self._cache) < 4096:
                    self._cache[country_id] = body
        return Response(body)
