#!/usr/bin/env python3
"""Builds backends/seed/pvog/places.json from the vendored sources in
backends/seed/sources/ (see backends/seed/sources/README.md and docs/places.md).

    python3 scripts/import-places.py          # writes places.json
    python3 scripts/import-places.py --check  # fails if places.json is stale

Inputs (all committed, with their licences):
  mietneinv-anlage-nrw.md   the 396 NRW Gemeinden with their AGS (annex of the
                            MietNEinV, Gebietsstand 25.01.2021; amtliches Werk)
  geonames-postal-nw.csv    NRW postcodes with place and Kreis (GeoNames, CC BY 4.0)
  nrw-staedte-status.csv    Große / Mittlere kreisangehörige Städte (Verordnung
                            nach § 4 GO NRW, Stand 01.01.2025)
  regions.json              the 53 Kreise / kreisfreie Städte: display names,
                            tile-map positions, invented contact details
  municipal-contacts.json   invented contact details of 29 towns (kept from
                            the earlier seed)

Keys: the 12-digit ARS is built the NRW way, Land(2) RB(1) Kreis(2)
Verband(4) Gemeinde(3); NRW has no Gemeindeverbände, so the Verband part is
0 + the Gemeinde number (Hilden 05158016 -> 051580016016); a Kreis or a
kreisfreie Stadt is its 5-digit prefix + 0000000. Levels are read from the
keys (Gemeinde number 000 = kreisfreie Stadt), never from a list of names.
"""

import csv
import json
import re
import sys
import unicodedata
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "backends" / "seed" / "sources"
OUT = ROOT / "backends" / "seed" / "pvog" / "places.json"
# The words of all place and district names, for the relay's query
# understanding (a place in a query is not a typo of a service word).
WORDS_OUT = ROOT / "relay" / "src" / "search" / "place_words.txt"

REGIERUNGSBEZIRKE = {
    "1": "Düsseldorf",
    "3": "Köln",
    "5": "Münster",
    "7": "Detmold",
    "9": "Arnsberg",
}
# § 4 Abs. 2 Aachen-Gesetz: the Stadt Aachen keeps the rights and duties of a
# kreisfreie Stadt within the Städteregion unless the law says otherwise.
AACHEN = "05334002"


def fail(msg):
    sys.exit(f"import-places: {msg}")


def fold(s):
    s = s.lower()
    for a, b in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss")):
        s = s.replace(a, b)
    s = unicodedata.normalize("NFKD", s)
    return "".join(c for c in s if not unicodedata.combining(c))


def norm(name):
    """Comparable form of a place name: folded, without ', Stadt',
    parenthesised additions and '/Ruhr'-style suffixes."""
    s = fold(name)
    s = s.replace(", stadt", "")
    s = re.sub(r"\(.*?\)", " ", s)
    s = s.split("/")[0]
    s = re.sub(r"\s*-\s*", "-", s)
    return re.sub(r"\s+", " ", s).strip()


def ars_of(ags):
    if ags[5:] == "000":
        return ags[:5] + "0000000"
    return ags[:5] + "0" + ags[5:] + ags[5:]


def slug(name):
    s = fold(norm(name))
    return re.sub(r"[^a-z0-9]+", "-", s).strip("-")


def read_annex():
    text = (SRC / "mietneinv-anlage-nrw.md").read_text(encoding="utf-8")
    section = text.split("Nordrhein-Westfalen (NW)", 1)[1]
    rows = re.findall(
        r"\*    \*   (\d+)\n\n    \*   ([^\n]+(?:\n {8}[^\n]+)*)\n\n    \*   (\d{8})\n", section
    )
    out = []
    for no, name, ags in rows:
        # Long names wrap in the source: "Nachrodt-\n        Wiblingwerde".
        name = re.sub(r"-\n +", "-", name)
        name = re.sub(r"\n +", " ", name)
        if not ags.startswith("05"):
            fail(f"{name}: AGS {ags} is not in NRW")
        name = re.sub(r"\s*-\s+", "-", name.replace(", Stadt", "")).strip()
        out.append({"no": int(no), "name": name, "ags": ags})
    return out


def read_postcodes():
    with open(SRC / "geonames-postal-nw.csv", encoding="utf-8") as f:
        return [r for r in csv.DictReader(f) if r["state_code"] == "NW"]


def read_status():
    with open(SRC / "nrw-staedte-status.csv", encoding="utf-8") as f:
        lines = [line for line in f if not line.startswith("#")]
    return {r["ags"]: r for r in csv.DictReader(lines)}


def match(place, candidates):
    """The municipality a GeoNames place name belongs to, and the district
    part of the name (if the name is '<municipality> <district>')."""
    p = norm(place)
    for m in candidates:
        if p == norm(m["name"]):
            return m, None
    best = None
    for m in candidates:
        base = norm(m["name"])
        if p.startswith(base + " ") and (best is None or len(base) > len(norm(best["name"]))):
            best = m
    if best is not None:
        words = place.split()
        n = len(norm(best["name"]).split())
        rest = " ".join(words[n:]).strip()
        if fold(rest) == norm(best["name"]):
            rest = None
        return best, rest or None
    # "Stolberg (Rheinland)" vs "Stolberg (Rhld.)", "Emmerich" vs "Emmerich am Rhein"
    for m in candidates:
        base = norm(m["name"])
        if base.startswith(p + " ") or base == p:
            return m, None
    return None, None


def build():
    annex = read_annex()
    if len(annex) != 396:
        fail(f"annex lists {len(annex)} municipalities, expected 396")
    status = read_status()
    regions_src = json.loads((SRC / "regions.json").read_text(encoding="utf-8"))["regions"]
    by_kreis = defaultdict(list)
    for m in annex:
        by_kreis[m["ags"][:5]].append(m)
    known = {m["ags"] for m in annex}
    for ags, row in status.items():
        if ags not in known:
            fail(f"status list: {row['name']} ({ags}) is not in the annex")

    # Regions: the 53 Kreise and kreisfreie Städte, checked against the annex.
    regions = []
    for r in regions_src:
        prefix = r["ags"][:5]
        members = by_kreis.get(prefix)
        if not members:
            fail(f"region {r['name']} ({r['ags']}) has no municipality in the annex")
        kreisfrei = [m for m in members if m["ags"][5:] == "000"]
        kind = "Kreisfreie Stadt" if kreisfrei else "Kreis"
        if kind != r["type"]:
            fail(f"region {r['name']}: keys say {kind}, regions.json says {r['type']}")
        if kreisfrei and (len(members) != 1 or norm(kreisfrei[0]["name"]) != norm(r["name"])):
            fail(f"region {r['name']}: annex says {kreisfrei[0]['name']}")
        regions.append(r)
    if {r["ags"][:5] for r in regions} != set(by_kreis):
        fail("regions.json and the annex disagree on the Kreise")

    # Postcodes: each GeoNames row is matched to a municipality of its Kreis.
    zips = defaultdict(set)
    districts = defaultdict(set)
    unmatched = []
    for row in read_postcodes():
        cands = by_kreis.get(row["community_code"])
        if not cands:
            unmatched.append(f"{row['zipcode']} {row['place']} (Kreis {row['community_code']})")
            continue
        m, district = match(row["place"], cands) if len(cands) > 1 else (cands[0], None)
        if m is None:
            unmatched.append(f"{row['zipcode']} {row['place']} (Kreis {row['community_code']})")
            continue
        zips[m["ags"]].add(row["zipcode"])
        if district and norm(district) != norm(m["name"]):
            districts[m["ags"]].add(district)
    missing = [m["name"] for m in annex if not zips[m["ags"]]]
    if missing:
        fail(f"no postcode for {missing}")

    region_by_prefix = {r["ags"][:5]: r for r in regions}
    contacts = json.loads((SRC / "municipal-contacts.json").read_text(encoding="utf-8"))
    contact_of = {c["ags"]: c for c in contacts["municipalities"]}
    names = {m["ags"]: m["name"] for m in annex}
    for ags, c in contact_of.items():
        if names.get(ags) is None or norm(names[ags]) != norm(c["name"]):
            fail(f"municipal-contacts.json: {c['name']} ({ags}) is {names.get(ags)} in the annex")
    out_regions = []
    for r in regions:
        prefix = r["ags"][:5]
        kreisfrei = r["type"] == "Kreisfreie Stadt"
        out_regions.append({
            "ags": r["ags"],
            "ars": ars_of(r["ags"]),
            "name": r["name"],
            "type": r["type"],
            "rb": REGIERUNGSBEZIRKE[r["ags"][2]],
            "zip": r["zip"],
            "zips": sorted(zips[r["ags"]]) if kreisfrei else [],
            "districts": sorted(districts[r["ags"]]) if kreisfrei else [],
            "tile": r["tile"],
            "street": r["street"],
            "city": r["city"],
            "area": r["area"],
            "domain": r["domain"],
            "sample": True,
        })
        if not kreisfrei and r["zip"] not in {z for m in by_kreis[prefix] for z in zips[m["ags"]]}:
            fail(f"{r['name']}: seat postcode {r['zip']} is not in the Kreis")
    municipalities = []
    for m in sorted(annex, key=lambda m: m["ags"]):
        if m["ags"][5:] == "000":
            continue
        kreis = region_by_prefix[m["ags"][:5]]
        st = status.get(m["ags"])
        level = st["status"] if st else ("aachen" if m["ags"] == AACHEN else None)
        z = sorted(zips[m["ags"]])
        c = contact_of.get(m["ags"], {})
        municipalities.append({
            "ags": m["ags"],
            "ars": ars_of(m["ags"]),
            "name": m["name"],
            "type": "Stadt" if level else "Gemeinde",
            "status": level,
            "zip": z[0],
            "zips": z,
            "districts": sorted(districts[m["ags"]]),
            "street": c.get("street", "Rathaus"),
            "area": c.get("area", kreis["area"]),
            "domain": c.get("domain", slug(m["name"])),
            "sample": True,
        })
    return out_regions, municipalities, unmatched


HEADER = {
    "_source": {
        "municipalities": "Anlage zu § 1 der Verordnung zur Einstufung der Gemeinden in eine Mietniveaustufe im Sinne des § 254 des Bewertungsgesetzes (MietNEinV) vom 18.08.2021, BGBl. I 2021 S. 3739-3885, Abschnitt Nordrhein-Westfalen; amtliches Werk (§ 5 UrhG); text from the public mirror github.com/bundestag/gesetze, m/mietneinv/index.md, commit 77abca2ceea3b7b89ea70afb13b5dd55415eb124.",
        "gebietsstand": "2021-01-25 (§ 1 MietNEinV). NRW has had 396 Gemeinden in 31 Kreise and 22 kreisfreie Städte since the Aachen-Gesetz of 2009 (Städteregion Aachen from 21.10.2009).",
        "postcodes": "GeoNames postal codes (www.geonames.org), CC BY 4.0, via github.com/zauberware/postal-codes-json-xml-csv data/DE.zip, commit a6e8df1e94385a76d8c8c2f8260b2cd020298c19; rows with state_code NW. Place names are matched to the municipalities of their Kreis; a name '<municipality> <district>' gives a district.",
        "status": "Große/Mittlere kreisangehörige Städte: Verordnung nach § 4 GO NRW, Stand 01.01.2025 (backends/seed/sources/nrw-staedte-status.csv). Stadt Aachen: § 4 Abs. 2 Aachen-Gesetz (status 'aachen'). Own Jugendamt: no public list found; not modelled (see docs/places.md).",
        "keys": "ARS = Land(2) RB(1) Kreis(2) Verband(4) Gemeinde(3); NRW has no Gemeindeverbände, Verband = 0 + Gemeinde number (Hilden 05158016 -> 051580016016); Kreise and kreisfreie Städte: 5-digit prefix + 0000000.",
        "sample": "Every contact detail is invented ('sample': true): street 'Rathaus' (29 towns and the Kreishäuser: the town hall as far as the author knew it), phone numbers in the unassigned block <area> 000-…, e-mail and web on .example domains. 'type' Stadt/Gemeinde: Stadt only where the status list says so (the annex does not say which Gemeinden are Städte).",
        "generated": "by scripts/import-places.py; do not edit by hand.",
    }
}


def render(regions, municipalities):
    lines = ["{"]
    for k, v in HEADER.items():
        lines.append(f"  {json.dumps(k)}: {json.dumps(v, ensure_ascii=False, indent=4)},")
    lines.append('  "regions": [')
    lines.append(",\n".join("    " + json.dumps(r, ensure_ascii=False) for r in regions))
    lines.append("  ],")
    lines.append('  "municipalities": [')
    lines.append(",\n".join("    " + json.dumps(m, ensure_ascii=False) for m in municipalities))
    lines.append("  ]")
    lines.append("}")
    return "\n".join(lines) + "\n"


def place_words(regions, municipalities):
    words = set()
    for p in regions + municipalities:
        for name in [p["name"]] + p["districts"]:
            for w in re.split(r"[^\w]+", name.lower()):
                if len(w) >= 3 and not w.isdigit():
                    words.add(w)
    head = ("# Words of the names of all NRW places and districts (lower-case), generated by\n"
            "# scripts/import-places.py from backends/seed/pvog/places.json; do not edit.\n")
    return head + "\n".join(sorted(words)) + "\n"


def main():
    regions, municipalities, unmatched = build()
    text = render(regions, municipalities)
    json.loads(text)
    words = place_words(regions, municipalities)
    if "--check" in sys.argv:
        if OUT.read_text(encoding="utf-8") != text:
            fail(f"{OUT} is stale: run scripts/import-places.py")
        if WORDS_OUT.read_text(encoding="utf-8") != words:
            fail(f"{WORDS_OUT} is stale: run scripts/import-places.py")
        return
    OUT.write_text(text, encoding="utf-8")
    WORDS_OUT.write_text(words, encoding="utf-8")
    n = len(municipalities) + sum(r["type"] == "Kreisfreie Stadt" for r in regions)
    print(f"{OUT.relative_to(ROOT)}: {len(regions)} regions, {n} municipalities "
          f"({len(municipalities)} kreisangehörig), "
          f"{sum(len(m['zips']) for m in municipalities)} municipal postcodes")
    for u in unmatched:
        print(f"  not matched (skipped): {u}", file=sys.stderr)


if __name__ == "__main__":
    main()
