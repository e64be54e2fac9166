#!/usr/bin/env bash
# Regenerate models/gazetteer/countries.tsv from the npm package world-countries (ODbL-1.0).
# The TSV is committed and embedded in the binary; this script only documents and repeats how
# it was made.
set -euo pipefail
VERSION=5.1.0
REPO="$(cd "$(dirname "$0")/.." && pwd)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "world-countries@$VERSION" >/dev/null && tar xzf "world-countries-$VERSION.tgz")
python3 - "$tmp/package/countries.json" "$REPO/models/gazetteer/countries.tsv" "$VERSION" <<'PY'
import json, sys
src, out, version = sys.argv[1:4]
rows = []
for c in json.load(open(src, encoding="utf-8")):
    eng = c.get("demonyms", {}).get("eng", {})
    demonyms = sorted({d for d in (eng.get("m"), eng.get("f")) if d})
    # Two-letter codes (MX, US...) are kept: they only match all-caps GPE mentions.
    names = sorted({c["name"]["official"], *c.get("altSpellings", [])} - {c["name"]["common"]})
    # Sovereign states win shared demonyms ("French": France, not the French Southern Lands).
    sovereign = "1" if c.get("unMember") or c.get("independent") else "0"
    rows.append((c["cca3"], c["name"]["common"], "|".join(names), "|".join(demonyms), sovereign))
rows.sort()
with open(out, "w", encoding="utf-8") as f:
    f.write(f"# countries from npm world-countries@{version} (ODbL-1.0, see LICENSE.md): cca3, common name, other names, English demonyms, sovereign (1/0)\n")
    for r in rows:
        f.write("\t".join(r) + "\n")
print(f"{len(rows)} countries -> {out}")
PY
