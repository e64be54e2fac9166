#!/usr/bin/env python3
"""Make a large synthetic actorlens output folder for timing `actorlens report`.

Copies every table of a finished single-layout CSV output (e.g. the sample run) N times: copy k
renames each doc_id to `<doc_id>#k` and moves a dated document's `published` into 2020-2024, so
actors, actions and stances keep their real distributions. It also writes a JSON Lines corpus
with the same texts under the new ids, and sets each document's input_sha256 to the sha256 of
its corpus line (as `extract` does for JSONL input), so `--corpus` can be timed too.

  python3 scripts/report-scale.py build/sample build/scale10k --copies 304 \
      --texts data/sotu data/sotu_paragraphs.jsonl data/sotu_paragraphs.csv
  target/release/actorlens report build/scale10k/out --corpus build/scale10k/corpus.jsonl
"""
import argparse
import csv
import datetime
import hashlib
import json
import os
import shutil

TABLES = ["documents", "mentions", "actors", "sentences", "stances", "actions", "errors", "corpus_actors"]


def texts(inputs):
    out = {}
    for p in inputs:
        if os.path.isdir(p):
            for dirpath, dirs, files in os.walk(p):
                dirs.sort()
                for f in sorted(files):
                    full = os.path.join(dirpath, f)
                    with open(full, encoding="utf-8") as fh:
                        out[os.path.relpath(full, p)] = fh.read()
        elif p.endswith(".jsonl"):
            with open(p, encoding="utf-8") as fh:
                for line in fh:
                    if line.strip():
                        o = json.loads(line)
                        out[str(o["id"])] = o["text"]
        elif p.endswith(".csv"):
            with open(p, encoding="utf-8", newline="") as fh:
                for r in csv.DictReader(fh):
                    out[r["id"]] = r["text"]
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("src")
    ap.add_argument("dest")
    ap.add_argument("--copies", type=int, default=304)
    ap.add_argument("--texts", nargs="*", default=[])
    a = ap.parse_args()
    out = os.path.join(a.dest, "out")
    shutil.rmtree(a.dest, ignore_errors=True)
    os.makedirs(out)
    src_texts = texts(a.texts)
    start = datetime.date(2020, 1, 1)
    with open(os.path.join(a.src, "documents.csv"), encoding="utf-8", newline="") as fh:
        docs = list(csv.DictReader(fh))
    shas = {}
    with open(os.path.join(a.dest, "corpus.jsonl"), "w", encoding="utf-8") as corpus:
        for k in range(a.copies):
            for i, d in enumerate(docs):
                new_id = f"{d['doc_id']}#{k}"
                day = start + datetime.timedelta(days=(k * 37 + i * 11) % 1826)
                line = json.dumps({"id": new_id, "text": src_texts.get(d["doc_id"], ""), "published": day.isoformat()},
                                  ensure_ascii=False)
                corpus.write(line + "\n")
                shas[new_id] = (hashlib.sha256(line.encode("utf-8")).hexdigest(), day.isoformat())
    for t in TABLES:
        path = os.path.join(a.src, f"{t}.csv")
        with open(path, encoding="utf-8", newline="") as fh:
            r = csv.reader(fh)
            header = next(r)
            rows = list(r)
        with open(os.path.join(out, f"{t}.csv"), "w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh, lineterminator="\n")
            w.writerow(header)
            if "doc_id" not in header or t == "corpus_actors":
                w.writerows(rows)
                continue
            di = header.index("doc_id")
            for k in range(a.copies):
                for row in rows:
                    row = list(row)
                    row[di] = f"{row[di]}#{k}"
                    if t == "documents":
                        sha, day = shas[row[di]]
                        row[header.index("input_sha256")] = sha
                        # Documents without a date in the source stay undated (the report counts them).
                        if row[header.index("published")]:
                            row[header.index("published")] = day
                    w.writerow(row)
    shutil.copy(os.path.join(a.src, "manifest.json"), os.path.join(out, "manifest.json"))
    print(f"{len(docs) * a.copies} documents -> {out}")


if __name__ == "__main__":
    main()
