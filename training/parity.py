#!/usr/bin/env python3
"""Parity check: Rust `actorlens extract` vs the Python reference predictions.

    actorlens extract build/ner/test.jsonl --out DIR
    python3 training/parity.py DIR/mentions.csv [--pred build/ner/student_pred.jsonl] [--test build/ner/test.jsonl]

mentions.csv columns: doc_id, mention_id, sentence_idx, start_char, end_char, start_byte,
end_byte, text, label, type, score (`label` = entity type without B-/I-; char offsets are
Unicode-scalar offsets into the document text). Prints entity agreement P/R/F1 (exact span +
label; Python = reference), per label, and a few disagreements. Only the standard library is used.
Exit status 0 always (it is a report); use --min-f1 to fail below a threshold.
"""
import argparse, collections, csv, json, sys


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mentions")
    ap.add_argument("--pred", default="build/ner/student_pred.jsonl")
    ap.add_argument("--test", default="build/ner/test.jsonl")
    ap.add_argument("--show", type=int, default=15)
    ap.add_argument("--min-f1", type=float, default=0.0)
    a = ap.parse_args()
    texts = {}
    for l in open(a.test, encoding="utf-8"):
        r = json.loads(l); texts[r["id"]] = r["text"]
    py = set()
    for l in open(a.pred, encoding="utf-8"):
        r = json.loads(l)
        for e in r["entities"]:
            py.add((r["id"], int(e["start_char"]), int(e["end_char"]), e["label"]))
    rs = set()
    bad_text = 0
    with open(a.mentions, encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            lab = row["label"]
            if lab[:2] in ("B-", "I-"):
                lab = lab[2:]
            k = (row["doc_id"], int(row["start_char"]), int(row["end_char"]), lab)
            rs.add(k)
            t = texts.get(k[0])
            if t is not None and "text" in row and t[k[1]:k[2]] != row["text"]:
                bad_text += 1
    docs_py = {k[0] for k in py}
    docs_rs = {k[0] for k in rs}
    unknown = docs_rs - set(texts)
    tp = len(py & rs)
    p = tp / len(rs) if rs else 0.0
    r = tp / len(py) if py else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    print(f"documents: test {len(texts)}, with Python entities {len(docs_py)}, with Rust entities {len(docs_rs)}"
          f"{', unknown doc ids in CSV: %d' % len(unknown) if unknown else ''}")
    print(f"entities: Python {len(py)}, Rust {len(rs)}, identical {tp}")
    print(f"agreement (Python = reference): P {p:.4f}  R {r:.4f}  F1 {f:.4f}")
    if bad_text:
        print(f"WARNING: {bad_text} mentions whose `text` column != document text[start_char:end_char]")
    per = collections.defaultdict(lambda: [0, 0, 0])
    for k in py:
        per[k[3]][0] += 1
    for k in rs:
        per[k[3]][1] += 1
    for k in py & rs:
        per[k[3]][2] += 1
    print("label        python   rust  same   F1")
    for lab, (n_py, n_rs, n_tp) in sorted(per.items(), key=lambda x: -x[1][0]):
        fl = 2 * n_tp / (n_py + n_rs) if n_py + n_rs else 0.0
        print(f"{lab:<12} {n_py:6d} {n_rs:6d} {n_tp:5d}  {fl:.4f}")
    only_py = sorted(py - rs)[:a.show]
    only_rs = sorted(rs - py)[:a.show]
    for name, items in (("only Python", only_py), ("only Rust", only_rs)):
        if items:
            print(f"-- {name} (first {len(items)}):")
            for d, s, e, lab in items:
                t = texts.get(d, "")
                print(f"   {d} [{s}:{e}] {lab} {t[s:e]!r}")
    sys.exit(1 if f < a.min_f1 else 0)


if __name__ == "__main__":
    main()
