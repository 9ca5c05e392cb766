"""ISO codes -> a store's country and zone ids, via the storefront's route=localisation/country.

OpenCart has no "list countries" endpoint, only country_id=N lookups. :data:`STOCK_COUNTRY_IDS`
is the id every stock OpenCart install (1.5 to 4.1) gives each ISO country, so resolving
``"US"`` costs one request (id 223) whose ``iso_code_2`` is checked; a store that renumbered
its countries is scanned instead. Answers are cached per :class:`Geo` (one per Store).
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Callable

import pycountry

from .errors import NotFoundError, ValidationError
from .models import Address, Country, Zone

__all__ = ["Geo", "STOCK_COUNTRY_IDS", "iso2"]

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


def iso2(code: str) -> str:
    """Normalise an alpha-2/alpha-3 code or an English country name to alpha-2 (``"usa"`` -> ``"US"``)."""
    value = code.strip()
    upper = value.upper()
    if len(upper) == 2 and upper.isalpha():
        return upper
    if len(upper) == 3 and upper.isalpha():
        found = pycountry.countries.get(alpha_3=upper)
        if found is not None:
            return found.alpha_2
    try:
        return pycountry.countries.lookup(value).alpha_2
    except LookupError:
        raise ValueError(f"{code!r} is not an ISO 3166 country code or name; use e.g. 'US', 'GBR' or country_id=")             from None


class Geo:
    """Country/zone lookups for one store, cached; safe from many threads."""

    def __init__(self, fetch: Callable[[int], Country | None], *, workers: int = 8) -> None:
        self._fetch = fetch
        self._workers = max(1, workers)
        self._by_id: dict[int, Country | None] = {}
        self._by_iso: dict[str, Country] = {}
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
                            f"country in the store's admin (System > Localisation > Countries)")

    def zones(self, country: str | int) -> tuple[Zone, ...]:
        c = self.country(country) if isinstance(country, int) else self.by_iso(country)
        if c is None:
            raise NotFoundError(f"the store has no country_id {country}")
        return c.zones

    def resolve(self, address: Address) -> Address:
        """The address with store ids filled in from its ISO codes (unchanged when already resolved)."""
        if address.country_id is not None and (address.zone_id is not None or not address.zone):
            return address
        country = self.country(address.country_id) if address.country_id is not None else self.by_iso(address.country)
        if country is None:
            raise NotFoundError(f"the store has no country_id {address.country_id}")
        zone_id = address.zone_id
        if zone_id is None:
            if address.zone:
                try:
                    zone_id = country.zone(address.zone).zone_id
                except KeyError:
                    sample = ", ".join(f"{z.code}={z.name}" for z in country.zones[:8])
                    raise ValidationError(
                        f"{country.name} has no zone {address.zone!r} in this store; use its zone code or name "
                        f"(e.g. {sample}…) or zone_id=", fields={"zone": address.zone}) from None
            else:
                zone_id = 0
        return address.model_copy(update={"country_id": country.country_id, "zone_id": zone_id})
