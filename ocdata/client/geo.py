"""ISO codes -> a store's country and zone ids, via the storefront's route=localisation/country.

OpenCart has no "list countries" endpoint, only country_id=N lookups. :data:`STOCK_COUNTRY_IDS`
is the id every stock OpenCart install (1.5 to 4.1) gives each ISO country, so resolving
``"US"`` costs one request (id 223) whose ``iso_code_2`` is checked; a store that renumbered
its countries is scanned instead. Answers are cached per :class:`Geo` (one per Store).

A zone is given as the store's own zone code (``"LDN"``, 4.1's ``"BE"`` / 3.0's ``"BER"``),
its name (``"Greater London"``), or an ISO 3166-2 subdivision code (``"GB-LND"``, ``"DE-BE"``,
``"FR-75C"``): OpenCart's zone codes are its own (its UK zones are counties such as Greater
London, not ISO's), so an ISO code is matched to the store's zones by the subdivision's
name in :mod:`pycountry` (accents, "City of", "Greater" and bracketed local names aside).
Where a store's code and the ISO code name different zones (OpenCart's China ``HA`` is
Hainan, ISO's ``CN-HA`` is Henan) the input is refused as ambiguous rather than guessed.
Unknown countries and zones are refused with the closest matches (:func:`suggest_countries`,
:meth:`Geo.suggest_zones`), never a list in alphabetical order.
"""

from __future__ import annotations

import difflib
import html
import re
import threading
import unicodedata
from concurrent.futures import ThreadPoolExecutor
from typing import Callable

import pycountry

from .errors import NotFoundError, ValidationError
from .models import Address, Country, Zone

__all__ = ["Geo", "STOCK_COUNTRY_IDS", "ISO_ALIASES", "iso2", "suggest_countries"]

_STOCK = """
1:AF 2:AL 3:DZ 4:AS 5:AD 6:AO 7:AI 8:AQ 9:AG 10:AR 11:AM 12:AW 13:AU 14:AT 15:AZ 16:BS 17:BH 18:BD 19:BB
20:BY 21:BE 22:BZ 23:BJ 24:BM 25:BT 26:BO 27:BA 28:BW 29:BV 30:BR 31:IO 32:BN 33:BG 34:BF 35:BI 36:KH 37:CM
38:CA 39:CV 40:KY 41:CF 42:TD 43:CL 44:CN 45:CX 46:CC 47:CO 48:KM 49:CG 50:CK 51:CR 52:CI 53:HR 54:CU 55:CY
56:CZ 57:DK 58:DJ 59:DM 60:DO 61:TL 62:EC 63:EG 64:SV 65:GQ 66:ER 67:EE 68:ET 69:FK 70:FO 71:FJ 72:FI 74:FR
75:GF 76:PF 77:TF 78:GA 79:GM 80:GE 81:DE 82:GH 83:GI 84:GR 85:GL 86:GD 87:GP 88:GU 89:GT 90:GN 91:GW 92:GY
93:HT 94:HM 95:HN 96:HK 97:HU 98:IS 99:IN 100:ID 101:IR 102:IQ 103:IE 104:IL 105:IT 106:JM 107:JP 108:JO
109:KZ 110:KE 111:KI 112:KP 113:KR 114:KW 115:KG 116:LA 117:LV 118:LB 119:LS 120:LR 121:LY 122:LI 123:LT
124:LU 125:MO 126:MK 127:MG 128:MW 129:MY 130:MV 131:ML 132:MT 133:MH 134:MQ 135:MR 136:MU 137:YT 138:MX
139:FM 140:MD 141:MC 142:MN 143:MS 144:MA 145:MZ 146:MM 147:NA 148:NR 149:NP 150:NL 151:AN 152:NC 153:NZ
154:NI 155:NE 156:NG 157:NU 158:NF 159:MP 160:NO 161:OM 162:PK 163:PW 164:PA 165:PG 166:PY 167:PE 168:PH
169:PN 170:PL 171:PT 172:PR 173:QA 174:RE 175:RO 176:RU 177:RW 178:KN 179:LC 180:VC 181:WS 182:SM 183:ST
184:SA 185:SN 186:SC 187:SL 188:SG 189:SK 190:SI 191:SB 192:SO 193:ZA 194:GS 195:ES 196:LK 197:SH 198:PM
199:SD 200:SR 201:SJ 202:SZ 203:SE 204:CH 205:SY 206:TW 207:TJ 208:TZ 209:TH 210:TG 211:TK 212:TO 213:TT
214:TN 215:TR 216:TM 217:TC 218:TV 219:UG 220:UA 221:AE 222:GB 223:US 224:UM 225:UY 226:UZ 227:VU 228:VA
229:VE 230:VN 231:VG 232:VI 233:WF 234:EH 235:YE 237:CD 238:ZM 239:ZW 242:ME 243:RS 244:AX 245:BQ 246:CW
247:PS 248:SS 249:BL 250:MF 251:IC 252:AC 253:XK 254:IM 255:TA 256:GG 257:JE
"""
STOCK_COUNTRY_IDS: dict[str, int] = {p.split(":")[1]: int(p.split(":")[0]) for p in _STOCK.split()}
"""ISO 3166 alpha-2 -> country_id in OpenCart's installer data."""

SCAN_LIMIT = 400  # highest country_id tried when a store renumbered its countries

ISO_ALIASES: dict[str, str] = {"UK": "GB", "EL": "GR"}
"""Codes ISO 3166 reserves for a country under another alpha-2 (used by the EU and others)."""

# names people give for a country that pycountry does not know; suggested, never applied
_NAME_HINTS: dict[str, str] = {
    "england": "GB", "scotland": "GB", "wales": "GB", "northern ireland": "GB", "great britain": "GB",
    "britain": "GB", "holland": "NL", "deutschland": "DE", "america": "US", "united states of america": "US",
    "south korea": "KR", "north korea": "KP", "russia": "RU", "czechia": "CZ", "vatican": "VA",
}
# OpenCart countries that ISO 3166-1 does not (or no longer) list
_OPENCART_ONLY = {"AN": "Netherlands Antilles", "IC": "Canary Islands", "AC": "Ascension Island",
                  "TA": "Tristan da Cunha", "XK": "Kosovo"}
_SUGGESTIONS = 5


def _fold(text: str) -> str:
    """Lower case, accents and punctuation dropped, bracketed parts (local names) removed."""
    text = unicodedata.normalize("NFKD", html.unescape(text))  # some install data is HTML-escaped
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    text = re.sub(r"\[.*?\]|\(.*?\)", " ", text)
    return " ".join(re.sub(r"[^0-9a-z]+", " ", text).split())


# words that qualify a place name without naming it: "London, City of" is Greater London's core
_QUALIFIERS = {"city", "of", "the", "greater", "county", "co", "borough", "royal", "metropolitan", "district"}


def _core(text: str) -> str:
    return " ".join(w for w in _fold(text).split() if w not in _QUALIFIERS)


def _score(wanted: str, candidate: str) -> float:
    """Similarity of two folded strings (0..1); a prefix of 3+ characters counts as close."""
    if not wanted or not candidate:
        return 0.0
    ratio = difflib.SequenceMatcher(None, wanted, candidate).ratio()
    if len(wanted) >= 3 and candidate.startswith(wanted):
        ratio = max(ratio, 0.8)
    return ratio


def _country_names() -> dict[str, list[str]]:
    """alpha-2 -> every code and name a person might give for it (ISO, OpenCart-only, hints)."""
    names: dict[str, list[str]] = {}
    for c in pycountry.countries:
        entries = [c.alpha_2, c.alpha_3, c.name]
        entries += [getattr(c, a) for a in ("common_name", "official_name") if getattr(c, a, None)]
        names[c.alpha_2] = entries
    for code, name in _OPENCART_ONLY.items():
        names.setdefault(code, [code, name])
    for alias, code in ISO_ALIASES.items():
        names[code].append(alias)
    for hint, code in _NAME_HINTS.items():
        names[code].append(hint)
    return names


_COUNTRY_NAMES: dict[str, list[str]] | None = None


def _country_name(alpha2: str) -> str:
    found = pycountry.countries.get(alpha_2=alpha2)
    return getattr(found, "common_name", None) or found.name if found else _OPENCART_ONLY.get(alpha2, alpha2)


def suggest_countries(text: str, n: int = _SUGGESTIONS) -> list[str]:
    """The ``n`` countries closest to ``text`` as ``"GB (United Kingdom)"``, best first.

    Codes are compared with codes (``"UK"`` -> ``GB``), names with names (``"Grmany"`` ->
    ``DE``), including names pycountry does not list (``"England"`` -> ``GB``).
    """
    global _COUNTRY_NAMES
    if _COUNTRY_NAMES is None:
        _COUNTRY_NAMES = _country_names()
    wanted = _fold(text)
    short = len(text.strip()) <= 3
    scores: dict[str, float] = {}
    for code, entries in _COUNTRY_NAMES.items():
        best = 0.0
        for entry in entries:
            folded = _fold(entry)
            if folded == wanted:
                best = 1.0
            elif (len(entry) <= 3 and entry.isupper()) == short:  # codes with codes, names with names
                best = max(best, _score(wanted, folded))
            elif short and len(wanted) == 3 and folded.startswith(wanted):  # "GER" -> Germany
                best = max(best, 0.85)
        if best >= 0.6:
            scores[code] = best
    ranked = sorted(scores, key=lambda c: (-scores[c], c))[:n]
    return [f"{c} ({_country_name(c)})" for c in ranked]


def _unknown_country(code: str) -> ValidationError:
    close = suggest_countries(code)
    hint = f"did you mean {_or(close)}? " if close else ""
    return ValidationError(
        f"{code!r} is not an ISO 3166 country code or name; {hint}fix the address's country "
        f"(an alpha-2/alpha-3 code such as 'US' or 'GBR', or a name) or give country_id=",
        fields={"country": f"unknown country {code!r}"})


def _or(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " or " + items[-1]


def iso2(code: str) -> str:
    """Normalise an alpha-2/alpha-3 code or an English country name to alpha-2 (``"usa"`` -> ``"US"``).

    ``UK``/``EL`` give ``GB``/``GR`` (:data:`ISO_ALIASES`). Anything else unknown raises
    :class:`~ocdata.client.errors.ValidationError` naming the closest countries.
    """
    value = code.strip()
    upper = value.upper()
    if upper in ISO_ALIASES:
        return ISO_ALIASES[upper]
    if len(upper) == 2 and upper.isalpha():
        if upper in STOCK_COUNTRY_IDS or pycountry.countries.get(alpha_2=upper) is not None:
            return upper
        raise _unknown_country(value)
    if len(upper) == 3 and upper.isalpha():
        found = pycountry.countries.get(alpha_3=upper)
        if found is not None:
            return found.alpha_2
    try:
        return pycountry.countries.lookup(value).alpha_2
    except LookupError:
        raise _unknown_country(value) from None


def _split_iso(country: str | None, zone: str | None) -> tuple[str | None, str | None]:
    """``country="GB-LND"`` (no zone) -> ``("GB", "LND")``."""
    if country and not zone and re.fullmatch(r"\s*[A-Za-z]{2}-[0-9A-Za-z]{1,3}\s*", country):
        country, zone = country.strip().split("-", 1)
    return country, zone


def _iso_subdivision(alpha2: str, code: str):
    code = code.strip().upper()
    if not re.fullmatch(r"[0-9A-Z]{1,3}", code):
        return None
    return pycountry.subdivisions.get(code=f"{alpha2}-{code}")


def _by_name(country: Country, name: str) -> Zone | None:
    """The store zone a place name denotes: same folded name, else the one zone with the same core."""
    folded = _fold(name)
    for z in country.zones:
        if _fold(z.name) == folded:
            return z
    # "London, City of" -> "london" = "Greater London" -> "london"; "Glasgow City" = "Glasgow"
    core = _core(name)
    if "," in name:  # "Durham, County" / "Edinburgh, City of"
        core = _core(name.split(",", 1)[0])
    same = [z for z in country.zones if core and _core(z.name) == core]
    if not same:  # "Henan Sheng", "Mordoviya, Respublika": the store names the place without its type
        words = core.split()
        same = [z for z in country.zones if _leading(_core(z.name).split(), words)]
    return same[0] if len(same) == 1 else None


def _leading(a: list[str], b: list[str]) -> bool:
    """One word list starts the other (at least 4 characters in common)."""
    short, long = (a, b) if len(a) <= len(b) else (b, a)
    return bool(short) and len("".join(short)) >= 4 and long[:len(short)] == short


class Geo:
    """Country/zone lookups for one store, cached; safe from many threads."""

    def __init__(self, fetch: Callable[[int], Country | None], *, workers: int = 8) -> None:
        self._fetch = fetch
        self._workers = max(1, workers)
        self._by_id: dict[int, Country | None] = {}
        self._by_iso: dict[str, Country] = {}
        self._zones: dict[tuple[int, str], int] = {}
        self._lock = threading.Lock()
        self._scanned = False

    def country(self, country_id: int) -> Country | None:
        with self._lock:
            if country_id in self._by_id:
                return self._by_id[country_id]
        found = self._fetch(country_id)
        with self._lock:
            self._by_id[country_id] = found
            if found is not None and found.iso_code_2:
                self._by_iso.setdefault(found.iso_code_2.upper(), found)
        return found

    def _many(self, ids: list[int]) -> None:
        todo = [i for i in ids if i not in self._by_id]
        if not todo:
            return
        with ThreadPoolExecutor(max_workers=self._workers) as pool:
            list(pool.map(self.country, todo))

    def countries(self) -> tuple[Country, ...]:
        """Every enabled country the store knows (one request per stock id, in parallel, then cached)."""
        self._many(sorted(STOCK_COUNTRY_IDS.values()))
        with self._lock:
            found = [c for c in self._by_id.values() if c is not None and c.status]
        return tuple(sorted(found, key=lambda c: c.country_id))

    def by_iso(self, code: str) -> Country:
        alpha2 = iso2(code)
        with self._lock:
            if alpha2 in self._by_iso:
                return self._by_iso[alpha2]
        guess = STOCK_COUNTRY_IDS.get(alpha2)
        if guess is not None:
            found = self.country(guess)
            if found is not None and found.iso_code_2.upper() == alpha2:
                return found
        # a renumbered store: look at every id once
        if not self._scanned:
            self._many(list(range(1, SCAN_LIMIT + 1)))
            self._scanned = True
        with self._lock:
            if alpha2 in self._by_iso:
                return self._by_iso[alpha2]
        raise NotFoundError(f"the store has no country with ISO code {alpha2}; check the spelling or enable the "
                            f"country in the store's admin (System > Localisation > Countries)",
                            fields={"country": alpha2})

    def zones(self, country: str | int) -> tuple[Zone, ...]:
        c = self.country(country) if isinstance(country, int) else self.by_iso(country)
        if c is None:
            raise NotFoundError(f"the store has no country_id {country}")
        return c.zones

    def zone(self, country: Country, text: str) -> Zone:
        """The zone of ``country`` that ``text`` names: the store's zone name or code, or an ISO
        3166-2 code (``"LND"``, ``"GB-LND"``) matched by name. Unknown or ambiguous text raises
        :class:`~ocdata.client.errors.ValidationError` with the closest zones."""
        wanted = text.strip()
        exact = wanted.casefold()
        for z in country.zones:  # the store's own name wins: it cannot mean anything else
            if z.name.casefold() == exact:
                return z
        folded = [z for z in country.zones if _fold(z.name) == _fold(wanted) and _fold(wanted)]
        if len(folded) == 1:  # "Baden-Wurttemberg", "greater london"
            return folded[0]
        given = wanted.upper()
        upper = given.removeprefix(f"{country.iso_code_2.upper()}-")
        # some stores' codes carry the country (4.1's Russia: "RU-AD")
        own = next((z for z in country.zones if z.code.upper() in (given, upper)), None)
        sub = _iso_subdivision(country.iso_code_2.upper(), upper) if country.iso_code_2 else None
        iso = _by_name(country, sub.name) if sub is not None else None
        if own is not None and iso is not None and own.zone_id != iso.zone_id:
            raise ValidationError(
                f"zone {text!r} is ambiguous in {country.name}: the store's zone code {own.code} is {own.name}, "
                f"but ISO 3166-2 {sub.code} is {sub.name} (the store's {iso.code}={iso.name}); fix the zone by "
                f"giving its name or zone_id=", fields={"zone": f"ambiguous zone {text!r}"})
        found = own or iso
        if found is not None:
            return found
        close = self.suggest_zones(country, wanted)
        iso_note = f" (ISO 3166-2 {sub.code} is {sub.name}, which this store has no zone for)" if sub else ""
        hint = f"did you mean {_or(close)}? " if close else f"see store.zones({country.iso_code_2!r}); "
        raise ValidationError(
            f"{country.name} has no zone {text!r} in this store{iso_note}; {hint}fix the zone (the store's "
            f"zone code or name, an ISO 3166-2 code) or give zone_id=", fields={"zone": f"unknown zone {text!r}"})

    @staticmethod
    def suggest_zones(country: Country, text: str, n: int = _SUGGESTIONS) -> list[str]:
        """The ``n`` zones of ``country`` closest to ``text`` as ``"LDN=Greater London"``, best first.

        Compares codes with codes (``"LDNN"`` -> ``LDN``), names with names (``"Greter London"``),
        and an ISO 3166-2 code's subdivision name with the store's names.
        """
        wanted, upper = _fold(text), text.strip().upper()
        sub = _iso_subdivision(country.iso_code_2.upper(), upper.removeprefix(f"{country.iso_code_2.upper()}-")) \
            if country.iso_code_2 else None
        names = [wanted] + ([_fold(sub.name), _core(sub.name)] if sub is not None else [])
        scores: dict[int, tuple[float, Zone]] = {}
        for z in country.zones:
            best = difflib.SequenceMatcher(None, upper, z.code.upper()).ratio() if len(upper) <= 6 else 0.0
            for name in names:
                best = max(best, _score(name, _fold(z.name)), _score(name, _core(z.name)))
            if best >= 0.6:
                scores[z.zone_id] = (best, z)
        ranked = sorted(scores.values(), key=lambda p: (-p[0], p[1].name))[:n]
        return [f"{z.code}={z.name}" for _, z in ranked]

    def resolve(self, address: Address) -> Address:
        """The address with store ids filled in from its ISO codes (unchanged when already resolved).

        ``country`` may carry the zone as one ISO 3166-2 code (``country="GB-LND"``).
        """
        if address.country_id is not None and (address.zone_id is not None or not address.zone):
            return address
        country_code, zone_text = _split_iso(address.country, address.zone)
        country = self.country(address.country_id) if address.country_id is not None else self.by_iso(country_code)
        if country is None:
            raise NotFoundError(f"the store has no country_id {address.country_id}",
                                fields={"country_id": str(address.country_id)})
        zone_id = address.zone_id
        if zone_id is None:
            zone_id = self._zone_id(country, zone_text) if zone_text else 0
        return address.model_copy(update={"country_id": country.country_id, "zone_id": zone_id})

    def _zone_id(self, country: Country, text: str) -> int:
        key = (country.country_id, text)
        with self._lock:
            if key in self._zones:
                return self._zones[key]
        zone_id = self.zone(country, text).zone_id
        with self._lock:
            self._zones[key] = zone_id
        return zone_id
