#!/usr/bin/env python3
"""make coref-eval: precision, recall and F1 of actorlens's pronoun resolution on the hand-labelled
dev set (tests/data/coref_dev.txt, conventions in tests/data/COREF_DEV.md), against the recency
baseline (each third-person pronoun → the most recent preceding actor mention of a compatible
type), overall, per pronoun form and per antecedent type.

It strips the annotations, runs the actorlens binary end to end (NER → actors → coref) on the
documents and reads mentions.csv / actors.csv back. A pronoun counts as correct when the system's
actor is the gold actor: same actor id, or the gold id is the id of one of the system actor's
names or aliases. Pronouns labelled `-` (no named antecedent) count against precision when linked.

usage: coref_eval.py [--bin target/release/actorlens] [--data tests/data/coref_dev.txt] [--out build/coref-eval]
"""
import argparse
import csv
import json
import re
import subprocess
import sys
import unicodedata
from collections import defaultdict
from pathlib import Path

PRONOUNS = {
    "he": "he", "him": "he", "his": "he", "himself": "he",
    "she": "she", "her": "she", "hers": "she", "herself": "she",
    "it": "it", "its": "it", "itself": "it",
    "they": "they", "them": "they", "their": "they", "theirs": "they", "themselves": "they",
}
# The recency baseline's type compatibility (no gender, no syntax).
BASELINE_TYPES = {"he": {"PER"}, "she": {"PER"}, "it": {"ORG", "GPE", "LOC"}, "they": {"ORG", "GPE", "NORP"}}
ANNOT = re.compile(r"\b(\w+)\[([^\]\s]+)\]")
WORD = re.compile(r"\b\w+\b")


def slug(s):
    s = "".join(c for c in unicodedata.normalize("NFD", s) if not unicodedata.combining(c))
    toks = []
    for t in re.split(r"[\s\-/]+", s):
        t = "".join(c for c in t if c.isalnum() or c == "&").lower()
        if t:
            toks.append(t)
    return "-".join(toks).replace("&", "and")


def load(path):
    docs, cur = [], None
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            continue
        if line.startswith("=== "):
            cur = {"id": line[4:].strip(), "raw": []}
            docs.append(cur)
        elif cur is not None:
            cur["raw"].append(line)
    out = []
    for d in docs:
        raw = "\n".join(d["raw"]).strip("\n")
        text, gold, last = [], [], 0
        pos = 0
        for m in ANNOT.finditer(raw):
            text.append(raw[last:m.start()])
            pos += m.start() - last
            word = m.group(1)
            if word.lower() not in PRONOUNS:
                sys.exit(f"{d['id']}: annotated non-pronoun {word!r}")
            gold.append({"start": pos, "form": word.lower(), "gold": m.group(2)})
            text.append(word)
            pos += len(word)
            last = m.end()
        text.append(raw[last:])
        text = "".join(text)
        annotated = {g["start"] for g in gold}
        for w in WORD.finditer(text):
            if w.group(0).lower() in PRONOUNS and w.start() not in annotated:
                sys.exit(f"{d['id']}: unannotated pronoun {w.group(0)!r} at {w.start()}")
        out.append({"id": d["id"], "text": text, "gold": gold})
    return out


def score(rows):
    tp = sum(1 for r in rows if r["sys"] is not None and r["sys"] == r["gold"])
    links = sum(1 for r in rows if r["sys"] is not None)
    gold = sum(1 for r in rows if r["gold"] != "-")
    p = tp / links if links else 0.0
    rec = tp / gold if gold else 0.0
    f = 2 * p * rec / (p + rec) if p + rec else 0.0
    return p, rec, f, len(rows), gold, links, tp


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default="target/release/actorlens")
    ap.add_argument("--data", default="tests/data/coref_dev.txt")
    ap.add_argument("--out", default="build/coref-eval")
    ap.add_argument("--errors", action="store_true", help="print every resolver error")
    args = ap.parse_args()
    docs = load(args.data)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    jsonl = out / "dev.jsonl"
    with jsonl.open("w", encoding="utf-8") as f:
        for d in docs:
            f.write(json.dumps({"id": d["id"], "text": d["text"]}) + "\n")
    subprocess.run([args.bin, "extract", str(jsonl), "--out", str(out / "run"), "--format", "csv", "--quiet"],
                   check=True)
    mentions = defaultdict(list)
    with (out / "run" / "mentions.csv").open(encoding="utf-8") as f:
        for r in csv.DictReader(f):
            mentions[r["doc_id"]].append(r)
    names = {}  # (doc, actor_id) -> ids of its names and aliases
    with (out / "run" / "actors.csv").open(encoding="utf-8") as f:
        for r in csv.DictReader(f):
            pre = r["actor_id"].split(":", 1)[0]
            forms = [r["name"]] + [a for a in r["aliases"].split("|") if a]
            names[(r["doc_id"], r["actor_id"])] = {r["actor_id"]} | {f"{pre}:{slug(x)}" for x in forms}

    def same(doc, sys_id, gold):
        if sys_id is None:
            return None
        return gold if gold in names.get((doc, sys_id), {sys_id}) else sys_id

    rows = {"actorlens": [], "recency baseline": []}
    for d in docs:
        ms = mentions.get(d["id"], [])
        pron = {int(m["start_char"]): m for m in ms if m["label"] == "PRON"}
        named = [m for m in ms if m["label"] not in ("PRON", "NOM") and m["actor_id"]]
        for g in d["gold"]:
            cls = PRONOUNS[g["form"]]
            kind = g["gold"].split(":", 1)[0].upper() if g["gold"] != "-" else "none"
            base = {"form": g["form"], "type": kind, "gold": g["gold"], "doc": d["id"], "start": g["start"]}
            m = pron.get(g["start"])
            rows["actorlens"].append({**base, "sys": same(d["id"], m["actor_id"] if m else None, g["gold"])})
            prev = [n for n in named if int(n["end_char"]) <= g["start"] and n["type"] in BASELINE_TYPES[cls]]
            b = prev[-1]["actor_id"] if prev else None
            rows["recency baseline"].append({**base, "sys": same(d["id"], b, g["gold"])})

    n_gold = sum(len(d["gold"]) for d in docs)
    print(f"{args.data}: {len(docs)} documents, {n_gold} third-person pronouns "
          f"({sum(1 for d in docs for g in d['gold'] if g['gold'] != '-')} with a named antecedent)\n")
    print("| system | slice | n | gold links | system links | P | R | F1 |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for name, rs in rows.items():
        slices = [("all", rs)]
        slices += [(f"form {f}", [r for r in rs if r["form"] == f]) for f in PRONOUNS if any(r["form"] == f for r in rs)]
        slices += [(f"type {t}", [r for r in rs if r["type"] == t]) for t in ("PER", "ORG", "GPE", "none")]
        for label, sub in slices:
            if not sub:
                continue
            p, rec, f1, n, g, links, _ = score(sub)
            bold = "**" if label == "all" else ""
            print(f"| {name} | {label} | {n} | {g} | {links} | {bold}{p:.3f}{bold} | {bold}{rec:.3f}{bold} | {bold}{f1:.3f}{bold} |")
    if args.errors:
        print()
        for r in rows["actorlens"]:
            if r["sys"] != r["gold"] and not (r["sys"] is None and r["gold"] == "-"):
                d = next(x for x in docs if x["id"] == r["doc"])
                ctx = d["text"][max(0, r["start"] - 60):r["start"] + 30].replace("\n", " ")
                print(f"{r['doc']} {r['form']:>8} gold={r['gold']:<40} sys={r['sys']}  …{ctx}…")


if __name__ == "__main__":
    main()
