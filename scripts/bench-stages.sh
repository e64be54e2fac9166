#!/usr/bin/env bash
# Where the time goes: run actorlens RUNS times on a corpus and print the median seconds per
# stage, per 1,000 words and as a share of the NER stage. Not a test: numbers depend on the machine.
#   scripts/bench-stages.sh [CORPUS.jsonl] [RUNS]
# Default corpus: build/ner/test.jsonl (made by `make model`), else the bundled sample x20.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS="${2:-3}"
CORPUS="${1:-}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
if [ -z "$CORPUS" ]; then
  if [ -f build/ner/test.jsonl ]; then
    CORPUS=build/ner/test.jsonl
  else
    CORPUS="$tmp/sample_x20.jsonl"
    python3 - "$CORPUS" <<'PY'
import csv, json, pathlib, sys
docs = [p.read_text(encoding="utf-8") for p in sorted(pathlib.Path("data/sotu").glob("*.txt"))]
docs += [json.loads(l)["text"] for l in open("data/sotu_paragraphs.jsonl", encoding="utf-8") if l.strip()]
docs += [r["text"] for r in csv.DictReader(open("data/sotu_paragraphs.csv", encoding="utf-8"))]
with open(sys.argv[1], "w", encoding="utf-8") as f:
    for k in range(20):
        for i, t in enumerate(docs):
            f.write(json.dumps({"id": f"{k}-{i}", "text": t}) + "\n")
PY
  fi
fi
cargo build --release --quiet
for i in $(seq "$RUNS"); do
  target/release/actorlens extract "$CORPUS" --out "$tmp/run$i" --threads 2 --chunk-size 4096 --quiet
done
python3 - "$tmp" "$RUNS" "$CORPUS" <<'PY'
import json, statistics, sys
tmp, runs, corpus = sys.argv[1], int(sys.argv[2]), sys.argv[3]
ms = [json.load(open(f"{tmp}/run{i}/manifest.json")) for i in range(1, runs + 1)]
words = ms[0]["counts"]["words"]
med = lambda f: statistics.median(f(m) for m in ms)
ner = med(lambda m: m["stage_seconds"]["ner"])
total = med(lambda m: m["elapsed_seconds"])
print(f"corpus {corpus}: {words} words, {runs} runs, medians, 2 threads")
print(f"{'stage':<8} {'seconds':>8} {'s/1k words':>11} {'% of NER':>9} {'% of run':>9}")
for st in ms[0]["stage_seconds"]:
    s = med(lambda m: m["stage_seconds"][st])
    print(f"{st:<8} {s:>8.3f} {1000*s/words:>11.4f} {100*s/ner:>8.1f}% {100*s/total:>8.1f}%")
print(f"{'total':<8} {total:>8.3f} {1000*total/words:>11.4f}   words/s {words/total:,.0f}")
PY
