#!/usr/bin/env python3
"""Label the corpus with the spaCy teacher (en_core_web_md 3.8.0) at sentence level.

Reads build/ner/docs.jsonl (build_corpus.py), writes <out>/{train,dev,test}.jsonl with
one sentence per line: {id, doc_id, text, ents: [[start_char, end_char, TYPE], ...]}
(char offsets relative to the sentence text). For the test split it also records the
comparison model's (en_core_web_sm 3.8.0) entities as "sm_ents", and writes
<out>/test.jsonl in the form the Rust tool reads ({id, text, ...}).

Sentence boundaries: the teacher's parser (doc.sents), additionally split at blank lines,
whitespace-stripped. Entities crossing a sentence boundary are dropped (counted).
"""
import argparse, json, os, random, sys, time

DISABLE = ["tagger", "attribute_ruler", "lemmatizer"]  # not needed for sents + ents


def sentences(doc):
    text = doc.text
    for sent in doc.sents:
        s0, e0 = sent.start_char, sent.end_char
        pos = s0
        parts = []
        while True:
            k = text.find("\n\n", pos, e0)
            if k < 0:
                parts.append((pos, e0)); break
            parts.append((pos, k)); pos = k + 2
        for a, b in parts:
            seg = text[a:b]
            la = len(seg) - len(seg.lstrip()); lb = len(seg.rstrip())
            if lb > la:
                yield a + la, a + lb


def ents_in(ents, a, b):
    inside, crossing = [], 0
    for (s, e, l) in ents:
        if s >= a and e <= b:
            inside.append([s - a, e - a, l])
        elif s < b and e > a:
            crossing += 1
    return inside, crossing


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--docs", required=True)
    ap.add_argument("--teacher", required=True, help="folder with config.cfg of en_core_web_md")
    ap.add_argument("--compare", help="folder with config.cfg of en_core_web_sm (test split only)")
    ap.add_argument("--out", required=True)
    ap.add_argument("--max-train-docs", type=int, default=0, help="smoke tests: limit documents per split")
    ap.add_argument("--us-variant-frac", type=float, default=0.5,
                    help="fraction of train sentences containing 'U.S.' added again with 'US'")
    a = ap.parse_args()
    import spacy
    os.makedirs(a.out, exist_ok=True)
    docs = [json.loads(l) for l in open(a.docs, encoding="utf-8")]
    if a.max_train_docs:
        per = {}
        keep = []
        for d in docs:
            per[d["split"]] = per.get(d["split"], 0) + 1
            if per[d["split"]] <= a.max_train_docs:
                keep.append(d)
        docs = keep
    t0 = time.time()
    nlp = spacy.load(a.teacher, exclude=DISABLE)
    sm = spacy.load(a.compare, exclude=DISABLE) if a.compare else None
    out = {s: open(os.path.join(a.out, f"{s}.sents.jsonl"), "w", encoding="utf-8") for s in ("train", "dev", "test")}
    stats = {s: {"docs": 0, "sents": 0, "words": 0, "ents": 0, "crossing": 0} for s in out}
    nlp.max_length = 2_000_000
    rng = random.Random(13)
    n_variant = 0
    texts = ((d["text"], d) for d in docs)
    for doc, d in nlp.pipe(texts, as_tuples=True, batch_size=4):
        sp = d["split"]
        st = stats[sp]
        st["docs"] += 1
        ents = [(e.start_char, e.end_char, e.label_) for e in doc.ents]
        sm_ents = None
        if sp == "test" and sm is not None:
            sm.max_length = 2_000_000
            sdoc = sm(d["text"])
            sm_ents = [(e.start_char, e.end_char, e.label_) for e in sdoc.ents]
        for k, (a0, b0) in enumerate(sentences(doc)):
            text = doc.text[a0:b0]
            inside, crossing = ents_in(ents, a0, b0)
            rec = {"id": f"{d['id']}-s{k:04d}", "doc_id": d["id"], "text": text, "ents": inside}
            if sm_ents is not None:
                rec["sm_ents"] = ents_in(sm_ents, a0, b0)[0]
            st["sents"] += 1; st["words"] += len(text.split()); st["ents"] += len(inside)
            st["crossing"] += crossing
            out[sp].write(json.dumps(rec, ensure_ascii=False) + "\n")
            if sp == "train" and "U.S." in text and rng.random() < a.us_variant_frac:
                v = us_variant(text, inside)
                if v:
                    v["id"] = rec["id"] + "-us"; v["doc_id"] = d["id"]
                    out[sp].write(json.dumps(v, ensure_ascii=False) + "\n")
                    n_variant += 1
        print(f"[label] {d['id']} ({sp}) {time.time() - t0:.0f}s", file=sys.stderr, flush=True)
    for f in out.values():
        f.close()
    # the test split in the Rust tool's JSONL input format
    with open(os.path.join(a.out, "test.jsonl"), "w", encoding="utf-8") as fo:
        for l in open(os.path.join(a.out, "test.sents.jsonl"), encoding="utf-8"):
            r = json.loads(l)
            fo.write(json.dumps({"id": r["id"], "text": r["text"], "title": r["doc_id"],
                                 "source": r["doc_id"]}, ensure_ascii=False) + "\n")
    stats["us_variants_added"] = n_variant
    stats["label_seconds"] = round(time.time() - t0, 1)
    json.dump(stats, open(os.path.join(a.out, "label_stats.json"), "w"), indent=1)
    print(json.dumps(stats))


def us_variant(text, ents):
    """Copy of the sentence with 'U.S.' -> 'US', entity offsets shifted accordingly."""
    import re
    pieces, pos, shift_at = [], 0, []
    for m in re.finditer(r"U\.S\.(?=[\s,;:)'\"-]|$)", text):
        # keep a sentence-final period: 'the U.S.' at the end -> 'the US.'
        pieces.append(text[pos:m.start()]); pieces.append("US"); pos = m.end()
        shift_at.append(m.start())
    if not shift_at:
        return None
    pieces.append(text[pos:])
    new = "".join(pieces)

    def mp(x):
        d = 0
        for s in shift_at:
            if s + 4 <= x:
                d += 2
            elif s < x:
                return None
        return x - d
    nents = []
    for s, e, l in ents:
        ns = mp(s)
        ne = e - 2 * sum(1 for q in shift_at if q + 4 <= e) if mp(e) is None else mp(e)
        if ns is None:
            return None
        nents.append([ns, ne, l])
    return {"text": new, "ents": nents}


if __name__ == "__main__":
    main()
