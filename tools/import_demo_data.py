"""Regenerate the sandbox's packaged OpenCart install data from the recordings.

    python tools/import_demo_data.py            # rewrite ocdata/sandbox/data/<version>/
    python tools/import_demo_data.py --check    # exit 1 if the packaged files are stale

The built-in sandbox stores start from OpenCart's own install data: every country and zone
and the 19 demo products. Those are facts of each OpenCart release, exported from the
reference stores into ``tests/recordings/<dialect>/demo-data/`` (``DEMO-DATA.md``). The
product never reads ``tests/recordings`` at run time, so this script turns the exports into
compact package data, one folder per version:

``countries.csv``
    ``country_id, name, iso_code_2, iso_code_3, address_format_id, postcode_required,
    status, address_format`` (4.x name from ``country_description``; 3.0 has the format text
    on the country and no ``address_format_id``, written empty).
``zones.csv``
    ``zone_id, country_id, code, name, status`` (4.1 name from ``zone_description``).
``catalog.json``
    the demo products in store-file layout (``ocdata/sandbox/storefile.py``): price,
    weight and class, stock, minimum, subtract, shipping, points, status, rewards per
    customer group, options (in the store's option sort order) with their values'
    price/points/weight deltas and prefixes, discounts (4.1: one table with F/S/P types and
    the special flag; 3.0/4.0: quantity breaks) and specials (3.0/4.0), and ``record`` = the
    remaining ``oc_product`` columns as the database returns them (strings). For 4.1 the
    description columns and image a real product row showed in an oc41 transcript are
    taken from it (the CSV export leaves descriptions out; the API answers
    ``placeholder.png`` for an empty image); products no transcript shows get empty
    descriptions.

``tests/sandbox/engine/test_demo_data.py`` checks that the packaged files are what this
script produces and that the loaded stores match the CSVs row for row.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RECORDINGS = ROOT / "tests" / "recordings"
DATA = ROOT / "ocdata" / "sandbox" / "data"

#: packaged version -> the reference store's export
SOURCES = {
    "4.1.0.4": RECORDINGS / "oc41" / "demo-data" / "stock",
    "4.0.2.3": RECORDINGS / "oc40" / "demo-data",
    "3.0.4.1": RECORDINGS / "oc30" / "demo-data",
}
#: transcripts whose product rows carry the description columns (4.1 only)
TEXT_TRANSCRIPTS = {"4.1.0.4": [RECORDINGS / "oc41" / "transcripts", RECORDINGS / "oc41" / "transcripts-rich"]}
TEXT_COLUMNS = ("description", "tag", "meta_title", "meta_description", "meta_keyword")
#: columns a transcript's product row shows as the API answers them, which win over the export:
#: the descriptions (not exported) and the image (4.1 answers "placeholder.png" for none)
SHOWN_COLUMNS = ("image", *TEXT_COLUMNS)

#: oc_product columns that are modelled fields of ``Product`` (everything else goes to ``record``)
MODELLED = {"product_id", "model", "price", "tax_class_id", "weight", "weight_class_id", "quantity",
            "minimum", "subtract", "shipping", "points", "status"}
#: columns a product row has that come from joins (``product_to_store``, ``product_description``)
JOINED = {"store_id": "0", "language_id": "1"}
#: columns that only describe the export, not the product as a store answers it
SKIP = {"viewed"}
ZERO_DATE = "0000-00-00"


def read(folder: Path, table: str) -> list[dict[str, str]]:
    path = folder / f"{table}.csv"
    if not path.exists():
        return []
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _num(text: str) -> float | int:
    value = float(text)
    return int(value) if value.is_integer() and "." not in text else value


def _date(text: str) -> str:
    return "" if text in ("", ZERO_DATE) else text


def countries_csv(src: Path) -> str:
    names = {r["country_id"]: r["name"] for r in read(src, "country_description") if r["language_id"] == "1"}
    rows = sorted(read(src, "country"), key=lambda r: int(r["country_id"]))
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["country_id", "name", "iso_code_2", "iso_code_3", "address_format_id", "postcode_required",
                "status", "address_format"])
    for r in rows:
        w.writerow([r["country_id"], r.get("name") or names[r["country_id"]], r["iso_code_2"], r["iso_code_3"],
                    r.get("address_format_id", ""), r["postcode_required"], r["status"], r.get("address_format", "")])
    return out.getvalue()


def zones_csv(src: Path) -> str:
    names = {r["zone_id"]: r["name"] for r in read(src, "zone_description") if r["language_id"] == "1"}
    rows = sorted(read(src, "zone"), key=lambda r: int(r["zone_id"]))
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["zone_id", "country_id", "code", "name", "status"])
    for r in rows:
        w.writerow([r["zone_id"], r["country_id"], r["code"], r.get("name") or names[r["zone_id"]], r["status"]])
    return out.getvalue()


def transcript_texts(folders: list[Path]) -> dict[int, dict[str, str]]:
    """Image and description columns of every product row found in the transcripts' JSON answers."""
    found: dict[int, dict[str, str]] = {}

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if "product_id" in node and all(c in node for c in SHOWN_COLUMNS):
                found.setdefault(int(node["product_id"]), {c: node[c] for c in SHOWN_COLUMNS})
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    for folder in folders:
        for path in sorted(folder.glob("*.json")):
            walk(json.loads(path.read_text(encoding="utf-8")).get("response", {}).get("json"))
    return found


def catalog(src: Path, texts: dict[int, dict[str, str]] | None) -> list[dict]:
    names = {int(r["product_id"]): r["name"] for r in read(src, "product_description") if r["language_id"] == "1"}
    option_types = {r["option_id"]: r for r in read(src, "option")}
    option_names = {r["option_id"]: r["name"] for r in read(src, "option_description") if r["language_id"] == "1"}
    value_names = {r["option_value_id"]: r["name"] for r in read(src, "option_value_description")
                   if r["language_id"] == "1"}
    unified = "type" in (read(src, "product_discount") or [{}])[0]

    values: dict[str, list[dict]] = {}
    for r in sorted(read(src, "product_option_value"), key=lambda r: int(r["product_option_value_id"])):
        values.setdefault(r["product_option_id"], []).append({
            "product_option_value_id": int(r["product_option_value_id"]),
            "option_value_id": int(r["option_value_id"]),
            "name": value_names[r["option_value_id"]],
            "quantity": int(r["quantity"]),
            "subtract": r["subtract"] == "1",
            "price": float(r["price"]),
            "price_prefix": r["price_prefix"],
            "points": int(r["points"]),
            "points_prefix": r["points_prefix"],
            "weight": float(r["weight"]),
            "weight_prefix": r["weight_prefix"],
        })
    options: dict[int, list[tuple]] = {}
    for r in read(src, "product_option"):
        kind = option_types[r["option_id"]]
        option = {"product_option_id": int(r["product_option_id"]), "option_id": int(r["option_id"]),
                  "name": option_names[r["option_id"]], "type": kind["type"], "required": r["required"] == "1"}
        if r["value"]:
            option["value"] = r["value"]
        if r["product_option_id"] in values:
            option["values"] = values[r["product_option_id"]]
        # getOptions() orders by the option's sort order
        options.setdefault(int(r["product_id"]), []).append(
            (int(kind["sort_order"]), int(r["product_option_id"]), option))
    discounts: dict[int, list[dict]] = {}
    for r in sorted(read(src, "product_discount"), key=lambda r: int(r["product_discount_id"])):
        row = {"product_discount_id": int(r["product_discount_id"]), "customer_group_id": int(r["customer_group_id"]),
               "quantity": int(r["quantity"]), "priority": int(r["priority"]), "price": float(r["price"])}
        if unified:
            row |= {"type": r["type"], "special": r["special"] == "1"}
        row |= {"date_start": _date(r["date_start"]), "date_end": _date(r["date_end"])}
        discounts.setdefault(int(r["product_id"]), []).append(row)
    specials: dict[int, list[dict]] = {}
    for r in sorted(read(src, "product_special"), key=lambda r: int(r["product_special_id"])):
        specials.setdefault(int(r["product_id"]), []).append({
            "product_discount_id": int(r["product_special_id"]), "customer_group_id": int(r["customer_group_id"]),
            "priority": int(r["priority"]), "price": float(r["price"]),
            "date_start": _date(r["date_start"]), "date_end": _date(r["date_end"])})
    rewards: dict[int, dict[int, int]] = {}
    for r in sorted(read(src, "product_reward"), key=lambda r: int(r["product_reward_id"])):
        rewards.setdefault(int(r["product_id"]), {})[int(r["customer_group_id"])] = int(r["points"])

    products = []
    for r in sorted(read(src, "product"), key=lambda r: int(r["product_id"])):
        pid = int(r["product_id"])
        product = {
            "product_id": pid, "name": names[pid], "model": r["model"], "price": float(r["price"]),
            "tax_class_id": int(r["tax_class_id"]), "weight": float(r["weight"]),
            "weight_class_id": int(r["weight_class_id"]), "quantity": int(r["quantity"]),
            "minimum": int(r["minimum"]), "subtract": r["subtract"] == "1", "shipping": r["shipping"] == "1",
            "points": int(r["points"]), "status": r["status"] == "1",
        }
        if pid in rewards:
            product["rewards"] = rewards[pid]
        if pid in options:
            product["options"] = [o for _s, _i, o in sorted(options[pid], key=lambda t: t[:2])]
        if pid in discounts:
            product["discounts"] = discounts[pid]
        if pid in specials:
            product["specials"] = specials[pid]
        record = {k: v for k, v in r.items() if k not in MODELLED and k not in SKIP}
        record = {"image": record.pop("image"), "store_id": JOINED["store_id"], **record,
                  "language_id": JOINED["language_id"]}
        if texts is not None:
            record |= texts.get(pid, dict.fromkeys(TEXT_COLUMNS, ""))
        product["record"] = record
        products.append(product)
    return products


def catalog_json(products: list[dict]) -> str:
    # one product per line: small diffs when the data changes, still one json.loads
    lines = [json.dumps(p, ensure_ascii=False, separators=(",", ":")) for p in products]
    return "[\n" + ",\n".join(lines) + "\n]\n"


def generate() -> dict[Path, str]:
    """Every packaged file and its text."""
    files: dict[Path, str] = {}
    for version, src in SOURCES.items():
        folder = DATA / version
        texts = transcript_texts(TEXT_TRANSCRIPTS[version]) if version in TEXT_TRANSCRIPTS else None
        files[folder / "countries.csv"] = countries_csv(src)
        files[folder / "zones.csv"] = zones_csv(src)
        files[folder / "catalog.json"] = catalog_json(catalog(src, texts))
    return files


def stale() -> list[Path]:
    """Packaged files that differ from what the recordings give."""
    # bytes, not text: 3.0's address formats hold CR LF that newline translation would hide
    return [p for p, text in generate().items() if not p.exists() or p.read_bytes() != text.encode("utf-8")]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="only report stale files (exit 1 if any)")
    args = parser.parse_args(argv)
    if args.check:
        bad = stale()
        for path in bad:
            print(f"stale: {path.relative_to(ROOT)}")
        return 1 if bad else 0
    for path, text in generate().items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode("utf-8"))
        print(f"wrote {path.relative_to(ROOT)} ({len(text.encode()):,} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
